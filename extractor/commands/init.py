"""``contracts init``: write what a service's code shows as contract entries a person confirms.

A legacy service has no contract files, so no check covers it. ``plan_init`` turns its inferred
contract (``contracts/infer.py``) into YAML in the shapes the loader reads, every value followed by a
``# inferred: file:line (rule)`` comment and every entry marked ``inferred: true`` until a person
confirms it. What code cannot show (latency, freshness, who may call an endpoint) is left as
``# TODO`` lines, never guessed. Calls to hosts outside the repository have no contract entry;
they are listed as comments.

With ``update``, services that already have contract files get the entries their code shows and
their files lack: appended to the list of the file that already holds that section (a
``ruamel.yaml`` round trip, kept only when every existing line survives unchanged), otherwise to
``contracts/inferred.yaml`` beside them. Existing entries and values are never changed, and a
second run finds nothing missing, so it writes nothing.
"""

from __future__ import annotations

import difflib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml

from .. import safeio
from ..contracts import match
from ..contracts.infer import CodeCall, CodeEndpoint, InferredContracts
from ..contracts.load import CONTRACTS_DIR, MAX_FILE_BYTES, contract_files, display_path
from ..contracts.model import ENTRY_SECTIONS, DataDependency, Dependency, Location, Operation, ProvidedEndpoint, ProvidedOperation, RetryPolicy, ServiceContract
from ..contracts.values import Backoff

INIT_FILE = "inferred.yaml"
"""Where ``contracts init`` writes, in a service's ``contracts/`` folder."""

MARK = "inferred"
"""The key marking an unconfirmed entry (``inferred: true``)."""

_FILE_ERRORS = ("yaml", "encoding", "file")

if TYPE_CHECKING:
    from ..graph import ContractGraph, MessageEdge
    from ..pipeline import Analysis
    from .observe import ObservedCurrent


class InitError(Exception):
    """A file that cannot be read, parsed or written; the message names ``file:line``."""


# -- what is written ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a mapping: ``key: value  # comment``, a nested mapping (``children``), or, without
    ``key``, a full-line comment."""

    key: str | None
    value: str | None = None
    children: tuple[Line, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class Entry:
    """One list entry to add under ``section``; ``label`` names it in reports."""

    section: str
    label: str
    lines: tuple[Line, ...]
    order: tuple[Any, ...]


@dataclass
class FileChange:
    """A file to create (``before`` is None) or to replace; ``path`` is relative to the root."""

    path: str
    before: str | None
    after: str

    def diff(self) -> str:
        before = [] if self.before is None else self.before.splitlines(keepends=True)
        old = "/dev/null" if self.before is None else f"a/{self.path}"
        lines = list(difflib.unified_diff(before, self.after.splitlines(keepends=True), old, f"b/{self.path}"))
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True)
class Added:
    section: str
    entry: str
    file: str


@dataclass
class ServiceResult:
    """What ``init`` does for one service.

    ``status``: ``created`` (a new contract file), ``updated`` (entries added), ``up_to_date``,
    ``skipped`` (has contract files; no ``--update``) or ``empty`` (the code shows nothing to write).
    """

    service: str
    root: str
    status: str
    contract_files: tuple[str, ...] = ()
    added: list[Added] = field(default_factory=list)
    external_calls: int = 0

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.file for a in self.added))

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "root": self.root,
            "status": self.status,
            "contract_files": list(self.contract_files),
            "added": [{"section": a.section, "entry": a.entry, "file": a.file} for a in self.added],
            "external_calls": self.external_calls,
        }


@dataclass
class InitPlan:
    """Everything ``init`` would write; ``apply`` writes it."""

    root: Path
    services: list[ServiceResult]
    changes: list[FileChange]

    def apply(self) -> None:
        """Write every change, or none: each file is first written beside its target under a fresh
        name, then all are moved into place (``safeio``: never through a symbolic link, never out
        of the root)."""
        staged: list[safeio.Staged] = []
        try:
            for change in self.changes:
                staged.append(safeio.stage(self.root, change.path, change.after))
            for item in staged:
                item.commit()
        except safeio.WriteError as exc:
            for item in reversed(staged):
                item.discard(remove_folders=True)
            raise InitError(str(exc)) from None


# -- planning -------------------------------------------------------------------------------------


def plan_init(analysis: Analysis, services: Sequence[str] = (), update: bool = False, observed: Sequence[ObservedCurrent] = ()) -> InitPlan:
    """What ``contracts init`` writes for ``analysis``; ``apply`` on the result writes it.

    ``services`` limits it to those names (discovered name, alias or root); raises ``InitError``
    for an unknown name, or a contract file that cannot be read or edited. ``observed``
    (``--from-traces``) adds each observed operation's ``latency.current`` to every service,
    those with contract files too, where its contract does not state one.
    """
    root: Path = analysis.root
    graph = analysis.graph
    inferred: InferredContracts = analysis.inferred
    chosen = _choose(analysis.scan.services, graph, services)
    results: list[ServiceResult] = []
    writer = _Writer(root)
    problems: list[str] = []
    for svc in chosen:
        node = graph.services.get(svc.name)
        declared: ServiceContract | None = node.declared if node is not None else None
        files = tuple(display_path(p, root) for p in contract_files(root, svc.root))
        contract = inferred.contracts.get(svc.name) or ServiceContract(service=svc.name)
        external = _external_calls(inferred, svc.name)
        result = ServiceResult(svc.name, svc.root, "", files, external_calls=len(external))
        results.append(result)
        if declared is not None and not files:  # declared in documents elsewhere
            result.contract_files = tuple(sorted({d.file for d in declared.documents}))
        seen = [c for c in observed if c.service == svc.name]
        if (declared is not None or files) and not update and not seen:
            result.status = "skipped"
            continue
        errors = [
            e
            for e in analysis.declared.errors
            if e.kind in _FILE_ERRORS and (e.file in files or (declared is not None and e.file in {d.file for d in declared.documents}))
        ]
        if errors:
            problems += [f"{e}" for e in errors]
            continue
        entries = _entries(svc.name, contract, inferred, graph, declared) if update or (declared is None and not files) else []
        entries = _with_observed(entries, declared, seen)
        if declared is None and not files:
            if not entries:  # calls to external hosts alone make no contract entry, so no file
                result.status = "empty"
                continue
            result.status = "created"
        elif not entries:
            result.status = "up_to_date"
            continue
        else:
            result.status = "updated"
        try:
            result.added = writer.add(svc, declared, entries, external if declared is None else [])
        except InitError as exc:
            problems.append(str(exc))
    if problems:
        raise InitError("\n".join(problems))
    return InitPlan(root, results, writer.changes())


def _choose(found: Iterable[Any], graph: ContractGraph, names: Sequence[str]) -> list[Any]:
    services = sorted(found, key=lambda s: s.name)
    if not names:
        return services
    by_name = {s.name: s for s in services}
    by_root = {PurePosixPath(s.root).as_posix(): s for s in services}
    chosen, unknown = [], []
    for name in names:
        svc = by_name.get(name) or by_root.get(PurePosixPath(name).as_posix()) or by_name.get(graph.resolve(name))
        if svc is None:
            unknown.append(name)
        elif svc not in chosen:
            chosen.append(svc)
    if unknown:
        known = ", ".join(s.name for s in services) or "none"
        raise InitError(f"unknown service(s): {', '.join(unknown)} (services found: {known})")
    return sorted(chosen, key=lambda s: s.name)


def _external_calls(inferred: InferredContracts, service: str) -> list[CodeCall]:
    calls = [c for c in inferred.calls_of(service) if not c.callee]
    return sorted(calls, key=lambda c: (c.host or "", c.label, c.location.file, c.location.line))


# -- which inferred entries are missing -----------------------------------------------------------


def _entries(service: str, contract: ServiceContract, inferred: InferredContracts, graph: ContractGraph, declared: ServiceContract | None) -> list[Entry]:
    """The inferred entries of ``contract`` that ``declared`` (None: no contract) does not already hold."""
    edge_of = {c.id: e for e in graph.calls for c in e.calls}
    read_edges = {rr.id: e for e in graph.reads for rr in e.replica_reads}
    calls = inferred.calls_of(service)
    out: list[Entry] = []

    for dep in contract.depends_on:
        group = [c for c in calls if c.callee == dep.service and c.operation == dep.operation]
        edges = [edge_of[c.id] for c in group if c.id in edge_of]
        if declared is None or not (_declares_dependency(declared, dep, graph) or (edges and all(e.declared is not None for e in edges))):
            out.append(_dependency_entry(dep, group))
        retry = dep.retry
        if retry is not None and retry.on_timeout is not None and retry.on_timeout.generates_new_request_id is not None:
            known = declared is not None and (
                (edges and all(e.declared_retry is not None and e.declared_retry.on_timeout is not None for e in edges))
                or _declares_retry_policy(declared, dep, graph)
            )
            if not known:
                out.append(_retry_policy_entry(dep, retry))

    endpoints = {(ep.location.file, ep.location.line): ep for ep in inferred.endpoints_of(service)}
    for item in contract.provides:
        ep = endpoints.get((item.location.file, item.location.line))
        if declared is not None and ep is not None and _declares_endpoint(declared, ep):
            continue
        if isinstance(item, ProvidedOperation):
            out.append(_provided_operation_entry(item))
        elif isinstance(item, ProvidedEndpoint):
            out.append(_provided_endpoint_entry(item))

    for data in contract.data_dependencies:
        reads = [rr for rr in inferred.replica_reads if rr.service == service and (rr.source or "replica", rr.dataset) == data.key]
        redges = [read_edges[rr.id] for rr in reads if rr.id in read_edges]
        covered = declared is not None and (
            any(d.key == data.key for d in declared.data_dependencies) or (redges and all(e.declared is not None for e in redges))
        )
        if not covered:
            out.append(_data_dependency_entry(data, reads[0].mechanism if reads else None))

    for op in contract.operations:
        if declared is not None and any(o.name == op.name or match.same_name(o.name, op.name) for o in declared.operations):
            continue
        out.append(_operation_entry(op))

    for edge in graph.messages:  # the graph joins declared entries to the code's edges: one without is missing
        if edge.service == service and edge.in_code and edge.declared is None and graph.topics[edge.topic].service is None:
            out.append(_message_entry(edge, graph))
    return sorted(out, key=lambda e: (ENTRY_SECTIONS.index(e.section), e.order))


def _declares_dependency(declared: ServiceContract, dep: Dependency, graph: ContractGraph) -> bool:
    return any(
        graph.resolve(d.service) == graph.resolve(dep.service)
        and (d.operation is None or d.operation == dep.operation or match.same_name(d.operation, dep.operation))
        for d in declared.depends_on
    )


def _declares_retry_policy(declared: ServiceContract, dep: Dependency, graph: ContractGraph) -> bool:
    for p in declared.retry_policies:
        if p.service is not None and graph.resolve(p.service) == graph.resolve(dep.service) and p.on_timeout is not None:
            if p.operation is None or p.operation == dep.operation or match.same_name(p.operation, dep.operation):
                return True
    return False


def _declares_endpoint(declared: ServiceContract, ep: CodeEndpoint) -> bool:
    """The contract names the code endpoint: its operation, or an endpoint whose route covers it."""
    for op in declared.provided_operations:
        if op.operation == ep.operation or match.same_name(op.operation, ep.operation) or match.operation_matches_endpoint(op.operation, ep.handler, ep.path):
            return True
    for d in declared.provided_endpoints:
        if match.same_name(d.endpoint, ep.operation):
            return True
        if d.route is not None and ep.path is not None and match.route_covers(d.route, ep.path) and match.methods_match(d.method, ep.method):
            return True
    return False


# -- entries as lines with provenance --------------------------------------------------------------


def provenance(loc: Location, detail: str = "") -> str:
    """``inferred: payment-service/payment/gateway.py:12 (python.http.httpx)``, then any detail."""
    text = f"inferred: {loc}" + (f" ({loc.rule})" if loc.rule else "")
    return text + (f"; {detail}" if detail else "")


def scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when it reads back as the same string, else double-quoted."""
    try:
        plain = yaml.safe_load(f"k: {text}\n")
    except yaml.YAMLError:
        plain = None
    if isinstance(plain, dict) and plain.get("k") == text and "\n" not in text and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)


def duration(ms: float) -> str:
    """Milliseconds in the largest unit that keeps a whole number: ``300000`` → ``5m``."""
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size and ms % size == 0:
            return f"{int(ms // size)}{unit}"
    return f"{ms:g}ms"


def _backoff(b: Backoff) -> str:
    return b.kind + (f" {duration(b.delay_ms)}" if b.delay_ms is not None else "")


def _todo(keys: str, hint: str) -> Line:
    return Line(None, comment=f"TODO {keys} (not in code): {hint}")


def _dependency_entry(dep: Dependency, group: list[CodeCall]) -> Entry:
    lines = [Line("service", scalar(dep.service), comment=provenance(dep.where("service")))]
    todos: list[Line] = []
    if dep.operation:
        lines.append(Line("operation", scalar(dep.operation), comment=provenance(dep.where("operation"))))
    if dep.timeout is not None:
        at = dep.where("timeout")
        call = next((c for c in group if c.location == at), None)
        details = [call.timeout_detail] if call is not None and call.timeout_detail else []
        if len(group) > 1:
            details.append(f"the longest of {len(group)} calls")
        lines.append(Line("timeout", duration(dep.timeout.ms), comment=provenance(at, ", ".join(details))))
    else:
        unbounded = [c for c in group if c.unbounded]
        unknown = [c for c in group if not c.unbounded and c.timeout_ms is None]
        if unbounded:
            todos.append(_todo("timeout", f"the code sets none at {unbounded[0].location}, so the call may wait forever"))
        elif unknown:
            how = f" ({unknown[0].timeout_detail})" if unknown[0].timeout_detail else ""
            todos.append(_todo("timeout", f"the code computes it at run time at {unknown[0].location}{how}"))
    if dep.fallback:
        lines.append(Line("fallback", scalar(dep.fallback), comment=provenance(dep.where("fallback"))))
    retry, retry_todos = _retry_lines(dep.retry)
    lines += retry
    lines.append(Line(MARK, "true"))
    lines += todos + retry_todos
    lines.append(_todo("latency_budget", "the latency this service can afford, such as acceptable: p95 < ?ms"))
    if not dep.fallback:
        lines.append(_todo("fallback", "what happens when the call fails, such as allow_with_monitoring"))
    label = f"{dep.service}.{dep.operation}" if dep.operation else dep.service
    return Entry("depends_on", label, tuple(lines), (dep.service, dep.operation or ""))


def _retry_lines(retry: RetryPolicy | None) -> tuple[list[Line], list[Line]]:
    """The ``retry:`` line(s) and any TODO lines."""
    if retry is None:
        return [], []
    if not retry.enabled:
        return [Line("retry", "none", comment=provenance(retry.location))], []
    children = []
    if retry.attempts is not None:
        children.append(Line("attempts", str(retry.attempts), comment=provenance(retry.where("attempts"))))
    if retry.backoff is not None:
        children.append(Line("backoff", scalar(_backoff(retry.backoff)), comment=provenance(retry.where("backoff"))))
    if retry.attempts is None:
        note = _todo("retry.attempts", f"the code retries without a bound at {retry.location}")
        return ([Line("retry", children=tuple(children), comment=provenance(retry.location))] if children else []), [note]
    return [Line("retry", children=tuple(children), comment=provenance(retry.location))], []


def _retry_policy_entry(dep: Dependency, retry: RetryPolicy) -> Entry:
    assert retry.on_timeout is not None
    target = f"{dep.service}.{dep.operation}" if dep.operation else dep.service
    new_id = retry.on_timeout.generates_new_request_id
    lines = (
        Line("target", scalar(target), comment=provenance(retry.location)),
        Line(
            "on_timeout",
            children=(Line("generates_new_request_id", "true" if new_id else "false", comment=provenance(retry.on_timeout.where("generates_new_request_id"))),),
        ),
        Line(MARK, "true"),
        _todo("on_timeout.reason", "why a retry " + ("sends a fresh id" if new_id else "keeps the id")),
    )
    return Entry("retry_policies", target, lines, (target,))


def _provided_operation_entry(op: ProvidedOperation) -> Entry:
    lines = (
        Line("operation", scalar(op.operation), comment=provenance(op.where("operation"))),
        Line(MARK, "true"),
        _todo("latency", "measured (current: p50=?ms, p95=?ms) and promised (target: p95 < ?ms)"),
    )
    return Entry("provides", f"operation {op.operation}", lines, (op.location.file, op.location.line, 0, op.operation))


def _with_observed(entries: list[Entry], declared: ServiceContract | None, seen: Sequence[ObservedCurrent]) -> list[Entry]:
    """``entries`` with each observed operation's ``latency.current`` where the contract states none:
    an inferred ``provides`` entry of the same operation gets it instead of its TODO, else a new entry."""
    out = list(entries)
    for current in seen:
        if declared is not None and any(
            match.same_name(op.operation, current.operation) and op.latency is not None and op.latency.current is not None
            for op in declared.provided_operations
        ):
            continue
        line = Line("latency", children=(Line("current", scalar(current.value), comment=current.provenance),))
        at = next((i for i, e in enumerate(out) if e.section == "provides" and e.lines and match.same_name(e.lines[0].value, current.operation)), None)
        if at is not None:
            old = out[at]
            lines = tuple(line if l.key is None and l.comment.startswith("TODO latency") else l for l in old.lines)
            out[at] = Entry(old.section, old.label, lines, old.order)
            continue
        lines_new = (Line("operation", scalar(current.operation), comment="observed: the route of its server spans"), line, Line(MARK, "true"))
        out.append(Entry("provides", f"operation {current.operation}", lines_new, ("~observed", current.operation)))
    return sorted(out, key=lambda e: (ENTRY_SECTIONS.index(e.section), e.order))


def _provided_endpoint_entry(ep: ProvidedEndpoint) -> Entry:
    lines = [Line("endpoint", scalar(ep.endpoint), comment=provenance(ep.where("path")))]
    if ep.path is not None and ep.path != ep.endpoint:
        lines.append(Line("path", scalar(ep.path), comment=provenance(ep.where("path"))))
    if ep.method is not None:
        lines.append(Line("method", ep.method, comment=provenance(ep.where("method"))))
    lines.append(Line(MARK, "true"))
    lines.append(_todo("returns, access, pii", "what it returns, who may call it, and pii: none, minimal, low, medium or high"))
    label = f"endpoint {ep.method + ' ' if ep.method else ''}{ep.endpoint}"
    return Entry("provides", label, tuple(lines), (ep.location.file, ep.location.line, 1, ep.endpoint))


def _data_dependency_entry(data: DataDependency, mechanism: str | None) -> Entry:
    detail = f"read through a replica ({mechanism})" if mechanism else "read through a replica"
    lines = [Line("source", scalar(data.source), comment=provenance(data.where("source"), detail))]
    if data.dataset:
        lines.append(Line("dataset", scalar(data.dataset), comment=provenance(data.where("dataset"))))
    lines.append(Line(MARK, "true"))
    if not data.dataset:
        lines.append(_todo("dataset", "the dataset read, as its provider names it"))
    lines.append(_todo("freshness_required, reason, impact_if_stale", "how stale the data may be, such as <?s, and why"))
    label = data.source + (f" {data.dataset}" if data.dataset else "")
    return Entry("data_dependencies", label, tuple(lines), (data.source, data.dataset or ""))


def _operation_entry(op: Operation) -> Entry:
    lines = [Line("name", scalar(op.name), comment=provenance(op.location))]
    if op.idempotency_key:
        lines.append(Line("idempotency_key", scalar(op.idempotency_key), comment=provenance(op.where("idempotency_key"))))
    if op.expects:
        lines.append(Line("expects", op.expects, comment=provenance(op.where("expects"))))
    if op.window is not None:
        lines.append(Line("window", duration(op.window.ms), comment=provenance(op.where("window"))))
    lines.append(Line(MARK, "true"))
    if op.window is None:
        lines.append(_todo("window", "how long a key is remembered"))
    return Entry("operations", op.name, tuple(lines), (op.name,))


def _message_entry(edge: MessageEdge, graph: ContractGraph) -> Entry:
    """A ``publishes`` or ``consumes`` entry for a message edge in code: topic and broker, and for a
    consumer its group, the delivery its ack mode gives (redelivers: at_least_once, else
    at_most_once), its de-duplication key and dead letter, each with the site it was read from."""
    topic = graph.topics[edge.topic]
    sites = edge.sites
    first = sites[0]
    lines = [Line("topic", scalar(topic.name), comment=provenance(first.location, f"{edge.role} in {first.function}" if first.function else ""))]
    if topic.broker:
        lines.append(Line("broker", topic.broker, comment=provenance(first.location)))
    if edge.role == "publish":
        lines.append(Line(MARK, "true"))
        lines.append(
            _todo(
                "event, ordering_key, delivery, lag",
                "the event type, the key that orders messages, at_least_once, at_most_once or exactly_once, how late a message may be (such as 2s)",
            )
        )
        return Entry("publishes", f"{topic.broker or 'topic'} {topic.name}", tuple(lines), (topic.name, topic.broker or ""))
    group = next((s for s in sites if s.group), None)
    if group is not None:
        lines.append(Line("group", scalar(str(group.group)), comment=provenance(group.location)))
    known = [s for s in sites if s.redelivery is not None]
    if known:
        again = [s for s in known if s.redelivery]
        site = (again or known)[0]
        why = f"ack mode {site.ack_mode}" if site.ack_mode else ("redelivers" if again else "acknowledged on delivery")
        lines.append(Line("delivery", "at_least_once" if again else "at_most_once", comment=provenance(site.location, why)))
    keys = [k for s in sites for k in s.dedup_keys]
    evidence = [d for s in sites for d in s.dedup]
    if keys and evidence:
        checked = next(d for d in evidence if d.note != "library")
        lines.append(Line("idempotent", "true", comment=provenance(checked.location, str(checked.value))))
        lines.append(Line("dedup_key", scalar(keys[0]), comment=provenance(checked.location)))
    dead = next((s for s in sites if s.dead_letter), None)
    if dead is not None:
        lines.append(Line("dead_letter", scalar(str(dead.dead_letter)), comment=provenance(dead.location)))
    lines.append(Line(MARK, "true"))
    if keys and evidence:
        lines.append(_todo("dedup_window, freshness_required", "how long a seen key is remembered, how old a message may be when consumed (such as <5s)"))
    elif evidence:
        lines.append(_todo("idempotent, dedup_key", f"the library de-duplicates ({evidence[0].value}): say on which key"))
        lines.append(_todo("freshness_required", "how old a message may be when consumed (such as <5s)"))
    else:
        lines.append(
            _todo(
                "idempotent, freshness_required",
                "whether handling a message twice is safe (idempotent: true with dedup_key), how old a message may be (such as <5s)",
            )
        )
    return Entry("consumes", f"{topic.broker or 'topic'} {topic.name}", tuple(lines), (topic.name, topic.broker or ""))


def _external_lines(calls: list[CodeCall]) -> list[str]:
    if not calls:
        return []
    out = ["# Calls to hosts outside the repository (a contract has no entry for them; listed for review):"]
    for c in calls:
        attempts = "retry none" if c.attempts == 1 else ("retries without a bound" if c.attempts is None else f"{c.attempts} attempts")
        out.append(f"#   {c.label}: {c.timeout_text()}, {attempts}  # {provenance(c.location)}")
    return out


# -- rendering -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """Indentation of a YAML file, as ruamel.yaml names it: ``offset`` is the dash's indent."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2


def _render_mapping(lines: Iterable[Line], col: int, style: Style) -> list[str]:
    out: list[str] = []
    pad = " " * col
    for line in lines:
        tail = f"  # {line.comment}" if line.comment and line.key is not None else ""
        if line.key is None:
            out.append(f"{pad}# {line.comment}")
        elif line.children:
            out.append(f"{pad}{line.key}:{tail}")
            out += _render_mapping(line.children, col + style.mapping, style)
        else:
            out.append(f"{pad}{line.key}: {line.value}{tail}")
    return out


def render_section(section: str, entries: Iterable[Entry], style: Style = Style()) -> list[str]:
    """``section:`` and its entries as a block list in ``style``."""
    out = [f"{section}:"]
    for entry in entries:
        body = _render_mapping(entry.lines, style.sequence, style)
        first = body[0][style.sequence :]
        out.append(" " * style.offset + "-" + " " * (style.sequence - style.offset - 1) + first)
        out += body[1:]
    return out


def render_document(service: str, entries: list[Entry], external: list[CodeCall], header: bool) -> str:
    out: list[str] = []
    if header:
        out += [
            f"# The contract of {service} as its code shows it, written by `contracts init`.",
            "# Entries marked `inferred: true` are not confirmed yet: the comment after each value says",
            "# where in the code it was found. Check every value against what the service means to",
            "# promise, fill in the TODO lines (code cannot show them), then delete `inferred: true`.",
            "# Until then `contracts check` lists them (info) and counts findings only they cause a severity lower.",
        ]
    out.append(f"service: {scalar(service)}")
    for section in ENTRY_SECTIONS:
        chosen = [e for e in entries if e.section == section]
        if chosen:
            out += render_section(section, chosen)
    out += _external_lines(external)
    return "\n".join(out) + "\n"


# -- writing into files ----------------------------------------------------------------------------


class _Writer:
    """Collects additions per file and produces each file's new text once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: dict[str, tuple[str | None, str]] = {}  # path → (original, current)

    def changes(self) -> list[FileChange]:
        return [FileChange(p, before, after) for p, (before, after) in sorted(self.texts.items()) if before != after]

    def _read(self, path: str) -> str | None:
        if path in self.texts:
            return self.texts[path][1]
        full = self.root / path
        if not full.exists():
            self.texts[path] = (None, "")
            return None
        if not full.is_file():
            raise InitError(f"{path}: exists and is not a file")
        try:
            size = full.stat().st_size
            if size > MAX_FILE_BYTES:  # before reading it: the loader refuses it too
                raise InitError(f"{path}: too large ({size} bytes; contract files are limited to {MAX_FILE_BYTES}); cannot add to it")
            text = full.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            line = exc.object.count(b"\n", 0, exc.start) + 1
            raise InitError(f"{path}:{line}: not valid UTF-8; cannot add to it") from None
        except OSError as exc:
            raise InitError(f"{path}: cannot read: {exc.strerror or exc}") from None
        self.texts[path] = (text, text)
        return text

    def _write(self, path: str, text: str) -> None:
        original = self.texts[path][0] if path in self.texts else None
        self.texts[path] = (original, text)

    def add(self, svc: Any, declared: ServiceContract | None, entries: list[Entry], external: list[CodeCall]) -> list[Added]:
        """Add ``entries`` for ``svc``: into the document holding each section, else into inferred.yaml."""
        name = declared.service if declared is not None else svc.name
        own = PurePosixPath(svc.root, CONTRACTS_DIR, INIT_FILE).as_posix().removeprefix("./")
        placed: dict[tuple[str, int], list[Entry]] = {}
        rest: list[Entry] = []
        for entry in entries:
            target = self._target(declared, entry.section)
            if target is None or target[0] == own:
                rest.append(entry)
            else:
                placed.setdefault(target, []).append(entry)
        added: list[Added] = []
        for (path, line), batch in sorted(placed.items()):
            if self._append(path, line, batch):
                added += [Added(e.section, e.label, path) for e in batch]
            else:
                rest += batch
        if rest:
            rest.sort(key=lambda e: (ENTRY_SECTIONS.index(e.section), e.order))
            self._add_to_own(own, name, declared, rest, external)
            added += [Added(e.section, e.label, own) for e in rest]
        return sorted(added, key=lambda a: (a.file, ENTRY_SECTIONS.index(a.section)))

    @staticmethod
    def _target(declared: ServiceContract | None, section: str) -> tuple[str, int] | None:
        """The file and ``service:`` line of the first document (in load order) of this service that
        holds ``section``."""
        if declared is None:
            return None
        for item in getattr(declared, section):
            docs = [d for d in declared.documents if d.file == item.location.file and d.line <= item.location.line]
            if docs:
                doc = max(docs, key=lambda d: d.line)
                return doc.file, doc.line
        return None

    def _add_to_own(self, path: str, service: str, declared: ServiceContract | None, entries: list[Entry], external: list[CodeCall]) -> None:
        text = self._read(path)
        if text is None or not text.strip():
            self._write(path, render_document(service, entries, external, header=True))
            return
        doc = next((d for d in declared.documents if d.file == path), None) if declared is not None else None
        if doc is not None and self._append(path, doc.line, entries):
            return
        newline = "\r\n" if "\r\n" in text else "\n"
        body = render_document(service, entries, external, header=False)
        self._write(path, text + ("" if text.endswith("\n") else newline) + "---" + newline + body.replace("\n", newline))

    def _append(self, path: str, line: int, entries: list[Entry]) -> bool:
        """Add ``entries`` to the document whose ``service:`` is on ``line`` with a ruamel.yaml round
        trip; False (nothing changed) when the file would change anywhere but the added lines."""
        text = self._read(path)
        if text is None:
            return False
        crlf = "\r\n" in text
        lf = text.replace("\r\n", "\n") if crlf else text
        if "\r" in lf:
            return False
        if not lf.endswith("\n"):
            lf += "\n"  # the one change besides the added lines: a final line break
        rt = _round_trip(lf, path)
        if rt is None:
            return False
        doc = next((d for d in rt.docs if _key_line(d, "service") == line), None)
        if doc is None:
            return False
        for section in ENTRY_SECTIONS:
            batch = [e for e in entries if e.section == section]
            if not batch:
                continue
            if section in doc and not _is_block_list(doc[section]):
                return False
            if section in doc:  # comments deeper than the list's dashes belong to its last entry
                holder, column = doc[section], _key_column(doc, section) + rt.style.offset
            else:  # comments deeper than the document's keys belong to its last section
                holder, column = doc, _key_column(doc, None)
            trailing = _take_trailing(holder, column)
            fragment = "\n".join(render_section(section, batch, rt.style)) + "\n" + trailing
            loaded = _new_yaml(rt.style).load(fragment)
            if section in doc:
                doc[section].extend(loaded[section])
            else:
                doc[section] = loaded[section]
        out = io.StringIO()
        rt.yaml.dump_all(rt.docs, out)
        after = out.getvalue().replace("\n", "\r\n") if crlf else out.getvalue()
        if not _only_inserts(lf.replace("\n", "\r\n") if crlf else lf, after):
            return False
        self._write(path, after)
        return True


@dataclass
class _RoundTrip:
    """A ruamel.yaml set-up that writes a file back unchanged, and the file's documents."""

    yaml: Any
    style: Style
    docs: list[Any]


def _new_yaml(style: Style, explicit_start: bool = False) -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 1 << 16
    y.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    y.explicit_start = explicit_start or None
    return y


def _guess_styles(text: str) -> list[Style]:
    """Styles to try, the one the file's first block list shows first."""
    seen: list[Style] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)([^\s#-][^:]*):\s*(#.*)?$", line)
        if not m:
            continue
        key_col = len(m.group(1))
        nxt = next((l for l in lines[i + 1 :] if l.strip() and not l.lstrip().startswith("#")), "")
        d = re.match(r"^(\s*)-(\s+)\S", nxt)
        if d:
            offset = len(d.group(1)) - key_col
            sequence = offset + 1 + len(d.group(2))
            if offset >= 0:
                seen += [Style(mapping, sequence, offset) for mapping in (2, 4, 3)]
            break
    for s in (Style(2, 4, 2), Style(2, 2, 0), Style(4, 4, 2), Style(4, 6, 4), Style(4, 4, 0)):
        if s not in seen:
            seen.append(s)
    return seen


def _round_trip(text: str, path: str) -> _RoundTrip | None:
    """The first style (and document start marker) with which ruamel.yaml writes ``text`` back
    unchanged; None if none does. Raises ``InitError`` when the file is not valid YAML."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    for style in _guess_styles(text):
        for explicit in (False, True):
            y = _new_yaml(style, explicit)
            try:
                docs = list(y.load_all(text))
            except MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                line = mark.line + 1 if mark is not None else 1
                raise InitError(f"{path}:{line}: invalid YAML ({exc.problem or exc.context}); cannot add to it") from None
            except YAMLError as exc:
                raise InitError(f"{path}:1: invalid YAML ({exc}); cannot add to it") from None
            out = io.StringIO()
            try:
                y.dump_all(docs, out)
            except YAMLError:
                return None
            if out.getvalue() == text:
                return _RoundTrip(y, style, docs)
    return None


def _key_line(doc: Any, key: str) -> int | None:
    try:
        return doc.lc.key(key)[0] + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _is_block_list(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedSeq

    return isinstance(value, CommentedSeq) and not value.fa.flow_style()


def _tail(node: Any) -> tuple[Any, Any] | None:
    """The container and key (or index) of the deepest last value under ``node``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and len(node):
        key = list(node)[-1]
    elif isinstance(node, CommentedSeq) and len(node):
        key = len(node) - 1
    else:
        return None
    value = node[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
        return _tail(value) or (node, key)
    return node, key


def _take_trailing(node: Any, column: int) -> str:
    """Detach the full-line comments after the last value under ``node`` that belong before what
    follows it and return them, to be put back after the added entries.

    A comment indented deeper than ``column`` (the dashes of a list, the keys of a document) belongs
    to the last entry (its ``# TODO`` lines) and stays where it is; from the first comment at
    ``column`` or left of it on, the comments (and the blank lines before them) move."""
    from ruamel.yaml.comments import CommentedMap

    found = _tail(node)
    if found is None:
        return ""
    container, key = found
    slot = container.ca.items.get(key)
    index = 2 if isinstance(container, CommentedMap) else 0
    if not slot or len(slot) <= index or slot[index] is None:
        return ""
    token = slot[index]
    value = token.value
    cut = value.find("\n")
    if cut < 0 or not value[cut + 1 :].strip():
        return ""
    head, lines = value[: cut + 1], value[cut + 1 :].splitlines(keepends=True)
    split = next((i for i, line in enumerate(lines) if line.strip() and len(line) - len(line.lstrip(" ")) <= column), len(lines))
    while split > 0 and not lines[split - 1].strip():
        split -= 1
    keep, rest = head + "".join(lines[:split]), "".join(lines[split:])
    if keep.strip() or split:
        token.value = keep
    else:
        slot[index] = None
    return rest


def _key_column(doc: Any, key: str | None) -> int:
    """The column of ``key`` in ``doc`` (None: of the document's first key); 0 when unknown."""
    try:
        return int(doc.lc.key(key)[1]) if key is not None else int(doc.lc.col)
    except (AttributeError, KeyError, TypeError):
        return 0


def _only_inserts(before: str, after: str) -> bool:
    """Every line of ``before`` is still in ``after``, in order and unchanged; only lines were added."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return all(tag in ("equal", "insert") for tag, *_ in ops)
