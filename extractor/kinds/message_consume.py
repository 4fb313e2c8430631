"""``message_consume``: a handler fed by a broker (a Kafka consumer or listener, a RabbitMQ queue
consumer, a Celery task), with the delivery semantics that decide whether a message can come twice."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .convert import number, put_known, text_or_none, to_int
from .messages import COMMON_FIELDS, COMMON_RAW, boolean, common, resolved_text, vocabulary

if TYPE_CHECKING:
    from ..catalog import Rule

ACK_MODES = ("auto", "manual", "auto_commit", "manual_commit", "after_handler")
"""auto: acknowledged on delivery, before the handler runs; manual: the code acknowledges; auto_commit:
offsets committed in the background (Kafka); manual_commit: the code commits offsets; after_handler:
the framework acknowledges or commits when the handler returns."""
REDELIVERING = frozenset({"manual", "auto_commit", "manual_commit", "after_handler"})
"""Ack modes under which a message whose handling failed or was cut short is delivered again."""

FIELDS = COMMON_FIELDS + fields(
    """
    routing_key  string?   -    The AMQP binding/routing key, when the code gives one.
    group        string?   -    The consumer group, subscription or queue group sharing the messages.
    ack_mode     -         req  When the message is acknowledged (null when not known).
    redelivery   boolean?  req  Whether a message is delivered again when its handling fails or the consumer dies before acknowledging it (at-least-once); null when not known.
    max_deliveries  integer?  -  How often the broker delivers a message at most (NATS JetStream MaxDeliver), when the code says; 1 means never again.
    dead_letter  string?   -    Where messages that keep failing go (a dead-letter topic, queue or exchange), when configured in code.
    dedup        string?   -    How the consumer de-duplicates, when the library or its configuration does (a rule's constant); a handler's own check is an idempotency_key fact.
    handler      string?   req  The function handling the messages (dotted within its module), or the expression passed as handler.
    """,
    ack_mode={"enum": [*ACK_MODES, None]},
)

RAW = COMMON_RAW + raws(
    """
    group        -  The consumer group / subscription.
    ack_mode     -  The ack setting in the library's spelling, read through the rule's `options: {ack_modes: {spelling: mode}}` (`enable_auto_commit: false` → `manual_commit`); a mode itself stands.
    redelivery   -  Overrides what the ack mode says (a boolean).
    max_deliveries  -  The most deliveries of one message (a number; 1: no redelivery; -1: no limit).
    dead_letter  -  The dead-letter destination.
    dedup        -  The library's own de-duplication.
    handler      -  The handling function (`{function}`, or an argument as text).
    """
)


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out = common(raw, rule, ctx)
    ack_mode = vocabulary(raw, "ack_mode", rule, ACK_MODES)
    redelivery = boolean(raw.get("redelivery"))
    max_deliveries = to_int(number(raw.get("max_deliveries")))
    if redelivery is None and ack_mode is not None:
        redelivery = ack_mode in REDELIVERING and max_deliveries != 1
    out["ack_mode"] = ack_mode
    out["redelivery"] = redelivery
    out["handler"] = text_or_none(raw.get("handler"))
    put_known(
        out,
        group=resolved_text(raw.get("group"), ctx),
        dead_letter=resolved_text(raw.get("dead_letter"), ctx),
        dedup=text_or_none(raw.get("dedup")),
        max_deliveries=max_deliveries,
    )
    return out


KIND = Kind(
    "message_consume",
    FIELDS,
    RAW,
    finalize,
    "A message consumer: which broker and topic/queue/task, the group, when messages are acknowledged, whether they can be redelivered, and the handler.",
    rule_page=("broker", "destination", "destination_kind", "group", "ack_mode", "redelivery", "dead_letter", "handler", "target"),
)
