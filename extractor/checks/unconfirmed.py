"""Findings that exist only because of unconfirmed entries (``inferred: true``) count one severity lower.

``contracts init`` writes a service's contract from its code and marks every entry ``inferred: true``
until a person confirms it. Such an entry says what the code did when it was written, not what the
team promises. The checks run a second time without those entries (code and confirmed contracts
only); a finding citing an unconfirmed entry that this run does not report at least as severely is
lowered a step (error → warning → info, never below the second run's severity), says so in its
message and gains a resolution: confirm or correct the entry. What the code alone shows keeps its
severity. A lowered ``BLOCKS_INTEGRATION`` finding becomes ``UNVERIFIED``: that status is always an
error (it fails CI by default), and an unconfirmed entry cannot block an integration until confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass, replace
from typing import Any

from ..contracts.load import LoadedContracts
from ..contracts.model import (
    ENTRY_SECTIONS,
    DataDependency,
    Dependency,
    Located,
    Location,
    Operation,
    ProvidedDataset,
    ProvidedEndpoint,
    ProvidedOperation,
    Publication,
    RetryPolicy,
    ServiceContract,
    Subscription,
)
from ..facts import ScanResult, Service
from ..graph import build_graph
from .base import SEVERITIES, CheckContext, Finding, Resolution, severity_rank

REMINDER = "drift.unconfirmed"
"""The check that lists unconfirmed entries; never lowered itself."""


def unconfirmed_entries(contract: ServiceContract) -> list[Located]:
    """The entries of a contract marked ``inferred: true``, in section order."""
    return [e for section in ENTRY_SECTIONS for e in getattr(contract, section) if getattr(e, "unconfirmed", False)]


def unconfirmed_lines(declared: LoadedContracts) -> dict[tuple[str, int], tuple[str, Location]]:
    """Every declared ``(file, line)`` inside an unconfirmed entry → (its service, the entry's location)."""
    out: dict[tuple[str, int], tuple[str, Location]] = {}
    for name in sorted(declared.contracts):
        for entry in unconfirmed_entries(declared.contracts[name]):
            for loc in _lines_of(entry):
                out.setdefault((loc.file, loc.line), (name, entry.location))
    return out


def confirmed_only(ctx: CheckContext) -> CheckContext:
    """The same repository with every unconfirmed entry left out (the graph rebuilt without them)."""
    contracts = {name: _strip(c) for name, c in ctx.declared.contracts.items()}
    declared = LoadedContracts(contracts, list(ctx.declared.errors), list(ctx.declared.files))
    services = [
        Service(n.name, n.root, n.languages, (), tuple(sorted(v for v, s in ctx.graph.aliases.items() if s == n.name)))
        for n in ctx.graph.services.values()
        if n.root is not None
    ]
    graph = build_graph(ScanResult("", services, [], []), declared, ctx.inferred)
    return replace(ctx, graph=graph, declared=declared)


def soften(findings: Iterable[Finding], declared: LoadedContracts, baseline: dict[str, Finding]) -> list[Finding]:
    """Lower the findings that cite unconfirmed entries and that ``baseline`` (the findings without
    them, by id) does not report at least as severely; others unchanged."""
    marked = unconfirmed_lines(declared)
    out = []
    for f in findings:
        hits = sorted(
            {marked[(loc.file, loc.line)] for loc in f.locations if not loc.rule and (loc.file, loc.line) in marked}, key=lambda h: (h[1].file, h[1].line)
        )
        before = baseline.get(f.id)
        if f.check == REMINDER or not hits or (before is not None and severity_rank(before.severity) <= severity_rank(f.severity)):
            out.append(f)
            continue
        rank = min(severity_rank(f.severity) + 1, len(SEVERITIES) - 1)
        if before is not None:
            rank = min(rank, severity_rank(before.severity))
        where = ", ".join(str(loc) for _, loc in hits)
        extra = tuple(Resolution(service, f"{service}: confirm the inferred entry at {loc} (delete `inferred: true`) or correct it") for service, loc in hits)
        out.append(
            replace(
                f,
                severity=SEVERITIES[rank],
                status="UNVERIFIED" if f.status == "BLOCKS_INTEGRATION" and SEVERITIES[rank] != "error" else f.status,
                message=f"{f.message} (rests on unconfirmed inferred entries: {where})",
                resolutions=f.resolutions + extra,
            )
        )
    return out


_LABELS: tuple[tuple[type, Callable[[Any], str]], ...] = (
    (Dependency, lambda e: f"depends_on {e.service}" + (f".{e.operation}" if e.operation else "")),
    (ProvidedOperation, lambda e: f"operation {e.operation}"),
    (ProvidedDataset, lambda e: f"dataset {e.dataset}"),
    (ProvidedEndpoint, lambda e: f"endpoint {e.method + ' ' if e.method else ''}{e.endpoint}"),
    (DataDependency, lambda e: f"data {e.source}" + (f" {e.dataset}" if e.dataset else "")),
    (RetryPolicy, lambda e: f"retry policy {e.target}"),
    (Operation, lambda e: f"idempotency of {e.name}"),
    (Publication, lambda e: f"publishes {e.topic}"),
    (Subscription, lambda e: f"consumes {e.topic}"),
)


def entry_label(e: Located) -> str:
    """A short name for an entry: ``depends_on payment.authorize``, ``endpoint POST /v1/authorize``."""
    return next((label(e) for cls, label in _LABELS if isinstance(e, cls)), type(e).__name__)


def _strip(contract: ServiceContract) -> ServiceContract:
    kept: dict[str, Any] = {section: tuple(e for e in getattr(contract, section) if not getattr(e, "unconfirmed", False)) for section in ENTRY_SECTIONS}
    return replace(contract, **kept)


def _lines_of(obj: Located) -> Iterable[Location]:
    """The entry's own line and the lines of all its fields, nested mappings included."""
    yield obj.location
    for _, line in obj.lines:
        yield line if isinstance(line, Location) else Location(obj.location.file, line)
    if is_dataclass(obj):
        for f in fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, Located):
                yield from _lines_of(value)
