"""Lazy symbolic evaluation into ``extractor.values``: names, members, calls, function returns.

Names resolve through scopes (memoised per binding), members through tracked objects and
same-file types, calls to tracked constructors build objects (``objects.py``), calls of same-file
functions evaluate their returns with the call's arguments bound (memoised, depth-guarded).
Arguments are found by position or keyword (``find_arg``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from ...values import BinOp, Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, Value, convert, fold, simplify_concat, strip
from .core import AnalyzerCore
from .policies import POLICY_KINDS
from .scopes import (
    MAX_CALL_ARGS,
    MAX_EVAL_DEPTH,
    MAX_INLINE_DEPTH,
    MAX_LITERAL_ITEMS,
    UNBOUND,
    Binding,
    ClassInfo,
    ClassValue,
    FunctionInfo,
    FunctionValue,
    Instance,
    Opaque,
    Scope,
    Site,
    _hashable,
)

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node


class Evaluator(AnalyzerCore):
    """Expression values (see the module docstring)."""

    if TYPE_CHECKING:  # defined in objects.py (the layer above), called by eval_call

        def construct_for(self, qual: str, site: Site, scope: Scope, receiver: Obj | None) -> Obj | None: ...

        def configure_obj(self, obj: Obj, site: Site, scope: Scope) -> Obj: ...

        def decorated_object(self, fn: FunctionInfo) -> Obj | None: ...

        def config_objects(self) -> bool: ...  # syntax.py: the language's configuration readers

        def config_key(self, obj: Obj, key: str) -> str: ...

    # ================================================================ evaluation
    def evaluate(self, node: Node | None, scope: Scope) -> Any:
        if node is None:
            return Dynamic("")
        if self._eval_depth > MAX_EVAL_DEPTH:
            return Dynamic("…")
        handler = self._eval.get(node.type)
        if handler is None:
            return Opaque(node)
        self._eval_depth += 1
        try:
            return handler(node, scope)
        finally:
            self._eval_depth -= 1

    def evaluate_shallow(self, node: Node, scope: Scope) -> Any:
        """Like evaluate, but an unknown call stays a bare ``Call`` (no argument values built)."""
        if node.type in self.CALL_TYPES:
            site = self.site(node, scope)
            return self.eval_call(site, scope, shallow=True) if site is not None else Opaque(node)
        return self.evaluate(node, scope)

    @staticmethod
    def is_value(v: Any) -> bool:
        return isinstance(v, (Const, Named, Ref, Env, Seq, Map, Obj, Call, Concat, Dynamic, BinOp))

    def to_value(self, v: Any) -> Value:
        """An evaluation result as a public ``Value`` (unknowns get their source text)."""
        if isinstance(v, Opaque):
            return Dynamic(self.anchor_text(v.node, 200))
        if isinstance(v, FunctionValue):
            return Dynamic(v.fn.qualname)
        if isinstance(v, ClassValue):
            return Dynamic(v.cls.qualname)
        if isinstance(v, Instance):
            return Dynamic(v.name or v.cls.name)
        out: Value = v  # anything else is a value already
        return out

    def arg_values(self, site: Site, scope: Scope) -> tuple[Any, ...]:
        return tuple(self.evaluate(a, scope) for a in site.args)

    # ---------------------------------------------------------------- names
    def lookup_name(self, name: str, scope: Scope) -> Any:
        b = scope.lookup(name)
        if b is None:
            return self.unbound_name(name)
        return self.binding_value(b, name)

    def resolve_ref(self, qual: str) -> Any:
        """A qualified name: a constant the language or a rule knows, a library instance, else a Ref."""
        if qual in self._constants:
            return Const(self._constants[qual])
        otype = self.index.instances.get(qual)
        if otype is not None:
            return Obj(otype.type, (), qual.rpartition(".")[2], "")
        return Ref(qual)

    def binding_value(self, b: Binding, name: str) -> Any:
        if b.value is not UNBOUND:
            return b.value
        if b.type_node is None if b.expr is None else b.index > 0:  # nothing to evaluate; a later value of a multi-value call
            b.value = Dynamic(name)
            return b.value
        key = id(b)
        if key in self._in_progress:  # its own value is being evaluated (x = f(x))
            return Dynamic(name)
        self._in_progress.add(key)
        try:
            v = self._binding_value(b, name)
        finally:
            self._in_progress.discard(key)
        if b.expr is None:
            b.value = v
            return v
        return self.named_value(b, name, v)

    NAMED_VALUES: tuple[type, ...] = (Const, Seq, Map, Concat, Env, Call, BinOp)  # values a name labels (Named)

    def named_value(self, b: Binding, name: str, v: Any) -> Any:
        """The value of ``name`` bound to an expression that evaluated to ``v``, memoised: an ambiguous
        name's is unknown unless an object, a known value is labelled with the name, an opaque one unknown."""
        if b.ambiguous and not isinstance(v, Obj):
            v = Dynamic(name)
        elif isinstance(v, self.NAMED_VALUES):
            v = Named(name, cast(Value, v))
        elif isinstance(v, Opaque):
            v = Dynamic(name)
        b.value = v
        return v

    def _binding_value(self, b: Binding, name: str) -> Any:
        """A binding's expression evaluated, or its declared type's instance (the expression's
        value when it is no object: ``var c http.Client = f()``)."""
        scope = b.scope or self.module_scope
        if b.expr is None:
            assert b.type_node is not None
            return self.declared_instance(b.type_node, scope, name, b.param)
        v = self.evaluate(b.expr, self.scope_at_point(scope, b.expr))
        if b.type_node is not None and not isinstance(v, (Obj, Instance)):
            declared = self.declared_instance(b.type_node, scope, name, False)
            if isinstance(declared, (Obj, Instance)):
                v = declared
        return v

    def declared_instance(self, type_node: Node, scope: Scope, name: str, unknown: bool) -> Any:
        """A name declared with a type: an instance of a tracked type (``var c http.Client``: its zero
        value; a parameter: built by the caller, so the type's ``declared: unknown`` captures are
        unknown), or of a same-file type."""
        t = self.resolve_type(type_node, scope)
        if isinstance(t, Ref):
            otype = self.index.tracked(t.qualname)
            if otype is not None:
                caps: tuple[tuple[str, Value], ...] = ()
                if unknown and otype.declared:
                    caps = tuple((cap, Dynamic(name)) for cap, mode in otype.declared.items() if mode == "unknown")
                return Obj(otype.type, caps, t.name, "")
            return Dynamic(name)
        if isinstance(t, ClassValue):
            return Instance(t.cls, name)
        return Dynamic(name)

    def bind(
        self, scope: Scope, name: str, expr: Node | None = None, value: Any = UNBOUND, index: int = 0, type_node: Node | None = None, rebind: bool = False
    ) -> None:
        """Bind ``name`` in ``scope`` (with ``rebind``: where it is already bound, as ``x = v`` does)."""
        if not name or name == "_":
            return
        target = scope
        if rebind:
            target = scope.owner_of(name) or scope
        b = Binding(expr=expr, scope=scope, value=value, index=index, type_node=type_node, previous=target.bindings.get(name))
        if expr is not None and value is UNBOUND and index == 0 and self.mentions(expr, name):
            self.binding_value(b, name)  # x = x.WithContext(ctx): evaluated now, against the previous x
        if self.idflow is not None and expr is not None and index == 0 and self.idflow.active():
            self.idflow.assign(target, name, expr, scope)
        if b.previous is not None and b.previous.previous is None:
            target.rebound.append(name)
        target.bindings[name] = b

    def scope_at_point(self, scope: Scope, node: Node) -> Scope:
        """``scope`` as it was where ``node`` is: a name bound again after it has its earlier binding
        (``c := dial(A); x.cart = New(c); c = dial(B)``: the cart client keeps A). A binding whose place
        is unknown (a value bound by the adapter) ends the search back."""
        if not scope.rebound:
            return scope
        pos = node.start_byte
        view: dict[str, Binding] = {}
        for name in scope.rebound:
            b = scope.bindings.get(name)
            cur = b
            while cur is not None and cur.previous is not None and cur.expr is not None and cur.expr.start_byte > pos:
                cur = cur.previous
            if cur is not None and cur is not b:
                view[name] = cur
        if not view:
            return scope
        return Scope(scope.kind, scope.qualname, scope, bindings=view, function=scope.function, cls=scope.cls)

    def mentions(self, node: Node, name: str) -> bool:
        """Whether an expression's text contains the identifier ``name``."""
        data = self.source[node.start_byte : node.end_byte]
        word = name.encode()
        start = data.find(word)
        while start >= 0:
            end = start + len(word)
            before = data[start - 1 : start] if start else b""
            after = data[end : end + 1]
            if not (before.isalnum() or before == b"_") and not (after.isalnum() or after == b"_"):
                return True
            start = data.find(word, end)
        return False

    # ---------------------------------------------------------------- members
    def eval_member(self, base: Any, attr: str, node: Node, scope: Scope) -> Any:
        if isinstance(base, Ref):
            return self.resolve_ref(f"{base.qualname}.{attr}")
        if isinstance(base, Obj):
            otype = self.index.types.get(base.type)
            if otype is not None and attr in otype.attrs:
                return Obj(otype.attrs[attr], (), "", base.origin)
            cap = base.capture(attr)
            if cap is None and otype is not None and attr in otype.field_captures:
                cap = base.capture(otype.field_captures[attr])
            if cap is not None:
                return cap
            if otype is not None and otype.members is not None:
                mtype, mcap = otype.members
                return Obj(mtype, base.captures + (((mcap, Const(attr)),) if mcap else ()), base.name, base.origin)
            return Opaque(node)
        if isinstance(base, Instance):
            return self.instance_member(base, attr, node)
        if isinstance(base, Map):
            found = base.get(attr)
            return found if found is not None else Opaque(node)
        inner = strip(base) if isinstance(base, Named) else None
        if isinstance(inner, Map):
            found = inner.get(attr)
            return found if found is not None else Opaque(node)
        return Opaque(node)

    def instance_member(self, inst: Instance, attr: str, node: Node | None) -> Any:
        cls = inst.cls
        if attr in cls.member_cache:
            return cls.member_cache[attr]
        cls.member_cache[attr] = Dynamic(f"{inst.name or cls.name}.{attr}")  # cycle guard
        if cls.members is None:
            self.collect_members(cls)
        assert cls.members is not None
        result: Any
        values = [self.evaluate(expr, self.scope_at_point(s, expr)) for expr, s in cls.members.get(attr, ())]
        objs = [v for v in values if isinstance(v, (Obj, Instance))]
        if objs:
            result = objs[-1]
        elif values and all(v == values[0] for v in values) and not isinstance(values[0], Opaque):
            result = values[0]
        elif not values and attr in cls.member_types:
            tnode, tscope = cls.member_types[attr]
            result = self.declared_instance(tnode, tscope, f"{inst.name or cls.name}.{attr}", True)
        elif not values and attr in cls.methods:
            result = FunctionValue(cls.methods[attr])
        elif not values and self.module_name and self.wanted(f"{cls.name}.{attr}") is not None:  # declared in another file of the module
            result = self.imported_objects[f"{self.module_name}.{cls.name}.{attr}"]
        else:
            result = Dynamic(f"{inst.name or cls.name}.{attr}")
        cls.member_cache[attr] = result
        return result

    def wanted(self, name: str) -> Value | None:
        """An object another file of the module exports under ``name``; the name is recorded as
        imported from the module either way (the scan's package pass re-extracts the file with the
        object when a sibling exports it)."""
        qual = f"{self.module_name}.{name}"
        self.result.imports.setdefault(name, qual)
        return self.imported_objects.get(qual)

    # ---------------------------------------------------------------- calls
    def callee(self, func: Node | None, scope: Scope) -> tuple[str | None, Obj | None, str, Any]:
        """What a call calls: (qualified name, receiver instance, member name, same-file definition)."""
        if func is None:
            return None, None, "", None
        parts = self.member_parts(func)
        if parts is not None:
            base_node, attr = parts
            base = self.evaluate_shallow(base_node, scope)
            if isinstance(base, Obj):
                return f"{base.type}.{attr}", base, attr, None
            if isinstance(base, Ref):
                return f"{base.qualname}.{attr}", None, attr, None
            if isinstance(base, Instance):
                fn = base.cls.methods.get(attr)
                if fn is not None:
                    return fn.qualname, None, attr, FunctionValue(fn)
                v = self.instance_member(base, attr, func)
                if isinstance(v, FunctionValue):
                    return v.fn.qualname, None, attr, v
                if isinstance(v, Obj) and v.type in self.index.callable_types:
                    return f"{v.type}.__call__", v, "__call__", None
                return None, None, attr, None
            if isinstance(base, FunctionValue) and (made := self.decorated_object(base.fn)) is not None:
                return f"{made.type}.{attr}", made, attr, None  # @app.task def charge: charge.delay(...)
            if isinstance(base, ClassValue):
                fn = base.cls.methods.get(attr)
                if fn is not None:
                    return fn.qualname, None, attr, FunctionValue(fn)
                return None, None, attr, None
            if isinstance(base, Call) and not base.func.startswith("$"):
                return f"{base.func}().{attr}", None, attr, None
            return None, None, attr, None
        v = self.evaluate(func, scope)
        if isinstance(v, Ref):
            return v.qualname, None, v.name, None
        if isinstance(v, FunctionValue):
            return v.fn.qualname, None, v.fn.name, v
        if isinstance(v, ClassValue):
            return v.cls.qualname, None, v.cls.name, v
        if isinstance(v, Obj) and v.type in self.index.callable_types:
            return f"{v.type}.__call__", v, "__call__", None
        return None, None, "", None

    def eval_call(self, site: Site, scope: Scope, shallow: bool = False) -> Any:
        if site.func is None:  # a construction by type: Go composite literal, new(T)
            return self.eval_construction(site, scope)
        qual, receiver, attr, local = self.callee(site.func, scope)
        if isinstance(local, FunctionValue):
            return self.function_return(local.fn, site, scope)
        if isinstance(local, ClassValue):
            return self.class_instance(local.cls, site)
        if qual is None:
            return Opaque(site.node)
        if receiver is not None:
            otype_r = self.index.types.get(receiver.type)
            if otype_r is not None and attr in otype_r.configure:  # a builder / configuring method returns the changed object
                return self.configure_obj(receiver, site, scope)
        made = self.construct_for(qual, site, scope, receiver)
        if made is not None:
            return made
        if receiver is not None:
            otype_r = self.index.types.get(receiver.type)
            if otype_r is not None and attr in otype_r.returns:
                return Obj(otype_r.returns[attr], receiver.captures, receiver.name, receiver.origin)
            if otype_r is not None and attr in otype_r.values:
                return self.captures_text(otype_r.values[attr], receiver, site)
            if otype_r is not None and otype_r.fluent and not self.index.call_specs(qual):  # a builder's other methods return it
                return receiver
        getter = self._env_getters.get(qual)
        if getter is not None:
            var = self.site_value(site, getter.arg, scope, getter.keyword)
            default = self.site_value(site, getter.default, scope, getter.default_keyword) if getter.default is not None else None
            if isinstance(sv := strip(var), Const):
                key = str(sv.value)
                if receiver is not None and self.config_objects() and receiver.type == self.index.config_types[0]:
                    key = self.config_key(receiver, key)  # a section's GetValue<string>("B"): the key A:B
                return Env(key, default if default is not None and strip(default) != Const(None) else None)
            return Opaque(site.node)
        if qual in self._pass_through and len(site.args) == 1:
            inner = self.evaluate(site.args[0], scope)
            return inner if self.is_value(inner) else Opaque(site.node)
        conv = self._converters.get(qual)
        if conv is not None and site.args and not (conv.one_argument and (len(site.args) != 1 or site.kwargs)):
            inner = self.evaluate(site.args[0], scope)
            return convert(conv.to, inner) if self.is_value(inner) and not isinstance(inner, Dynamic) else Opaque(site.node)
        special = self.special_call(qual, site, scope)
        if special is not None:
            return special
        if shallow:  # a call's receiver, evaluated for its name only
            return Opaque(site.node) if self.SHALLOW_CALLS_OPAQUE else Call(qual)
        if receiver is not None or len(site.args) > MAX_CALL_ARGS:
            return Opaque(site.node)
        return self.call_value(qual, site, scope)

    def captures_text(self, template: str, obj: Obj, site: Site) -> Any:
        """An ``objects:`` entry's ``values:`` template filled with the object's captures
        (``"http://{service}"`` of a service-discovery lookup); unknown when one is not set."""
        parts: list[Value] = []
        for i, piece in enumerate(re.split(r"\{(\w+)\}", template)):
            if i % 2 == 0:
                if piece:
                    parts.append(Const(piece))
                continue
            cap = obj.capture(piece)
            if cap is None or isinstance(strip(cap), Dynamic):
                return Opaque(site.node)
            parts.append(cap)
        return simplify_concat(tuple(parts))

    # ================================================================ generic expression readers (EVAL entries)
    SPREAD_TYPES: frozenset[str] = frozenset()  # items of a list literal that spread another (...xs, *xs)
    LIST_ITEM_WRAPPERS: frozenset[str] = frozenset()  # an item node around its expression (C#'s expression_element)

    # operators by their text (the generic eval_binary_node / eval_unary_node): the fold operator
    # of each binary one, the null- and falsy-default ones, prefix ones whose value is null or
    # their operand's; with INT_DIVISION ``/`` of two integers truncates toward zero
    BINARY_OPS: Mapping[str, str] = {"+": "+", "-": "-", "*": "*", "/": "/", "%": "%"}
    DEFAULT_OPS: frozenset[str] = frozenset()  # x ?: d, x ?? d: d when x is null
    FALSY_DEFAULT_OPS: frozenset[str] = frozenset()  # x || d: d when x is falsy
    NULL_UNARY: frozenset[str] = frozenset()  # prefix operators whose value is null (JavaScript's void)
    UNARY_IDENTITY: frozenset[str] = frozenset({"+", "!!"})
    INT_DIVISION = True

    def operator(self, node: Node) -> str:
        op = node.child_by_field_name("operator")
        if op is not None:
            return self.text(op)
        return next((self.text(c) for c in node.children if not c.is_named), "")

    def eval_binary_node(self, node: Node, scope: Scope) -> Any:
        op = self.operator(node)
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return Opaque(node)
        if op in self.DEFAULT_OPS or op in self.FALSY_DEFAULT_OPS:  # System.getenv("X") ?: "d", process.env.X || "d"
            lv = self.evaluate(left, scope)
            inner = strip(lv) if self.is_value(lv) else None
            if isinstance(inner, Env) and inner.default is None:
                return Env(inner.var, self.to_value(self.evaluate(right, scope)))
            if isinstance(inner, Const):  # a known left side: itself, or the right side when null (falsy)
                empty = inner.value in (None, "", 0, False) if op in self.FALSY_DEFAULT_OPS else inner.value is None
                return self.evaluate(right, scope) if empty else lv
            return Opaque(node)
        fop = self.BINARY_OPS.get(op)
        if fop is None:
            return Opaque(node)
        lv, rv = self.evaluate(left, scope), self.evaluate(right, scope)
        if fop == "+":  # base + "/customers/" + id.getId(): an unknown call's result is a part of the string
            lv, rv = self.string_part(lv, rv), self.string_part(rv, lv)
        if fop == "/" and self.INT_DIVISION:  # integer division truncates toward zero
            a = strip(lv) if self.is_value(lv) else None
            b = strip(rv) if self.is_value(rv) else None
            if isinstance(a, Const) and isinstance(b, Const) and type(a.value) is int and type(b.value) is int and b.value:
                q = abs(a.value) // abs(b.value)
                return Const(q if (a.value >= 0) == (b.value >= 0) else -q)
        return self.eval_binary(fop, lv, rv, node)

    def string_part(self, v: Any, other: Any) -> Any:
        """``v`` added to ``other``: a call whose value is unknown, added to a string, is an unknown
        part of that string (its source text), not an unknown whole."""
        if not (isinstance(v, Opaque) and v.node.type in self.CALL_TYPES and self.is_value(other)):
            return v
        o = strip(other)
        if isinstance(o, Concat) or (isinstance(o, Const) and isinstance(o.value, str)):
            return Dynamic(self.anchor_text(v.node, 200))
        return v

    def eval_unary_node(self, node: Node, scope: Scope) -> Any:
        operand = node.child_by_field_name("operand") or node.child_by_field_name("argument")
        if operand is None:
            kids = self.named(node)
            operand = kids[-1] if kids else None
        if operand is None:
            return Opaque(node)
        op = self.operator(node)
        if op in self.NULL_UNARY:
            return Const(None)
        v = self.evaluate(operand, scope)
        if op in self.UNARY_IDENTITY:  # x!! is x
            return v
        if op == "-" and self.is_value(v) and not isinstance(v, Dynamic):
            return fold("-", Const(0), v)
        inner = strip(v) if self.is_value(v) else None
        if op == "!" and isinstance(inner, Const) and isinstance(inner.value, bool):
            return Const(not inner.value)
        return Opaque(node)

    def eval_paren(self, node: Node, scope: Scope) -> Any:
        """A parenthesised expression (one operand, comments aside): its operand's value."""
        kids = self.named(node)
        return self.evaluate(kids[0], scope) if len(kids) == 1 else Opaque(node)

    def eval_first(self, node: Node, scope: Scope) -> Any:
        """A cast / type assertion / non-null assertion: the value of its first operand."""
        kids = self.named(node)
        return self.evaluate(kids[0], scope) if kids else Opaque(node)

    def eval_list(self, node: Node, scope: Scope) -> Any:
        """A list / array literal: the ``Seq`` of its items (unknown past ``MAX_LITERAL_ITEMS`` or with a spread)."""
        items = self.named(node)
        if len(items) > MAX_LITERAL_ITEMS or any(i.type in self.SPREAD_TYPES for i in items):
            return Opaque(node)
        return Seq(tuple(self.to_value(self.evaluate(self.named(i)[0] if i.type in self.LIST_ITEM_WRAPPERS and self.named(i) else i, scope)) for i in items))

    def item_value(self, base: Any, key: Any) -> Any:
        """``base[key]`` of a known map (by a constant key) or list (by a constant integer
        index, counted from the end when negative); None: not known."""
        inner = strip(base) if self.is_value(base) else None
        if isinstance(key, Const):
            if isinstance(inner, Map):
                return inner.get(key.value)
            if isinstance(inner, Seq) and type(key.value) is int and -len(inner.items) <= key.value < len(inner.items):
                return inner.items[key.value]
        return None

    def class_instance(self, cls: ClassInfo, site: Site) -> Any:
        """The value of ``C(...)`` for a same-file class ``C``: the policy object of a subclass of a
        tracked policy class (``policy_instance``), else an instance of the class."""
        inst = self.policy_instance(cls) if self.index.classes else None
        return inst if inst is not None else Instance(cls)

    def policy_instance(self, cls: ClassInfo) -> Obj | None:
        """An instance of a same-file class that a policy rule's ``classes:`` matched (it derives
        from a tracked policy class, ``class MyBreaker(CircuitBreaker)``) carries the class's fact:
        an object of the base class's tracked type whose origin is where ``match_classes`` emits."""
        key = cls.node.id
        if key not in self._policy_classes:
            found: Obj | None = None
            for base in self.class_bases(cls):
                if any(c.kind in POLICY_KINDS and c.pattern.fullmatch(base) for c in self.index.classes):
                    otypes = self.index.ctor(base)
                    origin = f"{self.path}#{self.node_key(self.class_report_node(cls))}"
                    found = Obj(otypes[0].type if otypes else base, (), cls.name, origin)
                    break
            self._policy_classes[key] = found
        return self._policy_classes[key]

    def fallback_here(self) -> str | None:
        """The literal a handler of the nearest enclosing try returns (``except Timeout: return 0``,
        ``catch (e) { return "default"; }``, ``fallback_literal``): the fallback of a call made
        in the try, not in a function defined there nor past a ``FALLBACK_STOP_TYPES`` node."""
        if not self.TRY_TYPES:
            return None
        for node in reversed(self.stack):
            t = node.type
            if t in self.FUNCTION_TYPES or t in self.FUNCTION_NODE_TYPES or t in self.FALLBACK_STOP_TYPES:
                return None
            if t not in self.TRY_TYPES:
                continue
            for handler in self.try_handlers(node):
                for st in self.iter_named(self.handler_body(handler), self.RETURN_TYPES):
                    value = next(iter(self.named(st)), None)
                    literal = self.fallback_literal(value) if value is not None else None
                    if literal is not None:
                        return literal
            return None
        return None

    def special_call(self, qual: str, site: Site, scope: Scope) -> Any:
        """Language-specific call values (None: nothing special)."""
        return None

    def call_value(self, qual: str, site: Site, scope: Scope) -> Call:
        """A call of a known external function as a value (``time.Now().Add(d)``), for rules to interpret."""
        args = tuple(self.to_value(self.evaluate(a, scope)) for a in site.args)
        kwargs = tuple((k, self.to_value(self.evaluate(n, scope))) for k, n in site.kwargs.items())
        return Call(qual, args, kwargs)

    def eval_construction(self, site: Site, scope: Scope) -> Any:
        t = self.resolve_type(site.type_node, scope) if site.type_node is not None else None
        if isinstance(t, Ref):
            made = self.construct_for(t.qualname, site, scope, None)
            if made is not None:
                return made
            return self.untracked_literal(site, scope)
        if isinstance(t, ClassValue):
            return Instance(t.cls)
        return self.untracked_literal(site, scope)

    def untracked_literal(self, site: Site, scope: Scope) -> Any:
        """A literal of a type no rule tracks: its fields as a ``Map`` (so ``key:`` specs reach them)."""
        if site.fields:
            if len(site.fields) > MAX_LITERAL_ITEMS:
                return Opaque(site.node)
            return Map(tuple((Const(k), self.to_value(self.evaluate(v, scope))) for k, v in site.fields.items()))
        if site.args and not site.fields:
            if len(site.args) > MAX_LITERAL_ITEMS:
                return Opaque(site.node)
            return Seq(tuple(self.to_value(self.evaluate(a, scope)) for a in site.args))
        return Opaque(site.node)

    # ---------------------------------------------------------------- functions
    def function_scope(self, fn: FunctionInfo, args: tuple[Any, ...] | None = None) -> Scope:
        scope = Scope("function", fn.qualname, fn.scope, function=fn, cls=fn.cls)
        recv = self.function_receiver(fn.node)
        if recv is not None:
            name, tnode = recv
            if name:
                scope.bindings[name] = Binding(type_node=tnode, scope=fn.scope) if tnode is not None else Binding(value=Dynamic(name))
        override = self._callbacks.get(fn.node.id)
        for i, (name, tnode) in enumerate(self.function_params(fn.node)):
            if not name or name == "_":
                continue
            if override is not None and override[0] == i:
                scope.bindings[name] = Binding(value=override[1])
            elif args is not None and i < len(args):
                scope.bindings[name] = Binding(value=args[i])
            elif tnode is not None:
                scope.bindings[name] = Binding(type_node=tnode, scope=fn.scope, param=True)
            else:
                scope.bindings[name] = Binding(value=Dynamic(name))
        return scope

    def function_return(self, fn: FunctionInfo, site: Site | None, scope: Scope | None) -> Any:
        """What a same-file function returns, evaluated with the call's arguments bound (factories,
        env helpers such as ``getenv("X", "default")``)."""
        args: tuple[Any, ...] | None = None
        if site is not None and scope is not None and site.args and self._inline_depth < MAX_INLINE_DEPTH:
            args = tuple(self.to_value(v) if isinstance(v, Opaque) else v for v in self.arg_values(site, scope))
            if not _hashable(args):
                args = None
        key = (fn.node.id, args)
        if key in self._return_cache:
            return self._return_cache[key]
        fallback = Dynamic(fn.name + "()")
        self._return_cache[key] = fallback
        self._inline_depth += 1
        try:
            fscope = self.function_scope(fn, args)
            returns = [self.evaluate(e, fscope) for e in self.scan_function(fn, fscope)]
        finally:
            self._inline_depth -= 1
        result: Any = fallback
        objs = [r for r in returns if isinstance(r, (Obj, Instance))]
        envs = [r for r in returns if isinstance(sr := strip(r), Env) and sr.default is None]
        if objs:
            result = objs[-1]
        elif len(envs) == 1 and len(returns) == 2:  # return os.Getenv(k) ... return def: an env read with a default
            other = returns[0] if returns[1] is envs[0] else returns[1]
            if self.is_value(other) and not isinstance(other, Dynamic):
                result = Env(cast(Env, strip(envs[0])).var, self.to_value(other))  # envs: Env reads only (above)
        elif returns and all(r == returns[0] for r in returns):
            result = returns[0]
        self._return_cache[key] = result
        return result

    # ================================================================ matching
    def find_arg(self, site: Site, pos: int | None, kw: str | None) -> Node | None:
        if kw is not None and kw in site.kwargs:
            return site.kwargs[kw]
        if pos is None:
            return None
        n = len(site.args)
        if pos < 0:
            pos += n
        if 0 <= pos < n:
            return site.args[pos]
        return None

    def site_value(self, site: Site, pos: int | None, scope: Scope, kw: str | None = None) -> Value | None:
        node = self.find_arg(site, pos, kw)
        return self.to_value(self.evaluate(node, scope)) if node is not None else None

    def env_for(self, scope: Scope, **extra: str) -> dict[str, str]:
        env = dict(extra)
        if scope.function is not None:
            env.setdefault("function", scope.function.qualname)
        if scope.cls is not None:
            env.setdefault("class", scope.cls.name)
        return env

    def loop_count(self, node: Node, scope: Scope) -> Any:
        """Attempts of a counting loop: ``for (int i = S; i < N; i++)`` is N - S (``<=``: + 1);
        ``while (attempt < N)`` counts from the variable's value before the loop."""
        cond = node.child_by_field_name("condition")
        while cond is not None and cond.type == "parenthesized_expression":
            cond = next((c for c in cond.named_children if c.type not in ("comment", "line_comment", "block_comment")), None)
        test = self.counting_test(cond)
        if test is None:
            return None
        name, op, right = test
        start = strip(self.to_value(self.lookup_name(name, scope)))
        return self.attempts_of(start, op, right, scope)

    def counting_test(self, cond: Node | None) -> tuple[str, str, Node] | None:
        """``i < N`` / ``i <= N`` → (``i``, the operator, the bound's node); None for any other test."""
        if cond is None or cond.type != "binary_expression":
            return None
        op_node = cond.child_by_field_name("operator")
        op = self.text(op_node) if op_node is not None else ""
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier" or op not in ("<", "<="):
            return None
        return self.text(left), op, right

    def attempts_of(self, start: Any, op: str, bound: Node, scope: Scope) -> Any:
        """N - S tries (``<=``: N - S + 1); a start that is not a known integer counts as 0."""
        start_n = start.value if isinstance(start, Const) and isinstance(start.value, int) and not isinstance(start.value, bool) else 0
        count = fold("-", self.to_value(self.evaluate(bound, scope)), Const(start_n))
        return fold("+", count, Const(1)) if op == "<=" else count

    # ---------------------------------------------------------------- helpers for adapters
    def eval_binary(self, op: str, left: Any, right: Any, node: Node) -> Any:
        if not (self.is_value(left) and self.is_value(right)):
            return Opaque(node)
        if isinstance(left, Dynamic) or isinstance(right, Dynamic):
            other = strip(right if isinstance(left, Dynamic) else left)
            stringish = isinstance(other, Concat) or (isinstance(other, Const) and isinstance(other.value, str))
            if op != "+" or not stringish:
                return Opaque(node)
        if op not in ("+", "-", "*", "/", "//", "%", "**", "|", "&"):
            return Opaque(node)
        return fold(op, left, right)
