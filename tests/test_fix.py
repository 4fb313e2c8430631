"""`contracts fix` on the fraud-detection sample: the diff it prints, --apply, and the issue's done-when:
`check` after `fix --apply` no longer reports the fixed findings, and `git diff` keeps every comment.
The codemods themselves are tested case by case in tests/test_fix_fixtures.py."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tokenize
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.fix import FileChange, Fix, FixError, change_files, write

from .checks.helpers import write as write_files
from .conftest import FIXTURES, REPO

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
FIXED = {
    "drift.retry:2b3301d98880": "checkout-service/checkout/fraud.py",
    "idempotency.new-id-on-retry:2ec179e2793e": "checkout-service/checkout/fraud.py",
    "system.missing-timeout:ee022d91657b": "risk-service/risk/signals.py",
}
"""The sample's findings with a code fix, and the file each fix changes."""


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "fraud-detection"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache"))
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sample")
    return root


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "-q"], catch_exceptions=False)
    return result.exit_code, result.output


def finding_ids(root: Path) -> set[str]:
    _, out = cli("check", str(root), "--format", "json")
    return {f["id"] for f in json.loads(out)["findings"]}


def comments(text: str) -> list[str]:
    return sorted(t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT)


def test_fix_apply_then_check_no_longer_reports_the_fixed_findings_and_keeps_every_comment(sample: Path) -> None:
    before = finding_ids(sample)
    assert set(FIXED) <= before
    code, out = cli("fix", str(sample), "--apply")
    assert code == 0, out
    after = finding_ids(sample)
    assert not set(FIXED) & after
    assert after == before - set(FIXED)  # nothing else appears or goes away
    changed = git(sample, "diff", "--name-only").split()
    assert changed == ["checkout-service/checkout/fraud.py", "checkout-service/contracts/retry.yaml", "risk-service/risk/signals.py"]
    for file in changed:
        old, new = git(sample, "show", f"HEAD:{file}"), (sample / file).read_text("utf-8")
        if file.endswith(".py"):
            assert comments(old) == comments(new), file
            compile(new, file, "exec")
        else:
            assert [line.partition("#")[2] for line in old.splitlines()] == [line.partition("#")[2] for line in new.splitlines()]
    diff = git(sample, "diff")
    assert '+    requests.post(f"{FRAUD_API_URL}/checks", json={"transaction_id": tx_id}, timeout=0.5)' in diff
    assert "+    stop=stop_after_attempt(1)," in diff
    assert "+    return _check_fraud_attempt(cart, user_id, tx_id=tx_id)" in diff
    assert "+def _check_fraud_attempt(cart, user_id, *, tx_id):" in diff
    assert "+      generates_new_request_id: false" in diff
    code, out = cli("fix", str(sample))
    assert (code, out) == (0, "# nothing to fix: no finding of this run has a code fix (see docs/contracts.md, Fixes)\n")


def test_fix_prints_a_diff_git_applies_and_writes_nothing(sample: Path) -> None:
    code, out = cli("fix", str(sample))
    assert code == 1
    assert git(sample, "status", "--porcelain") == ""
    diff = out[: out.index("\n# fix: ")] + "\n"
    (sample.parent / "fix.diff").write_text(diff, "utf-8")
    git(sample, "apply", "--check", str(sample.parent / "fix.diff"))
    notes = [line for line in out.splitlines() if line.startswith("# ")]
    assert notes == [
        "# fix: checkout-service/checkout/fraud.py:12: 1 attempt, no retry (declared at checkout-service/contracts/dependencies.yaml:12) [drift.retry:2b3301d98880]",
        "# fix: checkout-service/checkout/fraud.py:19: tx_id generated once, before the retry at line 12 [idempotency.new-id-on-retry:2ec179e2793e]",
        "# fix: checkout-service/contracts/retry.yaml:6: the contract no longer says a new id is made on retry [idempotency.new-id-on-retry:2ec179e2793e]",
        "# fix: risk-service/risk/signals.py:12: timeout 500ms (the shortest timeout risk's callers give it) [system.missing-timeout:ee022d91657b]",
    ]


def test_fix_one_finding_as_json_follows_its_schema(sample: Path) -> None:
    code, out = cli("fix", str(sample), "--finding", "system.missing-timeout:ee022d91657b", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    schema = json.loads((REPO / "docs" / "schemas" / "fix.v1.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    assert doc["applied"] is False
    assert [(f["finding"], f["kind"], f["status"], f["file"], f["line"], f["rule"]) for f in doc["fixes"]] == [
        ("system.missing-timeout:ee022d91657b", "timeout", "fixed", "risk-service/risk/signals.py", 12, "python.http.requests")
    ]
    assert [f["file"] for f in doc["files"]] == ["risk-service/risk/signals.py"]
    assert '+    requests.post(f"{FRAUD_API_URL}/checks", json={"transaction_id": tx_id}, timeout=0.5)\n' in doc["diff"]


def test_fix_names_an_unknown_finding(sample: Path) -> None:
    code, out = cli("fix", str(sample), "--finding", "drift.retry:000000000000")
    assert code == 2 and "drift.retry:000000000000: no finding of this run" in out


def _one_change(root: Path) -> list[FileChange]:
    (root / "a.py").write_text("import requests\nrequests.get('http://x')  # no timeout\n", "utf-8")
    changes, outcomes = change_files(root, [Fix("f", "timeout", "a.py", 2, 1, "python.http.requests", 1000)])
    assert [o.status for o in outcomes] == ["fixed"]
    assert changes[0].after == "import requests\nrequests.get('http://x', timeout=1)  # no timeout\n"
    return changes


def test_apply_refuses_a_file_changed_since_the_plan(tmp_path: Path) -> None:
    changes = _one_change(tmp_path)
    (tmp_path / "a.py").write_text("import requests\nrequests.get('http://y')\n", "utf-8")
    with pytest.raises(FixError, match=r"a\.py: changed since the scan; nothing written"):
        write(tmp_path, changes)
    assert (tmp_path / "a.py").read_text("utf-8") == "import requests\nrequests.get('http://y')\n"


def test_apply_writes_atomically_and_never_through_a_symbolic_link(tmp_path: Path) -> None:
    changes = _one_change(tmp_path)
    assert write(tmp_path, changes) == ["a.py"]
    assert (tmp_path / "a.py").read_text("utf-8") == changes[0].after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]  # no temporary file left
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "b.py").write_text("import requests\nrequests.get('http://x')\n", "utf-8")
    root = tmp_path / "root"
    root.mkdir()
    (root / "b.py").symlink_to(outside / "b.py")
    changes, outcomes = change_files(root, [Fix("f", "timeout", "b.py", 2, 1, "python.http.requests", 1000)])
    assert changes == [] and outcomes[0].status == "suggestion" and "symbolic link" in outcomes[0].reason
    with pytest.raises(FixError, match="symbolic link"):
        write(root, [FileChange("b.py", "x", "y", __import__("hashlib").sha256((outside / "b.py").read_bytes()).hexdigest())])
    assert (outside / "b.py").read_text("utf-8") == "import requests\nrequests.get('http://x')\n"


def test_a_retry_loop_minting_an_idempotency_key_and_a_timeout_with_no_value(tmp_path: Path) -> None:
    """idempotency.new-id-per-attempt (a provider outside the repository) is fixed by moving the key before the
    loop; a missing timeout that no contract or caller gives a value for stays a suggestion, and is still reported."""
    root = write_files(
        tmp_path / "shop",
        {
            "billing-service/requirements.txt": "requests\n",
            "billing-service/billing/__init__.py": "",
            "billing-service/billing/charge.py": """
                import uuid

                import requests


                def charge(order):
                    for attempt in range(3):
                        # a new key per try
                        key = str(uuid.uuid4())
                        try:
                            return requests.post("https://api.payments.example.com/charges", json={"order": order}, headers={"Idempotency-Key": key}, timeout=2)
                        except requests.Timeout:
                            continue
                    return None


                def audit(order):
                    requests.post("https://audit.example.com/events", json={"order": order})
            """,
        },
    )
    before = {i.split(":")[0] for i in finding_ids(root)}
    assert {"idempotency.new-id-per-attempt", "system.missing-timeout"} <= before
    code, out = cli("fix", str(root), "--apply")
    assert code == 0, out
    notes = [line for line in out.splitlines() if line.startswith("# ")]
    assert notes[0].startswith("# fixed: billing-service/billing/charge.py:9: key generated once, before the retry at line 7 [idempotency.new-id-per-attempt:")
    assert notes[1].startswith(
        "# by hand: billing-service/billing/charge.py:18: a timeout on the call to audit.example.com: no value to write: the caller declares no timeout"
    )
    text = (root / "billing-service/billing/charge.py").read_text("utf-8")
    assert "def charge(order):\n    # a new key per try\n    key = str(uuid.uuid4())\n    for attempt in range(3):\n        try:\n" in text
    after = {i.split(":")[0] for i in finding_ids(root)}
    assert "idempotency.new-id-per-attempt" not in after and "system.missing-timeout" in after
