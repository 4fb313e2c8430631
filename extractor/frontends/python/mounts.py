"""Mounts: calls that serve the routes of an object or a module under a prefix.

``app.include_router(router, prefix="/v1")``, ``app.register_blueprint(bp, url_prefix=...)``,
``path("api/", include("app.urls"))``: the analyzer records a ``Mount`` (prefix, target) and tags
the facts of rules that have mounts with their *owner* (``_owner``): the qualified name of the
variable holding the receiver object (``app.routers.scoring.router``), or the module for calls
without a receiver. Names are computed from the source (the binding of a name, an import), so
the same object gets the same name in the module that creates it and in the modules that import
it. The link stage (``extractor/mounts.py``) joins the two, across modules of a service.

Only rules with a ``mounts:`` section pay for any of this.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import libcst as cst

from ...values import Const, Obj, Ref, Seq, strip
from ..base import Mount
from .index import MountSpec

if TYPE_CHECKING:
    from .analyzer import Analyzer, Scope

MAX_ALIAS_DEPTH = 6


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def home_of(an: "Analyzer", expr: cst.BaseExpression, scope: "Scope", depth: int = 0) -> str | None:
    """The qualified name of the variable an expression reads (following plain aliases)."""
    if depth > MAX_ALIAS_DEPTH:
        return None
    if isinstance(expr, cst.Name):
        name = expr.value
        s: Any = scope
        first = True
        while s is not None:
            if first or s.kind != "class":
                b = s.bindings.get(name)
                if b is not None:
                    break
            first = False
            s = s.parent
        else:
            return None
        v = b.value
        if isinstance(v, Ref) and b.expr is None:  # an import: its own qualified name
            return v.qualname
        if type(v).__name__ == "SelfValue":
            return _join(an.module_name, v.cls.qualname, "self")
        if b.expr is not None and isinstance(b.expr, (cst.Name, cst.Attribute)) and not b.ambiguous:
            aliased = home_of(an, b.expr, b.scope or s, depth + 1)
            if aliased is not None:
                return aliased
        return _join(an.module_name, s.qualname, name)
    if isinstance(expr, cst.Attribute):
        base = home_of(an, expr.value, scope, depth + 1)
        if base is None:
            return None
        attr = expr.attr.value
        owner = an.evaluate(expr.value, scope)
        if isinstance(owner, Obj):  # app.router: an attribute the rule declares is part of its object
            otype = an.index.types.get(owner.type)
            if otype is not None and attr in otype.attrs:
                return base
        return f"{base}.{attr}"
    return None


def fact_owner(an: "Analyzer", node: cst.CSTNode | None, receiver: Obj | None, scope: "Scope") -> str:
    """Whose routes a fact (or a mount) belongs to: the receiver object's name, else the module."""
    inline = an.__dict__.get("_inline_owners")
    if inline and node is not None and id(node) in inline:
        return inline[id(node)]
    if receiver is None:
        return an.module_name
    func = node.func if isinstance(node, cst.Call) else None
    if isinstance(func, cst.Attribute):
        return home_of(an, func.value, scope) or ""
    return ""


def _target(an: "Analyzer", expr: cst.BaseExpression, scope: "Scope", source: str) -> str | None:
    if isinstance(expr, (cst.List, cst.Tuple)):
        calls = [el.value for el in expr.elements if isinstance(el, cst.Element) and isinstance(el.value, cst.Call)]
        if calls:  # an inline list of routes: they belong to this mount
            return _own_inline(an, calls, source)
        if expr.elements and isinstance(expr.elements[0], cst.Element):  # include(("app.urls", "app"))
            return _target(an, expr.elements[0].value, scope, source)
        return None
    v = strip(an.evaluate(expr, scope))
    if isinstance(v, Seq) and v.items:
        v = strip(v.items[0])
    if isinstance(v, Const) and isinstance(v.value, str) and v.value:  # include("app.urls")
        return v.value
    return home_of(an, expr, scope)


def _own_inline(an: "Analyzer", calls: list[cst.Call], source: str) -> str:
    """Give the calls of an inline list a synthetic owner; fix facts and mounts already made at them
    (the analyzer may match inner calls before outer ones)."""
    inline: dict[int, str] = an.__dict__.setdefault("_inline_owners", {})
    name = f"{source}#{len(set(inline.values())) + 1}"
    ids = {id(call) for call in calls}
    for call in calls:
        inline[id(call)] = name
    for fact, node in an._nodes_for_position:
        if id(node) in ids and "_owner" in fact.fields:
            fact.fields["_owner"] = name
    made: dict[int, list[int]] = an.__dict__.get("_mounts_at", {})
    for i in (i for c in ids for i in made.get(c, ())):
        an.result.mounts[i] = dataclasses.replace(an.result.mounts[i], source=name)
    return name


def record_mounts(an: "Analyzer", specs: list[MountSpec], node: cst.Call, scope: "Scope", receiver: Obj | None) -> None:
    source = fact_owner(an, node, receiver, scope)
    for spec in specs:
        expr, _ = an.find_arg(node, *spec.target)
        if expr is None:
            continue
        if spec.via:
            if not isinstance(expr, cst.Call):
                continue
            qual, _, _, _ = an.callee(expr.func, scope)
            if qual not in spec.via:
                continue
            expr, _ = an.find_arg(expr, 0, None)
            if expr is None:
                continue
        target = _target(an, expr, scope, source)
        if not target:
            continue
        prefix = an.arg_value(node, spec.prefix[0], spec.prefix[1], scope) if spec.prefix else None
        if prefix is not None and isinstance(strip(prefix), Const) and strip(prefix).value is None:  # type: ignore[union-attr]
            prefix = None
        own = receiver.capture(spec.own_prefix) if receiver is not None and spec.own_prefix else None
        an.__dict__.setdefault("_mounts_at", {}).setdefault(id(node), []).append(len(an.result.mounts))
        an.result.mounts.append(
            Mount(prefix, target, 0, source, spec.rule.id, spec.field, spec.own_prefix, own, spec.replaces)
        )
