"""Drift: a service's code against its own declared contract.

A contract that the code no longer follows misleads every team that reads it, and the checks
between services with it. Each check here compares one declared entry with what the scan found
in the same service's code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..contracts.infer import CodeCall
from ..contracts.model import Location
from ..contracts.values import format_ms
from ..graph import CallEdge
from .base import CheckContext, Finding, Resolution, Side, check, edge_finding, finding
from .freshness import offer_text, read_finding
from .unconfirmed import entry_label, unconfirmed_entries


def _code_timeout(c: CodeCall) -> str:
    return "no timeout" if c.unbounded else f"{format_ms(c.timeout_ms)}" + (f" ({c.timeout_detail})" if c.timeout_detail else "")


@check("drift.timeout", kind="drift", title="Timeout drift")
def timeout_drift(ctx: CheckContext) -> Iterator[Finding]:
    """A ``depends_on`` entry's declared ``timeout`` differs from the timeout of a code call on that edge
    (a call with no timeout counts as unbounded; timeouts computed at run time are skipped). Error when
    the code waits longer than declared, warning when it gives up sooner. ``DRIFT``."""
    for edge in ctx.graph.calls:
        dep = edge.declared
        if dep is None or dep.timeout is None or not edge.calls:
            continue
        declared = dep.timeout.ms
        differing = [c for c in edge.calls if c.unbounded or (c.timeout_ms is not None and c.timeout_ms != declared)]
        if not differing:
            continue
        longer = any(c.unbounded or (c.timeout_ms or 0) > declared for c in differing)
        env = next((c for c in differing if c.timeout_source == "env_default"), None)
        deployed = next((c for c in differing if c.timeout_source == "config" and c.timeout_env), None)
        fix = f"set the code's timeout to {format_ms(declared)}" + (f" (the default of env {env.timeout_env})" if env else "")
        if deployed is not None and env is None:
            fix = f"set env {deployed.timeout_env} to {format_ms(declared)} ({deployed.timeout_detail})"
        code = ", ".join(f"{_code_timeout(c)}" for c in differing)
        yield _edge_drift(
            "drift.timeout",
            edge,
            "error" if longer else "warning",
            f"{edge.caller} declares a {format_ms(declared)} timeout for {edge.subject}; its code uses {code}",
            declares=(f"timeout {format_ms(declared)}", (dep.where("timeout"),)),
            code=(f"timeout {code}", tuple(c.location for c in differing)),
            impact=f"{edge.caller} waits longer than its contract (and latency budget) allow"
            if longer
            else f"{edge.caller} gives up on {edge.callee} sooner than its contract says",
            fixes=(fix, f"or declare the timeout the code uses, and re-check it against {edge.callee}'s latency"),
        )


@check("drift.retry", kind="drift", title="Retry drift")
def retry_drift(ctx: CheckContext) -> Iterator[Finding]:
    """The declared retry of a dependency (``retry: none``, ``retry.attempts``, or a ``retry_policies`` entry
    with ``attempts``) differs from the attempts of the code calls on that edge. Error when the contract
    says ``none`` and the code retries; warning when both retry with different counts, or the contract
    retries and the code does not. ``DRIFT``."""
    for edge in ctx.graph.calls:
        declared = edge.declared_attempts()
        if declared is None or not edge.calls:
            continue
        retrying = [c for c in edge.calls if c.attempts != declared.value]
        if not retrying:
            continue
        code = max(retrying, key=lambda c: float("inf") if c.attempts is None else c.attempts)
        count = "unbounded attempts" if code.attempts is None else f"{code.attempts} attempts"
        mech = code.retries[0].mechanism if code.retries else None
        none_declared = declared.value == 1
        severe = none_declared and (code.attempts is None or code.attempts > 1)
        declares = "retry: none" if none_declared else f"{declared.value} attempts"
        does = (f"retries with {mech}, {count}" if mech else f"retries, {count}") if code.attempts != 1 else "does not retry"
        yield _edge_drift(
            "drift.retry",
            edge,
            "error" if severe else "warning",
            f"{edge.caller} declares {declares} for {edge.subject}; its code {does}",
            declares=(declares, (declared.location,)),
            code=(does, tuple(r.location for r in code.retries) + (code.location,)),
            impact=f"{edge.callee} receives up to {'unbounded' if code.attempts is None else code.attempts} requests per {edge.caller} request where the contract promises {declared.value}"
            if severe
            else f"the contract misstates the load {edge.caller} puts on {edge.callee}",
            fixes=(f"make the code follow the contract ({declares})", "or declare the retry the code does (attempts, backoff, on_timeout)"),
        )


def _edge_drift(
    check_id: str,
    edge: CallEdge,
    severity: str,
    message: str,
    *,
    declares: tuple[str, tuple[Location, ...]],
    code: tuple[str, tuple[Location, ...]] | None = None,
    extra: Iterable[Location] = (),
    impact: str,
    fixes: tuple[str, ...],
) -> Finding:
    """A ``DRIFT`` finding on a call edge: what the caller's contract declares, what its code does
    (when it does anything), and the caller's ways out."""
    sides = (Side(edge.caller, "declares", *declares),) + ((Side(edge.caller, "code", *code),) if code else ())
    return edge_finding(
        check_id,
        severity,
        "DRIFT",
        edge,
        message=message,
        sides=sides,
        extra_locations=extra,
        impact=impact,
        resolutions=tuple(Resolution(edge.caller, f"{edge.caller}: {fix}") for fix in fixes),
    )


def _declares_dependency(ctx: CheckContext, caller: str, callee: str) -> bool:
    """``depends_on`` on the service, or ``requires`` data from it (a data need implies calls)."""
    node = ctx.graph.services.get(caller)
    contract = node.declared if node else None
    if contract is None:
        return False
    return any(ctx.graph.resolve(d.service) == callee for d in contract.depends_on) or any(
        ctx.graph.resolve(r.from_service) == callee for r in contract.requires
    )


@check("drift.undeclared-dependency", kind="drift", title="Undeclared dependency")
def undeclared_dependency(ctx: CheckContext) -> Iterator[Finding]:
    """Code of a service that has a contract calls another service of the repository, and the contract
    neither ``depends_on`` that service nor ``requires`` data from it. Warning, ``DRIFT``. (Services
    without any contract are left to ``contracts init``.)"""
    by_pair: dict[tuple[str, str], list[CallEdge]] = {}
    for edge in ctx.graph.calls:
        if edge.external or not edge.calls or edge.caller == edge.callee:
            continue
        by_pair.setdefault((edge.caller, edge.callee), []).append(edge)
    for (caller, callee), edges in sorted(by_pair.items()):
        node = ctx.graph.services.get(caller)
        if node is None or node.declared is None or _declares_dependency(ctx, caller, callee):
            continue
        calls = [c for e in edges for c in e.calls]
        has_contract = ctx.graph.services.get(callee) is not None and ctx.graph.services[callee].declared is not None
        resolutions = [Resolution(caller, f"{caller}: declare it under depends_on (timeout, retry, latency budget)")]
        if not has_contract:
            resolutions.append(Resolution(callee, f"{callee}: publish a contract for what {caller} calls (latency, idempotency)"))
        yield finding(
            "drift.undeclared-dependency",
            "warning",
            "DRIFT",
            services=(caller, callee),
            subject=callee,
            message=f"{caller} calls {callee} ({'; '.join(c.label for c in calls)}) but its contract does not declare it",
            sides=(
                Side(caller, "declares", f"no dependency on {callee}", (node.declared.location,)),
                Side(caller, "code", "; ".join(f"calls {c.label}, {c.timeout_text()}" for c in calls), tuple(c.location for c in calls)),
            ),
            impact=f"no check covers {caller} → {callee}: its latency, retries and idempotency are unchecked",
            resolutions=resolutions,
        )


@check("drift.missing-dependency", kind="drift", title="Declared dependency not in code")
def missing_dependency(ctx: CheckContext) -> Iterator[Finding]:
    """A ``depends_on`` entry of a service whose code was scanned matches no call in that code. Warning;
    info when some calls of the service go to targets the scan could not resolve (one may be it). ``DRIFT``."""
    for edge in ctx.graph.calls:
        if edge.declared is None or edge.calls:
            continue
        node = ctx.graph.services.get(edge.caller)
        if node is None or not node.has_code:
            continue
        own = ctx.inferred.calls_of(edge.caller)
        unresolved = [c for c in own if not c.callee and not c.host]
        others = sorted({e.operation or "*" for e in ctx.graph.calls_between(edge.caller, edge.callee) if e.calls})
        note = f"; its code calls {edge.callee} for {', '.join(others)}" if others else ""
        yield _edge_drift(
            "drift.missing-dependency",
            edge,
            "info" if unresolved else "warning",
            f"{edge.caller} declares a dependency on {edge.subject} but no call to it was found in its code{note}"
            + (f" ({len(unresolved)} call(s) go to targets the scan could not resolve)" if unresolved else ""),
            declares=(f"depends on {edge.subject}", (edge.declared.location,)),
            extra=[c.location for c in unresolved],
            impact="the contract promises a dependency nobody can find; checks about it describe no real call",
            fixes=("remove the entry if the call is gone", f"or make the call's target resolvable (a URL, or an env default naming {edge.callee})"),
        )


@check("drift.replica-read", kind="drift", title="Replica read under a freshness requirement")
def replica_read(ctx: CheckContext) -> Iterator[Finding]:
    """A service's code reads through a read replica the data for which its own contract declares
    ``freshness_required``, and the provider's declared freshness of that data (the replica's lag, worst
    case) breaks the requirement. Error, ``DRIFT``."""
    for edge in ctx.graph.reads:
        d, p = edge.declared, edge.provided
        if d is None or d.freshness_required is None or not edge.replica_reads or p is None or p.freshness is None:
            continue
        worst = p.freshness.worst_ms
        if worst is None or d.freshness_required.allows(worst):
            continue
        provider = edge.provider or d.source
        reads = edge.replica_reads
        yield read_finding(
            "drift.replica-read",
            "error",
            "DRIFT",
            edge,
            provider,
            Side(
                edge.reader,
                "code",
                "reads " + ", ".join(f"{r.label} through a replica" + (f" ({r.mechanism})" if r.mechanism else "") for r in reads),
                tuple(r.location for r in reads),
            ),
            Side(provider, "provides", offer_text(edge), (p.where("freshness"),)),
            message=f"{edge.reader} requires {edge.dataset} within {d.freshness_required} but its code reads it from {provider}'s replica, which lags up to {format_ms(worst)}",
            impact=f"{edge.reader}'s code cannot meet its own requirement ({d.freshness_required}) on every read",
            resolutions=(
                Resolution(edge.reader, f"{edge.reader}: read from the primary or an event stream"),
                Resolution(edge.reader, f"{edge.reader}: or relax the requirement to {format_ms(worst)}"),
            ),
        )


@check("drift.unconfirmed", kind="drift", title="Unconfirmed inferred entries")
def unconfirmed(ctx: CheckContext) -> Iterator[Finding]:
    """A service's contract has entries marked ``inferred: true``: ``contracts init`` wrote them from its
    code and no person has confirmed them yet. One finding per service, at every such entry. Info,
    ``UNVERIFIED``. (Other findings with a side that only such entries state are a severity lower.)"""
    for name in sorted(ctx.declared.contracts):
        contract = ctx.declared.contracts[name]
        entries = unconfirmed_entries(contract)
        if not entries:
            continue
        service = ctx.graph.resolve(name)
        labels = ", ".join(entry_label(e) for e in entries)
        yield finding(
            "drift.unconfirmed",
            "info",
            "UNVERIFIED",
            services=(service,),
            subject=service,
            message=f"{service}'s contract has {len(entries)} entries inferred from code that nobody has confirmed: {labels}",
            sides=(Side(service, "declares", f"inferred, unconfirmed: {labels}", tuple(e.location for e in entries)),),
            impact="these entries state what the code did when they were written, not what the team promises",
            resolutions=(
                Resolution(
                    service, f"{service}: check each entry against the code location in its comments, fill in its TODO lines, then delete `inferred: true`"
                ),
            ),
        )


def _code_fallbacks(edge: CallEdge) -> list[tuple[str, Location]]:
    """What the code falls back to on that edge: a default a surrounding try returns, or a circuit
    breaker's fallback (a breaker without one is no fallback: it fails fast)."""
    out = [(c.fallback, c.location) for c in edge.calls if c.fallback]
    out += [(b.fallback, b.location) for c in edge.calls for b in c.breakers if b.fallback]
    return list(dict.fromkeys(out))


@check("drift.fallback", kind="drift", title="Fallback drift")
def fallback_drift(ctx: CheckContext) -> Iterator[Finding]:
    """A ``depends_on`` entry declares a ``fallback`` and none of the code calls on that edge has one (no
    surrounding try that returns a default, no circuit breaker with a fallback): warning. The code falls
    back on an edge whose ``depends_on`` entry declares no ``fallback``: info. ``DRIFT``."""
    for edge in ctx.graph.calls:
        dep = edge.declared
        if dep is None or not edge.calls:
            continue
        code = _code_fallbacks(edge)
        if dep.fallback and not code:
            yield _edge_drift(
                "drift.fallback",
                edge,
                "warning",
                f"{edge.caller} declares the fallback {dep.fallback} for {edge.subject}; its code has none: a failed call fails the request",
                declares=(f"fallback {dep.fallback}", (dep.where("fallback"),)),
                code=("no fallback", tuple(c.location for c in edge.calls)),
                impact=f"when {edge.callee} fails or times out, {edge.caller} fails instead of falling back ({dep.fallback})",
                fixes=(
                    f"implement the fallback around the call ({dep.fallback}: a try that returns it, or a circuit breaker with a fallback)",
                    "or remove the fallback from the contract",
                ),
            )
        elif code and not dep.fallback:
            values = ", ".join(dict.fromkeys(v for v, _ in code))
            yield _edge_drift(
                "drift.fallback",
                edge,
                "info",
                f"{edge.caller}'s code falls back to {values} when {edge.subject} fails; its contract declares no fallback",
                declares=("no fallback", (dep.location,)),
                code=(f"fallback {values}", tuple(loc for _, loc in code)),
                impact=f"{edge.callee}'s owners cannot see that {edge.caller} degrades instead of failing",
                fixes=(f"declare the fallback (fallback: {values})",),
            )
