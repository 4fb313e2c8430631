"""Findings that rest on unconfirmed entries (``inferred: true``) count one severity lower.

``contracts init`` writes a service's contract from its code and marks every entry ``inferred: true``
until a person confirms it. Such an entry says what the code did when it was written, not what the
team promises. A finding with a side that only unconfirmed entries state (no confirmed declaration
and no code location backs that side) is lowered a step (error → warning → info), says so in its
message and gains a resolution: confirm or correct the entry. A finding whose every side is backed
by code or confirmed declarations keeps its severity, even when it also cites unconfirmed entries:
the code alone shows the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, is_dataclass, replace

from ..contracts.load import LoadedContracts
from ..contracts.model import DataDependency, Dependency, Located, Location, Operation, ProvidedDataset, ProvidedEndpoint, ProvidedOperation, RetryPolicy, ServiceContract
from .base import SEVERITIES, Finding, Resolution

SECTIONS = ("depends_on", "provides", "data_dependencies", "retry_policies", "operations")


def unconfirmed_lines(declared: LoadedContracts) -> dict[tuple[str, int], tuple[str, Location]]:
    """Every declared ``(file, line)`` inside an unconfirmed entry → (its service, the entry's location)."""
    out: dict[tuple[str, int], tuple[str, Location]] = {}
    for name in sorted(declared.contracts):
        contract = declared.contracts[name]
        for entry in unconfirmed_entries(contract):
            for loc in _lines_of(entry):
                out.setdefault((loc.file, loc.line), (name, entry.location))
    return out


def soften(findings: Iterable[Finding], declared: LoadedContracts) -> list[Finding]:
    """Lower the findings with a side stated only by unconfirmed entries (see the module docstring)."""
    marked = unconfirmed_lines(declared)
    if not marked:
        return list(findings)
    out = []
    for f in findings:
        if f.check == "drift.unconfirmed":  # the reminder itself
            out.append(f)
            continue
        resting = [side for side in f.sides if side.locations and all(not loc.rule and (loc.file, loc.line) in marked for loc in side.locations)]
        hits = sorted({marked[(loc.file, loc.line)] for side in resting for loc in side.locations}, key=lambda h: (h[1].file, h[1].line))
        if not hits:
            out.append(f)
            continue
        severity = SEVERITIES[min(SEVERITIES.index(f.severity) + 1, len(SEVERITIES) - 1)]
        where = ", ".join(str(loc) for _, loc in hits)
        extra = tuple(Resolution(service, f"{service}: confirm the inferred entry at {loc} (delete `inferred: true`) or correct it") for service, loc in hits)
        out.append(replace(f, severity=severity, message=f"{f.message} (rests on unconfirmed inferred entries: {where})", resolutions=f.resolutions + extra))
    return out


def unconfirmed_entries(contract: ServiceContract) -> list[Located]:
    """The entries of a contract marked ``inferred: true``, in section order."""
    return [e for section in SECTIONS for e in getattr(contract, section) if getattr(e, "unconfirmed", False)]


def entry_label(e: Located) -> str:
    """A short name for an entry: ``depends_on payment.authorize``, ``endpoint POST /v1/authorize``."""
    if isinstance(e, Dependency):
        return f"depends_on {e.service}" + (f".{e.operation}" if e.operation else "")
    if isinstance(e, ProvidedOperation):
        return f"operation {e.operation}"
    if isinstance(e, ProvidedDataset):
        return f"dataset {e.dataset}"
    if isinstance(e, ProvidedEndpoint):
        return f"endpoint {e.method + ' ' if e.method else ''}{e.endpoint}"
    if isinstance(e, DataDependency):
        return f"data {e.source}" + (f" {e.dataset}" if e.dataset else "")
    if isinstance(e, RetryPolicy):
        return f"retry policy {e.target}"
    if isinstance(e, Operation):
        return f"idempotency of {e.name}"
    return type(e).__name__


def _lines_of(obj: Located) -> Iterable[Location]:
    """The entry's own line and the lines of all its fields, nested mappings included."""
    yield obj.location
    for name, line in obj.lines:
        yield line if isinstance(line, Location) else Location(obj.location.file, line)
    if is_dataclass(obj):
        for f in fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, Located):
                yield from _lines_of(value)
