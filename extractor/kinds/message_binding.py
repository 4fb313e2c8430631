"""``message_binding``: a queue bound to an exchange (RabbitMQ ``QueueBind`` / ``queue_bind`` /
``bindQueue`` / ``queueBind``, Spring AMQP ``BindingBuilder``): messages published to the exchange
with a routing key the binding key matches are delivered to the queue. The graph joins a publish
to the exchange with the consumers of the queue through it (``graph.message_edges``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .convert import put_known, text_or_none
from .messages import COMMON_FIELDS, COMMON_RAW, common, resolved_text

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = COMMON_FIELDS + fields(
    """
    exchange     string?  req  The exchange the queue is bound to, as far as statically known.
    routing_key  string?  req  The binding key: a routing key, or a topic exchange's pattern (`*` one word, `#` any words); null when none is given (a fanout exchange delivers every message).
    function     string?  -    The function declaring the binding (dotted within its module).
    """
)

RAW = COMMON_RAW + raws(
    """
    function    -  The binding function (`{function}`).
    """
)


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out = common({k: v for k, v in raw.items() if k not in ("exchange", "routing_key")}, rule, ctx)
    out["exchange"] = resolved_text(raw.get("exchange"), ctx)
    out["routing_key"] = resolved_text(raw.get("routing_key"), ctx)
    put_known(out, function=text_or_none(raw.get("function")))
    return out


KIND = Kind(
    "message_binding",
    FIELDS,
    RAW,
    finalize,
    "A queue bound to an exchange with a binding key: what is published to the exchange with a matching routing key reaches the queue's consumers.",
    rule_page=("broker", "destination", "exchange", "routing_key", "target"),
)
