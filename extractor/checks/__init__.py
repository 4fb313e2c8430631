"""Checks over declared and inferred contracts: one module per family, one registry.

``latency``, ``freshness``, ``idempotency`` and ``access`` compare two services; ``drift`` compares
a service's code with its own contract; ``system`` looks at whole call paths. A new check is a
function decorated with ``@check(id, kind=..., title=...)`` in the module of its family; its
docstring is its rule (docs/checks.md lists them all, and a test keeps that page in step).
"""

from __future__ import annotations

from . import access, drift, freshness, idempotency, latency, system  # noqa: F401  (registration)
from .base import REGISTRY, SEVERITIES, STATUSES, Check, CheckContext, Finding, Resolution, Side, severity_rank
from .unconfirmed import soften

FAIL_ON = ("error", "warning", "info", "never")


def run_checks(ctx: CheckContext, only: frozenset[str] | None = None) -> list[Finding]:
    """Every registered check (or those in ``only``), findings sorted and de-duplicated by id; findings
    resting on entries marked ``inferred: true`` are a severity lower (``checks/unconfirmed.py``)."""
    found: dict[str, Finding] = {}
    for check_id in sorted(REGISTRY):
        if only is not None and check_id not in only:
            continue
        for f in REGISTRY[check_id].run(ctx):
            found.setdefault(f.id, f)
    return sorted(soften(found.values(), ctx.declared), key=Finding.sort_key)


def fails(findings: list[Finding], fail_on: str) -> bool:
    """Whether any finding is at or above the ``--fail-on`` severity (``never``: none ever fails)."""
    if fail_on == "never":
        return False
    limit = severity_rank(fail_on)
    return any(severity_rank(f.severity) <= limit for f in findings)


__all__ = ["FAIL_ON", "REGISTRY", "SEVERITIES", "STATUSES", "Check", "CheckContext", "Finding", "Resolution", "Side", "fails", "run_checks"]
