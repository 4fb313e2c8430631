"""``contracts drift`` and ``check --record``: record a run in the history, compare it with an earlier one.

The earlier one is the previous recorded run (of the same branch when the root is on one), the
last run recorded before ``--since DATE``, or ``--base REV``: that revision checked out in a
temporary ``git worktree``, checked there and compared without being recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..catalog import Catalog
from ..checks import Finding
from ..facts import Fact
from ..history.compare import Comparison, TrendPoint, compare
from ..history.fingerprint import fingerprints
from ..history.store import HistoryStore, RecordedFinding, Run, utc

TREND_RUNS = 10
"""How many recorded runs the trend line per check family spans."""
GIT_TIMEOUT = 120


class DriftError(Exception):
    """A usage problem (not a git checkout, an unknown revision); the message says what."""


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(root: Path) -> tuple[str | None, str | None]:
    """(commit, branch) of the checkout ``root`` is in; ``None`` for what git cannot say (not a
    checkout; a detached HEAD has no branch)."""
    if _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        return None, None
    return _git(root, "rev-parse", "HEAD") or None, _git(root, "symbolic-ref", "--short", "-q", "HEAD") or None


def rules_hash(catalog: Catalog) -> str:
    """A digest of the rules' ids and files: two runs with the same hash used the same rules."""
    h = hashlib.sha256()
    for rule in sorted(catalog.rules, key=lambda r: r.id):
        h.update(rule.id.encode() + b"\0")
        with contextlib.suppress(OSError):
            h.update(Path(rule.path).read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def recorded(findings: Sequence[Finding], facts: Sequence[Fact], form: Callable[[Finding], dict[str, Any]]) -> list[RecordedFinding]:
    """The findings as the history keeps them: fingerprint and ``form`` (the ``check`` JSON form,
    ``report.findings_json.finding_json``, passed in: reports sit above commands)."""
    prints = fingerprints(findings, facts)
    return [RecordedFinding(prints[f.id], form(f)) for f in findings]


@dataclass(frozen=True)
class RunInfo:
    """What a run is recorded under, besides its findings."""

    project: str
    commit: str | None
    branch: str | None
    tool_version: str
    rules_hash: str
    checks: str = ""  # the selection (--check), sorted ids joined by commas; "": every check


def run_info(root: Path, catalog: Catalog, project: str | None = None, checks: frozenset[str] | None = None) -> RunInfo:
    commit, branch = git_state(root)
    return RunInfo(project or root.resolve().name, commit, branch, __version__, rules_hash(catalog), ",".join(sorted(checks)) if checks else "")


def record(store: HistoryStore, info: RunInfo, findings: Sequence[RecordedFinding], now: dt.datetime) -> Run:
    """Record one run (one transaction: all of it or nothing)."""
    run = Run(info.project, info.commit, info.branch, utc(now), info.tool_version, info.rules_hash, checks=info.checks)
    return store.record(run, findings)


def parse_since(text: str) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time (UTC unless it says otherwise)."""
    try:
        return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise DriftError(f"--since {text!r}: expected a date (2026-12-01) or a time (2026-12-01T06:00:00Z)") from None


def drift(
    store: HistoryStore,
    current: Run,
    findings: list[RecordedFinding],
    *,
    since: dt.datetime | None = None,
    base: tuple[str, list[RecordedFinding]] | None = None,
    trend_runs: int = TREND_RUNS,
) -> Comparison:
    """Compare the recorded run ``current`` with ``base`` (a revision's findings, not recorded), else
    the last run recorded before ``since``, else the previous run of the same branch. Only runs of
    the same checks (``--check``) are compared with and make the trend: a run of ``drift.*`` alone
    says nothing about the other checks."""
    branch = current.branch
    base_run: Run | None = None
    base_findings: list[RecordedFinding] = []
    if base is not None:
        label, base_findings = base
    else:
        if since is not None:
            earlier = [
                r
                for r in store.runs(current.project, branch, checks=current.checks, at_or_before=since, limit=2)
                if r.id != current.id and r.recorded_at < since
            ]
            label = f"the last run recorded before {since.isoformat()}" if earlier else f"nothing (no run recorded before {since.isoformat()})"
        else:
            earlier = store.runs(current.project, branch, checks=current.checks, before=current, limit=1)
            label = "the previous recorded run" if earlier else "nothing (the first recorded run)"
        if earlier:
            base_run = earlier[0]
            base_findings = store.findings(base_run)
            label += f" ({_describe(base_run)})"
    seen = store.first_seen(current.project, [f.fingerprint for f in findings + base_findings], branch)
    history = list(reversed(store.runs(current.project, branch, checks=current.checks, at_or_before=current.recorded_at, limit=trend_runs + 1)))
    history = [r for r in history if r.id <= current.id or r.recorded_at < current.recorded_at][-trend_runs:]
    counts = store.counts_by_kind(history)
    trend = [TrendPoint(r, counts[r.id]) for r in history]
    return compare(current, findings, base_run, base_findings, seen, label, trend)


def _describe(run: Run) -> str:
    when = run.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"#{run.id}, {when}" + (f", {run.commit[:12]}" if run.commit else "")


@contextlib.contextmanager
def worktree(root: Path, rev: str) -> Iterator[Path]:
    """``root`` as of ``rev``: a temporary ``git worktree`` (detached), removed afterwards whatever happens."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        raise DriftError(f"--base {rev}: {root.as_posix()} is not in a git checkout")
    commit = _git(root, "rev-parse", "--verify", "-q", f"{rev}^{{commit}}")
    if not commit:
        raise DriftError(f"--base {rev}: not a revision of the repository at {top}")
    inside = root.resolve().relative_to(Path(top).resolve())
    temp = Path(tempfile.mkdtemp(prefix="contracts-base-"))
    tree = temp / "tree"
    try:
        done = subprocess.run(["git", "-C", top, "worktree", "add", "--detach", "-q", str(tree), commit], capture_output=True, text=True, timeout=GIT_TIMEOUT)
        if done.returncode != 0:
            raise DriftError(f"--base {rev}: git worktree add failed: {done.stderr.strip()}")
        yield tree / inside
    finally:
        subprocess.run(["git", "-C", top, "worktree", "remove", "--force", str(tree)], capture_output=True, timeout=GIT_TIMEOUT)
        subprocess.run(["git", "-C", top, "worktree", "prune"], capture_output=True, timeout=GIT_TIMEOUT)
        shutil.rmtree(temp, ignore_errors=True)


Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
