"""The dependency graph: declared and code merged per edge, JSON by schema, DOT that Graphviz renders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import jsonschema
import pytest

from extractor.docs import schema_files
from extractor.report import graph_out

from ..conftest import REPO
from .helpers import analyse_repo, write

SAMPLE = REPO / "fixtures" / "monorepos" / "fraud-detection"


@pytest.fixture(scope="module")
def sample():
    return analyse_repo(SAMPLE)


def edge(graph, edge_id):
    return next(e for e in graph.calls if e.id == edge_id)


def test_a_declared_operation_meets_the_code_call_to_its_handler(sample):
    e = edge(sample.graph, "call:checkout->risk:scoreTransaction")
    assert e.match == "operation name"
    assert [c.url for c in e.calls] == ["http://risk:8080/v1/score"]
    assert [(s.value, s.origin, str(s.location)) for s in e.timeouts()] == [
        (500.0, "declared", "checkout-service/contracts/dependencies.yaml:10"),
        (5000.0, "code", "checkout-service/checkout/fraud.py:20"),
    ]
    assert [(s.value, s.origin) for s in e.attempts()] == [(1, "declared"), (3, "code")]
    assert e.provided.operation == "scoreTransaction"
    assert [ep.handler for ep in e.provider_endpoints] == ["score_transaction"]


def test_calls_without_a_declaration_and_to_external_hosts_are_edges_too(sample):
    ids = [e.id for e in sample.graph.calls]
    assert "call:checkout->payment:authorize" in ids
    assert "call:support->risk:fraud_score" in ids
    assert "call:risk->api.fraud-signals.example.com:*" in ids
    assert sample.graph.hosts == ["api.fraud-signals.example.com", "device-intel.internal", "gateway.payments.example.com"]


def test_a_replica_read_joins_the_declared_data_dependency(sample):
    read = next(r for r in sample.graph.reads if r.reader == "risk")
    assert (read.dataset, read.provider) == ("user_purchases", "orders")
    assert read.declared is not None and read.provided is not None
    assert [str(r.location) for r in read.replica_reads] == ["risk-service/risk/history.py:11"]


def test_networkx_holds_the_topology(sample):
    g = sample.graph.nx
    assert g.has_edge("service:checkout", "service:risk")
    assert g.has_edge("service:risk", "dataset:user_purchases")
    assert g.nodes["host:device-intel.internal"]["kind"] == "external"


def test_graph_json_follows_its_schema_and_is_deterministic(sample):
    doc = graph_out.document(sample.graph, "sample")
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    again = graph_out.document(analyse_repo(SAMPLE).graph, "sample")
    assert json.dumps(doc) == json.dumps(again)


@pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CONTRACTS_REQUIRE_GRAPHVIZ"), reason="Graphviz is not installed (.ci/run installs it)")
def test_dot_renders_with_graphviz(sample):
    out = subprocess.run(["dot", "-Tsvg"], input=graph_out.to_dot(sample.graph), capture_output=True, text=True, check=True)
    assert "<svg" in out.stdout and "scoreTransaction" in out.stdout


def test_mermaid_names_every_node_once(sample):
    text = graph_out.to_mermaid(sample.graph)
    assert text.startswith("flowchart LR\n")
    assert text.count('["risk"]') == 1
    assert '[("user_purchases")]' in text


def test_a_declared_short_name_resolves_to_the_directory_service(tmp_path):
    root = write(
        tmp_path,
        {
            "checkout/contracts/deps.yaml": "service: checkout\ndepends_on:\n  - service: payment\n",
            "payment-service/setup.py": "from setuptools import setup\n",
        },
    )
    (e,) = analyse_repo(root).graph.calls
    assert (e.caller, e.callee) == ("checkout", "payment-service")


def test_a_retry_policy_alone_declares_a_call(tmp_path):
    root = write(tmp_path, {"checkout/contracts/retry.yaml": "service: checkout\nretry_policies:\n  - target: risk.score\n    attempts: 2\n"})
    (e,) = analyse_repo(root).graph.calls
    assert (e.callee, e.operation, e.effective_attempts()) == ("risk", "score", 2)


def test_a_declared_path_and_method_tie_an_operation_to_the_route_in_code(tmp_path):
    root = write(
        tmp_path,
        {
            "web/contracts/deps.yaml": "service: web\ndepends_on:\n  - service: orders\n    operation: orderStatus\n    timeout: 1s\n",
            "web/requirements.txt": "requests\n",
            "web/web/client.py": 'import requests\n\ndef status(order_id):\n    return requests.get(f"http://orders:80/v1/orders/{order_id}", timeout=2)\n',
            "orders/contracts/api.yaml": "service: orders\nprovides:\n  - endpoint: order status\n    path: /v1/orders/{id}\n    method: GET\n",
            "orders/requirements.txt": "fastapi\n",
            "orders/orders/api.py": 'from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get("/v1/orders/{order_id}")\ndef get_one(order_id: int):\n    return {}\n',
        },
    )
    (e,) = [e for e in analyse_repo(root).graph.calls if e.callee == "orders"]
    assert (e.operation, e.match) == ("orderStatus", "declared path")
    assert [str(c.location) for c in e.calls] == ["web/web/client.py:4"]
    assert [ep.handler for ep in e.provider_endpoints] == ["get_one"]
