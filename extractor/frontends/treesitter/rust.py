"""Rust adapter (tree-sitter-rust): Rust syntax mapped onto the engine, nothing else.

Names are qualified by their ``use`` paths with ``::`` read as ``.`` (``use reqwest::Client``:
``Client::builder`` is ``reqwest.Client.builder``; ``use tokio::time::{timeout, Duration}``,
``use reqwest as rq``, ``self`` in a use list); a path whose root the rules know
(``reqwest::get``, ``tokio::time::timeout``) is qualified as written. What Rust spells its own way:

- ``x?`` and ``x.await`` are ``x``; ``Type::f(...)`` and ``value.m(...)`` are member calls;
- ``let`` binds a plain pattern (a declared type too: ``let c: reqwest::Client``);
- ``format!("{}/x", base)`` and ``format!("{base}/x")`` are string templates (``Concat``);
- ``struct`` items are classes whose fields have declared types, ``impl`` blocks give them
  methods and ``&self`` / ``self`` an instance of the type; closures and ``async { }`` blocks are
  function literals (a time limit's future, a retry's action).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...values import Concat, Const, Dynamic, Env, Obj, Ref, strip
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Opaque, Scope, Site
from .syntax import SyntaxAnalyzer
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node

_FORMAT_HOLE = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*)?(?::[^}]*)?\}")
FORMAT_MACROS = frozenset({"format"})


@syntax_tables
class RustAnalyzer(SyntaxAnalyzer):
    language = "rust"  # its syntax tables: languages/rust.toml
    # methods of Result / Option / String a value passes through (``.to_string()``, ``.unwrap()``) and
    # those giving an env read its default (``.unwrap_or(d)``, ``.unwrap_or_else(|_| d)``): rust.toml [values]
    VALUE_METHODS: frozenset[str] = frozenset()
    DEFAULT_METHODS: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._all_functions: list[FunctionInfo] = []
        self._macro_args: dict[int, list[Node]] = {}
        self._macro_trees: list[Any] = []  # the trees of parsed macro arguments, alive while their nodes are

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        scope = self.module_scope
        for node in root.named_children:
            if node.type == "use_declaration":
                arg = node.child_by_field_name("argument")
                if arg is not None:
                    self.bind_use(arg, "")
            elif node.type == "struct_item":
                name_node = node.child_by_field_name("name")
                if name_node is not None:
                    name = self.text(name_node)
                    cscope = Scope("class", name, scope)
                    cls = cscope.cls = ClassInfo(name, node, cscope, name)
                    self._classes[name] = cls
                    self.class_scopes[node.id] = cscope
        for node in root.named_children:
            if node.type == "function_item":
                self.declare(node, scope, None)
            elif node.type == "impl_item":
                type_node = node.child_by_field_name("type")
                owner = self._classes.get(self.text(type_node)) if type_node is not None else None
                for item in self.named(node.child_by_field_name("body")):
                    if item.type == "function_item":
                        self.declare(item, owner.scope if owner is not None else scope, owner)
            elif node.type in ("const_item", "static_item"):
                name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name_node is not None and value is not None:
                    self.bind(scope, self.text(name_node), expr=value)

    def bind_use(self, node: Node, prefix: str) -> None:
        """``use a::b::C``, ``use a::b as c``, ``use a::{b, c::D, self}``: simple name → qualified name."""
        t = node.type
        if t in ("scoped_identifier", "identifier"):
            qual = (prefix + "." if prefix else "") + self.text(node).replace("::", ".")
            self.imports[qual.rpartition(".")[2]] = qual
            self.result.imports[qual.rpartition(".")[2]] = qual
        elif t == "self" and prefix:
            self.imports[prefix.rpartition(".")[2]] = prefix
        elif t == "use_as_clause":
            path, alias = node.child_by_field_name("path"), node.child_by_field_name("alias")
            if path is not None and alias is not None:
                qual = (prefix + "." if prefix else "") + self.text(path).replace("::", ".")
                self.imports[self.text(alias)] = qual
                self.result.imports[self.text(alias)] = qual
        elif t == "scoped_use_list":
            path = node.child_by_field_name("path")
            inner = (prefix + "." if prefix else "") + (self.text(path).replace("::", ".") if path is not None else "")
            self.bind_use(node.child_by_field_name("list") or node, inner)
        elif t == "use_list":
            for item in self.named(node):
                self.bind_use(item, prefix)

    def declare(self, node: Node, scope: Scope, cls: ClassInfo | None) -> None:
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else "fn"
        fn = self.declare_function(FunctionInfo(node, scope, f"{cls.qualname}.{name}" if cls is not None else name, name, cls))
        self._all_functions.append(fn)
        scope.bindings.setdefault(name, Binding(value=FunctionValue(fn)))
        if cls is not None:
            cls.methods.setdefault(name, fn)

    def walk_root(self, root: Node) -> None:
        for node in root.named_children:
            if node.type in ("const_item", "static_item"):
                self.walk_expr(node.child_by_field_name("value"), self.module_scope)
        self.walk_classes_and_functions(self._all_functions)

    # ================================================================ syntax hooks
    def function_body(self, node: Node) -> Node | None:
        if node.type == "async_block":
            return next((c for c in node.named_children if c.type == "block"), None)
        return node.child_by_field_name("body")

    def site(self, node: Node, scope: Scope) -> Site | None:
        args, hidden = self.call_args(node.child_by_field_name("arguments"))
        func = node.child_by_field_name("function")
        if func is not None and func.type == "generic_function":  # x.parse::<T>(), Vec::<T>::new()
            func = func.child_by_field_name("function")
        return Site(node, func, None, args, {}, None, hidden)

    def constructed(self, obj: Obj, site: Site, qual: str, receiver: Obj | None) -> Obj:
        """An object made by an associated function (``QuoteServiceClient::connect(..)``,
        ``X::new()``) is named after its type, not the function (``{type_name}``)."""
        if receiver is None and site.func is not None and site.func.type == "scoped_identifier" and obj.name == qual.rpartition(".")[2]:
            parts = qual.split(".")
            if len(parts) > 1:
                return replace(obj, name=parts[-2])
        return obj

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        """``env::var("X").unwrap_or_else(|_| "d".to_string())``: the env read with its default;
        ``.to_string()``, ``.parse::<T>()``, ``.expect(..)`` of a known value: that value."""
        parts = self.member_parts(site.func) if site.func is not None and site.func.type == "field_expression" else None
        if parts is not None and (parts[1] in self.VALUE_METHODS or parts[1] in self.DEFAULT_METHODS):
            base = self.evaluate(parts[0], scope)
            inner = strip(base) if self.is_value(base) else None
            if isinstance(inner, Env) and parts[1] in self.DEFAULT_METHODS and site.args:
                arg = site.args[0]
                body = arg.child_by_field_name("body") if arg.type == "closure_expression" else arg
                default = self.evaluate(body, scope) if body is not None else None
                return Env(inner.var, self.to_value(default)) if self.is_value(default) else base
            if isinstance(inner, (Env, Const, Concat)):
                return base
        return super().eval_call(site, scope, shallow)

    def resolve_type(self, type_node: Node, scope: Scope) -> Any:
        node: Node | None = type_node
        while node is not None and node.type in ("reference_type", "generic_type"):
            node = node.child_by_field_name("type")
        if node is None:
            return None
        if node.type == "type_identifier":
            name = self.text(node)
            if name in self._classes:
                return ClassValue(self._classes[name])
            qual = self.qualify(name)
            return Ref(qual) if qual is not None else None
        if node.type == "scoped_type_identifier":
            path, name_node = node.child_by_field_name("path"), node.child_by_field_name("name")
            base = self.evaluate(path, scope) if path is not None else None
            return Ref(f"{base.qualname}.{self.text(name_node)}") if isinstance(base, Ref) and name_node is not None else None
        return None

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        out: list[tuple[str, Node | None]] = []
        for p in self.named(node.child_by_field_name("parameters")):
            if p.type == "parameter":
                pattern = p.child_by_field_name("pattern")
                out.append((self.text(pattern) if pattern is not None and pattern.type == "identifier" else "", p.child_by_field_name("type")))
            elif p.type == "identifier":  # a closure's untyped parameter
                out.append((self.text(p), None))
        return out

    def function_receiver(self, node: Node) -> tuple[str, Node | None] | None:
        """``&self`` in an ``impl T`` block: an instance of ``T``."""
        params = node.child_by_field_name("parameters") if node.type == "function_item" else None
        if params is None or not any(p.type == "self_parameter" for p in params.named_children):
            return None
        impl = node.parent.parent if node.parent is not None else None
        return ("self", impl.child_by_field_name("type")) if impl is not None and impl.type == "impl_item" else None

    def collect_members(self, cls: ClassInfo) -> None:
        cls.members = {}
        for f in self.named(cls.node.child_by_field_name("body")):
            name, tnode = f.child_by_field_name("name"), f.child_by_field_name("type")
            if f.type == "field_declaration" and name is not None and tnode is not None:
                cls.member_types[self.text(name)] = (tnode, cls.scope)

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        """The attributes before a function (``#[post("/get-quote")]``), their arguments parsed as a call's."""
        out: list[Site] = []
        prev = fn.node.prev_named_sibling if fn.node.type == "function_item" else None
        while prev is not None and prev.type in ("attribute_item", "line_comment", "block_comment"):
            attr = next((c for c in prev.named_children if c.type == "attribute"), None)
            if attr is not None and attr.named_children:
                tree = attr.child_by_field_name("arguments")
                out.append(Site(prev, attr.named_children[0], None, self.macro_args(tree) if tree is not None else [], {}, None))
            prev = prev.prev_named_sibling
        return out[::-1]

    def unbound_name(self, name: str) -> Any:
        if name == "self":
            return Dynamic(name)
        return super().unbound_name(name)

    # ================================================================ statements
    def st_let(self, node: Node, scope: Scope) -> None:
        self.walk_expr(node.child_by_field_name("value"), scope)
        self.bind_let(node, scope)

    def bind_let(self, node: Node, scope: Scope) -> None:
        pattern, value, tnode = node.child_by_field_name("pattern"), node.child_by_field_name("value"), node.child_by_field_name("type")
        if pattern is not None and pattern.type == "mut_pattern":
            pattern = next(iter(self.named(pattern)), None)
        if pattern is None or pattern.type != "identifier":
            return
        name = self.text(pattern)
        if value is not None or tnode is not None:
            self.bind(scope, name, expr=value, type_node=tnode)
        else:
            self.bind(scope, name, value=Dynamic(name))

    def st_expression_body(self, node: Node, scope: Scope) -> None:
        """``if`` / ``match`` / loops as statements: their conditions as expressions, their blocks as statements."""
        for child in self.named(node):
            if child.type in ("block", "match_block", "else_clause", "match_arm"):
                self.walk_statement(child, scope)
            elif child.type in self.STATEMENTS:
                self.walk_statement(child, scope)
            else:
                self.walk_expr(child, scope)

    # ================================================================ expressions
    def ev_macro(self, node: Node, scope: Scope) -> Any:
        """``format!("http://{}:{port}/x", host)``: a string template."""
        macro = node.child_by_field_name("macro")
        tree = next((c for c in node.named_children if c.type == "token_tree"), None)
        if macro is None or self.text(macro) not in FORMAT_MACROS or tree is None:
            return Opaque(node)
        kids = self.macro_args(tree)
        if not kids or kids[0].type != "string_literal":
            return Opaque(node)
        args = kids[1:]
        fmt = "".join(self.text(c) for c in kids[0].named_children if c.type == "string_content")
        parts: list[Any] = []
        pos, i = 0, 0
        for m in _FORMAT_HOLE.finditer(fmt):
            if m.start() > pos:
                parts.append(Const(fmt[pos : m.start()]))
            pos = m.end()
            if m.group(0) in ("{{", "}}"):
                parts.append(Const(m.group(0)[0]))
            elif m.group(1):
                parts.append(self.to_value(self.lookup_name(m.group(1), scope)))
            else:
                parts.append(self.to_value(self.evaluate(args[i], scope)) if i < len(args) else Dynamic(self.text(node)))
                i += 1
        if pos < len(fmt):
            parts.append(Const(fmt[pos:]))
        return Concat(tuple(parts))

    def macro_args(self, tree: Node) -> list[Node]:
        """A macro's arguments parsed as expressions (the grammar leaves them tokens): the file's
        bytes with all but ``(...)`` blanked, wrapped as ``fn _m(){f(...)}``, so that the nodes keep
        the file's offsets (``text``); parsed once per macro."""
        found = self._macro_args.get(tree.id)
        if found is not None:
            return found
        head, start, end = b"fn _m(){", tree.start_byte, tree.end_byte
        found = []
        if start > len(head) and self.source[start : start + 1] == b"(":
            buf = bytearray(b" " * (end + 1))
            buf[: len(head)] = head
            buf[start - 1 : end] = b"f" + self.source[start:end]
            buf[end : end + 1] = b"}"
            from . import _parser  # the grammar is loaded: this file was parsed with it

            parsed = _parser(("tree_sitter_rust", "language")).parse(bytes(buf))
            self._macro_trees.append(parsed)
            call: Node | None = parsed.root_node
            while call is not None and call.type != "call_expression":  # fn _m(){f(...)}: the call f(...)
                call = call.named_children[-1] if call.named_children else None
            found = self.named(call.child_by_field_name("arguments")) if call is not None else []
        self._macro_args[tree.id] = found
        return found


__all__ = ["RustAnalyzer"]
