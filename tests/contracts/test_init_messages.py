"""`contracts init` over message flows: publishes/consumes entries written from the message facts, each
value with the code location it came from, and `--update` adding only the flows a contract lacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from extractor.contracts import load_contract_file, load_contract_text
from extractor.docs import schema_files

from ..conftest import FIXTURES
from .test_init import run, tree

EVENTS = FIXTURES / "monorepos" / "events"
WORKER = "fraud/fraud/worker.py"
KAFKA_PY = "python.messaging.kafka-python"


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "events"
    shutil.copytree(EVENTS, root)
    return root


def test_init_writes_publishes_and_consumes_with_their_provenance(repo):
    result = run("init", str(repo))
    assert result.exit_code == 0, result.output
    assert "orders: wrote orders/contracts/inferred.yaml (publishes rabbitmq emails, kafka orders.placed)" in result.stdout
    assert "notifications: wrote notifications/contracts/inferred.yaml (consumes rabbitmq emails)" in result.stdout
    orders = (repo / "orders/contracts/inferred.yaml").read_text("utf-8")
    assert (
        "publishes:\n"
        "  - topic: emails  # inferred: orders/orders/events.py:27 (python.messaging.pika); publish in request_confirmation_email\n"
        "    broker: rabbitmq  # inferred: orders/orders/events.py:27 (python.messaging.pika)\n"
        "    inferred: true\n"
    ) in orders
    assert f"  - topic: orders.placed  # inferred: orders/orders/events.py:21 ({KAFKA_PY}); publish in order_placed\n" in orders
    fraud = (repo / "fraud/contracts/inferred.yaml").read_text("utf-8")
    assert (
        "consumes:\n"
        f"  - topic: orders.placed  # inferred: {WORKER}:32 ({KAFKA_PY}); consume in run\n"
        f"    broker: kafka  # inferred: {WORKER}:32 ({KAFKA_PY})\n"
        f"    group: fraud  # inferred: {WORKER}:32 ({KAFKA_PY})\n"
        f"    delivery: at_least_once  # inferred: {WORKER}:32 ({KAFKA_PY}); ack mode manual_commit\n"
        f"    idempotent: true  # inferred: {WORKER}:21 (python.idempotency.handlers); handle checks event_id\n"
        f"    dedup_key: event_id  # inferred: {WORKER}:21 (python.idempotency.handlers)\n"
        "    inferred: true\n"
        "    # TODO dedup_window, freshness_required (not in code):"
    ) in fraud
    notifications = (repo / "notifications/contracts/inferred.yaml").read_text("utf-8")
    assert (
        "    delivery: at_least_once  # inferred: notifications/src/main/java/com/events/notifications/EmailListener.java:14 (java.messaging.spring-amqp); ack mode after_handler\n"
        in notifications
    )
    assert "idempotent" not in notifications.split("# TODO")[0]  # the listener shows no de-duplication: not claimed

    # what init wrote loads without errors, marked unconfirmed, and the graph joins it to the code
    (c,), errors = load_contract_file(repo / "fraud/contracts/inferred.yaml", "fraud/contracts/inferred.yaml")
    assert errors == []
    (sub,) = c.consumes
    assert (sub.topic, sub.broker, sub.group, sub.delivery, sub.idempotent, sub.dedup_key, sub.unconfirmed) == (
        "orders.placed",
        "kafka",
        "fraud",
        "at_least_once",
        True,
        "event_id",
        True,
    )
    check = run("check", str(repo), "--format", "json")
    found = {f["check"] for f in json.loads(check.output)["findings"]}
    assert "messages.undeclared-in-code" not in found and "messages.declared-not-in-code" not in found
    assert "messages.idempotent-without-dedup" not in found


def test_update_adds_only_the_missing_flow_and_a_second_update_changes_nothing(repo):
    hand = "service: orders\npublishes:\n  - topic: orders.placed  # the stream fraud reads\n    broker: kafka\n    lag: 2s\n"
    (repo / "orders/contracts").mkdir()
    (repo / "orders/contracts/messages.yaml").write_text(hand, encoding="utf-8")
    result = run("init", "--update", str(repo), "--service", "orders")
    assert result.exit_code == 0, result.output
    text = (repo / "orders/contracts/messages.yaml").read_text("utf-8")
    assert text.startswith(hand)
    assert text[len(hand) :].startswith(
        "  - topic: emails  # inferred: orders/orders/events.py:27 (python.messaging.pika); publish in request_confirmation_email\n"
        "    broker: rabbitmq  # inferred: orders/orders/events.py:27 (python.messaging.pika)\n"
        "    inferred: true\n"
    )
    (c,), errors = load_contract_text(text, "orders/contracts/messages.yaml")
    assert errors == []
    assert [(p.topic, p.broker, p.unconfirmed) for p in c.publishes] == [("orders.placed", "kafka", False), ("emails", "rabbitmq", True)]
    assert "orders: added to orders/contracts/messages.yaml (publishes rabbitmq emails)" in result.stdout
    first = tree(repo)
    again = run("init", "--update", str(repo), "--service", "orders")
    assert again.exit_code == 0 and tree(repo) == first


def test_init_json_lists_the_message_sections(repo):
    result = run("init", "--dry-run", "--format", "json", str(repo))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc, json.loads(schema_files()["init.v1.schema.json"]))
    added = sorted((s["service"], a["section"], a["entry"]) for s in doc["services"] for a in s.get("added", []))
    assert added == [
        ("fraud", "consumes", "kafka orders.placed"),
        ("fraud", "operations", "handle"),
        ("notifications", "consumes", "rabbitmq emails"),
        ("orders", "publishes", "kafka orders.placed"),
        ("orders", "publishes", "rabbitmq emails"),
    ]
