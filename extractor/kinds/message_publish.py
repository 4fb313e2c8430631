"""``message_publish``: a message sent to a broker (a Kafka topic, a RabbitMQ exchange or queue, a
Celery task), with the producer's delivery settings in force."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import durations
from .base import Kind, LinkContext, fields, raws
from .convert import ms_or_none, num, number, put_known, text_or_none, to_int
from .messages import COMMON_FIELDS, COMMON_RAW, boolean, common

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = COMMON_FIELDS + fields(
    """
    routing_key  string?   -      The AMQP routing key, when the code gives one.
    key          string?   -      The message key (Kafka partition/ordering key) as written, when given.
    acks         -         -      Producer acknowledgements required from the broker: 0 or 1 (numbers), all (Kafka; -1 is all), or {expr} when not known.
    idempotent   boolean?  -      Whether the producer de-duplicates its own retries (Kafka enable.idempotence).
    retries      integer?  -      How often the producer re-sends a message the broker did not acknowledge.
    reply        boolean?  -      True for a request: the publisher waits for the answer over the broker (NATS request, RPC call, request client).
    reply_timeout_ms  ms   -      How long a request waits for its answer, when the code says.
    function     string?   -      The function publishing (dotted within its module).
    """,
    acks={"type": ["string", "integer", "null"]},
)

RAW = COMMON_RAW + raws(
    """
    key         -  The message key.
    acks        -  Producer acks (`"all"`, `-1`, `1`, `0`).
    idempotent  -  The producer's idempotence setting (a boolean).
    retries     -  The producer's retry count.
    reply       -  True when the publisher waits for an answer (request/reply; a boolean).
    reply_timeout  units,bare  How long a request waits for its answer; bare: read with the rule's `timeout:` block (its unit and duration `functions:`, `Duration.ofSeconds(2)`).
    function    -  The publishing function (`{function}`).
    """
)


def acks_value(v: Any) -> str | int | None:
    """``all`` for all replicas (``-1``), else the number of acknowledgements; ``{expr}`` when unknown."""
    text = text_or_none(v)
    if text is None or text.startswith("{"):
        return text
    text = text.strip().lower()
    if text in ("-1", "all"):
        return "all"
    return int(text) if text.isdigit() else text


def reply_timeout_ms(raw: dict[str, Any], rule: Rule) -> int | float | None:
    """A request's timeout: a raw field with its unit, else the bare one read with the rule's ``timeout:`` block."""
    ms = ms_or_none(raw, "reply_timeout")
    spec = (rule.match or {}).get("timeout") or {}
    if ms is None and raw.get("reply_timeout") is not None and spec:
        found = durations.interpret(raw["reply_timeout"], spec).ms
        ms = None if found is None else num(found)
    return ms


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out = common(raw, rule, ctx)
    put_known(
        out,
        key=text_or_none(raw.get("key")),
        acks=acks_value(raw.get("acks")),
        idempotent=boolean(raw.get("idempotent")),
        retries=to_int(number(raw.get("retries"))),
        reply=boolean(raw.get("reply")),
        reply_timeout_ms=reply_timeout_ms(raw, rule),
        function=text_or_none(raw.get("function")),
    )
    return out


KIND = Kind(
    "message_publish",
    FIELDS,
    RAW,
    finalize,
    "A message published to a broker: which broker, which topic/queue/exchange/task, and the producer's acks, idempotence and retries.",
    rule_page=("broker", "destination", "destination_kind", "routing_key", "key", "acks", "idempotent", "retries", "target"),
)
