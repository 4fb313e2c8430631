"""Inferred contracts: the sample's code as contracts, every value with its code location and rule."""

from __future__ import annotations

import pytest

from extractor.contracts.infer import infer_contracts
from extractor.contracts.model import Location
from extractor.scan import scan

from ..conftest import REPO
from .helpers import Facts, catalog

SAMPLE = REPO / "fixtures" / "monorepos" / "fraud-detection"


@pytest.fixture(scope="module")
def inferred():
    return infer_contracts(scan(SAMPLE, catalog=catalog(), display_root="."), SAMPLE)


def test_a_call_becomes_a_dependency_with_timeout_retry_and_new_id(inferred):
    checkout = inferred.contracts["checkout"]
    dep = checkout.dependency("risk")
    assert dep is not None and dep.inferred
    assert dep.operation == "score_transaction"  # the handler of POST /v1/score in risk's code
    assert dep.timeout.ms == 5000
    assert dep.where("timeout") == Location("checkout-service/checkout/fraud.py", 20, "python.http.requests")
    assert (dep.retry.enabled, dep.retry.attempts, dep.retry.backoff.kind) == (True, 3, "exponential")
    assert dep.retry.where("attempts") == Location("checkout-service/checkout/fraud.py", 12, "python.retry.tenacity")
    assert dep.retry.on_timeout.generates_new_request_id is True
    assert dep.retry.on_timeout.where("generates_new_request_id") == Location("checkout-service/checkout/fraud.py", 19, "python.ids.generators")


def test_a_call_without_retry_is_retry_none(inferred):
    dep = inferred.contracts["checkout"].dependency("payment")
    assert dep.retry.enabled is False
    assert dep.timeout.ms == 3000


def test_endpoints_become_provided_operations_and_endpoints(inferred):
    risk = inferred.contracts["risk"]
    op = risk.provided_operation("score_transaction")
    assert op.location == Location("risk-service/risk/api.py", 10, "python.endpoints.fastapi")
    routes = {(e.method, e.path) for e in risk.provided_endpoints}
    assert ("POST", "/v1/score") in routes and ("GET", "/fraud-score/{tx_id}") in routes


def test_idempotency_keys_and_replica_reads(inferred):
    risk = inferred.contracts["risk"]
    (op,) = risk.operations
    assert (op.name, op.idempotency_key, op.expects, op.window.ms) == ("score_transaction", "transaction_id", "stable_across_retries", 300000)
    (data,) = risk.data_dependencies
    assert data.dataset == "user_purchases"
    assert data.location.rule == "python.replica.sqlalchemy"


def test_handlers_are_followed_into_the_calls_they_reach(inferred):
    by_handler = {ep.handler: ep.id for ep in inferred.endpoints}
    reached = {c.id: c for c in inferred.calls}
    assert sorted(reached[i].host for i in inferred.handler_calls[by_handler["score_transaction"]]) == [
        "api.fraud-signals.example.com",
        "device-intel.internal",
    ]
    assert inferred.handler_calls[by_handler["fraud_score"]] == ()


def test_every_scanned_service_has_a_contract_even_an_empty_one(tmp_path):
    facts = Facts().service("quiet")
    inferred = infer_contracts(facts.result(tmp_path))
    assert inferred.contracts["quiet"].depends_on == ()
    assert inferred.contracts["quiet"].location.rule == "infer"


def test_a_call_whose_endpoint_is_unknown_has_no_operation(tmp_path):
    facts = Facts().service("a").service("b")
    facts.call("a", "a/x.py", 3, callee="b", url="http://b/nowhere")
    dep = infer_contracts(facts.result(tmp_path)).contracts["a"].dependency("b")
    assert dep.operation is None


def test_a_proxy_route_depends_on_its_upstream_not_on_one_of_its_operations():
    """A route forwards every request its predicate matches: the upstream's ``GET /`` endpoint (the
    route's address has an empty path) is not what it calls."""
    root = REPO / "fixtures" / "monorepos" / "gateway"
    inferred = infer_contracts(scan(root, catalog=catalog(), display_root="."), root)
    gateway = inferred.contracts["gateway"]
    routes = sorted((d.service, d.operation) for d in gateway.depends_on if d.operation is None)
    assert routes == [("catalog", None), ("orders", None)]
    # the gateway's own code calls name their operations (catalog's items, orders' get_order), not catalog's GET /
    assert sorted((d.service, d.operation) for d in gateway.depends_on if d.operation is not None) == [("catalog", "items"), ("orders", "get_order")]
    assert gateway.dependency("catalog").timeout.ms == 3000
