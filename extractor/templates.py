"""Rule templates and name patterns, shared by every frontend's rule compiler.

A rule's text can hold ``{var|filter:arg|filter}`` placeholders: ``each:`` expands a rule into one
copy per combination of values (``_expansions``), ``format:`` builds a value from an object's
captures (``format_captures``). Qualified names with ``*?[`` are globs.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections.abc import Sequence
from typing import Any, TypeVar

from .values import Const, Value, simplify_concat

TEMPLATE = re.compile(r"\{([a-z_]+)((?:\|[a-z_]+(?::[^|}]*)?)*)\}")
_FILTER = re.compile(r"\|([a-z_]+)(?::([^|}]*))?")

T = TypeVar("T")


def apply_filters(value: str, filters: str) -> str:
    for m in _FILTER.finditer(filters or ""):
        name, arg = m.group(1), m.group(2)
        if name == "upper":
            value = value.upper()
        elif name == "lower":
            value = value.lower()
        elif name == "strip_suffix":
            value = value[: -len(arg)] if arg and value.endswith(arg) else value
        elif name == "strip_prefix":
            value = value[len(arg) :] if arg and value.startswith(arg) else value
        elif name == "upper_first":
            value = value[:1].upper() + value[1:]
        elif name == "lower_first":
            value = value[:1].lower() + value[1:]
        elif name == "camel":  # snake_case → CamelCase (a Rust gRPC method → its proto name: get_quote → GetQuote)
            value = "".join(part[:1].upper() + part[1:] for part in value.split("_"))
        elif name == "last":  # a qualified name's last part (Rates.ledger → ledger)
            value = value.rsplit(".", 1)[-1]
        else:
            raise ValueError(f"unknown template filter {name!r}")
    return value


def render(template: str, env: dict[str, str], keep_unknown: bool = True) -> str:
    """``{var|filter:arg|filter}`` with the values of ``env`` (filters chain left to right)."""

    def sub(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in env:
            return m.group(0) if keep_unknown else ""
        return apply_filters(env[var], m.group(2))

    return TEMPLATE.sub(sub, template)


def template_vars(template: str) -> set[str]:
    return {m.group(1) for m in TEMPLATE.finditer(template)}


def format_captures(template: str, obj: Any) -> Value | None:
    """``"http://{host}:{port}"`` over an object's captures (``obj.capture(name)``), as a value;
    None when ``obj`` or one of the captures is absent."""
    if obj is None:
        return None
    parts: list[Value] = []
    pos = 0
    for m in TEMPLATE.finditer(template):
        if m.start() > pos:
            parts.append(Const(template[pos : m.start()]))
        v = obj.capture(m.group(1))
        if v is None:
            return None
        parts.append(v)
        pos = m.end()
    if pos < len(template):
        parts.append(Const(template[pos:]))
    return simplify_concat(tuple(parts)) if parts else None


def expansions(each: dict[str, list[str]] | None) -> list[dict[str, str]]:
    """The variable bindings of a rule's ``each:`` (every combination; one empty one without)."""
    if not each:
        return [{}]
    keys = sorted(each)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(each[k] for k in keys))]


def glob(pattern: str) -> re.Pattern[str] | None:
    """A compiled pattern when ``pattern`` is a glob, else None (an exact name)."""
    if any(c in pattern for c in "*?["):
        return re.compile(fnmatch.translate(pattern))
    return None


def lookup(exact: dict[str, list[T]], globs: Sequence[tuple[re.Pattern[str], T]], qualname: str) -> list[T]:
    """The specs registered under ``qualname`` exactly, then those whose glob matches it."""
    found = exact.get(qualname)
    if globs:
        extra = [spec for pattern, spec in globs if pattern.fullmatch(qualname)]
        if extra:
            return (found or []) + extra
    return found or []
