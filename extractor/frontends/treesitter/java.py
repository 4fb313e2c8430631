"""Java adapter: the syntax the generic engine needs to know for Java (tree-sitter-java).

Names are qualified by package: ``HttpClient`` with ``import java.net.http.HttpClient;`` is
``java.net.http.HttpClient``, a method of a tracked object is ``<type>.<method>``. A simple name
resolves, in order, against the locals and parameters in scope, the fields and methods of the
enclosing classes (inner first), the classes of the file (nested ones too), single-type imports,
static imports (``import static java.time.Duration.ofSeconds``), on-demand imports
(``import java.net.http.*``, ``import static java.util.concurrent.TimeUnit.*``: only to names the
rules or this adapter know, so a same-file or same-package class with a library type's name stays
itself), ``java.lang``, and finally the file's own package (a class of another file of the package:
its constants resolve at link time). Fully qualified names (``java.time.Duration.ofSeconds(2)``)
resolve too. What the adapter evaluates:

- literals: integers (``_``, hex, octal, binary, ``L``), floating point (``f``/``d``), strings with
  escapes, text blocks, chars, ``true``/``false``/``null``; ``static final`` fields (named
  constants), string concatenation, arithmetic (integer division truncates), casts, parentheses;
- locals (``var`` and typed), ``=`` / ``+=`` in statement order, parameters typed with a tracked
  type (an instance built by the caller), fields of same-file classes: initialisers and
  assignments anywhere in the class (``this.client = client`` in a constructor), else the declared
  type (an injected field: built elsewhere); ``this.x``, bare field names, static fields of same-file
  classes (``Config.TIMEOUT``);
- ``new T(...)`` (``object_creation_expression``) as a construction, builder chains through the
  rules' ``configure:`` / ``returns:`` / ``fluent:``, method calls on tracked objects;
- ``Duration.ofSeconds(2)`` and other library calls as ``Call`` values the rules' timeout
  ``functions:`` interpret; ``(amount, TimeUnit.X)`` pairs through ``unit_arg`` specs;
- ``System.getenv("X")``, ``System.getProperty("k", "d")``, ``System.getenv().getOrDefault(...)``,
  ``Optional.ofNullable(System.getenv("X")).orElse("d")`` as ``Env`` values;
- configuration readers declared by the rules' ``config:`` blocks (Spring's, in
  ``rules/java/platform/spring-config.yaml``): ``@Value("${risk.url:http://localhost}")`` on fields
  and parameters and ``environment.getProperty("risk.url", "d")`` are configuration references
  (``svcconfig``) resolved at link time against the service's ``application.yml`` /
  ``application.properties``;
- annotations as ``decorators`` (``@Retry(name = "risk")``: ``kw`` is the element name, a single
  value is ``arg 0`` and ``kw value``), nested annotations and element arrays as values;
- lambdas and anonymous class methods: walked as closures; method references to same-file
  methods as functions;
- loops and ``try``/``catch`` for hand-written retries (``retry_loops.py``) and a catch block's
  literal as a call's fallback.

A file's module is its package plus the file's class (``com.acme.checkout.Settings`` for
``Settings.java``): a constant of another class (``Settings.RISK_URL``, same package or imported)
resolves at link time against that file's exports (its classes' static fields).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...environment.svcconfig import config_ref
from ...values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, Value, fold, simplify_concat, strip, walk
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .java_package import module_path, words_of
from .policies import POLICY_KINDS, exported_marks, policy_export, policy_mark
from .syntax import DECLARED, EXTENDS, MemberOf, SyntaxAnalyzer, option_names
from .tables import syntax_tables

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tree_sitter import Node

JAVA_LANG = frozenset(
    "Object String StringBuilder System Runtime Thread Math StrictMath Integer Long Short Byte Double Float Boolean "
    "Character Number Void Class Enum Record Iterable Comparable Runnable AutoCloseable CharSequence Throwable "
    "Exception RuntimeException Error InterruptedException IllegalStateException IllegalArgumentException "
    "UnsupportedOperationException NullPointerException IndexOutOfBoundsException ArithmeticException "
    "Override Deprecated SuppressWarnings FunctionalInterface SafeVarargs".split()
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "s": " ", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_ESCAPE_RE = re.compile(r"\\(u+[0-9a-fA-F]{4}|[0-7]{1,3}|.)", re.S)
CONFIG_PROPERTIES = "$config_properties"
"""The type of the object standing for an instance of a ``@ConfigurationProperties("prefix")`` class
(the rules' ``options: properties_annotations``): its getters read ``prefix.<property>``."""
_GETTER = re.compile(r"(?:get|is)([A-Z]\w*)$")
_OBJECT_METHODS = frozenset({"toString", "hashCode", "getClass", "clone", "notify", "notifyAll", "wait", "finalize"})
"""java.lang.Object's methods without arguments: not a ``@ConfigurationProperties`` record's accessors."""
# java.util.function's interfaces: how many of their leading type arguments a lambda's parameters are
FUNCTIONAL_INPUTS = {
    "Function": 1,
    "BiFunction": 2,
    "Consumer": 1,
    "BiConsumer": 2,
    "Predicate": 1,
    "BiPredicate": 2,
    "UnaryOperator": 1,
    "ToIntFunction": 1,
    "ToLongFunction": 1,
    "ToDoubleFunction": 1,
}
RETURNS = "$$ret."  # export: a method's declared return type, when the rules track it ($$ret.<class>.<method>)
LAMBDA_TYPES = "$$fn."  # export: a functional-interface parameter's input types ($$fn.<arity>.<index>.<class>.<method>)
IMPLEMENTED = "$$implemented."  # export: the policies a class's annotation gives the calls of an interface it implements ($$implemented.<interface>)
CLASS_NODES = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration", "annotation_type_declaration"})
FUNCTION_NODES = frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration", "lambda_expression", "static_initializer"})


def java_string(text: str) -> str:
    """The value of a Java string / char literal's source text (escapes, text blocks)."""
    if text.startswith('"""'):
        body = text[3:-3] if text.endswith('"""') and len(text) >= 6 else text[3:]
        body = body.split("\n", 1)[1] if "\n" in body else body
        lines = body.split("\n")
        closing_alone = bool(lines) and not lines[-1].strip()
        body = textwrap.dedent(body)
        if closing_alone:
            body = body.rstrip(" \t")
        body = re.sub(r"\\\n", "", body)
        return JavaAnalyzer.unescape(body)
    inner = text[1:-1] if len(text) >= 2 else text
    return JavaAnalyzer.unescape(inner)


@syntax_tables
class JavaAnalyzer(SyntaxAnalyzer):
    language = "java"  # its syntax tables: languages/java.toml
    # the JDK's env readers, conversions and pass-throughs: rules/java/platform/jdk.yaml (shared with Kotlin)
    ESCAPES = _ESCAPES
    ESCAPE_PATTERN = _ESCAPE_RE  # \\uuu0041: any number of u
    CLASS_TYPES = CLASS_NODES | frozenset({"local_class_declaration"})
    FUNCTION_NODE_TYPES = FUNCTION_NODES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._static: dict[str, str] = {}  # member name → qualified (single static imports)
        self._static_on_demand: list[str] = []  # types of static on-demand imports
        self._all_functions: list[FunctionInfo] = []
        self._statics: dict[int, set[str]] = {}  # class node id → static field names
        self._enum_constants: list[tuple[str, Node, Scope]] = []  # (Service.PERSISTENCE, its node, the enum's scope): summary_enums
        self._lambda_types: dict[int, str] = {}  # id of a lambda parameter's binding → its type from another file's method
        self._static_types: dict[int, str | None] = {}  # node id → its declared type (static_type)

    # ================================================================ names
    def qualify_type(self, name: str) -> str | None:
        """A simple type name through the imports (None: not an imported or java.lang name)."""
        return super().qualify(name) or (f"java.lang.{name}" if name in JAVA_LANG else None)

    def qualify(self, name: str) -> str | None:
        return self.qualify_type(name) or self.qualify_static(name)

    def qualify_static(self, name: str) -> str | None:
        found = self._static.get(name)
        if found is not None:
            return found
        for owner in self._static_on_demand:
            cand = f"{owner}.{name}"
            if cand in self._known:
                return cand
        return None

    def declared_instance(self, type_node: Node, scope: Scope, name: str, unknown: bool) -> Any:
        # a Java variable of a tracked type holds an object built elsewhere (injected, returned, passed):
        # the service's bean of that type when it declares one, else an object with unknown parts
        props = self.properties_object(type_node, scope)
        if props is not None:
            return props
        return super().declared_instance(type_node, scope, name, True)

    # ---------------------------------------------------------------- @ConfigurationProperties classes
    def properties_prefix(self, cls: ClassInfo) -> str | None:
        """The prefix of a class annotated with one of the rules' ``options: properties_annotations``
        (Spring Boot's ``@ConfigurationProperties("retail.ui.endpoints")``, also ``prefix =``)."""
        marks = option_names(self.index, "properties_annotations")
        if not marks:
            return None
        for site in self.class_decorators(cls):
            if site.func is None or self.callee(site.func, cls.scope)[0] not in marks:
                continue
            node = site.kwargs.get("prefix") or site.kwargs.get("value")
            v = strip(self.to_value(self.evaluate(node, cls.scope))) if node is not None else None
            if isinstance(v, Const) and isinstance(v.value, str) and v.value:
                return v.value
        return None

    def properties_object(self, type_node: Node, scope: Scope) -> Obj | None:
        """A variable declared with a ``@ConfigurationProperties`` class (injected: Spring binds it
        from the configuration): this file's class, else another file's of the service (its export
        ``$$props.<class>``)."""
        if not option_names(self.index, "properties_annotations"):
            return None
        t = self.resolve_type(type_node, scope)
        if isinstance(t, ClassValue):
            prefix = self.properties_prefix(t.cls)
            return Obj(CONFIG_PROPERTIES, (("prefix", Const(prefix)),), t.cls.name) if prefix is not None else None
        own = ".".join(self.package.split(".")[:2]) + "."  # the service's own classes (com.acme.): not a library's
        if isinstance(t, Ref) and self.module_name and t.qualname.startswith(own) and self.index.tracked(t.qualname) is None:
            found = self._wanted_registration(f"$$props.{t.qualname}")
            return found if found is not None and found.type == CONFIG_PROPERTIES else None
        return None

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        """A getter of a ``@ConfigurationProperties`` object (``endpoints.getCatalog()``): the
        configuration key ``<prefix>.catalog``, resolved at link time (relaxed binding: also
        ``RETAIL_UI_ENDPOINTS_CATALOG`` in the environment)."""
        if site.func is not None and not site.args and site.node.type == "method_invocation":
            called = self.text(site.func)
            m = _GETTER.match(called)
            obj = site.node.child_by_field_name("object")
            if m is None and (called in _OBJECT_METHODS or obj is None or obj.type not in ("identifier", "field_access")):
                obj = None  # a record's accessor (serviceUrlConfig.customer()) is read on a variable or field only
            base = self.evaluate_shallow(obj, scope) if obj is not None else None
            if isinstance(base, Obj) and base.type == CONFIG_PROPERTIES:
                prefix = strip(base.capture("prefix"))
                if isinstance(prefix, Const):
                    prop = m.group(1)[:1].lower() + m.group(1)[1:] if m is not None else called
                    return config_ref((f"{prefix.value}.{prop}",), env_fallback=True)
        v = super().eval_call(site, scope, shallow)
        if isinstance(v, (Opaque, Dynamic, Call)) and site.node.type == "method_invocation":  # typed by the method's declared return type
            typed = self.received_object(self.static_type(site.node, scope) or "", self.text(site.func) + "()" if site.func is not None else "")
            if typed is not None:
                return typed
        return v

    def received_object(self, qual: str, name: str) -> Obj | None:
        """An object of the tracked type ``qual`` made elsewhere, when the rules say what such an object
        holds (its ``declared:`` captures, unknown: a ``WebTarget``'s URL and timeouts)."""
        otype = self.index.tracked(qual)
        if otype is None or not otype.declared:
            return None
        return Obj(otype.type, tuple((cap, Dynamic(name)) for cap, mode in otype.declared.items() if mode == "unknown"), name, "")

    # ---------------------------------------------------------------- declared types: return types, lambda parameters
    def type_name(self, type_node: Node | None, scope: Scope) -> str | None:
        """A type's qualified name (a type parameter of the enclosing method or class: None)."""
        if type_node is None or self.text(type_node).partition("<")[0] in self.type_parameters(type_node):
            return None
        t = self.resolve_type(type_node, scope)
        if isinstance(t, ClassValue):
            return f"{self.package}.{t.cls.qualname}" if self.package else t.cls.qualname
        return t.qualname if isinstance(t, Ref) else None

    def type_parameters(self, node: Node) -> set[str]:
        out: set[str] = set()
        parent = node.parent
        while parent is not None:
            tp = next((c for c in parent.named_children if c.type == "type_parameters"), None) if parent.type in FUNCTION_NODES | CLASS_NODES else None
            out.update(self.text(p).split()[0] for p in self.iter_named(tp, ("type_parameter",))) if tp is not None else None
            parent = parent.parent
        return out

    def own_class(self, qual: str) -> ClassInfo | None:
        prefix = f"{self.package}." if self.package else ""
        return self._classes.get(qual[len(prefix) :]) if qual.startswith(prefix) else None

    def static_type(self, node: Node, scope: Scope, depth: int = 0) -> str | None:
        """An expression's declared type: a typed variable or parameter (a lambda's, typed from the
        callee's functional-interface parameter), ``this``, a construction, a class named for a
        static call, a method call's declared return type (this file's method, else another
        file's through its export ``$$ret.<class>.<method>``, the scan's package pass)."""
        if node.id in self._static_types:
            return self._static_types[node.id]
        if depth > 8:
            return None
        found = self._static_types[node.id] = self._static_type(node, scope, depth)  # (the same in every scope of its function)
        return found

    def _static_type(self, node: Node, scope: Scope, depth: int) -> str | None:
        t = node.type
        if t == "parenthesized_expression" and node.named_children:
            return self.static_type(node.named_children[0], scope, depth + 1)
        declared = self.receiver_type(node, scope) if t in ("identifier", "field_access") else None  # a local, parameter or field
        if declared is not None:
            return self.type_name(*declared)
        if t == "identifier":
            b = scope.lookup(self.text(node))
            if b is None:
                return self.type_name(node, scope) if self.text(node)[:1].isupper() else None
            return self._lambda_types.get(id(b))
        if t == "this":
            cls = self.scope_class(scope)
            return f"{self.package}.{cls.qualname}" if cls is not None and self.package else None
        if t == "object_creation_expression":
            return self.type_name(node.child_by_field_name("type"), scope)
        if t != "method_invocation":
            return None
        found = self.called_method(node, scope, depth)
        if found is None:
            return None
        owner, name = found
        cls = self.own_class(owner)
        if cls is not None:
            fn = cls.methods.get(name)
            return self.type_name(self.return_type(fn), fn.scope) if fn is not None else None
        v = self.wanted(f"{RETURNS}{owner}.{name}") if self.module_name else None
        return str(v.value) if isinstance(v, Const) and v.value else None

    def called_method(self, call: Node, scope: Scope, depth: int = 0) -> tuple[str, str] | None:
        """(the class, qualified, whose method a method invocation calls, the method's name)."""
        name_node, obj = call.child_by_field_name("name"), call.child_by_field_name("object")
        if name_node is None:
            return None
        name = self.text(name_node)
        if obj is not None:
            owner = self.static_type(obj, scope, depth + 1)
            return (owner, name) if owner is not None else None
        cls = self.scope_class(scope)
        while cls is not None and name not in cls.methods:
            cls = self.outer_class.get(cls.node.id)
        return (f"{self.package}.{cls.qualname}" if self.package else cls.qualname, name) if cls is not None else None

    def functional_inputs(self, param_type: Node | None, scope: Scope) -> list[Node]:
        """The type arguments of a ``java.util.function`` parameter type that are a lambda's parameters
        (``Function<RESTClient<T>, R>`` → ``RESTClient<T>``)."""
        if param_type is None or param_type.type != "generic_type":
            return []
        raw = self.type_name(param_type, scope) or ""
        head, _, short = raw.rpartition(".")
        args = next((c for c in param_type.named_children if c.type == "type_arguments"), None)
        if head != "java.util.function" or short not in FUNCTIONAL_INPUTS or args is None:
            return []
        return [a for a in args.named_children if a.type != "wildcard"][: FUNCTIONAL_INPUTS[short]]

    def method_declarations(self, cls: ClassInfo, name: str, arity: int) -> list[Node]:
        out = []
        for m in self.class_members(cls.node):
            n = m.child_by_field_name("name")
            if m.type == "method_declaration" and n is not None and self.text(n) == name and len(self.function_params(m)) == arity:
                out.append(m)
        return out

    def type_lambda(self, fn: FunctionInfo, scope: Scope) -> None:
        """A lambda passed to a method whose parameter there is a ``java.util.function`` interface:
        its untyped parameters get the interface's input types (this file's method, else another
        file's through its export ``$$fn.<arity>.<index>.<class>.<method>``)."""
        args, call = fn.node.parent, fn.node.parent.parent if fn.node.parent is not None else None
        if args is None or call is None or args.type != "argument_list" or call.type != "method_invocation":
            return
        found = self.called_method(call, fn.scope)
        if found is None:
            return
        owner, name = found
        actual = [a for a in args.named_children if a.type not in ("line_comment", "block_comment")]
        pos = next(i for i, a in enumerate(actual) if a.id == fn.node.id)
        cls = self.own_class(owner)
        typed: list[tuple[Node | None, str | None, Scope | None]] = []
        if cls is not None:
            decls = self.method_declarations(cls, name, len(actual))
            if len(decls) == 1:
                typed = [(n, None, cls.scope) for n in self.functional_inputs(self.function_params(decls[0])[pos][1], cls.scope)]
        elif self.module_name:
            v = self.wanted(f"{LAMBDA_TYPES}{len(actual)}.{pos}.{owner}.{name}")
            typed = [(None, q or None, None) for q in str(v.value).split(",")] if isinstance(v, Const) and v.value else []
        for (pname, _), (tnode, qual, tscope) in zip(self.function_params(fn.node), typed):
            b = scope.bindings.get(pname)
            if b is None or b.type_node is not None or not isinstance(b.value, Dynamic):
                continue
            if tnode is not None:
                scope.bindings[pname] = Binding(type_node=tnode, scope=tscope, param=True)
            elif qual is not None:
                scope.bindings[pname] = nb = Binding(value=self.received_object(qual, pname) or Dynamic(pname))
                self._lambda_types[id(nb)] = qual

    def export_signatures(self) -> None:
        """Other files' calls of this file's methods are typed by them: a method's declared return type
        when the rules track it and say what a received one holds (``$$ret.<class>.<method>``), a ``java.util.function`` parameter's input
        types (``$$fn.<arity>.<index>.<class>.<method>``); overloads that disagree: none."""
        out: dict[str, str] = {}
        clash: set[str] = set()
        for cls in list(self._classes.values()):
            scope = cls.scope
            owner = f"{self.package}.{cls.qualname}" if self.package else cls.qualname
            for m in self.class_members(cls.node):
                n = m.child_by_field_name("name")
                if m.type != "method_declaration" or n is None:
                    continue
                found: dict[str, str] = {}
                ret = self.type_name(m.child_by_field_name("type"), scope)
                if ret is not None and self.received_object(ret, "") is not None:
                    found[f"{RETURNS}{owner}.{self.text(n)}"] = ret
                params = self.function_params(m)
                for i, (_, ptype) in enumerate(params):
                    inputs = self.functional_inputs(ptype, scope)
                    if inputs:
                        found[f"{LAMBDA_TYPES}{len(params)}.{i}.{owner}.{self.text(n)}"] = ",".join(self.type_name(a, scope) or "" for a in inputs)
                for k, v in found.items():
                    if out.setdefault(k, v) != v:
                        clash.add(k)
        for k in sorted(out):
            if k not in clash:
                self.result.exports[k] = Const(out[k])

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        """``String.format("http://%s:%s/x", host, port)`` (the rules' ``options: format_functions``):
        a string template over the arguments' values."""
        if site.args and qual in option_names(self.index, "format_functions"):
            values = [self.to_value(self.evaluate(a, scope)) for a in site.args]
            return fold("%", values[0], Seq(tuple(values[1:])))
        return super().special_call(qual, site, scope)

    def eval_binary_node(self, node: Node, scope: Scope) -> Any:
        """``endpoint + path`` with an operand declared ``String`` (a parameter, a local, a field) and
        the other unknown (``proxy.path("/proxy")``): a string concatenation, each unknown operand a
        part of it (its text), so that a wrapper's call sites still give the parameter's part."""
        v = super().eval_binary_node(node, scope)
        if not isinstance(v, Opaque) or self.operator(node) != "+":
            return v
        sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
        if not any(side is not None and self.declared_string(side, scope) for side in sides):
            return v
        parts: list[Value] = []
        for side in sides:
            if side is None:
                return v
            x = self.evaluate(side, scope)
            x = self.to_value(x) if self.is_value(x) else Dynamic(self.anchor_text(side, 200))
            parts.extend(x.parts if isinstance(x, Concat) else (x,))
        return simplify_concat(tuple(parts))

    def declared_string(self, node: Node, scope: Scope) -> bool:
        """A name declared ``String`` (or a string literal)."""
        if node.type == "string_literal":
            return True
        b = scope.lookup(self.text(node)) if node.type == "identifier" else None
        return b is not None and b.type_node is not None and self.text(b.type_node) in ("String", "java.lang.String")

    def eval_ternary(self, node: Node, scope: Scope) -> Any:
        """``System.getenv("X") == null ? "d" : System.getenv("X")`` (and ``!= null`` with the
        branches swapped): the env value with its default ``d``; a branch that only decorates the
        value (``"." + System.getenv("X")``) gives the same (the decoration is not kept); else the
        value both branches have."""
        cond, yes, no = (node.child_by_field_name(f) for f in ("condition", "consequence", "alternative"))
        while cond is not None and cond.type == "parenthesized_expression" and cond.named_child_count == 1:
            cond = cond.named_children[0]
        if cond is not None and yes is not None and no is not None and cond.type == "binary_expression" and self.operator(cond) in ("==", "!="):
            left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
            tested = left if right is not None and right.type == "null_literal" else right if left is not None and left.type == "null_literal" else None
            value, default = (no, yes) if self.operator(cond) == "==" else (yes, no)
            read = strip(self.to_value(self.evaluate(tested, scope))) if tested is not None else None
            if tested is not None and isinstance(read, Env) and read.default is None:
                fallback = self.to_value(self.evaluate(default, scope))
                used = self.text(value) == self.text(tested) or any(
                    isinstance(x, Env) and x.var == read.var for x in walk(self.to_value(self.evaluate(value, scope)))
                )
                if used and isinstance(strip(fallback), Const):
                    return Env(read.var, fallback)
        return super().eval_ternary(node, scope)

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        for node in root.named_children:
            t = node.type
            if t == "package_declaration":
                name = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
                self.package = self.text(name) if name is not None else ""
            elif t == "import_declaration":
                self.bind_import(node)
        for node in root.named_children:
            if node.type in CLASS_NODES:
                self.declare_class(node, None)

    def bind_import(self, node: Node) -> None:
        is_static = any(c.type == "static" for c in node.children)
        target = next((c for c in node.named_children if c.type in ("scoped_identifier", "identifier")), None)
        if target is None:
            return
        qual = self.text(target).replace(" ", "")
        on_demand = any(c.type == "asterisk" for c in node.named_children)
        if on_demand:
            (self._static_on_demand if is_static else self.on_demand).append(qual)
            return
        simple = qual.rpartition(".")[2]
        if is_static:
            self._static[simple] = qual
        else:
            self.imports[simple] = qual
        self.result.imports[simple] = qual

    def declare_class(self, node: Node, outer: ClassInfo | None) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = self.text(name_node)
        qual = f"{outer.qualname}.{name}" if outer is not None else name
        parent = self.class_scopes[outer.node.id] if outer is not None else self.module_scope
        scope = Scope("class", qual, parent)
        cls = ClassInfo(name, node, scope, qual)
        scope.cls = cls
        self._classes[qual] = cls
        self.class_scopes[node.id] = scope
        if outer is not None:
            self.outer_class[node.id] = outer
        statics: set[str] = set()
        self._statics[node.id] = statics
        is_interface = node.type in ("interface_declaration", "annotation_type_declaration")
        for member in self.class_members(node):
            t = member.type
            if t in ("field_declaration", "constant_declaration"):
                is_static = is_interface or t == "constant_declaration" or self.has_modifier(member, "static")
                type_node = member.child_by_field_name("type")
                for fname, value in self.field_declarators(member):
                    if is_static:
                        statics.add(fname)
                        scope.bindings[fname] = (
                            Binding(expr=value, scope=scope, type_node=type_node) if value is not None else Binding(type_node=type_node, scope=scope)
                        )
                    else:
                        scope.bindings[fname] = Binding(value=MemberOf(cls))
            elif t in ("method_declaration", "constructor_declaration", "compact_constructor_declaration"):
                mname_node = member.child_by_field_name("name")
                mname = self.text(mname_node) if mname_node is not None and t == "method_declaration" else "<init>"
                fn = self.declare_function(FunctionInfo(member, scope, f"{qual}.{mname}", mname, cls))
                self._all_functions.append(fn)
                if t == "method_declaration" and (
                    mname not in cls.methods or (member.child_by_field_name("body") is not None and cls.methods[mname].node.child_by_field_name("body") is None)
                ):
                    cls.methods[mname] = fn
            elif t == "enum_constant":
                ename = member.child_by_field_name("name")
                if ename is not None:
                    statics.add(self.text(ename))
                    scope.bindings[self.text(ename)] = Binding(value=Const(self.text(ename)))
                    self._enum_constants.append((f"{qual}.{self.text(ename)}", member, scope))
            elif t in CLASS_NODES:
                self.declare_class(member, cls)
        if node.type == "record_declaration":  # record components are fields
            params = node.child_by_field_name("parameters")
            for p in self.iter_named(params, ("formal_parameter",)):
                pname = p.child_by_field_name("name")
                if pname is not None:
                    scope.bindings[self.text(pname)] = Binding(value=MemberOf(cls))

    def field_declarators(self, member: Node) -> Iterator[tuple[str, Node | None]]:
        """A field declaration's (name, initializer) pairs: ``int a = 1, b;`` declares two."""
        for d in member.children_by_field_name("declarator"):
            name_node = d.child_by_field_name("name")
            if name_node is not None:
                yield self.text(name_node), d.child_by_field_name("value")

    def class_members(self, node: Node) -> list[Node]:
        body = node.child_by_field_name("body")
        out: list[Node] = []
        for child in self.iter_named(body):
            if child.type == "enum_body_declarations":
                out += child.named_children
            else:
                out.append(child)
        return out

    @staticmethod
    def has_modifier(node: Node, word: str) -> bool:
        for c in node.children:
            if c.type == "modifiers":
                return any(m.type == word for m in c.children)
        return False

    def walk_root(self, root: Node) -> None:
        for cls in list(self._classes.values()):
            if self.index.classes:
                self.match_classes(cls)
            scope = cls.scope
            for member in self.class_members(cls.node):
                if member.type in ("field_declaration", "constant_declaration"):
                    for d in member.children_by_field_name("declarator"):
                        self.walk_expr(d.child_by_field_name("value"), scope)
                elif member.type in ("static_initializer", "block"):
                    fn = FunctionInfo(member, scope, f"{cls.qualname}.<clinit>", "<clinit>", cls)
                    if member.type == "static_initializer":  # an instance initializer's assignments are read in the class scope
                        self.declare_function(fn)
                    self.walk_function(fn)
        for fn in self._all_functions:
            self.walk_function(fn)

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        args = self.named(node.child_by_field_name("arguments"))
        targs_node = node.child_by_field_name("type_arguments")
        type_args = list(self.iter_named(targs_node)) if targs_node is not None else []
        if node.type == "object_creation_expression":
            tnode = node.child_by_field_name("type")
            if tnode is not None and tnode.type == "generic_type":
                inner = next((c for c in tnode.named_children if c.type == "type_arguments"), None)
                type_args = list(self.iter_named(inner)) if inner is not None else []
            return Site(node, None, tnode, args, {}, None, False, type_args)
        name = node.child_by_field_name("name")
        if name is None:
            return None
        return Site(node, name, None, args, {}, None, False, type_args)

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        if node.type == "identifier":  # the name of a method invocation
            parent = node.parent
            if parent is not None and parent.type == "method_invocation":
                obj = parent.child_by_field_name("object")
                name = parent.child_by_field_name("name")
                if obj is not None and name is not None and name.id == node.id:
                    return obj, self.text(node)
        return super().member_parts(node)

    def callee(self, func: Node | None, scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        if func is not None and func.type == "identifier":
            parent = func.parent
            if parent is not None and parent.type == "method_invocation" and parent.child_by_field_name("object") is None:
                return self.unqualified_call(self.text(func), scope)
        return super().callee(func, scope)

    def unqualified_call(self, name: str, scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        """``foo(x)``: a method of an enclosing class (methods have their own namespace), else a
        static import."""
        cls = self.scope_class(scope)
        while cls is not None:
            fn = cls.methods.get(name)
            if fn is not None:
                return fn.qualname, None, name, FunctionValue(fn)
            cls = self.outer_class.get(cls.node.id)
        qual = self.qualify_static(name)
        if qual is not None:
            return qual, None, name, None
        return None, None, name, None

    def resolve_type(self, type_node: Node, scope: Scope, depth: int = 0) -> Any:
        node = type_node
        if node is None or depth > 8:
            return None
        t = node.type
        if t == "generic_type":
            inner = next((c for c in node.named_children if c.type in ("type_identifier", "scoped_type_identifier")), None)
            return self.resolve_type(inner, scope, depth + 1) if inner is not None else None
        if t in ("type_identifier", "identifier"):
            name = self.text(node)
            if name == "var":
                return None
            cls = self.find_class(name, self.scope_class(scope))
            if cls is not None:
                return ClassValue(cls)
            qual = self.qualify_type(name)
            if qual is not None:
                return Ref(qual)
            return Ref(f"{self.package}.{name}" if self.package else name)
        if t in ("scoped_type_identifier", "scoped_identifier"):
            text = re.sub(r"<[^<>]*>", "", self.text(node)).replace(" ", "")
            first, _, rest = text.partition(".")
            cls = self.find_class(first, self.scope_class(scope))
            if cls is not None:
                nested = self._classes.get(f"{cls.qualname}.{rest}")
                return ClassValue(nested) if nested is not None else Ref(f"{cls.qualname}.{rest}")
            qual = self.qualify_type(first)
            if qual is not None:
                return Ref(f"{qual}.{rest}")
            if first[:1].islower():  # fully qualified: io.grpc.ManagedChannel
                return Ref(text)
            return Ref(f"{self.package}.{text}" if self.package else text)
        return None

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        params = node.child_by_field_name("parameters")
        if params is None:
            return []
        if params.type == "identifier":  # x -> ...
            return [(self.text(params), None)]
        out: list[tuple[str, Node | None]] = []
        for p in params.named_children:
            if p.type == "identifier":  # (x, y) -> ...
                out.append((self.text(p), None))
            elif p.type == "formal_parameter":
                name = p.child_by_field_name("name")
                out.append((self.text(name) if name is not None else "", p.child_by_field_name("type")))
            elif p.type == "spread_parameter":
                decl = next((c for c in p.named_children if c.type == "variable_declarator"), None)
                name = decl.child_by_field_name("name") if decl is not None else None
                out.append((self.text(name) if name is not None else "", None))
        return out

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = super().function_scope(fn, args)
        params = fn.node.child_by_field_name("parameters") if fn.node.type in ("method_declaration", "constructor_declaration") else None
        for i, p in enumerate(self.iter_named(params, ("formal_parameter",))):
            if args is not None and i < len(args):
                continue
            value = self.annotation_config(self.annotations(p, fn.scope), fn.scope)
            name = p.child_by_field_name("name")
            if value is not None and name is not None:
                scope.bindings[self.text(name)] = Binding(value=Named(self.text(name), value))
        if args is None and fn.node.type == "constructor_declaration":
            self.constructor_arguments(fn, scope)
        if fn.node.type == "lambda_expression":
            self.type_lambda(fn, scope)
        return scope

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        body = fn.node.child_by_field_name("body")
        if body is None:
            if fn.node.type in ("static_initializer", "block"):
                body = next((c for c in fn.node.named_children if c.type == "block"), fn.node if fn.node.type == "block" else None)
            if body is None:
                return
        if fn.node.type == "lambda_expression" and body.type != "block":
            self.walk_expr(body, scope)
            return
        self.walk_statement(body, scope)

    def short_text(self, node: Node) -> str:
        if node.type == "lambda_expression":
            params = node.child_by_field_name("parameters")
            return (" ".join(self.text(params).split()) if params is not None else "()") + " -> ..."
        return self.anchor_text(node, 200)

    def exported_method(self, fn: FunctionInfo) -> bool:
        """An RPC method of a generated base: an ``@Override`` (else a public) method."""
        if fn.name.startswith("<"):
            return False
        mods = next((c for c in fn.node.children if c.type == "modifiers"), None)
        if mods is None:
            return False
        for m in mods.children:
            if m.type in ("marker_annotation", "annotation"):
                name = m.child_by_field_name("name")
                if name is not None and self.text(name).rpartition(".")[2] == "Override":
                    return True
        return any(m.type == "public" for m in mods.children) and not any(m.type == "static" for m in mods.children)

    def summary_enums(self) -> tuple[tuple[str, tuple[Value, ...]], ...]:
        """The file's enum constants with the literal arguments of their constructor calls
        (``ORDERS("orders-service")``; another argument: ``Dynamic``), for
        the summary (``FileSummary.enums``): the link stage reads a constant passed to another file."""
        out = []
        for qualname, node, scope in self._enum_constants:
            args = node.child_by_field_name("arguments")
            values: list[Value] = []
            for a in self.iter_named(args) if args is not None else ():
                v = self.evaluate(a, scope) if a.type in ("string_literal", "decimal_integer_literal", "true", "false") else None
                values.append(v if isinstance(v, Const) else Dynamic(self.anchor_text(a, 120)))
            out.append((qualname, tuple(values)))
        return tuple(out)

    def class_bases(self, cls: ClassInfo) -> list[str]:
        out: list[str] = []
        nodes: list[Node] = []
        sup = cls.node.child_by_field_name("superclass")
        if sup is not None:
            nodes += list(sup.named_children)
        for field_name in ("interfaces",):
            iface = cls.node.child_by_field_name(field_name)
            if iface is not None:
                for tl in iface.named_children:
                    nodes += tl.named_children if tl.type == "type_list" else [tl]
        ext = next((c for c in cls.node.named_children if c.type == "extends_interfaces"), None)
        if ext is not None:
            for tl in ext.named_children:
                nodes += tl.named_children if tl.type == "type_list" else [tl]
        outer_scope = self.class_scopes.get(self.outer_class[cls.node.id].node.id) if cls.node.id in self.outer_class else self.module_scope
        for n in nodes:
            r = self.resolve_type(n, outer_scope or self.module_scope)
            if isinstance(r, Ref):
                out.append(r.qualname)
            elif isinstance(r, ClassValue):
                out.append(r.cls.qualname)
        return out

    # ---------------------------------------------------------------- annotations
    def annotations(self, node: Node, scope: Scope) -> list[Site]:
        mods = next((c for c in node.children if c.type == "modifiers"), None)
        out: list[Site] = []
        for a in self.iter_named(mods, ("annotation", "marker_annotation")):
            site = self.annotation_site(a)
            if site is not None:
                out.append(site)
        return out

    def annotation_site(self, a: Node) -> Site | None:
        name = a.child_by_field_name("name")
        if name is None:
            return None
        args: list[Node] = []
        kwargs: dict[str, Node] = {}
        for item in self.named(a.child_by_field_name("arguments")):
            if item.type == "element_value_pair":
                key = item.child_by_field_name("key")
                value = item.child_by_field_name("value")
                if key is not None and value is not None:
                    kwargs[self.text(key)] = value
            else:
                args.append(item)
                kwargs.setdefault("value", item)
        return Site(a, name, None, args, kwargs)

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        if fn.node.type not in ("method_declaration", "constructor_declaration"):
            return []
        own = self.annotations(fn.node, fn.scope)
        if fn.node.type != "method_declaration" or fn.cls is None:
            return own
        if self.redeclared(fn):
            return []
        return own + self.class_policy_annotations(fn.cls, {self.callee(s.func, fn.scope)[0] for s in own if s.func is not None})

    def class_policy_annotations(self, cls: ClassInfo, given: set[str | None]) -> list[Site]:
        """A retry or breaker annotation on a class or interface (``@Retryable`` on a declarative
        client) applies to each of its methods, unless the method gives its own."""
        out = []
        for site in self.class_decorators(cls):
            qual = self.callee(site.func, cls.scope)[0] if site.func is not None else None
            specs = self.index.decorators.get(qual) if qual is not None and qual not in given else None
            if specs and all(spec.kind in POLICY_KINDS for spec in specs):
                out.append(site)
        return out

    def class_decorators(self, cls: ClassInfo) -> list[Site]:
        return self.annotations(cls.node, cls.scope)

    # ---------------------------------------------------------------- receivers inherited by the interfaces a class extends
    def class_receiver(self, cls: ClassInfo) -> Obj | None:
        """A class annotation's object (``@Controller("v1")``), with the policies of its fallback beans
        (``implemented_policies``); for an interface without one, the object a client of another file
        extending it gives it (``inherited_receiver``, this file's ``export_inherited``)."""
        if cls.node.id in self._class_receivers:
            return self._class_receivers[cls.node.id]
        found = super().class_receiver(cls)
        if found is not None and found.type in option_names(self.index, "inherited_receivers") and self.module_name:
            self._class_receivers[cls.node.id] = found = self.implemented_policies(cls, found)
        return found if found is not None else self.inherited_receiver(cls)

    def implemented_policies(self, cls: ClassInfo, receiver: Obj) -> Obj:
        """A client's object (``class_receiver``) carrying the policies of the classes of other files
        implementing its interface or one it extends, by a class annotation of the rules' ``options:
        implemented_policies`` (a ``@Fallback`` bean): their export ``$$implemented.<interface>``
        (``export_inherited``)."""
        if not option_names(self.index, "implemented_policies"):
            return receiver
        own = f"{self.package}.{cls.qualname}" if self.package else cls.qualname
        for qual in [own, *self.foreign_bases(cls)]:
            for mark in exported_marks(self._wanted_registration(f"{IMPLEMENTED}{qual}")):
                receiver = self.with_capture(receiver, "_policy", mark, append=True)
        return receiver

    def foreign_bases(self, cls: ClassInfo) -> list[str]:
        """The qualified types of other files a class extends or implements."""
        return [b for b in self.class_bases(cls) if "." in b and self.own_class(b) is None]

    def export_inherited(self) -> None:
        """A class or interface whose annotation makes an object of the rules' ``options:
        inherited_receivers`` types (a declarative client's ``@Client``) gives it to the interfaces
        it extends that other files declare (``$$extends.<interface>``): with its class-wide policy
        annotations' facts (``_policy``: ``@Retryable`` on the client covers the inherited methods'
        calls) and the names of the methods it declares again with annotations the rules know
        (``_declared``: its own win). A class annotated with one of the rules' ``options:
        implemented_policies`` (a ``@Fallback`` bean) gives its class-wide policy facts to the
        interfaces of other files it implements (``$$implemented.<interface>``: ``implemented_policies``)."""
        if not self.module_name:
            return
        marks = option_names(self.index, "implemented_policies")
        for cls in list(self._classes.values()) if marks else ():  # a @Fallback bean: its policy, for the interfaces it implements
            if cls.node.type != "class_declaration" or not any(
                s.func is not None and self.callee(s.func, cls.scope)[0] in marks for s in self.class_decorators(cls)
            ):
                continue
            refs = self.class_policy_refs(cls)
            for base in self.foreign_bases(cls) if refs else ():
                self.result.exports.setdefault(f"{IMPLEMENTED}{base}", policy_export(refs, self.path, cls.name))
        kinds = option_names(self.index, "inherited_receivers")
        for cls in list(self._classes.values()) if kinds else ():
            receiver = self.class_receiver(cls) if cls.node.type in ("interface_declaration", "class_declaration") else None
            if receiver is None or receiver.type not in kinds:
                continue
            supers = self.foreign_bases(cls)
            if not supers:
                continue
            for ref in self.class_policy_refs(cls):
                receiver = self.with_capture(receiver, "_policy", policy_mark(ref, self.path), append=True)
            own = sorted(
                fn.name
                for fn in cls.methods.values()
                if any(s.func is not None and self.callee(s.func, fn.scope)[0] in self.index.decorators for s in self.annotations(fn.node, fn.scope))
            )
            if own:
                receiver = self.with_capture(receiver, DECLARED, Seq(tuple(Const(n) for n in own)))
            for base in supers:
                self.result.exports.setdefault(f"{EXTENDS}{base}", receiver)

    def class_policy_refs(self, cls: ClassInfo) -> list[Any]:
        """The facts of a class's retry and breaker annotations (matched once, as for its methods)."""
        refs: list[Any] = []
        for site in self.class_policy_annotations(cls, set()):
            if site.node.id not in self._class_decorator_refs:
                fn = FunctionInfo(cls.node, cls.scope, f"{cls.qualname}.<class>", "<class>", cls)
                self._class_decorator_refs[site.node.id] = self.match_decorator(site, fn, cls.scope)
            refs.extend(r for r in self._class_decorator_refs[site.node.id] if r not in refs)
        return refs

    # ---------------------------------------------------------------- members of same-file classes
    def collect_members(self, cls: ClassInfo) -> None:
        cls.members = {}
        scope = cls.scope
        statics = self._statics.get(cls.node.id, set())
        fields: set[str] = set()
        for member in self.class_members(cls.node):
            if member.type != "field_declaration":
                continue
            type_node = member.child_by_field_name("type")
            for name, value in self.field_declarators(member):
                if name in statics:
                    continue
                fields.add(name)
                if type_node is not None:
                    cls.member_types[name] = (type_node, scope)
                config = self.annotation_config(self.annotations(member, scope), scope)
                if config is not None:
                    self.config_fields[(cls.node.id, name)] = config
                if value is not None:
                    cls.members.setdefault(name, []).append((value, scope))
        if cls.node.type == "record_declaration":
            for p in self.iter_named(cls.node.child_by_field_name("parameters"), ("formal_parameter",)):
                name_node = p.child_by_field_name("name")
                tnode = p.child_by_field_name("type")
                if name_node is not None and tnode is not None:
                    fields.add(self.text(name_node))
                    cls.member_types[self.text(name_node)] = (tnode, scope)
        if not fields:
            return
        for fnode, target, value in self._assignments(cls.node):
            assigned: str | None = None
            if target.type == "field_access":
                obj = target.child_by_field_name("object")
                fld = target.child_by_field_name("field")
                if obj is not None and obj.type == "this" and fld is not None:
                    assigned = self.text(fld)
            elif target.type == "identifier":
                assigned = self.text(target)
                if fnode is not None and assigned in self._locals_of(fnode):
                    assigned = None
            if assigned is None or assigned not in fields:
                continue
            if fnode is not None and assigned in cls.members and self._unused_setter(fnode):
                continue  # the initialiser stays the value: a setter nothing in the file calls is the tests'
            cls.members.setdefault(assigned, []).append((value, self.scope_at(target)))

    def _unused_setter(self, fnode: Node) -> bool:
        """A non-public ``void setX(T x) { this.x = x; }`` that no code of its file calls: not a
        JavaBean property Spring binds (its setters are public), so only tests (of the same package)
        call it (PetClinic's ``VisitsServiceClient.setHostname``). A public setter, or one called
        in the file, may change the field in production."""
        if fnode.type != "method_declaration":
            return False
        name_node = fnode.child_by_field_name("name")
        body = fnode.child_by_field_name("body")
        if name_node is None or body is None or len(self.function_params(fnode)) != 1:
            return False
        name = self.text(name_node)
        mods = next((c for c in fnode.children if c.type == "modifiers"), None)
        if not name.startswith("set") or (mods is not None and any(self.text(m) in ("public", "protected") for m in mods.children)):
            return False
        if len([c for c in body.named_children if c.type != "line_comment"]) != 1:
            return False
        word = re.compile(rb"\b" + re.escape(name.encode()) + rb"\s*\(")
        return len(word.findall(self.source)) == 1  # its own declaration only

    def _assignments(self, class_node: Node) -> list[tuple[Node | None, Node, Node]]:
        """``x = v`` / ``this.x = v`` inside the class's own methods (not nested classes):
        (enclosing function node, target, value)."""
        out: list[tuple[Node | None, Node, Node]] = []
        body = class_node.child_by_field_name("body")
        if body is None:
            return out
        stack: list[tuple[Node, Node | None]] = [(c, None) for c in reversed(body.named_children)]
        while stack:
            node, fnode = stack.pop()
            t = node.type
            if t in CLASS_NODES or (t == "enum_body_declarations" and fnode is not None):
                continue
            if t in ("method_declaration", "constructor_declaration", "compact_constructor_declaration", "static_initializer", "block") and fnode is None:
                fnode = node
            if t == "assignment_expression":
                op = node.child_by_field_name("operator")
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and (op is None or self.text(op) == "="):
                    out.append((fnode, left, right))
            if t == "class_body" and node.parent is not None and node.parent.type == "object_creation_expression":
                continue
            stack.extend((c, fnode) for c in reversed(node.named_children))
        return out

    def _locals_of(self, fnode: Node) -> set[str]:
        names = {n for n, _ in self.function_params(fnode)} if fnode.type in FUNCTION_NODES else set()
        stack = [fnode.child_by_field_name("body") or fnode]
        while stack:
            n = stack.pop()
            if n is None:
                continue
            if n.type in ("local_variable_declaration", "resource"):
                for d in n.children_by_field_name("declarator"):
                    nm = d.child_by_field_name("name")
                    if nm is not None:
                        names.add(self.text(nm))
                nm = n.child_by_field_name("name") if n.type == "resource" else None
                if nm is not None:
                    names.add(self.text(nm))
            elif n.type in ("enhanced_for_statement", "catch_formal_parameter"):
                nm = n.child_by_field_name("name")
                if nm is not None:
                    names.add(self.text(nm))
            if n.type in FUNCTION_NODES and n is not fnode:
                continue
            stack.extend(n.named_children)
        return names

    def instance_member(self, inst: Instance, attr: str, node: Node | None) -> Any:
        if attr in self._statics.get(inst.cls.node.id, ()):
            return self.class_static(inst.cls, attr, node)
        return super().instance_member(inst, attr, node)

    def collect_exports(self) -> None:
        """The static fields of the file's primary class (``Settings.RISK_URL`` of
        ``Settings.java``): other files' references resolve against them at link time. The file's
        beans, for every file of the service (``$$``: the scan's package pass)."""
        out = self.result.exports
        self.export_signatures()
        self.export_beans()
        self.export_bean_arguments()
        self.export_inherited()
        for top in self._classes.values():
            prefix = self.properties_prefix(top) if top.qualname == top.name else None
            if prefix is not None:
                out[f"$$props.{self.package}.{top.name}" if self.package else f"$$props.{top.name}"] = Obj(
                    CONFIG_PROPERTIES, (("prefix", Const(prefix)),), top.name
                )
        cls = self._classes.get(Path(self.path).stem)
        if cls is None:
            return
        skipped: list[str] = []
        for name in sorted(self._statics.get(cls.node.id, ())):
            b = cls.scope.bindings.get(name)
            if b is None or (b.expr is None and b.type_node is None):
                continue
            v = self.export_value(name, skipped, self.binding_value, b, name)
            if isinstance(v, (Const, Named, Env, Seq, Map, Obj, Call)) or type(v).__name__ in ("Concat", "BinOp"):
                out[name] = self.to_value(v)
        self.report_skipped_exports(skipped)

    def export_bean_arguments(self) -> None:
        """The arguments a method passes to a constructor of another class of the service
        (``constructor_argument_exports``, keyed by the class's qualified name), in any file of the
        service that constructs it (java_package's ``linked_modules``): a tracked object only from a
        bean method (``new KiotaCatalogService(new CatalogClient(adapter))``: Spring builds the bean
        once); any other value from every method (``new CartHelper(CART_URL)``)."""
        marks = option_names(self.index, "bean_annotations")
        if not self.module_name or b"new " not in self.source:
            return

        def key_of(site: Site, scope: Scope) -> str | None:
            t = self.resolve_type(site.type_node, scope) if site.node.type == "object_creation_expression" and site.type_node is not None else None
            if not isinstance(t, Ref) or t.qualname.startswith("java.") or self.index.tracked(t.qualname) is not None:
                return None
            return t.qualname

        def bean(fn: FunctionInfo) -> bool:
            return bool(marks) and any(site.func is not None and self.callee(site.func, fn.scope)[0] in marks for site in self.decorators(fn))

        self.constructor_argument_exports(key_of, bean)

    def constructor_arguments(self, fn: FunctionInfo, scope: Scope) -> None:
        """A constructor's parameters that another file of the service passes a tracked object or a
        known value (``export_bean_arguments``): bound to it."""
        if fn.cls is None or not self.module_name:
            return
        qual = f"{self.package}.{fn.cls.qualname}" if self.package else fn.cls.qualname
        params = fn.node.child_by_field_name("parameters")
        names = [self.text(n) for p in self.iter_named(params, ("formal_parameter",)) if (n := p.child_by_field_name("name")) is not None]
        self.constructor_parameters(qual, names, scope)

    # ================================================================ statements
    def st_local(self, node: Node, scope: Scope) -> None:
        for d in node.children_by_field_name("declarator"):
            self.walk_expr(d.child_by_field_name("value"), scope)
        self.bind_local(node, scope)

    def bind_local(self, node: Node, scope: Scope) -> None:
        type_node = node.child_by_field_name("type")
        if type_node is not None and type_node.type == "type_identifier" and self.text(type_node) == "var":
            type_node = None
        for d in node.children_by_field_name("declarator"):
            name_node = d.child_by_field_name("name")
            if name_node is None:
                continue
            name = self.text(name_node)
            value = d.child_by_field_name("value")
            if value is not None:
                self.bind(scope, name, expr=value, type_node=type_node)
            elif type_node is not None:
                self.bind(scope, name, type_node=type_node)
            else:
                self.bind(scope, name, value=Dynamic(name))

    def st_assignment(self, node: Node, scope: Scope) -> None:
        self.assign(node, scope, walk=True)

    def ev_assignment(self, node: Node, scope: Scope) -> Any:
        right = node.child_by_field_name("right")
        return self.evaluate(right, scope) if right is not None else Opaque(node)

    def assign(self, node: Node, scope: Scope, walk: bool) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return
        if walk:
            if right.type == "assignment_expression":
                self.assign(right, scope, walk)
            else:
                self.walk_expr(right, scope)
        op_node = node.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else "="
        if left.type != "identifier":
            if walk:
                self.walk_expr(left, scope)
            return
        name = self.text(left)
        owner = scope.owner_of(name)
        if owner is None or owner.kind == "class" or owner.kind == "module":
            return  # a field: its assignments are read by collect_members
        if op == "=":
            self.bind(scope, name, expr=right, rebind=True)
            return
        binop = self.BINARY_OPS.get(op[:-1])
        cur = self.lookup_name(name, scope)
        new = self.eval_binary(binop, cur, self.evaluate(right, scope), node) if binop else Opaque(node)
        self.bind(scope, name, value=new if not isinstance(new, Opaque) else Dynamic(name), rebind=True)

    def walk_loop_init(self, init: Node, scope: Scope) -> None:
        if init.type == "assignment_expression":
            self.assign(init, scope, walk=True)
        else:
            self.walk_statement(init, scope)

    def st_try(self, node: Node, scope: Scope) -> None:
        resources = node.child_by_field_name("resources")
        for r in self.iter_named(resources, ("resource",)):
            value = r.child_by_field_name("value")
            name = r.child_by_field_name("name")
            if value is not None:
                self.walk_expr(value, scope)
                if name is not None:
                    tnode = r.child_by_field_name("type")
                    if tnode is not None and self.text(tnode) == "var":
                        tnode = None
                    self.bind(scope, self.text(name), expr=value, type_node=tnode)
            else:
                self.walk_expr(r, scope)
        self.walk_try(node, scope)

    def st_local_class(self, node: Node, scope: Scope) -> None:
        """A class declared in a method: its methods are walked as closures of the method."""
        body = node.child_by_field_name("body")
        for m in self.iter_named(body, ("method_declaration", "constructor_declaration")):
            self.walk_function(self.closure(m, scope))

    def bind_expression(self, node: Node, scope: Scope) -> None:
        """An expression statement met by ``scan_function``: its assignments, without walking, and
        the configuring calls on a tracked object (``adapter.setBaseUrl(url)`` in a helper
        returning the adapter)."""
        for c in node.named_children:
            if c.type == "assignment_expression":
                self.assign(c, scope, walk=False)
            elif c.type == "method_invocation" and self.index.configure_methods:
                site = self.site(c, scope)
                if site is not None:
                    self.apply_configure(site, scope)

    # ================================================================ retry-loop hooks
    def handler_types(self, handler: Node, scope: Scope) -> list[str]:
        param = next((c for c in handler.named_children if c.type == "catch_formal_parameter"), None)
        ctype = next((c for c in param.named_children if c.type == "catch_type"), None) if param is not None else None
        out: list[str] = []
        for t in self.iter_named(ctype):
            text = self.text(t)
            known = "." in text or self.qualify_type(text) is not None  # imported, java.lang or fully qualified
            r = self.resolve_type(t, scope) if known else None
            out.append(r.qualname if isinstance(r, Ref) else self.anchor_text(t, 80))
        return out

    # ================================================================ id flow
    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        """``Map.of("k", v, ...)`` and keyed builder / setter calls (``.header("Idempotency-Key",
        id)``): the values travel under their keys; the rest of the chain is a spread."""
        name = node.child_by_field_name("name") if node.type == "method_invocation" else None
        if name is None or not self.may_carry(self.text(name)):
            return None
        scope = self.scope_at(node)
        site = self.site(node, scope)
        if site is None:
            return None
        qual = self.method_name(site, scope)
        args = site.args
        if qual in option_names(self.index, "map_builders") and len(args) % 2 == 0 and args:
            return [(self._literal_key(k), v) for k, v in zip(args[::2], args[1::2])]
        if qual in option_names(self.index, "keyed_setters") and len(args) == 2:
            key = self._literal_key(args[0])
            if key is None:
                return None
            obj = node.child_by_field_name("object")
            return [(key, args[1])] + ([(None, obj)] if obj is not None else [])
        return None

    def _literal_key(self, node: Node) -> str | None:
        if node.type == "string_literal":
            return java_string(self.text(node))
        return None

    # ================================================================ expressions
    def ev_field_access(self, node: Node, scope: Scope) -> Any:
        obj, fld = node.child_by_field_name("object"), node.child_by_field_name("field")
        if obj is not None and fld is not None and obj.type == "super":
            cls = self.scope_class(scope)
            return self.instance_member(Instance(cls), self.text(fld), node) if cls is not None else Opaque(node)
        return self.eval_member_node(node, scope)

    def eval_construction(self, site: Site, scope: Scope) -> Any:
        if len(site.args) == 1 and site.type_node is not None:
            t = self.resolve_type(site.type_node, scope)
            if isinstance(t, Ref) and t.qualname in self._pass_through and not self.index.ctor(t.qualname):
                inner = self.evaluate(site.args[0], scope)
                return inner if self.is_value(inner) else Opaque(site.node)
        return super().eval_construction(site, scope)

    def ev_string(self, node: Node, scope: Scope) -> Any:
        return Const(java_string(self.text(node)))

    def ev_method_reference(self, node: Node, scope: Scope) -> Any:
        kids = self.named(node)
        if len(kids) != 2 or kids[1].type != "identifier":
            return Opaque(node)
        owner, method = kids[0], self.text(kids[1])
        cls: ClassInfo | None = None
        if owner.type == "this":
            cls = self.scope_class(scope)
        elif owner.type in ("identifier", "type_identifier"):
            found = self.evaluate(owner, scope) if owner.type == "identifier" else self.resolve_type(owner, scope)
            if isinstance(found, ClassValue):
                cls = found.cls
            elif isinstance(found, Instance):
                cls = found.cls
            elif isinstance(found, Ref):
                return Ref(f"{found.qualname}.{method}")
        if cls is not None and method in cls.methods:
            return FunctionValue(cls.methods[method])
        return Opaque(node)

    def ev_class_literal(self, node: Node, scope: Scope) -> Any:
        tnode = next(iter(self.named(node)), None)
        if tnode is None:
            return Opaque(node)
        r = self.resolve_type(tnode, scope)
        if isinstance(r, Ref):
            return r
        if isinstance(r, ClassValue):
            return Const(r.cls.name)
        return Const(self.text(tnode))

    def ev_array_creation(self, node: Node, scope: Scope) -> Any:
        value = node.child_by_field_name("value")
        return self.evaluate(value, scope) if value is not None else Opaque(node)

    def ev_annotation(self, node: Node, scope: Scope) -> Any:
        """A nested annotation as a value (``backoff = @Backoff(delay = 100)``): its elements."""
        site = self.annotation_site(node)
        if site is None:
            return Opaque(node)
        return Map(tuple((Const(k), self.to_value(self.evaluate(v, scope))) for k, v in site.kwargs.items()))


__all__ = ["JavaAnalyzer", "module_path", "words_of", "java_string"]
