"""What ``message_publish`` and ``message_consume`` share: the broker, the destination (topic, queue,
exchange, task) resolved like a URL, the broker address as a target, and the reading of both.

A destination is text as far as it is known statically: a literal, a constant, an environment
variable's value in the service's deployment files (else its default in code), a configuration
placeholder the link stage resolved; unknown parts stay ``{expr}``. An AMQP publish to the default
exchange (``exchange=""``) goes to the queue its routing key names, so the destination is that queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..targets import resolve_target
from ..values import Env, Seq, strip
from .base import LinkContext, fields, raws
from .convert import scalar, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

BROKERS = ("kafka", "rabbitmq", "sqs", "sns", "pubsub", "nats", "redis", "celery", "servicebus", "eventbus")
DESTINATION_KINDS = ("topic", "queue", "exchange", "task", "stream", "subject")

COMMON_FIELDS = fields(
    """
    library           string?  req  The client library (the rule's `library`).
    broker            -        req  The messaging system.
    destination       string?  req  The topic, queue, exchange or task name as far as statically known (constants, configuration, deployment env resolved; unknown parts as {expr}).
    destination_kind  -        req  What the destination names.
    target            target   req  The broker's address (bootstrap servers, AMQP URL) and the service of this repository it names, if any.
    """,
    broker={"enum": [*BROKERS, None]},
    destination_kind={"enum": [*DESTINATION_KINDS, None]},
)

COMMON_RAW = raws(
    """
    broker            -  The messaging system (a constant: kafka, rabbitmq, sqs, sns, pubsub, nats, redis, celery, servicebus, eventbus).
    destination       -  The topic, queue or task name; a list gives its first item.
    destination_kind  -  topic, queue, exchange, task, stream, subject (a constant).
    exchange          -  An AMQP exchange: the destination when not empty; `""` (the default exchange) makes the routing key's queue the destination.
    routing_key       -  An AMQP routing key (also the queue of the default exchange).
    servers           -  The broker address (a URL, `host:port`, or a list of them: the first is resolved) → `target`.
    """
)


def _first(v: Any) -> Any:
    s = strip(v) if v is not None else None
    if isinstance(s, Seq):
        return s.items[0] if s.items else None
    if s is not None and hasattr(s, "value") and isinstance(s.value, (list, tuple)):  # a constant list in a rule
        return s.value[0] if s.value else None
    return v


def resolved_text(v: Any, ctx: LinkContext) -> str | None:
    """A name as text: an env var's value in the service's deployment files first, else as written (None: None)."""
    v = _first(v)
    s = strip(v) if v is not None else None
    if isinstance(s, Env):
        deployed = ctx.book.env_value(ctx.service or "", s.var)
        if deployed is not None:
            return deployed
    return text_or_none(v)


def boolean(v: Any) -> bool | None:
    """True/False from a literal of any language (``True``, ``"true"``, ``1``); None when unknown."""
    x = scalar(v) if v is not None else None
    if isinstance(x, bool):
        return x
    if isinstance(x, (int, float)):
        return bool(x)
    if isinstance(x, str) and x.strip().lower() in ("true", "false"):
        return x.strip().lower() == "true"
    return None


def vocabulary(raw: dict[str, Any], name: str, rule: Rule, allowed: tuple[str, ...]) -> str | None:
    """A raw value read in the library's spelling: the rule's ``options: {<name>s: {spelling: word}}``
    maps it (case-insensitive) to one of ``allowed``; a word already in ``allowed`` stands."""
    if raw.get(name) is None:
        return None
    text = text_or_none(raw[name])
    if text is None or text.startswith("{"):
        return None
    table = {str(k).lower(): str(v) for k, v in (rule.options.get(name + "s") or {}).items()}
    word = table.get(text.lower(), text.lower())
    return word if word in allowed else None


def common(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    """The shared public fields from the raw ones."""
    broker = text_or_none(raw.get("broker"))
    kind = text_or_none(raw.get("destination_kind"))
    destination = resolved_text(raw.get("destination"), ctx)
    routing_key = resolved_text(raw.get("routing_key"), ctx)
    if raw.get("exchange") is not None and destination is None:
        exchange = resolved_text(raw["exchange"], ctx)
        if exchange:  # a named exchange
            destination, kind = exchange, "exchange"
        elif exchange == "" and routing_key:  # the default exchange delivers to the queue named by the routing key
            destination, kind = routing_key, "queue"
    servers = _first(raw.get("servers"))
    target = resolve_target(ctx.book, ctx.service, servers)
    out: dict[str, Any] = {
        "library": rule.library or None,
        "broker": broker if broker in BROKERS else None,
        "destination": destination,
        "destination_kind": kind if kind in DESTINATION_KINDS else None,
        "target": target.to_json(),
    }
    if routing_key is not None:
        out["routing_key"] = routing_key
    return out
