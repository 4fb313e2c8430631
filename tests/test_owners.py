"""Findings name their parties' owners: a contract's ``owner:``, else the repository's CODEOWNERS."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from extractor.cli import main
from extractor.contracts import load_contract_text
from extractor.owners import service_owners

from .test_history import SAMPLE

CODEOWNERS = """\
# the whole repository, then per service; the last matching rule wins
*                  @acme/platform
/checkout-service/ @acme/team-checkout
/risk-service/     @acme/team-fraud
/orders-service/   @acme/team-orders orders-lead@example.com
"""


def _sample(root: Path) -> Path:
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    return root


def _findings(root: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["findings"]


def _text(root: Path) -> str:
    result = CliRunner().invoke(main, ["check", str(root), "--no-cache"])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _owners_by_side(findings: list[dict], check: str) -> dict[str, list[str] | None]:
    (f,) = [f for f in findings if f["check"] == check]
    return {s["service"]: s.get("owners") for s in f["sides"]}


def test_codeowners_names_each_party_and_a_contract_owner_wins(tmp_path):
    root = _sample(tmp_path / "shop")
    (root / ".github").mkdir()
    (root / ".github/CODEOWNERS").write_text(CODEOWNERS, "utf-8")
    sla = root / "risk-service/contracts/sla.yaml"
    sla.write_text(sla.read_text("utf-8").replace("service: risk\n", 'service: risk\nowner: ["@acme/risk-oncall", risk@example.com]\n', 1), "utf-8")
    findings = _findings(root)
    assert _owners_by_side(findings, "latency.budget") == {"checkout": ["@acme/team-checkout"], "risk": ["@acme/risk-oncall", "risk@example.com"]}
    assert _owners_by_side(findings, "freshness.dataset") == {
        "risk": ["@acme/risk-oncall", "risk@example.com"],
        "orders": ["@acme/team-orders", "orders-lead@example.com"],
    }
    # a trade-off finding: its text names the parties' owners (support: the catch-all rule)
    assert _owners_by_side(findings, "access.data-policy") == {"support": ["@acme/platform"], "risk": ["@acme/risk-oncall", "risk@example.com"]}
    lines = _text(root).splitlines()
    at = lines.index("    Trade-off: Support workflow vs PII minimization")
    assert "    Owners: @acme/platform, @acme/risk-oncall, risk@example.com" in lines[at + 1 : at + 3]
    assert sum(line.startswith("    Owners: ") for line in lines) == 1  # only trade-off findings print them


def test_no_codeowners_and_no_owner_gives_no_owners_field(tmp_path):
    root = _sample(tmp_path / "shop")
    findings = _findings(root)
    assert findings
    assert [s for f in findings for s in f["sides"] if "owners" in s] == []
    assert "Owners:" not in _text(root)


def test_codeowners_last_matching_rule_wins_and_the_first_place_found_is_read(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/CODEOWNERS").write_text("* @ignored\n", "utf-8")
    (tmp_path / "CODEOWNERS").write_text("/svc/ @first\n*   @everyone\n/svc/a/ @team-a\n", "utf-8")
    owners = service_owners(tmp_path, [("a", "svc/a"), ("b", "svc/b"), ("top", ".")], {"b": ("@declared",)})
    assert owners == {"a": ("@team-a",), "b": ("@declared",), "top": ("@everyone",)}


def test_a_bad_owner_is_an_error_at_its_line():
    text = "service: risk\nversion: 2\nowner: team-fraud\n"
    (contract,), errors = load_contract_text(text, "risk-service/contracts/sla.yaml")
    assert [(e.file, e.line, e.message) for e in errors] == [
        ("risk-service/contracts/sla.yaml", 3, 'owner: expected a team handle (@org/team), a user (@name) or an email, got "team-fraud"')
    ]
    assert contract.owners == ()
    (_,), errors = load_contract_text("service: risk\nowner:\n  - '@acme/a'\n  - 42\n", "x.yaml")
    assert [(e.line, e.message) for e in errors] == [(4, "owner[1]: expected a non-empty string, got 42")]
    _, errors = load_contract_text("service: risk\nowner: []\n", "x.yaml")
    assert [(e.line, e.message) for e in errors] == [(2, "owner: expected a team handle, a user or an email, or a list of them, got an empty list")]
