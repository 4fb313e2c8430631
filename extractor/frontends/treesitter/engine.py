"""The generic tree-sitter analyzer: one engine for every tree-sitter language.

A language adapter (``python.py``, ``go.py``, ``java.py``, ``javascript.py``, ``csharp.py``,
``kotlin.py``) subclasses ``Analyzer`` and implements the syntax hooks listed under "language
hooks" below: how imports, names, calls, arguments, constructors, literals, declared types and
statements are spelled. The engine does the rest, the same way for every language:

- **scopes and bindings**: module, function and closure scopes; names bound lazily to the
  expression (or declared type) they were assigned, rebound in statement order during the walk;
  a multi-value assignment binds the first name to the call (``conn, err := grpc.Dial(...)``);
- **lazy symbolic evaluation** into ``extractor.values`` (memoised per binding, depth-guarded):
  constants, env reads, arithmetic, concatenation, objects built by tracked constructors with
  their captures, same-file functions' return values (with the call's arguments bound), fields
  of same-file types (struct literals and assignments anywhere in the file);
- **rule matching** by resolved qualified name with dict lookups in the compiled ``TsIndex``;
- **facts** with positions straight from ``node.start_point`` (1-based line and column);
- **policy scopes** with ``policies.PolicyTracker``;
- **raw queries** (``queries:`` in a rule) for shapes names cannot express.

Walking is iterative: an explicit stack per expression, a dict dispatch on ``node.type`` per
statement, nothing else per node.

The engine is split by responsibility into a chain of classes (each module's class subclasses
the one below it, so a method call is one attribute lookup, as in a single class):
``scopes.py`` (data: scopes, bindings, functions, types, sites), ``core.py`` (the language hooks
and the per-file state), ``evaluate.py`` (values), ``objects.py`` (tracked objects),
``emit.py`` (facts, policies, exports), ``match.py`` (rule matching and field reading) and this
module's ``Analyzer`` (the walk). The names adapters import stay importable from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ...facts import Diagnostic, FactRef
from ...values import Obj
from ..base import FileResult
from .match import Matcher
from .policies import POLICY_KINDS, object_policies
from .scopes import MAX_LITERAL_ITEMS, OWNER_CAPTURE, UNBOUND, Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node

__all__ = [
    "MAX_LITERAL_ITEMS",
    "OWNER_CAPTURE",
    "UNBOUND",
    "Analyzer",
    "Binding",
    "ClassInfo",
    "ClassValue",
    "FunctionInfo",
    "FunctionValue",
    "Instance",
    "Opaque",
    "Scope",
    "Site",
]


class Analyzer(Matcher):
    """Analyse one file. Subclasses implement the language hooks; ``run()`` returns the result."""

    # ================================================================ entry
    def run(self) -> FileResult:
        res = self.result
        src = self.source
        res.lines = src.count(b"\n") + (0 if src.endswith(b"\n") or not src else 1)
        root = self.tree.root_node
        if root.has_error:
            line = self._first_error_line(root)
            res.diagnostics.append(
                Diagnostic(
                    self.path, "syntax_error", f"parsed with errors (first near line {line}); analysed what could be parsed", line=line, severity="warning"
                )
            )
        res.parsed = True
        for impl in self.impl_hooks("start"):  # impl rules are shared by every file: a file begins with their state reset
            impl.start(self)
        try:
            self.prescan(root)
            self.walk_root(root)
            if self.index.queries:
                self.run_queries(root)
            for impl in self.impl_hooks("finish"):
                impl.finish(self)
            if self.policies.passed:
                self.policies.run_passed(self.literal_name)
            self.policies.finish()
            if self.idflow is not None:
                self.idflow.finish()
            if self._wrapped_inner:  # an id made by a wrapper is reported where the wrapper is called
                drop = {self._keys[n] for n in self._wrapped_inner if n in self._keys}
                res.facts = [f for f in res.facts if not (f.kind == "id_generation" and f.key in drop)]
        except RecursionError:
            res.diagnostics.append(
                Diagnostic(self.path, "too_deep", "analysis stopped: code nested too deeply; facts past that depth are missing", severity="warning")
            )
        if self.module_name:  # exports are looked up by module name at link time
            self.collect_exports()
        if self.summary is not None:
            res.summary = self.summary.finish(self, self._return_cache)
        return res

    def walk_function(self, fn: FunctionInfo) -> None:
        fscope = self.function_scope(fn)
        self._fn_scopes[fn.node.id] = fscope
        covering: list[FactRef] = []
        dsites = self.decorators(fn)
        dquals = [self.callee(d.func, fn.scope)[0] for d in dsites] if dsites else []
        if self.summary is not None:
            self.summary.enter(self, fn, dsites, dquals)
        bounds = len(self._scope_timeouts)
        self._scope_timeouts += self._literal_timeouts.get(fn.node.id, ())
        if dsites:  # a field spec may read a sibling decorator (decorator: [...])
            self._decorator_sites = list(zip(dquals, dsites))
            first = len(self.result.facts)
            for dsite in dsites:
                holder = dsite.node.parent.parent if dsite.node.parent is not None else None
                if fn.cls is None or holder is None or holder.id != fn.cls.node.id:
                    covering += self.match_decorator(dsite, fn, fscope)
                    continue
                if dsite.node.id not in self._class_decorator_refs:  # a class's policy annotation (java.py), one fact for all its methods
                    self._class_decorator_refs[dsite.node.id] = self.match_decorator(dsite, fn, fscope)
                covering += self._class_decorator_refs[dsite.node.id]
            self._decorator_sites = []
            if covering:  # a call a decorator declares (a client interface's @Get) is the method's: its policy decorators cover it
                self.policies.cover_declared(self.result.facts[first:], covering)
        covering += [r for r in self._literal_policies.get(fn.node.id, ()) if r not in covering and r not in self.policies.stack]
        if self.idflow is not None:
            self.idflow.enter_function(fscope, fn.qualname, [name for name, _ in self.function_params(fn.node)])
        self.stack.append(fn.node)
        entered = self.policies.enter(covering)
        if covering:
            self.policies.decorated[fn.qualname] = covering
        try:
            self.impl_event("on_function", fn.node, fscope)
            self.walk_body(fn, fscope)
            self.impl_event("after_function", fn.node, fscope)
        finally:
            self.policies.leave(entered)
            self.stack.pop()
            del self._scope_timeouts[bounds:]  # a decorator's time limit ends with the function

    def closure(self, node: Node, scope: Scope) -> FunctionInfo:
        if scope.function is not None:
            scope.closures += 1
            qual = f"{scope.qualname}.func{scope.closures}"
        else:
            self.module_scope.closures += 1
            qual = f"func{self.module_scope.closures}"
        return FunctionInfo(node, scope, qual, qual.rpartition(".")[2], scope.cls)

    # ================================================================ walking
    def walk_statement(self, node: Node, scope: Scope) -> None:
        handler = self._stmt.get(node.type)
        if handler is not None:
            handler(node, scope)
        elif node.type in self.CONTAINERS:
            for child in node.named_children:
                self.walk_statement(child, scope)
        else:
            self.walk_expr(node, scope)

    def walk_expr(self, root: Node | None, scope: Scope) -> None:
        """Match every call inside an expression; function literals are walked after (as closures)."""
        if root is None:
            return
        subscripts = self.impl_hooks("on_subscript") if self.SUBSCRIPT_TYPES else ()
        if self.CALL_BYTE:  # no call, function or (watched) subscript can be inside: nothing to walk
            source, start, end = self.source, root.start_byte, root.end_byte
            if source.find(self.CALL_BYTE, start, end) < 0 and not (subscripts and source.find(self.SUBSCRIPT_BYTE, start, end) >= 0):
                return
        stack = [root]
        pop, push = stack.pop, stack.extend
        calls: list[Node] = []
        funcs: list[Node] = []
        call_types, fn_types, leaves = self.CALL_TYPES, self.FUNCTION_TYPES, self.LEAF_TYPES
        while stack:
            node = pop()
            t = node.type
            if t in leaves:
                continue
            if t in fn_types:
                funcs.append(node)
                continue
            if t in call_types:
                calls.append(node)
            elif subscripts and t in self.SUBSCRIPT_TYPES:  # impl rules see subscripts (connections["replica"])
                for impl in subscripts:
                    impl.on_subscript(self, node, scope)
            push(node.named_children)
        mark = len(self._pending_sinks)
        passing = len(self.idflow.pending) if self.idflow is not None else 0
        for call in calls:  # outer first: a constructor with a callback binds the literal's parameter first
            site = self.site(call, scope)
            if site is not None:
                self.match_call(site, scope)
        if self.idflow is not None and len(self.idflow.pending) > passing:
            self.idflow.flush_calls(passing)  # the ids made in these calls' arguments are known now
        if len(self._pending_sinks) > mark:
            sinks = self._pending_sinks[mark:]
            del self._pending_sinks[mark:]
            if self.idflow is not None and self.idflow.active():
                for fact, site, sscope in sinks:
                    self.idflow.on_outbound(fact, site, sscope)
        for fnode in funcs:
            self.invoked_with(fnode, scope)
            self.walk_function(self.closure(fnode, scope))

    def invoked_with(self, fnode: Node, scope: Scope) -> None:
        """A function literal called where it is written (Go's ``go func(m T) {...}(m)``): the first
        parameter given a tracked object is bound to that object."""
        call = fnode.parent
        if call is None or call.type not in self.CALL_TYPES or fnode.id in self._callbacks:
            return
        site = self.site(call, scope)
        if site is None or site.func is None or site.func.id != fnode.id:
            return
        for i, arg in enumerate(site.args):
            v = self.evaluate(arg, scope)
            if isinstance(v, Obj):
                self._callbacks[fnode.id] = (i, v)
                return

    # ---------------------------------------------------------------- impl rules and id wrappers
    def st_if(self, node: Node, scope: Scope) -> None:
        """An if statement whose branches are the ``consequence`` and ``alternative`` fields."""
        self.walk_expr(node.child_by_field_name("condition"), scope)
        for part in ("consequence", "alternative"):
            sub = node.child_by_field_name(part)
            if sub is not None:
                self.walk_statement(sub, scope)

    def walk_stacked(self, node: Node, scope: Scope, statements: Sequence[Node | None], tail: Sequence[Node | None] = ()) -> None:
        """Some statements, then the expressions ``tail``, with ``node`` on the statement stack."""
        self.stack.append(node)
        try:
            for st in statements:
                if st is not None:
                    self.walk_statement(st, scope)
            for expr in tail:
                self.walk_expr(expr, scope)
        finally:
            self.stack.pop()

    def walk_loop_body(self, node: Node, scope: Scope, tail: Sequence[Node | None] = ()) -> None:
        """A loop's body (``loop_body``) between the impl rules' ``on_loop`` / ``after_loop`` events,
        with the loop on the statement stack; ``tail``: what runs after each pass (a for's update,
        a do-while's test). A loop that is its own body (Kotlin's ``repeat(n) { ... }`` lambda):
        its statements."""
        self.impl_event("on_loop", node, scope)
        body = self.loop_body(node)
        try:
            self.walk_stacked(node, scope, body.named_children if body == node else [body], tail)
        finally:
            self.impl_event("after_loop", node, scope)

    def block_policies(self, v: object) -> list[FactRef]:
        """The policies a value carries to the block it scopes (Python ``with``; the same shape as
        C# ``using`` and Java try-with-resources): a tracked object's, unless it is a client of a
        call rule (its calls are matched instead)."""
        if not isinstance(v, Obj):
            return []
        otype = self.index.types.get(v.type)
        if otype is not None and otype.rule.kinds and not any(k in POLICY_KINDS for k in otype.rule.kinds):
            return []
        return object_policies(v)

    def walk_policy_block(self, node: Node, scope: Scope, covering: list[FactRef], event: str) -> None:
        """A block statement (``with``, ``using``) whose resources' policies (``block_policies``)
        cover its ``body``: a fallback of a surrounding try is theirs too; the statement is on the
        stack between the impl rules' ``on_<event>`` / ``after_<event>``."""
        entered = self.policies.enter(covering)
        if covering:
            fallback = self.fallback_here()
            if fallback is not None:
                self.policies.on_fallback(covering, fallback)
        self.stack.append(node)
        try:
            self.impl_event("on_" + event, node, scope)
            body = node.child_by_field_name("body")
            if body is not None:
                self.walk_statement(body, scope)
            self.impl_event("after_" + event, node, scope)
        finally:
            self.stack.pop()
            self.policies.leave(entered)

    def walk_try_body(self, node: Node, scope: Scope) -> None:
        """A try statement's body (``try_body``) after the impl rules' ``on_try`` event, with the
        statement on the stack; the adapter walks its handlers (``SyntaxAnalyzer.walk_try``) and
        then sends ``after_try``."""
        self.impl_event("on_try", node, scope)
        self.walk_stacked(node, scope, [self.try_body(node)])
