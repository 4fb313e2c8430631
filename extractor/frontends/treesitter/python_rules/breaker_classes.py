"""Hand-written circuit breakers: a class of the file that names a breaker's states and keeps a
failure threshold or a cool-down (saleor's ``BreakerBoard``). What makes a class a breaker is the
rule's ``options:`` (``states``: name sets the class must all name; ``attributes``: the fields and
the instance attributes that give them, in order), not code here.

The fact is the class (its ``class`` line), with the values the attributes get where they are
literal: the attribute's own value, else the argument a same-file construction of the class gives
the ``__init__`` parameter stored in it (``self.cooldown_seconds = cooldown_seconds`` with
``BreakerBoard(cooldown_seconds=2 * 60)``), else that parameter's default. Its methods that wrap a
function (a parameter called in a nested function they return: ``wrap_promise_func``) are passed
to the link stage (``_wraps``), which reports the breaker where such a method is applied
(``link.apply_breaker_sites``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....catalog import Rule
from ....values import Const, Seq, fold

if TYPE_CHECKING:
    from tree_sitter import Node


_TOKEN_TYPES = frozenset({"identifier", "string_content"})


class BreakerClasses:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        opts = rule.options or {}
        self.states = [tuple(str(n) for n in group) for group in opts.get("states") or ()]
        self.attributes = [(str(k), [str(a) for a in v]) for k, v in (opts.get("attributes") or {}).items()]
        self.percent = {str(k) for k in opts.get("percent_fields") or ()}  # fields written as a percentage (35 → 0.35)
        self.mechanism = str(opts.get("mechanism") or "hand-written")
        self.prefilter_words = tuple(sorted({g[-1] for g in self.states}))
        self._constructions: list[tuple[Node, Any]] = []

    def start(self, an: Any) -> None:
        self._constructions = []

    def on_call(self, an: Any, node: Node, qual: str | None, receiver: Any, scope: Any) -> None:
        func = node.child_by_field_name("function")
        if func is not None and func.type == "identifier":  # a same-file class constructed: Board(...)
            self._constructions.append((node, scope))

    def finish(self, an: Any) -> None:
        for cls in list(an._classes.values()):
            if cls.scope.parent is not an.module_scope and cls.scope.parent is not None:
                continue
            start, end = cls.node.start_byte, cls.node.end_byte  # a name absent from the class's text is no token of it
            if not any(all(not s.isascii() or an.source.find(s.encode(), start, end) >= 0 for s in group) for group in self.states):
                continue
            tokens = _tokens(an, cls.node)
            if not any(all(s in tokens for s in group) for group in self.states):
                continue
            fields = self._fields(an, cls)
            if "failure_threshold" not in fields and "failure_ratio" not in fields and "recovery_timeout" not in fields:
                continue
            fields.update({"mechanism": Const(self.mechanism), "name": Const(cls.name), "scope": Const(f"class {cls.name}")})
            wraps = [f"{cls.qualname}.{name}" for name, fn in sorted(cls.methods.items()) if _wraps_function(an, fn.node)]
            if wraps:
                fields["_wraps"] = Seq(tuple(Const(w) for w in wraps))
            an.emit("circuit_breaker", self.rule.id, an.class_report_node(cls), fields, an.module_scope, anchor=cls.qualname)

    def _fields(self, an: Any, cls: Any) -> dict[str, Any]:
        if cls.members is None:
            an.collect_members(cls)
        members = cls.members or {}
        init = cls.methods.get("__init__")
        used: set[str] = set()
        out: dict[str, Any] = {}
        for field, names in self.attributes:
            for name in names:
                if name in used or (name not in members and name not in cls.scope.bindings):
                    continue
                value = self._value(an, cls, init, name, members)
                if value is None:
                    continue
                used.add(name)
                out["failure_ratio" if field in self.percent else field] = fold("/", value, Const(100)) if field in self.percent else value
                break
        return out

    def _value(self, an: Any, cls: Any, init: Any, name: str, members: dict[str, Any]) -> Any:
        if name in cls.scope.bindings and name not in members:  # a class constant: FAILURE_THRESHOLD = 5
            v = an.to_value(an.binding_value(cls.scope.bindings[name], name))
            return v if _known(v) else None
        entries = members.get(name) or []
        if len(entries) != 1:
            return None
        expr, scope = entries[0]
        param = an.text(expr) if expr.type == "identifier" and init is not None else None
        if param is None or param not in _param_names(an, init.node):
            v = an.to_value(an.evaluate(expr, scope))
            return v if _known(v) else None
        for node, cscope in self._constructions:  # the value a construction of the class gives the parameter
            local = an.callee(node.child_by_field_name("function"), cscope)[3]
            if getattr(local, "cls", None) is not cls:
                continue
            site = an.site(node, cscope)
            arg = site.kwargs.get(param) if site is not None else None
            if arg is not None:
                v = an.to_value(an.evaluate(arg, cscope))
                return v if _known(v) else None
        default = _param_default(an, init.node, param)
        if default is not None:
            v = an.to_value(an.evaluate(default, init.scope))
            return v if _known(v) else None
        return None


def _known(v: Any) -> bool:
    return type(v).__name__ in ("Const", "Named", "Ref", "BinOp", "Env", "Call")


def _tokens(an: Any, node: Node) -> set[str]:
    """The names and string texts of a class's code (``CircuitBreakerState.HALF_OPEN``, ``"open"``)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in _TOKEN_TYPES:
            out.add(an.text(n))
        stack.extend(n.children)
    return out


def _param_names(an: Any, fnode: Node) -> list[str]:
    params = fnode.child_by_field_name("parameters")
    out = []
    for p in params.named_children if params is not None else ():
        n = p if p.type == "identifier" else p.child_by_field_name("name") or (p.named_children[0] if p.named_children else None)
        if n is not None and n.type == "identifier":
            out.append(an.text(n))
    return out


def _param_default(an: Any, fnode: Node, name: str) -> Node | None:
    params = fnode.child_by_field_name("parameters")
    for p in params.named_children if params is not None else ():
        if p.type in ("default_parameter", "typed_default_parameter"):
            n = p.child_by_field_name("name")
            if n is not None and an.text(n) == name:
                return p.child_by_field_name("value")
    return None


def _wraps_function(an: Any, fnode: Node) -> bool:
    """Whether a method returns a nested function that calls one of the method's parameters
    (``def wrap(self, func): def inner(*a): ... func(*a) ...; return inner``)."""
    params = set(_param_names(an, fnode)[1:])
    body = fnode.child_by_field_name("body")
    if not params or body is None:
        return False
    inner = {an.text(n.child_by_field_name("name")): n for n in body.named_children if n.type == "function_definition"}
    returned = {an.text(r.named_children[0]) for r in body.named_children if r.type == "return_statement" and r.named_children}
    for name in returned & set(inner):
        stack = [inner[name].child_by_field_name("body")]
        while stack:
            n = stack.pop()
            if n is None:
                continue
            if n.type == "call":
                f = n.child_by_field_name("function")
                if f is not None and f.type == "identifier" and an.text(f) in params:
                    return True
            stack.extend(n.named_children)
    return False


__all__ = ["BreakerClasses"]
