"""What the scan fuzzing generates and what it checks (``tests/test_fuzz_scan.py``, ``bench/fuzz.py``).

Inputs: the rule fixtures of every language, mutated (spans deleted, duplicated or shuffled,
random bytes, NUL bytes, invalid UTF-8, brackets opened and never closed), and generated nasty
code (deep nesting, long operator chains, huge literals) around a real HTTP call of each
language. The property, per input: the scan returns (no crash, no exception), within the
per-file hard limit, its JSON output is valid (no ``NaN``/``Infinity``, the published schema),
and a file that is binary or not UTF-8 is named by a diagnostic.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from extractor.catalog import Catalog, load_catalog
from extractor.config import Config
from extractor.facts import ScanResult
from extractor.scan import hard_limit, scan
from extractor.sources import BINARY_PROBE

REPO = Path(__file__).resolve().parent.parent
FILE_TIME_LIMIT = 5.0
"""The per-file limit the fuzzed scans run with (seconds); a scan of one file must end within its hard limit."""

MANIFESTS = {  # what makes the folder a service of that language
    ".py": ("requirements.txt", "requests\n"),
    ".go": ("go.mod", "module example.com/svc\n"),
    ".java": ("pom.xml", "<project/>\n"),
    ".kt": ("build.gradle.kts", "\n"),
    ".js": ("package.json", "{}\n"),
    ".ts": ("package.json", "{}\n"),
    ".cs": ("svc.csproj", "<Project/>\n"),
}

# a real HTTP call per language; {x} is where the generated expression goes
TEMPLATES = {
    ".py": "import requests\n\nx = {x}\n\n\ndef f():\n    return requests.get('http://risk/x', timeout=x)\n",
    ".go": 'package main\n\nimport "net/http"\n\nvar x = {x}\n\nfunc f() { http.Get("http://risk/x") }\n',
    ".java": "import java.net.http.HttpClient;\nclass A {\n  Object x = {x};\n  void f() throws Exception { HttpClient.newHttpClient().send(null, null); }\n}\n",
    ".kt": "import java.net.http.HttpClient\n\nval x = {x}\n\nfun f() { HttpClient.newHttpClient().send(null, null) }\n",
    ".js": "const axios = require('axios');\nconst x = {x};\naxios.get('http://risk/x', { timeout: x });\n",
    ".ts": "import axios from 'axios';\nconst x = {x};\naxios.get('http://risk/x', { timeout: x });\n",
    ".cs": 'using System.Net.Http;\nclass A {\n  object x = {x};\n  void F() { new HttpClient().GetAsync("http://risk/x"); }\n}\n',
}
OPEN_CLOSE = {"(": ")", "[": "]", "{": "}"}


@cache
def fixture_files() -> tuple[Path, ...]:
    """The rule fixtures of every language (small files, real code of every library)."""
    root = REPO / "fixtures" / "rules"
    return tuple(sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in MANIFESTS and p.stat().st_size <= 64 << 10))


@dataclass(frozen=True)
class Case:
    name: str  # the file's name in the service (its extension picks the language)
    data: bytes
    how: str  # what was done to make it (a failure's report says it)


# ---------------------------------------------------------------- strategies
def _mutation(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    n = len(data)
    kind = draw(st.sampled_from(["delete", "duplicate", "insert", "flip", "truncate", "nul", "invalid_utf8", "unclosed", "move"]))
    at = draw(st.integers(0, n))
    end = draw(st.integers(at, min(n, at + 400)))
    if kind == "delete":
        return data[:at] + data[end:], f"delete {at}:{end}"
    if kind == "duplicate":
        times = draw(st.integers(2, 50))
        return data[:at] + data[at:end] * times + data[end:], f"duplicate {at}:{end} x{times}"
    if kind == "insert":
        junk = draw(st.binary(min_size=1, max_size=64))
        return data[:at] + junk + data[at:], f"insert {junk!r} at {at}"
    if kind == "flip" and n:
        i = min(at, n - 1)
        return data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1 :], f"flip byte {i}"
    if kind == "truncate":
        return data[:at], f"truncate at {at}"
    if kind == "nul":
        return data[:at] + b"\0" + data[at:], f"NUL at {at}"
    if kind == "invalid_utf8":
        return data[:at] + b"\xff\xfe" + data[at:], f"invalid UTF-8 at {at}"
    if kind == "unclosed":
        opener = draw(st.sampled_from(sorted(OPEN_CLOSE))).encode()
        depth = draw(st.integers(1, 300))
        return data[:at] + opener * depth + data[at:], f"{depth} x {opener!r} unclosed at {at}"
    return data[:at] + data[end:] + data[at:end], f"move {at}:{end} to the end"


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> Case:
    path = draw(st.sampled_from(fixture_files()))
    data = path.read_bytes()
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        data, how = _mutation(data, draw)
        steps.append(how)
    return Case(f"mutated{path.suffix}", data, f"{path.relative_to(REPO).as_posix()}: {'; '.join(steps)}")


def _nested(opener: str, depth: int, inner: str) -> str:
    return opener * depth + inner + OPEN_CLOSE[opener] * depth


@st.composite
def nasty_code(draw: st.DrawFn, max_depth: int = 3000, max_terms: int = 5000, max_literal: int = 200_000) -> Case:
    ext = draw(st.sampled_from(sorted(TEMPLATES)))
    kind = draw(st.sampled_from(["nested", "parens", "chain", "string", "digits", "string_chain", "call_chain"]))
    if kind == "nested":
        depth = draw(st.integers(1, max_depth))
        x = _nested(draw(st.sampled_from(["[", "("])), depth, "1")
        how = f"{depth} nested brackets"
    elif kind == "parens":
        depth = draw(st.integers(1, max_depth))
        x = _nested("(", depth, "1")
        how = f"{depth} nested parentheses"
    elif kind == "chain":
        terms = draw(st.integers(1, max_terms))
        x = draw(st.sampled_from([" + ", " * ", " - ", " || ", " && "])).join(["1"] * terms)
        how = f"a chain of {terms} terms"
    elif kind == "string_chain":
        terms = draw(st.integers(1, max_terms))
        x = " + ".join(['"a"'] * terms)
        how = f"a concatenation of {terms} strings"
    elif kind == "string":
        size = draw(st.integers(1, max_literal))
        x = '"' + "a" * size + '"'
        how = f"a {size}-character string"
    elif kind == "digits":
        size = draw(st.integers(1, 6000))
        x = "9" * size
        how = f"a {size}-digit number"
    else:
        terms = draw(st.integers(1, max_terms // 5))
        x = "x" + ".f()" * terms
        how = f"a chain of {terms} calls"
    return Case(f"nasty{ext}", TEMPLATES[ext].replace("{x}", x).encode(), f"{ext}: {how}")


# ---------------------------------------------------------------- the property
def check_case(case: Case, root: Path) -> ScanResult:
    """Scan one generated file as a service of its language and assert the fuzzing's invariants."""
    ext = Path(case.name).suffix
    svc = root / "svc"
    svc.mkdir(parents=True, exist_ok=True)
    for old in svc.iterdir():
        old.unlink()
    manifest, text = MANIFESTS[ext]
    (svc / manifest).write_text(text)
    (svc / case.name).write_bytes(case.data)
    started = time.perf_counter()
    result = scan(root, catalog=_catalog(), config=Config(file_time_limit=FILE_TIME_LIMIT))
    elapsed = time.perf_counter() - started
    limit = hard_limit(FILE_TIME_LIMIT)
    assert limit is not None and elapsed < limit + 10, f"{case.how}: the scan took {elapsed:.1f} s (hard limit {limit} s per file)"
    # the facts themselves hold no non-finite number (json_out.dumps would hide one as null)
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    _facts_validator().validate(doc)
    rel = f"svc/{case.name}"
    kinds = {d.kind for d in result.diagnostics if d.file == rel}
    if b"\0" in case.data[:BINARY_PROBE] and not case.data.isspace():
        assert "binary" in kinds, f"{case.how}: a binary file without a diagnostic ({sorted(kinds)})"
    elif not _utf8(case.data) and not case.data.isspace() and not (ext == ".py" and b"coding" in case.data[:400]):
        assert "decode_error" in kinds, f"{case.how}: an invalid UTF-8 file without a diagnostic ({sorted(kinds)})"
    return result


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@cache
def _catalog() -> Catalog:
    return load_catalog()


@cache
def _facts_validator() -> Any:
    import jsonschema

    from extractor.docs import schema_files

    schema = json.loads(schema_files()["facts.v1.schema.json"])
    return jsonschema.Draft202012Validator(schema)
