"""latency.budget and latency.timeout: a consumer's budget and timeout against the provider's declared latency."""

from __future__ import annotations

from .helpers import check, locs, write

CHECKOUT = """
    service: checkout
    depends_on:
      - service: risk
        operation: scoreTransaction
        latency_budget:
          target: p50 < 100ms
          acceptable: p95 < 200ms
        timeout: {timeout}
"""

RISK = """
    service: risk
    provides:
      - operation: scoreTransaction
        latency:
          current: {current}
          target: {target}
"""


def repo(tmp_path, *, current="p50=2800ms, p95=3200ms", target="p50=80ms, p95=150ms (requires caching)", timeout="5s", budget=None):
    checkout = CHECKOUT.format(timeout=timeout)
    if budget is not None:
        checkout = checkout.replace("target: p50 < 100ms\n          acceptable: p95 < 200ms", budget)
    return write(tmp_path, {"checkout-service/contracts/deps.yaml": checkout, "risk-service/contracts/sla.yaml": RISK.format(current=current, target=target)})


def test_current_latency_over_the_budget_blocks_integration(tmp_path):
    (f,) = check(repo(tmp_path), "latency.budget")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("latency", "error", "BLOCKS_INTEGRATION", ("checkout", "risk"), "scoreTransaction")
    assert f.sides[0].text == "p95 < 200ms (acceptable), p50 < 100ms (target)"
    assert f.sides[1].text == "p95 = 3200ms, p50 = 2800ms (current)"
    assert locs(f) == ["checkout-service/contracts/deps.yaml:6", "checkout-service/contracts/deps.yaml:7", "risk-service/contracts/sla.yaml:5"]
    assert f.resolutions[0].action == "risk must implement caching before integration (target p95=150ms)"
    assert f.resolutions[0].owner == "risk"


def test_budget_met_by_the_current_latency_is_fine(tmp_path):
    assert check(repo(tmp_path, current="p50=60ms, p95=150ms"), "latency.budget") == []


def test_only_the_target_level_missed_is_a_warning(tmp_path):
    (f,) = check(repo(tmp_path, current="p50=150ms, p95=190ms"), "latency.budget")
    assert (f.severity, f.status) == ("warning", "AT_RISK")
    assert f.sides[0].text == "p50 < 100ms (target)"


def test_a_target_that_also_misses_the_budget_is_not_offered_as_the_way_out(tmp_path):
    (f,) = check(repo(tmp_path, target="p95=400ms"), "latency.budget")
    assert f.resolutions[0].action.startswith("risk: commit to a latency within checkout's budget (p95 < 200ms)")


def test_a_lower_percentile_bounds_a_missing_higher_one(tmp_path):
    (f,) = check(repo(tmp_path, current="p50=800ms", budget="maximum: p99 < 500ms"), "latency.budget")
    assert f.severity == "error"
    assert f.sides[1].text == "p99 ≥ 800ms (its p50) (current)"


def test_without_current_latency_the_declared_target_is_compared(tmp_path):
    root = write(
        tmp_path,
        {
            "checkout-service/contracts/deps.yaml": CHECKOUT.format(timeout="5s"),
            "risk-service/contracts/sla.yaml": "service: risk\nprovides:\n  - operation: score_transaction\n    latency:\n      target: p95=300ms\n",
        },
    )
    (f,) = check(root, "latency.budget")
    assert f.sides[1].text == "p95 = 300ms (target)"
    assert f.services == ("checkout", "risk")  # scoreTransaction and score_transaction are one operation


def test_declared_timeout_below_the_median_times_out_half_the_calls(tmp_path):
    (f,) = check(repo(tmp_path, timeout="500ms"), "latency.timeout")
    assert (f.severity, f.status, f.services) == ("error", "BLOCKS_INTEGRATION", ("checkout", "risk"))
    assert "at least 50% of calls time out" in f.message
    assert locs(f) == ["checkout-service/contracts/deps.yaml:8", "risk-service/contracts/sla.yaml:5"]


def test_timeout_above_every_declared_percentile_is_fine(tmp_path):
    assert check(repo(tmp_path, timeout="5s"), "latency.timeout") == []


def test_code_timeout_below_only_the_p99_is_a_warning(tmp_path):
    root = write(
        tmp_path,
        {
            "checkout-service/requirements.txt": "requests\n",
            "checkout-service/checkout/fraud.py": """
                import requests

                def score(cart):
                    return requests.post("http://risk:8080/v1/score", json=cart, timeout=0.5)
            """,
            "risk-service/contracts/sla.yaml": RISK.format(current="p95=100ms, p99=900ms", target="p99=300ms"),
        },
    )
    (f,) = check(root, "latency.timeout")
    assert (f.severity, f.status) == ("warning", "AT_RISK")
    assert f.sides[0].text == "a response within 500ms (code)"
    assert locs(f) == ["checkout-service/checkout/fraud.py:4", "risk-service/contracts/sla.yaml:5"]
    assert f.locations[0].rule == "python.http.requests"
