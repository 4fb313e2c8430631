"""JavaScript / TypeScript adapter: the syntax the generic engine needs to know for JS and TS.

One adapter for both languages (tree-sitter-javascript for ``.js/.mjs/.cjs/.jsx``,
tree-sitter-typescript for ``.ts/.mts/.cts`` and its TSX grammar for ``.tsx``); the rules are the
``javascript`` ones for both (``frontends.LANGUAGE_ALIASES``).

Names are qualified by module: ``import axios from 'axios'``, ``import * as axios from 'axios'``
and ``const axios = require('axios')`` (also ``.default``) bind ``axios`` to the module, so
``axios.get`` is ``axios.get``; ``import {v4 as uuidv4} from 'uuid'`` and ``const {v4: uuidv4} =
require('uuid')`` bind ``uuidv4`` to ``uuid.v4``; ``node:http`` is ``http``; a relative import is
the imported file's path from the scan root without extension (``src/config.RISK_URL``), which the
link stage resolves against that file's exports. Globals (``fetch``, ``AbortSignal``, ``crypto``,
``Date``, ``setTimeout``...) are names of their own; a local function named ``fetch`` is not the
global.

What it evaluates: string, number (``1_000``, hex, ``1e3``) and template literals (``Concat``),
object literals (``Map``: ``{arg: 1, key: timeout}`` reads them; shorthand and spread properties),
arrays, ``const``/``let``/``var`` and assignments in statement order, destructuring,
``process.env.X`` / ``process.env['X']`` (``Env``) with ``||`` / ``??`` defaults (also in a
destructuring default), ``Number()``/``parseInt()`` of them, arithmetic, ``await`` and TypeScript
casts (``as``, ``!``, ``satisfies``) as pass-through, ``new X(...)`` as a construction, arrow
functions and function expressions (closures named after the variable they are assigned to),
classes (``this.x`` from field initialisers and ``this.x = ...`` in any method, TypeScript
parameter properties and field types), decorators (TypeScript, and the JS proposal),
``Date.now() + ms`` (``Call("Date.now()+", (ms,))``: a deadline a rule's ``timeout.functions``
reads); ``setTimeout(() => controller.abort(), ms)`` is the fetch rule's ``timers:`` data.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...safeio import is_file_inside
from ...values import Call, Const, Dynamic, Env, Map, Named, Obj, Ref, fold, simplify_concat, strip
from .engine import MAX_LITERAL_ITEMS, Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .index import default_words
from .syntax import SyntaxAnalyzer
from .tables import syntax_tables

if TYPE_CHECKING:
    from tree_sitter import Node

JS_GLOBALS = frozenset(
    "fetch AbortSignal AbortController crypto process Date setTimeout setInterval clearTimeout Promise URL URLSearchParams "
    "Math JSON console require module exports globalThis window self Number String Boolean parseInt parseFloat Request "
    "Headers Response Buffer Symbol Object Array Error structuredClone queueMicrotask performance XMLHttpRequest "
    "WebSocket EventSource".split()
)
SOURCE_SUFFIXES = (".d.ts", ".tsx", ".ts", ".mts", ".cts", ".jsx", ".mjs", ".cjs", ".js")
DEADLINE_CALL = "Date.now()+"  # Date.now() + ms: a deadline in ms from now

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
FUNCTION_NODES = frozenset(
    {"function_declaration", "generator_function_declaration", "method_definition", "arrow_function", "function_expression", "function", "generator_function"}
)
CLASS_NODES = frozenset({"class_declaration", "abstract_class_declaration"})
TS_WRAPPERS = frozenset({"as_expression", "satisfies_expression", "non_null_expression", "type_assertion", "parenthesized_expression", "await_expression"})


def unescape(body: str) -> str:
    """The value of a JS string literal's body (escapes decoded)."""
    if "\\" not in body:
        return body

    def sub(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] == "u":
            return chr(int(e[2:-1] if e[1] == "{" else e[1:], 16))
        if e[0] == "x":
            return chr(int(e[1:], 16))
        if e in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""  # a line continuation
        return _ESCAPES.get(e, e)

    return _ESCAPE_RE.sub(sub, body)


def js_number(text: str) -> int | float | None:
    t = text.replace("_", "").lower().rstrip("n")
    try:
        if t.startswith(("0x", "0o", "0b")):
            return int(t, 0)
        if len(t) > 1 and t[0] == "0" and t.isdigit():  # legacy octal
            return int(t, 8)
        f = float(t)
    except ValueError:
        return None
    return int(f) if f.is_integer() and "." not in t and "e" not in t else f


def strip_source_suffix(path: str) -> str:
    for suffix in SOURCE_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    if path.endswith("/index"):
        path = path[: -len("/index")]
    return path


def module_path(root: Any, rel: str) -> str:
    """A file's module name: its path from the scan root without extension (``src/config``;
    ``src/lib/index.ts`` is ``src/lib``). Relative imports resolve to the same names."""
    return strip_source_suffix(rel)


def normalise_module(spec: str, importer: str) -> str:
    """``node:http`` → ``http``; ``./config`` (in ``src/app.ts``) → ``src/config``; packages as written."""
    if spec.startswith("node:"):
        return spec[5:]
    if spec.startswith("."):
        base = posixpath.dirname(importer)
        return strip_source_suffix(posixpath.normpath(posixpath.join(base, spec)))
    return spec


words_of = default_words  # what a file using a qualified name must contain: its module (``@grpc/grpc-js``, ``axios``)


_CLASS_RE = re.compile(rb"\bclass\s+([A-Z]\w*)")
_NEW_RE = re.compile(rb"\bnew\s+([A-Z]\w*)\s*(?:<[^;{}()]*>)?\s*\(")  # the classes a file constructs
_SKIP_DIRS = frozenset({"node_modules", "dist", "build", "out", "coverage", "test", "tests", "__tests__"})


@functools.lru_cache(maxsize=8)
def _constructions(root: str) -> dict[str, tuple[str, ...]]:
    """Module → the modules of its package (the folder of the nearest ``package.json``) that
    construct a class it declares (``new OrdersApi(endpoint)``), from the files' text."""
    declared: dict[str, tuple[str, set[str]]] = {}  # module → (package folder, classes)
    makers: dict[tuple[str, str], set[str]] = {}  # (package folder, class) → modules constructing it
    packages: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        parent = packages.get(posixpath.dirname(rel_dir), "") if rel_dir else ""
        packages[rel_dir] = rel_dir if "package.json" in filenames else parent
        for name in sorted(filenames):
            if not name.endswith(SOURCE_SUFFIXES) or name.endswith(".d.ts"):
                continue
            if not is_file_inside(Path(root), Path(dirpath, name)):  # a link out of the scan root is not read
                continue
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    text = fh.read(262144)
            except OSError:
                continue
            module = module_path(root, f"{rel_dir}/{name}" if rel_dir else name)
            package = packages[rel_dir]
            classes = {c.decode() for c in _CLASS_RE.findall(text)}
            if classes:
                declared.setdefault(module, (package, set()))[1].update(classes)
            for cls in set(_NEW_RE.findall(text)):
                makers.setdefault((package, cls.decode()), set()).add(module)
    return {module: tuple(sorted({m for c in classes for m in makers.get((package, c), ()) if m != module})) for module, (package, classes) in declared.items()}


def linked_text(data: bytes) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """What ``_constructions`` reads of a file's text (the scan records it, so that a re-scan after a
    change of it runs the passes that used the index): the classes it declares and those it constructs."""
    text = data[:262144]
    return tuple(sorted(set(_CLASS_RE.findall(text)))), tuple(sorted(set(_NEW_RE.findall(text))))


def forget() -> None:
    """Drop the indexes of the scan roots read so far (the next scan reads its tree as it is now)."""
    _constructions.cache_clear()


def linked_modules(root: Any, module: str) -> tuple[str, ...]:
    """The modules whose registrations (exports named ``$...``) a file of ``module`` sees: those of
    its package that construct a class it declares (the constructor's arguments, ``$$new.*``)."""
    return _constructions(str(root)).get(module, ())


@syntax_tables
class JavaScriptAnalyzer(SyntaxAnalyzer):
    language = "javascript"  # its syntax tables: languages/javascript.toml
    # the built-in conversions and pass-throughs: rules/javascript/platform/builtins.yaml
    CLASS_TYPES = CLASS_NODES | frozenset({"class"})
    SCOPE_AT_LITERAL_TYPES = FUNCTION_NODES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closures: dict[int, FunctionInfo] = {}  # function literal node id → info (one name per literal)
        self._closure_names: set[str] = set()
        self._class_scopes: dict[int, Scope] = {}
        self._fallbacks: list[tuple[int, str | None]] = []  # (function node id, literal its catch returns), innermost last
        self._project_modules: set[str] = set()  # modules imported by a relative path

    # ================================================================ top level
    def prescan(self, root: Node) -> None:
        scope = self.module_scope
        for node in self._top_statements(root):
            t = node.type
            if t == "import_statement":
                self.bind_import(node)
            elif t in ("lexical_declaration", "variable_declaration"):
                self.bind_declaration(node, scope, rebind=False)
            elif t in ("function_declaration", "generator_function_declaration"):
                self.declare_named_function(node, scope)
            elif t in CLASS_NODES:
                self.declare_class(node, scope)

    def _top_statements(self, root: Node) -> Iterator[Node]:
        for node in root.named_children:
            if node.type == "export_statement":
                decl = node.child_by_field_name("declaration")
                if decl is not None:
                    yield decl
                    continue
            yield node

    def bind_import(self, node: Node) -> None:
        source = node.child_by_field_name("source")
        scope = self.module_scope
        if source is None:  # TS: import x = require('y')
            req = next((c for c in node.named_children if c.type == "import_require_clause"), None)
            if req is not None:
                ident = next((c for c in req.named_children if c.type == "identifier"), None)
                src = req.child_by_field_name("source") or next((c for c in req.named_children if c.type == "string"), None)
                if ident is not None and src is not None:
                    self._bind_module(self.text(ident), normalise_module(self.string_value(src), self.path))
            return
        written = self.string_value(source)
        module = normalise_module(written, self.path)
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return
        if written.startswith("."):
            self._project_modules.add(module)  # a module of the project: its classes' constructions are exported
        for part in clause.named_children:
            if part.type == "identifier":  # default import
                self._bind_module(self.text(part), module)
            elif part.type == "namespace_import":
                ident = next((c for c in part.named_children if c.type == "identifier"), None)
                if ident is not None:
                    self._bind_module(self.text(ident), module)
            elif part.type == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias")
                    if name is None:
                        continue
                    imported = self.text(name) if name.type != "string" else self.string_value(name)
                    local = self.text(alias) if alias is not None else imported
                    self._bind_module(local, module if imported == "default" else f"{module}.{imported}")
        del scope

    def _bind_module(self, local: str, qual: str) -> None:
        self.module_scope.bindings[local] = Binding(value=Ref(qual))
        self.result.imports[local] = qual

    def declare_named_function(self, node: Node, scope: Scope) -> FunctionInfo | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        name = self.text(name_node)
        fn = self.functions_by_node.get(node.id)
        if fn is None:
            qual = f"{scope.qualname}.{name}" if scope.qualname else name
            fn = self.declare_function(FunctionInfo(node, scope, qual, name, scope.cls if scope.kind == "function" else None))
        scope.bindings[name] = Binding(value=FunctionValue(fn))
        return fn

    def declare_class(self, node: Node, scope: Scope) -> ClassInfo | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        name = self.text(name_node)
        cls = self._classes.get(name)
        if cls is None or cls.node.id != node.id:
            qual = f"{scope.qualname}.{name}" if scope.qualname else name
            cls = self._classes[name] = ClassInfo(name, node, self.module_scope, qual)
            body = node.child_by_field_name("body")
            for member in self.iter_named(body, ("method_definition",)):
                mname = self._member_name(member)
                if mname is None:
                    continue
                fn = self.declare_function(FunctionInfo(member, self.module_scope, f"{qual}.{mname}", mname, cls))
                cls.methods.setdefault(mname, fn)
        scope.bindings[name] = Binding(value=ClassValue(cls))
        return cls

    def _member_name(self, node: Node) -> str | None:
        name = node.child_by_field_name("name") or node.child_by_field_name("property")
        if name is None:
            return None
        if name.type == "string":
            return self.string_value(name)
        if name.type == "computed_property_name":
            return None
        return self.text(name)

    def walk_root(self, root: Node) -> None:
        scope = self.module_scope
        later: list[Node] = []
        for node in self._top_statements(root):  # module code first: functions run after it
            t = node.type
            if t in ("function_declaration", "generator_function_declaration") or t in CLASS_NODES:
                later.append(node)
            elif t in ("lexical_declaration", "variable_declaration") and self._only_functions(node):
                self.bind_declaration(node, scope, rebind=False)  # const handler = async () => {...}: a function too
                later.extend(
                    v for d in self.iter_named(node, ("variable_declarator",)) if (v := d.child_by_field_name("value")) is not None
                )  # all set: _only_functions
            elif t != "import_statement":
                self.walk_statement(node, scope)
        for node in later:
            if node.type in self.FUNCTION_TYPES:
                self.walk_function(self.closure(node, scope))
            elif node.type in CLASS_NODES:
                cls = self.declare_class(node, scope)
                if cls is not None:
                    self.walk_class(cls)
            else:
                fn = self.functions_by_node.get(node.id) or self.declare_named_function(node, scope)
                if fn is not None:
                    self.walk_function(fn)

    def _only_functions(self, node: Node) -> bool:
        decls = self.iter_named(node, ("variable_declarator",))
        return bool(decls) and all(
            (v := d.child_by_field_name("value")) is not None
            and v.type in ("arrow_function", "function_expression", "function", "generator_function")
            and (n := d.child_by_field_name("name")) is not None
            and n.type == "identifier"
            for d in decls
        )

    def walk_class(self, cls: ClassInfo) -> None:
        cscope = self.class_scope(cls)
        body = cls.node.child_by_field_name("body")
        for member in self.iter_named(body):
            if member.type == "method_definition":
                fn = self.functions_by_node.get(member.id)
                if fn is not None:
                    self.walk_function(fn)
            elif member.type in ("field_definition", "public_field_definition"):
                self.walk_expr(member.child_by_field_name("value"), cscope)
        self.match_classes(cls)

    def class_scope(self, cls: ClassInfo) -> Scope:
        found = self._class_scopes.get(cls.node.id)
        if found is None:
            found = self._class_scopes[cls.node.id] = Scope("function", cls.qualname, self.module_scope, cls=cls)
            found.bindings["this"] = Binding(value=Instance(cls, "this"))
        return found

    # ================================================================ syntax hooks
    def site(self, node: Node, scope: Scope) -> Site | None:
        if node.type == "new_expression":
            func = node.child_by_field_name("constructor")
        else:
            func = node.child_by_field_name("function")
        arglist = node.child_by_field_name("arguments")
        args, hidden = self.call_args(arglist) if arglist is not None and arglist.type == "arguments" else ([], False)  # not a tagged template
        while func is not None and func.type in ("await_expression", "parenthesized_expression", "non_null_expression"):
            # TS parses `await a.b<T>(x)` as a call of `await a.b`; (f)(x), f!(x)
            func = next((c for c in func.named_children if c.type != "comment"), None)
        if func is None or func.type == "import":
            return None
        return Site(node, func, None, args, {}, None, hidden)

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        if node.type == "subscript_expression":
            obj = node.child_by_field_name("object")
            index = node.child_by_field_name("index")
            if obj is not None and index is not None and index.type == "string":
                return obj, self.string_value(index)
        elif node.type in ("parenthesized_expression", "non_null_expression", "as_expression"):
            kids = self.named(node)
            if kids:
                return self.member_parts(kids[0])
        return super().member_parts(node)

    def resolve_type(self, type_node: Node, scope: Scope, depth: int = 0) -> Any:
        node: Node | None = type_node
        while node is not None and node.type in ("type_annotation", "parenthesized_type", "readonly_type"):
            node = next((c for c in node.named_children if c.type != "comment"), None)
        if node is None or depth > 8:
            return None
        t = node.type
        if t == "generic_type":
            inner = node.child_by_field_name("name") or (node.named_children[0] if node.named_children else None)
            return self.resolve_type(inner, scope, depth + 1) if inner is not None else None
        if t in ("type_identifier", "identifier"):
            name = self.text(node)
            cls = self._classes.get(name)
            if cls is not None:
                return ClassValue(cls)
            b = self.module_scope.bindings.get(name)
            v = b.value if b is not None else None
            if isinstance(v, (Ref, ClassValue)):
                return v
            return None
        if t == "nested_type_identifier":
            module = node.child_by_field_name("module")
            member = node.child_by_field_name("name")
            if module is None or member is None:
                return None
            base = self.resolve_type(module, scope, depth + 1)
            return Ref(f"{base.qualname}.{self.text(member)}") if isinstance(base, Ref) else None
        if t == "member_expression":
            v = self.evaluate(node, scope)
            return v if isinstance(v, Ref) else None
        return None

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        single = node.child_by_field_name("parameter")
        if single is not None:
            return [(self.text(single), None)] if single.type == "identifier" else [("", None)]
        out: list[tuple[str, Node | None]] = []
        for p in self.iter_named(node.child_by_field_name("parameters")):
            t = p.type
            if t == "identifier":
                out.append((self.text(p), None))
            elif t in ("required_parameter", "optional_parameter"):
                pat = p.child_by_field_name("pattern")
                tnode = p.child_by_field_name("type")
                if pat is not None and pat.type == "assignment_pattern":
                    pat = pat.child_by_field_name("left")
                out.append((self.text(pat) if pat is not None and pat.type == "identifier" else "", tnode))
            elif t == "assignment_pattern":
                left = p.child_by_field_name("left")
                out.append((self.text(left) if left is not None and left.type == "identifier" else "", None))
            elif t == "rest_pattern":
                ident = next((c for c in p.named_children if c.type == "identifier"), None)
                out.append((self.text(ident) if ident is not None else "", None))
            elif t != "comment":
                out.append(("", None))
        return out

    def function_receiver(self, node: Node) -> tuple[str, Node | None] | None:
        if node.type != "method_definition":
            return None
        fn = self.functions_by_node.get(node.id)
        if fn is None or fn.cls is None:
            return None
        return "this", fn.cls.node.child_by_field_name("name")

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = super().function_scope(fn, args)
        if fn.node.type == "method_definition" and fn.cls is not None:
            scope.bindings["this"] = Binding(value=Instance(fn.cls, "this"))
            if args is None and self.module_name and self._member_name(fn.node) == "constructor":
                # what the package's `new C(...)` pass (collect_exports); a parameter none passes is undefined
                self.constructor_parameters(fn.cls.name, [n for n, _ in self.function_params(fn.node)], scope, optional_tail=True)
        return scope

    def collect_exports(self) -> None:
        """The module's exports, and the arguments its functions pass to the constructors of
        classes imported from other modules of the project (``new OrdersApi(endpoint)``,
        ``$$new.<index>.OrdersApi``) for those classes' constructors (``function_scope``)."""
        super().collect_exports()
        if not self.module_name or not self._project_modules or b"new " not in self.source:
            return

        def key_of(site: Site, scope: Scope) -> str | None:
            if site.node.type != "new_expression" or site.func is None or site.func.type != "identifier":
                return None
            v = scope.lookup(self.text(site.func))
            qual = v.value.qualname if v is not None and isinstance(v.value, Ref) else ""
            return qual.rpartition(".")[2] if qual.rpartition(".")[0] in self._project_modules else None

        self.constructor_argument_exports(key_of)

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        body = fn.node.child_by_field_name("body")
        if body is None:
            return
        if body.type == "statement_block":
            self.st_block(body, scope)
        else:  # an arrow function's expression body
            self.walk_expr(body, scope)

    def closure(self, node: Node, scope: Scope) -> FunctionInfo:
        """A function literal's info, one per literal: named after the variable, property or
        method it is assigned to (``checkout.work``), else ``<enclosing>.funcN``."""
        found = self._closures.get(node.id) or self.functions_by_node.get(node.id)
        if found is not None:
            return found
        name = self._literal_name(node)
        if name is None:
            if scope.function is not None or scope.qualname:
                scope.closures += 1
                name = f"func{scope.closures}"
            else:
                self.module_scope.closures += 1
                name = f"func{self.module_scope.closures}"
        qual = f"{scope.qualname}.{name}" if scope.qualname else name
        if qual in self._closure_names:
            n = 2
            while f"{qual}{n}" in self._closure_names:
                n += 1
            qual = f"{qual}{n}"
        self._closure_names.add(qual)
        fn = self._closures[node.id] = FunctionInfo(node, scope, qual, qual.rpartition(".")[2], scope.cls)
        return fn

    def _literal_name(self, node: Node) -> str | None:
        if node.type == "method_definition":
            return self._member_name(node)
        parent = node.parent
        if parent is None:
            return None
        if parent.type == "variable_declarator":
            name = parent.child_by_field_name("name")
            return self.text(name) if name is not None and name.type == "identifier" else None
        if parent.type == "pair":
            key = parent.child_by_field_name("key")
            if key is not None and key.type in ("property_identifier", "string"):
                return self.text(key) if key.type != "string" else self.string_value(key)
        if parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                return self.text(left)
        return None

    # ---------------------------------------------------------------- binding without walking (syntax.py's scan_function)
    def scan_declaration(self, st: Node, scope: Scope) -> None:
        self.bind_declaration(st, scope, rebind=False)

    def scan_assignment(self, st: Node, scope: Scope) -> None:
        """``x = v`` as a statement: ``x`` rebound (a member assignment is left to ``collect_members``)."""
        expr = next((c for c in st.named_children if c.type != "comment"), None)
        if expr is not None and expr.type == "assignment_expression":
            left, right = expr.child_by_field_name("left"), expr.child_by_field_name("right")
            if left is not None and right is not None and left.type == "identifier":
                self.bind(scope, self.text(left), expr=right, rebind=True)

    def literal_function(self, node: Node, parent: Scope) -> FunctionInfo:
        return self.closure(node, parent)  # named like the walk names it

    def collect_members(self, cls: ClassInfo) -> None:
        """Field initialisers and declared types, TypeScript parameter properties, and
        ``this.x = value`` anywhere in the class's methods."""
        cls.members = {}
        body = cls.node.child_by_field_name("body")
        cscope = self.class_scope(cls)
        for member in self.iter_named(body):
            if member.type in ("field_definition", "public_field_definition"):
                name = self._member_name(member)
                if name is None:
                    continue
                value = member.child_by_field_name("value")
                tnode = member.child_by_field_name("type")
                if value is not None:
                    cls.members.setdefault(name, []).append((value, cscope))
                if tnode is not None:
                    cls.member_types[name] = (tnode, self.module_scope)
            elif member.type == "method_definition" and self._member_name(member) == "constructor":
                params = member.child_by_field_name("parameters")
                for p in self.iter_named(params):
                    if p.type in ("required_parameter", "optional_parameter") and any(
                        c.type == "accessibility_modifier" or self.text(c) == "readonly" for c in p.children
                    ):
                        pat = p.child_by_field_name("pattern")
                        tnode = p.child_by_field_name("type")
                        if pat is not None and pat.type == "identifier" and tnode is not None:
                            cls.member_types[self.text(pat)] = (tnode, self.module_scope)
                        given = self.scope_at(pat).lookup(self.text(pat)) if pat is not None and pat.type == "identifier" and self.module_name else None
                        if (
                            pat is not None and given is not None and given.type_node is None and isinstance(given.value, (Named, Obj))
                        ):  # what the constructions pass
                            cls.members.setdefault(self.text(pat), []).append((pat, self.scope_at(pat)))
        stack = list(self.iter_named(body))
        while stack:
            node = stack.pop()
            if node.type in CLASS_NODES or node.type == "class":
                continue
            if node.type == "assignment_expression":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and left.type == "member_expression":
                    obj = left.child_by_field_name("object")
                    prop = left.child_by_field_name("property")
                    if obj is not None and obj.type == "this" and prop is not None and not self._absent(right, node):
                        cls.members.setdefault(self.text(prop), []).append((right, self.scope_at(node)))
            stack.extend(node.named_children)

    def _absent(self, value: Node, at: Node) -> bool:
        """A constructor parameter no construction of the service passes (``undefined``): assigning
        it gives the field no value (``if (basePath) { this.basePath = basePath; }``)."""
        if value.type != "identifier":
            return False
        b = self.scope_at(at).lookup(self.text(value))
        return b is not None and isinstance(b.value, Named) and b.value.value == Const(None) and b.value.name == self.text(value)

    def class_bases(self, cls: ClassInfo) -> list[str]:
        out: list[str] = []
        for part in cls.node.named_children:
            if part.type != "class_heritage":
                continue
            stack = list(part.named_children)
            while stack:
                n = stack.pop(0)
                if n.type in ("extends_clause", "implements_clause"):
                    stack = list(n.named_children) + stack
                    continue
                if n.type in ("identifier", "member_expression"):
                    v = self.evaluate(n, self.module_scope)
                    if isinstance(v, Ref):
                        out.append(v.qualname)
                elif n.type in ("type_identifier", "nested_type_identifier", "generic_type"):
                    v = self.resolve_type(n, self.module_scope)
                    if isinstance(v, Ref):
                        out.append(v.qualname)
        return out

    def _decorator_site(self, dec: Node) -> Site | None:
        inner = next((c for c in dec.named_children if c.type != "comment"), None)
        if inner is None:
            return None
        if inner.type == "call_expression":
            return self.site(inner, self.module_scope)
        if inner.type in ("identifier", "member_expression"):
            return Site(inner, inner, None, [], {}, None)
        return None

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        node = fn.node
        if node.type != "method_definition":
            return []
        decs = [c for c in node.named_children if c.type == "decorator"]
        prev = node.prev_named_sibling
        before: list[Node] = []
        while prev is not None and prev.type in ("decorator", "comment"):
            if prev.type == "decorator":
                before.append(prev)
            prev = prev.prev_named_sibling
        out = []
        for dec in list(reversed(before)) + decs:
            site = self._decorator_site(dec)
            if site is not None:
                out.append(site)
        return out

    def class_decorators(self, cls: ClassInfo) -> list[Site]:
        decs = [c for c in cls.node.named_children if c.type == "decorator"]
        parent = cls.node.parent
        if parent is not None and parent.type == "export_statement":
            decs = [c for c in parent.named_children if c.type == "decorator"] + decs
        return [s for s in (self._decorator_site(d) for d in decs) if s is not None]

    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        if node.type != "object":
            return None
        out: list[tuple[str | None, Node | None]] = []
        for item in node.named_children:
            t = item.type
            if t == "pair":
                key = item.child_by_field_name("key")
                out.append((self._key_text(key), item.child_by_field_name("value")))
            elif t == "shorthand_property_identifier":
                out.append((self.text(item), item))
            elif t == "spread_element":
                out.append((None, next((c for c in item.named_children if c.type != "comment"), None)))
        return out

    def _key_text(self, key: Node | None) -> str | None:
        if key is None:
            return None
        if key.type in ("property_identifier", "private_property_identifier"):
            return self.text(key)
        if key.type == "string":
            return self.string_value(key)
        if key.type == "number":
            return self.text(key)
        return None

    def short_text(self, node: Node) -> str:
        if node.type in ("arrow_function", "function_expression", "function"):
            params = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
            ptext = " ".join(self.text(params).split()) if params is not None else "()"
            if params is not None and params.type == "identifier":
                ptext = f"({ptext})"
            prefix = "async " if self.text(node).startswith("async") else ""
            return f"{prefix}{ptext} => {{…}}" if node.type == "arrow_function" else f"{prefix}function{ptext}"
        return self.anchor_text(node, 200)

    def unbound_name(self, name: str) -> Any:
        if name == "undefined":
            return Const(None)
        if name in JS_GLOBALS or name in self.index.env_objects:  # k6's __ENV (a rule's env_objects)
            return Ref(name)
        return Dynamic(name)

    def exported(self, name: str) -> bool:
        return not name.startswith(("_", "#")) and name != "constructor"

    def fallback_here(self) -> str | None:
        """The literal the innermost try's catch returns, for a call made directly in its body (not
        in a function defined there)."""
        if not self._fallbacks:
            return None
        fn, literal = self._fallbacks[-1]
        return literal if fn == self._current_function() else None

    # ================================================================ hooks of the generic retry rule
    def loop_count(self, node: Node, scope: Scope) -> Any:
        """Attempts of a counting loop: ``for (let i = S; i < N; i++)`` is N - S (``<=``: + 1);
        ``while (attempt < N)`` counts from the variable's value before the loop."""
        cond = node.child_by_field_name("condition")
        while cond is not None and cond.type in ("parenthesized_expression", "expression_statement"):
            cond = next((c for c in cond.named_children if c.type != "comment"), None)
        if cond is None or cond.type != "binary_expression":
            return None
        op_node = cond.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else ""
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is None or right is None:
            return None
        if op in (">", ">=") and right.type == "identifier":
            left, right, op = right, left, {">": "<", ">=": "<="}[op]
        if op not in ("<", "<=") or left.type != "identifier":
            return None
        var = self.text(left)
        start: Any = None
        init = node.child_by_field_name("initializer") if node.type == "for_statement" else None
        if init is not None:
            for decl in self.iter_named(init, ("variable_declarator",)):
                name = decl.child_by_field_name("name")
                if name is not None and self.text(name) == var:
                    start = self.evaluate(decl.child_by_field_name("value"), scope)
        if start is None:
            start = self.lookup_name(var, scope)
        s = strip(start) if self.is_value(start) else None
        start_n = s.value if isinstance(s, Const) and isinstance(s.value, int) and not isinstance(s.value, bool) else 0
        bound = self.to_value(self.evaluate(right, scope))
        count = fold("-", bound, Const(start_n))
        return fold("+", count, Const(1)) if op == "<=" else count

    def try_handlers(self, node: Node) -> list[Node]:
        h = node.child_by_field_name("handler")
        return [h] if h is not None else []

    def handler_types(self, handler: Node, scope: Scope) -> list[str]:
        return []  # a JS catch catches everything

    # ================================================================ statements
    def st_block(self, node: Node, scope: Scope) -> None:
        kids = self.named(node)
        for child in kids:  # function declarations are hoisted
            if child.type in ("function_declaration", "generator_function_declaration"):
                self.declare_named_function(child, scope)
        for child in kids:
            self.walk_statement(child, scope)

    def st_labeled(self, node: Node, scope: Scope) -> None:
        body = node.child_by_field_name("body")
        if body is not None:
            self.walk_statement(body, scope)

    def st_export(self, node: Node, scope: Scope) -> None:
        decl = node.child_by_field_name("declaration")
        if decl is not None:
            self.walk_statement(decl, scope)
            return
        value = node.child_by_field_name("value")
        if value is not None:
            self.walk_expr(value, scope)

    def st_function(self, node: Node, scope: Scope) -> None:
        fn = self.functions_by_node.get(node.id) or self.declare_named_function(node, scope)
        if fn is not None:
            self.walk_function(fn)

    def st_class(self, node: Node, scope: Scope) -> None:
        cls = self.declare_class(node, scope)
        if cls is not None:
            self.walk_class(cls)

    def st_switch(self, node: Node, scope: Scope) -> None:
        self.walk_expr(node.child_by_field_name("value"), scope)
        body = node.child_by_field_name("body")
        for case in self.iter_named(body, ("switch_case", "switch_default")):
            self.walk_expr(case.child_by_field_name("value"), scope)
            for part in case.children_by_field_name("body"):
                self.walk_statement(part, scope)

    def st_assignment(self, node: Node, scope: Scope) -> None:
        if node.type == "augmented_assignment_expression":
            self.st_augmented(node, scope)
        else:
            self.st_assign(node, scope)

    def st_assign(self, node: Node, scope: Scope) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if right is None or left is None:
            return
        self.walk_expr(right, scope)
        if left.type == "identifier":
            self.bind(scope, self.text(left), expr=right, rebind=True)
        elif left.type in ("member_expression", "subscript_expression"):
            parts = self.member_parts(left)
            obj = left.child_by_field_name("object")
            if parts is not None and obj is not None and obj.type == "identifier":
                self.set_field(self.text(obj), parts[1], right, scope)
                if self.idflow is not None and self.idflow.active():
                    self.idflow.store(scope, self.text(obj), parts[1], right)
            else:
                self.walk_expr(left, scope)

    def st_augmented(self, node: Node, scope: Scope) -> None:
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op_node = node.child_by_field_name("operator")
        self.walk_expr(right, scope)
        if left is None or right is None or left.type != "identifier":
            return
        name = self.text(left)
        op = self.BINARY_OPS.get(self.text(op_node)[:-1]) if op_node is not None else None
        cur = self.lookup_name(name, scope)
        new = self.eval_binary(op, cur, self.evaluate(right, scope), node) if op else Opaque(node)
        self.bind(scope, name, value=new if not isinstance(new, Opaque) else Dynamic(name), rebind=True)

    def st_declaration(self, node: Node, scope: Scope) -> None:
        for decl in self.iter_named(node, ("variable_declarator",)):
            self.walk_expr(decl.child_by_field_name("value"), scope)
        self.bind_declaration(node, scope, rebind=False)

    def bind_declaration(self, node: Node, scope: Scope, rebind: bool) -> None:
        for decl in self.iter_named(node, ("variable_declarator",)):
            name = decl.child_by_field_name("name")
            value = decl.child_by_field_name("value")
            tnode = decl.child_by_field_name("type")
            if name is None:
                continue
            if name.type == "identifier":
                if value is None and tnode is None:  # let x;
                    self.bind(scope, self.text(name), value=Dynamic(self.text(name)), rebind=rebind)
                elif value is None:  # let client: AxiosInstance;
                    self.bind(scope, self.text(name), type_node=tnode, rebind=rebind)
                else:
                    self.bind(scope, self.text(name), expr=value, type_node=tnode, rebind=rebind)
            elif name.type == "object_pattern":
                self.bind_pattern(name, scope, rebind)
            elif name.type == "array_pattern":
                for ident in self.iter_named(name, ("identifier",)):
                    self.bind(scope, self.text(ident), value=Dynamic(self.text(ident)), rebind=rebind)

    def bind_pattern(self, pattern: Node, scope: Scope, rebind: bool) -> None:
        """``{a, b: c, d = 1, e: {f}}``: each name is bound to the pattern node it comes from,
        evaluated lazily as a member of the destructured value (``ev_pattern``)."""
        for item in pattern.named_children:
            t = item.type
            if t == "shorthand_property_identifier_pattern":
                self.bind(scope, self.text(item), expr=item, rebind=rebind)
            elif t == "object_assignment_pattern":
                left = item.child_by_field_name("left")
                if left is not None:
                    self.bind(scope, self.text(left), expr=item, rebind=rebind)
            elif t == "pair_pattern":
                value = item.child_by_field_name("value")
                if value is None:
                    continue
                if value.type == "identifier":
                    self.bind(scope, self.text(value), expr=item, rebind=rebind)
                elif value.type == "assignment_pattern":
                    left = value.child_by_field_name("left")
                    if left is not None and left.type == "identifier":
                        self.bind(scope, self.text(left), expr=item, rebind=rebind)
                elif value.type == "object_pattern":
                    self.bind_pattern(value, scope, rebind)
            elif t == "rest_pattern":
                ident = next((c for c in item.named_children if c.type == "identifier"), None)
                if ident is not None:
                    self.bind(scope, self.text(ident), value=Dynamic(self.text(ident)), rebind=rebind)

    def st_try(self, node: Node, scope: Scope) -> None:
        self.impl_event("on_try", node, scope)
        try:
            body = node.child_by_field_name("body")
            handler = node.child_by_field_name("handler")
            self._fallbacks.append((self._current_function(), self._handler_literal(handler)))
            try:
                if body is not None:
                    self.walk_statement(body, scope)
            finally:
                self._fallbacks.pop()
            if handler is not None:
                param = handler.child_by_field_name("parameter")
                if param is not None and param.type == "identifier":
                    self.bind(scope, self.text(param), value=Dynamic(self.text(param)))
                hbody = handler.child_by_field_name("body")
                if hbody is not None:
                    self.walk_statement(hbody, scope)
            fin = node.child_by_field_name("finalizer")
            if fin is not None:
                for part in fin.named_children:
                    self.walk_statement(part, scope)
        finally:
            self.impl_event("after_try", node, scope)

    def _handler_literal(self, handler: Node | None) -> str | None:
        """The literal a catch block returns (``catch { return DEFAULT_SCORE }``), as written."""
        body = handler.child_by_field_name("body") if handler is not None else None
        for st in self.iter_named(body):
            if st.type == "return_statement":
                value = next((c for c in st.named_children if c.type != "comment"), None)
                return self.anchor_text(value, 80) if value is not None and self._is_literal(value) else None
        return None

    def _is_literal(self, node: Node) -> bool:
        """A constant-like expression: literals, containers of literals, names like DEFAULT_SCORE."""
        t = node.type
        if t in ("string", "number", "true", "false", "null", "undefined"):
            return True
        if t == "template_string":
            return not any(c.type == "template_substitution" for c in node.named_children)
        if t == "identifier":
            name = self.text(node)
            return name == "undefined" or (name.isupper() and any(c.isalpha() for c in name))
        if t in ("unary_expression", "parenthesized_expression"):
            kids = self.named(node)
            return len(kids) == 1 and self._is_literal(kids[0])
        if t == "array":
            return all(self._is_literal(c) for c in node.named_children if c.type != "comment")
        if t == "object":
            for item in node.named_children:
                if item.type == "pair":
                    value = item.child_by_field_name("value")
                    if value is None or not self._is_literal(value):
                        return False
                elif item.type != "comment":
                    return False
            return True
        return False

    def _current_function(self) -> int:
        return next((n.id for n in reversed(self.stack) if n.type in FUNCTION_NODES), 0)

    # ================================================================ expressions
    def string_value(self, node: Node) -> str:
        text = self.text(node)
        return unescape(text[1:-1]) if len(text) >= 2 else text

    def ev_this(self, node: Node, scope: Scope) -> Any:
        b = scope.lookup("this")
        return self.binding_value(b, "this") if b is not None else Dynamic("this")

    def ev_string(self, node: Node, scope: Scope) -> Any:
        return Const(self.string_value(node))

    def ev_template(self, node: Node, scope: Scope) -> Any:
        parts: list[Any] = []
        pos = node.start_byte + 1
        end = node.end_byte - 1
        for child in node.named_children:
            if child.type != "template_substitution":
                continue
            if child.start_byte > pos:
                parts.append(Const(unescape(self.source[pos : child.start_byte].decode("utf-8", "replace"))))
            inner = next((c for c in child.named_children if c.type != "comment"), None)
            parts.append(self.to_value(self.evaluate(inner, scope)) if inner is not None else Const(""))
            pos = child.end_byte
        if end > pos:
            parts.append(Const(unescape(self.source[pos:end].decode("utf-8", "replace"))))
        if not parts:
            return Const("")
        return simplify_concat(tuple(parts))

    def ev_number(self, node: Node, scope: Scope) -> Any:
        v = js_number(self.text(node))
        return Const(v) if v is not None else Opaque(node)

    def ev_cast(self, node: Node, scope: Scope) -> Any:  # <T>x
        kids = [c for c in node.named_children if c.type not in ("comment", "type_arguments")]
        return self.evaluate(kids[-1], scope) if kids else Opaque(node)

    def index_value(self, base: Any, key: Any, node: Node, scope: Scope) -> Any:
        if isinstance(key, Const) and isinstance(key.value, str):  # obj["x"] is obj.x
            return self.member_value(base, key.value, node, scope)
        return super().index_value(base, key, node, scope)

    def member_value(self, base: Any, attr: str, node: Node, scope: Scope) -> Any:
        if isinstance(base, Ref):
            q = base.qualname
            if q in self.index.env_objects:  # process.env (the platform rule's env_objects)
                return Env(attr)
            if attr == "default":  # require('axios').default, a default export
                return base
            if q in ("globalThis", "window", "self", "global"):
                return self.unbound_name(attr) if attr in JS_GLOBALS else Ref(attr)
        return self.eval_member(base, attr, node, scope)

    def ev_call(self, node: Node, scope: Scope) -> Any:
        site = self.site(node, scope)
        if site is None:
            return Opaque(node)
        func = site.func
        if func is not None and func.type == "identifier" and self.text(func) == "require" and scope.lookup("require") is None:
            if site.args and site.args[0].type == "string":
                return Ref(normalise_module(self.string_value(site.args[0]), self.path))
            return Opaque(node)
        return self.eval_call(site, scope)

    def eval_binary(self, op: str, left: Any, right: Any, node: Node) -> Any:
        if op == "+":  # Date.now() + ms: a deadline
            for a, b in ((left, right), (right, left)):
                if isinstance(a, Call) and a.func == "Date.now" and not a.args and self.is_value(b) and not isinstance(b, Dynamic):
                    return Call(DEADLINE_CALL, (self.to_value(b),))
        return super().eval_binary(op, left, right, node)

    def ev_object(self, node: Node, scope: Scope) -> Any:
        items: list[tuple[Any, Any]] = []
        for item in node.named_children:
            t = item.type
            if len(items) > MAX_LITERAL_ITEMS:
                return Opaque(node)
            if t == "pair":
                key = self._key_text(item.child_by_field_name("key"))
                if key is None:
                    k_node = item.child_by_field_name("key")
                    inner = next((c for c in k_node.named_children if c.type != "comment"), None) if k_node is not None else None
                    kv = strip(self.to_value(self.evaluate(inner, scope))) if inner is not None else None
                    if not (isinstance(kv, Const) and isinstance(kv.value, str)):
                        continue
                    key = kv.value
                items.append((Const(key), self.to_value(self.evaluate(item.child_by_field_name("value"), scope))))
            elif t == "shorthand_property_identifier":
                items.append((Const(self.text(item)), self.to_value(self.lookup_name(self.text(item), scope))))
            elif t == "method_definition":
                name = self._member_name(item)
                if name is not None:
                    items.append((Const(name), self.to_value(FunctionValue(self.closure(item, scope)))))
            elif t == "spread_element":
                inner_node = next((c for c in item.named_children if c.type != "comment"), None)
                spread = strip(self.to_value(self.evaluate(inner_node, scope))) if inner_node is not None else None
                if isinstance(spread, Map):
                    items.extend(spread.items)
        merged: dict[Any, Any] = {}
        for k, v in items:  # a later property wins ({...defaults, timeout: 5})
            merged[k] = v
        return Map(tuple(merged.items()))

    def ev_function(self, node: Node, scope: Scope) -> Any:
        return FunctionValue(self.closure(node, scope))

    def ev_sequence(self, node: Node, scope: Scope) -> Any:
        kids = self.named(node)
        return self.evaluate(kids[-1], scope) if kids else Opaque(node)

    def ev_assignment(self, node: Node, scope: Scope) -> Any:
        return self.evaluate(node.child_by_field_name("right"), scope)

    def ev_pattern(self, node: Node, scope: Scope) -> Any:
        """A destructured name's value: the member of the destructured value it reads, with its
        default (``const {RISK_URL = "http://risk"} = process.env`` is ``Env`` with that default)."""
        t = node.type
        default: Node | None = None
        if t == "shorthand_property_identifier_pattern":
            key = self.text(node)
        elif t == "object_assignment_pattern":
            left = node.child_by_field_name("left")
            key = self.text(left) if left is not None else ""
            default = node.child_by_field_name("right")
        elif t == "pair_pattern":
            key = self._key_text(node.child_by_field_name("key")) or ""
            value = node.child_by_field_name("value")
            if value is not None and value.type == "assignment_pattern":
                default = value.child_by_field_name("right")
        else:  # assignment_pattern (a parameter's default)
            return self.evaluate(node.child_by_field_name("right"), scope)
        container = node.parent  # object_pattern
        holder = container.parent if container is not None else None
        if holder is None or not key:
            return Opaque(node)
        if holder.type == "variable_declarator":
            base = self.evaluate(holder.child_by_field_name("value"), scope)
        elif holder.type == "pair_pattern":
            base = self.ev_pattern(holder, scope)
        else:
            return Dynamic(key)
        v = self.member_value(base, key, node, scope)
        if default is not None:
            inner = strip(v) if self.is_value(v) else None
            if isinstance(inner, Env) and inner.default is None:
                return Env(inner.var, self.to_value(self.evaluate(default, scope)))
            if isinstance(v, Opaque):
                return Dynamic(key)
        return v
