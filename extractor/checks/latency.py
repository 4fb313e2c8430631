"""Latency: a consumer's budget and timeout against the latency its provider declares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..contracts.model import Location, ProvidedLatency
from ..contracts.values import Percentile, Percentiles, format_ms
from ..graph import CallEdge
from .base import CheckContext, Finding, Resolution, Side, check, code_locations, edge_finding

LEVEL_ORDER = ("acceptable", "maximum", "target")
"""Which violated budget level is shown first: the one a consumer cannot do without."""


@dataclass(frozen=True)
class _Value:
    """The provider's latency at a percentile: stated (``exact``) or a lower bound from a lower percentile."""

    ms: float
    entry: Percentile
    exact: bool

    def text(self, p: float) -> str:
        label = f"p{p:g}"
        return f"{label} = {format_ms(self.ms)}" if self.exact else f"{label} ≥ {format_ms(self.ms)} (its {self.entry.label})"


def value_at(values: Percentiles, p: float) -> _Value | None:
    """The provider's value at ``p``; without one, the largest value at a lower percentile
    (latency never falls as the percentile rises, so that is a lower bound)."""
    if p in values:
        return _Value(values[p].ms, values[p], True)
    lower = [e for e in values.entries if e.p < p]
    if not lower:
        return None
    best = max(lower, key=lambda e: e.ms)
    return _Value(best.ms, best, False)


@dataclass(frozen=True)
class _Violation:
    level: str
    limit: Percentile
    value: _Value
    where: Location


def _target_action(edge: CallEdge, violations: list[_Violation]) -> Resolution | None:
    """``risk must implement caching before integration (target p95=150ms)`` when the target meets the budget."""
    latency = edge.provided.latency if edge.provided else None
    if latency is None or latency.target is None:
        return None
    target = latency.target
    primary = violations[0]
    if primary.limit.p not in target:
        return None
    for v in violations:
        if v.limit.p in target and not v.limit.allows(target[v.limit.p].ms):
            return None
    shown = f"target p{primary.limit.p:g}={format_ms(target[primary.limit.p].ms)}"
    note = target.note.strip()
    if note.lower().startswith("requires "):
        return Resolution(edge.callee, f"{edge.callee} must implement {note[9:].strip()} before integration ({shown})")
    if note:
        return Resolution(edge.callee, f"{edge.callee} must reach its target before integration ({shown}; {note})")
    return Resolution(edge.callee, f"{edge.callee} must reach its target before integration ({shown})")


@check("latency.budget", kind="latency", title="Latency contract violation")
def latency_budget(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's ``latency_budget`` (target, acceptable, maximum) is compared percentile by percentile
    with the provider's declared ``latency.current`` (else ``latency.target``); a level is violated when
    the provider's value at that percentile (or a lower bound from a lower percentile) breaks the limit.
    Error when ``acceptable`` or ``maximum`` is violated (``BLOCKS_INTEGRATION``), warning when only
    ``target`` is (``AT_RISK``).

    The first resolution quotes the provider's target when that target would meet the budget.
    """
    for edge in ctx.graph.calls:
        dep = edge.declared
        provided = _provided_latency(edge)
        if dep is None or dep.latency_budget is None or provided is None:
            continue
        latency, basis, values = provided
        budget = dep.latency_budget
        violations: list[_Violation] = []
        for level, limits in budget.levels():
            for limit in limits.entries:
                v = value_at(values, limit.p)
                if v is not None and not limit.allows(v.ms):
                    violations.append(_Violation(level, limit, v, budget.where(level)))
        if not violations:
            continue
        violations.sort(key=lambda v: (LEVEL_ORDER.index(v.level), v.limit.p))
        hard = any(v.level != "target" for v in violations)
        primary = violations[0]
        consumer, provider = edge.caller, edge.callee
        expects = ", ".join(f"{v.limit} ({v.level})" for v in violations)
        provides = ", ".join(dict.fromkeys(v.value.text(v.limit.p) for v in violations)) + f" ({basis})"
        resolutions = []
        action = _target_action(edge, violations) if basis == "current" else None
        if action is not None:
            resolutions.append(action)
        else:
            resolutions.append(
                Resolution(
                    provider,
                    f"{provider}: commit to a latency within {consumer}'s budget ({primary.limit}) or offer a faster variant (cache, approximate model)",
                )
            )
        resolutions.append(
            Resolution(
                consumer,
                f"{consumer}: relax the budget to what {provider} delivers ({primary.value.text(primary.limit.p)}) or take {provider} off the critical path (an asynchronous call with a fallback)",
            )
        )
        yield _edge_finding(
            "latency.budget",
            edge,
            hard,
            f"{consumer} budgets {primary.limit} for {edge.subject}; {provider} declares {primary.value.text(primary.limit.p)} ({basis})",
            expects=(expects, tuple(v.where for v in violations)),
            provides=(provides, (latency.where(basis),)),
            extra=code_locations(edge),
            impact=f"{consumer} requests that call {provider} miss their latency budget ({primary.level}: {primary.limit})",
            resolutions=resolutions,
        )


@check("latency.timeout", kind="latency", title="Timeout below provider latency")
def latency_timeout(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's timeout for a call (declared ``timeout`` or the timeout in code) is compared with the
    provider's declared ``latency.current`` (else ``target``) percentiles: when the timeout is below the
    value at percentile p, at least (100 - p)% of calls time out. Error when that share is 5% or more
    (``BLOCKS_INTEGRATION``), warning when it is smaller (``AT_RISK``)."""
    for edge in ctx.graph.calls:
        provided = _provided_latency(edge)
        if provided is None:
            continue
        latency, basis, values = provided
        bad = []
        for t in edge.timeouts():
            if t.value is None:
                continue
            over = [e for e in values.entries if e.ms > t.value]
            if over:
                first = min(over, key=lambda e: e.p)
                bad.append((t, first, 100 - first.p))
        if not bad:
            continue
        share = max(b[2] for b in bad)
        severe = share >= 5
        consumer, provider = edge.caller, edge.callee
        timeouts = ", ".join(f"{format_ms(t.value)} ({t.origin})" for t, _, _ in bad)
        worst_t, worst_p, _ = max(bad, key=lambda b: b[2])
        top = max(values.entries, key=lambda e: e.p)
        resolutions = [
            Resolution(
                consumer,
                f"{consumer}: set the timeout above {provider}'s {top.label} ({format_ms(top.ms)}), or keep it and plan for the failures with a fallback",
            )
        ]
        if basis == "current" and latency.target is not None and all(t.value >= latency.target.get(p.p, p).ms for t, p, _ in bad):
            target = ", ".join(f"{e.label}={format_ms(e.ms)}" for e in latency.target.entries)
            resolutions.append(Resolution(provider, f"{provider}: reach its target ({target}) so that the timeout holds"))
        yield _edge_finding(
            "latency.timeout",
            edge,
            severe,
            f"{consumer} times out on {edge.subject} after {format_ms(worst_t.value)} ({worst_t.origin}) but {provider}'s {worst_p.label} is {format_ms(worst_p.ms)} ({basis}): at least {100 - worst_p.p:g}% of calls time out",
            expects=(f"a response within {timeouts}", tuple(t.location for t, _, _ in bad)),
            provides=(f"{', '.join(f'{e.label} = {format_ms(e.ms)}' for e in values.entries)} ({basis})", (latency.where(basis),)),
            extra=[e.location for e in edge.provider_endpoints],
            impact=f"at least {share:g}% of {consumer}'s calls to {provider} time out and take the failure path"
            + (" (and are retried)" if _retried(edge) else ""),
            resolutions=resolutions,
        )


def _provided_latency(edge: CallEdge) -> tuple[ProvidedLatency, str, Percentiles] | None:
    """The callee's declared latency on an internal edge, which of its values count (``current``,
    else ``target``) and those values; None when it declares none."""
    if edge.external or edge.provided is None or edge.provided.latency is None:
        return None
    latency = edge.provided.latency
    values = latency.current or latency.target
    if values is None:
        return None
    return latency, "current" if latency.current is not None else "target", values


def _edge_finding(
    check_id: str,
    edge: CallEdge,
    hard: bool,
    message: str,
    *,
    expects: tuple[str, tuple[Location, ...]],
    provides: tuple[str, tuple[Location, ...]],
    extra: Iterable[Location],
    impact: str,
    resolutions: Iterable[Resolution],
) -> Finding:
    """A latency finding on a call edge: the caller expects, the callee provides; error and
    ``BLOCKS_INTEGRATION`` when ``hard``, else warning and ``AT_RISK``."""
    return edge_finding(
        check_id,
        "error" if hard else "warning",
        "BLOCKS_INTEGRATION" if hard else "AT_RISK",
        edge,
        message=message,
        sides=(Side(edge.caller, "expects", *expects), Side(edge.callee, "provides", *provides)),
        extra_locations=extra,
        impact=impact,
        resolutions=resolutions,
    )


def _retried(edge: CallEdge) -> bool:
    attempts = edge.effective_attempts()
    return attempts is None or attempts > 1
