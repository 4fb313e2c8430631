"""System checks: properties of call paths that no single pair of services shows.

Retries multiply along a path, and a caller's timeout means little when the callee may spend
longer on its own downstream calls. Values come from code when the code has the call (what
runs), else from the declared contract.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..contracts.infer import CodeCall
from ..contracts.model import Dependency, Location
from ..contracts.values import format_ms
from ..graph import CallEdge, iter_paths
from .base import CheckContext, Finding, Resolution, Side, check, edge_finding, finding


def _product(edges: list[CallEdge]) -> float:
    total = 1.0
    for e in edges:
        a = e.effective_attempts()
        total *= math.inf if a is None else a
    return total


def _attempt_locations(edge: CallEdge) -> list[Location]:
    return [s.location for s in edge.attempts()]


@check("system.retry-amplification", kind="retry-amplification", title="Retry amplification")
def retry_amplification(ctx: CheckContext) -> Iterator[Finding]:
    """Along every call path, the attempts of each call (code, else declared; unbounded retries count as
    infinite) multiply: one request at the start may cause that many calls at the end. A path is reported
    when the product exceeds ``retry_amplification`` (config or ``--retry-amplification``, default 10) and
    no shorter part of it (without its first or last call) already does. Warning, ``AT_RISK``."""
    factor = ctx.retry_amplification
    for path in iter_paths(ctx.graph):
        total = _product(path)
        if total <= factor or _product(path[:-1]) > factor or _product(path[1:]) > factor:
            continue
        names = [path[0].caller] + [e.callee for e in path]
        chain = " → ".join(f"{e.caller}→{e.callee} ×{'∞' if e.effective_attempts() is None else e.effective_attempts()}" for e in path)
        shown = "unbounded" if math.isinf(total) else f"{total:g}"
        locs = [loc for e in path for loc in _attempt_locations(e)]
        yield finding(
            "system.retry-amplification",
            "warning",
            "AT_RISK",
            services=tuple(dict.fromkeys(names)),
            subject=">".join(names),
            message=f"one request to {names[0]} may cause {shown} calls to {names[-1]} ({chain}); the limit is {factor:g}",
            sides=tuple(Side(e.caller, "does", f"calls {e.subject} up to {'unbounded' if e.effective_attempts() is None else e.effective_attempts()} times", tuple(_attempt_locations(e))) for e in path),
            extra_locations=locs,
            impact=f"when {names[-1]} slows down, retries multiply its load by {shown} (a retry storm)",
            resolutions=(
                Resolution(names[0], "retry at one layer only (usually the outermost), and make inner calls fail fast"),
                Resolution(" + ".join(dict.fromkeys(names[:-1])), "add a retry budget or a circuit breaker so retries stop when the callee is down"),
            ),
        )


@dataclass(frozen=True)
class _Spend:
    """The most one downstream call of the callee may take, with retries and backoff (None: unbounded)."""

    ms: float | None
    what: str
    locations: tuple[Location, ...]


def _call_spend(c: CodeCall) -> _Spend:
    if c.unbounded or c.attempts is None:
        why = "no timeout" if c.unbounded else "unbounded retries"
        return _Spend(None, f"{c.label} ({why})", (c.location,) + tuple(r.location for r in c.retries))
    if c.timeout_ms is None:
        return _Spend(0.0, c.label, ())
    delay = max((r.max_delay_ms or 0.0 for r in c.retries), default=0.0)
    total = c.attempts * c.timeout_ms + (c.attempts - 1) * delay
    if c.attempts == 1:
        detail = f"timeout {format_ms(c.timeout_ms)}"
    else:
        detail = f"{c.attempts} attempts × {format_ms(c.timeout_ms)}" + (f" + {c.attempts - 1} × {format_ms(delay)} backoff" if delay else "")
    return _Spend(total, f"{c.label} ({detail})", (c.location,) + tuple(r.location for r in c.retries))


def _dep_spend(d: Dependency) -> _Spend:
    if d.timeout is None:
        return _Spend(0.0, d.service, ())
    attempts = d.retry.attempts if d.retry is not None and d.retry.enabled and d.retry.attempts else 1
    delay = d.retry.backoff.delay_ms if d.retry is not None and d.retry.backoff is not None and d.retry.backoff.delay_ms else 0.0
    total = attempts * d.timeout.ms + (attempts - 1) * delay
    return _Spend(total, f"{d.service}{'.' + d.operation if d.operation else ''} ({attempts} attempts × {format_ms(d.timeout.ms)})", (d.where("timeout"),))


def callee_spend(ctx: CheckContext, edge: CallEdge) -> tuple[_Spend | None, str]:
    """The worst single downstream call of the callee for this operation, and on what basis it was chosen."""
    own = ctx.inferred.calls_of(edge.callee)
    basis = "it makes"
    if own and edge.provider_endpoints and all(ep.id in ctx.inferred.handler_calls for ep in edge.provider_endpoints):
        reachable = {cid for ep in edge.provider_endpoints for cid in ctx.inferred.handler_calls[ep.id]}
        own = tuple(c for c in own if c.id in reachable)
        basis = f"its handler {', '.join(sorted({ep.handler or ep.label for ep in edge.provider_endpoints}))} reaches"
    else:  # no call graph: every call of the callee, but not its calls to itself (a bundled client or
        own = tuple(c for c in own if c.callee != edge.callee)  # smoke test is not downstream of its handlers)
    if own:
        spends = [_call_spend(c) for c in own]
    else:
        node = ctx.graph.services.get(edge.callee)
        if node is None or node.declared is None or node.has_code:
            return None, basis
        spends = [_dep_spend(d) for d in node.declared.depends_on]
        basis = "it declares"
    spends = [s for s in spends if s.ms is None or s.ms > 0]
    if not spends:
        return None, basis
    return max(spends, key=lambda s: math.inf if s.ms is None else s.ms), basis


@check("system.timeout-inversion", kind="timeout-inversion", title="Timeout inversion")
def timeout_inversion(ctx: CheckContext) -> Iterator[Finding]:
    """A caller's timeout for a service (declared or in code) is shorter than what the callee may spend on
    one of its own downstream calls: attempts × timeout + (attempts - 1) × the policy's maximum backoff
    delay, a call without timeout being unbounded. Downstream calls are those the callee's handler for
    the operation reaches (a name-based call graph), else all calls of the callee (from code, else its
    declared dependencies). Warning, ``AT_RISK``."""
    for edge in ctx.graph.calls:
        if edge.external:
            continue
        timeouts = [t for t in edge.timeouts() if t.value is not None]
        if not timeouts:
            continue
        spend, basis = callee_spend(ctx, edge)
        if spend is None:
            continue
        bad = [t for t in timeouts if spend.ms is None or t.value < spend.ms]
        if not bad:
            continue
        caller, callee = edge.caller, edge.callee
        shortest = min(t.value for t in bad)
        spent = format_ms(spend.ms) if spend.ms is not None else "unbounded time"
        yield edge_finding(
            "system.timeout-inversion",
            "warning",
            "AT_RISK",
            edge,
            message=f"{caller} gives {edge.subject} {', '.join(f'{format_ms(t.value)} ({t.origin})' for t in bad)}, but {callee} may spend {spent} on one downstream call: {spend.what}",
            sides=(
                Side(caller, "expects", "a response within " + ", ".join(f"{format_ms(t.value)} ({t.origin})" for t in bad), tuple(t.location for t in bad)),
                Side(callee, "does", f"may spend {spent} on {spend.what}, a call {basis}", spend.locations),
            ),
            extra_locations=[e.location for e in edge.provider_endpoints],
            impact=f"{caller} gives up (and may retry) while {callee} is still working: wasted work, duplicate side effects",
            resolutions=(
                Resolution(callee, f"{callee}: bound its downstream call so that timeout × attempts + backoff stays under {format_ms(shortest)}"),
                Resolution(caller, f"{caller}: propagate a deadline to {callee}" + (f", or allow more than {spent}" if spend.ms is not None else f" (no timeout of {caller}'s can cover an unbounded call)")),
            ),
        )


@check("system.missing-timeout", kind="missing-timeout", title="Missing timeout")
def missing_timeout(ctx: CheckContext) -> Iterator[Finding]:
    """A call in code to another service or an external host has no timeout at all (the library waits
    forever by default). One finding per caller and target. Warning, ``AT_RISK``."""
    for edge in ctx.graph.calls:
        unbounded = [c for c in edge.calls if c.unbounded]
        if not unbounded or edge.caller == edge.callee:
            continue
        incoming = [t.value for e in ctx.graph.calls if e.callee == edge.caller and not e.external for t in e.timeouts() if t.value is not None]
        hint = f" (below {format_ms(min(incoming))}, the shortest timeout {edge.caller}'s callers give it)" if incoming else ""
        target = edge.callee + (" (external)" if edge.external else "")
        yield edge_finding(
            "system.missing-timeout",
            "warning",
            "AT_RISK",
            edge,
            message=f"{edge.caller} calls {target} without a timeout: {'; '.join(c.label for c in unbounded)}",
            sides=(Side(edge.caller, "code", "; ".join(f"{c.label}: no timeout" for c in unbounded), tuple(c.location for c in unbounded)),),
            impact=f"a slow or hung {edge.callee} holds {edge.caller}'s workers indefinitely and breaks every timeout upstream",
            resolutions=(Resolution(edge.caller, f"{edge.caller}: set a timeout on the call{hint}"),),
        )
