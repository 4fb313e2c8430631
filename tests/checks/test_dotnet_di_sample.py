"""fixtures/monorepos/dotnet-di end to end: an Aspire-style solution whose clients are registered in
dependency injection (a typed client whose class lives in a class library, a named client, a gRPC
client, an unnamed factory client, a typed client whose address is an IOptions class bound to a
configuration section; a controller that sees MVC through its project's GlobalUsings.cs) and whose resilience comes from one ConfigureHttpClientDefaults call in a shared
ServiceDefaults project; the edges, their timeouts, retries and breakers with provenance, and the
findings, exactly."""

from __future__ import annotations

import json

import jsonschema
import pytest

from extractor.docs import schema_files

from .test_sample import run

SAMPLE = "fixtures/monorepos/dotnet-di"
DEFAULTS = ("src/ServiceDefaults/Extensions.cs", 14)


@pytest.fixture(scope="module")
def reports():
    return run("check", SAMPLE, "--jobs", "1", "--format", "json"), run("graph", SAMPLE, "--jobs", "1"), run("scan", SAMPLE, "--jobs", "1", "--format", "json")


def _values(edge: dict, name: str) -> list:
    return [(v["value"], f"{v['file']}:{v['line']}") for v in edge["attributes"].get(name, [])]


def test_calls_and_their_policies(reports):
    _, _, scan = reports
    doc = json.loads(scan.output)
    jsonschema.validate(doc, json.loads(schema_files()["facts.v1.schema.json"]))
    by_id = {f["id"]: f for f in doc["facts"]}
    calls = [f for f in doc["facts"] if f["kind"] in ("http_call", "grpc_call")]
    got = [
        (
            f["service"],
            f"{f['file']}:{f['line']}",
            f["url"],
            f["target"]["service"],
            f["timeout_ms"],
            f.get("timeout_from"),
            f["retry_attempts"],
            [(by_id[i]["file"], by_id[i]["line"]) for i in f["retry_policies"]],
            [(by_id[i]["file"], by_id[i]["line"]) for i in f["circuit_breakers"]],
        )
        for f in calls
    ]
    assert got == [
        # the named client's own 5 s timeout is below the defaults' 30 s total request timeout
        (
            "Catalog.Api",
            "src/Catalog.Api/Program.cs:16",
            "https+http://ordering-api/api/orders/reservations/{id}",
            "Ordering.Api",
            5000,
            "client",
            4,
            [DEFAULTS],
            [DEFAULTS],
        ),
        # the typed client's class is in the Catalog.Client library: its calls are the web app's, which registers it
        (
            "WebApp",
            "src/Catalog.Client/CatalogClient.cs:6",
            "https+http://catalog-api/api/catalog/items",
            "Catalog.Api",
            30000,
            "resilience",
            4,
            [DEFAULTS],
            [DEFAULTS],
        ),
        (
            "WebApp",
            "src/Catalog.Client/CatalogClient.cs:8",
            "https+http://catalog-api/api/catalog/items/{id}/reserve",
            "Catalog.Api",
            30000,
            "resilience",
            4,
            [DEFAULTS],
            [DEFAULTS],
        ),
        # to a controller that sees MVC only through its project's GlobalUsings.cs (D19)
        (
            "WebApp",
            "src/Catalog.Client/CatalogClient.cs:10",
            "https+http://catalog-api/api/catalog/brands/all",
            "Catalog.Api",
            30000,
            "resilience",
            4,
            [DEFAULTS],
            [DEFAULTS],
        ),
        # an unnamed factory client (CreateClient()) gets the client-wide defaults too (D14); its address is a parameter
        ("Ordering.Api", "src/Ordering.Api/Program.cs:23", "{destUrl}", None, 30000, "resilience", 4, [DEFAULTS], [DEFAULTS]),
        # the gRPC client factory's client gets the defaults too: no "missing timeout"
        ("WebApp", "src/WebApp/BasketState.cs:5", "http://ordering-api", "Ordering.Api", 30000, "resilience", 4, [DEFAULTS], [DEFAULTS]),
        # an IOptions<UrlsConfig> bound to the "Urls" section: the key Urls:Ordering is appsettings.json's urls:ordering (D4)
        (
            "WebApp",
            "src/WebApp/OrderStatus.cs:8",
            "{env Urls:Ordering}/api/orders/reservations/{id}",
            "Ordering.Api",
            30000,
            "resilience",
            4,
            [DEFAULTS],
            [DEFAULTS],
        ),
    ]
    # the standard handler's 30 s total request timeout is the library's default, no literal of the code (D20)
    assert [(f["file"], f["line"], f["timeout_source"], f.get("timeout_expr")) for f in calls] == [
        ("src/Catalog.Api/Program.cs", 16, "literal", None),
        ("src/Catalog.Client/CatalogClient.cs", 6, "library_default", "30s"),
        ("src/Catalog.Client/CatalogClient.cs", 8, "library_default", "30s"),
        ("src/Catalog.Client/CatalogClient.cs", 10, "library_default", "30s"),
        ("src/Ordering.Api/Program.cs", 23, "library_default", "30s"),
        ("src/WebApp/BasketState.cs", 5, "library_default", "30s"),
        ("src/WebApp/OrderStatus.cs", 8, "library_default", "30s"),
    ]
    assert not [f for f in doc["facts"] if f["kind"] == "missing_timeout"]
    (retry,) = [f for f in doc["facts"] if f["kind"] == "retry_policy"]
    assert (retry["service"], retry["attempts"], retry["backoff"], retry["source"], retry["scope"]) == (
        None,
        4,
        "exponential_jitter",
        "library_default",
        "client",
    )
    (breaker,) = [f for f in doc["facts"] if f["kind"] == "circuit_breaker"]
    assert (breaker["failure_ratio"], breaker["sampling_duration_ms"], breaker["minimum_throughput"], breaker["recovery_timeout_ms"]) == (0.1, 30000, 100, 5000)
    assert sorted(retry["calls"]) == sorted(f["id"] for f in calls) == sorted(breaker["calls"])
    assert [(f["root"], f["role"]) for f in doc["inventory"]] == [
        ("src/AppHost", "orchestrator"),
        ("src/Catalog.Api", "service"),
        ("src/Catalog.Client", "library"),
        ("src/Ordering.Api", "service"),
        ("src/ServiceDefaults", "shared-defaults"),
        ("src/WebApp", "service"),
    ]


def test_edges(reports):
    _, graph, _ = reports
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    calls = {e["id"]: e for e in doc["edges"] if e["layer"] == "calls"}
    assert sorted(calls) == [
        "call:Catalog.Api->Ordering.Api:/api/orders/reservations/{id}",
        "call:Ordering.Api->unknown:*",
        "call:WebApp->Catalog.Api:/api/catalog/items",
        "call:WebApp->Catalog.Api:/api/catalog/items/{id}/reserve",
        "call:WebApp->Catalog.Api:All",
        "call:WebApp->Ordering.Api:/api/orders/reservations/{id}",
        "call:WebApp->Ordering.Api:PlaceOrder",
    ]
    defaults = f"{DEFAULTS[0]}:{DEFAULTS[1]}"
    for edge in calls.values():
        assert _values(edge, "retry_attempts") == [(4, defaults)]
        assert _values(edge, "backoff") == [("exponential_jitter", defaults)]
        assert _values(edge, "fallback") == [("circuit breaker", defaults)]
    assert _values(calls["call:Catalog.Api->Ordering.Api:/api/orders/reservations/{id}"], "timeout_ms") == [(5000.0, "src/Catalog.Api/Program.cs:16")]
    assert _values(calls["call:WebApp->Catalog.Api:/api/catalog/items"], "timeout_ms") == [(30000.0, "src/Catalog.Client/CatalogClient.cs:6")]
    assert _values(calls["call:WebApp->Ordering.Api:PlaceOrder"], "timeout_ms") == [(30000.0, "src/WebApp/BasketState.cs:5")]
    assert _values(calls["call:Ordering.Api->unknown:*"], "timeout_ms") == [(30000.0, "src/Ordering.Api/Program.cs:23")]
    assert _values(calls["call:WebApp->Ordering.Api:/api/orders/reservations/{id}"], "timeout_ms") == [(30000.0, "src/WebApp/OrderStatus.cs:8")]
    assert _values(calls["call:WebApp->Ordering.Api:/api/orders/reservations/{id}"], "endpoint") == [
        ("GET /api/orders/reservations/{id}", "src/Ordering.Api/Program.cs:8")
    ]
    assert _values(calls["call:WebApp->Catalog.Api:All"], "endpoint") == [("GET /api/catalog/Brands/all", "src/Catalog.Api/Controllers/BrandsController.cs:7")]
    assert _values(calls["call:WebApp->Ordering.Api:PlaceOrder"], "endpoint") == [("GRPC Ordering/PlaceOrder", "src/Ordering.Api/Program.cs:13")]
    assert [n["name"] for n in doc["nodes"] if n["kind"] == "service"] == ["Catalog.Api", "Ordering.Api", "WebApp"]


def test_findings(reports):
    data, _, _ = reports
    doc = json.loads(data.output)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    found = [(f["check"], tuple(f["services"]), f["subject"], [(l["file"], l["line"], l.get("rule")) for l in f["locations"]]) for f in doc["findings"]]
    assert found == [
        (
            "system.retry-amplification",
            ("WebApp", "Catalog.Api", "Ordering.Api"),
            "WebApp>Catalog.Api>Ordering.Api",
            [(*DEFAULTS, "csharp.retry.standard-resilience")],
        ),
    ]
    assert doc["findings"][0]["message"].startswith("one request to WebApp may cause 16 calls to Ordering.Api")
