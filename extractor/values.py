"""Symbolic values: what the code says an argument is, as far as it can be known statically.

Frontends turn expressions into these (language-neutral) values; cross-file references stay
symbolic (``Ref``) until the link stage resolves them against other modules' exports.
All values are frozen and hashable so that per-file results can be cached.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Const:
    value: Any  # int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class Named:
    """A value reached through a named constant (``TIMEOUT = 0.2``)."""

    name: str
    value: Value


@dataclass(frozen=True, slots=True)
class Ref:
    """A fully qualified name the file does not define (an import, or an attribute of one).

    The link stage resolves it when a module of the same service defines it; a rule matches
    calls by it. ``name`` is the last dotted part.
    """

    qualname: str

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class Env:
    """An environment variable read, with its default when the code gives one."""

    var: str
    default: Value | None = None


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Map:
    items: tuple[tuple[Value, Value], ...]

    def get(self, key: str) -> Value | None:
        for k, v in self.items:
            if isinstance(k, Const) and k.value == key:
                return v
        return None


@dataclass(frozen=True, slots=True)
class Obj:
    """An object built by a known constructor (a timeout object, a request, a client).

    ``type`` is the rule's canonical type name; ``captures`` are the constructor arguments the
    rule asked to keep; ``name`` the concrete class name when the rule matched by pattern.
    """

    type: str
    captures: tuple[tuple[str, Value], ...] = ()
    name: str = ""
    origin: str = ""  # "file:line" of the constructor call

    def capture(self, key: str) -> Value | None:
        for k, v in self.captures:
            if k == key:
                return v
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a resolved function whose result the rules may still interpret (``float(x)``)."""

    func: str
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str
    left: Value
    right: Value


@dataclass(frozen=True, slots=True)
class Concat:
    """String concatenation / f-string; parts are values."""

    parts: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Dynamic:
    """Not statically known; ``text`` is the source expression."""

    text: str


Value = Const | Named | Ref | Env | Seq | Map | Obj | Call | BinOp | Concat | Dynamic

UNKNOWN = Dynamic("")

ONE_OF = "$oneof"
"""``Call(ONE_OF, (a, b))``: one of several known numbers, as a condition chooses (``c ? 10000 : 2500``)."""

CLIENT_DEFAULT = "_client_default"
"""A call's raw field, true when its timeout is the one its client (or the process) was given as a
default because the call passes none: ``timeout_source`` is then ``client_default``."""

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a**b,
}


def fold(op: str, left: Value, right: Value) -> Value:
    """Constant-fold arithmetic; keeps the symbolic form when an operand is not yet known."""
    lv, rv = strip(left), strip(right)
    if isinstance(lv, Const) and isinstance(rv, Const):
        a, b = lv.value, rv.value
        fn = _OPS.get(op)
        if fn is not None and _numeric_or_str(a) and _numeric_or_str(b):
            try:
                result = fn(a, b)
            except Exception:
                return BinOp(op, left, right)
            if isinstance(result, float) and not math.isfinite(result):
                return BinOp(op, left, right)
            return Const(result)
    if op == "+" and (_is_stringish(lv) or _is_stringish(rv)):
        return Concat(_concat_parts(left) + _concat_parts(right))
    if op == "%" and isinstance(lv, Const) and isinstance(lv.value, str):  # "http://%s:8080/x" % host
        found = _percent_format(lv.value, rv.items if isinstance(rv, Seq) else (right,))
        if found is not None:
            return found
    return BinOp(op, left, right)


_PERCENT = re.compile(r"%(?:%|[-#0 +]*\d*(?:\.\d+)?[sdirfx])")


def _percent_format(template: str, args: tuple[Value, ...]) -> Value | None:
    """``template % args`` with positional ``%s``-style fields: its parts, the arguments as values;
    None when the fields do not match the arguments (a mapping's ``%(name)s``, a count that differs)."""
    parts: list[Value] = []
    i = pos = 0
    for m in _PERCENT.finditer(template):
        parts.append(Const(template[pos : m.start()]))
        pos = m.end()
        if m.group() == "%%":
            parts.append(Const("%"))
            continue
        if i >= len(args):
            return None
        parts.append(args[i])
        i += 1
    if i != len(args) or "%(" in template:
        return None
    parts.append(Const(template[pos:]))
    return simplify_concat(tuple(p for p in parts if not (isinstance(p, Const) and p.value == "")))


def _numeric_or_str(v: Any) -> bool:
    return isinstance(v, (int, float, str)) and not isinstance(v, bool)


def _is_stringish(v: Value | None) -> bool:
    return (isinstance(v, Const) and isinstance(v.value, str)) or isinstance(v, Concat)


def _concat_parts(v: Value) -> tuple[Value, ...]:
    inner = strip(v)
    if isinstance(inner, Concat):
        return inner.parts
    return (v,)


def strip(v: Value | None) -> Value | None:
    """Look through ``Named`` wrappers."""
    while isinstance(v, Named):
        v = v.value
    return v


def convert(func: str, v: Value) -> Value:
    """Apply ``float``/``int``/``str`` to a value (also to an env var's default)."""
    inner = strip(v)
    if isinstance(inner, Const):
        try:
            if func == "float":
                return Const(float(inner.value))
            if func == "int":
                return Const(int(inner.value) if not isinstance(inner.value, str) else int(inner.value.strip()))
            if func == "str":
                return Const(str(inner.value))
        except (TypeError, ValueError):
            return Call(func, (v,))
    if isinstance(inner, Env):
        return Env(inner.var, convert(func, inner.default) if inner.default is not None else None)
    return Call(func, (v,))


def walk(v: Value) -> Iterator[Value]:
    """Every value nested in ``v`` (pre-order)."""
    yield v
    if isinstance(v, Named):
        yield from walk(v.value)
    elif isinstance(v, Env) and v.default is not None:
        yield from walk(v.default)
    elif isinstance(v, Seq):
        for item in v.items:
            yield from walk(item)
    elif isinstance(v, Map):
        for k, item in v.items:
            yield from walk(k)
            yield from walk(item)
    elif isinstance(v, Obj):
        for _, item in v.captures:
            yield from walk(item)
    elif isinstance(v, Call):
        for item in v.args:
            yield from walk(item)
        for _, item in v.kwargs:
            yield from walk(item)
    elif isinstance(v, BinOp):
        yield from walk(v.left)
        yield from walk(v.right)
    elif isinstance(v, Concat):
        for item in v.parts:
            yield from walk(item)


def has_refs(v: Value) -> bool:
    return any(isinstance(x, Ref) for x in walk(v))


def substitute(v: Value, lookup: Callable[[Ref], Value | None], depth: int = 0, params: Mapping[str, Value] | None = None) -> Value:
    """Replace ``Ref``s using ``lookup`` (recursively, with a depth guard against import cycles);
    with ``params``, also a function's parameters (``Dynamic`` of their name) by the values a
    call site passes them (a wrapper's call site, ``link.apply_wrapper_sites``)."""
    if depth > 20:
        return Dynamic(describe(v))
    if params and isinstance(v, Dynamic) and v.text in params:
        return substitute(params[v.text], lookup, depth + 1)
    if isinstance(v, Ref):
        target = lookup(v)
        if target is None:
            return Named(v.name, Dynamic(v.qualname))
        return Named(v.name, substitute(target, lookup, depth + 1, params)) if not isinstance(target, Named) else substitute(target, lookup, depth + 1, params)
    if isinstance(v, Named):
        return Named(v.name, substitute(v.value, lookup, depth + 1, params))
    if isinstance(v, Env):
        return Env(v.var, substitute(v.default, lookup, depth + 1, params) if v.default is not None else None)
    if isinstance(v, Seq):
        return Seq(tuple(substitute(x, lookup, depth + 1, params) for x in v.items))
    if isinstance(v, Map):
        return Map(tuple((substitute(k, lookup, depth + 1, params), substitute(x, lookup, depth + 1, params)) for k, x in v.items))
    if isinstance(v, Obj):
        return Obj(v.type, tuple((k, substitute(x, lookup, depth + 1, params)) for k, x in v.captures), v.name, v.origin)
    if isinstance(v, Call):
        args = tuple(substitute(x, lookup, depth + 1, params) for x in v.args)
        if v.func in ("float", "int", "str") and len(args) == 1:
            return convert(v.func, args[0])
        return Call(v.func, args, tuple((k, substitute(x, lookup, depth + 1, params)) for k, x in v.kwargs))
    if isinstance(v, BinOp):
        return fold(v.op, substitute(v.left, lookup, depth + 1, params), substitute(v.right, lookup, depth + 1, params))
    if isinstance(v, Concat):
        parts = tuple(substitute(x, lookup, depth + 1, params) for x in v.parts)
        return simplify_concat(parts)
    return v


def simplify_concat(parts: tuple[Value, ...]) -> Value:
    out: list[Value] = []
    for p in parts:
        s = strip(p)
        if isinstance(s, Concat):
            out.extend(s.parts)
            continue
        if out and isinstance(s, Const) and isinstance(s.value, str):
            prev = strip(out[-1])
            if isinstance(prev, Const) and isinstance(prev.value, str):
                out[-1] = Const(prev.value + s.value)
                continue
        out.append(p)
    if len(out) == 1 and isinstance(strip(out[0]), Const):
        return out[0]
    return Concat(tuple(out))


def describe(v: Value | None) -> str:
    """Source-like text of a value, for messages and the ``*_expr`` fields."""
    if v is None:
        return ""
    if isinstance(v, Const):
        return repr(v.value) if isinstance(v.value, str) else str(v.value)
    if isinstance(v, Named):
        return v.name
    if isinstance(v, Ref):
        return v.name
    if isinstance(v, Env):
        return f"env {v.var}" + (f" (default {describe(v.default)})" if v.default is not None else "")
    if isinstance(v, Seq):
        return "(" + ", ".join(describe(x) for x in v.items) + ")"
    if isinstance(v, Map):
        return "{" + ", ".join(f"{describe(k)}: {describe(x)}" for k, x in v.items) + "}"
    if isinstance(v, Obj):
        args = ", ".join(f"{k}={describe(x)}" for k, x in v.captures)
        return f"{v.name or v.type}({args})"
    if isinstance(v, Call) and v.func == ONE_OF:
        return " | ".join(describe(x) for x in v.args)
    if isinstance(v, Call):
        func = "min" if v.func == "$min" else v.func  # durations.MIN_CALL: the smallest of several timeouts
        return f"{func}(" + ", ".join([describe(x) for x in v.args] + [f"{k}={describe(x)}" for k, x in v.kwargs]) + ")"
    if isinstance(v, BinOp):
        return f"{describe(v.left)} {v.op} {describe(v.right)}"
    if isinstance(v, Concat):
        return "".join(_part_text(x) for x in v.parts)
    if isinstance(v, Dynamic):
        return v.text
    return "?"


def _part_text(x: Value) -> str:
    """A part of a concatenation as text: a literal string as itself, anything else described in braces."""
    s = strip(x)
    if isinstance(s, Const) and isinstance(s.value, str):
        return s.value
    return "{" + describe(x) + "}"


def env_vars(v: Value) -> list[str]:
    return [x.var for x in walk(v) if isinstance(x, Env)]


def names_in(v: Value) -> list[str]:
    return [x.name for x in walk(v) if isinstance(x, Named)]


def at_path(v: Value | None, path: tuple[str | int, ...] | list[str | int]) -> Value | None:
    """The value at ``path`` inside ``v`` (a rule's field ``path:``), or None.

    A step is a mapping key, a key of a list of ``(key, value)`` pairs, or a list index; ``*`` is
    the first item for which the rest of the path yields a value. A string holding a JSON document
    is parsed, and a call is looked through (its keyword argument of that name, else its single
    positional argument: an encoding call around a literal).
    """
    cur = strip(v)
    for i, step in enumerate(path):
        cur = _look_through(cur, step)
        if cur is None:
            return None
        if step == "*":
            items = cur.items if isinstance(cur, Seq) else tuple(x for _, x in cur.items) if isinstance(cur, Map) else ()
            for item in items:
                found = at_path(item, tuple(path[i + 1 :]))
                if found is not None:
                    return found
            return None
        found = None
        if isinstance(cur, Map) and not isinstance(step, int):
            found = cur.get(step)
        elif isinstance(cur, Seq) and isinstance(step, int):
            found = cur.items[step] if -len(cur.items) <= step < len(cur.items) else None
        elif isinstance(cur, Seq):
            for item in cur.items:
                pair = strip(item)
                if isinstance(pair, Seq) and len(pair.items) == 2 and strip(pair.items[0]) == Const(step):
                    found = pair.items[1]
                    break
        cur = strip(found)
    return cur


PATH_CALL = "$path"  # a path into a value that needs another module's constant: resolved at link time


def deferred_path(v: Value, path: tuple[str | int, ...]) -> Value:
    return Call(PATH_CALL, (v,) + tuple(Const(p) for p in path))


def resolve_deferred_path(v: Value) -> Value | None:
    """``at_path`` of a ``deferred_path`` value (after its references were substituted)."""
    if isinstance(v, Call) and v.func == PATH_CALL and v.args:
        return at_path(v.args[0], tuple(x.value for x in v.args[1:] if isinstance(x, Const)))
    return v


def _look_through(v: Value | None, step: str | int) -> Value | None:
    if isinstance(v, Call):
        if v.kwargs and not v.args:  # dict(k=v)
            return Map(tuple((Const(k), x) for k, x in v.kwargs))
        return _look_through(strip(v.args[0]), step) if len(v.args) == 1 else None
    if isinstance(v, Const) and isinstance(v.value, str) and v.value.lstrip()[:1] in ("{", "["):
        return _parsed_json(v.value)
    return v


_JSON_CACHE: dict[str, Value | None] = {}


def _parsed_json(text: str) -> Value | None:
    if text not in _JSON_CACHE:
        import json

        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if len(_JSON_CACHE) > 256:
            _JSON_CACHE.clear()
        _JSON_CACHE[text] = _from_json(data) if data is not None else None
    return _JSON_CACHE[text]


def _from_json(data: Any) -> Value:
    if isinstance(data, dict):
        return Map(tuple((Const(str(k)), _from_json(x)) for k, x in data.items()))
    if isinstance(data, list):
        return Seq(tuple(_from_json(x) for x in data))
    return Const(data)


# ---- `where:` predicates over values (a rule's `where:` is checked at extraction and again at link time)


def value_texts(v: Any) -> list[str]:
    """Every piece of text a value carries: literals, constant and env var names, qualified names."""
    out: list[str] = []
    if v is None:
        return out
    if not isinstance(v, (Const, Named, Ref, Env, Seq, Map, Obj, Concat, Dynamic, BinOp, Call)):
        return [str(v)]
    for x in walk(v):
        if isinstance(x, Const) and x.value is not None:
            out.append(str(x.value))
        elif isinstance(x, Named):
            out.append(x.name)
        elif isinstance(x, Env):
            out.append(x.var)
        elif isinstance(x, Ref):
            out.append(x.qualname)
        elif isinstance(x, Dynamic):
            out.append(x.text)
        elif isinstance(x, Call):
            out.append(x.func)
    return out


def where_holds(value: Any, pattern: str) -> bool:
    rx = re.compile(pattern)
    return any(rx.search(t) for t in value_texts(value))


def where_may_hold(where: Iterable[tuple[str, str]], fields: dict[str, Any]) -> bool:
    """False when a ``where`` predicate already fails on a value no cross-module name can change
    (checked at extraction, so that unmatched candidates never become facts)."""
    for k, pattern in where:
        v = fields.get(k)
        if v is None or (not isinstance(v, (str, int, float, bool)) and has_refs(v)):
            continue  # filled later (id flow) or resolved at link time
        if not where_holds(v, pattern):
            return False
    return True


_TOKEN_BREAKS = re.compile(r"[\s/@:?&,;'\"()\[\]{}]")


def where_hit(value: Any, pattern: str) -> str | None:
    """The piece of the value's text a ``where`` pattern matched: a whole name (``ORDERS_REPLICA_URL``),
    or, inside a URL or DSN, the delimited token around the match (``orders-replica``,
    ``target_session_attrs=read-only``), so that credentials are never quoted."""
    rx = re.compile(pattern)
    for text in value_texts(value):
        m = rx.search(text)
        if m is None:
            continue
        start, end = m.start(), m.end()
        while start > 0 and not _TOKEN_BREAKS.match(text[start - 1]):
            start -= 1
        while end < len(text) and not _TOKEN_BREAKS.match(text[end]):
            end += 1
        return text[start:end] or m.group(0)
    return None
