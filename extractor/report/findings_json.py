"""``contracts check --format json``: the ``findings.v1`` document (docs/schemas/findings.v1.schema.json)."""

from __future__ import annotations

from typing import Any

from ..checks import SEVERITIES, Finding
from ..contracts.load import ContractError
from ..contracts.model import Location
from ..facts import Diagnostic

FINDINGS_VERSION = 1


def location_json(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"file": loc.file, "line": loc.line, "origin": loc.origin}
    if loc.rule:
        out["rule"] = loc.rule
    return out


def finding_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "check": f.check,
        "kind": f.kind,
        "severity": f.severity,
        "status": f.status,
        "title": f.title,
        "services": list(f.services),
        "subject": f.subject,
        "message": f.message,
        "sides": [
            {
                "service": s.service,
                "role": s.role,
                "text": s.text,
                "locations": [location_json(l) for l in s.locations],
                **({"owners": list(s.owners)} if s.owners else {}),
            }
            for s in f.sides
        ],
        "impact": f.impact,
        "resolutions": [{"owner": r.owner, "action": r.action} for r in f.resolutions],
        "locations": [location_json(l) for l in f.locations],
    }
    if f.tradeoff:
        out["tradeoff"] = f.tradeoff
    if f.decision_by:
        out["decision_by"] = list(f.decision_by)
    if f.decision is not None:
        d = f.decision
        out["decision"] = {
            "id": d.id,
            "title": d.title,
            "state": d.state,
            **({"review_by": d.review_by} if d.review_by else {}),
            **({"agreed_by": list(d.agreed_by)} if d.agreed_by else {}),
            "file": d.location.file,
            "line": d.location.line,
        }
    return out


def document(
    root: str, findings: list[Finding], errors: list[ContractError], unanalysed: list[Diagnostic] | None = None, run: dict[str, str] | None = None
) -> dict[str, Any]:
    """The findings document; ``unanalysed`` (the services' files that could not be analysed, one
    diagnostic each) is listed only when there are some; ``run`` (tool, version, and the time,
    commit and branch when known) when given."""
    summary: dict[str, int] = {"findings": len(findings)}
    summary.update({s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES})
    summary["contract_errors"] = len(errors)
    out: dict[str, Any] = {
        "version": FINDINGS_VERSION,
        "root": root,
        **({"run": dict(run)} if run else {}),
        "summary": summary,
        "findings": [finding_json(f) for f in findings],
        "contract_errors": [{"file": e.file, "line": e.line, "kind": e.kind, "message": e.message} for e in errors],
    }
    if unanalysed:
        out["unanalysed"] = [d.to_json() for d in unanalysed]
    return out
