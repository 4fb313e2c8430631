"""``--format sarif`` of ``check`` and ``drift``: SARIF 2.1.0 for code-scanning dashboards.

One result per finding. ``locations`` holds every place the finding names (code and contract
``file:line``), those of its first service first; ``relatedLocations`` the other side of a
cross-service finding, each with what that side expects, provides or does. ``partialFingerprints``
carries the finding's fingerprint (``history/fingerprint.py``), which survives moved lines. The
rules are the checks, with their rule text from the registry (docs/checks.md). Suppressed findings
are results with ``suppressions`` (their reason as justification); in ``drift``, ``baselineState``
says new, unchanged (still open) or absent (fixed: ``kind`` pass, ``level`` none, so a dashboard
does not raise an alert for it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..checks import STATUSES, Check

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "contractsFingerprint/v1"
ROOT_BASE = "SRCROOT"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


@dataclass(frozen=True)
class Item:
    """A finding to report (its ``check`` JSON form) with its fingerprint; ``suppression`` is
    (``inSource`` | ``external``, reason) when a suppression covers it; ``baseline_state`` is SARIF's."""

    finding: Mapping[str, Any]
    fingerprint: str
    suppression: tuple[str, str] | None = None
    baseline_state: str | None = None


def _rule(check: Check) -> dict[str, Any]:
    return {
        "id": check.id,
        "name": "".join(w.capitalize() for w in check.id.replace(".", "-").replace("_", "-").split("-")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.rule},
        "help": {
            "text": f"{check.rule}\n\nSee docs/checks.md ({check.id}).",
            "markdown": f"**{check.title}**\n\n{check.rule}\n\nSee `docs/checks.md` ({check.id}).",
        },
        "properties": {"tags": [check.kind], "kind": check.kind},
    }


def _location(loc: Mapping[str, Any], prefix: str, message: str = "", ident: int | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": prefix + loc["file"], "uriBaseId": ROOT_BASE}}
    if loc.get("line", 0) > 0:
        physical["region"] = {"startLine": loc["line"]}
    out: dict[str, Any] = {"physicalLocation": physical}
    if ident is not None:
        out["id"] = ident
    if message:
        out["message"] = {"text": message}
    return out


def _key(loc: Mapping[str, Any]) -> tuple[str, int]:
    return (loc["file"], loc.get("line", 0))


def result(item: Item, rule_index: int, prefix: str = "") -> dict[str, Any]:
    f = item.finding
    services = list(f["services"])
    first = services[0] if services else ""
    own = [l for s in f["sides"] if s["service"] == first for l in s["locations"]]
    ordered = sorted({_key(l): l for l in own}.values(), key=lambda l: (l.get("origin") != "code", _key(l)))
    seen = {_key(l) for l in ordered}
    ordered += [l for l in f["locations"] if _key(l) not in seen]
    related: list[dict[str, Any]] = []
    for side in f["sides"]:
        if side["service"] == first:
            continue
        for loc in side["locations"]:
            related.append(_location(loc, prefix, f"{side['service']} {side['role']}: {side['text']}", len(related) + 1))
    text = f"{f['title']}: {f['message']}" if f.get("message") else f["title"]
    out: dict[str, Any] = {
        "ruleId": f["check"],
        "ruleIndex": rule_index,
        "level": LEVELS[f["severity"]],
        "message": {"text": text},
        "locations": [_location(l, prefix) for l in ordered] or [_location({"file": "."}, prefix)],
        "partialFingerprints": {FINGERPRINT_KEY: item.fingerprint},
        "properties": {
            "id": f["id"],
            "kind": f["kind"],
            "status": f["status"],
            "statusMeaning": STATUSES.get(f["status"], ""),
            "services": services,
            "subject": f["subject"],
        },
    }
    if related:
        out["relatedLocations"] = related
    if item.suppression is not None:
        out["suppressions"] = [{"kind": item.suppression[0], "justification": item.suppression[1]}]
    if item.baseline_state is not None:
        out["baselineState"] = item.baseline_state
    if item.baseline_state == "absent":  # fixed: the rule was evaluated and the problem is gone
        out["kind"] = "pass"
        out["level"] = "none"
    return out


def document(items: Sequence[Item], checks: Mapping[str, Check], *, uri_prefix: str = "", properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The SARIF log: one run, every registered check as a rule, one result per item.

    ``uri_prefix`` turns paths relative to the checked folder into paths relative to the repository
    (``services/`` when the folder checked is ``services/`` of a checkout), which is what
    code-scanning dashboards resolve against."""
    ids = sorted(checks)
    index = {check_id: i for i, check_id in enumerate(ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "contracts",
                "fullName": "contract-extractor",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(checks[i]) for i in ids],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [result(item, index[item.finding["check"]], uri_prefix) for item in items],
    }
    if properties:
        run["properties"] = dict(properties)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
