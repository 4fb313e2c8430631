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
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from ...durations import MIN_CALL
from ...environment.svcconfig import config_ref, placeholder_value
from ...facts import Diagnostic, FactRef
from ...link import where_may_hold
from ...values import (
    BinOp,
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
    describe,
    fold,
    has_refs,
    simplify_concat,
    strip,
)
from ..base import FileResult, Mount, RawFact
from .policies import COVERED_KINDS, LINK_FIELD, POLICY_KINDS, PolicyTracker, object_policies, origin_ref
from .index import _MISSING as _IF_MISSING
from .idflow import TsIdFlow
from ...templates import format_captures, render, template_vars
from .index import MatchSpec, ObjectType, Spec, TsIndex

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node, Tree

MAX_EVAL_DEPTH = 40
MAX_CALL_ARGS = 12
MAX_LITERAL_ITEMS = 32
MAX_INLINE_DEPTH = 4  # nested same-file function calls evaluated with their arguments
OWNER_CAPTURE = "_owner"  # raw field read by the link stage's mounts (extractor/mounts.py OWNER_FIELD)


class _Unbound:
    pass


UNBOUND = _Unbound()


@dataclass(eq=False, slots=True)
class FunctionInfo:
    node: "Node"
    scope: "Scope"  # the defining scope (a closure's enclosing function)
    qualname: str
    name: str
    cls: "ClassInfo | None" = None


@dataclass(eq=False, slots=True)
class ClassInfo:
    """A type declared in this file (a Go struct, a class)."""

    name: str
    node: "Node"
    scope: "Scope"
    qualname: str
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    members: dict[str, list[tuple["Node", "Scope"]]] | None = None  # field → assigned expressions
    member_types: dict[str, tuple["Node", "Scope"]] = field(default_factory=dict)  # field → declared type
    member_cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Opaque:
    """An expression whose value is unknown; its text is produced only if it is reported."""

    node: "Node"


@dataclass(frozen=True, slots=True)
class FunctionValue:
    fn: FunctionInfo


@dataclass(frozen=True, slots=True)
class ClassValue:
    cls: ClassInfo


@dataclass(frozen=True, slots=True)
class Instance:
    """A value of a same-file type (a method's receiver, ``this``, a struct literal)."""

    cls: ClassInfo
    name: str = ""


@dataclass(slots=True)
class Binding:
    expr: "Node | None" = None
    scope: "Scope | None" = None
    value: Any = UNBOUND
    index: int = 0  # position in a multi-value right-hand side (a, err := f())
    type_node: "Node | None" = None  # a declared type (var c http.Client; a typed parameter)
    param: bool = False  # constructed elsewhere: a tracked type's declared captures are unknown
    ambiguous: bool = False


@dataclass(slots=True)
class Scope:
    kind: str  # module | function
    qualname: str
    parent: "Scope | None"
    bindings: dict[str, Binding] = field(default_factory=dict)
    function: FunctionInfo | None = None
    cls: ClassInfo | None = None
    closures: int = 0

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            b = scope.bindings.get(name)
            if b is not None:
                return b
            scope = scope.parent
        return None

    def owner_of(self, name: str) -> "Scope | None":
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope
            scope = scope.parent
        return None


@dataclass(slots=True)
class Site:
    """A call or a construction, as the language spells it: what the argument specs read."""

    node: "Node"  # reported at
    func: "Node | None" = None  # the callee expression
    type_node: "Node | None" = None  # a construction by type name (Go composite literal, new T(...))
    args: list["Node"] = field(default_factory=list)
    kwargs: dict[str, "Node"] = field(default_factory=dict)  # keyword / named arguments
    fields: dict[str, "Node"] | None = None  # composite-literal fields, object-initialiser properties
    hidden: bool = False  # a spread (f(xs...)) may hide the arguments after it
    type_args: list["Node"] = field(default_factory=list)  # generic type arguments (C# AddHttpClient<RiskClient>(...))


def join_prefix(prefix: Value, path: Value) -> Value:
    """A router prefix and a route path joined with one ``/`` (``v1`` + ``:id`` → ``v1/:id``,
    ``/v1/`` + ``/x`` → ``/v1/x``); an empty path is the prefix itself."""
    p_end = _edge(prefix, -1)
    s_start = _edge(path, 0)
    if s_start == "":  # an empty path: the prefix alone
        return prefix
    if p_end == "":
        return path
    if p_end is not None and s_start is not None:
        if p_end == "/" and s_start == "/":
            inner = strip(path)
            if isinstance(inner, Const) and isinstance(inner.value, str):
                return simplify_concat((prefix, Const(inner.value[1:])))
        elif p_end != "/" and s_start != "/":
            return simplify_concat((prefix, Const("/"), path))
    return simplify_concat((prefix, path))


def _edge(v: Value, at: int) -> str | None:
    """The first (0) or last (-1) character of a value's text when it is a known string ("" when empty)."""
    inner = strip(v)
    if isinstance(inner, Concat) and inner.parts:
        return _edge(inner.parts[at], at)
    if isinstance(inner, Const) and isinstance(inner.value, str):
        return inner.value[at] if inner.value else ""
    return None


def at_path_named(v: Value, path: tuple[str | int, ...]) -> Value | None:
    """``at_path`` that keeps a named constant found at the end (``{timeout: TIMEOUT_MS}``)."""
    holder = at_path(v, path[:-1]) if len(path) > 1 else strip(v)
    last = path[-1]
    if isinstance(holder, Map) and isinstance(last, str):
        found = holder.get(last)
        if found is not None:
            return found
    return at_path(v, path)


def _hashable(args: tuple[Any, ...]) -> bool:
    try:
        hash(args)
    except TypeError:
        return False
    return True


class Analyzer:
    """Analyse one file. Subclasses implement the language hooks; ``run()`` returns the result."""

    language = ""
    # node type → method name: evaluate an expression (missing: opaque)
    EVAL: dict[str, str] = {}
    # node type → method name: walk a statement (missing: CONTAINERS recurse, anything else is an expression)
    STATEMENTS: dict[str, str] = {}
    CONTAINERS: frozenset[str] = frozenset()
    CALL_TYPES: frozenset[str] = frozenset()  # call / construction nodes (matched in expressions)
    FUNCTION_TYPES: frozenset[str] = frozenset()  # function literals / lambdas (walked as closures)
    LEAF_TYPES: frozenset[str] = frozenset()  # expression nodes with nothing to match inside
    CONSTANTS: Mapping[str, Any] = {}  # library constants the language knows (time.Second)
    ENV_GETTERS: Mapping[str, tuple[int, int | None]] = {}  # qualname → (variable arg, default arg)
    PASS_THROUGH: frozenset[str] = frozenset()  # conversions that keep the value (int64(x))
    CONVERTERS: Mapping[str, str] = {}  # qualname → float | int | str (strconv.Atoi → int)
    IDENTIFIER_TYPES: frozenset[str] = frozenset({"identifier"})  # names the id flow looks up
    SUBSCRIPT_TYPES: frozenset[str] = frozenset()  # index expressions impl rules' on_subscript receives
    # an argument a spread (``...args``, ``*args``) may hide reads as Dynamic(SPREAD_LABEL); with
    # SPREAD_HIDES_KEYWORDS a keyword argument may be hidden too (Python's ``**kwargs``)
    SPREAD_LABEL = "..."
    SPREAD_HIDES_KEYWORDS = False
    # a ``path:`` into an argument whose value is unknown: with PATH_KEEPS_UNKNOWN the unknown value
    # itself (``timeout_expr=**kwargs``), else nothing (then ``dynamic:`` or a default applies)
    PATH_KEEPS_UNKNOWN = False
    # a ``receiver:`` path through an unknown value: that value (True), or nothing (False)
    RECEIVER_PATH_KEEPS_UNKNOWN = True
    # a decorator that is a tracked instance (``@breaker``) or builds one (``@Breaker()``) puts its
    # policies around the function; a bare decorator has no arguments to read
    DECORATOR_INSTANCES = False
    # the literal a surrounding try/except returns (fallback_here) is also the fallback of the
    # policies covering the call (breaker.call(fn), a call of a decorated same-file function)
    POLICY_FALLBACKS = False
    # a method call resolved to a same-file function still matches ``any_receiver`` rules by its name
    LOCAL_METHODS_MATCH_BY_NAME = False
    # a same-file function whose returns are all one unknown expression returns it (its text), not ``f()``
    OPAQUE_RETURNS = False
    # an external call met as a receiver (``select(M).where(...)``) is its text, not ``Call(qual)``
    SHALLOW_CALLS_OPAQUE = False
    ENV_KEYWORDS: tuple[str, str] | None = None  # keyword names of an env reader's variable and default (Python: key, default)
    # module exports: names imported from elsewhere (re-exports, as references), fields of same-file types
    EXPORT_IMPORTS = False
    EXPORT_CLASS_MEMBERS = True
    CONVERT_SINGLE_ARGUMENT = False  # a converter applies only when called with its one argument (Python: not int(x, 16))

    def __init__(
        self,
        index: TsIndex,
        path: str,
        source: bytes,
        tree: "Tree",
        module: str = "",
        query: Callable[[str], Any] | None = None,
        imported_objects: Mapping[str, Obj] | None = None,
    ) -> None:
        self.index = index
        self.imported_objects = imported_objects or {}  # objects other files of the module export (second pass)
        self.path = path
        self.source = source
        self.tree = tree
        self.module_name = module
        self._query = query
        self.result = FileResult(path=path, language=self.language)
        self.module_scope = Scope("module", "", None)
        self.policies = PolicyTracker(path)
        self.stack: list[Any] = []
        self._eval = {t: getattr(self, m) for t, m in self.EVAL.items()}
        self._stmt = {t: getattr(self, m) for t, m in self.STATEMENTS.items()}
        self._eval_depth = 0
        self._inline_depth = 0
        self._in_progress: set[int] = set()
        self._keys: dict[int, int] = {}
        self._emitted: set[int] = set()
        self._next_key = 1
        self._return_cache: dict[Any, Any] = {}
        self._callbacks: dict[int, tuple[int, Obj]] = {}  # function literal id → (parameter index, object)
        self._classes: dict[str, ClassInfo] = {}
        self._fn_scopes: dict[int, Scope] = {}
        self._mounts_at: set[int] = set()
        self._constants = {**self.CONSTANTS, **index.constants}
        self._env_getters = {**self.ENV_GETTERS, **index.env_getters}  # the platform rules' env:, converters:, pass_through:
        self._converters = {**self.CONVERTERS, **index.converters}
        self._pass_through = self.PASS_THROUGH | index.pass_through
        self._literal_policies: dict[int, list[FactRef]] = {}  # function literal id → policies of the call running it
        self._ref_policies: dict[str, list[FactRef]] = {}  # a module-level instance (Ref) → policies attached to it
        self._class_receivers: dict[int, Obj | None] = {}
        self._id_wrappers: dict[int, Any] = {}  # function node id → (specs, inner call site, scope) or None
        self._wrapped_inner: set[int] = set()  # node ids of id calls inside a wrapper that has call sites
        self.idflow: TsIdFlow | None = None
        self._pending_sinks: list[tuple[RawFact, Site, Scope]] = []
        self._decorator_sites: list[tuple[str | None, Site]] = []  # the decorators of the function being matched
        self._scope_timeouts: list[tuple[str, Any]] = []  # (label, limit) of decorators bounding the enclosing functions' calls
        self._literal_timeouts: dict[int, list[tuple[str, Any]]] = {}  # function literal id → limits of the call running it (withTimeout)
        if index.has_id_rules and index.id_words_re is not None and index.id_words_re.search(source):
            self.idflow = TsIdFlow(self, **index.idflow_options)
        from .summary import SummaryRecorder  # the file's summary for the link stage (frontends/summary.py)

        self.summary: SummaryRecorder | None = SummaryRecorder(path, self.language, module)

    # ================================================================ language hooks
    def prescan(self, root: "Node") -> None:
        """Bind the file's top-level names (imports, constants, variables, functions, types)."""
        raise NotImplementedError

    def walk_root(self, root: "Node") -> None:
        """Walk the file's top-level declarations (functions through ``walk_function``)."""
        raise NotImplementedError

    def site(self, node: "Node", scope: Scope) -> Site | None:
        """The call site of a CALL_TYPES node (None: not a call after all)."""
        raise NotImplementedError

    def member_parts(self, node: "Node") -> tuple["Node", str] | None:
        """(object expression, member name) when ``node`` is a member access (``a.b``)."""
        return None

    def resolve_type(self, type_node: "Node", scope: Scope) -> Any:
        """A declared type: ``Ref`` (qualified name), ``ClassValue`` (same-file type) or None."""
        return None

    def function_params(self, node: "Node") -> list[tuple[str, "Node | None"]]:
        """A function's parameters: (name, declared type node or None)."""
        return []

    def function_receiver(self, node: "Node") -> tuple[str, "Node | None"] | None:
        """A method's receiver / ``this`` (Go ``func (s *S) M()``), bound as a declared instance."""
        return None

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        """Walk a function's body (statements in order)."""
        raise NotImplementedError

    def scan_function(self, fn: FunctionInfo, scope: Scope) -> list["Node"]:
        """Bind a function's locals into ``scope`` (no matching) and return its returned expressions."""
        return []

    def collect_members(self, cls: ClassInfo) -> None:
        """Fill ``cls.members`` (field → assigned expressions anywhere in the file) and ``member_types``."""
        cls.members = {}

    def class_bases(self, cls: ClassInfo) -> list[str]:
        """Qualified names a same-file type derives from / embeds (for ``classes:``)."""
        return []

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        """Decorator / annotation / attribute call sites of a function (none in Go)."""
        return []

    def short_text(self, node: "Node") -> str:
        """The text a ``text: true`` spec keeps (a function literal: its signature)."""
        return self.anchor_text(node, 200)

    def unbound_name(self, name: str) -> Any:
        """An identifier no scope binds (a builtin, a name of another file)."""
        return Dynamic(name)

    def fallback_here(self) -> str | None:
        """The literal a surrounding try/catch returns when the call fails (languages with try)."""
        return None

    def class_constant(self, cls: ClassInfo, name: str, text: bool = False) -> Value | None:
        """A class-body constant of a same-file class (``class_attr:`` specs); languages with class bodies."""
        return None

    def class_decorators(self, cls: ClassInfo) -> list[Site]:
        """Decorator / annotation call sites of a same-file class (``@Controller("v1")``): one
        that builds a tracked object is the receiver of its methods' decorator matches."""
        return []

    def literal_pairs(self, node: "Node") -> list[tuple[str | None, "Node | None"]] | None:
        """``(key, value)`` pairs when ``node`` is an object / map / keyed struct literal (None:
        it is not one); a spread is ``(None, node)``. The id flow labels values with the keys."""
        return None

    # ================================================================ entry
    def run(self) -> FileResult:
        res = self.result
        src = self.source
        res.lines = src.count(b"\n") + (0 if src.endswith(b"\n") or not src else 1)
        root = self.tree.root_node
        if root.has_error:
            line = self._first_error_line(root)
            res.diagnostics.append(Diagnostic(self.path, "syntax_error", f"parsed with errors (first near line {line}); analysed what could be parsed", line=line, severity="warning"))
        res.parsed = True
        try:
            self.prescan(root)
            self.walk_root(root)
            if self.index.queries:
                self.run_queries(root)
            for impl in self.index.impls:
                done = getattr(impl, "finish", None)
                if done is not None:
                    done(self)
            self.policies.finish()
            if self.idflow is not None:
                self.idflow.finish()
            if self._wrapped_inner:  # an id made by a wrapper is reported where the wrapper is called
                drop = {self._keys[n] for n in self._wrapped_inner if n in self._keys}
                res.facts = [f for f in res.facts if not (f.kind == "id_generation" and f.key in drop)]
        except RecursionError:
            res.diagnostics.append(Diagnostic(self.path, "internal_error", "analysis stopped: code nested too deeply", severity="warning"))
        if self.module_name:  # exports are looked up by module name at link time
            self.collect_exports()
        if self.summary is not None:
            res.summary = self.summary.finish(self, self._return_cache)
        return res

    @staticmethod
    def _first_error_line(root: "Node") -> int:
        node = root
        while True:
            nxt = None
            for child in node.children:
                if child.is_error or child.is_missing:
                    return child.start_point[0] + 1
                if child.has_error:
                    nxt = child
                    break
            if nxt is None:
                return node.start_point[0] + 1
            node = nxt

    # ================================================================ text and facts
    def text(self, node: "Node") -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def anchor_text(self, node: "Node", limit: int = 240) -> str:
        return " ".join(self.text(node).split())[:limit]

    def position(self, node: "Node") -> tuple[int, int]:
        row, col = node.start_point
        start = node.start_byte
        prefix = self.source[start - col : start]
        return row + 1, (len(prefix.decode("utf-8", "replace")) if prefix and max(prefix) > 127 else col) + 1

    def node_key(self, node: "Node") -> int:
        key = self._keys.get(node.id)
        if key is None:
            key = self._keys[node.id] = self._next_key
            self._next_key += 1
        return key

    def ref(self, fact: RawFact) -> FactRef:
        return FactRef(fact.key, self.path)

    def emit(self, kind: str, rule_id: str, node: "Node", fields: dict[str, Any], scope: Scope | None = None, anchor: str | None = None, receiver: Any = None) -> RawFact:
        if node.id in self._emitted:
            key = self._next_key
            self._next_key += 1
        else:
            key = self.node_key(node)
            self._emitted.add(node.id)
        line, col = self.position(node)
        fact = RawFact(kind=kind, rule=rule_id, line=line, col=col, fields=fields, scope=scope.qualname if scope else "", anchor=anchor if anchor is not None else self.anchor_text(node), key=key)
        self.result.facts.append(fact)
        if self.summary is not None:
            self.summary.fact(key, scope)
        fn = scope.function.qualname if scope is not None and scope.function is not None else None
        self.policies.on_fact(fact, receiver, fn)
        if fn is not None and kind in COVERED_KINDS:  # a closure's facts are its enclosing function's too (op := func() { cb.Execute(func() {...}) })
            inner = scope.function
            while inner is not None and inner.node.type in self.FUNCTION_TYPES and inner.scope.function is not None:
                inner = inner.scope.function
                self.policies.facts_in_function.setdefault(inner.qualname, []).append(fact)
        if kind == "id_generation" and self.idflow is not None:
            self.idflow.on_id_fact(fact, node)
        if kind in ("http_call", "grpc_call"):
            fallback = self.fallback_here()
            if fallback is not None:
                fields["fallback"] = Const(fallback)
        return fact

    # ================================================================ evaluation
    def evaluate(self, node: "Node | None", scope: Scope) -> Any:
        if node is None:
            return Dynamic("")
        if self._eval_depth > MAX_EVAL_DEPTH:
            return Dynamic("…")
        handler = self._eval.get(node.type)
        if handler is None:
            return Opaque(node)
        self._eval_depth += 1
        try:
            return handler(node, scope)
        finally:
            self._eval_depth -= 1

    def evaluate_shallow(self, node: "Node", scope: Scope) -> Any:
        """Like evaluate, but an unknown call stays a bare ``Call`` (no argument values built)."""
        if node.type in self.CALL_TYPES:
            site = self.site(node, scope)
            return self.eval_call(site, scope, shallow=True) if site is not None else Opaque(node)
        return self.evaluate(node, scope)

    @staticmethod
    def is_value(v: Any) -> bool:
        return isinstance(v, (Const, Named, Ref, Env, Seq, Map, Obj, Call, Concat, Dynamic, BinOp))

    def to_value(self, v: Any) -> Value:
        """An evaluation result as a public ``Value`` (unknowns get their source text)."""
        if isinstance(v, Opaque):
            return Dynamic(self.anchor_text(v.node, 200))
        if isinstance(v, FunctionValue):
            return Dynamic(v.fn.qualname)
        if isinstance(v, ClassValue):
            return Dynamic(v.cls.qualname)
        if isinstance(v, Instance):
            return Dynamic(v.name or v.cls.name)
        return v

    def arg_values(self, site: Site, scope: Scope) -> tuple[Any, ...]:
        return tuple(self.evaluate(a, scope) for a in site.args)

    # ---------------------------------------------------------------- names
    def lookup_name(self, name: str, scope: Scope) -> Any:
        b = scope.lookup(name)
        if b is None:
            return self.unbound_name(name)
        return self.binding_value(b, name)

    def resolve_ref(self, qual: str) -> Any:
        """A qualified name: a constant the language or a rule knows, a library instance, else a Ref."""
        if qual in self._constants:
            return Const(self._constants[qual])
        otype = self.index.instances.get(qual)
        if otype is not None:
            return Obj(otype.type, (), qual.rpartition(".")[2], "")
        return Ref(qual)

    def binding_value(self, b: Binding, name: str) -> Any:
        if b.value is not UNBOUND:
            return b.value
        if b.expr is None:
            if b.type_node is None:
                b.value = Dynamic(name)
                return b.value
            key = id(b)
            if key in self._in_progress:
                return Dynamic(name)
            self._in_progress.add(key)
            try:
                v = self.declared_instance(b.type_node, b.scope or self.module_scope, name, b.param)
            finally:
                self._in_progress.discard(key)
            b.value = v
            return v
        if b.index > 0:
            b.value = Dynamic(name)
            return b.value
        key = id(b)
        if key in self._in_progress:
            return Dynamic(name)
        self._in_progress.add(key)
        try:
            v = self.evaluate(b.expr, b.scope or self.module_scope)
            if b.type_node is not None and not isinstance(v, (Obj, Instance)):
                declared = self.declared_instance(b.type_node, b.scope or self.module_scope, name, False)
                if isinstance(declared, (Obj, Instance)):
                    v = declared
        finally:
            self._in_progress.discard(key)
        if b.ambiguous and not isinstance(v, Obj):
            v = Dynamic(name)
        elif isinstance(v, (Const, Seq, Map, Concat, Env, Call, BinOp)):
            v = Named(name, v)
        elif isinstance(v, Opaque):
            v = Dynamic(name)
        b.value = v
        return v

    def declared_instance(self, type_node: "Node", scope: Scope, name: str, unknown: bool) -> Any:
        """A name declared with a type: an instance of a tracked type (``var c http.Client``: its zero
        value; a parameter: built by the caller, so the type's ``declared: unknown`` captures are
        unknown), or of a same-file type."""
        t = self.resolve_type(type_node, scope)
        if isinstance(t, Ref):
            otype = self.index.tracked(t.qualname)
            if otype is not None:
                caps: tuple[tuple[str, Value], ...] = ()
                if unknown and otype.declared:
                    caps = tuple((cap, Dynamic(name)) for cap, mode in otype.declared.items() if mode == "unknown")
                return Obj(otype.type, caps, t.name, "")
            return Dynamic(name)
        if isinstance(t, ClassValue):
            return Instance(t.cls, name)
        return Dynamic(name)

    def bind(self, scope: Scope, name: str, expr: "Node | None" = None, value: Any = UNBOUND, index: int = 0, type_node: "Node | None" = None, rebind: bool = False) -> None:
        """Bind ``name`` in ``scope`` (with ``rebind``: where it is already bound, as ``x = v`` does)."""
        if not name or name == "_":
            return
        target = scope
        if rebind:
            target = scope.owner_of(name) or scope
        b = Binding(expr=expr, scope=scope, value=value, index=index, type_node=type_node)
        if expr is not None and value is UNBOUND and index == 0 and self.mentions(expr, name):
            self.binding_value(b, name)  # x = x.WithContext(ctx): evaluated now, against the previous x
        if self.idflow is not None and expr is not None and index == 0 and self.idflow.active():
            self.idflow.assign(target, name, expr, scope)
        target.bindings[name] = b

    def mentions(self, node: "Node", name: str) -> bool:
        """Whether an expression's text contains the identifier ``name``."""
        data = self.source[node.start_byte : node.end_byte]
        word = name.encode()
        start = data.find(word)
        while start >= 0:
            end = start + len(word)
            before = data[start - 1 : start] if start else b""
            after = data[end : end + 1]
            if not (before.isalnum() or before == b"_") and not (after.isalnum() or after == b"_"):
                return True
            start = data.find(word, end)
        return False

    # ---------------------------------------------------------------- members
    def eval_member(self, base: Any, attr: str, node: "Node", scope: Scope) -> Any:
        if isinstance(base, Ref):
            return self.resolve_ref(f"{base.qualname}.{attr}")
        if isinstance(base, Obj):
            otype = self.index.types.get(base.type)
            if otype is not None and attr in otype.attrs:
                return Obj(otype.attrs[attr], (), "", base.origin)
            cap = base.capture(attr)
            if cap is None and otype is not None and attr in otype.field_captures:
                cap = base.capture(otype.field_captures[attr])
            if cap is not None:
                return cap
            if otype is not None and otype.members is not None:
                mtype, mcap = otype.members
                return Obj(mtype, base.captures + (((mcap, Const(attr)),) if mcap else ()), base.name, base.origin)
            return Opaque(node)
        if isinstance(base, Instance):
            return self.instance_member(base, attr, node)
        if isinstance(base, Map):
            found = base.get(attr)
            return found if found is not None else Opaque(node)
        inner = strip(base) if isinstance(base, Named) else None
        if isinstance(inner, Map):
            found = inner.get(attr)
            return found if found is not None else Opaque(node)
        return Opaque(node)

    def instance_member(self, inst: Instance, attr: str, node: "Node | None") -> Any:
        cls = inst.cls
        if attr in cls.member_cache:
            return cls.member_cache[attr]
        cls.member_cache[attr] = Dynamic(f"{inst.name or cls.name}.{attr}")  # cycle guard
        if cls.members is None:
            self.collect_members(cls)
        assert cls.members is not None
        result: Any
        values = [self.evaluate(expr, s) for expr, s in cls.members.get(attr, ())]
        objs = [v for v in values if isinstance(v, (Obj, Instance))]
        if objs:
            result = objs[-1]
        elif values and all(v == values[0] for v in values) and not isinstance(values[0], Opaque):
            result = values[0]
        elif not values and attr in cls.member_types:
            tnode, tscope = cls.member_types[attr]
            result = self.declared_instance(tnode, tscope, f"{inst.name or cls.name}.{attr}", True)
        elif not values and attr in cls.methods:
            result = FunctionValue(cls.methods[attr])
        elif not values and self.module_name and self.wanted(f"{cls.name}.{attr}") is not None:  # declared in another file of the module
            result = self.imported_objects[f"{self.module_name}.{cls.name}.{attr}"]
        else:
            result = Dynamic(f"{inst.name or cls.name}.{attr}")
        cls.member_cache[attr] = result
        return result

    def wanted(self, name: str) -> Obj | None:
        """An object another file of the module exports under ``name``; the name is recorded as
        imported from the module either way (the scan's package pass re-extracts the file with the
        object when a sibling exports it)."""
        qual = f"{self.module_name}.{name}"
        self.result.imports.setdefault(name, qual)
        return self.imported_objects.get(qual)

    # ---------------------------------------------------------------- calls
    def callee(self, func: "Node | None", scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        """What a call calls: (qualified name, receiver instance, member name, same-file definition)."""
        if func is None:
            return None, None, "", None
        parts = self.member_parts(func)
        if parts is not None:
            base_node, attr = parts
            base = self.evaluate_shallow(base_node, scope)
            if isinstance(base, Obj):
                return f"{base.type}.{attr}", base, attr, None
            if isinstance(base, Ref):
                return f"{base.qualname}.{attr}", None, attr, None
            if isinstance(base, Instance):
                fn = base.cls.methods.get(attr)
                if fn is not None:
                    return fn.qualname, None, attr, FunctionValue(fn)
                v = self.instance_member(base, attr, func)
                if isinstance(v, FunctionValue):
                    return v.fn.qualname, None, attr, v
                if isinstance(v, Obj) and v.type in self.index.callable_types:
                    return f"{v.type}.__call__", v, "__call__", None
                return None, None, attr, None
            if isinstance(base, ClassValue):
                fn = base.cls.methods.get(attr)
                if fn is not None:
                    return fn.qualname, None, attr, FunctionValue(fn)
                return None, None, attr, None
            if isinstance(base, Call) and not base.func.startswith("$"):
                return f"{base.func}().{attr}", None, attr, None
            return None, None, attr, None
        v = self.evaluate(func, scope)
        if isinstance(v, Ref):
            return v.qualname, None, v.name, None
        if isinstance(v, FunctionValue):
            return v.fn.qualname, None, v.fn.name, v
        if isinstance(v, ClassValue):
            return v.cls.qualname, None, v.cls.name, v
        if isinstance(v, Obj) and v.type in self.index.callable_types:
            return f"{v.type}.__call__", v, "__call__", None
        return None, None, "", None

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        if site.func is None:  # a construction by type: Go composite literal, new(T)
            return self.eval_construction(site, scope)
        qual, receiver, attr, local = self.callee(site.func, scope)
        if isinstance(local, FunctionValue):
            return self.function_return(local.fn, site, scope)
        if isinstance(local, ClassValue):
            return self.class_instance(local.cls, site)
        if qual is None:
            return Opaque(site.node)
        if receiver is not None:
            otype_r = self.index.types.get(receiver.type)
            if otype_r is not None and attr in otype_r.configure:  # a builder / configuring method returns the changed object
                return self.configure_obj(receiver, site, scope)
        made = self.construct_for(qual, site, scope, receiver)
        if made is not None:
            return made
        if receiver is not None:
            otype_r = self.index.types.get(receiver.type)
            if otype_r is not None and attr in otype_r.returns:
                return Obj(otype_r.returns[attr], receiver.captures, receiver.name, receiver.origin)
            if otype_r is not None and otype_r.fluent and not self.index.call_specs(qual):  # a builder's other methods return it
                return receiver
        getter = self._env_getters.get(qual)
        if getter is not None:
            kw_var, kw_default = self.ENV_KEYWORDS or (None, None)
            var = self.site_value(site, getter[0], scope, kw_var)
            default = self.site_value(site, getter[1], scope, kw_default) if getter[1] is not None else None
            if isinstance(strip(var), Const):
                return Env(str(strip(var).value), default if default is not None and strip(default) != Const(None) else None)  # type: ignore[union-attr]
            return Opaque(site.node)
        if qual in self._pass_through and len(site.args) == 1:
            inner = self.evaluate(site.args[0], scope)
            return inner if self.is_value(inner) else Opaque(site.node)
        conv = self._converters.get(qual)
        if conv is not None and site.args and not (self.CONVERT_SINGLE_ARGUMENT and (len(site.args) != 1 or site.kwargs)):
            inner = self.evaluate(site.args[0], scope)
            return convert(conv, inner) if self.is_value(inner) and not isinstance(inner, Dynamic) else Opaque(site.node)
        special = self.special_call(qual, site, scope)
        if special is not None:
            return special
        if shallow:  # a call's receiver, evaluated for its name only
            return Opaque(site.node) if self.SHALLOW_CALLS_OPAQUE else Call(qual)
        if receiver is not None or len(site.args) > MAX_CALL_ARGS:
            return Opaque(site.node)
        return self.call_value(qual, site, scope)

    def class_instance(self, cls: ClassInfo, site: Site) -> Any:
        """The value of ``C(...)`` for a same-file class ``C``."""
        return Instance(cls)

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        """Language-specific call values (None: nothing special)."""
        return None

    def call_value(self, qual: str, site: Site, scope: Scope) -> Call:
        """A call of a known external function as a value (``time.Now().Add(d)``), for rules to interpret."""
        args = tuple(self.to_value(self.evaluate(a, scope)) for a in site.args)
        kwargs = tuple((k, self.to_value(self.evaluate(n, scope))) for k, n in site.kwargs.items())
        return Call(qual, args, kwargs)

    def eval_construction(self, site: Site, scope: Scope) -> Any:
        t = self.resolve_type(site.type_node, scope) if site.type_node is not None else None
        if isinstance(t, Ref):
            made = self.construct_for(t.qualname, site, scope, None)
            if made is not None:
                return made
            return self.untracked_literal(site, scope)
        if isinstance(t, ClassValue):
            return Instance(t.cls)
        return self.untracked_literal(site, scope)

    def untracked_literal(self, site: Site, scope: Scope) -> Any:
        """A literal of a type no rule tracks: its fields as a ``Map`` (so ``key:`` specs reach them)."""
        if site.fields:
            if len(site.fields) > MAX_LITERAL_ITEMS:
                return Opaque(site.node)
            return Map(tuple((Const(k), self.to_value(self.evaluate(v, scope))) for k, v in site.fields.items()))
        if site.args and not site.fields:
            if len(site.args) > MAX_LITERAL_ITEMS:
                return Opaque(site.node)
            return Seq(tuple(self.to_value(self.evaluate(a, scope)) for a in site.args))
        return Opaque(site.node)

    def construct_for(self, qual: str, site: Site, scope: Scope, receiver: Obj | None) -> Obj | None:
        for otype in self.index.ctor(qual):
            if otype.requires is not None and not self.requires_ok(otype.requires.arg, otype.requires.kw, otype.requires.types, site, scope):
                continue
            return self.construct(otype, site, scope, qual, receiver)
        return None

    def spec_requires_ok(self, spec: MatchSpec, site: Site, scope: Scope, receiver: Obj | None) -> bool:
        req = spec.requires
        assert req is not None
        if req.receiver:  # the receiver (a decorator's: the object its class's decorator built)
            return receiver is not None and receiver.type in req.types
        return self.requires_ok(req.arg, req.kw, req.types, site, scope)

    def receiver_built_by(self, receiver: Obj | None, names: frozenset[str]) -> bool:
        if receiver is None:
            return False
        return any(o.type == receiver.type for n in names for o in self.index.ctor(n)) or receiver.type in names

    def requires_ok(self, arg: int | None, kw: str | None, types: frozenset[str], site: Site, scope: Scope) -> bool:
        node = self.find_arg(site, arg, kw)
        if node is None:
            return False
        v = self.evaluate_shallow(node, scope)
        return isinstance(v, Obj) and v.type in types

    def construct(self, otype: ObjectType, site: Site, scope: Scope, qual: str, receiver: Obj | None) -> Obj:
        caps: list[tuple[str, Value]] = []
        for name, spec in otype.captures.items():
            partial = Obj(otype.type, tuple(caps))
            v = self.read_field(name, spec, site, scope, receiver, {}, partial=partial, inherit=False)
            if v is not None:
                caps.append((name, v))
        if receiver is not None:  # made by a method of a tracked object: keeps the captures it does not set
            have = {k for k, _ in caps}
            caps += [(k, v) for k, v in receiver.captures if k not in have]
            if self.index.mount_rules and OWNER_CAPTURE not in have and receiver.capture(OWNER_CAPTURE) is None and receiver.origin:
                caps.append((OWNER_CAPTURE, Const(receiver.origin)))  # a sub-router's routes belong to its root object
        obj = Obj(otype.type, tuple(caps), qual.rpartition(".")[2], f"{self.path}#{self.node_key(site.node)}")
        if otype.callback is not None:
            arg, param = otype.callback
            node = site.args[arg] if -len(site.args) <= arg < len(site.args) else None
            if node is not None and node.type in self.FUNCTION_TYPES:
                self._callbacks[node.id] = (param, obj)
            elif node is not None and node.type in self.IDENTIFIER_TYPES:  # a same-file function passed by name (a plugin)
                fv = self.evaluate(node, scope)
                if isinstance(fv, FunctionValue) and fv.fn.node.id not in self._fn_scopes:
                    self._callbacks[fv.fn.node.id] = (param, obj)
        return obj

    def configure_obj(self, obj: Obj, site: Site, scope: Scope) -> Obj:
        otype = self.index.types.get(obj.type)
        if otype is None or site.func is None:
            return obj
        parts = self.member_parts(site.func)
        conf = otype.configure.get(parts[1]) if parts is not None else None
        if conf is None:
            return obj
        if conf.type_arg is not None:  # .Or<TimeoutException>(): a generic type argument, as text
            if conf.type_arg >= len(site.type_args):
                return obj
            return self.with_capture(obj, conf.capture, Const(self.anchor_text(site.type_args[conf.type_arg], 120)), conf.append)
        if conf.value is not _IF_MISSING:  # GET() / POST(body): a constant
            return self.with_capture(obj, conf.capture, Const(conf.value), conf.append)
        node = self.find_arg(site, conf.arg, conf.kw)
        if node is None:
            return obj
        v = self.to_value(self.evaluate(node, scope))
        if conf.unit_arg is not None:
            v = self.with_unit(v, site, conf.unit_arg, scope)
        return self.with_capture(obj, conf.capture, v, conf.append)

    def with_unit(self, v: Value, site: Site, unit_arg: int, scope: Scope) -> Value:
        """``(500, TimeUnit.MILLISECONDS)``: the amount as a call of the unit constant, which the
        rule's timeout ``functions:`` interpret (``java.util.concurrent.TimeUnit.MILLISECONDS: ms``)."""
        node = self.find_arg(site, unit_arg, None)
        if node is None:
            return v
        unit = strip(self.to_value(self.evaluate(node, scope)))
        if isinstance(unit, Ref):
            return Call(unit.qualname, (v,))
        return Dynamic(f"{describe(v)} {describe(unit)}")

    @staticmethod
    def with_capture(obj: Obj, capture: str, v: Value, append: bool = False) -> Obj:
        caps = [c for c in obj.captures if c[0] != capture]
        if append:
            old = strip(obj.capture(capture)) if obj.capture(capture) is not None else None
            items = (old.items if isinstance(old, Seq) else (old,) if old is not None else ()) + (v,)  # a single first value is kept
            v = Seq(items)
        return dataclasses.replace(obj, captures=tuple(caps) + ((capture, v),))

    def set_field(self, base_name: str, field_name: str, value_node: "Node", scope: Scope) -> None:
        """``client.Timeout = d`` on a tracked object bound to a name: the capture changes."""
        b = scope.lookup(base_name)
        if b is None:
            return
        obj = self.binding_value(b, base_name)
        if not isinstance(obj, Obj):
            return
        otype = self.index.types.get(obj.type)
        if otype is None:
            return
        conf = otype.configure.get(field_name)
        if conf is not None and conf.fact_field is not None:  # client.RetryMax = 2: the policy fact that built it changes
            ref = origin_ref(obj.origin)
            fact = self.policies.policy_facts.get(ref.key) if ref is not None and ref.file == self.path else None
            if fact is not None:
                fact.fields[conf.fact_field] = self.to_value(self.evaluate(value_node, scope))
        cap = otype.field_captures.get(field_name) or (field_name if field_name in otype.capture_names else None)
        if cap is None:
            return
        new = self.with_capture(obj, cap, self.to_value(self.evaluate(value_node, scope)))
        owner = scope.owner_of(base_name) or scope
        owner.bindings[base_name] = Binding(value=new)

    def apply_configure(self, site: Site, scope: Scope) -> None:
        """``x.Configure(...)`` as a statement: rebind ``x`` with the changed capture."""
        if site.func is None:
            return
        parts = self.member_parts(site.func)
        if parts is None or parts[1] not in self.index.configure_methods or parts[0].type != "identifier":
            return
        name = self.text(parts[0])
        b = scope.lookup(name)
        if b is None:
            return
        obj = self.binding_value(b, name)
        if not isinstance(obj, Obj):
            return
        new = self.configure_obj(obj, site, scope)
        if new is not obj:
            owner = scope.owner_of(name) or scope
            owner.bindings[name] = Binding(value=new)
        self.configure_fact(obj, site, scope)

    def configure_fact(self, obj: Obj, site: Site, scope: Scope) -> None:
        """``breaker.fallback(() => "cached")``: a ``configure`` entry with ``fact_field`` sets that
        field of the policy fact that built the object (same file): a function's returned constant,
        else the argument's text."""
        otype = self.index.types.get(obj.type)
        parts = self.member_parts(site.func) if site.func is not None else None
        conf = otype.configure.get(parts[1]) if otype is not None and parts is not None else None
        if conf is None or conf.fact_field is None:
            return
        ref = origin_ref(obj.origin)
        fact = self.policies.policy_facts.get(ref.key) if ref is not None and ref.file == self.path else None
        node = self.find_arg(site, conf.arg, conf.kw)
        if fact is None or node is None:
            return
        v = self.evaluate(node, scope)
        if isinstance(v, FunctionValue):
            r = self.function_return(v.fn, None, None)
            v = r if isinstance(strip(r) if self.is_value(r) else None, Const) else Const(self.anchor_text(node, 120))
        fact.fields[conf.fact_field] = self.to_value(v)

    # ---------------------------------------------------------------- functions
    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = Scope("function", fn.qualname, fn.scope, function=fn, cls=fn.cls)
        recv = self.function_receiver(fn.node)
        if recv is not None:
            name, tnode = recv
            if name:
                scope.bindings[name] = Binding(type_node=tnode, scope=fn.scope) if tnode is not None else Binding(value=Dynamic(name))
        override = self._callbacks.get(fn.node.id)
        for i, (name, tnode) in enumerate(self.function_params(fn.node)):
            if not name or name == "_":
                continue
            if override is not None and override[0] == i:
                scope.bindings[name] = Binding(value=override[1])
            elif args is not None and i < len(args):
                scope.bindings[name] = Binding(value=args[i])
            elif tnode is not None:
                scope.bindings[name] = Binding(type_node=tnode, scope=fn.scope, param=True)
            else:
                scope.bindings[name] = Binding(value=Dynamic(name))
        return scope

    def function_return(self, fn: FunctionInfo, site: Site | None, scope: Scope | None) -> Any:
        """What a same-file function returns, evaluated with the call's arguments bound (factories,
        env helpers such as ``getenv("X", "default")``)."""
        args: tuple[Any, ...] | None = None
        if site is not None and scope is not None and site.args and self._inline_depth < MAX_INLINE_DEPTH:
            args = tuple(self.to_value(v) if isinstance(v, Opaque) else v for v in self.arg_values(site, scope))
            if not _hashable(args):
                args = None
        key = (fn.node.id, args)
        if key in self._return_cache:
            return self._return_cache[key]
        fallback = Dynamic(fn.name + "()")
        self._return_cache[key] = fallback
        self._inline_depth += 1
        try:
            fscope = self.function_scope(fn, args)
            returns = [self.evaluate(e, fscope) for e in self.scan_function(fn, fscope)]
        finally:
            self._inline_depth -= 1
        result: Any = fallback
        objs = [r for r in returns if isinstance(r, (Obj, Instance))]
        envs = [r for r in returns if isinstance(strip(r), Env) and strip(r).default is None]  # type: ignore[union-attr]
        if objs:
            result = objs[-1]
        elif len(envs) == 1 and len(returns) == 2:  # return os.Getenv(k) ... return def: an env read with a default
            other = returns[0] if returns[1] is envs[0] else returns[1]
            if self.is_value(other) and not isinstance(other, Dynamic):
                result = Env(strip(envs[0]).var, self.to_value(other))  # type: ignore[union-attr]
        elif returns and all(r == returns[0] for r in returns) and (self.OPAQUE_RETURNS or not isinstance(returns[0], Opaque)):
            result = returns[0]
        self._return_cache[key] = result
        return result

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
            for dsite in dsites:
                covering += self.match_decorator(dsite, fn, fscope)
            self._decorator_sites = []
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

    def closure(self, node: "Node", scope: Scope) -> FunctionInfo:
        if scope.function is not None:
            scope.closures += 1
            qual = f"{scope.qualname}.func{scope.closures}"
        else:
            self.module_scope.closures += 1
            qual = f"func{self.module_scope.closures}"
        return FunctionInfo(node, scope, qual, qual.rpartition(".")[2], scope.cls)

    # ================================================================ walking
    def walk_statement(self, node: "Node", scope: Scope) -> None:
        handler = self._stmt.get(node.type)
        if handler is not None:
            handler(node, scope)
        elif node.type in self.CONTAINERS:
            for child in node.named_children:
                self.walk_statement(child, scope)
        else:
            self.walk_expr(node, scope)

    def walk_expr(self, root: "Node | None", scope: Scope) -> None:
        """Match every call inside an expression; function literals are walked after (as closures)."""
        if root is None:
            return
        stack = [root]
        pop, push = stack.pop, stack.extend
        calls: list[Node] = []
        funcs: list[Node] = []
        call_types, fn_types, leaves = self.CALL_TYPES, self.FUNCTION_TYPES, self.LEAF_TYPES
        subscripts = self.impl_hooks("on_subscript") if self.SUBSCRIPT_TYPES else ()
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
        for call in calls:  # outer first: a constructor with a callback binds the literal's parameter first
            site = self.site(call, scope)
            if site is not None:
                self.match_call(site, scope)
        if len(self._pending_sinks) > mark:
            sinks = self._pending_sinks[mark:]
            del self._pending_sinks[mark:]
            if self.idflow is not None and self.idflow.active():
                for fact, site, sscope in sinks:
                    self.idflow.on_outbound(fact, site, sscope)
        for fnode in funcs:
            self.walk_function(self.closure(fnode, scope))

    # ================================================================ matching
    def find_arg(self, site: Site, pos: int | None, kw: str | None) -> "Node | None":
        if kw is not None and kw in site.kwargs:
            return site.kwargs[kw]
        if pos is None:
            return None
        n = len(site.args)
        if pos < 0:
            pos += n
        if 0 <= pos < n:
            return site.args[pos]
        return None

    def site_value(self, site: Site, pos: int | None, scope: Scope, kw: str | None = None) -> Value | None:
        node = self.find_arg(site, pos, kw)
        return self.to_value(self.evaluate(node, scope)) if node is not None else None

    def read_arg(self, spec: Spec, site: Site | None, scope: Scope) -> Value | None:
        if site is None:
            return None
        if spec.decorator:  # a sibling decorator of the same function (JAX-RS @Path beside @GET)
            site = self._sibling_decorator(spec.decorator, scope)
            if site is None:
                return None
        if spec.chain is not None:  # a call chained on this call's result (mono.timeout(d))
            site = self.chained_call(site.node, spec.chain, scope)
            if site is None:
                return None
        if spec.option:  # functional options: retry.Do(op, retry.Attempts(3))
            site = self.option_call(site, spec.option, scope)
            if site is None:
                return None
        v = self._read_arg(spec, site, scope)
        if v is not None and spec.unit_arg is not None:
            v = self.with_unit(v, site, spec.unit_arg, scope)
        return v

    def option_call(self, site: Site, names: tuple[str, ...], scope: Scope) -> Site | None:
        """The argument of ``site`` that is a call of one of ``names`` (the last one wins, as
        functional options apply in order), also through a variable holding such a call."""
        found: Site | None = None
        for a in site.args:
            node = a
            if node.type in self.IDENTIFIER_TYPES:  # opts := retry.Attempts(3); retry.Do(op, opts)
                b = scope.lookup(self.text(node))
                node = getattr(b, "expr", None) if b is not None else None
                if node is None:
                    continue
            if node.type not in self.CALL_TYPES:
                continue
            sub = self.site(node, scope)
            if sub is not None and sub.func is not None and self.callee(sub.func, scope)[0] in names:
                found = sub
        return found

    def _sibling_decorator(self, names: tuple[str, ...], scope: Scope) -> Site | None:
        for qual, dsite in self._decorator_sites:
            if qual in names:
                return dsite
        return None

    def chained_call(self, node: "Node", method: str, scope: Scope) -> Site | None:
        """The call of ``method`` made on the result of the call ``node`` (directly or further up a
        fluent chain: ``webClient.get().retrieve().bodyToMono(T.class).timeout(d)``)."""
        cur = node
        for _ in range(12):
            parent = cur.parent
            while parent is not None and parent.type not in self.CALL_TYPES:  # through member accesses, parentheses
                if parent.type in ("parenthesized_expression", "await_expression") or self.member_parts(parent) is not None:
                    parent = parent.parent
                else:
                    parent = None
            if parent is None:
                return None
            site = self.site(parent, scope)
            if site is None or site.func is None:
                return None
            parts = self.member_parts(site.func)
            if parts is None or not (parts[0].start_byte <= cur.start_byte and cur.end_byte <= parts[0].end_byte):
                return None  # used as an argument, not as the receiver
            if parts[1] == method:
                return site
            cur = parent
        return None

    def _read_arg(self, spec: Spec, site: Site, scope: Scope) -> Value | None:
        node = None
        if spec.type_arg is not None:  # a generic type argument: its text
            return Const(self.anchor_text(site.type_args[spec.type_arg], 120)) if spec.type_arg < len(site.type_args) else None
        if spec.field is not None and site.fields is not None:
            node = site.fields.get(spec.field)
        if node is None and (spec.arg is not None or spec.kw is not None):
            node = self.find_arg(site, spec.arg, spec.kw)
            if node is None and site.hidden and ((spec.arg is not None and spec.arg >= 0) or (spec.kw is not None and self.SPREAD_HIDES_KEYWORDS)):
                return Dynamic(self.SPREAD_LABEL)
        if node is None:
            return None
        if spec.text:
            return Const(self.short_text(node))
        return self.to_value(self.evaluate(node, scope))

    def read_field(self, name: str, spec: Spec, site: Site | None, scope: Scope, receiver: Obj | None, env: dict[str, str], partial: Obj | None = None, inherit: bool = True) -> Any:
        if spec.is_const:
            c = spec.const
            if spec.template and isinstance(c, str):
                if not any(var in env for var in template_vars(c)):
                    return None  # nothing to fill it with (a first_of then tries the next)
                return Const(render(c, env, keep_unknown=False))
            return Const(c)
        if spec.first_of:
            for alt in spec.first_of:
                found = self.read_field(name, alt, site, scope, receiver, env, partial, inherit)
                if found is not None:
                    return self.finish_value(spec, found, receiver)  # the outer spec's placeholders / prefix apply too
            return None
        if spec.min_of:
            parts = []
            for label, alt in spec.min_of:
                found = self.read_field(name, alt, site, scope, receiver, env, partial, inherit=False)
                if found is not None:
                    parts.append((label, found))
            if not parts:
                return Const(spec.default) if spec.has_default else None
            return Call(MIN_CALL, (), tuple(parts))
        if spec.format is not None:
            return format_captures(spec.format, partial if partial is not None else receiver)
        if spec.receiver_text:
            parts_ = self.member_parts(site.func) if site is not None and site.func is not None else None
            text = self.anchor_text(parts_[0], 120) if parts_ is not None else None
            if text is not None and spec.regex is not None:  # RiskGrpc.newBlockingStub(ch): "(\\w+)Grpc$" → Risk
                m = spec.regex.search(text)
                text = m.group(1) if m is not None and m.group(1) is not None else None
            return Const(text) if text is not None else None
        if spec.class_attr is not None:  # a class-body constant (FAILURE_THRESHOLD = 10)
            cls = scope.cls  # classes: the matched class; with arg/kw: a same-file class passed (cls=MyBreaker)
            if spec.arg is not None or spec.kw is not None:
                node = self.find_arg(site, spec.arg, spec.kw) if site is not None else None
                passed = self.evaluate(node, scope) if node is not None else None
                cls = passed.cls if isinstance(passed, ClassValue) else None
            found = self.class_constant(cls, spec.class_attr, spec.text) if cls is not None else None
            return found if found is not None else (Const(spec.default) if spec.has_default else None)
        if spec.config:  # configuration keys: resolved at link time against the service's files
            keys = []
            for key in spec.config:
                wanted = template_vars(key)
                if wanted and not all(var in env for var in wanted):
                    continue
                keys.append(render(key, env, keep_unknown=False) if wanted else key)
            default = Const(spec.default) if spec.has_default else None
            return config_ref(keys, default=default, scale=spec.scale) if keys else default
        if spec.if_passed is not _IF_MISSING:
            node = self.find_arg(site, spec.arg, spec.kw) if site is not None else None
            inner = strip(self.to_value(self.evaluate(node, scope))) if node is not None else None
            if inner is not None and spec.path:  # a key of the argument (Settings{ReadyToTrip: ...})
                found = at_path_named(inner, spec.path)
                inner = strip(found) if found is not None else None
            return None if inner is None or (isinstance(inner, Const) and inner.value is None) else Const(spec.if_passed)
        v = self.read_arg(spec, site, scope)
        if v is not None and spec.unwrap:
            v = self.unwrap(v, spec.unwrap, spec.only_objects)
        if v is not None and spec.path and not (self.PATH_KEEPS_UNKNOWN and isinstance(strip(v), Dynamic)):
            found = at_path_named(v, spec.path)
            if found is None and spec.dynamic and isinstance(strip(v), Dynamic):  # options not known here: the value is unknown
                found = Dynamic(".".join([describe(v), *map(str, spec.path)]))
            v = found if found is not None or not has_refs(v) else deferred_path(v, spec.path)
        if v is not None and spec.regex is not None:
            inner = strip(v)
            m = spec.regex.search(inner.value) if isinstance(inner, Const) and isinstance(inner.value, str) else None
            v = Const(m.group(1)) if m is not None and m.group(1) is not None else None
        if v is None and spec.receiver and receiver is not None:
            v = self.receiver_path(receiver, spec.receiver)
        if v is None and spec.inherit and inherit and receiver is not None:
            v = receiver.capture(name)
        if v is None and spec.has_default:
            v = Const(spec.default)
        return self.finish_value(spec, v, receiver)

    def finish_value(self, spec: Spec, v: Any, receiver: Obj | None) -> Any:
        """A field's value after the spec's own post-processing: configuration placeholders, then a
        receiver capture prefix (a router's or a controller's)."""
        if v is None:
            return v
        if spec.placeholders:  # "${risk.url}": the service's configuration
            v = self.with_placeholders(v)
        if spec.prefix and receiver is not None:
            pre = receiver.capture(spec.prefix)
            if pre is not None:
                items = strip(v)
                v = Seq(tuple(join_prefix(pre, x) for x in items.items)) if isinstance(items, Seq) else join_prefix(pre, v)
        return v

    @staticmethod
    def with_placeholders(v: Value) -> Value:
        inner = strip(v)
        if isinstance(inner, Const) and isinstance(inner.value, str) and "${" in inner.value:
            return placeholder_value(inner.value)
        if isinstance(inner, Seq):
            return Seq(tuple(Analyzer.with_placeholders(x) for x in inner.items))
        return v

    def unwrap(self, v: Value, path: tuple[str, ...], only_objects: bool) -> Value | None:
        inner = strip(v)
        if not isinstance(inner, Obj):
            return None if only_objects else v
        cur: Value | None = inner
        for step in path:
            obj = strip(cur)
            if not isinstance(obj, Obj):
                return cur  # unknown part way (a parameter's context): stays unknown
            cur = obj.capture(step)
            if cur is None:
                return None
        return cur

    def receiver_path(self, receiver: Obj, path: str) -> Value | None:
        cur: Any = receiver
        for part in path.split("."):
            inner = strip(cur)
            if not isinstance(inner, Obj):
                return cur if isinstance(inner, Dynamic) and self.RECEIVER_PATH_KEEPS_UNKNOWN else None
            cur = inner.capture(part)
            if cur is None:
                return None
        return cur

    def build_fields(self, spec: MatchSpec, site: Site | None, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> list[dict[str, Any]]:
        fields: dict[str, Any] = {}
        expand: tuple[str, Seq] | None = None
        for name, fspec in spec.fields.items():
            v = self.read_field(name, fspec, site, scope, receiver, env)
            if v is None:
                continue
            if name.startswith("_") and name not in env:  # an internal field: later templates may use {_name}
                inner = strip(v)
                if isinstance(inner, Const) and isinstance(inner.value, str):
                    env = {**env, name: inner.value}
            if fspec.each and isinstance(strip(v), Seq):
                expand = (name, strip(v))  # type: ignore[assignment]
            fields[name] = v
        if receiver is not None:
            for cap_name, cap in receiver.captures:
                if cap_name not in fields and cap_name not in spec.fields:
                    fields[cap_name] = cap
        if spec.rule.id in self.index.mount_rules:
            fields[OWNER_CAPTURE] = self.owner_of(receiver)
        if expand is not None:
            name, seq = expand
            return [{**fields, name: item} for item in seq.items] or [fields]
        return [fields]

    def env_for(self, scope: Scope, **extra: str) -> dict[str, str]:
        env = dict(extra)
        if scope.function is not None:
            env.setdefault("function", scope.function.qualname)
        if scope.cls is not None:
            env.setdefault("class", scope.cls.name)
        return env

    def match_call(self, site: Site, scope: Scope) -> None:
        qual: str | None
        if site.func is None:
            t = self.resolve_type(site.type_node, scope) if site.type_node is not None else None
            if not isinstance(t, Ref):
                return
            qual, receiver, attr, local = t.qualname, None, t.name, None
        else:
            qual, receiver, attr, local = self.callee(site.func, scope)
            for impl in self.impl_hooks("on_call"):  # impl rules see every call with its resolved name
                impl.on_call(self, site.node, qual, receiver, scope)
        if self.summary is not None:
            self.summary.call(self, site, scope, qual, attr, local)
        if isinstance(local, FunctionValue):
            self.policies.on_local_call(local.fn.qualname, caller=scope.function.qualname if scope.function is not None else None)
            if self.idflow is not None:
                self.id_wrapper_call(local.fn, site, scope)
                if self.idflow.active():
                    self.idflow.on_local_call(local.fn.qualname, site, scope)
            if self.POLICY_FALLBACKS:
                fallback = self.fallback_here()
                if fallback is not None:  # a breaker-decorated function whose caller falls back
                    self.policies.on_fallback(local.fn.qualname, fallback)
            if not (self.LOCAL_METHODS_MATCH_BY_NAME and attr in self.index.methods and site.func is not None and self.member_parts(site.func) is not None):
                return
            qual, receiver = None, None  # self.slave_for(...) defined here: any_receiver rules still match it by name
        if qual is None:
            specs = self.index.methods.get(attr) if attr and site.func is not None and self.member_parts(site.func) is not None else None
            if not specs:
                return
            qual = f"?.{attr}"
        else:
            otypes = self.index.ctor(qual)
            if otypes and any(o.callback is not None for o in otypes):
                self.eval_call(site, scope)  # binds the callback's parameter before the literal is walked
            if qual in self.index.mounts:
                self.record_mounts(qual, site, scope, receiver)
            specs = self.index.call_specs(qual)
            if not specs:
                specs = self.index.methods.get(attr) if attr and receiver is None and site.func is not None and self.member_parts(site.func) is not None else None
                if not specs:
                    if qual in self.index.scopes:
                        self.function_scopes(qual, site, scope, receiver)
                    return
        env = self.env_for(scope, attr=attr, method=attr, type_name=(receiver.name if receiver else ""))
        own: list[FactRef] | None = None
        made: list[RawFact] = []
        for spec in specs:
            if spec.scope_timeout is not None:  # withTimeout(ms) { ... }: no fact, a limit on the literal's calls
                self.bound_literal(spec, site, scope, receiver, env)
                continue
            if spec.call_policy is not None:
                carried = self._call_policy(spec.call_policy, site, scope)
                if carried is None:
                    continue
                if carried:
                    own = (own or []) + carried
                    continue
            if spec.requires is not None and not self.spec_requires_ok(spec, site, scope, receiver):
                continue
            if spec.unless is not None and self._unless(spec, site, scope):
                continue
            if spec.unless_receiver is not None and self.receiver_built_by(receiver, spec.unless_receiver):
                continue
            for fields in self.fields_for(spec, site, scope, receiver, env):
                if spec.where and not where_may_hold(spec.where, fields):
                    continue
                if self._scope_timeouts and spec.kind in ("http_call", "grpc_call"):
                    fields["timeout"] = self.bounded_timeout(fields.get("timeout"))
                if spec.where:
                    fields["_where"] = spec.where
                fact = self.emit(spec.kind, spec.rule.id, site.node, fields, scope, receiver=receiver)
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
        if qual in self.index.scopes:  # the function it runs is covered by the receiver's and its own policies
            self.function_scopes(qual, site, scope, receiver, [self.ref(f) for f in made if f.kind in POLICY_KINDS])
        if not made:
            return
        if self._ref_policies and receiver is None:  # axiosRetry(axios, ...): calls through a module's default instance
            for prefix, refs in self._ref_policies.items():
                if qual == prefix or qual.startswith(prefix + "."):
                    for fact in made:
                        if fact.kind in COVERED_KINDS:
                            links = fact.fields.setdefault(LINK_FIELD, [])
                            links.extend(r for r in refs if r not in links)
        for spec in specs:
            if spec.attach is not None:
                self.attach_policies(spec, site, scope, [self.ref(f) for f in made if f.kind in POLICY_KINDS and f.rule == spec.rule.id])
        if self.idflow is not None:  # checked once the expression's calls are all matched (ids made in the arguments)
            for fact in made:
                if fact.kind in ("http_call", "grpc_call"):
                    self._pending_sinks.append((fact, site, scope))

    def bounded_timeout(self, timeout: Any) -> Any:
        """A call's timeout under the time limits of the enclosing functions' decorators: the
        smallest applies (``timeout_from`` names it: ``call`` for the call's own)."""
        parts: list[tuple[str, Any]] = []
        if isinstance(timeout, Call) and timeout.func == MIN_CALL:
            parts += list(timeout.kwargs)
        elif timeout is not None:
            parts.append(("call", timeout))
        parts += self._scope_timeouts
        return Call(MIN_CALL, (), tuple(parts))

    def bound_literal(self, spec: MatchSpec, site: Site, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> None:
        """A call with ``scope_timeout`` (``withTimeout(2000) { ... }``): its field ``timeout``
        bounds the calls made in the function literal it runs (its last function-literal argument)."""
        literal = next((a for a in reversed(site.args) if a.type in self.FUNCTION_TYPES), None)
        if literal is None or spec.scope_timeout is None:
            return
        limit = self.build_fields(spec, site, scope, receiver, env)[0].get("timeout")
        if limit is not None:
            self._literal_timeouts.setdefault(literal.id, []).append((spec.scope_timeout, limit))

    def fields_for(self, spec: MatchSpec, site: Site, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> list[dict[str, Any]]:
        """The field sets of one match: one, or one per method of the same-file type passed at
        ``each_method`` (a gRPC server registration)."""
        if spec.each_method is None:
            return self.build_fields(spec, site, scope, receiver, env)
        node = self.find_arg(site, spec.each_method.arg, spec.each_method.kw)
        v = self.evaluate(node, scope) if node is not None else None
        literal = strip(v) if isinstance(v, (Map, Named)) else None
        if isinstance(literal, Map):  # an object literal of handlers ({score: scoreHandler}): its keys are the methods
            out = []
            for k, item in literal.items:
                key = strip(k)
                if isinstance(key, Const) and isinstance(key.value, str) and self.exported(key.value):
                    handler = describe(item) if self.is_value(item) else key.value
                    out += self.build_fields(spec, site, scope, receiver, {**env, "method": key.value, "handler": handler})
            if out:
                return out
        methods = sorted(v.cls.methods) if isinstance(v, Instance) else []
        methods = [m for m in methods if self.exported(m)]
        if not methods:  # the implementation's methods are not in this file: one fact for the service
            env = {k: v for k, v in env.items() if k != "method"}
            return [self._tidy_paths(f) for f in self.build_fields(spec, site, scope, receiver, env)]
        out = []
        for m in methods:
            qual = v.cls.methods[m].qualname  # type: ignore[union-attr]
            out += self.build_fields(spec, site, scope, receiver, {**env, "method": m, "function": qual, "handler": qual})
        return out

    @staticmethod
    def _tidy_paths(fields: dict[str, Any]) -> dict[str, Any]:
        """Without ``{method}``, a template's dangling separator goes (``Risk/`` → ``Risk``)."""
        for k, v in fields.items():
            if isinstance(v, Const) and isinstance(v.value, str) and v.value.endswith("/") and len(v.value) > 1:
                fields[k] = Const(v.value.rstrip("/"))
        return fields

    def exported(self, name: str) -> bool:
        """A method name that is part of a type's public surface (Go: capitalised)."""
        return not name.startswith("_")

    def report_node(self, fn: FunctionInfo) -> "Node":
        """Where a fact about a whole function is reported (Java: its name, after the annotations)."""
        return fn.node

    def class_report_node(self, cls: ClassInfo) -> "Node":
        """Where a fact about a whole class is reported (Python: its name)."""
        return cls.node

    def exported_method(self, fn: FunctionInfo) -> bool:
        """A method a ``classes: each_method`` match lists (Java: the overridden ones)."""
        return self.exported(fn.name)

    def _call_policy(self, where: tuple[int | None, str | None], site: Site, scope: Scope) -> list[FactRef] | None:
        node = self.find_arg(site, where[0], where[1])
        if node is None:
            return None
        v = self.evaluate_shallow(node, scope)
        inner = strip(v) if self.is_value(v) else v
        if isinstance(inner, Const) and inner.value is None:
            return None
        return object_policies(inner) if isinstance(inner, Obj) else []

    def _unless(self, spec: MatchSpec, site: Site, scope: Scope) -> bool:
        assert spec.unless is not None
        pos, kw, names = spec.unless
        node = self.find_arg(site, pos, kw)
        if node is None:
            return False
        if node.type in self.CALL_TYPES:
            inner = self.site(node, scope)
            if inner is not None and inner.func is not None:
                qual, _, _, _ = self.callee(inner.func, scope)
                if qual in names:
                    return True
        v = self.evaluate_shallow(node, scope)
        if isinstance(v, Obj):
            return any(o.type == v.type for n in names for o in self.index.ctor(n))
        return False

    def function_scopes(self, qual: str, site: Site, scope: Scope, receiver: Obj | None, own: list[FactRef] | None = None) -> None:
        refs = object_policies(receiver) if receiver is not None else []
        if refs and self.POLICY_FALLBACKS:
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
                walked = self._fn_scopes.get(fv.fn.node.id)  # a literal walked already (op := func() {...}): its facts
                name = walked.function.qualname if walked is not None and walked.function is not None else fv.fn.qualname  # carry the walk's name
                self.policies.on_local_call(name, refs)

    def attach_policies(self, spec: MatchSpec, site: Site, scope: Scope, refs: list[FactRef]) -> None:
        """``axiosRetry(client, {...})``: the policy facts of this call cover every call made through
        the object passed at ``attach`` from here on (a name rebound with the policy as a capture,
        a field of a same-file type, or a module's default instance)."""
        if not refs or spec.attach is None:
            return
        node = self.find_arg(site, *spec.attach)
        if node is None:
            return
        marks = [Obj("$policy", (), "", f"{r.file or self.path}#{r.key}") for r in refs]
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
            owner = scope.owner_of(name) or scope
            owner.bindings[name] = Binding(value=cur)
        elif parts is not None:
            base = self.evaluate(parts[0], scope)
            if isinstance(base, Instance):
                cur = self.instance_member(base, parts[1], node)
                if isinstance(cur, Obj):
                    for m in marks:
                        cur = self.with_capture(cur, "_policy", m, append=True)
                    base.cls.member_cache[parts[1]] = cur

    def match_decorator(self, dsite: Site, fn: FunctionInfo, fscope: Scope) -> list[FactRef]:
        """Match a decorator; returns the policies (retry, breaker) it puts around the function."""
        outer = fn.scope
        covering: list[FactRef] = []
        fields_site: Site | None = dsite
        if self.DECORATOR_INSTANCES:
            if dsite.func is not None and dsite.func.id == dsite.node.id:  # @breaker: an instance used as a decorator, no arguments
                fields_site = None
                bare = self.evaluate(dsite.node, outer)
            else:  # @MyBreaker(), @CircuitBreaker(...): an instance made here
                bare = self.evaluate_shallow(dsite.node, outer)
            if isinstance(bare, Obj):
                covering += object_policies(bare)
        qual, receiver, attr, _ = self.callee(dsite.func, outer)
        if receiver is not None:
            covering += object_policies(receiver)  # @breaker.decorate(...), @retrying.wraps
        if qual is None:
            return covering
        specs = self.index.decorators.get(qual)
        if not specs:
            return covering
        if receiver is None and fn.cls is not None:  # @Get(":id") in a @Controller("v1") class: the controller is the receiver
            receiver = self.class_receiver(fn.cls)
        env = self.env_for(fscope, function=fn.qualname, attr=attr, method=attr)
        if fscope.cls is not None:
            env["class"] = fscope.cls.name
        for spec in specs:
            if spec.requires is not None and not self.spec_requires_ok(spec, dsite, outer, receiver):
                continue
            if spec.unless_receiver is not None and self.receiver_built_by(receiver, spec.unless_receiver):
                continue
            if spec.binds is not None:  # the decorated function's parameter is an instance (a bound task's self)
                self.bind_parameter(spec.binds, dsite, fn, fscope, outer, qual)
            if spec.scope_timeout is not None:  # @TimeLimiter: bounds the calls made in the function, no fact
                limit = self.build_fields(spec, fields_site, outer, receiver, env)[0].get("timeout")
                if limit is not None:
                    self._scope_timeouts.append((spec.scope_timeout, limit))
                continue
            for fields in self.build_fields(spec, fields_site, outer, receiver, env):
                if spec.where:
                    fields["_where"] = spec.where
                fact = self.emit(spec.kind, spec.rule.id, dsite.node, fields, fscope, receiver=receiver)
                if fact.kind in POLICY_KINDS and self.ref(fact) not in covering:
                    covering.append(self.ref(fact))
        return covering

    def bind_parameter(self, binds: dict[str, Any], dsite: Site, fn: FunctionInfo, fscope: Scope, outer: Scope, qual: str) -> None:
        """``binds: {param: 0, type: T, if: bind}``: the decorated function's parameter is an instance
        of ``T`` whose captures are read from the decorator's arguments (a bound task's ``self``)."""
        flag = binds.get("if")
        if flag is not None:
            node = self.find_arg(dsite, None, flag)
            v = strip(self.to_value(self.evaluate(node, outer))) if node is not None else None
            if not (isinstance(v, Const) and v.value):
                return
        otype = self.index.types.get(binds["type"])
        params = self.positional_params(fn)
        i = int(binds.get("param", 0))
        if otype is None or i >= len(params):
            return
        is_call = not (dsite.func is not None and dsite.func.id == dsite.node.id)
        obj = self.construct(otype, dsite, outer, qual, None) if is_call else Obj(otype.type, (), qual.rpartition(".")[2], "")
        fscope.bindings[params[i]] = Binding(value=obj)

    def positional_params(self, fn: FunctionInfo) -> list[str]:
        """The names of a function's positional parameters, a method's receiver included (``binds: {param: N}``)."""
        return [name for name, _ in self.function_params(fn.node)]

    def class_receiver(self, cls: ClassInfo) -> Obj | None:
        """The tracked object a class decorator builds (``@Controller("v1")``), once per class."""
        if cls.node.id in self._class_receivers:
            return self._class_receivers[cls.node.id]
        found: Obj | None = None
        self._class_receivers[cls.node.id] = None
        for dsite in self.class_decorators(cls):
            if dsite.func is None:
                continue
            qual, receiver, _, _ = self.callee(dsite.func, cls.scope)
            if qual is not None and self.index.ctor(qual):
                made = self.construct_for(qual, dsite, cls.scope, receiver)
                if made is not None:
                    found = made
                    break
        self._class_receivers[cls.node.id] = found
        return found

    def match_classes(self, cls: ClassInfo) -> None:
        if not self.index.classes:
            return
        for base in self.class_bases(cls):
            for cspec in self.index.classes:
                if not cspec.pattern.fullmatch(base):
                    continue
                owner, _, last = base.rpartition(".")
                env = {"class": cls.name, "base": last, "base_owner": owner.rpartition(".")[2]}  # RiskGrpc.AsyncService: RiskGrpc
                if cspec.each_method:
                    for mname, mfn in sorted(cls.methods.items()):
                        if not self.exported_method(mfn):
                            continue
                        menv = {**env, "method": mname, "function": mfn.qualname}
                        fields = {k: self.read_field(k, f, None, cls.scope, None, menv) for k, f in cspec.fields.items()}
                        self.emit(cspec.kind, cspec.rule.id, self.report_node(mfn), {k: v for k, v in fields.items() if v is not None}, cls.scope, anchor=mfn.qualname)
                else:
                    fields = {k: self.read_field(k, f, None, cls.scope, None, env) for k, f in cspec.fields.items()}
                    self.emit(cspec.kind, cspec.rule.id, self.class_report_node(cls), {k: v for k, v in fields.items() if v is not None}, cls.scope, anchor=cls.qualname)

    # ---------------------------------------------------------------- mounts
    @staticmethod
    def owner_of(obj: Obj | None) -> str:
        """Whose routes an object's facts are: its constructor's origin, or its root object's for
        one made by a method (``r.Route(...)``, ``r.Group(...)``)."""
        if obj is None:
            return ""
        root = obj.capture(OWNER_CAPTURE)
        if isinstance(root, Const) and isinstance(root.value, str):
            return root.value
        return obj.origin

    def record_mounts(self, qual: str, site: Site, scope: Scope, receiver: Obj | None) -> None:
        """``r.Mount("/api", sub)``: the routes of the object ``sub`` (owned by its constructor's
        origin) are served under the prefix, below whatever serves ``r``."""
        if site.node.id in self._mounts_at:
            return
        self._mounts_at.add(site.node.id)
        source = self.owner_of(receiver)
        for spec in self.index.mounts[qual]:
            node = self.find_arg(site, *spec.target)
            if node is None:
                continue
            target = self.evaluate(node, scope)
            if not isinstance(target, Obj) or not self.owner_of(target):
                continue
            prefix = self.site_value(site, spec.prefix[0], scope, spec.prefix[1]) if spec.prefix else None
            own = receiver.capture(spec.own_prefix) if receiver is not None and spec.own_prefix else None
            line, _ = self.position(site.node)
            self.result.mounts.append(Mount(prefix, self.owner_of(target), line, source, spec.rule.id, spec.field, spec.own_prefix, own, spec.replaces))

    # ---------------------------------------------------------------- raw queries
    def run_queries(self, root: "Node") -> None:
        if self._query is None:
            return
        for qspec in self.index.queries:
            query = self._query(qspec.text)
            from tree_sitter import QueryCursor

            for _, caps in QueryCursor(query).matches(root):
                target = caps.get("fact") or next(iter(caps.values()), None)
                if not target:
                    continue
                node = target[0]
                fields: dict[str, Any] = {}
                for name, raw in qspec.fields.items():
                    if isinstance(raw, dict) and "capture" in raw:
                        nodes = caps.get(raw["capture"])
                        if not nodes:
                            continue
                        fields[name] = Const(self.short_text(nodes[0])) if raw.get("text") else self.to_value(self.evaluate(nodes[0], self.module_scope))
                    else:
                        fields[name] = Const(raw)
                self.emit(qspec.kind, qspec.rule.id, node, fields, self.module_scope)

    # ---------------------------------------------------------------- exports
    def collect_exports(self) -> None:
        """Module-level values (constants other files of the module read, resolved at link time)
        and the tracked objects of same-file types' fields (``Server.client``), which other files
        of the module receive in the scan's package pass."""
        out = self.result.exports
        for name, b in self.module_scope.bindings.items():
            if b.expr is None and b.type_node is None and not (self.EXPORT_IMPORTS and isinstance(b.value, Ref) and b.value.qualname != name):
                continue
            try:
                v = self.binding_value(b, name)
            except RecursionError:
                continue
            if isinstance(v, (Const, Named, Env, Seq, Map, Concat, Obj, Call, BinOp)) or (self.EXPORT_IMPORTS and isinstance(v, Ref)):
                out[name] = self.to_value(v)
        if not self.EXPORT_CLASS_MEMBERS:
            return
        for cls in self._classes.values():
            for attr in self.exported_members(cls):
                try:
                    v = self.instance_member(Instance(cls), attr, None)
                except RecursionError:
                    continue
                if isinstance(v, Obj) or (isinstance(v, (Env, Named, Concat)) and not has_refs(v)):  # a client, or an address read from the environment
                    out[f"{cls.name}.{attr}"] = v if isinstance(v, Obj) else self.to_value(v)

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

    # ---------------------------------------------------------------- impl rules and id wrappers
    def st_if(self, node: "Node", scope: Scope) -> None:
        """An if statement whose branches are the ``consequence`` and ``alternative`` fields."""
        self.walk_expr(node.child_by_field_name("condition"), scope)
        for part in ("consequence", "alternative"):
            sub = node.child_by_field_name(part)
            if sub is not None:
                self.walk_statement(sub, scope)

    # ---------------------------------------------------------------- retry-loop adapter defaults
    # (the C-family shape: ``body`` fields, ``catch_clause`` handlers; see retry_loops.py)
    def loop_body(self, node: "Node") -> "Node | None":
        return node.child_by_field_name("body")

    def loop_count(self, node: "Node", scope: Scope) -> Any:
        """Attempts of a counting loop: ``for (int i = S; i < N; i++)`` is N - S (``<=``: + 1);
        ``while (attempt < N)`` counts from the variable's value before the loop."""
        cond = node.child_by_field_name("condition")
        while cond is not None and cond.type == "parenthesized_expression":
            cond = next((c for c in cond.named_children if c.type not in ("comment", "line_comment", "block_comment")), None)
        test = self.counting_test(cond)
        if test is None:
            return None
        name, op, right = test
        start = strip(self.to_value(self.lookup_name(name, scope)))
        return self.attempts_of(start, op, right, scope)

    def counting_test(self, cond: "Node | None") -> tuple[str, str, "Node"] | None:
        """``i < N`` / ``i <= N`` → (``i``, the operator, the bound's node); None for any other test."""
        if cond is None or cond.type != "binary_expression":
            return None
        op_node = cond.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else ""
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier" or op not in ("<", "<="):
            return None
        return self.text(left), op, right

    def attempts_of(self, start: Any, op: str, bound: "Node", scope: Scope) -> Any:
        """N - S tries (``<=``: N - S + 1); a start that is not a known integer counts as 0."""
        start_n = start.value if isinstance(start, Const) and isinstance(start.value, int) and not isinstance(start.value, bool) else 0
        count = fold("-", self.to_value(self.evaluate(bound, scope)), Const(start_n))
        return fold("+", count, Const(1)) if op == "<=" else count

    def try_body(self, node: "Node") -> "Node | None":
        return node.child_by_field_name("body")

    def try_handlers(self, node: "Node") -> list["Node"]:
        return [c for c in node.named_children if c.type == "catch_clause"]

    def walk_loop_body(self, node: "Node", scope: Scope, tail: Sequence["Node | None"] = ()) -> None:
        """A loop's body between the impl rules' ``on_loop`` / ``after_loop`` events, with the loop on
        the statement stack; ``tail``: what runs after each pass (a for's update, a do-while's test)."""
        self.impl_event("on_loop", node, scope)
        self.stack.append(node)
        try:
            body = node.child_by_field_name("body")
            if body is not None:
                self.walk_statement(body, scope)
            for expr in tail:
                self.walk_expr(expr, scope)
        finally:
            self.stack.pop()
            self.impl_event("after_loop", node, scope)

    def walk_try_body(self, node: "Node", scope: Scope) -> None:
        """A try statement's body after the impl rules' ``on_try`` event, with the statement on the
        stack; the adapter walks its handlers and then sends ``after_try``."""
        self.impl_event("on_try", node, scope)
        self.stack.append(node)
        try:
            body = node.child_by_field_name("body")
            if body is not None:
                self.walk_statement(body, scope)
        finally:
            self.stack.pop()

    def impl_hooks(self, event: str) -> list[Any]:
        """The impl rules that define a handler for ``event`` (cached per analyzer)."""
        cache: dict[str, list[Any]] | None = getattr(self, "_impl_hooks", None)
        if cache is None:
            cache = {}
            self._impl_hooks = cache
        found = cache.get(event)
        if found is None:
            found = cache[event] = [i for i in self.index.impls if hasattr(i, event)]
        return found

    def impl_event(self, event: str, node: "Node", scope: Scope) -> None:
        """Tell the impl rules (``impl:`` classes, e.g. hand-written retries) about a statement:
        ``on_loop`` / ``after_loop``, ``on_try`` / ``after_try``. Adapters call it around the
        statement's walk; an impl may emit facts and push policy scopes."""
        for impl in self.index.impls:
            handler = getattr(impl, event, None)
            if handler is not None:
                handler(self, node, scope)

    def id_wrapper(self, fn: FunctionInfo) -> Any:
        """``function generateId() { return crypto.randomUUID() }``: a same-file function whose
        returned value is made by an id generator a rule matches (one hop) → (specs, inner site,
        its scope), else None."""
        key = fn.node.id
        if key in self._id_wrappers:
            return self._id_wrappers[key]
        self._id_wrappers[key] = None
        fscope = self.function_scope(fn)
        found = None
        for expr in self.scan_function(fn, fscope):
            stack = [expr]
            while stack and found is None:
                node = stack.pop()
                if node.type in self.FUNCTION_TYPES:
                    continue
                if node.type in self.CALL_TYPES:
                    site = self.site(node, fscope)
                    if site is not None and site.func is not None:
                        qual = self.callee(site.func, fscope)[0]
                        specs = [sp for sp in self.index.call_specs(qual) if sp.kind == "id_generation"] if qual else []
                        if specs:
                            found = (specs, site, fscope)
                            break
                stack.extend(reversed(node.named_children))
            if found is not None:
                break
        self._id_wrappers[key] = found
        return found

    def id_wrapper_call(self, fn: FunctionInfo, site: Site, scope: Scope) -> None:
        """A call of an id wrapper is itself an id generation (reported at the call, with the
        wrapped generator's fields); the fact inside the wrapper is then dropped."""
        found = self.id_wrapper(fn)
        if found is None:
            return
        specs, inner, fscope = found
        env = self.env_for(scope, function=fn.qualname)
        for spec in specs:
            for fields in self.build_fields(spec, inner, fscope, None, env):
                self.emit(spec.kind, spec.rule.id, site.node, fields, scope)
        self._wrapped_inner.add(inner.node.id)

    # ---------------------------------------------------------------- helpers for adapters
    def eval_binary(self, op: str, left: Any, right: Any, node: "Node") -> Any:
        if not (self.is_value(left) and self.is_value(right)):
            return Opaque(node)
        if isinstance(left, Dynamic) or isinstance(right, Dynamic):
            other = strip(right if isinstance(left, Dynamic) else left)
            stringish = isinstance(other, Concat) or (isinstance(other, Const) and isinstance(other.value, str))
            if op != "+" or not stringish:
                return Opaque(node)
        if op not in ("+", "-", "*", "/", "//", "%", "**"):
            return Opaque(node)
        return fold(op, left, right)

    def iter_named(self, node: "Node | None", types: Iterable[str] | None = None) -> list["Node"]:
        if node is None:
            return []
        kids = node.named_children
        if types is None:
            return kids
        wanted = set(types)
        return [c for c in kids if c.type in wanted]

