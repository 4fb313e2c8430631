"""``contracts diff``: how services' contracts changed between two revisions, and whom each change affects.

Both revisions go through the pipeline (``pipeline.analyse``, as ``check`` runs it), so the declared
contracts and the ones inferred from code are compared, field by field, per service. Every change of a
provider is classed for each consumer that relies on it, found through the head revision's graph (its
``depends_on``, ``requires``, data reads, ``consumes`` and its code calls, replica reads and consume
sites):

- *breaking*: the provider is slower (a latency percentile rose), its data staler (freshness or a
  topic's lag worse), its idempotency window shorter or key changed, an endpoint, operation, dataset or
  published topic removed, access narrowed, a dataset moved from a replica to an event stream while the
  consumer still reads the replica, a topic's delivery weakened;
- *compatible*: the reverse (faster, fresher, additions, access widened), or a consumer that no longer
  relies on what changed;
- *needs-migration*: compatible once a named consumer changes (the dataset is published on a topic the
  consumer can read instead, a removed endpoint has a replacement returning the same thing, the consumer
  declares a replica read its code no longer does).

A change nobody in the repository relies on keeps its own class (consumers outside the repository may).
A breaking change is an error unless the provider's ``version:`` has a new major number, as
``buf breaking`` treats protobuf files; with the bump it is reported as a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from ..contracts import match
from ..contracts.infer import CodeEndpoint
from ..contracts.model import (
    DELIVERY_GUARANTEES,
    Location,
    Operation,
    ProvidedDataset,
    ProvidedEndpoint,
    ProvidedOperation,
    Publication,
    ServiceContract,
)
from ..contracts.values import Percentiles, format_ms
from ..graph import ContractGraph
from ..pipeline import Analysis

K = TypeVar("K", str, tuple[str, str])
E = TypeVar("E", ProvidedOperation, ProvidedDataset, ProvidedEndpoint, Publication, CodeEndpoint)

CLASSES = ("breaking", "needs-migration", "compatible")
"""Compatibility classes, worst first."""

DELIVERY_STRENGTH = {"at_most_once": 0, "at_least_once": 1, "exactly_once": 2}
assert set(DELIVERY_STRENGTH) == set(DELIVERY_GUARANTEES)

EVENT_STREAM = "event_stream"
_MAJOR = re.compile(r"^\s*v?(\d+)")


def worst(classes: Iterable[str]) -> str | None:
    found = [CLASSES.index(c) for c in classes]
    return CLASSES[min(found)] if found else None


def major(version: str | None) -> int | None:
    """The major number of a ``version:`` (``2``, ``2.1.0``, ``v3``); None when it has none."""
    m = _MAJOR.match(version or "")
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Impact:
    """What one change means for one consumer: its class, the migration path in words, and where the
    consumer relies on what changed (its contract's and its code's ``file:line``)."""

    consumer: str
    cls: str
    migration: str
    locations: tuple[Location, ...]


@dataclass(frozen=True)
class Change:
    """One field of one provider's contract that differs between the revisions.

    ``kind`` names the change (``latency-slower``, ``endpoint-removed``, ...); ``origin`` is
    ``declared`` (a contract file) or ``code`` (inferred from code); ``location`` is where the value is
    written in the head revision, else in the base one (``side`` says which)."""

    service: str
    kind: str
    origin: str
    section: str
    subject: str
    field: str
    before: str | None
    after: str | None
    own_class: str
    location: Location
    side: str
    impacts: tuple[Impact, ...] = ()

    @property
    def cls(self) -> str:
        """The worst class over the consumers that rely on it; its own class when none does."""
        return worst(i.cls for i in self.impacts) or self.own_class

    @property
    def description(self) -> str:
        what = f"{self.section} {self.subject}" + (f" {self.field}" if self.field else "")
        if self.before is not None and self.after is not None:
            return f"{what}: {self.before} -> {self.after}"
        return f"{what}: {'removed' if self.after is None else 'added'}" + (f" ({self.before or self.after})" if (self.before or self.after) else "")


@dataclass(frozen=True)
class VersionChange:
    service: str
    before: str | None
    after: str | None

    @property
    def major_bump(self) -> bool:
        b, a = major(self.before), major(self.after)
        return a is not None and (b is None or a > b)


@dataclass
class Diff:
    base: str
    head: str
    versions: dict[str, VersionChange] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    def severity(self, change: Change) -> str:
        """``error``: breaking without a major version bump of its service; ``warning``: breaking with
        one, or needs-migration; ``info``: compatible."""
        if change.cls == "breaking":
            version = self.versions.get(change.service)
            return "warning" if version is not None and version.major_bump else "error"
        return "warning" if change.cls == "needs-migration" else "info"

    @property
    def errors(self) -> list[Change]:
        return [c for c in self.changes if self.severity(c) == "error"]


# -- consumers, found through the head revision's graph -----------------------------------------------


def _dedup(locations: Iterable[Location]) -> tuple[Location, ...]:
    return tuple(sorted({Location(l.file, l.line, l.rule) for l in locations if l.file}, key=lambda l: (l.file, l.line, l.rule)))


@dataclass(frozen=True)
class Reliance:
    """A consumer relying on something of a provider, and where (``code``: what its code does)."""

    consumer: str
    locations: tuple[Location, ...]
    code: tuple[Location, ...] = ()
    access_level: str | None = None


Relying = Callable[[ContractGraph], list[Reliance]]
"""Who relies on something in a revision's graph (the consumers of an operation, a route, a dataset, a topic)."""


def _merge(found: Iterable[Reliance]) -> list[Reliance]:
    by: dict[str, Reliance] = {}
    for r in found:
        old = by.get(r.consumer)
        if old is None:
            by[r.consumer] = r
        else:
            by[r.consumer] = Reliance(r.consumer, _dedup(old.locations + r.locations), _dedup(old.code + r.code), old.access_level or r.access_level)
    return [by[k] for k in sorted(by)]


def _calls_to(graph: ContractGraph, provider: str, operation: str | None = None, route: str | None = None) -> list[Reliance]:
    out: list[Reliance] = []
    for edge in graph.calls:
        if edge.external or edge.callee != provider or edge.caller == provider:
            continue
        if route is not None:
            calls = tuple(c for c in edge.calls if match.route_covers(route, c.path) or (c.endpoint is not None and match.route_covers(route, c.endpoint.path)))
            if not calls:
                continue
            declared: tuple[Location, ...] = ()
        else:
            if operation is not None and edge.operation is not None and not match.same_name(edge.operation, operation):
                continue
            if operation is not None and edge.operation is None and not edge.calls:
                continue
            calls = edge.calls
            declared = (edge.declared.location,) if edge.declared is not None else ()
        code = tuple(c.location for c in calls)
        out.append(Reliance(edge.caller, _dedup(declared + code), _dedup(code)))
    return out


def operation_consumers(graph: ContractGraph, provider: str, operation: str) -> list[Reliance]:
    return _merge(_calls_to(graph, provider, operation=operation))


def endpoint_consumers(graph: ContractGraph, provider: str, route: str | None, returns: str | None = None, with_requires: bool = False) -> list[Reliance]:
    """Callers of a route, and (``with_requires``) services whose ``requires`` from the provider ask
    for data the endpoint returns."""
    found = _calls_to(graph, provider, route=route) if route else []
    if with_requires:
        for name, node in graph.services.items():
            contract = node.declared
            if contract is None or name == provider:
                continue
            for req in contract.requires:
                if graph.resolve(req.from_service) == provider and match.returns_enough(req.data, returns, route):
                    found.append(Reliance(name, (req.location,), access_level=req.access_level))
    return _merge(found)


def dataset_consumers(graph: ContractGraph, provider: str, dataset: str) -> list[Reliance]:
    out = []
    for edge in graph.reads:
        if edge.reader == provider or not match.same_name(edge.dataset, dataset):
            continue
        declared = (edge.declared.location,) if edge.declared is not None else ()
        code = tuple(r.location for r in edge.replica_reads)
        out.append(Reliance(edge.reader, _dedup(declared + code), _dedup(code)))
    return _merge(out)


def topic_consumers(graph: ContractGraph, provider: str, topic: str) -> list[Reliance]:
    out = []
    for edge in graph.messages:
        node = graph.topics.get(edge.topic)
        if edge.role != "consume" or edge.service == provider or node is None or node.name != topic:
            continue
        declared = (edge.declared.location,) if edge.declared is not None else ()
        code = tuple(s.location for s in edge.sites)
        out.append(Reliance(edge.service, _dedup(declared + code), _dedup(code)))
    return _merge(out)


def _where(locations: tuple[Location, ...]) -> str:
    return ", ".join(str(l) for l in locations) if locations else "its contract"


# -- comparing two contracts of one provider -------------------------------------------------------


@dataclass
class _Differ:
    service: str
    base: Analysis
    head: Analysis
    origin: str
    changes: list[Change] = field(default_factory=list)

    def add(
        self,
        kind: str,
        section: str,
        subject: str,
        field_name: str,
        before: str | None,
        after: str | None,
        own: str,
        where: tuple[Location, str],
        impacts: Iterable[Impact] = (),
    ) -> None:
        location, side = where
        self.changes.append(
            Change(
                self.service,
                kind,
                self.origin,
                section,
                subject,
                field_name,
                before,
                after,
                own,
                location,
                side,
                tuple(sorted(impacts, key=lambda i: i.consumer)),
            )
        )

    def removed(self, kind: str, section: str, label: str, own: str, where: Location, relying: Relying, path: str) -> None:
        """A removal: ``own`` for the consumers still relying on it in the head revision, compatible for
        those that relied on it in the base revision and moved off it in the same change."""
        still = relying(self.head.graph)
        names = {r.consumer for r in still}
        moved = [
            Impact(r.consumer, "compatible", f"{r.consumer} no longer relies on it (it did at {_where(r.locations)} in the base revision)", r.locations)
            for r in relying(self.base.graph)
            if r.consumer not in names
        ]
        self.add(kind, section, label, "", label, None, own, (where, "base"), self.each(still, own, path) + moved)

    @staticmethod
    def each(consumers: list[Reliance], cls: str, path: str) -> list[Impact]:
        # placeholders by replacement, not str.format: labels hold braces (``/fraud-score/{tx_id}``)
        return [
            Impact(r.consumer, cls, path.replace("{consumer}", r.consumer).replace("{where}", _where(r.code or r.locations)), r.locations) for r in consumers
        ]

    # -- the two shapes every section has ----------------------------------------------------------

    def entries(
        self,
        section: str,
        noun: str,
        before: Mapping[K, E],
        after: Mapping[K, E],
        label: Callable[[K, E], str],
        removal: Callable[[str, E], tuple[str, Relying, str]],
    ) -> Iterator[tuple[str, E, E]]:
        """The entries of both revisions, by key: an addition is compatible; a removal is reported with
        what ``removal`` says of it (its own class, who relied on it, the migration path); the pairs
        present in both are yielded to compare their fields."""
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key), after.get(key)
            if old is not None and new is not None:
                yield label(key, new), old, new
            elif new is not None:
                name = label(key, new)
                self.add(f"{noun}-added", section, name, "", None, name, "compatible", (new.location, "head"))
            elif old is not None:
                name = label(key, old)
                own, relying, path = removal(name, old)
                self.removed(f"{noun}-removed", section, name, own, old.location, relying, path)

    def ordered(
        self,
        kinds: tuple[str, str],
        at: tuple[str, str, str],
        values: tuple[float, float],
        texts: tuple[str | None, str | None],
        where: Location,
        consumers: list[Reliance],
        path: str,
    ) -> None:
        """A value that is worse the larger it is (``values``: before, after): ``kinds[0]``, breaking
        for every consumer (with ``path``) when it grew; ``kinds[1]``, compatible, when it shrank.
        ``at`` is (section, subject, field)."""
        before, after = values
        if before == after:
            return
        cls, kind, path = ("breaking", kinds[0], path) if after > before else ("compatible", kinds[1], "nothing to do")
        self.add(kind, *at, *texts, cls, (where, "head"), self.each(consumers, cls, path))

    # -- provides: operations and their latency ----------------------------------------------------

    def operations(self, before: Iterable[ProvidedOperation], after: Iterable[ProvidedOperation]) -> None:
        def removal(name: str, old: ProvidedOperation) -> tuple[str, Relying, str]:
            path = f"{{consumer}} still calls {self.service}.{name} ({{where}}): restore the operation, or move {{consumer}} off it first"
            return "breaking", partial(operation_consumers, provider=self.service, operation=name), path

        pairs = self.entries("provides.operation", "operation", {p.operation: p for p in before}, {p.operation: p for p in after}, _key, removal)
        for name, old, new in pairs:
            consumers = operation_consumers(self.head.graph, self.service, name)
            for level in ("current", "target"):
                ob: Percentiles | None = getattr(old.latency, level) if old.latency is not None else None
                nb: Percentiles | None = getattr(new.latency, level) if new.latency is not None else None
                if ob is None or nb is None or new.latency is None:
                    continue
                for p in sorted(set(ob) & set(nb)):
                    b, a = ob[p].ms, nb[p].ms
                    path = (
                        f"{{consumer}} calls {self.service}.{name} ({{where}}): check its timeout and latency budget against "
                        f"p{p:g} {format_ms(a)}, or keep {self.service} at {format_ms(b)}"
                    )
                    at = ("provides.operation", name, f"latency.{level}.p{p:g}")
                    self.ordered(("latency-slower", "latency-faster"), at, (b, a), (format_ms(b), format_ms(a)), new.latency.where(level), consumers, path)

    # -- provides: datasets ----------------------------------------------------------------------

    def datasets(self, before: Iterable[ProvidedDataset], after: Iterable[ProvidedDataset], publishes: Iterable[Publication]) -> None:
        def removal(name: str, old: ProvidedDataset) -> tuple[str, Relying, str]:
            path = f"{{consumer}} reads {name} ({{where}}): keep the dataset, or move {{consumer}} to another source first"
            return "breaking", partial(dataset_consumers, provider=self.service, dataset=name), path

        for name, old, new in self.entries("provides.dataset", "dataset", {p.dataset: p for p in before}, {p.dataset: p for p in after}, _key, removal):
            consumers = dataset_consumers(self.head.graph, self.service, name)
            ow = old.freshness.worst_ms if old.freshness is not None else None
            nw = new.freshness.worst_ms if new.freshness is not None else None
            if ow is not None and nw is not None:
                path = f"{{consumer}} reads {name} ({{where}}): check its freshness_required against {format_ms(nw)}"
                at = ("provides.dataset", name, "freshness")
                texts = (str(old.freshness), str(new.freshness))
                self.ordered(("freshness-worse", "freshness-better"), at, (ow, nw), texts, new.where("freshness"), consumers, path)
            if old.via != new.via:
                self._via(name, old, new, consumers, publishes)

    def _via(self, name: str, old: ProvidedDataset, new: ProvidedDataset, consumers: list[Reliance], publishes: Iterable[Publication]) -> None:
        where = (new.where("via"), "head")
        if new.via != EVENT_STREAM:
            impacts = (
                self.each(consumers, "compatible", "nothing to do")
                if old.via == EVENT_STREAM
                else self.each(consumers, "needs-migration", f"{{consumer}} reads {name} ({{where}}): read it {new.via} from now on")
            )
            self.add(
                "via-changed", "provides.dataset", name, "via", old.via, new.via, "compatible" if old.via == EVENT_STREAM else "needs-migration", where, impacts
            )
            return
        topic = next((p for p in publishes if p.dataset is not None and match.same_name(p.dataset, name)), None)
        impacts = []
        for r in consumers:
            if topic is None and r.code:
                impacts.append(
                    Impact(
                        r.consumer,
                        "breaking",
                        f"{r.consumer} still reads the {old.via or 'replica'} of {name} ({_where(r.code)}) and {self.service} publishes no topic carrying it: "
                        f"publish {name} on a topic (publishes: dataset: {name}) and move {r.consumer} to it, or keep the replica",
                        r.locations,
                    )
                )
            elif topic is not None:
                lag = f" (lag {topic.lag})" if topic.lag is not None else ""
                if r.code:
                    path = f"{r.consumer} reads the replica at {_where(r.code)}: replace the read with a consumer of topic {topic.topic}{lag}"
                    impacts.append(Impact(r.consumer, "needs-migration", path, r.locations))
                elif r.consumer in {c.consumer for c in topic_consumers(self.head.graph, self.service, topic.topic)}:
                    path = f"{r.consumer} consumes topic {topic.topic} already; its data_dependencies entry ({_where(r.locations)}) can name the stream"
                    impacts.append(Impact(r.consumer, "compatible", path, r.locations))
                else:
                    path = f"{r.consumer} declares it reads {name} ({_where(r.locations)}): consume topic {topic.topic}{lag} instead"
                    impacts.append(Impact(r.consumer, "needs-migration", path, r.locations))
            else:
                impacts.append(
                    Impact(
                        r.consumer,
                        "needs-migration",
                        f"{r.consumer} declares it reads {name} ({_where(r.locations)}) but its code reads no replica: point its data_dependencies at the event stream",
                        r.locations,
                    )
                )
        self.add("dataset-moved-to-stream", "provides.dataset", name, "via", old.via, new.via, "breaking", where, impacts)

    # -- provides: endpoints ---------------------------------------------------------------------

    def endpoints(self, before: Iterable[ProvidedEndpoint], after: Iterable[ProvidedEndpoint]) -> None:
        b = {(p.endpoint, p.method or ""): p for p in before}
        a = {(p.endpoint, p.method or ""): p for p in after}

        def removal(label: str, old: ProvidedEndpoint) -> tuple[str, Relying, str]:
            added = [p for k, p in a.items() if k not in b and old.returns is not None and p.returns == old.returns]
            if added:
                path = f"{{consumer}} calls {label} ({{where}}): call {added[0].endpoint} instead (it returns {old.returns})"
            else:
                path = f"{{consumer}} calls {label} ({{where}}): keep the endpoint, or move {{consumer}} off it first"
            return "needs-migration" if added else "breaking", partial(endpoint_consumers, provider=self.service, route=old.route), path

        for label, old, new in self.entries("provides.endpoint", "endpoint", b, a, lambda k, _: f"{k[1]} {k[0]}" if k[1] else k[0], removal):
            if old.access != new.access:
                self._access(label, old, new)

    def _access(self, label: str, old: ProvidedEndpoint, new: ProvidedEndpoint) -> None:
        consumers = endpoint_consumers(self.head.graph, self.service, new.route, new.returns, with_requires=True)
        impacts = []
        for r in consumers:
            was, now = match.admits(old.access, r.consumer, r.access_level), match.admits(new.access, r.consumer, r.access_level)
            if was and not now:
                level = f"access_level {r.access_level}" if r.access_level else "no access_level"
                path = f"{r.consumer} ({level}, {_where(r.locations)}) is no longer admitted by access {new.access}: grant it, or move {r.consumer} to an endpoint it may call"
                impacts.append(Impact(r.consumer, "breaking", path, r.locations))
            elif now and not was:
                impacts.append(Impact(r.consumer, "compatible", f"{r.consumer} is admitted now", r.locations))
        own = "compatible" if not new.access else "breaking"  # access levels have no order: a changed one may shut a consumer out
        where = (new.where("access") if new.access else new.location, "head")
        self.add(
            "access-narrowed" if own == "breaking" else "access-widened", "provides.endpoint", label, "access", old.access, new.access, own, where, impacts
        )

    # -- operations: idempotency -----------------------------------------------------------------

    def idempotency(self, before: Iterable[Operation], after: Iterable[Operation]) -> None:
        b = {o.name: o for o in before}
        a = {o.name: o for o in after}
        for name in sorted(b.keys() & a.keys()):
            old, new = b[name], a[name]
            consumers = operation_consumers(self.head.graph, self.service, name)
            if old.window is not None and new.window is not None:
                path = f"{{consumer}} retries {self.service}.{name} ({{where}}): its retries must end within {new.window}, or duplicates go through"
                kinds = ("idempotency-window-shorter", "idempotency-window-longer")
                at = ("operations", name, "window")
                # shorter is worse: compare the negated windows
                self.ordered(kinds, at, (-old.window.ms, -new.window.ms), (str(old.window), str(new.window)), new.where("window"), consumers, path)
            if old.idempotency_key != new.idempotency_key and old.idempotency_key and new.idempotency_key:
                where = (new.where("idempotency_key"), "head")
                impacts = []
                for r in consumers:
                    sends = {i.name for c in self.head.inferred.calls if c.caller == r.consumer and c.location in r.code for i in c.ids}
                    if any(match.same_name(s, new.idempotency_key) for s in sends):
                        impacts.append(Impact(r.consumer, "compatible", f"{r.consumer} already sends {new.idempotency_key}", r.locations))
                    else:
                        path = f"{r.consumer} calls {self.service}.{name} ({_where(r.code or r.locations)}): send a stable {new.idempotency_key} instead of {old.idempotency_key}"
                        impacts.append(Impact(r.consumer, "breaking", path, r.locations))
                self.add("idempotency-key-changed", "operations", name, "idempotency_key", old.idempotency_key, new.idempotency_key, "breaking", where, impacts)

    # -- publishes -------------------------------------------------------------------------------

    def publications(self, before: Iterable[Publication], after: Iterable[Publication]) -> None:
        def removal(name: str, old: Publication) -> tuple[str, Relying, str]:
            path = f"{{consumer}} consumes {name} ({{where}}): keep publishing it, or move {{consumer}} to another topic first"
            return "breaking", partial(topic_consumers, provider=self.service, topic=name), path

        for name, old, new in self.entries("publishes", "topic", {p.topic: p for p in before}, {p.topic: p for p in after}, _key, removal):
            consumers = topic_consumers(self.head.graph, self.service, name)
            if old.delivery and new.delivery:
                path = f"{{consumer}} consumes {name} ({{where}}): it must tolerate {new.delivery} delivery (lost or repeated messages)"
                weakness = (-DELIVERY_STRENGTH[old.delivery], -DELIVERY_STRENGTH[new.delivery])  # weaker is worse
                at = ("publishes", name, "delivery")
                self.ordered(("delivery-weakened", "delivery-strengthened"), at, weakness, (old.delivery, new.delivery), new.where("delivery"), consumers, path)
            if old.lag is not None and new.lag is not None:
                path = f"{{consumer}} consumes {name} ({{where}}): check its freshness_required against a lag of {new.lag}"
                at = ("publishes", name, "lag")
                self.ordered(("lag-longer", "lag-shorter"), at, (old.lag.ms, new.lag.ms), (str(old.lag), str(new.lag)), new.where("lag"), consumers, path)

    # -- code: endpoints served ------------------------------------------------------------------

    def code_endpoints(self, before: Iterable[CodeEndpoint], after: Iterable[CodeEndpoint]) -> None:
        def key(ep: CodeEndpoint) -> tuple[str, str]:
            return (ep.method or "ANY", match.template(ep.path) if ep.method != "GRPC" else ep.path or "")

        b = {key(e): e for e in before}
        a = {key(e): e for e in after}

        def removal(label: str, old: CodeEndpoint) -> tuple[str, Relying, str]:
            relying: Relying = (
                partial(operation_consumers, provider=self.service, operation=old.operation or "")
                if old.method == "GRPC"
                else partial(endpoint_consumers, provider=self.service, route=old.path)
            )
            if old.operation is not None and any(e.operation == old.operation for k, e in a.items() if k not in b):
                return "needs-migration", relying, f"{{consumer}} calls {label} ({{where}}): {old.operation} is served at another route now; call that one"
            path = f"{{consumer}} calls {label} ({{where}}): nothing in {self.service} serves it any more; restore it, or move {{consumer}} off it first"
            return "breaking", relying, path

        for _ in self.entries("endpoint", "endpoint", b, a, lambda _, ep: ep.label, removal):
            pass  # a route served in both revisions: nothing of it is compared


def _key(key: str, _: object) -> str:
    return key


def _empty(service: str) -> ServiceContract:
    return ServiceContract(service=service)


def diff(base: Analysis, head: Analysis, base_label: str, head_label: str) -> Diff:
    """Every change between the two analyses, per service, declared first, then what code shows."""
    out = Diff(base_label, head_label)
    bd, hd = base.declared.contracts, head.declared.contracts
    for service in sorted(bd.keys() | hd.keys()):
        old, new = bd.get(service) or _empty(service), hd.get(service) or _empty(service)
        if old.version != new.version:
            out.versions[service] = VersionChange(service, old.version, new.version)
        d = _Differ(service, base, head, "declared")
        d.operations(old.provided_operations, new.provided_operations)
        d.datasets(old.provided_datasets, new.provided_datasets, new.publishes)
        d.endpoints(old.provided_endpoints, new.provided_endpoints)
        d.idempotency(old.operations, new.operations)
        d.publications(old.publishes, new.publishes)
        out.changes.extend(d.changes)
    bi, hi = base.inferred, head.inferred
    for service in sorted(bi.contracts.keys() | hi.contracts.keys()):
        d = _Differ(service, base, head, "code")
        d.code_endpoints(bi.endpoints_of(service), hi.endpoints_of(service))
        oc, nc = bi.contracts.get(service) or _empty(service), hi.contracts.get(service) or _empty(service)
        d.idempotency(oc.operations, nc.operations)
        out.changes.extend(d.changes)
    return out
