"""Language frontends. A language is a frontend plus rule files; the engine is shared."""

from __future__ import annotations

from .base import Frontend

_FRONTENDS: dict[str, Frontend] = {}


def frontend_for(language: str) -> Frontend | None:
    if not _FRONTENDS:
        _register()
    return _FRONTENDS.get(language)


def all_frontends() -> dict[str, Frontend]:
    if not _FRONTENDS:
        _register()
    return dict(_FRONTENDS)


def language_of(path: str) -> str | None:
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    return EXTENSIONS.get(suffix)


EXTENSIONS = {
    ".py": "python",
    ".go": "go",
    ".java": "java",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".cs": "csharp",
}


def _register() -> None:
    from .python import PythonFrontend
    from .treesitter import frontends as treesitter_frontends

    _FRONTENDS["python"] = PythonFrontend()
    _FRONTENDS.update(treesitter_frontends())  # go (java, javascript, typescript, csharp: their adapters)
