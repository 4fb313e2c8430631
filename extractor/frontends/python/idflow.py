"""Where a generated id goes: intra-procedural flow from ``uuid4()`` to an outbound call.

Sources are ``id_generation`` facts (and id-like parameters, so that one hop into a same-file
function is followed). Assignments propagate them (``rid = str(uuid4())``, ``headers =
{"X-Request-ID": rid}``, ``body["transaction_id"] = rid``); when an outbound call fact is
emitted, its arguments are checked for tainted names and the label under which each one
travels (``header:Idempotency-Key``, ``field:transaction_id``, ``kwarg:request_id``).
Only labels that name an idempotency/request id count (patterns from the id rule's options).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import libcst as cst

from ...facts import FactRef
from ..base import RawFact

from ..treesitter.idflow import DEFAULT_FIELDS, DEFAULT_HEADERS, PARAM_SOURCES  # noqa: E402  (one definition for both engines)

CARRIER_KWARGS = {"headers": "header", "metadata": "header", "json": "field", "data": "field", "params": "field", "content": "field", "body": "field"}


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # "fact" | "param"
    ref: Any  # FactRef for facts, (function qualname, parameter name) for params


@dataclass
class Taint:
    sources: set[Source] = field(default_factory=set)
    labels: dict[str, set[Source]] = field(default_factory=dict)  # dict key → sources (headers, bodies)


class IdFlow:
    def __init__(self, header_re: str = DEFAULT_HEADERS, field_re: str = DEFAULT_FIELDS, param_re: str = PARAM_SOURCES) -> None:
        self.header_re = re.compile(header_re)
        self.field_re = re.compile(field_re)
        self.param_re = re.compile(param_re)
        self.frames: list[dict[str, Taint]] = [{}]
        self.function_names: list[str | None] = [None]
        self.pending: list[tuple[RawFact, cst.CSTNode]] = []  # id facts waiting for their statement
        self.flows: dict[Source, list[dict[str, Any]]] = {}
        self.param_calls: list[tuple[Source, str, str]] = []  # (source, local function, parameter)
        self.id_facts: dict[FactRef, RawFact] = {}
        self.param_names: dict[str, list[str]] = {}
        self.inherits: dict[Source, set[Source]] = {}

    # ---------------------------------------------------------------- scopes
    def enter_function(self, qualname: str, params: list[str]) -> None:
        frame: dict[str, Taint] = {}
        for p in params:
            if self.param_re.search(p):
                frame[p] = Taint({Source("param", (qualname, p))})
        self.param_names[qualname] = params
        self.frames.append(frame)
        self.function_names.append(qualname)

    def leave_function(self) -> None:
        self.frames.pop()
        self.function_names.pop()

    # ---------------------------------------------------------------- sources
    def on_id_fact(self, fact: RawFact, ref: FactRef, node: cst.CSTNode) -> None:
        self.id_facts[ref] = fact
        self.pending.append((fact, node))

    def names_in(self, expr: cst.CSTNode) -> Iterator[str]:
        stack = [expr]
        while stack:
            n = stack.pop()
            if isinstance(n, cst.Name):
                yield n.value
            elif isinstance(n, cst.Attribute):
                stack.append(n.value)
            elif isinstance(n, (cst.Lambda, cst.SimpleString, cst.Integer, cst.Float)):
                continue
            else:
                stack.extend(_children(n))

    def taint_of(self, expr: cst.CSTNode, direct: dict[int, Source]) -> Taint:
        """Sources reaching an expression: tainted names in it, and id calls inside it."""
        t = Taint()
        frame = self.frames[-1]
        if isinstance(expr, cst.Dict):
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    key = el.key.evaluated_value if isinstance(el.key, cst.SimpleString) else None
                    inner = self.taint_of(el.value, direct)
                    if inner.sources:
                        if isinstance(key, str):
                            t.labels.setdefault(key, set()).update(inner.sources)
                        t.sources |= inner.sources
                    for k, srcs in inner.labels.items():
                        t.labels.setdefault(k, set()).update(srcs)
            return t
        if isinstance(expr, cst.Call) and dotted_name(expr.func) in ("dict",):
            for a in expr.args:
                if a.keyword is not None:
                    inner = self.taint_of(a.value, direct)
                    if inner.sources:
                        t.labels.setdefault(a.keyword.value, set()).update(inner.sources)
                        t.sources |= inner.sources
            return t
        for node_id, src in direct.items():
            if _contains(expr, node_id):
                t.sources.add(src)
        for name in set(self.names_in(expr)):
            if name in frame:
                t.sources |= frame[name].sources
                for k, srcs in frame[name].labels.items():
                    t.labels.setdefault(k, set()).update(srcs)
        return t

    def active(self) -> bool:
        return bool(self.pending) or bool(self.frames[-1])

    def on_assign(self, targets: list[cst.BaseExpression], value: cst.BaseExpression) -> None:
        if not self.active():
            return
        direct = {id(node): Source("fact", FactRef(fact.key)) for fact, node in self.pending}
        for fact, node in self.pending:
            if len(targets) == 1 and isinstance(targets[0], cst.Name) and _contains(value, id(node)):
                fact.fields.setdefault("variable", targets[0].value)
        t = self.taint_of(value, direct)
        self.pending.clear()
        frame = self.frames[-1]
        for target in targets:
            if isinstance(target, cst.Name):
                previous = frame.get(target.value)
                if previous is not None and t.sources:
                    # a new id under the same name (regenerated for the next attempt) goes where the old one went
                    for new in t.sources:
                        self.inherits.setdefault(new, set()).update(previous.sources)
                if t.sources or t.labels:
                    frame[target.value] = t
                else:
                    frame.pop(target.value, None)
            elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and t.sources:
                key = target.slice[0].slice.value if len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index) else None
                label = key.evaluated_value if isinstance(key, cst.SimpleString) else None
                holder = frame.setdefault(target.value.value, Taint())
                if isinstance(label, str):
                    holder.labels.setdefault(label, set()).update(t.sources)
                holder.sources |= t.sources

    def statement_done(self) -> None:
        self.pending.clear()

    # ---------------------------------------------------------------- sinks
    def on_outbound_call(self, call_fact: RawFact, node: cst.Call) -> None:
        if not self.active():
            return
        direct = {id(n): Source("fact", FactRef(f.key)) for f, n in self.pending}
        for a in node.args:
            kw = a.keyword.value if a.keyword is not None else None
            t = self.taint_of(a.value, direct)
            if not t.sources and not t.labels:
                continue
            carrier = CARRIER_KWARGS.get(kw or "")
            if carrier is not None:
                pattern = self.header_re if carrier == "header" else self.field_re
                for label, srcs in t.labels.items():
                    if pattern.search(label):
                        for s in srcs:
                            self._flow(s, call_fact, f"{carrier}:{label}")
                if isinstance(a.value, (cst.List, cst.Tuple)) and carrier == "header":
                    for el in a.value.elements:
                        if isinstance(el.value, cst.Tuple) and len(el.value.elements) == 2:
                            k = el.value.elements[0].value
                            if isinstance(k, cst.SimpleString) and self.header_re.search(str(k.evaluated_value)):
                                for s in self.taint_of(el.value.elements[1].value, direct).sources:
                                    self._flow(s, call_fact, f"header:{k.evaluated_value}")
            elif kw is not None and self.field_re.search(kw):
                for s in t.sources:
                    self._flow(s, call_fact, f"kwarg:{kw}")
            elif isinstance(a.value, cst.Call):
                for inner in a.value.args:
                    if inner.keyword is not None and self.field_re.search(inner.keyword.value):
                        for s in self.taint_of(inner.value, direct).sources:
                            self._flow(s, call_fact, f"field:{inner.keyword.value}")

    def on_local_call(self, function: str, node: cst.Call) -> None:
        """An id passed to a same-file function: its flow is that parameter's flow (one hop)."""
        if not self.active():
            return
        params = self.param_names.get(function)
        direct = {id(n): Source("fact", FactRef(f.key)) for f, n in self.pending}
        for i, a in enumerate(node.args):
            t = self.taint_of(a.value, direct)
            if not t.sources:
                continue
            if a.keyword is not None:
                pname = a.keyword.value
            elif params is not None and i < len(params):
                pname = params[i]
            else:
                pname = f"#{i}"
            for s in t.sources:
                self.param_calls.append((s, function, pname))

    def _flow(self, source: Source, call_fact: RawFact, label: str) -> None:
        entry = {"call": FactRef(call_fact.key), "as": label}
        lst = self.flows.setdefault(source, [])
        if entry not in lst:
            lst.append(entry)

    def finish(self, path: str) -> None:
        """Write ``flows_to`` on the id facts, following one hop through parameters."""
        for ref, fact in self.id_facts.items():
            src = Source("fact", FactRef(fact.key))
            flows = list(self.flows.get(src, ()))
            for older in sorted(self.inherits.get(src, ()), key=repr):
                for f in self.flows.get(older, ()):
                    if f not in flows:
                        flows.append(f)
            for s, fn, pname in self.param_calls:
                if s == src:
                    params = self.param_names.get(fn, [])
                    if pname.startswith("#") and pname[1:].isdigit() and int(pname[1:]) < len(params):
                        pname = params[int(pname[1:])]
                    for f in self.flows.get(Source("param", (fn, pname)), ()):
                        if f not in flows:
                            flows.append(f)
            if flows:
                fact.fields["flows_to"] = sorted(flows, key=lambda f: (f["call"].key, f["as"]))


def dotted_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _contains(root: cst.CSTNode, node_id: int) -> bool:
    stack = [root]
    while stack:
        n = stack.pop()
        if id(n) == node_id:
            return True
        stack.extend(_children(n))
    return False


def _children(node: cst.CSTNode) -> Any:
    from .analyzer import _expr_children

    return _expr_children(node)
