"""Interpret a symbolic timeout value as milliseconds, with where the number came from.

The knowledge of *how a library spells a timeout* (unit, tuple order, timeout objects, default)
comes from the rule's ``timeout:`` block; this module only applies it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .values import ONE_OF, BinOp, Call, Const, Dynamic, Env, Named, Obj, Seq, Value, describe, strip

_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "min": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ns|us|ms|s|m|min|h)\s*$")
_ISO_DURATION = re.compile(r"^\s*P(?:([0-9.]+)D)?(?:T(?:([0-9.]+)H)?(?:([0-9.]+)M)?(?:([0-9.]+)S)?)?\s*$", re.I)  # java.time.Duration text

# Call(MIN_CALL, (), ((label, value), ...)): several timeouts apply (a client's and a request
# context's deadline); the smallest known one is the effective timeout, reported with its label.
MIN_CALL = "$min"
# Named(LIBRARY_DEFAULT, value): a value a rule gives when the code sets none, the library's documented
# default (the .NET standard resilience handler's 30 s total request timeout): timeout_source library_default.
LIBRARY_DEFAULT = "$library_default"


@dataclass(frozen=True, slots=True)
class Timeout:
    ms: float | None
    source: str  # literal | constant | config | env_default | library_default | none | dynamic
    expr: str = ""
    env: str = ""
    constant: str = ""
    connect_ms: float | None = None
    source_of: str = ""  # with several timeouts (MIN_CALL): the label of the one that applies
    choices: tuple[float, ...] = ()  # one of several a condition chooses (ONE_OF): each; ms is the longest

    def fields(self, prefix: str = "timeout") -> dict[str, Any]:
        out: dict[str, Any] = {f"{prefix}_ms": _num(self.ms), f"{prefix}_source": self.source}
        if self.expr:
            out[f"{prefix}_expr"] = self.expr
        if self.env:
            out[f"{prefix}_env"] = self.env
        if self.constant:
            out[f"{prefix}_constant"] = self.constant
        if self.connect_ms is not None:
            out[f"connect_{prefix}_ms"] = _num(self.connect_ms)
        if self.source_of:
            out[f"{prefix}_from"] = self.source_of
        if self.choices:
            out[f"{prefix}_choices_ms"] = [_num(c) for c in self.choices]
        return out


def _num(v: float | None) -> float | int | None:
    if v is None:
        return None
    r = round(v, 3)
    return int(r) if r == int(r) else r


def parse_duration(text: str) -> float | None:
    """``"5s"`` → 5000.0 ms (also ISO-8601 ``"PT0.5S"``, ``"PT1M30S"``); None when not a duration."""
    m = _DURATION.match(text)
    if not m:
        iso = _ISO_DURATION.match(text)
        if not iso or not any(iso.groups()):
            return None
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        return _finite(((days * 24 + hours) * 60 + minutes) * 60_000.0 + seconds * 1000.0)
    return _finite(float(m.group(1)) * _UNIT_MS[m.group(2)])


def _finite(ms: float) -> float | None:
    """A duration a float holds, else None (a 400-digit or ``1e999`` literal is no duration)."""
    return ms if math.isfinite(ms) else None


def as_float(v: Any) -> float | None:
    """A finite float from an int, a float or a numeric text; None for anything else (a bool, a
    400-digit int, ``inf``, ``"1e999"``)."""
    if isinstance(v, bool):
        return None
    try:
        if isinstance(v, (int, float)):
            return _finite(float(v))
        if isinstance(v, str):
            return _finite(float(v.strip()))
    except (ValueError, OverflowError):  # not a number, or an int too large for a float
        return None
    return None


def interpret(value: Value | None, spec: dict[str, Any], *, unit: str | None = None) -> Timeout:
    """Timeout in ms from a field value and the rule's timeout spec."""
    factor = _UNIT_MS[unit or spec.get("unit", "s")]
    if value is None:
        default = spec.get("default", "none")
        if default in (None, "none"):
            return Timeout(None, "none")
        ms = parse_duration(str(default))
        return Timeout(ms, "library_default", expr=str(default))
    return _interpret(value, spec, factor, source=None, constant="")


def _interpret(value: Value, spec: dict[str, Any], factor: float, source: str | None, constant: str) -> Timeout:
    if isinstance(value, Named) and value.name == LIBRARY_DEFAULT:
        found = _interpret(value.value, spec, factor, "library_default", constant)
        return Timeout(found.ms, found.source, f"{found.ms / 1000:g}s" if found.ms is not None else found.expr, found.env, found.constant)
    if isinstance(value, Named):  # a named constant; ${key}: a value of the service's configuration files
        return _interpret(value.value, spec, factor, source or ("config" if value.name.startswith("${") else "constant"), constant or value.name)
    if isinstance(value, Const):
        if value.value is None:
            return Timeout(None, "none", expr="None", constant=constant)
        n = as_float(value.value)
        if n is None:
            ms = parse_duration(value.value) if isinstance(value.value, str) else None
            if ms is not None:  # a duration text with its own unit ("2s", "PT0.5S": configuration files)
                return Timeout(ms, source or "literal", constant=constant)
            return Timeout(None, "dynamic", expr=describe(value), constant=constant)
        if n == 0 and spec.get("zero") == "none":  # Go: a zero Timeout / deadline means none
            return Timeout(None, "none", expr="0", constant=constant)
        ms = _finite(n * factor)
        if ms is None or ms < 0:  # finite in its unit, not in milliseconds (1e308 s); or negative: no duration
            return Timeout(None, "dynamic", expr=describe(value), constant=constant)
        return Timeout(ms, source or "literal", constant=constant)
    if isinstance(value, Call):
        if value.func == MIN_CALL:
            return _smallest(value, spec, factor, source, constant)
        if value.func == ONE_OF:
            return _one_of(value, spec, factor, source, constant)
        unit = (spec.get("functions") or {}).get(value.func)
        if unit is not None and len(value.args) == 1:  # Duration.ofSeconds(5), TimeSpan.FromSeconds(5)
            return _interpret(value.args[0], spec, _UNIT_MS[unit], source, constant)
        return Timeout(None, "dynamic", expr=describe(value), constant=constant)
    if isinstance(value, Env):
        default = strip(value.default) if value.default is not None else None
        if isinstance(default, Const) and (number := as_float(default.value)) is not None:
            if (ms := _finite(number * factor)) is not None and ms >= 0:
                return Timeout(ms, "env_default", env=value.var, constant=constant)
        return Timeout(None, "dynamic", expr=describe(value), env=value.var, constant=constant)
    if isinstance(value, Seq):
        tup = spec.get("tuple")
        if tup and len(value.items) > max(tup.values()):
            first = _interpret(value.items[tup["read"]], spec, factor, source, constant)
            connect = _interpret(value.items[tup["connect"]], spec, factor, source, constant) if "connect" in tup else None
            return Timeout(first.ms, first.source, first.expr, first.env, first.constant, connect.ms if connect else None)
        return Timeout(None, "dynamic", expr=describe(value), constant=constant)
    if isinstance(value, Obj):
        objects = spec.get("objects") or {}
        ospec = objects.get(value.type)
        if ospec is None:
            return Timeout(None, "dynamic", expr=describe(value), constant=constant)
        ofactor = _UNIT_MS[ospec["unit"]] if "unit" in ospec else factor
        forever = ospec.get("explicit_none") == "forever"
        read = _first(value, ospec.get("read", ()), spec, ofactor, source, constant, forever)
        connect = _first(value, ospec.get("connect", ()), spec, ofactor, source, constant, forever) if ospec.get("connect") else None
        if read is None:
            return Timeout(None, "none", expr=describe(value), constant=constant, connect_ms=connect.ms if connect else None)
        return Timeout(read.ms, read.source, read.expr or "", read.env, read.constant, connect.ms if connect else None)
    if isinstance(value, Dynamic):
        return Timeout(None, "dynamic", expr=value.text, constant=constant)
    if isinstance(value, BinOp) and (arith := _arithmetic(value)) is not None:  # TIMEOUT * 2 with a known TIMEOUT
        number, var = arith
        if (ms := _finite(number * factor)) is not None and ms >= 0:
            named = isinstance(value.left, Named) or isinstance(value.right, Named)
            return Timeout(ms, source or ("env_default" if var else "constant" if named else "literal"), describe(value), var or "", constant)
    return Timeout(None, "dynamic", expr=describe(value), constant=constant)


_ARITHMETIC = {"+": float.__add__, "-": float.__sub__, "*": float.__mul__, "/": float.__truediv__}


def _arithmetic(value: BinOp) -> tuple[float, str | None] | None:
    """The number an arithmetic expression of known numbers has (an environment variable's default
    counts, and is named), when every operand is one: ``int(getenv("T", "4")) * 2`` is 8."""
    sides: list[tuple[float, str | None]] = []
    for side in (value.left, value.right):
        v = strip(side)
        if isinstance(v, BinOp):
            inner = _arithmetic(v)
            if inner is None:
                return None
            sides.append(inner)
            continue
        env = v.var if isinstance(v, Env) else None  # an environment variable's value or default: a number's text counts
        v = strip(v.default) if isinstance(v, Env) and v.default is not None else v
        number = as_float(v.value) if isinstance(v, Const) and not isinstance(v.value, bool) and (env or not isinstance(v.value, str)) else None
        if number is None:
            return None
        sides.append((number, env))
    op = _ARITHMETIC.get(value.op)
    if op is None or (value.op == "/" and sides[1][0] == 0):
        return None
    result = op(sides[0][0], sides[1][0])
    return (result, sides[0][1] or sides[1][1]) if math.isfinite(result) else None


def _smallest(value: Call, spec: dict[str, Any], factor: float, source: str | None, constant: str) -> Timeout:
    """The effective timeout of several (``MIN_CALL``): the smallest known one; else a dynamic one
    (its value is not known statically); else none. ``source_of`` names the one reported."""
    known: list[tuple[float, Timeout, str]] = []
    dynamic: Timeout | None = None
    dynamic_label = ""
    for label, v in value.kwargs:
        t = _interpret(v, spec, factor, source, constant)
        if t.ms is not None:
            known.append((t.ms, t, label))
        elif t.source == "dynamic" and dynamic is None:
            dynamic, dynamic_label = t, label
    if known:
        _, best, label = min(known, key=lambda x: x[0])
        return Timeout(best.ms, best.source, best.expr, best.env, best.constant, best.connect_ms, label)
    if dynamic is not None:
        return Timeout(None, "dynamic", dynamic.expr, dynamic.env, dynamic.constant, None, dynamic_label)
    return Timeout(None, "none", constant=constant)


def _one_of(value: Call, spec: dict[str, Any], factor: float, source: str | None, constant: str) -> Timeout:
    """One of several timeouts a condition chooses (``ONE_OF``: ``c ? 10000 : 2500``): when each is
    known, the longest (the most the caller may wait) with every one in ``choices``; else dynamic."""
    got = [_interpret(v, spec, factor, source, constant) for v in value.args]
    known = [t.ms for t in got if t.ms is not None]
    if not got or len(known) != len(got):
        return Timeout(None, "dynamic", expr=describe(value), constant=constant)
    longest = max(got, key=lambda t: t.ms or 0.0)
    return Timeout(longest.ms, longest.source, describe(value), longest.env, constant, choices=tuple(known))


def _first(obj: Obj, names: Any, spec: dict[str, Any], factor: float, source: str | None, constant: str, forever: bool = False) -> Timeout | None:
    """The first capture of ``names`` that is set; an explicit ``None`` is skipped (unset) or, with
    ``explicit_none: forever``, ends the search: that timeout is disabled."""
    for name in names:
        v = obj.capture(name)
        if v is None:
            continue
        if isinstance(sv := strip(v), Const) and sv.value is None:
            if forever:
                return None
            continue
        return _interpret(v, spec, factor, source, constant)
    return None
