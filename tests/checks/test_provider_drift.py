"""Provider-side drift (extractor/checks/provider.py): a provider's declared provides/operations against its own
code and its consumers' code, on fixtures/monorepos/provider-drift and on the fraud-detection samples."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..conftest import FIXTURES
from .helpers import analyse_repo, findings

SAMPLE = FIXTURES / "monorepos" / "provider-drift"
PROVIDER_CHECKS = ("drift.provider-stream-replica-read", "drift.provider-idempotency", "drift.endpoint-not-served")


def provider_findings(root: Path) -> list:
    analysis = analyse_repo(root)
    return [f for check in PROVIDER_CHECKS for f in findings(analysis, check)]


def located(f) -> list[str]:
    return [f"{loc.file}:{loc.line}" for loc in f.locations]


def test_the_sample_shows_each_provider_drift_once_with_both_sides() -> None:
    found = {f.check: f for f in provider_findings(SAMPLE)}
    assert sorted(found) == sorted(PROVIDER_CHECKS)

    stream = found["drift.provider-stream-replica-read"]
    assert (stream.severity, stream.status, stream.services, stream.subject) == ("error", "DRIFT", ("reports-service", "orders"), "user_purchases")
    assert [(s.service, s.role) for s in stream.sides] == [("orders", "provides"), ("reports-service", "code")]
    assert stream.sides[0].text == "user_purchases via event_stream, 1-2s typical, 2s max"
    assert located(stream) == ["orders-service/contracts/data.yaml:4", "reports-service/reports/daily.py:11"]

    idem = found["drift.provider-idempotency"]
    assert (idem.severity, idem.status, idem.services, idem.subject) == ("warning", "DRIFT", ("risk",), "scoreTransaction")
    assert [(s.role, s.text) for s in idem.sides] == [("declares", "scoreTransaction expects new_per_attempt"), ("code", "de-duplicates on transaction_id")]
    assert located(idem) == ["risk-service/contracts/api.yaml:13", "risk-service/risk/api.py:11"]

    endpoint = found["drift.endpoint-not-served"]
    assert (endpoint.severity, endpoint.status, endpoint.services, endpoint.subject) == ("warning", "DRIFT", ("risk",), "/fraud-signals-v2")
    assert endpoint.sides[1].text == "serves POST /v1/score, GET /fraud-score/{tx_id}"  # /fraud-score is served (under a parameter), /fraud-signals-v2 is not
    assert located(endpoint) == ["risk-service/contracts/api.yaml:8", "risk-service/risk/api.py:8", "risk-service/risk/api.py:18"]


def test_nothing_on_the_fraud_detection_samples_whose_providers_match_their_code() -> None:
    # risk expects stable_across_retries and serves both declared endpoints; in the events sample, risk
    # declares its read of user_purchases, which freshness.event-stream-consumer reports instead
    for name in ("fraud-detection", "fraud-detection-events"):
        assert provider_findings(FIXTURES / "monorepos" / name) == [], name


def test_orders_moving_to_an_event_stream_while_a_reader_still_reads_its_replica(tmp_path: Path) -> None:
    """The issue's seed: orders declares `via: event_stream, 5s max` and risk's code still reads the replica.
    Declared by risk: freshness.event-stream-consumer; not declared: drift.provider-stream-replica-read."""
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "monorepos" / "fraud-detection", root, ignore=shutil.ignore_patterns(".contracts-cache"))
    data = root / "orders-service" / "contracts" / "data.yaml"
    data.write_text(data.read_text("utf-8").replace("via: database_replica", "via: event_stream").replace("15-30s typical, 60s max", "5s max"), "utf-8")
    analysis = analyse_repo(root)
    assert [f.services for f in findings(analysis, "freshness.event-stream-consumer") if f.severity == "error"] == [("risk", "orders")]
    assert findings(analysis, "drift.provider-stream-replica-read") == []
    (root / "risk-service" / "contracts" / "data.yaml").unlink()
    moved = [f for f in provider_findings(root) if f.check == "drift.provider-stream-replica-read"]
    assert [(f.services, f.subject, located(f)) for f in moved] == [
        (("risk", "orders"), "user_purchases", ["orders-service/contracts/data.yaml:5", "risk-service/risk/history.py:11"])
    ]
