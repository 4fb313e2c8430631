"""fixtures/monorepos/events end to end: a Kafka flow whose consumer de-duplicates and a RabbitMQ flow
whose consumer does not; the graph's message layer and the findings, exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import jsonschema
import pytest

from extractor.docs import schema_files

from .test_sample import run

SAMPLE = "fixtures/monorepos/events"


@pytest.fixture(scope="module")
def reports():
    return run("check", SAMPLE, "--jobs", "1", "--format", "json"), run("graph", SAMPLE, "--jobs", "1")


def _values(edge: dict, name: str) -> list:
    return [(v["value"], f"{v['file']}:{v['line']}") for v in edge["attributes"].get(name, [])]


def test_the_message_layer(reports):
    _, graph = reports
    assert graph.exit_code == 0
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    topics = [(n["id"], n["broker"], n["destination_kind"], n["layer"]) for n in doc["nodes"] if n["kind"] == "topic"]
    assert topics == [("topic:kafka/orders.placed", "kafka", "topic", "messages"), ("topic:rabbitmq/emails", "rabbitmq", "queue", "messages")]
    edges = {e["id"]: e for e in doc["edges"] if e["layer"] == "messages"}
    assert sorted((e["kind"], e["source"], e["target"]) for e in edges.values()) == [
        ("consume", "topic:kafka/orders.placed", "service:fraud"),
        ("consume", "topic:rabbitmq/emails", "service:notifications"),
        ("publish", "service:orders", "topic:kafka/orders.placed"),
        ("publish", "service:orders", "topic:rabbitmq/emails"),
    ]
    others = sorted((e["layer"], e["kind"], e["source"], e["target"]) for e in doc["edges"] if e["layer"] != "messages")
    assert others == [("data", "store", "service:fraud", "store:redis/redis")]  # the services talk through brokers only; fraud's dedup store

    kafka_pub = edges["publish:orders->kafka/orders.placed"]
    assert _values(kafka_pub, "publish") == [("publish orders.placed in order_placed", "orders/orders/events.py:21")]
    assert _values(kafka_pub, "acks") == [("all", "orders/orders/events.py:21")]
    assert _values(kafka_pub, "idempotent") == [(True, "orders/orders/events.py:21")]

    fraud = edges["consume:kafka/orders.placed->fraud"]
    assert _values(fraud, "group") == [("fraud", "fraud/fraud/worker.py:32")]
    assert _values(fraud, "ack_mode") == [("manual_commit", "fraud/fraud/worker.py:32")]
    assert _values(fraud, "redelivery") == [(True, "fraud/fraud/worker.py:32")]
    assert _values(fraud, "dedup") == [("handle checks event_id", "fraud/fraud/worker.py:21")]  # run → handle, through the call index

    # the queue comes from EMAILS_QUEUE: compose's value over the code's default, and through application.yml's placeholder
    rabbit_pub = edges["publish:orders->rabbitmq/emails"]
    assert _values(rabbit_pub, "routing_key") == [("emails", "orders/orders/events.py:27")]
    notifications = edges["consume:rabbitmq/emails->notifications"]
    listener = "notifications/src/main/java/com/events/notifications/EmailListener.java:14"
    assert _values(notifications, "consume") == [("consume emails in EmailListener.onEmailRequest", listener)]
    assert _values(notifications, "ack_mode") == [("after_handler", listener)]
    assert "dedup" not in notifications["attributes"]


def test_the_findings(reports):
    data, _ = reports
    assert data.exit_code == 0  # a warning does not fail the default --fail-on error
    doc = json.loads(data.output)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    found = [
        (f["check"], f["severity"], f["status"], tuple(f["services"]), f["subject"], [(l["file"], l["line"], l.get("rule")) for l in f["locations"]])
        for f in doc["findings"]
    ]
    assert found == [
        (
            "messages.redelivery-without-dedup",
            "warning",
            "AT_RISK",
            ("orders", "notifications"),
            "rabbitmq/emails",
            [
                ("notifications/src/main/java/com/events/notifications/EmailListener.java", 14, "java.messaging.spring-amqp"),
                ("orders/orders/events.py", 27, "python.messaging.pika"),
            ],
        )
    ]


@pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CONTRACTS_REQUIRE_GRAPHVIZ"), reason="Graphviz is not installed (.ci/run installs it)")
def test_the_message_flows_render_with_graphviz():
    dot = run("graph", SAMPLE, "--jobs", "1", "--format", "dot")
    assert '"service:orders" -> "topic:rabbitmq/emails"' in dot.output
    assert '"topic:rabbitmq/emails" -> "service:notifications" [label="consumes\\nack after_handler\\nat-least-once, no dedup"' in dot.output
    assert '"topic:kafka/orders.placed" -> "service:fraud" [label="consumes\\nack manual_commit\\nat-least-once, dedup"' in dot.output
    out = subprocess.run(["dot", "-Tsvg"], input=dot.output, capture_output=True, text=True, check=True)
    assert "kafka/orders.placed" in out.stdout
