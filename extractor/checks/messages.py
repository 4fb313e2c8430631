"""Messages: a consumer that can get a message twice and shows no sign of noticing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..contracts.model import Publication, Subscription
from ..graph import MessageEdge, MessageSite
from .base import CheckContext, Finding, Resolution, Side, check, finding

_MODES = {
    "manual": "acknowledges in code",
    "auto_commit": "commits offsets in the background",
    "manual_commit": "commits offsets in code",
    "after_handler": "is acknowledged when the handler returns",
}


def _sites(edges: list[MessageEdge]) -> list[MessageSite]:
    return [s for e in edges for s in e.sites]


@check("messages.redelivery-without-dedup", kind="messages", title="At-least-once consumer without de-duplication")
def redelivery_without_dedup(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer in code receives messages that can be delivered again (its ack mode redelivers a
    message whose handling failed or was cut short: manual acks, auto or manual offset commits, acks
    when the handler returns) from a topic, queue or task that a service of the repository publishes
    to, and none of its handlers shows a de-duplication: no idempotency key checked in a function
    the handler reaches (``idempotency_key`` facts), no de-duplication by the library. One finding
    per topic and consuming service, naming every producer and consumer site. Warning, ``AT_RISK``."""
    graph = ctx.graph
    for consume in graph.messages:
        if consume.role != "consume":
            continue
        bare = [s for s in consume.sites if s.redelivery and not s.dedup]
        producers = graph.publishers(consume.topic)
        if not bare or not producers:
            continue
        topic = graph.topics[consume.topic]
        consumer = consume.service
        publishers = sorted({e.service for e in producers})
        publish_sites = _sites(producers)
        modes = sorted({_MODES.get(s.ack_mode or "", "can redeliver") for s in bare})
        handlers = sorted({s.function or "?" for s in bare})
        where = f"{topic.kind or 'destination'} {topic.name} ({topic.broker or 'broker'})"
        yield finding(
            "messages.redelivery-without-dedup",
            "warning",
            "AT_RISK",
            services=(*[p for p in publishers if p != consumer], consumer),
            subject=consume.topic,
            message=(
                f"{consumer} consumes {where}, published by {', '.join(publishers)}; its consumer "
                f"{' and '.join(modes)}, so a message comes again after a failure, and {', '.join(handlers)} "
                "shows no de-duplication: the message is processed twice"
            ),
            sides=(
                *(Side(p, "does", f"publishes to {where}", tuple(s.location for s in publish_sites if s.service == p)) for p in publishers),
                Side(
                    consumer,
                    "does",
                    f"consumes {where} at least once ({', '.join(sorted({s.ack_mode or 'redelivers' for s in bare}))}), no de-duplication in {', '.join(handlers)}",
                    tuple(s.location for s in bare),
                ),
            ),
            impact="Duplicate processing of a redelivered message (double charges, double emails, counters off)",
            resolutions=(
                Resolution(
                    consumer,
                    f"{consumer}: De-duplicate in {', '.join(handlers)} on a message id or business key (claim it atomically before the side effects, e.g. SET key NX, a unique constraint)",
                ),
                Resolution(consumer, f"{consumer}: Make the handler's effects idempotent (upserts keyed by the business key) and say so in its contract"),
            ),
        )


# -- declared publishes / consumes against the code and each other -------------------------------

_VERB = {"publish": "publishes", "consume": "consumes"}


def _topic_text(ctx: CheckContext, key: str) -> str:
    topic = ctx.graph.topics.get(key)
    if topic is None:
        return key
    return f"{topic.kind or 'topic'} {topic.name} ({topic.broker or 'any broker'})"


def _own(
    check_id: str, severity: str, status: str, edge: MessageEdge, message: str, sides: tuple[Side, ...], impact: str, fixes: tuple[str, ...], **rest: Any
) -> Finding:
    """A finding about one service's own message edge (its contract against its code): subject the
    topic, each fix a resolution of that service."""
    return finding(
        check_id,
        severity,
        status,
        services=(edge.service,),
        subject=edge.topic,
        message=message,
        sides=sides,
        impact=impact,
        resolutions=tuple(Resolution(edge.service, f"{edge.service}: {fix}") for fix in fixes),
        **rest,
    )


def _declared(edge: MessageEdge) -> Publication | Subscription:
    assert edge.declared is not None
    return edge.declared


@check("messages.declared-not-in-code", kind="messages", title="Declared message flow not in code")
def declared_not_in_code(ctx: CheckContext) -> Iterator[Finding]:
    """A ``publishes`` (or ``consumes``) entry of a service whose code was scanned matches no publish
    (consume) site in that code: no site of the service on that topic (by broker and name; without
    ``broker``, by name). Warning; info when some sites of the same role in the service's code have a
    destination the scan could not resolve (one may be it). ``DRIFT``."""
    graph = ctx.graph
    for edge in graph.messages:
        if edge.declared is None or edge.in_code:
            continue
        node = graph.services.get(edge.service)
        if node is None or not node.has_code:
            continue
        d = _declared(edge)
        unresolved = [s for e in graph.messages if e.service == edge.service and e.role == edge.role for s in e.sites if graph.topics[e.topic].service]
        verb = _VERB[edge.role]
        yield _own(
            "messages.declared-not-in-code",
            "info" if unresolved else "warning",
            "DRIFT",
            edge,
            f"{edge.service} declares that it {verb[:-1]}s {d.topic} but no {edge.role} to it was found in its code"
            + (f" ({len(unresolved)} {edge.role} site(s) have a destination the scan could not resolve)" if unresolved else ""),
            (Side(edge.service, "declares", f"{verb} {_topic_text(ctx, edge.topic)}", (d.location,)),),
            f"the contract promises a message flow nobody can find; consumers and checks rely on {d.topic} being {'fed' if edge.role == 'publish' else 'read'}",
            ("remove the entry if the flow is gone", "or name the topic in code so it resolves (a constant, configuration, a deployment variable)"),
            extra_locations=[s.location for s in unresolved],
        )


@check("messages.undeclared-in-code", kind="messages", title="Message flow in code the contract does not declare")
def undeclared_in_code(ctx: CheckContext) -> Iterator[Finding]:
    """Code of a service that has a contract publishes to (consumes) a topic whose name the scan
    resolved, and the contract has no ``publishes`` (``consumes``) entry for it. Warning, ``DRIFT``.
    (Services without any contract are left to ``contracts init``; destinations the scan could not
    resolve cannot be named by a contract and are skipped.)"""
    graph = ctx.graph
    for edge in graph.messages:
        if edge.declared is not None or not edge.in_code or graph.topics[edge.topic].service:
            continue
        node = graph.services.get(edge.service)
        if node is None or node.declared is None:
            continue
        verb = _VERB[edge.role]
        where = _topic_text(ctx, edge.topic)
        topic = graph.topics[edge.topic]
        yield _own(
            "messages.undeclared-in-code",
            "warning",
            "DRIFT",
            edge,
            f"{edge.service} {verb} {where} in code ({'; '.join(s.label for s in edge.sites)}) but its contract does not declare it",
            (
                Side(edge.service, "declares", f"no {verb} entry for {topic.name}", (node.declared.location,)),
                Side(edge.service, "code", f"{verb} {where}", tuple(s.location for s in edge.sites)),
            ),
            f"no contract states what {edge.service} promises or needs on {topic.name} (delivery, lag, idempotency); no check covers it",
            (f"declare it under {verb} (topic: {topic.name}, broker: {topic.broker or '...'})",),
        )


@check("messages.idempotent-without-dedup", kind="messages", title="Declared idempotent consumer without de-duplication in code")
def idempotent_without_dedup(ctx: CheckContext) -> Iterator[Finding]:
    """A ``consumes`` entry says ``idempotent: true`` while the consumer's code on that topic (every
    consume site of the edge) shows no de-duplication: neither the library's nor an idempotency key
    checked in a function the handler reaches (the graph's ``dedup``). Warning, ``DRIFT``. Without
    consume sites in code the entry is ``messages.declared-not-in-code``'s."""
    for edge in ctx.graph.messages:
        d = edge.declared
        if edge.role != "consume" or not isinstance(d, Subscription) or d.idempotent is not True or not edge.in_code:
            continue
        if any(s.dedup for s in edge.sites):
            continue
        handlers = sorted({s.function or "?" for s in edge.sites})
        key = d.dedup_key or "a key"
        yield _own(
            "messages.idempotent-without-dedup",
            "warning",
            "DRIFT",
            edge,
            f"{edge.service} declares its consumer of {d.topic} idempotent on {key}, but {', '.join(handlers)} shows no de-duplication",
            (
                Side(
                    edge.service, "declares", f"idempotent: true, dedup_key {key}", (d.where("idempotent"),) + ((d.where("dedup_key"),) if d.dedup_key else ())
                ),
                Side(edge.service, "code", f"consumes {d.topic} in {', '.join(handlers)} without de-duplication", tuple(s.location for s in edge.sites)),
            ),
            "producers rely on the promise and publish at least once; a redelivered message is processed twice",
            (f"de-duplicate on {key} in {', '.join(handlers)} (claim it atomically before the side effects)", "or remove idempotent: true from the contract"),
        )


@check("messages.dedup-undeclared", kind="messages", title="De-duplicating consumer whose contract is silent")
def dedup_undeclared(ctx: CheckContext) -> Iterator[Finding]:
    """The consumer's code de-duplicates on a topic (a consume site of the edge has ``dedup``) while its
    ``consumes`` entry for that topic does not say ``idempotent`` either way. Info, ``UNVERIFIED``."""
    for edge in ctx.graph.messages:
        d = edge.declared
        if edge.role != "consume" or not isinstance(d, Subscription) or d.idempotent is not None:
            continue
        dedup = [x for s in edge.sites for x in s.dedup]
        if not dedup:
            continue
        yield _own(
            "messages.dedup-undeclared",
            "info",
            "UNVERIFIED",
            edge,
            f"{edge.service}'s code de-duplicates what it consumes from {d.topic} ({'; '.join(str(x.value) for x in dedup)}) but its contract does not say idempotent",
            (
                Side(edge.service, "declares", f"consumes {d.topic}, idempotency not stated", (d.location,)),
                Side(edge.service, "code", "; ".join(str(x.value) for x in dedup), tuple(x.location for x in dedup)),
            ),
            "producers cannot tell that redelivery is safe; the de-duplication may be removed without anyone noticing",
            ("declare idempotent: true with its dedup_key (and dedup_window)",),
        )


def _declared_publishers(ctx: CheckContext, topic: str) -> list[MessageEdge]:
    return [e for e in ctx.graph.publishers(topic) if isinstance(e.declared, Publication)]


@check("messages.freshness-vs-lag", kind="messages", title="Consumer freshness against the producer's lag")
def freshness_vs_lag(ctx: CheckContext) -> Iterator[Finding]:
    """A ``consumes`` entry's ``freshness_required`` against the ``lag`` that each producer of the same
    topic declares in its ``publishes`` entry: the requirement must allow the lag. Error,
    ``BLOCKS_INTEGRATION``. A producer that declares the topic without a ``lag``: warning, ``UNVERIFIED``."""
    for edge in ctx.graph.messages:
        d = edge.declared
        if edge.role != "consume" or not isinstance(d, Subscription) or d.freshness_required is None:
            continue
        need = Side(edge.service, "requires", f"messages of {d.topic} within {d.freshness_required}", (d.where("freshness_required"),))
        for pub in _declared_publishers(ctx, edge.topic):
            p = pub.declared
            assert isinstance(p, Publication)
            producer = pub.service
            if p.lag is not None and d.freshness_required.allows(p.lag.ms):
                continue
            late = p.lag is not None
            yield finding(
                "messages.freshness-vs-lag",
                "error" if late else "warning",
                "BLOCKS_INTEGRATION" if late else "UNVERIFIED",
                services=(producer, edge.service),
                subject=edge.topic,
                message=f"{edge.service} needs messages of {d.topic} within {d.freshness_required}; "
                + (f"{producer} puts them on the topic up to {p.lag} late" if late else f"{producer} declares no lag for them"),
                sides=(
                    need,
                    Side(producer, "provides", f"publishes {d.topic} within {p.lag}", (p.where("lag"),))
                    if late
                    else Side(producer, "provides", f"publishes {d.topic}, no declared lag", (p.location,)),
                ),
                impact=f"{edge.service} acts on events older than it can afford" if late else f"{edge.service}'s requirement cannot be shown to hold",
                resolutions=(
                    Resolution(producer, f"{producer}: publish within {d.freshness_required} (publish in the transaction's commit path, not a batch)"),
                    Resolution(edge.service, f"{edge.service}: relax the requirement to {p.lag}"),
                )
                if late
                else (Resolution(producer, f"{producer}: declare the lag of {d.topic} (publishes: lag: ...)"),),
            )


@check("messages.exactly-once-on-at-least-once", kind="messages", title="Exactly-once expected on an at-least-once flow")
def exactly_once(ctx: CheckContext) -> Iterator[Finding]:
    """A ``consumes`` entry expects ``delivery: exactly_once`` while the flow is at least once: a
    producer of the topic declares ``delivery: at_least_once`` (error, ``BLOCKS_INTEGRATION``), or,
    without such a declaration, a consume site of the edge in code has an ack mode that redelivers
    (warning, ``AT_RISK``)."""
    for edge in ctx.graph.messages:
        d = edge.declared
        if edge.role != "consume" or not isinstance(d, Subscription) or d.delivery != "exactly_once":
            continue
        expects = Side(edge.service, "expects", f"exactly_once delivery of {d.topic}", (d.where("delivery"),))
        producers = [e for e in _declared_publishers(ctx, edge.topic) if isinstance(e.declared, Publication) and e.declared.delivery == "at_least_once"]
        redelivering = [s for s in edge.sites if s.redelivery]
        if producers:
            names = sorted({e.service for e in producers})
            yield finding(
                "messages.exactly-once-on-at-least-once",
                "error",
                "BLOCKS_INTEGRATION",
                services=(*names, edge.service),
                subject=edge.topic,
                message=f"{edge.service} expects each message of {d.topic} exactly once; {', '.join(names)} deliver{'s' if len(names) == 1 else ''} at least once",
                sides=(
                    expects,
                    *(Side(e.service, "provides", f"at_least_once on {d.topic}", (_declared(e).where("delivery"),)) for e in producers),
                ),
                extra_locations=[s.location for s in redelivering],
                impact=f"{edge.service} processes redelivered messages twice",
                resolutions=(
                    Resolution(edge.service, f"{edge.service}: de-duplicate (idempotent: true with a dedup_key) and expect at_least_once"),
                    Resolution(edge.service, f"{edge.service}: or use the broker's transactions end to end (read-process-write in one transaction)"),
                ),
            )
        elif redelivering:
            modes = sorted({s.ack_mode or "redelivers" for s in redelivering})
            yield _own(
                "messages.exactly-once-on-at-least-once",
                "warning",
                "AT_RISK",
                edge,
                f"{edge.service} expects each message of {d.topic} exactly once, but its consumer ({', '.join(modes)}) gets a message again after a failure",
                (expects, Side(edge.service, "code", f"consumes {d.topic} at least once ({', '.join(modes)})", tuple(s.location for s in redelivering))),
                f"{edge.service} processes redelivered messages twice",
                ("de-duplicate and declare idempotent: true, delivery: at_least_once",),
            )
