"""Freshness: how stale a consumer may read data against how stale its provider delivers it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..contracts import match
from ..contracts.model import Publication
from ..contracts.values import format_ms
from ..graph import DatasetNode, MessageEdge, ReadEdge
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


# -- datasets offered as an event stream ---------------------------------------------------------


def _streamed(ctx: CheckContext) -> Iterator[tuple[DatasetNode, str, list[MessageEdge]]]:
    """Every dataset a provider offers ``via: event_stream``, its provider, and the provider's publish
    edges whose ``publishes`` entry names it (``dataset:``)."""
    for ds in ctx.graph.datasets.values():
        p = ds.provided
        if p is None or p.via != "event_stream" or ds.provider is None:
            continue
        streams = [
            e
            for e in ctx.graph.messages
            if e.role == "publish" and e.service == ds.provider and isinstance(e.declared, Publication) and match.same_name(e.declared.dataset, ds.name)
        ]
        yield ds, ds.provider, streams


@check("freshness.event-stream-producer", kind="freshness", title="Event stream without a producer")
def event_stream_producer(ctx: CheckContext) -> Iterator[Finding]:
    """A ``provides`` dataset with ``via: event_stream`` needs a producer: a ``publishes`` entry of the
    provider that names the dataset (``dataset:``) and, when the provider's code was scanned, a publish
    to that topic in its code. No such entry: warning, ``UNVERIFIED``; entries that no code publishes
    to: error, ``DRIFT``."""
    for ds, provider, streams in _streamed(ctx):
        assert ds.provided is not None
        offer = Side(provider, "provides", f"{ds.name} via event_stream", (ds.provided.where("via"),))
        node = ctx.graph.services.get(provider)
        fed = node is None or not node.has_code or any(e.in_code for e in streams)
        if streams and fed:
            continue
        topics = ", ".join(_declared_topic(e) for e in streams)
        yield finding(
            "freshness.event-stream-producer",
            "error" if streams else "warning",
            "DRIFT" if streams else "UNVERIFIED",
            services=(provider,),
            subject=ds.name,
            message=f"{provider} provides {ds.name} via event_stream "
            + (f"on {topics} but its code publishes to none of them" if streams else "but declares no publishes entry carrying it"),
            sides=(offer, *(Side(provider, "declares", f"publishes {_declared_topic(e)}", (_entry(e).location,)) for e in streams)),
            impact=f"readers of {ds.name} wait on a stream nobody feeds"
            if streams
            else f"readers of {ds.name} cannot tell which topic to consume, and no check can show the stream exists",
            resolutions=(
                Resolution(
                    provider,
                    f"{provider}: publish {ds.name} to {topics} in code, or stop offering it via event_stream"
                    if streams
                    else f"{provider}: declare the stream (publishes: - topic: ..., dataset: {ds.name}, lag: ...)",
                ),
            ),
        )


@check("freshness.event-stream-consumer", kind="freshness", title="Event-stream dataset not read from the stream")
def event_stream_consumer(ctx: CheckContext) -> Iterator[Finding]:
    """A service that declares a ``data_dependencies`` entry for a dataset its provider offers ``via:
    event_stream`` must read it from the stream: its code must not read the dataset through a replica
    (error, ``DRIFT``), and, when its code was scanned and the provider declares the stream's topics
    (``publishes`` with ``dataset:``), its code consumes one of them (else warning, ``DRIFT``)."""
    for ds, provider, streams in _streamed(ctx):
        topics = {e.topic for e in streams}
        for edge in ctx.graph.reads:
            if edge.dataset != ds.name or edge.declared is None or edge.reader == provider:
                continue
            reader = edge.reader
            node = ctx.graph.services.get(reader)
            consumed = [e for e in ctx.graph.messages if e.role == "consume" and e.service == reader and e.topic in topics and e.in_code]
            names = ", ".join(sorted(_declared_topic(e) for e in streams))
            d = edge.declared
            needs = Side(reader, "needs", f"{ds.name}" + (f" within {d.freshness_required}" if d.freshness_required else ""), (d.location,))
            common: dict[str, Any] = {"services": (reader, provider), "subject": ds.name, "impact": impact_text(edge)}
            if edge.replica_reads:
                reads = ", ".join(str(r.location) for r in edge.replica_reads)
                yield finding(
                    "freshness.event-stream-consumer",
                    "error",
                    "DRIFT",
                    sides=(
                        needs,
                        Side(reader, "code", f"reads {ds.name} through a replica", tuple(r.location for r in edge.replica_reads)),
                        Side(provider, "provides", offer_text(edge), (ds.provided.where("via"),) if ds.provided is not None else ()),
                    ),
                    message=f"{provider} offers {ds.name} as an event stream, but {reader} reads it through a replica ({reads}): the replica's lag, not the stream's, decides how stale it is",
                    **common,
                    resolutions=(Resolution(reader, f"{reader}: consume {names or 'the stream'} instead of reading the replica"),),
                )
            elif streams and node is not None and node.has_code and not consumed:
                yield finding(
                    "freshness.event-stream-consumer",
                    "warning",
                    "DRIFT",
                    sides=(needs, Side(provider, "provides", f"{ds.name} on {names}", tuple(_entry(e).location for e in streams))),
                    message=f"{reader} needs {ds.name}, which {provider} offers on {names}, but its code consumes none of them",
                    **common,
                    resolutions=(Resolution(reader, f"{reader}: consume {names}"),),
                )


def _entry(edge: MessageEdge) -> Publication:
    assert isinstance(edge.declared, Publication)
    return edge.declared


def _declared_topic(edge: MessageEdge) -> str:
    return _entry(edge).topic
