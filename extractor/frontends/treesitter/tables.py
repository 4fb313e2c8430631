"""A language's syntax tables as data: ``languages/<language>.toml``, applied to its adapter class.

The node types the engine dispatches on are the part of an adapter that is pure data: which
method evaluates an expression node type (``[eval]``), walks a statement (``[statements]``) or
binds one when a function is pre-scanned (``[scan_binds]``, ``[scan_hooks]``), each written as
``method = "type"`` or ``method = ["type", ...]``; the sets of node types the engine asks about
(``[types]``: a class attribute in lower case, ``call_types = [...]``, replacing the default);
and the fields of member, index and for-each nodes (``[member_fields]``, ``[subscript_fields]``,
``[each_loop_fields]``: ``node_type = ["object field", "member field"]``). Besides node types:
``[literal_names]`` (the words that are ``true``, ``false`` and ``null``: ``null = ["nil"]``) and
``[values]``, the class's other syntax tables by their lower-case names (``int_suffixes = "lL"``,
``default_ops = ["??"]``, ``binary_ops = { "//" = "//" }``), each of its default's type. A top-level
``unchecked = [...]`` names node types the installed grammars do not have that the table keeps
(written for another version of a grammar; the package pins none): the grammar check skips them.

``@syntax_tables`` applies the file of the class's ``language`` when the adapter module is imported
(a dispatch table extends the base class's: an entry for a type the base has replaces it) and
checks what needs no grammar: an unknown section, a method the class does not have, a set it does
not declare, or a type listed twice in one table is a ``TableError`` naming ``file:line``.
``check_grammar`` checks the node types and field names against the language's grammars (any of
them: JavaScript's tables serve the TypeScript grammars too); the frontend calls it once per
process, when the first file of the language is extracted and its grammar is loaded anyway.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from tree_sitter import Language

LANGUAGES_DIR = Path(__file__).with_name("languages")
DISPATCH = {"eval": "EVAL", "statements": "STATEMENTS", "scan_binds": "SCAN_BINDS", "scan_hooks": "SCAN_HOOKS"}
FIELDS = {"member_fields": "MEMBER_FIELDS", "subscript_fields": "SUBSCRIPT_FIELDS", "each_loop_fields": "EACH_LOOP_FIELDS"}
_SECTIONS = frozenset({*DISPATCH, *FIELDS, "types", "values", "literal_names"})
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
UNCHECKED = "unchecked"

C = TypeVar("C", bound=type)


class TableError(ValueError):
    """A syntax table that does not fit its adapter or grammar; the message starts with ``file:line``."""


class _Table:
    """One parsed file with the line of every key and value, for messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        try:
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise TableError(f"{path}: {exc}") from None
        self.lines = self.text.splitlines()

    def line_of(self, section: str, key: str | None = None, value: str | None = None, nth: int = 1) -> int:
        """The line of ``[section]``, of ``key`` in it, or of the ``nth`` quoted ``value`` after that key."""
        current, found = "", 0
        key_re = re.compile(rf"^\s*{re.escape(key)}\s*=") if key is not None else None
        for n, line in enumerate(self.lines, 1):
            head = re.match(r"^\s*\[([^\]]+)\]", line)
            if head:
                if found:
                    break
                current = head.group(1).strip()
                if current == section and key is None:
                    return n
                continue
            if current != section or key_re is None:
                continue
            if not found:
                if key_re.match(line):
                    found = n
                else:
                    continue
            elif re.match(r"^\s*[\w\"]+\s*=", line):
                break
            if value is not None:
                nth -= line.count(f'"{value}"')
            if value is None or nth <= 0:
                return n
        return found or 1

    def error(self, message: str, section: str, key: str | None = None, value: str | None = None, nth: int = 1) -> TableError:
        return TableError(f"{self.path}:{self.line_of(section, key, value, nth)}: {message}")

    def types_of(self, section: str, key: str) -> tuple[str, ...]:
        raw = self.data[section][key]
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(t, str) and t for t in items):
            raise self.error(f"{key}: a node type or a list of node types", section, key)
        return tuple(items)

    def types_of_root(self, key: str) -> tuple[str, ...]:
        items = self.data[key]
        if not isinstance(items, list) or not all(isinstance(t, str) and t for t in items):
            raise TableError(f"{self.path}:{self.root_line(key)}: {key}: a list of node types")
        return tuple(items)

    def root_line(self, key: str) -> int:
        return next((n for n, line in enumerate(self.lines, 1) if re.match(rf"^\s*{re.escape(key)}\s*=", line)), 1)


def _node_types(table: _Table) -> Iterator[tuple[str, str, str]]:
    """(section, key, node type) of every node type the file names."""
    for section, entries in table.data.items():
        if section in DISPATCH or section == "types":
            for key in entries:
                for t in table.types_of(section, key):
                    yield section, key, t
        elif section in FIELDS:
            for t in entries:
                yield section, t, t


def syntax_tables(cls: C) -> C:
    """Apply ``languages/<cls.language>.toml`` to an adapter class (see the module docstring)."""
    path = LANGUAGES_DIR / f"{cls.language}.toml"  # type: ignore[attr-defined]
    table = _Table(path)
    for section, entries in table.data.items():
        if section == UNCHECKED:
            table.types_of_root(section)
            continue
        if section not in _SECTIONS:
            raise table.error(f"unknown section [{section}] (one of {', '.join(sorted(_SECTIONS))})", section)
        if not isinstance(entries, dict):
            raise table.error(f"[{section}] is a table", section)
    for section, attr in DISPATCH.items():
        entries = table.data.get(section)
        if entries is None:
            continue
        own: dict[str, str] = {}
        for method in entries:
            if not callable(getattr(cls, method, None)):
                raise table.error(f"{cls.__name__} has no method {method!r}", section, method)
            types = table.types_of(section, method)
            for i, t in enumerate(types):
                if t in own:
                    raise table.error(f"{t!r} is handled by {own[t]!r} already", section, method, t, types[: i + 1].count(t))
                own[t] = method
        setattr(cls, attr, {**getattr(cls, attr), **own})
    for key in table.data.get("types", {}):
        attr = key.upper()
        if not key.islower() or not isinstance(getattr(cls, attr, None), frozenset):
            raise table.error(f"{cls.__name__} has no node-type set {attr}", "types", key)
        setattr(cls, attr, frozenset(table.types_of("types", key)))
    for section, attr in FIELDS.items():
        fields: dict[str, tuple[str, str]] = {}
        for node_type, pair in table.data.get(section, {}).items():
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(f, str) for f in pair)):
                raise table.error(f"{node_type}: a pair of field names", section, node_type)
            fields[node_type] = (pair[0], pair[1])
        if fields:
            setattr(cls, attr, {**getattr(cls, attr), **fields})
    names: dict[str, Any] = {}
    for key in table.data.get("literal_names", {}):
        if key not in _LITERALS:
            raise table.error(f"a literal name is true, false or null, not {key!r}", "literal_names", key)
        names.update(dict.fromkeys(table.types_of("literal_names", key), _LITERALS[key]))
    if names:
        cls.LITERAL_NAMES = names  # type: ignore[attr-defined]
    for key, value in table.data.get("values", {}).items():
        setattr(cls, key.upper(), _value(table, cls, key, value))
    cls.SYNTAX_TABLE = path  # type: ignore[attr-defined]
    return cls


def _value(table: _Table, cls: type, key: str, value: Any) -> Any:
    """``value`` as the type of the class attribute it replaces (a list → a frozenset or tuple)."""
    default = getattr(cls, key.upper(), _MISSING) if key.islower() else _MISSING
    if default is _MISSING or callable(default):
        raise table.error(f"{cls.__name__} has no table {key.upper()}", "values", key)
    if isinstance(default, (bool, int, str)) and type(value) is type(default):
        return value
    if isinstance(default, (frozenset, tuple)) and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return type(default)(value)
    if isinstance(default, Mapping) and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise table.error(f"{key}: a {type(default).__name__} like {cls.__name__}.{key.upper()}", "values", key)


_MISSING = object()
_CHECKED: set[type] = set()


def check_grammar(cls: type, languages: Iterable[Language]) -> None:
    """Every node type and field name of ``cls``'s table exists in one of ``languages`` (once per class)."""
    if cls in _CHECKED or getattr(cls, "SYNTAX_TABLE", None) is None:
        return
    langs = list(languages)

    def known(t: str) -> bool:
        return any(lang.id_for_node_kind(t, True) is not None or lang.id_for_node_kind(t, False) is not None for lang in langs)

    table = _Table(cls.SYNTAX_TABLE)  # type: ignore[attr-defined]
    other = set(table.types_of_root(UNCHECKED)) if UNCHECKED in table.data else set()
    for section, key, t in _node_types(table):
        if t not in other and not known(t):
            raise table.error(f"no grammar of {cls.language!r} has a node type {t!r}", section, key, t)  # type: ignore[attr-defined]
    for section in FIELDS:
        for node_type, pair in table.data.get(section, {}).items():
            for f in pair:
                if all(lang.field_id_for_name(f) is None for lang in langs):
                    raise table.error(f"no grammar of {cls.language!r} has a field {f!r}", section, node_type)  # type: ignore[attr-defined]
    _CHECKED.add(cls)
