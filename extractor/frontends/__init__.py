"""Language frontends. A language is a frontend plus rule files; the engine is shared."""

from __future__ import annotations

from ..languages import EXTENSIONS, LANGUAGE_ALIASES, language_of, rules_language, rules_language_of  # one table, re-exported
from .base import Frontend

__all__ = ["EXTENSIONS", "LANGUAGE_ALIASES", "Frontend", "all_frontends", "frontend_for", "language_of", "rules_language", "rules_language_of"]

_FRONTENDS: dict[str, Frontend] = {}


def frontend_for(language: str) -> Frontend | None:
    if not _FRONTENDS:
        _register()
    return _FRONTENDS.get(rules_language(language))


def all_frontends() -> dict[str, Frontend]:
    if not _FRONTENDS:
        _register()
    return dict(_FRONTENDS)


def _register() -> None:
    from .treesitter import frontends as treesitter_frontends

    _FRONTENDS.update(treesitter_frontends())  # one tree-sitter adapter per language (typescript: javascript's)
