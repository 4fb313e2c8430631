"""Observed service names as the scan's services: ``service.name`` against the inventory (a service's
name or one of its aliases: directory, manifest name, without ``-service``/``-api`` suffixes), then
the ``--service OBSERVED=SERVICE`` overrides; what matches nothing stays as observed (an external
peer, or a service outside the repository)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..graph import ContractGraph
from .aggregate import Aggregate, Retries, Stats
from .metrics import Histogram, MetricEdge
from .model import QUANTILES, Latency, Observations, ObservedEdge, ObservedOperation, Window


def observations(
    graph: ContractGraph,
    aggregate: Aggregate,
    histograms: Iterable[Histogram],
    overrides: Mapping[str, str] = {},
    metric_edges: Iterable[MetricEdge] = (),
) -> Observations:
    """The aggregate, the metric histograms and the edges metrics name (``via: metrics``) in the scan's
    names, merged where names meet."""
    known = set(graph.services)
    unmapped: set[str] = set()

    def name(observed: str) -> tuple[str, bool]:
        if observed in overrides:
            return overrides[observed], overrides[observed] in known
        resolved = graph.resolve(observed)
        if resolved in known:
            return resolved, True
        host = observed.split(".", 1)[0]  # pricing.default.svc.cluster.local
        resolved = graph.resolve(host)
        if resolved in known:
            return resolved, True
        return observed, False

    def note(observed: str) -> str:
        mapped, ok = name(observed)
        if not ok:
            unmapped.add(observed)
        return mapped

    services: dict[str, tuple[Stats, set[str]]] = {}
    for raw, stats in aggregate.services.items():
        entry = services.setdefault(note(raw), (Stats(), set()))
        entry[0].merge(stats)
        entry[1].add(raw)
    operations: dict[tuple[str, str], Stats] = {}
    for (raw, op), stats in aggregate.operations.items():
        operations.setdefault((note(raw), op), Stats()).merge(stats)
    edges: dict[tuple[str, str, str, str], tuple[Stats, Retries, bool]] = {}
    for (caller, callee, op, via), stats in aggregate.edges.items():
        a, b = note(caller), name(callee)
        if not b[1]:
            unmapped.add(callee)
        key = (a, b[0], op, via)
        entry2 = edges.setdefault(key, (Stats(), Retries(), b[1] and a in known))
        entry2[0].merge(stats)
        retries = aggregate.retries.get((caller, callee, op, via))
        if retries is not None:
            entry2[1].merge(retries)
    out = Observations(
        services=[ObservedOperation(n, None, _latency(s), ",".join(sorted(raw - {n}))) for n, (s, raw) in sorted(services.items())],
        operations=[ObservedOperation(n, op, _latency(s)) for (n, op), s in sorted(operations.items())],
        edges=[
            ObservedEdge(a, b, op, _latency(s), via, internal, max(r.max_attempts, 1), r.retried, r.groups)
            for (a, b, op, via), (s, r, internal) in sorted(edges.items())
            if a != b
        ],
        window=Window(aggregate.start_ns, aggregate.end_ns),
        spans=aggregate.spans,
        sources=tuple(aggregate.sources),
    )
    start_s, end_s = [], []
    for h in histograms:
        svc = note(h.service)
        quantiles = {p: q for p in QUANTILES if (q := h.quantile(p / 100)) is not None}
        out.operations.append(ObservedOperation(svc, h.operation, Latency(h.count, quantiles, source="metrics")))
        if h.start_s:
            start_s.append(h.start_s)
            end_s.append(h.end_s)
    for m in metric_edges:
        a, b = note(m.caller), name(m.callee)
        if not b[1]:
            unmapped.add(m.callee)
        if a == b[0]:
            continue
        quantiles = {p: q for p in QUANTILES if m.latency is not None and (q := m.latency.quantile(p / 100)) is not None}
        out.edges.append(ObservedEdge(a, b[0], m.operation or None, Latency(m.calls, quantiles, m.errors, source="metrics"), "metrics", b[1] and a in known))
        if m.start_s:
            start_s.append(m.start_s)
            end_s.append(m.end_s)
    out.edges.sort(key=lambda e: (e.caller, e.callee, e.operation or "", e.via))
    if start_s and not out.window.start_ns:
        out.window = Window(int(min(start_s) * 1e9), int(max(end_s) * 1e9))
    out.operations.sort(key=lambda o: (o.service, o.operation or "", o.latency.source))
    out.unmapped = tuple(sorted(unmapped))
    return out


def _latency(stats: Stats) -> Latency:
    quantiles = {p: q for p in QUANTILES if (q := stats.sketch.quantile(p / 100)) is not None}
    return Latency(stats.count, quantiles, stats.errors, stats.timeouts)
