"""Call edges from Prometheus metrics that name both sides (extractor/observe/metrics.py,
``EDGE_METRICS``): Istio's ``istio_requests_total`` and ``istio_request_duration_milliseconds``,
OpenTelemetry's ``http_client_request_duration_seconds`` with ``server_address``, Linkerd's
``response_total`` (outbound), compared with the static graph of fixtures/monorepos/observed like
trace edges. The text exposition is written by the real client library (``prometheus_client``) in
the test; the range-query JSON is a Prometheus server's answer, written by hand
(fixtures/traces/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from extractor.commands.observe import document, observed_findings, read_exports
from extractor.observe.metrics import read_prometheus
from extractor.observe.services import observations
from extractor.pipeline import analyse

from .conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "observed"
RANGE = FIXTURES / "traces" / "prometheus-edges-range.json"


@pytest.fixture(scope="module")
def analysis(catalog):
    return analyse(SAMPLE, catalog=catalog)


@pytest.fixture(scope="module")
def exposition(tmp_path_factory) -> Path:
    """What a /metrics endpoint serves: Istio's standard metrics as the sidecars report them (each
    request twice, reporter=source and reporter=destination), and OpenTelemetry's HTTP client
    duration as its Prometheus exporter names it."""
    registry = CollectorRegistry()
    requests = Counter(
        "istio_requests",
        "Requests",
        ["reporter", "source_workload", "destination_workload", "destination_service", "response_code"],
        registry=registry,
    )
    duration = Histogram(
        "istio_request_duration_milliseconds",
        "Duration",
        ["reporter", "source_workload", "destination_workload", "response_code"],
        buckets=(10, 50, 100, 500),
        registry=registry,
    )
    client = Histogram(
        "http_client_request_duration_seconds",
        "Client duration",
        ["job", "server_address", "http_request_method", "http_response_status_code"],
        buckets=(0.025, 0.05, 0.1, 0.25),
        registry=registry,
    )
    for reporter in ("source", "destination"):  # the same requests, seen by both sidecars
        requests.labels(reporter, "web", "orders", "orders.default.svc.cluster.local", "200").inc(40)
        requests.labels(reporter, "web", "orders", "orders.default.svc.cluster.local", "503").inc(2)
        for ms in [5.0] * 20 + [30.0] * 20 + [200.0] * 2:
            duration.labels(reporter, "web", "orders", "200").observe(ms)
    requests.labels("source", "orders", "pricing", "pricing.default.svc.cluster.local", "200").inc(30)
    requests.labels("destination", "pricing", "orders", "orders.default.svc.cluster.local", "200").inc(5)  # only its server side reported
    requests.labels("source", "unknown", "orders", "orders.default.svc.cluster.local", "200").inc(9)  # a caller outside the mesh: no edge
    for s in [0.02] * 10 + [0.2] * 10:
        client.labels("web", "pricing", "GET", "200").observe(s)
    client.labels("web", "pricing", "GET", "500").observe(0.04)
    path = tmp_path_factory.mktemp("metrics") / "metrics.txt"
    path.write_bytes(generate_latest(registry))
    return path


def test_edges_from_the_text_exposition(exposition):
    found = read_prometheus(exposition)
    assert found.histograms == []  # the client's and the mesh's histograms are edges, not a service's operations
    got = [(e.family, e.caller, e.callee, e.operation, e.calls, e.errors) for e in found.edges]
    assert got == [
        ("istio", "orders", "pricing", "", 30, 0),
        ("istio", "pricing", "orders", "", 5, 0),  # reporter=destination alone: counted
        ("istio", "web", "orders", "", 42, 2),  # reporter=source kept, destination dropped; 503 is an error
        ("opentelemetry", "web", "pricing", "", 21, 1),  # from the histogram's count; status 500 is an error
    ]
    web_orders = found.edges[2].latency
    assert web_orders is not None and web_orders.count == 42
    assert [round(web_orders.quantile(q) or 0, 3) for q in (0.5, 0.95)] == [12.0, 49.8]  # histogram_quantile: linear inside (10, 50]
    web_pricing = found.edges[3].latency
    assert web_pricing is not None and [round(web_pricing.quantile(q) or 0, 3) for q in (0.5, 0.95)] == [37.5, 234.25]


def test_edges_from_a_range_query():
    found = read_prometheus(RANGE)
    assert [(e.family, e.caller, e.callee, e.calls, e.errors, e.start_s, e.end_s) for e in found.edges] == [
        ("linkerd", "web", "audit", 12, 3, 1796651600.0, 1796651660.0),  # outbound only; the window's growth
    ]
    assert found.edges[0].latency is not None and found.edges[0].latency.count == 12


def test_metric_edges_against_the_static_graph(analysis, exposition):
    agg, metrics = read_exports([], [exposition])
    obs = observations(analysis.graph, agg, metrics.histograms, {}, metrics.edges)
    assert [(e.caller, e.callee, e.via, e.internal, e.latency.count, e.latency.errors, e.latency.source) for e in obs.edges] == [
        ("orders", "pricing", "metrics", True, 30, 0, "metrics"),
        ("pricing", "orders", "metrics", True, 5, 0, "metrics"),
        ("web", "orders", "metrics", True, 42, 2, "metrics"),
        ("web", "pricing", "metrics", True, 21, 1, "metrics"),
    ]
    findings = observed_findings(analysis, obs)
    by_check = sorted((f.check, f.services) for f in findings)
    assert by_check == [
        ("observed.budget", ("web", "pricing")),  # p95 = 234 ms from the client histogram, against p95 < 50ms
        ("observed.unknown-edge", ("pricing", "orders")),
        ("observed.unseen-edge", ("web", "audit")),
    ]
    (budget,) = [f for f in findings if f.check == "observed.budget"]
    assert "its calls took p95 = 234ms over 21 calls (in metrics.txt" in budget.message
    (unknown,) = [f for f in findings if f.check == "observed.unknown-edge"]
    assert unknown.message.startswith("pricing was observed calling orders (?; 5 calls, in metrics.txt")
    doc = document(".", obs)
    assert {e["via"] for e in doc["edges"]} == {"metrics"}


def test_a_range_query_observes_the_edge_the_text_lacks(analysis, exposition):
    agg, metrics = read_exports([], [exposition, RANGE])
    obs = observations(analysis.graph, agg, metrics.histograms, {}, metrics.edges)
    assert [(e.caller, e.callee, e.latency.count, e.latency.errors) for e in obs.edges_between("web", "audit")] == [("web", "audit", 12, 3)]
    assert "observed.unseen-edge" not in {f.check for f in observed_findings(analysis, obs)}


def test_the_command_reads_metrics_alone():
    from .checks.test_sample import run

    out = run("observe", "fixtures/monorepos/observed", "--metrics", "fixtures/traces/prometheus-edges-range.json", "--jobs", "1")
    assert out.exit_code == 0, out.output
    assert "Edges (client spans; via metrics: metrics naming both sides):\n  web → audit  *  [via metrics]\n" in out.output
    assert "12 calls  p50      7.5ms  p95    100.0ms  p99    100.0ms  errors 3 (25.0%)" in out.output
