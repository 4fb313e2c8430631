"""Every file the tool writes stays where it belongs (extractor/safeio.py): never through a symbolic
link, never out of the scan root or the folder named for ``-o``, a fresh temporary name, an atomic
rename; ``-o`` into a missing folder is exit 2 naming the path; ``init --update`` keeps each
entry's comments with that entry."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor import safeio
from extractor.cli import main

from .conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
PAYMENT_CONTRACTS = "payment-service/contracts"
CHECKOUT_DEPS = "checkout-service/contracts/dependencies.yaml"


def run(*args: str):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: a file's bytes, a link's target."""
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root)
    return root


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "keep.txt").write_text("outside the repository\n", encoding="utf-8")
    return folder


# -- the helper itself -----------------------------------------------------------------------------


def test_write_text_creates_folders_and_leaves_no_temporary_file(tmp_path):
    path = safeio.write_text(tmp_path, "a/b/c.yaml", "x: 1\n")
    assert path == tmp_path / "a" / "b" / "c.yaml"
    assert path.read_text("utf-8") == "x: 1\n"
    safeio.write_text(tmp_path, "a/b/c.yaml", "x: 2\n")
    assert path.read_text("utf-8") == "x: 2\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["c.yaml"]


def test_write_text_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "script.sh"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o750)
    safeio.write_text(tmp_path, "script.sh", "new\n")
    assert (path.stat().st_mode & 0o777, path.read_text("utf-8")) == (0o750, "new\n")


def test_a_link_on_the_way_or_at_the_file_is_refused_even_one_pointing_inside(tmp_path, outside):
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "in").symlink_to(root / "real", target_is_directory=True)
    (root / "file.txt").symlink_to(outside / "keep.txt")
    before = tree(outside)
    with pytest.raises(safeio.WriteError) as err:
        safeio.write_text(root, "out/new.txt", "x")
    assert str(err.value) == "out: a symbolic link; out/new.txt is not written through it"
    with pytest.raises(safeio.WriteError) as err:
        safeio.write_text(root, "in/new.txt", "x")
    assert str(err.value) == "in: a symbolic link; in/new.txt is not written through it"
    with pytest.raises(safeio.WriteError) as err:
        safeio.write_text(root, "file.txt", "x")
    assert str(err.value) == "file.txt: a symbolic link; not written through"
    assert tree(outside) == before
    assert list((root / "real").iterdir()) == []


@pytest.mark.parametrize("rel", ["../outside/keep.txt", "/etc/passwd", "a/../../x", ""])
def test_a_path_that_leaves_the_root_is_refused(tmp_path, outside, rel):
    root = tmp_path / "root"
    root.mkdir()
    before = tree(outside)
    with pytest.raises(safeio.WriteError) as err:
        safeio.write_text(root, rel, "x")
    assert "not a path inside the folder written to" in str(err.value)
    assert tree(outside) == before


def test_exclusive_never_replaces_a_file_or_a_dangling_link(tmp_path, outside):
    (tmp_path / "taken.txt").write_text("mine\n", encoding="utf-8")
    (tmp_path / "dangling").symlink_to(outside / "missing.txt")
    for name in ("taken.txt", "dangling"):
        with pytest.raises(safeio.WriteError) as err:
            safeio.write_text(tmp_path, name, "x", exclusive=True)
        assert str(err.value).startswith(f"{name}: ")
    assert (tmp_path / "taken.txt").read_text("utf-8") == "mine\n"
    assert not (outside / "missing.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "outside", "taken.txt"]


def test_a_staged_write_discarded_leaves_nothing_behind(tmp_path):
    staged = safeio.stage(tmp_path, "new/deeper/file.txt", "x")
    (name,) = [p.name for p in (tmp_path / "new" / "deeper").iterdir()]
    assert name.startswith(".file.txt.") and name.endswith(".tmp")
    staged.discard(remove_folders=True)
    assert list(tmp_path.iterdir()) == []


# -- contracts init ---------------------------------------------------------------------------------


def test_init_refuses_a_contracts_folder_linked_outside_the_root(repo, outside):
    (repo / PAYMENT_CONTRACTS).symlink_to(outside, target_is_directory=True)
    before, before_outside = tree(repo), tree(outside)
    result = run("init", str(repo), "--jobs", "1")
    assert result.exit_code == 2
    assert "contracts: error: payment-service/contracts: a symbolic link; payment-service/contracts/inferred.yaml is not written through it\n" in result.stderr
    assert tree(outside) == before_outside
    assert tree(repo) == before


def test_init_never_writes_through_a_link_planted_at_a_temporary_name(repo, outside):
    folder = repo / PAYMENT_CONTRACTS
    folder.mkdir()
    victim = outside / "keep.txt"
    (folder / ".inferred.yaml.contracts-init").symlink_to(victim)  # the fixed temporary name of old
    result = run("init", str(repo), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert victim.read_text("utf-8") == "outside the repository\n"
    written = folder / "inferred.yaml"
    assert not written.is_symlink()
    assert written.read_text("utf-8").startswith("# The contract of payment as its code shows it")
    assert os.readlink(folder / ".inferred.yaml.contracts-init") == str(victim)
    assert sorted(p.name for p in folder.iterdir()) == [".inferred.yaml.contracts-init", "inferred.yaml"]


def test_update_keeps_an_entrys_todo_lines_with_that_entry(repo):
    deps = repo / CHECKOUT_DEPS
    text = deps.read_text("utf-8") + "    # TODO review this budget with the risk team\n# the end of the hand-written part\n"
    deps.write_text(text, encoding="utf-8")
    result = run("init", "--update", str(repo), "--service", "checkout", "--jobs", "1")
    assert result.exit_code == 0, result.output
    lines = deps.read_text("utf-8").splitlines()
    # risk's TODO stays right under risk's last value, before the new entry
    at = lines.index("    retry: none")
    assert lines[at + 1] == "    # TODO review this budget with the risk team"
    assert lines[at + 2] == "  - service: payment  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests)"
    # the new entry's own TODO lines follow its values; the column-0 comment still closes the file
    new = lines[at + 2 :]
    assert new[4] == "    inferred: true"
    assert new[5].startswith("    # TODO latency_budget (not in code)")
    assert new[6].startswith("    # TODO fallback (not in code)")
    assert new[7:] == ["# the end of the hand-written part"]


def test_update_keeps_the_todo_lines_of_the_last_entry_of_a_document_when_a_section_is_added(repo):
    # the legacy service's own inferred.yaml ends in an entry's TODO and the external-calls comments
    assert run("init", str(repo), "--jobs", "1").exit_code == 0
    own = repo / PAYMENT_CONTRACTS / "inferred.yaml"
    written = own.read_text("utf-8")
    (repo / "payment-service" / "payment" / "ledger.py").write_text(
        "import requests\n\n\ndef record(amount):\n    return requests.post('http://risk-service:8080/score', json={}, timeout=2)\n",
        encoding="utf-8",
    )
    result = run("init", "--update", str(repo), "--service", "payment", "--jobs", "1")
    assert result.exit_code == 0, result.output
    lines = own.read_text("utf-8").splitlines()
    old = written.splitlines()
    endpoint_todo = next(l for l in old if l.startswith("    # TODO returns, access, pii"))
    at = lines.index(endpoint_todo)
    assert lines[at - 1] == "    inferred: true"
    assert lines[at + 1] == "depends_on:"
    assert lines[-2].startswith("# Calls to hosts outside the repository")  # still after everything
    assert [l for l in old if l not in lines] == []


def test_init_with_only_external_calls_writes_nothing_and_says_so(tmp_path):
    root = tmp_path / "solo"
    (root / "svc" / "svc").mkdir(parents=True)
    (root / "svc" / "requirements.txt").write_text("requests\n", encoding="utf-8")
    (root / "svc" / "svc" / "client.py").write_text(
        "import requests\n\n\ndef f():\n    return requests.get('https://api.example.com/x', timeout=5)\n", encoding="utf-8"
    )
    result = run("init", str(root), "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "(nothing)" not in result.stdout
    assert "svc: its code shows only 1 call(s) to hosts outside the repository, which a contract has no entry for; nothing to write\n" in result.stdout
    assert "No file changed." in result.stdout
    assert not (root / "svc" / "contracts").exists()
    data = json.loads(run("init", str(root), "--jobs", "1", "--format", "json").stdout)
    assert [(s["service"], s["status"], s["external_calls"]) for s in data["services"]] == [("svc", "empty", 1)]


# -- -o FILE -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["scan"], ["scan", "--format", "json"], ["check", "--fail-on", "never"], ["graph"]])
def test_output_into_a_missing_folder_is_exit_2_naming_the_path(tmp_path, command):
    target = tmp_path / "missing" / "report.txt"
    result = run(*command, str(SAMPLE), "-o", str(target), "--jobs", "1")
    assert result.exit_code == 2
    assert result.stderr == f"contracts: error: {target.as_posix()}: the folder {target.parent.as_posix()} does not exist (create it first)\n"
    assert not target.parent.exists()


def test_output_onto_a_link_is_refused_and_the_linked_file_kept(tmp_path, outside):
    link = tmp_path / "report.json"
    link.symlink_to(outside / "keep.txt")
    result = run("graph", str(SAMPLE), "-o", str(link), "--jobs", "1")
    assert result.exit_code == 2
    assert result.stderr == f"contracts: error: {link.as_posix()}: a symbolic link; not written through\n"
    assert (outside / "keep.txt").read_text("utf-8") == "outside the repository\n"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_is_written_whole(tmp_path, fmt):
    target = tmp_path / f"scan.{fmt}"
    target.write_text("an older, longer report\n" * 100, encoding="utf-8")
    result = run("scan", str(SAMPLE), "--format", fmt, "-o", str(target), "--jobs", "1")
    assert result.exit_code == 0, result.output
    text = target.read_text("utf-8")
    if fmt == "json":
        assert json.loads(text)["root"].endswith("fraud-detection")
    else:
        assert text.startswith("Scanned ") and "an older" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


# -- rules new, rules docs ------------------------------------------------------------------------------


def test_rules_new_refuses_a_linked_folder_under_the_rules_folder(tmp_path, outside):
    rules, fixtures = tmp_path / "rules", tmp_path / "fixtures"
    rules.mkdir()
    (rules / "python").symlink_to(outside, target_is_directory=True)
    before = tree(outside)
    result = run("rules", "new", "python.http.niquests", "--rules", str(rules), "--fixtures", str(fixtures))
    assert result.exit_code == 2
    assert result.stderr == f"contracts: error: python: a symbolic link; {(rules / 'python/http/niquests.yaml').as_posix()} is not written through it\n"
    assert tree(outside) == before


def test_rules_docs_refuses_a_link_at_a_page_and_keeps_its_target(tmp_path, outside):
    out = tmp_path / "pages"
    out.mkdir()
    (out / "README.md").symlink_to(outside / "keep.txt")
    result = run("rules", "docs", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"contracts: error: {(out / 'README.md').as_posix()}: a symbolic link; not written through\n"
    assert (outside / "keep.txt").read_text("utf-8") == "outside the repository\n"
