"""``observed.retries`` against the effective policy (code × mesh, extractor/effective.py) on the
sample fixtures/monorepos/mesh: attempts a mesh route explains are no finding, more are, and a
Linkerd retry budget (a share of all requests, not a bound per request) is not compared."""

from __future__ import annotations

import pytest

from extractor.commands.observe import observed_findings
from extractor.observe.checks import expected_attempts
from extractor.observe.model import Latency, Observations, ObservedEdge, Window
from extractor.pipeline import analyse

from .conftest import FIXTURES

MESH = FIXTURES / "monorepos" / "mesh"


@pytest.fixture(scope="module")
def analysis(catalog):
    return analyse(MESH, catalog=catalog)


def _edge(callee: str, operation: str, attempts: int) -> Observations:
    o = ObservedEdge("web", callee, operation, Latency(40, {50.0: 10.0, 95.0: 20.0, 99.0: 30.0}), "span", True, max_attempts=attempts, retried=4, parents=10)
    return Observations(edges=[o], window=Window(1796651625 * 10**9, 1796651685 * 10**9), spans=50, sources=("mesh.jsonl",))


def _retries(analysis, observed: Observations):
    return [f for f in observed_findings(analysis, observed) if f.check == "observed.retries"]


def test_expected_attempts_are_code_times_mesh(analysis):
    got = {(e.caller, e.callee): expected_attempts(e) for e in analysis.graph.calls}
    assert got[("web", "orders")] == (12, 4)  # tenacity's 3 attempts × the VirtualService's 3 retries + 1
    assert got[("web", "inventory")] == (1, 1)  # an HTTPRoute with a timeout only
    assert got[("web", "payments")] == (None, 1.0)  # a Linkerd retry budget: no bound per request
    assert got[("web", "shipping")] == (1, 1)


def test_attempts_the_mesh_explains_are_no_finding(analysis):
    assert _retries(analysis, _edge("orders", "/orders", 12)) == []
    assert _retries(analysis, _edge("payments", "/payments", 5)) == []


def test_more_attempts_than_code_times_mesh(analysis):
    (f,) = _retries(analysis, _edge("orders", "/orders", 13))
    assert f.services == ("web", "orders") and (f.severity, f.status) == ("warning", "AT_RISK")
    assert f.message.startswith("web makes at most 12 attempt(s) at ")
    assert "in code × mesh (3 × 4), but up to 13 were observed under one parent (4 of 10 calls retried; in mesh.jsonl" in f.message
    assert [(s.service, s.role, s.text) for s in f.sides] == [
        ("web", "code", "3 attempt(s)"),
        ("orders", "does", "its mesh policy tries each request 4 times (istio VirtualService orders)"),
        ("web", "does", "up to 13 attempts per call, 4 of 10 calls retried (observed in mesh.jsonl, 2026-12-07T13:53:45Z – 2026-12-07T13:54:45Z (60 s))"),
    ]
    assert ("k8s/orders-mesh.yaml", 14) in {(loc.file, loc.line) for loc in f.sides[1].locations}


def test_without_mesh_the_code_alone_is_compared(analysis):
    (f,) = _retries(analysis, _edge("shipping", "/labels", 2))
    assert "at most 1 attempt(s) at " in f.message and "in code and contract, but up to 2 were observed" in f.message
    assert [s.role for s in f.sides] == ["code", "does"]
