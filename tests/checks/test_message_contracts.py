"""Contracts over messages: declared publishes/consumes joined to the code's message edges, and the
checks that compare them (drift both ways, idempotency, freshness against lag, exactly-once, event
streams), on hand-made facts and contract files written to a temporary repository."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from extractor.docs import schema_files
from extractor.report import graph_out

from .helpers import Facts, findings, locs, write
from .test_messages import consume, orders, publish

ORDERS = "orders/contracts/messages.yaml"
FRAUD = "fraud/contracts/messages.yaml"


def contracts(root: Path, orders_yaml: str | None = None, fraud_yaml: str | None = None) -> Path:
    files = {}
    if orders_yaml is not None:
        files[ORDERS] = orders_yaml
    if fraud_yaml is not None:
        files[FRAUD] = fraud_yaml
    return write(root, files)


def run(root: Path, facts: Facts, check: str) -> list[tuple]:
    found = findings(facts.analyse(root), check)
    return [(f.severity, f.status, f.services, f.subject, locs(f)) for f in found]


PUBLISHES = """\
service: orders
publishes:
  - topic: orders.placed
    broker: kafka
    event: OrderPlaced
    ordering_key: order_id
    delivery: at_least_once
    lag: 2s
  - topic: orders.cancelled
    broker: kafka
"""


def test_declared_and_code_edges_merge_with_provenance_and_declared_only_edges_are_dashed(tmp_path):
    contracts(tmp_path, PUBLISHES, "service: fraud\nconsumes:\n  - topic: orders.placed\n    group: fraud\n    freshness_required: <5s\n")
    graph = orders().analyse(tmp_path).graph
    assert list(graph.topics) == ["kafka/orders.cancelled", "kafka/orders.placed"]
    edges = {m.id: m for m in graph.messages}
    assert sorted(edges) == [
        "consume:kafka/orders.placed->fraud",
        "consume:kafka/orders.placed->mailer",
        "publish:orders->kafka/orders.cancelled",
        "publish:orders->kafka/orders.placed",
    ]
    placed = edges["publish:orders->kafka/orders.placed"]
    attrs = placed.attributes()
    assert [(s.value, str(s.location), s.origin) for s in attrs["publish"]] == [
        ("publish orders.placed in place_order", "orders/events.py:12", "code"),
        ("publish orders.placed (declared)", f"{ORDERS}:3", "declared"),
    ]
    assert [(s.value, str(s.location)) for s in attrs["lag"]] == [("2s", f"{ORDERS}:8")]
    assert [(s.value, str(s.location)) for s in attrs["delivery"]] == [("at_least_once", f"{ORDERS}:7")]
    assert [(s.value, str(s.location)) for s in attrs["acks"]] == [("all", "orders/events.py:12")]
    fraud = edges["consume:kafka/orders.placed->fraud"].attributes()  # no broker declared: the one topic of that name
    assert [(s.value, str(s.location), s.origin) for s in fraud["group"]] == [("fraud", "fraud/worker.py:20", "code"), ("fraud", f"{FRAUD}:4", "declared")]
    assert [(s.value, str(s.location)) for s in fraud["freshness_required"]] == [("<5s", f"{FRAUD}:5")]

    doc = graph_out.document(graph, "x")
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    by_id = {e["id"]: e for e in doc["edges"]}
    assert (by_id["publish:orders->kafka/orders.cancelled"]["declared"], by_id["publish:orders->kafka/orders.cancelled"]["in_code"]) == (True, False)
    assert (by_id["publish:orders->kafka/orders.placed"]["declared"], by_id["publish:orders->kafka/orders.placed"]["in_code"]) == (True, True)
    assert (by_id["consume:kafka/orders.placed->mailer"]["declared"], by_id["consume:kafka/orders.placed->mailer"]["in_code"]) == (False, True)
    dot = graph_out.to_dot(graph)
    assert '"service:orders" -> "topic:kafka/orders.cancelled" [label="publishes (declared)", style=dashed, color=blue];' in dot
    assert '"service:orders" -> "topic:kafka/orders.placed" [label="publishes\\nlag 2s\\nacks all", style=bold, color=blue];' in dot
    assert (
        '"topic:kafka/orders.placed" -> "service:fraud" [label="consumes\\nneeds <5s\\nack manual_commit\\nat-least-once, no dedup", style=bold, color=blue];'
        in dot
    )
    assert '-.->|"publishes (declared)"|' in graph_out.to_mermaid(graph)


def test_drift_both_ways(tmp_path):
    contracts(tmp_path, PUBLISHES, "service: fraud\n")
    facts = orders()
    publish(facts, "orders", "orders/events.py", 30, "orders.shipped", function="ship")
    analysis = facts.analyse(tmp_path)
    declared = findings(analysis, "messages.declared-not-in-code")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in declared] == [
        ("warning", "DRIFT", ("orders",), "kafka/orders.cancelled", [f"{ORDERS}:9"])
    ]
    assert declared[0].message == "orders declares that it publishes orders.cancelled but no publish to it was found in its code"
    undeclared = findings(analysis, "messages.undeclared-in-code")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in undeclared] == [
        ("warning", "DRIFT", ("fraud",), "kafka/orders.placed", [f"{FRAUD}:1", "fraud/worker.py:20"]),
        ("warning", "DRIFT", ("orders",), "kafka/orders.shipped", [f"{ORDERS}:1", "orders/events.py:30"]),
    ]
    assert (
        undeclared[1].message == "orders publishes topic orders.shipped (kafka) in code (publish orders.shipped in ship) but its contract does not declare it"
    )
    # mailer has no contract: left to contracts init
    assert all("mailer" not in f.services for f in undeclared)


def test_a_declared_flow_is_info_when_the_code_has_unresolved_destinations(tmp_path):
    contracts(tmp_path, PUBLISHES)
    facts = Facts().service("orders")
    publish(facts, "orders", "orders/events.py", 12, "orders.placed")
    publish(facts, "orders", "orders/events.py", 20, "{topic_for(order)}")
    assert run(tmp_path, facts, "messages.declared-not-in-code") == [
        ("info", "DRIFT", ("orders",), "kafka/orders.cancelled", [f"{ORDERS}:9", "orders/events.py:20"])
    ]


IDEMPOTENT = "service: fraud\nconsumes:\n  - topic: orders.placed\n    broker: kafka\n    idempotent: true\n    dedup_key: event_id\n    dedup_window: 24h\n"


def test_declared_idempotent_without_dedup_in_code(tmp_path):
    contracts(tmp_path / "a", fraud_yaml=IDEMPOTENT)
    found = findings(orders().analyse(tmp_path / "a"), "messages.idempotent-without-dedup")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in found] == [
        ("warning", "DRIFT", ("fraud",), "kafka/orders.placed", [f"{FRAUD}:5", f"{FRAUD}:6", "fraud/worker.py:20"])
    ]
    assert found[0].message == "fraud declares its consumer of orders.placed idempotent on event_id, but consume_orders shows no de-duplication"
    contracts(tmp_path / "b", fraud_yaml=IDEMPOTENT)
    analysis = orders(dedup_in="consume_orders").analyse(tmp_path / "b")
    assert findings(analysis, "messages.idempotent-without-dedup") == []
    assert findings(analysis, "messages.dedup-undeclared") == []


def test_dedup_in_code_with_a_silent_contract_is_info(tmp_path):
    contracts(tmp_path, fraud_yaml="service: fraud\nconsumes:\n  - topic: orders.placed\n")
    found = findings(orders(dedup_in="consume_orders").analyse(tmp_path), "messages.dedup-undeclared")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in found] == [
        ("info", "UNVERIFIED", ("fraud",), "kafka/orders.placed", [f"{FRAUD}:3", "fraud/worker.py:24"])
    ]
    assert "consume_orders checks event_id" in found[0].message


def test_consumer_freshness_against_producer_lag(tmp_path):
    need = "service: fraud\nconsumes:\n  - topic: orders.placed\n    broker: kafka\n    freshness_required: <1s\n"
    contracts(tmp_path / "late", PUBLISHES, need)
    found = findings(orders().analyse(tmp_path / "late"), "messages.freshness-vs-lag")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in found] == [
        ("error", "BLOCKS_INTEGRATION", ("orders", "fraud"), "kafka/orders.placed", [f"{FRAUD}:5", f"{ORDERS}:8"])
    ]
    assert found[0].message == "fraud needs messages of orders.placed within <1s; orders puts them on the topic up to 2s late"
    contracts(tmp_path / "ok", PUBLISHES, need.replace("<1s", "<5s"))
    assert findings(orders().analyse(tmp_path / "ok"), "messages.freshness-vs-lag") == []
    contracts(tmp_path / "silent", PUBLISHES.replace("    lag: 2s\n", ""), need)
    assert run(tmp_path / "silent", orders(), "messages.freshness-vs-lag") == [
        ("warning", "UNVERIFIED", ("orders", "fraud"), "kafka/orders.placed", [f"{FRAUD}:5", f"{ORDERS}:3"])
    ]


def test_exactly_once_expected_on_an_at_least_once_flow(tmp_path):
    expects = "service: fraud\nconsumes:\n  - topic: orders.placed\n    broker: kafka\n    delivery: exactly_once\n"
    contracts(tmp_path / "declared", PUBLISHES, expects)
    assert run(tmp_path / "declared", orders(), "messages.exactly-once-on-at-least-once") == [
        ("error", "BLOCKS_INTEGRATION", ("orders", "fraud"), "kafka/orders.placed", [f"{FRAUD}:5", "fraud/worker.py:20", f"{ORDERS}:7"])
    ]
    contracts(tmp_path / "code", "service: orders\npublishes:\n  - topic: orders.placed\n", expects)
    assert run(tmp_path / "code", orders(), "messages.exactly-once-on-at-least-once") == [
        ("warning", "AT_RISK", ("fraud",), "kafka/orders.placed", [f"{FRAUD}:5", "fraud/worker.py:20"])
    ]
    contracts(tmp_path / "auto", "service: orders\npublishes:\n  - topic: orders.placed\n", expects)
    assert run(tmp_path / "auto", orders(ack_mode="auto"), "messages.exactly-once-on-at-least-once") == []


STREAM = """\
service: orders
provides:
  - dataset: user_purchases
    via: event_stream
    freshness: 1-2s typical, 2s max
publishes:
  - topic: orders.placed
    broker: kafka
    dataset: user_purchases
    lag: 2s
"""
NEEDS = "service: fraud\ndata_dependencies:\n  - source: orders\n    dataset: user_purchases\n    freshness_required: <10s\n"


def test_an_event_stream_dataset_needs_a_producer(tmp_path):
    contracts(tmp_path / "none", STREAM.split("publishes:")[0])
    assert run(tmp_path / "none", orders(), "freshness.event-stream-producer") == [("warning", "UNVERIFIED", ("orders",), "user_purchases", [f"{ORDERS}:4"])]
    contracts(tmp_path / "gone", STREAM.replace("orders.placed", "orders.purchased"))
    found = findings(orders().analyse(tmp_path / "gone"), "freshness.event-stream-producer")
    assert [(f.severity, f.status, f.services, locs(f)) for f in found] == [("error", "DRIFT", ("orders",), [f"{ORDERS}:4", f"{ORDERS}:7"])]
    assert found[0].message == "orders provides user_purchases via event_stream on orders.purchased but its code publishes to none of them"
    contracts(tmp_path / "ok", STREAM)
    assert findings(orders().analyse(tmp_path / "ok"), "freshness.event-stream-producer") == []


def test_an_event_stream_dataset_is_read_from_the_stream_not_a_replica(tmp_path):
    contracts(tmp_path / "stream", STREAM, NEEDS)
    assert findings(orders().analyse(tmp_path / "stream"), "freshness.event-stream-consumer") == []

    contracts(tmp_path / "replica", STREAM, NEEDS)
    facts = orders()
    facts.add("replica_read", "fraud", "fraud/history.py", 9, "python.db.replica-url", source="orders-db-replica", dataset="user_purchases", mechanism="url")
    found = findings(facts.analyse(tmp_path / "replica"), "freshness.event-stream-consumer")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in found] == [
        ("error", "DRIFT", ("fraud", "orders"), "user_purchases", ["fraud/contracts/messages.yaml:3", "fraud/history.py:9", f"{ORDERS}:4"])
    ]

    contracts(tmp_path / "nothing", STREAM, NEEDS)
    facts = Facts().service("orders").service("fraud")
    publish(facts, "orders", "orders/events.py", 12, "orders.placed")
    consume(facts, "fraud", "fraud/worker.py", 20, "payments.settled", handler="h", ack_mode="auto")
    assert run(tmp_path / "nothing", facts, "freshness.event-stream-consumer") == [
        ("warning", "DRIFT", ("fraud", "orders"), "user_purchases", [f"{FRAUD}:3", f"{ORDERS}:7"])
    ]
