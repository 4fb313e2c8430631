"""A scan reads (and checks) each file once: the later passes reuse the first read."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import extractor.scan as scan_module
from extractor.catalog import load_catalog
from extractor.scan import scan
from extractor.sources import SourceCache

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "rules"


def test_each_file_is_read_once_per_scan(monkeypatch):
    reads: Counter[str] = Counter()
    forced: list[str] = []
    read_source = scan_module.read_source
    extract_one = scan_module.extract_one

    def counted(root, rel, max_bytes, language):
        reads[rel] += 1
        return read_source(root, rel, max_bytes, language)

    def extract(task, compiled):
        if task.force:
            forced.append(task.rel)
        return extract_one(task, compiled)

    monkeypatch.setattr(scan_module, "read_source", counted)
    monkeypatch.setattr(scan_module, "extract_one", extract)
    result = scan(FIXTURES, catalog=load_catalog())
    assert result.facts
    assert forced  # the later passes ran, and asked again for files the first pass read
    assert max(reads.values()) == 1, [rel for rel, n in reads.items() if n > 1]
    assert reads.keys() >= set(forced)
    again = Counter(reads)
    scan(FIXTURES, catalog=load_catalog())  # a new scan reads again (a file may have changed)
    assert all(reads[rel] == 2 * n for rel, n in again.items())


def test_the_cache_keeps_diagnostics_and_bytes_within_its_budget(tmp_path):
    (tmp_path / "a.py").write_text("import requests\n")
    (tmp_path / "b.py").write_text("x = 1\n" * 100)
    (tmp_path / "empty.py").write_text("")
    calls: Counter[str] = Counter()

    def reader(root, rel, max_bytes, language):
        calls[rel] += 1
        return scan_module.read_source(root, rel, max_bytes, language)

    cache = SourceCache(budget=100)
    root = str(tmp_path)
    for _ in range(2):
        assert cache.read(root, "a.py", 1000, "python", reader) == (b"import requests\n", None)
        data, diag = cache.read(root, "empty.py", 1000, "python", reader)
        assert data is None and diag is not None and diag.kind == "empty"
        data, diag = cache.read(root, "b.py", 1000, "python", reader)
        assert data == b"x = 1\n" * 100 and diag is None
    # a.py and the diagnostic are kept; b.py's 600 bytes are over the budget: read again on demand
    assert calls == Counter({"a.py": 1, "empty.py": 1, "b.py": 2})
    assert cache.kept == len(b"import requests\n")


def test_read_checks_without_copying_the_file_still_tell_empty_and_undecodable(tmp_path):
    from extractor.sources import read_source

    cases = {
        "blank.py": b" \n\t\r\x0b\x0c\n",
        "ascii.py": b"import requests\n",
        "utf8.py": "name = 'café'\n".encode(),
        "latin1.py": "name = 'café'\n".encode("latin-1"),
        "declared.py": b"# -*- coding: latin-1 -*-\n" + "name = 'café'\n".encode("latin-1"),
    }
    for rel, data in cases.items():
        (tmp_path / rel).write_bytes(data)
    got = {rel: read_source(tmp_path, rel, 1000, "python") for rel in cases}
    assert got["blank.py"][0] is None and got["blank.py"][1].kind == "empty"
    assert got["ascii.py"] == (cases["ascii.py"], None)
    assert got["utf8.py"] == (cases["utf8.py"], None)
    assert got["latin1.py"][0] is None and (got["latin1.py"][1].kind, got["latin1.py"][1].line) == ("decode_error", 1)
    assert got["declared.py"] == (cases["declared.py"], None)
    assert read_source(tmp_path, "ascii.py", 4, "python")[1].kind == "too_large"
