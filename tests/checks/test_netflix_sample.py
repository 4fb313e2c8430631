"""fixtures/monorepos/netflix end to end: Zuul routes in a file a Config Server serves to the gateway,
Feign clients on Ribbon with Hystrix switched on by a served file; the edges, their timeouts and
breakers, exactly."""

from __future__ import annotations

import json

import pytest

from .test_sample import run

SAMPLE = "fixtures/monorepos/netflix"
SHARED = "config/src/main/resources/shared/gateway.yml"


@pytest.fixture(scope="module")
def reports():
    return run("graph", SAMPLE, "--jobs", "1", "--no-cache"), run("scan", SAMPLE, "--jobs", "1", "--format", "json", "--no-cache")


def _values(edge: dict, name: str) -> list:
    return [(v["value"], f"{v['file']}:{v['line']}", v.get("note", "")) for v in edge["attributes"].get(name, [])]


def test_zuul_routes_of_the_served_file_belong_to_the_gateway(reports):
    _, scan = reports
    doc = json.loads(scan.output)
    routes = [f for f in doc["facts"] if f["kind"] == "proxy_route"]
    got = [
        (
            f["service"],
            f"{f['file']}:{f['line']}",
            f["library"],
            f["route"],
            f["match"],
            f["url"],
            f["target"]["service"],
            f["timeout_ms"],
            f["timeout_source"],
            f.get("connect_timeout_ms"),
        )
        for f in routes
    ]
    assert got == [
        ("gateway", f"{SHARED}:16", "zuul", "auth", "/uaa/**", "http://auth:5000", "auth", 15000, "config", 2000),
        ("gateway", f"{SHARED}:19", "zuul", "accounts", "/accounts/**", "lb://accounts", "accounts", 20000, "config", 20000),
        ("gateway", f"{SHARED}:22", "zuul", "notify", "/notifications/**", "lb://notify", "notify", 20000, "config", 20000),
    ]
    by_id = {f["id"]: f for f in doc["facts"]}
    assert routes[0]["circuit_breakers"] == []
    for route in routes[1:]:
        (breaker,) = [by_id[i] for i in route["circuit_breakers"]]
        assert (breaker["mechanism"], breaker["name"], breaker["failure_ratio"], breaker["minimum_throughput"], breaker["recovery_timeout_ms"]) == (
            "hystrix",
            route["route"],
            0.5,
            20,
            5000,
        )
    roles = {i["service"]: (i["role"], i["reason"]) for i in doc["inventory"]}
    assert roles["gateway"] == ("proxy", f"manifest: pom.xml; routes declared in {SHARED}")
    assert roles["config"] == ("service", "manifest: pom.xml")
    # the served files are not the Config Server's: it has no route and no fact
    assert not [f for f in doc["facts"] if f["service"] == "config"]


def test_call_edges_exactly(reports):
    graph, _ = reports
    doc = json.loads(graph.output)
    calls = {(e["source"], e["target"]): e for e in doc["edges"] if e["kind"] == "call"}
    assert sorted(calls) == [
        ("service:accounts", "service:stats"),
        ("service:gateway", "service:accounts"),
        ("service:gateway", "service:auth"),
        ("service:gateway", "service:notify"),
        ("service:notify", "service:accounts"),
    ]
    feign = "accounts/src/main/java/shop/accounts/StatsClient.java:10"
    assert _values(calls[("service:accounts", "service:stats")], "timeout_ms") == [(1000, feign, "library default")]
    assert _values(calls[("service:accounts", "service:stats")], "fallback") == [("{shop.accounts.StatsFallback}", feign, "hystrix")]
    notify = "notify/src/main/java/shop/notify/AccountsClient.java:9"
    assert _values(calls[("service:notify", "service:accounts")], "timeout_ms") == [(1000, notify, "library default")]
    assert _values(calls[("service:notify", "service:accounts")], "fallback") == []
    assert _values(calls[("service:gateway", "service:auth")], "timeout_ms") == [(15000, f"{SHARED}:16", "")]
    assert _values(calls[("service:gateway", "service:auth")], "fallback") == []
    for target, line in (("accounts", 19), ("notify", 22)):
        edge = calls[("service:gateway", f"service:{target}")]
        assert _values(edge, "timeout_ms") == [(20000, f"{SHARED}:{line}", "")]
        assert _values(edge, "fallback") == [("circuit breaker", f"{SHARED}:{line}", "hystrix")]
        assert _values(edge, "via") == [("route", f"{SHARED}:{line}", "zuul")]
