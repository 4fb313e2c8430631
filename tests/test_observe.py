"""``contracts observe``'s parts on checked-in exports (fixtures/traces/) and hand-built observations:
the readers of each format, the sketch's error bound, the bounded join, the checks and the errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.cli import main
from extractor.commands.observe import observed_currents, observed_findings, read_telemetry
from extractor.observe import aggregate as aggregate_module
from extractor.observe.aggregate import Aggregate
from extractor.observe.metrics import read_metrics
from extractor.observe.model import Latency, Observations, ObservedEdge, Window
from extractor.observe.services import observations
from extractor.observe.sketch import RELATIVE_ERROR, Sketch
from extractor.observe.spans import Span, TelemetryError, detect, read_spans
from extractor.pipeline import analyse

from .conftest import FIXTURES

TRACES = FIXTURES / "traces"
SAMPLE = FIXTURES / "monorepos" / "observed"


@pytest.fixture(scope="module")
def analysis(catalog):
    return analyse(SAMPLE, catalog=catalog)


# -- the sketch ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=600_000, allow_nan=False), min_size=1, max_size=400), st.sampled_from([0.0, 0.5, 0.9, 0.95, 0.99, 1.0]))
def test_the_sketch_is_within_its_relative_error_of_the_value_at_that_rank(values, q):
    sketch = Sketch()
    for v in values:
        sketch.add(v)
    true = sorted(values)[math.floor(q * (len(values) - 1))]
    estimate = sketch.quantile(q)
    assert estimate is not None and abs(estimate - true) <= RELATIVE_ERROR * true * 1.0001


def test_the_sketch_stays_small_whatever_the_number_of_values():
    sketch = Sketch()
    for i in range(200_000):
        sketch.add(0.001 * (1.0001**i))  # 1 µs to about 485 ms, every value distinct
    assert sketch.count == 200_000 and len(sketch.buckets) < 1_200


# -- readers --------------------------------------------------------------------------------------


def test_formats_are_told_apart():
    assert detect(TRACES / "otlp-sample.jsonl") == "otlp"
    assert detect(TRACES / "jaeger.json") == "jaeger"
    assert detect(TRACES / "zipkin.json") == "zipkin"


def test_a_real_sdk_export_is_read_through_the_protobuf_definitions():
    spans = list(read_spans(TRACES / "otlp-sample.jsonl"))
    assert len(spans) == 45
    assert {s.service for s in spans} == {"web", "orders", "pricing"}
    assert sum(1 for s in spans if s.kind == "server" and s.route == "/checkout") == 3
    timeouts = [s for s in spans if s.timeout]
    assert len(timeouts) == 6 and all(s.service == "orders" and s.kind == "client" and s.route == "/quote" for s in timeouts)
    server = next(s for s in spans if s.kind == "server" and s.route == "/orders")
    client = next(s for s in spans if s.kind == "client" and s.id == server.parent)
    assert client.service == "web" and client.trace == server.trace and len(client.id) == 16  # ids as written (hex)
    agg, _ = read_telemetry([TRACES / "otlp-sample.jsonl"], [])
    edges = {(a, b, op): s.count for (a, b, op, via), s in agg.edges.items() if via == "span"}
    assert edges == {("web", "orders", "/orders"): 3, ("web", "pricing", "/quote"): 3, ("orders", "pricing", "/quote"): 6, ("pricing", "orders", "/stock"): 9}


def test_jaeger_retries_timeouts_and_a_renamed_service(analysis):
    agg, _ = read_telemetry([TRACES / "jaeger.json"], [])
    obs = observations(analysis.graph, agg, [], {"quote-engine": "pricing"})
    (edge,) = obs.edges
    assert (edge.caller, edge.callee, edge.operation, edge.via, edge.internal) == ("web", "pricing", "/quote", "span", True)
    assert edge.latency.count == 2 and edge.latency.timeouts == 1 and edge.latency.errors == 1
    assert (edge.max_attempts, edge.retried, edge.parents) == (2, 1, 1)
    assert obs.service("pricing") is not None and obs.service("pricing").observed_as == "quote-engine"
    assert obs.unmapped == ()
    assert observations(analysis.graph, agg, []).unmapped == ("quote-engine",)  # without the override
    assert observations(analysis.graph, agg, [], {}).edges[0].internal is False


def test_service_names_resolve_through_the_inventory_aliases(analysis):
    agg = Aggregate()
    agg.add(Span("t", "s1", "", "pricing-svc", "server", "GET /quote", 0, 10**6, route="/quote"))
    agg.add(Span("t", "s2", "", "orders.default.svc.cluster.local", "server", "GET /stock", 0, 10**6, route="/stock"))
    obs = observations(analysis.graph, agg.finish(), [])
    assert [s.service for s in obs.services] == ["orders", "pricing"] and obs.unmapped == ()


def test_zipkin_shared_spans_join_and_peers_name_the_rest(analysis):
    agg, _ = read_telemetry([TRACES / "zipkin.json"], [])
    obs = observations(analysis.graph, agg, [])
    by = {(e.caller, e.callee): e for e in obs.edges}
    assert by["web", "pricing"].via == "span" and by["web", "pricing"].operation == "/quote"
    assert abs(by["web", "pricing"].latency.at(50.0) - 130.0) <= 130.0 * RELATIVE_ERROR
    ledger = by["web", "ledger"]
    assert (ledger.via, ledger.internal, ledger.latency.errors, ledger.latency.timeouts) == ("peer", False, 1, 1)  # 504
    assert obs.unmapped == ("ledger",)


def test_prometheus_text_and_range_query_histograms():
    (h,) = read_metrics(TRACES / "prometheus.txt")
    assert (h.service, h.operation, h.count) == ("pricing", "/quote", 100)
    assert [round(h.quantile(q), 6) for q in (0.5, 0.95, 0.99)] == [150.0, 350.0, 470.0]
    (r,) = read_metrics(TRACES / "prometheus-range.json")
    assert (r.service, r.operation, r.count) == ("orders", "/orders", 100)  # 300 - 200 in the window
    assert [round(r.quantile(q), 6) for q in (0.5, 0.95)] == [100.0, 190.0]
    assert (r.start_s, r.end_s) == (1796651600.0, 1796651660.0)


def test_metrics_feed_the_operations_and_init_values(analysis):
    agg, hists = read_telemetry([], [TRACES / "prometheus.txt"])
    obs = observations(analysis.graph, agg, hists)
    (op,) = obs.operations
    assert (op.service, op.operation, op.latency.source, op.latency.count) == ("pricing", "/quote", "metrics", 100)
    (current,) = observed_currents(obs, ["pricing"])
    assert (current.operation, current.value) == ("/quote", "p50=150ms, p95=350ms, p99=470ms")
    assert current.provenance.startswith("observed: prometheus.txt, 100 calls")


# -- the bounded join -------------------------------------------------------------------------------


def _client(i: int, end_s: float, parent: str = "p") -> Span:
    return Span("t", f"c{i}", parent, "web", "client", "GET", int((end_s - 0.01) * 1e9), int(end_s * 1e9), peer="pricing", route="/quote", method="GET")


def test_pending_spans_are_bounded_and_settled_by_their_peer(monkeypatch):
    monkeypatch.setattr(aggregate_module, "PENDING_LIMIT", 50)
    agg = Aggregate()
    most = 0
    for i in range(1_000):
        agg.add(_client(i, 1.0 + i * 1e-3, f"p{i // 2}"))  # two attempts under each parent
        most = max(most, len(agg._clients), len(agg._groups))
    assert most <= 51
    agg.finish()
    ((key, stats),) = agg.edges.items()
    assert key == ("web", "pricing", "/quote", "peer") and stats.count == 1_000
    (retries,) = agg.retries.values()
    assert (retries.groups, retries.retried, retries.max_attempts) == (500, 500, 2)


def test_a_span_waits_at_most_the_window():
    agg = Aggregate()
    agg.add(_client(0, 1.0))
    agg.add(_client(1, 1.0 + aggregate_module.WINDOW_NS / 1e9 + 1))
    assert list(agg._clients) == ["c1"]


# -- the checks on hand-built observations ----------------------------------------------------------------


def _observed(*edges: ObservedEdge) -> Observations:
    return Observations(edges=list(edges), window=Window(1796651625 * 10**9, 1796651685 * 10**9), spans=10, sources=("x.jsonl",))


def test_more_attempts_observed_than_the_code_makes(analysis):
    three = ObservedEdge("orders", "pricing", "/quote", Latency(30, {50.0: 61.0, 95.0: 63.0, 99.0: 64.0}), "span", True, max_attempts=3, retried=10, parents=10)
    (f,) = [f for f in observed_findings(analysis, _observed(three)) if f.check == "observed.retries"]
    assert f.services == ("orders", "pricing") and f.severity == "warning" and f.status == "AT_RISK"
    assert "at most 2 attempt(s)" in f.message and "up to 3 were observed" in f.message and "x.jsonl" in f.message
    assert any(l.file == "orders/orders/app.py" and l.rule for l in f.locations)
    two = ObservedEdge("orders", "pricing", "/quote", three.latency, "span", True, max_attempts=2, retried=10, parents=10)
    assert not [f for f in observed_findings(analysis, _observed(two)) if f.check == "observed.retries"]


def test_few_calls_make_no_latency_finding(analysis):
    slow = ObservedEdge("web", "pricing", "/quote", Latency(4, {50.0: 500.0, 95.0: 900.0, 99.0: 900.0}), "span", True)
    assert not [f for f in observed_findings(analysis, _observed(slow)) if f.check == "observed.budget"]
    enough = ObservedEdge("web", "pricing", "/quote", Latency(5, {50.0: 500.0, 95.0: 900.0, 99.0: 900.0}), "span", True)
    (f,) = [f for f in observed_findings(analysis, _observed(enough)) if f.check == "observed.budget"]
    assert "p95 = 900ms over 5 calls" in f.message


def test_contracts_check_reports_no_observed_finding(analysis):
    from extractor.checks import CheckContext, run_checks

    found = run_checks(CheckContext(analysis.graph, analysis.declared, analysis.inferred))
    assert found and not [f for f in found if f.kind == "observed"]


# -- errors -------------------------------------------------------------------------------------------


def test_a_bad_line_names_the_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text((TRACES / "otlp-sample.jsonl").read_text("utf-8").splitlines()[0] + '\n{"resourceSpans": [{"scopeSpans": 7}]}\n', "utf-8")
    with pytest.raises(TelemetryError, match=r"bad\.jsonl:2: not an OTLP JSON trace export line"):
        list(read_spans(bad))
    result = CliRunner().invoke(main, ["observe", str(SAMPLE), "-q", "--traces", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.output


def test_usage_errors(tmp_path: Path):
    runner = CliRunner()
    assert runner.invoke(main, ["observe", str(SAMPLE), "-q"]).exit_code == 2
    result = runner.invoke(main, ["observe", str(SAMPLE), "-q", "--traces", str(TRACES / "jaeger.json"), "--service", "quote-engine"])
    assert result.exit_code == 2 and "OBSERVED=SERVICE" in result.output
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": 1}', "utf-8")
    result = runner.invoke(main, ["observe", str(SAMPLE), "-q", "--traces", str(odd)])
    assert result.exit_code == 2 and "not a trace export" in result.output


def test_sarif_output_lists_the_observed_checks():
    result = CliRunner().invoke(main, ["observe", str(SAMPLE), "-q", "--traces", str(TRACES / "otlp-sample.jsonl"), "--format", "sarif", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"observed.timeout", "observed.unseen-edge"}


# -- contracts init --from-traces -------------------------------------------------------------------


def test_init_from_traces_writes_the_observed_latency_once(tmp_path: Path):
    import shutil

    from extractor.contracts.load import load_contracts

    repo = tmp_path / "observed"
    shutil.copytree(SAMPLE, repo)
    runner = CliRunner()
    export = str(TRACES / "otlp-sample.jsonl")
    result = runner.invoke(main, ["init", str(repo), "-q", "--no-cache", "--from-traces", export], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = (repo / "orders" / "contracts" / "inferred.yaml").read_text("utf-8")
    assert (
        "  - operation: /orders  # observed: the route of its server spans\n    latency:\n      current: p50=125ms, p95=125ms, p99=125ms  # observed: otlp-sample.jsonl, 3 calls, 2026-12-07T13:54:11Z – 2026-12-07T13:54:12Z (1 s)\n    inferred: true\n"
        in written
    )
    assert "/stock" in written and "/checkout" in (repo / "web" / "contracts" / "inferred.yaml").read_text("utf-8")
    assert not (repo / "pricing" / "contracts" / "inferred.yaml").exists()  # pricing declares its current latency already
    loaded = load_contracts(repo, [("orders", "orders")])
    assert not loaded.errors
    (op,) = [o for o in loaded.contracts["orders"].provided_operations if o.operation == "/orders"]
    assert op.latency is not None and op.latency.current is not None and op.latency.current[95.0].ms == 125.0
    again = runner.invoke(main, ["init", str(repo), "-q", "--no-cache", "--from-traces", export, "--format", "json"], catch_exceptions=False)
    assert again.exit_code == 0 and all(not s["added"] for s in json.loads(again.output)["services"])
