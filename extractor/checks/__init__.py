"""Checks over declared and inferred contracts: one module per family, one registry.

``latency``, ``freshness``, ``idempotency`` and ``access`` compare two services; ``drift`` compares
a service's code with its own contract; ``system`` looks at whole call paths. A new check is a
function decorated with ``@check(id, kind=..., title=...)`` in the module of its family; its
docstring is its rule (docs/checks.md lists them all, and a test keeps that page in step).
"""

from __future__ import annotations

from ..observe import checks as _observed  # noqa: F401  (registration: the checks of contracts observe)
from . import access, budget, contract_consistency, drift, freshness, idempotency, latency, messages, provider, retry_advice, system  # noqa: F401  (registration)
from .base import REGISTRY, SEVERITIES, STATUSES, Check, CheckContext, Finding, Resolution, Side, severity_rank, with_owners
from .unconfirmed import confirmed_only, soften, unconfirmed_entries

FAIL_ON = ("error", "warning", "info", "never")


def run_checks(ctx: CheckContext, only: frozenset[str] | None = None) -> list[Finding]:
    """Every registered check (or those in ``only``), findings sorted and de-duplicated by id; findings
    that only entries marked ``inferred: true`` cause are a severity lower (``checks/unconfirmed.py``)."""
    found = _run(ctx, only)
    if any(unconfirmed_entries(c) for c in ctx.declared.contracts.values()):
        found = soften(found, ctx.declared, {f.id: f for f in _run(confirmed_only(ctx), only)})
    return sorted(with_owners(found, ctx.declared.owners), key=Finding.sort_key)


def _run(ctx: CheckContext, only: frozenset[str] | None) -> list[Finding]:
    found: dict[str, Finding] = {}
    for check_id in sorted(REGISTRY):
        if only is not None and check_id not in only:
            continue
        for f in REGISTRY[check_id].run(ctx):
            found.setdefault(f.id, f)
    return list(found.values())


def fails(findings: list[Finding], fail_on: str) -> bool:
    """Whether any finding is at or above the ``--fail-on`` severity (``never``: none ever fails)."""
    if fail_on == "never":
        return False
    limit = severity_rank(fail_on)
    return any(severity_rank(f.severity) <= limit for f in findings)


__all__ = ["FAIL_ON", "REGISTRY", "SEVERITIES", "STATUSES", "Check", "CheckContext", "Finding", "Resolution", "Side", "fails", "run_checks"]
