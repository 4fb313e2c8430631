"""The languages the scanner reads: which file extension names which language, and which
language's rules (and frontend) serve another's files. One table for discovery, the frontends,
the harness and the docs (``extractor.frontends`` re-exports it)."""

from __future__ import annotations

EXTENSIONS: dict[str, str] = {
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
    ".rs": "rust",
    ".php": "php",
    ".rb": "ruby",
}


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
