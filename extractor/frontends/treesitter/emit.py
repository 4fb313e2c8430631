"""Facts and what is attached to them: emission, policy scopes, exports, impl-rule events.

``emit`` turns matched fields into a ``RawFact`` (position, enclosing scope, the summary's fact
list); ``function_scopes`` and ``attach_policies`` put policies around the functions and calls
they cover; ``collect_exports`` records the module's exported objects for the second pass;
``impl_event`` sends engine events to ``impl:`` rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...facts import Diagnostic, FactRef
from ...values import BinOp, Call, Concat, Const, Env, Map, Named, Obj, Ref, Seq, has_refs
from ..base import RawFact
from .index import MatchSpec
from .objects import ObjectBuilder
from .policies import CALL_KINDS, COVERED_KINDS, object_policies, policy_mark
from .scopes import ClassInfo, FunctionValue, Instance, Scope, Site

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node


class Emitter(ObjectBuilder):
    """Fact emission and policy attachment (see the module docstring)."""

    def ref(self, fact: RawFact) -> FactRef:
        return FactRef(fact.key, self.path)

    def emit(
        self, kind: str, rule_id: str, node: Node, fields: dict[str, Any], scope: Scope | None = None, anchor: str | None = None, receiver: Any = None
    ) -> RawFact:
        if node.id in self._emitted:
            key = self._next_key
            self._next_key += 1
        else:
            key = self.node_key(node)
            self._emitted.add(node.id)
        line, col = self.position(node)
        fact = RawFact(
            kind=kind,
            rule=rule_id,
            line=line,
            col=col,
            fields=fields,
            scope=scope.qualname if scope else "",
            anchor=anchor if anchor is not None else self.anchor_text(node),
            key=key,
        )
        self.result.facts.append(fact)
        if self.summary is not None:
            self.summary.fact(key, scope)
        fn = scope.function.qualname if scope is not None and scope.function is not None else None
        self.policies.on_fact(fact, receiver, fn)
        if (
            fn is not None and scope is not None and kind in COVERED_KINDS
        ):  # a closure's facts are its enclosing function's too (op := func() { cb.Execute(func() {...}) })
            inner = scope.function
            while inner is not None and inner.node.type in self.FUNCTION_TYPES and inner.scope.function is not None:
                inner = inner.scope.function
                self.policies.facts_in_function.setdefault(inner.qualname, []).append(fact)
        if kind == "id_generation" and self.idflow is not None:
            self.idflow.on_id_fact(fact, node)
        if kind in CALL_KINDS:
            fallback = self.fallback_here()
            if fallback is not None:
                fields["fallback"] = Const(fallback)
        return fact

    @staticmethod
    def _tidy_paths(fields: dict[str, Any]) -> dict[str, Any]:
        """Without ``{method}``, a template's dangling separator goes (``Risk/`` → ``Risk``)."""
        for k, v in fields.items():
            if isinstance(v, Const) and isinstance(v.value, str) and v.value.endswith("/") and len(v.value) > 1:
                fields[k] = Const(v.value.rstrip("/"))
        return fields

    def function_scopes(self, qual: str, site: Site, scope: Scope, receiver: Obj | None, own: list[FactRef] | None = None) -> None:
        refs = object_policies(receiver) if receiver is not None else []
        if refs:
            fallback = self.fallback_here()
            if fallback is not None:  # breaker.call(fn) inside a try whose except returns a default
                self.policies.on_fallback(refs, fallback)
        refs += [r for r in own or () if r not in refs]
        for spec in self.index.scopes[qual]:
            node = self.find_arg(site, spec.arg, spec.kw)
            if node is None:
                continue
            if node.type in self.FUNCTION_TYPES:  # a function literal: covered when it is walked (as a closure)
                known = self._literal_policies.setdefault(node.id, [])
                known.extend(r for r in list(self.policies.stack) + refs if r not in known)
                continue
            fv = self.evaluate(node, scope)
            if isinstance(fv, FunctionValue):
                if fv.fn.node.type in self.FUNCTION_TYPES and fv.fn.node.id not in self._fn_scopes:
                    known = self._literal_policies.setdefault(fv.fn.node.id, [])  # a literal bound to a name, walked later
                    known.extend(r for r in list(self.policies.stack) + refs if r not in known)
                name = self.literal_name(fv.fn.node.id) or fv.fn.qualname  # a literal walked already (op := func() {...}): its facts carry the walk's name
                self.policies.on_local_call(name, refs)
            elif node.type in self.IDENTIFIER_TYPES and scope.function is not None:  # the function's own parameter: its callers' literals
                params = [p for p, _ in self.function_params(scope.function.node)]
                if (text := self.text(node)) in params:
                    self.policies.run_param(scope.function.qualname, params.index(text), refs)

    def literal_name(self, node_id: int) -> str | None:
        """The function name a walked function literal's facts are recorded under."""
        walked = self._fn_scopes.get(node_id)
        return walked.function.qualname if walked is not None and walked.function is not None else None

    def attach_policies(self, spec: MatchSpec, site: Site, scope: Scope, refs: list[FactRef]) -> None:
        """``axiosRetry(client, {...})``: the policy facts of this call cover every call made through
        the object passed at ``attach`` from here on (a name rebound with the policy as a capture,
        a field of a same-file type, or a module's default instance)."""
        if not refs or spec.attach is None:
            return
        node = self.find_arg(site, *spec.attach)
        if node is None:
            return
        marks = [policy_mark(r, self.path) for r in refs]
        parts = self.member_parts(node)
        if node.type in self.IDENTIFIER_TYPES:
            name = self.text(node)
            b = scope.lookup(name)
            cur = self.binding_value(b, name) if b is not None else self.unbound_name(name)
            if isinstance(cur, Ref):
                self._ref_policies.setdefault(cur.qualname, []).extend(refs)
                return
            if not isinstance(cur, Obj) or b is None:
                return
            for m in marks:
                cur = self.with_capture(cur, "_policy", m, append=True)
            self.bind(scope, name, value=cur, rebind=True)
        elif parts is not None:
            base = self.evaluate(parts[0], scope)
            if isinstance(base, Instance):
                cur = self.instance_member(base, parts[1], node)
                if isinstance(cur, Obj):
                    for m in marks:
                        cur = self.with_capture(cur, "_policy", m, append=True)
                    base.cls.member_cache[parts[1]] = cur

    # ---------------------------------------------------------------- exports
    def collect_exports(self) -> None:
        """Module-level values (constants other files of the module read, resolved at link time)
        and the tracked objects of same-file types' fields (``Server.client``), which other files
        of the module receive in the scan's package pass."""
        out = self.result.exports
        skipped: list[str] = []
        for name, b in self.module_scope.bindings.items():
            if isinstance(b.value, FunctionValue) and (made := self.decorated_object(b.value.fn)) is not None:
                out[name] = made  # a function its decorator made an object (@app.task): other files' charge.delay(...)
                continue
            if b.expr is None and b.type_node is None and not (self.EXPORT_IMPORTS and isinstance(b.value, Ref) and b.value.qualname != name):
                continue
            v = self.export_value(name, skipped, self.binding_value, b, name)
            if isinstance(v, (Const, Named, Env, Seq, Map, Concat, Obj, Call, BinOp)) or (self.EXPORT_IMPORTS and isinstance(v, Ref)):
                out[name] = self.to_value(v)
        if self.EXPORT_CLASS_MEMBERS:
            for cls in self._classes.values():
                for attr in self.exported_members(cls):
                    v = self.export_value(f"{cls.name}.{attr}", skipped, self.instance_member, Instance(cls), attr, None)
                    if isinstance(v, Obj) or (isinstance(v, (Env, Named, Concat)) and not has_refs(v)):  # a client, or an address read from the environment
                        out[f"{cls.name}.{attr}"] = v if isinstance(v, Obj) else self.to_value(v)
        self.report_skipped_exports(skipped)

    def export_value(self, name: str, skipped: list[str], read: Callable[..., Any], *args: Any) -> Any:
        """``read(*args)``, or None (``name`` noted in ``skipped``) when its value is nested too deeply to evaluate."""
        try:
            return read(*args)
        except RecursionError:
            skipped.append(name)
            return None

    def report_skipped_exports(self, skipped: list[str]) -> None:
        """Exports other files would have read are missing: the file says so (``too_deep``)."""
        if skipped:
            shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
            message = f"values other files read are missing, nested too deeply to evaluate: {shown}"
            self.result.diagnostics.append(Diagnostic(self.path, "too_deep", message, severity="warning"))

    def exported_members(self, cls: ClassInfo) -> list[str]:
        """Fields of a same-file type worth exporting: declared with a tracked type, or assigned."""
        if cls.members is None:
            self.collect_members(cls)
        names = [a for a in (cls.members or {}) if a not in cls.member_types]
        for attr, (tnode, tscope) in cls.member_types.items():
            if attr in (cls.members or {}):
                names.append(attr)
                continue
            t = self.resolve_type(tnode, tscope)
            if isinstance(t, Ref) and self.index.tracked(t.qualname) is not None:
                names.append(attr)
        return names

    def impl_hooks(self, event: str) -> list[Any]:
        """The impl rules that define a handler for ``event`` (cached per analyzer)."""
        found = self._impl_hooks.get(event)
        if found is None:
            found = self._impl_hooks[event] = [i for i in self.index.impls if hasattr(i, event)]
        return found

    def impl_event(self, event: str, node: Node, scope: Scope) -> None:
        """Tell the impl rules (``impl:`` classes, e.g. hand-written retries) about a statement:
        ``on_loop`` / ``after_loop``, ``on_try`` / ``after_try``. Adapters call it around the
        statement's walk; an impl may emit facts and push policy scopes."""
        for impl in self.impl_hooks(event):
            getattr(impl, event)(self, node, scope)
