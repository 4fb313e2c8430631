"""Freshness: how stale a consumer may read data against how stale its provider delivers it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..contracts.values import format_ms
from ..graph import ReadEdge
from .base import CheckContext, Finding, Resolution, Side, check, finding, human


def offer_text(edge: ReadEdge) -> str:
    """``15-30s typical, 60s max (database_replica)``."""
    p = edge.provided
    if p is None:
        return "no freshness"
    text = str(p.freshness) if p.freshness is not None else "no freshness"
    return f"{text} ({p.via})" if p.via else text


def need_text(edge: ReadEdge) -> str:
    """``<10s for velocity fraud detection``."""
    d = edge.declared
    assert d is not None and d.freshness_required is not None
    return f"{d.freshness_required}" + (f" for {human(d.reason)}" if d.reason else "")


def read_finding(check: str, severity: str, status: str, edge: ReadEdge, provider: str, *sides: Side, **rest: Any) -> Finding:
    """A finding on a read edge: between the reader and ``provider``, about the dataset; its first side
    is the reader's ``freshness_required``, then ``sides``."""
    d = edge.declared
    assert d is not None
    required = Side(edge.reader, "requires", need_text(edge), (d.where("freshness_required"),))
    return finding(check, severity, status, services=(edge.reader, provider), subject=edge.dataset, sides=(required, *sides), **rest)


def impact_text(edge: ReadEdge) -> str:
    d = edge.declared
    assert d is not None
    what = human(d.reason) or f"{edge.reader}'s use of {edge.dataset}"
    tail = f" ({human(d.impact_if_stale)})" if d.impact_if_stale else ""
    return f"{what[:1].upper()}{what[1:]} unreliable{tail}"


@check("freshness.dataset", kind="freshness", title="Data freshness violation")
def freshness_dataset(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's ``data_dependencies`` entry with ``freshness_required`` is compared with the worst case of
    the provider's declared ``freshness`` for the same dataset (its maximum, else the top of its typical
    range): the requirement must allow it. Error, ``BLOCKS_INTEGRATION``. Replica reads of that data in
    the consumer's code are listed as evidence."""
    for edge in ctx.graph.reads:
        d, p = edge.declared, edge.provided
        if d is None or d.freshness_required is None or p is None or p.freshness is None or edge.provider is None:
            continue
        worst = p.freshness.worst_ms
        if worst is None or d.freshness_required.allows(worst):
            continue
        consumer, provider = edge.reader, edge.provider
        stream = (p.via or "") == "event_stream"
        resolutions = [
            Resolution(
                provider,
                f"{provider}: " + ("Reduce the stream's lag below " + str(d.freshness_required) if stream else "Provide event stream") + " (infrastructure)",
            ),
            Resolution(consumer, f"{consumer}: Relax requirement to {format_ms(worst)} (accuracy loss)"),
            Resolution(consumer, f"{consumer}: Alternative algorithm (redesign)"),
        ]
        yield read_finding(
            "freshness.dataset",
            "error",
            "BLOCKS_INTEGRATION",
            edge,
            provider,
            Side(provider, "provides", offer_text(edge), (p.where("freshness"),) + ((p.where("via"),) if p.via else ())),
            message=f"{consumer} needs {edge.dataset} fresher than {d.freshness_required}; {provider} delivers it up to {format_ms(worst)} stale",
            extra_locations=[r.location for r in edge.replica_reads],
            impact=impact_text(edge),
            resolutions=resolutions,
        )


@check("freshness.replica-read", kind="freshness", title="Replica read with unknown lag")
def freshness_replica(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer that declares ``freshness_required`` for data its code reads through a read replica,
    while the provider declares no freshness for that data: a replica's lag is unknown, so the requirement
    cannot be shown to hold. Warning, ``UNVERIFIED``."""
    for edge in ctx.graph.reads:
        d = edge.declared
        if d is None or d.freshness_required is None or not edge.replica_reads:
            continue
        if edge.provided is not None and edge.provided.freshness is not None:
            continue
        consumer = edge.reader
        provider = edge.provider or d.source
        reads = ", ".join(str(r.location) for r in edge.replica_reads)
        yield read_finding(
            "freshness.replica-read",
            "warning",
            "UNVERIFIED",
            edge,
            provider,
            Side(consumer, "code", f"reads {edge.dataset} through a replica", tuple(r.location for r in edge.replica_reads)),
            Side(provider, "provides", "no declared freshness", ()),
            message=f"{consumer} needs {edge.dataset} fresher than {d.freshness_required} but reads it through a replica ({reads}) whose lag nobody declares",
            impact=impact_text(edge) + " whenever the replica lags",
            resolutions=(
                Resolution(provider, f"{provider}: declare the freshness of {edge.dataset} (provides: - dataset: {edge.dataset}, freshness: ...)"),
                Resolution(consumer, f"{consumer}: read from the primary or an event stream"),
            ),
        )
