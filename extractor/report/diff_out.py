"""``contracts diff`` output: text, JSON (``docs/schemas/diff.v1.schema.json``), Markdown for a PR
comment, and SARIF (through ``report/sarif.py``: one result per change and consumer)."""

from __future__ import annotations

from typing import Any

from ..checks import Check
from ..commands.diff import CLASSES, Change, Diff
from . import sarif
from .findings_json import location_json

DIFF_VERSION = 1

RULES: dict[str, Check] = {
    f"evolution.{cls}": Check(
        f"evolution.{cls}",
        "evolution",
        f"A {cls} contract change",
        {
            "breaking": "A provider's contract or code changed in a way that breaks a consumer relying on it; an error unless the provider's version has a new major number.",
            "needs-migration": "A provider's contract or code changed in a way that is compatible once a named consumer changes.",
            "compatible": "A provider's contract or code changed in a backward-compatible way.",
        }[cls],
        lambda ctx: [],
    )
    for cls in CLASSES
}
"""The SARIF rules of ``diff``: one per compatibility class (not checks of ``contracts check``)."""


def change_json(d: Diff, c: Change) -> dict[str, Any]:
    return {
        "service": c.service,
        "kind": c.kind,
        "origin": c.origin,
        "section": c.section,
        "subject": c.subject,
        "field": c.field,
        "before": c.before,
        "after": c.after,
        "class": c.cls,
        "severity": d.severity(c),
        "location": {**location_json(c.location), "revision": c.side},
        "consumers": [
            {"service": i.consumer, "class": i.cls, "migration": i.migration, "locations": [location_json(l) for l in i.locations]} for i in c.impacts
        ],
    }


def summary(d: Diff) -> dict[str, int]:
    counts = {cls.replace("-", "_"): sum(1 for c in d.changes if c.cls == cls) for cls in CLASSES}
    counts["errors"] = len(d.errors)
    return counts


def document(d: Diff, root: str) -> dict[str, Any]:
    return {
        "version": DIFF_VERSION,
        "root": root,
        "base": d.base,
        "head": d.head,
        "summary": summary(d),
        "versions": [{"service": v.service, "before": v.before, "after": v.after, "major_bump": v.major_bump} for _, v in sorted(d.versions.items())],
        "changes": [change_json(d, c) for c in d.changes],
    }


def _where(locations: list[dict[str, Any]]) -> str:
    return ", ".join(f"{l['file']}:{l['line']}" if l["line"] else l["file"] for l in locations)


def _verdict(d: Diff) -> str:
    s = summary(d)
    head = f"{s['breaking']} breaking, {s['needs_migration']} needing migration, {s['compatible']} compatible"
    if s["errors"]:
        return f"{head}; {s['errors']} breaking without a major version bump (error)"
    return head


def render_text(d: Diff, root: str) -> str:
    lines = [f"contracts diff {root}: {d.base} -> {d.head}", ""]
    if not d.changes:
        lines.append("No contract changes.")
        return "\n".join(lines) + "\n"
    for service in sorted({c.service for c in d.changes}):
        v = d.versions.get(service)
        version = f" (version {v.before or 'none'} -> {v.after or 'none'}{', major bump' if v.major_bump else ''})" if v else ""
        lines.append(f"{service}{version}")
        for c in (c for c in d.changes if c.service == service):
            doc = change_json(d, c)
            lines.append(f"  {doc['severity'].upper():7} {c.cls:15} [{c.origin}] {c.description}  ({c.location}, {c.side})")
            for i in doc["consumers"]:
                lines.append(f"          {i['class']:15} {i['service']}: {i['migration']}")
                if i["locations"]:
                    lines.append(f"                          at {_where(i['locations'])}")
        lines.append("")
    lines.append(_verdict(d))
    return "\n".join(lines) + "\n"


def render_markdown(d: Diff, root: str) -> str:
    lines = [f"### Contract changes: `{d.base}` → `{d.head}`", "", _verdict(d) + ".", ""]
    if not d.changes:
        return "\n".join(lines)
    lines += ["| | class | service | change | consumers |", "|---|---|---|---|---|"]
    icon = {"error": "❌", "warning": "⚠️", "info": "✅"}
    for c in d.changes:
        doc = change_json(d, c)
        consumers = "<br>".join(f"**{i['service']}** ({i['class']}): {i['migration']}" for i in doc["consumers"]) or "none in this repository"
        desc, who = c.description.replace("|", "\\|"), consumers.replace("|", "\\|")
        lines.append(f"| {icon[doc['severity']]} | {c.cls} | `{c.service}` | {desc} ({c.origin}, `{c.location}`) | {who} |")
    v = [x for _, x in sorted(d.versions.items())]
    if v:
        lines += ["", "Versions: " + ", ".join(f"`{x.service}` {x.before or 'none'} → {x.after or 'none'}" + (" (major)" if x.major_bump else "") for x in v)]
    return "\n".join(lines) + "\n"


def render_sarif(d: Diff, uri_prefix: str = "") -> dict[str, Any]:
    """One result per change, at its location (head, else base), its consumers as related locations."""
    items = []
    for c in d.changes:
        doc = change_json(d, c)
        sides = [{"service": i["service"], "role": f"consumer ({i['class']})", "text": i["migration"], "locations": i["locations"]} for i in doc["consumers"]]
        finding = {
            "check": f"evolution.{c.cls}",
            "id": f"evolution:{c.service}:{c.origin}:{c.kind}:{c.subject}:{c.field}",
            "kind": "evolution",
            "status": c.cls.upper().replace("-", "_"),
            "severity": doc["severity"],
            "title": f"{c.service}: {c.kind}",
            "message": c.description,
            "services": [c.service] + [i["service"] for i in doc["consumers"]],
            "subject": c.subject,
            "sides": [{"service": c.service, "role": "provider", "text": c.description, "locations": [doc["location"]]}] + sides,
            "locations": [doc["location"]],
        }
        items.append(sarif.Item(finding, finding["id"]))
    return sarif.document(items, RULES, uri_prefix=uri_prefix, properties={"base": d.base, "head": d.head})
