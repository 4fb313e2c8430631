"""fixtures/monorepos/proxy-paths end to end (D31): a timeout inversion through a proxy counts only
the routes whose match takes the caller's request paths, a route the caller may take only because its
path is not known makes a doubt (info), and a handler the caller's paths never hit does not count."""

from __future__ import annotations

import json

import pytest

from extractor.environment.routes import route_takes

from .test_sample import run

SAMPLE = "fixtures/monorepos/proxy-paths"


@pytest.fixture(scope="module")
def findings():
    return json.loads(run("check", SAMPLE, "--jobs", "1", "--format", "json").output)["findings"]


def test_only_the_routes_and_handlers_the_caller_takes_count(findings):
    got = sorted((f["check"], f["severity"], f["message"]) for f in findings)
    assert got == [
        (
            "system.missing-timeout",
            "warning",
            "front calls assistant without a timeout: POST http://assistant:8080/",
        ),
        (
            "system.timeout-inversion",
            "info",
            "admin gives gateway 10s (code), but gateway may spend 300s on one downstream call: CALL http://hub:8080 (timeout 300s)",
        ),
    ]
    doubt = next(f for f in findings if f["check"] == "system.timeout-inversion")
    assert [s["text"] for s in doubt["sides"]] == [
        "a response within 10s (code)",
        "may spend 300s on CALL http://hub:8080 (timeout 300s), a call of a route the caller's requests may take (their path is not known)",
    ]
    assert sorted(f"{l['file']}:{l['line']}" for l in doubt["locations"]) == ["admin/admin/app.py:12", "gateway/envoy.yaml:21"]


@pytest.mark.parametrize(
    ("match", "path", "takes"),
    [
        ("/c/", "/c/api/v1/catalog/items", True),
        ("/hub/notificationhub", "/c/api/v1/catalog/items", False),
        ("/", "/api/products", True),
        ("/flagservice/", "/api/products", False),
        ("/api/customer/**", "/api/customer/owners/{id}", True),
        ("/api/customer/**", "/api/vet/1", False),
        ("/api/catalog/{*any}", "/api/catalog/items", True),
        ("/accounts/**,/statistics/**", "/statistics/demo", True),
        ("/items/{id}", "/items/1/more", False),
        ("^/api/v[0-9]+/.*$", "/api/v2/x", True),
        ("^/api/v[0-9]+/.*$", "/web/x", False),
        (None, "/anything", True),
    ],
)
def test_route_takes(match, path, takes):
    assert route_takes(match, path) is takes
