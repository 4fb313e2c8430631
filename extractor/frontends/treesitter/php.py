"""PHP adapter (tree-sitter-php, PHP with inline HTML): PHP syntax mapped onto the engine, nothing else.

Names are qualified by the file's ``namespace`` and ``use`` declarations with ``\\`` read as ``.``
(``use GuzzleHttp\\Client;``: ``new Client(...)`` is ``GuzzleHttp.Client``; aliases ``as``, group
uses ``use A\\{B, C as D}``, ``use function``); a fully qualified ``\\GuzzleHttp\\Client`` is
itself; an unqualified function or constant no ``use`` names is the global one (``curl_init``,
``CURLOPT_TIMEOUT``), as PHP falls back to it. What PHP spells its own way:

- variables keep their ``$`` (``$ch``), assignments are expressions and bind the variable;
  ``$this`` is the enclosing class's instance, ``self::`` / ``static::`` its class;
- ``$a->m()``, ``$a?->m()`` and ``A::m()`` are member calls, ``new A(...)`` a construction by
  type; named arguments (``f(timeout: 5)``) are keyword arguments;
- arrays are maps (``['timeout' => 2.0]``) or lists (``[1, 2]``); ``"a{$b}c"`` and ``"a$b"`` are
  templates, ``.`` concatenates, ``sprintf('%s/x', $a)`` is a template (``format_functions``);
- ``$x ?: 'd'`` and ``$x ?? 'd'`` give an env read its default;
- classes: properties (with defaults), promoted constructor parameters and ``$this->x = ...``
  anywhere in the class are fields; ``X::class`` is the class's qualified name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...values import Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, Value, fold, strip
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, Opaque, Scope, Site
from .syntax import SyntaxAnalyzer, option_names
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node

CLASS_NODES = frozenset({"class_declaration", "interface_declaration", "trait_declaration", "enum_declaration"})
MEMBER_CALLS = frozenset({"member_call_expression", "nullsafe_member_call_expression", "scoped_call_expression"})


def words_of(name: str) -> set[str]:
    """The vendor namespace or global function of a qualified name (``GuzzleHttp.Client.get`` →
    ``GuzzleHttp``, ``curl_exec``): a file using it names it."""
    head = name.split(".", 1)[0].lstrip("$")
    return set() if any(c in head for c in "*?[") or len(head) < 3 else {head}


def descendants(root: Node, node_type: str) -> list[Node]:
    """Every node of a type under ``root``, in source order."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == node_type:
            out.append(node)
        stack.extend(reversed(node.named_children))
    return out


def php_name(text: str) -> str:
    """A PHP name as the rules write it: ``\\GuzzleHttp\\Client`` → ``GuzzleHttp.Client``."""
    return text.strip().lstrip("\\").replace("\\", ".")


@syntax_tables
class PhpAnalyzer(SyntaxAnalyzer):
    language = "php"  # its syntax tables: languages/php.toml
    FORMAT_FUNCTIONS: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._top: list[Node] = []
        self._container_params: dict[str, tuple[Node, Scope]] | None = None  # setParameter('k', v) of the file

    # ================================================================ names
    def qualify_name(self, text: str, kind: str = "class") -> str:
        """A class (or function) name in code: fully qualified, through a ``use``, else the namespace's
        (a function or constant no ``use`` names: the global one)."""
        if text.startswith("\\"):
            return php_name(text)
        first, _, rest = text.partition("\\")
        if first.lower() == "namespace" and rest:
            return ".".join(p for p in (self.package, php_name(rest)) if p)
        imported = self.imports.get(first if rest or kind == "class" else f"function {first}")
        if imported is not None:
            return ".".join(p for p in (imported, php_name(rest)) if p)
        if kind != "class" and not rest:
            return first
        return ".".join(p for p in (self.package, php_name(text)) if p)

    def ev_name(self, node: Node, scope: Scope) -> Any:
        """A constant, a function or a class by name: same-file first, then through the ``use``s."""
        text = self.text(node)
        if node.type == "name":
            b = self.module_scope.bindings.get(text)
            if b is not None:
                return self.binding_value(b, text)
            cls = self.find_class(text)
            if cls is not None:
                return ClassValue(cls)
        parent = node.parent
        is_class = parent is not None and (
            parent.type in ("scoped_call_expression", "class_constant_access_expression", "scoped_property_access_expression", "object_creation_expression")
            and parent.named_children[0].id == node.id
        )
        qual = self.qualify_name(text, "class" if is_class else "function")
        if qual.lower() in ("true", "false", "null"):
            return Const({"true": True, "false": False, "null": None}[qual.lower()])
        return self.resolve_ref(qual)

    def ev_variable(self, node: Node, scope: Scope) -> Any:
        name = self.text(node)
        if name == "$this":
            return self.eval_this(node, scope)
        b = scope.lookup(name)
        if b is not None:
            return self.binding_value(b, name)
        if name in self.index.env_objects:  # $_ENV, $_SERVER (the platform rule's env_objects)
            return Ref(name)
        return Dynamic(name)

    def ev_relative_scope(self, node: Node, scope: Scope) -> Any:
        cls = self.scope_class(scope)
        return ClassValue(cls) if cls is not None and self.text(node) in ("self", "static") else Opaque(node)

    def resolve_type(self, type_node: Node, scope: Scope) -> Any:
        node: Node | None = type_node
        while node is not None and node.type in ("named_type", "optional_type"):
            node = next(iter(self.named(node)), None)
        if node is None or node.type not in ("name", "qualified_name"):
            return None
        text = self.text(node)
        cls = self.find_class(text) if node.type == "name" else None
        return ClassValue(cls) if cls is not None else Ref(self.qualify_name(text))

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        for node in root.named_children:
            if node.type == "namespace_definition":
                name = node.child_by_field_name("name")
                self.package = php_name(self.text(name)) if name is not None else ""
                body = node.child_by_field_name("body")
                self._top.extend(self.named(body) if body is not None else ())
            else:
                self._top.append(node)
        scope = self.module_scope
        for node in self._top:
            t = node.type
            if t == "namespace_use_declaration":
                self.bind_uses(node)
            elif t in CLASS_NODES:
                self.declare_class(node)
            elif t == "function_definition":
                self.declare_named(node, scope, None)
            elif t == "const_declaration":
                self.bind_consts(node, scope)
            elif t == "expression_statement":  # define('X', v)
                call = next(iter(self.named(node)), None)
                func = call.child_by_field_name("function") if call is not None and call.type == "function_call_expression" else None
                site = self.site(call, scope) if call is not None and func is not None else None
                args = site.args if site is not None else []
                if func is not None and self.text(func).lstrip("\\").lower() == "define" and len(args) == 2:
                    key = strip(self.to_value(self.evaluate(args[0], scope)))
                    if isinstance(key, Const) and isinstance(key.value, str):
                        self.bind(scope, key.value, expr=args[1])

    def bind_uses(self, node: Node) -> None:
        kind = next((c.type for c in node.children if c.type in ("function", "const")), "")
        group = node.child_by_field_name("body")
        prefix = next((php_name(self.text(c)) for c in node.named_children if c.type == "namespace_name"), "") if group is not None else ""
        for clause in self.named(group) if group is not None else self.named(node):
            if clause.type != "namespace_use_clause":
                continue
            kind = next((c.type for c in clause.children if c.type in ("function", "const")), kind)
            target = next((c for c in clause.named_children if c.type in ("qualified_name", "name")), None)
            if target is None:
                continue
            alias = clause.child_by_field_name("alias")
            qual = ".".join(p for p in (prefix, php_name(self.text(target))) if p)
            simple = self.text(alias) if alias is not None else qual.rpartition(".")[2]
            key = f"{kind} {simple}" if kind else simple
            self.imports[key] = qual
            self.result.imports[key] = qual

    def bind_consts(self, node: Node, scope: Scope) -> None:
        for el in self.named(node):
            kids = self.named(el) if el.type == "const_element" else []
            if len(kids) == 2 and kids[0].type == "name":
                self.bind(scope, self.text(kids[0]), expr=kids[1])

    def declare_class(self, node: Node) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = self.text(name_node)
        scope = Scope("class", name, self.module_scope)
        cls = scope.cls = ClassInfo(name, node, scope, name)
        self._classes[name] = cls
        self.class_scopes[node.id] = scope
        for member in self.named(node.child_by_field_name("body")):
            if member.type == "method_declaration":
                self.declare_named(member, scope, cls)
            elif member.type == "const_declaration":
                self.bind_consts(member, scope)

    def walk_root(self, root: Node) -> None:
        for node in self._top:
            if node.type not in CLASS_NODES and node.type not in ("function_definition", "namespace_use_declaration", "const_declaration"):
                self.walk_statement(node, self.module_scope)
        self.walk_classes_and_functions(list(self.functions_by_node.values()))

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        args: list[Node] = []
        kwargs: dict[str, Node] = {}
        hidden = False
        for a in self.named(node.child_by_field_name("arguments") or next((c for c in node.named_children if c.type == "arguments"), None)):
            kids = self.named(a)
            if a.type == "variadic_unpacking" or (kids and kids[-1].type == "variadic_unpacking"):
                hidden = True
                break
            label = a.child_by_field_name("name")
            if label is not None and kids:
                kwargs[self.text(label)] = kids[-1]
            elif kids:
                args.append(kids[-1])
        if node.type == "function_call_expression" and args and self.handle_function(node.child_by_field_name("function")):
            args = args[1:]  # curl_setopt($ch, K, v): a method of $ch (member_parts)
        if node.type == "object_creation_expression":
            tnode = next((c for c in node.named_children if c.type in ("name", "qualified_name")), None)
            return Site(node, None, tnode, args, kwargs, None, hidden) if tnode is not None else None
        func = node.child_by_field_name("name") if node.type in MEMBER_CALLS else node.child_by_field_name("function")
        return Site(node, func, None, args, kwargs, None, hidden) if func is not None else None

    def handle_function(self, func: Node | None) -> bool:
        """A function taking the object it works on first (the rules' ``options: handle_functions``:
        ``curl_setopt($ch, ...)``, ``curl_exec($ch)``): read as a method of that object."""
        return func is not None and func.type == "name" and self.text(func) in option_names(self.index, "handle_functions")

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        parent = node.parent
        if parent is not None and parent.type == "function_call_expression" and self.handle_function(node):
            first = next(iter(self.named(parent.child_by_field_name("arguments"))), None)
            inner = self.named(first)[-1] if first is not None and self.named(first) else None
            return (inner, self.text(node)) if inner is not None and first is not None and first.child_by_field_name("name") is None else None
        if node.type == "name" and parent is not None and parent.type in MEMBER_CALLS:  # the name of a member call
            name = parent.child_by_field_name("name")
            obj = parent.child_by_field_name("scope" if parent.type == "scoped_call_expression" else "object")
            if obj is not None and name is not None and name.id == node.id:
                return obj, self.text(node)
        return super().member_parts(node)

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        """``sprintf('%s/x', $a)`` (``format_functions``): a string template; a container parameter
        read (``$c->getParameter('k')``): the value the file sets it to."""
        func = site.func
        if func is not None and func.type == "name" and site.args and self.text(func) in self.container_words("container_parameter_getters"):
            if self.method_name(site, scope) in option_names(self.index, "container_parameter_getters"):
                key = strip(self.to_value(self.evaluate(site.args[0], scope)))
                found = self.container_params().get(key.value) if isinstance(key, Const) and isinstance(key.value, str) else None
                if found is not None:
                    return self.evaluate(found[0], found[1])
        if func is not None and func.type in ("name", "qualified_name") and self.FORMAT_FUNCTIONS and site.args:
            if self.text(func).lstrip("\\").lower() in self.FORMAT_FUNCTIONS and self.qualify_name(self.text(func), "function") in self.FORMAT_FUNCTIONS:
                values = tuple(self.template_part(self.to_value(self.evaluate(a, scope))) for a in site.args)
                return fold("%", values[0], Seq(values[1:]))
        return super().eval_call(site, scope, shallow)

    # ================================================================ a container's registrations (the rules' options: container_*)
    def container_words(self, key: str) -> frozenset[str]:
        return frozenset(n.rpartition(".")[2] for n in option_names(self.index, key))

    def container_params(self) -> dict[str, tuple[Node, Scope]]:
        """The parameters the file sets (``$c->setParameter('catalogueUrl', getenv('X') ?: 'd')``):
        name → the value's expression and scope."""
        if self._container_params is None:
            self._container_params = {}
            words = self.container_words("container_parameter_setters")
            for call in descendants(self.tree.root_node, "member_call_expression") if words else ():
                site = self.site(call, self.module_scope)
                if site is None or site.func is None or self.text(site.func) not in words or len(site.args) != 2:
                    continue
                scope = self.scope_at(call)
                if self.method_name(site, scope) in option_names(self.index, "container_parameter_setters"):
                    key = strip(self.to_value(self.evaluate(site.args[0], scope)))
                    if isinstance(key, Const) and isinstance(key.value, str):
                        self._container_params.setdefault(key.value, (site.args[1], scope))
        return self._container_params

    def collect_exports(self) -> None:
        """The module's exports, and the constructor arguments the file's container registers:
        ``$c->register(X::class)->addArgument(v)`` exports ``v`` as ``$args\\X`` (its capture ``0``),
        which ``X``'s constructor reads in any file of the project (``function_scope``)."""
        super().collect_exports()
        words = self.container_words("container_registrations")
        if not words or not self.module_name:
            return
        arg_words = option_names(self.index, "container_arguments")
        for stmt in descendants(self.tree.root_node, "expression_statement"):
            chain: list[Node] = []
            node = next(iter(self.named(stmt)), None)
            while node is not None and node.type == "member_call_expression":
                chain.append(node)
                node = node.child_by_field_name("object")
            site = self.site(chain[-1], self.module_scope) if chain else None
            if site is None or site.func is None or self.text(site.func) not in words or not site.args:
                continue
            scope = self.scope_at(chain[-1])
            if self.method_name(site, scope) not in option_names(self.index, "container_registrations"):
                continue
            key = strip(self.to_value(self.evaluate(site.args[0], scope)))
            values: list[tuple[str, Value]] = []
            for call in reversed(chain[:-1]):
                step = self.site(call, scope)
                if step is not None and step.func is not None and self.text(step.func) in arg_words and len(step.args) == 1:
                    values.append((str(len(values)), self.to_value(self.evaluate(step.args[0], scope))))
            if isinstance(key, Const) and isinstance(key.value, str) and values:
                self.result.exports[self.args_key(key.value)] = Obj("$args", tuple(values), key.value.rpartition("\\")[2], "")

    @staticmethod
    def args_key(fqn: str) -> str:
        """The export naming the constructor arguments a container registers for class ``fqn``."""
        return "$args\\" + fqn.lstrip("\\").replace(".", "\\")

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        """A constructor's untyped or scalar parameters, when the rules know a container: what a
        registration of the class passes (``args_key``, resolved at link time), named by the parameter."""
        scope = super().function_scope(fn, args)
        if args is None and fn.cls is not None and fn.name == "__construct" and self.module_name and option_names(self.index, "container_registrations"):
            fqn = ".".join(p for p in (self.package, fn.cls.qualname) if p)
            for i, (name, tnode) in enumerate(self.function_params(fn.node)):
                if name and (tnode is None or tnode.type == "primitive_type"):
                    scope.bindings[name] = Binding(value=Named(name, Ref(f"{self.module_name}.{self.args_key(fqn)}.{i}")))
        return scope

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        out: list[tuple[str, Node | None]] = []
        for p in self.named(node.child_by_field_name("parameters")):
            name = p.child_by_field_name("name")
            out.append((self.text(name) if name is not None else "", p.child_by_field_name("type")))
        return out

    def function_receiver(self, node: Node) -> tuple[str, Node | None] | None:
        return None  # $this: eval_this (the enclosing class's instance)

    def collect_members(self, cls: ClassInfo) -> None:
        cls.members = {}
        fields: set[str] = set()
        for member in self.named(cls.node.child_by_field_name("body")):
            if member.type == "property_declaration":
                tnode = member.child_by_field_name("type")
                for el in self.named(member):
                    name, value = el.child_by_field_name("name"), el.child_by_field_name("default_value")
                    if el.type != "property_element" or name is None:
                        continue
                    fields.add(self.text(name)[1:])
                    if tnode is not None:
                        cls.member_types[self.text(name)[1:]] = (tnode, cls.scope)
                    if value is not None:
                        cls.members.setdefault(self.text(name)[1:], []).append((value, cls.scope))
            elif member.type == "method_declaration" and self.text(member.child_by_field_name("name") or member) == "__construct":
                for p in self.named(member.child_by_field_name("parameters")):
                    name, tnode = p.child_by_field_name("name"), p.child_by_field_name("type")
                    if p.type == "property_promotion_parameter" and name is not None:
                        fields.add(self.text(name)[1:])
                        if tnode is not None:
                            cls.member_types[self.text(name)[1:]] = (tnode, cls.scope)
        self.class_field_values(cls, fields, self.this_member)

    def this_member(self, target: Node) -> str | None:
        """``$this->x`` as an assignment's target: ``x``."""
        obj = target.child_by_field_name("object") if target.type == "member_access_expression" else None
        name = target.child_by_field_name("name")
        return self.text(name) if obj is not None and name is not None and self.text(obj) == "$this" else None

    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        if node.type != "array_creation_expression":
            return None
        out: list[tuple[str | None, Node | None]] = []
        for el in self.named(node):
            kids = self.named(el)
            if len(kids) == 2:
                key = strip(self.to_value(self.evaluate(kids[0], self.module_scope)))
                out.append((str(key.value) if isinstance(key, Const) else None, kids[1]))
        return out

    # ================================================================ statements
    def bind_expression(self, node: Node, scope: Scope) -> None:
        for child in self.named(node):
            if child.type in self.ASSIGN_EXPRESSION_TYPES:
                self.bind_assignment(child, scope)

    def st_foreach(self, node: Node, scope: Scope) -> None:
        kids = [c for c in self.named(node) if c.id != (node.child_by_field_name("body") or node).id]
        if kids:
            self.walk_expr(kids[0], scope)
        for target in kids[1:]:
            for var in [target] if target.type == "variable_name" else self.iter_named(target, ("variable_name",)):
                self.bind(scope, self.text(var), value=Dynamic(self.text(var)))
        self.walk_loop_body(node, scope)

    def st_try(self, node: Node, scope: Scope) -> None:
        self.walk_try(node, scope)

    def loop_kind(self, node: Node) -> str:
        return "for_each" if node.type == "foreach_statement" else super().loop_kind(node)

    # ================================================================ expressions
    def ev_string(self, node: Node, scope: Scope) -> Any:
        """``'a\\'b'`` (only ``\\'`` and ``\\\\`` escape), ``"a{$b}c $d"`` (escapes, interpolated expressions)."""
        if node.type == "string":
            text = "".join(self.text(c) for c in node.named_children)
            return Const(text.replace("\\'", "'").replace("\\\\", "\\"))
        return self.eval_string_parts(node, scope)

    STRING_TEXT_TYPES = frozenset({"string_content"})

    def eval_string_parts(self, node: Node, scope: Scope) -> Any:
        parts: list[Any] = []
        for c in node.named_children:
            if c.type == "string_content":
                parts.append(Const(self.text(c)))
            elif c.type == "escape_sequence":
                parts.append(Const(self.unescape(self.text(c))))
            else:
                parts.append(self.template_part(self.to_value(self.evaluate(c, scope))))
        out: Any = Const("")
        for p in parts:
            out = fold("+", out, p)
        return out

    @staticmethod
    def template_part(v: Value) -> Value:
        """A value put in a string: a known number as its text."""
        inner = strip(v)
        return Const(str(inner.value)) if isinstance(inner, Const) and isinstance(inner.value, (int, float)) and not isinstance(inner.value, bool) else v

    def ev_boolean(self, node: Node, scope: Scope) -> Any:
        return Const(self.text(node).lower() == "true")

    def ev_array(self, node: Node, scope: Scope) -> Any:
        """``['k' => v]``: a ``Map`` (constant keys); ``[a, b]``: a ``Seq``; a mix or a spread: unknown."""
        items = self.named(node)
        pairs = [self.named(el) for el in items]
        if pairs and all(len(p) == 2 for p in pairs):
            keys = [strip(self.to_value(self.evaluate(p[0], scope))) for p in pairs]
            if all(isinstance(k, (Const, Ref)) for k in keys):  # a library constant no rule gives a value (CURLOPT_RETURNTRANSFER) stays a Ref
                return Map(tuple((k, self.to_value(self.evaluate(p[1], scope))) for k, p in zip(keys, pairs)))  # type: ignore[misc]
        elif all(len(p) == 1 and p[0].type != "variadic_unpacking" for p in pairs):
            return Seq(tuple(self.to_value(self.evaluate(p[0], scope)) for p in pairs))
        return Opaque(node)

    def ev_conditional(self, node: Node, scope: Scope) -> Any:
        """``$x ?: 'd'`` (no middle part): ``$x`` unless falsy (an env read's default); ``c ? a : b``:
        the value both branches have."""
        body, alt, cond = node.child_by_field_name("body"), node.child_by_field_name("alternative"), node.child_by_field_name("condition")
        if body is not None:
            return self.same_branches(node, [body, alt], scope)
        if cond is None or alt is None:
            return Opaque(node)
        return self.falsy_default(node, cond, alt, scope)

    FALSY_DEFAULT_OPS = frozenset({"?:"})

    def falsy_default(self, node: Node, left: Node, right: Node, scope: Scope) -> Any:
        lv = self.evaluate(left, scope)
        inner = strip(lv) if self.is_value(lv) else None
        if isinstance(inner, Env) and inner.default is None:
            return Env(inner.var, self.to_value(self.evaluate(right, scope)))
        if isinstance(inner, Const):
            return self.evaluate(right, scope) if inner.value in (None, "", 0, False, "0") else lv
        return Opaque(node)

    def ev_class_constant(self, node: Node, scope: Scope) -> Any:
        """``X::class``: the class's qualified name; ``X::CONST``: a same-file class's constant or a
        library's (``Ref``)."""
        kids = self.named(node)
        if len(kids) != 2:
            return Opaque(node)
        base, attr = self.evaluate(kids[0], scope), self.text(kids[1])
        if attr.lower() == "class":
            if isinstance(base, ClassValue):
                return Const(".".join(p for p in (self.package, base.cls.qualname) if p).replace(".", "\\"))
            return Const(base.qualname.replace(".", "\\")) if isinstance(base, Ref) else Opaque(node)
        if isinstance(base, ClassValue):
            return self.class_static(base.cls, attr, node)
        return self.resolve_ref(f"{base.qualname}.{attr}") if isinstance(base, Ref) else Opaque(node)

    def subscript_parts(self, node: Node) -> tuple[Node, Node] | None:
        kids = self.named(node) if node.type == "subscript_expression" else []
        return (kids[0], kids[1]) if len(kids) == 2 else None


__all__ = ["PhpAnalyzer", "php_name", "words_of"]
