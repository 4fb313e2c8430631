"""Fuzzing the scan (issue 12): mutated fixtures of every language and generated nasty code.

A short budget here (a few seconds); ``bench/fuzz.py`` runs the same property for long. The
invariants are in ``tests/fuzzing.py``: the scan returns within the per-file hard limit, its JSON
is valid and validates, and a binary or non-UTF-8 file is named by a diagnostic.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings

from .fuzzing import TEMPLATES, Case, check_case, fixture_files, mutated_fixtures, nasty_code

SHORT = settings(
    max_examples=25, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def test_the_fixtures_of_every_language_are_in_the_corpus():
    assert {p.suffix for p in fixture_files()} == {".py", ".go", ".java", ".kt", ".js", ".ts", ".cs"}


@SHORT
@given(case=mutated_fixtures())
def test_mutated_fixtures_never_break_the_scan(tmp_path_factory, case: Case):
    check_case(case, tmp_path_factory.mktemp("fuzz"))


@SHORT
@given(case=nasty_code(max_depth=1500, max_terms=3000, max_literal=50_000))
@example(case=Case("nasty.py", TEMPLATES[".py"].replace("{x}", "9" * 400).encode(), "a 400-digit timeout (bench/fuzz.py: the scan died)"))
@example(case=Case("nasty.ts", TEMPLATES[".ts"].replace("{x}", "9" * 326).encode(), "a 326-digit timeout (bench/fuzz.py: the scan died)"))
def test_nasty_code_never_breaks_the_scan(tmp_path_factory, case: Case):
    check_case(case, tmp_path_factory.mktemp("fuzz"))


def test_a_binary_and_an_invalid_utf8_file_are_reported(tmp_path: Path):
    """The property's own checks can fail: the two unreadable kinds, each named by its diagnostic."""
    result = check_case(Case("b.py", b"import requests\n\0\0", "NUL bytes"), tmp_path / "a")
    assert [(d.file, d.kind) for d in result.diagnostics] == [("svc/b.py", "binary")]
    result = check_case(Case("b.go", b'package main\nvar s = "\xff"\n', "invalid UTF-8"), tmp_path / "b")
    assert [(d.file, d.kind, d.line) for d in result.diagnostics] == [("svc/b.go", "decode_error", 2)]
