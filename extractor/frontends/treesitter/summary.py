"""Recording a file's summary (``extractor/frontends/summary.py``) while the engine walks it.

The engine calls ``enter`` when it walks a function, ``call`` for every call it matches (after
resolving the callee) and ``fact`` for every fact it emits; ``finish`` returns the summary. Only
what the walk computes anyway is recorded, plus the cheap values of call arguments (``_arg``:
literals, memoised bindings, module-level names as ``Ref``s, else the source text). A call of a
builtin no rule matches is not recorded (it reaches no function of any service). What this costs
is measured by ``bench/summary_overhead.py``.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...values import Call, Concat, Const, Dynamic, Ref, Value, strip, walk
from ..summary import CallSite, FileSummary, FunctionSummary, Param, site_key
from .scopes import (
    UNBOUND,
    ClassInfo,
    ClassValue,
    FunctionInfo,
    FunctionValue,
    Instance,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from .evaluate import Evaluator
    from .scopes import Scope, Site

MAX_ARGS = 12  # arguments kept per call site (a longer call keeps the first ones)
# languages whose '...' is a string
_SINGLE_QUOTED = frozenset({"python", "javascript"})
# escapes, quotes, interpolation: the engine evaluates those
_SPECIAL = re.compile(rb"[\\'\"$\{\n]")
_SELF_NAMES = frozenset({"this", "self"})  # a member of the enclosing type
_PERCENT_FIELD = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdirfx]")  # a %-format field: any text in a name pattern
MAX_LITERAL = 400  # a literal argument longer than this (bytes) is kept as its text
MAX_CALLS = 2000  # call sites kept per file (a generated file stops being recorded there)
# callees that are a language's builtins: a call of one (``len(x)``, ``isinstance(...)``, Go's
# ``append``) reaches no function of any service, so it is not recorded (unless a rule matches it)
_BUILTIN_CALLS: dict[str, frozenset[str]] = {
    "python": frozenset(n for n in dir(builtins) if not n.startswith("_")),
    "go": frozenset(
        {"append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make"}
        | {"max", "min", "new", "panic", "print", "println", "real", "recover"}
    ),
}
_LEAVES = (Const, Ref, Dynamic)  # public values with nothing nested (``_public`` keeps them as they are)


@dataclass(slots=True)
class _Fn:
    qualname: str
    name: str
    line: int
    end_line: int
    parent: str = ""
    cls: str = ""
    params: tuple[Param, ...] = ()
    decorators: tuple[str, ...] = ()
    decorator_lines: tuple[int, ...] = ()
    calls: list[CallSite] = field(default_factory=list)
    facts: list[int] = field(default_factory=list)
    node_id: int = 0
    start: int = 0  # byte offset (order of two functions on one line)
    entered: bool = False


class SummaryRecorder:
    """Collects one file's summary while the engine walks it; ``finish`` returns the ``FileSummary``.

    The engine calls ``enter`` when it walks a function, ``call`` for every call it matches (after
    resolving the callee) and ``fact`` for every fact it emits. Argument values: see ``_arg``.
    """

    def __init__(self, path: str, language: str, module: str) -> None:
        self.path = path
        self.language = language
        self.module = module
        self._fns: dict[int, _Fn] = {}  # function node id → record
        self._infos: dict[int, tuple[FunctionInfo, _Fn]] = {}  # id(FunctionInfo) → (it, record)
        self._top_calls: list[CallSite] = []
        self._top_facts: list[int] = []
        self._seen_sites: set[int] = set()
        self._count = 0
        self._builtins = _BUILTIN_CALLS.get(language, frozenset())
        # (scope id, annotation text) → (its text, its type name): one annotation resolves alike in one scope
        self._types: dict[tuple[int, bytes | None], tuple[str, str | None]] = {}
        self._defaults = language in _DEFAULTS_LANGUAGES
        self._last: tuple[FunctionInfo | None, _Fn | None] = (None, None)  # the function of the previous call
        self._resolved: dict[tuple[int, int], tuple[Scope, Any]] = {}  # (scope id, type node id) → (scope, type): _resolve

    def qualify(self, qualname: str) -> str:
        return f"{self.module}.{qualname}" if self.module and qualname else qualname

    def _fn(self, fn: FunctionInfo) -> _Fn:
        known = self._infos.get(id(fn))
        if known is not None:
            return known[1]
        rec = self._fns.get(fn.node.id)
        if rec is None:
            parent = fn.scope.function.qualname if fn.scope is not None and fn.scope.function is not None else ""
            rec = self._fns[fn.node.id] = _Fn(
                fn.qualname,
                fn.name,
                fn.node.start_point[0] + 1,
                fn.node.end_point[0] + 1,
                parent,
                fn.cls.qualname if fn.cls is not None else "",
                node_id=fn.node.id,
                start=fn.node.start_byte,
            )
        self._infos[id(fn)] = (fn, rec)  # the info is kept alive: its id stays its own
        return rec

    def enter(self, an: Evaluator, fn: FunctionInfo, dsites: list[Site], dquals: list[str | None]) -> None:
        """A function is walked: its parameters and decorators (once, on its first walk);
        ``dquals`` are the decorators' callees, as the engine resolved them."""
        rec = self._fn(fn)
        if rec.entered:
            return
        rec.entered = True
        fnode = fn.node
        plain = an.function_params(fnode)
        defaults = _defaults(fnode) if plain and self._defaults else None
        params = []
        types = self._types
        for name, tnode in plain:
            if not name:
                continue
            type_text = type_name = None
            if tnode is not None:
                key = (id(fn.scope), tnode.text)
                known = types.get(key)
                if known is None:
                    t = an.resolve_type(tnode, fn.scope)
                    known = types[key] = (
                        an.anchor_text(tnode, 120),
                        t.qualname if isinstance(t, Ref) else self.qualify(t.cls.qualname) if isinstance(t, ClassValue) else None,
                    )
                type_text, type_name = known
            dnode = defaults.get(name) if defaults else None
            default = self.value(an, dnode, fn.scope) if dnode is not None else None
            params.append(Param(name, type_text, type_name, default))
        splat = getattr(an, "keyword_splat", None)  # Python's ``**kwargs``, last: the keywords a call site passes it
        kwstar = splat(fnode) if splat is not None else None
        if kwstar:
            params.append(Param("**" + kwstar))
        rec.params = tuple(params)
        decorators = []
        for d, q in zip(dsites, dquals):
            qual = q if d.func is not None else None
            decorators.append(qual or an.anchor_text(d.func if d.func is not None else d.node, 120))
        rec.decorators = tuple(decorators)
        rec.decorator_lines = tuple(d.node.start_point[0] + 1 for d in dsites)

    def call(
        self,
        an: Evaluator,
        site: Site,
        scope: Scope,
        qual: str | None,
        attr: str,
        local: Any,
    ) -> None:
        """A call the engine matched, with its callee resolved."""
        node = site.node
        nid = node.id
        seen = self._seen_sites
        if nid in seen or self._count >= MAX_CALLS:
            return
        if local is None and qual is not None and qual in self._builtins and not an.index.call_specs(qual):
            return  # a builtin no rule matches (len, isinstance): it reaches no function of any service
        seen.add(nid)
        self._count += 1
        local_q = None
        table: list[str] = []  # a function taken from a mapping of functions: a call of each
        if isinstance(local, FunctionValue):  # a same-file function
            local_q = local.fn.qualname
            qual = self.qualify(local_q)
        elif isinstance(local, ClassValue):  # a same-file class
            qual = self.qualify(local.cls.qualname)
        elif qual is not None and qual.startswith("?."):
            qual = None
        if qual is None and attr and site.func is not None:
            qual = self._declared_receiver(an, site.func, scope, attr)
        elif qual is None and site.func is not None and site.func.type in an.IDENTIFIER_TYPES:
            qual = self._getattr_callee(an, site.func, scope)
            if qual is None and self.language == "python":
                table = self._mapping_callees(an, site.func, scope)
        passed: list[str] = []
        arg = self._arg
        # a function of the file or of its package (a wrapper, maybe): a local name passed to it is evaluated
        deep = local_q is not None or bool(qual and self.module and qual.partition(".")[0] == self.module.partition(".")[0])
        args = tuple([arg(an, a, scope, passed, deep) for a in site.args[:MAX_ARGS]]) if site.args else ()
        kwargs = tuple([(k, arg(an, n, scope, passed, deep)) for k, n in sorted(site.kwargs.items())]) if site.kwargs else ()
        if site.hidden and self.language == "python":  # ``**opts``: kept as ("**", its value), a dict built here known
            kwargs += self._splats(an, node, scope)
        guards = an.call_guards(node, scope) if scope is not None and hasattr(an, "call_guards") else ()  # Python: the ifs around it
        row, col = node.start_point
        cs = CallSite(
            row + 1,
            col + 1,
            qual,
            attr or (qual.rpartition(".")[2] if qual else ""),
            local_q,
            node.end_point[0] + 1,
            args,
            kwargs,
            tuple(passed) if passed else (),
            tuple(r.key for r in an.policies.stack if r.file in ("", self.path)) if an.policies.stack else (),
            guards,
        )
        sites = [cs, *(dataclasses.replace(cs, callee=q, name=q.rpartition(".")[2]) for q in table)]
        fn = scope.function if scope is not None else None
        if fn is None:
            self._top_calls.extend(sites)
            return
        last, rec = self._last
        if fn is not last or rec is None:
            rec = self._fn(fn)
            self._last = (fn, rec)
        rec.calls.extend(sites)

    def _mapping_callees(self, an: Evaluator, func: Node, scope: Scope) -> list[str]:
        """``handler = HANDLERS[kind]; handler(...)`` (or ``HANDLERS.get(kind)``), the mapping a dict
        literal bound to a name or returned by a same-file function (``get_event_map()[event]``):
        the functions its values name, resolved (imports, same-file functions); else none."""
        b = scope.lookup(an.text(func))
        expr = b.expr if b is not None else None
        at = (b.scope or scope) if b is not None else scope
        container = None
        if expr is not None and expr.type == "subscript":
            container = expr.child_by_field_name("value")
        elif expr is not None and expr.type in an.CALL_TYPES:
            site = an.site(expr, at)
            parts = an.member_parts(site.func) if site is not None and site.func is not None else None
            container = parts[0] if parts is not None and parts[1] == "get" else None
        found = self._dict_literal(an, container, at) if container is not None else None
        if found is None:
            return []
        node, where = found
        out: list[str] = []
        for pair in node.named_children:
            value = pair.child_by_field_name("value") if pair.type == "pair" else None
            if value is None or value.type not in ("identifier", "attribute"):
                return []  # a value that is no name: not a table of functions
            qual, _, _, local = an.callee(value, where)
            if isinstance(local, FunctionValue):
                qual = self.qualify(local.fn.qualname)
            if qual is None or qual.startswith("?."):
                return []
            out.append(qual)
        return sorted(set(out))

    def _dict_literal(self, an: Evaluator, node: Node, scope: Scope, depth: int = 0) -> tuple[Node, Scope] | None:
        """The dict literal a name or a same-file function's call stands for, with its scope."""
        if node.type == "dictionary":
            return node, scope
        if depth > 1:
            return None
        if node.type in an.IDENTIFIER_TYPES:
            b = scope.lookup(an.text(node))
            if b is None or b.expr is None or b.previous is not None:  # rebound: not one known mapping
                return None
            return self._dict_literal(an, b.expr, b.scope or scope, depth + 1)
        if node.type in an.CALL_TYPES:
            site = an.site(node, scope)
            local = an.callee(site.func, scope)[3] if site is not None and site.func is not None and not site.args else None
            if not isinstance(local, FunctionValue):
                return None
            body = local.fn.node.child_by_field_name("body")
            returns = [r for r in (body.named_children if body is not None else ()) if r.type == "return_statement"]
            if len(returns) == 1 and returns[0].named_children and returns[0].named_children[0].type == "dictionary":
                return returns[0].named_children[0], local.fn.scope
        return None

    def _splats(self, an: Evaluator, node: Node, scope: Scope) -> tuple[tuple[str, Value], ...]:
        """A Python call's ``**x`` arguments as ``("**", value)``: a dict built in the file (a local
        literal, what a same-file helper returns) is its ``Map``; else its source text."""
        arglist = node.child_by_field_name("arguments")
        out = []
        for a in arglist.named_children if arglist is not None else ():
            if a.type == "dictionary_splat" and a.named_children:
                out.append(("**", self.value(an, a.named_children[0], scope)))
        return tuple(out)

    def _declared_receiver(self, an: Evaluator, func: Node, scope: Scope, attr: str) -> str | None:
        """``Type.method`` for a call on a name or field whose declared type the file resolves
        (``risk.check()`` with ``RiskClient risk``, an injected ``this.client``), when the engine's
        callee is unknown (the type is no tracked library type)."""
        parts = an.member_parts(func)
        return self._receiver_of(an, parts[0], scope, attr) if parts is not None else None

    def _getattr_callee(self, an: Evaluator, func: Node, scope: Scope) -> str | None:
        """``call = getattr(client, "execute_%s_step" % kind); call(...)``: ``Type.execute_*_step``, the
        methods of the receiver's type (known as for a method call on it) that the name's pattern
        matches (the link stage resolves the pattern: ``link.breaker_sites``' and the wrappers' tables)."""
        b = scope.lookup(an.text(func))
        expr = b.expr if b is not None else None
        if expr is None or expr.type not in an.CALL_TYPES:
            return None
        at = b.scope or scope if b is not None else scope
        site = an.site(expr, at)
        if site is None or site.func is None or an.text(site.func) != "getattr" or len(site.args) != 2:
            return None
        arg = site.args[1]
        left, op = (arg.child_by_field_name("left"), arg.child_by_field_name("operator")) if arg.type == "binary_operator" else (None, None)
        template = strip(an.to_value(an.evaluate(left, at))) if left is not None and op is not None and an.text(op) == "%" else None
        if isinstance(template, Const) and isinstance(template.value, str):  # "execute_%s_step" % kind
            glob = _PERCENT_FIELD.sub("*", template.value)
        else:
            name = strip(an.to_value(an.evaluate(arg, at)))
            parts = name.parts if isinstance(name, Concat) else (name,)
            glob = "".join(str(p.value) if isinstance(p, Const) else "*" for p in map(strip, parts))
        if not glob.replace("*", "").isidentifier() or "*" not in glob:
            return None
        return self._receiver_of(an, site.args[0], at, glob)

    def _receiver_of(self, an: Evaluator, base: Node, scope: Scope, attr: str) -> str | None:
        tnode = tscope = None
        cls = scope.cls
        if base.type in an.IDENTIFIER_TYPES:
            name = an.text(base)
            b = scope.lookup(name)
            if b is not None:
                tnode, tscope = b.type_node, b.scope
            if tnode is None and cls is not None:  # a field (Java's implicit this)
                tnode, tscope = self._member_type(an, cls, name)
            if tnode is None and b is not None and b.expr is not None and b.expr.type in an.CALL_TYPES:
                base = b.expr  # client = agent_client.get_client(task); client.reboot(node)
        if base.type in an.CALL_TYPES:  # a method of what another module's factory returns: get_client(task).reboot
            fn = base.child_by_field_name("function")
            made = an.callee(fn, scope) if fn is not None and tnode is None else (None, None, "", None)
            if made[0] is not None and made[1] is None and made[3] is None:
                return f"{made[0]}().{attr}"
            if isinstance(made[3], ClassValue):  # SwiftAPI().delete_object(...): a same-file class's method
                return self.qualify(f"{made[3].cls.qualname}.{attr}")
        else:
            inner = an.member_parts(base)
            if inner is not None and cls is not None and an.text(inner[0]) in _SELF_NAMES:
                tnode, tscope = self._member_type(an, cls, inner[1])
        if tnode is None and cls is not None and base.type in an.IDENTIFIER_TYPES and an.text(base) in _SELF_NAMES:
            for c in an.base_chain(cls):  # self.post(url): a method of another module's base class (class Gotify(HttpTransport))
                bases = an.class_bases(c)
                if bases:
                    return f"{bases[0]}.{attr}"
        if tnode is None:
            return None
        t = self._resolve(an, tnode, tscope or scope)
        if isinstance(t, Ref):
            return f"{t.qualname}.{attr}"
        if isinstance(t, ClassValue):
            return self.qualify(f"{t.cls.qualname}.{attr}")
        return None

    def _resolve(self, an: Evaluator, tnode: Node, scope: Scope) -> Any:
        """A declared type resolved in a scope, once per (scope, type node): a parameter's type
        names the method of every call on the parameter."""
        key = (id(scope), tnode.id)
        known = self._resolved.get(key)
        if known is None or known[0] is not scope:
            known = self._resolved[key] = (scope, an.resolve_type(tnode, scope))  # (the scope kept: its id stays its own)
        return known[1]

    @staticmethod
    def _member_type(an: Evaluator, cls: ClassInfo, name: str) -> tuple[Any, Any]:
        if cls.members is None:
            an.collect_members(cls)
        return cls.member_types.get(name, (None, None))

    def _arg(self, an: Evaluator, node: Node, scope: Scope, passed: list[str], deep: bool = False) -> Value:
        """An argument's value as far as it is cheap to know: literals, names (a value the walk
        computed already; a module-level name not evaluated yet as its qualified ``Ref``, which the
        link stage resolves like any cross-module constant; with ``deep``, a local name's value),
        members of those (``settings.TIMEOUT``, ``pkg.Name``); anything else is its source text (``Dynamic``)."""
        v = self._cheap(an, node, scope, 0)
        if deep and type(v) is Dynamic and node.type in an.IDENTIFIER_TYPES:
            return self.value(an, node, scope)
        if deep and v is None and node.type in an.CALL_TYPES and (site := an.site(node, scope)) is not None and not site.args and not site.kwargs:
            return self.value(an, node, scope)  # a getter's result (endpoints.getOrders(): a setting), as known
        if v is None and deep and node.type not in an.CALL_TYPES:  # BASE + "/1" given to a function of the package
            return self.value(an, node, scope)
        if v is None and node.type in an.SUBSCRIPT_TYPES and "string" in getattr(node.child_by_field_name("subscript"), "type", ""):
            return self.value(an, node, scope)  # a mapping's item by a literal key (app.config["TIMEOUT"]): a setting, as known
        if type(v) in _LEAVES:
            leaf: Value = v  # one of _LEAVES: a public Value
            return leaf
        if isinstance(v, FunctionValue):
            q = self.qualify(v.fn.qualname)
            if q not in passed:
                passed.append(q)
            return Ref(q)
        out = self._public(an, v) if v is not None else None
        return out if out is not None else Dynamic(an.anchor_text(node, 120))

    def _cheap(self, an: Evaluator, node: Node, scope: Scope, depth: int) -> Any:
        t = node.type
        if t in an.IDENTIFIER_TYPES:
            name = an.text(node)
            b = scope.lookup(name)
            if b is None:
                return an.unbound_name(name)
            if b.value is not UNBOUND:
                return an.binding_value(b, name)
            owner = scope.owner_of(name)
            if owner is an.module_scope and self.module:
                return Ref(self.qualify(name))
            return Dynamic(name)
        if "string" in t:
            text = node.text or b""
            quote = text[:1]
            if (
                len(text) >= 2
                and quote == text[-1:]
                and (quote == b'"' or (quote == b"'" and an.language in _SINGLE_QUOTED))
                and not _SPECIAL.search(text, 1, len(text) - 1)
            ):  # a plain literal: its text, without the engine's full string evaluation
                return Const(text[1:-1].decode("utf-8", "replace"))
        if t in an.LEAF_TYPES or (("string" in t or "literal" in t) and node.end_byte - node.start_byte <= MAX_LITERAL):
            try:
                return an.evaluate(node, scope)
            except RecursionError:
                return None
        if depth < 3:
            parts = an.member_parts(node)
            if parts is not None:
                base = self._cheap(an, parts[0], scope, depth + 1)
                if isinstance(base, Ref):
                    return an.resolve_ref(f"{base.qualname}.{parts[1]}")
        return None

    def value(self, an: Evaluator, node: Node, scope: Scope) -> Value:
        try:
            out = self._public(an, an.evaluate(node, scope))
        except RecursionError:
            out = None
        return out if out is not None else Dynamic(an.anchor_text(node, 120))

    def _public(self, an: Evaluator, v: Any) -> Value | None:
        """An engine value as a public ``Value``: a same-file function as its qualified ``Ref``, a
        same-file instance as a ``Call`` of its class; None for what is no value (an adapter's
        internal object), so that a summary stays plain data."""
        if type(v) in _LEAVES:
            leaf: Value = v  # one of _LEAVES: a public Value
            return leaf
        if isinstance(v, FunctionValue):
            return Ref(self.qualify(v.fn.qualname))
        if isinstance(v, ClassValue):
            return Ref(self.qualify(v.cls.qualname))
        if isinstance(v, Instance):
            return Call(self.qualify(v.cls.qualname))
        out = an.to_value(v)
        return out if all(an.is_value(x) for x in walk(out)) else None

    def fact(self, key: int, scope: Scope | None) -> None:
        fn = scope.function if scope is not None else None
        if fn is None:
            self._top_facts.append(key)
        else:
            self._fn(fn).facts.append(key)

    def finish(self, an: Evaluator, returns: dict[Any, Any]) -> FileSummary:
        """The file's summary; ``returns`` is the engine's memo of evaluated function returns."""
        by_node: dict[int, Any] = {}
        for (node_id, args), v in returns.items():
            if args is None or node_id not in by_node:
                by_node[node_id] = v
        functions = []
        members_of = getattr(an, "constructor_members", None)  # the adapter's: self.x = parameter in a constructor
        infos = {rec.node_id: fn for fn, rec in self._infos.values()} if members_of is not None else {}
        for rec in sorted(self._fns.values(), key=lambda r: (r.line, r.start, r.qualname)):
            ret = by_node.get(rec.node_id)
            value = self._public(an, ret) if ret is not None else None
            if isinstance(value, Dynamic) and value.text == rec.name + "()":  # the engine's placeholder: not evaluated
                value = None
            functions.append(
                FunctionSummary(
                    rec.qualname,
                    rec.name,
                    rec.line,
                    rec.end_line,
                    rec.parent,
                    rec.cls,
                    rec.params,
                    rec.decorators,
                    value,
                    tuple(sorted(rec.calls, key=site_key)),
                    tuple(rec.facts),
                    members_of(infos[rec.node_id]) if members_of is not None and rec.cls and rec.node_id in infos else (),
                    rec.decorator_lines,
                )
            )
        return FileSummary(
            self.path,
            self.language,
            self.module,
            tuple(functions),
            tuple(sorted(self._top_calls, key=site_key)),
            tuple(self._top_facts),
            tuple(getattr(an, "summary_bases", tuple)()),  # the adapter's: a class's bases, qualified
            tuple(getattr(an, "summary_enums", tuple)()),  # the adapter's: enum constants' constructor arguments
        )


# parameter node type → (name field, default field): the grammars whose parameters carry defaults
_DEFAULTS_LANGUAGES = frozenset({"python", "javascript"})  # (TypeScript is the javascript adapter's)
_DEFAULT_PARAMS = {
    "default_parameter": ("name", "value"),  # Python
    "typed_default_parameter": ("name", "value"),
    "assignment_pattern": ("left", "right"),  # JavaScript
    "required_parameter": ("pattern", "value"),  # TypeScript
    "optional_parameter": ("pattern", "value"),
}


def _defaults(fn_node: Node) -> dict[str, Node]:
    """Parameter name → default expression node, for the grammars that have defaults."""
    params = fn_node.child_by_field_name("parameters")
    if params is None or b"=" not in (params.text or b""):  # no default: nothing to look for
        return {}
    out: dict[str, Node] = {}
    for p in params.named_children:
        fields = _DEFAULT_PARAMS.get(p.type)
        if fields is None:
            continue
        name, value = p.child_by_field_name(fields[0]), p.child_by_field_name(fields[1])
        if name is not None and value is not None and name.type == "identifier" and name.text is not None:
            out[name.text.decode("utf-8", "replace")] = value
    return out
