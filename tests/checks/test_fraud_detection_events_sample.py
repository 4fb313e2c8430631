"""fixtures/monorepos/fraud-detection-events: the fraud-detection sample with the spec's resolution of
its freshness conflict ("orders publishes an event stream"). Its graph's message and data layers and
its findings, exactly; and the event-stream check firing when risk goes back to the replica."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pytest

from extractor.docs import schema_files

from ..conftest import REPO
from .helpers import analyse_repo, findings, locs
from .test_sample import SNAPSHOTS, run

SAMPLE = "fixtures/monorepos/fraud-detection-events"
ORDERS = "orders-service/contracts/data.yaml"
RISK = "risk-service/contracts/data.yaml"


@pytest.fixture(scope="module")
def reports():
    return run("check", SAMPLE, "--jobs", "1", "--format", "json"), run("graph", SAMPLE, "--jobs", "1")


def _values(edge: dict) -> dict[str, list[tuple]]:
    return {k: [(v["value"], f"{v['file']}:{v['line']}", v["origin"]) for v in vs] for k, vs in edge["attributes"].items()}


def test_the_stream_in_the_graph(reports):
    _, graph = reports
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    assert [n["id"] for n in doc["nodes"] if n["kind"] == "topic"] == ["topic:kafka/orders.placed"]
    edges = {e["id"]: e for e in doc["edges"] if e["layer"] == "messages"}
    assert sorted((e["kind"], e["source"], e["target"], e["declared"], e["in_code"]) for e in edges.values()) == [
        ("consume", "topic:kafka/orders.placed", "service:risk", True, True),
        ("publish", "service:orders", "topic:kafka/orders.placed", True, True),
    ]
    events = "orders-service/orders/events.py:19"
    assert _values(edges["publish:orders->kafka/orders.placed"]) == {
        "publish": [("publish orders.placed in purchase_placed", events, "code"), ("publish orders.placed (declared)", f"{ORDERS}:8", "declared")],
        "acks": [("all", events, "code")],
        "idempotent": [(True, events, "code")],
        "event": [("PurchasePlaced", f"{ORDERS}:10", "declared")],
        "ordering_key": [("user_id", f"{ORDERS}:11", "declared")],
        "delivery": [("at_least_once", f"{ORDERS}:12", "declared")],
        "lag": [("2s", f"{ORDERS}:13", "declared")],
        "dataset": [("user_purchases", f"{ORDERS}:14", "declared")],
    }
    history = "risk-service/risk/history.py"
    assert _values(edges["consume:kafka/orders.placed->risk"]) == {
        "consume": [("consume orders.placed in consume_purchases", f"{history}:29", "code"), ("consume orders.placed (declared)", f"{RISK}:10", "declared")],
        "group": [("risk-velocity", f"{history}:29", "code"), ("risk-velocity", f"{RISK}:12", "declared")],
        "ack_mode": [("manual_commit", f"{history}:29", "code")],
        "redelivery": [(True, f"{history}:29", "code")],
        "dedup": [("record checks event_id", f"{history}:16", "code")],
        "event": [("PurchasePlaced", f"{RISK}:13", "declared")],
        "delivery": [("at_least_once", f"{RISK}:14", "declared")],
        "idempotent": [(True, f"{RISK}:15", "declared")],
        "dedup_key": [("event_id", f"{RISK}:16", "declared")],
        "dedup_window": [("24h", f"{RISK}:17", "declared")],
        "freshness_required": [("<10s", f"{RISK}:18", "declared")],
        "dataset": [("user_purchases", f"{RISK}:19", "declared")],
    }
    data = {e["id"]: e for e in doc["edges"] if e["layer"] == "data"}
    risk_read = data["read:risk->user_purchases"]
    assert (risk_read["declared"], risk_read["in_code"]) == (True, False)  # no replica read any more
    assert "replica_read" not in risk_read["attributes"]
    assert _values(risk_read)["via"] == [("event_stream", f"{ORDERS}:5", "declared")]


def test_the_freshness_conflict_is_resolved_and_the_rest_stays(reports):
    data, _ = reports
    doc = json.loads(data.output)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    found = [(f["check"], f["severity"], tuple(f["services"]), f["subject"]) for f in doc["findings"]]
    original = json.loads((SNAPSHOTS / "fraud-detection.check.json").read_text("utf-8"))
    before = [(f["check"], f["severity"], tuple(f["services"]), f["subject"]) for f in original["findings"]]
    resolved = [
        ("freshness.dataset", "error", ("risk", "orders"), "user_purchases"),
        ("drift.replica-read", "error", ("risk", "orders"), "user_purchases"),
    ]
    assert all(r in before for r in resolved)
    assert found == [f for f in before if f not in resolved]
    assert not [f for f in found if f[0].startswith("messages.") or f[0].startswith("freshness.")]
    assert data.exit_code == 1  # the other errors of the original (latency, idempotency, access, drift) remain


def test_going_back_to_the_replica_is_reported(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(REPO / SAMPLE, root)
    (root / "risk-service/risk/history.py").write_text((REPO / "fixtures/monorepos/fraud-detection/risk-service/risk/history.py").read_text("utf-8"), "utf-8")
    (root / "risk-service/risk/config.py").write_text('import os\n\nORDERS_DB_URL = os.environ["ORDERS_REPLICA_URL"]\n', "utf-8")
    compose = (root / "docker-compose.yml").read_text("utf-8")
    (root / "docker-compose.yml").write_text(
        compose.replace("      REDIS_HOST: redis\n", "      ORDERS_REPLICA_URL: postgresql://risk_ro@orders-db-replica:5432/orders\n"), "utf-8"
    )
    analysis = analyse_repo(root)
    found = findings(analysis, "freshness.event-stream-consumer")
    assert [(f.severity, f.status, f.services, f.subject, locs(f)) for f in found] == [
        ("error", "DRIFT", ("risk", "orders"), "user_purchases", [f"{ORDERS}:5", f"{RISK}:4", "risk-service/risk/history.py:11"])
    ]
    assert found[0].message.startswith("orders offers user_purchases as an event stream, but risk reads it through a replica (risk-service/risk/history.py:11)")
    # its consumer is gone too: the contract's consumes entry now has no code
    gone = findings(analysis, "messages.declared-not-in-code")
    assert [(f.severity, f.services, f.subject, locs(f)) for f in gone] == [("warning", ("risk",), "kafka/orders.placed", [f"{RISK}:10"])]
