"""What changed between a run and the one it is compared with: new, fixed and still-open findings
(matched by fingerprint), each finding's first-seen time, and a trend per check family."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .store import RecordedFinding, Run


@dataclass(frozen=True)
class Entry:
    """A finding in the comparison; ``first_seen`` is when the history first recorded it."""

    finding: RecordedFinding
    first_seen: dt.datetime

    def age_days(self, now: dt.datetime) -> int:
        return max(0, (now - self.first_seen).days)


@dataclass(frozen=True)
class TrendPoint:
    """Findings per check family in one recorded run (oldest first in ``Comparison.trend``)."""

    run: Run
    counts: dict[str, int]


@dataclass(frozen=True)
class Comparison:
    """``current`` against ``base`` (``None``: nothing to compare with, every finding is new)."""

    current: Run
    base: Run | None
    base_label: str
    new: list[Entry]
    fixed: list[Entry]
    still_open: list[Entry]
    trend: list[TrendPoint] = field(default_factory=list)

    def pairs(self) -> list[tuple[str, ...]]:
        """Every service pair with an entry, sorted."""
        return sorted({e.finding.services for group in (self.new, self.fixed, self.still_open) for e in group})


def _order(entry: Entry) -> tuple[tuple[str, ...], str, str]:
    return (entry.finding.services, entry.finding.check, entry.finding.id)


def compare(
    current: Run,
    now_findings: list[RecordedFinding],
    base: Run | None,
    base_findings: list[RecordedFinding],
    first_seen: dict[str, dt.datetime],
    base_label: str = "",
    trend: list[TrendPoint] | None = None,
) -> Comparison:
    """Match by fingerprint: in ``now`` only → new, in ``base`` only → fixed, in both → still open.
    A finding without a recorded first sighting (``--base`` compares with a run never recorded) was
    first seen now (new) or at the base run (fixed, still open)."""
    now = {f.fingerprint: f for f in now_findings}
    before = {f.fingerprint: f for f in base_findings}
    base_time = base.recorded_at if base is not None else current.recorded_at

    def entry(f: RecordedFinding, default: dt.datetime) -> Entry:
        return Entry(f, first_seen.get(f.fingerprint, default))

    new = [entry(f, current.recorded_at) for fp, f in now.items() if fp not in before]
    fixed = [entry(f, base_time) for fp, f in before.items() if fp not in now]
    still = [entry(f, base_time) for fp, f in now.items() if fp in before]
    return Comparison(
        current,
        base,
        base_label,
        sorted(new, key=_order),
        sorted(fixed, key=_order),
        sorted(still, key=_order),
        trend or [],
    )
