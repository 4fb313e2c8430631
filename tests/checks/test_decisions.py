"""Decision records as a lifecycle: proposed, agreed (ACCEPTED), past review (REVIEW_DUE), superseded;
and `contracts decide`, which writes a scaffold for one finding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from extractor.cli import main
from extractor.commands.decide import DecideError, home
from extractor.contracts import load_contract_text
from extractor.docs import schema_files
from extractor.facts import Service

from ..conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
BUDGET = "latency.budget:96f2ef019af0"  # checkout → risk: checkout's 800 ms budget vs risk's p99
TIMEOUT = "latency.timeout:2fb182da2fa1"  # checkout → risk
NEW_ID = "idempotency.new-id-on-retry:2ec179e2793e"  # checkout → risk
ACCESS = "access.data-policy:4357365d7991"  # support → risk, a trade-off


def sample(tmp_path: Path, decisions: str = "", service_dir: str = "checkout-service", service: str = "checkout") -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    if decisions:
        (root / service_dir / "contracts").mkdir(exist_ok=True)
        (root / service_dir / "contracts" / "decisions.yaml").write_text(f"service: {service}\ndecisions:\n{decisions}", encoding="utf-8")
    return root


def check(root: Path, monkeypatch, now: str = "2026-12-07T06:00:00Z", *args: str) -> tuple[int, dict[str, dict]]:
    monkeypatch.setenv("CONTRACTS_NOW", now)
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    return result.exit_code, {f["id"]: f for f in doc["findings"]}


AGREED = """  - id: ADR-7
    title: Checkout's budget stays at 800 ms while risk is rebuilt
    proposer: checkout-team
    proposed_at: 2026-11-02
    rationale: the slow path is rare and a timeout falls back to manual review
    agreed_by:
      - name: Product
        at: 2026-11-03
      - Risk team
    review_by: 2027-06-01
    applies_to:
      - {BUDGET}
""".replace("{BUDGET}", BUDGET)


def test_an_agreed_decision_accepts_its_finding_until_its_review_date(tmp_path, monkeypatch):
    root = sample(tmp_path, AGREED)
    _, before = check(sample(tmp_path / "plain"), monkeypatch)
    _, found = check(root, monkeypatch)
    f = found[BUDGET]
    assert (f["severity"], f["status"]) == ("info", "ACCEPTED")
    assert f["decision"] == {
        "id": "ADR-7",
        "title": "Checkout's budget stays at 800 ms while risk is rebuilt",
        "state": "accepted",
        "review_by": "2027-06-01",
        "agreed_by": ["Product", "Risk team"],
        "file": "checkout-service/contracts/decisions.yaml",
        "line": 3,
    }
    assert "accepted by decision ADR-7" in f["message"] and "(agreed by Product on 2026-11-03, Risk team, review by 2027-06-01)" in f["message"]
    assert {"file": "checkout-service/contracts/decisions.yaml", "line": 3, "origin": "declared"} in f["locations"]
    others = {k: (v["severity"], v["status"]) for k, v in found.items() if k != BUDGET}
    assert others == {k: (v["severity"], v["status"]) for k, v in before.items() if k != BUDGET}  # nothing else moves
    assert check(root, monkeypatch, "2026-12-07T06:00:00Z", "--check", "latency.budget")[0] == 0  # it no longer fails CI


def test_past_its_review_date_the_finding_resurfaces_as_review_due(tmp_path, monkeypatch):
    root = sample(tmp_path, AGREED)
    assert check(root, monkeypatch, "2027-06-01T23:00:00Z")[1][BUDGET]["status"] == "ACCEPTED"  # the review day itself still holds
    code, found = check(root, monkeypatch, "2027-06-02T08:00:00Z", "--check", "latency.budget")
    f = found[BUDGET]
    assert (code, f["severity"], f["status"], f["decision"]["state"]) == (1, "error", "REVIEW_DUE", "review_due")
    assert "decision ADR-7 (Checkout's budget stays at 800 ms while risk is rebuilt) was due for review on 2027-06-01" in f["message"]
    assert f["resolutions"][-1]["action"].startswith("review decision ADR-7 (checkout-service/contracts/decisions.yaml:3)")


def test_a_decision_nobody_agreed_to_changes_only_the_message(tmp_path, monkeypatch):
    proposed = AGREED.replace("    agreed_by:\n      - name: Product\n        at: 2026-11-03\n      - Risk team\n", "")
    _, found = check(sample(tmp_path, proposed), monkeypatch)
    f = found[BUDGET]
    assert (f["severity"], f["status"], f["decision"]["state"]) == ("error", "BLOCKS_INTEGRATION", "proposed")
    assert "agreed_by" not in f["decision"]
    assert f["message"].endswith("; decision ADR-7 is proposed, not agreed yet (agreed_by)")


def test_a_superseded_decision_settles_nothing(tmp_path, monkeypatch):
    successor = """  - id: ADR-9
    title: Raise checkout's budget instead
    supersedes: [ADR-7]
    applies_to: [checkout -> risk]
"""
    _, found = check(sample(tmp_path, AGREED + successor), monkeypatch)
    assert (found[BUDGET]["status"], found[BUDGET]["decision"]["id"], found[BUDGET]["decision"]["state"]) == ("BLOCKS_INTEGRATION", "ADR-9", "proposed")


def test_scopes_by_check_pair_and_subject_and_only_for_the_contracts_service(tmp_path, monkeypatch):
    scoped = """  - id: ADR-10
    title: Latency of checkout to risk accepted for the quarter
    agreed_by: [Product]
    applies_to:
      - check: latency.*
        services: [checkout, risk]
"""
    _, found = check(sample(tmp_path, scoped), monkeypatch)
    assert (found[BUDGET]["status"], found[TIMEOUT]["status"]) == ("ACCEPTED", "ACCEPTED")
    assert found[NEW_ID]["status"] == "BLOCKS_INTEGRATION" and "decision" not in found[NEW_ID]  # another family
    _, found = check(sample(tmp_path / "elsewhere", scoped, "payment-service", "payment"), monkeypatch)
    assert found[BUDGET]["status"] == "BLOCKS_INTEGRATION"  # payment cannot accept what checkout and risk are in


def test_a_decided_trade_off_past_its_review_date_is_review_due(tmp_path, monkeypatch):
    decided = """  - id: ADR-3
    title: Support tier 2 sees the fraud decision breakdown
    agreed_by: [Product, Security]
    review_date: 2025-01-31
"""
    root = sample(tmp_path, decided, "support-service", "support")
    _, found = check(root, monkeypatch, "2025-01-15T00:00:00Z")
    assert found[ACCESS]["status"] == "DECIDED"
    _, found = check(root, monkeypatch)
    f = found[ACCESS]
    assert (f["severity"], f["status"], f["decision"]["id"]) == ("error", "REVIEW_DUE", "ADR-3")


def test_decision_keys_are_checked_with_file_and_line():
    text = """service: checkout
decisions:
  - title: Both spellings
    timestamp: 2026-01-01
    proposed_at: 2026-01-02
  - title: Bad scope
    applies_to: []
  - title: Bad agreement
    agreed_by:
      - who: Product
"""
    _, errors = load_contract_text(text, "d.yaml")
    assert [str(e) for e in errors] == [
        "d.yaml:4: decisions[0]: give proposed_at or its older spelling timestamp, not both",
        "d.yaml:7: decisions[1].applies_to: expected a list of what the decision covers (finding ids, checks, 'consumer -> provider'), got an empty list",
        "d.yaml:10: decisions[2].agreed_by: decisions[2].agreed_by[0]: expected the keys name (required) and at, got who",
    ]


def test_decide_writes_a_scaffold_once_and_the_agreed_scaffold_accepts_the_finding(tmp_path, monkeypatch):
    root = sample(tmp_path)
    monkeypatch.setenv("CONTRACTS_NOW", "2026-12-07T06:00:00Z")
    runner = CliRunner()
    done = runner.invoke(main, ["decide", BUDGET, str(root), "--no-cache"])
    assert done.exit_code == 0, done.output
    written = root / "checkout-service" / "contracts" / "decisions" / "latency.budget-96f2ef019af0.yaml"
    assert done.stdout.startswith("wrote checkout-service/contracts/decisions/latency.budget-96f2ef019af0.yaml")
    text = written.read_text("utf-8")
    assert "review_by: 2027-06-07\n" in text and f"    applies_to:\n      - {BUDGET}\n" in text
    assert load_contract_text(text, "scaffold.yaml")[1] == []
    assert check(root, monkeypatch)[1][BUDGET]["decision"]["state"] == "proposed"
    again = runner.invoke(main, ["decide", BUDGET, str(root), "--no-cache"])
    assert again.exit_code == 2 and "already exists; not overwritten" in again.stderr
    assert written.read_text("utf-8") == text
    written.write_text(text.replace("    # agreed_by:\n", "    agreed_by: [Product]\n"), encoding="utf-8")
    assert check(root, monkeypatch)[1][BUDGET]["status"] == "ACCEPTED"
    missing = runner.invoke(main, ["decide", "latency.budget:000000000000", str(root), "--no-cache"])
    assert missing.exit_code == 2 and "no finding of this run has this id or fingerprint" in missing.stderr


def test_decide_needs_a_contract_to_write_into():
    from extractor.checks.base import Finding

    f = Finding("x:1", "drift.timeout", "drift", "error", "DRIFT", "t", ("a", "b"), "s", "m", (), ())
    assert home(f, [Service("a", "a"), Service("b", "b")], {"b"}).name == "b"
    try:
        home(f, [Service("a", "a"), Service("b", "b")], set())
    except DecideError as exc:
        assert "none of its services (a, b) has a contract file yet" in str(exc)
    else:
        raise AssertionError("no error")
