"""The readable per-service summary of ``contracts scan``."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.text import Text

from ..facts import ScanResult
from .summary import summarise


def render(result: ScanResult, console: Console, show_info: bool = False) -> None:
    by_service: dict[str | None, list] = {}
    for fact in sorted(result.facts, key=lambda f: f.sort_key()):
        by_service.setdefault(fact.service, []).append(fact)
    console.print(Text(f"Scanned {result.root}: {len(result.services)} services, {len(result.facts)} facts", style="bold"))
    why = {f.root: f for f in result.inventory}
    for svc in sorted(result.services, key=lambda s: s.name):
        facts = by_service.get(svc.name, [])
        counts = Counter(f.kind for f in facts)
        langs = ", ".join(svc.languages) or "no source"
        console.print()
        header = Text(f"{svc.name}", style="bold cyan")
        folder = why.get(svc.root)
        role = f"; {folder.role}" if folder is not None and folder.role != "service" else ""
        header.append(f"  ({svc.root}; {langs}{role})", style="dim")
        if folder is not None:
            header.append(f"  {folder.reason}", style="dim italic")
        console.print(header)
        if not facts:
            console.print("  no facts")
            continue
        console.print("  " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        width = max(len(f"{f.file}:{f.line}") for f in facts)
        kind_width = max(len(f.kind) for f in facts)
        for fact in facts:
            line = Text("    ")
            line.append(f"{fact.file}:{fact.line}".ljust(width), style="dim")
            line.append("  " + fact.kind.ljust(kind_width) + "  ")
            line.append(summarise(fact))
            console.print(line, overflow="ignore", no_wrap=True, crop=False)
    unfoldered = [f for f in sorted(result.inventory, key=lambda f: f.root) if f.is_service and not f.has_folder]
    if unfoldered:  # Compose images, Aspire resources: services of the system with no folder of their own
        console.print()
        console.print(Text(f"services with no folder of their own: {len(unfoldered)}", style="bold"))
        for f in unfoldered:
            kinds = Counter(fact.kind for fact in by_service.get(f.service, []))
            counted = f"  ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})" if kinds else ""
            console.print(f"  {f.service}  {f.role}: {f.reason}{counted}", markup=False, highlight=False)
    others = [f for f in sorted(result.inventory, key=lambda f: f.root) if not f.is_service]
    if others:
        console.print()
        console.print(Text(f"not services: {len(others)} folders", style="bold"))
        for f in others:
            console.print(f"  {f.root}  {f.role}: {f.reason}", markup=False, highlight=False)
    orphans = by_service.get(None, [])
    if orphans:
        console.print()
        console.print(Text(f"outside any service: {len(orphans)} facts", style="bold"))
        for fact in orphans:
            console.print(f"  {fact.file}:{fact.line}  {fact.kind}  {summarise(fact)}")
    lost = result.unanalysed()
    if lost:
        console.print()
        console.print(Text(f"{len(lost)} source files could not be analysed (their facts are missing; see the diagnostics)", style="bold yellow"))
    shown = [d for d in result.diagnostics if show_info or d.severity != "info"]
    hidden = len(result.diagnostics) - len(shown)
    if result.diagnostics:
        console.print()
        console.print(
            Text(
                f"{len(result.diagnostics)} diagnostics" + (f" ({hidden} informational not shown; --verbose shows them)" if hidden else ""), style="bold yellow"
            )
        )
        for d in sorted(shown, key=lambda d: d.sort_key()):
            where = f"{d.file}:{d.line}" if d.line else d.file
            console.print(f"  {where}: {d.severity}: {d.kind}: {d.message}", markup=False, highlight=False)
