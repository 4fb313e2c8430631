"""``contracts drift``: the comparison as text, JSON (``drift.v1``), Markdown and SARIF.

Text and Markdown group the findings per service pair: new, fixed, still open, each with its age
(days since the history first recorded it); then a trend line per check family over the recorded
runs. JSON (docs/schemas/drift.v1.schema.json) lists ``new``, ``fixed`` and ``still_open`` in the
``check --format json`` finding form plus ``fingerprint``, ``first_seen`` and ``age_days``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..checks import Check
from ..checks.base import KINDS
from ..history.compare import Comparison, Entry
from ..history.store import Run, utc_text
from . import sarif

DRIFT_VERSION = 1
GROUPS = (("new", "new"), ("fixed", "fixed"), ("still_open", "still open"))


def _run_json(run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id,
        "project": run.project,
        "commit": run.commit,
        "branch": run.branch,
        "recorded_at": utc_text(run.recorded_at),
        "tool_version": run.tool_version,
        "rules_hash": run.rules_hash,
        "findings": run.findings_count,
        "checks": run.checks.split(",") if run.checks else [],
    }


def _groups(c: Comparison) -> dict[str, list[Entry]]:
    return {"new": c.new, "fixed": c.fixed, "still_open": c.still_open}


def _entry_json(e: Entry, now: dt.datetime) -> dict[str, Any]:
    out = dict(e.finding.document)
    out["fingerprint"] = e.finding.fingerprint
    out["first_seen"] = utc_text(e.first_seen)
    out["age_days"] = e.age_days(now)
    return out


def _kinds(c: Comparison) -> list[str]:
    seen = {k for p in c.trend for k in p.counts} | {e.finding.kind for g in _groups(c).values() for e in g}
    return [k for k in KINDS if k in seen] + sorted(seen - set(KINDS))


def document(c: Comparison, root: str) -> dict[str, Any]:
    now = c.current.recorded_at
    groups = _groups(c)
    return {
        "version": DRIFT_VERSION,
        "root": root,
        "run": _run_json(c.current),
        "compared_with": {"label": c.base_label, "run": _run_json(c.base)},
        "summary": {name: len(entries) for name, entries in groups.items()},
        "new": [_entry_json(e, now) for e in c.new],
        "fixed": [_entry_json(e, now) for e in c.fixed],
        "still_open": [_entry_json(e, now) for e in c.still_open],
        "trend": [
            {"run": p.run.id, "recorded_at": utc_text(p.run.recorded_at), "commit": p.run.commit, "counts": dict(sorted(p.counts.items()))} for p in c.trend
        ],
    }


def _age(e: Entry, now: dt.datetime) -> str:
    days = e.age_days(now)
    return "today" if days == 0 else "1 day" if days == 1 else f"{days} days"


def _line(e: Entry, now: dt.datetime, group: str) -> str:
    f = e.finding.document
    where = ", ".join(f"{l['file']}:{l['line']}" if l.get("line") else l["file"] for l in f["locations"][:4])
    more = f" (+{len(f['locations']) - 4})" if len(f["locations"]) > 4 else ""
    age = f"first seen {utc_text(e.first_seen)[:10]}, {_age(e, now)}" if group != "new" else "new"
    return f"{f['severity']:<7} {f['check']} [{f['subject']}] {f['title']}; {age}; {where}{more}"


def trend_lines(c: Comparison) -> list[str]:
    """``drift: 3 → 4 → 2`` per check family, oldest run first."""
    out = []
    for kind in _kinds(c):
        counts = [str(p.counts.get(kind, 0)) for p in c.trend]
        out.append(f"{kind}: {' → '.join(counts)}")
    return out


def _header(c: Comparison) -> str:
    run = c.current
    where = ", ".join(x for x in (f"commit {run.commit[:12]}" if run.commit else "", f"branch {run.branch}" if run.branch else "") if x)
    return f"run #{run.id} of {run.project} at {utc_text(run.recorded_at)}" + (f" ({where})" if where else "")


def render_text(c: Comparison, root: str) -> str:
    now = c.current.recorded_at
    lines = [f"contracts drift {root}: {_header(c)}", f"compared with {c.base_label}"]
    lines.append(f"{len(c.new)} new, {len(c.fixed)} fixed, {len(c.still_open)} still open")
    groups = _groups(c)
    for pair in c.pairs():
        lines.append("")
        lines.append(" → ".join(pair))
        for key, label in GROUPS:
            for e in (e for e in groups[key] if e.finding.services == pair):
                lines.append(f"  {label:<10} {_line(e, now, key)}")
    if c.trend:
        lines.append("")
        lines.append(f"trend over the last {len(c.trend)} recorded run(s), oldest first:")
        lines += [f"  {t}" for t in trend_lines(c)]
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(c: Comparison, root: str) -> str:
    now = c.current.recorded_at
    out = [f"### Contract drift: {len(c.new)} new, {len(c.fixed)} fixed, {len(c.still_open)} still open", ""]
    out.append(f"`{root}`: {_header(c)}, compared with {c.base_label}.")
    groups = _groups(c)
    for pair in c.pairs():
        out += ["", f"#### {' → '.join(pair)}", "", "| | severity | check | subject | first seen | where |", "|---|---|---|---|---|---|"]
        for key, label in GROUPS:
            for e in (e for e in groups[key] if e.finding.services == pair):
                f = e.finding.document
                where = "<br>".join(f"`{l['file']}:{l['line']}`" for l in f["locations"][:3])
                seen = "—" if key == "new" else f"{utc_text(e.first_seen)[:10]} ({_age(e, now)})"
                out.append(f"| **{label}** | {f['severity']} | `{f['check']}` | {_md_cell(f['subject'])} | {seen} | {where} |")
    if c.trend:
        out += ["", f"Trend over the last {len(c.trend)} recorded run(s), oldest first:", ""]
        out += [f"- {t}" for t in trend_lines(c)]
    return "\n".join(out) + "\n"


def render_sarif(c: Comparison, checks: Mapping[str, Check], uri_prefix: str = "") -> dict[str, Any]:
    """New and still-open findings as results (``baselineState`` new / unchanged), fixed ones as ``absent``."""
    items = [
        sarif.Item(e.finding.document, e.finding.fingerprint, baseline_state=state)
        for group, state in ((c.new, "new"), (c.still_open, "unchanged"), (c.fixed, "absent"))
        for e in group
    ]
    items = [i for i in items if i.finding["check"] in checks]
    props = {"run": _run_json(c.current), "comparedWith": c.base_label}
    return sarif.document(items, checks, uri_prefix=uri_prefix, properties=props)
