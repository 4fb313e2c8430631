"""Where a generated id goes, for every tree-sitter language: the engine's id flow.

The same idea as the Python frontend's ``idflow.py``, with no language syntax in it: the adapter
supplies only syntax facts through the engine —

- **assignments**: every ``bind(scope, name, expr)`` the adapter makes (declarations, ``x = v``)
  propagates the taint of ``expr`` to ``name``; ``store(scope, holder, key, expr)`` for a keyed
  store (``body.request_id = id``, ``headers["X-Request-ID"] = id``);
- **object-literal keys**: ``literal_pairs(node)`` (a JS object, a Go keyed composite literal, a
  C# anonymous object) gives ``(key, value)`` pairs, so a value travels under a label path
  (``headers`` → ``Idempotency-Key``);
- **call arguments**: the ``Site`` of an outbound call fact (positional ``args``, named
  ``kwargs``, construction ``fields``) is checked for tainted values and the label each one
  travels under (``header:Idempotency-Key``, ``field:transactionId``, ``kwarg:request_id``);
- identifiers are the adapter's ``IDENTIFIER_TYPES``; function literals are not entered, except
  one passed to an outbound call whose rule says which calls of such a literal set a header
  (the option ``request_headers``: ``setters``, called as ``setter("Header-Name", value)``, and
  ``blocks``, whose own literal holds setters: Ktor's ``client.post(url) { header("X-Request-ID",
  id) }`` and ``headers { append("X-Request-ID", id) }``). Only unqualified calls count: a
  qualified entry matches the callee's resolved name (an imported extension function), a bare
  one a name that binds nothing in scope (a method of the literal's receiver).

Sources are ``id_generation`` facts (the node they were emitted at) and id-like parameters of
same-file functions (a parameter named plainly ``id`` too), so that one hop into a function through
its parameter is followed; a method of an object literal of the file called through the name it is
bound to (``riskApi.score(newTxId)`` with ``const riskApi = { async score(id) {...} }``) is such a
function (the engine's ``literal_method``). A new id assigned to a name that already held one goes
where the old one went (regenerated per attempt).

Functions of other files (one hop): extraction stays a pure function of the file, so each side
records its end and the link stage joins them (``link.apply_id_sites``, through the file
summaries' call sites): an outbound call fact that an id-like parameter reaches (directly, or
through one same-file function) carries ``_id_params`` (``[function, parameter, label]``), and an
id fact passed to a function the file does not define carries ``_id_passed`` (``[line, column,
argument position or keyword]`` of that call; the calls of one expression are read once its id
facts are made: ``pending``, ``flush_calls``). Both fields are private (the link stage pops them).

It is active only in files whose text mentions an id rule's words (``TsIndex.id_words_re``) or an
id-like parameter's (``PARAM_WORDS``: a helper of another file), and does nothing before the
file's first id fact or id-like parameter, so other files pay nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...facts import FactRef
from ...values import Const
from ..base import RawFact

# The id-flow labels and sources every language uses (a rule may override them in its options).
# the one definition of idempotency / request-id header names (a rule's option ``headers`` may replace it)
DEFAULT_HEADERS = r"(?i)^(x-)?(idempotency[-_]?key|idempotency-id|request[-_]?id|correlation[-_]?id|transaction[-_]?id|trace[-_]?id)$|-id$"
DEFAULT_FIELDS = r"(?i)(^|_)(id|key|uuid|token|nonce)$|idempotency|request_?id|transaction_?id"
PARAM_SOURCES = r"(?i)^id$|idempotency|request_?id|^tx_?id$|txn_?id|transaction_?id|correlation_?id|dedup|nonce|idem_?key|operation_?id|message_?id"
# a file whose text has none of these words (nor an id rule's) gets no id flow: a helper of another
# file that sends an id-like parameter (``def score(tx_id)``, ``Idempotency-Key``) has one of them
PARAM_WORDS = re.compile(rb"(?i)idempot|request_?id|tx_?id|txn_?id|transaction_?id|dedup|nonce|idem_?key|operation_?id")

if TYPE_CHECKING:
    from tree_sitter import Node

    from .engine import Analyzer, Scope, Site

# label keys whose values are headers / metadata, or request bodies / query parameters
HEADER_CARRIERS = frozenset({"headers", "header", "metadata", "meta"})
MAX_TAINT_NODES = 400  # nodes visited per expression (a huge literal is not worth it)

Src = Any  # int (an id fact's key) | tuple ("param", function qualname, parameter name)


@dataclass
class Taint:
    sources: set[Src] = field(default_factory=set)
    labels: dict[tuple[str, ...], set[Src]] = field(default_factory=dict)  # label path → sources

    def merge(self, other: Taint, under: tuple[str, ...] = ()) -> None:
        if under:
            if other.sources:
                self.labels.setdefault(under, set()).update(other.sources)
        self.sources |= other.sources
        for path, srcs in other.labels.items():
            self.labels.setdefault(under + path, set()).update(srcs)

    def __bool__(self) -> bool:
        return bool(self.sources or self.labels)


class TsIdFlow:
    def __init__(self, an: Analyzer, header_re: str = DEFAULT_HEADERS, field_re: str = DEFAULT_FIELDS, param_re: str = PARAM_SOURCES) -> None:
        self.an = an
        self.header_re = re.compile(header_re)
        self.field_re = re.compile(field_re)
        self.param_re = re.compile(param_re)
        self.frames: dict[int, dict[str, Taint]] = {}  # id(scope) → name → taint
        self.id_facts: dict[int, RawFact] = {}  # fact key → fact
        self.by_node: dict[int, int] = {}  # node id → fact key
        self.spans: dict[int, tuple[int, int]] = {}  # fact key → the id node's byte range
        self.flows: dict[Src, list[dict[str, Any]]] = {}
        self.param_calls: list[tuple[Src, str, str]] = []  # (source, function, parameter)
        self.passed: dict[int, list[list[Any]]] = {}  # id fact key → [line, col, position] of calls of other files' functions
        self.call_facts: dict[int, RawFact] = {}  # outbound call facts an id or id-like parameter reaches
        self.pending: list[tuple[Site, Scope]] = []  # calls of functions the file does not define, in the expression walked
        self.param_names: dict[str, list[str]] = {}
        self.inherits: dict[Src, set[Src]] = {}
        self._budget = 0
        # rule id → (header setters, blocks of setters) called in a literal that configures the call
        self.configures: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for rule in an.index.rules:
            spec = (rule.options or {}).get("request_headers")
            if isinstance(spec, dict):
                self.configures[rule.id] = (frozenset(spec.get("setters") or ()), frozenset(spec.get("blocks") or ()))

    # ---------------------------------------------------------------- state
    def active(self) -> bool:
        """After the file's first id fact, or in a function with an id-like parameter (a helper
        defined before the code that passes it an id)."""
        return bool(self.id_facts or self.frames)

    def on_id_fact(self, fact: RawFact, node: Node) -> None:
        self.id_facts[fact.key] = fact
        self.by_node[node.id] = fact.key
        self.spans[fact.key] = (node.start_byte, node.end_byte)

    def enter_function(self, scope: Scope, qualname: str, params: list[str]) -> None:
        self.param_names[qualname] = params
        frame: dict[str, Taint] | None = None
        for p in params:
            if p and self.param_re.search(p):
                frame = frame if frame is not None else self.frames.setdefault(id(scope), {})
                frame[p] = Taint({("param", qualname, p)})

    # ---------------------------------------------------------------- taint of an expression
    def taint_of(self, node: Node | None, scope: Scope) -> Taint:
        self._budget = MAX_TAINT_NODES
        return self._taint(node, scope) if node is not None else Taint()

    def _taint(self, node: Node, scope: Scope) -> Taint:
        t = Taint()
        self._budget -= 1
        if self._budget < 0:
            return t
        key = self.by_node.get(node.id)
        if key is not None:
            t.sources.add(key)
        an = self.an
        ntype = node.type
        if ntype in an.FUNCTION_TYPES:
            return t
        if ntype in an.IDENTIFIER_TYPES:
            found = self.lookup(an.text(node), scope)
            if found is not None:
                t.merge(found)
            return t
        pairs = an.literal_pairs(node)
        if pairs is not None:
            for k, value in pairs:
                if value is None:
                    continue
                inner = self._taint(value, scope)
                t.merge(inner, (k,) if k else ())
            return t
        for child in node.named_children:
            t.merge(self._taint(child, scope))
        return t

    def lookup(self, name: str, scope: Scope) -> Taint | None:
        owner = scope.owner_of(name)
        cur: Scope | None = owner if owner is not None else scope
        frame = self.frames.get(id(cur)) if cur is not None else None
        if frame is not None and name in frame:
            return frame[name]
        if owner is None:  # a parameter frame of an enclosing function that has no binding for it
            s: Scope | None = scope
            while s is not None:
                f = self.frames.get(id(s))
                if f is not None and name in f:
                    return f[name]
                s = s.parent
        return None

    # ---------------------------------------------------------------- assignments
    def assign(self, target: Scope, name: str, expr: Node, scope: Scope) -> None:
        t = self.taint_of(expr, scope)
        for key in t.sources:
            fact = self.id_facts.get(key) if isinstance(key, int) else None
            span = self.spans.get(key)
            if fact is not None and span is not None and "variable" not in fact.fields and expr.start_byte <= span[0] and span[1] <= expr.end_byte:
                fact.fields["variable"] = Const(name)  # the id is made in the assigned expression
        frame = self.frames.setdefault(id(target), {})
        previous = frame.get(name)
        if previous is not None and t.sources:
            for new in t.sources:  # a new id under the same name goes where the old one went
                if new not in previous.sources:
                    self.inherits.setdefault(new, set()).update(previous.sources)
        if t:
            frame[name] = t
        else:
            frame.pop(name, None)

    def store(self, scope: Scope, holder: str, key: str | None, expr: Node) -> None:
        """``holder.key = expr`` / ``holder["key"] = expr``: the holder carries the value under ``key``."""
        t = self.taint_of(expr, scope)
        if not t:
            return
        target = scope.owner_of(holder) or scope
        frame = self.frames.setdefault(id(target), {})
        cur = frame.setdefault(holder, Taint())
        cur.merge(t, (key,) if key else ())

    # ---------------------------------------------------------------- sinks
    def on_outbound(self, fact: RawFact, site: Site, scope: Scope) -> None:
        parts: list[tuple[str | None, Node]] = [(None, a) for a in site.args]
        parts += list(site.kwargs.items())
        parts += list((site.fields or {}).items())
        for kw, node in parts:
            t = self.taint_of(node, scope)
            if not t:
                continue
            if kw is not None:  # a named argument is the first key of the label path
                named = Taint()
                named.merge(t, (kw,))
                t = named
            for path, srcs in t.labels.items():
                if kw is not None and path == (kw,):
                    label = f"kwarg:{kw}" if kw.lower() not in HEADER_CARRIERS and self.field_re.search(kw) else None
                else:
                    label = self.label(path)
                if label is not None:
                    for s in srcs:
                        self._flow(s, fact, label)

        conf = self.configures.get(fact.rule)
        if conf is not None:
            literals = {n.id: n for n in [*site.args, *site.kwargs.values()] if n.type in self.an.FUNCTION_TYPES}
            for literal in literals.values():
                for key, value in self._header_sets(literal, conf[0], conf[1], scope):
                    label = self.label(("headers", key))
                    if label is not None:
                        for s in self.taint_of(value, scope).sources:
                            self._flow(s, fact, label)

    def _header_sets(self, literal: Node, setters: frozenset[str], blocks: frozenset[str], scope: Scope) -> Iterator[tuple[str, Node]]:
        """``(header name, value node)`` of the setter calls in a literal that configures a call."""
        an = self.an
        stack = list(reversed(literal.named_children))
        while stack:
            n = stack.pop()
            if n.type in an.FUNCTION_TYPES:
                continue  # another literal: entered only as a block's (below)
            if n.type in an.CALL_TYPES:
                site = an.site(n, scope)
                func = site.func if site is not None else None
                if site is not None and func is not None and func.type in an.IDENTIFIER_TYPES:
                    # a resolved name (an imported extension function), or a bare name that binds
                    # nothing here: a method of the literal's receiver
                    qual = an.callee(func, scope)[0]
                    name = qual if qual in setters or qual in blocks else an.text(func) if scope.lookup(an.text(func)) is None else ""
                    if name in setters and len(site.args) >= 2:
                        key = an.to_value(an.evaluate(site.args[0], scope))
                        if isinstance(key, Const) and isinstance(key.value, str):
                            yield key.value, site.args[1]
                    elif name in blocks:
                        for a in [*site.args, *site.kwargs.values()]:
                            if a.type in an.FUNCTION_TYPES:
                                stack.extend(reversed(a.named_children))
            stack.extend(reversed(n.named_children))

    def label(self, path: tuple[str, ...]) -> str | None:
        last = path[-1]
        if any(p.lower() in HEADER_CARRIERS for p in path[:-1]):
            return f"header:{last}" if self.header_re.search(last) else None
        if self.field_re.search(last):
            return f"field:{last}"
        if self.header_re.search(last) and "-" in last:  # a header map passed on its own
            return f"header:{last}"
        return None

    def on_local_call(self, function: str, site: Site, scope: Scope) -> None:
        """An id passed to a same-file function: its flow is that parameter's flow (one hop)."""
        params = self.param_names.get(function)
        for i, a in enumerate(site.args):
            t = self.taint_of(a, scope)
            if not t.sources:
                continue
            pname = params[i] if params is not None and i < len(params) else f"#{i}"
            for s in t.sources:
                self.param_calls.append((s, function, pname))

    def flush_calls(self, mark: int) -> None:
        """The calls of other files' functions matched in one expression (``pending`` from ``mark``),
        once its id facts are made."""
        calls = self.pending[mark:]
        del self.pending[mark:]
        if self.id_facts:
            for site, scope in calls:
                self.on_other_call(site, scope)

    def on_other_call(self, site: Site, scope: Scope) -> None:
        """An id passed to a function this file does not define (another file's ``score(tx_id)``):
        the id fact keeps the call's position and the argument (``_id_passed``: the link stage
        resolves the call through the file summaries and joins the callee's ``_id_params``)."""
        row, col = site.node.start_point
        parts: list[tuple[int | str, Node]] = [(i, a) for i, a in enumerate(site.args)]
        parts += list(site.kwargs.items())
        for position, node in parts:
            for s in self.taint_of(node, scope).sources:
                if isinstance(s, int):
                    entry = [row + 1, col + 1, position]
                    lst = self.passed.setdefault(s, [])
                    if entry not in lst:
                        lst.append(entry)

    def _flow(self, source: Src, call_fact: RawFact, label: str) -> None:
        self.call_facts[call_fact.key] = call_fact
        entry = {"call": FactRef(call_fact.key), "as": label}
        lst = self.flows.setdefault(source, [])
        if entry not in lst:
            lst.append(entry)

    def finish(self) -> None:
        """Write ``flows_to`` on the id facts, following one hop through parameters."""
        for key, fact in self.id_facts.items():
            flows = list(self.flows.get(key, ()))
            for older in sorted(self.inherits.get(key, ()), key=repr):
                for f in self.flows.get(older, ()):
                    if f not in flows:
                        flows.append(f)
            for s, fn, pname in self.param_calls:
                if s != key:
                    continue
                params = self.param_names.get(fn, [])
                if pname.startswith("#") and pname[1:].isdigit() and int(pname[1:]) < len(params):
                    pname = params[int(pname[1:])]
                for f in self.flows.get(("param", fn, pname), ()):
                    if f not in flows:
                        flows.append(f)
            if flows:
                fact.fields["flows_to"] = sorted(flows, key=lambda f: (f["call"].key, f["as"]))
            if key in self.passed:
                fact.fields["_id_passed"] = self.passed[key]
        self._export_params()

    def _export_params(self) -> None:
        """``_id_params`` on each outbound call fact an id-like parameter reaches (directly, or one hop
        through a same-file function): ``[function, parameter, label]``, so that the link stage
        gives an id passed to that function from another file the same ``flows_to``."""
        out: dict[int, list[list[str]]] = {}
        for src, flows in self.flows.items():
            if isinstance(src, tuple):
                for f in flows:
                    out.setdefault(f["call"].key, []).append([src[1], src[2], f["as"]])
        for s, fn, pname in self.param_calls:
            if not isinstance(s, tuple):
                continue
            params = self.param_names.get(fn, [])
            if pname.startswith("#") and pname[1:].isdigit() and int(pname[1:]) < len(params):
                pname = params[int(pname[1:])]
            for f in self.flows.get(("param", fn, pname), ()):
                out.setdefault(f["call"].key, []).append([s[1], s[2], f["as"]])
        for key, entries in out.items():
            fact = self.call_facts.get(key)
            if fact is not None:
                fact.fields["_id_params"] = sorted({tuple(e): e for e in entries}.values())
