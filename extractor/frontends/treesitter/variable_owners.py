"""Routes owned by the variable that holds the router: the engine's mounts for languages whose
routers live in module variables imported across modules.

The engine's default (``match.record_mounts``) names a router by its constructor's origin, which
joins routers within one file or one package pass. Here the owner of a route fact and of a mount
is the qualified name of the variable the router is read from (``app.api.router``, following
plain aliases; ``self.x`` of a class is ``<module>.<Class>.self.x``), so the link stage joins
``app.include_router(router)`` in one module with the routes of ``router`` defined in another.
A mount of an inline list of routes (``include([path(...), path(...)])``) gives them a synthetic
owner of their own. Everything is read through the adapter's hooks (``IDENTIFIER_TYPES``,
``member_parts``, ``CALL_TYPES``, ``site``) and ``ROUTE_LIST_TYPES`` (the literal lists a mount
target may be).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ...values import Const, Obj, Ref, Seq, strip
from ..base import Mount
from .engine import OWNER_CAPTURE, Analyzer, Instance, Scope, Site
from .index import MatchSpec

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_ALIAS_DEPTH = 6


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


class VariableOwners(Analyzer):
    """The engine with variable-named route owners (see the module docstring)."""

    ROUTE_LIST_TYPES: frozenset[str] = frozenset()  # list / tuple literals: a mount of inline routes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inline_owners: dict[int, str] = {}  # node id of a call in an inline route list → synthetic owner
        self._mount_index: dict[int, list[int]] = {}  # call node id → indexes in result.mounts
        self._owner_facts: list[tuple[list[dict[str, Any]], int]] = []  # (facts' fields, node id) of facts that carry an owner

    def home_of(self, expr: Node, scope: Scope, depth: int = 0) -> str | None:
        """The qualified name of the variable an expression reads (following plain aliases)."""
        if depth > MAX_ALIAS_DEPTH:
            return None
        if expr.type in self.IDENTIFIER_TYPES:
            name = self.text(expr)
            s: Scope | None = scope
            first = True
            b = None
            while s is not None:
                if first or s.kind != "class":  # an enclosing class body is no scope of its members
                    b = s.bindings.get(name)
                    if b is not None:
                        break
                first = False
                s = s.parent
            if b is None or s is None:
                return None
            v = b.value
            if isinstance(v, Ref) and b.expr is None:
                return v.qualname
            if isinstance(v, Instance) and v.name == "self":
                return _join(self.module_name, v.cls.qualname, "self")
            if b.expr is not None and (b.expr.type in self.IDENTIFIER_TYPES or self.member_parts(b.expr) is not None) and not b.ambiguous:
                aliased = self.home_of(b.expr, b.scope or s, depth + 1)
                if aliased is not None:
                    return aliased
            return _join(self.module_name, s.qualname, name)
        parts = self.member_parts(expr)
        if parts is None:
            return None
        obj, attr = parts
        base = self.home_of(obj, scope, depth + 1)
        if base is None:
            return None
        owner = self.evaluate(obj, scope)
        if isinstance(owner, Obj):
            otype = self.index.types.get(owner.type)
            if otype is not None and attr in otype.attrs:  # app.router: the app's own router
                return base
        return f"{base}.{attr}"

    def fact_owner(self, node: Node | None, receiver: Obj | None, scope: Scope) -> str:
        """Whose routes a call's facts are: the variable its receiver is read from."""
        if node is not None and node.id in self._inline_owners:
            return self._inline_owners[node.id]
        if receiver is None:
            return self.module_name
        func = node.child_by_field_name("function") if node is not None and node.type in self.CALL_TYPES else None
        parts = self.member_parts(func) if func is not None else None
        if parts is not None:
            return self.home_of(parts[0], scope) or ""
        return ""

    def build_fields(self, spec: MatchSpec, site: Site | None, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> list[dict[str, Any]]:
        out = super().build_fields(spec, site, scope, receiver, env)
        if spec.rule.id in self.index.mount_rules:
            owner = self.fact_owner(site.node if site is not None else None, receiver, scope)
            for fields in out:
                fields[OWNER_CAPTURE] = owner
            if site is not None:
                self._owner_facts.append((out, site.node.id))
        return out

    def record_mounts(self, qual: str, site: Site, scope: Scope, receiver: Obj | None) -> None:
        if site.node.id in self._mounts_at:
            return
        self._mounts_at.add(site.node.id)
        source = self.fact_owner(site.node, receiver, scope)
        for spec in self.index.mounts[qual]:
            expr = self.find_arg(site, *spec.target)
            if expr is None:
                continue
            if spec.via:  # include("app.urls"): the argument of the call named in via
                inner = self.site(expr, scope) if expr.type in self.CALL_TYPES else None
                if inner is None or self.callee(inner.func, scope)[0] not in spec.via:
                    continue
                expr = self.find_arg(inner, 0, None)
                if expr is None:
                    continue
            target = self.mount_target(expr, scope, source)
            if not target:
                continue
            prefix = self.site_value(site, spec.prefix[0], scope, spec.prefix[1]) if spec.prefix else None
            if prefix is not None and isinstance(sp := strip(prefix), Const) and sp.value is None:
                prefix = None
            own = receiver.capture(spec.own_prefix) if receiver is not None and spec.own_prefix else None
            self._mount_index.setdefault(site.node.id, []).append(len(self.result.mounts))
            self.result.mounts.append(Mount(prefix, target, 0, source, spec.rule.id, spec.field, spec.own_prefix, own, spec.replaces))

    def mount_target(self, expr: Node, scope: Scope, source: str) -> str | None:
        """What a mount serves: a module path string, the variable of a router, or inline routes."""
        if expr.type in self.ROUTE_LIST_TYPES:
            els = [c for c in expr.named_children if c.type not in self.COMMENT_TYPES]
            calls = [c for c in els if c.type in self.CALL_TYPES]
            if calls:  # an inline list of routes: they belong to this mount
                return self._own_inline(calls, source)
            if els:
                return self.mount_target(els[0], scope, source)
            return None
        v = strip(self.to_value(self.evaluate(expr, scope)))
        if isinstance(v, Seq) and v.items:
            v = strip(v.items[0])
        if isinstance(v, Const) and isinstance(v.value, str) and v.value:
            return v.value
        return self.home_of(expr, scope)

    def _own_inline(self, calls: list[Node], source: str) -> str:
        name = f"{source}#{len(set(self._inline_owners.values())) + 1}"
        ids = {c.id for c in calls}
        for c in calls:
            self._inline_owners[c.id] = name
        for out, nid in self._owner_facts:
            if nid in ids:
                for fields in out:
                    if OWNER_CAPTURE in fields:
                        fields[OWNER_CAPTURE] = name
        for i in (i for c in ids for i in self._mount_index.get(c, ())):
            self.result.mounts[i] = dataclasses.replace(self.result.mounts[i], source=name)
        return name
