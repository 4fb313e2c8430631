"""The engine's base: the language hooks an adapter implements, the per-file state, source text.

``AnalyzerCore`` declares the class attributes adapters set (node types, options), the syntax
hooks they implement (``prescan``, ``site``, ``member_parts``, ...), the state of one file's walk
(scopes, caches, policies, the id flow, the summary recorder) and the helpers on source text and
positions. The layers above it (``evaluate``, ``objects``, ``emit``, ``match``, ``engine``) add
the generic analysis; ``engine.Analyzer`` is the class adapters subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ...facts import FactRef
from ...values import Const, Dynamic, Obj, Value
from ..base import FileResult, RawFact
from .idflow import PARAM_WORDS, TsIdFlow
from .index import Converter, EnvGetter, TsIndex
from .policies import PolicyTracker
from .scopes import OWNER_CAPTURE, ClassInfo, FunctionInfo, Scope, Site
from .summary import SummaryRecorder

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node, Tree

    from .engine import Analyzer


MAX_BASE_CHAIN = 64  # same-file base classes followed for a member or a class-body constant


class AnalyzerCore:
    """The language hooks and one file's state (see the module docstring)."""

    language = ""
    # node type → method name: evaluate an expression (missing: opaque)
    EVAL: ClassVar[dict[str, str]] = {}
    # node type → method name: walk a statement (missing: CONTAINERS recurse, anything else is an expression)
    STATEMENTS: ClassVar[dict[str, str]] = {}
    CONTAINERS: frozenset[str] = frozenset()
    CALL_TYPES: frozenset[str] = frozenset()  # call / construction nodes (matched in expressions)
    FUNCTION_TYPES: frozenset[str] = frozenset()  # function literals / lambdas (walked as closures)
    LEAF_TYPES: frozenset[str] = frozenset()  # expression nodes with nothing to match inside
    CONSTANTS: Mapping[str, Any] = {}  # library constants the language knows (time.Second)
    ENV_GETTERS: Mapping[str, EnvGetter] = {}  # qualname → (variable arg, default arg)
    PASS_THROUGH: frozenset[str] = frozenset()  # conversions that keep the value (int64(x))
    CONVERTERS: Mapping[str, Converter] = {}  # qualname → float | int | str (strconv.Atoi → int)
    IDENTIFIER_TYPES: frozenset[str] = frozenset({"identifier"})  # names the id flow looks up
    SUBSCRIPT_TYPES: frozenset[str] = frozenset()  # index expressions impl rules' on_subscript receives
    # a byte the text of every CALL_TYPES and FUNCTION_TYPES node holds (Python's "("), and one every
    # SUBSCRIPT_TYPES node's holds ("["): an expression holding neither has nothing to match
    # (walk_expr skips it); empty where a call needs no such byte (Ruby, Kotlin's trailing lambda)
    CALL_BYTE = b""
    SUBSCRIPT_BYTE = b""
    # ---- language semantics the generic reading depends on (each with the reason it is not one behaviour)
    # an argument a spread (``...args``, ``*args``) may hide reads as Dynamic(SPREAD_LABEL). With
    # SPREAD_HIDES_KEYWORDS a keyword argument may be hidden too: Python's ``**kwargs`` carries
    # keyword arguments; a Kotlin / C# spread carries positional ones only, so a named argument
    # it cannot hold stays absent there
    SPREAD_LABEL = "..."
    SPREAD_HIDES_KEYWORDS = False
    # a ``path:`` into an argument whose value is unknown: with PATH_KEEPS_UNKNOWN the unknown value
    # itself (``timeout_expr=**kwargs``), else nothing (then ``dynamic:`` or a default applies).
    # Python's rules read every path as ``dynamic:`` with the argument's own label (celery
    # ``retry_kwargs=kwargs``, botocore ``Config(retries=retries)``: unknown, not the default);
    # on for JavaScript / C#, a callback or options parameter in a path's position would hide the
    # default (node ``http.request(url, cb)``): a rule-format default per language, not syntax
    PATH_KEEPS_UNKNOWN = False
    # a ``receiver:`` path through an unknown value: that value (True), or nothing (False: Python,
    # a gRPC stub built on a channel parameter has no url, where the JVM rules keep it unknown)
    RECEIVER_PATH_KEEPS_UNKNOWN = True
    # a call's timeout taken from its client object (the call passes none) is reported with
    # ``timeout_source: client_default`` (CLIENT_DEFAULTS, Python's SDK and HTTP clients), else with
    # the source of the value where the client was built (the other languages' fixtures)
    CLIENT_DEFAULTS = False
    # an external call met as a receiver (``select(M).where(...)``) is its text, not ``Call(qual)``:
    # Python's query builders are read from the text; Go / Java rules read a call on a call's result
    # by the first call's name (``time.Now().Add(d)``, ``Optional.ofNullable(x).orElse(d)``)
    SHALLOW_CALLS_OPAQUE = False
    # module exports: names imported from elsewhere (Python: an imported name is an attribute of
    # the module, a re-export), fields of same-file types (Go / Java / JS: package mates see a
    # type's fields without an import; a Python module imports what it uses)
    EXPORT_IMPORTS = False
    EXPORT_CLASS_MEMBERS = True

    def __init__(
        self,
        index: TsIndex,
        path: str,
        source: bytes,
        tree: Tree,
        module: str = "",
        query: Callable[[str], Any] | None = None,
        imported_objects: Mapping[str, Value] | None = None,
    ) -> None:
        self.index = index
        self.imported_objects = imported_objects or {}  # objects (and struct fields' values) other files of the module export (second pass)
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
        self._class_decorator_refs: dict[int, list[FactRef]] = {}
        self._decorated: dict[int, Obj | None] = {}  # function node id → the object its decorator makes
        self._id_wrappers: dict[int, Any] = {}  # function node id → (specs, inner call site, scope) or None
        self._wrapped_inner: set[int] = set()  # node ids of id calls inside a wrapper that has call sites
        self.idflow: TsIdFlow | None = None
        self._pending_sinks: list[tuple[RawFact, Site, Scope]] = []
        self._impl_hooks: dict[str, list[Any]] = {}  # event → the impl rules handling it (impl_hooks)
        self._decorator_sites: list[tuple[str | None, Site]] = []  # the decorators of the function being matched
        self._scope_timeouts: list[tuple[str, Any]] = []  # (label, limit) of decorators bounding the enclosing functions' calls
        self._literal_timeouts: dict[int, list[tuple[str, Any]]] = {}  # function literal id → limits of the call running it (withTimeout)
        self._policy_classes: dict[int, Obj | None] = {}  # class node id → its instances' policy object (policy_instance)
        if index.has_id_rules and index.id_words_re is not None and (index.id_words_re.search(source) or PARAM_WORDS.search(source)):
            self.idflow = TsIdFlow(cast("Analyzer", self), **index.idflow_options)  # (the composed engine)
        # the file's summary for the link stage (frontends/summary.py); bench/summary_overhead.py sets it to None
        self.summary: SummaryRecorder | None = SummaryRecorder(path, self.language, module)

    def release(self) -> None:
        """Break the reference cycles of the file's state (scopes and their bindings, classes, the
        analyzer's bound methods) so that reference counting frees it when the file is done,
        instead of the cycle collector walking it."""
        scopes = [self.module_scope]
        for held in self.__dict__.values():  # the tables of scopes and of classes (each holds one kind)
            if type(held) is dict and held:
                first = next(iter(held.values()))
                if isinstance(first, Scope):
                    scopes += held.values()
                elif isinstance(first, ClassInfo):
                    for cls in held.values():
                        scopes.append(cls.scope)
                        cls.methods.clear()
                        cls.member_cache.clear()
        for scope in scopes:
            scope.bindings.clear()
            scope.function = scope.cls = None
        self.__dict__.clear()

    # ================================================================ language hooks
    def prescan(self, root: Node) -> None:
        """Bind the file's top-level names (imports, constants, variables, functions, types)."""
        raise NotImplementedError

    def walk_root(self, root: Node) -> None:
        """Walk the file's top-level declarations (functions through ``walk_function``)."""
        raise NotImplementedError

    def site(self, node: Node, scope: Scope) -> Site | None:
        """The call site of a CALL_TYPES node (None: not a call after all)."""
        raise NotImplementedError

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        """(object expression, member name) when ``node`` is a member access (``a.b``)."""
        return None

    def resolve_type(self, type_node: Node, scope: Scope) -> Any:
        """A declared type: ``Ref`` (qualified name), ``ClassValue`` (same-file type) or None."""
        return None

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        """A function's parameters: (name, declared type node or None)."""
        return []

    def function_receiver(self, node: Node) -> tuple[str, Node | None] | None:
        """A method's receiver / ``this`` (Go ``func (s *S) M()``), bound as a declared instance."""
        return None

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        """Walk a function's body (statements in order)."""
        raise NotImplementedError

    def scan_function(self, fn: FunctionInfo, scope: Scope) -> list[Node]:
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

    def short_text(self, node: Node) -> str:
        """The text a ``text: true`` spec keeps (a function literal: its signature)."""
        return self.anchor_text(node, 200)

    def unbound_name(self, name: str) -> Any:
        """An identifier no scope binds (a builtin, a name of another file)."""
        return Dynamic(name)

    def sent_value(self, node: Node) -> Node | None:
        """The value sent on the channel the call ``node`` returns (Go ``producer.Input() <- msg``:
        ``{sent: true}`` specs); languages without channel sends have none."""
        return None

    def fallback_literal(self, node: Node) -> str | None:
        """The text of ``node`` when it is a literal a handler may return as a call's fallback
        (``FALLBACK_LITERAL_TYPES``), else None (``fallback_here``)."""
        return self.text(node) if node.type in self.FALLBACK_LITERAL_TYPES else None

    def class_constant(self, cls: ClassInfo, name: str, text: bool = False) -> Value | None:
        """A class-body constant of a same-file class (``class_attr:`` specs); languages with class bodies."""
        return None

    def same_file_bases(self, cls: ClassInfo) -> list[ClassInfo]:
        """The same-file classes ``cls`` derives from, in declaration order (languages with inheritance)."""
        return []

    def base_chain(self, cls: ClassInfo, limit: int = MAX_BASE_CHAIN) -> Iterator[ClassInfo]:
        """``cls``, then the first same-file class it derives from, and so on, computed as they are
        needed: where a member or a class-body constant the class does not define is looked up. A
        cycle (invalid code, but parsed) ends the chain."""
        seen: list[ClassInfo] = []
        cur: ClassInfo | None = cls
        while cur is not None and len(seen) < limit and not any(cur is c for c in seen):
            yield cur
            seen.append(cur)
            cur = next(iter(self.same_file_bases(cur)), None)

    def class_decorators(self, cls: ClassInfo) -> list[Site]:
        """Decorator / annotation call sites of a same-file class (``@Controller("v1")``): one
        that builds a tracked object is the receiver of its methods' decorator matches."""
        return []

    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        """``(key, value)`` pairs when ``node`` is an object / map / keyed struct literal (None:
        it is not one); a spread is ``(None, node)``. The id flow labels values with the keys."""
        return None

    @staticmethod
    def _first_error_line(root: Node) -> int:
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
    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def member_chain(self, node: Node | None, kind: str, receiver: str, member: str) -> tuple[Node, tuple[str, ...]] | None:
        """``a.b.c`` as its root node (``a``) and the member names after it (``("b", "c")``): a chain of
        ``kind`` nodes (the grammar's member access) whose ``receiver`` field is the object and ``member``
        field the name; None for no node or a member without a name."""
        path: list[str] = []
        while node is not None and node.type == kind:
            name = node.child_by_field_name(member)
            if name is None:
                return None
            path.append(self.text(name))
            node = node.child_by_field_name(receiver)
        return None if node is None else (node, tuple(reversed(path)))

    def anchor_text(self, node: Node, limit: int = 240) -> str:
        return " ".join(self.text(node).split())[:limit]

    def position(self, node: Node) -> tuple[int, int]:
        row, col = node.start_point
        start = node.start_byte
        prefix = self.source[start - col : start]
        return row + 1, (len(prefix.decode("utf-8", "replace")) if prefix and max(prefix) > 127 else col) + 1

    def node_key(self, node: Node) -> int:
        key = self._keys.get(node.id)
        if key is None:
            key = self._keys[node.id] = self._next_key
            self._next_key += 1
        return key

    def exported(self, name: str) -> bool:
        """A method name that is part of a type's public surface (Go: capitalised)."""
        return not name.startswith("_")

    def report_node(self, fn: FunctionInfo) -> Node:
        """Where a fact about a whole function is reported (Java: its name, after the annotations)."""
        return fn.node

    def class_report_node(self, cls: ClassInfo) -> Node:
        """Where a fact about a whole class is reported (Python: its name)."""
        return cls.node

    def exported_method(self, fn: FunctionInfo) -> bool:
        """A method a ``classes: each_method`` match lists (Java: the overridden ones)."""
        return self.exported(fn.name)

    def positional_params(self, fn: FunctionInfo) -> list[str]:
        """The names of a function's positional parameters, a method's receiver included (``binds: {param: N}``)."""
        return [name for name, _ in self.function_params(fn.node)]

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

    # ---------------------------------------------------------------- retry-loop adapter defaults
    # (the C-family shape: ``body`` fields, ``catch_clause`` handlers; see retry_loops.py)
    # statements around the call they perform (expression statements, returns, declarations, await)
    RETRY_WRAPPERS: frozenset[str] = frozenset({"expression_statement", "return_statement", "parenthesized_expression"})
    RETRY_ASSIGNMENTS: frozenset[str] = frozenset({"assignment_expression", "variable_declarator"})  # assignments and declarators
    RETRY_NESTING: frozenset[str] = frozenset({"if_statement"})  # statements whose blocks hold a handler's or a try block's statements
    RETRY_NESTING_HEADERS: frozenset[str] = frozenset()  # children of such a statement that are not statements (Python's with_clause)
    RETRY_BLOCKS: frozenset[str] = frozenset({"block"})  # blocks, and the else / elif parts of those statements
    TRY_ELSE_TYPES: frozenset[str] = frozenset()  # a try statement's else part (Python), on the success path
    LOOP_TYPES: frozenset[str] = frozenset()  # loop statements
    LEAVE_TYPES: frozenset[str] = frozenset()  # statements that leave a loop (return, break, throw / raise)
    SUCCESS_LEAVE_TYPES: frozenset[str] = frozenset({"return_statement", "break_statement"})  # those that end it on success
    # ---- a call's fallback (the engine's fallback_here): the literal a handler of the enclosing
    # try returns; it does not cross a function (FUNCTION_TYPES, FUNCTION_NODE_TYPES) nor the
    # FALLBACK_STOP_TYPES (Python: a class body, an except clause of the try)
    TRY_TYPES: frozenset[str] = frozenset()  # try statements (also the retry rule's hooks)
    TRY_KEYWORD = b"try"  # the keyword every TRY_TYPES statement starts with: a loop without it has no try (retry_loops)
    RETURN_TYPES: frozenset[str] = frozenset()  # return statements
    FALLBACK_LITERAL_TYPES: frozenset[str] = frozenset()  # literals a handler may return as a call's fallback
    FUNCTION_NODE_TYPES: frozenset[str] = frozenset()  # every function node (a fallback does not cross one)
    FALLBACK_STOP_TYPES: frozenset[str] = frozenset()
    COMMENT_TYPES: frozenset[str] = frozenset({"comment", "line_comment", "block_comment"})

    def loop_body(self, node: Node) -> Node | None:
        return node.child_by_field_name("body")

    def try_body(self, node: Node) -> Node | None:
        return node.child_by_field_name("body")

    def try_handlers(self, node: Node) -> list[Node]:
        return [c for c in node.named_children if c.type == "catch_clause"]

    def handler_body(self, handler: Node) -> Node | None:
        return handler.child_by_field_name("body")

    def named(self, node: Node | None) -> list[Node]:
        """Named children that are not comments."""
        return [c for c in node.named_children if c.type not in self.COMMENT_TYPES] if node is not None else []

    def iter_named(self, node: Node | None, types: Iterable[str] | None = None) -> list[Node]:
        if node is None:
            return []
        kids = node.named_children
        if types is None:
            return kids
        wanted = set(types)
        return [c for c in kids if c.type in wanted]
