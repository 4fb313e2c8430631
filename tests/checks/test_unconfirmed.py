"""Entries marked `inferred: true` (written by `contracts init`, not confirmed): a reminder per service,
and findings that only they cause a severity lower; what code alone shows keeps its severity."""

from __future__ import annotations

import shutil

from ..conftest import FIXTURES
from .helpers import analyse_repo, check, findings, write

DEPS = """
    service: checkout
    depends_on:
      - service: risk
        operation: scoreTransaction
        timeout: 500ms
        retry: none
{mark}
"""

CALL = """
    import requests


    def check_fraud(cart):
        return requests.post("http://risk:8080/v1/score", json=cart, timeout=5)
"""


def repo(tmp_path, mark: str):
    return write(
        tmp_path,
        {
            "checkout-service/contracts/deps.yaml": DEPS.format(mark=mark),
            "checkout-service/requirements.txt": "requests\n",
            "checkout-service/checkout/fraud.py": CALL,
            "risk-service/requirements.txt": "fastapi\n",
        },
    )


def test_drift_from_an_unconfirmed_entry_is_a_severity_lower(tmp_path):
    (f,) = check(repo(tmp_path, "        inferred: true"), "drift.timeout")
    assert (f.severity, f.status) == ("warning", "DRIFT")
    assert f.message.endswith("(rests on unconfirmed inferred entries: checkout-service/contracts/deps.yaml:3)")
    assert f.resolutions[-1].action == "checkout: confirm the inferred entry at checkout-service/contracts/deps.yaml:3 (delete `inferred: true`) or correct it"


def test_the_same_entry_confirmed_is_an_error(tmp_path):
    (f,) = check(repo(tmp_path, "        inferred: false"), "drift.timeout")
    assert f.severity == "error"
    assert "unconfirmed" not in f.message
    assert check(tmp_path, "drift.unconfirmed") == []


def test_each_service_with_unconfirmed_entries_gets_one_reminder(tmp_path):
    (f,) = check(repo(tmp_path, "        inferred: true"), "drift.unconfirmed")
    assert (f.kind, f.severity, f.status, f.services) == ("drift", "info", "UNVERIFIED", ("checkout",))
    assert f.message == "checkout's contract has 1 entries inferred from code that nobody has confirmed: depends_on risk.scoreTransaction"
    assert [str(l) for l in f.locations] == ["checkout-service/contracts/deps.yaml:3"]


def test_what_the_code_alone_shows_keeps_its_severity(tmp_path):
    """checkout's retry policy (new id on every retry) marked unconfirmed: its code does the same,
    so the idempotency conflict with risk stays an error."""
    root = tmp_path / "sample"
    shutil.copytree(FIXTURES / "monorepos" / "fraud-detection", root)
    retry = root / "checkout-service" / "contracts" / "retry.yaml"
    retry.write_text(retry.read_text("utf-8") + "    inferred: true\n", encoding="utf-8")
    analysis = analyse_repo(root)
    assert analysis.declared.errors == []
    (f,) = findings(analysis, "idempotency.new-id-on-retry")
    assert f.severity == "error"
    assert "checkout-service/contracts/retry.yaml:6" in [str(l) for l in f.locations]  # generates_new_request_id
    (reminder,) = findings(analysis, "drift.unconfirmed")
    assert reminder.services == ("checkout",)
