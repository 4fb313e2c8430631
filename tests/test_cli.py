"""The command line: exit codes, messages naming file and line, the same docs as docs/rules/."""

from __future__ import annotations

import json

from click.testing import CliRunner

from extractor.cli import main

from .conftest import REPO

SAMPLE = str(REPO / "fixtures" / "monorepos" / "fraud-detection")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_missing_path_is_a_usage_error():
    result = run("scan", "/no/such/dir")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_unknown_rule_is_a_usage_error():
    result = run("scan", SAMPLE, "--rule", "python.http.nope")
    assert result.exit_code == 2
    assert "unknown rule id(s): python.http.nope" in result.output


def test_bad_config_names_the_file_and_line(tmp_path):
    (tmp_path / "contracts.toml").write_text("max_file_bytes = 10\nbogus = 1\n")
    result = run("scan", str(tmp_path))
    assert result.exit_code == 2
    assert "contracts.toml:2: unknown key 'bogus'" in result.output


def test_scan_json_on_the_sample_monorepo():
    result = run("scan", SAMPLE, "--format", "json", "--jobs", "1")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["version"] == 1
    assert {s["name"] for s in data["services"]} >= {"checkout", "risk", "orders", "support"}
    score = [f for f in data["facts"] if f["kind"] == "http_call" and f["url"] == "http://risk:8080/v1/score"]
    assert len(score) == 1
    assert score[0]["service"] == "checkout"
    assert score[0]["target"]["service"] == "risk"
    assert score[0]["timeout_ms"] == 5000
    # the code's default is 5 s; docker-compose.yml gives RISK_TIMEOUT_SECONDS "5": the deployment's value is in force
    assert score[0]["timeout_source"] == "config"
    assert score[0]["timeout_env"] == "RISK_TIMEOUT_SECONDS"
    assert score[0]["timeout_expr"] == "env RISK_TIMEOUT_SECONDS=5 in docker-compose.yml"


def test_scan_text_is_a_per_service_summary():
    result = run("scan", SAMPLE, "--jobs", "1")
    assert result.exit_code == 0
    assert "checkout  (checkout-service; python)" in result.output
    assert "POST http://risk:8080/v1/score → risk; timeout 5 s" in result.output


def test_rules_explain_prints_the_generated_page():
    result = run("rules", "explain", "python.http.requests")
    assert result.exit_code == 0
    assert result.output == (REPO / "docs" / "rules" / "python.http.requests.md").read_text()


def test_rules_explain_unknown_rule_suggests(catalog):
    result = run("rules", "explain", "requests")
    assert result.exit_code == 2
    assert "python.http.requests" in result.output


def test_rules_list_names_every_rule(catalog):
    result = run("rules", "list")
    assert result.exit_code == 0
    for rule in catalog.rules:
        assert rule.id in result.output
