"""Symbolic values → JSON values, shared by the kinds' finalizers.

Frontends report what they saw (a ``Const``, an ``Env`` with its default, a ``Concat``); these
helpers turn it into the text, number or list a public field holds, whatever the language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..durations import as_float, parse_duration
from ..targets import leading_text
from ..values import BinOp, Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, describe, strip

if TYPE_CHECKING:
    from ..catalog import Rule
    from .base import LinkContext

_UNITS = {"_ms": 1.0, "_s": 1000.0, "_m": 60_000.0, "_ns": 1e-6}  # _ns: Go durations (time.Duration counts nanoseconds)


def scalar(v: Any) -> Any:
    """A JSON scalar for a value: the constant, an env var's default, else the source text."""
    if not isinstance(v, (Const, Named, Env, Seq, Map, Obj, Concat, Dynamic)) and v is not None and not hasattr(v, "__dataclass_fields__"):
        return v
    s = strip(v)
    if s is None:
        return None
    if isinstance(s, Const):
        return s.value
    if isinstance(s, Env):
        return scalar(s.default) if s.default is not None else None
    if isinstance(s, Seq):
        return [scalar(x) for x in s.items]
    if isinstance(s, Map):
        return {str(scalar(k)): scalar(x) for k, x in s.items}
    if isinstance(s, Concat):
        text, _, _ = leading_text(s)
        return text
    return describe(s)


def text_or_none(v: Any) -> str | None:
    s: Any = strip(v) if isinstance(v, (Const, Named, Env, Seq, Map, Obj, Concat, Dynamic)) else v
    if s is None:
        return None
    if isinstance(s, (str, int, float)) and not isinstance(s, bool):
        return str(s)
    if isinstance(s, Const):
        return None if s.value is None else str(s.value)
    if isinstance(s, Concat):
        text, _, _ = leading_text(s)
        return text
    if isinstance(s, Env):
        return str(scalar(s.default)) if s.default is not None else "{" + describe(s) + "}"
    if isinstance(s, Dynamic):
        return "{" + s.text + "}" if s.text else None
    return "{" + describe(s) + "}"


def method_text(v: Any, default: str | None = None) -> str | None:
    """An HTTP method upper case; ``{expr}`` when dynamic."""
    t = text_or_none(v)
    if t is None:
        return default
    return t.upper() if not t.startswith("{") else t


def number(v: Any) -> float | None:
    s = strip(v) if isinstance(v, (Const, Named, Env, Seq, Map, Obj, Call, BinOp, Ref)) else v
    if isinstance(s, Env):
        s = strip(s.default) if s.default is not None else None
    if isinstance(s, Const):
        s = s.value
    if isinstance(s, (bool, int, float, str)) or s is None:
        return as_float(s)
    if isinstance(s, Call) and s.func.rpartition(".")[2] == "timedelta":
        total = 0.0
        for k, x in s.kwargs:
            n = number(x)
            if n is None:
                return None
            total += n * {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}.get(k, 0)
        if s.args:
            n = number(s.args[0])
            total += (n or 0) * 86400
        return total
    return None


def ms_field(raw: dict[str, Any], stem: str) -> float | None:
    """A duration given as ``<stem>_s`` / ``<stem>_ms`` / ``<stem>_m`` in raw fields, in ms."""
    for suffix, factor in _UNITS.items():
        if stem + suffix in raw:
            n = number(raw[stem + suffix])
            if n is not None:
                return round(n * factor, 3) if n >= 0 else None  # a negative duration is none we can use
            text = scalar(raw[stem + suffix])
            if isinstance(text, str):  # a duration with its own unit: "0.5s", "100ms"
                ms = parse_duration(text)
                if ms is not None:
                    return round(ms, 3)
    return None


def unit_ms(unit: str) -> float:
    """Milliseconds in one ``unit`` (``s``, ``ms``, ``m``, ``ns``)."""
    return _UNITS["_" + unit]


def to_int(v: float | None) -> int | None:
    return None if v is None else round(v)


def num(v: float) -> int | float:
    """A JSON number rounded to 3 decimals, an int when whole."""
    r = round(v, 3)
    return int(r) if r == int(r) else r


def texts(v: Any) -> list[str]:
    """Exception names / predicates as text."""
    s = strip(v) if v is not None else None
    if s is None:
        return []
    if isinstance(s, Seq):
        out: list[str] = []
        for item in s.items:
            out += texts(item)
        return out
    if isinstance(s, Ref):
        return [s.qualname]
    if isinstance(s, Const):
        if isinstance(s.value, (list, tuple)):  # a constant list in a rule
            return [str(x) for x in s.value]
        return [] if s.value in (None, False) else [str(s.value)]
    return [describe(s)]


def mechanism(raw: dict[str, Any], rule: Rule) -> str | None:
    """A policy's ``mechanism``: as the rule sets it, else the rule's library."""
    return text_or_none(raw.get("mechanism")) or rule.library or None


def ms_or_none(raw: dict[str, Any], stem: str) -> int | float | None:
    """``ms_field`` as a JSON number, None when the rule sets no such duration."""
    ms = ms_field(raw, stem)
    return None if ms is None else num(ms)


def put_set(out: dict[str, Any], raw: dict[str, Any], convert: Callable[[Any], Any], *names: str) -> None:
    """``out[name] = convert(raw[name])`` for each of ``names`` the rule sets (not None)."""
    for name in names:
        if raw.get(name) is not None:
            out[name] = convert(raw[name])


def put_known(out: dict[str, Any], **values: Any) -> None:
    """Each value under its name, unless it is None (an optional field is absent then)."""
    out.update((k, v) for k, v in values.items() if v is not None)


def as_built(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    """The fields as their reader built them: the finalizer of the kinds made from configuration
    files (routes, mesh policies), whose facts are final already; no rule makes them."""
    return dict(raw_fields)


def generic(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    """Each raw field as a JSON scalar (a kind without its own vocabulary)."""
    out: dict[str, Any] = {}
    for name, v in raw_fields.items():
        if name.startswith("_"):
            continue
        out[name] = scalar(v)
    return out
