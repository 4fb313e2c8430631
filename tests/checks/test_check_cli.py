"""`contracts check` and `contracts graph` on the command line: exit codes, --fail-on, input errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from extractor.cli import main

from ..conftest import REPO
from .helpers import write

SAMPLE = str(REPO / "fixtures" / "monorepos" / "fraud-detection")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# a -> b -> c, 3 x 4 attempts declared: one retry-amplification warning (12 > 10), nothing else
CHAIN = {
    "a/contracts/deps.yaml": "service: a\ndepends_on:\n  - service: b\n    timeout: 10s\n    retry:\n      attempts: 3\n",
    "b/contracts/deps.yaml": "service: b\ndepends_on:\n  - service: c\n    timeout: 1s\n    retry:\n      attempts: 4\n",
    "c/contracts/empty.yaml": "service: c\n",
}


def test_findings_at_or_above_the_default_error_exit_1():
    result = run("check", SAMPLE, "--jobs", "1")
    assert result.exit_code == 1
    assert "ERROR: Latency contract violation" in result.stdout


def test_fail_on_never_prints_the_report_and_exits_0():
    result = run("check", SAMPLE, "--jobs", "1", "--fail-on", "never")
    assert result.exit_code == 0
    assert "Status: DECISION_REQUIRED" in result.stdout


def test_warnings_fail_only_when_asked(tmp_path):
    root = str(write(tmp_path, CHAIN))
    assert run("check", root).exit_code == 0
    assert run("check", root, "--fail-on", "warning").exit_code == 1
    assert run("check", root, "--fail-on", "info").exit_code == 1


def test_a_repository_without_findings_exits_0(tmp_path):
    root = write(tmp_path, {"a/contracts/deps.yaml": "service: a\n"})
    result = run("check", str(root), "--fail-on", "info")
    assert result.exit_code == 0
    assert result.stdout.endswith("0 findings: 0 errors, 0 warnings, 0 info\n")


def test_retry_amplification_limit_from_the_command_line_and_from_config(tmp_path):
    root = write(tmp_path, CHAIN)
    assert "Retry amplification" in run("check", str(root)).stdout
    assert "Retry amplification" not in run("check", str(root), "--retry-amplification", "12").stdout
    (root / "contracts.toml").write_text("retry_amplification = 12\n")
    assert "Retry amplification" not in run("check", str(root)).stdout


def test_a_contract_file_error_exits_2_after_every_finding_and_error(tmp_path):
    files = dict(CHAIN)
    files["c/contracts/bad.yaml"] = "service: c\ndepends_on:\n  - service: d\n    timeout: 500\n"
    root = write(tmp_path, files)
    result = run("check", str(root), "--fail-on", "never")
    assert result.exit_code == 2
    assert "c/contracts/bad.yaml:4: depends_on[0].timeout:" in result.stdout
    assert "Retry amplification" in result.stdout  # the other findings are still reported
    assert "contract file error" in result.stderr
    data = json.loads(run("check", str(root), "--format", "json").stdout)
    assert data["summary"]["contract_errors"] == 1 and data["contract_errors"][0]["line"] == 4


def test_unknown_check_and_bad_options_are_usage_errors(tmp_path):
    assert run("check", SAMPLE, "--check", "latency.nope").exit_code == 2
    assert run("check", SAMPLE, "--fail-on", "sometimes").exit_code == 2
    assert run("check", SAMPLE, "--retry-amplification", "0.5").exit_code == 2
    assert run("check", str(tmp_path / "missing")).exit_code == 2


def test_check_filter_and_output_file(tmp_path):
    out = tmp_path / "report.json"
    result = run("check", SAMPLE, "--jobs", "1", "--check", "access.data-policy", "--format", "json", "-o", str(out))
    assert result.exit_code == 1
    data = json.loads(out.read_text())
    assert [f["check"] for f in data["findings"]] == ["access.data-policy"]


def test_graph_formats(tmp_path):
    for fmt, start in (("json", "{"), ("dot", "digraph contracts {"), ("mermaid", "flowchart LR")):
        result = run("graph", SAMPLE, "--jobs", "1", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith(start)


def test_graph_with_a_contract_error_prints_the_graph_then_exits_2(tmp_path):
    root = write(tmp_path, {"a/contracts/deps.yaml": "service: a\ndepends_on: nope\n"})
    result = run("graph", str(root), "--format", "mermaid")
    assert result.exit_code == 2
    assert result.stdout.startswith("flowchart LR")
    assert "a/contracts/deps.yaml:2" in result.stderr
