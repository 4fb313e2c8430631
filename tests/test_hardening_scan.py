"""Nasty trees (issue 12): no file can crash, hang or silently empty a scan.

Each case is generated at test time (no large file is committed). A case asserts what the user
sees: the exit code, the facts of the file (its calls are still found) or the diagnostic naming
it, and that the JSON parses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor import scan as scan_mod
from extractor.cli import main
from extractor.config import Config
from extractor.facts import Diagnostic, unanalysed
from extractor.isolation import IsolationError
from extractor.scan import risky, scan

from .conftest import REPO

PY_CALL = "import requests\n\n\ndef f():\n    return requests.get('http://risk/x')\n\n\n"  # the call is on line 5


def _tree(root: Path, files: dict[str, str | bytes], manifest: tuple[str, str] = ("requirements.txt", "requests\n")) -> Path:
    (root / "svc").mkdir(parents=True, exist_ok=True)
    (root / "svc" / manifest[0]).write_text(manifest[1])
    for rel, text in files.items():
        (root / "svc" / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def _cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """The real command in a child process: a crash of the scan would show as its exit code."""
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def _calls(result) -> list[tuple[str, int]]:
    return sorted((f.file, f.line) for f in result.facts if f.kind == "http_call")


# ---------------------------------------------------------------- deep nesting and long chains keep their facts
PYTHON_CASES = {
    "list_1500": "x = " + "[" * 1500 + "]" * 1500 + "\n",
    "list_5000": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "list_20000": "x = " + "[" * 20000 + "]" * 20000 + "\n",
    "parens_5000": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "sum_20000": "x = " + " + ".join(["1"] * 20000) + "\n",  # 80 KB
    "concat_800": "x = " + " + ".join(["'a'"] * 800) + "\n",
}


@pytest.mark.parametrize("case", sorted(PYTHON_CASES))
def test_deep_or_long_python_keeps_the_facts_of_its_file(tmp_path, catalog, case):
    root = _tree(tmp_path / "repo", {"a.py": PY_CALL + PYTHON_CASES[case]})
    started = time.perf_counter()
    result = scan(root, catalog=catalog)
    assert time.perf_counter() - started < 30
    assert _calls(result) == [("svc/a.py", 5)]
    assert result.diagnostics == []


OTHER_LANGUAGES = {  # file, manifest, source with {x} for the nasty expression, line of the call
    "go": ("main.go", ("go.mod", "module x\n"), 'package main\n\nimport "net/http"\n\nfunc f() { http.Get("http://risk/x") }\n\nvar x = {x}\n', 5),
    "java": (
        "A.java",
        ("pom.xml", "<project/>"),
        "import java.net.http.HttpClient;\nclass A {\n  void f() throws Exception {\n    HttpClient c = HttpClient.newHttpClient();\n    c.send(null, null);\n  }\n  int x = {x};\n}\n",
        5,
    ),
    "javascript": ("a.js", ("package.json", "{}"), "const axios = require('axios');\n\naxios.get('http://risk/x');\nconst x = {x};\n", 3),
    "csharp": (
        "A.cs",
        ("a.csproj", "<Project/>"),
        'using System.Net.Http;\nclass A {\n  void F() {\n    var c = new HttpClient();\n    c.GetAsync("http://risk/x");\n  }\n  int x = {x};\n}\n',
        5,
    ),
    "kotlin": (
        "A.kt",
        ("build.gradle.kts", ""),
        "import java.net.http.HttpClient\n\nfun f() {\n    val c = HttpClient.newHttpClient()\n    c.send(null, null)\n}\nval x = {x}\n",
        5,
    ),
}
NASTY = {
    "parens_5000": "(" * 5000 + "1" + ")" * 5000,
    "sum_20000": " + ".join(["1"] * 20000),
}


@pytest.mark.parametrize("language", sorted(OTHER_LANGUAGES))
@pytest.mark.parametrize("nasty", sorted(NASTY))
def test_deep_or_long_code_in_other_languages_keeps_its_facts(tmp_path, catalog, language, nasty):
    name, manifest, source, line = OTHER_LANGUAGES[language]
    root = _tree(tmp_path / "repo", {name: source.replace("{x}", NASTY[nasty])}, manifest)
    result = scan(root, catalog=catalog)
    assert _calls(result) == [(f"svc/{name}", line)]
    assert result.diagnostics == []


# ---------------------------------------------------------------- a parser crash costs one file
def _deep_indent(levels: int) -> str:
    """Python indented ``levels`` deep and a string: tree-sitter-python's scanner crashes (SIGSEGV) from ~600 levels."""
    return "import requests\n\ndef f():\n" + "".join(" " * (i + 1) + "if x:\n" for i in range(levels)) + " " * (levels + 1) + "requests.get('http://risk/x')\n"


def test_a_file_that_crashes_the_parser_is_reported_and_the_scan_goes_on(tmp_path):
    root = _tree(tmp_path / "repo", {"deep.py": _deep_indent(700), "ok.py": PY_CALL})
    run = _cli("scan", str(root), "--format", "json", "-j", "1")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [(f["file"], f["line"]) for f in doc["facts"] if f["kind"] == "http_call"] == [("svc/ok.py", 5)]
    [diag] = [d for d in doc["diagnostics"] if d["file"] == "svc/deep.py"]
    # the grammar's crash, contained in its worker (a fixed grammar would parse it: a syntax error of CPython's 100-level limit)
    assert diag["kind"] in ("crashed", "syntax_error"), diag
    if diag["kind"] == "crashed":
        assert "SIGSEGV" in diag["message"]
    assert "Traceback" not in run.stderr


def test_64_files_with_2_workers_and_a_crashing_one(tmp_path):
    files: dict[str, str | bytes] = {f"m{i}.py": PY_CALL for i in range(63)}
    files["deep.py"] = _deep_indent(700)
    root = _tree(tmp_path / "repo", files)
    run = _cli("scan", str(root), "--format", "json", "-j", "2")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "BrokenProcessPool" not in run.stderr
    doc = json.loads(run.stdout)
    assert sorted(f["file"] for f in doc["facts"] if f["kind"] == "http_call") == sorted(f"svc/m{i}.py" for i in range(63))
    assert [d["file"] for d in doc["diagnostics"]] == ["svc/deep.py"]


# ---------------------------------------------------------------- the worker boundary, whatever the cause
def _killer(task, compiled):
    if task.rel.endswith("victim.py"):
        os.kill(os.getpid(), signal.SIGKILL)
    return REAL_EXTRACT(task, compiled)


def _stuck(task, compiled):
    if task.rel.endswith("victim.py"):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # as if stuck in C code, where the soft limit cannot reach
        time.sleep(60)
    return REAL_EXTRACT(task, compiled)


REAL_EXTRACT = scan_mod.extract_one
DEEP = "x = " + "[" * 200 + "]" * 200 + "\n"  # deeper than people write: extracted in a worker


def test_a_worker_killed_by_a_signal_becomes_a_diagnostic(tmp_path, catalog, monkeypatch):
    monkeypatch.setattr(scan_mod, "extract_one", _killer)  # the forked worker runs it too
    root = _tree(tmp_path / "repo", {"victim.py": PY_CALL + DEEP, "ok.py": PY_CALL})
    result = scan(root, catalog=catalog)
    assert [(d.file, d.kind, d.severity) for d in result.diagnostics] == [("svc/victim.py", "crashed", "warning")]
    assert "killed by SIGKILL" in result.diagnostics[0].message
    assert _calls(result) == [("svc/ok.py", 5)]


def test_the_hard_limit_stops_a_worker_the_soft_limit_cannot(tmp_path, catalog, monkeypatch):
    monkeypatch.setattr(scan_mod, "extract_one", _stuck)
    root = _tree(tmp_path / "repo", {"victim.py": PY_CALL + DEEP, "ok.py": PY_CALL})
    started = time.perf_counter()
    result = scan(root, catalog=catalog, config=Config(file_time_limit=0.5))
    elapsed = time.perf_counter() - started
    assert scan_mod.hard_limit(0.5) == 2.5
    assert elapsed < 2.5 + 5  # the hard limit, plus the scan's own work; not the 60 s the worker would sleep
    assert [(d.file, d.kind) for d in result.diagnostics] == [("svc/victim.py", "timeout")]
    assert "hard limit of 2.5 s" in result.diagnostics[0].message
    assert _calls(result) == [("svc/ok.py", 5)]


def test_recursion_past_the_limit_is_too_deep_for_that_file_only(tmp_path, catalog, monkeypatch):
    root = _tree(tmp_path / "repo", {"victim.py": PY_CALL, "ok.py": PY_CALL})
    frontend_class = type(scan_mod.frontend_for("python"))
    real = frontend_class.extract

    def deep(self, path, *args, **kwargs):
        if path.endswith("victim.py"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(frontend_class, "extract", deep)
    result = scan(root, catalog=catalog)
    assert [(d.file, d.kind, d.severity) for d in result.diagnostics] == [("svc/victim.py", "too_deep", "warning")]
    assert _calls(result) == [("svc/ok.py", 5)]


def test_the_engines_depth_stop_is_reported_as_too_deep(tmp_path, catalog, monkeypatch):
    """The engine stops a file half-way when its walk overflows: ``too_deep``, saying facts are missing."""
    from extractor.frontends.treesitter.python import PythonAnalyzer

    def overflow(self, root):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(PythonAnalyzer, "walk_root", overflow)
    result = scan(_tree(tmp_path / "repo", {"a.py": PY_CALL}), catalog=catalog)
    assert [(d.file, d.kind) for d in result.diagnostics] == [("svc/a.py", "too_deep")]
    assert result.diagnostics[0].message == "analysis stopped: code nested too deeply; facts past that depth are missing"
    assert [d.file for d in result.unanalysed()] == ["svc/a.py"]


@pytest.mark.parametrize("language", ["python", "java"])
def test_exports_too_deep_to_evaluate_are_reported_not_dropped(monkeypatch, language):
    """A module value other files read (a constant, a Java class's static) that overflows the
    evaluator is missing from the exports: the file says which (``too_deep``) instead of nothing."""
    from extractor.frontends.testing import extract_source
    from extractor.frontends.treesitter.java import JavaAnalyzer
    from extractor.frontends.treesitter.python import PythonAnalyzer

    analyzer = PythonAnalyzer if language == "python" else JavaAnalyzer
    real = analyzer.binding_value

    def deep(self, b, name, *args, **kwargs):
        if name == "DEEP_URL":
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, b, name, *args, **kwargs)

    monkeypatch.setattr(analyzer, "binding_value", deep)
    if language == "python":
        res = extract_source("python", 'DEEP_URL = "http://a"\nOK_URL = "http://b"\n', "svc/settings.py", module="svc.settings")
    else:
        src = 'class Settings {\n  static final String DEEP_URL = "http://a";\n  static final String OK_URL = "http://b";\n}\n'
        res = extract_source("java", src, "svc/Settings.java", module="svc")
    assert "OK_URL" in res.exports and "DEEP_URL" not in res.exports
    assert [(d.kind, d.message) for d in res.diagnostics] == [("too_deep", "values other files read are missing, nested too deeply to evaluate: DEEP_URL")]


def test_risky_files_are_the_huge_deep_and_long_lined_ones():
    assert not risky(PY_CALL.encode())
    assert not risky(b"x = " + b"[" * 100 + b"]" * 100)
    assert risky(b"x = " + b"[" * 101 + b"]" * 101)
    assert not risky(b"def f():\n" + b" " * 99 + b"pass\n")
    assert risky(b"def f():\n" + b" " * 100 + b"pass\n")
    assert risky(b"x = '" + b"a" * (16 << 10) + b"'\n")
    assert not risky(b"a" * ((16 << 10) - 1) + b"\n" + b"b" * ((16 << 10) - 1))  # two lines just under the limit
    assert risky(b"a\n" + b"b" * (16 << 10))  # the last line, with no newline after it
    assert risky(b"x = 1\n" * ((256 << 10) // 6 + 1))


# ---------------------------------------------------------------- nothing silently dropped
@pytest.fixture()
def unreadable_repo(tmp_path: Path) -> Path:
    root = _tree(
        tmp_path / "repo",
        {
            "ok.py": PY_CALL,
            "binary.py": b"import requests\n\x00\x01\x02requests.get('http://risk/y')\n",
            "latin1.py": "# caf\xe9\nimport requests\nrequests.get('http://risk/z')\n".encode("latin-1"),
        },
    )
    (root / "svc" / "contracts").mkdir()
    (root / "svc" / "contracts" / "service.yaml").write_text("service: svc\n")
    return root


def test_check_lists_the_files_it_could_not_analyse(unreadable_repo):
    run = CliRunner().invoke(main, ["check", str(unreadable_repo), "--no-facts"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "Files not analysed (2; their calls are not checked):" in run.stdout
    assert "  svc/binary.py: binary: binary content (NUL bytes); skipped" in run.stdout
    assert "  svc/latin1.py:1: decode_error: " in run.stdout
    assert run.stdout.rstrip().endswith("; 2 files not analysed")
    assert "contracts: warning: 2 source file(s) could not be analysed; first: svc/binary.py: binary" in run.stderr


def test_check_json_lists_them_and_validates(unreadable_repo):
    import jsonschema

    from extractor.docs import schema_files

    run = CliRunner().invoke(main, ["check", str(unreadable_repo), "--format", "json"], catch_exceptions=False)
    assert run.exit_code == 0
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, json.loads(schema_files()["findings.v1.schema.json"]))
    assert [(d["file"], d["kind"], d["severity"]) for d in doc["unanalysed"]] == [
        ("svc/binary.py", "binary", "warning"),
        ("svc/latin1.py", "decode_error", "warning"),
    ]


@pytest.mark.parametrize("command", ["check", "scan"])
def test_strict_fails_with_exit_3_when_a_service_file_was_not_analysed(unreadable_repo, command):
    run = CliRunner().invoke(main, [command, str(unreadable_repo), "--strict", "--format", "json"], catch_exceptions=False)
    assert run.exit_code == 3
    json.loads(run.stdout)  # the report is still written, whole
    assert "contracts: error: 2 source file(s) could not be analysed; first: svc/binary.py: binary" in run.stderr
    assert "--strict: the analysis is incomplete" in run.stderr


def test_strict_passes_when_every_file_was_analysed(tmp_path):
    root = _tree(tmp_path / "repo", {"ok.py": PY_CALL})
    run = CliRunner().invoke(main, ["scan", str(root), "--strict"], catch_exceptions=False)
    assert run.exit_code == 0
    assert run.stderr == ""


def test_scan_text_counts_them_and_graph_and_init_name_them(unreadable_repo):
    run = CliRunner().invoke(main, ["scan", str(unreadable_repo)], catch_exceptions=False)
    assert run.exit_code == 0
    assert "2 source files could not be analysed (their facts are missing; see the diagnostics)" in run.stdout
    for command in (["graph", str(unreadable_repo)], ["init", str(unreadable_repo), "--dry-run"]):
        run = CliRunner().invoke(main, command, catch_exceptions=False)
        assert run.exit_code == 0, run.output
        assert "contracts: warning: 2 source file(s) could not be analysed; first: svc/binary.py: binary" in run.stderr


@pytest.mark.parametrize("command", ["graph", "init"])
def test_graph_and_init_json_list_them_and_validate(unreadable_repo, command):
    import jsonschema

    from extractor.docs import schema_files

    args = [command, str(unreadable_repo), "--format", "json"] + (["--dry-run"] if command == "init" else [])
    run = CliRunner().invoke(main, args, catch_exceptions=False)
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    jsonschema.validate(doc, json.loads(schema_files()[f"{command}.v1.schema.json"]))
    assert [(d["file"], d["kind"]) for d in doc["unanalysed"]] == [("svc/binary.py", "binary"), ("svc/latin1.py", "decode_error")]


def test_unanalysed_counts_service_files_that_lost_facts_only():
    diags = [
        Diagnostic("svc/a.py", "binary", "x"),
        Diagnostic("svc/a.py", "too_large", "y"),  # one entry per file, the first
        Diagnostic("svc/b.py", "syntax_error", "parsed with errors", severity="warning"),  # analysed as far as it parsed
        Diagnostic("svc/c.py", "syntax_error", "cannot parse", severity="error"),
        Diagnostic("svc/d.py", "empty", "nothing to scan", severity="info"),
        Diagnostic("tools/e.py", "crashed", "outside every service"),
        Diagnostic("svc/f.go", "too_deep", "z"),
    ]
    assert [(d.file, d.kind) for d in unanalysed(diags, ["svc"])] == [("svc/a.py", "binary"), ("svc/c.py", "syntax_error"), ("svc/f.go", "too_deep")]
    assert [d.file for d in unanalysed(diags, ["."])] == ["svc/a.py", "svc/c.py", "svc/f.go", "tools/e.py"]


# ---------------------------------------------------------------- internal errors: exit 3, one line, no traceback
def test_an_internal_error_exits_3_naming_the_file(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise IsolationError("svc/ok.py", "the worker pool failed: BrokenProcessPool: gone")

    monkeypatch.setattr(scan_mod, "run_isolated", broken)
    root = _tree(tmp_path / "repo", {"ok.py": PY_CALL + DEEP})
    for command in ("scan", "check", "graph"):
        run = CliRunner().invoke(main, [command, str(root)], catch_exceptions=False)
        assert run.exit_code == 3
        assert run.stderr == "contracts: internal error (svc/ok.py): IsolationError: svc/ok.py: the worker pool failed: BrokenProcessPool: gone\n"


def test_an_internal_error_after_extraction_exits_3(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(scan_mod, "link", broken)
    run = CliRunner().invoke(main, ["scan", str(_tree(tmp_path / "repo", {"ok.py": PY_CALL}))], catch_exceptions=False)
    assert run.exit_code == 3
    assert run.stderr.startswith("contracts: internal error (test_hardening_scan.py:")
    assert "KeyError: 'oops'" in run.stderr and "Traceback" not in run.stderr


# ---------------------------------------------------------------- found by bench/fuzz.py: a huge number
HUGE_TIMEOUTS = {  # a timeout of hundreds of digits made the link stage raise OverflowError: the whole scan died
    "a.py": "import requests\n\nx = " + "9" * 400 + "\n\n\ndef f():\n    return requests.get('http://risk/x', timeout=x)\n",
    "a.js": "const axios = require('axios');\nconst x = " + "9" * 1080 + ";\naxios.get('http://risk/x', { timeout: x });\n",
}


@pytest.mark.parametrize("name", sorted(HUGE_TIMEOUTS))
def test_a_huge_timeout_costs_at_most_its_file(tmp_path, catalog, name):
    manifest = ("package.json", "{}") if name.endswith(".js") else ("requirements.txt", "requests\n")
    ok = ("ok.js", "const axios = require('axios');\naxios.get('http://risk/y', { timeout: 100 });\n") if name.endswith(".js") else ("ok.py", PY_CALL)
    root = _tree(tmp_path / "repo", {name: HUGE_TIMEOUTS[name], ok[0]: ok[1]}, manifest)
    result = scan(root, catalog=catalog)
    json.loads(json.dumps(result.to_json(), allow_nan=False))
    assert (f"svc/{ok[0]}", 2 if name.endswith(".js") else 5) in _calls(result)
    assert result.diagnostics == []
    # the file keeps its call; a number no float holds is no duration: the timeout is unknown, as written
    (huge,) = [f for f in result.facts if f.kind == "http_call" and f.file == f"svc/{name}"]
    assert (huge.fields["timeout_ms"], huge.fields["timeout_source"]) == (None, "dynamic")


NEGATIVE_TIMEOUTS = {  # bench/fuzz.py (seed 21): 1 - 1 - 1 - 1 = -2 ms broke the facts schema (minimum 0)
    "a.js": "const axios = require('axios');\nconst x = 1 - 1 - 1 - 1;\naxios.get('http://risk/x', { timeout: x });\n",
    "a.py": "import requests\n\n\ndef f():\n    return requests.get('http://risk/x', timeout=-5)\n",
}


@pytest.mark.parametrize("name", sorted(NEGATIVE_TIMEOUTS))
def test_a_negative_timeout_is_no_duration(tmp_path, catalog, name):
    import jsonschema

    from extractor.docs import schema_files

    manifest = ("package.json", "{}") if name.endswith(".js") else ("requirements.txt", "requests\n")
    result = scan(_tree(tmp_path / "repo", {name: NEGATIVE_TIMEOUTS[name]}, manifest), catalog=catalog)
    jsonschema.validate(result.to_json(), json.loads(schema_files()["facts.v1.schema.json"]))
    (call,) = [f for f in result.facts if f.kind == "http_call"]
    assert (call.fields["timeout_ms"], call.fields["timeout_source"]) == (None, "dynamic")


def test_link_failures_are_pinned_on_the_files_that_cause_them():
    from extractor.frontends.base import FileResult

    files = [FileResult(f"svc/{n}.py", "python") for n in "abcdefg"]

    def run(subset):
        if any(r.path in ("svc/c.py", "svc/f.py") for r in subset):
            raise OverflowError("int too large to convert to float")
        return [r.path for r in subset]

    linked, diags = scan_mod._link_isolating(files, run)
    assert linked == ["svc/a.py", "svc/b.py", "svc/d.py", "svc/e.py", "svc/g.py"]
    assert [(d.file, d.kind, d.severity) for d in diags] == [("svc/c.py", "internal_error", "error"), ("svc/f.py", "internal_error", "error")]
    assert diags[0].message == "its facts could not be linked (OverflowError: int too large to convert to float); left out"

    def together(subset):  # fails only when two files meet: no single file to blame, the error goes up
        if {"svc/a.py", "svc/b.py"} <= {r.path for r in subset}:
            raise KeyError("a and b")
        return []

    with pytest.raises(KeyError):
        scan_mod._link_isolating(files, together)
