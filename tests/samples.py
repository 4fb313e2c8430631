"""Shared by the sample-monorepo tests (test_polyglot, test_polyglot_rides): run a command of the
CLI on a sample under fixtures/monorepos/ and read its JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from extractor.cli import main

MONOREPOS = Path(__file__).resolve().parent.parent / "fixtures" / "monorepos"


def run_json(command: str, sample: Path, *options: str) -> dict:
    """`contracts <command> <sample> --format json -j 1 <options>`, its JSON output; any exit code but 0 fails."""
    result = CliRunner().invoke(main, [command, str(sample), "--format", "json", "-j", "1", *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def of(facts: list[dict], *kinds: str) -> list[dict]:
    """The facts of the given kinds, in their order."""
    return [f for f in facts if f["kind"] in kinds]


def write_files(root: Path, files: dict[str, str]) -> None:
    """A tree of small files under ``root``, each ``relative path -> text``."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
