"""C# adapter: the syntax the generic engine needs to know for C# (tree-sitter-c-sharp).

Names are qualified by namespace: ``HttpClient`` with ``using System.Net.Http;`` (or the SDK's
implicit usings) is ``System.Net.Http.HttpClient``; a simple name resolves against the file's
namespaces, its ``using`` directives, ``using static`` types and ``using X = A.B;`` aliases (also
the ``global using`` directives of another file of the project, its export), and
only to qualified names the rules (or this adapter) know, so a same-file class with a library
type's name stays the local class. What the adapter evaluates:

- literals (integers with ``_``/hex/binary and suffixes, reals, regular, verbatim, raw and
  interpolated strings, chars, ``true``/``false``/``null``), ``const`` and ``static readonly``
  fields (as named constants), properties with initialisers, locals (``var x = ...``, typed
  declarations, ``using var``), ``=`` and ``+=`` in statement order;
- ``TimeSpan.FromMilliseconds/FromSeconds/FromMinutes/FromHours/FromDays(n)`` and
  ``new TimeSpan(h, m, s)`` as milliseconds (a named constant argument stays named);
  ``Timeout.InfiniteTimeSpan`` is ``null`` (no timeout);
- ``new T(...) { P = v }`` and target-typed ``new() { ... }`` as constructions whose initialiser
  properties are the site's ``fields``; named arguments (``deadline: d``) as ``kwargs``; generic
  type arguments (``AddHttpClient<RiskClient>``) as ``type_args``;
- ``Environment.GetEnvironmentVariable("X")`` and configuration reads
  (``configuration["Services:Risk"]``, ``GetValue<string>("K")``, ``GetSection("A")["B"]``,
  ``GetConnectionString("db")``) as ``Env`` values named by the configuration key (``??`` gives the
  default); the address book resolves them against ``appsettings*.json`` of the service;
  an options class bound to a section (``services.Configure<T>(configuration.GetSection("X"))``,
  ``AddOptions<T>().Bind(...)`` / ``.BindConfiguration("X")``, in any file of the project) makes
  ``options.Value.P`` of an ``IOptions<T>`` (the rules' ``options_*`` lists) the key ``X:P``;
- fields and properties of same-file classes: initialisers and assignments anywhere in the class
  (``_http = http`` in a constructor), else the declared type; ``this.x`` and bare member names;
- lambdas: walked as closures; as a value, an options lambda (``c => { c.Timeout = t; }``) is a
  ``Map`` of what it assigns to its parameter, and a factory lambda (``p => p.WaitAndRetryAsync(3)``)
  is the object it returns; a ``lambdas:`` rule entry types an untyped lambda parameter;
- dependency injection: objects of a type listed in a rule's ``inject:`` block (an
  ``AddHttpClient<T>(...)`` registration) are what a constructor parameter of the injected type
  receives in class ``T`` (also in another file of the project) and what a factory call naming the
  registration (``factory.CreateClient("risk")``) returns.

A file's module is its project: the directory of the nearest ``.csproj`` (files of one project
share exports, as Go packages do).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...durations import LIBRARY_DEFAULT
from ...values import Call, Const, Dynamic, Env, Map, Named, Obj, Ref, Value, fold, simplify_concat, strip
from .csharp_project import project_path, words_of  # noqa: F401  (the LanguageSpec's hooks; light to import)
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .policies import CALL_KINDS, LINK_FIELD, exported_refs, policy_export
from .syntax import SyntaxAnalyzer, node_types, option_names
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node


_TIMESPAN = "System.TimeSpan"
_OPTIONS = "$options"  # IOptions<T>: capture class (T's name)
_OPTIONS_VALUE = "$options_value"  # its Value: the configuration section T is bound to (capture section; none: the root)
_GLOBAL_USINGS = "global_usings$"  # the export of a file's global using directives (no "$" prefix: not a registration other projects see)
_OPTIONS_EXPORT = "$options."
_RUNS = "$$runs."  # export: the policies a method runs its delegate parameter under ($$runs.<index>.<Class>.<Method>)
_COVERS = "$$covers."  # export: the policies a call of another file's interface method is made under ($$covers.<Interface>.<Method>)
_CONFIG_GETTER = "$config_getter."  # a project's extension method returning configuration[name]: the argument holding the key  # the export name of a binding, by class: $options.AppSettings
PREDEFINED = frozenset("bool byte sbyte char decimal double float int uint nint nuint long ulong short ushort object string void dynamic".split())
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
FUNCTION_NODES = node_types(
    "method_declaration constructor_declaration local_function_statement lambda_expression",
    "anonymous_method_expression accessor_declaration compilation_unit operator_declaration destructor_declaration",
)
CLASS_NODES = frozenset({"class_declaration", "struct_declaration", "record_declaration", "interface_declaration", "record_struct_declaration"})


@syntax_tables
class CSharpAnalyzer(SyntaxAnalyzer):
    language = "csharp"  # its syntax tables: languages/csharp.toml
    # .NET's constants, env readers (IConfiguration.GetValue too) and conversions: rules/csharp/platform/dotnet.yaml
    ESCAPES = _ESCAPES
    ESCAPE_PATTERN = re.compile(r"\\(u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|x[0-9a-fA-F]{1,4}|.)", re.S)
    SCOPE_AT_LITERAL_TYPES = FUNCTION_NODES
    CLASS_TYPES = CLASS_NODES
    FUNCTION_NODE_TYPES = FUNCTION_NODES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._usings: list[str] = []
        self._aliases: dict[str, str] = {}
        self._static_usings: list[str] = []
        self._namespaces: list[str] = []  # namespaces declared in the file
        self._functions: list[FunctionInfo] = []  # in walking order
        self._fn_by_node: dict[int, FunctionInfo] = {}
        self._member_names: dict[int, set[str]] = {}
        self._main: FunctionInfo | None = None
        self._class_scopes: dict[int, Scope] = {}
        self._class_ns: dict[int, str] = {}  # class node id → its namespace
        self._by_name: dict[str, list[ClassInfo]] = {}  # simple name → same-file classes
        self._calls_by_function: dict[str, list[str]] = {}  # function → the "<Interface>.<Method>" of other files it calls
        self._covered_calls: dict[str, list[Any]] = {}  # "<Interface>.<Method>" of another file → the policies its calls here are made under
        self._scoped_usings: dict[str, list[str]] = {}  # namespace ("" at the top) → its using directives
        self._assigns: dict[int, list[Node]] | None = None
        self._qualified: dict[str, str | None] = {}
        self._constrained = re.search(rb"\bwhere\s+\w+\s*:", self.source) is not None  # type parameter constraints
        self._global_usings: list[tuple[str, str]] = []  # this file's global usings: (using | static | alias, text)
        self._project_usings_read = False
        self._bound: dict[str, Obj] | None = None
        self._getters: dict[str, Obj] | None = (
            None  # the file's configuration getters (_config_getters)  # options classes bound to configuration sections (_options_bindings)
        )

    # ================================================================ names
    def qualify(self, name: str) -> str | None:
        """A simple name → the qualified name a rule (or the adapter) knows, through the file's
        namespaces, its usings and the SDK's implicit usings."""
        if name in self._qualified:
            return self._qualified[name]
        found = self._qualify(name)
        if found is None and not self._project_usings_read and self._usable_name(name) and self._project_usings():
            found = self._qualify(name)  # through another file's global using (GlobalUsings.cs)
        self._qualified[name] = found
        return found

    def _qualify(self, name: str) -> str | None:
        if name in self._aliases:
            return self._aliases[name]
        known = self._known
        for ns in self._namespaces:
            parts = ns.split(".")
            for i in range(len(parts), 0, -1):
                cand = ".".join(parts[:i]) + "." + name
                if cand in known:
                    return cand
        for ns in self._usings:
            cand = f"{ns}.{name}"
            if cand in known:
                return cand
        for ns in self.index.default_imports:  # the SDK's implicit usings (csharp.platform.dotnet)
            cand = f"{ns}.{name}"
            if cand in known:
                return cand
        if name in self._roots:
            return name
        return None

    def unbound_name(self, name: str) -> Any:
        for t in self._static_usings:
            cand = f"{t}.{name}"
            if cand in self._known:
                return self.resolve_ref(cand)
        qual = self.qualify(name)
        if qual is not None:
            return self.resolve_ref(qual)
        if self.module_name and name[:1].isupper():  # a type or constant of another file of the project
            return self.wanted(name) or Ref(f"{self.module_name}.{name}")
        return Dynamic(name)

    def lookup_name(self, name: str, scope: Scope) -> Any:
        b = scope.lookup(name)
        if b is not None:
            return self.binding_value(b, name)
        cls = scope.cls
        while cls is not None:  # a member of the enclosing class (or of an outer class)
            if name in self.member_names(cls):
                return self.instance_member(Instance(cls, "this"), name, None)
            cscope = self._class_scopes.get(cls.node.id)
            if cscope is not None and name in cscope.bindings:
                return self.binding_value(cscope.bindings[name], name)
            if name in cls.methods:
                return FunctionValue(cls.methods[name])
            cls = self._outer_class(cls)
        found = self.visible_class(name, scope.cls)
        if found is not None:
            return ClassValue(found)
        return self.unbound_name(name)

    def context_namespace(self, cls: ClassInfo | None) -> str:
        return self._class_ns.get(cls.node.id, "") if cls is not None else (self._namespaces[-1] if len(self._namespaces) == 1 and self._main is None else "")

    def visible_class(self, name: str, ctx: ClassInfo | None) -> ClassInfo | None:
        """A same-file class a simple name means where ``ctx`` is: one of the context's namespace
        (or an enclosing one), of a ``using``'d namespace, or of the global namespace."""
        found = self._by_name.get(name)
        if not found:
            return None
        here = self.context_namespace(ctx)
        usings = set(self._scoped_usings.get("", ()))
        parts = here.split(".") if here else []
        for i in range(1, len(parts) + 1):
            usings.update(self._scoped_usings.get(".".join(parts[:i]), ()))
        for cls in found:
            ns = self._class_ns.get(cls.node.id, "")
            if not ns or ns == here or here.startswith(ns + ".") or ns in usings:
                return cls
        return None

    def _outer_class(self, cls: ClassInfo) -> ClassInfo | None:
        node = cls.node.parent
        while node is not None:
            if node.type in CLASS_NODES:
                for c in self._classes.values():
                    if c.node.id == node.id:
                        return c
                return None
            node = node.parent
        return None

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        self._prescan_decls(root, "", None)
        self._usings = list(dict.fromkeys(self._usings))
        top = [c for c in root.named_children if c.type == "global_statement"]
        if top:
            fn = FunctionInfo(root, self.module_scope, "Program.Main", "Main")
            self._main = fn
            for g in top:  # local functions of the top-level statements are callable anywhere in them
                for st in g.named_children:
                    if st.type == "local_function_statement":
                        self._declare_local_function(st, self.module_scope, "")

    def _prescan_decls(self, node: Node, namespace: str, outer: ClassInfo | None) -> None:
        for child in node.named_children:
            t = child.type
            if t == "using_directive":
                self._using(child, namespace)
            elif t in ("namespace_declaration", "file_scoped_namespace_declaration"):
                name_node = child.child_by_field_name("name")
                ns = self.text(name_node) if name_node is not None else ""
                full = f"{namespace}.{ns}" if namespace and ns else ns or namespace
                if full and full not in self._namespaces:
                    self._namespaces.insert(0, full)
                body = child.child_by_field_name("body")
                if body is not None:
                    self._prescan_decls(body, full, outer)
            elif t in CLASS_NODES:
                self._declare_class(child, namespace, outer)
            elif t == "declaration_list":
                self._prescan_decls(child, namespace, outer)

    def _using(self, node: Node, namespace: str = "") -> None:
        kids = list(node.children)
        is_static = any(c.type == "static" for c in kids)
        alias = node.child_by_field_name("name")
        target = next(
            (c for c in node.named_children if c.type in ("qualified_name", "identifier", "generic_name", "alias_qualified_name") and c != alias), None
        )
        if target is None:
            return
        text = "".join(self.text(target).split())
        text = text.removeprefix("global::")
        if any(c.type == "global" for c in kids):  # global using: every file of the project sees it (exported)
            self._global_usings.append(
                ("alias" if alias is not None else "static" if is_static else "using", f"{self.text(alias)}={text}" if alias is not None else text)
            )
        if alias is not None:
            self._aliases[self.text(alias)] = re.sub(r"<.*>$", "", text)
        elif is_static:
            self._static_usings.append(text)
        else:
            self._usings.append(text)
            self._scoped_usings.setdefault(namespace, []).append(text)

    def _project_usings(self) -> bool:
        """The ``global using`` directives of the project's other files (their export), applied once;
        True when some were added."""
        if self._project_usings_read or not self.module_name:
            return False
        self._project_usings_read = True
        found = self.wanted(_GLOBAL_USINGS)
        if not isinstance(found, Obj):
            return False
        for how, v in found.captures:
            sv = strip(v)
            text = sv.value if isinstance(sv, Const) else None
            if not isinstance(text, str):
                continue
            if how == "alias":
                alias, _, target = text.partition("=")
                self._aliases.setdefault(alias, re.sub(r"<.*>$", "", target))
            elif how == "static":
                self._static_usings.append(text)
            else:
                self._usings.append(text)
                self._scoped_usings.setdefault("", []).append(text)
        self._qualified.clear()
        return True

    def _usable_name(self, name: str) -> bool:
        """A simple name some qualified name the rules know ends with (only then can a using of another file help)."""
        ends: frozenset[str] | None = self.index.derived.get("csharp_known_ends")
        if ends is None:
            ends = self.index.derived["csharp_known_ends"] = frozenset(n.rpartition(".")[2] for n in self._known)
        return name in ends

    def _declare_class(self, node: Node, namespace: str, outer: ClassInfo | None) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = self.text(name_node)
        qual = f"{outer.qualname}.{name}" if outer is not None else name
        cls = ClassInfo(name, node, self.module_scope, qual)
        self._class_ns[node.id] = namespace
        self._by_name.setdefault(name, []).append(cls)
        if name not in self._classes or outer is None:
            self._classes[name] = cls
        self._classes.setdefault(qual, cls)
        if namespace:
            self._classes.setdefault(f"{namespace}.{qual}", cls)
        cscope = Scope("class", qual, self.module_scope, cls=cls)
        self._class_scopes[node.id] = cscope
        body = node.child_by_field_name("body")
        for member in self.iter_named(body):
            t = member.type
            if t in ("method_declaration", "constructor_declaration", "operator_declaration"):
                mname_node = member.child_by_field_name("name")
                mname = self.text(mname_node) if mname_node is not None else t
                if t == "constructor_declaration":
                    mname = ".ctor"
                fn = FunctionInfo(member, cscope, f"{qual}.{mname if mname != '.ctor' else name}", mname, cls)
                cls.methods.setdefault(mname, fn)
                self._functions.append(fn)
                self._fn_by_node[member.id] = fn
            elif t == "field_declaration":
                const = self._has_modifier(member, ("const",)) or (self._has_modifier(member, ("static",)) and self._has_modifier(member, ("readonly",)))
                if const:
                    decl = next((c for c in member.named_children if c.type == "variable_declaration"), None)
                    tnode = decl.child_by_field_name("type") if decl is not None else None
                    for vname, value in self._declarators(decl):
                        if value is not None:
                            cscope.bindings[vname] = Binding(
                                expr=value, scope=cscope, type_node=tnode if tnode is not None and tnode.type != "implicit_type" else None
                            )
            elif t == "property_declaration":
                for acc in self.iter_named(member.child_by_field_name("accessors"), ("accessor_declaration",)):
                    if acc.child_by_field_name("body") is not None or any(c.type in ("block", "arrow_expression_clause") for c in acc.named_children):
                        self._declare_property_body(acc, member, cscope, qual, cls)
                value = member.child_by_field_name("value")
                if value is not None and value.type == "arrow_expression_clause":  # string X => "...": a getter
                    self._declare_property_body(value, member, cscope, qual, cls)
            elif t in CLASS_NODES:
                self._declare_class(member, namespace, cls)

    @staticmethod
    def _has_modifier(node: Node, words: tuple[str, ...]) -> bool:
        for c in node.children:
            if c.type == "modifier":
                if c.text is not None and c.text.decode() in words:
                    return True
        return False

    def _declare_property_body(self, body: Node, member: Node, cscope: Scope, qual: str, cls: ClassInfo) -> None:
        """A property's accessor or ``=>`` getter, as a function named after the property."""
        pname = member.child_by_field_name("name")
        prop = self.text(pname) if pname is not None else "property"
        fn = FunctionInfo(body, cscope, f"{qual}.{prop}", prop, cls)
        self._functions.append(fn)
        self._fn_by_node[body.id] = fn

    def _declarators(self, decl: Node | None) -> list[tuple[str, Node | None]]:
        out: list[tuple[str, Node | None]] = []
        for d in self.iter_named(decl, ("variable_declarator",)):
            name_node = d.child_by_field_name("name")
            if name_node is None:
                continue
            out.append((self.text(name_node), self._declarator_value(d)))
        return out

    @staticmethod
    def _declarator_value(d: Node) -> Node | None:
        seen_eq = False
        for c in d.children:
            if seen_eq:
                if c.type == "equals_value_clause" and c.named_children:
                    return c.named_children[0]
                return c
            if c.type == "=":
                seen_eq = True
        for c in d.named_children:  # older grammars: equals_value_clause
            if c.type == "equals_value_clause" and c.named_children:
                return c.named_children[0]
        return None

    def walk_root(self, root: Node) -> None:
        if self._main is not None:
            self.walk_function(self._main)
        for cls in list({id(c): c for same in self._by_name.values() for c in same}.values()):  # field and property initialisers (a policy held in a field)
            cscope = self._class_scopes.get(cls.node.id, self.module_scope)
            for member in self.iter_named(cls.node.child_by_field_name("body")):
                if member.type == "field_declaration":
                    decl = next((c for c in member.named_children if c.type == "variable_declaration"), None)
                    for _, value in self._declarators(decl):
                        self.walk_expr(value, cscope)
                elif member.type == "property_declaration":
                    value = member.child_by_field_name("value")
                    if value is not None and value.type != "arrow_expression_clause":
                        self.walk_expr(value, cscope)
        for fn in self._functions:
            self.walk_function(fn)
        if self.index.classes:
            for cls in list(dict.fromkeys(self._classes.values())):
                self.match_classes(cls)
        self.covered_elsewhere()

    # ================================================================ policies across the files of a project
    def covered_elsewhere(self) -> None:
        """The calls an interface's methods declare (a Refit client's ``[Get("/x")]``) that another
        file of the project calls under a policy (``_api.GetCustomers()`` in a lambda a helper runs
        under a retry): covered by it (that file's export ``$$covers.<Interface>.<Method>``)."""
        if not self.module_name:
            return
        for fn in self._functions:
            if fn.cls is None or fn.cls.node.type != "interface_declaration":
                continue
            facts = [f for f in self.policies.facts_in_function.get(fn.qualname, ()) if f.kind in CALL_KINDS]
            refs = exported_refs(self._wanted_registration(f"{_COVERS}{fn.cls.name}.{fn.name}")) if facts else []
            for fact in facts if refs else ():
                links = fact.fields.setdefault(LINK_FIELD, [])
                links.extend(r for r in refs if r not in links)

    def declared_type_name(self, node: Node, scope: Scope) -> str | None:
        """The simple name of the declared type of ``x`` / ``this.x``: a typed local or parameter, else
        a field, property or primary constructor parameter of the enclosing classes (``private readonly
        ICatalogApi _api;``: ``collect_members``' ``member_types``)."""
        if node.type == "member_access_expression":
            expr, name = node.child_by_field_name("expression"), node.child_by_field_name("name")
            if expr is None or expr.type != "this_expression" or name is None:
                return None
            node = name
        elif node.type != "identifier":
            return None
        text = self.text(node)
        b = scope.lookup(text) if node.parent is None or node.parent.type != "member_access_expression" else None
        tnode = b.type_node if b is not None else None
        cls = scope.cls
        while tnode is None and cls is not None:
            if cls.members is None:
                self.collect_members(cls)  # (member_types: its fields', properties' and primary constructor parameters' types)
            tnode = cls.member_types[text][0] if text in cls.member_types else None
            cls = self._outer_class(cls)
        if tnode is None or tnode.type == "implicit_type":
            return None
        return self._simple_name(tnode).rpartition(".")[2].rstrip("?") or None

    def match_call(self, site: Site, scope: Scope) -> None:
        """A call of another file's method through a typed field or variable (``_helper.ExecuteResilient(
        async () => ..., fallback)``): the lambdas passed where that method runs its delegate parameter
        under a policy are covered by it (its export ``$$runs.<index>.<Class>.<Method>``); a call of an
        interface's method made under a policy is reported for that interface's file (``$$covers.``)."""
        parts = self.member_parts(site.func) if site.func is not None and self.module_name else None
        tname = self.declared_type_name(parts[0], scope) if parts is not None else None
        if parts is not None and tname is not None and self.visible_class(tname, scope.cls) is None:
            for i in range(len(site.args)):
                arg = self.find_arg(site, i, None)
                if arg is not None and arg.type in self.FUNCTION_TYPES:
                    refs = exported_refs(self._wanted_registration(f"{_RUNS}{i}.{tname}.{parts[1]}"))
                    if refs:
                        known = self._literal_policies.setdefault(arg.id, [])
                        known.extend(r for r in refs if r not in known)
            if self.policies.stack:
                known = self._covered_calls.setdefault(f"{tname}.{parts[1]}", [])
                known.extend(r for r in self.policies.stack if r not in known)
            if scope.function is not None:  # (a same-file method a policy's scope calls: policies.calls_in_scope)
                self._calls_by_function.setdefault(scope.function.qualname, []).append(f"{tname}.{parts[1]}")
        super().match_call(site, scope)

    def export_policy_runs(self) -> None:
        """This file's methods running a delegate parameter under a policy (``$$runs.``) and the
        policies its calls of other files' interface methods are made under (``$$covers.``), for the
        files of the project (``match_call``, ``covered_elsewhere``)."""
        for (function, index), refs in sorted(self.policies.param_runs.items()):
            fn = next((f for f in self._functions if f.qualname == function and f.cls is not None), None)
            if fn is not None and fn.cls is not None and refs:
                self.result.exports.setdefault(f"{_RUNS}{index}.{fn.cls.name}.{fn.name}", policy_export(refs, self.path))
        for ref, functions in self.policies.calls_in_scope.items():
            for function in sorted(functions):
                for called in self._calls_by_function.get(function, ()):
                    known = self._covered_calls.setdefault(called, [])
                    known.append(ref) if ref not in known else None
        for called, refs in sorted(self._covered_calls.items()):
            self.result.exports.setdefault(f"{_COVERS}{called}", policy_export(refs, self.path))

    # ================================================================ functions
    def _declare_local_function(self, node: Node, scope: Scope, prefix: str) -> FunctionInfo:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "local"
        fn = self._fn_by_node.get(node.id)
        if fn is None:
            fn = FunctionInfo(node, scope, f"{prefix}.{name}" if prefix else name, name, scope.cls)
            self._fn_by_node[node.id] = fn
        scope.bindings[name] = Binding(value=FunctionValue(fn))
        return fn

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        if node.type == "compilation_unit":
            return [("args", None)]
        if node.type in ("accessor_declaration", "arrow_expression_clause"):
            return [("value", None)] if node.type == "accessor_declaration" else []
        plist = node.child_by_field_name("parameters")
        if plist is None and node.type in CLASS_NODES:
            plist = next((c for c in node.named_children if c.type == "parameter_list"), None)
        if plist is None:
            return []
        if plist.type == "implicit_parameter" or plist.type == "identifier":
            return [(self.text(plist), None)]
        out: list[tuple[str, Node | None]] = []
        for p in plist.named_children:
            if p.type == "parameter":
                name = p.child_by_field_name("name")
                tnode = p.child_by_field_name("type")
                out.append((self.text(name) if name is not None else "", tnode))
            elif p.type == "implicit_parameter":
                out.append((self.text(p), None))
            elif p.type == "identifier" and plist.field_name_for_named_child(plist.named_children.index(p)) == "name":
                out.append((self.text(p), None))
        return out

    def function_receiver(self, node: Node) -> tuple[str, Node | None] | None:
        return None

    def class_receiver(self, cls: ClassInfo) -> Obj | None:
        """An interface's methods have the object registered for it by type (a declarative client:
        ``AddRefitClient<ICatalogService>().ConfigureHttpClient(...)``, in this file or another file of
        the project) as their decorators' receiver, when no attribute of the interface builds one."""
        found = super().class_receiver(cls)
        if found is not None or cls.node.type != "interface_declaration" or not self.index.inject:
            return found
        for spec in self.index.inject.values():
            if spec.get("by") != "type":
                continue
            as_type = spec.get("as", "")
            self.scan_registrations()
            reg = self._registry.get((as_type, cls.name))
            if reg is None and self.module_name:
                reg = self._wanted_registration(self.registry_name(as_type, cls.name))
            if reg is not None:
                return self.with_defaults(reg, spec)
        return None

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = super().function_scope(fn, args)
        node = fn.node
        if self.index.inject and args is None and node.type != "compilation_unit":
            ctor = fn.cls is not None and (node.type == "constructor_declaration" or node.type in CLASS_NODES)
            for name, tnode in self.function_params(node):
                if tnode is None or not name:
                    continue
                injected = self.injected(tnode, fn.cls if ctor else None, fn.scope)
                if injected is not None:
                    scope.bindings[name] = Binding(value=injected)
        return scope

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        node = fn.node
        if node.type == "compilation_unit":
            for g in node.named_children:
                if g.type == "global_statement":
                    for st in g.named_children:
                        if st.type == "local_function_statement":
                            self._declare_local_function(st, scope, "")
                    for st in g.named_children:
                        self.walk_statement(st, scope)
            return
        if node.type == "arrow_expression_clause":
            self.walk_statement(node, scope)
            return
        if node.type in CLASS_NODES:
            return
        body = node.child_by_field_name("body")
        if body is None:
            body = next((c for c in node.named_children if c.type in ("block", "arrow_expression_clause")), None)
        if body is None:
            return
        if body.type == "block":
            for st in body.named_children:
                if st.type == "local_function_statement":
                    self._declare_local_function(st, scope, fn.qualname)
        self.walk_statement(body, scope)

    # ---------------------------------------------------------------- binding without walking (syntax.py's scan_function)
    def function_body(self, node: Node) -> Node | None:
        """The top-level statements' unit, a block, or an expression body's expression."""
        if node.type == "compilation_unit":
            return node
        body = node if node.type == "arrow_expression_clause" else node.child_by_field_name("body")
        if body is None:
            body = next((c for c in node.named_children if c.type in ("block", "arrow_expression_clause")), None)
        if body is not None and body.type == "arrow_expression_clause":
            return body.named_children[0] if body.named_children else (None if node is body else body)
        return body

    def scan_local(self, st: Node, scope: Scope) -> None:
        self.bind_declaration(self._decl_of(st), scope)

    def scan_assignment(self, st: Node, scope: Scope) -> None:
        expr = st.named_children[0] if st.named_children else None
        if expr is not None and expr.type == "assignment_expression":
            self.assign(expr, scope, walk=False)

    def scan_local_function(self, st: Node, scope: Scope) -> None:
        self._declare_local_function(st, scope, scope.qualname)

    def scan_using(self, st: Node, scope: Scope, returns: list[Node]) -> None:
        decl = next((c for c in st.named_children if c.type == "variable_declaration"), None)
        if decl is not None:
            self.bind_declaration(decl, scope)
        body = st.child_by_field_name("body")
        if body is not None:
            self.scan_nodes([body], scope, returns)

    # ================================================================ statements
    @staticmethod
    def _decl_of(st: Node) -> Node | None:
        return next((c for c in st.named_children if c.type == "variable_declaration"), None)

    def st_local(self, node: Node, scope: Scope) -> None:
        decl = self._decl_of(node)
        for _, value in self._declarators(decl):
            self.walk_expr(value, scope)
        self.bind_declaration(decl, scope)

    def bind_declaration(self, decl: Node | None, scope: Scope) -> None:
        if decl is None:
            return
        tnode = decl.child_by_field_name("type")
        if tnode is not None and tnode.type == "implicit_type":
            tnode = None
        for name, value in self._declarators(decl):
            if value is None:
                self.bind(scope, name, type_node=tnode) if tnode is not None else self.bind(scope, name, value=Dynamic(name))
            elif value.type == "this":
                self.bind(scope, name, value=Instance(scope.cls, "this") if scope.cls is not None else Dynamic(name))
            else:
                self.bind(scope, name, expr=value, type_node=tnode)

    def st_assignment(self, node: Node, scope: Scope) -> None:
        self.assign(node, scope, walk=True)

    def assign(self, node: Node, scope: Scope, walk: bool) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is None or left is None:
            return
        if walk:
            self.walk_expr(right, scope)
            if left.type != "identifier":
                self.walk_expr(left, scope)
        op_node = node.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else "="
        if left.type == "identifier":
            name = self.text(left)
            owner = scope.owner_of(name)
            if owner is not None and owner.kind == "class":
                return  # a constant of the class
            if owner is None and scope.cls is not None and name in self.member_names(scope.cls):
                return  # a field of the class: collect_members sees the assignment
            if op == "=":
                if right.type == "this":
                    self.bind(scope, name, value=Instance(scope.cls, "this") if scope.cls is not None else Dynamic(name), rebind=True)
                else:
                    self.bind(scope, name, expr=right, rebind=True)
            elif op == "??=":
                cur = self.lookup_name(name, scope)
                inner = strip(cur) if self.is_value(cur) else None
                if isinstance(inner, Env) and inner.default is None:
                    self.bind(scope, name, value=Named(name, Env(inner.var, self.to_value(self.evaluate(right, scope)))), rebind=True)
            else:
                binop = self.BINARY_OPS.get(op[:-1])
                cur = self.lookup_name(name, scope)
                new = self.eval_binary(binop, cur, self.evaluate(right, scope), node) if binop else Opaque(node)
                self.bind(scope, name, value=new if not isinstance(new, Opaque) else Dynamic(name), rebind=True)
            return
        if left.type == "member_access_expression" and op == "=":
            base = left.child_by_field_name("expression")
            fld = left.child_by_field_name("name")
            if base is not None and fld is not None and base.type == "identifier":
                self.set_field(self.text(base), self.text(fld), right, scope)
            if self.idflow is not None and self.idflow.active() and base is not None and fld is not None and base.type == "identifier":
                self.idflow.store(scope, self.text(base), self.text(fld), right)
        elif left.type == "element_access_expression" and op == "=" and self.idflow is not None and self.idflow.active():
            base = left.child_by_field_name("expression")
            sub = left.child_by_field_name("subscript")
            key = None
            if sub is not None and sub.named_children:
                k = strip(self.to_value(self.evaluate(sub.named_children[0], scope)))
                key = str(k.value) if isinstance(k, Const) else None
            if base is not None and base.type == "identifier":
                self.idflow.store(scope, self.text(base), key, right)

    def st_return(self, node: Node, scope: Scope) -> None:
        for child in node.named_children:
            self.walk_expr(child, scope)

    def walk_loop_init(self, init: Node, scope: Scope) -> None:
        if init.type == "variable_declaration":
            for _, v in self._declarators(init):
                self.walk_expr(v, scope)
            self.bind_declaration(init, scope)
        else:
            self.walk_expr(init, scope)

    def st_try(self, node: Node, scope: Scope) -> None:
        self.walk_try_body(node, scope)
        try:
            for c in node.named_children:
                if c.type in ("catch_clause", "finally_clause"):
                    for part in c.named_children:
                        if part.type == "block":
                            self.walk_statement(part, scope)
                        elif part.type == "catch_filter_clause":
                            self.walk_expr(part, scope)
        finally:
            self.impl_event("after_try", node, scope)

    def st_using(self, node: Node, scope: Scope) -> None:
        decl = next((c for c in node.named_children if c.type == "variable_declaration"), None)
        if decl is not None:
            for _, v in self._declarators(decl):
                self.walk_expr(v, scope)
            self.bind_declaration(decl, scope)
        else:
            for c in node.named_children:
                if c.type not in ("block",) and c != node.child_by_field_name("body"):
                    self.walk_expr(c, scope)
        body = node.child_by_field_name("body")
        if body is not None:
            self.walk_statement(body, scope)

    def st_local_function(self, node: Node, scope: Scope) -> None:
        fn = self._declare_local_function(node, scope, scope.qualname if scope.function is not None and scope.function.node.type != "compilation_unit" else "")
        self.walk_function(fn)

    # ================================================================ retry-loop hooks
    def handler_types(self, handler: Node, scope: Scope) -> list[str]:
        decl = next((c for c in handler.named_children if c.type == "catch_declaration"), None)
        tnode = decl.child_by_field_name("type") if decl is not None else None
        if tnode is None:
            return []
        r = self.resolve_type(tnode, scope)
        own = isinstance(r, Ref) and bool(self.module_name) and r.qualname.startswith(self.module_name + ".")
        return [r.qualname if isinstance(r, Ref) and not own else self.anchor_text(tnode, 80)]  # a library type by its qualified name

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        t = node.type
        if t == "invocation_expression":
            func = node.child_by_field_name("function")
            args, kwargs = self._arguments(node.child_by_field_name("arguments"))
            site = Site(node, func, None, args, kwargs, None)
            if func is not None:
                name = func.child_by_field_name("name") if func.type == "member_access_expression" else func
                if name is not None and name.type == "generic_name":
                    site.type_args = self._type_args(name)
            return site
        if t in ("object_creation_expression", "implicit_object_creation_expression"):
            tnode = node.child_by_field_name("type") if t == "object_creation_expression" else self._target_type(node)
            alist = node.child_by_field_name("arguments") or next((c for c in node.named_children if c.type == "argument_list"), None)
            args, kwargs = self._arguments(alist)
            init = node.child_by_field_name("initializer") or next((c for c in node.named_children if c.type == "initializer_expression"), None)
            fields: dict[str, Node] = {}
            for el in self.iter_named(init):
                if el.type == "assignment_expression":
                    left, right = el.child_by_field_name("left"), el.child_by_field_name("right")
                    if left is not None and right is not None and left.type == "identifier":
                        fields[self.text(left)] = right
            site = Site(node, None, tnode, args, kwargs, fields)
            if tnode is not None and tnode.type == "generic_name":
                site.type_args = self._type_args(tnode)
            return site
        return None

    def _type_args(self, generic: Node) -> list[Node]:
        tal = next((c for c in generic.named_children if c.type == "type_argument_list"), None)
        return self.named(tal)

    def _target_type(self, node: Node) -> Node | None:
        """The declared type a target-typed ``new()`` builds (``HttpClient c = new() {...}``)."""
        parent = node.parent
        if parent is not None and parent.type == "equals_value_clause":
            parent = parent.parent
        if parent is not None and parent.type == "variable_declarator":
            decl = parent.parent
            tnode = decl.child_by_field_name("type") if decl is not None else None
            return tnode if tnode is not None and tnode.type != "implicit_type" else None
        if parent is not None and parent.type == "property_declaration":
            return parent.child_by_field_name("type")
        return None

    def _arguments(self, alist: Node | None) -> tuple[list[Node], dict[str, Node]]:
        args: list[Node] = []
        kwargs: dict[str, Node] = {}
        for a in self.iter_named(alist):
            if a.type != "argument":
                continue
            name = a.child_by_field_name("name")
            expr = next((c for c in a.named_children if c != name and c.type not in ("comment", "modifier")), None)
            if expr is None:
                expr = a  # `this` (an unnamed token): the argument itself
            if name is not None:
                kwargs[self.text(name)] = expr
            else:
                args.append(expr)
        return args, kwargs

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        if node.type == "member_access_expression":
            base = node.child_by_field_name("expression")
            name = node.child_by_field_name("name")
            if base is not None and name is not None:
                return base, self._simple_name(name)
        elif node.type == "conditional_access_expression":
            base = node.child_by_field_name("condition")
            binding = next((c for c in node.named_children if c.type == "member_binding_expression"), None)
            name = binding.child_by_field_name("name") if binding is not None else None
            if base is not None and name is not None:
                return base, self._simple_name(name)
        return None

    def _simple_name(self, node: Node) -> str:
        if node.type == "generic_name":
            ident = next((c for c in node.named_children if c.type == "identifier"), None)
            return self.text(ident) if ident is not None else self.text(node)
        return self.text(node)

    def resolve_type(self, type_node: Node | None, scope: Scope, depth: int = 0) -> Any:
        node = type_node
        if node is None or depth > 8:
            return None
        t = node.type
        if t == "nullable_type":
            inner = node.child_by_field_name("type") or (node.named_children[0] if node.named_children else None)
            return self.resolve_type(inner, scope, depth + 1)
        if t == "generic_name":
            name = self._simple_name(node)
            return self._resolve_simple_type(name, scope)
        if t == "identifier":
            constraint = self._constraint(node) if self._constrained else None
            if constraint is not None:  # TBuilder where TBuilder : IHostApplicationBuilder
                return self.resolve_type(constraint, scope, depth + 1)
            return self._resolve_simple_type(self.text(node), scope)
        if t in ("qualified_name", "alias_qualified_name"):
            text = "".join(self.text(node).split()).removeprefix("global::")
            text = re.sub(r"<[^<>]*>", "", text)
            head, _, rest = text.partition(".")
            if head in self._aliases:
                return Ref(f"{self._aliases[head]}.{rest}" if rest else self._aliases[head])
            qual = self.qualify(head)
            if qual is not None and rest:
                return Ref(f"{qual}.{rest}")
            if text in self._known:
                return Ref(text)
            last = text.rpartition(".")[2]
            cls = self._classes.get(text) or (self._classes.get(last) if head in self._classes else None)
            if cls is not None:
                return ClassValue(cls)
            return Ref(f"{self.module_name}.{text}" if self.module_name else text)
        return None

    def _resolve_simple_type(self, name: str, scope: Scope | None = None) -> Any:
        cls = self.visible_class(name, scope.cls if scope is not None else None)
        if cls is not None:
            return ClassValue(cls)
        qual = self.qualify(name)
        if qual is not None:
            return Ref(qual)
        return None

    def _declared_instance(self, type_node: Node, scope: Scope, name: str, unknown: bool) -> Any:
        t = self.resolve_type(type_node, scope)
        if isinstance(t, Ref) and t.qualname not in self.index.ctors and any(o.requires is not None for o in self.index.ctor(t.qualname)):
            return Dynamic(name)  # a type matched by a pattern only when built with a channel (*Client): a declaration says nothing
        return super().declared_instance(type_node, scope, name, unknown)

    def short_text(self, node: Node) -> str:
        if node.type in self.FUNCTION_TYPES:
            body = node.child_by_field_name("body")
            if body is not None and body.type != "block":  # an expression lambda: its text
                return self.anchor_text(node, 200)
            params = node.child_by_field_name("parameters")
            return (" ".join(self.text(params).split()) if params is not None else "()") + " => {...}"
        return self.anchor_text(node, 200)

    def exported(self, name: str) -> bool:
        return name[:1].isupper() and name != ".ctor"

    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        if node.type == "anonymous_object_creation_expression":
            out: list[tuple[str | None, Node | None]] = []
            kids = self.named(node)
            i = 0
            while i < len(kids):
                k = kids[i]
                if k.type == "identifier" and i + 1 < len(kids) and self._anon_is_named(node, k):
                    out.append((self.text(k), kids[i + 1]))
                    i += 2
                    continue
                if k.type == "identifier":
                    out.append((self.text(k), k))
                elif k.type == "member_access_expression":
                    out.append((self.text(kname) if (kname := k.child_by_field_name("name")) is not None else None, k))
                else:
                    out.append((None, k))
                i += 1
            return out
        if node.type in ("object_creation_expression", "implicit_object_creation_expression"):
            init = node.child_by_field_name("initializer") or next((c for c in node.named_children if c.type == "initializer_expression"), None)
            pairs: list[tuple[str | None, Node | None]] = []
            for el in self.iter_named(init):
                if el.type == "assignment_expression":
                    left = el.child_by_field_name("left")
                    pairs.append((self.text(left) if left is not None else None, el.child_by_field_name("right")))
                elif el.type == "initializer_expression":  # a dictionary initialiser: { "k", v }
                    kv = self.named(el)
                    if len(kv) == 2:
                        key = strip(self.to_value(self.evaluate(kv[0], self.module_scope)))
                        pairs.append((str(key.value) if isinstance(key, Const) else None, kv[1]))
            alist = node.child_by_field_name("arguments")
            for a in self.iter_named(alist, ("argument",)):
                pairs.append((None, a))
            return pairs if pairs else None
        return None

    def _anon_is_named(self, node: Node, ident: Node) -> bool:
        """In ``new { Key = v }`` the identifier is followed by ``=``."""
        found = False
        for c in node.children:
            if found:
                return c.type == "="
            if c.id == ident.id:
                found = True
        return False

    def class_bases(self, cls: ClassInfo) -> list[str]:
        out: list[str] = []
        bl = next((c for c in cls.node.named_children if c.type == "base_list"), None)
        for b in self.iter_named(bl):
            if b.type == "primary_constructor_base_type":
                b = b.named_children[0] if b.named_children else b
            text = re.sub(r"<.*>", "", "".join(self.text(b).split())).removeprefix("global::")
            parts = text.split(".")
            if len(parts) >= 2 and parts[-1] == parts[-2] + "Base":  # protoc's C# plugin: Risk.RiskBase
                out.append(f"grpc.ServiceBase.{parts[-2]}")
                continue
            service = self._static_grpc_base(parts[0]) if len(parts) == 1 and parts[0].endswith("Base") and parts[0] not in self._by_name else None
            if service is not None:  # using static CatalogApi.Catalog; ... : CatalogBase
                out.append(f"grpc.ServiceBase.{service}")
                continue
            r = self.resolve_type(b, self.module_scope)
            if isinstance(r, Ref):
                out.append(r.qualname)
            elif isinstance(r, ClassValue):
                out.append(r.cls.qualname)
            else:
                out.append("".join(self.text(b).split()))
        return out

    def _static_grpc_base(self, name: str) -> str | None:
        """``CatalogBase`` named through ``using static CatalogApi.Catalog;`` (this file's, else a
        global one of the project): protoc's generated base of the service ``Catalog``."""
        for attempt in range(2):
            found = next((t.rpartition(".")[2] for t in self._static_usings if t.rpartition(".")[2] + "Base" == name), None)
            if found is not None or attempt or self.qualify(name) is not None or not self._project_usings():
                return found
        return None

    def position(self, node: Node) -> tuple[int, int]:
        """A call at the end of a chain spanning lines (``new Builder()\n.AddRetry(...)``) is
        reported at its method name, not at the chain's first line."""
        if node.type == "invocation_expression":
            func = node.child_by_field_name("function")
            if func is not None and func.type == "member_access_expression":
                name = func.child_by_field_name("name")
                if name is not None and name.start_point[0] != node.start_point[0]:
                    return super().position(name)
        return super().position(node)

    def match_classes(self, cls: ClassInfo) -> None:
        """A generated gRPC base: only the ``override`` methods are RPCs."""
        bases = self.class_bases(cls) if self.index.classes else []
        if not any(b.startswith("grpc.ServiceBase.") for b in bases):
            super().match_classes(cls)
            return
        saved = cls.methods
        cls.methods = {k: v for k, v in saved.items() if self._has_modifier(v.node, ("override",))}
        try:
            super().match_classes(cls)
        finally:
            cls.methods = saved

    def _policy_count(self, qual: str) -> int:
        return sum(1 for sp in self.index.call_specs(qual) if sp.kind in ("retry_policy", "circuit_breaker"))

    @staticmethod
    def _second_policy_node(node: Node) -> Node | None:
        func = node.child_by_field_name("function") if node.type == "invocation_expression" else None
        return func.child_by_field_name("name") if func is not None and func.type == "member_access_expression" else None

    def emit(
        self, kind: str, rule_id: str, node: Node, fields: dict[str, Any], scope: Scope | None = None, anchor: str | None = None, receiver: Any = None
    ) -> Any:
        if kind in ("retry_policy", "circuit_breaker") and node.id in self._emitted:
            second = self._second_policy_node(node)  # the second policy fact of one call: at the method name (its own key)
            if second is not None and second.id not in self._emitted:
                anchor = anchor if anchor is not None else self.anchor_text(node)
                node = second
        if kind == "endpoint" and scope is not None and scope.cls is not None and "path" in fields:
            fields["path"] = self.route_tokens(fields["path"], scope)  # the rules' route_tokens ([controller])
        return super().emit(kind, rule_id, node, fields, scope, anchor, receiver)

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        node = fn.node
        if node.type == "arrow_expression_clause" or node.type == "compilation_unit":
            return []
        out = self._attributes(node, fn.scope)
        for param in self.iter_named(node.child_by_field_name("parameters"), ("parameter",)):  # Run([ServiceBusTrigger("q")] string m)
            out += self._attributes(param, fn.scope)
        return out

    def class_decorators(self, cls: ClassInfo) -> list[Site]:
        return self._attributes(cls.node, cls.scope)

    def _attributes(self, node: Node, scope: Scope) -> list[Site]:
        out: list[Site] = []
        for al in node.named_children:
            if al.type != "attribute_list":
                continue
            for attr in al.named_children:
                if attr.type != "attribute":
                    continue
                name = attr.child_by_field_name("name")
                if name is None:
                    continue
                args: list[Node] = []
                kwargs: dict[str, Node] = {}
                for a in self.iter_named(next((c for c in attr.named_children if c.type == "attribute_argument_list"), None), ("attribute_argument",)):
                    aname = a.child_by_field_name("name")
                    expr = next((c for c in a.named_children if c != aname and c.type != "comment"), None)
                    if expr is None:
                        continue
                    if aname is not None:
                        kwargs[self.text(aname)] = expr
                    else:
                        args.append(expr)
                out.append(Site(attr, name, None, args, kwargs, None))
        return out

    # ================================================================ members
    def member_names(self, cls: ClassInfo) -> set[str]:
        found = self._member_names.get(cls.node.id)
        if found is not None:
            return found
        names: set[str] = set()
        body = cls.node.child_by_field_name("body")
        for member in self.iter_named(body):
            if member.type == "field_declaration":
                decl = next((c for c in member.named_children if c.type == "variable_declaration"), None)
                const = self._has_modifier(member, ("const",)) or (self._has_modifier(member, ("static",)) and self._has_modifier(member, ("readonly",)))
                if not const:
                    names.update(n for n, _ in self._declarators(decl))
            elif member.type == "property_declaration":
                pname = member.child_by_field_name("name")
                value = member.child_by_field_name("value")
                if pname is not None and not (value is not None and value.type == "arrow_expression_clause"):
                    names.add(self.text(pname))
        for param, _ in self.function_params(cls.node):  # a primary constructor's parameters
            if param:
                names.add(param)
        self._member_names[cls.node.id] = names
        return names

    def collect_members(self, cls: ClassInfo) -> None:
        """Field and property initialisers, primary-constructor parameters, and assignments
        (``_x = v``, ``this._x = v``) anywhere in the class."""
        cls.members = {}
        names = self.member_names(cls)
        body = cls.node.child_by_field_name("body")
        cscope = self._class_scopes.get(cls.node.id, self.module_scope)
        for member in self.iter_named(body):
            if member.type == "field_declaration":
                decl = next((c for c in member.named_children if c.type == "variable_declaration"), None)
                tnode = decl.child_by_field_name("type") if decl is not None else None
                for name, value in self._declarators(decl):
                    if name not in names:
                        continue
                    if tnode is not None and tnode.type != "implicit_type":
                        cls.member_types[name] = (tnode, cscope)
                    if value is not None:
                        cls.members.setdefault(name, []).append((value, cscope))
            elif member.type == "property_declaration":
                pname = member.child_by_field_name("name")
                tnode = member.child_by_field_name("type")
                if pname is None or self.text(pname) not in names:
                    continue
                if tnode is not None:
                    cls.member_types[self.text(pname)] = (tnode, cscope)
                value = member.child_by_field_name("value")
                if value is not None:
                    cls.members.setdefault(self.text(pname), []).append((value, cscope))
        if any(c.type == "parameter_list" for c in cls.node.named_children):  # a primary constructor
            pfn = FunctionInfo(cls.node, cscope, f"{cls.qualname}.{cls.name}", cls.name, cls)
            pscope = self.function_scope(pfn)
            for param, tnode in self.function_params(cls.node):
                b = pscope.bindings.get(param) if param else None
                if b is None:
                    continue
                if isinstance(b.value, Obj):  # injected
                    cls.member_cache[param] = b.value
                elif tnode is not None:
                    cls.member_types.setdefault(param, (tnode, cscope))
        for node in self._assignments().get(cls.node.id, ()):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            op = node.child_by_field_name("operator")
            if left is None or right is None or (op is not None and self.text(op) != "="):
                continue
            assigned: str | None = None
            if left.type == "identifier" and self.text(left) in names:
                assigned = self.text(left)
            elif left.type == "member_access_expression":
                base = left.child_by_field_name("expression")
                fld = left.child_by_field_name("name")
                if base is not None and base.type == "this" and fld is not None:
                    assigned = self.text(fld)
            if assigned is None:
                continue
            scope = self.scope_at(node)
            owner = scope.owner_of(assigned) if left.type == "identifier" else None
            if owner is not None and owner.kind == "function":
                continue  # a local of the same name
            cls.members.setdefault(assigned, []).append((right, scope))

    def _assignments(self) -> dict[int, list[Node]]:
        """The file's assignments by enclosing class (found once, with a query)."""
        found = self._assigns
        if found is not None:
            return found
        found = self._assigns = {}
        if self._query is None:
            return found
        from tree_sitter import QueryCursor

        for node in QueryCursor(self._query("(assignment_expression) @a")).captures(self.tree.root_node).get("a", ()):
            parent = node.parent
            while parent is not None and parent.type not in CLASS_NODES:
                parent = parent.parent
            if parent is not None:
                found.setdefault(parent.id, []).append(node)
        return found

    def function_of(self, node: Node) -> FunctionInfo | None:
        """``scope_at``'s view: a declared method, accessor or local function, the top-level statements."""
        if node.type not in FUNCTION_NODES:
            return None
        return self._fn_by_node.get(node.id) or (self._main if node.type == "compilation_unit" else None)

    # ================================================================ dependency injection

    def registration_expr(self, node: Node) -> Node | None:
        return self._declarator_value(node) if node.type == "variable_declarator" else super().registration_expr(node)

    def type_key(self, type_node: Node) -> str:
        return super().type_key(type_node).removeprefix("global::").rstrip("?")

    def constructed(self, obj: Obj, site: Site, qual: str, receiver: Obj | None) -> Obj:
        second = self._second_policy_node(site.node) if site.func is not None and self._policy_count(qual) > 1 else None
        if second is not None:  # a call emitting two policy facts (retry + breaker): the second is at the method name
            obj = self.with_capture(obj, "_chain", Obj("$policy", (), "", f"{self.path}#{self.node_key(second)}"), append=True)
        if receiver is not None and receiver.origin and receiver.origin != obj.origin and receiver.type == obj.type:
            # a builder step (pipeline.AddRetry(...).AddCircuitBreaker(...)): the earlier steps' facts stay attached
            obj = self.with_capture(obj, "_chain", Obj("$policy", (), "", receiver.origin), append=True)
        defaults = self._library_defaults().get(qual)
        if defaults and not site.args and not site.kwargs:  # AddStandardResilienceHandler(): its 30 s is the library's default
            obj = Obj(
                obj.type, tuple((k, Named(LIBRARY_DEFAULT, v) if k in defaults and isinstance(v, Const) else v) for k, v in obj.captures), obj.name, obj.origin
            )
        return obj

    def _library_defaults(self) -> dict[str, frozenset[str]]:
        """The rules' ``options: library_defaults: {constructor: [capture, ...]}``: captures whose value,
        when the call passes no argument, is the library's documented default (timeout_source library_default)."""
        found: dict[str, frozenset[str]] | None = self.index.derived.get("csharp_library_defaults")
        if found is None:
            found = {}
            for rule in self.index.rules:
                for ctor, caps in ((rule.options or {}).get("library_defaults") or {}).items():
                    found[str(ctor)] = found.get(str(ctor), frozenset()) | frozenset(map(str, caps))
            self.index.derived["csharp_library_defaults"] = found
        return found

    def collect_exports(self) -> None:
        super().collect_exports()
        self.export_policy_runs()
        self.export_statics(dict.fromkeys(self._classes.values()), self._class_scopes)  # class constants other files read (Settings.RiskUrl)
        if self._global_usings:
            self.result.exports[_GLOBAL_USINGS] = Obj(_GLOBAL_USINGS, tuple((how, Const(text)) for how, text in self._global_usings), "", self.path)
        for name, getter in self._config_getters().items():  # GetRequiredValue(this IConfiguration c, string name) => c[name]
            self.result.exports[f"{_CONFIG_GETTER}{name}"] = getter
        for cls_name, bound in self._options_bindings().items():  # Configure<AppSettings>(section): for IOptions<AppSettings> elsewhere
            self.result.exports[f"{_OPTIONS_EXPORT}{cls_name}"] = bound

    # ================================================================ options classes (IOptions<T>)
    # The rules' options (csharp.platform.configuration): options_types (IOptions<T> and its
    # siblings), options_values (their .Value / .CurrentValue), options_binders (Configure<T>(section)),
    # options_builders (AddOptions<T>()) with options_bind (.Bind(section) / .BindConfiguration("key")),
    # service_locators (sp.GetRequiredService<IOptions<T>>()). A bound class's property is the
    # configuration key under the section it was bound to.
    def _options_type(self, type_node: Node | None, scope: Scope) -> Obj | None:
        """``IOptions<AppSettings>`` (a declared type, a service locator's type argument): the options object."""
        if type_node is None or type_node.type != "generic_name":
            return None
        types = option_names(self.index, "options_types")
        if not types:
            return None
        name = self._simple_name(type_node)
        t = self._resolve_simple_type(name, scope)
        targs = self._type_args(type_node)
        if len(targs) != 1:
            return None
        cls = self.type_key(targs[0]).rpartition(".")[2]
        if not isinstance(t, Ref) or t.qualname not in types:
            if t is None and self.module_name and any(q.rpartition(".")[2] == name for q in types):
                self.wanted(f"{_OPTIONS_EXPORT}{cls}")  # its using may be another file's global using: asked for now, one pass brings both
            return None
        return Obj(_OPTIONS, (("class", Const(cls)),), t.name, "")

    def _options_value(self, options: Obj) -> Any:
        """``settings.Value``: the configuration section its class is bound to, here or in another file of the project."""
        cls = strip(options.capture("class")) if options.capture("class") is not None else None
        if not isinstance(cls, Const) or not isinstance(cls.value, str):
            return None
        found = self._options_bindings().get(cls.value)
        if found is None and self.module_name:
            wanted = self.wanted(f"{_OPTIONS_EXPORT}{cls.value}")
            found = wanted if isinstance(wanted, Obj) else None
        return found

    def _options_bindings(self) -> dict[str, Obj]:
        """The file's ``Configure<T>(configuration.GetSection("X"))``, ``AddOptions<T>().Bind(section)``
        and ``AddOptions<T>().BindConfiguration("X")``: class name → the bound section."""
        found = self._bound
        if found is not None:
            return found
        found = self._bound = {}
        binders = option_names(self.index, "options_binders")
        builders = option_names(self.index, "options_builders")
        names = {n.rpartition(".")[2] for n in binders | builders}
        if not names or self._query is None or not re.search(rb"\b(" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")\s*<", self.source):
            return found
        from tree_sitter import QueryCursor

        for node in QueryCursor(self._query("(invocation_expression) @c")).captures(self.tree.root_node).get("c", ()):
            func = node.child_by_field_name("function")
            gname = func.child_by_field_name("name") if func is not None and func.type == "member_access_expression" else None
            if gname is None or gname.type != "generic_name" or self._simple_name(gname) not in names:
                continue
            targs = self._type_args(gname)
            if len(targs) != 1:
                continue
            scope = self.scope_at(node)
            qual = self.callee(func, scope)[0]
            section: Any = None
            if qual in binders:
                args, _ = self._arguments(node.child_by_field_name("arguments"))
                section = self._bound_section(args[-1], scope, "Bind") if args else None
            elif qual in builders:
                section = self._builder_section(node, scope)
            if section is not None:
                found.setdefault(self.type_key(targs[0]).rpartition(".")[2], Obj(_OPTIONS_VALUE, section, "", f"{self.path}#{self.node_key(node)}"))
        return found

    def _bound_section(self, arg: Node, scope: Scope, how: str) -> tuple[tuple[str, Value], ...] | None:
        """The section a binder's argument names: a configuration object (``Bind``) or a key (``BindConfiguration``)."""
        if how == "BindConfiguration":
            key = strip(self.to_value(self.evaluate(arg, scope)))
            return (("section", key),) if isinstance(key, Const) and isinstance(key.value, str) else None
        v = self.evaluate(arg, scope)
        if not (isinstance(v, Obj) and self.config_objects() and v.type == self.index.config_types[0]):
            return None
        section = v.capture("section")
        return (("section", section),) if section is not None else ()

    def _builder_section(self, node: Node, scope: Scope) -> tuple[tuple[str, Value], ...] | None:
        """``AddOptions<T>()`` followed in its chain by ``.Bind(section)`` or ``.BindConfiguration("X")``."""
        binds = option_names(self.index, "options_bind")
        while node.parent is not None and node.parent.type == "member_access_expression" and node.parent.parent is not None:
            name = node.parent.child_by_field_name("name")
            call = node.parent.parent
            if call.type != "invocation_expression" or name is None:
                return None
            method = self._simple_name(name)
            if method in binds:
                args, _ = self._arguments(call.child_by_field_name("arguments"))
                return self._bound_section(args[0], scope, method) if args else None
            node = call
        return None

    def _options_member(self, base: Obj, attr: str) -> Any:
        """A bound class's property: its configuration key (``settings.Value.PurchaseUrl`` → ``PurchaseUrl``)."""
        section = strip(base.capture("section")) if base.capture("section") is not None else None
        prefix = f"{section.value}:" if isinstance(section, Const) and section.value else ""
        return Env(f"{prefix}{attr}")

    def member_value(self, base: Any, attr: str, node: Node, scope: Scope) -> Any:
        if isinstance(base, Obj) and base.type == _OPTIONS and attr in option_names(self.index, "options_values"):
            found = self._options_value(base)
            return found if found is not None else Opaque(node)
        if isinstance(base, Obj) and base.type == _OPTIONS_VALUE:
            return self._options_member(base, attr)
        return super().member_value(base, attr, node, scope)

    def declared_instance(self, type_node: Node, scope: Scope, name: str, unknown: bool) -> Any:
        options = self._options_type(type_node, scope)
        if options is not None:
            return options
        return self._declared_instance(type_node, scope, name, unknown)

    # ================================================================ expressions
    def ev_opaque(self, node: Node, scope: Scope) -> Any:
        return Opaque(node)

    def ev_this(self, node: Node, scope: Scope) -> Any:
        return Instance(scope.cls, "this") if scope.cls is not None else Opaque(node)

    def ev_generic_name(self, node: Node, scope: Scope) -> Any:
        return self.lookup_name(self._simple_name(node), scope)

    def ev_predefined(self, node: Node, scope: Scope) -> Any:
        text = self.text(node)
        return Ref({"string": "System.String", "int": "System.Int32", "long": "System.Int64", "double": "System.Double"}.get(text, f"System.{text}"))

    def ev_typeof(self, node: Node, scope: Scope) -> Any:
        return Const(self.anchor_text(node, 120))

    def ev_member(self, node: Node, scope: Scope) -> Any:
        base_node = node.child_by_field_name("expression")
        name = node.child_by_field_name("name")
        if base_node is None or name is None:
            return Opaque(node)
        attr = self._simple_name(name)
        if base_node.type in ("this", "base"):
            if scope.cls is None:
                return Opaque(node)
            base: Any = Instance(scope.cls, "this")
        else:
            base = self.evaluate(base_node, scope)
        if isinstance(base, ClassValue):
            return self.static_member(base.cls, attr, node)
        if isinstance(base, Ref) and self.module_name and base.qualname.startswith(self.module_name + "."):
            rest = base.qualname[len(self.module_name) + 1 :]
            if "." not in rest:  # Settings.RiskUrl of another file: resolved at link time
                return Ref(f"{base.qualname}.{attr}")
        return self.member_value(base, attr, node, scope)  # a configuration section's .Value too

    def static_member(self, cls: ClassInfo, attr: str, node: Node) -> Any:
        cscope = self._class_scopes.get(cls.node.id)
        if cscope is not None and attr in cscope.bindings:
            return self.binding_value(cscope.bindings[attr], attr)
        fn = cls.methods.get(attr)
        if fn is not None:
            return FunctionValue(fn)
        inner = self._classes.get(f"{cls.qualname}.{attr}")
        if inner is not None:
            return ClassValue(inner)
        return self.instance_member(Instance(cls, cls.name), attr, node)

    def ev_conditional_access(self, node: Node, scope: Scope) -> Any:
        parts = self.member_parts(node)
        if parts is None:
            return Opaque(node)
        base = self.evaluate(parts[0], scope)
        return self.eval_member(base, parts[1], node, scope)

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        if site.type_args and site.func is not None and site.func.type == "member_access_expression":
            name = site.func.child_by_field_name("name")  # sp.GetRequiredService<IOptions<UrlsConfig>>(): the options object
            if name is not None and self._simple_name(name) in option_names(self.index, "service_locators"):
                options = self._options_type(site.type_args[0], scope)
                if options is not None:
                    return options
        if site.func is None and (site.type_node is not None or self._uri_property(site.node)):
            t = self.resolve_type(site.type_node, scope) if site.type_node is not None else Ref("System.Uri")
            if isinstance(t, Ref) and t.qualname == _TIMESPAN:
                return self.timespan_ctor(site, scope)
            if isinstance(t, Ref) and t.qualname == "System.Uri" and site.args and self.index.tracked("System.Uri") is None:
                v = self.evaluate(site.args[0], scope)
                if len(site.args) == 2:  # new Uri(baseUri, "relative")
                    rel = self.evaluate(site.args[1], scope)
                    if self.is_value(v) and self.is_value(rel):
                        return simplify_concat((self.to_value(v), self.to_value(rel)))
                return v if self.is_value(v) else Opaque(site.node)
        return super().eval_call(site, scope, shallow)

    def _constraint(self, node: Node) -> Node | None:
        """The first type constraint of a method's or type's type parameter named like ``node``
        (``AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder``)."""
        name = self.text(node)
        decl = node.parent
        while decl is not None and decl.type not in ("method_declaration", "local_function_statement", *CLASS_NODES):
            decl = decl.parent
        for clause in self.iter_named(decl, ("type_parameter_constraints_clause",)):
            kids = self.named(clause)
            if kids and kids[0].type == "identifier" and self.text(kids[0]) == name:
                for c in kids[1:]:
                    inner = self.named(c)
                    if c.type == "type_parameter_constraint" and inner and inner[0].type in ("identifier", "qualified_name", "generic_name"):
                        return inner[0]
        return None

    def _uri_property(self, node: Node) -> bool:
        """A target-typed ``new("http://catalog-api")`` assigned to a property the platform rule lists
        as a ``Uri`` (``options: uri_properties``: ``c.BaseAddress = new(...)`` in an options lambda,
        whose parameter's type the adapter does not know)."""
        parent = node.parent
        if node.type != "implicit_object_creation_expression" or parent is None or parent.type != "assignment_expression":
            return False
        left = parent.child_by_field_name("left")
        name = left.child_by_field_name("name") if left is not None and left.type == "member_access_expression" else left
        if name is None or parent.child_by_field_name("right") != node:
            return False
        return self.text(name) in {n.rpartition(".")[2] for n in option_names(self.index, "uri_properties")}

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        scaled = super().special_call(qual, site, scope)  # the rules' scales: (TimeSpan.FromSeconds)
        if scaled is not None:
            return scaled
        getter = self._config_getter(qual, site, scope) if self.config_objects() else None
        if getter is not None:
            return getter
        if qual == "System.Math.Pow" and len(site.args) == 2:
            a, b = (self.to_value(self.evaluate(x, scope)) for x in site.args)
            if isinstance(strip(a), Const) and isinstance(strip(b), Const):
                return fold("**", a, b)
            return Call(qual, (a, b))
        return None

    # ---------------------------------------------------------------- the project's configuration getters
    # An extension method of the project (or of a project it references) on the configuration type
    # that returns the key it is given, ``public static string GetRequiredValue(this IConfiguration
    # configuration, string name) => configuration[name] ?? throw ...;`` (eShop's ServiceDefaults):
    # exported as ``$config_getter.GetRequiredValue``, so ``configuration.GetRequiredValue("IdentityUrl")``
    # is the key ``IdentityUrl`` as ``configuration["IdentityUrl"]`` is.
    def _config_getter(self, qual: str, site: Site, scope: Scope) -> Any:
        ctype = self.index.config_types[0]
        if not qual.startswith(ctype + ".") or not site.args or site.func is None:
            return None
        method = qual[len(ctype) + 1 :]
        if "." in method or method in self.index.config_sections or method in self.index.config_prefixes:
            return None
        found = self._config_getters().get(method)
        if found is None and self.module_name:
            wanted = self.wanted(f"{_CONFIG_GETTER}{method}")
            found = wanted if isinstance(wanted, Obj) else None
        arg = strip(found.capture("arg")) if found is not None and found.capture("arg") is not None else None
        if not isinstance(arg, Const) or not isinstance(arg.value, int) or arg.value >= len(site.args):
            return None
        key = strip(self.to_value(self.evaluate(site.args[arg.value], scope)))
        receiver = self.callee(site.func, scope)[1]
        if not isinstance(key, Const) or not isinstance(key.value, str) or receiver is None:
            return None
        return Env(self.config_key(receiver, key.value))

    def _config_getters(self) -> dict[str, Obj]:
        """This file's extension methods returning ``configuration[name]``: name → the argument holding the key."""
        found = self._getters
        if found is not None:
            return found
        found = self._getters = {}
        if not self.config_objects() or b"this" not in self.source:
            return found
        for cls in dict.fromkeys(self._classes.values()):
            for fn in cls.methods.values():
                index = self._getter_arg(fn)
                if index is not None:
                    found.setdefault(fn.name, Obj(_CONFIG_GETTER, (("arg", Const(index)),), fn.name, f"{self.path}#{self.node_key(fn.node)}"))
        return found

    def _getter_arg(self, fn: FunctionInfo) -> int | None:
        node = fn.node
        if node.type != "method_declaration" or not self._has_modifier(node, ("static",)):
            return None
        plist = node.child_by_field_name("parameters")
        params = list(self.iter_named(plist, ("parameter",)))
        if len(params) < 2 or not any(c.type == "modifier" and self.text(c) == "this" for c in params[0].children):
            return None
        t = self.resolve_type(params[0].child_by_field_name("type"), self.module_scope)
        if not isinstance(t, Ref) or t.qualname not in self.index.config_types:
            return None
        names = [self.text(n) if (n := p.child_by_field_name("name")) is not None else "" for p in params]
        body = self.function_body(node)
        if body is not None and body.type == "block":
            stmts = self.named(body)
            body = stmts[0].named_children[0] if len(stmts) == 1 and stmts[0].type == "return_statement" and stmts[0].named_children else None
        if body is not None and body.type == "binary_expression" and self.text(body.child_by_field_name("operator") or body) == "??":
            body = body.child_by_field_name("left")
        parts = self.subscript_parts(body) if body is not None and body.type == "element_access_expression" else None
        if parts is None or parts[0].type != "identifier" or self.text(parts[0]) != names[0]:
            return None
        key = parts[1].named_children[0] if parts[1].named_children else parts[1]
        return names.index(self.text(key)) - 1 if key.type == "identifier" and self.text(key) in names[1:] else None

    def timespan_ctor(self, site: Site, scope: Scope) -> Any:
        """``new TimeSpan(h, m, s)`` / ``(d, h, m, s)`` / ``(d, h, m, s, ms)`` / ``(ticks)``."""
        vals = [strip(self.to_value(self.evaluate(a, scope))) for a in site.args]
        if not all(isinstance(v, Const) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool) for v in vals):
            return Opaque(site.node)
        nums = [v.value for v in vals if isinstance(v, Const)]  # all of them (checked above)
        scales: dict[int, list[float]] = {
            1: [0.0001],
            3: [3_600_000, 60_000, 1000],
            4: [86_400_000, 3_600_000, 60_000, 1000],
            5: [86_400_000, 3_600_000, 60_000, 1000, 1],
        }
        units = scales.get(len(nums))
        if units is None:
            return Opaque(site.node)
        ms = sum(n * u for n, u in zip(nums, units))
        return Const(int(ms) if float(ms).is_integer() else ms)

    def subscript_parts(self, node: Node) -> tuple[Node, Node] | None:
        base, sub = node.child_by_field_name("expression"), node.child_by_field_name("subscript")
        keys = list(self.iter_named(sub, ("argument",))) if sub is not None else []
        return (base, keys[0]) if base is not None and len(keys) == 1 else None

    def ev_postfix(self, node: Node, scope: Scope) -> Any:
        kids = self.named(node)
        if len(kids) == 1 and self.text(node).endswith("!"):  # x! (null-forgiving)
            return self.evaluate(kids[0], scope)
        return Opaque(node)

    def ev_inner(self, node: Node, scope: Scope) -> Any:
        kids = [c for c in node.named_children if c.type != "comment" and node.field_name_for_named_child(node.named_children.index(c)) != "name"]
        return self.evaluate(kids[-1], scope) if kids else Opaque(node)

    def ev_string(self, node: Node, scope: Scope) -> Any:
        text = self.text(node)
        if text.endswith("u8"):
            text = text[:-2]
        return Const(self.unescape(text[1:-1]))

    def ev_verbatim(self, node: Node, scope: Scope) -> Any:
        return Const(self.text(node)[2:-1].replace('""', '"'))

    def ev_raw(self, node: Node, scope: Scope) -> Any:
        content = next((c for c in node.named_children if c.type == "raw_string_content"), None)
        return Const(self.text(content) if content is not None else "")

    def ev_interpolated(self, node: Node, scope: Scope) -> Any:
        parts: list[Value] = []
        verbatim = "@" in self.text(node)[:3]
        for c in node.named_children:
            if c.type in ("string_content", "interpolated_verbatim_string_text", "interpolated_raw_string_text"):
                text = self.text(c)
                parts.append(Const(text.replace('""', '"') if verbatim else self.unescape(text)))
            elif c.type == "escape_sequence":
                parts.append(Const(self.unescape(self.text(c))))
            elif c.type == "interpolation":
                expr = next(
                    (
                        k
                        for k in c.named_children
                        if k.type not in ("interpolation_brace", "interpolation_alignment_clause", "interpolation_format_clause", "comment")
                    ),
                    None,
                )
                if expr is None:
                    continue
                v = self.evaluate(expr, scope)
                parts.append(self.to_value(v) if self.is_value(v) else Dynamic(self.anchor_text(expr, 120)))
        return simplify_concat(tuple(parts)) if parts else Const("")

    def ev_anonymous(self, node: Node, scope: Scope) -> Any:
        pairs = self.literal_pairs(node) or []
        items = []
        for k, v in pairs:
            if k is None or v is None:
                continue
            items.append((Const(k), self.to_value(self.evaluate(v, scope))))
        return Map(tuple(items))

    def ev_array(self, node: Node, scope: Scope) -> Any:
        init = next((c for c in node.named_children if c.type == "initializer_expression"), None)
        return self.eval_list(init, scope) if init is not None else Opaque(node)

    def ev_lambda(self, node: Node, scope: Scope) -> Any:
        """A lambda as a value: an options lambda (``c => { c.Timeout = t; c.A.B = v; }``, also with
        locals and calls of the parameter's own methods, ``c.Scope.Add("x")``, when nothing is awaited) is a
        ``Map`` of what it assigns to its parameter; a factory lambda (``p => p.Retry(3)``) is the
        tracked object it returns; else a function."""
        fn = FunctionInfo(node, scope, f"{scope.qualname}.lambda" if scope.qualname else "lambda", "lambda", scope.cls)
        params = self.function_params(node)
        body = node.child_by_field_name("body")
        if body is None or not 1 <= len(params) <= 2 or not params[-1][0]:
            return FunctionValue(fn)
        pname = params[-1][0]  # (sp, c) => c.Timeout = ...: a configure delegate's options come after the service provider
        if len(params) == 2 and body.type in self.CALL_TYPES:
            return FunctionValue(fn)
        if body.type == "block":
            stmts = self.named(body)
            assigned: dict[tuple[str, ...], Node] = {}
            local_decls: list[Node] = []
            awaits = any(c.type == "async" for c in node.children) or b"await" in self.source[body.start_byte : body.end_byte]
            for st in stmts:
                if st.type == "local_declaration_statement" and not awaits:
                    local_decls.append(st)  # o => { var url = configuration["IdentityUrl"]; o.Authority = url; }
                    continue
                a = st.named_children[0] if st.type == "expression_statement" and st.named_children else None
                if a is not None and a.type == "invocation_expression" and self._rooted_at(a.child_by_field_name("function"), pname):
                    continue  # o.Scope.Add("orders"): the options object's own method, no value assigned
                if a is None or a.type != "assignment_expression":
                    return FunctionValue(fn)
                path = self._member_path(a.child_by_field_name("left"), pname)
                right = a.child_by_field_name("right")
                if path is None or right is None:
                    return FunctionValue(fn)
                assigned[path] = right
            if not assigned:
                return FunctionValue(fn)
            fscope = self.function_scope(fn)
            for st in local_decls:
                self.bind_declaration(self._decl_of(st), fscope)
            return self._nested_map({p: self.to_value(self.evaluate(v, fscope)) for p, v in assigned.items()})
        if body.type == "assignment_expression":  # o => o.Address = new Uri(...)
            path = self._member_path(body.child_by_field_name("left"), pname)
            right = body.child_by_field_name("right")
            if path is not None and right is not None:
                fscope = self.function_scope(fn)
                return self._nested_map({path: self.to_value(self.evaluate(right, fscope))})
            return FunctionValue(fn)
        if body.type in self.CALL_TYPES:
            fscope = self.function_scope(fn)
            v = self.evaluate(body, fscope)
            if isinstance(v, Obj):
                return v
        return FunctionValue(fn)

    def lambda_param_object(self, node: Node, scope: Scope) -> tuple[int, Obj] | None:
        """As the engine's; for a type the rules list under ``options: provider_overloads``
        (``AddDbContext<T>((sp, o) => ...)``: an ``Action<IServiceProvider, TOptions>`` overload), a
        two-parameter lambda has its options second."""
        found = super().lambda_param_object(node, scope)
        if found is not None and found[0] == 0 and len(self.function_params(node)) == 2 and found[1].type in option_names(self.index, "provider_overloads"):
            return 1, found[1]
        return found

    def _rooted_at(self, node: Node | None, param: str) -> bool:
        """``o.Scope.Add``: a member chain whose root is the identifier ``param``."""
        if node is None or node.type != "member_access_expression":
            return False
        while node is not None and node.type == "member_access_expression":
            node = node.child_by_field_name("expression")
        return node is not None and node.type == "identifier" and self.text(node) == param

    def _member_path(self, node: Node | None, param: str) -> tuple[str, ...] | None:
        chain = self.member_chain(node, "member_access_expression", "expression", "name")
        if chain is None or chain[0].type != "identifier" or self.text(chain[0]) != param or not chain[1]:
            return None
        return chain[1]

    @staticmethod
    def _nested_map(assigned: dict[tuple[str, ...], Value]) -> Map:
        tree: dict[str, Any] = {}
        for path, v in assigned.items():
            cur = tree
            for p in path[:-1]:
                nxt = cur.get(p)
                if not isinstance(nxt, dict):
                    nxt = cur[p] = {}
                cur = nxt
            cur[path[-1]] = v

        def build(d: dict[str, Any]) -> Map:
            return Map(tuple((Const(k), build(v) if isinstance(v, dict) else v) for k, v in d.items()))

        return build(tree)
