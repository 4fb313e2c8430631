"""``contracts init`` output: one line per service, then (``--dry-run``) a unified diff per file;
``--format json`` is the ``init.v1`` document (docs/schemas/init.v1.schema.json)."""

from __future__ import annotations

from typing import Any

from ..commands.init import InitPlan, ServiceResult
from ..facts import Diagnostic

INIT_VERSION = 1


def _service_line(r: ServiceResult, dry_run: bool, update: bool) -> str:
    will = "would " if dry_run else ""
    if r.status == "skipped":
        return f"{r.service}: has contract files ({', '.join(r.contract_files)}); left alone" + (
            "" if update else " (--update adds what its code shows and they lack)"
        )
    if r.status == "up_to_date":
        return f"{r.service}: its contract files already hold everything its code shows"
    if r.status == "empty" and r.external_calls:
        return (
            f"{r.service}: its code shows only {r.external_calls} call(s) to hosts outside the repository, which a contract has no entry for; nothing to write"
        )
    if r.status == "empty":
        return f"{r.service}: its code shows no calls, endpoints, replica reads or idempotency keys; nothing to write"
    verb = {"created": f"{will}write" if dry_run else "wrote", "updated": f"{will}add to" if dry_run else "added to"}[r.status]
    parts = []
    for file in r.files:
        entries = [a for a in r.added if a.file == file]
        listed = "; ".join(f"{section} {', '.join(a.entry for a in entries if a.section == section)}" for section in dict.fromkeys(a.section for a in entries))
        parts.append(f"{file} ({listed})" if listed else file)
    text = f"{r.service}: {verb} " + ", ".join(parts)
    if r.status == "created" and r.external_calls:
        text += f"; {r.external_calls} call(s) to external hosts listed as comments"
    return text


def render(root: str, plan: InitPlan, *, dry_run: bool, update: bool) -> str:
    lines = [f"contracts init {root}: {len(plan.services)} services" + (" (dry run: nothing written)" if dry_run else ""), ""]
    lines += [_service_line(r, dry_run, update) for r in plan.services]
    lines.append("")
    n = len(plan.changes)
    if n:
        done = "would change" if dry_run else "changed"
        lines.append(f"{n} file(s) {done}. Review every entry marked `inferred: true`, fill in its TODO lines, then delete the mark.")
    else:
        lines.append("No file " + ("would change." if dry_run else "changed."))
    text = "\n".join(lines) + "\n"
    if dry_run and plan.changes:
        text += "\n" + "".join(c.diff() for c in plan.changes)
    return text


def document(root: str, plan: InitPlan, *, dry_run: bool, update: bool, unanalysed: list[Diagnostic] | None = None) -> dict[str, Any]:
    """The init document; ``unanalysed``: the services' files that could not be analysed, whose
    calls are missing from the contracts written (absent when none)."""
    out: dict[str, Any] = {
        "version": INIT_VERSION,
        "root": root,
        "dry_run": dry_run,
        "update": update,
        "services": [r.to_json() for r in plan.services],
        "files": [{"path": c.path, "action": "create" if c.before is None else "update", "diff": c.diff()} for c in plan.changes],
    }
    if unanalysed:
        out["unanalysed"] = [d.to_json() for d in unanalysed]
    return out
