"""freshness.dataset and freshness.replica-read: how stale a consumer may read data, against its provider."""

from __future__ import annotations

from .helpers import Facts, check, findings, locs, write

RISK = """
    service: risk
    data_dependencies:
      - source: orders-db
        dataset: user_purchases
        freshness_required: <10s
        reason: velocity_fraud_detection
        impact_if_stale: false_negatives
"""

ORDERS = """
    service: orders
    provides:
      - dataset: user_purchases
        via: {via}
        freshness: {freshness}
"""


def repo(tmp_path, freshness="15-30s typical, 60s max", via="database_replica"):
    return write(tmp_path, {"risk-service/contracts/data.yaml": RISK, "orders-service/contracts/data.yaml": ORDERS.format(via=via, freshness=freshness)})


def test_replica_lag_over_the_requirement_blocks_integration(tmp_path):
    (f,) = check(repo(tmp_path), "freshness.dataset")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("freshness", "error", "BLOCKS_INTEGRATION", ("risk", "orders"), "user_purchases")
    assert [s.text for s in f.sides] == ["<10s for velocity fraud detection", "15-30s typical, 60s max (database_replica)"]
    assert locs(f) == ["orders-service/contracts/data.yaml:4", "orders-service/contracts/data.yaml:5", "risk-service/contracts/data.yaml:5"]
    assert f.impact == "Velocity fraud detection unreliable (false negatives)"
    assert [r.action for r in f.resolutions] == [
        "orders: Provide event stream (infrastructure)",
        "risk: Relax requirement to 60s (accuracy loss)",
        "risk: Alternative algorithm (redesign)",
    ]


def test_the_worst_case_counts_not_the_typical_range(tmp_path):
    (f,) = check(repo(tmp_path, freshness="2-5s typical, 30s max"), "freshness.dataset")
    assert "up to 30s stale" in f.message


def test_fresh_enough_data_is_fine(tmp_path):
    assert check(repo(tmp_path, freshness="1-2s typical, 5s max"), "freshness.dataset") == []


def test_a_slow_event_stream_asks_for_less_lag_not_for_a_stream(tmp_path):
    (f,) = check(repo(tmp_path, freshness="20s", via="event_stream"), "freshness.dataset")
    assert f.resolutions[0].action == "orders: Reduce the stream's lag below <10s (infrastructure)"


def _replica_facts(with_read: bool = True) -> Facts:
    facts = Facts().service("risk", "risk-service").service("orders", "orders-service")
    if with_read:
        facts.add(
            "replica_read",
            "risk",
            "risk-service/risk/history.py",
            11,
            "python.replica.sqlalchemy",
            mechanism="sqlalchemy_engine",
            source="{env ORDERS_REPLICA_URL}",
            dataset=None,
            evidence="engine URL names a replica",
        )
    return facts


def test_replica_read_without_declared_lag_is_unverified(tmp_path):
    root = write(tmp_path, {"risk-service/contracts/data.yaml": RISK, "orders-service/contracts/other.yaml": "service: orders\n"})
    (f,) = findings(_replica_facts().analyse(root), "freshness.replica-read")
    assert (f.severity, f.status, f.services, f.subject) == ("warning", "UNVERIFIED", ("risk", "orders"), "user_purchases")
    assert locs(f) == ["risk-service/contracts/data.yaml:5", "risk-service/risk/history.py:11"]
    assert f.locations[1].rule == "python.replica.sqlalchemy"


def test_no_replica_read_no_unverified_finding(tmp_path):
    root = write(tmp_path, {"risk-service/contracts/data.yaml": RISK})
    assert findings(_replica_facts(with_read=False).analyse(root), "freshness.replica-read") == []


def test_declared_lag_leaves_the_replica_read_to_the_dataset_check(tmp_path):
    analysis = _replica_facts().analyse(repo(tmp_path))
    assert findings(analysis, "freshness.replica-read") == []
    (f,) = findings(analysis, "freshness.dataset")
    assert "risk-service/risk/history.py:11" in locs(f)  # the replica read is evidence
