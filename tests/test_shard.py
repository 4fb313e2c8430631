"""``contracts scan --shard K/N`` and ``contracts merge`` (extractor/executors/shard.py, docs/scale.md):
the merge of every shard's part prints the same bytes as one unsharded scan, cold and warm, also
when a file's constant lives in another shard's file; parts that do not fit together are refused
with a message and exit 2, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.executors.shard import ShardError, parse_shard, split

from .conftest import FIXTURES, REPO

SAMPLES = [FIXTURES / "monorepos" / "polyglot-shop", FIXTURES / "monorepos" / "fraud-detection"]
SCHEMA = json.loads((REPO / "docs" / "schemas" / "shard.v1.schema.json").read_text("utf-8"))


@pytest.fixture(scope="module", autouse=True)
def _frozen_rules(tmp_path_factory):
    """Every scan, shard and merge here reads one copy of the rules: the parts of a test are made
    with the same rule set even while the checkout's rules/ is being edited."""
    RULES.append(tmp_path_factory.mktemp("rules") / "rules")
    shutil.copytree(REPO / "rules", RULES[-1])
    yield
    RULES.pop()


RULES: list[Path] = []


def run(*args: str | Path) -> tuple[int, str]:
    if args[0] in ("scan", "merge") and "--rules" not in args:
        args = (*args, "--rules", RULES[-1])
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def unsharded(root: Path, *cache: str) -> str:
    code, out = run("scan", root, "--format", "json", "-j", "1", *(cache or ("--no-cache",)))
    assert code == 0, out
    return out


def shards(root: Path, count: int, folder: Path, *cache: str, rule: str | None = None) -> list[Path]:
    parts = []
    for k in range(1, count + 1):
        part = folder / f"part-{k}-of-{count}.json"
        code, out = run("scan", root, "--shard", f"{k}/{count}", "-o", part, "-j", "1", *(cache or ("--no-cache",)), *(("--rule", rule) if rule else ()))
        assert code == 0, out
        jsonschema.validate(json.loads(part.read_text("utf-8")), SCHEMA)
        parts.append(part)
    return parts


def merged(parts: list[Path], *options: str) -> tuple[int, str]:
    return run("merge", *parts, "-j", "1", *(options or ("--no-cache",)))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sharded_and_merged_is_byte_identical_to_one_scan(sample, tmp_path):
    expected = unsharded(sample)
    assert json.loads(expected)["facts"]
    for count in (1, 2, 3):
        parts = shards(sample, count, tmp_path)
        owned = [{r["file"] for r in json.loads(p.read_text("utf-8"))["results"]} for p in parts]
        assert sum(len(files) for files in owned) == len(set().union(*owned)) == json.loads(parts[0].read_text("utf-8"))["files"]["count"]
        if count > 1:
            assert all(owned), "every shard has files to extract"
        code, out = merged(list(reversed(parts)))  # (in any order)
        assert code == 0, out
        assert out == expected, f"{count} shards"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_warm_equals_cold_sharded_or_not(sample, tmp_path):
    expected = unsharded(sample)
    cache = ("--cache-dir", str(tmp_path / "cache"))
    assert unsharded(sample, *cache) == expected  # cold: fills the cache
    assert unsharded(sample, *cache) == expected  # warm
    code, out = merged(shards(sample, 2, tmp_path, *cache), *cache)  # shards and merge served by the warm cache
    assert code == 0, out
    assert out == expected


def test_a_constant_in_another_shards_file_is_resolved_by_the_merge(tmp_path):
    root = tmp_path / "repo"
    svc = root / "svc"
    (svc / "svc").mkdir(parents=True)
    (svc / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    (svc / "svc" / "__init__.py").write_text("")
    (svc / "svc" / "settings.py").write_text("TIMEOUT = 2.5\n")
    filler = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n" for i in range(200))
    (svc / "svc" / "client.py").write_text(
        "import requests\n\nfrom .settings import TIMEOUT\n\n\ndef fetch(url):\n    return requests.get(url, timeout=TIMEOUT)\n\n\n" + filler
    )
    parts = shards(root, 2, tmp_path)
    owner = {r["file"]: p.name for p in parts for r in json.loads(p.read_text("utf-8"))["results"]}
    assert owner["svc/svc/client.py"] != owner["svc/svc/settings.py"]  # the largest file alone in shard 1
    code, out = merged(parts)
    assert code == 0, out
    assert out == unsharded(root)
    (call,) = [f for f in json.loads(out)["facts"] if f["kind"] == "http_call"]
    assert (call["file"], call["timeout_ms"]) == ("svc/svc/client.py", 2500)


def test_the_split_is_by_size_deterministic_and_balanced():
    sizes = [900, 10, 10, 500, 400, 300, 200, 100, 50, 50]
    names = [f"f{i}" for i in range(len(sizes))]
    owner = split(sizes, names, 3)
    assert owner == split(sizes, names, 3)
    assert sorted(set(owner)) == [1, 2, 3]
    loads = [sum(s for s, k in zip(sizes, owner) if k == shard) for shard in (1, 2, 3)]
    assert loads == [900, 810, 810] or max(loads) - min(loads) <= max(sizes)
    assert owner[0] == 1  # the largest file first, to the first shard
    assert split(sizes, names, 1) == [1] * len(sizes)
    assert split([], [], 4) == []


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "x", "2", "-1/2", "1/2/3"])
def test_a_shard_out_of_range_or_malformed_is_refused(text):
    with pytest.raises(ShardError):
        parse_shard(text)
    code, out = run("scan", SAMPLES[0], "--shard", text)
    assert code == 2
    assert "--shard" in out


@pytest.fixture(scope="module")
def parts3(tmp_path_factory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("parts")
    root = folder / "shop"
    shutil.copytree(SAMPLES[0], root)
    return root, shards(root, 3, folder)


def edited(part: Path, folder: Path, change) -> Path:
    doc = json.loads(part.read_text("utf-8"))
    change(doc)
    out = folder / f"edited-{len(list(folder.glob('edited-*')))}-{part.name}"
    out.write_text(json.dumps(doc), "utf-8")
    return out


def test_parts_that_do_not_fit_together_are_refused(parts3, tmp_path):
    _root, (p1, p2, p3) = parts3
    cases = {
        "missing shard(s) 2/3": [p1, p3],
        "overlapping shards": [p1, p2, p3, p2],
        "Missing argument 'PARTS...'": [],
        "not a shard's part": [p1, p2, REPO / "pyproject.toml"],
        "another build of contracts": [p1, p2, edited(p3, tmp_path, lambda d: d["tool"].update(build="0" * 64))],
        "another rule set": [p1, p2, edited(p3, tmp_path, lambda d: d["rules"].update(digest="1" * 64))],
        "parts of different splits": [p1, p2, edited(p3, tmp_path, lambda d: d["shard"].update(count=4))],
        "format version 2": [p1, p2, edited(p3, tmp_path, lambda d: d.update(version=2))],
        "is in two parts": [p1, p2, edited(p3, tmp_path, lambda d: d["results"].append(json.loads(p1.read_text())["results"][0]))],
        "does not decode": [p1, p2, edited(p3, tmp_path, lambda d: d["results"][0].update(outcome="AAAA"))],
        "cannot read": [p1, p2, tmp_path / "absent.json"],
    }
    for message, parts in cases.items():
        code, out = run("merge", *parts, "--no-cache") if parts else run("merge")
        assert code == 2, (message, out)
        assert message in out, (message, out)


def test_a_rule_selection_is_merged_and_other_rules_are_refused(parts3, tmp_path):
    root, parts = parts3
    selected = shards(root, 2, tmp_path, rule="python.http.requests")
    code, out = merged(selected)
    assert code == 0, out  # the merge runs the parts' selection
    assert out == unsharded(root, "--no-cache", "--rule", "python.http.requests")
    rules = tmp_path / "rules"
    shutil.copytree(RULES[-1], rules)
    edited_rule = rules / "python" / "http" / "requests.yaml"
    edited_rule.write_text(edited_rule.read_text("utf-8") + "\n# edited\n", "utf-8")
    code, out = merged(parts, "--no-cache", "--rules", str(rules))
    assert code == 2
    assert "other rules" in out


def test_a_merge_in_another_checkout_is_refused(parts3, tmp_path):
    root, parts = parts3
    changed = tmp_path / "changed"
    shutil.copytree(root, changed)
    code, out = merged(parts, "--no-cache", "--root", str(changed))
    assert code == 0, out  # the same files elsewhere: fine
    victim = next(changed.rglob("*.py"))
    victim.write_text(victim.read_text("utf-8") + "\n# edited\n", "utf-8")
    code, out = merged(parts, "--no-cache", "--root", str(changed))
    assert code == 2
    assert f"{victim.relative_to(changed).as_posix()}: changed since" in out
    (changed / "extra.py").write_text("import requests\n")
    code, out = merged(parts, "--no-cache", "--root", str(changed))
    assert code == 2
    assert "other source files" in out
    code, out = merged(parts, "--no-cache", "--root", str(tmp_path / "nowhere"))
    assert code == 2


def test_shard_and_dask_do_not_combine():
    code, out = run("scan", SAMPLES[0], "--shard", "1/2", "--executor", "dask")
    assert code == 2
    assert "do not combine" in out


def test_a_folder_without_sources_fails_the_merge_as_it_fails_the_scan(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = run("scan", empty, "--format", "json", "--no-cache")
    assert code == 2
    code, out = merged(shards(empty, 2, tmp_path))
    assert code == 2
    assert "no source files of a supported language" in out


def test_files_that_cannot_be_read_keep_their_diagnostics_through_the_merge(tmp_path):
    root = tmp_path / "repo"
    pkg = root / "svc" / "svc"
    pkg.mkdir(parents=True)
    (root / "svc" / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    (pkg / "client.py").write_text("import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n")
    (pkg / "blob.py").write_bytes(b"import requests\x00\x01\x02\n")
    (pkg / "empty.py").write_text("")
    (pkg / "latin.py").write_bytes(b"import requests\nname = '\xe9'\n")
    expected = unsharded(root)
    kinds = {(d["file"], d["kind"]) for d in json.loads(expected)["diagnostics"]}
    assert {("svc/svc/blob.py", "binary"), ("svc/svc/empty.py", "empty"), ("svc/svc/latin.py", "decode_error")} <= kinds
    for count in (2, 3):
        code, out = merged(shards(root, count, tmp_path))
        assert code == 0, out
        assert out == expected
