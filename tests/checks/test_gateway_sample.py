"""fixtures/monorepos/gateway end to end: routes declared in a Spring Cloud Gateway's application.yml
(default filters CircuitBreaker then Retry) and in an nginx front become call edges with the proxies
as nodes; the edges' timeouts, attempts, breakers and the findings, exactly."""

from __future__ import annotations

import json

import jsonschema
import pytest

from extractor.docs import schema_files

from .test_sample import run

SAMPLE = "fixtures/monorepos/gateway"
YML = "gateway/src/main/resources/application.yml"
APP = "gateway/src/main/java/shop/gateway/application"


@pytest.fixture(scope="module")
def reports():
    return run("check", SAMPLE, "--jobs", "1", "--format", "json"), run("graph", SAMPLE, "--jobs", "1"), run("scan", SAMPLE, "--jobs", "1", "--format", "json")


def _values(edge: dict, name: str) -> list:
    return [(v["value"], f"{v['file']}:{v['line']}", v.get("note", "")) for v in edge["attributes"].get(name, [])]


def test_route_facts(reports):
    _, _, scan = reports
    doc = json.loads(scan.output)
    jsonschema.validate(doc, json.loads(schema_files()["facts.v1.schema.json"]))
    routes = [f for f in doc["facts"] if f["kind"] == "proxy_route"]
    got = [
        (
            f["service"],
            f"{f['file']}:{f['line']}",
            f["route"],
            f["match"],
            f["url"],
            f["target"]["service"],
            f["timeout_ms"],
            f["timeout_source"],
            f.get("timeout_scope"),
            f.get("per_try_timeout_ms"),
            f.get("connect_timeout_ms"),
            f["retry_attempts"],
        )
        for f in routes
    ]
    assert got == [
        ("edge", "edge/nginx.conf:15", "/api/", "/api/", "http://gateway:8080", "gateway", 10000, "config", None, None, 2000, 2),
        ("gateway", f"{YML}:24", "orders", "/api/orders/**", "lb://orders", "orders", 3000, "config", "call", 1000, 200, 3),
        ("gateway", f"{YML}:31", "catalog", "/api/catalog/**", "http://catalog:8080", "catalog", 3000, "config", "call", 5000, 500, 3),
    ]
    assert [f["method"] for f in routes] == [None, None, "GET"]
    by_id = {f["id"]: f for f in doc["facts"]}
    orders = routes[1]
    (retry,) = [by_id[i] for i in orders["retry_policies"]]
    assert (retry["line"], retry["attempts"], retry["backoff"], retry["max_delay_ms"], retry["scope"]) == (14, 3, "exponential", 500, "client")
    assert retry["retry_on"] == [  # the default series and exceptions retry too
        "status:BAD_GATEWAY",
        "status:SERVICE_UNAVAILABLE",
        "series:SERVER_ERROR",
        "java.io.IOException",
        "java.util.concurrent.TimeoutException",
        "method:GET",
    ]
    assert retry["calls"] == [orders["id"]]
    (breaker,) = [by_id[i] for i in orders["circuit_breakers"]]
    assert (breaker["line"], breaker["name"], breaker["fallback"], breaker["failure_ratio"], breaker["minimum_throughput"], breaker["recovery_timeout_ms"]) == (
        10,
        "backend",
        "forward:/fallback",
        0.25,
        20,
        10000,
    )
    (nginx_retry,) = [by_id[i] for i in routes[0]["retry_policies"]]
    assert (nginx_retry["file"], nginx_retry["line"], nginx_retry["attempts"], nginx_retry["retry_on"]) == (
        "edge/nginx.conf",
        6,
        2,
        ["error", "timeout", "method:idempotent"],
    )
    assert routes[0]["circuit_breakers"] == []
    assert [(f["root"], f["role"], f["reason"]) for f in doc["inventory"]] == [
        ("catalog", "service", "manifest: pyproject.toml"),
        ("edge", "proxy", "a proxy: Dockerfile and nginx.conf, no source"),
        ("gateway", "proxy", f"manifest: pom.xml; routes declared in {YML}"),
        ("orders", "service", "manifest: pyproject.toml"),
        ("payments", "service", "manifest: pyproject.toml"),
    ]


def test_route_edges(reports):
    _, graph, _ = reports
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    calls = {e["id"]: e for e in doc["edges"] if e["layer"] == "calls"}
    assert sorted(calls) == [
        "call:edge->gateway:*",
        "call:gateway->catalog:*",
        "call:gateway->catalog:items",
        "call:gateway->orders:*",
        "call:gateway->orders:get_order",
        "call:orders->payments:create_charge",
    ]
    edge = calls["call:edge->gateway:*"]
    assert _values(edge, "via") == [("route", "edge/nginx.conf:15", "nginx")]
    assert _values(edge, "timeout_ms") == [(10000.0, "edge/nginx.conf:15", "")]
    assert _values(edge, "retry_attempts") == [(2, "edge/nginx.conf:6", "nginx")]
    assert "fallback" not in edge["attributes"]
    orders = calls["call:gateway->orders:*"]
    assert _values(orders, "via") == [("route", f"{YML}:24", "spring-cloud-gateway")]
    assert _values(orders, "timeout_ms") == [(3000.0, f"{YML}:24", "")]
    assert _values(orders, "retry_attempts") == [(3, f"{YML}:14", "spring-cloud-gateway")]
    assert _values(orders, "backoff") == [("exponential", f"{YML}:14", "")]
    assert _values(orders, "fallback") == [("forward:/fallback", f"{YML}:10", "spring-cloud-gateway")]
    catalog = calls["call:gateway->catalog:*"]
    assert _values(catalog, "timeout_ms") == [(3000.0, f"{YML}:31", "")]
    assert _values(catalog, "retry_attempts") == [(3, f"{YML}:14", "spring-cloud-gateway")]
    assert "endpoint" not in catalog["attributes"]  # a route forwards every path it matches, not to catalog's GET / (index)
    assert "via" not in calls["call:orders->payments:create_charge"]["attributes"]
    # the gateway's own calls: the injected @LoadBalanced WebClient.Builder bean sets no timeout
    # (not an unknown one), and catalog's address is a service-discovery lookup made in a helper
    own = calls["call:gateway->orders:get_order"]
    assert _values(own, "timeout_ms") == [(None, f"{APP}/OrdersClient.java:17", "no timeout")]
    assert _values(own, "retry_attempts") == [(1, f"{APP}/OrdersClient.java:17", "")]
    lookup = calls["call:gateway->catalog:items"]
    assert _values(lookup, "timeout_ms") == [(500.0, f"{APP}/CatalogLookup.java:24", "")]
    services = [n["name"] for n in doc["nodes"] if n["kind"] == "service"]
    assert services == ["catalog", "edge", "gateway", "orders", "payments"]


def test_findings(reports):
    data, _, _ = reports
    doc = json.loads(data.output)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    found = [(f["check"], tuple(f["services"]), f["subject"], [(l["file"], l["line"], l.get("rule")) for l in f["locations"]]) for f in doc["findings"]]
    assert found == [
        (
            "system.timeout-inversion",
            ("edge", "gateway"),
            "gateway",
            [("edge/nginx.conf", 15, "config.nginx"), (f"{APP}/OrdersClient.java", 17, "java.http.webclient")],
        ),
        (
            "system.retry-amplification",
            ("edge", "gateway", "orders", "payments"),
            "edge>gateway>orders>payments",
            [
                ("edge/nginx.conf", 6, "config.nginx"),
                (YML, 14, "config.spring-cloud-gateway"),
                ("orders/orders/app.py", 10, "python.retry.tenacity"),
            ],
        ),
        (
            "system.timeout-inversion",
            ("gateway", "orders"),
            "orders",
            [
                (YML, 24, "config.spring-cloud-gateway"),
                ("orders/orders/app.py", 10, "python.retry.tenacity"),
                ("orders/orders/app.py", 12, "python.http.requests"),
            ],
        ),
        ("system.missing-timeout", ("gateway", "orders"), "get_order", [(f"{APP}/OrdersClient.java", 17, "java.http.webclient")]),
    ]
    messages = [f["message"] for f in doc["findings"]]
    assert messages[0].endswith("but gateway may spend unbounded time on one downstream call: GET http://orders/api/orders/{id} (no timeout)")
    assert "one request to edge may cause 18 calls to payments" in messages[1]
    assert messages[2].startswith("gateway gives orders 3s (code), but orders may spend 6400ms on one downstream call")
    assert messages[3] == "gateway calls orders without a timeout: GET http://orders/api/orders/{id}"


def test_proxies_are_marked_in_the_graph(reports):
    """The inventory's role reaches the graph: JSON ``role`` on service nodes, a hexagon in DOT and a
    trapezoid in Mermaid for the proxies."""
    _, graph, _ = reports
    roles = {n["name"]: n.get("role") for n in json.loads(graph.output)["nodes"] if n["kind"] == "service"}
    assert roles == {"catalog": "service", "edge": "proxy", "gateway": "proxy", "orders": "service", "payments": "service"}
    dot = run("graph", SAMPLE, "--jobs", "1", "--format", "dot").output
    assert '"service:gateway" [label="gateway", shape=hexagon];' in dot
    assert '"service:orders" [label="orders", shape=box, style="rounded"];' in dot
    mermaid = run("graph", SAMPLE, "--jobs", "1", "--format", "mermaid").output
    assert '[/"edge"\\]' in mermaid and '["orders"]' in mermaid
