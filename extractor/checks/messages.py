"""Messages: a consumer that can get a message twice and shows no sign of noticing."""

from __future__ import annotations

from collections.abc import Iterator

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
