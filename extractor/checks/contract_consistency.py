"""Consistency: a service's contract against itself.

A contract that says two things about one call cannot be checked against anything: each check
picks one of the statements, and the team that reads it cannot tell which one holds. These are
findings rather than contract file errors (exit 2): each statement is well formed on its own, the
two are often in different files with different owners, and as findings they can be suppressed,
decided and tracked like any other while the remaining checks still run.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..contracts import match
from ..contracts.model import Dependency, RetryPolicy, ServiceContract
from ..contracts.values import format_ms
from .base import CheckContext, Finding, Resolution, Side, check, finding


def _subject(service: str, dep: Dependency) -> str:
    return f"{service}.{dep.operation}" if dep.operation else service


def _covers(ctx: CheckContext, policy: RetryPolicy, dep: Dependency) -> bool:
    """A ``retry_policies`` entry covers a dependency when it targets the same service and the same
    operation (words equal), or the whole service."""
    if policy.service is None or ctx.graph.resolve(policy.service) != ctx.graph.resolve(dep.service):
        return False
    return policy.operation is None or (dep.operation is not None and match.same_name(policy.operation, dep.operation))


def _attempts_text(policy: RetryPolicy) -> str:
    if not policy.enabled:
        return "retry: none"
    if policy.attempts is not None:
        return f"{policy.attempts} attempts"
    return "retries" + (" (new request id after a timeout)" if policy.on_timeout is not None and policy.on_timeout.generates_new_request_id else "")


def _contradicts(own: RetryPolicy, policy: RetryPolicy) -> bool:
    """``retry: none`` (one attempt) or ``attempts: N`` against a policy with other ``attempts``. A
    policy without attempts defers to the dependency's count (docs/checks.md, Matching)."""
    mine = 1 if not own.enabled else own.attempts
    return mine is not None and policy.enabled and policy.attempts is not None and policy.attempts != mine


def _contracts(ctx: CheckContext) -> Iterator[tuple[str, ServiceContract]]:
    for name in sorted(ctx.declared.contracts):
        yield ctx.graph.resolve(name), ctx.declared.contracts[name]


@check("consistency.retry", kind="consistency", title="Contract contradicts itself on retries")
def retry_contradiction(ctx: CheckContext) -> Iterator[Finding]:
    """A ``depends_on`` entry's ``retry`` (``none``, or ``attempts: N``) and a ``retry_policies`` entry of
    the same contract for the same target (the operation, or the whole service) give different
    ``attempts``: ``retry: none`` while the policy retries (``attempts`` above 1), or other attempts than
    the entry's. The checks between services read the ``retry_policies`` entry. Warning,
    ``INCONSISTENT``."""
    for service, contract in _contracts(ctx):
        for dep in contract.depends_on:
            own = dep.retry
            if own is None:
                continue
            for policy in contract.retry_policies:
                if not _covers(ctx, policy, dep) or not _contradicts(own, policy):
                    continue
                callee = ctx.graph.resolve(dep.service)
                says, other = _attempts_text(own), _attempts_text(policy)
                yield finding(
                    "consistency.retry",
                    "warning",
                    "INCONSISTENT",
                    services=(service, callee),
                    subject=_subject(callee, dep),
                    message=f"{service}'s contract says {says} for {_subject(callee, dep)} in depends_on, and {other} in retry_policies ({policy.target})",
                    sides=(
                        Side(service, "declares", f"depends_on: {says}", (own.where("enabled") if not own.enabled else own.where("attempts"),)),
                        Side(service, "declares", f"retry_policies: {other}", (policy.location,)),
                    ),
                    impact=f"{callee} cannot tell how many requests {service} sends per call; the checks read the retry_policies entry",
                    resolutions=(
                        Resolution(
                            service,
                            f"{service}: keep one statement: remove the retry_policies entry for {policy.target}, or change depends_on's retry to match it",
                        ),
                    ),
                )


@check("consistency.timeout-budget", kind="consistency", title="Timeout above the contract's own latency budget")
def timeout_over_budget(ctx: CheckContext) -> Iterator[Finding]:
    """A ``depends_on`` entry's ``timeout`` is longer than the largest limit of its own
    ``latency_budget.maximum``: the caller waits for answers it has declared it cannot afford (a
    retried call waits that long per attempt). Warning, ``INCONSISTENT``."""
    for service, contract in _contracts(ctx):
        for dep in contract.depends_on:
            budget = dep.latency_budget
            if dep.timeout is None or budget is None or budget.maximum is None or not budget.maximum.entries:
                continue
            limit = max(budget.maximum.entries, key=lambda e: e.ms)
            if dep.timeout.ms <= limit.ms:
                continue
            callee = ctx.graph.resolve(dep.service)
            subject = _subject(callee, dep)
            yield finding(
                "consistency.timeout-budget",
                "warning",
                "INCONSISTENT",
                services=(service, callee),
                subject=subject,
                message=f"{service} waits up to {format_ms(dep.timeout.ms)} for {subject} but its latency budget's maximum is {limit}",
                sides=(
                    Side(service, "declares", f"timeout {format_ms(dep.timeout.ms)}", (dep.where("timeout"),)),
                    Side(service, "declares", f"latency budget maximum {budget.maximum}", (budget.where("maximum"),)),
                ),
                impact=f"a slow {callee} holds {service} past its own maximum latency before the timeout fires",
                resolutions=(
                    Resolution(service, f"{service}: lower the timeout to {format_ms(limit.ms)} or less"),
                    Resolution(service, f"{service}: or raise the budget's maximum to what the timeout allows"),
                ),
            )
