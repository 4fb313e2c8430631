"""The ride-hailing polyglot sample (fixtures/monorepos/polyglot: Go, Java, TypeScript, C#, Python;
HTTP and gRPC; Kubernetes env and application.yml): scan and graph recover exactly the calls,
timeouts, retries, breakers and ids its README lists, nothing more."""

from __future__ import annotations

import pytest

from .samples import MONOREPOS, of, run_json

SAMPLE = MONOREPOS / "polyglot"
GW = "gateway/src/clients.ts"
FARES_CLIENT = "booking/src/main/java/com/rides/booking/FaresClient.java"
WALLET_CLIENT = "booking/src/main/java/com/rides/booking/WalletClient.java"
CONTROLLER = "booking/src/main/java/com/rides/booking/BookingController.java"


@pytest.fixture(scope="module")
def scan() -> dict:
    return run_json("scan", SAMPLE)


@pytest.fixture(scope="module")
def facts(scan) -> list[dict]:
    return scan["facts"]


@pytest.fixture(scope="module")
def graph() -> dict:
    return run_json("graph", SAMPLE)


def test_one_service_per_language_and_no_diagnostics(scan):
    assert scan["diagnostics"] == []
    assert {(s["name"], s["root"], tuple(s["languages"])) for s in scan["services"]} == {
        ("booking", "booking", ("java",)),
        ("fares", "fares", ("python",)),
        ("fleet", "fleet", ("go",)),
        ("gateway", "gateway", ("typescript",)),
        ("wallet", "wallet", ("csharp",)),
    }
    assert sorted(f["kind"] for f in scan["facts"]) == sorted(
        ["endpoint"] * 11
        + ["http_call"] * 8
        + ["grpc_call"] * 2
        + ["retry_policy"] * 8
        + ["circuit_breaker"] * 3
        + ["id_generation"] * 4
        + ["missing_timeout"]
        + ["mesh_policy"]  # deploy/k8s/mesh.yaml: an Istio VirtualService retrying the calls to fares
    )


def test_every_call_with_its_target_timeout_retries_and_breakers(facts):
    calls = {
        (
            f["kind"],
            f["service"],
            f["file"],
            f["line"],
            f.get("method") or f"{f['grpc_service']}.{f['rpc']}",
            f["url"],
            f["target"]["service"],
            f["target"]["host"],
            f["target"]["port"],
            f["target"]["via"],
            f["timeout_ms"],
            f["timeout_source"],
            f["retry_attempts"],
            len(f["retry_policies"]),
            len(f["circuit_breakers"]),
        )
        for f in of(facts, "http_call", "grpc_call")
    }
    assert calls == {
        ("http_call", "gateway", GW, 11, "POST", "{env BOOKING_URL}/bookings", "booking", "booking", 8080, "deploy_env", 2500, "literal", 3, 1, 0),
        ("grpc_call", "gateway", GW, 20, "Fleet.findVehicles", "{env FLEET_ADDR}", "fleet", "fleet", 50051, "deploy_env", 250, "literal", 1, 0, 0),
        ("http_call", "gateway", GW, 27, "POST", "{WALLET_URL}/api/charges", "wallet", "wallet", 8080, "deploy_env", 1200, "literal", 2, 1, 0),
        ("http_call", "booking", FARES_CLIENT, 23, "POST", "http://fares:8000/quotes", "fares", "fares", 8000, "base_url", 700, "literal", 3, 1, 0),
        ("http_call", "booking", WALLET_CLIENT, 13, "POST", "http://wallet:8080/api/holds", "wallet", "wallet", 8080, "base_url", 3000, "config", 1, 0, 0),
        (
            "http_call",
            "fares",
            "fares/fares/app.py",
            16,
            "GET",
            "http://fleet:8081/vehicles/{vehicle_id}",
            "fleet",
            "fleet",
            8081,
            "env_default",
            800,
            "literal",
            4,
            1,
            0,
        ),
        (
            "http_call",
            "fleet",
            "fleet/outbound.go",
            22,
            "POST",
            "{bookingURL}/bookings/{bookingID}/events",
            "booking",
            "booking",
            8080,
            "deploy_env",
            None,
            "none",
            3,
            1,
            0,
        ),
        (
            "http_call",
            "fleet",
            "fleet/outbound.go",
            41,
            "GET",
            "https://maps.example.com/v1/eta?zone={zone}",
            None,
            "maps.example.com",
            None,
            "url_literal",
            1500,
            "literal",
            3,
            1,
            1,
        ),
        (
            "http_call",
            "wallet",
            "wallet/Clients.cs",
            12,
            "POST",
            "https://api.psp.example.com/v2/captures",
            None,
            "api.psp.example.com",
            None,
            "base_url",
            4000,
            "literal",
            4,
            1,
            1,
        ),
        (
            "grpc_call",
            "wallet",
            "wallet/Clients.cs",
            24,
            "Fleet.GetTrip",
            "{env FLEET_GRPC_URL}",
            "fleet",
            "fleet",
            50051,
            "deploy_env",
            800,
            "literal",
            3,
            1,
            1,
        ),
    }


def test_the_timeout_from_application_yml_and_the_call_without_one(facts):
    (feign,) = [f for f in of(facts, "http_call") if f["library"] == "openfeign"]
    assert (feign["timeout_ms"], feign["timeout_source"], feign["connect_timeout_ms"]) == (3000, "config", 500)
    (missing,) = of(facts, "missing_timeout")
    assert (missing["service"], missing["file"], missing["line"], missing["method"], missing["url"]) == (
        "fleet",
        "fleet/outbound.go",
        22,
        "POST",
        "{bookingURL}/bookings/{bookingID}/events",
    )


def test_retry_policies(facts):
    by_id = {f["id"]: f for f in of(facts, "http_call", "grpc_call")}
    retries = {
        (
            f["service"],
            f["file"],
            f["line"],
            f["mechanism"],
            f["attempts"],
            f["backoff"],
            f.get("max_delay_ms"),
            tuple(sorted(by_id[c]["line"] for c in f["calls"])),
        )
        for f in of(facts, "retry_policy")
    }
    assert retries == {
        ("gateway", GW, 11, "p-retry", 3, "fixed", None, (11,)),
        ("gateway", GW, 39, "except_handler", 2, "none", None, (27,)),
        ("booking", FARES_CLIENT, 21, "spring-retry", 3, "fixed", 200, (23,)),
        ("fares", "fares/fares/app.py", 14, "tenacity", 4, "exponential", 2000, (16,)),
        ("fleet", "fleet/outbound.go", 20, "loop", 3, "fixed", None, (22,)),
        ("fleet", "fleet/outbound.go", 51, "backoff", 3, "fixed", None, (41,)),
        ("wallet", "wallet/Clients.cs", 19, "polly", 3, "exponential", None, (24,)),
        ("wallet", "wallet/Program.cs", 11, "standard-resilience-handler", 4, "exponential_jitter", None, (12,)),
    }


def test_circuit_breakers(facts):
    by_id = {f["id"]: f for f in of(facts, "http_call", "grpc_call")}
    breakers = {
        (
            f["service"],
            f["file"],
            f["line"],
            f["mechanism"],
            f.get("name"),
            f.get("failure_threshold"),
            f.get("failure_ratio"),
            f["recovery_timeout_ms"],
            tuple(by_id[c]["line"] for c in f["calls"]),
        )
        for f in of(facts, "circuit_breaker")
    }
    assert breakers == {
        ("fleet", "fleet/outbound.go", 34, "gobreaker", "maps", 6, None, 20000, (41,)),
        ("wallet", "wallet/Clients.cs", 20, "polly", None, 5, None, 30000, (24,)),
        ("wallet", "wallet/Program.cs", 11, "standard-resilience-handler", "PspClient", None, 0.1, 5000, (12,)),
    }


def test_ids_inside_and_outside_retries(facts):
    lines = {f["id"]: f["line"] for f in of(facts, "http_call", "grpc_call")}
    ids = {
        (f["service"], f["file"], f["line"], f["variable"], f["generator"], f["inside_retry"], tuple((lines[x["call"]], x["as"]) for x in f["flows_to"]))
        for f in of(facts, "id_generation")
    }
    assert ids == {
        ("gateway", GW, 10, "requestId", "crypto.randomUUID", False, ((11, "header:X-Request-ID"),)),
        ("gateway", GW, 38, "paymentKey", "crypto.randomUUID", False, ((27, "header:Idempotency-Key"),)),
        ("gateway", GW, 42, "retryKey", "crypto.randomUUID", True, ((27, "header:Idempotency-Key"),)),  # the story's bug
        ("booking", CONTROLLER, 25, "bookingId", "UUID.randomUUID", False, ()),
    }


def test_endpoints_of_every_service(facts):
    assert {(f["service"], f["method"], f["path"]) for f in of(facts, "endpoint")} == {
        ("gateway", "GET", "/zones/:zone/vehicles"),
        ("gateway", "POST", "/rides"),
        ("gateway", "POST", "/trips/:id/pay"),
        ("booking", "POST", "/bookings"),
        ("booking", "POST", "/bookings/{id}/events"),
        ("fares", "POST", "/quotes"),
        ("fleet", "GET", "/vehicles/{id}"),
        ("fleet", "GRPC", "Fleet/FindVehicles"),
        ("fleet", "GRPC", "Fleet/GetTrip"),
        ("wallet", "POST", "/api/charges"),
        ("wallet", "POST", "/api/holds"),
    }


def test_graph_edges_meet_the_providers_endpoints(graph):
    assert {n["id"] for n in graph["nodes"]} == {f"service:{s}" for s in ("booking", "fares", "fleet", "gateway", "wallet")} | {
        "host:api.psp.example.com",
        "host:maps.example.com",
    }

    def values(edge: dict, key: str) -> tuple:
        return tuple(sorted({x["value"] for x in edge["attributes"].get(key, ())}, key=str))

    edges = {
        (
            e["source"],
            e["target"],
            e["operation"],
            values(e, "endpoint"),
            values(e, "timeout_ms"),
            values(e, "retry_attempts"),
            values(e, "fallback"),
            values(e, "new_request_id_on_retry"),
        )
        for e in graph["edges"]
    }
    assert edges == {
        ("service:gateway", "service:booking", "create", ("POST /bookings",), (2500,), (3,), (), (False,)),
        ("service:gateway", "service:fleet", "FindVehicles", ("GRPC Fleet/FindVehicles",), (250,), (1,), (), ()),
        ("service:gateway", "service:wallet", "Charge", ("POST /api/charges",), (1200,), (2,), (), (False, True)),
        ("service:booking", "service:fares", "quote", ("POST /quotes",), (700,), (3,), (), ()),
        ("service:booking", "service:wallet", "Hold", ("POST /api/holds",), (3000,), (1,), (), ()),
        ("service:fares", "service:fleet", "vehicle", ("GET /vehicles/{id}",), (800,), (4,), (), ()),
        ("service:fleet", "service:booking", "event", ("POST /bookings/{id}/events",), (None,), (3,), (), ()),
        ("service:fleet", "host:maps.example.com", None, (), (1500,), (3,), ("circuit breaker",), ()),
        ("service:wallet", "service:fleet", "GetTrip", ("GRPC Fleet/GetTrip",), (800,), (3,), ("circuit breaker",), ()),
        ("service:wallet", "host:api.psp.example.com", None, (), (4000,), (4,), ("circuit breaker",), ()),
    }
