"""The run header of ``contracts check``: the time of the run and the commit and branch checked.

The other tests fix both (tests/conftest.py); here they are the real ones."""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from extractor import __version__
from extractor.cli import RUN_COMMIT_VAR, RUN_TIME_VAR, main

from .test_history import git, sample_repo


def _check(root, monkeypatch, *args: str) -> str:
    monkeypatch.delenv(RUN_TIME_VAR, raising=False)
    monkeypatch.delenv(RUN_COMMIT_VAR, raising=False)
    monkeypatch.setenv("CONTRACTS_NOW", "2026-12-07T09:30:00+01:00")
    result = CliRunner().invoke(main, ["check", str(root), *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_the_json_run_names_the_tool_the_utc_time_and_the_commit_and_branch(tmp_path, monkeypatch):
    root = sample_repo(tmp_path / "shop")
    head = git(root, "rev-parse", "HEAD").strip()
    doc = json.loads(_check(root, monkeypatch, "--format", "json"))
    assert doc["run"] == {"tool": "contracts", "version": __version__, "time": "2026-12-07T08:30:00Z", "commit": head, "branch": "main"}


def test_the_text_header_shortens_the_commit_and_leaves_out_what_git_cannot_say(tmp_path, monkeypatch):
    root = sample_repo(tmp_path / "shop")
    head = git(root, "rev-parse", "HEAD").strip()
    text = _check(root, monkeypatch)
    assert text.splitlines()[1] == f"Run: 2026-12-07T08:30:00Z, commit {head[:12]} (main), contracts {__version__}"
    git(root, "checkout", "-q", "--detach")
    assert _check(root, monkeypatch).splitlines()[1] == f"Run: 2026-12-07T08:30:00Z, commit {head[:12]}, contracts {__version__}"
    subprocess.run(["rm", "-rf", str(root / ".git")], check=True)
    doc = json.loads(_check(root, monkeypatch, "--format", "json"))
    assert doc["run"] == {"tool": "contracts", "version": __version__, "time": "2026-12-07T08:30:00Z"}
