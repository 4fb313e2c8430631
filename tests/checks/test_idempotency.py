"""idempotency.new-id-on-retry: a fresh id per retry sent to a provider that de-duplicates on it."""

from __future__ import annotations

from .helpers import check, locs, write

RISK_OPS = """
    service: risk
    operations:
      - name: scoreTransaction
        idempotency_key: transaction_id
        expects: {expects}
        window: 5m
"""

CHECKOUT_RETRY = """
    service: checkout
    retry_policies:
      - target: risk.scoreTransaction
        on_timeout:
          generates_new_request_id: {new_id}
"""

CODE = """
    import uuid

    import requests
    from tenacity import retry, stop_after_attempt


    @retry(stop=stop_after_attempt(3))
    def check_fraud(cart):
        {id_line}
        return requests.post("http://risk:8080/v1/score", json={{"{field}": tx_id, "cart": cart}}, timeout=1)
"""


def declared(tmp_path, new_id="true", expects="stable_across_retries"):
    return write(
        tmp_path,
        {"checkout-service/contracts/retry.yaml": CHECKOUT_RETRY.format(new_id=new_id), "risk-service/contracts/ops.yaml": RISK_OPS.format(expects=expects)},
    )


def test_declared_new_id_against_a_stable_key_is_an_error(tmp_path):
    (f,) = check(declared(tmp_path), "idempotency.new-id-on-retry")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("idempotency", "error", "BLOCKS_INTEGRATION", ("checkout", "risk"), "scoreTransaction")
    assert [s.text for s in f.sides] == ["generates new transaction_id on retry", "stable transaction_id (remembered 5m)"]
    assert locs(f) == ["checkout-service/contracts/retry.yaml:5", "risk-service/contracts/ops.yaml:4", "risk-service/contracts/ops.yaml:5"]
    assert f.impact == "Duplicate processing, billing, audit logs"
    assert [r.action for r in f.resolutions] == [
        "checkout: Preserve transaction_id across retries (generate it once, before the first attempt)",
        "checkout: Use a separate key: a stable idempotency key for risk, a fresh attempt id for logs",
    ]


def test_declared_stable_id_is_fine(tmp_path):
    assert check(declared(tmp_path, new_id="false"), "idempotency.new-id-on-retry") == []


def test_a_provider_that_expects_a_new_key_per_attempt_is_fine(tmp_path):
    assert check(declared(tmp_path, expects="new_per_attempt"), "idempotency.new-id-on-retry") == []


def code_repo(tmp_path, *, id_line="tx_id = str(uuid.uuid4())", field="transaction_id"):
    return write(
        tmp_path,
        {
            "checkout/requirements.txt": "requests\ntenacity\n",
            "checkout/checkout/fraud.py": CODE.format(id_line=id_line, field=field),
            "risk-service/contracts/ops.yaml": RISK_OPS.format(expects="stable_across_retries"),
        },
    )


def test_an_id_generated_inside_the_retry_and_sent_as_the_key_is_found_in_code(tmp_path):
    (f,) = check(code_repo(tmp_path), "idempotency.new-id-on-retry")
    assert f.services == ("checkout", "risk")
    assert f.sides[0].locations[0].rule == "python.ids.generators"
    assert "checkout/checkout/fraud.py:9" in locs(f)  # the id
    assert "checkout/checkout/fraud.py:7" in locs(f)  # the retry decorator


def test_a_fresh_id_sent_under_another_name_leaves_the_key_stable(tmp_path):
    assert check(code_repo(tmp_path, field="attempt_id"), "idempotency.new-id-on-retry") == []
