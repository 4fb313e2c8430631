"""The messages layer of the graph (producer → topic → consumer) and messages.redelivery-without-dedup,
on hand-made facts: what joins a publisher with a consumer, and when a redelivering consumer is a finding."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from extractor.docs import schema_files
from extractor.report import graph_out

from .helpers import Facts, findings, locs

CHECK = "messages.redelivery-without-dedup"
TARGET = {"service": None, "host": "kafka", "port": 9092, "via": "url_literal", "expr": "'kafka:9092'"}


def publish(facts: Facts, service: str, file: str, line: int, destination: str | None, broker: str = "kafka", **extra: Any) -> None:
    facts.add(
        "message_publish",
        service,
        file,
        line,
        "python.messaging.kafka-python",
        library="kafka-python",
        broker=broker,
        destination=destination,
        destination_kind="task" if broker == "celery" else "topic",
        target=TARGET,
        **extra,
    )


def consume(
    facts: Facts, service: str, file: str, line: int, destination: str | None, *, handler: str, ack_mode: str, broker: str = "kafka", **extra: Any
) -> None:
    facts.add(
        "message_consume",
        service,
        file,
        line,
        "python.messaging.kafka-python",
        scope=handler,
        library="kafka-python",
        broker=broker,
        destination=destination,
        destination_kind="task" if broker == "celery" else "topic",
        target=TARGET,
        ack_mode=ack_mode,
        redelivery=ack_mode != "auto",
        handler=handler,
        **extra,
    )


def orders(dedup_in: str | None = None, ack_mode: str = "manual_commit", **extra: Any) -> Facts:
    facts = Facts().service("orders").service("fraud").service("mailer")
    publish(facts, "orders", "orders/events.py", 12, "orders.placed", acks="all", function="place_order")
    consume(facts, "fraud", "fraud/worker.py", 20, "orders.placed", handler="consume_orders", ack_mode=ack_mode, group="fraud", **extra)
    consume(facts, "mailer", "mailer/worker.py", 8, "orders.placed", handler="on_order", ack_mode="auto")
    if dedup_in is not None:
        facts.add(
            "idempotency_key",
            "fraud",
            "fraud/worker.py",
            24,
            "python.idempotency.handlers",
            scope=dedup_in,
            key="event_id",
            source="field",
            store="redis",
            handler=dedup_in,
        )
    return facts


def test_publisher_topic_consumer_edges_with_their_layer(tmp_path):
    analysis = orders().analyse(tmp_path)
    graph = analysis.graph
    assert list(graph.topics) == ["kafka/orders.placed"]
    assert [(m.id, m.source, m.target) for m in graph.messages] == [
        ("publish:orders->kafka/orders.placed", "service:orders", "topic:kafka/orders.placed"),
        ("consume:kafka/orders.placed->fraud", "topic:kafka/orders.placed", "service:fraud"),
        ("consume:kafka/orders.placed->mailer", "topic:kafka/orders.placed", "service:mailer"),
    ]
    assert graph.nx.has_edge("service:orders", "topic:kafka/orders.placed") and graph.nx.has_edge("topic:kafka/orders.placed", "service:fraud")
    doc = graph_out.document(graph, "x")
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    topic = next(n for n in doc["nodes"] if n["kind"] == "topic")
    assert topic == {
        "id": "topic:kafka/orders.placed",
        "kind": "topic",
        "name": "kafka/orders.placed",
        "broker": "kafka",
        "destination_kind": "topic",
        "layer": "messages",
    }
    fraud = next(e for e in doc["edges"] if e["id"] == "consume:kafka/orders.placed->fraud")
    assert fraud["layer"] == "messages" and fraud["in_code"] and not fraud["declared"]
    assert [v["value"] for v in fraud["attributes"]["ack_mode"]] == ["manual_commit"]
    assert [v["value"] for v in fraud["attributes"]["redelivery"]] == [True]
    pub = next(e for e in doc["edges"] if e["kind"] == "publish")
    assert [(v["value"], v["file"], v["line"]) for v in pub["attributes"]["acks"]] == [("all", "orders/events.py", 12)]
    assert "topic:kafka/orders.placed" in graph_out.to_dot(graph) and "style=bold, color=blue" in graph_out.to_dot(graph)
    assert '>"kafka/orders.placed"]' in graph_out.to_mermaid(graph)


def test_a_redelivering_consumer_without_dedup_is_a_warning_naming_both_sides(tmp_path):
    found = findings(orders().analyse(tmp_path), CHECK)
    assert len(found) == 1
    f = found[0]
    assert (f.severity, f.status, f.kind, f.services, f.subject) == ("warning", "AT_RISK", "messages", ("orders", "fraud"), "kafka/orders.placed")
    assert locs(f) == ["fraud/worker.py:20", "orders/events.py:12"]
    assert [(s.service, s.text) for s in f.sides] == [
        ("orders", "publishes to topic orders.placed (kafka)"),
        ("fraud", "consumes topic orders.placed (kafka) at least once (manual_commit), no de-duplication in consume_orders"),
    ]
    assert "fraud consumes topic orders.placed (kafka), published by orders" in f.message


def test_a_handler_that_checks_a_key_is_not_reported_and_the_graph_shows_where(tmp_path):
    analysis = orders(dedup_in="consume_orders").analyse(tmp_path)
    assert findings(analysis, CHECK) == []
    edge = next(m for m in analysis.graph.messages if m.service == "fraud")
    assert [(d.value, str(d.location)) for d in edge.attributes()["dedup"]] == [("consume_orders checks event_id", "fraud/worker.py:24")]


def test_a_key_checked_in_another_function_does_not_count_without_reach(tmp_path):
    assert len(findings(orders(dedup_in="unrelated").analyse(tmp_path), CHECK)) == 1


def test_a_library_that_de_duplicates_is_not_reported(tmp_path):
    assert findings(orders(dedup="exactly-once processing").analyse(tmp_path), CHECK) == []


def test_no_redelivery_or_no_publisher_is_not_reported(tmp_path):
    assert findings(orders(ack_mode="auto").analyse(tmp_path / "a"), CHECK) == []
    facts = Facts().service("fraud")
    consume(facts, "fraud", "fraud/worker.py", 20, "orders.placed", handler="consume_orders", ack_mode="manual_commit")
    assert findings(facts.analyse(tmp_path / "b"), CHECK) == []


def test_other_topics_and_brokers_do_not_meet(tmp_path):
    facts = Facts().service("orders").service("fraud")
    publish(facts, "orders", "orders/events.py", 12, "orders.placed")
    consume(facts, "fraud", "fraud/worker.py", 20, "orders.updated", handler="h", ack_mode="manual_commit")
    consume(facts, "fraud", "fraud/worker.py", 30, "orders.placed", handler="h2", ack_mode="manual", broker="rabbitmq")
    analysis = facts.analyse(tmp_path)
    assert sorted(analysis.graph.topics) == ["kafka/orders.placed", "kafka/orders.updated", "rabbitmq/orders.placed"]
    assert findings(analysis, CHECK) == []


def test_a_celery_task_sent_by_its_full_name_meets_the_task_named_by_its_function(tmp_path):
    facts = Facts().service("shop").service("billing")
    publish(facts, "shop", "shop/checkout.py", 5, "billing.tasks.charge", broker="celery")
    consume(facts, "billing", "billing/tasks.py", 9, "charge", handler="charge", ack_mode="after_handler", broker="celery")
    analysis = facts.analyse(tmp_path)
    assert list(analysis.graph.topics) == ["celery/charge"]
    found = findings(analysis, CHECK)
    assert [(f.services, f.subject) for f in found] == [(("shop", "billing"), "celery/charge")]


def test_destinations_not_known_statically_meet_only_in_their_own_service(tmp_path):
    facts = Facts().service("orders").service("fraud")
    publish(facts, "orders", "orders/events.py", 12, "{topic_for(order)}")
    publish(facts, "orders", "orders/events.py", 14, None)
    consume(facts, "fraud", "fraud/worker.py", 20, "{topic_for(order)}", handler="h", ack_mode="manual_commit")
    consume(facts, "fraud", "fraud/worker.py", 30, None, handler="h2", ack_mode="manual_commit")
    consume(facts, "orders", "orders/audit.py", 5, "{topic_for(order)}", handler="audit", ack_mode="manual_commit")
    analysis = facts.analyse(tmp_path)
    assert sorted(analysis.graph.topics) == [
        "kafka/unknown@fraud",
        "kafka/unknown@orders",
        "kafka/{topic_for(order)}@fraud",
        "kafka/{topic_for(order)}@orders",
    ]
    doc = graph_out.document(analysis.graph, "x")
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    found = findings(analysis, CHECK)
    assert [(f.services, f.subject) for f in found] == [(("orders",), "kafka/{topic_for(order)}@orders")]
