"""The Python analyzer: one pass over a libcst tree that resolves names and matches every rule.

Design for speed (see docs/architecture.md): no metadata providers. Names are resolved with
our own scope tables (imports, module constants, locals in statement order, ``self.``
attributes collected per class), values are evaluated lazily and memoised, and positions are
computed at the end only for the nodes that became facts.
"""

from __future__ import annotations

import builtins
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import libcst as cst

from ...facts import Diagnostic, FactRef
from ...link import where_may_hold
from ...values import (
    Call,
    Concat,
    Const,
    Dynamic,
    Env,
    Map,
    Named,
    Obj,
    Ref,
    Seq,
    Value,
    at_path,
    convert,
    deferred_path,
    fold,
    has_refs,
    simplify_concat,
    strip,
)
from ..base import FileResult, Mount, RawFact
from .index import _MISSING as _MISSING_SPEC
from ...templates import format_captures, render
from .index import FieldSpec, MatchSpec, ObjectType, PyIndex
from .idflow import IdFlow
from .mounts import fact_owner, record_mounts
from ..treesitter.policies import COVERED_KINDS, LINK_FIELD, POLICY_KINDS, PolicyTracker, object_policies
from .positions import positions

_BINOPS: dict[type, str] = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
    cst.FloorDivide: "//",
    cst.Modulo: "%",
    cst.Power: "**",
    cst.BitOr: "|",
    cst.BitAnd: "&",
}

BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
ENV_GETTERS = {"os.getenv", "os.environ.get", "os.environ.setdefault", "posix.environ.get"}
ENV_MAPPINGS = {"os.environ"}
CONVERTERS = {"float", "int", "str"}
MAX_LITERAL_ITEMS = 32
MAX_EVAL_DEPTH = 40
MAX_CALL_ARGS = 12


class _Unbound:
    pass


UNBOUND = _Unbound()


@dataclass(slots=True)
class LocalFunction:
    node: cst.FunctionDef
    scope: "Scope"
    qualname: str


@dataclass(slots=True)
class ClassInfo:
    node: cst.ClassDef
    scope: "Scope"  # the class body scope
    qualname: str
    self_attrs: dict[str, list[tuple[cst.BaseExpression, "Scope"]]] | None = None
    configures: dict[str, list[tuple[cst.Call, "Scope"]]] | None = None
    attr_values: dict[str, Any] | None = None  # self.<attr> values computed so far (memo; a cycle reads as unknown)


@dataclass(frozen=True, slots=True)
class SelfValue:
    """``self`` (or ``cls``) inside a method of a class of this file."""

    cls: ClassInfo


@dataclass(frozen=True, slots=True)
class Opaque:
    """An expression whose value is unknown; its source text is produced only if it is reported."""

    node: cst.CSTNode


@dataclass(frozen=True, slots=True)
class FunctionValue:
    fn: LocalFunction


@dataclass(frozen=True, slots=True)
class ClassValue:
    cls: ClassInfo


@dataclass(slots=True)
class Binding:
    """What a name is bound to: an expression evaluated lazily, or a known value."""

    expr: cst.BaseExpression | None = None
    scope: "Scope | None" = None
    value: Any = UNBOUND
    ambiguous: bool = False
    annotation: cst.BaseExpression | None = None
    configures: list[tuple[cst.Call, "Scope"]] | None = None  # x.mount(...) statements applied when x is evaluated


@dataclass(slots=True)
class Scope:
    kind: str  # module | class | function
    qualname: str
    parent: "Scope | None"
    bindings: dict[str, Binding] = field(default_factory=dict)
    cls: ClassInfo | None = None  # for methods: their class; for class bodies: the class
    self_name: str | None = None
    function: LocalFunction | None = None

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        first = True
        while scope is not None:
            if first or scope.kind != "class":
                b = scope.bindings.get(name)
                if b is not None:
                    return b
            first = False
            scope = scope.parent
        return None


def dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


class Analyzer:
    """Analyse one module. Create one per file; ``run()`` returns the file's result."""

    def __init__(
        self,
        index: PyIndex,
        path: str,
        module_name: str,
        source: bytes,
        imported_objects: Mapping[str, Obj] | None = None,
    ) -> None:
        self.index = index
        self.path = path
        self.module_name = module_name
        self.is_package = path.endswith("__init__.py")
        self.source = source
        self.imported_objects = imported_objects or {}
        self.result = FileResult(path=path, language="python")
        self.module: cst.Module | None = None
        self._nodes_for_position: list[tuple[RawFact, cst.CSTNode]] = []
        self._next_key = 1
        self._keys: dict[int, int] = {}  # id(node) → fact key, so objects can point at their node's fact
        self._emitted: set[int] = set()
        self.policies = PolicyTracker(path)
        self.idflow: IdFlow | None = IdFlow(**index.idflow_options) if index.has_id_rules else None
        self._eval_depth = 0
        self._in_progress: set[int] = set()
        self._return_cache: dict[int, Value] = {}
        self._policy_classes: dict[int, Obj | None] = {}
        self.module_scope = Scope("module", "", None)
        self.stack: list[Any] = []  # enclosing constructs, for impl rules (loops, functions, with-blocks)
        self.impls = index.impls
        self.hooks: dict[str, list[Any]] = {}
        for impl in self.impls:
            for hook in ("on_call", "on_function", "after_function", "on_loop", "after_loop", "on_with", "after_with", "on_try", "after_try", "on_handler", "after_handler", "on_assign", "on_subscript", "on_attribute", "finish"):
                if hasattr(impl, hook):
                    self.hooks.setdefault(hook, []).append(impl)

    # ------------------------------------------------------------------ entry
    def run(self) -> FileResult:
        res = self.result
        res.lines = self.source.count(b"\n") + (0 if self.source.endswith(b"\n") or not self.source else 1)
        try:
            self.module = cst.parse_module(self.source)
        except cst.ParserSyntaxError as exc:
            res.diagnostics.append(Diagnostic(self.path, "syntax_error", f"cannot parse: {exc.message}", line=exc.raw_line or 0, severity="error"))
            return res
        except (RecursionError, MemoryError) as exc:
            res.diagnostics.append(Diagnostic(self.path, "syntax_error", f"cannot parse: {type(exc).__name__} (too deeply nested)", severity="error"))
            return res
        except Exception as exc:  # libcst may raise others on unusual encodings
            res.diagnostics.append(Diagnostic(self.path, "syntax_error", f"cannot parse: {type(exc).__name__}: {exc}", severity="error"))
            return res
        res.parsed = True
        self.prescan(self.module.body, self.module_scope)
        try:
            self.walk_block(self.module.body, self.module_scope)
            for impl in self.hooks.get("finish", ()):
                impl.finish(self)
            self.policies.finish()
            if self.idflow is not None:
                self.idflow.finish(self.path)
        except RecursionError:
            res.diagnostics.append(Diagnostic(self.path, "internal_error", "analysis stopped: code nested too deeply", severity="warning"))
        self.collect_exports()
        self.assign_positions()
        return res

    # ------------------------------------------------------------------ facts
    def code(self, node: cst.CSTNode) -> str:
        assert self.module is not None
        return self.module.code_for_node(node)

    def anchor_text(self, node: cst.CSTNode, limit: int = 240) -> str:
        return " ".join(self.code(node).split())[:limit]

    def node_key(self, node: cst.CSTNode) -> int:
        """The fact key reserved for a node (the first fact emitted at it gets this key)."""
        key = self._keys.get(id(node))
        if key is None:
            key = self._keys[id(node)] = self._next_key
            self._next_key += 1
        return key

    def ref(self, fact: RawFact) -> FactRef:
        return FactRef(fact.key, self.path)

    def emit(
        self,
        kind: str,
        rule_id: str,
        node: cst.CSTNode,
        fields: dict[str, Any],
        scope: Scope | None = None,
        anchor: str | None = None,
        receiver: Any = None,
    ) -> RawFact:
        if id(node) in self._emitted:
            key = self._next_key
            self._next_key += 1
        else:
            key = self.node_key(node)
            self._emitted.add(id(node))
        fact = RawFact(
            kind=kind,
            rule=rule_id,
            line=0,
            col=0,
            fields=fields,
            scope=(scope.qualname if scope else ""),
            anchor=anchor if anchor is not None else self.anchor_text(node),
            key=key,
        )
        self.result.facts.append(fact)
        self._nodes_for_position.append((fact, node))
        fn = scope.function.qualname if scope is not None and scope.function is not None else None
        self.policies.on_fact(fact, receiver, fn)
        if kind in ("http_call", "grpc_call"):
            fallback = self.fallback_here()
            if fallback is not None:
                fields["fallback"] = Const(fallback)
        if self.idflow is not None:
            if kind == "id_generation":
                self.idflow.on_id_fact(fact, self.ref(fact), node)
            elif kind in ("http_call", "grpc_call") and isinstance(node, cst.Call):
                self.idflow.on_outbound_call(fact, node)
        return fact

    def fallback_here(self) -> str | None:
        """The default a surrounding ``try`` returns when the call fails (``except Timeout: return 0``)."""
        for item in reversed(self.stack):
            if isinstance(item, (cst.FunctionDef, cst.ClassDef, cst.ExceptHandler)):
                return None
            if isinstance(item, (cst.Try, cst.TryStar)):
                for h in item.handlers:
                    for stmt in self._block(h.body):
                        if isinstance(stmt, cst.SimpleStatementLine):
                            for small in stmt.body:
                                if isinstance(small, cst.Return) and small.value is not None and _is_literal(small.value):
                                    return self.anchor_text(small.value, 80)
                return None
        return None

    def assign_positions(self) -> None:
        if not self._nodes_for_position or self.module is None:
            return
        pos = positions(self.module, [n for _, n in self._nodes_for_position])
        for fact, node in self._nodes_for_position:
            fact.line, fact.col = pos[id(node)]

    def position_of(self, node: cst.CSTNode) -> tuple[int, int]:
        """Position of an arbitrary node (costs a codegen pass; for impl rules' rare needs)."""
        assert self.module is not None
        return positions(self.module, [node])[id(node)]

    # ------------------------------------------------------------------ pre-scan
    def prescan(self, body: Sequence[cst.BaseStatement], scope: Scope) -> None:
        """Bind module-level (or class-body) names before walking, so uses before definitions resolve."""
        for stmt in self._flat_statements(body):
            if isinstance(stmt, (cst.Import, cst.ImportFrom)):
                self.bind_import(stmt, scope, first_wins=True)
            elif isinstance(stmt, cst.Assign):
                for target in stmt.targets:
                    self._prebind(target.target, stmt.value, scope)
            elif isinstance(stmt, cst.AnnAssign):
                if stmt.value is not None:
                    self._prebind(stmt.target, stmt.value, scope, annotation=stmt.annotation.annotation)
                elif isinstance(stmt.target, cst.Name) and stmt.target.value not in scope.bindings:
                    scope.bindings[stmt.target.value] = Binding(annotation=stmt.annotation.annotation, scope=scope)
            elif isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
                self._record_configure(stmt.value, scope)  # session.mount(...) at module level
            elif isinstance(stmt, cst.FunctionDef):
                fn = LocalFunction(stmt, scope, self._qual(scope, stmt.name.value))
                scope.bindings[stmt.name.value] = Binding(value=FunctionValue(fn))
            elif isinstance(stmt, cst.ClassDef):
                info = ClassInfo(stmt, Scope("class", self._qual(scope, stmt.name.value), scope), self._qual(scope, stmt.name.value))
                info.scope.cls = info
                scope.bindings[stmt.name.value] = Binding(value=ClassValue(info))
                self.prescan(self._block(stmt.body), info.scope)

    def _scopes_block(self, v: Obj) -> bool:
        """``with X:`` covers its block with X's policies unless X is a client of a call rule (a
        session, pool or channel carries policies for the calls made through it, not for the block)."""
        otype = self.index.types.get(v.type)
        return otype is None or not otype.rule.kinds or any(k in POLICY_KINDS for k in otype.rule.kinds)

    def _record_configure(self, call: cst.Call, scope: Scope) -> None:
        """``x.mount(...)`` on a lazily bound name: applied to the object whenever ``x`` is evaluated."""
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in self.index.configure_methods:
            b = scope.bindings.get(func.value.value)
            if b is not None and b.expr is not None:
                if b.configures is None:
                    b.configures = []
                b.configures.append((call, scope))

    def _prebind(self, target: cst.BaseExpression, value: cst.BaseExpression, scope: Scope, annotation: cst.BaseExpression | None = None) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            prev = scope.bindings.get(name)
            if prev is not None and prev.expr is not None and prev.expr is not value:
                if self.code(prev.expr) != self.code(value):
                    prev.ambiguous = True
                    prev.expr = value  # keep the last; evaluation reports it as ambiguous
                    return
            scope.bindings[name] = Binding(expr=value, scope=scope, annotation=annotation)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            for i, el in enumerate(target.elements):
                if values is not None and i < len(values) and not isinstance(el, cst.StarredElement) and isinstance(values[i], cst.Element):
                    self._prebind(el.value, values[i].value, scope)
                elif isinstance(el.value, cst.Name):
                    scope.bindings[el.value.value] = Binding(value=Dynamic(el.value.value))

    @staticmethod
    def _block(body: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
        if isinstance(body, cst.IndentedBlock):
            return body.body
        return [cst.SimpleStatementLine(body=body.body)] if isinstance(body, cst.SimpleStatementSuite) else []

    def _flat_statements(self, body: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
        """Statements of a block, looking into if/try/with blocks (not into functions or classes)."""
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                yield from stmt.body
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                yield stmt
            elif isinstance(stmt, cst.If):
                yield from self._flat_statements(self._block(stmt.body))
                orelse = stmt.orelse
                while orelse is not None:
                    yield from self._flat_statements(self._block(orelse.body))
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None
            elif isinstance(stmt, (cst.Try, cst.TryStar)):
                yield from self._flat_statements(self._block(stmt.body))
                for h in stmt.handlers:
                    yield from self._flat_statements(self._block(h.body))
                if stmt.orelse:
                    yield from self._flat_statements(self._block(stmt.orelse.body))
                if stmt.finalbody:
                    yield from self._flat_statements(self._block(stmt.finalbody.body))
            elif isinstance(stmt, cst.With):
                yield from self._flat_statements(self._block(stmt.body))

    def _qual(self, scope: Scope, name: str) -> str:
        return f"{scope.qualname}.{name}" if scope.qualname else name

    # ------------------------------------------------------------------ imports
    def absolute_module(self, node: cst.ImportFrom) -> str:
        mod = dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        if not level:
            return mod or ""
        parts = self.module_name.split(".") if self.module_name else []
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        return f"{base}.{mod}" if base and mod else (base or mod or "")

    def bind_import(self, stmt: cst.Import | cst.ImportFrom, scope: Scope, first_wins: bool = False) -> None:
        if isinstance(stmt, cst.Import):
            for alias in stmt.names:
                full = dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local, qual = alias.asname.name.value, full
                else:
                    local = qual = full.split(".", 1)[0]
                self._bind_qual(scope, local, qual, first_wins)
        else:
            if isinstance(stmt.names, cst.ImportStar):
                return
            base = self.absolute_module(stmt)
            for alias in stmt.names:
                name = dotted(alias.name) or ""
                local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
                self._bind_qual(scope, local, f"{base}.{name}" if base else name, first_wins)

    def _bind_qual(self, scope: Scope, local: str, qual: str, first_wins: bool) -> None:
        if first_wins and local in scope.bindings and isinstance(scope.bindings[local].value, Ref):
            return
        scope.bindings[local] = Binding(value=Ref(qual))
        if scope.kind == "module":
            self.result.imports[local] = qual

    # ------------------------------------------------------------------ evaluation
    def lookup_name(self, name: str, scope: Scope) -> Any:
        if name in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[name])
        b = scope.lookup(name)
        if b is None:
            if scope.self_name == name and scope.cls is not None:
                return SelfValue(scope.cls)
            return Ref(name) if name in BUILTIN_NAMES else Dynamic(name)
        return self.binding_value(b, name)

    def binding_value(self, b: Binding, name: str) -> Any:
        if b.value is not UNBOUND:
            v = b.value
            if isinstance(v, Ref):
                return self.imported_objects.get(v.qualname, v)
            return v
        if b.expr is None:
            if b.annotation is not None:
                return self.annotation_object(b.annotation, b.scope or self.module_scope, name)
            return Dynamic(name)
        key = id(b)
        if key in self._in_progress:
            return Dynamic(name)
        self._in_progress.add(key)
        try:
            v = self.evaluate(b.expr, b.scope or self.module_scope)
            if b.configures and isinstance(v, Obj):
                for call, cscope in b.configures:
                    v = self.configure_obj(v, call, cscope)
        finally:
            self._in_progress.discard(key)
        if b.ambiguous and not isinstance(v, Obj):
            v = Dynamic(name)
        elif isinstance(v, (Const, Seq, Map, Concat, Env, Call)):
            v = Named(name, v)
        elif isinstance(v, Opaque):
            v = Dynamic(name)
        b.value = v
        return v

    def annotation_object(self, annotation: cst.BaseExpression, scope: Scope, name: str) -> Any:
        """A parameter or attribute annotated with a tracked type is an instance of it."""
        inner = annotation
        if isinstance(inner, cst.Subscript) and dotted(inner.value) in ("Optional", "typing.Optional") and inner.slice:
            el = inner.slice[0].slice
            if isinstance(el, cst.Index):
                inner = el.value
        if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.BitOr):
            inner = inner.left
        if isinstance(inner, cst.SimpleString):
            return Dynamic(name)
        t = self.evaluate(inner, scope)
        if isinstance(t, Ref):
            otype = self.index.ctor(t.qualname) or self.index.types.get(t.qualname)
            if otype is not None:
                return Obj(otype.type, (), t.qualname.rpartition(".")[2], "")
        return Dynamic(name)

    def evaluate(self, node: cst.BaseExpression, scope: Scope) -> Any:
        """The symbolic value of an expression (``Value``, or an internal local-object value)."""
        if self._eval_depth > MAX_EVAL_DEPTH:
            return Dynamic("…")
        self._eval_depth += 1
        try:
            return self._evaluate(node, scope)
        finally:
            self._eval_depth -= 1

    def _evaluate(self, node: cst.BaseExpression, scope: Scope) -> Any:
        t = type(node)
        if t is cst.Name:
            return self.lookup_name(node.value, scope)
        if t is cst.Attribute:
            return self.evaluate_attribute(node, scope)
        if t is cst.Call:
            return self.evaluate_call(node, scope)
        if t is cst.Integer or t is cst.Float:
            return Const(node.evaluated_value)
        if t is cst.SimpleString:
            v = node.evaluated_value
            return Const(v.decode("latin-1") if isinstance(v, bytes) else v)
        if t is cst.ConcatenatedString:
            return simplify_concat((self.evaluate(node.left, scope), self.evaluate(node.right, scope)))
        if t is cst.FormattedString:
            parts: list[Value] = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(Const(part.value))
                else:
                    v = self.evaluate(part.expression, scope)
                    parts.append(self.to_value(v))
            return simplify_concat(tuple(parts))
        if t is cst.UnaryOperation:
            inner = self.evaluate(node.expression, scope)
            if isinstance(node.operator, cst.Minus):
                return fold("-", Const(0), inner) if self.is_value(inner) and not isinstance(inner, Dynamic) else Opaque(node)
            if isinstance(node.operator, cst.Plus):
                return inner
            return Opaque(node)
        if t is cst.BinaryOperation:
            op = _BINOPS.get(type(node.operator))
            if op is None:
                return Opaque(node)
            left, right = self.evaluate(node.left, scope), self.evaluate(node.right, scope)
            if not (self.is_value(left) and self.is_value(right)):
                return Opaque(node)
            if isinstance(left, Dynamic) or isinstance(right, Dynamic):
                other = strip(right if isinstance(left, Dynamic) else left)
                stringish = isinstance(other, Concat) or (isinstance(other, Const) and isinstance(other.value, str))
                if op != "+" or not stringish:
                    return Opaque(node)
            return fold(op, left, right)
        if t is cst.Tuple or t is cst.List:
            if len(node.elements) > MAX_LITERAL_ITEMS:
                return Opaque(node)
            items = []
            for el in node.elements:
                if isinstance(el, cst.StarredElement):
                    return Opaque(node)
                v = self.evaluate(el.value, scope)
                items.append(self.to_value(v))
            return Seq(tuple(items))
        if t is cst.Dict:
            if len(node.elements) > MAX_LITERAL_ITEMS:
                return Opaque(node)
            pairs = []
            for el in node.elements:
                if isinstance(el, cst.StarredDictElement):
                    continue
                k, v = self.evaluate(el.key, scope), self.evaluate(el.value, scope)
                pairs.append((self.to_value(k), self.to_value(v)))
            return Map(tuple(pairs))
        if t is cst.Subscript:
            return self.evaluate_subscript(node, scope)
        if t is cst.IfExp:
            a, b = self.evaluate(node.body, scope), self.evaluate(node.orelse, scope)
            if isinstance(a, Obj):
                return a
            if isinstance(b, Obj):
                return b
            return Opaque(node)
        if t is cst.BooleanOperation and isinstance(node.operator, cst.Or):
            left = self.evaluate(node.left, scope)
            right = self.evaluate(node.right, scope)
            if isinstance(left, (Env,)) or isinstance(strip(left), Env):
                env = strip(left)
                return Env(env.var, self.to_value(right) if self.is_value(right) else None)  # type: ignore[union-attr]
            if isinstance(right, Obj):
                return right
            return Opaque(node)
        if t is cst.Await:
            return self.evaluate(node.expression, scope)
        return Opaque(node)

    @staticmethod
    def is_value(v: Any) -> bool:
        return isinstance(v, (Const, Named, Ref, Env, Seq, Map, Obj, Call, Concat, Dynamic)) or type(v).__name__ == "BinOp"

    def to_value(self, v: Any) -> Value:
        """Turn an evaluation result into a public ``Value`` (unknowns get their source text)."""
        if isinstance(v, Opaque):
            return Dynamic(self.anchor_text(v.node, 200))
        if isinstance(v, (SelfValue, FunctionValue, ClassValue)):
            return Dynamic("self" if isinstance(v, SelfValue) else (v.fn.qualname if isinstance(v, FunctionValue) else v.cls.qualname))
        return v

    def evaluate_attribute(self, node: cst.Attribute, scope: Scope) -> Any:
        base = self.evaluate(node.value, scope)
        attr = node.attr.value
        if isinstance(base, Ref):
            qual = f"{base.qualname}.{attr}"
            return self.imported_objects.get(qual, Ref(qual))
        if isinstance(base, Obj):
            otype = self.index.types.get(base.type)
            if otype is not None and attr in otype.attrs:
                return Obj(otype.attrs[attr], (), "", base.origin)
            cap = base.capture(attr)
            if cap is not None:
                return cap
            if otype is not None and otype.members is not None:  # stub.Method: a callable member
                mtype, mcap = otype.members
                return Obj(mtype, base.captures + (((mcap, Const(attr)),) if mcap else ()), base.name, base.origin)
            return Opaque(node)
        if isinstance(base, SelfValue):
            return self.self_attribute(base.cls, attr, node)
        if isinstance(base, ClassValue):
            b = base.cls.scope.bindings.get(attr)
            return self.binding_value(b, attr) if b is not None else Opaque(node)
        if isinstance(base, Map):
            return Opaque(node)
        return Opaque(node)

    def evaluate_subscript(self, node: cst.Subscript, scope: Scope) -> Any:
        base = self.evaluate(node.value, scope)
        key_node = node.slice[0].slice if len(node.slice) == 1 else None
        key: Any = None
        if isinstance(key_node, cst.Index):
            key = self.evaluate(key_node.value, scope)
        if isinstance(base, Ref) and base.qualname in ENV_MAPPINGS and isinstance(strip(key), Const):
            return Env(str(strip(key).value))  # type: ignore[union-attr]
        inner = strip(base)
        if isinstance(inner, Map) and isinstance(strip(key), Const):
            found = inner.get(strip(key).value)  # type: ignore[union-attr]
            if found is not None:
                return found
        if isinstance(inner, Seq) and isinstance(strip(key), Const) and isinstance(strip(key).value, int):  # type: ignore[union-attr]
            i = strip(key).value  # type: ignore[union-attr]
            if -len(inner.items) <= i < len(inner.items):
                return inner.items[i]
        if isinstance(base, Ref) and isinstance(strip(key), Const):
            return Ref(f"{base.qualname}[{strip(key).value!r}]")  # type: ignore[union-attr]
        if isinstance(base, Obj) and isinstance(strip(key), Const) and isinstance(strip(key).value, str):  # type: ignore[union-attr]
            otype = self.index.types.get(base.type)
            if otype is not None and otype.members is not None:  # client["orders"]: a member, like client.orders
                mtype, mcap = otype.members
                return Obj(mtype, base.captures + (((mcap, strip(key)),) if mcap else ()), base.name, base.origin)  # type: ignore[operator]
        return Opaque(node)

    def callee(self, func: cst.BaseExpression, scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        """Resolve what a call calls: (qualified name, receiver instance, attribute name, local def)."""
        if isinstance(func, cst.Attribute):
            base = self.evaluate_shallow(func.value, scope)
            attr = func.attr.value
            if isinstance(base, Obj):
                return f"{base.type}.{attr}", base, attr, None
            if isinstance(base, Ref):
                return f"{base.qualname}.{attr}", None, attr, None
            if isinstance(base, (SelfValue, ClassValue)):
                v = self.self_attribute(base.cls, attr, func) if isinstance(base, SelfValue) else self.evaluate_attribute(func, scope)
                if isinstance(v, FunctionValue):
                    return v.fn.qualname, None, attr, v
                if isinstance(v, Obj) and v.type in self.index.callable_types:
                    return f"{v.type}.__call__", v, "__call__", None
                return None, None, attr, None
            return None, None, attr, None
        v = self.evaluate(func, scope)
        if isinstance(v, Ref):
            return v.qualname, None, v.name, None
        if isinstance(v, FunctionValue):
            return v.fn.qualname, None, v.fn.node.name.value, v
        if isinstance(v, ClassValue):
            return v.cls.qualname, None, v.cls.node.name.value, v
        if isinstance(v, Obj) and v.type in self.index.callable_types:  # an instance called: m = stub.Method; m(req)
            return f"{v.type}.__call__", v, "__call__", None
        return None, None, "", None

    def evaluate_shallow(self, node: cst.BaseExpression, scope: Scope) -> Any:
        """Like evaluate, but a call of an unknown function stays opaque (no argument values built)."""
        if isinstance(node, cst.Call):
            return self.evaluate_call(node, scope, shallow=True)
        return self.evaluate(node, scope)

    def evaluate_call(self, node: cst.Call, scope: Scope, shallow: bool = False) -> Any:
        qual, receiver, attr, local = self.callee(node.func, scope)
        if isinstance(local, FunctionValue):
            return self.function_return(local.fn)
        if isinstance(local, ClassValue) and self.index.classes:
            inst = self.policy_instance(local.cls)  # MyBreaker(): a subclass of a breaker class
            if inst is not None:
                return inst
        if qual is None or local is not None:
            return Opaque(node)
        otype = self.index.ctor(qual)
        if otype is not None:
            return self.construct(otype, node, scope, qual, receiver)
        if receiver is not None:
            otype_r = self.index.types.get(receiver.type)
            if otype_r is not None and attr in otype_r.returns:
                return Obj(otype_r.returns[attr], receiver.captures, "", receiver.origin)
        if qual in ENV_GETTERS:
            var = self.arg_value(node, 0, "key", scope)
            default = self.arg_value(node, 1, "default", scope)
            if isinstance(strip(var), Const):
                return Env(str(strip(var).value), default if default is not None and not (isinstance(default, Const) and default.value is None) else None)  # type: ignore[union-attr]
            return Opaque(node)
        if qual in CONVERTERS and len(node.args) == 1:
            inner = self.evaluate(node.args[0].value, scope)
            return convert(qual, inner) if self.is_value(inner) and not isinstance(inner, Dynamic) else Opaque(node)
        if shallow or receiver is not None or len(node.args) > MAX_CALL_ARGS:
            return Opaque(node)
        return self.call_value(qual, node, scope)

    def call_value(self, qual: str, node: cst.Call, scope: Scope) -> Call:
        """A call of a known external function as a value (``stop_after_attempt(3)``), for rules to interpret."""
        args: list[Value] = []
        kwargs: list[tuple[str, Value]] = []
        for a in node.args:
            if a.star:
                continue
            v = self.to_value(self.evaluate(a.value, scope))
            if a.keyword is not None:
                kwargs.append((a.keyword.value, v))
            else:
                args.append(v)
        return Call(qual, tuple(args), tuple(kwargs))

    def construct(self, otype: ObjectType, node: cst.Call, scope: Scope, qual: str, receiver: Obj | None) -> Obj:
        caps: list[tuple[str, Value]] = []
        for name, spec in otype.captures.items():
            if spec.unwrap is None and not spec.first_of and spec.format is None and spec.if_passed is _MISSING_SPEC and not spec.is_const:
                v = self.read_arg(spec, node, scope)
            else:  # unwrap, alternatives, constants, formats over the captures so far
                v = self.read_field(name, spec, node, scope, Obj(otype.type, tuple(caps)), {})
            if v is not None:
                caps.append((name, v))
        if receiver is not None:  # client.get_database(...): made by a tracked object, it keeps the captures it does not set
            have = {k for k, _ in caps}
            caps += [(k, v) for k, v in receiver.captures if k not in have]
        return Obj(otype.type, tuple(caps), qual.rpartition(".")[2], f"{self.path}#{self.node_key(node)}")

    def function_return(self, fn: LocalFunction) -> Any:
        """The value a same-file function returns, when all its returns agree (factories)."""
        key = id(fn.node)
        if key in self._return_cache:
            return self._return_cache[key]
        self._return_cache[key] = Dynamic(fn.node.name.value + "()")
        fscope = self.function_scope(fn)
        returns: list[Any] = []
        for stmt in self._walk_statements(self._block(fn.node.body)):
            if isinstance(stmt, (cst.Assign, cst.AnnAssign)):
                self.bind_assignment(stmt, fscope)
            elif isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
                self.apply_configure(stmt.value, fscope)
            elif isinstance(stmt, cst.Return) and stmt.value is not None:
                returns.append(self.evaluate(stmt.value, fscope))
        result: Any = Dynamic(fn.node.name.value + "()")
        objs = [r for r in returns if isinstance(r, Obj)]
        if objs:
            result = objs[-1]
        elif returns and all(r == returns[0] for r in returns):
            result = returns[0]
        self._return_cache[key] = result
        return result

    def _walk_statements(self, body: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
        """Small statements of a function body in order, into compound statements but not nested defs."""
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                yield from stmt.body
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                continue
            elif isinstance(stmt, cst.If):
                yield from self._walk_statements(self._block(stmt.body))
                orelse = stmt.orelse
                while orelse is not None:
                    yield from self._walk_statements(self._block(orelse.body))
                    orelse = orelse.orelse if isinstance(orelse, cst.If) else None
            elif isinstance(stmt, (cst.Try, cst.TryStar)):
                yield from self._walk_statements(self._block(stmt.body))
                for h in stmt.handlers:
                    yield from self._walk_statements(self._block(h.body))
                for extra in (stmt.orelse, stmt.finalbody):
                    if extra is not None:
                        yield from self._walk_statements(self._block(extra.body))
            elif isinstance(stmt, (cst.With, cst.For, cst.While)):
                yield from self._walk_statements(self._block(stmt.body))

    # ------------------------------------------------------------------ classes and self
    def self_attribute(self, cls: ClassInfo, attr: str, node: cst.CSTNode) -> Any:
        if cls.self_attrs is None:
            self.scan_class(cls)
        assert cls.self_attrs is not None and cls.configures is not None
        entries = cls.self_attrs.get(attr)
        if not entries:
            b = cls.scope.bindings.get(attr)
            if b is not None:
                return self.binding_value(b, attr)
            for base in cls.node.bases:
                bv = self.evaluate(base.value, cls.scope.parent or self.module_scope)
                if isinstance(bv, ClassValue) and bv.cls is not cls:
                    return self.self_attribute(bv.cls, attr, node)
            return Dynamic(f"self.{attr}")
        if cls.attr_values is None:
            cls.attr_values = {}
        if attr in cls.attr_values:  # computed once per class: self.a = self.b(...) chains stay linear
            return cls.attr_values[attr]
        cls.attr_values[attr] = Dynamic(f"self.{attr}")  # while in progress (a cycle)
        values = []
        for expr, mscope in entries:
            v = self.evaluate(expr, mscope)
            values.append(v)
        objs = [v for v in values if isinstance(v, Obj)]
        result: Any = Dynamic(f"self.{attr}")
        if objs:
            result = objs[-1]
            for call, mscope in cls.configures.get(attr, ()):
                result = self.configure_obj(result, call, mscope)
        elif all(v == values[0] for v in values):
            result = values[0]
        cls.attr_values[attr] = result
        return result

    def scan_class(self, cls: ClassInfo) -> None:
        """Collect ``self.x = ...`` assignments and ``self.x.configure(...)`` calls of all methods."""
        cls.self_attrs = {}
        cls.configures = {}
        for stmt in self._block(cls.node.body):
            if not isinstance(stmt, cst.FunctionDef):
                continue
            fn = LocalFunction(stmt, cls.scope, self._qual(cls.scope, stmt.name.value))
            mscope = self.function_scope(fn)
            if mscope.self_name is None:
                continue
            for small in self._walk_statements(self._block(stmt.body)):
                targets: list[cst.BaseExpression] = []
                value: cst.BaseExpression | None = None
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                    value = small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    targets, value = [small.target], small.value
                elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    func = small.value.func
                    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute) and isinstance(func.value.value, cst.Name) and func.value.value.value == mscope.self_name:
                        cls.configures.setdefault(func.value.attr.value, []).append((small.value, mscope))
                    else:
                        self._record_configure(small.value, mscope)  # s.mount(...) before self.session = s
                    continue
                else:
                    continue
                for target in targets:
                    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == mscope.self_name:
                        cls.self_attrs.setdefault(target.attr.value, []).append((value, mscope))
                    elif isinstance(target, cst.Name) and value is not None:
                        mscope.bindings[target.value] = Binding(expr=value, scope=mscope)

    def function_scope(self, fn: LocalFunction) -> Scope:
        """A fresh scope for a function with its parameters bound."""
        parent = fn.scope
        cls = parent.cls if parent.kind == "class" else None
        scope = Scope("function", fn.qualname, parent, cls=cls, function=fn)
        params = fn.node.params
        ordered = list(params.posonly_params) + list(params.params)
        is_static = any(dotted(d.decorator) == "staticmethod" for d in fn.node.decorators)
        if cls is not None and ordered and not is_static:
            scope.self_name = ordered[0].name.value
            scope.bindings[scope.self_name] = Binding(value=SelfValue(cls))
            ordered = ordered[1:]
        for p in ordered + list(params.kwonly_params):
            if p.annotation is not None:
                scope.bindings[p.name.value] = Binding(annotation=p.annotation.annotation, scope=parent)
            else:
                scope.bindings[p.name.value] = Binding(value=Dynamic(p.name.value))
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.bindings[star.name.value] = Binding(value=Dynamic(star.name.value))
        return scope

    # ------------------------------------------------------------------ arguments and fields
    @staticmethod
    def find_arg(node: cst.Call, pos: int | None, kw: str | None) -> tuple[cst.BaseExpression | None, bool]:
        """The expression passed for a parameter; the flag says an unpacked *args/**kwargs may hide it."""
        hidden = False
        i = 0
        for a in node.args:
            if a.keyword is not None:
                if kw is not None and a.keyword.value == kw:
                    return a.value, False
                continue
            if a.star == "*":
                hidden = True
                continue
            if a.star == "**":
                hidden = True
                continue
            if pos is not None and i == pos and not hidden:
                return a.value, False
            i += 1
        return None, hidden

    def arg_value(self, node: cst.Call, pos: int | None, kw: str | None, scope: Scope) -> Value | None:
        expr, _ = self.find_arg(node, pos, kw)
        if expr is None:
            return None
        return self.to_value(self.evaluate(expr, scope))

    def read_arg(self, spec: FieldSpec, node: cst.Call | None, scope: Scope, receiver: Obj | None = None, name: str = "") -> Value | None:
        if spec.arg is None and spec.kw is None:
            return None
        if node is None:
            return None
        expr, hidden = self.find_arg(node, spec.arg, spec.kw)
        if expr is None:
            return Dynamic("**kwargs") if hidden else None
        if spec.text:
            return Const(self.anchor_text(expr, 200))
        return self.to_value(self.evaluate(expr, scope))

    def read_field(self, name: str, spec: FieldSpec, node: cst.Call | None, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> Any:
        if spec.is_const:
            c = spec.const
            if spec.template and isinstance(c, str):
                return Const(render(c, env, keep_unknown=False))
            return Const(c)
        if spec.first_of:
            for alt in spec.first_of:
                found = self.read_field(name, alt, node, scope, receiver, env)
                if found is not None:
                    return found
            return None
        if spec.format is not None:
            return format_captures(spec.format, receiver)
        if spec.receiver_text:  # what a method is called on: db.replica in db.replica.query(...)
            func = node.func if node is not None else None
            return Const(dotted(func.value) or self.anchor_text(func.value, 120)) if isinstance(func, cst.Attribute) else None
        if spec.class_attr is not None:  # a class-body constant (FAILURE_THRESHOLD = 10)
            cls = scope.cls  # classes: the matched class; with arg/kw: a same-file class passed (cls=MyBreaker)
            if spec.arg is not None or spec.kw is not None:
                expr = self.find_arg(node, spec.arg, spec.kw)[0] if node is not None else None
                passed = self.evaluate(expr, scope) if expr is not None else None
                cls = passed.cls if isinstance(passed, ClassValue) else None
            found = self.class_constant(cls, spec.class_attr, spec.text) if cls is not None else None
            return found if found is not None else (Const(spec.default) if spec.has_default else None)
        if spec.if_passed is not _MISSING_SPEC:  # passed for sure (not hidden in **kwargs) and not None
            expr = self.find_arg(node, spec.arg, spec.kw)[0] if node is not None else None
            inner = strip(self.to_value(self.evaluate(expr, scope))) if expr is not None else None
            return None if inner is None or isinstance(inner, Const) and inner.value is None else Const(spec.if_passed)
        v = self.read_arg(spec, node, scope, receiver, name)
        if v is not None and spec.unwrap:
            inner = strip(v)
            if isinstance(inner, Obj):
                v = inner.capture(spec.unwrap)
            elif spec.only_objects:
                v = None
        if v is not None and spec.path and not isinstance(strip(v), Dynamic):  # an unknown argument stays unknown
            found = at_path(v, spec.path)  # into a mapping, a list of pairs or a JSON document
            v = found if found is not None or not has_refs(v) else deferred_path(v, spec.path)  # imported: at link
        if v is None and spec.receiver and receiver is not None:
            v = self._receiver_path(receiver, spec.receiver)
        if v is None and spec.inherit and receiver is not None:
            v = receiver.capture(name)
        if v is None and spec.has_default:
            v = Const(spec.default)
        if v is not None and spec.prefix and receiver is not None:
            pre = receiver.capture(spec.prefix)
            if pre is not None:
                v = simplify_concat((pre, v))
        return v

    def class_constant(self, cls: ClassInfo, name: str, text: bool = False, depth: int = 0) -> Value | None:
        """``name`` bound in the class body, else in a same-file base class; its source text with ``text``."""
        b = cls.scope.bindings.get(name)
        if b is not None:
            if text and b.expr is not None:
                return Const(self.anchor_text(b.expr, 200))
            return self.to_value(self.binding_value(b, name))
        if depth < 8:
            for base in cls.node.bases:
                bv = self.evaluate(base.value, cls.scope.parent or self.module_scope)
                if isinstance(bv, ClassValue) and bv.cls is not cls:
                    return self.class_constant(bv.cls, name, text, depth + 1)
        return None

    def policy_instance(self, cls: ClassInfo) -> Obj | None:
        """An instance of a same-file class that a policy rule's ``classes:`` matched carries the class's fact."""
        key = id(cls.node)
        if key not in self._policy_classes:
            found: Obj | None = None
            for base in cls.node.bases:
                v = self.evaluate(base.value, cls.scope.parent or self.module_scope)
                if isinstance(v, Ref) and any(c.kind in POLICY_KINDS and c.pattern.fullmatch(v.qualname) for c in self.index.classes):
                    otype = self.index.ctor(v.qualname)
                    origin = f"{self.path}#{self.node_key(cls.node.name)}"  # match_class emits at the class name
                    found = Obj(otype.type if otype is not None else v.qualname, (), cls.node.name.value, origin)
                    break
            self._policy_classes[key] = found
        return self._policy_classes[key]

    @staticmethod
    def _receiver_path(receiver: Obj, path: str) -> Value | None:
        cur: Any = receiver
        for part in path.split("."):
            if not isinstance(cur, Obj):
                return None
            cur = cur.capture(part)
            if cur is None:
                return None
        return cur

    def build_fields(self, spec: MatchSpec, node: cst.Call | None, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> list[dict[str, Any]]:
        fields: dict[str, Any] = {}
        expand: tuple[str, Seq] | None = None
        for name, fspec in spec.fields.items():
            v = self.read_field(name, fspec, node, scope, receiver, env)
            if v is None:
                continue
            if fspec.each and isinstance(strip(v), Seq):
                expand = (name, strip(v))  # type: ignore[assignment]
            fields[name] = v
        if receiver is not None:
            for cap_name, cap in receiver.captures:
                if cap_name not in fields and cap_name not in spec.fields:
                    fields[cap_name] = cap
        if spec.rule.id in self.index.mount_rules:
            fields["_owner"] = fact_owner(self, node, receiver, scope)
        if expand is not None:
            name, seq = expand
            return [{**fields, name: item} for item in seq.items] or [fields]
        return [fields]

    def env_for(self, scope: Scope, **extra: str) -> dict[str, str]:
        env = dict(extra)
        fn = scope.function
        if fn is not None:
            env.setdefault("function", fn.qualname)
        if scope.cls is not None:
            env.setdefault("class", scope.cls.node.name.value)
        return env

    # ------------------------------------------------------------------ walking
    def walk_block(self, body: Sequence[cst.BaseStatement], scope: Scope) -> None:
        for stmt in body:
            self.walk_statement(stmt, scope)

    def walk_statement(self, stmt: cst.BaseStatement, scope: Scope) -> None:
        t = type(stmt)
        if t is cst.SimpleStatementLine:
            for small in stmt.body:
                self.walk_small(small, scope)
        elif t is cst.FunctionDef:
            self.walk_function(stmt, scope)
        elif t is cst.ClassDef:
            self.walk_class(stmt, scope)
        elif t is cst.If:
            self.walk_expr(stmt.test, scope)
            self.walk_block(self._block(stmt.body), scope)
            if stmt.orelse is not None:
                if isinstance(stmt.orelse, cst.If):
                    self.walk_statement(stmt.orelse, scope)
                else:
                    self.walk_block(self._block(stmt.orelse.body), scope)
        elif t is cst.For:
            self.walk_expr(stmt.iter, scope)
            self.bind_target(stmt.target, None, scope)
            it = self.evaluate_shallow(stmt.iter, scope)
            entered = self.policies.enter(object_policies(it)) if isinstance(it, Obj) else 0
            self._enter("on_loop", stmt, scope)
            self.walk_block(self._block(stmt.body), scope)
            self._leave("after_loop", stmt, scope)
            self.policies.leave(entered)
            if stmt.orelse is not None:
                self.walk_block(self._block(stmt.orelse.body), scope)
        elif t is cst.While:
            self.walk_expr(stmt.test, scope)
            self._enter("on_loop", stmt, scope)
            self.walk_block(self._block(stmt.body), scope)
            self._leave("after_loop", stmt, scope)
            if stmt.orelse is not None:
                self.walk_block(self._block(stmt.orelse.body), scope)
        elif t is cst.With:
            covering: list[FactRef] = []
            for item in stmt.items:
                self.walk_expr(item.item, scope)
                v = self.evaluate_shallow(item.item, scope)
                if isinstance(v, Obj) and self._scopes_block(v):
                    covering += object_policies(v)
                if item.asname is not None:
                    if isinstance(v, Obj):
                        otype = self.index.types.get(v.type)
                        self.bind_target(item.asname.name, v if otype is None or otype.context_manager else None, scope)
                    else:
                        self.bind_target(item.asname.name, None, scope)
            entered = self.policies.enter(covering)
            if covering:
                fallback = self.fallback_here()
                if fallback is not None:
                    self.policies.on_fallback(covering, fallback)
            self._enter("on_with", stmt, scope)
            self.walk_block(self._block(stmt.body), scope)
            self._leave("after_with", stmt, scope)
            self.policies.leave(entered)
        elif t is cst.Try or t is cst.TryStar:
            self._enter("on_try", stmt, scope)
            self.walk_block(self._block(stmt.body), scope)
            for h in stmt.handlers:
                if h.type is not None:
                    self.walk_expr(h.type, scope)
                if h.name is not None:
                    self.bind_target(h.name.name, None, scope)
                self._enter("on_handler", h, scope)
                self.walk_block(self._block(h.body), scope)
                self._leave("after_handler", h, scope)
            if stmt.orelse is not None:
                self.walk_block(self._block(stmt.orelse.body), scope)
            if stmt.finalbody is not None:
                self.walk_block(self._block(stmt.finalbody.body), scope)
            self._leave("after_try", stmt, scope)
        elif t is cst.Match:
            self.walk_expr(stmt.subject, scope)
            for case in stmt.cases:
                self.walk_block(self._block(case.body), scope)
        else:
            for child in stmt.children:
                if isinstance(child, cst.BaseExpression):
                    self.walk_expr(child, scope)

    def _enter(self, hook: str, node: cst.CSTNode, scope: Scope) -> None:
        self.stack.append(node)
        for impl in self.hooks.get(hook, ()):
            getattr(impl, hook)(self, node, scope)

    def _leave(self, hook: str, node: cst.CSTNode, scope: Scope) -> None:
        for impl in self.hooks.get(hook, ()):
            getattr(impl, hook)(self, node, scope)
        self.stack.pop()

    def walk_small(self, small: cst.BaseSmallStatement, scope: Scope) -> None:
        if self.idflow is not None and self.idflow.pending:
            self.idflow.statement_done()
        t = type(small)
        if t is cst.Expr:
            self.walk_expr(small.value, scope)
            if isinstance(small.value, cst.Call) and scope.kind != "module":
                self.apply_configure(small.value, scope)
        elif t is cst.Assign:
            self.walk_expr(small.value, scope)
            if scope.kind == "function":
                self.bind_assignment(small, scope)
            if self.idflow is not None:
                self.idflow.on_assign([tg.target for tg in small.targets], small.value)
            for impl in self.hooks.get("on_assign", ()):
                impl.on_assign(self, small, scope)
        elif t is cst.AnnAssign:
            if small.value is not None:
                self.walk_expr(small.value, scope)
                if self.idflow is not None:
                    self.idflow.on_assign([small.target], small.value)
            if scope.kind == "function":
                self.bind_assignment(small, scope)
        elif t is cst.AugAssign:
            self.walk_expr(small.value, scope)
            if scope.kind == "function" and isinstance(small.target, cst.Name):
                scope.bindings[small.target.value] = Binding(value=Dynamic(small.target.value))
        elif t is cst.Return:
            if small.value is not None:
                self.walk_expr(small.value, scope)
        elif t is cst.Import or t is cst.ImportFrom:
            if scope.kind != "module":
                self.bind_import(small, scope)
        elif t is cst.Raise:
            if small.exc is not None:
                self.walk_expr(small.exc, scope)
        elif t is cst.Assert:
            self.walk_expr(small.test, scope)
        elif t is cst.Del or t is cst.Pass or t is cst.Break or t is cst.Continue or t is cst.Global or t is cst.Nonlocal:
            return
        else:
            for child in small.children:
                if isinstance(child, cst.BaseExpression):
                    self.walk_expr(child, scope)

    def bind_assignment(self, stmt: cst.Assign | cst.AnnAssign, scope: Scope) -> None:
        if isinstance(stmt, cst.Assign):
            for target in stmt.targets:
                self.bind_target(target.target, stmt.value, scope, lazy=True)
        elif stmt.value is not None:
            self.bind_target(stmt.target, stmt.value, scope, lazy=True, annotation=stmt.annotation.annotation)

    def bind_target(self, target: cst.BaseExpression, value: Any, scope: Scope, lazy: bool = False, annotation: cst.BaseExpression | None = None) -> None:
        if isinstance(target, cst.Name):
            if lazy and value is not None:
                scope.bindings[target.value] = Binding(expr=value, scope=scope, annotation=annotation)
            else:
                scope.bindings[target.value] = Binding(value=value if value is not None else Dynamic(target.value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if lazy and isinstance(value, (cst.Tuple, cst.List)) else None
            for i, el in enumerate(target.elements):
                sub = values[i].value if values is not None and i < len(values) and isinstance(values[i], cst.Element) else None
                self.bind_target(el.value, sub, scope, lazy=sub is not None)

    def apply_configure(self, call: cst.Call, scope: Scope) -> None:
        """``session.mount(prefix, adapter)`` changes what ``session`` is: rebind it with the new capture."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return
        b = scope.bindings.get(func.value.value)
        if b is None:
            return
        obj = self.binding_value(b, func.value.value)
        if not isinstance(obj, Obj):
            return
        new = self.configure_obj(obj, call, scope)
        if new is not obj:
            scope.bindings[func.value.value] = Binding(value=new)

    def configure_obj(self, obj: Obj, call: cst.Call, scope: Scope) -> Obj:
        otype = self.index.types.get(obj.type)
        if otype is None or not isinstance(call.func, cst.Attribute):
            return obj
        conf = otype.configure.get(call.func.attr.value)
        if conf is None:
            return obj
        v = self.arg_value(call, conf.arg, conf.kw, scope)
        if v is None:
            return obj
        caps = list(obj.captures)
        if conf.append:
            old = obj.capture(conf.capture)
            items = (strip(old).items if isinstance(strip(old), Seq) else ()) + (v,)  # type: ignore[union-attr]
            caps = [c for c in caps if c[0] != conf.capture] + [(conf.capture, Seq(items))]
        else:
            caps = [c for c in caps if c[0] != conf.capture] + [(conf.capture, v)]
        return dataclasses.replace(obj, captures=tuple(caps))

    def walk_function(self, node: cst.FunctionDef, scope: Scope) -> None:
        fn_binding = scope.bindings.get(node.name.value)
        if fn_binding is not None and isinstance(fn_binding.value, FunctionValue) and fn_binding.value.fn.node is node:
            fn = fn_binding.value.fn
        else:
            fn = LocalFunction(node, scope, self._qual(scope, node.name.value))
            if scope.kind == "function":
                scope.bindings[node.name.value] = Binding(value=FunctionValue(fn))
        fscope = self.function_scope(fn)
        covering: list[FactRef] = []
        for deco in node.decorators:
            covering += self.walk_decorator(deco, node, fscope, scope)
        for p in list(node.params.params) + list(node.params.kwonly_params) + list(node.params.posonly_params):
            if p.default is not None:
                self.walk_expr(p.default, scope)
        self.stack.append(node)
        entered = self.policies.enter(covering)
        if covering:
            self.policies.decorated[fn.qualname] = covering
        if self.idflow is not None:
            ps = node.params
            names = [p.name.value for p in list(ps.posonly_params) + list(ps.params) + list(ps.kwonly_params)]
            if fscope.self_name and names and names[0] == fscope.self_name:
                names = names[1:]
            self.idflow.enter_function(fn.qualname, names)
        for impl in self.hooks.get("on_function", ()):
            impl.on_function(self, node, fscope)
        self.walk_block(self._block(node.body), fscope)
        for impl in self.hooks.get("after_function", ()):
            impl.after_function(self, node, fscope)
        self.policies.leave(entered)
        if self.idflow is not None:
            self.idflow.leave_function()
        self.stack.pop()

    def walk_decorator(self, deco: cst.Decorator, fn: cst.FunctionDef, fscope: Scope, outer: Scope) -> list[FactRef]:
        """Match a decorator; returns the policies (retry, breaker) it puts around the function."""
        expr = deco.decorator
        call = expr if isinstance(expr, cst.Call) else None
        if call is not None:
            for a in call.args:
                self.walk_expr(a.value, outer)
        covering: list[FactRef] = []
        if call is None and isinstance(expr, (cst.Name, cst.Attribute)):
            bare = self.evaluate(expr, outer)
            if isinstance(bare, Obj):
                covering += object_policies(bare)  # @breaker: an instance used as a decorator
        elif call is not None:
            made = self.evaluate_shallow(call, outer)
            if isinstance(made, Obj):
                covering += object_policies(made)  # @MyBreaker(), @CircuitBreaker(...): an instance made here
        qual, receiver, attr, _ = self.callee(call.func if call is not None else expr, outer)
        if receiver is not None:
            covering += object_policies(receiver)  # @breaker.decorate(...), @retrying.wraps
        if qual is None:
            return covering
        specs = self.index.decorators.get(qual)
        if not specs:
            return covering
        env = self.env_for(fscope, function=fscope.qualname, attr=attr, method=attr)
        if fscope.cls is not None:
            env["class"] = fscope.cls.node.name.value
        for spec in specs:
            if spec.binds is not None:
                self.bind_parameter(spec.binds, call, fn, fscope, outer, qual)
            for fields in self.build_fields(spec, call, outer, receiver, env):
                fact = self.emit_match(spec, expr, fields, fscope, qual, node_for_anchor=expr)
                if fact.kind in POLICY_KINDS and self.ref(fact) not in covering:
                    covering.append(self.ref(fact))
        return covering

    def bind_parameter(self, binds: dict[str, Any], call: cst.Call | None, fn: cst.FunctionDef, fscope: Scope, outer: Scope, qual: str) -> None:
        """``binds: {param: 0, type: T, if: bind}``: the decorated function's parameter is an instance
        of ``T`` whose captures are read from the decorator's arguments (a bound task's ``self``)."""
        flag = binds.get("if")
        if flag is not None:
            expr = self.find_arg(call, None, flag)[0] if call is not None else None
            v = strip(self.to_value(self.evaluate(expr, outer))) if expr is not None else None
            if not (isinstance(v, Const) and v.value):
                return
        otype = self.index.types.get(binds["type"])
        params = list(fn.params.posonly_params) + list(fn.params.params)
        i = int(binds.get("param", 0))
        if otype is None or i >= len(params):
            return
        obj = self.construct(otype, call, outer, qual, None) if call is not None else Obj(otype.type, (), qual.rpartition(".")[2], "")
        fscope.bindings[params[i].name.value] = Binding(value=obj)

    def walk_class(self, node: cst.ClassDef, scope: Scope) -> None:
        b = scope.bindings.get(node.name.value)
        if b is not None and isinstance(b.value, ClassValue) and b.value.cls.node is node:
            info = b.value.cls
        else:
            info = ClassInfo(node, Scope("class", self._qual(scope, node.name.value), scope), self._qual(scope, node.name.value))
            info.scope.cls = info
            scope.bindings[node.name.value] = Binding(value=ClassValue(info))
            self.prescan(self._block(node.body), info.scope)
        for deco in node.decorators:
            self.walk_expr(deco.decorator, scope)
        for base in node.bases:
            self.walk_expr(base.value, scope)
        if self.index.classes:
            self.match_class(node, info, scope)
        self.stack.append(node)
        self.walk_block(self._block(node.body), info.scope)
        self.stack.pop()

    def match_class(self, node: cst.ClassDef, info: ClassInfo, scope: Scope) -> None:
        for base in node.bases:
            v = self.evaluate(base.value, scope)
            if not isinstance(v, Ref):
                continue
            for cspec in self.index.classes:
                if not cspec.pattern.fullmatch(v.qualname):
                    continue
                base_name = v.qualname.rpartition(".")[2]
                env = {"class": node.name.value, "base": base_name}
                if cspec.each_method:
                    for stmt in self._block(node.body):
                        if isinstance(stmt, cst.FunctionDef) and not stmt.name.value.startswith("_"):
                            menv = {**env, "method": stmt.name.value, "function": f"{info.qualname}.{stmt.name.value}"}
                            fields = {k: self.read_field(k, f, None, info.scope, None, menv) for k, f in cspec.fields.items()}
                            self.emit(cspec.kind, cspec.rule.id, stmt.name, {k: v for k, v in fields.items() if v is not None}, info.scope, anchor=f"{info.qualname}.{stmt.name.value}")
                else:
                    fields = {k: self.read_field(k, f, None, info.scope, None, env) for k, f in cspec.fields.items()}
                    self.emit(cspec.kind, cspec.rule.id, node.name, {k: v for k, v in fields.items() if v is not None}, info.scope, anchor=info.qualname)

    def walk_expr(self, root: cst.BaseExpression, scope: Scope) -> None:
        """Find and match every call inside an expression (lambdas and comprehensions included)."""
        stack: list[cst.CSTNode] = [root]
        pop, push = stack.pop, stack.append
        calls: list[cst.Call] = []
        while stack:
            node = pop()
            t = type(node)
            if t is cst.Call:
                calls.append(node)
                for a in reversed(node.args):
                    push(a.value)
                push(node.func)
            elif t is cst.Name or t is cst.Integer or t is cst.Float or t is cst.SimpleString or t is cst.Ellipsis:
                continue
            elif t is cst.Attribute:
                push(node.value)
            elif t is cst.Subscript:
                if "on_subscript" in self.hooks:
                    for impl in self.hooks["on_subscript"]:
                        impl.on_subscript(self, node, scope)
                push(node.value)
                for el in node.slice:
                    if isinstance(el.slice, cst.Index):
                        push(el.slice.value)
            else:
                for child in _expr_children(node):
                    push(child)
        for call in reversed(calls):  # inner calls first: an id made inside a call's arguments is known to it
            self.match_call(call, scope)

    def match_call(self, node: cst.Call, scope: Scope) -> None:
        qual, receiver, attr, local = self.callee(node.func, scope)
        if "on_call" in self.hooks:
            for impl in self.hooks["on_call"]:
                impl.on_call(self, node, qual, receiver, scope)
        if isinstance(local, FunctionValue):
            self.policies.on_local_call(local.fn.qualname, caller=scope.function.qualname if scope.function is not None else None)
            fallback = self.fallback_here()
            if fallback is not None:  # a breaker-decorated function whose caller falls back
                self.policies.on_fallback(local.fn.qualname, fallback)
            if self.idflow is not None:
                self.idflow.on_local_call(local.fn.qualname, node)
        if qual is None:
            specs = self.index.methods.get(attr) if attr and isinstance(node.func, cst.Attribute) else None
            if not specs:
                return
            qual = f"?.{attr}"
        else:
            if qual in self.index.mounts:
                record_mounts(self, self.index.mounts[qual], node, scope, receiver)
            if qual in self.index.scopes:
                self.function_scopes(qual, node, scope, receiver)
            specs = self.index.call_specs(qual)
            if not specs:
                specs = self.index.methods.get(attr) if attr and receiver is None and isinstance(node.func, cst.Attribute) else None
                if not specs:
                    return
        env = self.env_for(scope, attr=attr, method=attr, type_name=(receiver.name if receiver else ""))
        own: list[FactRef] | None = None  # the call's own policy (retries=...): replaces its receiver's
        made: list[RawFact] = []
        for spec in specs:
            if spec.call_policy is not None:
                carried = self._call_policy(spec.call_policy, node, scope)
                if carried is None:
                    continue  # not passed: the receiver's policies apply
                if carried:
                    own = (own or []) + carried
                    continue
            if spec.unless is not None and self._unless(spec, node, scope):
                continue
            for fields in self.build_fields(spec, node, scope, receiver, env):
                if spec.where and not where_may_hold(spec.where, fields):
                    continue  # known now: no cross-module value can make it match at link time
                fact = self.emit_match(spec, node, fields, scope, qual, receiver=receiver)
                made.append(fact)
                if fact.kind in POLICY_KINDS:
                    if spec.call_policy is not None:
                        own = (own or []) + [self.ref(fact)]
                    elif spec.covers == "function" and scope.function is not None:
                        self.policies.cover_function(scope.function.qualname, self.ref(fact))
        if own is not None:
            for fact in made:
                if fact.kind in COVERED_KINDS:
                    fact.fields[LINK_FIELD] = list(self.policies.stack) + own

    def _call_policy(self, where: tuple[int | None, str | None], node: cst.Call, scope: Scope) -> list[FactRef] | None:
        """None when the per-call policy argument is absent (or None); else the policies of the object
        it names (empty when it is a plain value: the spec's own fact is the call's policy)."""
        expr, _ = self.find_arg(node, where[0], where[1])
        if expr is None:
            return None
        v = self.evaluate_shallow(expr, scope)
        inner = strip(v) if self.is_value(v) else v
        if isinstance(inner, Const) and inner.value is None:
            return None
        return object_policies(inner) if isinstance(inner, Obj) else []

    def function_scopes(self, qual: str, node: cst.Call, scope: Scope, receiver: Obj | None) -> None:
        """``breaker.call(fn)``, ``retrying(fn)``: the receiver's policies cover the function passed."""
        refs = object_policies(receiver) if receiver is not None else []
        fallback = self.fallback_here() if refs else None
        if fallback is not None:
            self.policies.on_fallback(refs, fallback)
        for spec in self.index.scopes[qual]:
            expr, _ = self.find_arg(node, spec.arg, spec.kw)
            if expr is None:
                continue
            fv = self.evaluate(expr, scope)
            if isinstance(fv, FunctionValue):
                self.policies.on_local_call(fv.fn.qualname, refs)

    def _unless(self, spec: MatchSpec, node: cst.Call, scope: Scope) -> bool:
        assert spec.unless is not None
        pos, kw, names = spec.unless
        expr, _ = self.find_arg(node, pos, kw)
        if isinstance(expr, cst.Call):
            qual, _, _, _ = self.callee(expr.func, scope)
            if qual in names:
                return True
        if expr is not None:
            v = self.evaluate_shallow(expr, scope)
            if isinstance(v, Obj):
                return any((ot := self.index.ctor(n)) is not None and ot.type == v.type for n in names)
        return False

    def emit_match(self, spec: MatchSpec, node: cst.CSTNode, fields: dict[str, Any], scope: Scope, qual: str, node_for_anchor: cst.CSTNode | None = None, receiver: Obj | None = None) -> RawFact:
        if spec.where:
            fields["_where"] = spec.where
        return self.emit(spec.kind, spec.rule.id, node, fields, scope, receiver=receiver)

    # ------------------------------------------------------------------ exports
    def collect_exports(self) -> None:
        """Module-level names other modules may import: constants and tracked instances."""
        out = self.result.exports
        for name, b in self.module_scope.bindings.items():
            if b.expr is None and not (isinstance(b.value, Ref) and b.value.qualname != name):
                continue
            try:
                v = self.binding_value(b, name)
            except RecursionError:
                continue
            if isinstance(v, (Const, Named, Env, Seq, Map, Concat, Obj, Ref, Call)) or type(v).__name__ == "BinOp":
                out[name] = self.to_value(v)


def _is_literal(node: cst.BaseExpression) -> bool:
    """A constant-like expression: literals, containers of literals, names like DEFAULT_SCORE."""
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False") or node.value.isupper()
    if isinstance(node, cst.UnaryOperation):
        return _is_literal(node.expression)
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return all(isinstance(e, cst.Element) and _is_literal(e.value) for e in node.elements)
    if isinstance(node, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _is_literal(e.key) and _is_literal(e.value) for e in node.elements)
    if isinstance(node, cst.Attribute):
        return node.attr.value.isupper()
    return False


_SKIP_CHILD_TYPES = (
    cst.BaseParenthesizableWhitespace,
    cst.Comma,
    cst.LeftParen,
    cst.RightParen,
    cst.Dot,
    cst.AssignEqual,
    cst.Colon,
    cst.BaseUnaryOp,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Asynchronous,
)

_FIELD_CACHE: dict[type, tuple[str, ...]] = {}
_NON_EXPR_FIELDS = {
    "lpar",
    "rpar",
    "whitespace_before",
    "whitespace_after",
    "whitespace_after_star",
    "whitespace_after_param",
    "whitespace_before_colon",
    "whitespace_after_colon",
    "whitespace_after_func",
    "whitespace_before_args",
    "whitespace_before_in",
    "whitespace_after_in",
    "whitespace_before_if",
    "whitespace_after_if",
    "whitespace_before_else",
    "whitespace_after_else",
    "whitespace_before_for",
    "whitespace_after_for",
    "whitespace_after_await",
    "whitespace_after_lambda",
    "whitespace_before_expression",
    "whitespace_after_expression",
    "comma",
    "equal",
    "star",
    "colon",
    "operator",
    "dot",
    "asynchronous",
    "prefix",
    "start",
    "end",
}


def _expr_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    fields = _FIELD_CACHE.get(type(node))
    if fields is None:
        fields = tuple(f.name for f in dataclasses.fields(node) if f.name not in _NON_EXPR_FIELDS)  # type: ignore[arg-type]
        _FIELD_CACHE[type(node)] = fields
    for name in fields:
        v = getattr(node, name)
        if v is None or isinstance(v, (str, int, float)):
            continue
        if isinstance(v, cst.CSTNode):
            if not isinstance(v, _SKIP_CHILD_TYPES):
                yield v
        elif isinstance(v, (tuple, list)):
            for item in reversed(v):
                if isinstance(item, cst.CSTNode) and not isinstance(item, _SKIP_CHILD_TYPES):
                    yield item
