"""Fingerprints: what identifies a finding across runs, whatever lines moved.

A finding's ``id`` hashes (check, services, subject). The fingerprint adds what the code of the
finding's first service (the caller of a pair, the service of a drift) says about it, normalised:
for each of that service's code locations, the file, the detection rule and the enclosing function
of the fact found there (``Fact.scope``), never a line or column. So a blank line inserted above a
call keeps the fingerprint, while the same conflict moving to another function is a different one.
Left out: declared (contract file) locations, whose lines move whenever the file is edited (the
subject names the contract entry), and the other services' code, which is evidence that changes
for reasons of its own (a timeout inversion lists every call downstream; one more call there is
not a new inversion).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ..checks import Finding
from ..facts import Fact

FINGERPRINT_VERSION = "1"
"""Part of every fingerprint: a change of this recipe changes every fingerprint (and is a new version)."""


def fact_scopes(facts: Iterable[Fact]) -> dict[tuple[str, int, str], tuple[str, ...]]:
    """``(file, line, rule)`` → the enclosing functions of the facts there (usually one)."""
    out: dict[tuple[str, int, str], set[str]] = {}
    for fact in facts:
        out.setdefault((fact.file, fact.line, fact.rule), set()).add(fact.scope)
    return {key: tuple(sorted(scopes)) for key, scopes in out.items()}


def code_facts(finding: Finding, scopes: dict[tuple[str, int, str], tuple[str, ...]]) -> tuple[str, ...]:
    """The normalised code of a finding's first service: ``file|rule|enclosing function`` per code location, sorted."""
    first = finding.services[0] if finding.services else ""
    described: set[str] = set()
    for loc in (l for side in finding.sides if side.service == first for l in side.locations):
        if not loc.rule:
            continue
        for scope in scopes.get((loc.file, loc.line, loc.rule), ("",)):
            described.add(f"{loc.file}|{loc.rule}|{scope}")
    return tuple(sorted(described))


def fingerprint(finding: Finding, scopes: dict[tuple[str, int, str], tuple[str, ...]]) -> str:
    """A 32-hex-digit digest of the check, the service pair, the subject (whitespace collapsed) and the code facts."""
    subject = " ".join(finding.subject.split())
    parts: Sequence[str] = (f"contracts-fingerprint/v{FINGERPRINT_VERSION}", finding.check, *finding.services, "", subject, "", *code_facts(finding, scopes))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def fingerprints(findings: Iterable[Finding], facts: Iterable[Fact]) -> dict[str, str]:
    """Finding id → fingerprint, for every finding."""
    scopes = fact_scopes(facts)
    return {f.id: fingerprint(f, scopes) for f in findings}
