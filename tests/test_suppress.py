"""--check families and globs, inline suppressions, `ignore:` entries in contract files, baselines."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.checks import REGISTRY
from extractor.checks.base import Side, finding
from extractor.cli import main
from extractor.contracts.load import load_contract_text, load_contracts
from extractor.contracts.model import Location
from extractor.suppress import SelectionError, apply, check_matches, contract_suppressions, inline_suppressions, select_checks

from .test_history import SAMPLE, edit

TODAY = dt.date(2026, 12, 7)


def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    return root


def check(root: Path, *extra: str, now: str = "2026-12-07T06:00:00Z"):
    return CliRunner().invoke(
        main, ["check", str(root), "--format", "json", "--fail-on", "never", "--jobs", "1", *extra], env={"CONTRACTS_NOW": now}, catch_exceptions=False
    )


def ids(result) -> set[str]:
    assert result.exit_code == 0, result.stderr
    return {f["check"] for f in json.loads(result.stdout)["findings"]}


# -- --check ----------------------------------------------------------------------------------------


def test_check_accepts_ids_families_and_globs():
    assert check_matches("drift.*", REGISTRY["drift.timeout"])
    assert check_matches("drift", REGISTRY["drift.timeout"])
    assert check_matches("missing-timeout", REGISTRY["system.missing-timeout"])  # its kind
    assert check_matches("system", REGISTRY["system.missing-timeout"])
    assert not check_matches("drift", REGISTRY["latency.timeout"])
    assert not check_matches("drift.time", REGISTRY["drift.timeout"])  # no prefix matching within a word
    assert select_checks([], REGISTRY) is None
    assert select_checks(["*.timeout"], REGISTRY) == {"drift.timeout", "latency.timeout", "observed.timeout"}
    with pytest.raises(SelectionError, match=r"--check nope\.\*: names no check"):
        select_checks(["drift.*", "nope.*"], REGISTRY)


def test_check_runs_only_the_selected_families(tmp_path):
    root = shop(tmp_path)
    assert ids(check(root, "--check", "drift.*")) == {"drift.timeout", "drift.retry", "drift.replica-read", "drift.undeclared-dependency", "drift.fallback"}
    assert ids(check(root, "--check", "latency", "--check", "access.data-policy")) == {"latency.budget", "latency.timeout", "access.data-policy"}
    bad = check(root, "--check", "latncy")
    assert bad.exit_code == 2 and "--check latncy: names no check" in bad.stderr


# -- inline suppressions ---------------------------------------------------------------------------


def test_an_inline_suppression_on_the_line_or_above_with_a_reason(tmp_path):
    root = shop(tmp_path)
    fraud = root / "checkout-service/checkout/fraud.py"
    edit(
        fraud,
        "    response = session.post(\n",
        "    response = session.post(  # contracts: ignore[drift.timeout] the 500 ms in the contract is being renegotiated\n",
    )
    signals = root / "risk-service/risk/signals.py"
    edit(signals, "    requests.post(", "    # contracts: ignore[system.*, latency.budget] expires=2027-01-31 measured: answers in 50 ms\n    requests.post(")
    result = check(root)
    found = ids(result)
    assert "drift.timeout" not in found and "system.missing-timeout" not in found
    assert "drift.retry" in found  # same line, another check
    assert "contracts: warning:" not in result.stderr  # both used, both with a reason, neither expired
    # system.* also covers checkout -> risk's timeout inversion, which names that call as risk's side
    assert "contracts: 3 finding(s) suppressed (inline comments, ignore: entries)" in result.stderr
    inversions = [f for f in json.loads(result.stdout)["findings"] if f["check"] == "system.timeout-inversion"]
    assert [f["services"] for f in inversions] == [["checkout", "payment"]]


def test_inline_suppressions_parse_both_comment_styles(tmp_path):
    (tmp_path / "a.go").write_text(
        "package a\n"
        "// contracts: ignore[drift.timeout] the gateway enforces it\n"
        "resp, err := client.Get(url)\n"
        "x := 1 // contracts: ignore[latency.*] expires=2027-01-31 known, tracked in OPS-12\n"
        "y := 2 // contracts: ignore[drift.retry]\n"
        "z := 3 // contracts: ignore[drift.retry] expires=31/01/2027 wrong date\n"
    )
    found, problems = inline_suppressions(tmp_path, ["a.go"])
    assert [(s.checks, s.reason, s.line, s.applies_to, s.expires) for s in found] == [
        (("drift.timeout",), "the gateway enforces it", 2, 3, ""),
        (("latency.*",), "known, tracked in OPS-12", 4, 4, "2027-01-31"),
    ]
    assert [(p.line, p.kind) for p in problems] == [(5, "no_reason"), (6, "bad_expiry")]


def _finding(file: str, line: int, check_id: str = "drift.timeout"):
    return finding(
        check_id,
        "error",
        "DRIFT",
        services=("checkout", "risk"),
        subject="scoreTransaction",
        message="m",
        sides=[Side("checkout", "code", "t", (Location(file, line, "python.http.requests"),))],
    )


def test_expired_and_unused_suppressions_are_reported_and_an_expired_one_suppresses_nothing(tmp_path):
    (tmp_path / "a.py").write_text(
        "# contracts: ignore[drift.timeout] expires=2026-12-01 until the migration\n"
        "call()\n"
        "other()  # contracts: ignore[drift.retry] nothing here\n"
        "# contracts: ignore[drift.timeout] expires=2026-12-07 still valid today\n"
        "third()\n"
    )
    found, problems = inline_suppressions(tmp_path, ["a.py"])
    out = apply([_finding("a.py", 2), _finding("a.py", 5)], found, TODAY, problems)
    assert [f.locations[0].line for f in out.kept] == [2]
    assert [(f.locations[0].line, s.line) for f, s in out.suppressed] == [(5, 4)]
    assert [(p.line, p.kind) for p in out.problems] == [(1, "expired"), (3, "unused")]
    assert "expired on 2026-12-01" in str(out.problems[0]) and str(out.problems[1]).startswith("a.py:3: ignore[drift.retry] suppresses no finding")


def test_the_cli_reports_problems_on_stderr(tmp_path):
    root = shop(tmp_path)
    edit(root / "risk-service/risk/signals.py", "    requests.post(", "    # contracts: ignore[system.missing-timeout]\n    requests.post(")
    edit(
        root / "risk-service/risk/history.py",
        "\n",
        "\n# contracts: ignore[drift.*] expires=2026-01-01 old\n",
    )
    result = check(root)
    assert "system.missing-timeout" in ids(result)
    assert (
        "contracts: warning: risk-service/risk/signals.py:12: contracts: ignore[system.missing-timeout] has no reason; it suppresses nothing" in result.stderr
    )
    assert "risk-service/risk/history.py:2: ignore[drift.*] expired on 2026-01-01" in result.stderr


# -- ignore: entries in contract files -------------------------------------------------------------


def test_ignore_entries_load_with_file_and_line_errors():
    text = (
        "service: checkout\n"
        "ignore:\n"
        "  - check: drift.timeout\n"
        "    target: risk.scoreTransaction\n"
        "    reason: renegotiating the budget\n"
        "    expires: 2027-01-31\n"
        "  - check: latency.*\n"
        "  - check: drift.retry\n"
        "    reason: ok\n"
        "    expires: soon\n"
        "    when: never\n"
    )
    _, errors = load_contract_text(text, "contracts/x.yaml")
    assert [str(e) for e in errors] == [
        'contracts/x.yaml:7: ignore[1]: missing key "reason"',
        'contracts/x.yaml:10: ignore[2].expires: expected a date like 2027-01-31, got "soon"',
        'contracts/x.yaml:11: ignore[2]: unknown key "when" for an ignore entry (allowed: check, target, reason, expires)',
    ]


def test_an_ignore_entry_suppresses_its_checks_for_its_service_and_target(tmp_path):
    root = shop(tmp_path)
    deps = root / "checkout-service/contracts/dependencies.yaml"
    deps.write_text(
        deps.read_text("utf-8")
        + "ignore:\n"
        + "  - check: drift.*\n    target: risk.scoreTransaction\n    reason: the contract is being rewritten (ARCH-7)\n    expires: 2027-01-31\n"
        + "  - check: access\n    reason: not ours\n",
        "utf-8",
    )
    result = check(root)
    found = ids(result)
    assert not {"drift.timeout", "drift.retry"} & found
    assert "drift.undeclared-dependency" in found  # checkout -> payment: another target
    assert "access.data-policy" in found  # support -> risk: checkout is not part of it
    assert "checkout-service/contracts/dependencies.yaml:18: ignore: access suppresses no finding; remove it" in result.stderr
    later = check(root, now="2027-02-01T00:00:00Z")
    assert {"drift.timeout", "drift.retry"} <= ids(later)
    assert "checkout-service/contracts/dependencies.yaml:14: ignore: drift.* expired on 2027-01-31" in later.stderr


def _entries(tmp_path: Path, target: str):
    folder = tmp_path / target.replace(".", "_") / "contracts"
    folder.mkdir(parents=True)
    (folder / "c.yaml").write_text(f"service: checkout\nignore:\n  - check: drift\n    target: {target}\n    reason: r\n")
    loaded = load_contracts(folder.parent, [("checkout", ".")])
    assert loaded.errors == []
    return loaded.ignores


def test_contract_suppressions_match_by_service_and_operation(tmp_path):
    (entry,) = _entries(tmp_path, "risk.other")
    assert (entry.service, entry.check, entry.target_service, entry.target_operation, entry.location.line) == ("checkout", "drift", "risk", "other", 3)
    out = apply([_finding("x.py", 1)], contract_suppressions([entry]), TODAY)
    assert len(out.kept) == 1 and [p.kind for p in out.problems] == ["unused"]
    assert apply([_finding("x.py", 1)], contract_suppressions(_entries(tmp_path, "risk.scoreTransaction")), TODAY).kept == []
    assert apply([_finding("x.py", 1)], contract_suppressions(_entries(tmp_path, "risk")), TODAY).kept == []


# -- baselines -------------------------------------------------------------------------------------


def test_a_baseline_hides_known_findings_even_after_lines_move(tmp_path):
    root = shop(tmp_path)
    baseline = tmp_path / "baseline.json"
    written = check(root, "--write-baseline", str(baseline))
    assert written.exit_code == 0
    doc = json.loads(baseline.read_text())
    assert doc["version"] == 1 and len(doc["findings"]) == 13
    fraud = root / "checkout-service/checkout/fraud.py"
    fraud.write_text("\n\n" + fraud.read_text("utf-8"), "utf-8")
    edit(root / "risk-service/risk/signals.py", '/fingerprint/{user_id}", timeout=1.5)', '/fingerprint/{user_id}")')
    result = check(root, "--baseline", str(baseline))
    assert [(f["check"], f["subject"]) for f in json.loads(result.stdout)["findings"]] == [("system.missing-timeout", "device-intel.internal")]
    assert "contracts: 13 finding(s) in the baseline not reported" in result.stderr


def test_a_bad_baseline_is_a_usage_error(tmp_path):
    root = shop(tmp_path)
    (tmp_path / "b.json").write_text('{"version": 7}')
    result = check(root, "--baseline", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "not a version 1 baseline" in result.stderr
