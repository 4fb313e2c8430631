"""Ruby adapter (tree-sitter-ruby): Ruby syntax mapped onto the engine, nothing else.

Constants are absolute names with ``::`` read as ``.`` (``Net::HTTP.new`` is ``Net.HTTP.new``,
``Faraday.new`` is ``Faraday.new``); a method called without a receiver is a same-file method (of
the enclosing class, else top level), else one of a library the file ``require``s
(``require "sinatra"``: ``post "/x" do ... end`` is ``sinatra.post`` when the rules know it). What
Ruby spells its own way:

- ``x = v`` binds ``x``; ``@x = v`` binds the instance variable in the method and is a field of
  the class (read in its other methods); ``self`` is the enclosing class's instance;
- ``a.m(x, k: v) { |p| ... }``: keyword arguments are ``kw``, the block is the last argument;
  ``a.attr = v`` sets a tracked object's field (``http.read_timeout = 5``);
- ``{ timeout: 5 }`` is a map, ``:sym`` its name, ``"a#{b}c"`` a template; ``x || 'd'`` gives an
  env read its default, ``.to_i`` / ``.to_s`` / ``.freeze`` keep a value (``value_methods``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...values import Const, Dynamic, Env, Map, Obj, strip
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .syntax import SyntaxAnalyzer
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node

CLASS_NODES = frozenset({"class", "module"})
METHOD_NODES = frozenset({"method", "singleton_method"})


@syntax_tables
class RubyAnalyzer(SyntaxAnalyzer):
    language = "ruby"  # its syntax tables: languages/ruby.toml
    VALUE_METHODS: frozenset[str] = frozenset()

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        self.declare_body(root, self.module_scope, None)

    def declare_body(self, node: Node, scope: Scope, cls: ClassInfo | None) -> None:
        for child in self.named(node):
            t = child.type
            if t in METHOD_NODES:
                self.declare_named(child, scope, cls, "def")
            elif t in CLASS_NODES:
                self.declare_class(child, cls)
            elif t == "body_statement":
                self.declare_body(child, scope, cls)
            elif t == "call" and child.child_by_field_name("receiver") is None:  # require "sinatra"
                method, args = child.child_by_field_name("method"), self.named(child.child_by_field_name("arguments"))
                if method is not None and self.text(method) == "require" and len(args) == 1:
                    lib = strip(self.evaluate(args[0], scope))
                    if isinstance(lib, Const) and isinstance(lib.value, str):
                        self.on_demand.append(lib.value.replace("/", "."))
            elif t == "assignment" and cls is None:
                left, right = child.child_by_field_name("left"), child.child_by_field_name("right")
                if left is not None and right is not None and left.type == "constant":
                    self.bind(scope, self.text(left), expr=right)

    def declare_class(self, node: Node, outer: ClassInfo | None) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = self.text(name_node).replace("::", ".")
        qual = f"{outer.qualname}.{name}" if outer is not None else name
        scope = Scope("class", qual, outer.scope if outer is not None else self.module_scope)
        cls = scope.cls = ClassInfo(name.rpartition(".")[2], node, scope, qual)
        self._classes[qual] = cls
        self.class_scopes[node.id] = scope
        if outer is not None:
            self.outer_class[node.id] = outer
        body = node.child_by_field_name("body")
        if body is not None:
            self.declare_body(body, scope, cls)

    def walk_root(self, root: Node) -> None:
        self.walk_statements(root, self.module_scope)
        self.walk_classes_and_functions(list(self.functions_by_node.values()))

    def walk_statements(self, node: Node, scope: Scope) -> None:
        """Top-level and class-body statements (a Sinatra app's routes), classes' own bodies in their scope."""
        for child in self.named(node):
            if child.type in CLASS_NODES:
                body = child.child_by_field_name("body")
                cscope = self.class_scopes.get(child.id)
                if body is not None and cscope is not None:
                    self.walk_statements(body, cscope)
            elif child.type not in METHOD_NODES:
                self.walk_statement(child, scope)

    # ================================================================ names
    def ev_constant(self, node: Node, scope: Scope) -> Any:
        name = self.text(node)
        b = scope.lookup(name)
        if b is not None:
            return self.binding_value(b, name)
        cls = self.find_class(name, self.scope_class(scope))
        return ClassValue(cls) if cls is not None else self.resolve_ref(name)

    def ev_scope_resolution(self, node: Node, scope: Scope) -> Any:
        """``A::B``: a member of ``A``; ``::B``: the top-level ``B``."""
        name = node.child_by_field_name("name")
        if node.child_by_field_name("scope") is None and name is not None:
            return self.resolve_ref(self.text(name))
        return self.eval_member_node(node, scope)

    def ev_ivar(self, node: Node, scope: Scope) -> Any:
        """``@x``: bound earlier in this method, else the field of the enclosing class."""
        name = self.text(node)
        b = scope.lookup(name)
        if b is not None:
            return self.binding_value(b, name)
        cls = self.scope_class(scope)
        return self.instance_member(Instance(cls, "self"), name, node) if cls is not None else Dynamic(name)

    def ev_self(self, node: Node, scope: Scope) -> Any:
        return self.eval_this(node, scope)

    def ev_symbol(self, node: Node, scope: Scope) -> Any:
        return Const(self.text(node).lstrip(":"))

    def ev_hash(self, node: Node, scope: Scope) -> Any:
        """``{ timeout: 5, "k" => v }``: a ``Map`` (constant keys), else unknown."""
        items: list[tuple[Any, Any]] = []
        for pair in self.named(node):
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            k = strip(self.to_value(self.evaluate(key, scope))) if pair.type == "pair" and key is not None and value is not None else None
            if not isinstance(k, Const):
                return Opaque(node)
            items.append((k, self.to_value(self.evaluate(value, scope))))
        return Map(tuple(items))

    def resolve_type(self, type_node: Node, scope: Scope) -> Any:
        return None  # Ruby declares no types

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        method = node.child_by_field_name("method")
        if method is None:
            return None
        args: list[Node] = []
        kwargs: dict[str, Node] = {}
        hidden = False
        for a in self.named(node.child_by_field_name("arguments")):
            if a.type in self.ARG_SPREAD_TYPES:
                hidden = True
                break
            key, value = a.child_by_field_name("key"), a.child_by_field_name("value")
            if a.type == "pair" and key is not None and value is not None and key.type in ("hash_key_symbol", "simple_symbol"):
                kwargs[self.text(key).lstrip(":")] = value
            elif a.type not in ("block_argument", "comment"):
                args.append(a)
        block = node.child_by_field_name("block")
        if block is not None:  # the block: the last argument
            args.append(block)
        return Site(node, method, None, args, kwargs, None, hidden)

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        parent = node.parent
        if node.type == "call" and node.child_by_field_name("arguments") is None:  # a.attr (an assignment's target)
            recv, method = node.child_by_field_name("receiver"), node.child_by_field_name("method")
            return (recv, self.text(method)) if recv is not None and method is not None else None
        if parent is not None and parent.type == "call" and node.type in ("identifier", "constant"):  # the method of a call
            recv, method = parent.child_by_field_name("receiver"), parent.child_by_field_name("method")
            if recv is not None and method is not None and method.id == node.id:
                return recv, self.text(node)
        return super().member_parts(node)

    def callee(self, func: Node | None, scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        """``m(x)`` with no receiver: a method of the enclosing class (not of a class it is nested in),
        else a top-level one, else a library's the file requires."""
        cls = self.scope_class(scope) if func is not None and func.type == "identifier" and self.member_parts(func) is None else None
        fn = cls.methods.get(self.text(func)) if cls is not None and func is not None and scope.lookup(self.text(func)) is None else None
        if fn is not None:
            return fn.qualname, None, fn.name, FunctionValue(fn)
        return super().callee(func, scope)

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        """``x.to_i``, ``x.freeze`` (``value_methods``) of a known value: that value."""
        parts = self.member_parts(site.func) if site.func is not None else None
        if parts is not None and parts[1] in self.VALUE_METHODS and not site.args:
            base = self.evaluate(parts[0], scope)
            if isinstance(strip(base) if self.is_value(base) else None, (Env, Const)):
                return base
        return super().eval_call(site, scope, shallow)

    def subscript_parts(self, node: Node) -> tuple[Node, Node] | None:
        obj = node.child_by_field_name("object")
        key = next((c for c in self.named(node) if obj is None or c.id != obj.id), None)
        return (obj, key) if obj is not None and key is not None else None

    def unbound_name(self, name: str) -> Any:
        qual = self.qualify(name)
        return self.resolve_ref(qual) if qual is not None else Dynamic(name)

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        out: list[tuple[str, Node | None]] = []
        for p in self.named(node.child_by_field_name("parameters")):
            name = p if p.type == "identifier" else p.child_by_field_name("name")
            out.append((self.text(name) if name is not None else "", None))
        return out

    def collect_members(self, cls: ClassInfo) -> None:
        """``@x = v`` anywhere in the class's methods: the values of its field ``@x``."""
        cls.members = {}
        for target, value in self.class_assignments(cls.node):
            if target.type == "instance_variable":
                cls.members.setdefault(self.text(target), []).append((value, self.scope_at(target)))

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = super().function_scope(fn, args)
        if fn.cls is not None and fn.node.type in METHOD_NODES:
            scope.bindings["this"] = Binding(value=Instance(fn.cls, "self"))
        return scope


__all__ = ["RubyAnalyzer"]
