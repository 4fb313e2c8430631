"""``contracts decide FINDING_ID PATH``: a decision record scaffold for one finding.

The scaffold is a new contract file ``contracts/decisions/<check>-<hash>.yaml`` in the folder of a
service of the finding that already has contracts (the consumer first): one ``decisions:`` entry
whose ``applies_to`` names the finding, with its trade-off as the title, its resolutions as the
alternatives and a review date six months ahead. It settles nothing until someone fills in
``agreed_by`` (docs/contracts.md, ``decisions`` entries). An existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from .. import safeio
from ..checks import Finding
from ..contracts.load import CONTRACTS_DIR
from ..facts import Service

REVIEW_AFTER = dt.timedelta(days=182)
"""The scaffold's ``review_by``: about six months after it is written."""


class DecideError(Exception):
    """A finding that cannot be found or given a scaffold; the message says why."""


def find(findings: Sequence[Finding], prints: dict[str, str], wanted: str) -> Finding:
    """The finding whose id or fingerprint is ``wanted``."""
    hits = [f for f in findings if wanted in (f.id, prints.get(f.id))]
    if not hits:
        raise DecideError(f"{wanted}: no finding of this run has this id or fingerprint (`contracts check --format json` lists both)")
    return hits[0]


def home(f: Finding, services: Sequence[Service], declared: set[str]) -> Service:
    """The service whose contract folder gets the scaffold: the first of the finding's services that
    has contracts already (a new contract would bring checks of its own)."""
    by_name = {s.name: s for s in services}
    for name in f.services:
        if name in declared and name in by_name:
            return by_name[name]
    raise DecideError(
        f"{f.id}: none of its services ({', '.join(f.services)}) has a contract file yet; write one first (`contracts init`), then record the decision in it"
    )


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML scalar that needs no escaping rules of its own


def scaffold(f: Finding, service: str, fingerprint: str, today: dt.date) -> str:
    """The YAML of the scaffold (a document of ``service``'s contract)."""
    pair = " → ".join(f.services)
    title = f"Accept: {f.tradeoff or f.title} ({pair}, {f.subject})"
    lines = [
        f"# Decision record scaffold for {f.id} (fingerprint {fingerprint}), written by `contracts decide`.",
        f"# {f.severity} {f.status}: {f.message}",
        "# It settles the finding only once agreed_by names who agreed; until then the finding is reported as before.",
        *([f"# Decided by: {' + '.join(f.decision_by)}"] if f.decision_by else []),
        f"service: {service}",
        "decisions:",
        f"  - id: {_quoted('DR-' + f.id.replace(':', '-'))}",
        f"    title: {_quoted(title)}",
        "    # proposer: who proposes it",
        f"    proposed_at: {today.isoformat()}",
        f"    rationale: {_quoted('Why this trade-off is acceptable: ' + (f.impact or f.message))}",
    ]
    if f.resolutions:
        lines.append("    alternatives:")
        lines += [f"      - {_quoted(r.owner + ': ' + r.action if r.owner else r.action)}" for r in f.resolutions]
    lines += [
        "    # agreed_by:",
        *[f"    #   - name: {who}\n    #     at: {today.isoformat()}" for who in (f.decision_by or f.services[:2])],
        f"    review_by: {(today + REVIEW_AFTER).isoformat()}",
        "    applies_to:",
        f"      - {f.id}",
    ]
    return "\n".join(lines) + "\n"


def write(root: Path, service: Service, f: Finding, text: str) -> Path:
    """Write the scaffold into the service's contract folder; an existing file is an error."""
    rel = f"{CONTRACTS_DIR}/decisions/{f.id.replace(':', '-')}.yaml"
    rel = rel if service.root == "." else f"{service.root}/{rel}"
    try:
        return safeio.write_text(root, rel, text, exclusive=True)
    except safeio.WriteError as exc:
        raise DecideError(f"{exc} (edit the decision record that is there)" if "already exists" in str(exc) else str(exc)) from None
