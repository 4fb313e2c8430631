"""Kotlin adapter (tree-sitter-kotlin): Kotlin syntax mapped onto the engine, nothing else.

Names are qualified like Java's (``import okhttp3.OkHttpClient``, ``import x.Y as Z``, on-demand
``import io.ktor.client.*`` to names the rules know, the default imports ``kotlin.*``,
``kotlin.collections.*`` and ``java.lang.*``), so the Java rules that declare
``languages: [java, kotlin]`` match Kotlin files unchanged. What Kotlin spells differently:

- constructions are calls (``OkHttpClient.Builder()``); named arguments are ``kw``; a trailing
  lambda is the last argument and also ``{kw: "{}"}`` (``get("/x") { ... }``, whose grammar
  nests the call in another);
- a lambda's implicit receiver: a lambda a rule's ``callback:`` receives an object in binds it
  as ``it`` and ``this``, and an unqualified call in it is a method of that object
  (``routing { get("/x") { } }``: ``Route.get``); as a value, a configuration lambda
  (``{ install(HttpTimeout) { requestTimeoutMillis = 2000 } }``) is a ``Map`` of what it
  assigns (``requestTimeoutMillis``) and configures (``install(HttpTimeout)``, ``timeout``);
- ``2.seconds`` with ``kotlin.time.Duration.Companion.seconds`` imported is a ``Call`` a rule's
  timeout ``functions:`` interpret; ``System.getenv("X") ?: "d"`` an env read with a default;
- ``repeat(3) { ... }`` is a counting loop for the hand-written retry rule, as are
  ``for (i in 1..3)`` / ``0 until n``; ``try`` / ``catch`` give its handlers and caught types;
- classes: primary-constructor ``val``s and properties (initialisers, ``by lazy { }``,
  assignments in ``init`` and methods) are fields; ``object`` / ``companion object`` members
  are static; annotations are decorators (``@Retry(name = "risk")``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...values import Call, Const, Dynamic, Map, Obj, Ref, Seq, fold, strip
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .kotlin_package import module_path
from .syntax import MemberOf, SyntaxAnalyzer, option_names
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node

MAP_BUILDERS = frozenset({"kotlin.collections.mapOf", "kotlin.collections.mutableMapOf", "kotlin.collections.hashMapOf"})
LIST_BUILDERS = frozenset({"kotlin.collections.listOf", "kotlin.collections.setOf", "kotlin.arrayOf", "kotlin.collections.mutableListOf"})
CLASS_NODES = frozenset({"class_declaration", "object_declaration", "companion_object"})


@syntax_tables
class KotlinAnalyzer(SyntaxAnalyzer):
    language = "kotlin"  # its syntax tables: languages/kotlin.toml
    # the JDK's env readers, conversions and pass-throughs: rules/java/platform/jdk.yaml (shared with Java)
    CLASS_TYPES = CLASS_NODES
    # hand-written retries (retry_loops.py): the grammar parses ``break`` as an identifier and ``break@outer`` as a label and a name
    LEAVE_WORDS = {"identifier": frozenset({"break"}), "label": frozenset({"break@"})}
    # what the adapter resolves besides the rules' names
    KNOWN_NAMES = ("kotlin.repeat", *MAP_BUILDERS, *LIST_BUILDERS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._all_functions: list[FunctionInfo] = []

    # ================================================================ names
    def callee(self, func: Node | None, scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        if func is not None and func.type == "identifier" and scope.lookup(self.text(func)) is None:
            name = self.text(func)
            cur: Scope | None = scope
            while cur is not None:  # a method of a lambda's implicit receiver (routing { get("/x") { } })
                b = cur.bindings.get("this")
                if b is not None and isinstance(b.value, Obj):
                    qual = f"{b.value.type}.{name}"
                    if self.index.call_specs(qual) or self.index.ctor(qual) or qual in self.index.scopes:
                        return qual, b.value, name, None
                cur = cur.parent
        return super().callee(func, scope)

    def resolve_type(self, type_node: Node, scope: Scope) -> Any:
        node: Node | None = type_node
        while node is not None and node.type in ("nullable_type", "non_nullable_type", "parenthesized_type"):
            node = next(iter(self.named(node)), None)
        if node is None or node.type not in ("user_type", "identifier"):
            return None
        parts = [self.text(c) for c in node.named_children if c.type == "identifier"] or [self.text(node)]
        cls = self.find_class(parts[0], self.scope_class(scope)) if parts[0] not in self.imports else None
        if cls is not None:
            inner = self._classes.get(".".join([cls.qualname, *parts[1:]])) if len(parts) > 1 else cls
            return ClassValue(inner) if inner is not None else Ref(".".join([cls.qualname, *parts[1:]]))
        qual = self.qualify(parts[0])
        if qual is not None:
            return Ref(".".join([qual, *parts[1:]]))
        if parts[0][:1].islower() and len(parts) > 1:  # fully qualified: java.io.IOException
            return Ref(".".join(parts))
        return Ref(".".join([self.package, *parts]) if self.package else ".".join(parts))

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        for node in root.named_children:
            if node.type == "package_header":
                self.package = self.text(self.named(node)[0]).replace("`", "") if self.named(node) else ""
            elif node.type == "import":
                self.bind_import(node)
        for node in root.named_children:
            if node.type in CLASS_NODES:
                self.declare_class(node, None, self.module_scope)
            elif node.type == "function_declaration":
                self.declare_method(node, self.module_scope, None, "")
            elif node.type == "property_declaration":
                self.bind_property(node, self.module_scope)

    def bind_import(self, node: Node) -> None:
        kids = self.named(node)
        if not kids:
            return
        qual = self.text(kids[0]).replace(" ", "").replace("`", "")
        if "*" in self.text(node):
            self.on_demand.append(qual)
            return
        simple = self.text(kids[1]) if len(kids) > 1 and kids[1].type == "identifier" else qual.rpartition(".")[2]
        self.imports[simple] = qual
        self.result.imports[simple] = qual

    def declare_method(self, node: Node, scope: Scope, cls: ClassInfo | None, prefix: str) -> FunctionInfo:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "<init>"
        fn = self.declare_function(FunctionInfo(node, scope, f"{prefix}.{name}" if prefix else name, name, cls))
        self._all_functions.append(fn)
        if name != "<init>":
            scope.bindings.setdefault(name, Binding(value=FunctionValue(fn)))
            if cls is not None:
                cls.methods.setdefault(name, fn)
        return fn

    def declare_class(self, node: Node, outer: ClassInfo | None, parent: Scope) -> ClassInfo:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "Companion"
        qual = f"{outer.qualname}.{name}" if outer is not None else name
        scope = Scope("class", qual, parent)
        cls = scope.cls = ClassInfo(name, node, scope, qual)
        self._classes[qual] = cls
        self.class_scopes[node.id] = scope
        if outer is not None:
            self.outer_class[node.id] = outer
        static = node.type != "class_declaration"
        for p in self.ctor_params(node):
            pname, tnode = self.name_and_type(p)
            if pname and any(c.type in ("val", "var") for c in p.children):
                scope.bindings[pname] = Binding(value=MemberOf(cls))
            elif pname:  # a plain parameter: seen by the initialisers, built by the caller
                scope.bindings[pname] = Binding(type_node=tnode, scope=scope, param=True) if tnode is not None else Binding(value=Dynamic(pname))
        for member in self.class_body(node):
            t = member.type
            if t == "property_declaration":
                if static:
                    self.bind_property(member, scope)
                else:
                    for n in self.property_names(member):
                        scope.bindings[n] = Binding(value=MemberOf(cls))
            elif t in ("function_declaration", "anonymous_initializer", "secondary_constructor"):
                self.declare_method(member, scope, cls, qual)
            elif t in CLASS_NODES:
                inner = self.declare_class(member, cls, scope)
                if t == "companion_object":  # its members are the class's statics
                    for k, b in inner.scope.bindings.items():
                        scope.bindings.setdefault(k, b)
        return cls

    def class_body(self, node: Node) -> list[Node]:
        return self.named(next((c for c in node.named_children if c.type in ("class_body", "enum_class_body")), None))

    def ctor_params(self, node: Node) -> list[Node]:
        ctor = next((c for c in node.named_children if c.type == "primary_constructor"), None)
        params = next((c for c in self.named(ctor) if c.type == "class_parameters"), None)
        return [p for p in self.named(params) if p.type == "class_parameter"]

    def name_and_type(self, node: Node) -> tuple[str, Node | None]:
        """A parameter's / declaration's name and declared type."""
        name = next((c for c in node.named_children if c.type == "identifier"), None)
        tnode = next((c for c in node.named_children if c.type in ("user_type", "nullable_type", "function_type")), None)
        return (self.text(name) if name is not None else ""), tnode

    def property_names(self, node: Node) -> list[str]:
        decl = next((c for c in node.named_children if c.type in ("variable_declaration", "multi_variable_declaration")), None)
        if decl is None:
            return []
        decls = [decl] if decl.type == "variable_declaration" else [d for d in decl.named_children if d.type == "variable_declaration"]
        return [self.text(self.named(d)[0]) for d in decls if self.named(d)]

    def property_value(self, node: Node) -> Node | None:
        """A property's initialiser, or what ``by lazy { ... }`` evaluates to."""
        kids = self.named(node)
        value = kids[-1] if kids and kids[-1].type not in ("variable_declaration", "multi_variable_declaration", "modifiers", "getter", "setter") else None
        if value is not None and value.type == "property_delegate":  # by lazy { ... }: the lambda's last expression
            call = next((c for c in self.named(value) if c.type == "call_expression"), None)
            site = self.site(call, self.module_scope) if call is not None else None
            stmts = self.named(site.kwargs.get("{}")) if site is not None else []
            return stmts[-1] if stmts else None
        return value

    def property_type(self, node: Node) -> Node | None:
        decl = next((c for c in node.named_children if c.type == "variable_declaration"), None)
        return self.name_and_type(decl)[1] if decl is not None else None

    def walk_root(self, root: Node) -> None:
        for node in root.named_children:
            if node.type == "property_declaration":
                self.walk_expr(self.property_value(node), self.module_scope)
            elif node.type not in CLASS_NODES and node.type not in (
                "function_declaration",
                "package_header",
                "import",
                "line_comment",
                "block_comment",
                "shebang",
                "file_annotation",
            ):
                self.walk_statement(node, self.module_scope)  # a script (.kts): top-level statements
        for cls in list(self._classes.values()):
            if self.index.classes:
                self.match_classes(cls)
            for member in self.class_body(cls.node):
                if member.type == "property_declaration":
                    self.walk_expr(self.property_value(member), cls.scope)
        for fn in self._all_functions:
            self.walk_function(fn)

    def collect_exports(self) -> None:
        super().collect_exports()
        self.export_statics(self._classes.values())  # object Config { const val RISK_URL = ... }

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        parent = node.parent
        if (
            parent is not None
            and parent.type == "call_expression"
            and parent.named_children[0].id == node.id
            and any(c.type == "annotated_lambda" for c in parent.named_children)
        ):
            return None  # f(a) { }: the outer call is the site
        kids = self.named(node)
        if not kids:
            return None
        func, rest = kids[0], kids[1:]
        if func.type == "call_expression" and any(c.type == "annotated_lambda" for c in rest):
            inner = self.named(func)
            if inner and any(c.type == "value_arguments" for c in inner[1:]):
                func, rest = inner[0], inner[1:] + rest
        site = Site(node, func)
        for part in rest:
            if part.type == "value_arguments":
                for a in self.named(part):
                    v = self.named(a)
                    if not v:
                        continue
                    if len(v) == 2 and v[0].type == "identifier" and any(c.type == "=" for c in a.children):
                        site.kwargs[self.text(v[0])] = v[1]
                    else:
                        site.args.append(v[-1])
                        site.hidden = site.hidden or v[-1].type == "spread_expression" or self.text(a).startswith("*")
            elif part.type == "annotated_lambda":  # the last argument, also readable as {kw: "{}"}
                lam = [c for c in self.named(part) if c.type == "lambda_literal"]
                site.args += lam
                if lam:  # the trailing lambda, also by the name "{}"
                    site.kwargs["{}"] = lam[-1]
            elif part.type == "type_arguments":
                site.type_args = self.named(part)
        return site

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        if node.type != "navigation_expression":
            return None
        kids = self.named(node)
        if len(kids) != 2 or kids[1].type != "identifier" or any(c.type == "::" for c in node.children):
            return None
        return kids[0], self.text(kids[1])

    def function_body(self, node: Node) -> Node | None:
        if node.type == "lambda_literal":
            return node
        body = next((c for c in node.named_children if c.type in ("function_body", "block")), None)
        if body is not None and body.type == "function_body":
            kids = self.named(body)
            return kids[0] if kids else None
        return body

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        if node.type == "lambda_literal":
            params = next((c for c in node.named_children if c.type == "lambda_parameters"), None)
            if params is None:
                return [("it", None)]
            return [self.name_and_type(d) if d.type == "variable_declaration" else ("", None) for d in self.named(params)]
        params = next((c for c in node.named_children if c.type == "function_value_parameters"), None)
        return [self.name_and_type(p) for p in self.named(params) if p.type == "parameter"]

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = super().function_scope(fn, args)
        override = self._callbacks.get(fn.node.id)
        if override is not None:  # the object a lambda receives is also its implicit receiver
            scope.bindings["this"] = Binding(value=override[1])
        elif fn.cls is not None and fn.node.type != "lambda_literal":
            scope.bindings["this"] = Binding(value=Instance(fn.cls, "this"))
        elif fn.node.type == "lambda_literal":
            self.bind_scope_function(fn, scope)
        return scope

    SCOPE_FUNCTIONS = {"apply": "this", "run": "this", "also": "it", "let": "it"}
    """The standard library's scope functions: ``x.apply { subscribe(t) }`` runs the lambda with ``x``
    as its receiver, ``x.also { it.subscribe(t) }`` with ``x`` as its parameter."""

    def bind_scope_function(self, fn: FunctionInfo, scope: Scope) -> None:
        outer = fn.node.parent.parent if fn.node.parent is not None and fn.node.parent.type == "annotated_lambda" else None
        site = self.site(outer, fn.scope) if outer is not None and outer.type == "call_expression" else None
        parts = self.member_parts(site.func) if site is not None and site.func is not None else None
        if parts is None or parts[1] not in self.SCOPE_FUNCTIONS:
            return
        value = self.evaluate(parts[0], fn.scope)
        if not isinstance(value, Obj):
            return
        name = self.SCOPE_FUNCTIONS[parts[1]]
        if name == "it":
            name = next((p for p, _ in self.function_params(fn.node)), "it") or "it"
        scope.bindings[name] = Binding(value=value)

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        if fn.node.type == "lambda_literal" and self.repeat_call(fn.node, fn.scope) is not None:
            self.walk_loop_body(fn.node, scope)  # repeat(n) { ... }: a counting loop
        else:
            super().walk_body(fn, scope)

    def repeat_call(self, lam: Node, scope: Scope) -> Site | None:
        """``repeat(n) { ... }``: the call whose trailing lambda ``lam`` is."""
        outer = lam.parent.parent if lam.parent is not None and lam.parent.type == "annotated_lambda" else None
        site = self.site(outer, scope) if outer is not None and outer.type == "call_expression" else None
        if site is None or site.func is None or self.callee(site.func, scope)[0] != "kotlin.repeat":
            return None
        return site

    def short_text(self, node: Node) -> str:
        if node.type == "lambda_literal":
            return "{ ... }"
        return self.anchor_text(node, 200)

    def exported_method(self, fn: FunctionInfo) -> bool:
        mods = " ".join(self.text(m) for m in fn.node.named_children if m.type == "modifiers")
        return not fn.name.startswith("<") and ("override" in mods or not any(w in mods.split() for w in ("private", "protected", "internal")))

    def class_bases(self, cls: ClassInfo) -> list[str]:
        out = []
        for spec in self.iter_named(next((c for c in cls.node.named_children if c.type == "delegation_specifiers"), None)):
            t = next((c for c in self.named(spec) if c.type in ("user_type", "constructor_invocation")), None)
            if t is not None and t.type == "constructor_invocation":
                t = self.named(t)[0]
            r = self.resolve_type(t, cls.scope.parent or self.module_scope) if t is not None else None
            out += [r.qualname] if isinstance(r, Ref) else [r.cls.qualname] if isinstance(r, ClassValue) else []
        return out

    def annotations(self, node: Node) -> list[Site]:
        """``@Retry(name = "x")`` read like a call (element names are ``kw``; one value is also ``value``)."""
        out = []
        for a in (m for mods in node.named_children if mods.type == "modifiers" for m in mods.named_children if m.type == "annotation"):
            target = next((c for c in self.named(a) if c.type in ("constructor_invocation", "user_type")), None)
            site = (
                Site(a, target) if target is not None and target.type == "user_type" else self.site(target, self.module_scope) if target is not None else None
            )
            if site is not None:
                site.node = a
                if site.args:
                    site.kwargs.setdefault("value", site.args[0])
                out.append(site)
        return out

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        if fn.node.type != "function_declaration":
            return []
        return [] if self.redeclared(fn) else self.annotations(fn.node)  # re-declared by the Java client: its own count

    def return_type(self, fn: FunctionInfo) -> Node | None:
        """``fun f(): T``: the type after the parameters."""
        if fn.node.type != "function_declaration":
            return None
        kids = fn.node.children
        params = next((i for i, c in enumerate(kids) if c.type == "function_value_parameters"), None)
        if params is None or params + 2 >= len(kids) or kids[params + 1].type != ":":
            return None
        return kids[params + 2]

    def class_decorators(self, cls: ClassInfo) -> list[Site]:
        return self.annotations(cls.node)

    def class_receiver(self, cls: ClassInfo) -> Obj | None:
        """A class annotation's object; for an interface without one, the object a Java class or
        interface extending it gives it (``inherited_receiver``: a Micronaut ``@Client`` interface
        extending an API module's Kotlin interface)."""
        if cls.node.id in self._class_receivers:
            return self._class_receivers[cls.node.id]
        found = super().class_receiver(cls)
        return found if found is not None else self.inherited_receiver(cls)

    def is_interface(self, cls: ClassInfo) -> bool:
        return any(c.type == "interface" for c in cls.node.children)

    # ---------------------------------------------------------------- members of same-file classes
    def collect_members(self, cls: ClassInfo) -> None:
        cls.members = {}
        fields: set[str] = set()
        for p in self.ctor_params(cls.node):
            name, tnode = self.name_and_type(p)
            if name and tnode is not None and any(c.type in ("val", "var") for c in p.children):
                fields.add(name)
                cls.member_types[name] = (tnode, cls.scope)
                self.config_property(cls, name, p)
        if cls.node.type == "class_declaration":
            for member in self.class_body(cls.node):
                if member.type != "property_declaration":
                    continue
                names = self.property_names(member)
                fields.update(names)
                for n in names[:1]:
                    self.config_property(cls, n, member)
                value, tnode = self.property_value(member), self.property_type(member)
                for n in names[:1]:
                    if tnode is not None:
                        cls.member_types[n] = (tnode, cls.scope)
                    if value is not None:
                        cls.members.setdefault(n, []).append((value, cls.scope))
        self.class_field_values(cls, fields, self.field_target)

    def config_property(self, cls: ClassInfo, name: str, node: Node) -> None:
        """``@Value("\\${risk.url:d}")`` (Kotlin escapes the ``$``) on a constructor property or a property."""
        value = self.annotation_config(self.annotations(node), cls.scope)
        if value is not None:
            self.config_fields[(cls.node.id, name)] = value

    def field_target(self, target: Node) -> str | None:
        if target.type == "identifier":
            return self.text(target)
        parts = self.member_parts(target)
        return parts[1] if parts is not None and parts[0].type == "this_expression" else None

    # ================================================================ statements
    def st_property(self, node: Node, scope: Scope) -> None:
        self.walk_value(self.property_value(node), scope)
        self.bind_property(node, scope)

    def walk_value(self, value: Node | None, scope: Scope) -> None:
        """An assigned value; ``val r = try { f(x) } catch (...) { f(x) }`` is a try (the retry rule sees it)."""
        if value is not None and value.type in self.TRY_TYPES:
            self.st_try(value, scope)
        else:
            self.walk_expr(value, scope)

    def bind_property(self, node: Node, scope: Scope) -> None:
        names = self.property_names(node)
        value, tnode = self.property_value(node), self.property_type(node)
        if len(names) == 1:
            self.bind(scope, names[0], expr=value, type_node=tnode) if value is not None or tnode is not None else self.bind(
                scope, names[0], value=Dynamic(names[0])
            )
        else:  # val (a, b) = pair
            for n in names:
                self.bind(scope, n, value=Dynamic(n))

    def subscript_parts(self, node: Node) -> tuple[Node, Node] | None:
        """``a[k]``: Kotlin's ``index_expression`` names no fields (the object, then the key)."""
        named = self.named(node) if node.type == "index_expression" else []
        return (named[0], named[1]) if len(named) >= 2 else super().subscript_parts(node)

    def st_assign(self, node: Node, scope: Scope) -> None:
        self.walk_value(node.child_by_field_name("right"), scope)
        self.bind_assignment(node, scope)

    def st_loop(self, node: Node, scope: Scope) -> None:
        if node.type == "for_statement":
            for d in self.named(node):
                for v in [d] if d.type == "variable_declaration" else self.named(d) if d.type == "multi_variable_declaration" else []:
                    name = self.name_and_type(v)[0]
                    self.bind(scope, name, value=Dynamic(name))
            self.walk_expr(self.loop_iterable(node), scope)
        elif node.type == "while_statement":
            self.walk_expr(node.child_by_field_name("condition"), scope)
        self.walk_loop_body(node, scope, [node.child_by_field_name("condition")] if node.type == "do_while_statement" else [])

    def st_try(self, node: Node, scope: Scope) -> None:
        for h in self.try_handlers(node):
            name = next((c for c in self.named(h) if c.type == "identifier"), None)
            if name is not None:
                self.bind(scope, self.text(name), value=Dynamic(self.text(name)))
        self.walk_try(node, scope)

    # ================================================================ retry-loop hooks
    def loop_iterable(self, node: Node) -> Node | None:
        kids = [k for k in self.named(node) if k.type not in ("variable_declaration", "multi_variable_declaration", "label", "block")]
        return kids[0] if kids else None

    def loop_body(self, node: Node) -> Node | None:
        if node.type == "lambda_literal":
            return node
        kids = [k for k in self.named(node) if k.type not in ("label", "variable_declaration", "multi_variable_declaration")]
        if node.type == "do_while_statement":
            return kids[0] if kids else None
        return kids[-1] if len(kids) > 1 else None

    def loop_kind(self, node: Node) -> str:
        if node.type in ("while_statement", "do_while_statement"):
            return "while"
        if node.type == "lambda_literal":
            return "for"
        it = self.loop_iterable(node)
        counting = it is not None and (it.type == "range_expression" or (it.type == "infix_expression" and self.infix_op(it) in ("until", "downTo")))
        return "for" if counting else "for_each"

    def loop_header(self, node: Node) -> list[Node]:
        if node.type == "lambda_literal":
            site = self.repeat_call(node, self.module_scope)
            params = [c for c in node.named_children if c.type == "lambda_parameters"]
            return [a for a in (site.args if site is not None else []) if a.id != node.id] + params
        if node.type == "for_statement":
            return [k for k in self.named(node) if k.type not in ("block", "label")][:2]
        return [c for c in (node.child_by_field_name("condition"),) if c is not None]

    def loop_count(self, node: Node, scope: Scope) -> Any:
        if node.type == "lambda_literal":
            site = self.repeat_call(node, scope)
            return self.to_value(self.evaluate(site.args[0], scope)) if site is not None and len(site.args) > 1 else None
        if node.type != "for_statement":
            return super().loop_count(node, scope)
        it = self.loop_iterable(node)
        if it is None or self.loop_kind(node) != "for":
            return None
        lo, hi = self.named(it)[0], self.named(it)[-1]
        if it.type == "infix_expression" and self.infix_op(it) == "downTo":
            lo, hi = hi, lo
        count = fold("-", self.to_value(self.evaluate(hi, scope)), self.to_value(self.evaluate(lo, scope)))
        return count if self.infix_op(it) == "until" else fold("+", count, Const(1))  # 1..3 and 3 downTo 1 include both ends

    def handler_types(self, handler: Node, scope: Scope) -> list[str]:
        out = []
        for t in (c for c in handler.named_children if c.type == "user_type"):
            r = self.resolve_type(t, scope)
            out.append(r.qualname if isinstance(r, Ref) and (self.qualify(self.text(t).split(".")[0]) or "." in self.text(t)) else self.anchor_text(t, 80))
        return out

    # ================================================================ id flow
    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        """``mapOf("k" to v)`` / ``Map.of("k", v)`` (the rules' ``map_builders``) and keyed setters
        (``builder.header("Idempotency-Key", id)``: ``keyed_setters``), by resolved name."""
        site = self.site(node, self.module_scope) if node.type == "call_expression" else None
        if site is None or site.func is None or not self.may_carry(self.text(site.func).rpartition(".")[2]):
            return None
        qual = self.method_name(site, self.scope_at(node))
        if qual in option_names(self.index, "map_builders"):
            pairs = [self.named(a) for a in site.args if a.type == "infix_expression" and self.infix_op(a) == "to"]
            if pairs:
                return [(self.string_key(p[0]), p[-1]) for p in pairs]
            return [(self.string_key(k), v) for k, v in zip(site.args[::2], site.args[1::2])] if len(site.args) % 2 == 0 else None
        if qual in option_names(self.index, "keyed_setters") and len(site.args) == 2 and self.string_key(site.args[0]) is not None:
            return [(self.string_key(site.args[0]), site.args[1])]
        return None

    def string_key(self, node: Node) -> str | None:
        v = self.evaluate(node, self.module_scope) if node.type == "string_literal" else None
        return v.value if isinstance(v, Const) and isinstance(v.value, str) else None

    # ================================================================ expressions
    def string_text(self, raw: str, scope: Scope) -> list[Any]:
        """Text with ``$name`` templates (the grammar leaves simple ones in the text)."""
        out: list[Any] = []
        for i, piece in enumerate(re.split(r"\$([A-Za-z_]\w*)", raw)):
            if i % 2:
                out.append(self.to_value(self.lookup_name(piece, scope)))
            elif piece:
                out.append(Const(self.unescape(piece)))
        return out

    def ev_collection(self, node: Node, scope: Scope) -> Any:
        """``[a, b]`` (annotation arguments only): a one-item array is its item, as in Java."""
        items = tuple(self.to_value(self.evaluate(i, scope)) for i in self.named(node)[:32])
        return items[0] if len(items) == 1 else Seq(items)

    def infix_op(self, node: Node) -> str:
        kids = self.named(node)
        return self.text(kids[1]) if len(kids) == 3 and kids[1].type == "identifier" else ""

    def ev_infix(self, node: Node, scope: Scope) -> Any:
        kids = self.named(node)
        if self.infix_op(node) == "to":  # "k" to v: a pair
            return Seq((self.to_value(self.evaluate(kids[0], scope)), self.to_value(self.evaluate(kids[2], scope))))
        return Opaque(node)

    def ev_navigation(self, node: Node, scope: Scope) -> Any:
        kids = self.named(node)
        if len(kids) == 2 and self.text(kids[1]) == "class" and any(c.type == "::" for c in node.children):
            r = self.evaluate(kids[0], scope)  # IOException::class
            return r if isinstance(r, Ref) else Const(self.text(kids[0]))
        parts = self.member_parts(node)
        if parts is None:
            return Opaque(node)
        base = self.evaluate(parts[0], scope)
        inner = strip(base) if self.is_value(base) else None
        if isinstance(inner, Const) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool):
            unit = self.qualify(parts[1])  # an imported extension property of a number (kotlin.time's 2.seconds)
            if unit is not None:
                return Call(unit, (self.to_value(base),))
        if isinstance(base, ClassValue):
            return self.class_static(base.cls, parts[1], node)
        return self.eval_member(base, parts[1], node, scope)

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        if qual in MAP_BUILDERS:
            pairs = [strip(self.to_value(self.evaluate(a, scope))) for a in site.args[:32]]
            if all(isinstance(p, Seq) and len(p.items) == 2 for p in pairs):
                return Map(tuple((p.items[0], p.items[1]) for p in pairs if isinstance(p, Seq)))
        if qual in LIST_BUILDERS:
            return Seq(tuple(self.to_value(self.evaluate(a, scope)) for a in site.args[:32]))
        return None

    def evaluate(self, node: Node | None, scope: Scope) -> Any:
        if node is not None and node.type == "lambda_literal" and node.parent is not None and node.parent.type == "annotated_lambda":
            return self.config_block(node, scope)
        return super().evaluate(node, scope)

    def config_block(self, lam: Node, scope: Scope) -> Any:
        """A trailing lambda as a value: the ``Map`` of what it configures on its receiver
        (``requestTimeoutMillis = 2000``; ``install(HttpTimeout) { ... }`` under
        ``install(HttpTimeout)``, ``timeout { ... }`` under ``timeout``, ``url("http://x/")``
        under ``url``), else the lambda."""
        items: list[tuple[Any, Any]] = []
        for st in self.named(lam):
            if st.type == "assignment" and self.operator(st) == "=" and (left := st.child_by_field_name("left") or lam).type == "identifier":
                items.append((Const(self.text(left)), self.to_value(self.evaluate(st.child_by_field_name("right"), scope))))
            elif st.type == "call_expression":
                site = self.site(st, scope)
                if site is None or site.func is None or site.func.type != "identifier" or not site.args:
                    continue
                key = self.text(site.func)
                if site.args[-1].type != "lambda_literal":  # url("http://risk/"): the argument
                    items.append((Const(key), self.to_value(self.evaluate(site.args[0], scope))))
                    continue
                if len(site.args) > 1:
                    arg = self.evaluate(site.args[0], scope)
                    key += f"({arg.name if isinstance(arg, Ref) else self.text(site.args[0])})"
                items.append((Const(key), self.config_block(site.args[-1], scope)))
        if not items:
            return FunctionValue(FunctionInfo(lam, scope, f"{scope.qualname}.lambda" if scope.qualname else "lambda", "lambda", self.scope_class(scope)))
        return Map(tuple(items))


__all__ = ["KotlinAnalyzer", "module_path"]
