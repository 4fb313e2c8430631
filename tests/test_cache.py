"""The content-hash extraction cache (extractor/cache.py, docs/performance.md): a warm scan gives
the same bytes as a cold one, re-extracts only what changed, survives corrupted and planted
entries and a second scan at the same time, and writes nothing with --no-cache or outside the root.

Extractions are counted (``extractor.scan.extract_one`` wrapped), never timed.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor import cache as cache_mod
from extractor.cache import DB_NAME, DEFAULT_FOLDER, ENV_VAR, CacheError, ExtractionCache, open_cache
from extractor.cli import main
from extractor.config import ConfigError, load_config
from extractor.frontends import all_frontends
from extractor.pipeline import analyse
from extractor.report import json_out
from extractor.scan import scan

from .conftest import FIXTURES, REPO

SAMPLES = sorted(p for p in (FIXTURES / "monorepos").iterdir() if p.is_dir())


def facts_json(root: Path, catalog, cache: ExtractionCache | None, **kw) -> str:
    return json_out.dumps(scan(root, catalog=catalog, cache=cache, **kw).to_json())


@pytest.fixture
def counted(monkeypatch) -> Counter:
    """How many times each file was extracted: calls of its frontend's ``extract`` (in this
    process: the scans here run with jobs=1; a file the prefilter drops is not extracted)."""
    seen: Counter = Counter()
    for fe in all_frontends().values():

        def extract(path, *args, _real=fe.extract, **kwargs):
            seen[path] += 1
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(fe, "extract", extract)
    return seen


@pytest.fixture
def shop(tmp_path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "monorepos" / "polyglot-shop", root, ignore=shutil.ignore_patterns(DEFAULT_FOLDER))
    return root


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_warm_scan_is_byte_identical_to_cold_and_uncached(sample, catalog, tmp_path, counted):
    uncached = facts_json(sample, catalog, None)
    extracted = sum(counted.values())
    assert extracted > 0
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        cold = facts_json(sample, catalog, cache)
        assert cache.stats.hits == 0 and cache.stats.writes > 0
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = facts_json(sample, catalog, cache)
        assert cache.stats.misses == 0 and cache.stats.hits == 1  # the whole scan's outcome: no file's result decoded
    assert sum(counted.values()) == 0  # nothing extracted again
    assert cold == uncached
    assert warm == uncached


@pytest.mark.parametrize("command", ["check", "graph", "init"])
def test_check_graph_and_init_reuse_the_cached_extraction(command, shop, tmp_path, monkeypatch, counted):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    options = ["--format", "json", "-j", "1"] + (["--fail-on", "never"] if command == "check" else ["--dry-run"] if command == "init" else [])
    cold = CliRunner().invoke(main, [command, str(shop), *options], catch_exceptions=False)
    assert cold.exit_code == 0, cold.output
    extracted = sum(counted.values())
    assert extracted > 0
    counted.clear()
    warm = CliRunner().invoke(main, [command, str(shop), *options], catch_exceptions=False)
    assert not counted  # nothing extracted again
    uncached = CliRunner().invoke(main, [command, str(shop), *options, "--no-cache"], catch_exceptions=False)
    assert sum(counted.values()) == extracted
    assert (warm.exit_code, uncached.exit_code) == (0, 0)
    assert cold.output == warm.output == uncached.output


def test_one_changed_file_is_the_only_one_extracted_again(shop, catalog, tmp_path, counted):
    changed = "pricing/pricing/api.py"
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        facts_json(shop, catalog, cache)
    first = set(counted)
    assert changed in first and len(first) >= 8
    path = shop / changed
    text = path.read_text("utf-8")
    assert "timeout=0.5" in text
    path.write_text(text.replace("timeout=0.5", "timeout=0.75", 1), "utf-8")
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = facts_json(shop, catalog, cache)
    assert dict(counted) == {changed: 1}
    assert warm == facts_json(shop, catalog, None)
    assert '"timeout_ms": 750' in warm


def test_a_changed_rule_set_or_tool_is_never_served_old_results(shop, catalog, tmp_path, counted):
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        only = facts_json(shop, catalog, cache, rule_ids=["python.http.requests"])
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        full = facts_json(shop, catalog, cache)
    assert counted  # another selection of rules: extracted again
    assert full == facts_json(shop, catalog, None) != only
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"another tool") as cache:
        facts_json(shop, catalog, cache)
    assert counted  # another extractor (version, source files): extracted again


def _rows(folder: Path) -> list[tuple[bytes, bytes]]:
    with sqlite3.connect(folder / DB_NAME) as db:
        return [(bytes(k), bytes(d)) for k, d in db.execute("SELECT key, data FROM entries ORDER BY key")]


def _replace(folder: Path, key: bytes, data: bytes, checksum: bytes) -> None:
    with sqlite3.connect(folder / DB_NAME) as db:
        db.execute("UPDATE entries SET data = ?, checksum = ? WHERE key = ?", (data, checksum, key))


def _extracted(folder: Path, key: bytes) -> str:
    """The file whose extraction an entry holds ("" for none: a scan's outcome, a prefiltered file)."""
    for k, data in _rows(folder):
        if k == key:
            value = cache_mod.decode(data)
            if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int)):
                return ""  # a whole scan's outcome or call index
            res, _lines = value
            return res.path if res is not None else ""
    raise AssertionError("no such entry")


def _outcomes(folder: Path) -> list[bytes]:
    """The keys of whole scans' outcomes (and their call indexes)."""
    found = []
    for k, data in _rows(folder):
        value = cache_mod.decode(data)
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int)):
            found.append(k)
    return found


def _forget_outcomes(folder: Path) -> None:
    """Remove the whole scans' outcomes, so that the next scan reads the per-file entries."""
    with sqlite3.connect(folder / DB_NAME) as db:
        db.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in _outcomes(folder)])


def test_a_corrupted_entry_is_detected_and_recomputed(shop, catalog, tmp_path, counted):
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        expected = facts_json(shop, catalog, cache)
    _forget_outcomes(tmp_path)  # (else the whole scan's outcome is read, and no file's entry)
    key, data = next((k, d) for k, d in _rows(tmp_path) if _extracted(tmp_path, k))
    victim = _extracted(tmp_path, key)
    flipped = data[:-8] + bytes(b ^ 0xFF for b in data[-8:])
    _replace(tmp_path, key, flipped, hashlib.sha256(data).digest())  # the old checksum: no longer matches
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        assert facts_json(shop, catalog, cache) == expected
        assert cache.stats.corrupt == 1
    assert dict(counted) == {victim: 1}
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:  # stored again, sound
        assert facts_json(shop, catalog, cache) == expected
    assert not counted


class _Planted:
    def __reduce__(self):
        return (os.system, ("touch planted-by-cache",))


def test_a_planted_entry_with_a_valid_checksum_runs_no_code(shop, catalog, tmp_path, counted, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        expected = facts_json(shop, catalog, cache)
    _forget_outcomes(tmp_path)  # (else the whole scan's outcome is read, and no file's entry)
    key = next(k for k, _d in _rows(tmp_path) if _extracted(tmp_path, k))
    victim = _extracted(tmp_path, key)
    evil = cache_mod.zlib.compress(pickle.dumps((_Planted(), 1)))
    _replace(tmp_path, key, evil, hashlib.sha256(evil).digest())
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        assert facts_json(shop, catalog, cache) == expected
        assert cache.stats.corrupt == 1
    assert dict(counted) == {victim: 1}
    assert not (tmp_path / "planted-by-cache").exists()
    with pytest.raises(pickle.UnpicklingError, match="may not be loaded"):
        cache_mod.decode(evil)


def test_the_store_is_bounded_and_evicts_the_least_recently_used(tmp_path):
    blob = os.urandom(4000)  # does not compress
    with ExtractionCache(tmp_path, max_bytes=10_000, salt=b"t") as cache:
        keys = [cache.key(str(n)) for n in range(3)]
        for key in keys[:2]:
            cache.put(key, blob)
            cache.flush()
        assert cache.get(keys[0]) == blob  # used last
        cache.flush()
        cache.put(keys[2], blob)
        cache.flush()
        assert cache.entries() == 2 and cache.stats.evicted == 1
        assert cache.get(keys[1]) is None  # the least recently used went
        assert cache.get(keys[0]) == blob and cache.get(keys[2]) == blob


def test_two_scans_at_once_share_one_cache(shop, tmp_path):
    folder = tmp_path / "shared"
    env = {**os.environ, ENV_VAR: str(folder)}
    command = [sys.executable, "-m", "extractor.cli", "scan", str(shop), "--format", "json", "-j", "1"]
    runs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err.decode() for _out, err in outputs]
    uncached = CliRunner().invoke(main, ["scan", str(shop), "--format", "json", "-j", "1", "--no-cache"], catch_exceptions=False).output
    assert [out.decode() for out, _err in outputs] == [uncached, uncached]
    with ExtractionCache(folder) as cache:
        assert cache.entries() >= 10  # the files' extractions and the rule catalog


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_default_cache_is_in_the_root_and_no_cache_writes_nothing(shop, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    before = tree(shop)
    result = CliRunner().invoke(main, ["scan", str(shop), "--format", "json", "-j", "1", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0
    assert tree(shop) == before
    result = CliRunner().invoke(main, ["scan", str(shop), "--format", "json", "-j", "1"], catch_exceptions=False)
    assert result.exit_code == 0
    assert sorted(set(tree(shop)) - set(before)) == [f"{DEFAULT_FOLDER}/.gitignore", f"{DEFAULT_FOLDER}/CACHEDIR.TAG", f"{DEFAULT_FOLDER}/{DB_NAME}"]
    again = CliRunner().invoke(main, ["scan", str(shop), "--format", "json", "-j", "1"], catch_exceptions=False)
    assert again.output == result.output  # the cache folder is not scanned


def test_the_cache_folder_of_the_configuration_stays_inside_the_root(shop, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    (shop / "contracts.toml").write_text('cache_dir = "build/scan-cache"\n', "utf-8")
    assert load_config(shop).cache_dir == "build/scan-cache"
    result = CliRunner().invoke(main, ["scan", str(shop), "-j", "1"], catch_exceptions=False)
    assert result.exit_code == 0
    assert (shop / "build" / "scan-cache" / DB_NAME).is_file()
    for bad in ("../elsewhere", "/tmp/elsewhere", "a/../../b"):
        (shop / "contracts.toml").write_text(f"cache_dir = {json.dumps(bad)}\n", "utf-8")
        with pytest.raises(ConfigError, match=r"contracts.toml:1: cache_dir must be a relative path of a folder inside the root"):
            load_config(shop)


def test_a_cache_folder_linked_outside_the_root_is_refused(shop, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (shop / DEFAULT_FOLDER).symlink_to(outside, target_is_directory=True)
    with pytest.raises(CacheError, match="symbolic link"):
        open_cache(shop)
    result = CliRunner().invoke(main, ["scan", str(shop), "--format", "json", "-j", "1"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "scanning without the cache" in result.stderr
    assert list(outside.iterdir()) == []
    (shop / DEFAULT_FOLDER).unlink()
    (shop / DEFAULT_FOLDER).mkdir()
    (shop / DEFAULT_FOLDER / DB_NAME).symlink_to(outside / "db")
    with pytest.raises(CacheError, match="symbolic link"):
        open_cache(shop)
    assert list(outside.iterdir()) == []


def test_files_outside_the_root_are_never_cached(shop, catalog, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret_client.py"
    secret.write_text("import requests\n\nrequests.get('http://secret.internal/x', timeout=3)\n", "utf-8")
    (shop / "pricing" / "pricing" / "linked_client.py").symlink_to(secret)
    (tmp_path / "cache").mkdir()
    with ExtractionCache(tmp_path / "cache", salt=b"t") as cache:
        facts_json(shop, catalog, cache)
    values = [cache_mod.decode(data) for _k, data in _rows(tmp_path / "cache")]
    stored = [v for v in values if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], int)]
    paths = {res.path for res, _lines in stored if res is not None}
    outcome = next(v for v in values if isinstance(v, tuple) and len(v) == 6)  # the whole scan's outcome
    assert {f.file for f in outcome[0]} and not any("linked_client" in f.file for f in outcome[0])
    assert "pricing/pricing/api.py" in paths
    assert not any("linked_client" in p or "secret" in p for p in paths)
    assert not any(b"secret.internal" in cache_mod.zlib.decompress(data) for _k, data in _rows(tmp_path / "cache"))


def test_analyse_goes_through_the_cache(shop, catalog, tmp_path, counted):
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        analyse(shop, catalog=catalog, cache=cache)
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = analyse(shop, catalog=catalog, cache=cache)
        assert cache.stats.hits > 0
    assert not counted
    assert json_out.dumps(warm.scan.to_json()) == facts_json(shop, catalog, None)


def test_a_corrupted_scan_outcome_is_recomputed_from_the_files_entries(shop, catalog, tmp_path, counted):
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        expected = facts_json(shop, catalog, cache)
    outcomes = _outcomes(tmp_path)
    assert len(outcomes) == 3  # the outcome (facts, diagnostics, ...), the scan's state, what the passes derived from the results
    for key in outcomes:
        data = next(d for k, d in _rows(tmp_path) if k == key)
        _replace(tmp_path, key, data[:-4] + b"\0\0\0\0", hashlib.sha256(data).digest())
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        assert facts_json(shop, catalog, cache) == expected
        assert cache.stats.corrupt >= 1 and cache.stats.hits > 1  # the files' entries read instead
    assert not counted
