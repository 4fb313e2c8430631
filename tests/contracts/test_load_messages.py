"""publishes / consumes in contract files: every value reaches the model with its line, and every
mistake is an error at its file:line, worded like the loader's other errors."""

from __future__ import annotations

from extractor.contracts import load_contract_text
from extractor.contracts.model import Location

TEXT = """\
service: orders
publishes:
  - topic: orders.placed
    broker: kafka
    event: OrderPlaced
    ordering_key: order_id
    delivery: at_least_once
    lag: 2s
    dataset: user_purchases
consumes:
  - topic: payments.settled
    broker: rabbitmq
    group: orders
    delivery: at_most_once
    idempotent: true
    dedup_key: payment_id
    dedup_window: 1h
    freshness_required: <5s
    dead_letter: payments.settled.dlq
"""


def test_publishes_and_consumes_reach_the_model_with_their_lines():
    (c,), errors = load_contract_text(TEXT, "m.yaml")
    assert errors == []
    (p,) = c.publishes
    assert (p.topic, p.broker, p.event, p.ordering_key, p.delivery, p.lag.ms, p.dataset, p.unconfirmed) == (
        "orders.placed",
        "kafka",
        "OrderPlaced",
        "order_id",
        "at_least_once",
        2000,
        "user_purchases",
        False,
    )
    assert (p.location, p.where("lag"), p.where("delivery")) == (Location("m.yaml", 3), Location("m.yaml", 8), Location("m.yaml", 7))
    (s,) = c.consumes
    assert (s.topic, s.broker, s.group, s.delivery, s.idempotent, s.dedup_key, s.dedup_window.ms, str(s.freshness_required), s.dead_letter) == (
        "payments.settled",
        "rabbitmq",
        "orders",
        "at_most_once",
        True,
        "payment_id",
        3_600_000,
        "<5s",
        "payments.settled.dlq",
    )
    assert s.where("freshness_required") == Location("m.yaml", 18)
    assert s.key == ("rabbitmq", "payments.settled")  # one entry per topic: the group is not part of it


def test_mistakes_are_errors_at_their_lines_in_full():
    text = (
        "service: orders\n"
        "publishes:\n"
        "  - topic: orders.placed\n"
        "    delivery: exactly_one\n"
        "    broker: kafak\n"
        "    lag: -2s\n"
        "consumes:\n"
        "  - topic: refunds\n"
        "    idempotent: true\n"
        "    dedup_windw: 1h\n"
        "  - group: orders\n"
    )
    _, errors = load_contract_text(text, "m.yaml")
    assert [str(e) for e in errors] == [
        'm.yaml:4: publishes[0].delivery: expected one of at_least_once, at_most_once, exactly_once, got "exactly_one"; did you mean "exactly_once"?',
        'm.yaml:5: publishes[0].broker: expected one of kafka, rabbitmq, sqs, sns, pubsub, nats, redis, celery, servicebus, eventbus, got "kafak"; did you mean "kafka"?',
        'm.yaml:6: publishes[0].lag: expected a duration like 500ms or 2s, got "-2s"',
        "m.yaml:9: consumes[0].idempotent: idempotent: true needs dedup_key (the message id or business key the consumer de-duplicates on)",
        'm.yaml:10: consumes[0]: unknown key "dedup_windw"; did you mean "dedup_window"? (allowed: topic, broker, group, event, delivery, idempotent, dedup_key, dedup_window, freshness_required, dead_letter, dataset, inferred)',
        'm.yaml:11: consumes[1]: missing key "topic"',
    ]
    assert [e.kind for e in errors] == ["value", "value", "value", "missing", "unknown_key", "missing"]


def test_a_second_consumes_entry_for_one_topic_is_a_duplicate_at_its_line():
    """The graph joins one declared entry per (service, topic); a second one (another group) would be
    dropped silently there, so the loader reports it."""
    text = (
        "service: fraud\nconsumes:\n  - topic: orders.placed\n    broker: kafka\n    group: a\n"
        "  - topic: orders.placed\n    broker: kafka\n    group: b\n    idempotent: true\n    dedup_key: event_id\n"
    )
    (c,), errors = load_contract_text(text, "f.yaml")
    assert [s.group for s in c.consumes] == ["a"]
    assert [(e.file, e.line, e.kind) for e in errors] == [("f.yaml", 6, "duplicate")]
    assert "duplicate entry for kafka.orders.placed of service fraud; first declared at f.yaml:3" in errors[0].message
