"""Generic syntax defaults of the tree-sitter engine, table-driven by class attributes.

What the adapters of ``go.py``, ``java.py``, ``javascript.py``, ``csharp.py``, ``kotlin.py`` (and
in part ``python.py``) each typed out again (finding the scope enclosing a node, binding a function's locals without
matching, number and string literals, lists, parentheses, binary, unary and default operators,
member and index access, expression statements, if statements with the env-default idiom,
C-family loops and try statements with the retry rule's hooks, a catch block's fallback,
same-file classes and their fields) is written once here over tables; every adapter subclasses
``SyntaxAnalyzer``, extends the default ``EVAL`` / ``STATEMENTS`` and fills the other tables in
its ``languages/<language>.toml`` (``tables.py``) and keeps only what its grammar spells differently. Nothing here is about a library: that
is rule data, which this module applies where it is syntax-independent (the rules' ``timers:``,
``route_tokens:``, ``scales:``, ``env:``, ``config:`` getters and annotations, ``inject:``
registrations, ``lambdas:`` parameter types, the id flow's ``keyed_setters`` / ``map_builders``
options, and ``known_names`` over every table the rules fill).

Tables (besides the engine's ``EVAL``, ``STATEMENTS``, ``CALL_TYPES``, ...):

- ``COMMENT_TYPES``: comment nodes, skipped wherever children are counted;
- ``LITERAL_NAMES``: words that are literals (``true``, ``false``, ``null``: Kotlin's grammar
  parses them as identifiers); ``INT_SUFFIXES``, ``OCTAL_ZERO`` (``010`` is octal), ``ESCAPES``
  with ``ESCAPE_PATTERN`` (what follows a backslash) and ``UNKNOWN_ESCAPE_KEEPS_BACKSLASH``;
- ``STRING_TEXT_TYPES`` / ``STRING_ESCAPE_TYPES`` / ``INTERPOLATION_TYPES``: the parts of a
  string literal (an interpolation's expression is evaluated; the result is a ``Concat``);
- the engine's (``evaluate.py``, Python's adapter uses them too): ``BINARY_OPS`` (source
  operator → ``values.fold`` operator), ``DEFAULT_OPS`` (``x ?: d``, ``x ?? d``: the default of an
  env read, the right side of a known null), ``FALSY_DEFAULT_OPS`` (``x || d``), ``INT_DIVISION``
  (``/`` of integers truncates); ``UNARY_IDENTITY``: prefix operators whose value is the operand's
  (``+x``, ``x!!``, Go's ``&x``), ``NULL_UNARY`` (``void x``); ``SPREAD_TYPES`` /
  ``LIST_ITEM_WRAPPERS``: ``eval_list``; ``eval_paren``, ``eval_first``, ``item_value``;
  ``FALLBACK_LITERAL_TYPES``, ``FUNCTION_NODE_TYPES`` and ``RETURN_TYPES``: ``fallback_here``;
- ``LAMBDA_NAME``: the name of a function literal (``lambda``, Go's ``func``);
- ``RETURN_TYPES``, ``SCAN_BINDS`` (statement type → method binding it without matching),
  ``SCAN_HOOKS`` (statement type → method scanning its own parts: ``(node, scope, returns)``),
  ``EXPRESSION_LIST_TYPES`` (a returned list: its first value is the result), ``BLOCK_TYPES``:
  ``scan_function``'s view of a body; ``SCOPE_AT_LITERAL_TYPES``: function nodes ``scope_at``
  gives a scope of their own even when not declared (a function literal's locals, in a scope
  below its enclosing function's; ``literal_function`` names it); ``REPORT_AT_NAME``: a fact
  about a whole function is reported at its name (Java's, after the annotations), else at the
  declaration;
- ``CLASS_TYPES``, ``ASSIGNMENT_TYPES`` (``left`` / ``right`` fields): same-file classes and the
  assignments to their fields (``class_assignments``);
- ``MEMBER_FIELDS`` (member access type → object and name fields): ``member_parts`` and
  ``eval_member_node``; ``SUBSCRIPT_FIELDS``: ``subscript_parts`` and ``eval_subscript_node``;
  ``THIS_TYPES``: ``receiver_type``;
- ``ASSIGN_EXPRESSION_TYPES`` / ``CALL_WRAPPER_TYPES``: ``st_expression`` and
  ``st_call_statement``; ``EMPTY_TEXTS`` / ``EMPTY_TESTS``: ``env_default_idiom``;
  ``REGISTRATION_TYPES``: ``scan_registrations``; ``CAPITAL_ROOTS``, ``OCTAL_ESCAPES``;
- ``FOR_LOOP_TYPES`` / ``LOOP_INIT_FIELD`` / ``LOOP_UPDATE_FIELD``, ``EACH_LOOP_FIELDS`` (a
  for-each's value and target fields), ``WHILE_LOOP_TYPES``, ``DO_LOOP_TYPES``: ``st_c_loop``,
  ``loop_kind`` and ``loop_header``; ``FINALLY_TYPES`` / ``HANDLER_TYPES``: ``walk_try``.

An adapter registers its functions with ``declare_function`` and its classes' scopes in
``class_scopes`` (``outer_class`` for nested ones); ``scope_at`` and ``find_class`` read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...environment.svcconfig import config_ref, placeholder_value
from ...templates import render, template_vars
from ...values import ONE_OF, Call, Concat, Const, Dynamic, Env, Named, Obj, Ref, Seq, Value, simplify_concat, strip, walk
from .engine import Analyzer, Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site

if TYPE_CHECKING:
    from tree_sitter import Node

    from .index import TsIndex

STATICS = "$statics"  # the type of an exported class's statics object
EXTENDS = "$$extends."  # export: the object a class's annotation makes, for an interface of another file it extends ($$extends.<interface>)
DECLARED = "_declared"  # (its capture: the methods the class declares again with annotations of its own)
_UNICODE = re.compile(r"\\(u\{?[0-9a-fA-F]{4,6}\}?|[0-7]{1,3}|.)", re.S)


def known_names(index: TsIndex, extra: tuple[str, ...] = ()) -> tuple[frozenset[str], frozenset[str]]:
    """Every qualified name the rules (plus ``extra``) know, with their dotted prefixes: what an
    on-demand import (``import io.ktor.client.*``, ``using System.Net.Http;``) may resolve a simple
    name to; and the first parts (``java``, ``io``, ``System``) that start a qualified name in code."""
    key = ("known_names", extra)
    cached: tuple[frozenset[str], frozenset[str]] | None = index.derived.get(key)
    if cached is not None:
        return cached
    names: set[str] = set(extra)
    for table in (
        index.ctors,
        index.instances,
        index.types,
        index.calls,
        index.decorators,
        index.scopes,
        index.mounts,
        index.constants,
        index.env_getters,
        index.env_objects,
        index.converters,
        index.pass_through,
        index.scales,
        index.config_types,
        index.config_getters,
        index.config_annotations,
    ):
        names.update(table)
    for spec in index.timeouts.values():
        names.update((spec.get("functions") or {}).keys())
    for otype in index.types.values():
        names.update(otype.returns.values())
        names.update(otype.attrs.values())
    names.update(c.pattern.pattern for c in index.classes if not any(ch in c.pattern.pattern for ch in "*?[\\"))
    names.update(reg["as"] for reg in index.inject.values())
    names.update(option_names(index, "known_names"))  # a platform rule's names with no block of their own
    for items in lambda_specs(index).values():
        names.update(str(item.get("type", "")) for item in items)
    names.update(lambda_specs(index))
    known: set[str] = set()
    roots: set[str] = set()
    for n in names:
        if not n or any(c in n for c in "*?[ ") or "()" in n:
            continue
        parts = n.split(".")
        roots.add(parts[0])
        known.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    result = index.derived[key] = (frozenset(known), frozenset(roots))
    return result


def option_names(index: TsIndex, key: str) -> frozenset[str]:
    """The qualified names the rules list under ``options: {key: [...]}`` (``keyed_setters``,
    ``map_builders``: the id flow's carriers), joined over every rule of the index."""
    found: frozenset[str] | None = index.derived.get(("option_names", key))
    if found is None:
        names = {str(n) for rule in index.rules for n in ((rule.options or {}).get(key) or ())}
        found = index.derived[("option_names", key)] = frozenset(names)
    return found


def lambda_specs(index: TsIndex) -> dict[str, list[dict[str, Any]]]:
    """The rules' ``lambdas:`` items by the qualified name of the method taking the lambda."""
    found: dict[str, list[dict[str, Any]]] | None = index.derived.get("lambda_specs")
    if found is None:
        found = index.derived["lambda_specs"] = {}
        for rule in index.rules:
            for item in (rule.match or {}).get("lambdas") or ():
                for n in item.get("names", ()):
                    found.setdefault(n, []).append(item)
    return found


DEFAULTS_CAPTURE = "$defaults"  # the capture holding the client-wide defaults a registration received; their export name too


def apply_defaults(obj: Obj, defaults: Obj) -> Obj:
    """A registration under client-wide defaults: the defaults' captures it does not set itself,
    and the defaults object (its origin and chained steps: the policies it carries) as a capture."""
    have = {k for k, _ in obj.captures}
    extra = tuple((k, v) for k, v in defaults.captures if k not in have)
    return Obj(obj.type, obj.captures + extra + ((DEFAULTS_CAPTURE, defaults),), obj.name, obj.origin)


def node_types(*groups: str) -> frozenset[str]:
    """A set of node types written as space-separated words (a group a line)."""
    return frozenset(t for g in groups for t in g.split())


def by_method(**methods: str | tuple[str, ...]) -> dict[str, str]:
    """A dispatch table (node type → method name) written by method: ``by_method(ev_inner=("await_expression",
    "as_expression"))`` (the defaults below; an adapter's are its languages/<language>.toml)."""
    return {t: method for method, types in methods.items() for t in ((types,) if isinstance(types, str) else types)}


class MemberOf:
    """The binding of an instance field in its class's scope: read through ``instance_member``."""

    __slots__ = ("cls",)

    def __init__(self, cls: ClassInfo) -> None:
        self.cls = cls


class SyntaxAnalyzer(Analyzer):
    # the node types most grammars share, with their generic evaluators and statement walks: an
    # adapter adds its own (``[eval]`` of its languages/<language>.toml), an entry of its own for
    # the same type replaces the default
    EVAL = by_method(
        eval_literal_name=("identifier", "true", "false", "null_literal"),
        eval_paren="parenthesized_expression",
        eval_binary_node="binary_expression",
        eval_unary_node="unary_expression",
        eval_call_node=("call_expression", "object_creation_expression"),
        eval_float_literal="float_literal",
        eval_this=("this", "this_expression"),
        eval_function_literal="lambda_expression",
        eval_cast_value="cast_expression",
        eval_ternary="ternary_expression",
    )
    STATEMENTS = by_method(
        st_statements="block",
        st_expression="expression_statement",
        st_if="if_statement",
        st_c_loop=("for_statement", "while_statement", "do_statement"),
        st_skip=("comment", "line_comment", "block_comment"),
    )
    LITERAL_NAMES: Mapping[str, Any] = {}
    INT_SUFFIXES = "lLuU"
    OCTAL_ZERO = False
    ESCAPES: Mapping[str, str] = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "\\": "\\", '"': '"', "'": "'", "$": "$"}
    ESCAPE_PATTERN: re.Pattern[str] = _UNICODE  # group 1: a unicode (u...), octal or one-character escape
    UNKNOWN_ESCAPE_KEEPS_BACKSLASH = True  # "\q" stays "\q" (else: "q")
    OCTAL_ESCAPES = True  # "\101" is "A" (else: an unknown escape)
    STRING_TEXT_TYPES: frozenset[str] = frozenset({"string_content", "string_fragment"})
    STRING_ESCAPE_TYPES: frozenset[str] = frozenset({"escape_sequence"})
    INTERPOLATION_TYPES: frozenset[str] = frozenset({"interpolation"})
    TEMPLATE_TEXT: Mapping[Any, str] = {True: "true", False: "false", None: "null"}  # a literal's text in a string template
    LAMBDA_NAME = "lambda"
    SCAN_BINDS: Mapping[str, str] = {}
    SCAN_HOOKS: Mapping[str, str] = {}
    EXPRESSION_LIST_TYPES: frozenset[str] = frozenset()
    SCOPE_AT_LITERAL_TYPES: frozenset[str] = frozenset()
    REPORT_AT_NAME = True
    BLOCK_TYPES: frozenset[str] = frozenset({"block"})
    CLASS_TYPES: frozenset[str] = frozenset()
    ASSIGNMENT_TYPES: frozenset[str] = frozenset()

    DEFAULT_IMPORTS: tuple[str, ...] = ()  # packages every file imports on demand (kotlin, java.lang)
    KNOWN_NAMES: tuple[str, ...] = ()  # qualified names the adapter itself resolves besides the rules' (kotlin.repeat)
    CAPITAL_ROOTS = False  # a qualified name in code may start with a capital (System.TimeSpan): else lower-case only (java.time)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.package = ""  # the file's package / namespace: a capitalised name no scope binds is one of its
        self.imports: dict[str, str] = {}  # simple name (or alias) → qualified name
        self.on_demand: list[str] = [*self.DEFAULT_IMPORTS, *self.index.default_imports]  # import x.y.*: to names the rules know
        self._known, roots = known_names(self.index, self.KNOWN_NAMES)
        self._roots = roots if self.CAPITAL_ROOTS else frozenset(r for r in roots if r[:1].islower())
        self.functions_by_node: dict[int, FunctionInfo] = {}  # declaration node id → its function
        self.class_scopes: dict[int, Scope] = {}  # class node id → its scope
        self.outer_class: dict[int, ClassInfo] = {}  # class node id → the class it is nested in
        self._scan_scopes: dict[int, Scope] = {}
        self._scan_binds = {t: getattr(self, m) for t, m in self.SCAN_BINDS.items()}
        self._scan_hooks = {t: getattr(self, m) for t, m in self.SCAN_HOOKS.items()}
        self._timer_words = {n.rpartition(".")[2] for n in self.index.timers}
        self._registry: dict[tuple[str, str], Obj] = {}  # the rules' inject: (injected type, key) → registered object
        self._registry_scanned = False
        self._defaults: Obj | None = None  # client-wide defaults this file registers (ConfigureHttpClientDefaults)
        self.config_fields: dict[tuple[int, str], Any] = {}  # (class node id, field) → the configuration value injected into it
        self._beans: dict[str, Obj] | None = None  # declared type → what the file's bean method of it returns

    # ================================================================ names and scopes
    def qualify(self, name: str) -> str | None:
        """A simple name through the explicit imports, then the on-demand ones (to known names only:
        a class of the package with a library type's name stays itself)."""
        found = self.imports.get(name)
        if found is not None:
            return found
        return next((f"{p}.{name}" for p in self.on_demand if f"{p}.{name}" in self._known), None)

    def unbound_name(self, name: str) -> Any:
        """A name no scope binds: an explicit import, a same-file class, an on-demand import, the
        first part of a fully qualified name, else a capitalised name is the package's (resolved at
        link time against the exports of the module's other files)."""
        if name in self.imports:  # an explicit import wins over a declaration of the package
            return self.resolve_ref(self.imports[name])
        cls = self.find_class(name)
        if cls is not None:
            return ClassValue(cls)
        qual = self.qualify(name)
        if qual is not None:
            return self.resolve_ref(qual)
        if name in self._roots or name == self.package.partition(".")[0]:
            return Ref(name)
        if name[:1].isupper():
            return Ref(f"{self.package}.{name}" if self.package else name)
        return Dynamic(name)

    def lookup_name(self, name: str, scope: Scope) -> Any:
        b = scope.lookup(name)
        if b is None:
            return self.unbound_name(name)
        v = self.binding_value(b, name)
        if isinstance(v, MemberOf):
            return self.instance_member(Instance(v.cls), name, None)
        return v

    @staticmethod
    def scope_class(scope: Scope | None) -> ClassInfo | None:
        while scope is not None:
            if scope.cls is not None:
                return scope.cls
            scope = scope.parent
        return None

    def find_class(self, name: str, ctx: ClassInfo | None = None) -> ClassInfo | None:
        """A same-file class by simple name: nested in the context's classes first, then any."""
        cls = ctx
        while cls is not None:
            inner = self._classes.get(f"{cls.qualname}.{name}")
            if inner is not None:
                return inner
            if cls.name == name:
                return cls
            cls = self.outer_class.get(cls.node.id)
        found = self._classes.get(name)
        if found is not None:
            return found
        return next((c for c in self._classes.values() if c.name == name), None)

    def declare_function(self, fn: FunctionInfo) -> FunctionInfo:
        self.functions_by_node[fn.node.id] = fn
        return fn

    def walk_classes_and_functions(self, functions: Iterable[FunctionInfo]) -> None:
        """The end of a ``walk_root`` (PHP, Ruby, Rust): the file's types matched against the rules'
        ``classes:``, then each of ``functions`` walked."""
        if self.index.classes:
            for cls in list(self._classes.values()):
                self.match_classes(cls)
        for fn in functions:
            self.walk_function(fn)

    def scope_at(self, node: Node) -> Scope:
        """The scope of the function enclosing ``node`` with its locals bound (to evaluate an
        assignment found outside the walk), else of the enclosing class, else the module's."""
        cur = node.parent
        while cur is not None:
            fn = self.function_of(cur)
            if fn is not None:
                walked = self._fn_scopes.get(cur.id)
                if walked is not None:
                    return walked
                scope = self._scan_scopes.get(cur.id)
                if scope is None:
                    scope = self._scan_scopes[cur.id] = self.function_scope(fn)
                    self.scan_function(fn, scope)
                return scope
            if cur.type in self.SCOPE_AT_LITERAL_TYPES:  # a function literal: its locals too
                scope = self._fn_scopes.get(cur.id) or self._scan_scopes.get(cur.id)
                if scope is None:
                    lit = self.literal_function(cur, self.scope_at(cur))
                    scope = self._scan_scopes[cur.id] = self.function_scope(lit)
                    self.scan_function(lit, scope)
                return scope
            cscope = self.class_scopes.get(cur.id)
            if cscope is not None:
                return cscope
            cur = cur.parent
        return self.module_scope

    def declare_named(self, node: Node, scope: Scope, cls: ClassInfo | None, default: str = "fn") -> FunctionInfo:
        """A function or method declaration named by its ``name`` field (``declare_function``): a
        method of ``cls``, else a name of ``scope`` (PHP, Ruby; walk them from ``functions_by_node``)."""
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else default
        fn = self.declare_function(FunctionInfo(node, scope, f"{cls.qualname}.{name}" if cls is not None else name, name, cls))
        if cls is not None:
            cls.methods.setdefault(name, fn)
        else:
            scope.bindings.setdefault(name, Binding(value=FunctionValue(fn)))
        return fn

    def function_of(self, node: Node) -> FunctionInfo | None:
        """The declared function whose node ``node`` is (``declare_function``)."""
        return self.functions_by_node.get(node.id)

    ARG_SPREAD_TYPES: frozenset[str] = frozenset()  # an argument spreading a list (f(xs...), f(...xs))

    def call_args(self, arglist: Node | None) -> tuple[list[Node], bool]:
        """A call's arguments before the first that spreads a list (``ARG_SPREAD_TYPES``), and
        whether one did (the arguments after it are unknown)."""
        args: list[Node] = []
        for a in self.named(arglist):
            if a.type in self.ARG_SPREAD_TYPES:
                return args, True
            args.append(a)
        return args, False

    MEMBER_FIELDS: Mapping[str, tuple[str, str]] = {}  # member access type → (object field, member name field)

    def method_name(self, site: Site, scope: Scope) -> str | None:
        """The qualified name of what a call calls (``callee``), else, for a method called on a
        receiver declared with a type no rule tracks (``HttpHeaders h = ...; h.set(...)``, a field
        ``Environment env``), that type's qualified name and the method's."""
        qual, _, _, local = self.callee(site.func, scope)
        if qual is not None or local is not None or site.func is None:
            return qual
        return self.declared_method(site.func, scope)

    def declared_method(self, func: Node, scope: Scope) -> str | None:
        """``recv.m`` where ``recv`` is declared with a type (``receiver_type``): ``Type.m``."""
        parts = self.member_parts(func)
        found = self.receiver_type(parts[0], scope) if parts is not None else None
        t = self.resolve_type(found[0], found[1]) if found is not None else None
        return f"{t.qualname}.{parts[1]}" if isinstance(t, Ref) and parts is not None else None

    THIS_TYPES: frozenset[str] = frozenset({"this", "this_expression"})

    def receiver_type(self, node: Node, scope: Scope) -> tuple[Node, Scope] | None:
        """The declared type of a receiver and the scope to resolve it in: a local or parameter
        (``HttpHeaders h``), a field of the enclosing class (``env``, ``this.env``)."""
        cls: ClassInfo | None = None
        if node.type in self.IDENTIFIER_TYPES:
            name = self.text(node)
            b = scope.lookup(name)
            if b is not None and b.type_node is not None:
                return b.type_node, b.scope or self.module_scope
            if b is not None and isinstance(b.value, MemberOf):
                cls = b.value.cls
        else:
            parts = self.member_parts(node)
            if parts is None or parts[0].type not in self.THIS_TYPES:
                return None
            cls, name = self.scope_class(scope), parts[1]
        if cls is None:
            return None
        if cls.members is None or name not in cls.member_types:
            self.collect_members(cls)
        return cls.member_types.get(name)

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        """A configuration getter of the rules' ``config:`` blocks (``environment.getProperty("k",
        "d")`` on a Spring ``Environment``): a reference resolved at link time; an env getter
        called without the variable's name (``System.getenv()``): the whole environment, a ``Call``
        whose methods a rule may name (``System.getenv().getOrDefault``)."""
        func = site.func
        word = self.text(func).rpartition(".")[2] if func is not None else ""
        aliased = word in self.imports  # an imported name: resolved whatever its spelling
        if func is not None and not site.args and not site.kwargs and (aliased or word in self.last_words("env_getters")):
            qual = self.callee(func, scope)[0]
            if qual in self.index.env_getters:
                return Call(qual)
        if func is not None and (aliased or word in self.last_words("config_getters")):
            qual, receiver, _, local = self.callee(func, scope)
            name = qual if qual is not None or local is not None else self.declared_method(func, scope)
            getter = self.index.config_getters.get(name or "") if receiver is None and local is None else None
            if getter is not None:
                return self.config_getter(site, scope, getter)
        return super().eval_call(site, scope, shallow)

    def config_getter(self, site: Site, scope: Scope, getter: tuple[int, int | None]) -> Any:
        key = strip(self.site_value(site, getter[0], scope))
        if not isinstance(key, Const) or not isinstance(key.value, str):
            return Opaque(site.node)
        default = self.site_value(site, getter[1], scope) if getter[1] is not None else None
        return config_ref((key.value,), default=default, env_fallback=True)

    def last_words(self, table: str) -> frozenset[str]:
        """The last dotted parts of the names of an index table (``env_getters``): a cheap test
        before resolving a call."""
        key = ("last_words", table)
        found: frozenset[str] | None = self.index.derived.get(key)
        if found is None:
            found = self.index.derived[key] = frozenset(str(n).rpartition(".")[2] for n in getattr(self.index, table))
        return found

    def may_carry(self, word: str) -> bool:
        """Whether a call spelled ``...word(...)`` may be one of the rules' ``keyed_setters`` or
        ``map_builders`` (a method of that name, or an imported name: an alias resolves to it):
        a cheap test before resolving the call."""
        key = ("carrier_words",)
        found: frozenset[str] | None = self.index.derived.get(key)
        if found is None:
            names = option_names(self.index, "keyed_setters") | option_names(self.index, "map_builders")
            found = self.index.derived[key] = frozenset(n.rpartition(".")[2] for n in names)
        return bool(found) and (word in found or word in self.imports)

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        """``a.b`` through ``MEMBER_FIELDS``: (the object expression, the member's name)."""
        fields = self.MEMBER_FIELDS.get(node.type)
        if fields is None:
            return None
        obj, name = node.child_by_field_name(fields[0]), node.child_by_field_name(fields[1])
        return (obj, self.text(name)) if obj is not None and name is not None else None

    def eval_member_node(self, node: Node, scope: Scope) -> Any:
        """``a.b`` (``MEMBER_FIELDS``): the member of the object's value (``member_value``)."""
        parts = self.member_parts(node)
        return self.member_value(self.evaluate(parts[0], scope), parts[1], node, scope) if parts is not None else Opaque(node)

    SUBSCRIPT_FIELDS: Mapping[str, tuple[str, str]] = {}  # index expression type → (object field, index field)

    def subscript_parts(self, node: Node) -> tuple[Node, Node] | None:
        """``a[k]`` through ``SUBSCRIPT_FIELDS``: (the object expression, the key expression)."""
        fields = self.SUBSCRIPT_FIELDS.get(node.type)
        obj = node.child_by_field_name(fields[0]) if fields is not None else None
        key = node.child_by_field_name(fields[1]) if fields is not None else None
        return (obj, key) if obj is not None and key is not None else None

    def eval_subscript_node(self, node: Node, scope: Scope) -> Any:
        """``a[k]``: ``index_value`` of the object's value and the key's."""
        parts = self.subscript_parts(node)
        if parts is None:
            return Opaque(node)
        return self.index_value(self.evaluate(parts[0], scope), strip(self.to_value(self.evaluate(parts[1], scope))), node, scope)

    def index_value(self, base: Any, key: Any, node: Node, scope: Scope) -> Any:
        """An item of a known map (by a constant key) or list (by a constant index), a key of a
        configuration object (``config["Services:Risk"]``), an env read when the object is one of
        the platform rules' ``env_objects`` (Ruby's ``ENV["X"]``, PHP's ``$_ENV['X']``), else unknown."""
        if isinstance(base, Ref) and base.qualname in self.index.env_objects and isinstance(key, Const) and isinstance(key.value, str):
            return Env(key.value)
        if isinstance(base, Obj) and self.config_objects() and base.type == self.index.config_types[0]:
            return Env(self.config_key(base, key.value)) if isinstance(key, Const) and isinstance(key.value, str) else Opaque(node)
        found = self.item_value(base, key)
        return found if found is not None else Opaque(node)

    def literal_function(self, node: Node, parent: Scope) -> FunctionInfo:
        """The function info of a function literal met by ``scope_at`` outside the walk."""
        return FunctionInfo(node, parent, f"{parent.qualname}.{self.LAMBDA_NAME}", self.LAMBDA_NAME, parent.cls)

    # ================================================================ literals
    def parse_int(self, text: str) -> int | None:
        t = text.replace("_", "").rstrip(self.INT_SUFFIXES)
        try:
            if t.lower().startswith(("0x", "0b", "0o")):
                return int(t, 0)
            if self.OCTAL_ZERO and len(t) > 1 and t[0] == "0" and t.isdigit():
                return int(t, 8)
            return int(t)
        except ValueError:
            return None

    @staticmethod
    def parse_float(text: str) -> float | None:
        t = text.replace("_", "").rstrip("fFdDmM")
        try:
            return float.fromhex(t) if t.lower().startswith("0x") else float(t)
        except ValueError:
            return None

    @classmethod
    def unescape(cls, s: str) -> str:
        if "\\" not in s:
            return s
        keep = "\\" if cls.UNKNOWN_ESCAPE_KEEPS_BACKSLASH else ""

        def sub(m: re.Match[str]) -> str:
            e = m.group(1)
            if e[0] in "uUx" and len(e) > 1:  # \u0041, \uuu0041, \u{41}, \U00000041, \x41
                try:
                    return chr(int(e[1:].lstrip("u").strip("{}"), 16))
                except ValueError:  # not a code point
                    return ""
            if cls.OCTAL_ESCAPES and e[0] in "01234567" and (cls.OCTAL_ZERO or e != "0"):
                return chr(int(e, 8))
            return cls.ESCAPES.get(e, keep + e)

        return cls.ESCAPE_PATTERN.sub(sub, s)

    def eval_int_literal(self, node: Node, scope: Scope) -> Any:
        v = self.parse_int(self.text(node))
        return Const(v) if v is not None else Opaque(node)

    def eval_float_literal(self, node: Node, scope: Scope) -> Any:
        v = self.parse_float(self.text(node))
        return Const(v) if v is not None else Opaque(node)

    def eval_literal_name(self, node: Node, scope: Scope) -> Any:
        """An identifier: a literal word, else the name's value."""
        name = self.text(node)
        if name in self.LITERAL_NAMES:
            return Const(self.LITERAL_NAMES[name])
        return self.lookup_name(name, scope)

    def eval_string_parts(self, node: Node, scope: Scope) -> Any:
        """A string literal from its parts: text, escapes, interpolated expressions."""
        parts: list[Value] = []
        raw: list[str] = []

        def flush() -> None:
            if raw:
                parts.extend(self.string_text("".join(raw), scope))
                raw.clear()

        for c in node.named_children:
            if c.type in self.STRING_TEXT_TYPES:
                raw.append(self.text(c))
            elif c.type in self.STRING_ESCAPE_TYPES:
                flush()
                parts.append(Const(self.unescape(self.text(c))))
            elif c.type in self.INTERPOLATION_TYPES:
                flush()
                inner = self.named(c)
                v = self.to_value(self.evaluate(inner[0], scope) if len(inner) == 1 else Opaque(c))
                known = strip(v)
                if isinstance(known, Const) and not isinstance(known.value, str):  # "${A * 2}": its text
                    v = Const(self.TEMPLATE_TEXT.get(known.value, str(known.value)) if isinstance(known.value, (bool, type(None))) else str(known.value))
                parts.append(v)
        flush()
        if not parts:
            return Const("")
        consts = [p for p in parts if isinstance(p, Const)]
        if len(consts) == len(parts):
            return Const("".join(str(p.value) for p in consts))
        return simplify_concat(tuple(parts)) if len(parts) > 1 else parts[0]

    def string_text(self, raw: str, scope: Scope) -> list[Value]:
        """The value(s) of a run of literal text inside a string (a grammar may leave templates in it)."""
        return [Const(self.unescape(raw))]

    def same_branches(self, node: Node, branches: Sequence[Node | None], scope: Scope) -> Any:
        """A conditional whose branches all have one value (``if (a) 5 else 5``) is that value."""
        values = [self.evaluate(b, scope) for b in branches]
        if values and all(self.is_value(v) for v in values) and all(strip(v) == strip(values[0]) for v in values):
            return values[0]
        return self.one_of(values) or Opaque(node)

    def one_of(self, values: Sequence[Any]) -> Value | None:
        """The branches of a conditional that are all known numbers and differ (``c ? 10000 : 2500``):
        one of them, as the condition chooses (``values.ONE_OF``, in the code's order); else None."""
        known = [self.to_value(v) for v in values if self.is_value(v)]
        numbers = [c for v in known if isinstance(c := strip(v), Const) and isinstance(c.value, (int, float)) and not isinstance(c.value, bool)]
        if len(values) < 2 or len(numbers) != len(values):
            return None
        return Call(ONE_OF, tuple(dict.fromkeys(known)))

    def eval_ternary(self, node: Node, scope: Scope) -> Any:
        """``c ? a : b`` (``consequence`` / ``alternative`` fields): the value both branches have."""
        return self.same_branches(node, [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")], scope)

    def eval_cast_value(self, node: Node, scope: Scope) -> Any:
        """A cast whose operand is its ``value`` field (``(T) x``)."""
        value = node.child_by_field_name("value")
        return self.evaluate(value, scope) if value is not None else Opaque(node)

    def eval_char_literal(self, node: Node, scope: Scope) -> Any:
        return Const(self.unescape(self.text(node)[1:-1]))

    def eval_null(self, node: Node, scope: Scope) -> Any:
        """``null``, ``default``: no value."""
        return Const(None)

    def eval_conditional(self, node: Node, scope: Scope) -> Any:
        """``if (c) a else b`` as an expression (the branches: the children besides ``condition``)."""
        cond = node.child_by_field_name("condition")
        return self.same_branches(node, [b for b in self.named(node) if cond is None or b.id != cond.id], scope)

    def eval_this(self, node: Node, scope: Scope) -> Any:
        """``this``: what the scope binds to it (a lambda's receiver), else the enclosing class's instance."""
        b = scope.lookup("this")
        if b is not None:
            return self.binding_value(b, "this")
        cls = self.scope_class(scope)
        return Instance(cls, "this") if cls is not None else Opaque(node)

    def eval_type(self, node: Node, scope: Scope) -> Any:
        found = self.resolve_type(node, scope)
        return found if found is not None else Opaque(node)

    def eval_function_literal(self, node: Node, scope: Scope) -> Any:
        name = f"{scope.qualname}.{self.LAMBDA_NAME}" if scope.qualname else self.LAMBDA_NAME
        return FunctionValue(FunctionInfo(node, scope, name, self.LAMBDA_NAME, self.scope_class(scope)))

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        """A duration factory of the rules' ``scales:`` (``TimeSpan.FromSeconds(n)``)."""
        factor = self.index.scales.get(qual)
        if factor is not None and len(site.args) == 1:
            return self.scaled(self.evaluate(site.args[0], scope), factor, qual)
        spec = self.index.env_defaults.get(qual)
        if spec is not None:
            found = self.env_default(spec, site, scope)
            if found is not None:
                return found
        if self.config_objects():
            found = self.config_call(qual, site, scope)
            if found is not None:
                return found
        return super().special_call(qual, site, scope)

    def env_default(self, spec: tuple[int | None, int], site: Site, scope: Scope) -> Any:
        """A rule's ``env_defaults:``: the env value (an argument, or the single argument of the
        receiver call: ``Optional.ofNullable(x).orElse(d)``) with the default argument."""
        value_arg, default_arg = spec
        node: Node | None = None
        if value_arg is None:
            parts = self.member_parts(site.func) if site.func is not None else None
            inner = self.site(parts[0], scope) if parts is not None and parts[0].type in self.CALL_TYPES else None
            node = inner.args[0] if inner is not None and len(inner.args) == 1 else None
        elif value_arg < len(site.args):
            node = site.args[value_arg]
        if node is None or default_arg >= len(site.args):
            return None
        v = strip(self.to_value(self.evaluate(node, scope)))
        if isinstance(v, Env) and v.default is None:
            return Env(v.var, self.to_value(self.evaluate(site.args[default_arg], scope)))
        return None

    def scaled(self, v: Any, factor: float, qual: str) -> Any:
        """``n`` times ``factor`` (an int when whole); a named constant stays named, an env value's
        default is scaled, anything else is the call for a rule's ``functions:``."""
        name = v.name if isinstance(v, Named) else None
        inner = strip(v) if self.is_value(v) else None
        if isinstance(inner, Const) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
            n = inner.value * factor
            n = int(n) if float(n).is_integer() else n
            return Named(name, Const(n)) if name else Const(n)
        if isinstance(inner, Env):
            d = strip(inner.default) if inner.default is not None else None
            default = Const(d.value * factor) if isinstance(d, Const) and isinstance(d.value, (int, float)) and not isinstance(d.value, bool) else inner.default
            return Env(inner.var, default)
        return Call(qual, (self.to_value(v),))

    def eval_call_node(self, node: Node, scope: Scope) -> Any:
        site = self.site(node, scope)
        return self.eval_call(site, scope) if site is not None else Opaque(node)

    # ================================================================ statements
    def st_skip(self, node: Node, scope: Scope) -> None:
        return None

    def st_statements(self, node: Node, scope: Scope) -> None:
        """A block: its statements in order."""
        for child in self.named(node):
            self.walk_statement(child, scope)

    ASSIGN_EXPRESSION_TYPES: frozenset[str] = frozenset()  # assignments that are expressions: st_expression hands them to st_assignment
    CALL_WRAPPER_TYPES: frozenset[str] = frozenset()  # around a call statement's call (await f(), (f()))
    ASSIGNMENT_DECLARES = False  # x = v declares x (PHP, Ruby: a local needs no declaration); st_assignment walks v's calls first

    def st_expression(self, node: Node, scope: Scope) -> None:
        """An expression statement: an assignment (``st_assignment``), else a call statement."""
        for child in self.named(node):
            if child.type in self.ASSIGN_EXPRESSION_TYPES:
                self.st_assignment(child, scope)
            else:
                self.st_call_statement(child, scope)

    def st_assignment(self, node: Node, scope: Scope) -> None:
        """An assignment expression met as a statement (``ASSIGN_EXPRESSION_TYPES``)."""
        if self.ASSIGNMENT_DECLARES:
            self.walk_expr(node.child_by_field_name("right"), scope)
        self.bind_assignment(node, scope)

    def st_call_statement(self, node: Node, scope: Scope) -> None:
        """A call as a statement: matched, then ``x.configure(...)`` rebinds a tracked ``x`` and a
        keyed setter (``headers.set("Idempotency-Key", id)``) stores the id flow's value in ``x``."""
        self.walk_expr(node, scope)
        call = node
        while call.type in self.CALL_WRAPPER_TYPES and self.named(call):
            call = self.named(call)[0]
        idflow = self.idflow is not None and self.idflow.active()
        site = self.site(call, scope) if call.type in self.CALL_TYPES and (self.index.configure_methods or idflow) else None
        if site is None:
            return
        if self.index.configure_methods:
            self.apply_configure(site, scope)
        if idflow:
            self.keyed_store(site, scope)

    def keyed_store(self, site: Site, scope: Scope) -> None:
        """``holder.set("Idempotency-Key", id)`` with a setter of the rules' ``keyed_setters``: the
        holder carries the value under the key."""
        parts = self.member_parts(site.func) if site.func is not None else None
        if parts is None or parts[0].type not in self.IDENTIFIER_TYPES or len(site.args) != 2 or self.idflow is None:
            return
        if not self.may_carry(parts[1]) or self.method_name(site, scope) not in option_names(self.index, "keyed_setters"):
            return
        key = strip(self.to_value(self.evaluate(site.args[0], scope)))
        if isinstance(key, Const) and isinstance(key.value, str):
            self.idflow.store(scope, self.text(parts[0]), key.value, site.args[1])

    def st_if_branches(self, node: Node, scope: Scope) -> None:
        """An if whose branches are its children besides the ``condition`` field."""
        cond = node.child_by_field_name("condition")
        self.walk_expr(cond, scope)
        for branch in self.named(node):
            if cond is None or branch.id != cond.id:
                self.walk_statement(branch, scope)

    def st_local_function(self, node: Node, scope: Scope) -> None:
        """A function declared in a function: bound by its name, walked as a closure."""
        fn = self.closure(node, scope)
        name = node.child_by_field_name("name")
        if name is not None:
            self.bind(scope, self.text(name), value=FunctionValue(fn))
        self.walk_function(fn)

    def bind_assignment(self, node: Node, scope: Scope) -> None:
        """``x = v`` / ``x += v`` (``left`` / ``right`` fields) in statement order: a local is
        rebound (``+=`` folds), ``obj.f = v`` changes a tracked object's capture; a field of a
        class is left to ``collect_members``."""
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        op = self.operator(node)
        parts = self.member_parts(left)
        if parts is not None and parts[0].type in self.IDENTIFIER_TYPES and op == "=":
            self.set_field(self.text(parts[0]), parts[1], right, scope)
            return
        item = self.subscript_parts(left) if parts is None and op == "=" else None
        if item is not None and item[0].type in self.IDENTIFIER_TYPES:  # props[KEY] = v
            self.set_item(self.text(item[0]), item[1], right, scope)
            return
        owner = scope.owner_of(self.text(left)) if left.type in self.IDENTIFIER_TYPES else None
        if self.ASSIGNMENT_DECLARES and op == "=" and left.type in self.IDENTIFIER_TYPES:  # binds the name, first or again
            self.bind(scope, self.text(left), expr=right, rebind=owner is scope)
            return
        if owner is None or owner.kind != "function":
            return
        name = self.text(left)
        if op == "=":
            self.bind(scope, name, expr=right, rebind=True)
            return
        binop = self.BINARY_OPS.get(op[:-1])
        new = self.eval_binary(binop, self.lookup_name(name, scope), self.evaluate(right, scope), node) if binop else Opaque(node)
        self.bind(scope, name, value=new if not isinstance(new, Opaque) else Dynamic(name), rebind=True)

    # ================================================================ functions and classes
    def report_node(self, fn: FunctionInfo) -> Node:
        return (fn.node.child_by_field_name("name") if self.REPORT_AT_NAME else None) or fn.node

    def exported(self, name: str) -> bool:
        return not name.startswith("<")  # <init>, <clinit>

    STATIC_METHODS = False  # Cls.method is a value (Java's method references, a static method)

    def class_static(self, cls: ClassInfo, attr: str, node: Node | None) -> Any:
        """``Cls.attr`` of a same-file class: a static binding of its scope, a method
        (``STATIC_METHODS``), a nested class."""
        b = cls.scope.bindings.get(attr)
        if b is not None:
            v = self.binding_value(b, attr)
            if not isinstance(v, MemberOf):
                return v
        fn = cls.methods.get(attr) if self.STATIC_METHODS else None
        if fn is not None:
            return FunctionValue(fn)
        inner = self._classes.get(f"{cls.qualname}.{attr}")
        if inner is not None:
            return ClassValue(inner)
        return Opaque(node) if node is not None else Dynamic(f"{cls.name}.{attr}")

    def instance_member(self, inst: Instance, attr: str, node: Node | None) -> Any:
        """A field of a same-file class's instance: its members collected first (``collect_members``),
        then a configuration value injected into it (``config_fields``), else the engine's reading."""
        if inst.cls.members is None:
            self.collect_members(inst.cls)
        config = self.config_fields.get((inst.cls.node.id, attr))
        if config is not None:
            return Named(attr, config)
        return super().instance_member(inst, attr, node)

    def annotation_config(self, annotations: Iterable[Site], scope: Scope) -> Any:
        """The configuration value an annotation of the rules' ``config: annotations`` injects
        (``@Value("${risk.url:d}")``: a reference resolved at link time), else None."""
        for site in annotations:
            qual = self.callee(site.func, scope)[0] if site.func is not None and site.args else None
            if qual in self.index.config_annotations:
                v = strip(self.to_value(self.evaluate(site.args[0], scope)))
                if isinstance(v, Const) and isinstance(v.value, str):
                    return placeholder_value(v.value)
                return Dynamic(self.anchor_text(site.args[0], 120))
        return None

    def export_statics(self, classes: Iterable[ClassInfo], scopes: Mapping[int, Scope] | None = None) -> None:
        """Top-level classes' static values (constants, an ``object``'s properties) exported as
        objects whose captures they are: ``Settings.RISK_URL`` in another file of the module
        resolves at link time."""
        for cls in classes:
            if cls.qualname != cls.name or cls.name in self.result.exports:
                continue
            caps: list[tuple[str, Value]] = []
            for name, b in (scopes or self.class_scopes).get(cls.node.id, cls.scope).bindings.items():
                try:
                    v = None if b.param else self.binding_value(b, name)
                except RecursionError:
                    continue
                if self.is_value(v) and not isinstance(v, (Dynamic, Ref)):
                    caps.append((name, self.to_value(v)))
            if caps:
                self.result.exports[cls.name] = Obj(STATICS, tuple(caps), cls.name, "")

    def function_body(self, node: Node) -> Node | None:
        return node.child_by_field_name("body")

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        """A block body's statements in order; an expression body (``= expr``, an arrow's) as an expression."""
        body = self.function_body(fn.node)
        if body is not None and body.type in self.BLOCK_TYPES:
            self.st_statements(body, scope)
        elif body is not None:
            self.walk_expr(body, scope)

    def scan_function(self, fn: FunctionInfo, scope: Scope) -> list[Node]:
        """Bind a function's locals in statement order (``SCAN_BINDS``), without matching, and
        return its returned expressions (an expression body is one); nested functions and
        classes are not entered."""
        returns: list[Node] = []
        body = self.function_body(fn.node)
        if body is None or not (self.RETURN_TYPES or self.SCAN_BINDS):
            return returns
        if body.type not in self.BLOCK_TYPES:
            return [body]
        self.scan_nodes(self.named(body), scope, returns)
        return returns

    def scan_nodes(self, nodes: list[Node], scope: Scope, returns: list[Node]) -> None:
        """``scan_function``'s walk over some statements (and everything below them but nested
        functions and classes), in order."""
        stack = list(reversed(nodes))
        skip = self.FUNCTION_TYPES | self.CLASS_TYPES
        while stack:
            st = stack.pop()
            t = st.type
            bind = self._scan_binds.get(t)
            if bind is not None:
                bind(st, scope)
                continue
            hook = self._scan_hooks.get(t)
            if hook is not None:
                hook(st, scope, returns)
                continue
            if t in self.RETURN_TYPES:
                kids = self.named(st)
                if kids and kids[0].type in self.EXPRESSION_LIST_TYPES:
                    kids = self.named(kids[0])
                if kids:
                    returns.append(kids[0])
                continue
            if t in skip:
                continue
            stack.extend(reversed(self.named(st)))

    def match_call(self, site: Site, scope: Scope) -> None:
        if self.index.timers and site.func is not None and self.text(site.func).rpartition(".")[2] in self._timer_words:
            self.timer_call(site, scope)
        super().match_call(site, scope)

    def timer_call(self, site: Site, scope: Scope) -> None:
        """A rule's ``timers:``: ``setTimeout(() => controller.abort(), ms)`` gives the tracked object
        bound to ``controller`` the capture (``timeout``) = ms, which its members carry to the call."""
        qual, _, _, local = self.callee(site.func, scope)
        for callback, delay, method, capture in self.index.timers.get(qual or "", ()) if local is None else ():
            fn = site.args[callback] if callback < len(site.args) and delay < len(site.args) else None
            if fn is None or fn.type not in self.FUNCTION_TYPES:
                continue
            stack = [self.function_body(fn)]
            while stack:
                n = stack.pop()
                if n is None:
                    continue
                inner = self.site(n, scope) if n.type in self.CALL_TYPES else None
                parts = self.member_parts(inner.func) if inner is not None and inner.func is not None else None
                if parts is not None and parts[1] == method and parts[0].type in self.IDENTIFIER_TYPES:
                    name = self.text(parts[0])
                    b = scope.lookup(name)
                    obj = self.binding_value(b, name) if b is not None else None
                    if isinstance(obj, Obj):
                        value = self.to_value(self.evaluate(site.args[delay], scope))
                        self.bind(scope, name, value=self.with_capture(obj, capture, value), rebind=True)
                    return
                stack.extend(n.named_children)

    def route_tokens(self, v: Any, scope: Scope) -> Any:
        """An endpoint path with the rules' ``route_tokens`` replaced (``[controller]`` → the
        class's name without ``Controller``); a token whose template needs a class or function
        the scope does not have stays."""
        if isinstance(v, Named):
            return self.route_tokens(v.value, scope)
        if isinstance(v, Concat):
            return simplify_concat(tuple(self.route_tokens(p, scope) for p in v.parts))
        if isinstance(v, Const) and isinstance(v.value, str) and self.index.route_tokens:
            env = {"class": scope.cls.name} if scope.cls is not None else {}
            if scope.function is not None:
                env["function"] = scope.function.name
            text = v.value
            for token, template in self.index.route_tokens.items():
                if token in text and template_vars(template) <= set(env):
                    text = text.replace(token, render(template, env))
            return Const(text)
        return v

    # ================================================================ configuration objects (the rules' config: block)
    # A configuration object read by key (.NET's IConfiguration: config["A:B"], GetSection("A")["B"],
    # GetSection("A:B").Value, GetConnectionString("db")) when the rules' config: block says how:
    # sections, prefixes, value. A variable declared with one of the block's types is such an object;
    # a read is an Env named by the key (the address book resolves it at link time).
    def config_objects(self) -> bool:
        return bool(self.index.config_types) and bool(self.index.config_sections or self.index.config_prefixes or self.index.config_value)

    def declared_instance(self, type_node: Node, scope: Scope, name: str, unknown: bool) -> Any:
        if self.config_objects():
            t = self.resolve_type(type_node, scope)
            if isinstance(t, Ref) and t.qualname in self.index.config_types and self.index.tracked(t.qualname) is None:
                return Obj(self.index.config_types[0], (), t.name, "")
        if unknown and option_names(self.index, "bean_annotations"):  # built elsewhere: the service's bean of the type
            t = self.resolve_type(type_node, scope)
            bean = self.bean(t.qualname) if isinstance(t, Ref) and self.index.tracked(t.qualname) is not None else None
            if bean is not None:
                return Obj(bean.type, bean.captures, name, bean.origin)
        return super().declared_instance(type_node, scope, name, unknown)

    # ---------------------------------------------------------------- beans (the rules' options: bean_annotations)
    def return_type(self, fn: FunctionInfo) -> Node | None:
        """A function's declared result type (Java's ``type`` field)."""
        return fn.node.child_by_field_name("type")

    def bean(self, qual: str) -> Obj | None:
        """The object the service's bean method of type ``qual`` returns: this file's, else another
        file's of the service (its export ``$$bean.<type>``, ``export_beans``)."""
        found = self.beans().get(qual)
        if found is None and self.module_name:
            found = self._wanted_registration(f"$$bean.{qual}")
        return found

    def beans(self) -> dict[str, Obj]:
        """The tracked objects the file's bean methods (annotated with one of the rules' ``options:
        bean_annotations``, Spring's ``@Bean``) return, by the method's declared type: what the
        application context injects into a parameter or field of that type anywhere in the service."""
        if self._beans is not None:
            return self._beans
        self._beans = {}
        marks = option_names(self.index, "bean_annotations")
        if not marks or b"@" not in self.source:
            return self._beans
        for fn in list(self.functions_by_node.values()):
            tnode = self.return_type(fn)
            if tnode is None or not any(site.func is not None and self.callee(site.func, fn.scope)[0] in marks for site in self.decorators(fn)):
                continue
            t = self.resolve_type(tnode, fn.scope)
            if isinstance(t, Ref) and self.index.tracked(t.qualname) is not None:
                v = self.function_return(fn, None, None)
                if isinstance(v, Obj):
                    self._beans.setdefault(t.qualname, v)
        return self._beans

    def export_beans(self) -> None:
        """The file's beans, for every file of the service (``$$``: the scan's package pass, through
        the spec's ``linked_modules``)."""
        for qual, bean in sorted(self.beans().items()):
            self.result.exports[f"$$bean.{qual}"] = bean

    def config_key(self, obj: Obj, key: str) -> str:
        """A key read from a configuration object (a section's keys are ``section:key``)."""
        section = strip(obj.capture("section")) if obj.capture("section") is not None else None
        return f"{section.value}:{key}" if isinstance(section, Const) else key

    def member_value(self, base: Any, attr: str, node: Node, scope: Scope) -> Any:
        if isinstance(base, Obj) and self.config_objects() and base.type == self.index.config_types[0] and attr == self.index.config_value:
            section = strip(base.capture("section")) if base.capture("section") is not None else None
            return Env(str(section.value)) if isinstance(section, Const) else Opaque(node)
        if isinstance(base, ClassValue):
            return self.class_static(base.cls, attr, node)
        return self.eval_member(base, attr, node, scope)

    def config_call(self, qual: str, site: Site, scope: Scope) -> Any:
        """``GetSection("A")`` (the block's ``sections``): a section object; ``GetConnectionString("db")``
        (``prefixes``): the key under its fixed section."""
        ctype = self.index.config_types[0]
        if not site.args or not qual.startswith(ctype + "."):
            return None
        attr = qual[len(ctype) + 1 :]
        key = strip(self.to_value(self.evaluate(site.args[0], scope)))
        if not (isinstance(key, Const) and isinstance(key.value, str)):
            return None
        if attr in self.index.config_sections:
            receiver = self.callee(site.func, scope)[1] if site.func is not None else None
            full = self.config_key(receiver, key.value) if receiver is not None else key.value
            return Obj(ctype, (("section", Const(full)),), attr, "")
        prefix = self.index.config_prefixes.get(attr)
        return Env(f"{prefix}{key.value}") if prefix is not None else None

    # ================================================================ typed lambda parameters (the rules' lambdas:)
    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        """A function's scope; a function literal passed to a call of the rules' ``lambdas:`` has
        its parameter bound to the object the entry names (``lambda_param_object``)."""
        scope = super().function_scope(fn, args)
        node = fn.node
        if node.type in self.FUNCTION_TYPES and node.id not in self._callbacks and lambda_specs(self.index):
            typed = self.lambda_param_object(node, fn.scope)
            if typed is not None:
                i, obj = typed
                params = self.function_params(node)
                if i < len(params) and params[i][0]:
                    scope.bindings[params[i][0]] = Binding(value=obj)
        return scope

    def lambda_param_object(self, node: Node, scope: Scope) -> tuple[int, Obj] | None:
        """``AddTransientHttpErrorPolicy(p => ...)``: the ``lambdas:`` entry of the call the function
        literal is an argument of (the call at most three nodes up) types its parameter."""
        specs = lambda_specs(self.index)
        call = node.parent
        for _ in range(2):
            if call is None or call.type in self.CALL_TYPES:
                break
            call = call.parent
        site = self.site(call, scope) if call is not None and call.type in self.CALL_TYPES else None
        parts = self.member_parts(site.func) if site is not None and site.func is not None else None
        if site is None or parts is None or parts[1] not in {n.rpartition(".")[2] for n in specs}:
            return None
        qual = self.callee(site.func, scope)[0]
        if qual is None or qual not in specs:
            return None
        pos = next((i for i, a in enumerate(site.args) if a.start_byte <= node.start_byte and node.end_byte <= a.end_byte), None)
        for item in specs[qual]:
            if pos is not None and int(item.get("arg", 0)) != pos:
                continue
            caps = tuple((k, self.lambda_capture(v, site, scope)) for k, v in (item.get("capture") or {}).items())
            return int(item.get("param", 0)), Obj(item["type"], caps, item["type"].rpartition(".")[2], "")
        return None

    def lambda_capture(self, spec: Any, site: Site, scope: Scope) -> Value:
        """A ``lambdas:`` capture: a constant, ``{arg: N}`` (the value the call passes at N:
        ``.route("orders", r -> ...)``'s id) or ``{config: key}`` (the service's configuration
        key, resolved at link time; None when neither its configuration nor its environment sets it)."""
        if isinstance(spec, dict) and "config" in spec:
            return config_ref((str(spec["config"]),), default=Const(None), env_fallback=True)
        if isinstance(spec, dict):
            at = int(spec.get("arg", 0))
            return self.to_value(self.evaluate(site.args[at], scope)) if at < len(site.args) else Const(None)
        return Const(tuple(spec) if isinstance(spec, list) else spec)

    # ================================================================ the env-default idiom
    EMPTY_TEXTS: frozenset[str] = frozenset()  # literals an unset env value equals ('""', null)
    EMPTY_TESTS: frozenset[str] = frozenset()  # functions testing a value for empty (string.IsNullOrEmpty)

    def st_if(self, node: Node, scope: Scope) -> None:
        """An if statement (its ``initializer`` first: Go's ``if x := f(); ...``); after it, the
        env-default idiom (``env_default_idiom``) gives the env value its default."""
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.walk_statement(init, scope)
        idiom = self.env_default_idiom(node)
        prior = self.lookup_name(idiom[0], scope) if idiom is not None else None
        super().st_if(node, scope)
        if idiom is not None:
            self.apply_env_default(idiom, prior, scope)

    def env_default_idiom(self, node: Node) -> tuple[str, Node] | None:
        """``if x == "" { x = "d" }`` / ``if (string.IsNullOrEmpty(x)) x = "d";`` (no else): the
        name and the default's expression."""
        cond = node.child_by_field_name("condition")
        if node.child_by_field_name("alternative") is not None or cond is None or not (self.EMPTY_TEXTS or self.EMPTY_TESTS):
            return None
        while cond.type in self.EVAL and self.EVAL[cond.type] in ("eval_paren", "eval_first") and len(self.named(cond)) == 1:
            cond = self.named(cond)[0]
        name: str | None = None
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is not None and right is not None and self.operator(cond) == "==":
            if right.type in self.IDENTIFIER_TYPES:
                left, right = right, left
            if left.type in self.IDENTIFIER_TYPES and self.text(right) in self.EMPTY_TEXTS:
                name = self.text(left)
        elif cond.type in self.CALL_TYPES and self.EMPTY_TESTS:
            site = self.site(cond, self.module_scope)
            arg = site.args[0] if site is not None and site.func is not None and len(site.args) == 1 else None
            if site is not None and site.func is not None and self.text(site.func).rpartition(".")[2] in self.EMPTY_TESTS:
                name = self.text(arg) if arg is not None and arg.type in self.IDENTIFIER_TYPES else None
        cons = node.child_by_field_name("consequence")
        stmts = [cons] if cons is not None and name is not None else []
        while len(stmts) == 1 and self.STATEMENTS.get(stmts[0].type) == "st_statements":  # a block
            stmts = self.named(stmts[0])
        for st in stmts:
            found = self.simple_assignment(st)
            if found is not None and found[0] == name:
                return found
        return None

    def simple_assignment(self, st: Node) -> tuple[str, Node] | None:
        """``x = v;`` as a statement: (``x``, ``v``)."""
        kids = self.named(st) if st.type == "expression_statement" else [st]
        a = kids[0] if len(kids) == 1 else None
        if a is None or a.type not in self.ASSIGN_EXPRESSION_TYPES | self.ASSIGNMENT_TYPES or self.operator(a) != "=":
            return None
        left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
        return (self.text(left), right) if left is not None and right is not None and left.type in self.IDENTIFIER_TYPES else None

    def apply_env_default(self, idiom: tuple[str, Node], prior: Any, scope: Scope) -> None:
        name, value_node = idiom
        env = strip(prior) if self.is_value(prior) else None
        if isinstance(env, Env) and env.default is None:
            self.bind(scope, name, value=Named(name, Env(env.var, self.to_value(self.evaluate(value_node, scope)))), rebind=True)

    # ================================================================ dependency injection (the rules' inject: blocks)
    REGISTRATION_TYPES: frozenset[str] = frozenset({"expression_statement", "return_statement"})  # statements that may register

    def registration_expr(self, node: Node) -> Node | None:
        """The expression of a statement of ``REGISTRATION_TYPES`` that ``scan_registrations`` evaluates."""
        kids = self.named(node)
        return kids[0] if kids else None

    def type_key(self, type_node: Node) -> str:
        """A declared type as a registration key (``by: type``): its text without type arguments."""
        return re.sub(r"<.*>", "", "".join(self.text(type_node).split()))

    def constructed(self, obj: Obj, site: Site, qual: str, receiver: Obj | None) -> Obj:
        """An object a constructor of the rules just built, before it is registered (a hook)."""
        return obj

    def construct(self, otype: Any, site: Site, scope: Scope, qual: str, receiver: Obj | None, env: dict[str, str] | None = None) -> Obj:
        obj = self.constructed(super().construct(otype, site, scope, qual, receiver, env), site, qual, receiver)
        if self.index.inject:
            if obj.type in self.index.inject:
                self.record_registration(obj)
            else:
                obj = self.from_registry(obj)
        return obj

    def configure_obj(self, obj: Obj, site: Site, scope: Scope) -> Obj:
        new = super().configure_obj(obj, site, scope)
        if self.index.inject and new.type in self.index.inject and new is not obj:
            self.record_registration(new)
        return new

    def injected(self, type_node: Node, cls: ClassInfo | None, scope: Scope) -> Obj | None:
        """What the container passes a parameter typed ``type_node``: for a registration keyed by
        the receiving class (``by: class``, the default), the object registered for the class of
        the constructor (``AddHttpClient<RiskClient>(...)``: RiskClient's ``HttpClient``); for one
        keyed by the type (``by: type``), the object registered for the parameter's type
        (``AddGrpcClient<Risk.RiskClient>(...)``: any ``Risk.RiskClient`` parameter, a minimal-API
        handler's too). In this file or another file of the project."""
        t = self.resolve_type(type_node, scope)
        for spec in self.index.inject.values():
            as_type = spec.get("as", "")
            if spec.get("by") == "type":
                key = self.type_key(type_node)
                if not key[:1].isupper() or not any(o.requires is not None for o in self.index.ctor(t.qualname if isinstance(t, Ref) else key)):
                    continue
                if isinstance(t, Ref):  # through a using alias: using GrpcBasketClient = eShop.Basket.Basket.BasketClient;
                    key = t.qualname
            elif cls is None or not isinstance(t, Ref) or t.qualname != as_type:
                continue
            else:
                key = cls.name
            key = key.rpartition(".")[2]  # as registered: the type's own name (Risk.RiskClient, global::Acme.RiskClient)
            self.scan_registrations()
            found = self._registry.get((as_type, key))
            if found is None and self.module_name:
                found = self._wanted_registration(self.registry_name(as_type, key))
                if spec.get("defaults"):
                    self.client_defaults()  # asked for now: the scan's package pass brings both at once
            if found is not None:
                return self.with_defaults(found, spec)
        return None

    # ================================================================ receivers inherited by the interfaces a class extends
    def is_interface(self, cls: ClassInfo) -> bool:
        return cls.node.type == "interface_declaration"

    def inherited_receiver(self, cls: ClassInfo) -> Obj | None:
        """For an interface with no annotation object of its own, the object of one of the rules'
        ``options: inherited_receivers`` types that a class or interface of another file extending it
        exports as ``$$extends.<this interface>`` (java.py's ``export_inherited``: ``@Client(id =
        "payment") interface PaymentClient extends PaymentOperations {}`` makes ``PaymentOperations``'
        annotated methods that client's calls); kept as the interface's class receiver."""
        kinds = option_names(self.index, "inherited_receivers")
        if not kinds or not self.module_name or not self.is_interface(cls):
            return None
        given = self._wanted_registration(f"{EXTENDS}{self.package}.{cls.qualname}" if self.package else f"{EXTENDS}{cls.qualname}")
        if given is None or given.type not in kinds:
            return None
        self._class_receivers[cls.node.id] = given
        return given

    def redeclared(self, fn: FunctionInfo) -> bool:
        """A method of an interface that received its object from a client extending it
        (``inherited_receiver``) which declares the method again with annotations the rules know
        (its capture ``_declared``): the client's count, not the interface's."""
        if fn.cls is None or not option_names(self.index, "inherited_receivers") or not self.is_interface(fn.cls):
            return False
        given = self.class_receiver(fn.cls)
        found = given.capture(DECLARED) if given is not None else None
        declared = strip(found) if found is not None else None
        return isinstance(declared, Seq) and Const(fn.name) in declared.items

    def _wanted_registration(self, name: str) -> Obj | None:
        """``wanted`` for a registration's export name: collect_exports exports only objects under those."""
        found = self.wanted(name)
        return found if isinstance(found, Obj) else None

    def constructor_argument_exports(self, key_of: Any, objects_in: Any = None) -> None:
        """The arguments the file's functions pass to constructors of other classes of the service,
        exported as ``$$new.<argument index>.<key_of(site, scope)>`` (None: not such a class) for the
        constructor's parameters (``constructor_parameters``): the sites that agree give that value,
        else an unknown one (the scan merges the files' likewise). A tracked object only from the
        functions ``objects_in(fn)`` accepts (a bean method: the object is built once), with the
        lambdas inside them; ``$$new.n.<key>``: the number of arguments the sites pass."""
        passed: dict[str, list[Value]] = {}
        functions = self.functions_by_node
        starts: list[tuple[Node | None, Scope, bool]] = [(self.tree.root_node, self.module_scope, False)]  # module code, field initialisers
        for fn in list(functions.values()):
            objects = objects_in is not None and objects_in(fn)
            starts.append((fn.node.child_by_field_name("body"), self._fn_scopes.get(fn.node.id) or self.function_scope(fn), objects))
        for start, scope, objects in starts:
            stack = [start]
            while stack:
                node = stack.pop()
                if node is not None and not objects and node.type in self.FUNCTION_TYPES and node.id not in functions:
                    lit = self.literal_function(node, scope)  # a function literal the walk left (a provider's useFactory)
                    starts.append((lit.node.child_by_field_name("body"), self._fn_scopes.get(lit.node.id) or self.function_scope(lit), False))
                    continue
                if node is None or (not objects and (node.id in functions or node.type in self.FUNCTION_TYPES)):
                    continue  # a function's own sites: with its own scope
                stack.extend(node.named_children)
                site = self.site(node, scope) if node.type in self.CALL_TYPES else None
                key = key_of(site, scope) if site is not None and not site.hidden and not site.kwargs else None
                if site is None or key is None:
                    continue
                passed.setdefault(f"$$new.n.{key}", []).append(Const(len(site.args)))
                for i, arg in enumerate(site.args):
                    v = self.evaluate(arg, self.scope_at_point(scope, arg))
                    if isinstance(v, Obj):
                        if objects and v.type in self.index.types:
                            self.result.exports.setdefault(f"$$new.{i}.{key}", v)
                    elif not isinstance(v, (Instance, ClassValue, FunctionValue, Opaque)):
                        passed.setdefault(f"$$new.{i}.{key}", []).append(self.to_value(v))
        for name, values in sorted(passed.items()):
            if name not in self.result.exports:
                self.result.exports[name] = values[0] if all(v == values[0] for v in values) else Dynamic(f"one of {len(values)} arguments")

    def constructor_parameters(self, key: str, params: Sequence[str], scope: Scope, optional_tail: bool = False) -> None:
        """A constructor's parameters bound to what the service's constructions pass
        (``constructor_argument_exports``): a tracked object or a known value, when every site
        passes as many arguments as it has parameters (another count: another overload); with
        ``optional_tail`` (one implementation: TypeScript's overloads, optional parameters), also
        when they pass fewer, the parameters after them absent (``undefined``)."""
        count = strip(self.wanted(f"$$new.n.{key}")) if params else None
        given = [self.wanted(f"$$new.{i}.{key}") if name else None for i, name in enumerate(params)]  # all asked: one package round brings them
        if not isinstance(count, Const) or not isinstance(count.value, int) or count.value > len(params):
            return
        if count.value < len(params) and not optional_tail:
            return
        for name in params[count.value :]:
            if name:
                scope.bindings[name] = Binding(value=Named(name, Const(None)))
        for name, found in zip(params[: count.value], given):
            if isinstance(found, Obj):
                scope.bindings[name] = Binding(value=Obj(found.type, found.captures, name, found.origin))
            elif found is not None and not isinstance(found, Dynamic):
                scope.bindings[name] = Binding(value=Named(name, found))

    @staticmethod
    def registry_name(as_type: str, key: str) -> str:
        """The export name of a registration: its last dotted part is a word the consumer's text
        holds (``RiskClient``, ``LedgerClient``, the client name ``ledger``), which the scan's
        package pass looks for in files it has not extracted yet."""
        return f"${as_type.rpartition('.')[2]}.{key.replace(':', '.')}"

    def scan_registrations(self) -> None:
        """Evaluate the file's registration chains once (``services.AddHttpClient<T>(...)...``),
        wherever they are, so that injections resolve whatever the walking order."""
        if self._registry_scanned or not self.index.inject:
            return
        self._registry_scanned = True
        words = set()
        for otype in self.index.inject:
            for o in self.index.ctors.items():
                if any(x.type == otype for x in o[1]):
                    words.add(o[0].rpartition(".")[2])
        if not words:
            return
        pattern = re.compile(rb"\b(" + b"|".join(re.escape(w.encode()) for w in sorted(words)) + rb")\b")
        if not pattern.search(self.source):
            return
        stack = [self.tree.root_node]
        tops: list[Node] = []
        while stack:
            node = stack.pop()
            if node.type in self.REGISTRATION_TYPES:
                if pattern.search(self.source[node.start_byte : node.end_byte]):
                    tops.append(node)  # and the statements inside its lambdas: ConfigureHttpClientDefaults(h => { h.Add...(); })
            elif node.type in self.FUNCTION_TYPES and (body := node.child_by_field_name("body")) is not None and body.type in self.CALL_TYPES:
                if pattern.search(self.source[body.start_byte : body.end_byte]):
                    tops.append(body)  # an expression-bodied lambda: ConfigureHttpClientDefaults(h => h.Add...())
            stack.extend(reversed(node.named_children))
        for node in tops:
            expr = self.registration_expr(node) if node.type in self.REGISTRATION_TYPES else node
            if expr is None:
                continue
            scope = self.scope_at(node)
            try:
                self.evaluate(expr, scope)
            except RecursionError:
                continue

    def record_registration(self, obj: Obj) -> None:
        spec = self.index.inject.get(obj.type)
        if spec is None:
            return
        mark = spec.get("defaults")
        if mark and obj.capture(mark) is not None:  # ConfigureHttpClientDefaults(h => h.AddStandardResilienceHandler())
            drop = {mark, *spec.get("keys", ())}
            found = Obj(DEFAULTS_CAPTURE, tuple((k, v) for k, v in obj.captures if k not in drop), "", obj.origin)
            if self._defaults is None:
                self._defaults = found
            elif not any(isinstance(x, Obj) and x.origin == found.origin for x in walk(self._defaults)):
                self._defaults = apply_defaults(found, self._defaults)
            return
        as_type = spec.get("as", "")
        caps = tuple((k, v) for k, v in obj.captures if k not in spec.get("keys", ()))
        for key in spec.get("keys", ()):
            v = strip(obj.capture(key)) if obj.capture(key) is not None else None
            if isinstance(v, Const) and isinstance(v.value, str):
                first = key == spec.get("keys", ("",))[0]
                name = v.value.rpartition(".")[2] if spec.get("by") == "type" else as_type.rpartition(".")[2]
                # the class or type by its own name, however the registration spells it (Acme.Clients.RiskClient)
                reg = re.sub(r"<.*>", "", v.value).rpartition(".")[2] if first else f"{key}:{v.value}"
                self._registry[(as_type, reg)] = Obj(as_type, caps, name, obj.origin)

    def from_registry(self, obj: Obj) -> Obj:
        """``factory.CreateClient("risk")``: an object of an injected type built with a key capture
        named like a registration key gets the registration's captures."""
        for spec in self.index.inject.values():
            if spec.get("as") != obj.type:
                continue
            for key in spec.get("keys", ())[1:]:
                v = strip(obj.capture(key)) if obj.capture(key) is not None else None
                if isinstance(v, Const) and isinstance(v.value, str):
                    self.scan_registrations()
                    found = self._registry.get((obj.type, f"{key}:{v.value}"))
                    if found is None and self.module_name:
                        found = self._wanted_registration(self.registry_name(obj.type, f"{key}:{v.value}"))
                    if found is not None:
                        found = self.with_defaults(found, spec)
                        have = {k for k, _ in found.captures}
                        return Obj(obj.type, found.captures + tuple((k, x) for k, x in obj.captures if k not in have), obj.name, found.origin)
                    defaults = self.client_defaults() if spec.get("defaults") else None
                    if defaults is not None:  # factory.CreateClient() (no registration of its name): the client-wide defaults apply to it too
                        return apply_defaults(obj, defaults)
        return obj

    def client_defaults(self) -> Obj | None:
        """The client-wide defaults of the module: this file's, else another file's (its export)."""
        self.scan_registrations()
        if self._defaults is not None:
            return self._defaults
        return self._wanted_registration(DEFAULTS_CAPTURE) if self.module_name else None

    def with_defaults(self, found: Obj, spec: dict[str, Any]) -> Obj:
        """A registration with the client-wide defaults applied, for an ``inject:`` spec that takes them."""
        if not spec.get("defaults") or found.capture(DEFAULTS_CAPTURE) is not None:
            return found
        defaults = self.client_defaults()
        return apply_defaults(found, defaults) if defaults is not None else found

    def collect_exports(self) -> None:
        """The module's exports, and the registrations other files of the module may receive."""
        super().collect_exports()
        self.export_beans()
        if self.index.inject:
            self.scan_registrations()
            for (as_type, key), obj in self._registry.items():
                spec = next((s for s in self.index.inject.values() if s.get("as") == as_type), {})
                self.result.exports[self.registry_name(as_type, key)] = self.with_defaults(obj, spec)
            if self._defaults is not None:
                self.result.exports[DEFAULTS_CAPTURE] = self._defaults

    # ================================================================ loops and try (retry_loops.py's events)
    FINALLY_TYPES: frozenset[str] = frozenset({"finally_clause", "finally_block"})

    HANDLER_TYPES: frozenset[str] = frozenset({"catch_clause", "catch_block"})

    def first_block(self, node: Node) -> Node | None:
        return node.child_by_field_name("body") or next((c for c in node.named_children if c.type in self.BLOCK_TYPES), None)

    def try_body(self, node: Node) -> Node | None:
        return self.first_block(node)

    def try_handlers(self, node: Node) -> list[Node]:
        return [c for c in node.named_children if c.type in self.HANDLER_TYPES]

    def handler_body(self, handler: Node) -> Node | None:
        return self.first_block(handler)

    # the C-family loops (Java, C#, JavaScript): ``for (init; condition; update)``, a for-each
    # (its value, then its target bound to an unknown), ``while``, ``do ... while``
    FOR_LOOP_TYPES: frozenset[str] = frozenset({"for_statement"})
    LOOP_INIT_FIELD = "init"
    LOOP_UPDATE_FIELD = "update"
    EACH_LOOP_FIELDS: Mapping[str, tuple[str, str]] = {}  # for-each type → (value field, target field)
    WHILE_LOOP_TYPES: frozenset[str] = frozenset({"while_statement"})
    DO_LOOP_TYPES: frozenset[str] = frozenset({"do_statement"})

    def st_c_loop(self, node: Node, scope: Scope) -> None:
        """A C-family loop: its header, then its body between the retry rule's loop events."""
        t = node.type
        if t in self.FOR_LOOP_TYPES:
            for init in node.children_by_field_name(self.LOOP_INIT_FIELD):
                self.walk_loop_init(init, scope)
            self.walk_expr(node.child_by_field_name("condition"), scope)
        elif t in self.EACH_LOOP_FIELDS:
            value_field, target_field = self.EACH_LOOP_FIELDS[t]
            self.walk_expr(node.child_by_field_name(value_field), scope)
            target = node.child_by_field_name(target_field)
            if target is not None:
                for ident in [target] if target.type in self.IDENTIFIER_TYPES else self.iter_named(target, tuple(self.IDENTIFIER_TYPES)):
                    self.bind(scope, self.text(ident), value=Dynamic(self.text(ident)))
        elif t in self.WHILE_LOOP_TYPES:
            self.walk_expr(node.child_by_field_name("condition"), scope)
        tail = (
            node.children_by_field_name(self.LOOP_UPDATE_FIELD)
            if t in self.FOR_LOOP_TYPES
            else [node.child_by_field_name("condition")]
            if t in self.DO_LOOP_TYPES
            else []
        )
        self.walk_loop_body(node, scope, tail)

    def loop_kind(self, node: Node) -> str:
        """The retry rule's view of a C-family loop: ``for_each``, ``for`` (counting) or ``while``."""
        if node.type in self.EACH_LOOP_FIELDS:
            return "for_each"
        return "for" if node.type in self.FOR_LOOP_TYPES else "while"

    def loop_header(self, node: Node) -> list[Node]:
        """The nodes whose names count as retry evidence: a for-each's target and value, else the
        initializer, condition and update."""
        each = self.EACH_LOOP_FIELDS.get(node.type)
        fields = (each[1], each[0]) if each is not None else (self.LOOP_INIT_FIELD, "condition", self.LOOP_UPDATE_FIELD)
        return [n for f in fields for n in node.children_by_field_name(f) if n.is_named]  # (JS's condition field holds its ";")

    def walk_loop_init(self, init: Node, scope: Scope) -> None:
        """A for loop's initializer (a declaration binds)."""
        self.walk_statement(init, scope)

    def walk_try(self, node: Node, scope: Scope) -> None:
        """A try statement: its body (the engine's ``walk_try_body``), then its handlers
        (``try_handlers`` / ``handler_body``) and finally blocks, then ``after_try``."""
        self.walk_try_body(node, scope)
        try:
            for h in self.try_handlers(node):
                hbody = self.handler_body(h)
                if hbody is not None:
                    self.walk_statement(hbody, scope)
            for c in self.named(node):
                if c.type in self.FINALLY_TYPES:
                    for st in self.named(c):
                        self.walk_statement(st, scope)
        finally:
            self.impl_event("after_try", node, scope)

    # ================================================================ classes
    def class_assignments(self, class_node: Node) -> list[tuple[Node, Node]]:
        """``x = v`` / ``this.x = v`` in the class's own code (not nested classes): (target, value)."""
        out: list[tuple[Node, Node]] = []
        stack = list(reversed(class_node.named_children))
        while stack:
            node = stack.pop()
            if node.type in self.CLASS_TYPES:
                continue
            if node.type in self.ASSIGNMENT_TYPES and self.operator(node) == "=":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None:
                    out.append((left, right))
            stack.extend(reversed(node.named_children))
        return out

    def class_field_values(self, cls: ClassInfo, fields: set[str], target_name: Any) -> None:
        """Add to ``cls.members`` the values assigned to its fields anywhere in the class:
        ``target_name(target)`` is the field an assignment's target names (``this.x``, ``x``),
        a name bound by the enclosing function (a local) is not a field."""
        assert cls.members is not None
        for target, value in self.class_assignments(cls.node):
            name = target_name(target)
            if name is None or name not in fields:
                continue
            scope = self.scope_at(target)
            owner = scope.owner_of(name) if target.type in self.IDENTIFIER_TYPES else None
            if owner is not None and owner.kind == "function":
                continue
            cls.members.setdefault(name, []).append((value, scope))


__all__ = ["SyntaxAnalyzer", "MemberOf", "by_method", "node_types", "known_names", "lambda_specs", "option_names"]
