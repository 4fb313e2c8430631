"""Python adapter: the syntax the generic engine needs to know for Python (tree-sitter-python).

Python's semantics on the shared engine (a ``SyntaxAnalyzer`` like every adapter: its generic
defaults apply where this module does not spell Python its own way; its node-type tables are
``languages/python.toml``):

- **names** are qualified by import: ``import a.b as c`` binds ``c`` to ``a.b``, ``import a.b``
  binds ``a``, ``from x import y as z`` binds ``z`` to ``x.y``; relative imports resolve against
  the module name ``extract`` is given (``__init__.py`` is its package). Module and class-body
  names are bound before the walk (first import wins; a name assigned twice with different code
  is ambiguous), so uses before definitions resolve; locals are bound in statement order.
- **values**: literals (``ast.literal_eval`` of a string or number literal's text; nothing is
  executed), f-strings and implicit concatenation (``Concat``), ``+ - * / // % **``, tuples,
  lists, dicts (``Seq``/``Map``), env reads (``Env``, with a default, also through ``or``) and
  conversions, whose names are the platform rule's data (``rules/python/platform/stdlib.yaml``:
  ``os.getenv``, ``os.environ[...]`` through ``env_objects:``, ``int()``), ``await``, same-file
  factories' returns, objects imported from another module of the service (``imported_objects``).
- **classes**: ``self.x`` is the value assigned in any method (``__init__`` or another), else a
  class-body name, else the same-file base class's; ``self.x.configure(...)`` calls apply.
  Parameters annotated with a tracked type (``Optional[T]``, ``T | None``) are instances of it.
- **values across functions of the file**: a parameter every resolved call site passes an object
  of one tracked type (or an instance of one same-file class) is that object in the callee
  (``param_objects``); ``with C(...) as c`` binds what ``C.__enter__`` returns (``self`` or an
  object); a lambda given to a same-file function that calls it with an object has that
  parameter typed (``lambda_arg``), and what the function returns is then the lambda's result
  (``callback_result``); a module function returning an object exports it, so that another
  module's ``util.make_client()`` is that object (``collect_exports``, ``special_call``).
- **decorators** (``@app.get("/x")``, ``@retry(...)``, a bare ``@breaker`` instance), class bases
  (``classes:`` rules), ``with`` blocks (a policy object's scope), ``for`` over a policy iterator,
  ``*args/**kwargs`` spreads (an argument they may hide is unknown: ``Dynamic("**kwargs")``).
- **mounts** (``include_router``, ``register_blueprint``, Django ``include``): the engine's
  ``VariableOwners`` (variable_owners.py): owners are the qualified name of the variable holding
  the router, so the link stage joins them across modules.
- positions are ``node.start_point`` (1-based), comments are ``comment`` nodes; a file tree-sitter
  parses with errors and that the standard library's parser refuses is reported as a syntax
  error (the line of the offending token) and not analysed.
"""

from __future__ import annotations

import ast
import builtins
import string
from typing import TYPE_CHECKING, Any

from ...facts import Diagnostic, FactRef
from ...values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, Value, simplify_concat, strip, walk
from ..base import FileResult
from .engine import MAX_LITERAL_ITEMS, UNBOUND, Analyzer, Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Opaque, Scope, Site
from .policies import object_policies
from .syntax import SyntaxAnalyzer, known_names, node_types
from .tables import syntax_tables
from .variable_owners import VariableOwners

if TYPE_CHECKING:
    from tree_sitter import Node

# a module function's exported object, what it returns (``util.make_client()``), is exported as
# ``make_client.make_client``: the scan passes it to the modules importing the module or the function
ALIAS_TYPE = "$alias"  # an exported name standing for a library callable (job = partial(StatsJob, ...))
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_NAMED_LITERALS = {"true": True, "false": False, "none": None}
_FLAT_INTO = node_types("if_statement elif_clause else_clause try_statement except_clause except_group_clause finally_clause with_statement block")
_SCAN_INTO = _FLAT_INTO | node_types("for_statement while_statement match_statement case_clause")
# the nodes a for statement can be inside, within a function's body (not a nested def, class or lambda)
_LOOP_HOLDERS = node_types(
    "block for_statement while_statement if_statement elif_clause else_clause try_statement except_clause"
    " except_group_clause finally_clause with_statement match_statement case_clause ERROR"
)
_WORD_BYTES = frozenset(b"_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") | frozenset(range(128, 256))  # bytes of a name
_GUARD_STOPS = node_types("function_definition lambda class_definition module")  # call_guards looks no further out
# arguments that are no object (literals, displays, operators): a parameter passed one is not typed
_NO_OBJECT = node_types(
    "string concatenated_string integer float true false none list dictionary tuple set list_comprehension"
    " dictionary_comprehension set_comprehension binary_operator unary_operator comparison_operator boolean_operator not_operator lambda"
)


def _join(values: list[Value], text: str) -> Value | None:
    """What every one of ``values`` is: the value when all are the same; per position for lists of
    one length; an object of their one type with the captures they all share; else None (a list's
    position that differs is unknown: ``Dynamic`` of ``text``)."""
    items = [strip(v) for v in values]
    first = items[0]
    if all(v == first for v in items):
        return values[0]
    if isinstance(first, Seq) and all(isinstance(v, Seq) and len(v.items) == len(first.items) for v in items):
        parts = [_join([v.items[i] for v in items if isinstance(v, Seq)], text) for i in range(len(first.items))]
        return Seq(tuple(p if p is not None else Dynamic(text) for p in parts))
    if isinstance(first, Obj) and all(isinstance(v, Obj) and v.type == first.type for v in items):
        shared = tuple((k, x) for k, x in first.captures if all(isinstance(v, Obj) and v.capture(k) == x for v in items))
        return Obj(first.type, shared, "", "")
    return None


def _plain_string(text: str) -> bool:
    """A one-quote literal without a prefix whose value is the text between its quotes: no
    backslash, no line break, no NUL, no inner quote of its kind (``literal_eval`` would agree)."""
    if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0] or text.startswith(('"""', "'''")):
        return False
    inner = text[1:-1]
    return text[0] not in inner and "\\" not in inner and "\n" not in inner and "\r" not in inner and "\x00" not in inner


def _plain_number(text: str) -> int | float | None:
    """The value of a decimal integer literal (no leading zero but in zero itself) or of a float of
    digits and one point, as ``literal_eval`` reads it; None for any other literal (left to it)."""
    if not text.isascii():
        return None
    if text.isdigit():
        return int(text) if text[0] != "0" or not text.strip("0") else None
    whole, dot, frac = text.partition(".")
    if dot and (whole or frac) and (not whole or whole.isdigit()) and (not frac or frac.isdigit()):
        return float(text)
    return None


@syntax_tables
class PythonAnalyzer(VariableOwners, SyntaxAnalyzer):
    language = "python"  # its syntax tables: languages/python.toml
    CALL_BYTE = b"("  # a call's arguments, a def's parameters
    SUBSCRIPT_BYTE = b"["

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_package = self.path.endswith("__init__.py")
        self._functions: dict[int, FunctionInfo] = {}  # function_definition id → info
        self._class_of: dict[int, ClassInfo] = {}  # class_definition id → info
        self._self_configures: dict[int, dict[str, list[tuple[Node, Scope]]]] = {}
        self._configures: dict[int, list[tuple[Node, Scope]]] = {}  # id(binding) → x.mount(...) calls applied when x is evaluated
        self._params: dict[int, list[tuple[str, str, Node | None]]] = {}  # function node id → (kind, name, annotation)
        self._plain_params: dict[int, list[tuple[str, Node | None]]] = {}  # function node id → function_params
        self._self_names: dict[int, str | None] = {}  # function node id → _self_name
        self._registered: dict[int, ClassInfo] | None = None  # function / class node id → the same-file class whose body lists it (registered_in)
        # (id of the scope owning the holder's root name, holder's path, key) → the value stored there:
        # ``app.config["X"] = value`` read back as ``app.config["X"]`` (Flask's configuration)
        self._items: dict[tuple[int, str, Any], tuple[Node, Scope]] = {}
        self._reading_items: set[tuple[int, str, Any]] = set()
        # attribute node id → its member parts (the tree does not change during a file's analysis)
        self._members: dict[int, tuple[Node, str] | None] = {}
        # parameters typed by their call sites (param_objects): the file's calls by name, callers' scopes, results
        self._call_index: dict[str, list[Node]] = {}  # name → its calls (_calls_named)
        self._guard_chains: dict[int, tuple[tuple[bool, Node | None], ...]] = {}  # block node id → _guard_chain
        self._caller_scopes: dict[int, Scope] = {}
        self._param_objects: dict[int, dict[str, Any]] = {}
        self._param_depth = 0
        self._lambda_params: dict[int, dict[str, Any]] = {}  # lambda node id → its parameters typed by lambda_arg
        self._lambda_typed = False  # some lambda's parameter is typed (an entry of _lambda_params not empty)
        self._sites: dict[int, Site | None] = {}  # call node id → its site (``site``)
        self._simple: dict[tuple[int, frozenset[str], bool], list[Node]] = {}  # _simple_statements of a block
        self._chains: dict[int, tuple[list[Node], Node | None]] = {}  # assignment node id → _chain
        self._base_nodes: dict[int, list[Node]] = {}  # class node id → its base expressions (_bases)
        self._lambda_returned: dict[int, bool] = {}  # lambda node id → the function it is given returns its call's result

    # ================================================================ entry
    def run(self) -> FileResult:
        root = self.tree.root_node
        if root.has_error:
            error = self.syntax_error(root)
            if error is not None:  # not Python: reported, nothing analysed
                res = self.result
                src = self.source
                res.lines = src.count(b"\n") + (0 if src.endswith(b"\n") or not src else 1)
                line, message = error
                res.diagnostics.append(Diagnostic(self.path, "syntax_error", f"cannot parse: {message}", line=line, severity="error"))
                return res
        res = super().run()
        if not self.module_name:  # the engine collects exports for named modules only; a service's top package too
            self.collect_exports()
        return res

    def syntax_error(self, root: Node) -> tuple[int, str] | None:
        """(line, message) when the file is not Python. Tree-sitter parses anything, so a tree with
        errors is checked by the standard library's parser (``ast.parse`` parses, nothing runs);
        the line is where that parser stops."""
        try:
            ast.parse(self.source, self.path)
        except SyntaxError as exc:
            return exc.lineno or self._first_error_line(root), exc.msg or "syntax error"
        except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
            return self._first_error_line(root), f"{type(exc).__name__}: {exc}"
        return None

    # ================================================================ top level
    def _qual(self, scope: Scope, name: str) -> str:
        return f"{scope.qualname}.{name}" if scope.qualname else name

    def prescan(self, root: Node) -> None:
        self.prescan_block(root, self.module_scope)

    def prescan_block(self, block: Node, scope: Scope) -> None:
        """Bind module-level (or class-body) names before walking: imports (first wins), constants,
        functions, classes; into if/try/with blocks, not into functions, classes or loops."""
        for st in self._simple_statements(block, _FLAT_INTO, definitions=True):
            t = st.type
            if t in ("import_statement", "import_from_statement"):
                self.bind_import(st, scope, first_wins=True)
            elif t == "assignment":
                self._prebind_assignment(st, scope)
            elif t == "call":
                self._record_configure(st, scope)
            elif t == "function_definition":
                self.declare_def(st, scope)
            elif t == "class_definition":
                self.declare_class(st, scope)
            elif t == "named_expression":  # if board := make_board(): board bound to the call
                name, value = st.child_by_field_name("name"), st.child_by_field_name("value")
                if name is not None and value is not None and self.text(name) not in scope.bindings:
                    scope.bindings[self.text(name)] = Binding(expr=value, scope=scope)

    def _simple_statements(self, block: Node | None, into: frozenset[str], definitions: bool = False) -> list[Node]:
        """The simple statements of a block in order (an expression statement: its expressions;
        returns and imports), into the compound statements of ``into``; functions and classes
        (decorated ones too) with ``definitions``, else not (their bodies are other scopes).
        A list built by plain recursion: nested generators cost a frame per level for every item;
        once per block (the scans of a function's scope ask again; no caller changes the list)."""
        if block is None:
            return []
        key = (block.id, into, definitions)
        out = self._simple.get(key)
        if out is None:
            out = self._simple[key] = []
            self._simple_into(block, into, definitions, out)
        return out

    def _simple_into(self, block: Node, into: frozenset[str], definitions: bool, out: list[Node]) -> None:
        for st in block.named_children:
            t = st.type
            if t == "expression_statement":
                out += st.named_children
            elif t in ("function_definition", "class_definition", "decorated_definition"):
                d = st.child_by_field_name("definition") if t == "decorated_definition" else st
                if definitions and d is not None:
                    out.append(d)
            elif t in ("return_statement", "import_statement", "import_from_statement"):
                out.append(st)
            elif t in into:
                self._compound_statements(st, into, definitions, out)

    def _compound_statements(self, node: Node, into: frozenset[str], definitions: bool, out: list[Node]) -> None:
        for part in node.named_children:
            if part.type == "named_expression" and definitions:  # if x := f(): (the prescan binds x)
                out.append(part)
            elif part.type == "block":
                self._simple_into(part, into, definitions, out)
            elif part.type in into:
                self._compound_statements(part, into, definitions, out)

    def _prebind_assignment(self, node: Node, scope: Scope) -> None:
        targets, value = self._chain(node)
        ann = node.child_by_field_name("type")
        if not targets:
            return
        if value is None:  # x: T
            left = targets[0]
            if ann is not None and left.type == "identifier" and self.text(left) not in scope.bindings:
                scope.bindings[self.text(left)] = Binding(type_node=ann, scope=scope)
            return
        for target in reversed(targets):  # a = b = value: b, then a (with the annotation)
            self._prebind(target, value, scope, ann if target is targets[0] else None)

    def _prebind(self, target: Node, value: Node, scope: Scope, ann: Node | None) -> None:
        if target.type == "subscript":
            self._store_item(target, value, scope)
        elif target.type == "identifier":
            name = self.text(target)
            prev = scope.bindings.get(name)
            if prev is not None and prev.expr is not None and prev.expr.id != value.id:
                if self.text(prev.expr) != self.text(value):
                    prev.ambiguous = True
                    prev.expr = value
                    return
            scope.bindings[name] = Binding(expr=value, scope=scope, type_node=ann)
        elif target.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "expression_list"):
            values = self._elements(value) if value.type in ("tuple", "list", "expression_list") else None
            for i, el in enumerate(self._elements(target)):
                if (
                    values is not None
                    and i < len(values)
                    and el.type != "list_splat_pattern"
                    and values[i].type not in ("list_splat", "parenthesized_list_splat")
                ):
                    self._prebind(el, values[i], scope, None)
                elif el.type == "identifier":
                    scope.bindings[self.text(el)] = Binding(value=Dynamic(self.text(el)))

    @staticmethod
    def _elements(node: Node) -> list[Node]:
        if node.type == "parenthesized_expression":
            kids = [c for c in node.named_children if c.type != "comment"]
            if len(kids) == 1:
                return PythonAnalyzer._elements(kids[0])
        return [c for c in node.named_children if c.type != "comment"]

    def _record_configure(self, call: Node, scope: Scope) -> None:
        """``x.mount(...)`` on a lazily bound name: applied to the object whenever ``x`` is evaluated."""
        func = call.child_by_field_name("function")
        if func is None or func.type != "attribute":
            return
        obj, attr = func.child_by_field_name("object"), func.child_by_field_name("attribute")
        if obj is None or attr is None or obj.type != "identifier" or self.text(attr) not in self.index.configure_methods:
            return
        b = scope.bindings.get(self.text(obj))
        if b is not None and b.expr is not None:
            self._configures.setdefault(id(b), []).append((call, scope))

    def declare_def(self, node: Node, scope: Scope) -> FunctionInfo | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        fn = self._functions.get(node.id)
        if fn is None:
            name = self.text(name_node)
            cls = scope.cls if scope.kind == "class" else None
            fn = self._functions[node.id] = FunctionInfo(node, scope, self._qual(scope, name), name, cls)
            if cls is not None:
                cls.methods.setdefault(name, fn)
        scope.bindings[fn.name] = Binding(value=FunctionValue(fn))
        return fn

    def declare_class(self, node: Node, scope: Scope) -> ClassInfo | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        cls = self._class_of.get(node.id)
        if cls is None:
            name = self.text(name_node)
            qual = self._qual(scope, name)
            cscope = Scope("class", qual, scope)
            cls = self._class_of[node.id] = ClassInfo(name, node, cscope, qual)
            cscope.cls = cls
            self._classes.setdefault(name, cls)
            body = node.child_by_field_name("body")
            if body is not None:
                self.prescan_block(body, cscope)
        scope.bindings[cls.name] = Binding(value=ClassValue(cls))
        return cls

    def walk_root(self, root: Node) -> None:
        for st in root.named_children:
            self.walk_statement(st, self.module_scope)

    # ================================================================ imports
    def absolute_module(self, node: Node) -> str:
        mod_node = node.child_by_field_name("module_name")
        if mod_node is None:
            return ""
        if mod_node.type != "relative_import":
            return self.text(mod_node)
        prefix = next((c for c in mod_node.children if c.type == "import_prefix"), None)
        level = len(self.text(prefix).strip()) if prefix is not None else 0
        dn = next((c for c in mod_node.named_children if c.type == "dotted_name"), None)
        mod = self.text(dn) if dn is not None else ""
        parts = self.module_name.split(".") if self.module_name else []
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
        base = ".".join(parts)
        return f"{base}.{mod}" if base and mod else (base or mod or "")

    def bind_import(self, node: Node, scope: Scope, first_wins: bool = False) -> None:
        if node.type == "import_statement":
            for item in node.children_by_field_name("name"):
                if item.type == "aliased_import":
                    full = self._dotted_text(item.child_by_field_name("name"))
                    alias = item.child_by_field_name("alias")
                    local, qual = (self.text(alias), full) if alias is not None else (full.split(".", 1)[0],) * 2
                else:
                    full = self._dotted_text(item)
                    local = qual = full.split(".", 1)[0]
                self._bind_qual(scope, local, qual, first_wins)
            return
        if any(c.type == "wildcard_import" for c in node.named_children):
            return
        base = self.absolute_module(node)
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                name = self._dotted_text(item.child_by_field_name("name"))
                alias = item.child_by_field_name("alias")
                local = self.text(alias) if alias is not None else name
            else:
                name = local = self._dotted_text(item)
            self._bind_qual(scope, local, f"{base}.{name}" if base else name, first_wins)

    def _dotted_text(self, node: Node | None) -> str:
        return "".join(self.text(node).split()) if node is not None else ""

    def _bind_qual(self, scope: Scope, local: str, qual: str, first_wins: bool) -> None:
        if not local:
            return
        if first_wins and local in scope.bindings and isinstance(old := scope.bindings[local].value, Ref):
            known = known_names(self.index)[0]  # the first wins, unless only this one is a name the rules know
            if qual not in known or old.qualname in known:  # (if ...: import advocate as r  else: import requests as r)
                return
        scope.bindings[local] = Binding(value=Ref(qual))
        if scope.kind == "module":
            self.result.imports[local] = qual

    # ================================================================ names and bindings
    def exported(self, name: str) -> bool:
        return not name.startswith("_")  # private by convention (SyntaxAnalyzer's: every name but <init>)

    def unbound_name(self, name: str) -> Any:
        return Ref(name) if name in BUILTIN_NAMES else Dynamic(name)

    # SyntaxAnalyzer's layers over these engine readers apply the rules' timers:, config:, scales: and
    # env defaults (no Python rule has those blocks) and read class fields bound as MemberOf (Python
    # reads them through instance_member): the engine's own are used, a call frame less on the
    # hottest paths (they cost about 2 % of the cold Python scan)
    lookup_name = Analyzer.lookup_name
    declared_instance = Analyzer.declared_instance
    NAMED_VALUES = (Const, Seq, Map, Concat, Env, Call)  # the engine's but BinOp: arithmetic stays unnamed

    def binding_value(self, b: Binding, name: str) -> Any:
        if b.value is not UNBOUND:
            v = b.value
            if isinstance(v, Ref):
                return self.imported(v.qualname, v)
            return v
        if b.expr is None:
            if b.type_node is not None:
                return self.declared_instance(b.type_node, b.scope or self.module_scope, name, b.param)
            return Dynamic(name)
        key = id(b)
        if key in self._in_progress:
            return Dynamic(name)
        self._in_progress.add(key)
        try:
            v = self.evaluate(b.expr, b.scope or self.module_scope)
            if b.index < 0:  # a, b = f(): the item of what f() returns (a list of known length)
                v = self.item_value(v, Const(-b.index - 1))
                v = v if v is not None and not isinstance(strip(v), Dynamic) else Dynamic(name)
            confs = self._configures.get(key)
            if confs and isinstance(v, Obj):
                for call, cscope in confs:
                    site = self.site(call, cscope)
                    if site is not None:
                        v = self.configure_obj(v, site, cscope)
        finally:
            self._in_progress.discard(key)
        return self.named_value(b, name, v)

    def resolve_type(self, type_node: Node, scope: Scope) -> Any:
        """An annotation's type: ``T``, ``W[T]`` for a wrapper the platform rule names
        (``type_wrappers:``, ``typing.Optional``), ``T | None`` (one level)."""
        inner = self._unwrap_type(type_node)
        if inner is not None and inner.type in ("generic_type", "subscript"):  # Optional[T]
            head = inner.child_by_field_name("value") or (inner.named_children[0] if inner.named_children else None)
            wrapper = self.evaluate(head, scope) if head is not None and head.type in ("identifier", "attribute") else None
            if isinstance(wrapper, Ref) and wrapper.qualname in self.index.type_wrappers:
                if inner.type == "subscript":
                    args = list(inner.children_by_field_name("subscript"))
                else:
                    args = [c for c in inner.named_children[1:] if c.type != "comment"]
                    if args and args[0].type == "type_parameter":
                        args = [c for c in args[0].named_children if c.type != "comment"]
                if args:
                    inner = self._unwrap_type(args[0])
        if inner is not None and inner.type in ("binary_operator", "union_type"):  # T | None
            op = inner.child_by_field_name("operator")
            if inner.type == "union_type" or (op is not None and self.text(op) == "|"):
                inner = self._unwrap_type(inner.child_by_field_name("left") or inner.named_children[0])
        if inner is None or inner.type == "string":
            return None
        t = self.evaluate(inner, scope)
        return t if isinstance(t, Ref) else None

    @staticmethod
    def _unwrap_type(node: Node | None) -> Node | None:
        while node is not None and node.type == "type":
            node = next((c for c in node.named_children if c.type != "comment"), None)
        return node

    # ================================================================ evaluation
    def ev_identifier(self, node: Node, scope: Scope) -> Any:
        if self._lambda_typed and (typed := self._lambda_param(node)) is not None:
            return typed
        # lookup_name (the engine's) and binding_value's memoised case inline: the hottest evaluation
        name = self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")
        b = scope.lookup(name)
        if b is None:
            return self.unbound_name(name)
        v = b.value
        if v is UNBOUND:
            return self.binding_value(b, name)
        return self.imported(v.qualname, v) if isinstance(v, Ref) else v

    def ev_named_literal(self, node: Node, scope: Scope) -> Any:
        return Const(_NAMED_LITERALS[node.type])

    def ev_keyword(self, node: Node, scope: Scope) -> Any:
        return self.evaluate(node.child_by_field_name("value"), scope)

    def ev_number(self, node: Node, scope: Scope) -> Any:
        text = self.text(node)
        plain = _plain_number(text)  # the common case, without literal_eval's parse
        if plain is not None:
            return Const(plain)
        try:
            v = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return Opaque(node)
        return Const(v) if isinstance(v, (int, float)) else Opaque(node)

    def ev_string(self, node: Node, scope: Scope) -> Any:
        start = next((c for c in node.children if c.type == "string_start"), None)
        prefix = self.text(start).lower() if start is not None else ""
        if "f" in prefix:
            parts: list[Value] = []
            for c in node.children:
                if c.type == "string_content":
                    parts.append(Const(self.text(c)))
                elif c.type == "interpolation":
                    expr = c.child_by_field_name("expression")
                    parts.append(self.to_value(self.evaluate(expr, scope)) if expr is not None else Dynamic(self.text(c)))
            return simplify_concat(tuple(parts))
        text = self.text(node)
        if prefix in ("'", '"') and _plain_string(text):  # the common case, without literal_eval's parse
            return Const(text[1:-1])
        try:
            v = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return Opaque(node)
        return Const(v.decode("latin-1") if isinstance(v, bytes) else v)

    def ev_concat(self, node: Node, scope: Scope) -> Any:
        return simplify_concat(tuple(self.to_value(self.evaluate(c, scope)) for c in node.named_children if c.type == "string"))

    def ev_dict(self, node: Node, scope: Scope) -> Any:
        els = [c for c in node.named_children if c.type != "comment"]
        if len(els) > MAX_LITERAL_ITEMS:
            return Opaque(node)
        pairs = []
        for el in els:
            if el.type != "pair":
                continue
            k, v = self.evaluate(el.child_by_field_name("key"), scope), self.evaluate(el.child_by_field_name("value"), scope)
            pairs.append((self.to_value(k), self.to_value(v)))
        return Map(tuple(pairs))

    def ev_conditional(self, node: Node, scope: Scope) -> Any:
        kids = [c for c in node.named_children if c.type != "comment"]
        if len(kids) != 3:
            return Opaque(node)
        a, b = self.evaluate(kids[0], scope), self.evaluate(kids[2], scope)
        if isinstance(a, Obj):
            return a
        if isinstance(b, Obj):
            return b
        return self._env_or_default(kids[1], a, b, scope) or self.one_of([a, b]) or Opaque(node)

    def _env_or_default(self, cond: Node, a: Any, b: Any, scope: Scope) -> Env | None:
        """``A if E is None else E`` (``E`` an environment read, also in parentheses): ``E`` with
        the default ``A``, as ``os.environ.get(var, A)`` is; a branch that decorates ``E`` with
        constants (``"." + E``) gives the same, without the decoration (documented, as Java's
        ``X == null ? "" : "." + X``). None for any other conditional."""
        while cond.type == "parenthesized_expression" and cond.named_child_count == 1:
            cond = cond.named_children[0]
        if cond.type != "comparison_operator" or cond.named_child_count != 2 or not self.is_value(a) or not self.is_value(b):
            return None
        ops = [self.text(c) for c in cond.children if not c.is_named]
        left, right = cond.named_children
        if ops != ["is"] or right.type != "none":
            return None
        read = strip(self.to_value(self.evaluate(left, scope)))
        if not isinstance(read, Env) or read.default is not None:
            return None
        made = strip(self.to_value(b))
        parts = [strip(p) for p in made.parts] if isinstance(made, Concat) else [made]
        if parts.count(read) != 1 or not all(p == read or isinstance(p, Const) for p in parts):
            return None
        return Env(read.var, self.to_value(a))

    def ev_boolean(self, node: Node, scope: Scope) -> Any:
        op_node = node.child_by_field_name("operator")
        if op_node is None or self.text(op_node) != "or":
            return Opaque(node)
        left = self.evaluate(node.child_by_field_name("left"), scope)
        right = self.evaluate(node.child_by_field_name("right"), scope)
        env = strip(left) if self.is_value(left) else None
        if isinstance(env, Env):
            return Env(env.var, self.to_value(right) if self.is_value(right) else None)
        if isinstance(right, Obj):
            return right
        return Opaque(node)

    def ev_attribute(self, node: Node, scope: Scope) -> Any:
        obj, attr_node = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if obj is None or attr_node is None:
            return Opaque(node)
        base = self.evaluate(obj, scope)
        attr = self.text(attr_node)
        if isinstance(base, Ref):  # an object another module of the service exports
            found = self.imported(f"{base.qualname}.{attr}", None)
            if found is not None:
                return found
        elif isinstance(base, ClassValue):  # Cls.NAME: a class-body name
            b = base.cls.scope.bindings.get(attr)
            return self.binding_value(b, attr) if b is not None else Opaque(node)
        elif isinstance(base, (Map, Named)):  # a dict has items, not attributes
            return Opaque(node)
        return self.eval_member(base, attr, node, scope)

    def ev_subscript(self, node: Node, scope: Scope) -> Any:
        value = node.child_by_field_name("value")
        subs = list(node.children_by_field_name("subscript"))
        base = self.evaluate(value, scope)
        key: Any = self.evaluate(subs[0], scope) if len(subs) == 1 and subs[0].type != "slice" else None
        k = strip(key) if key is not None and self.is_value(key) else None
        if isinstance(base, Ref) and base.qualname in self.index.env_objects and isinstance(k, Const):  # os.environ["X"] (python.platform.stdlib)
            return Env(str(k.value))
        found = self.item_value(base, k)
        if found is not None:
            return found
        stored = self.stored_item(node, scope) if isinstance(k, Const) else None
        if stored is not None:
            return stored
        if isinstance(base, Ref) and isinstance(k, Const):
            return Ref(f"{base.qualname}[{k.value!r}]")
        if isinstance(base, Obj) and isinstance(k, Const) and isinstance(k.value, str):
            otype = self.index.types.get(base.type)
            if otype is not None and otype.members is not None:  # client["orders"]: a member, like client.orders
                mtype, mcap = otype.members
                return Obj(mtype, base.captures + (((mcap, k),) if mcap else ()), base.name, base.origin)
        return Opaque(node)

    def ev_call(self, node: Node, scope: Scope) -> Any:
        formatted = self.str_format(node, scope)
        if formatted is not None:
            return formatted
        site = self.site(node, scope)
        if site is None:
            return Opaque(node)
        v = self.eval_call(site, scope)
        if type(v) is Opaque and len(site.args) == 1 and not site.kwargs and site.func is not None:
            conv = self._converters.get(self.callee(site.func, scope)[0] or "")
            if conv is not None and conv.to == "str":  # str(x) of an unknown x: an unknown string (a URL's part)
                return Dynamic(self.text(node))
        return v

    def str_format(self, node: Node, scope: Scope) -> Value | None:
        """``"http://{}:{port}/x".format(host, port=p)`` on a known string: its parts, the arguments
        as values (unknown ones as their text); None when it is not such a call."""
        func, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if func is None or args is None or func.type != "attribute" or args.type != "argument_list":
            return None
        attr, obj = func.child_by_field_name("attribute"), func.child_by_field_name("object")
        if attr is None or obj is None or self.text(attr) != "format":
            return None
        template = strip(self.to_value(self.evaluate(obj, scope)))
        if not isinstance(template, Const) or not isinstance(template.value, str):
            return None
        positional: list[Node] = []
        named: dict[str, Node] = {}
        for a in args.named_children:
            if a.type == "keyword_argument":
                k, v = a.child_by_field_name("name"), a.child_by_field_name("value")
                if k is not None and v is not None:
                    named[self.text(k)] = v
            elif a.type in ("list_splat", "dictionary_splat"):
                return None
            elif a.type != "comment":
                positional.append(a)
        try:
            pieces = list(string.Formatter().parse(template.value))
        except ValueError:
            return None
        parts: list[Value] = []
        auto = 0
        for text, field, _spec, _conv in pieces:
            if text:
                parts.append(Const(text))
            if field is None:
                continue
            head = field.split(".", 1)[0].split("[", 1)[0]
            if head == "":
                head, auto = str(auto), auto + 1
            arg = positional[int(head)] if head.isdigit() and int(head) < len(positional) else named.get(head)
            if arg is None or "." in field or "[" in field:  # a missing argument, an attribute or item of one
                parts.append(Dynamic(field or head))
                continue
            v = self.evaluate(arg, scope)
            parts.append(self.to_value(v) if self.is_value(v) else Dynamic(self.text(arg)))
        return simplify_concat(tuple(parts))

    def class_instance(self, cls: ClassInfo, site: Site) -> Any:
        """``MyBreaker()``: the engine's policy object of a subclass of a tracked class; an instance of
        a subclass of a tracked library type whose methods only extend the base's own
        (``class S(requests.Session)`` with ``def request(...): ... return super().request(...)``) is
        that type's object; other classes' instances stay opaque."""
        inst = self.policy_instance(cls) if self.index.classes else None
        if inst is None:
            inst = self._library_subclass(cls)
        return inst if inst is not None else Opaque(site.node)

    def _library_subclass(self, cls: ClassInfo) -> Obj | None:
        chain = list(self.base_chain(cls))
        if any(not self._extends_super(fn) for c in chain for fn in c.methods.values()):
            return None
        for c in chain:
            for base in self.class_bases(c):
                otype = next((t for t in self.index.ctor(base) if t.requires is None), None)
                if otype is not None:
                    return Obj(otype.type, (), "", "")
        return None

    def _extends_super(self, fn: FunctionInfo) -> bool:
        """Whether a method calls the base class's method of its name (``super().request(...)``)."""
        stack = [fn.node.child_by_field_name("body")]
        while stack:
            n = stack.pop()
            if n is None or n.type in ("function_definition", "class_definition", "lambda"):
                continue
            attr = n.child_by_field_name("attribute") if n.type == "attribute" else None
            if attr is not None and self.text(attr) == fn.name:
                obj = n.child_by_field_name("object")
                callee = obj.child_by_field_name("function") if obj is not None and obj.type == "call" else None
                if callee is not None and self.text(callee) == "super":
                    return True
            stack.extend(n.named_children)
        return False

    # ================================================================ classes and self
    def _bases(self, cls: ClassInfo) -> list[Any]:
        """What a class's bases are: ``Ref`` (another module's class), ``ClassValue`` (a same-file one)."""
        nodes = self._base_nodes.get(cls.node.id)
        if nodes is None:
            sup = cls.node.child_by_field_name("superclasses")
            skip = ("keyword_argument", "comment", "list_splat", "dictionary_splat")
            nodes = self._base_nodes[cls.node.id] = [c for c in sup.named_children if c.type not in skip] if sup is not None else []
        return [self.evaluate(n, cls.scope.parent or self.module_scope) for n in nodes] if nodes else []

    def same_file_bases(self, cls: ClassInfo) -> list[ClassInfo]:
        return [bv.cls for bv in self._bases(cls) if isinstance(bv, ClassValue) and bv.cls is not cls]

    def instance_member(self, inst: Instance, attr: str, node: Node | None) -> Any:
        """``self.x``: what the methods of the class assign to it, else a class-body name, else the
        same of the base class (the engine's ``base_chain``)."""
        for cls in self.base_chain(inst.cls):
            if cls.members is None:
                self.collect_members(cls)
            entries = cls.members.get(attr) if cls.members is not None else None
            if entries:
                return self._assigned_member(cls, attr, entries)
            b = cls.scope.bindings.get(attr)
            if b is not None:
                return self.binding_value(b, attr)
        return self.inherited_member(inst.cls, attr, 0)

    def inherited_member(self, cls: ClassInfo, attr: str, depth: int) -> Any:
        """``self.x`` that no same-file class of the chain sets: an attribute a library base class
        provides, when a rule declares ``Base.x`` an instance (``locust.HttpUser.client``); else the
        attribute of the same-file class whose body lists this one (``tasks = [UserBehavior]``:
        the class runs it and lends it its attributes, ``registered_in``)."""
        for c in self.base_chain(cls):
            for base in self.class_bases(c):
                found = self.resolve_ref(f"{base}.{attr}")
                if isinstance(found, Obj):
                    return found
        owner = self.registered_in(cls.node)
        if owner is not None and depth < 4:
            for c in self.base_chain(owner):
                if c.members is None:
                    self.collect_members(c)
                if (c.members is not None and attr in c.members) or attr in c.scope.bindings:
                    return self.instance_member(Instance(owner, "self"), attr, None)
            return self.inherited_member(owner, attr, depth + 1)
        return Dynamic(f"self.{attr}")

    def registered_in(self, node: Node) -> ClassInfo | None:
        """The same-file class whose body lists the function or class ``node`` in a literal
        (``tasks = {index: 1}``, ``actions = [publish]``) or declares it as a decorated nested class
        (``@task class Browse(TaskSet)``): the class calls it as one of its own methods (a module
        function gets the instance as its first parameter). The first class wins."""
        if self._registered is None:
            self._registered = {}
            for cls in list(self._class_of.values()):
                body = cls.node.child_by_field_name("body")
                for st in body.named_children if body is not None else []:
                    inner = st.child_by_field_name("definition") if st.type == "decorated_definition" else None
                    if inner is not None and inner.type == "class_definition":  # @task class Browse(TaskSet): registered by its decorator
                        self._registered.setdefault(inner.id, cls)
                        continue
                    assign = next(iter(st.named_children), None) if st.type == "expression_statement" else None
                    right = assign.child_by_field_name("right") if assign is not None and assign.type == "assignment" else None
                    if right is None or right.type not in ("list", "set", "tuple", "dictionary"):
                        continue
                    items = [kv.child_by_field_name("key") if kv.type == "pair" else kv for kv in right.named_children]
                    for item in items:
                        v = self.evaluate(item, cls.scope) if item is not None and item.type == "identifier" else None
                        if isinstance(v, FunctionValue) and v.fn.cls is None:
                            self._registered.setdefault(v.fn.node.id, cls)
                        elif isinstance(v, ClassValue) and v.cls is not cls:
                            self._registered.setdefault(v.cls.node.id, cls)
        return self._registered.get(node.id)

    def _assigned_member(self, cls: ClassInfo, attr: str, entries: list[tuple[Node, Scope]]) -> Any:
        memo = cls.member_cache  # the engine's: an attached policy (emit.attach_policies) marks it
        if attr in memo:
            return memo[attr]
        memo[attr] = Dynamic(f"self.{attr}")  # while in progress (a cycle)
        values = [self.evaluate(expr, mscope) for expr, mscope in entries]
        objs = [v for v in values if isinstance(v, Obj)]
        result: Any = Dynamic(f"self.{attr}")
        if objs:
            result = objs[-1]
            for call, mscope in self._self_configures.get(cls.node.id, {}).get(attr, ()):
                site = self.site(call, mscope)
                if site is not None:
                    result = self.configure_obj(result, site, mscope)
        elif all(v == values[0] for v in values):
            result = values[0]
        memo[attr] = result
        return result

    def collect_members(self, cls: ClassInfo) -> None:
        """The engine's ``cls.members``: ``self.x = ...`` assignments of all methods; and the
        ``self.x.configure(...)`` calls (``_self_configures``)."""
        attrs: dict[str, list[tuple[Node, Scope]]] = {}
        confs: dict[str, list[tuple[Node, Scope]]] = {}
        cls.members = attrs
        self._self_configures[cls.node.id] = confs
        body = cls.node.child_by_field_name("body")
        for st in self.iter_named(body):
            fnode = st.child_by_field_name("definition") if st.type == "decorated_definition" else st
            if fnode is None or fnode.type != "function_definition":
                continue
            fn = self._functions.get(fnode.id) or self.declare_def(fnode, cls.scope)
            if fn is None:
                continue
            self_name = self._self_name(fn)
            if self_name is None:  # a static method or a function: no members (its scope not built)
                continue
            mscope = self.function_scope(fn)
            for small in self._simple_statements(fnode.child_by_field_name("body"), _SCAN_INTO):
                if small.type == "assignment":
                    targets, right = self._chain(small)
                    if right is None:
                        continue
                    for target in targets:
                        if target.type == "attribute":
                            o, a = target.child_by_field_name("object"), target.child_by_field_name("attribute")
                            if o is not None and a is not None and o.type == "identifier" and self.text(o) == self_name:
                                attrs.setdefault(self.text(a), []).append((right, mscope))
                        elif target.type == "identifier":
                            mscope.bindings[self.text(target)] = Binding(expr=right, scope=mscope)
                elif small.type == "call":
                    func = small.child_by_field_name("function")
                    o = func.child_by_field_name("object") if func is not None and func.type == "attribute" else None
                    if o is not None and o.type == "attribute":
                        oo, oa = o.child_by_field_name("object"), o.child_by_field_name("attribute")
                        if oo is not None and oa is not None and oo.type == "identifier" and self.text(oo) == self_name:
                            confs.setdefault(self.text(oa), []).append((small, mscope))
                            continue
                    self._record_configure(small, mscope)

    def constructor_members(self, fn: FunctionInfo) -> tuple[tuple[str, Value], ...]:
        """For the summary (``FunctionSummary.members``): the attributes ``__init__`` sets to one of
        its parameters (``self.url = url``: ``("url", Dynamic("url"))``) and no method sets otherwise;
        the link stage gives them the values the constructor's call sites pass."""
        cls = fn.cls
        self_name = self._self_name(fn) if fn.name == "__init__" else None
        if cls is None or self_name is None:
            return ()
        if cls.members is None:
            self.collect_members(cls)
        params = {n for k, n, _ in self._param_nodes(fn.node) if k == "plain" and n != self_name}
        out = []
        for attr, entries in sorted((cls.members or {}).items()):
            expr, mscope = entries[0]
            name = self.text(expr) if expr.type == "identifier" else ""
            rebound = (b := mscope.bindings.get(name)) is not None and b.expr is not None  # url = url or DEFAULT
            if len(entries) == 1 and mscope.function is fn and name in params and not rebound:
                out.append((attr, Dynamic(name)))
        return tuple(out)

    def class_bases(self, cls: ClassInfo) -> list[str]:
        return [v.qualname for v in self._bases(cls) if isinstance(v, Ref)]

    def summary_bases(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The file's classes with their bases, qualified (another module's class: its ``Ref``; a
        same-file one: module-qualified), for the summary: the link stage follows a method a class
        does not define to its bases across modules (``FileSummary.bases``)."""
        qualify = self.summary.qualify if self.summary is not None else str
        out = []
        for cls in sorted(self._class_of.values(), key=lambda c: c.node.start_byte):
            names = [
                v.qualname if isinstance(v, Ref) else qualify(v.cls.qualname)
                for v in self._bases(cls)
                if isinstance(v, Ref) or (isinstance(v, ClassValue) and v.cls is not cls)
            ]
            if names:
                out.append((cls.qualname, tuple(names)))
        return tuple(out)

    def class_constant(self, cls: ClassInfo, name: str, text: bool = False) -> Value | None:
        """``name`` bound in the class body, else in a same-file base class; its source text with ``text``."""
        for c in self.base_chain(cls, limit=9):
            b = c.scope.bindings.get(name)
            if b is not None:
                if text and b.expr is not None:
                    return Const(self.anchor_text(b.expr, 200))
                return self.to_value(self.binding_value(b, name))
        return None

    # ================================================================ functions
    def _decorator_nodes(self, fnode: Node) -> list[Node]:
        parent = fnode.parent
        if parent is None or parent.type != "decorated_definition":
            return []
        return [c for c in parent.named_children if c.type == "decorator"]

    def _is_static(self, fnode: Node) -> bool:
        return any(self.is_builtin(next(iter(d.named_children), None), "staticmethod", self.module_scope) for d in self._decorator_nodes(fnode))

    def _walked_scope(self, node: Node) -> Scope:
        """The scope of the walked function enclosing ``node``, else the module's."""
        cur = node.parent
        while cur is not None:
            walked = self._fn_scopes.get(cur.id) if cur.type == "function_definition" else None
            if walked is not None:
                return walked
            cur = cur.parent
        return self.module_scope

    def is_builtin(self, node: Node | None, name: str, scope: Scope) -> bool:
        """``node`` names the builtin ``name``: it resolves to it by name (a local ``def range``, an
        assignment or an import of that name shadows the builtin)."""
        if node is None or node.type != "identifier" or self.text(node) != name:
            return False
        v = self.lookup_name(name, scope)
        return isinstance(v, Ref) and v.qualname == name

    def _self_name(self, fn: FunctionInfo) -> str | None:
        """The name a method's first parameter gives its instance (None: a function, a static method)."""
        key = fn.node.id
        if key not in self._self_names:
            params = self._param_nodes(fn.node)
            plain = fn.cls is not None and params and params[0][0] == "plain" and not self._is_static(fn.node)
            self._self_names[key] = params[0][1] if plain else None
        return self._self_names[key]

    def _param_nodes(self, fnode: Node) -> list[tuple[str, str, Node | None]]:
        """(kind, name, annotation): kind is plain, star (*args) or kwstar (**kwargs)."""
        found = self._params.get(fnode.id)
        if found is None:
            found = self._params[fnode.id] = self._read_params(fnode)
        return found

    def _read_params(self, fnode: Node) -> list[tuple[str, str, Node | None]]:
        params = fnode.child_by_field_name("parameters")
        out: list[tuple[str, str, Node | None]] = []
        for p in self.iter_named(params):
            t = p.type
            if t == "identifier":
                out.append(("plain", self.text(p), None))
            elif t in ("typed_parameter", "typed_default_parameter", "default_parameter"):
                name = p.child_by_field_name("name")
                ann = p.child_by_field_name("type")
                if name is None and t == "typed_parameter":
                    name = next((c for c in p.named_children if c.type in ("identifier", "list_splat_pattern", "dictionary_splat_pattern")), None)
                if name is None:
                    continue
                if name.type == "list_splat_pattern":
                    out.append(("star", self.text(name).lstrip("*"), None))
                elif name.type == "dictionary_splat_pattern":
                    out.append(("kwstar", self.text(name).lstrip("*"), None))
                else:
                    out.append(("plain", self.text(name), ann))
            elif t == "list_splat_pattern":
                out.append(("star", self.text(p).lstrip("*"), None))
            elif t == "dictionary_splat_pattern":
                out.append(("kwstar", self.text(p).lstrip("*"), None))
        return out

    def keyword_splat(self, node: Node) -> str | None:
        """The name of a function's ``**kwargs`` parameter, if it has one."""
        return next((n for k, n, _ in self._param_nodes(node) if k == "kwstar"), None)

    def function_params(self, node: Node) -> list[tuple[str, Node | None]]:
        """The positional parameters after a method's instance (computed once per declared function)."""
        found = self._plain_params.get(node.id)
        if found is None:
            fn = self._functions.get(node.id)
            found = [(n, a) for k, n, a in self._param_nodes(node) if k == "plain"]
            if fn is not None and self._self_name(fn) is not None:
                found = found[1:]
            if fn is not None:  # an undeclared function's are not final (its method-ness is not known yet)
                self._plain_params[node.id] = found
        return found

    def class_report_node(self, cls: ClassInfo) -> Node:
        return cls.node.child_by_field_name("name") or cls.node

    def positional_params(self, fn: FunctionInfo) -> list[str]:
        return [n for k, n, _ in self._param_nodes(fn.node) if k == "plain"]  # self included

    def function_return(self, fn: FunctionInfo, site: Site | None, scope: Scope | None) -> Any:
        """A same-file function's return (the engine's), except that a result not known and no
        longer naming the caller's parameters it was given (``url = self._get_command_url(node)``,
        which reads ``node.driver_internal_info``) stays the call of those parameters: the value
        still comes from them, which an in-house wrapper's call sites (``through``) are found by."""
        result = super().function_return(fn, site, scope)
        if site is not None and scope is not None and not isinstance(result, (Obj, Instance)):
            made = self.callback_result(fn, site, scope)
            result = made if made is not None else result
        if site is None or scope is None or scope.function is None or isinstance(result, (Obj, Instance)):
            return result
        own = {n for k, n, _ in self._param_nodes(scope.function.node) if k == "plain"}
        given = {self.text(a) for a in site.args if a.type == "identifier" and self.text(a) in own and self.text(a) not in ("self", "cls")}
        if not given:
            return result
        texts = {x.text for x in walk(self.to_value(result)) if isinstance(x, Dynamic)} if self.is_value(result) else {""}
        if texts and not given & texts:
            return Call(fn.qualname, tuple(self.to_value(self.evaluate(a, scope)) for a in site.args))
        return result

    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        parent = fn.scope
        cls = parent.cls if parent.kind == "class" else None
        while parent.kind == "class" and parent.parent is not None:  # a class body's names are not visible in its methods
            parent = parent.parent
        scope = Scope("function", fn.qualname, parent, function=fn, cls=cls)
        self_name = self._self_name(fn) if cls is not None else None
        seen_self = False
        params = self._param_nodes(fn.node)
        for kind, name, ann in params:
            if kind == "plain" and self_name is not None and cls is not None and not seen_self:  # a self name: a method
                seen_self = True
                scope.bindings[name] = Binding(value=Instance(cls, "self"))
                continue
            if kind == "plain" and ann is not None:
                scope.bindings[name] = Binding(type_node=ann, scope=parent)
            else:
                scope.bindings[name] = Binding(value=Dynamic(name))
        owner = self.registered_in(fn.node) if cls is None and fn.scope.kind == "module" else None
        first = next((name for kind, name, ann in params if kind == "plain"), None)
        if owner is not None and first is not None and scope.bindings[first].type_node is None:  # listed in a class body: its instance, unless annotated
            scope.bindings[first] = Binding(value=Instance(owner, first))
        override = self._callbacks.get(fn.node.id)
        if override is not None:
            plain = self.function_params(fn.node)
            if override[0] < len(plain):
                scope.bindings[plain[override[0]][0]] = Binding(value=override[1])
        for name, v in self.param_objects(fn).items():  # typed by every call site of the file
            b = scope.bindings.get(name)
            if b is not None and b.type_node is None and isinstance(b.value, Dynamic):
                scope.bindings[name] = Binding(value=v)
        return scope

    # ---------------------------------------------------------------- parameters typed by their call sites
    MAX_PARAM_DEPTH = 3  # callers' parameters typed by their own callers, this many levels up

    def _calls_named(self, name: str) -> list[Node]:
        """The file's calls of ``name`` (``name(...)``, ``x.name(...)``) in source order of the
        name, found once per name: where the name's bytes stand as a whole word, the identifier
        there that is a call's function or its attribute (one search of the text per name asked,
        instead of a query of every call of the file)."""
        found = self._call_index.get(name)
        if found is not None:
            return found
        found = self._call_index[name] = []
        word = name.encode()
        if not word:
            return found
        source, size = self.source, len(word)
        root = self.tree.root_node
        at = source.find(word)
        while at >= 0:
            end = at + size
            if (at == 0 or source[at - 1] not in _WORD_BYTES) and (end == len(source) or source[end] not in _WORD_BYTES):
                ident = root.named_descendant_for_byte_range(at, end)
                if ident is not None and ident.type == "identifier" and ident.start_byte == at and ident.end_byte == end:
                    call = self._call_of(ident)
                    if call is not None:
                        found.append(call)
            at = source.find(word, end)
        return found

    @staticmethod
    def _call_of(ident: Node) -> Node | None:
        """The call whose function is ``ident`` or an attribute ending in it, else None."""
        parent = ident.parent
        if parent is None:
            return None
        if parent.type == "attribute":
            attr = parent.child_by_field_name("attribute")
            if attr is None or attr.id != ident.id:
                return None
            ident, parent = parent, parent.parent
            if parent is None:
                return None
        if parent.type != "call":
            return None
        func = parent.child_by_field_name("function")
        return parent if func is not None and func.id == ident.id else None

    def _caller_scope(self, node: Node) -> tuple[Scope, FunctionInfo | None] | None:
        """The scope a call is evaluated in outside the walk: its enclosing function's parameters
        and assignments (as ``function_return`` binds them), else the module's; None inside a
        lambda or an undeclared function."""
        cur = node.parent
        while cur is not None and cur.type not in ("function_definition", "lambda", "class_definition"):
            cur = cur.parent
        if cur is None or cur.type == "class_definition":
            return self.module_scope if cur is None else self.walked_class_scope(cur), None
        fn = self._functions.get(cur.id) if cur.type == "function_definition" else None
        if fn is None and cur.type == "function_definition" and cur.id not in self._caller_scopes:
            outer = self._caller_scope(cur)  # a nested function not walked yet: declared here, not registered
            name = cur.child_by_field_name("name")
            if outer is None or outer[0].kind != "function" or name is None:
                return None
            fn = FunctionInfo(cur, outer[0], f"{outer[0].qualname}.{self.text(name)}", self.text(name), None)
        elif fn is None and cur.id in self._caller_scopes:
            known = self._caller_scopes[cur.id]
            return known, known.function
        if fn is None:
            return None
        found = self._caller_scopes.get(cur.id)
        if found is None:
            found = self._caller_scopes[cur.id] = self.function_scope(fn)
            self.scan_function(fn, found)
        return found, fn

    def walked_class_scope(self, node: Node) -> Scope:
        cls = self._class_of.get(node.id)
        return cls.scope if cls is not None else self.module_scope

    def param_objects(self, fn: FunctionInfo) -> dict[str, Any]:
        """A parameter's value when every resolved call site of the function in this file passes an
        object of one tracked type (a rule's client or resource) or an instance of one same-file
        class: ``def _results(jobs): jobs.getQueryResults(...)`` called only as ``_results(service.jobs())``.
        A site passing anything else, or leaving the parameter to its default, types nothing; a
        recursive call passing the parameter on unchanged counts for nothing."""
        key = fn.node.id
        found = self._param_objects.get(key)
        if found is not None:
            return found
        self._param_objects[key] = {}  # while in progress (a cycle): nothing
        plain = self.function_params(fn.node)
        if all(ann is not None for _, ann in plain):  # no parameter left untyped (a method of self alone): nothing, before any search
            return {}
        cls = fn.cls
        called = cls.name if fn.name == "__init__" and cls is not None else fn.name
        if self.source.count(called.encode() + b"(") < (1 if called != fn.name else 2):  # no call besides the def: no site
            return {}
        sites = self._calls_named(called)
        if not sites or self._param_depth >= self.MAX_PARAM_DEPTH:
            if self._param_depth >= self.MAX_PARAM_DEPTH:
                del self._param_objects[key]  # not final: asked again from a shallower level
            return {}
        self._param_depth += 1
        try:
            result = self._site_objects(fn, plain, sites)
        finally:
            self._param_depth -= 1
        self._param_objects[key] = result
        return result

    def _site_objects(self, fn: FunctionInfo, plain: list[tuple[str, Node | None]], sites: list[Node]) -> dict[str, Any]:
        seen: dict[str, list[Any]] = {n: [] for n, ann in plain if ann is None}
        for call in sites:
            if not seen:
                break  # every parameter has a site passing no object
            at = self._caller_scope(call)
            site = self.site(call, self.module_scope) if at is not None else None
            if at is None or site is None or site.func is None:
                continue
            scope = self.scope_at_point(at[0], call)
            local = self.callee(site.func, scope)[3]
            if isinstance(local, ClassValue):
                if fn.name != "__init__" or local.cls.methods.get("__init__") is not fn:
                    continue
            elif not isinstance(local, FunctionValue) or local.fn is not fn:
                continue
            elif fn.cls is not None and self._self_name(fn) is not None and site.func.type == "attribute":
                parts = self.member_parts(site.func)
                if parts is not None and isinstance(self.evaluate_shallow(parts[0], scope), ClassValue):
                    continue  # Class.method(x): the instance is an argument
            recursive = at[1] is fn
            for i, (pname, _) in enumerate(plain):
                if pname not in seen:
                    continue
                arg = site.kwargs.get(pname) or (site.args[i] if i < len(site.args) else None)
                if recursive and arg is not None and arg.type == "identifier" and self.text(arg) == pname:
                    continue
                v = self._passed_object(arg, scope) if arg is not None else None
                if v is None:
                    del seen[pname]  # this site passes no object (or leaves the default): nothing
                else:
                    seen[pname].append(v)
        out: dict[str, Any] = {}
        for pname, vals in seen.items():
            v = self._one_object(pname, vals)
            if v is not None:
                out[pname] = v
        return out

    def lambda_arg(self, fnode: Node, site: Site, scope: Scope, kw: str | None) -> None:
        """A lambda passed to a same-file function that calls it (by the parameter's name, in its
        body or a nested function it passes it on to) with an object:
        ``_connect(node, lambda conn: conn.get_system())`` where ``_connect`` does
        ``with Cache(...) as conn: return fetch(conn)``: the lambda's ``conn`` is that object
        (every such call passing one object of one type at that position; ``_lambda_params``)."""
        if fnode.id in self._lambda_params or site.func is None:
            return
        self._lambda_params[fnode.id] = {}
        local = self.callee(site.func, scope)[3]
        if not isinstance(local, FunctionValue):
            return
        params = [n for n, _ in self.function_params(local.fn.node)]
        pos = next((i for i, a in enumerate(site.args) if a.id == fnode.id), None)
        pname = kw if kw is not None else params[pos] if pos is not None and pos < len(params) else None
        if pname is None:
            return
        body = local.fn.node
        seen: dict[int, list[Any]] = {}
        calls = [c for c in self._calls_named(pname) if body.start_byte <= c.start_byte < body.end_byte]
        for c in calls:
            func = c.child_by_field_name("function")
            at = self._caller_scope(c) if func is not None and func.type == "identifier" else None
            csite = self.site(c, self.module_scope) if at is not None else None
            if at is None or csite is None:
                return  # called in a way not followed: nothing is known of its arguments
            cscope = self._with_scope(self.scope_at_point(at[0], c), c)
            for i, a in enumerate(csite.args):
                seen.setdefault(i, []).append(self._passed_object(a, cscope))
            if c.parent is not None and c.parent.type == "return_statement":
                self._lambda_returned[fnode.id] = True
        lparams = [n for n, _ in self.function_params(fnode)]
        for i, vals in sorted(seen.items()):
            v = self._one_object("", vals) if len(vals) == len(calls) else None
            if isinstance(v, Obj) and i < len(lparams):
                self._lambda_params[fnode.id] = {lparams[i]: v}
                self._lambda_typed = True
                return

    def callback_result(self, fn: FunctionInfo, site: Site, scope: Scope) -> Any:
        """What ``fn(..., lambda conn: conn.get_system(), ...)`` returns when ``fn`` returns the
        lambda's result: every return of ``fn`` is a call and one of them, or of a function nested
        in it, returns the call of the lambda's parameter (``return fetch(conn)``); the lambda's
        body, its parameter typed by ``lambda_arg``, if that is an object; else None."""
        args = [(a, None) for a in site.args if a.type == "lambda"] + [(v, k) for k, v in site.kwargs.items() if v.type == "lambda"]
        if not args or len(args) > 1:
            return None
        lam, kw = args[0]
        self.lambda_arg(lam, site, scope, kw)
        returned = self._lambda_returned.get(lam.id)
        body = lam.child_by_field_name("body")
        if not returned or not self._lambda_params.get(lam.id) or body is None:
            return None
        own = [r for r in self._simple_statements(fn.node.child_by_field_name("body"), _SCAN_INTO) if r.type == "return_statement"]
        if not own or any(next((c for c in r.named_children if c.type != "comment"), r).type != "call" for r in own):
            return None
        v = self.evaluate(body, scope)
        return v if isinstance(v, (Obj, Instance)) else None

    def _lambda_param(self, node: Node) -> Any:
        """The object a typed lambda parameter (``lambda_arg``) named by ``node`` stands for, else None."""
        name = self.text(node)
        cur = node.parent
        while cur is not None and cur.type not in ("function_definition", "module"):
            if cur.type == "lambda":
                found = self._lambda_params.get(cur.id)
                if found is not None and name in found:
                    return found[name]
                if any(n == name for n, _ in self.function_params(cur)):
                    return None  # a parameter of this lambda, not typed
            cur = cur.parent
        return None

    def _with_scope(self, scope: Scope, node: Node) -> Scope:
        """``scope`` with the names the ``with`` statements enclosing ``node`` (in its function) bind."""
        cur = node.parent
        bound: dict[str, Binding] = {}
        while cur is not None and cur.type not in ("function_definition", "lambda", "class_definition"):
            if cur.type == "with_statement":
                for inner, alias in self.with_bindings(cur):
                    if alias is None or alias.type != "identifier" or self.text(alias) in bound:
                        continue
                    v = self.entered_value(inner, self.evaluate_shallow(inner, scope), scope)
                    bound[self.text(alias)] = Binding(value=v if v is not None else Dynamic(self.text(alias)))
            cur = cur.parent
        return Scope(scope.kind, scope.qualname, scope, bindings=bound, function=scope.function, cls=scope.cls) if bound else scope

    def _passed_object(self, arg: Node, scope: Scope) -> Any:
        """What a call site passes: an object, an instance of a same-file class (``Wrapper(x)``), else None."""
        if arg.type in _NO_OBJECT:
            return None
        if arg.type == "call":
            local = self.callee(arg.child_by_field_name("function"), scope)[3]
            if isinstance(local, ClassValue):
                return Instance(local.cls, local.cls.name)
        v = self.evaluate(arg, scope)
        return v if isinstance(v, (Obj, Instance)) else None

    @staticmethod
    def _one_object(pname: str, vals: list[Any]) -> Any:
        """The sites' values as one: all objects of one type (captures they differ in: unknown) or
        all instances of one class; else None."""
        if not vals or any(v is None for v in vals):
            return None
        first = vals[0]
        if isinstance(first, Instance):
            return first if all(isinstance(v, Instance) and v.cls is first.cls for v in vals) else None
        if not all(isinstance(v, Obj) and v.type == first.type for v in vals):
            return None
        if all(v == first for v in vals):
            return first
        caps = tuple((k, c if all(v.capture(k) == c for v in vals) else Dynamic(pname)) for k, c in first.captures)
        same = all(v.origin == first.origin for v in vals)
        return Obj(first.type, caps, first.name if all(v.name == first.name for v in vals) else "", first.origin if same else "")

    def id_wrapper(self, fn: FunctionInfo) -> Any:
        """The engine's, except that a ``def`` whose text holds no ``return`` returns nothing, so
        wraps no id generator: known without building its scope and scanning it."""
        node = fn.node
        if node.type == "function_definition" and node.id not in self._id_wrappers and self.source.find(b"return", node.start_byte, node.end_byte) < 0:
            self._id_wrappers[node.id] = None
            return None
        return super().id_wrapper(fn)

    def scan_function(self, fn: FunctionInfo, scope: Scope) -> list[Node]:
        returns: list[Node] = []
        for small in self._simple_statements(fn.node.child_by_field_name("body"), _SCAN_INTO):
            if small.type == "assignment":
                self.bind_assignment(small, scope)
            elif small.type == "call":
                site = self.site(small, scope)
                if site is not None:
                    self.apply_configure(site, scope)
            elif small.type == "return_statement":
                value = next((c for c in small.named_children if c.type != "comment"), None)
                if value is not None:
                    returns.append(value)
        if self._iterables():  # return x inside for x in it: what iterating it gives
            self._bind_loop_items(fn, scope, returns)
        return returns

    def _iterables(self) -> bool:
        """Whether a rule types iterating an object (``returns: {__iter__: T}``), once per index."""
        found = self.index.derived.get("python_iterables")
        if found is None:
            found = self.index.derived["python_iterables"] = any("__iter__" in t.returns for t in self.index.types.values())
        return bool(found)

    def _bind_loop_items(self, fn: FunctionInfo, scope: Scope, returns: list[Node]) -> None:
        names = {self.text(r) for r in returns if r.type == "identifier"}
        body = fn.node.child_by_field_name("body")
        stack = [body] if names and body is not None and self.source.find(b"for", body.start_byte, body.end_byte) >= 0 else []  # no loop without its keyword
        while stack:  # through the statements that can hold a for loop (no expression holds one)
            n = stack.pop()
            left = n.child_by_field_name("left") if n.type == "for_statement" else None
            right = n.child_by_field_name("right") if left is not None else None
            if left is not None and right is not None and left.type == "identifier" and self.text(left) in names:
                item = self.iterated_item(self.evaluate_shallow(right, scope))
                if item is not None:
                    scope.bindings[self.text(left)] = Binding(value=item)
            stack += [c for c in n.named_children if c.type in _LOOP_HOLDERS]

    def walk_body(self, fn: FunctionInfo, scope: Scope) -> None:
        body = fn.node.child_by_field_name("body")
        if body is not None:
            self._prestore_items(body, scope)
            self.walk_statement(body, scope)

    def _prestore_items(self, body: Node, scope: Scope) -> None:
        """``app.config["X"] = ...`` anywhere in a function's body, on a name local to it: stored
        before the walk, so a nested function defined above it (a route handler) reads it back."""
        if self.source.find(b"]", body.start_byte, body.end_byte) < 0:
            return  # no subscript anywhere in the body
        assigns = [st for st in self._simple_statements(body, _SCAN_INTO) if st.type == "assignment"]
        if not any(t.type == "subscript" for st in assigns for t in self._chain(st)[0]):
            return
        local = {self.text(t) for st in assigns for t in self._chain(st)[0] if t.type == "identifier"} | set(scope.bindings)
        for st in assigns:
            targets, value = self._chain(st)
            for target in targets if value is not None else ():
                root = target.child_by_field_name("value") if target.type == "subscript" else None
                while root is not None and root.type == "attribute":
                    root = root.child_by_field_name("object")
                if root is not None and root.type == "identifier" and self.text(root) in local and value is not None:
                    self._store_item(target, value, scope, scope)

    def decorators(self, fn: FunctionInfo) -> list[Site]:
        out = []
        for d in self._decorator_nodes(fn.node):
            expr = next((c for c in d.named_children if c.type != "comment"), None)
            if expr is None:
                continue
            if expr.type == "call":
                site = self.site(expr, fn.scope)
                if site is not None:
                    out.append(site)
            else:
                out.append(Site(expr, expr))
        return out

    # ================================================================ sites
    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        func = site.func  # (the engine's own eval_call after it: SyntaxAnalyzer's layer is not needed here)
        if func is not None and func.type == "attribute" and site.args and self.source[func.end_byte - 4 : func.end_byte] == b".get":
            found = self._map_get(func, site, scope)
            if found is not None:
                return found
        return Analyzer.eval_call(self, site, scope, shallow)

    def _map_get(self, func: Node, site: Site, scope: Scope) -> Any:
        """``d.get(k)`` of a known dict: its item by a constant key; by another key, what all its
        items share (``task, template = EVENT_MAP.get(event)`` of a dict of (Celery task, text)
        pairs: the task's type, its other parts unknown), else None (not known here)."""
        obj = func.child_by_field_name("object")
        base = self.evaluate(obj, scope) if obj is not None else None
        inner = strip(base) if base is not None and self.is_value(base) else None
        if not isinstance(inner, Map) or not inner.items:
            return None
        key = strip(self.to_value(self.evaluate(site.args[0], scope)))
        if isinstance(key, Const):
            return inner.get(key.value)
        return _join([v for _, v in inner.items], self.text(site.node))

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        if qual in self.index.partials and site.args:  # functools.partial(f, ...): f with arguments bound
            return self.partial_target(self.evaluate(site.args[0], scope), site.node)
        if self.imported_objects:  # another module's factory: the object it returns (collect_exports)
            return self.imported_objects.get(f"{qual}.{qual.rpartition('.')[2]}")
        return None

    def partial_target(self, v: Any, node: Node) -> Any:
        """What ``partial(f, ...)`` calls: ``f``; a same-file class without methods whose one base is
        a library name a rule knows (``class StatsJob(rq.decorators.job)``) stands for that name."""
        if isinstance(v, ClassValue) and not v.cls.methods:
            bases = self._bases(v.cls)
            if len(bases) == 1 and isinstance(bases[0], Ref) and self.known_name(bases[0].qualname):
                return bases[0]
        return v if isinstance(v, (Ref, FunctionValue, ClassValue)) else Opaque(node)

    def known_name(self, qual: str) -> bool:
        index = self.index
        return bool(index.tracked(qual) is not None or index.call_specs(qual) or qual in index.decorators)

    def collect_exports(self) -> None:
        super().collect_exports()
        for name, b in self.module_scope.bindings.items():  # a factory's object: other modules' make_client().get(...)
            if isinstance(b.value, FunctionValue) and b.value.fn.scope is self.module_scope and self.exported(name):
                made = self.export_value(name, [], self.function_return, b.value.fn, None, None)
                if isinstance(made, Obj):
                    self.result.exports[f"{name}.{name}"] = made
        for name, b in self.module_scope.bindings.items():  # job = partial(StatsJob, ...): other modules' @job(...)
            if b.expr is not None and b.expr.type == "call":
                fn = b.expr.child_by_field_name("function")
                if fn is not None and self.callee(fn, self.module_scope)[0] in self.index.partials:
                    v = self.binding_value(b, name)
                    if isinstance(v, Ref):  # passed on as an object, as the scan passes objects to the files importing them
                        self.result.exports[name] = Obj(ALIAS_TYPE, (("name", Const(v.qualname)),), name, self.path)

    def imported(self, qual: str, default: Any) -> Any:
        """The object another module of the service exports under ``qual`` (a partial's callable: its name)."""
        found = self.imported_objects.get(qual, default)
        if isinstance(found, Obj) and found.type == ALIAS_TYPE and isinstance(name := found.capture("name"), Const):
            return Ref(str(name.value))
        return found

    PASSED_KINDS = frozenset({"http_call", "grpc_call", "message_publish"})

    def match_call(self, site: Site, scope: Scope) -> None:
        Analyzer.match_call(self, site, scope)  # the engine's, directly (hot path; Python has no timers)
        self.passed_callables(site, scope)
        for kw, value in site.kwargs.items() if site.kwargs else ():
            if value.type == "lambda":
                self.lambda_arg(value, site, scope, kw)

    def passed_callables(self, site: Site, scope: Scope) -> None:
        """A library method passed, not called, to a function that is no rule's
        (``call_event(task.delay, delivery.id)``, ``executor.submit(session.get, url)``): the callee
        calls it, so it is that call, made here with the arguments that follow it."""
        for i, arg in enumerate(site.args):
            if arg.type == "lambda":
                self.lambda_arg(arg, site, scope, None)
            if arg.type != "attribute":
                continue
            qual, _, _, local = self.callee(arg, scope)
            if qual is None or local is not None or not any(s.kind in self.PASSED_KINDS for s in self.index.call_specs(qual)):
                continue
            outer = self.callee(site.func, scope)[0] if site.func is not None else None
            if outer is not None and (self.index.call_specs(outer) or outer in self.index.scopes):
                return  # a library's own call (breaker.call(fn, ...)): that rule reads it
            Analyzer.match_call(self, Site(arg, arg, None, site.args[i + 1 :], dict(site.kwargs), None, site.hidden), scope)

    def site(self, node: Node, scope: Scope) -> Site | None:
        """A call's ``Site``, read once per call node (a Python site does not depend on the scope; no
        caller changes it): the walk, the summary, the scopes built for call sites and the rules ask again."""
        if node.type != "call":
            return None
        key = node.id
        if key in self._sites:
            return self._sites[key]
        found = self._sites[key] = self._read_site(node)
        return found

    def _read_site(self, node: Node) -> Site | None:
        func = node.child_by_field_name("function")
        arglist = node.child_by_field_name("arguments")
        args: list[Node] = []
        kwargs: dict[str, Node] = {}
        hidden = False
        if arglist is not None:
            if arglist.type == "generator_expression":
                args.append(arglist)
            else:
                for a in arglist.named_children:
                    t = a.type
                    if t == "keyword_argument":
                        name, value = a.child_by_field_name("name"), a.child_by_field_name("value")
                        if name is not None and value is not None:
                            kwargs[self.text(name)] = value
                    elif t in ("list_splat", "dictionary_splat", "parenthesized_list_splat"):
                        hidden = True
                    elif t == "comment":
                        continue
                    elif not hidden:
                        args.append(a)
        if func is None:
            return None
        return Site(node, func, None, args, kwargs, None, hidden)

    def member_parts(self, node: Node) -> tuple[Node, str] | None:
        if node.type != "attribute":
            return None
        key = node.id
        if key in self._members:
            return self._members[key]
        obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        found = self._members[key] = (obj, self.text(attr)) if obj is not None and attr is not None else None
        return found

    # ================================================================ statements
    def st_block(self, node: Node, scope: Scope) -> None:
        for st in node.named_children:
            self.walk_statement(st, scope)

    def st_block_of(self, node: Node, scope: Scope) -> None:
        body = node.child_by_field_name("body") or next((c for c in node.named_children if c.type == "block"), None)
        if body is not None:
            self.walk_statement(body, scope)

    def st_children(self, node: Node, scope: Scope) -> None:
        for c in node.named_children:
            if c.type != "comment":
                self.walk_expr(c, scope)

    def st_expression(self, node: Node, scope: Scope) -> None:
        for expr in node.named_children:
            t = expr.type
            if t == "assignment":
                self.st_assignment(expr, scope)
            elif t == "augmented_assignment":
                self.walk_expr(expr.child_by_field_name("right"), scope)
                left = expr.child_by_field_name("left")
                if scope.kind == "function" and left is not None and left.type == "identifier":
                    scope.bindings[self.text(left)] = Binding(value=Dynamic(self.text(left)))
            elif t == "comment":
                continue
            else:
                self.walk_expr(expr, scope)
                if t == "call" and scope.kind != "module":
                    site = self.site(expr, scope)
                    if site is not None:
                        self.apply_configure(site, scope)

    def st_assignment(self, node: Node, scope: Scope) -> None:
        targets, value = self._chain(node)
        if value is None:
            return
        self.walk_expr(value, scope)
        if scope.kind == "function":
            if self.idflow is not None and not (len(targets) == 1 and targets[0].type == "identifier"):
                named = {k for k, f in self.idflow.id_facts.items() if "variable" in f.fields}
                self.bind_assignment(node, scope)
                for k, f in self.idflow.id_facts.items():  # an id's variable is the one name it is assigned to
                    if k not in named:
                        f.fields.pop("variable", None)
            else:
                self.bind_assignment(node, scope)
        elif self.idflow is not None and self.idflow.active():
            for target in targets:
                if target.type == "identifier":
                    self.idflow.assign(scope, self.text(target), value, scope)
        if self.idflow is not None and self.idflow.active():
            for target in targets:
                self._store_target(target, value, scope)
        for impl in self.impl_hooks("on_assign"):
            impl.on_assign(self, node, scope)

    def _chain(self, node: Node) -> tuple[list[Node], Node | None]:
        """``a = b = value``: the targets, outermost first, and the value (None: ``x: T``); once
        per assignment (the walk, the scans of scopes and the members ask again; no caller changes it)."""
        found = self._chains.get(node.id)
        if found is None:
            found = self._chains[node.id] = self._read_chain(node)
        return found

    @staticmethod
    def _read_chain(node: Node) -> tuple[list[Node], Node | None]:
        targets = []
        cur: Node | None = node
        while cur is not None and cur.type == "assignment":
            left = cur.child_by_field_name("left")
            if left is not None:
                targets.append(left)
            cur = cur.child_by_field_name("right")
        return targets, cur

    def _item_key(self, holder: Node | None, sub: Node, scope: Scope, owner: Scope | None = None) -> tuple[int, str, Any] | None:
        """The store key of ``holder[sub]``: a name or an attribute path of one (``app.config``),
        by the scope owning its root name (``owner``, else the one binding it now), and a constant key."""
        chain = self.member_chain(holder, "attribute", "object", "attribute")
        if chain is None or chain[0].type != "identifier":
            return None
        root, path = self.text(chain[0]), chain[1]
        owner = owner or scope.owner_of(root)
        key = strip(self.to_value(self.evaluate(sub, scope)))
        if owner is None or not isinstance(key, Const) or not isinstance(key.value, (str, int)):
            return None
        return (id(owner), f"{root}.{'.'.join(path)}", key.value)

    def _store_item(self, target: Node, value: Node, scope: Scope, owner: Scope | None = None) -> None:
        """``holder[key] = value``: kept to read ``holder[key]`` back (a later assignment to the same
        key makes it unknown)."""
        subs = list(target.children_by_field_name("subscript"))
        found = self._item_key(target.child_by_field_name("value"), subs[0], scope, owner) if len(subs) == 1 else None
        if found is not None:
            prev = self._items.get(found)
            same = prev is None or prev[0].id == value.id or self.text(prev[0]) == self.text(value)
            self._items[found] = (value, scope) if same else (target, scope)  # two values: the target's own text, unknown

    def stored_item(self, node: Node, scope: Scope) -> Any:
        """The value stored at ``holder[key]`` by an assignment of this file, else None."""
        subs = list(node.children_by_field_name("subscript"))
        found = self._item_key(node.child_by_field_name("value"), subs[0], scope) if len(subs) == 1 and self._items else None
        entry = self._items.get(found) if found is not None else None
        if found is None or entry is None or found in self._reading_items or entry[0].type == "subscript":
            return None
        self._reading_items.add(found)
        try:
            return self.evaluate(entry[0], entry[1])
        finally:
            self._reading_items.discard(found)

    def _store_target(self, target: Node, value: Node, scope: Scope) -> None:
        """``headers["X-Request-ID"] = id`` / ``body.request_id = id``: a keyed store for the id flow."""
        assert self.idflow is not None
        if target.type == "subscript":
            holder = target.child_by_field_name("value")
            subs = list(target.children_by_field_name("subscript"))
            if holder is not None and holder.type == "identifier" and len(subs) == 1:
                key = strip(self.to_value(self.evaluate(subs[0], scope)))
                self.idflow.store(scope, self.text(holder), str(key.value) if isinstance(key, Const) else None, value)
        elif target.type == "attribute":
            holder, attr = target.child_by_field_name("object"), target.child_by_field_name("attribute")
            if holder is not None and attr is not None and holder.type == "identifier":
                self.idflow.store(scope, self.text(holder), self.text(attr), value)

    def bind_assignment(self, node: Node, scope: Scope) -> None:
        targets, value = self._chain(node)
        ann = node.child_by_field_name("type")
        if value is None:
            return
        for target in targets:
            self.bind_target(target, value, scope, ann if target is targets[0] else None)

    def bind_target(self, target: Node, value: Node | None, scope: Scope, ann: Node | None = None) -> None:
        t = target.type
        if t == "subscript" and value is not None:
            self._store_item(target, value, scope)
        elif t == "identifier":
            name = self.text(target)
            if value is not None:
                self.bind(scope, name, expr=value, type_node=ann)
            else:
                scope.bindings[name] = Binding(value=Dynamic(name))
        elif t in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "expression_list"):
            values = self._elements(value) if value is not None and value.type in ("tuple", "list", "expression_list") else None
            for i, el in enumerate(self._elements(target)):
                sub = values[i] if values is not None and i < len(values) and values[i].type not in ("list_splat", "parenthesized_list_splat") else None
                inner: Node | None = el
                if el.type == "list_splat_pattern":  # a, *rest = ...: rest is unknown
                    inner, sub = next(iter(el.named_children), None), None
                elif values is None and value is not None and value.type == "call" and el.type == "identifier":
                    self.bind(scope, self.text(el), expr=value, index=-(i + 1))  # a, b = f(): its items, when known
                    continue
                if inner is not None:
                    self.bind_target(inner, sub, scope)
        elif t == "parenthesized_expression":
            kids = self._elements(target)
            if len(kids) == 1:
                self.bind_target(kids[0], value, scope, ann)

    def st_import(self, node: Node, scope: Scope) -> None:
        if scope.kind != "module":
            self.bind_import(node, scope)

    def st_if_py(self, node: Node, scope: Scope) -> None:
        self.walk_expr(node.child_by_field_name("condition"), scope)
        body = node.child_by_field_name("consequence")
        if body is not None:
            self.walk_statement(body, scope)
        for alt in node.children_by_field_name("alternative"):
            self.walk_statement(alt, scope)

    def st_elif(self, node: Node, scope: Scope) -> None:
        self.walk_expr(node.child_by_field_name("condition"), scope)
        body = node.child_by_field_name("consequence")
        if body is not None:
            self.walk_statement(body, scope)

    # ================================================================ guards (summary.call: CallSite.guards)
    def call_guards(self, node: Node, scope: Scope) -> tuple[tuple[str, str, Value | None], ...]:
        """What the ifs around a call (in its function) test of the function's parameters, when
        the call runs: the condition of the branch it is in, and the negation of the conditions
        before an ``elif`` or ``else`` (see ``_guard_tests``)."""
        out: list[tuple[str, str, Value | None]] = []
        for holds, cond in self._guard_chain(node.parent):
            out += self._guard_tests(cond, scope) if holds else self._negated(cond, scope)
        return tuple(out)

    def _guard_chain(self, start: Node | None) -> tuple[tuple[bool, Node | None], ...]:
        """The conditions of the ifs around ``start`` (itself included), innermost first, each
        with whether it holds (else it was false): once per block (the calls of a block share
        what lies outside it; the tree does not change during a file's analysis)."""
        p = start
        while p is not None and p.type != "block" and p.type not in _GUARD_STOPS:
            p = p.parent
        if p is None or p.type != "block":
            return ()
        found = self._guard_chains.get(p.id)
        if found is not None:
            return found
        entries: list[tuple[bool, Node | None]] = []
        owner = p.parent
        if owner is not None and owner.type in ("if_statement", "elif_clause", "else_clause"):
            top = owner if owner.type == "if_statement" else owner.parent
            if owner.type != "else_clause":
                entries.append((True, owner.child_by_field_name("condition")))
            if owner.type != "if_statement" and top is not None:  # the conditions before it were false
                entries.append((False, top.child_by_field_name("condition")))
                for alt in top.children_by_field_name("alternative"):
                    if alt.id == owner.id:
                        break
                    entries.append((False, alt.child_by_field_name("condition")))
        found = self._guard_chains[p.id] = tuple(entries) + self._guard_chain(owner)
        return found

    def _guard_tests(self, cond: Node | None, scope: Scope) -> list[tuple[str, str, Value | None]]:
        """What a condition says of the function's parameters when it is true, as (parameter,
        test, value): ``method == "GET"`` → ``==``, ``poll`` → ``truthy``, ``not poll`` →
        ``falsy``, ``x is None`` → ``==`` None; tests joined by ``and`` all hold. A name bound
        again since it was a parameter is none."""
        while cond is not None and cond.type == "parenthesized_expression" and cond.named_children:
            cond = cond.named_children[0]
        if cond is None:
            return []
        t = cond.type
        if t == "boolean_operator" and self.operator(cond) == "and":
            return self._guard_tests(cond.child_by_field_name("left"), scope) + self._guard_tests(cond.child_by_field_name("right"), scope)
        if t == "identifier":
            return [(self.text(cond), "truthy", None)] if self._is_param(cond, scope) else []
        if t == "not_operator":
            arg = cond.child_by_field_name("argument")
            return [(self.text(arg), "falsy", None)] if arg is not None and arg.type == "identifier" and self._is_param(arg, scope) else []
        if t == "comparison_operator" and len(cond.named_children) == 2:
            left, right = cond.named_children
            op = " ".join(self.source[left.end_byte : right.start_byte].decode("utf-8", "replace").split())
            test = {"==": "==", "is": "==", "!=": "!=", "is not": "!="}.get(op)
            if left.type != "identifier" or not self._is_param(left, scope):
                left, right = right, left
            if test is None or left.type != "identifier" or not self._is_param(left, scope):
                return []
            value = strip(self.to_value(self.evaluate(right, scope)))
            return [(self.text(left), test, value)] if isinstance(value, Const) else []
        return []

    def _negated(self, cond: Node | None, scope: Scope) -> list[tuple[str, str, Value | None]]:
        """The test that holds when a condition of one test is false (none for several)."""
        tests = self._guard_tests(cond, scope)
        if len(tests) != 1 or (cond is not None and cond.type == "boolean_operator"):
            return []
        name, test, value = tests[0]
        return [(name, {"==": "!=", "!=": "==", "truthy": "falsy", "falsy": "truthy"}[test], value)]

    def _is_param(self, name: Node, scope: Scope) -> bool:
        """A name still bound to the function's parameter (typed, or its own unknown value)."""
        text = self.text(name)
        b = scope.bindings.get(text)
        return b is not None and (b.param or (b.expr is None and isinstance(b.value, Dynamic) and b.value.text == text))

    def st_for(self, node: Node, scope: Scope) -> None:
        right = node.child_by_field_name("right")
        self.walk_expr(right, scope)
        left = node.child_by_field_name("left")
        if left is not None:
            self.bind_target(left, None, scope)
        it = self.evaluate_shallow(right, scope) if right is not None else None
        item = self.iterated_item(it)
        if item is not None and left is not None and left.type == "identifier":
            scope.bindings[self.text(left)] = Binding(value=item)
        entered = self.policies.enter(object_policies(it)) if isinstance(it, Obj) else 0
        self.walk_loop_body(node, scope)
        self.policies.leave(entered)
        alt = node.child_by_field_name("alternative")
        if alt is not None:
            self.walk_statement(alt, scope)

    def iterated_item(self, it: Any) -> Obj | None:
        """What ``for x in it`` binds ``x`` to: the type a rule gives iterating ``it``
        (``returns: {__iter__: T}``: ``for volume in volumes.get_members()``), with its captures."""
        otype = self.index.types.get(it.type) if isinstance(it, Obj) else None
        if otype is None or "__iter__" not in otype.returns:
            return None
        assert isinstance(it, Obj)
        return Obj(otype.returns["__iter__"], it.captures, it.name, it.origin)

    def st_while(self, node: Node, scope: Scope) -> None:
        self.walk_expr(node.child_by_field_name("condition"), scope)
        self.walk_loop_body(node, scope)
        alt = node.child_by_field_name("alternative")
        if alt is not None:
            self.walk_statement(alt, scope)

    def st_with(self, node: Node, scope: Scope) -> None:
        covering: list[FactRef] = []
        for value, alias in self.with_bindings(node):
            self.walk_expr(value, scope)
            v = self.evaluate_shallow(value, scope)
            covering += self.block_policies(v)
            if alias is not None:
                self._bind_value(alias, self.entered_value(value, v, scope), scope)
        self.walk_policy_block(node, scope, covering, "with")

    def entered_value(self, node: Node, v: Any, scope: Scope) -> Any:
        """What ``with node as x`` binds ``x`` to (``v``: the node's value): a tracked object (a
        context manager unless its type says not), or what a same-file class's ``__enter__``
        returns, itself (``return self``) or an object (``return sushy.Sushy(...)``); else None."""
        if isinstance(v, Obj):
            otype = self.index.types.get(v.type)
            return v if otype is None or otype.context_manager else None
        if not isinstance(v, Instance) and node.type == "call":
            local = self.callee(node.child_by_field_name("function"), scope)[3]
            v = Instance(local.cls, local.cls.name) if isinstance(local, ClassValue) else v
        if not isinstance(v, Instance):
            return None
        enter = next((c.methods["__enter__"] for c in self.base_chain(v.cls) if "__enter__" in c.methods), None)
        if enter is None:
            return None
        body = enter.node.child_by_field_name("body")
        returns = [r for r in self._simple_statements(body, _SCAN_INTO) if r.type == "return_statement"]
        self_name = self._self_name(enter)
        if returns and all(self.text(r).removeprefix("return").strip() == self_name for r in returns):
            return v
        found = self.function_return(enter, None, None)
        return found if isinstance(found, (Obj, Instance)) else None

    def _bind_value(self, target: Node, value: Any, scope: Scope) -> None:
        if target.type == "identifier":
            name = self.text(target)
            scope.bindings[name] = Binding(value=value if value is not None else Dynamic(name))
        elif target.type in ("pattern_list", "tuple_pattern", "list_pattern", "tuple", "list"):
            for el in self._elements(target):
                self._bind_value(el, None, scope)

    def st_try(self, node: Node, scope: Scope) -> None:
        # on_try before the try is on the stack, as the engine's walk_try_body: a reader of
        # stack[-1] sees what encloses the try (a retry loop that already is the policy)
        self.impl_event("on_try", node, scope)
        self.stack.append(node)
        try:
            body = node.child_by_field_name("body")
            if body is not None:
                self.walk_statement(body, scope)
            for h in node.named_children:
                if h.type in ("except_clause", "except_group_clause"):
                    self._walk_handler(h, scope)
                elif h.type in ("else_clause", "finally_clause"):
                    self.st_block_of(h, scope)
            self.impl_event("after_try", node, scope)
        finally:
            self.stack.pop()

    def _walk_handler(self, h: Node, scope: Scope) -> None:
        block = None
        for c in h.named_children:
            if c.type == "block":
                block = c
            elif c.type == "as_pattern":
                val = next((x for x in c.named_children if x.type != "as_pattern_target"), None)
                if val is not None:
                    self.walk_expr(val, scope)
                target = c.child_by_field_name("alias")
                alias = next((x for x in target.named_children), None) if target is not None else None
                if alias is not None:
                    self._bind_value(alias, None, scope)
            elif c.type != "comment":
                self.walk_expr(c, scope)
        self.stack.append(h)
        self.impl_event("on_handler", h, scope)
        if block is not None:
            self.walk_statement(block, scope)
        self.impl_event("after_handler", h, scope)
        self.stack.pop()

    def st_match(self, node: Node, scope: Scope) -> None:
        subject = node.child_by_field_name("subject")
        self.walk_expr(subject, scope)
        body = node.child_by_field_name("body")
        for case in self.iter_named(body, ("case_clause",)):
            block = case.child_by_field_name("consequence") or next((c for c in case.named_children if c.type == "block"), None)
            if block is not None:
                self.walk_statement(block, scope)

    def st_function(self, node: Node, scope: Scope) -> None:
        fn = self._functions.get(node.id)
        if fn is None or fn.scope is not scope:
            fn = self.declare_def(node, scope) if scope.kind != "module" or fn is None else fn
        elif scope.kind == "function":
            scope.bindings[fn.name] = Binding(value=FunctionValue(fn))
        if fn is None:
            return
        for d in self._decorator_nodes(node):  # the decorators' arguments hold calls too
            expr = next((c for c in d.named_children if c.type != "comment"), None)
            if expr is not None and expr.type == "call":
                for a in self.iter_named(expr.child_by_field_name("arguments")):
                    self.walk_expr(a, scope)
        params = node.child_by_field_name("parameters")
        for p in self.iter_named(params, ("default_parameter", "typed_default_parameter")):
            self.walk_expr(p.child_by_field_name("value"), scope)
        self.walk_function(fn)

    def st_decorated(self, node: Node, scope: Scope) -> None:
        d = node.child_by_field_name("definition")
        if d is not None:
            self.walk_statement(d, scope)

    def st_class(self, node: Node, scope: Scope) -> None:
        cls = self._class_of.get(node.id)
        if cls is None or cls.scope.parent is not scope:
            cls = self.declare_class(node, scope)
        if cls is None:
            return
        parent = node.parent
        if parent is not None and parent.type == "decorated_definition":
            for d in parent.named_children:
                if d.type == "decorator":
                    self.walk_expr(next((c for c in d.named_children if c.type != "comment"), None), scope)
        sup = node.child_by_field_name("superclasses")
        if sup is not None:
            for b in sup.named_children:
                self.walk_expr(b, scope)
        self.match_classes(cls)
        self.walk_stacked(node, cls.scope, [node.child_by_field_name("body")])

    # ================================================================ matching
    def fallback_literal(self, node: Node) -> str | None:
        return self.anchor_text(node, 80) if self._is_literal(node) else None

    def _is_literal(self, node: Node) -> bool:
        t = node.type
        if t in ("integer", "float", "true", "false", "none"):
            return True
        if t == "string":
            return not any(c.type == "interpolation" for c in node.children)
        if t == "concatenated_string":
            return all(self._is_literal(c) for c in node.named_children)
        if t == "identifier":
            return self.text(node).isupper()
        if t == "unary_operator":
            arg = node.child_by_field_name("argument")
            return arg is not None and self._is_literal(arg)
        if t in ("tuple", "list", "set"):
            return all(self._is_literal(c) for c in node.named_children if c.type != "comment")
        if t == "dictionary":
            return all(
                c.type == "pair" and all(x is not None and self._is_literal(x) for x in (c.child_by_field_name("key"), c.child_by_field_name("value")))
                for c in node.named_children
                if c.type != "comment"
            )
        if t == "attribute":
            attr = node.child_by_field_name("attribute")
            return attr is not None and self.text(attr).isupper()
        return False

    def literal_pairs(self, node: Node) -> list[tuple[str | None, Node | None]] | None:
        if node.type == "dictionary":
            out: list[tuple[str | None, Node | None]] = []
            for c in node.named_children:
                if c.type == "pair":
                    k = c.child_by_field_name("key")
                    key = strip(self.to_value(self.evaluate(k, self.module_scope))) if k is not None and k.type == "string" else None
                    out.append((str(key.value) if isinstance(key, Const) else None, c.child_by_field_name("value")))
                elif c.type == "dictionary_splat":
                    out.append((None, c))
            return out
        if node.type == "call":  # dict(request_id=x), Model(field=x)
            site = self.site(node, self.module_scope)
            func = node.child_by_field_name("function")
            if site is not None and site.kwargs and self.is_builtin(func, "dict", self._walked_scope(node)):
                return [(k, v) for k, v in site.kwargs.items()]
        if node.type == "keyword_argument":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            return [(self.text(name) if name is not None else None, value)]
        return None

    # ================================================================ retry-loop hooks (treesitter/retry_loops.py)
    def loop_kind(self, node: Node) -> str:
        if node.type == "while_statement":
            return "while"
        right = node.child_by_field_name("right")
        if right is not None and right.type == "call":
            func = right.child_by_field_name("function")
            if self.is_builtin(func, "range", self._walked_scope(node)):
                return "for"
        return "for_each"

    def loop_count(self, node: Node, scope: Scope) -> Any:
        """``for _ in range(N)`` / ``range(S, N)``: N - S tries; ``while attempt < N`` counts from
        the variable's value before the loop."""
        if node.type == "for_statement":
            right = node.child_by_field_name("right")
            if right is None or right.type != "call" or not self.is_builtin(right.child_by_field_name("function"), "range", scope):
                return None
            site = self.site(right, scope)
            if site is None or not site.args or len(site.args) > 2:
                return None
            if len(site.args) == 1:
                return self.to_value(self.evaluate(site.args[0], scope))
            start = strip(self.to_value(self.evaluate(site.args[0], scope)))
            return self.attempts_of(start, "<", site.args[1], scope)
        return super().loop_count(node, scope)  # while: the engine's, through counting_test

    def counting_test(self, cond: Node | None, ops: tuple[str, ...] = ("<", "<=")) -> tuple[str, str, Node] | None:
        """``attempt < N`` / ``attempt <= N`` (a ``comparison_operator``; ``ops``: the operators)."""
        if cond is None or cond.type != "comparison_operator":
            return None
        kids = [c for c in cond.named_children if c.type != "comment"]
        found = [self.text(c) for c in cond.children if not c.is_named]
        if len(kids) != 2 or len(found) != 1 or found[0] not in ops or kids[0].type != "identifier":
            return None
        return self.text(kids[0]), found[0], kids[1]

    def handler_types(self, handler: Node, scope: Scope) -> list[str]:
        """The exception types an ``except`` catches (empty: a bare ``except:``)."""
        value = next((c for c in handler.named_children if c.type not in ("block", "comment")), None)
        if value is not None and value.type == "as_pattern":
            value = next((c for c in value.named_children if c.type != "as_pattern_target"), None)
        if value is None:
            return []
        items = [c for c in value.named_children if c.type != "comment"] if value.type in ("tuple", "parenthesized_expression") else [value]
        out = []
        for item in items:
            v = self.evaluate(item, scope)
            out.append(v.qualname if isinstance(v, Ref) else self._dotted_text(item))
        return out

    # ---- hooks for impl rules ----
    # (H2's Python impl rules, ``treesitter/python_rules/``, may add the syntax helpers they need here)

    def loop_iterable(self, node: Node) -> Node | None:
        """What a ``for`` iterates (its names are retry evidence only when it is not a plain
        collection: ``range(max_retries)`` yes, ``attempts`` / ``self.attempts`` no)."""
        return node.child_by_field_name("right") if node.type == "for_statement" else None

    def loop_countdown(self, node: Node, scope: Scope) -> Any:
        """``left = 3; while left > 0:`` (or ``>= 1``): the count of a loop counting down from a
        known start."""
        test = self.counting_test(node.child_by_field_name("condition"), (">", ">=")) if node.type == "while_statement" else None
        if test is None:
            return None
        name, op, bound = test
        start, low = strip(self.to_value(self.lookup_name(name, scope))), strip(self.to_value(self.evaluate(bound, scope)))
        if not (isinstance(start, Const) and type(start.value) is int and isinstance(low, Const) and type(low.value) is int):
            return None
        return Const(start.value) if (op, low.value) in ((">", 0), (">=", 1)) else None

    def handler_countdown(self, handlers: list[Node], scope: Scope) -> tuple[str, Any] | None:
        """``except E: left -= 1; if left == 0: raise`` (also ``<= 0``, ``not left``) in one of a
        loop's handlers: (the counter's name, its value before the loop: the tries)."""
        for h in handlers:
            counters: set[str] = set()
            stops: set[str] = set()
            stack = list(h.named_children)
            while stack:
                n = stack.pop()
                if n.type in ("function_definition", "class_definition", "lambda"):
                    continue
                if n.type == "augmented_assignment" and self.text(n.child_by_field_name("operator") or n).strip() == "-=":
                    left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
                    if left is not None and left.type == "identifier" and right is not None and self.text(right) == "1":
                        counters.add(self.text(left))
                elif n.type == "if_statement" and (cond := n.child_by_field_name("condition")) is not None:
                    body = n.child_by_field_name("consequence")
                    if body is not None and any(c.type == "raise_statement" for c in body.named_children):
                        stops.update(p.strip() for p in " ".join(self.text(cond).split()).split(" or "))  # e.permanent or left == 0
                stack.extend(n.named_children)
            for name in sorted(c for c in counters if stops & {f"{c} == 0", f"{c} <= 0", f"not {c}", f"{c} < 1"}):
                start = strip(self.to_value(self.lookup_name(name, scope)))
                return name, start if isinstance(start, Const) and type(start.value) is int and start.value > 0 else Const(None)
        return None

    def with_items(self, node: Node) -> list[Node]:
        """The calls a ``with`` statement's items make (``with session.post(url) as r:``)."""
        out = []
        for value, _ in self.with_bindings(node):
            if value.type == "await":
                value = next((c for c in value.named_children if c.type != "comment"), value)
            if value.type == "call":
                out.append(value)
        return out

    def with_bindings(self, node: Node) -> list[tuple[Node, Node | None]]:
        """A ``with`` statement's items: (the value, the target it binds with ``as``, else None)."""
        clause = next((c for c in node.named_children if c.type == "with_clause"), None)
        out: list[tuple[Node, Node | None]] = []
        for item in self.iter_named(clause, ("with_item",)):
            value = item.child_by_field_name("value")
            alias = None
            if value is not None and value.type == "as_pattern":
                target = value.child_by_field_name("alias")
                alias = next((c for c in target.named_children), None) if target is not None else None
                value = next((c for c in value.named_children if c.type != "as_pattern_target"), None)
            if value is not None:
                out.append((value, alias))
        return out
