"""fixtures/monorepos/mesh end to end: an Istio VirtualService + DestinationRule, a Linkerd
ServiceProfile, a Gateway API HTTPRoute and a Kubernetes env value each change the effective policy
of one edge of web; the mesh's retries make the amplification finding, its timeout the inversion."""

from __future__ import annotations

import json

import jsonschema
import pytest

from extractor.docs import schema_files

from .test_sample import run

SAMPLE = "fixtures/monorepos/mesh"
APP = "web/web/app.py"


@pytest.fixture(scope="module")
def reports():
    return run("check", SAMPLE, "--jobs", "1", "--format", "json"), run("graph", SAMPLE, "--jobs", "1"), run("scan", SAMPLE, "--jobs", "1", "--format", "json")


def test_mesh_policy_facts(reports):
    _, _, scan = reports
    doc = json.loads(scan.output)
    jsonschema.validate(doc, json.loads(schema_files()["facts.v1.schema.json"]))
    got = [
        (f["rule"], f"{f['file']}:{f['line']}", f["resource"], f["applies_to"], f.get("match"), f.get("timeout_ms"), f.get("attempts"), f.get("timeout_line"))
        for f in doc["facts"]
        if f["kind"] == "mesh_policy"
    ]
    assert got == [
        ("mesh.gateway-api", "k8s/inventory-route.yaml:19", "HTTPRoute", "inventory", "prefix:/stock", 3000, None, 16),
        ("mesh.istio", "k8s/orders-mesh.yaml:18", "VirtualService", "orders", "prefix:/orders", 1500, 4, 12),
        ("mesh.istio", "k8s/orders-mesh.yaml:28", "DestinationRule", "orders", None, None, None, None),
        ("mesh.linkerd", "k8s/payments-profile.yaml:8", "ServiceProfile", "payments", "POST regex:/payments", 800, 1.2, 13),
    ]
    rule = next(f for f in doc["facts"] if f["kind"] == "mesh_policy" and f["resource"] == "DestinationRule")
    assert (rule["consecutive_errors"], rule["ejection_ms"], rule["max_connections"], rule["max_pending_requests"], rule["max_requests"]) == (
        5,
        30000,
        100,
        10,
        200,
    )


def test_env_override_takes_the_deployment_value(reports):
    """SHIPPING_TIMEOUT_S defaults to 5 in code; k8s/web.yaml sets 2.5: the call's timeout is 2.5 s."""
    _, _, scan = reports
    call = next(f for f in json.loads(scan.output)["facts"] if f["kind"] == "http_call" and f["file"] == APP and f["line"] == 27)
    assert (call["timeout_ms"], call["timeout_source"], call["timeout_env"], call["timeout_expr"]) == (
        2500,
        "config",
        "SHIPPING_TIMEOUT_S",
        "env SHIPPING_TIMEOUT_S=2.5 in k8s/web.yaml",
    )


def _layers(edge: dict) -> list[tuple]:
    return [
        (l["layer"], f"{l['file']}:{l['line']}", l.get("resource"), l.get("timeout_ms"), l.get("timeout_source"), l.get("attempts"), l.get("breaker"))
        for l in edge["effective"]["layers"]
    ]


def test_effective_policy_per_edge(reports):
    _, graph, _ = reports
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    calls = {e["id"]: e for e in doc["edges"] if e["layer"] == "calls"}
    orders = calls["call:web->orders:handle"]
    assert (orders["effective"]["attempts"], orders["effective"]["timeout_ms"]) == (12, 1500)
    assert _layers(orders) == [
        ("code", f"{APP}:19", None, 2000, "literal", 3, None),
        ("mesh", "k8s/orders-mesh.yaml:18", "VirtualService", 1500, "config", 4, None),
        (
            "mesh",
            "k8s/orders-mesh.yaml:28",
            "DestinationRule",
            None,
            None,
            None,
            "ejects a host after 5 consecutive errors for 30000 ms; at most 100 connections, 10 pending, 200 requests",
        ),
    ]
    vs = orders["effective"]["layers"][1]
    assert (vs["timeout_file"], vs["timeout_line"], vs["attempts_line"], vs["per_try_timeout_ms"], vs["retry_on"]) == (
        "k8s/orders-mesh.yaml",
        12,
        14,
        500,
        ["5xx", "reset", "connect-failure"],
    )
    assert {"file": "k8s/orders-mesh.yaml", "line": 14, "origin": "code", "rule": "mesh.istio"} in orders["locations"]
    payments = calls["call:web->payments:handle"]
    assert (payments["effective"]["attempts"], payments["effective"]["timeout_ms"]) == (1.2, 800)
    assert _layers(payments) == [
        ("code", f"{APP}:25", None, 1000, "literal", 1, None),
        ("mesh", "k8s/payments-profile.yaml:8", "ServiceProfile", 800, "config", 1.2, None),
    ]
    inventory = calls["call:web->inventory:handle"]
    assert (inventory["effective"]["attempts"], inventory["effective"]["timeout_ms"]) == (1, 3000)
    assert _layers(inventory) == [
        ("code", f"{APP}:26", None, 5000, "literal", 1, None),
        ("mesh", "k8s/inventory-route.yaml:19", "HTTPRoute", 3000, "config", None, None),
    ]
    shipping = calls["call:web->shipping:handle"]
    assert (shipping["effective"]["attempts"], shipping["effective"]["timeout_ms"]) == (1, 2500)
    assert _layers(shipping) == [("deployment", f"{APP}:27", None, 2500, "config", 1, None)]
    assert shipping["effective"]["layers"][0]["timeout_detail"] == "env SHIPPING_TIMEOUT_S=2.5 in k8s/web.yaml"
    assert "effective" not in calls["call:inventory->shipping:handle"]  # no layer besides its code


def test_findings_the_mesh_causes(reports):
    check, _, _ = reports
    findings = json.loads(check.output)["findings"]
    got = sorted((f["check"], f["subject"], f["message"], sorted(f"{l['file']}:{l['line']}" for l in f["locations"])) for f in findings)
    assert got == [
        (
            "system.retry-amplification",
            "web>orders",
            "one request to web may cause 12 calls to orders (web→orders ×12); the limit is 10",
            ["k8s/orders-mesh.yaml:14", f"{APP}:17"],
        ),
        (
            "system.timeout-inversion",
            "handle",
            "web gives inventory.handle 3s (gateway-api), but inventory may spend 4s on one downstream call: POST http://shipping:8080/labels (timeout 4s)",
            ["inventory/inventory/app.py:11", "inventory/inventory/app.py:9", "k8s/inventory-route.yaml:16"],
        ),
    ]


def test_without_the_mesh_files_there_is_no_finding(tmp_path):
    """The same code without the mesh resources: 3 attempts and 5 s give no finding (the mesh causes both)."""
    import shutil
    from pathlib import Path

    copy = tmp_path / "mesh"
    shutil.copytree(
        Path(__file__).resolve().parents[2] / SAMPLE, copy, ignore=shutil.ignore_patterns(".contracts-cache", "*-mesh.yaml", "*-profile.yaml", "*-route.yaml")
    )
    findings = json.loads(run("check", str(copy), "--jobs", "1", "--format", "json").output)["findings"]
    assert [f["check"] for f in findings] == []
