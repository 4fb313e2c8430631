"""The CI recipe of docs/ci.md (docs/ci/contracts.yml, a GitHub Actions workflow): its structure,
and every step that runs `contracts` run as the runner would (bash -e, the workflow's, job's and
step's env, `${{ }}` expressions filled in) on a copy of a sample, asserting the exit codes and the
files the later steps upload: the SARIF (valid against the official schema), the drift report and
the history kept from one night to the next (an artifact, or a PostgreSQL database)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from .conftest import FIXTURES, REPO
from .test_history import _postgres_url, git, introduce_a_drift, sample_repo
from .test_sarif import validate

WORKFLOW = REPO / "docs" / "ci" / "contracts.yml"
BIN = Path(sys.executable).parent  # the `contracts` script of this installation
COMMAND = re.compile(r"^\s*contracts\s.*$", re.MULTILINE)
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text("utf-8"))


def steps_running_contracts(job: str) -> list[dict]:
    return [s for s in workflow()["jobs"][job]["steps"] if "run" in s and COMMAND.search(s["run"])]


def fill(text: str, values: dict[str, str]) -> str:
    def value(m: re.Match[str]) -> str:
        assert m.group(1) in values, f"an expression the test does not know: {m.group(0)}"
        return values[m.group(1)]

    return EXPRESSION.sub(value, str(text))


def run_job(job: str, root: Path, secrets: dict[str, str] | None = None) -> list[subprocess.CompletedProcess[str]]:
    """Run the job's steps that run `contracts`, in ``root``, until one fails (as the runner does)."""
    doc = workflow()
    values = {"github.sha": git(root, "rev-parse", "HEAD").strip(), "github.workflow": doc["name"], "github.ref_name": "main", "github.token": ""}
    values |= {f"secrets.{k}": v for k, v in (secrets or {}).items()}
    summary = root.parent / f"{root.name}-summary.md"
    done = []
    for step in steps_running_contracts(job):
        env = {**os.environ, "CI": "true", "GITHUB_WORKSPACE": str(root), "GITHUB_STEP_SUMMARY": str(summary)}
        for scope in (doc, doc["jobs"][job], step):
            env |= {k: fill(v, values) for k, v in (scope.get("env") or {}).items()}
        env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
        assert "if" not in step  # runs whenever the job does
        done.append(
            subprocess.run(
                ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", fill(step["run"], values)],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
        )
        if done[-1].returncode != 0:
            break
    return done


def step_using(job: str, action: str) -> dict:
    (step,) = [s for s in workflow()["jobs"][job]["steps"] if s.get("uses", "").startswith(action + "@")]
    return step


def test_the_recipe_installs_checks_uploads_and_runs_drift_nightly():
    doc = workflow()
    triggers = doc.get("on", doc.get(True))  # (YAML 1.1 reads `on` as true)
    assert {"pull_request", "schedule"} <= set(triggers) and triggers["schedule"][0]["cron"]
    package = doc["env"]["CONTRACTS_PACKAGE"]
    project = (REPO / "pyproject.toml").read_text("utf-8")
    name, extra = re.fullmatch(r"([\w.-]+)\[(\w+)\]", package).groups()  # type: ignore[union-attr]
    assert f'name = "{name}"' in project and re.search(rf"^{extra} = \[", project, re.MULTILINE)
    for job in ("check", "drift"):
        installs = [s["run"] for s in doc["jobs"][job]["steps"] if "run" in s and "pip install" in s["run"]]
        assert installs == ['python -m pip install "$CONTRACTS_PACKAGE"']
    commands = [" ".join(m.group(0).split()) for job in doc["jobs"].values() for s in job["steps"] for m in COMMAND.finditer(s.get("run", ""))]
    assert commands == [
        "contracts check . --format sarif -o results.sarif --quiet",
        'contracts drift . --history "${CONTRACTS_HISTORY_URL:-.contracts/history.db}" --format markdown -o drift.md --quiet',
    ]
    assert doc["jobs"]["check"]["permissions"]["security-events"] == "write"
    assert step_using("check", "github/codeql-action/upload-sarif")["with"]["sarif_file"] == "results.sarif"
    kept = [s for s in doc["jobs"]["drift"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@") and s["with"]["name"] == "contracts-history"]
    assert [s["with"]["path"] for s in kept] == [".contracts/history.db"] and kept[0]["with"]["include-hidden-files"] is True  # (a dot folder)
    assert "ci/contracts.yml" in (REPO / "docs" / "ci.md").read_text("utf-8")


@pytest.mark.parametrize(("sample", "exit_code"), [("polyglot-shop", 0), ("fraud-detection", 1)])
def test_the_check_job_writes_a_valid_sarif_and_fails_on_errors(tmp_path, sample, exit_code):
    root = tmp_path / sample
    shutil.copytree(FIXTURES / "monorepos" / sample, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "sample")
    (done,) = run_job("check", root)
    assert done.returncode == exit_code, done.stderr
    assert done.stdout == "" and done.stderr == ""  # the report is in the file
    import json

    doc = json.loads((root / "results.sarif").read_text("utf-8"))  # uploaded even when the job fails (if: always())
    validate(doc)
    errors = [r for r in doc["runs"][0]["results"] if r["level"] == "error"]
    assert bool(errors) == bool(exit_code)


def two_nights(tmp_path: Path, name: str, secrets: dict[str, str]) -> tuple[Path, Path]:
    """Night 1 on the sample; night 2 in a fresh checkout, after a commit that drops a timeout,
    with the history night 1 left (the artifact the fetch step downloads, when there is one)."""
    first = sample_repo(tmp_path / "night1" / name)
    done = run_job("drift", first, secrets)
    assert [d.returncode for d in done] == [0], done[-1].stderr
    second = tmp_path / "night2" / name
    subprocess.run(["git", "clone", "-q", str(first), str(second)], check=True)
    if (first / ".contracts" / "history.db").exists():
        (second / ".contracts").mkdir()
        shutil.copy2(first / ".contracts" / "history.db", second / ".contracts" / "history.db")
    introduce_a_drift(second)
    done = run_job("drift", second, secrets)
    assert [d.returncode for d in done] == [0], done[-1].stderr
    return first, second


def test_the_nightly_drift_job_keeps_the_history_as_an_artifact(tmp_path):
    first, second = two_nights(tmp_path, "shop", {"CONTRACTS_HISTORY_URL": ""})  # no secret: SQLite
    assert (first / ".contracts" / "history.db").is_file()  # what "Keep the history" uploads
    assert (first / "drift.md").read_text("utf-8").startswith("### Contract drift: 13 new, 0 fixed, 0 still open")
    report = (second / "drift.md").read_text("utf-8")
    assert report.startswith("### Contract drift: 1 new, 0 fixed, 13 still open")
    assert "compared with the previous recorded run (#1" in report
    assert (second.parent / "shop-summary.md").read_text("utf-8") == report  # the job summary


def test_the_nightly_drift_job_with_a_postgresql_history(tmp_path):
    url = _postgres_url()
    name = f"ci-recipe-{uuid.uuid4().hex[:8]}"  # runs are recorded under the checkout's folder name
    first, second = two_nights(tmp_path, name, {"CONTRACTS_HISTORY_URL": url})
    assert not (first / ".contracts" / "history.db").exists()
    assert (second / "drift.md").read_text("utf-8").startswith("### Contract drift: 1 new, 0 fixed, 13 still open")
