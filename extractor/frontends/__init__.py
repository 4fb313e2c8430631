"""Language frontends. A language is a frontend plus rule files; the engine is shared."""

from __future__ import annotations

from .base import Frontend

_FRONTENDS: dict[str, Frontend] = {}


def frontend_for(language: str) -> Frontend | None:
    if not _FRONTENDS:
        _register()
    return _FRONTENDS.get(rules_language(language))


def all_frontends() -> dict[str, Frontend]:
    if not _FRONTENDS:
        _register()
    return dict(_FRONTENDS)


def language_of(path: str) -> str | None:
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    return EXTENSIONS.get(suffix)


# A language whose files are analysed with another language's rules and frontend: TypeScript
# files use the javascript rules (one rule set, one adapter; the grammar follows the suffix).
LANGUAGE_ALIASES: dict[str, str] = {"typescript": "javascript"}


def rules_language(language: str) -> str:
    """The language whose rules (and frontend) apply to files of ``language``."""
    return LANGUAGE_ALIASES.get(language, language)


def rules_language_of(path: str) -> str | None:
    language = language_of(path)
    return rules_language(language) if language is not None else None


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
    ".kt": "kotlin",
    ".kts": "kotlin",
}


def _register() -> None:
    from .treesitter import frontends as treesitter_frontends

    _FRONTENDS.update(treesitter_frontends())  # one tree-sitter adapter per language (typescript: javascript's)
