"""The pre-commit hook (.pre-commit-hooks.yaml) and ``check --changed``: the hook's entry and args,
run as pre-commit runs them (from the repository's top, the staged files that its ``files``
pattern selects appended), passes on a clean sample and fails on one with an error finding.

pre-commit itself is not run: ``pre-commit try-repo`` installs the hook's package and its
dependencies into a fresh environment from the package index, which a test cannot count on."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from extractor.changed import owning_services, reads
from extractor.cli import main
from extractor.facts import Service

from .conftest import FIXTURES, REPO

CONTRACTS = Path(sys.executable).parent / "contracts"


def hook() -> dict:
    (only,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    return only


def copy(sample: str, tmp_path: Path) -> Path:
    root = tmp_path / sample
    shutil.copytree(FIXTURES / "monorepos" / sample, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    return root


def run_hook(root: Path, staged: list[str]) -> subprocess.CompletedProcess[str]:
    """The hook as pre-commit runs it: ``entry`` + ``args`` + the staged files its patterns select."""
    spec = hook()
    selected = [f for f in staged if re.search(spec["files"], f) and not re.search(spec.get("exclude", "^$"), f)]
    command = shlex.split(spec["entry"]) + spec.get("args", []) + (selected if spec.get("pass_filenames", True) else [])
    assert command[0] == "contracts"
    return subprocess.run([str(CONTRACTS), *command[1:]], cwd=root, capture_output=True, text=True, timeout=600)


def test_the_hook_is_declared_as_pre_commit_expects():
    spec = hook()
    assert spec["id"] == "contracts-check"
    assert spec["language"] == "python"  # pre-commit installs this package (its `contracts` script)
    assert spec["require_serial"] is True  # one run sees every file (a run per chunk would analyse the repository again)
    assert spec["pass_filenames"] is True
    assert shlex.split(spec["entry"])[:3] == ["contracts", "check", "."] and shlex.split(spec["entry"])[-1] == "--changed"
    pattern = re.compile(spec["files"])
    for wanted in ["risk-service/risk/signals.py", "svc/Program.cs", "web/src/app.tsx", "docker-compose.yml", "k8s/deploy.yaml", "svc/.env", "svc/Dockerfile"]:
        assert pattern.search(wanted), wanted
    for unwanted in ["README.md", "docs/index.md", "svc/logo.png"]:
        assert not pattern.search(unwanted), unwanted


def test_the_hook_passes_on_a_clean_sample(tmp_path):
    root = copy("polyglot-shop", tmp_path)  # warnings only
    staged = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    done = run_hook(root, staged)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every service" in done.stderr  # docker-compose.yml lies outside the services
    assert "WARNING" in done.stdout


def test_the_hook_fails_on_the_errors_of_a_changed_service_and_passes_on_another(tmp_path):
    root = copy("fraud-detection", tmp_path)  # errors between checkout, risk, orders and support; warnings of payment
    done = run_hook(root, ["risk-service/risk/signals.py", "README.md"])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "findings of risk" in done.stderr
    assert "ERROR" in done.stdout

    done = run_hook(root, ["payment-service/payment/gateway.py", "README.md"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "findings of payment" in done.stderr
    assert "ERROR" not in done.stdout and "2 findings: 0 errors, 2 warnings" in done.stdout


def test_changed_keeps_the_findings_naming_the_services_of_the_files(tmp_path):
    import json

    root = copy("fraud-detection", tmp_path)
    every = json.loads(CliRunner().invoke(main, ["check", str(root), "--format", "json", "-j", "1"]).stdout)["findings"]
    risk = root / "risk-service" / "risk" / "signals.py"
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json", "-j", "1", "--changed", str(risk)])
    assert result.exit_code == 1
    kept = json.loads(result.stdout)["findings"]
    assert kept == [f for f in every if "risk" in f["services"]] and 0 < len(kept) < len(every)


def test_changed_files_need_the_flag_and_are_never_recorded(tmp_path):
    root = copy("fraud-detection", tmp_path)
    result = CliRunner().invoke(main, ["check", str(root), "risk-service/risk/signals.py"])
    assert result.exit_code == 2 and "need --changed" in result.stderr
    result = CliRunner().invoke(main, ["check", str(root), "--record", "--changed", "risk-service/risk/signals.py"])
    assert result.exit_code == 2 and "cannot be recorded" in result.stderr


SERVICES = [Service("gateway", "."), Service("orders", "services/orders"), Service("orders-db", "services/orders/db"), Service("cache", "compose.yml#cache")]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["services/orders/app.py"], {"orders"}),
        (["services/orders/db/schema.sql", "services/orders/README.md"], {"orders-db", "orders"}),
        (["main.go"], {"gateway"}),  # the root service owns what no other service does
    ],
)
def test_owning_services(tmp_path, files, expected):
    assert owning_services(tmp_path, [Path(f) for f in files], SERVICES, cwd=tmp_path) == expected


def test_files_of_no_service_select_every_service_when_the_scan_reads_them(tmp_path):
    services = SERVICES[1:]  # no root service
    assert owning_services(tmp_path, [Path("docker-compose.yml")], services, cwd=tmp_path) is None
    assert owning_services(tmp_path, [Path("libs/shared/client.py")], services, cwd=tmp_path) is None
    assert owning_services(tmp_path, [Path("README.md"), Path("docs/a.md")], services, cwd=tmp_path) == frozenset()
    assert owning_services(tmp_path, [tmp_path.parent / "elsewhere.py"], services, cwd=tmp_path) == frozenset()  # outside PATH
    assert owning_services(tmp_path / "services", [Path("services/orders/app.py")], [Service("orders", "orders")], cwd=tmp_path) == {"orders"}
    assert reads(".env.local") and reads("deploy/Dockerfile") and not reads("LICENSE")
