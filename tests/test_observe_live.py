"""``contracts observe`` on telemetry that real instrumented code exported: the sample monorepo's
services (fixtures/monorepos/observed) run as processes under the OpenTelemetry SDK with the OTLP
JSON file exporter, the test sends them requests, and observe must recover every edge the code
makes, the injected latency, and the findings the sample is built to produce.

Latency: pricing sleeps ``DELAY_MS`` per request, so no span of it can be shorter (a lower bound
only: how much longer a request takes depends on the machine's load). Each reported quantile must be
the value of that rank among the exported spans themselves, read here from the files with ``json``
(within the sketch's 1 %, tests/test_observe.py): observe must pick the right spans and read their
times, whatever the machine did.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.docs import schema_files

from .conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "observed"
SERVICES = ("orders", "pricing", "web")
DELAY_MS = 120.0
REQUESTS = 12
SPANS_PER_REQUEST = 15
"""web: its server span and 2 client spans; orders: /orders, its 2 attempts at pricing, 3 × /stock;
pricing: 3 server spans (web's call, orders' 2 attempts), each with a client span to /stock."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"service on port {port} did not start")


def _durations_ms(file: Path, kind: int, attribute: str, suffix: str) -> list[float]:
    """The durations of the spans of ``kind`` (2 server, 3 client) in one OTLP JSON export whose
    ``attribute`` ends with ``suffix``."""
    out = []
    for line in file.read_text("utf-8").splitlines():
        for resource in json.loads(line)["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    attrs = {a["key"]: next(iter(a["value"].values())) for a in span.get("attributes", [])}
                    if span["kind"] == kind and str(attrs.get(attribute, "")).endswith(suffix):
                        out.append((int(span["endTimeUnixNano"]) - int(span["startTimeUnixNano"])) / 1e6)
    return out


def _at_rank(durations: list[float], q: float) -> float:
    """The exported value of the rank the sketch reads for quantile ``q``."""
    return sorted(durations)[int(q * (len(durations) - 1))]


def _lines(files: list[Path]) -> int:
    return sum(sum(1 for line in f.read_text("utf-8").splitlines() if line.strip()) for f in files if f.exists())


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("observed")
    ports = {s: _free_port() for s in SERVICES}
    url = {s: f"http://127.0.0.1:{p}" for s, p in ports.items()}
    files = [out / f"{s}.jsonl" for s in SERVICES]
    procs = []
    try:
        for s in SERVICES:
            env = dict(os.environ)
            env.update(
                PYTHONPATH=str(SAMPLE / "tracing"),
                PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ inside the fixture
                PORT=str(ports[s]),
                TRACES_FILE=str(out / f"{s}.jsonl"),
                ORDERS_URL=url["orders"],
                PRICING_URL=url["pricing"],
                STOCK_URL=url["orders"],
                PRICING_DELAY_MS=str(int(DELAY_MS)),
            )
            procs.append(subprocess.Popen([sys.executable, "-m", f"{s}.app"], cwd=SAMPLE / s, env=env, stderr=subprocess.PIPE))
        deadline = time.monotonic() + 30
        for s in SERVICES:
            _wait_for(ports[s], deadline)
        for _ in range(REQUESTS):
            with urllib.request.urlopen(f"{url['web']}/checkout", timeout=30) as response:
                assert response.status == 200
        # one line per span (SimpleSpanProcessor): a server span is written after its response is sent
        expected = REQUESTS * SPANS_PER_REQUEST
        deadline = time.monotonic() + 20
        while _lines(files) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _lines(files) == expected
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)
    return files


def _observe(files: list[Path], tmp_path: Path, *extra: str):
    stats = tmp_path / "stats.json"
    args = ["observe", str(SAMPLE), "--no-cache", "-q", "--stats", str(stats)]
    for f in files:
        args += ["--traces", str(f)]
    result = CliRunner().invoke(main, [*args, *extra], catch_exceptions=False)
    return result, json.loads(stats.read_text("utf-8"))


def test_every_edge_the_code_makes_is_observed_with_the_injected_latency(exported, tmp_path):
    result, stats = _observe(exported, tmp_path, "--format", "json")
    assert result.exit_code == 1, result.output  # the budget finding is an error
    edges = {(e["caller"], e["callee"]): e for e in stats["edges"]}
    assert set(edges) == {("web", "orders"), ("web", "pricing"), ("orders", "pricing"), ("pricing", "orders")}
    assert all(e["internal"] and e["via"] == "span" for e in edges.values())
    assert edges["web", "orders"]["count"] == REQUESTS
    assert edges["web", "pricing"]["count"] == REQUESTS
    assert edges["orders", "pricing"]["count"] == 2 * REQUESTS  # two attempts per order, each timed out
    assert edges["pricing", "orders"]["count"] == 3 * REQUESTS
    web_file, orders_file, pricing_file = (next(f for f in exported if f.stem == s) for s in ("web", "orders", "pricing"))
    # the client sees the injected sleep (plus pricing's own call to orders), read from web's client spans
    web_pricing = edges["web", "pricing"]
    raw = _durations_ms(web_file, 3, "url.full", "/quote")
    assert len(raw) == REQUESTS
    for p, q in (("p50_ms", 0.5), ("p95_ms", 0.95)):
        assert web_pricing[p] >= DELAY_MS, (p, web_pricing)
        assert web_pricing[p] == pytest.approx(_at_rank(raw, q), rel=0.011), (p, web_pricing, sorted(raw))
    quote = next(o for o in stats["operations"] if o["service"] == "pricing" and o["operation"] == "/quote")
    assert quote["count"] == 3 * REQUESTS
    raw = _durations_ms(pricing_file, 2, "http.route", "/quote")
    assert len(raw) == 3 * REQUESTS and quote["p50_ms"] >= DELAY_MS
    assert quote["p50_ms"] == pytest.approx(_at_rank(raw, 0.5), rel=0.011), (quote, sorted(raw))
    # orders gives up after 60 ms, twice per order: timeouts and retries seen as such
    op = edges["orders", "pricing"]
    assert op["timeouts"] == op["errors"] == 2 * REQUESTS
    assert op["max_attempts"] == 2 and op["retried"] == REQUESTS and op["parents"] == REQUESTS
    raw = _durations_ms(orders_file, 3, "url.full", "/quote")
    assert len(raw) == 2 * REQUESTS and op["p50_ms"] >= 60
    assert op["p50_ms"] == pytest.approx(_at_rank(raw, 0.5), rel=0.011), (op, sorted(raw))
    assert stats["spans"] == REQUESTS * SPANS_PER_REQUEST
    assert stats["unmapped"] == []
    jsonschema.validate(stats, json.loads(schema_files()["observe.v1.schema.json"]))


def test_the_slow_provider_breaks_the_budget_and_the_rest_is_reported(exported, tmp_path):
    result, _ = _observe(exported, tmp_path, "--format", "json")
    doc = json.loads(result.output)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    found = {(f["check"], tuple(f["services"])): f for f in doc["findings"]}
    assert set(found) == {
        ("observed.budget", ("web", "pricing")),
        ("observed.current", ("pricing",)),
        ("observed.timeout", ("orders", "pricing")),
        ("observed.unknown-edge", ("pricing", "orders")),
        ("observed.unseen-edge", ("web", "audit")),
    }
    budget = found["observed.budget", ("web", "pricing")]
    assert budget["severity"] == "error" and budget["status"] == "BLOCKS_INTEGRATION"
    assert f"over {REQUESTS} calls" in budget["message"] and "web.jsonl" in budget["message"]
    assert {"file": "web/contracts/dependencies.yaml", "line": 5, "origin": "declared"} in budget["locations"]
    assert any(l["file"] == "web/web/app.py" and l["origin"] == "code" for l in budget["locations"])
    current = found["observed.current", ("pricing",)]
    assert current["severity"] == "warning" and "declares p50=20ms" in current["message"] and f"over {3 * REQUESTS} calls" in current["message"]
    timeout = found["observed.timeout", ("orders", "pricing")]
    assert timeout["severity"] == "error" and f"{2 * REQUESTS} call(s) timed out" in timeout["message"]
    assert {"file": "orders/orders/app.py", "line": 18, "origin": "code", "rule": "python.http.urllib"} in timeout["locations"]
    unknown = found["observed.unknown-edge", ("pricing", "orders")]
    assert unknown["severity"] == "warning" and f"{3 * REQUESTS} calls" in unknown["message"]
    assert {(l["file"], l["line"]) for l in unknown["locations"]} == {("pricing/contracts/sla.yaml", 1), ("orders/contracts/dependencies.yaml", 1)}
    unseen = found["observed.unseen-edge", ("web", "audit")]
    assert unseen["severity"] == "info" and unseen["locations"] == [{"file": "web/web/app.py", "line": 32, "origin": "code", "rule": "python.http.urllib"}]


def test_the_text_report_shows_the_observations(exported, tmp_path):
    result, _ = _observe(exported, tmp_path)
    assert result.output.startswith(f"Observed: {REQUESTS * SPANS_PER_REQUEST} spans in orders.jsonl, pricing.jsonl, web.jsonl, ")
    assert "\ncontracts observe " in result.output and "contracts check " not in result.output
    assert "web → pricing  /quote  [via span]" in result.output
    assert "orders → pricing  /quote  [via span]" in result.output and f"attempts ≤ 2 ({REQUESTS} of {REQUESTS} calls retried)" in result.output
    assert "Observed latency breaks the budget" in result.output
