"""Go adapter: the syntax the generic engine needs to know for Go (tree-sitter-go).

Names are qualified by import path: ``http.Get`` with ``import "net/http"`` is ``net/http.Get``,
``grpc.Dial`` is ``google.golang.org/grpc.Dial``, a method of a tracked object is
``<type>.<Method>``. Import paths lose a trailing major version (``github.com/go-chi/chi/v5`` →
``github.com/go-chi/chi``, ``gopkg.in/yaml.v3`` → ``gopkg.in/yaml``) so one rule name covers every
version. What the adapter evaluates: literals (ints with ``_``/hex/octal, floats, runes, raw and
interpreted strings), ``const`` groups (``iota``), package and local ``var``s, ``:=`` and ``=`` in
statement order (``conn, err := grpc.Dial(...)`` binds ``conn`` to the call), ``+=``, declared
types (``var c http.Client``, parameters typed ``*http.Client``), composite literals
(``&http.Client{Timeout: 5 * time.Second}`` is a construction; an untracked struct or map literal
is a ``Map``), ``new(T)``, ``time`` durations as nanoseconds (``5 * time.Second`` = 5e9),
``os.Getenv`` / ``os.LookupEnv`` (with the ``if x == "" { x = "default" }`` idiom and same-file
``getenv(key, def)`` helpers giving the default), conversions (``time.Duration(n)``, ``int64(x)``),
struct fields of same-file types (``s.client`` of a method's receiver: from struct literals and
assignments anywhere in the file, else the field's declared type), closures, and methods.
"""

from __future__ import annotations

import ast
import functools
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...values import Const, Dynamic, Env, Named, Obj, Ref, strip
from .engine import Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .syntax import SyntaxAnalyzer
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node

GO_BUILTINS = frozenset(
    "append cap clear close complex copy delete imag len make max min new panic print println real recover "
    "bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 "
    "uint32 uint64 uintptr any".split()
)

_VERSION_SUFFIX = re.compile(r"/v[0-9]+$")
_GOPKG_VERSION = re.compile(r"\.v[0-9]+$")


def normalise_import(path: str) -> str:
    """``github.com/go-chi/chi/v5`` → ``github.com/go-chi/chi``; ``gopkg.in/yaml.v3`` → ``gopkg.in/yaml``."""
    path = _VERSION_SUFFIX.sub("", path)
    if path.startswith("gopkg.in/"):
        path = _GOPKG_VERSION.sub("", path)
    return path


def package_names(path: str) -> list[str]:
    """Local names an import without an alias may be used under: the last path element, also
    without a ``go-`` prefix or a ``-go`` suffix, with ``-`` as ``_`` (the real package clause is
    in the imported files, which a per-file analysis does not read)."""
    last = path.rstrip("/").rpartition("/")[2]
    names: list[str] = []
    for base in (last, last.removeprefix("go-"), last.removesuffix("-go"), last.removesuffix(".go")):
        for cand in (base, base.replace("-", "_"), base.replace("-", "")):
            if cand not in names and cand.isidentifier():
                names.append(cand)
    return names


def words_of(name: str) -> set[str]:
    """The import path a qualified name lives in: what a file using it must contain."""
    slash = name.rfind("/")
    dot = name.find(".", slash + 1)
    head = name[:dot] if dot > 0 else name
    if any(c in head for c in "*?[") or len(head) < 2:
        return set()
    return {head}


@functools.lru_cache(maxsize=4096)
def _go_mod_module(directory: str) -> str | None:
    """The module path declared by ``<directory>/go.mod`` (None without one)."""
    try:
        text = (Path(directory) / "go.mod").read_text("utf-8", "replace")
    except OSError:
        return None
    m = re.search(r"(?m)^\s*module\s+\"?([^\s\"]+)", text)
    return m.group(1) if m else None


def forget() -> None:
    """Drop the ``go.mod`` files read so far (the next scan reads its tree as it is now)."""
    _go_mod_module.cache_clear()


def package_path(root: Any, rel: str) -> str:
    """A Go file's package, as its import path: the nearest ``go.mod`` (up to the scan root) gives
    the module path, the directory below it the rest; without one, the directory itself. Files of
    one directory share it, so their constants and objects resolve across files."""
    directory = posixpath.dirname(rel)
    cur = directory
    while True:
        mod = _go_mod_module(str(Path(root) / cur) if cur else str(root))
        if mod is not None:
            rest = directory[len(cur) :].strip("/")
            return f"{mod}/{rest}" if rest else mod
        if not cur:
            break
        cur = posixpath.dirname(cur)
    return directory or "main"


def _go_string(text: str) -> str:
    if "\\" not in text:
        return text[1:-1]
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


RETURNED = "$$returns."  # the export of the object functions return under a declared type (``collect_exports``)


@syntax_tables
class GoAnalyzer(SyntaxAnalyzer):
    language = "go"  # its syntax tables: languages/go.toml
    # the standard library's env readers, conversions and constants: rules/go/platform/stdlib.yaml

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._aliases: dict[str, Node] = {}  # type T = other / type T other (not a struct)
        self._member_index: tuple[dict[str, list[Node]], list[tuple[Node, str, Node]], list[tuple[Node, str, Node, Node]]] | None = None

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        scope = self.module_scope
        decls = self.named(root)
        for node in decls:
            t = node.type
            if t == "package_clause":
                ident = node.named_children[0] if node.named_children else None
                self.package = self.text(ident) if ident is not None else ""
            elif t == "import_declaration":
                self.bind_imports(node)
            elif t == "type_declaration":
                self.declare_types(node, scope)
        for node in decls:
            t = node.type
            if t == "function_declaration":
                name_node = node.child_by_field_name("name")
                name = self.text(name_node) if name_node is not None else ""
                fn = self.declare_function(FunctionInfo(node, scope, name, name))
                scope.bindings[name] = Binding(value=FunctionValue(fn))
            elif t == "method_declaration":
                method = self.method_info(node)
                if method is not None:
                    self.declare_function(method)
            elif t == "const_declaration":
                self.bind_consts(node, scope)
            elif t == "var_declaration":
                self.bind_vars(node, scope)

    def bind_imports(self, node: Node) -> None:
        scope = self.module_scope
        for spec in self._specs(node, "import_spec"):
            path_node = spec.child_by_field_name("path")
            if path_node is None:
                continue
            path = normalise_import(_go_string(self.text(path_node)))
            name_node = spec.child_by_field_name("name")
            if name_node is not None:
                alias = self.text(name_node)
                if alias in ("_", "."):
                    continue
                names = [alias]
            else:
                names = package_names(path)
            for i, local in enumerate(names):
                if i and local in scope.bindings:
                    continue
                scope.bindings[local] = Binding(value=Ref(path))
            if names:
                self.result.imports[names[0]] = path

    @staticmethod
    def _specs(node: Node, spec: str) -> Iterator[Node]:
        """The ``spec`` children of a declaration, whether written alone or in a parenthesized ``spec``_list."""
        for child in node.named_children:
            if child.type == spec:
                yield child
            elif child.type == f"{spec}_list":
                yield from (c for c in child.named_children if c.type == spec)

    def declare_types(self, node: Node, scope: Scope) -> None:
        for spec in node.named_children:
            if spec.type not in ("type_spec", "type_alias"):
                continue
            name_node = spec.child_by_field_name("name")
            type_node = spec.child_by_field_name("type")
            if name_node is None or type_node is None:
                continue
            name = self.text(name_node)
            if type_node.type == "struct_type" or type_node.type == "interface_type":
                cls = self._classes.get(name)
                if cls is None:
                    cls = self._classes[name] = ClassInfo(name, spec, scope, name)
                else:
                    cls.node = spec
                scope.bindings.setdefault(name, Binding(value=ClassValue(cls)))
            else:
                self._aliases[name] = type_node

    def method_info(self, node: Node) -> FunctionInfo | None:
        recv = self.function_receiver(node)
        name_node = node.child_by_field_name("name")
        if recv is None or name_node is None:
            return None
        tname = self._base_type_name(recv[1]) if recv[1] is not None else None
        if not tname:
            return None
        cls = self._classes.get(tname)
        if cls is None:  # declared in another file of the package
            cls = self._classes[tname] = ClassInfo(tname, node, self.module_scope, tname)
            cls.members = None
        name = self.text(name_node)
        fn = FunctionInfo(node, self.module_scope, f"{tname}.{name}", name, cls)
        cls.methods[name] = fn
        return fn

    def _base_type_name(self, type_node: Node) -> str | None:
        node: Node | None = type_node
        while node is not None and node.type in ("pointer_type", "generic_type", "parenthesized_type"):
            node = node.child_by_field_name("type") if node.type == "generic_type" else (node.named_children[0] if node.named_children else None)
        if node is not None and node.type == "type_identifier":
            return self.text(node)
        return None

    def bind_consts(self, node: Node, scope: Scope) -> None:
        last_value: Node | None = None
        for i, spec in enumerate(c for c in node.named_children if c.type == "const_spec"):
            names = [self.text(n) for n in spec.children_by_field_name("name")]
            value = spec.child_by_field_name("value")
            type_node = spec.child_by_field_name("type")
            if value is not None:
                last_value = value
            values = self.iter_named(value if value is not None else last_value)
            values = [v for v in values if v.type != "comment"]
            for j, name in enumerate(names):
                expr = values[j] if j < len(values) else None
                if expr is None:
                    scope.bindings[name] = Binding(value=Dynamic(name))
                elif expr.type == "iota":
                    scope.bindings[name] = Binding(value=Named(name, Const(i)))
                elif self._uses_iota(expr):
                    scope.bindings[name] = Binding(value=Dynamic(name))
                else:
                    scope.bindings[name] = Binding(expr=expr, scope=scope, type_node=type_node)

    def _uses_iota(self, node: Node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type == "iota":
                return True
            stack.extend(n.named_children)
        return False

    def bind_vars(self, node: Node, scope: Scope, rebind: bool = False) -> None:
        for spec in self._specs(node, "var_spec"):
            names = [self.text(n) for n in spec.children_by_field_name("name")]
            type_node = spec.child_by_field_name("type")
            value = spec.child_by_field_name("value")
            values = self.named(value)
            if not values:
                for name in names:
                    self.bind(scope, name, type_node=type_node)
            elif len(values) == len(names):
                for name, v in zip(names, values):
                    self.bind(scope, name, expr=v, type_node=type_node)
            else:
                for i, name in enumerate(names):
                    self.bind(scope, name, expr=values[0], index=i, type_node=type_node if i == 0 else None)

    def walk_root(self, root: Node) -> None:
        scope = self.module_scope
        for node in root.named_children:
            t = node.type
            if t in ("function_declaration", "method_declaration"):
                fn = self.functions_by_node.get(node.id)
                if fn is not None:
                    self.walk_function(fn)
            elif t in ("var_declaration", "const_declaration"):
                for spec in self._specs(node, "var_spec") if t == "var_declaration" else (c for c in node.named_children if c.type == "const_spec"):
                    self.walk_expr(spec.child_by_field_name("value"), scope)
            elif t == "type_declaration" and self.index.classes:
                for spec in node.named_children:
                    name_node = spec.child_by_field_name("name")
                    cls = self._classes.get(self.text(name_node)) if name_node is not None else None
                    if cls is not None:
                        self.match_classes(cls)

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        if node.type == "composite_literal":
            body = node.child_by_field_name("body")
            args: list[Node] = []
            fields: dict[str, Node] = {}
            for el in self.iter_named(body):
                if el.type == "keyed_element":
                    key = el.child_by_field_name("key")
                    val = el.child_by_field_name("value")
                    if key is None or val is None:
                        kids = self.named(el)
                        if len(kids) != 2:
                            continue
                        key, val = kids
                    key_expr = key.named_children[0] if key.type == "literal_element" and key.named_children else key
                    if key_expr.type in ("identifier", "field_identifier"):
                        fields[self.text(key_expr)] = val
                    elif key_expr.type in ("interpreted_string_literal", "raw_string_literal"):
                        fields[_go_string(self.text(key_expr)) if key_expr.type == "interpreted_string_literal" else self.text(key_expr)[1:-1]] = val
                elif el.type == "literal_element":
                    args.append(el)
            return Site(node, None, node.child_by_field_name("type"), args, {}, fields)
        func = node.child_by_field_name("function")
        args, hidden = self.call_args(node.child_by_field_name("arguments"))
        if func is not None and func.type == "identifier" and self.text(func) == "new" and args and scope.lookup("new") is None:
            return Site(node, None, args[0], [], {}, {})
        return Site(node, func, None, args, {}, None, hidden)

    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        """Keyed elements of a composite literal (``map[string]string{"Idempotency-Key": id}``,
        ``&pb.ScoreRequest{TxId: id}``), for the engine's id flow."""
        if node.type == "unary_expression":
            operand = node.child_by_field_name("operand")
            return self.literal_pairs(operand) if operand is not None and operand.type == "composite_literal" else None
        if node.type != "composite_literal":
            return None
        site = self.site(node, self.module_scope)
        return list((site.fields or {}).items()) if site is not None else []

    def resolve_type(self, type_node: Node, scope: Scope, depth: int = 0) -> Any:
        node: Node | None = type_node
        while node is not None and node.type in ("pointer_type", "parenthesized_type"):
            node = node.named_children[0] if node.named_children else None
        if node is None or depth > 8:
            return None
        t = node.type
        if t == "generic_type":
            inner = node.child_by_field_name("type")
            return self.resolve_type(inner, scope, depth + 1) if inner is not None else None
        if t == "qualified_type":
            pkg = node.child_by_field_name("package")
            member = node.child_by_field_name("name")
            if pkg is None or member is None:
                return None
            b = self.module_scope.bindings.get(self.text(pkg))  # a package name in a type: an import, never a local
            base = b.value if b is not None else None
            return Ref(f"{base.qualname}.{self.text(member)}") if isinstance(base, Ref) else None
        if t in ("type_identifier", "identifier"):
            name = self.text(node)
            cls = self._classes.get(name)
            if cls is not None:
                return ClassValue(cls)
            alias = self._aliases.get(name)
            if alias is not None:
                return self.resolve_type(alias, self.module_scope, depth + 1)
            return None
        if t == "selector_expression":
            v = self.evaluate(node, scope)
            return v if isinstance(v, Ref) else None
        return None

    def _params(self, plist: Node | None) -> list[tuple[str, Node | None]]:
        out: list[tuple[str, Node | None]] = []
        for p in self.iter_named(plist):
            if p.type == "parameter_declaration":
                tnode = p.child_by_field_name("type")
                names = p.children_by_field_name("name")
                if not names:
                    out.append(("", tnode))
                for n in names:
                    out.append((self.text(n), tnode))
            elif p.type == "variadic_parameter_declaration":
                name = p.child_by_field_name("name")
                out.append((self.text(name) if name is not None else "", None))
        return out

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        return self._params(node.child_by_field_name("parameters"))

    def function_receiver(self, node: Node) -> tuple[str, Node | None] | None:
        if node.type != "method_declaration":
            return None
        params = self._params(node.child_by_field_name("receiver"))
        return params[0] if params else None

    def function_return(self, fn: FunctionInfo, site: Site | None, scope: Scope | None) -> Any:
        """A same-file function's return (the engine's); when that is no object (a connection a
        helper of another package dials: ``return dialer.Dial(...)``), an instance of the tracked type
        its declared result names (``func (s *Server) conn(name string) (*grpc.ClientConn, error)``),
        its ``declared: unknown`` captures unknown, as a parameter of that type is."""
        result = super().function_return(fn, site, scope)
        tnode = self._result_type(fn)
        if isinstance(result, (Obj, Instance)) or tnode is None:
            return result
        made = self.declared_instance(tnode, fn.scope, fn.name + "()", True)
        return made if isinstance(made, Obj) else result

    def _result_type(self, fn: FunctionInfo) -> Node | None:
        """A function's declared (first) result type."""
        res = fn.node.child_by_field_name("result")
        if res is None or res.type != "parameter_list":
            return res
        return next((p.child_by_field_name("type") for p in self.iter_named(res) if p.type == "parameter_declaration"), None)

    def declared_instance(self, type_node: Node, scope: Scope, name: str, unknown: bool) -> Any:
        """The engine's; for a type no rule tracks, the object the functions of other packages
        declaring it as their result return (``collect_exports``), when the scan passes it on."""
        made = super().declared_instance(type_node, scope, name, unknown)
        if isinstance(made, Dynamic) and self.module_name:
            t = self.resolve_type(type_node, scope)
            if isinstance(t, Ref) and "." in t.qualname and not t.qualname.startswith(self.module_name + "."):
                found = self._wanted_registration(f"{RETURNED}{t.qualname}")
                if found is not None:
                    return found
        return made

    def _returns_made_in(self, fn: FunctionInfo, package: str) -> bool:
        """Whether a ``return`` of ``fn`` returns first what a function of ``package`` makes (the
        generated code's constructor of its own interface: ``return trainer.NewTrainerServiceClient(conn), ...``)."""
        body = fn.node.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            if node.type == "func_literal":
                continue
            if node.type == "return_statement" and node.named_children:
                first = node.named_children[0]
                first = first.named_children[0] if first.type == "expression_list" and first.named_children else first
                if first.type == "call_expression":
                    qual = self.callee(first.child_by_field_name("function"), fn.scope)[0]
                    if qual is not None and qual.rpartition(".")[0] == package:
                        return True
            stack.extend(node.named_children)
        return False

    def collect_exports(self) -> None:
        """The engine's, and the tracked objects the file's functions return under a declared
        result type no rule tracks, built by a function of the type's package (a generated gRPC
        interface: ``func NewTrainerClient() (trainer.TrainerServiceClient, ...)`` returning
        ``trainer.NewTrainerServiceClient(conn)``), as ``$$returns.<type>`` (an object of the
        type with no captures when they disagree): the scan's package pass gives it to the files
        of other packages naming the type, whose fields and parameters declared with it are that
        object."""
        super().collect_exports()
        found: dict[str, list[Obj]] = {}
        for fn in list(self.functions_by_node.values()):
            tnode = self._result_type(fn)
            t = self.resolve_type(tnode, self.module_scope) if tnode is not None else None
            if not isinstance(t, Ref) or "." not in t.qualname or self.index.tracked(t.qualname) is not None:
                continue
            if not self._returns_made_in(fn, t.qualname.rpartition(".")[0]):
                continue
            made = self.export_value(fn.name, [], super().function_return, fn, None, None)
            if isinstance(made, Obj):
                found.setdefault(t.qualname, []).append(made)
        for qual, objs in sorted(found.items()):
            first = objs[0]
            self.result.exports[f"{RETURNED}{qual}"] = first if all(o == first for o in objs) else Obj(first.type, (), first.name, "")

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        body = fn.node.child_by_field_name("body")
        if body is not None:
            self.walk_statement(body, scope)

    def sent_value(self, node: Node) -> Node | None:
        parent = node.parent
        if parent is not None and parent.type == "send_statement" and parent.child_by_field_name("channel") == node:
            return parent.child_by_field_name("value")
        return None

    def short_text(self, node: Node) -> str:
        if node.type == "func_literal":
            params = node.child_by_field_name("parameters")
            return "func" + (" ".join(self.text(params).split()) if params is not None else "()")
        if node.type == "literal_element" and node.named_children:
            return self.short_text(node.named_children[0])
        return self.anchor_text(node, 200)

    def unbound_name(self, name: str) -> Any:
        if name in GO_BUILTINS:
            return Ref(name)
        if self.module_name:  # declared in another file of the package: an object it exports, else resolved at link time
            return self.wanted(name) or Ref(f"{self.module_name}.{name}")
        return Dynamic(name)

    def exported(self, name: str) -> bool:
        return name[:1].isupper()

    def class_bases(self, cls: ClassInfo) -> list[str]:
        type_node = cls.node.child_by_field_name("type") if cls.node.type in ("type_spec", "type_alias") else None
        out = []
        if type_node is not None and type_node.type == "struct_type":
            for fl in self.iter_named(type_node):
                for fd in self.iter_named(fl, ("field_declaration",)):
                    if fd.child_by_field_name("name") is None:
                        t = fd.child_by_field_name("type")
                        r = self.resolve_type(t, self.module_scope) if t is not None else None
                        if isinstance(r, Ref):
                            out.append(r.qualname)
        return out

    # ================================================================ struct fields
    def collect_members(self, cls: ClassInfo) -> None:
        """``T{field: v}`` / ``&T{...}`` literals and ``x.field = v`` (x of type T) anywhere in the file."""
        cls.members = {}
        type_node = cls.node.child_by_field_name("type") if cls.node.type in ("type_spec", "type_alias") else None
        if type_node is not None and type_node.type == "struct_type":
            for fl in self.iter_named(type_node):
                for fd in self.iter_named(fl, ("field_declaration",)):
                    t = fd.child_by_field_name("type")
                    for n in fd.children_by_field_name("name"):
                        if t is not None:
                            cls.member_types[self.text(n)] = (t, self.module_scope)
        literals, assigns, out_params = self._member_sites()
        for lit in literals.get(cls.name, ()):
            site = self.site(lit, self.module_scope)
            if site is None or not site.fields:
                continue
            scope = self.scope_at(lit)
            for key, val in site.fields.items():
                cls.members.setdefault(key, []).append((val, scope))
        for operand, fld, val in assigns:
            if fld not in cls.member_types and cls.member_types:
                continue
            scope = self.scope_at(operand)
            owner = self.evaluate(operand, scope)
            if isinstance(owner, Instance) and owner.cls is cls:
                cls.members.setdefault(fld, []).append((val, scope))
        for operand, fld, call, ref in out_params:  # mustMapEnv(&svc.addr, "ADDR"): written through a pointer
            if fld not in cls.member_types and cls.member_types:
                continue
            scope = self.scope_at(operand)
            owner = self.evaluate(operand, scope)
            if isinstance(owner, Instance) and owner.cls is cls:
                written = self.written_through(call, ref, scope)
                if written is not None:
                    cls.members.setdefault(fld, []).append(written)

    def written_through(self, call: Node, ref: Node, scope: Scope) -> tuple[Node, Scope] | None:
        """``f(&x.addr, "ADDR")`` with a same-file ``func f(target *string, key string)`` that does
        ``*target = v``: v, and the callee's scope with the call's arguments bound (one hop)."""
        site = self.site(call, scope)
        if site is None or site.func is None or site.func.type != "identifier" or ref not in site.args:
            return None
        fv = self.lookup_name(self.text(site.func), scope)
        if not isinstance(fv, FunctionValue):
            return None
        params = self.function_params(fv.fn.node)
        index = site.args.index(ref)
        if index >= len(params) or not params[index][0]:
            return None
        target = params[index][0]
        body = fv.fn.node.child_by_field_name("body")
        if body is None or self._query is None:
            return None
        from tree_sitter import QueryCursor

        # *target = v, and *target, err = f(...) (the first of a call's results)
        q = '(assignment_statement left: (expression_list . (unary_expression operator: "*" operand: (identifier) @target)) operator: "=" right: (expression_list . (_) @value .))'
        values = [caps["value"][0] for _, caps in QueryCursor(self._query(q)).matches(body) if self.text(caps["target"][0]) == target]
        if len(values) != 1:
            return None
        # the pointer argument itself is not evaluated: it is the field being computed
        args = tuple(
            Dynamic(target) if i == index else (self.to_value(v) if isinstance(v, Opaque) else v)
            for i, v in enumerate(self.evaluate(a, scope) if i != index else None for i, a in enumerate(site.args))
        )
        fscope = self.function_scope(fv.fn, args)
        self.scan_function(fv.fn, fscope)
        value = values[0]
        if value.type == "identifier":  # v := os.Getenv(key); *target = v: the field holds the env value, not "v"
            b = fscope.bindings.get(self.text(value))
            inner = self.binding_value(b, self.text(value)) if b is not None else None
            if isinstance(inner, Named) and isinstance(strip(inner), Env):
                fscope.bindings[self.text(value)] = Binding(value=strip(inner))
        return value, fscope

    def _member_sites(self) -> tuple[dict[str, list[Node]], list[tuple[Node, str, Node]], list[tuple[Node, str, Node, Node]]]:
        """Struct literals by type name, single field assignments (``x.f = v``) and fields passed by
        pointer to a same-file function (``f(&x.f, ...)``) of the file, found once with queries."""
        cached = self._member_index
        if cached is not None:
            return cached
        literals: dict[str, list[Node]] = {}
        assigns: list[tuple[Node, str, Node]] = []
        out_params: list[tuple[Node, str, Node, Node]] = []
        if self._query is not None:
            from tree_sitter import QueryCursor

            root = self.tree.root_node
            for node in QueryCursor(self._query("(composite_literal type: (type_identifier) @type) @lit")).captures(root).get("lit", ()):
                t = node.child_by_field_name("type")
                if t is not None:
                    literals.setdefault(self.text(t), []).append(node)
            q = '(assignment_statement left: (expression_list . (selector_expression operand: (_) @operand field: (field_identifier) @field) .) operator: "=" right: (expression_list . (_) @value .))'
            for _, caps in QueryCursor(self._query(q)).matches(root):
                assigns.append((caps["operand"][0], self.text(caps["field"][0]), caps["value"][0]))
            q = '(call_expression function: (identifier) arguments: (argument_list (unary_expression operator: "&" operand: (selector_expression operand: (_) @operand field: (field_identifier) @field)) @ref)) @call'
            for _, caps in QueryCursor(self._query(q)).matches(root):
                out_params.append((caps["operand"][0], self.text(caps["field"][0]), caps["call"][0], caps["ref"][0]))
        self._member_index = (literals, assigns, out_params)
        return self._member_index

    # ================================================================ statements
    def st_short_var(self, node: Node, scope: Scope) -> None:
        right = node.child_by_field_name("right")
        self.walk_expr(right, scope)
        self.bind_targets(node.child_by_field_name("left"), right, scope, rebind=False)

    def st_assign(self, node: Node, scope: Scope) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        self.walk_expr(right, scope)
        op_node = node.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else "="
        if op == "=":
            self.bind_targets(left, right, scope, rebind=True)
            return
        lefts = self.named(left)
        rights = self.named(right)
        if len(lefts) == 1 and len(rights) == 1 and lefts[0].type == "identifier":
            name = self.text(lefts[0])
            binop = self.BINARY_OPS.get(op[:-1])
            cur = self.lookup_name(name, scope)
            new = self.eval_binary(binop, cur, self.evaluate(rights[0], scope), node) if binop else Opaque(node)
            self.bind(scope, name, value=new if not isinstance(new, Opaque) else Dynamic(name), rebind=True)

    def bind_targets(self, left: Node | None, right: Node | None, scope: Scope, rebind: bool) -> None:
        lefts = self.named(left)
        rights = self.named(right)
        for i, target in enumerate(lefts):
            if len(rights) == len(lefts):
                expr, index = rights[i], 0
            elif len(rights) == 1:
                expr, index = rights[0], i
            else:
                expr, index = None, 0
            if target.type == "identifier":
                name = self.text(target)
                if expr is None:
                    self.bind(scope, name, value=Dynamic(name), rebind=rebind)
                else:
                    self.bind(scope, name, expr=expr, index=index, rebind=rebind)
            elif target.type == "selector_expression" and expr is not None and index == 0:
                operand = target.child_by_field_name("operand")
                fld = target.child_by_field_name("field")
                if operand is not None and fld is not None and operand.type == "identifier":
                    self.set_field(self.text(operand), self.text(fld), expr, scope)

    def st_var(self, node: Node, scope: Scope) -> None:
        for spec in self._specs(node, "var_spec"):
            self.walk_expr(spec.child_by_field_name("value"), scope)
        self.bind_vars(node, scope)

    def st_const(self, node: Node, scope: Scope) -> None:
        self.bind_consts(node, scope)

    def simple_assignment(self, st: Node) -> tuple[str, Node] | None:
        if st.type != "assignment_statement" or self.operator(st) != "=":
            return None
        lefts, rights = self.iter_named(st.child_by_field_name("left")), self.iter_named(st.child_by_field_name("right"))
        if len(lefts) == 1 and len(rights) == 1 and lefts[0].type == "identifier":
            return self.text(lefts[0]), rights[0]
        return None

    def st_for(self, node: Node, scope: Scope) -> None:
        for child in node.named_children:
            t = child.type
            if t == "for_clause":
                init = child.child_by_field_name("initializer")
                if init is not None:
                    self.walk_statement(init, scope)
                self.walk_expr(child.child_by_field_name("condition"), scope)
                update = child.child_by_field_name("update")
                if update is not None:
                    self.walk_statement(update, scope)
            elif t == "range_clause":
                self.walk_expr(child.child_by_field_name("right"), scope)
                for target in self.iter_named(child.child_by_field_name("left")):
                    if target.type == "identifier":
                        self.bind(scope, self.text(target), value=Dynamic(self.text(target)))
            elif t == "block":
                self.walk_loop_body(node, scope)  # the impl rules' on_loop / after_loop around it
            elif t != "comment":
                self.walk_expr(child, scope)

    # ---------------------------------------------------------------- binding without walking (syntax.py's scan_function)
    def scan_short_var(self, st: Node, scope: Scope) -> None:
        self.bind_targets(st.child_by_field_name("left"), st.child_by_field_name("right"), scope, rebind=False)

    def scan_assign(self, st: Node, scope: Scope) -> None:
        op = st.child_by_field_name("operator")
        if op is not None and self.text(op) == "=":
            self.bind_targets(st.child_by_field_name("left"), st.child_by_field_name("right"), scope, rebind=True)

    def scan_if(self, st: Node, scope: Scope, returns: list[Node]) -> None:
        """An if: its initializer and branches, with the ``if x == "" { x = "d" }`` default."""
        init = st.child_by_field_name("initializer")
        if init is not None:
            self.scan_nodes([init], scope, returns)
        idiom = self.env_default_idiom(st)
        prior = self.lookup_name(idiom[0], scope) if idiom is not None else None
        for part in ("consequence", "alternative"):
            sub = st.child_by_field_name(part)
            if sub is not None:
                self.scan_nodes([sub], scope, returns)
        if idiom is not None:
            self.apply_env_default(idiom, prior, scope)

    # ================================================================ expressions
    def member_value(self, base: Any, attr: str, node: Node, scope: Scope) -> Any:
        if (
            isinstance(base, Ref)
            and self.module_name
            and base.qualname.startswith(self.module_name + ".")
            and "." not in base.qualname[len(self.module_name) + 1 :]
        ):
            return Opaque(node)  # a field of a package variable of another file: unknown, shown as cfg.URL
        return self.eval_member(base, attr, node, scope)

    def ev_string(self, node: Node, scope: Scope) -> Any:
        return Const(_go_string(self.text(node)))

    def ev_raw(self, node: Node, scope: Scope) -> Any:
        return Const(self.text(node)[1:-1].replace("\r", ""))
