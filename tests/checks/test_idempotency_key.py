"""idempotency.missing-key: a retried POST towards a provider that de-duplicates on a key header, sent without it."""

from __future__ import annotations

import pytest

from extractor.checks.idempotency import sends_header
from extractor.frontends.summary import CallSite
from extractor.values import Const, Dynamic

from .helpers import check, locs, write

PAYMENTS_OPS = """
    service: payments
    operations:
      - name: charge
        idempotency_key: {key}
        expects: {expects}
        window: 24h
"""

PY = """
    import uuid

    import requests
    from tenacity import retry, stop_after_attempt


    @retry(stop=stop_after_attempt(3))
    def charge(order_id, amount):
        return requests.{method}("http://payments:8080/v1/charge", json={{"amount": amount}}, {headers}timeout=2)
"""

JS = """
    export async function charge(orderId, amount) {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          return await fetch("http://payments:8080/v1/charge", {OPTIONS});
        } catch (err) {
          continue;
        }
      }
    }
"""


def repo(tmp_path, *, headers="", method="post", key="Idempotency-Key", expects="stable_across_retries", js=None):
    files = {"payments-service/contracts/ops.yaml": PAYMENTS_OPS.format(key=key, expects=expects)}
    if js is None:
        files["checkout/requirements.txt"] = "requests\ntenacity\n"
        files["checkout/checkout/pay.py"] = PY.format(method=method, headers=headers)
    else:
        files["checkout/package.json"] = '{"name": "checkout"}\n'
        files["checkout/src/pay.js"] = JS.replace("{OPTIONS}", js)
    return write(tmp_path, files)


def test_a_retried_post_without_the_key_header_is_a_warning(tmp_path):
    (f,) = check(repo(tmp_path), "idempotency.missing-key")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("idempotency", "warning", "AT_RISK", ("checkout", "payments"), "payments")
    assert [s.text for s in f.sides] == ["retries POST without Idempotency-Key", "Idempotency-Key stable across retries"]
    assert locs(f) == ["checkout/checkout/pay.py:7", "checkout/checkout/pay.py:9", "payments-service/contracts/ops.yaml:4"]
    assert [r.action for r in f.resolutions] == [
        "checkout: send Idempotency-Key from a stable id bound before the retry, the same on every attempt",
        "checkout: do not retry payments (not idempotent without the key)",
    ]


def test_a_literal_headers_dict_without_the_key_is_a_warning(tmp_path):
    assert len(check(repo(tmp_path, headers='headers={"Content-Type": "application/json"}, '), "idempotency.missing-key")) == 1


def test_a_patch_is_not_idempotent_either(tmp_path):
    assert len(check(repo(tmp_path, method="patch"), "idempotency.missing-key")) == 1


@pytest.mark.parametrize(
    "headers",
    [
        'headers={"Idempotency-Key": order_id}, ',
        'headers={"idempotency-key": order_id, "Content-Type": "application/json"}, ',
        "headers=HEADERS, ",  # a variable: cannot be told
        'headers={"Content-Type": "application/json", **extra}, ',  # a spread: cannot be told
    ],
)
def test_a_call_sending_the_key_or_one_that_cannot_be_told_is_fine(tmp_path, headers):
    assert check(repo(tmp_path, headers=headers), "idempotency.missing-key") == []


@pytest.mark.parametrize("method", ["put", "get", "delete"])
def test_an_idempotent_method_is_fine(tmp_path, method):
    assert check(repo(tmp_path, method=method), "idempotency.missing-key") == []


def test_a_key_that_is_a_body_field_or_new_per_attempt_is_not_this_check(tmp_path):
    assert check(repo(tmp_path / "a", key="transaction_id"), "idempotency.missing-key") == []
    assert check(repo(tmp_path / "b", expects="new_per_attempt"), "idempotency.missing-key") == []


def test_a_call_that_is_not_retried_is_fine(tmp_path):
    root = repo(tmp_path)
    pay = root / "checkout/checkout/pay.py"
    pay.write_text(pay.read_text().replace("@retry(stop=stop_after_attempt(3))\n", ""))
    assert check(root, "idempotency.missing-key") == []


def test_javascript_fetch_in_a_retry_loop(tmp_path):
    (f,) = check(repo(tmp_path / "a", js='{ method: "POST", body: JSON.stringify({ amount }) }'), "idempotency.missing-key")
    assert f.services == ("checkout", "payments")
    assert "checkout/src/pay.js:4" in locs(f)
    assert check(repo(tmp_path / "b", js='{ method: "POST", headers: { "Idempotency-Key": orderId } }'), "idempotency.missing-key") == []
    assert check(repo(tmp_path / "c", js='{ method: "POST", ...options }'), "idempotency.missing-key") == []


def test_sends_header_reads_literal_headers_only():
    def site(*kwargs):
        return [CallSite(1, 1, "requests.post", "post", kwargs=kwargs)]

    assert sends_header("python", site(("headers", Dynamic('{"Idempotency-Key": k}'))), "Idempotency-Key") is True
    assert sends_header("python", site(("headers", Dynamic('{"X-Other": k}'))), "Idempotency-Key") is False
    assert sends_header("python", site(("timeout", Const(2))), "Idempotency-Key") is False
    assert sends_header("python", site(("headers", Dynamic("h"))), "Idempotency-Key") is None
    assert sends_header("go", site(), "Idempotency-Key") is None
    assert sends_header("python", [], "Idempotency-Key") is None


def _fix_apply(root) -> tuple[int, str]:
    from click.testing import CliRunner

    from extractor.cli import main

    result = CliRunner().invoke(main, ["fix", str(root), "--apply", "--no-cache", "-q"], catch_exceptions=False)
    return result.exit_code, result.output


def test_contracts_fix_sends_the_order_id_and_the_fixed_code_checks_clean(tmp_path):
    root = repo(tmp_path)
    assert len(check(root, "idempotency.missing-key")) == 1
    code, out = _fix_apply(root)
    assert code == 0, out
    text = (root / "checkout/checkout/pay.py").read_text("utf-8")
    assert 'json={"amount": amount}, timeout=2, headers={"Idempotency-Key": str(order_id)})' in text
    assert check(root, "idempotency.missing-key") == []


def test_contracts_fix_generates_a_key_before_a_retry_loop(tmp_path):
    root = repo(tmp_path)
    pay = root / "checkout/checkout/pay.py"
    pay.write_text(
        "import requests\n\n\ndef charge(amount):\n    for attempt in range(3):\n        try:\n"
        '            return requests.post("http://payments:8080/v1/charge", json={"amount": amount}, headers={"Accept": "application/json"}, timeout=2)\n'
        "        except requests.Timeout:\n            continue\n",
        "utf-8",
    )
    assert len(check(root, "idempotency.missing-key")) == 1
    code, out = _fix_apply(root)
    assert code == 0, out
    text = pay.read_text("utf-8")
    assert "import uuid\n" in text
    assert "    idempotency_key = str(uuid.uuid4())\n    for attempt in range(3):\n" in text
    assert 'headers={"Accept": "application/json", "Idempotency-Key": idempotency_key}' in text
    assert check(root, "idempotency.missing-key") == []
