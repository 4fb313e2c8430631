"""Loading declared contracts: the article's shapes verbatim, merging, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.contracts import (
    Bound,
    DurationRange,
    Location,
    ProvidedDataset,
    ProvidedEndpoint,
    ProvidedOperation,
    load_contract_file,
    load_contract_text,
    load_contracts,
)
from extractor.contracts.load import ContractError

from .helpers import ARTICLE, ARTICLE_SERVICES, INVALID, expected_errors


@pytest.fixture(scope="module")
def article():
    loaded = load_contracts(ARTICLE, ARTICLE_SERVICES)
    assert loaded.errors == []
    return loaded


def test_article_files_are_all_found(article):
    assert article.files == [
        "checkout-service/contracts/dependencies.yaml",
        "checkout-service/contracts/retry.yaml",
        "orders-service/contracts/data.yaml",
        "risk-service/contracts/data-exposure.yaml",
        "risk-service/contracts/data.yaml",
        "risk-service/contracts/idempotency.yaml",
        "risk-service/contracts/sla.yaml",
        "support-service/contracts/data-needs.yaml",
    ]
    assert sorted(article.contracts) == ["checkout", "orders", "risk", "support"]


def test_performance_contract_of_the_caller(article):
    checkout = article.contracts["checkout"]
    assert checkout.found_in == ("checkout",)
    (dep,) = checkout.depends_on
    f = "checkout-service/contracts/dependencies.yaml"
    assert (dep.service, dep.operation, dep.fallback) == ("risk", "scoreTransaction", "allow_with_monitoring")
    assert dep.location == Location(f, 4)
    assert dep.timeout is not None and dep.timeout.ms == 500 and dep.where("timeout") == Location(f, 10)
    budget = dep.latency_budget
    assert budget is not None and budget.location == Location(f, 6)
    assert [(name, [(e.p, e.op, e.ms) for e in v.entries]) for name, v in budget.levels()] == [
        ("target", [(50.0, "<", 100.0)]),
        ("acceptable", [(95.0, "<", 200.0)]),
        ("maximum", [(99.0, "<", 500.0)]),
    ]
    assert budget.where("acceptable") == Location(f, 8)
    assert dep.retry is not None and dep.retry.enabled is False
    assert (dep.retry.service, dep.retry.operation) == ("risk", "scoreTransaction")
    assert dep.retry.location == Location(f, 12)
    assert checkout.dependency("risk", "scoreTransaction") is dep


def test_performance_contract_of_the_provider(article):
    risk = article.contracts["risk"]
    op = risk.provided_operation("scoreTransaction")
    assert isinstance(op, ProvidedOperation)
    f = "risk-service/contracts/sla.yaml"
    assert op.location == Location(f, 4)
    assert op.latency is not None
    current, target = op.latency.current, op.latency.target
    assert current is not None and target is not None
    assert {p: current.ms(p) for p in current} == {50.0: 2800.0, 95.0: 3200.0}
    assert {p: target.ms(p) for p in target} == {50.0: 80.0, 95.0: 150.0}
    assert target.note == "requires caching" and current.note == ""
    assert op.latency.where("current") == Location(f, 6)
    assert op.latency.where("target") == Location(f, 7)


def test_data_freshness_contracts(article):
    (need,) = article.contracts["risk"].data_dependencies
    f = "risk-service/contracts/data.yaml"
    assert (need.source, need.dataset, need.reason, need.impact_if_stale) == ("orders-db", "user_purchases", "velocity_fraud_detection", "false_negatives")
    assert need.freshness_required == Bound("<", 10_000.0)
    assert need.where("freshness_required") == Location(f, 6)
    (offer,) = article.contracts["orders"].provides
    assert isinstance(offer, ProvidedDataset)
    assert (offer.dataset, offer.via) == ("user_purchases", "database_replica")
    assert offer.freshness == DurationRange(15_000.0, 30_000.0, Bound("<=", 60_000.0))
    assert offer.freshness is not None and offer.freshness.worst_ms == 60_000
    assert offer.where("freshness") == Location("orders-service/contracts/data.yaml", 6)


def test_retry_and_idempotency_contracts(article):
    (policy,) = article.contracts["checkout"].retry_policies
    f = "checkout-service/contracts/retry.yaml"
    assert (policy.target, policy.service, policy.operation, policy.enabled) == ("risk.scoreTransaction", "risk", "scoreTransaction", True)
    assert policy.location == Location(f, 4)
    assert policy.on_timeout is not None
    assert policy.on_timeout.generates_new_request_id is True
    assert policy.on_timeout.reason == "separate_attempts_in_logs"
    assert policy.on_timeout.location == Location(f, 5)
    assert policy.on_timeout.where("generates_new_request_id") == Location(f, 6)
    assert article.contracts["checkout"].retry_policy("risk", "scoreTransaction") is policy
    op = article.contracts["risk"].operation("scoreTransaction")
    assert op is not None
    assert (op.idempotency_key, op.expects) == ("transaction_id", "stable_across_retries")
    assert op.window is not None and op.window.ms == 300_000
    assert op.where("window") == Location("risk-service/contracts/idempotency.yaml", 7)


def test_access_contracts(article):
    (need,) = article.contracts["support"].requires
    assert (need.from_service, need.data, need.access_level, need.use_case) == ("risk", "fraud_decision_breakdown", "support_tier_2", "dispute_resolution")
    assert need.where("from_service") == Location("support-service/contracts/data-needs.yaml", 4)
    summary, detailed = article.contracts["risk"].provided_endpoints
    assert isinstance(summary, ProvidedEndpoint)
    assert (summary.endpoint, summary.returns, summary.access, summary.pii, summary.route) == (
        "/fraud-score",
        "aggregate_only",
        None,
        "minimal",
        "/fraud-score",
    )
    assert (detailed.endpoint, detailed.returns, detailed.access, detailed.pii) == ("/fraud-signals-detailed", "full_breakdown", "risk_team_only", "high")
    assert detailed.pii_rank is not None and summary.pii_rank is not None and detailed.pii_rank > summary.pii_rank
    assert detailed.location == Location("risk-service/contracts/data-exposure.yaml", 7)


def test_risk_is_merged_from_four_files_in_path_order(article):
    risk = article.contracts["risk"]
    assert [d.file for d in risk.documents] == [
        "risk-service/contracts/data-exposure.yaml",
        "risk-service/contracts/data.yaml",
        "risk-service/contracts/idempotency.yaml",
        "risk-service/contracts/sla.yaml",
    ]
    assert [type(p).__name__ for p in risk.provides] == ["ProvidedEndpoint", "ProvidedEndpoint", "ProvidedOperation"]
    assert risk.location == Location("risk-service/contracts/data-exposure.yaml", 2)


def test_equality_ignores_where_things_were_written(article):
    text = (ARTICLE / "risk-service/contracts/sla.yaml").read_text()
    (moved,), errors = load_contract_text("\n\n# moved down\n" + text.replace("3200ms", "3.2s"), "elsewhere.yaml")
    assert errors == []
    original = article.contracts["risk"].provided_operation("scoreTransaction")
    assert moved.provides[0] == original
    assert moved.provides[0].location != original.location


# -- merging -------------------------------------------------------------------------------------


def _write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_documents_of_one_service_merge_across_files_and_documents(tmp_path):
    _write(
        tmp_path,
        "svc/risk/contracts/a.yaml",
        "service: risk\nversion: 2\noperations:\n  - name: score\n---\nservice: orders\nprovides:\n  - dataset: purchases\n",
    )
    _write(tmp_path, "svc/risk/contracts/nested/b.yml", "service: risk\nversion: 2\noperations:\n  - name: refund\n")
    _write(tmp_path, "svc/risk/contracts/notes.txt", "not a contract")
    _write(tmp_path, "svc/orders/contracts/c.yaml", "service: orders\nprovides:\n  - dataset: refunds\n")
    loaded = load_contracts(tmp_path, [("risk", "svc/risk"), ("orders", Path("svc/orders")), ("empty", "svc/empty")])
    assert loaded.errors == []
    assert loaded.files == ["svc/risk/contracts/a.yaml", "svc/risk/contracts/nested/b.yml", "svc/orders/contracts/c.yaml"]
    risk = loaded.contracts["risk"]
    assert risk.version == "2"
    assert [o.name for o in risk.operations] == ["score", "refund"]
    assert risk.operations[1].location == Location("svc/risk/contracts/nested/b.yml", 4)
    orders = loaded.contracts["orders"]
    assert [p.dataset for p in orders.provided_datasets] == ["purchases", "refunds"]
    assert orders.documents == (Location("svc/risk/contracts/a.yaml", 6), Location("svc/orders/contracts/c.yaml", 1))
    assert orders.found_in == ("risk", "orders")


def test_one_bad_file_does_not_hide_the_others(tmp_path):
    _write(tmp_path, "risk/contracts/a-broken.yaml", "service: risk\nprovides:\n  - operation: x\n   latency: {}\n")
    _write(tmp_path, "risk/contracts/b-good.yaml", "service: risk\noperations:\n  - name: score\n")
    _write(tmp_path, "risk/contracts/c-latin1.yaml", "service: risk\noperations:\n  - name: caf\xe9\n".encode("latin-1"))
    _write(tmp_path, "risk/contracts/d-partly-bad.yaml", "service: risk\noperations:\n  - name: refund\n    window: soon\n  - name: void\n")
    _write(tmp_path, "orders/contracts/data.yaml", "service: orders\nprovides:\n  - dataset: purchases\n    freshness: 15-30s typical\n")
    loaded = load_contracts(tmp_path, [("risk", "risk"), ("orders", "orders")])
    assert [(e.file, e.line, e.kind) for e in loaded.errors] == [
        ("risk/contracts/a-broken.yaml", 4, "yaml"),
        ("risk/contracts/c-latin1.yaml", 3, "encoding"),
        ("risk/contracts/d-partly-bad.yaml", 4, "value"),
    ]
    assert str(loaded.errors[1]) == "risk/contracts/c-latin1.yaml:3: not valid UTF-8 (invalid continuation byte at byte 39)"
    assert str(loaded.errors[2]) == 'risk/contracts/d-partly-bad.yaml:4: operations[0].window: expected a duration like 500ms or 2s, got "soon"'
    assert [o.name for o in loaded.contracts["risk"].operations] == ["score", "refund", "void"]
    assert loaded.contracts["risk"].operations[1].window is None
    assert loaded.contracts["orders"].provided_datasets[0].freshness == DurationRange(15_000.0, 30_000.0)


def test_symlink_out_of_the_repository_is_not_read(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("service: secret\n")
    repo = tmp_path / "repo"
    (repo / "risk/contracts").mkdir(parents=True)
    (repo / "risk/contracts/link.yaml").symlink_to(outside)
    loaded = load_contracts(repo, [("risk", "risk")])
    assert loaded.contracts == {}
    assert [str(e) for e in loaded.errors] == ["risk/contracts/link.yaml:1: a symbolic link pointing outside the repository; not read"]


def test_empty_documents_and_comment_only_files_are_fine(tmp_path):
    contracts, errors = load_contract_text("# nothing declared yet\n---\n---\nservice: risk\n", "f.yaml")
    assert errors == [] and [c.service for c in contracts] == ["risk"]
    assert load_contract_text("", "f.yaml") == ([], [])


def test_load_contract_file_reports_display_paths(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("service: risk\ndepends_on:\n  - service: orders\n    timeout: 2\n")
    contracts, errors = load_contract_file(path, "risk/contracts/c.yaml")
    assert [c.service for c in contracts] == ["risk"]
    assert errors == [
        ContractError(
            "risk/contracts/c.yaml", 4, "depends_on[0].timeout: expected a duration like 500ms or 2s, got 2 (add a unit: ms, s, m, min or h)", "value"
        )
    ]


def test_retry_policy_with_attempts_and_backoff():
    (c,), errors = load_contract_text(
        "service: checkout\n"
        "depends_on:\n"
        "  - service: risk\n"
        "    operation: score\n"
        "    retry:\n"
        "      attempts: 3\n"
        "      backoff: exponential 100ms\n"
        "      on_timeout:\n"
        "        generates_new_request_id: false\n"
        "retry_policies:\n"
        "  - target: orders\n"
        "    attempts: 2\n"
        "    backoff: 250ms\n"
        "    reason: flaky_network\n",
        "f.yaml",
    )
    assert errors == []
    retry = c.depends_on[0].retry
    assert retry is not None and retry.location == Location("f.yaml", 5)
    assert (retry.target, retry.enabled, retry.attempts) == ("risk.score", True, 3)
    assert retry.backoff is not None and (retry.backoff.kind, retry.backoff.delay_ms) == ("exponential", 100.0)
    assert retry.on_timeout is not None and retry.on_timeout.generates_new_request_id is False
    (policy,) = c.retry_policies
    assert (policy.target, policy.service, policy.operation, policy.attempts, policy.reason) == ("orders", "orders", None, 2, "flaky_network")
    assert policy.backoff is not None and (policy.backoff.kind, policy.backoff.delay_ms) == ("constant", 250.0)
    assert c.retry_policy("orders", "anything") is policy
    assert c.retry_policy("risk", "score") is retry


def test_endpoint_mapping_and_version_and_decisions():
    (c,), errors = load_contract_text(
        "service: risk\n"
        "version: 3\n"
        "provides:\n"
        "  - endpoint: fraud signals\n"
        "    path: /v1/signals/{tx}\n"
        "    method: GET\n"
        "decisions:\n"
        "  - id: 7\n"
        "    title: Summary endpoint for support\n"
        "    proposer: security\n"
        "    timestamp: 2025-03-01T10:00:00Z\n"
        "    rationale: minimise PII in support tools\n"
        "    review_date: 2025-06-01\n",
        "f.yaml",
    )
    assert errors == []
    assert c.version == "3" and c.where("version") == Location("f.yaml", 2)
    (ep,) = c.provided_endpoints
    assert (ep.route, ep.method) == ("/v1/signals/{tx}", "GET")
    (d,) = c.decisions
    assert (d.id, d.title, d.proposer, d.review_date) == ("7", "Summary endpoint for support", "security", "2025-06-01")
    assert d.timestamp == "2025-03-01T10:00:00+00:00"
    assert d.where("review_date") == Location("f.yaml", 13)


# -- invalid files: every error on its annotated line ----------------------------------------------


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.name)
def test_invalid_files_report_each_error_on_its_line(path):
    _, errors = load_contract_file(path, path.name)
    expected = expected_errors(path)
    assert expected, "an invalid example needs # error: annotations"
    got = sorted((e.line, e.kind) for e in errors)
    assert got == sorted((x.line, x.kind) for x in expected), "\n".join(map(str, errors))
    for x in expected:
        messages = [e.message for e in errors if e.line == x.line and e.kind == x.kind]
        assert any(x.text in m for m in messages), f"{path.name}:{x.line}: no {x.kind} error containing {x.text!r} in {messages}"
    assert all(e.file == path.name for e in errors)


def test_unknown_key_message_in_full():
    _, errors = load_contract_text("service: risk\nprovides:\n  - dataset: d\n    freshnes: 10s\n", "f.yaml")
    assert [str(e) for e in errors] == [
        'f.yaml:4: provides[0]: unknown key "freshnes" for a provided dataset; did you mean "freshness"? (allowed: dataset, via, freshness, inferred)'
    ]


def test_a_file_with_an_error_still_yields_its_valid_parts():
    (c,), errors = load_contract_text((INVALID / "unknown-keys.yaml").read_text(), "f.yaml")
    assert len(errors) == 3
    (dep,) = c.depends_on
    assert (dep.service, dep.operation, dep.timeout) == ("risk", "scoreTransaction", None)
    assert dep.latency_budget is not None and dep.latency_budget.levels() == ()


def test_every_key_reaches_the_model():
    """A key listed as allowed but never read would be silently dropped; this file uses each once."""
    from dataclasses import fields, is_dataclass

    from .helpers import DATA

    (c,), errors = load_contract_file(DATA / "every-key.yaml", "every-key.yaml", found_in="checkout")
    assert errors == []
    unset: list[str] = []

    def walk(obj: object, where: str) -> None:
        if isinstance(obj, tuple):
            assert obj, f"{where} is empty"
            for i, item in enumerate(obj):
                walk(item, f"{where}[{i}]")
            return
        if not is_dataclass(obj) or type(obj).__module__.endswith(".values"):
            return
        for f in fields(obj):
            value = getattr(obj, f.name)
            if value is None:
                unset.append(f"{where}.{f.name}")
            walk(value, f"{where}.{f.name}")

    walk(c, "checkout")
    assert unset == []
    assert c.depends_on[0].retry is not None and c.depends_on[0].retry.attempts == 2
    assert c.provided_endpoints[0].route == "/v1/orders/{id}"
    assert c.data_dependencies[0].freshness_required == Bound("<=", 60_000.0)
