"""The polyglot sample (fixtures/monorepos/polyglot-shop, one service per language, Kotlin
and Rust included): the scan and the graph recover exactly the edges, timeouts, retries, breakers and ids
its README lists."""

from __future__ import annotations

import pytest

from .samples import MONOREPOS, of, run_json

SAMPLE = MONOREPOS / "polyglot-shop"
SF = "storefront/src/clients.ts"
PRICING_CLIENT = "orders/src/main/java/com/shop/orders/PricingClient.java"
LOYALTY = "loyalty/src/main/kotlin/com/shop/loyalty/Clients.kt"
SHIPPING = "shipping/src/main.rs"


@pytest.fixture(scope="module")
def scan() -> dict:
    return run_json("scan", SAMPLE)


@pytest.fixture(scope="module")
def facts(scan) -> list[dict]:
    assert scan["diagnostics"] == []
    return scan["facts"]


@pytest.fixture(scope="module")
def graph() -> dict:
    return run_json("graph", SAMPLE)


def test_one_service_per_language(scan, facts):
    doc = scan
    assert {(s["name"], s["root"], tuple(s["languages"])) for s in doc["services"]} == {
        ("inventory", "inventory", ("go",)),
        ("orders", "orders", ("java",)),
        ("payments", "payments", ("csharp",)),
        ("pricing", "pricing", ("python",)),
        ("storefront", "storefront", ("typescript",)),
        ("loyalty", "loyalty", ("kotlin",)),  # found by its Gradle Kotlin DSL manifests
        ("shipping", "shipping", ("rust",)),  # found by its Cargo.toml
    }
    (loyalty,) = [s for s in doc["services"] if s["name"] == "loyalty"]
    assert loyalty["manifests"] == ["build.gradle.kts", "settings.gradle.kts"]
    (shipping,) = [s for s in doc["services"] if s["name"] == "shipping"]
    assert shipping["manifests"] == ["Cargo.toml"]
    assert {f["kind"] for f in facts} == {
        "endpoint",
        "http_call",
        "grpc_call",
        "retry_policy",
        "circuit_breaker",
        "id_generation",
    }  # no missing_timeout: every call has one


def test_every_call_with_its_target_timeout_and_retries(facts):
    calls = {
        (
            f["kind"],
            f["service"],
            f["file"],
            f["line"],
            f.get("method") or f.get("rpc"),
            f["target"]["service"],
            f["timeout_ms"],
            f["timeout_source"],
            f["retry_attempts"],
            len(f.get("circuit_breakers", ())),
        )
        for f in of(facts, "http_call", "grpc_call")
    }
    assert calls == {
        ("http_call", "storefront", SF, 17, "POST", "orders", 2000, "literal", 3, 0),
        ("grpc_call", "storefront", SF, 23, "checkStock", "inventory", 300, "literal", 1, 0),
        ("http_call", "storefront", SF, 28, "POST", "payments", 1500, "literal", 2, 0),
        ("http_call", "orders", PRICING_CLIENT, 27, "POST", "pricing", 800, "config", 3, 1),
        ("http_call", "pricing", "pricing/pricing/api.py", 17, "GET", "inventory", 500, "literal", 3, 0),
        ("grpc_call", "payments", "payments/Program.cs", 10, "Reserve", "inventory", 1000, "literal", 1, 0),
        ("http_call", "loyalty", LOYALTY, 31, "POST", "pricing", 1500, "literal", 3, 0),  # Ktor client, HttpTimeout
        ("http_call", "loyalty", LOYALTY, 48, "GET", "inventory", 400, "literal", 1, 0),  # OkHttp from Kotlin (the Java rule)
        ("http_call", "shipping", SHIPPING, 11, "GET", "inventory", 2000, "literal", 1, 0),  # reqwest, the client's timeout
    }
    rules = {(f["line"], f["rule"]) for f in facts if f["service"] == "loyalty" and f["kind"] == "http_call"}
    assert rules == {(31, "kotlin.http.ktor-client"), (48, "java.http.okhttp")}


def test_urls_and_how_their_targets_were_found(facts):
    found = {(f["service"], f.get("url"), f["target"]["host"], f["target"]["port"], f["target"]["via"]) for f in of(facts, "http_call", "grpc_call")}
    assert found == {
        ("storefront", "{env ORDERS_URL}/orders", "orders", 8080, "deploy_env"),
        ("storefront", "{env INVENTORY_ADDR}", "inventory", 50051, "deploy_env"),
        ("storefront", "{env PAYMENTS_URL}/charges", "payments", 8080, "deploy_env"),
        ("orders", "http://pricing:8000/quote", "pricing", 8000, "config_file"),
        ("pricing", "http://inventory:8081/stock/{sku}", "inventory", 8081, "env_default"),
        ("payments", "http://inventory:50051", "inventory", 50051, "url_literal"),
        ("loyalty", "http://pricing:8000/quote", "pricing", 8000, "env_default"),
        ("loyalty", "http://inventory:8081/stock/{sku}", "inventory", 8081, "env_default"),
        ("shipping", "http://inventory:8081/stock/sku-1", "inventory", 8081, "constant"),  # format!("{}/stock/{}", INVENTORY_URL, ...)
    }


def test_retry_policies_and_the_breaker(facts):
    retries = {
        (f["service"], f["file"], f["line"], f["mechanism"], f["attempts"], f.get("backoff"), f.get("max_delay_ms"), len(f["calls"]))
        for f in of(facts, "retry_policy")
    }
    assert retries == {
        ("storefront", SF, 9, "axios-retry", 3, "none", None, 1),  # no retryDelay: none
        ("storefront", SF, 40, "except_handler", 2, "none", None, 1),
        ("orders", PRICING_CLIENT, 24, "resilience4j", 3, "fixed", 100, 1),
        ("pricing", "pricing/pricing/api.py", 15, "tenacity", 3, "exponential", 1000, 1),
        ("loyalty", LOYALTY, 28, "loop", 3, "fixed", None, 1),  # repeat(3) { try { ... } catch { delay(200L) } }
    }
    (breaker,) = of(facts, "circuit_breaker")
    assert (
        breaker["service"],
        breaker["line"],
        breaker["mechanism"],
        breaker["name"],
        breaker["failure_ratio"],
        breaker["recovery_timeout_ms"],
        breaker["fallback"],
    ) == (
        "orders",
        25,
        "resilience4j",
        "pricing",
        0.5,
        10000,
        "listPrice",
    )


def test_ids_inside_and_outside_retries(facts):
    calls = {f["id"]: (f["line"]) for f in of(facts, "http_call")}
    ids = {
        (f["service"], f["line"], f["variable"], f["generator"], f["inside_retry"], tuple((calls[x["call"]], x["as"]) for x in f.get("flows_to", ())))
        for f in of(facts, "id_generation")
    }
    assert ids == {
        ("storefront", 16, "orderId", "crypto.randomUUID", False, ((17, "field:orderId"),)),
        ("storefront", 39, "transactionId", "crypto.randomUUID", False, ((28, "header:Idempotency-Key"),)),
        ("storefront", 43, "newTransactionId", "crypto.randomUUID", True, ((28, "header:Idempotency-Key"),)),  # the story's bug
        ("loyalty", 30, "requestId", "UUID.randomUUID", True, ((31, "header:X-Request-ID"),)),  # in the repeat loop; a Ktor header
    }


def test_endpoints_of_every_service(facts):
    endpoints = {(f["service"], f["method"], f["path"]) for f in of(facts, "endpoint")}
    assert endpoints == {
        ("storefront", "GET", "/products/:sku"),
        ("storefront", "POST", "/checkout"),
        ("orders", "POST", "/orders"),
        ("pricing", "POST", "/quote"),
        ("inventory", "GET", "/stock/{sku}"),
        ("inventory", "GRPC", "Inventory/CheckStock"),
        ("inventory", "GRPC", "Inventory/Reserve"),
        ("payments", "POST", "/charges"),
        ("loyalty", "POST", "/v1/points"),
        ("loyalty", "GET", "/v1/points/{sku}"),
    }


def test_graph_edges_meet_the_providers_endpoints(graph):
    assert {n["id"] for n in graph["nodes"]} == {f"service:{s}" for s in ("inventory", "loyalty", "orders", "payments", "pricing", "shipping", "storefront")}

    def values(edge: dict, key: str) -> tuple:
        return tuple(sorted({x["value"] for x in edge["attributes"].get(key, ())}, key=str))

    edges = {
        (
            e["source"][8:],
            e["target"][8:],
            e["operation"],
            values(e, "endpoint"),
            values(e, "timeout_ms"),
            values(e, "retry_attempts"),
            values(e, "new_request_id_on_retry"),
        )
        for e in graph["edges"]
    }
    assert edges == {
        ("storefront", "orders", "create", ("POST /orders",), (2000,), (3,), (False,)),
        ("storefront", "inventory", "CheckStock", ("GRPC Inventory/CheckStock",), (300,), (1,), ()),
        ("storefront", "payments", "/charges", ("POST /charges",), (1500,), (2,), (False, True)),
        ("orders", "pricing", "quote", ("POST /quote",), (800,), (3,), ()),
        ("pricing", "inventory", "/stock/{sku}", ("GET /stock/{sku}",), (500,), (3,), ()),
        ("payments", "inventory", "Reserve", ("GRPC Inventory/Reserve",), (1000,), (1,), ()),
        ("loyalty", "pricing", "quote", ("POST /quote",), (1500,), (3,), (True,)),  # requestId: a header, made again on each attempt
        ("loyalty", "inventory", "/stock/{sku}", ("GET /stock/{sku}",), (400,), (1,), ()),
        ("shipping", "inventory", "/stock/{sku}", ("GET /stock/{sku}",), (2000,), (1,), ()),  # Rust: reqwest
    }


def test_the_check_finds_the_cross_language_problems():
    doc = run_json("check", SAMPLE, "--fail-on", "never")
    assert sorted((f["check"], tuple(f["services"])) for f in doc["findings"]) == [
        ("idempotency.new-id-per-attempt", ("loyalty", "pricing")),  # a new X-Request-ID in each attempt of the Ktor retry
        ("idempotency.new-id-per-attempt", ("storefront", "payments")),  # a new Idempotency-Key in pay()'s catch block
        ("system.retry-amplification", ("storefront", "orders", "pricing", "inventory")),
        ("system.timeout-inversion", ("loyalty", "pricing")),  # 1.5 s for pricing, which may spend 3.5 s on inventory
        ("system.timeout-inversion", ("orders", "pricing")),
        ("system.timeout-inversion", ("storefront", "orders")),
    ]
