"""Calls made inside a library module of the repository, carried to the services that call it.

A library module (a folder of the repository that is no service: a shared client the services
depend on) may make a service's calls for it: the service calls the library's method, and the
library's code makes the HTTP call, to a service named by an argument of the service's call
(an enum constant: ``Backend.ORDERS``, whose constructor argument ``"orders-service"`` is the name
the callee registers under). The call fact is the library's (a file of no service: no caller) and
its address is not known there. This pass, in the link stage, carries such a call to each service
that makes it:

- a candidate is a call fact (``http_call``, ``grpc_call``) in a file of no service, inside a
  function, whose target names neither a service nor a host;
- from the call outwards: a function literal's enclosing call in its parent function (innermost
  first) may pass the naming argument (the load balancer's ``run(Backend.ORDERS, "path",
  client -> ...)``: the literal receives the client the call chose by that argument); a named
  function's call sites (in every file; at most ``CARRY_DEPTH`` hops) bind a parameter the name was
  passed in (``getEntity(Backend.ORDERS, ...)`` → ``run(service, ...)``);
- at the first call site in a service's file, once the name is an enum constant whose constructor
  call's text arguments name exactly one service of the inventory (a name or alias, exactly), the
  call is a new fact of that service at that site: the library fact's fields, the target that
  service (``via: constant``, ``expr``: the constant), and ``through``: the sites from the service's
  call inwards to the library's call (the files read), each with that target.

A service's own call of that shape (in a function literal passed with such a constant) gets its
target the same way, in place. Nothing else is carried: a name that stays a parameter, a constant
of no enum the scan read, a text naming no service or two, a constant passed to a function that
makes the call without passing it to a call around it (it only tags the call), a chain that never
reaches a service's file. The library's own fact is kept as it was. A JVM method's overloads share
a name: a literal's parent is the overload whose lines hold it, a site binds the overload of its
arity. Reads only the files' summaries (``FileSummary.functions``, ``enums``): no file is parsed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .environment import AddressBook
from .facts import Fact, FactRef
from .frontends.base import FileResult
from .values import Const, Dynamic, Ref, Value, strip

CARRIED_KINDS = frozenset({"http_call", "grpc_call"})
CARRY_DEPTH = 6
"""Call-site hops followed outwards from the library's call (a function literal's parent is no hop)."""

FnKey = tuple[str, str]


def _unknown_target(fact: Fact) -> bool:
    target = fact.fields.get("target")
    return isinstance(target, dict) and not target.get("service") and not target.get("host")


def _enum_table(results: Iterable[FileResult]) -> dict[str, tuple[Value, ...]]:
    """Module-qualified enum constant → its constructor call's arguments (a JVM file's module is
    its class: ``com.acme.Backend`` + ``Backend.ORDERS`` is ``com.acme.Backend.ORDERS``)."""
    out: dict[str, tuple[Value, ...]] = {}
    for res in results:
        summary = res.summary
        if summary is None:
            continue
        for name, args in summary.enums:
            out[summary.qualify(name)] = args
            head, _, rest = name.partition(".")
            if summary.module and summary.module.rpartition(".")[2] == head and rest:
                out[f"{summary.module}.{rest}"] = args
    return out


def _named_service(args: tuple[Value, ...], book: AddressBook) -> str | None:
    """The one service a constant's constructor arguments name (a text equal to a service's name
    or alias), else None (none, or two)."""
    found = set()
    for a in args:
        c = strip(a)
        if isinstance(c, Const) and isinstance(c.value, str) and c.value:
            svc = book.alias_to_service.get(c.value) or book.alias_to_service.get(c.value.lower())
            if svc is not None:
                found.add(svc)
    return found.pop() if len(found) == 1 else None


class _Name:
    """What names the callee at a point of the walk: a resolved service (with the constant as
    written), or parameters of the current function still to bind (one of them will name it), or
    nothing yet."""

    __slots__ = ("service", "expr", "params")

    def __init__(self, service: str | None = None, expr: str | None = None, params: frozenset[str] = frozenset()) -> None:
        self.service, self.expr, self.params = service, expr, params


def carry_library_calls(facts: list[Fact], results: list[FileResult], service_of: dict[str, str | None], book: AddressBook) -> list[Fact]:
    """The new facts: each library call (module doc) at each service's call site that makes it."""
    candidates = [f for f in facts if f.kind in CARRIED_KINDS and f.scope and _unknown_target(f)]
    if not candidates:
        return []
    enums = _enum_table(results)
    if not enums:
        return []
    from .link import _bind, _resolve, class_bases
    from .reach import ServiceCalls

    index = ServiceCalls()
    for res in sorted(results, key=lambda r: r.path):
        if res.summary is not None:
            index.add(res.summary)
    bases = class_bases(index)
    overloads = index.functions  # (file, qualname) → its functions: a JVM method's overloads share a name

    def function(key: FnKey, line: int) -> Any:
        """The function of that name whose lines hold ``line`` (an overload), else the first."""
        found = overloads.get(key) or []
        return next((f for f in found if f.line <= line <= max(f.end_line, f.line)), found[0] if found else None)

    sites: dict[FnKey, list[tuple[str, Any, Any]]] = {}
    for path, summary in sorted(index.files.items()):
        for owner, calls in [(None, summary.calls)] + [(fn, fn.calls) for fn in summary.functions]:
            for call in calls:
                if call.callee is None and call.local is None:  # an unresolved name: any function of that name, too wide
                    continue
                for target in dict.fromkeys(_resolve(index, call, path, bases)):
                    sites.setdefault(target, []).append((path, owner, call))

    def resolve(values: Iterable[Value | None], owner: Any) -> _Name:
        """What the arguments ``values`` name: the one service the enum constants among them name
        (two: nothing), else the parameters of ``owner`` among them (to bind at its call sites)."""
        named: dict[str, str] = {}
        params: set[str] = set()
        for value in values:
            v = strip(value) if value is not None else None
            if isinstance(v, Ref) and v.qualname in enums:
                svc = _named_service(enums[v.qualname], book)
                if svc is not None:
                    cls, _, const = v.qualname.rpartition(".")
                    named.setdefault(svc, f"{cls.rpartition('.')[2]}.{const}")
            elif isinstance(v, Dynamic) and owner is not None and any(p.name == v.text for p in owner.params):
                params.add(v.text)
        if len(named) == 1:
            svc, expr = next(iter(named.items()))
            return _Name(service=svc, expr=expr)
        return _Name(params=frozenset(params)) if not named else _Name()

    def enclosing(path: str, fn: Any, name: _Name) -> tuple[Any, _Name]:
        """From a function literal out to its named function: each parent's innermost call spanning
        the literal that passes a naming argument (when nothing names the callee yet)."""
        while fn is not None and fn.parent:
            parent = function((path, fn.parent), fn.line)
            if parent is None:
                break
            if name.service is None and not name.params:
                around = sorted(
                    (c for c in parent.calls if c.line <= fn.line and fn.end_line <= max(c.end_line, c.line)),
                    key=lambda c: (c.end_line - c.line, -c.line, -c.col),
                )
                for c in around:
                    got = resolve(c.args, parent)
                    if got.service is not None or got.params:
                        name = got
                        break
            fn = parent  # a pending parameter the literal reads is its parent's (a closure): bound at the parent's sites
        return fn, name

    def walk(path: str, fn: Any, name: _Name, chain: list[dict[str, Any]], depth: int, svc: str | None, made: dict[Any, Any], seen: set[Any]) -> None:
        """The call sites of ``fn`` (outwards, depth first): at the first in a service's file
        with the callee named, the carried fact's place (``made``); through a library's sites on."""
        fn, name = enclosing(path, fn, name)
        if fn is None or depth > CARRY_DEPTH or (path, fn.qualname, name.service, name.params) in seen:
            return
        seen.add((path, fn.qualname, name.service, name.params))
        for spath, owner, call in sites.get((path, fn.qualname), ()):
            here = service_of.get(spath)
            if svc is not None and here != svc:  # inside a service: its own wrappers only
                continue
            if len(overloads.get((path, fn.qualname), ())) > 1 and len(call.args) != len(fn.params):  # another overload's call
                continue
            got = name
            if name.params:  # the site gives the parameters: a constant, or its own parameters
                binding = _bind(fn, call)
                got = resolve([binding.get(p) for p in sorted(name.params)], owner)
            step = [{"file": spath, "line": call.line}, *chain]
            if here is not None and got.service is not None:
                made.setdefault((spath, call.line, call.col), (owner, got, step))
            elif owner is not None and depth < CARRY_DEPTH:
                walk(spath, owner, got, step, depth + 1, here, made, seen)

    next_key: dict[str, int] = {}
    for f in facts:
        next_key[f.file] = max(next_key.get(f.file, 0), abs(f.key))
    out: list[Fact] = []
    for fact in sorted(candidates, key=Fact.sort_key):
        start = function((fact.file, fact.scope), fact.line)
        if start is None:
            continue
        if fact.service is not None:  # a service's own call in a function literal: the enclosing call may name its target
            _, name = enclosing(fact.file, start, _Name())
            if name.service is not None:
                fact.fields["target"] = _target(name, fact.fields.get("target") or {})
            continue
        made: dict[tuple[str, int, int], tuple[Any, _Name, list[dict[str, Any]]]] = {}
        walk(fact.file, start, _Name(), [{"file": fact.file, "line": fact.line}], 1, None, made, set())
        for (spath, line, col), (owner, name, step) in sorted(made.items(), key=lambda kv: kv[0]):
            next_key[spath] = next_key.get(spath, 0) + 1  # after the file's keys (derived facts take -key)
            out.append(_carried(fact, spath, line, col, owner, name, step, service_of, next_key[spath]))
    return out


def _carried(
    fact: Fact, path: str, line: int, col: int, owner: Any, name: _Name, step: list[dict[str, Any]], service_of: dict[str, str | None], key: int
) -> Fact:
    """The library's call as a fact of the service at its call site (module doc)."""
    target = _target(name, fact.fields.get("target") or {})
    fields = {k: _refs_in(v, fact.file) for k, v in fact.fields.items() if k != "through"}
    fields["target"] = target
    fields["through"] = [
        {
            "file": s["file"],
            "line": s["line"],
            "method": fields.get("method"),
            "url": fields.get("url"),
            "target": dict(target),
            "timeout_ms": fields.get("timeout_ms"),
            "timeout_source": fields.get("timeout_source") or "none",
        }
        for s in step
    ]
    return Fact(
        kind=fact.kind,
        rule=fact.rule,
        file=path,
        line=line,
        col=col,
        confidence=fact.confidence,
        fields=fields,
        service=service_of.get(path),
        scope=owner.qualname if owner is not None else "",
        anchor=f"{fact.anchor} @ {fact.file}",
        key=key,
    )


def _target(name: _Name, old: dict[str, Any]) -> dict[str, Any]:
    return {"service": name.service, "host": None, "port": None, "via": "constant", "expr": name.expr or old.get("expr")}


def _refs_in(v: Any, file: str) -> Any:
    """``v`` with its fact references made explicit about their file (the library's)."""
    if isinstance(v, FactRef):
        return FactRef(v.key, v.file or file)
    if isinstance(v, list):
        return [_refs_in(x, file) for x in v]
    if isinstance(v, dict):
        return {k: _refs_in(x, file) for k, x in v.items()}
    return v
