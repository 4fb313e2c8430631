"""fixtures/monorepos/deploy-variants end to end (D32): a resource copied into several packagings
counts once, from its main packaging; an environment value set only by an optional variant is not in
force; an Istio VirtualService or an HTTPRoute bound to ingress gateways only governs no call edge."""

from __future__ import annotations

import json

import jsonschema
import pytest

from extractor.docs import schema_files

from .test_sample import run

SAMPLE = "fixtures/monorepos/deploy-variants"


@pytest.fixture(scope="module")
def reports():
    return (
        run("check", SAMPLE, "--jobs", "1", "--format", "json"),
        run("graph", SAMPLE, "--jobs", "1"),
        run("scan", SAMPLE, "--jobs", "1", "--format", "json"),
    )


def test_mesh_copies_are_one_resource_and_ingress_policies_are_marked(reports):
    _, _, scan = reports
    doc = json.loads(scan.output)
    jsonschema.validate(doc, json.loads(schema_files()["facts.v1.schema.json"]))
    got = [
        (f"{f['file']}:{f['line']}", f["resource"], f["name"], f["applies_to"], f.get("attempts"), f.get("timeout_ms"), f.get("gateways"), f.get("variants"))
        for f in doc["facts"]
        if f["kind"] == "mesh_policy"
    ]
    assert got == [
        ("istio-manifests/front-gateway.yaml:12", "VirtualService", "front-ingress", "front", 3, None, ["front-gateway"], None),
        ("istio-manifests/front-gateway.yaml:29", "HTTPRoute", "front-route", "front", None, 1000, ["shop-gateway"], None),
        (
            "istio-manifests/front.yaml:10",
            "VirtualService",
            "front",
            "front",
            3,
            None,
            None,
            ["kustomize/components/service-mesh-istio/front.yaml:12", "release/istio-manifests.yaml:10"],
        ),
    ]


def test_a_variant_only_env_value_is_not_in_force(reports):
    """BACKEND_TIMEOUT=15 is set only in extras/hpa/: the code's default 4 s is in force, the variant named."""
    _, _, scan = reports
    call = next(f for f in json.loads(scan.output)["facts"] if f["kind"] == "http_call" and f["file"] == "front/front/app.py")
    assert (call["timeout_ms"], call["timeout_source"], call["timeout_env"], call["timeout_expr"], call["target"]["service"], call["target"]["via"]) == (
        4000,
        "env_default",
        "BACKEND_TIMEOUT",
        "env BACKEND_TIMEOUT not set by the deployment in force (15 in the variant extras/hpa/kubernetes-manifests/front.yaml)",
        "ledger",
        "deploy_env",
    )


def test_one_mesh_layer_over_the_load_generator(reports):
    _, graph, _ = reports
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    calls = {e["id"]: e for e in doc["edges"] if e["layer"] == "calls"}
    assert sorted(calls) == ["call:front->ledger:balances", "call:loadgen->front:home"]
    assert "effective" not in calls["call:front->ledger:balances"]  # the variant's env is not a deployment layer
    effective = calls["call:loadgen->front:home"]["effective"]
    assert (effective["attempts"], effective["timeout_ms"]) == (3, 60000)
    assert [(l["layer"], f"{l['file']}:{l['line']}", l.get("name"), l.get("attempts"), l.get("variants")) for l in effective["layers"]] == [
        ("code", "loadgen/locustfile.py:9", None, 1, None),
        ("mesh", "istio-manifests/front.yaml:10", "front", 3, ["kustomize/components/service-mesh-istio/front.yaml:12", "release/istio-manifests.yaml:10"]),
    ]


def test_no_retry_amplification(reports):
    check, _, _ = reports
    assert [f["check"] for f in json.loads(check.output)["findings"]] == []
