"""The sample monorepos end to end: the findings the article's story needs, and snapshots of the reports.

The snapshots are what users read: ``contracts check`` (text and JSON) and ``contracts graph`` (JSON) of
fraud-detection, polyglot, polyglot-shop, events and gateway, run from the repository root so paths are relative to the
given root. After an intended change, regenerate them all with

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/checks/test_sample.py

and review the diff like code.
"""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.docs import schema_files

from ..conftest import REPO

SAMPLE = "fixtures/monorepos/fraud-detection"
SNAPSHOTS = REPO / "tests" / "snapshots"


def run(*args: str):
    """Run the CLI from the repository root: paths in the reports are relative to the given root, shown as given."""
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def check_and_graph(root: str):
    """`contracts check` as text and as JSON, and `contracts graph`, of ``root``."""
    return run("check", root, "--jobs", "1"), run("check", root, "--jobs", "1", "--format", "json"), run("graph", root, "--jobs", "1")


@pytest.fixture(scope="module")
def reports():
    return check_and_graph(SAMPLE)


def snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    assert actual == expected, f"{path.relative_to(REPO)} differs; if intended: UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/checks/test_sample.py"


def test_text_report_snapshot(reports):
    text, _, _ = reports
    assert text.exit_code == 1
    snapshot("fraud-detection.check.txt", text.output)


def test_json_report_snapshot_follows_the_schema(reports):
    _, data, _ = reports
    assert data.exit_code == 1
    jsonschema.validate(json.loads(data.output), json.loads(schema_files()["findings.v1.schema.json"]))
    snapshot("fraud-detection.check.json", data.output)


def test_graph_snapshot(reports):
    _, _, graph = reports
    assert graph.exit_code == 0
    snapshot("fraud-detection.graph.json", graph.output)


def _summary(reports) -> set[tuple[str, str, tuple[str, ...], str]]:
    _, data, _ = reports
    return {(f["check"], f["severity"], tuple(f["services"]), f["status"]) for f in json.loads(data.output)["findings"]}


def test_the_four_conflicts_of_the_article(reports):
    found = _summary(reports)
    assert ("latency.budget", "error", ("checkout", "risk"), "BLOCKS_INTEGRATION") in found
    assert ("freshness.dataset", "error", ("risk", "orders"), "BLOCKS_INTEGRATION") in found
    assert ("idempotency.new-id-on-retry", "error", ("checkout", "risk"), "BLOCKS_INTEGRATION") in found
    assert ("access.data-policy", "error", ("support", "risk"), "DECISION_REQUIRED") in found


def test_the_drift_the_sample_code_causes(reports):
    found = _summary(reports)
    assert ("drift.timeout", "error", ("checkout", "risk"), "DRIFT") in found  # 500ms declared, 5s in code
    assert ("drift.retry", "error", ("checkout", "risk"), "DRIFT") in found  # retry: none, tenacity 3 attempts
    assert ("drift.undeclared-dependency", "warning", ("checkout", "payment"), "DRIFT") in found
    assert ("drift.replica-read", "error", ("risk", "orders"), "DRIFT") in found


def test_system_findings_that_hold(reports):
    found = _summary(reports)
    assert ("system.missing-timeout", "warning", ("risk", "api.fraud-signals.example.com"), "AT_RISK") in found
    assert ("system.timeout-inversion", "warning", ("checkout", "risk"), "AT_RISK") in found  # record_check has no timeout
    assert ("system.timeout-inversion", "warning", ("checkout", "payment"), "AT_RISK") in found  # 3s vs the gateway's 10s
    assert not any(check == "system.timeout-inversion" and services == ("support", "risk") for check, _, services, _ in found)  # /fraud-score calls nothing
    assert not any(check == "system.retry-amplification" for check, *_ in found)  # 3 attempts at most


# ---------------------------------------------------------------- the polyglot samples
# (sample, exit code of `contracts check`): warnings only, so all exit 0
POLYGLOT = {"polyglot": 0, "polyglot-shop": 0, "events": 0, "gateway": 0}


@pytest.fixture(scope="module", params=sorted(POLYGLOT))
def polyglot_reports(request):
    name = request.param
    return (name, *check_and_graph(f"fixtures/monorepos/{name}"))


def test_polyglot_snapshots(polyglot_reports):
    name, text, data, graph = polyglot_reports
    assert (text.exit_code, data.exit_code, graph.exit_code) == (POLYGLOT[name], POLYGLOT[name], 0)
    jsonschema.validate(json.loads(data.output), json.loads(schema_files()["findings.v1.schema.json"]))
    jsonschema.validate(json.loads(graph.output), json.loads(schema_files()["graph.v1.schema.json"]))
    for output in (text.output, data.output, graph.output):
        assert str(REPO) not in output  # paths are relative to the root as given
    snapshot(f"{name}.check.txt", text.output)
    snapshot(f"{name}.check.json", data.output)
    snapshot(f"{name}.graph.json", graph.output)


def test_polyglot_retry_amplification_follows_what_handlers_reach():
    data = run("check", "fixtures/monorepos/polyglot", "--jobs", "1", "--format", "json")
    subjects = {f["subject"] for f in json.loads(data.output)["findings"] if f["check"] == "system.retry-amplification"}
    # fares.quote retries fleet's /vehicles/{id} 4 times and booking retries quote 3 times: 12 > 10. No other
    # chain holds: fleet's vehicle and GetTrip handlers call nothing, booking's event and wallet's Hold neither.
    # The Istio VirtualService of deploy/k8s/mesh.yaml doubles booking's tries to fares (3 × 2 = 6): 24 calls to
    # fleet, and gateway's 3 attempts of booking.create now make 18 calls to fares, a chain of its own.
    assert subjects == {"booking>fares>fleet", "gateway>booking>fares"}
