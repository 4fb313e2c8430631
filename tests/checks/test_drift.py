"""drift.*: a service's code against its own declared contract."""

from __future__ import annotations

from .helpers import Facts, check, findings, locs, write

DEPS = """
    service: checkout
    depends_on:
      - service: risk
        operation: scoreTransaction
        timeout: 500ms
        retry: {retry}
"""

CALL = """
    import requests
    from tenacity import retry, stop_after_attempt


    {decorator}
    def check_fraud(cart):
        return requests.post("http://risk:8080/v1/score", json=cart{timeout})
"""


def repo(tmp_path, *, timeout=", timeout=5", decorator="", retry="none", deps=DEPS, extra=None):
    files = {
        "checkout-service/contracts/deps.yaml": deps.format(retry=retry),
        "checkout-service/requirements.txt": "requests\ntenacity\n",
        "checkout-service/checkout/fraud.py": CALL.format(timeout=timeout, decorator=decorator),
        "risk-service/requirements.txt": "fastapi\n",
    }
    files.update(extra or {})
    return write(tmp_path, files)


def test_code_waiting_longer_than_the_declared_timeout_is_an_error(tmp_path):
    (f,) = check(repo(tmp_path), "drift.timeout")
    # the contract's "risk" is the risk-service directory (no contract of its own names it otherwise)
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("drift", "error", "DRIFT", ("checkout", "risk-service"), "scoreTransaction")
    assert [s.text for s in f.sides] == ["timeout 500ms", "timeout 5s"]
    assert locs(f) == ["checkout-service/checkout/fraud.py:7", "checkout-service/contracts/deps.yaml:5"]
    assert [loc.origin for loc in f.locations] == ["code", "declared"]


def test_code_without_a_timeout_waits_longer_than_declared(tmp_path):
    (f,) = check(repo(tmp_path, timeout=""), "drift.timeout")
    assert f.severity == "error"
    assert f.sides[1].text == "timeout no timeout"


def test_code_giving_up_sooner_is_a_warning(tmp_path):
    (f,) = check(repo(tmp_path, timeout=", timeout=0.2"), "drift.timeout")
    assert f.severity == "warning"


def test_the_declared_timeout_in_code_is_fine(tmp_path):
    assert check(repo(tmp_path, timeout=", timeout=0.5"), "drift.timeout") == []


def test_retries_in_code_under_retry_none_are_an_error(tmp_path):
    (f,) = check(repo(tmp_path, decorator="@retry(stop=stop_after_attempt(3))"), "drift.retry")
    assert (f.severity, f.status, f.services) == ("error", "DRIFT", ("checkout", "risk-service"))
    assert [s.text for s in f.sides] == ["retry: none", "retries with tenacity, 3 attempts"]
    assert locs(f) == ["checkout-service/checkout/fraud.py:5", "checkout-service/checkout/fraud.py:7", "checkout-service/contracts/deps.yaml:6"]


def test_a_different_number_of_attempts_is_a_warning(tmp_path):
    (f,) = check(repo(tmp_path, decorator="@retry(stop=stop_after_attempt(3))", retry="{attempts: 2}"), "drift.retry")
    assert f.severity == "warning"
    assert f.sides[0].text == "2 attempts"


def test_the_declared_retry_in_code_is_fine(tmp_path):
    assert check(repo(tmp_path, decorator="@retry(stop=stop_after_attempt(3))", retry="{attempts: 3}"), "drift.retry") == []
    assert check(repo(tmp_path / "b"), "drift.retry") == []  # retry: none, no retry in code


PAYMENT = {
    "checkout-service/checkout/payment.py": """
        import requests

        def authorize(order):
            return requests.post("http://payment:8000/v1/authorize", json=order, timeout=3)
    """,
    "payment-service/setup.py": "from setuptools import setup\nsetup(name='payment')\n",
}


def test_a_call_to_a_service_the_contract_does_not_name_is_undeclared(tmp_path):
    (f,) = check(repo(tmp_path, extra=PAYMENT), "drift.undeclared-dependency")
    assert (f.severity, f.status, f.services) == ("warning", "DRIFT", ("checkout", "payment-service"))
    assert locs(f) == ["checkout-service/checkout/payment.py:4", "checkout-service/contracts/deps.yaml:1"]


def test_a_declared_requirement_counts_as_declaring_the_dependency(tmp_path):
    deps = DEPS + "requires:\n  - from: payment\n    data: authorization\n"
    assert check(repo(tmp_path, extra=PAYMENT, deps=deps), "drift.undeclared-dependency") == []


def test_services_without_a_contract_are_left_to_init(tmp_path):
    root = write(tmp_path, {"checkout/requirements.txt": "requests\n", **{k.replace("checkout-service/", "checkout/"): v for k, v in PAYMENT.items()}})
    assert check(root, "drift.undeclared-dependency") == []


def test_a_declared_dependency_without_a_call_in_code_is_reported(tmp_path):
    root = repo(tmp_path, extra=PAYMENT)
    (root / "checkout-service/checkout/fraud.py").unlink()
    (f,) = check(root, "drift.missing-dependency")
    assert (f.severity, f.status, f.services, f.subject) == ("warning", "DRIFT", ("checkout", "risk-service"), "scoreTransaction")
    assert locs(f) == ["checkout-service/contracts/deps.yaml:3"]


def test_a_declared_dependency_called_in_code_is_fine(tmp_path):
    assert check(repo(tmp_path), "drift.missing-dependency") == []


RISK = """
    service: risk
    data_dependencies:
      - source: orders-db
        dataset: user_purchases
        freshness_required: <10s
"""


def _replica(tmp_path, freshness):
    root = write(
        tmp_path,
        {
            "risk-service/contracts/data.yaml": RISK,
            "orders-service/contracts/data.yaml": f"service: orders\nprovides:\n  - dataset: user_purchases\n    via: database_replica\n    freshness: {freshness}\n",
        },
    )
    facts = Facts().service("risk", "risk-service").service("orders", "orders-service")
    facts.add(
        "replica_read",
        "risk",
        "risk-service/risk/history.py",
        11,
        "python.replica.sqlalchemy",
        mechanism="sqlalchemy_engine",
        source="orders-db-replica",
        dataset="user_purchases",
        evidence="host",
    )
    return findings(facts.analyse(root), "drift.replica-read")


def test_a_replica_read_under_a_requirement_the_replica_cannot_meet(tmp_path):
    (f,) = _replica(tmp_path, "15-30s typical, 60s max")
    assert (f.severity, f.status, f.services, f.subject) == ("error", "DRIFT", ("risk", "orders"), "user_purchases")
    assert locs(f) == ["orders-service/contracts/data.yaml:5", "risk-service/contracts/data.yaml:5", "risk-service/risk/history.py:11"]
    assert f.sides[1].text == "reads user_purchases through a replica (sqlalchemy_engine)"


def test_a_replica_fresh_enough_is_fine(tmp_path):
    assert _replica(tmp_path, "1-2s typical, 5s max") == []
