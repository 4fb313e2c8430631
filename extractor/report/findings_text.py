"""The ``contracts check`` report for people: findings grouped by service pair, in the article's shape.

```
checkout → risk
  ERROR: Latency contract violation
    checkout expects: p95 < 200ms (acceptable)
    risk provides: p95 = 3200ms (current)
    Status: BLOCKS_INTEGRATION
    Action: risk must implement caching before integration (target p95=150ms)
```

Plain text (no colour, no width games) so that it reads the same in a terminal, a CI log and a
snapshot test.
"""

from __future__ import annotations

from itertools import groupby

from ..checks import SEVERITIES, Finding
from ..contracts.load import ContractError
from ..contracts.model import Location
from ..facts import Diagnostic, Fact
from ..kinds import CALL_KINDS
from .summary import summarise


def run_line(run: dict[str, str]) -> str:
    """``Run: 2026-12-07T06:00:00Z, commit 5bbe3db1c2d4 (main), contracts 0.1.0``: what the JSON's ``run`` holds."""
    parts = [run["time"]] if run.get("time") else []
    if run.get("commit"):
        parts.append(f"commit {run['commit'][:12]}" + (f" ({run['branch']})" if run.get("branch") else ""))
    parts.append(f"{run['tool']} {run['version']}")
    return "Run: " + ", ".join(parts)


def location_text(loc: Location) -> str:
    return f"{loc} ({'code: ' + loc.rule if loc.rule else 'declared'})"


def _side(service: str, role: str, text: str) -> str:
    if role == "does":
        return f"{service}: {text}"
    return f"{service} {role}: {text}"


def render_finding(f: Finding) -> list[str]:
    out = [f"  {f.severity.upper()}: {f.title}"]
    out += [f"    {_side(s.service, s.role, s.text)}" for s in f.sides]
    out.append(f"    Status: {f.status}")
    if f.impact:
        out.append(f"    Impact: {f.impact}")
    if f.tradeoff:
        out.append(f"    Trade-off: {f.tradeoff}")
        if owners := list(dict.fromkeys(o for s in f.sides for o in s.owners)):
            out.append(f"    Owners: {', '.join(owners)}")
    if f.decision_by:
        label = "Decided by" if f.status == "DECIDED" else "Decision required"
        out.append(f"    {label}: {' + '.join(f.decision_by)}")
    if f.decision is not None:
        d = f.decision
        state = {"accepted": "accepted by", "review_due": "review due of", "proposed": "proposed (not agreed):"}[d.state]
        review = f", review by {d.review_by}" if d.review_by else ""
        out.append(f"    Decision: {state} {d.id} ({d.location}{review})")
    if len(f.resolutions) == 1:
        out.append(f"    Action: {f.resolutions[0].action}")
    elif f.resolutions:
        out.append("    Resolutions:")
        out += [f"      {i}. {r.action}" for i, r in enumerate(f.resolutions, 1)]
    if f.locations:
        out.append(f"    At: {location_text(f.locations[0])}")
        out += [f"        {location_text(loc)}" for loc in f.locations[1:]]
    out.append(f"    Id: {f.id}")
    return out


# What the code shows, before the findings: the facts the checks reasoned from.
SHOWN_KINDS = (
    "retry_policy",
    "circuit_breaker",
    "replica_read",
    "id_generation",
    "idempotency_key",
    "missing_timeout",
    "message_publish",
    "message_consume",
)


def render_facts(facts: list[Fact]) -> list[str]:
    """Per service: its outbound calls (counted) and every resilience fact, one line each."""
    lines = ["What the code shows (resilience facts; `contracts scan` lists every fact):"]
    by_service: dict[str, list[Fact]] = {}
    for fact in sorted(facts, key=Fact.sort_key):
        by_service.setdefault(fact.service or "(no service)", []).append(fact)
    for service, items in sorted(by_service.items()):
        calls = [f for f in items if f.kind in CALL_KINDS]
        shown = [f for f in items if f.kind in SHOWN_KINDS]
        endpoints = sum(1 for f in items if f.kind == "endpoint")
        routes = sum(1 for f in calls if f.kind == "proxy_route")
        routed = f" ({routes} declared as routes in its configuration)" if routes else ""
        lines.append(f"  {service}: {len(calls)} outbound calls{routed}, {endpoints} endpoints")
        for f in shown:
            lines.append(f"    {f.file}:{f.line}  {f.kind}  {summarise(f)}")
    lines.append("")
    return lines


def render(
    root: str,
    findings: list[Finding],
    errors: list[ContractError],
    services: int,
    files: int,
    facts: list[Fact] | None = None,
    unanalysed: list[Diagnostic] | None = None,
    run: dict[str, str] | None = None,
) -> str:
    """The report: the run header, the facts, the files not analysed, the findings by service pair,
    then the contract file errors (after every finding, as the exit code 2 says) and the counts."""
    lines = [f"contracts check {root}: {services} services, {files} contract files"]
    if run:
        lines.append(run_line(run))
    lines.append("")
    if facts:
        lines += render_facts(facts)
    if unanalysed:
        lines.append(f"Files not analysed ({len(unanalysed)}; their calls are not checked):")
        lines += [f"  {d.file}{f':{d.line}' if d.line else ''}: {d.kind}: {d.message}" for d in unanalysed]
        lines.append("")
    for services_key, group in groupby(findings, key=lambda f: f.services):
        lines.append(" → ".join(services_key))
        for f in group:
            lines += render_finding(f)
            lines.append("")
    if errors:
        lines.append(f"Contract file errors ({len(errors)}):")
        lines += [f"  {e}" for e in errors]
        lines.append("")
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    summary = f"{len(findings)} findings: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} info"
    if errors:
        summary += f"; {len(errors)} contract file errors"
    if unanalysed:
        summary += f"; {len(unanalysed)} files not analysed"
    lines.append(summary)
    return "\n".join(lines) + "\n"
