"""An nginx configuration that no service's folder holds, mounted by a Compose service running the
stock image (`./front_proxy.conf:/etc/nginx/conf.d/default.conf`), is that service's
(docs/evaluation.md D64); a configuration no Compose service mounts belongs to no proxy. The
sample is fixtures/monorepos/nginx-mounted."""

from __future__ import annotations

import pytest

from .samples import MONOREPOS, of, run_json

SAMPLE = MONOREPOS / "nginx-mounted"


@pytest.fixture(scope="module")
def scan() -> dict:
    return run_json("scan", SAMPLE, "--no-cache")


def test_the_mounted_file_routes_belong_to_the_compose_service(scan):
    got = [(f["service"], f"{f['file']}:{f['line']}", f["match"], f["target"]["service"], f["timeout_ms"]) for f in of(scan["facts"], "proxy_route")]
    assert got == [
        ("front", "front_proxy.conf:5", "/api/movies", "movies", 60000),
        ("front", "front_proxy.conf:9", "/api/casts", "casts", 5000),
    ]


def test_the_graph_has_the_proxy_edges_and_nothing_from_the_unmounted_file():
    graph = run_json("graph", SAMPLE, "--no-cache")
    got = {
        (e["source"], e["target"], tuple(v["value"] for v in e["attributes"]["timeout_ms"]), tuple(v["value"] for v in e["attributes"]["retry_attempts"]))
        for e in graph["edges"]
        if e["kind"] == "call"
    }
    assert got == {
        ("service:front", "service:movies", (60000.0,), (1,)),
        ("service:front", "service:casts", (5000.0,), (1,)),
    }
