"""``contracts fix PATH``: the fixes of a run's findings, as a diff, as JSON, or written (``--apply``).

The findings are those ``contracts check`` reports (suppressed and baselined ones left out, decided
ones too: a decision settles a finding, it is not to be fixed behind its owners' backs);
``--finding ID`` (an id or a fingerprint, repeatable) narrows them. Exit codes follow ``check``: 1 when
there are fixes left to apply (a diff or JSON that is not empty), 0 when there is nothing to apply or
``--apply`` wrote them, 2 when a file could not be written (nothing is) or an id names no finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checks import CheckContext, Finding
from ..facts import Fact
from ..fix import FileChange, Outcome, change_files, unified_diff
from ..fix.plan import plan

FIX_VERSION = "fix.v1"


class FixCommandError(Exception):
    """A ``--finding`` that names no finding of the run."""


@dataclass
class FixRun:
    """The planned fixes of one run: the changed files and what became of each fix."""

    changes: list[FileChange]
    outcomes: list[Outcome]
    findings: list[Finding]

    @property
    def fixed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "fixed"]

    @property
    def suggestions(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "fixed"]


def select(findings: Sequence[Finding], prints: dict[str, str], wanted: Sequence[str]) -> list[Finding]:
    """The findings named by ``wanted`` (ids or fingerprints), all of them when none is named."""
    if not wanted:
        return list(findings)
    missing = [w for w in wanted if not any(w in (f.id, prints.get(f.id)) for f in findings)]
    if missing:
        raise FixCommandError(f"{', '.join(missing)}: no finding of this run has this id or fingerprint (`contracts check --format json` lists both)")
    return [f for f in findings if f.id in wanted or prints.get(f.id) in wanted]


def run(root: Path, ctx: CheckContext, facts: Sequence[Fact], findings: Sequence[Finding]) -> FixRun:
    """Plan the fixes of ``findings`` and apply them to the files' text (nothing is written)."""
    changes, outcomes = change_files(root, plan(ctx, facts, findings))
    return FixRun(changes, outcomes, list(findings))


def _outcome_json(o: Outcome) -> dict[str, Any]:
    fix = o.fix
    out: dict[str, Any] = {
        "finding": fix.finding,
        "kind": fix.kind,
        "status": o.status,
        "file": fix.file,
        "line": fix.line,
        "col": fix.col,
        "rule": fix.rule,
        "language": fix.language,
        "text": fix.text,
    }
    if o.reason:
        out["reason"] = o.reason
    return out


def document(fix_run: FixRun, applied: bool) -> dict[str, Any]:
    """The JSON document (docs/schemas/fix.v1.schema.json)."""
    return {
        "version": FIX_VERSION,
        "applied": applied,
        "fixes": [_outcome_json(o) for o in fix_run.outcomes],
        "files": [{"file": c.file, "sha256": c.sha256, "fixes": len(c.fixes)} for c in fix_run.changes],
        "diff": unified_diff(fix_run.changes),
    }


def render(fix_run: FixRun, applied: bool) -> str:
    """The text report: the diff (unless applied), then a line per fix and per suggestion."""
    lines: list[str] = []
    diff = unified_diff(fix_run.changes)
    if diff and not applied:
        lines.append(diff.rstrip("\n"))
    for o in fix_run.fixed:
        verb = "fixed" if applied else "fix"
        lines.append(f"# {verb}: {o.fix.file}:{o.fix.line}: {o.fix.text} [{o.fix.finding}]")
    for o in fix_run.suggestions:
        lines.append(f"# by hand: {o.fix.file}:{o.fix.line}: {o.fix.text}: {o.reason} [{o.fix.finding}]")
    if not fix_run.outcomes:
        lines.append("# nothing to fix: no finding of this run has a code fix (see docs/contracts.md, Fixes)")
    return "\n".join(lines) + "\n"
