"""Installed like a user installs it: the wheel built from this checkout, installed into a fresh
virtual environment, passes ``contracts rules test`` and ``contracts rules docs --check`` and gives
the same report on the sample monorepo as the checkout does.

Offline: the wheel is built without build isolation (hatchling comes with the ``test`` extra) and
installed with ``--no-index --no-deps``; the fresh environment finds its dependencies through a
``.pth`` line naming this environment's site-packages (a plain path entry: the editable install of
the checkout living there is not activated, so ``extractor`` comes from the wheel, as asserted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.catalog import load_catalog
from extractor.cli import main

from .conftest import REPO

SAMPLE = REPO / "fixtures" / "monorepos" / "fraud-detection"


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_NO_INDEX"] = "1"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding only the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheels = tmp / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels), str(REPO)], tmp)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("contract_extractor-*.whl")
    env = tmp / "env"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(env)], tmp)
    assert made.returncode == 0, made.stderr
    bindir = env / ("Scripts" if os.name == "nt" else "bin")
    python = next(p for p in (bindir / "python", bindir / "python.exe") if p.exists())
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp)
    assert done.returncode == 0, done.stderr
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site) / "_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    where = _run([str(python), "-c", "import extractor; print(extractor.__file__)"], tmp)
    assert Path(where.stdout.strip()).is_relative_to(env), where.stdout + where.stderr
    return bindir


def test_the_installed_wheel_passes_every_rule_test(installed, tmp_path):
    result = _run([str(installed / "contracts"), "rules", "test"], tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert result.stdout.splitlines()[-1] == f"{len(load_catalog().rules)} passed, 0 failed"


def test_the_installed_wheel_finds_its_rule_docs_current(installed, tmp_path):
    result = _run([str(installed / "contracts"), "rules", "docs", "--check"], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "rule docs are current\n", "")


def test_the_installed_wheel_checks_the_sample_as_the_checkout_does(installed, tmp_path):
    args = ["check", str(SAMPLE), "--fail-on", "never", "--format", "json", "--jobs", "1"]
    result = _run([str(installed / "contracts"), *args], tmp_path)
    assert result.returncode == 0, result.stderr
    installed_doc = json.loads(result.stdout)
    checkout_doc = json.loads(CliRunner().invoke(main, args, catch_exceptions=False).stdout)
    assert installed_doc == checkout_doc
    assert len(installed_doc["findings"]) > 0
