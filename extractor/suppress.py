"""Which findings are not reported, and how decisions settle them: check selection, inline
suppressions, ``ignore:`` entries, baselines, decision records.

- ``--check`` takes ids, families (``drift``: every check of that kind or id prefix) and globs
  (``drift.*``, ``*timeout*``).
- An inline suppression is a comment ``# contracts: ignore[drift.timeout] reason`` (``//`` in the
  C-family languages) at the end of a line holding a code fact of the finding, or alone on the line
  above it; ``expires=YYYY-MM-DD`` before the reason limits it in time. Several checks may be listed
  (``ignore[drift.timeout, latency.*]``).
- An ``ignore:`` entry in a contract file (``contracts/load.py``'s ``IgnoreEntry``) suppresses a check's
  findings involving its service (and its ``target``).
- A baseline (``check --write-baseline FILE``) lists fingerprints; ``--baseline FILE`` reports only
  findings whose fingerprint is not in it.

Every suppression needs a reason. One without a reason suppresses nothing, and so does an expired
one; both are reported, and so is one that matched no finding (unused).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import safeio
from .checks import Check, Finding, Resolution
from .checks.base import DecisionNote, location_key
from .contracts.load import IgnoreEntry, LoadedContracts
from .contracts.model import Decision, DecisionScope

INLINE = re.compile(r"(?:#|//)\s*contracts:\s*ignore\[([^\]]*)\](.*)$")
_EXPIRES = re.compile(r"^\s*expires=(\S*)\s*")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
BASELINE_VERSION = 1


class SelectionError(Exception):
    """A ``--check`` pattern that selects no check."""


def check_matches(pattern: str, check: Check | str, kind: str = "") -> bool:
    """Whether ``pattern`` (an id, a family, or a glob over ids) names the check."""
    check_id, kind = (check.id, check.kind) if isinstance(check, Check) else (check, kind)
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(check_id, pattern)
    return pattern in (check_id, kind) or check_id.startswith(pattern + ".")


def select_checks(patterns: Iterable[str], registry: dict[str, Check]) -> frozenset[str] | None:
    """The check ids the patterns name (``None``: no pattern, every check); a pattern naming none is an error."""
    patterns = list(patterns)
    if not patterns:
        return None
    chosen: set[str] = set()
    for pattern in patterns:
        hits = {c.id for c in registry.values() if check_matches(pattern, c)}
        if not hits:
            raise SelectionError(f"--check {pattern}: names no check (ids, families and globs of: {', '.join(sorted(registry))})")
        chosen |= hits
    return frozenset(chosen)


@dataclass(frozen=True)
class Suppression:
    """One suppression: inline (``file:line`` of the comment, applying to ``applies_to``) or an ``ignore:`` entry."""

    checks: tuple[str, ...]
    reason: str
    file: str
    line: int
    origin: str  # inline | contract
    applies_to: int = 0  # inline: the line of code it covers
    expires: str = ""
    entry: IgnoreEntry | None = None

    def covers(self, f: Finding) -> bool:
        if not any(check_matches(p, f.check, f.kind) for p in self.checks):
            return False
        if self.entry is None:
            return any(loc.rule and loc.file == self.file and loc.line == self.applies_to for loc in f.locations)
        e = self.entry
        if e.service not in f.services:
            return False
        if e.target_service is not None and e.target_service not in f.services:
            return False
        return e.target_operation is None or e.target_operation == f.subject

    def shown(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """A suppression that is reported: ``kind`` is no_reason, bad_expiry, expired or unused."""

    file: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Outcome:
    """The findings left to report, those suppressed (with what suppressed them) and the problems."""

    kept: list[Finding]
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)


def inline_suppressions(root: Path, files: Iterable[str]) -> tuple[list[Suppression], list[Problem]]:
    """The inline suppressions in ``files`` (relative to ``root``; unreadable ones are skipped)."""
    found: list[Suppression] = []
    problems: list[Problem] = []
    for rel in sorted(set(files)):
        try:
            text = safeio.read_text(root / rel, limit=10_000_000)
        except OSError:
            continue
        if "contracts:" not in text:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            m = INLINE.search(line)
            if m is None:
                continue
            checks = tuple(p.strip() for p in m.group(1).split(",") if p.strip())
            rest = m.group(2)
            expires = ""
            e = _EXPIRES.match(rest)
            if e:
                expires, rest = e.group(1), rest[e.end() :]
            reason = rest.strip().lstrip(":-– ").strip()
            own_line = not line[: m.start()].strip()
            if not checks:
                problems.append(Problem(rel, n, "no_check", "contracts: ignore[] names no check; it suppresses nothing"))
                continue
            if not reason:
                problems.append(
                    Problem(rel, n, "no_reason", f"contracts: ignore[{', '.join(checks)}] has no reason; it suppresses nothing (write why after the brackets)")
                )
                continue
            if expires and not _valid_date(expires):
                problems.append(Problem(rel, n, "bad_expiry", f"expires={expires}: not a date like 2027-01-31; the suppression is not used"))
                continue
            found.append(Suppression(checks, reason, rel, n, "inline", n + 1 if own_line else n, expires))
    return found, problems


def _valid_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def contract_suppressions(entries: Iterable[IgnoreEntry]) -> list[Suppression]:
    return [Suppression((e.check,), e.reason, e.location.file, e.location.line, "contract", expires=e.expires, entry=e) for e in entries]


def apply(findings: Sequence[Finding], suppressions: Sequence[Suppression], today: dt.date, problems: Iterable[Problem] = ()) -> Outcome:
    """Drop the findings a live suppression covers; report expired and unused suppressions.

    An expired suppression (its ``expires`` day is before ``today``) suppresses nothing."""
    out = Outcome([], problems=list(problems))
    live = [s for s in suppressions if not s.expires or dt.date.fromisoformat(s.expires) >= today]
    used: set[Suppression] = set()
    for f in findings:
        hit = next((s for s in live if s.covers(f)), None)
        if hit is None:
            out.kept.append(f)
        else:
            used.add(hit)
            out.suppressed.append((f, hit))
    for s in suppressions:
        what = f"ignore[{', '.join(s.checks)}]" if s.origin == "inline" else f"ignore: {s.checks[0]}"
        if s not in live:
            out.problems.append(Problem(s.file, s.line, "expired", f"{what} expired on {s.expires}; its findings are reported again (remove it or extend it)"))
        elif s not in used:
            out.problems.append(Problem(s.file, s.line, "unused", f"{what} suppresses no finding; remove it"))
    out.problems.sort(key=lambda p: (p.file, p.line, p.kind))
    return out


# -- baselines --------------------------------------------------------------------------------------


def baseline_document(findings: Sequence[Finding], prints: dict[str, str]) -> dict[str, Any]:
    """What ``--write-baseline`` writes: the fingerprints, with the id, check and services of each for people."""
    entries = sorted(
        ({"fingerprint": prints[f.id], "id": f.id, "check": f.check, "services": list(f.services), "subject": f.subject} for f in findings),
        key=lambda e: (e["fingerprint"], e["id"]),
    )
    return {"version": BASELINE_VERSION, "tool": "contracts", "findings": entries}


class BaselineError(Exception):
    """A baseline file that cannot be read; the message names it."""


def read_baseline(path: Path) -> frozenset[str]:
    try:
        data = json.loads(safeio.read_text(path, limit=100_000_000))
    except OSError as exc:
        raise BaselineError(f"{path.as_posix()}: cannot read the baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path.as_posix()}: not a baseline (invalid JSON: {exc})") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION or not isinstance(entries, list):
        raise BaselineError(f"{path.as_posix()}: not a version {BASELINE_VERSION} baseline (write one with `contracts check --write-baseline FILE`)")
    prints = [e.get("fingerprint") for e in entries if isinstance(e, dict)]
    if not all(isinstance(p, str) for p in prints) or len(prints) != len(entries):
        raise BaselineError(f"{path.as_posix()}: every entry of a baseline needs a fingerprint")
    return frozenset(p for p in prints if isinstance(p, str))


def drop_baselined(out: Outcome, known: frozenset[str], prints: dict[str, str]) -> Outcome:
    """``out`` without the findings whose fingerprint is in the baseline (kept in ``baselined``)."""
    kept = [f for f in out.kept if prints[f.id] not in known]
    return Outcome(kept, out.suppressed, out.problems, [f for f in out.kept if prints[f.id] in known])


# -- decision records -------------------------------------------------------------------------------

DECISION_STATES = ("accepted", "review_due", "proposed")


def scope_covers(scope: DecisionScope, f: Finding, fingerprint: str) -> bool:
    """Whether one ``applies_to`` entry covers the finding: every part it gives matches."""
    if scope.check is not None and not check_matches(scope.check, f.check, f.kind):
        return False
    if scope.finding is not None and scope.finding not in (f.id, fingerprint):
        return False
    if scope.services and tuple(f.services[: len(scope.services)]) != scope.services:
        return False
    return scope.subject is None or scope.subject == f.subject


def _note(d: Decision, state: str) -> DecisionNote:
    return DecisionNote(d.key, d.title, state, d.location, d.review_date, tuple(a.name for a in d.agreed_by))


def _due(d: Decision, today: dt.date) -> bool:
    return d.review_date is not None and dt.date.fromisoformat(d.review_date) < today


def apply_decisions(findings: Sequence[Finding], contracts: LoadedContracts, prints: dict[str, str], today: dt.date) -> list[Finding]:
    """The findings as the decision records settle them (docs/checks.md, "Decisions").

    A decision covers a finding when one of its ``applies_to`` entries does and the finding involves
    the service whose contract records it; one named in another's ``supersedes`` covers nothing. An
    agreed decision (``agreed_by``) whose ``review_by`` day has not passed makes the finding
    ``ACCEPTED`` (info: it no longer fails CI); once every agreed decision covering it is past its
    review day, the finding is ``REVIEW_DUE`` at its own severity. A decision nobody agreed to
    changes nothing but the message. A ``DECIDED`` trade-off (access checks) whose decision is past
    its review day is ``REVIEW_DUE`` too (an error, as the undecided trade-off is)."""
    records = [(svc, d) for svc, c in sorted(contracts.contracts.items()) for d in c.decisions]
    replaced = {i for _, d in records for i in d.supersedes}
    live = [(svc, d) for svc, d in records if d.key not in replaced]
    by_location = {d.location: d for _, d in live}
    out: list[Finding] = []
    for f in findings:
        if f.status == "DECIDED":
            d = next((by_location[loc] for loc in f.locations if loc in by_location), None)
            if d is not None and _due(d, today):
                f = replace(f, severity="error", status="REVIEW_DUE", message=f"{f.message}; {_review_text(d)}", decision=_note(d, "review_due"))
            out.append(f)
            continue
        hits = [d for svc, d in live if svc in f.services and any(scope_covers(s, f, prints.get(f.id, "")) for s in d.applies_to)]
        agreed = [d for d in hits if d.agreed_by]
        current = sorted((d for d in agreed if not _due(d, today)), key=lambda d: (d.review_date or "9999-12-31", d.key), reverse=True)
        extra = tuple(d.location for d in hits)
        if current:
            d = current[0]
            until = f", review by {d.review_date}" if d.review_date else ""
            agreed_text = ", ".join(a.name + (f" on {a.at}" if a.at else "") for a in d.agreed_by)
            f = replace(
                f,
                severity="info",
                status="ACCEPTED",
                message=f"{f.message}; accepted by decision {d.key}: {d.title} (agreed by {agreed_text}{until})",
                decision=_note(d, "accepted"),
            )
        elif agreed:
            d = max(agreed, key=lambda d: (d.review_date or "", d.key))
            owner = f.services[0] if f.services else ""
            f = replace(
                f,
                status="REVIEW_DUE",
                message=f"{f.message}; {_review_text(d)}",
                decision=_note(d, "review_due"),
                resolutions=f.resolutions
                + (Resolution(owner, f"review decision {d.key} ({d.location}): agree again with a new review_by, or resolve the finding"),),
            )
        elif hits:
            d = min(hits, key=lambda d: d.key)
            f = replace(f, message=f"{f.message}; decision {d.key} is proposed, not agreed yet (agreed_by)", decision=_note(d, "proposed"))
        if hits:
            f = replace(f, locations=tuple(sorted(set(f.locations) | set(extra), key=location_key)))
        out.append(f)
    return out


def _review_text(d: Decision) -> str:
    return f"decision {d.key} ({d.title}) was due for review on {d.review_date}"
