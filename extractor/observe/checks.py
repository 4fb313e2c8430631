"""Checks of what runs against what is written: observed latency, timeouts, retries and edges
(``contracts observe``). They run only with observations (``ObservedContext``); ``contracts check``
alone reports none of them. Every finding names the export and the time window it rests on, and
the sample size, beside the contract and code locations it concerns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..checks.base import CheckContext, Finding, Resolution, Side, check, code_locations, edge_finding, finding
from ..contracts.match import paths_match, same_name
from ..contracts.model import Location, ProvidedOperation
from ..contracts.values import format_ms
from ..effective import MeshLayer, call_tries, mesh_tries
from ..graph import CallEdge
from .model import Observations, ObservedEdge, ObservedOperation

MIN_CALLS = 5
"""Fewer observed calls than this say nothing about a percentile: no finding rests on them."""

TOLERANCE = 0.1
"""An observed value exceeds a declared one only when it is more than 10 % above it: the sketch's
1 % error and the noise of one window are not drift."""


@dataclass(frozen=True)
class ObservedContext(CheckContext):
    """A check context with what the telemetry showed."""

    observed: Observations | None = None


def _observed(ctx: CheckContext) -> Observations | None:
    return ctx.observed if isinstance(ctx, ObservedContext) else None


def _observed_edges(ctx: CheckContext) -> Iterator[tuple[Observations, CallEdge]]:
    """The graph's call edges between two services of the scan, each with the observations (none
    without observations): what the edge checks compare."""
    observed = _observed(ctx)
    if observed is None:
        return
    for edge in ctx.graph.calls:
        if not edge.external:
            yield observed, edge


def edge_observations(edge: CallEdge, observed: Observations, static: list[CallEdge]) -> list[ObservedEdge]:
    """The observed edges of a static call edge: those between its two services whose operation (the
    server's route) matches one of its calls' paths or its provider's endpoints; when none does and
    the edge is the only one between its services, all of them."""
    found = [o for o in observed.edges_between(edge.caller, edge.callee) if o.latency.count]
    paths = [c.path for c in edge.calls if c.path] + [e.path for e in edge.provider_endpoints if e.path]
    matched = [o for o in found if o.operation and any(paths_match(p, o.operation) or paths_match(o.operation, p) for p in paths)]
    if matched:
        return matched
    if len([e for e in static if e.caller == edge.caller and e.callee == edge.callee]) == 1:
        return found
    return []


def _edge_conflict(check_id: str, edge: CallEdge, hard: bool, **rest: Any) -> Finding:
    """A finding on a call edge: error and ``BLOCKS_INTEGRATION`` when ``hard``, else warning and ``AT_RISK``."""
    return edge_finding(check_id, "error" if hard else "warning", "BLOCKS_INTEGRATION" if hard else "AT_RISK", edge, **rest)


def _observed_side(service: str, what: str, observed: Observations) -> Side:
    return Side(service, "does", f"{what} (observed {observed.evidence()})")


def _slowest(edges: list[ObservedEdge], p: float) -> ObservedEdge | None:
    enough = [o for o in edges if o.latency.count >= MIN_CALLS and o.latency.at(p) is not None]
    return max(enough, key=lambda o: o.latency.at(p) or 0.0, default=None)


@check("observed.budget", kind="observed", title="Observed latency breaks the budget")
def observed_budget(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's declared ``latency_budget`` is compared with the latency its calls to the provider
    were observed to take (client spans, at least 5 calls), percentile by percentile (p50, p95, p99).
    Error when ``acceptable`` or ``maximum`` is broken (``BLOCKS_INTEGRATION``), warning when only
    ``target`` is (``AT_RISK``); the message gives the sample size and the time window."""
    for observed, edge in _observed_edges(ctx):
        budget = edge.declared.latency_budget if edge.declared is not None else None
        if budget is None:
            continue
        seen = edge_observations(edge, observed, ctx.graph.calls)
        broken = []
        for level, limits in budget.levels():
            for limit in limits.entries:
                o = _slowest(seen, limit.p)
                value = o.latency.at(limit.p) if o is not None else None
                if o is not None and value is not None and not limit.allows(value):
                    broken.append((level, limit, o, value))
        if not broken:
            continue
        broken.sort(key=lambda b: (("acceptable", "maximum", "target").index(b[0]), b[1].p))
        hard = any(level != "target" for level, *_ in broken)
        level, limit, o, value = broken[0]
        consumer, provider = edge.caller, edge.callee
        yield _edge_conflict(
            "observed.budget",
            edge,
            hard,
            message=f"{consumer} budgets {limit} for {edge.subject}; its calls took p{limit.p:g} = {format_ms(round(value))} over {o.latency.count} calls ({observed.evidence()})",
            sides=(
                Side(consumer, "expects", ", ".join(f"{lim} ({lvl})" for lvl, lim, _, _ in broken), tuple(budget.where(lvl) for lvl, *_ in broken)),
                _observed_side(provider, o.latency.text(), observed),
            ),
            extra_locations=code_locations(edge),
            impact=f"{consumer} requests that call {provider} miss their latency budget ({level}: {limit}) in production, not only on paper",
            resolutions=(
                Resolution(provider, f"{provider}: bring {edge.subject} within {consumer}'s budget ({limit}) or offer a faster variant"),
                Resolution(
                    consumer, f"{consumer}: relax the budget to what runs (p{limit.p:g} = {format_ms(round(value))}) or take {provider} off the critical path"
                ),
            ),
        )


def _operation_latency(service: str, op: ProvidedOperation, observed: Observations) -> ObservedOperation | None:
    """The observed server-side latency of a declared operation: the observed operation of the same
    name or route, else the whole service when it shows a single operation."""
    ops = [o for o in observed.operations_of(service) if o.latency.count >= MIN_CALLS]
    named = [o for o in ops if o.operation and (same_name(o.operation, op.operation) or o.operation.rstrip("/").endswith("/" + op.operation))]
    if named:
        return max(named, key=lambda o: o.latency.count)
    if len({o.operation for o in ops}) == 1:
        return ops[0]
    return None


@check("observed.current", kind="observed", title="Observed latency above the declared current latency")
def observed_current(ctx: CheckContext) -> Iterator[Finding]:
    """A provider's declared ``latency.current`` is compared with its observed server-side latency for
    that operation (server spans or metrics, at least 5 calls): a percentile observed more than 10 %
    above the declared value is ``DRIFT`` (warning): the declared value is stale, and the checks that
    read it (``latency.budget``, ``latency.timeout``) reason on a latency that does not run."""
    observed = _observed(ctx)
    if observed is None:
        return
    for service, contract in sorted(ctx.declared.contracts.items()):
        for op in contract.provided_operations:
            current = op.latency.current if op.latency is not None else None
            if current is None or op.latency is None:
                continue
            seen = _operation_latency(service, op, observed)
            if seen is None:
                continue
            over = [(e, v) for e in current.entries if (v := seen.latency.at(e.p)) is not None and v > e.ms * (1 + TOLERANCE)]
            if not over:
                continue
            entry, value = max(over, key=lambda x: x[1] / x[0].ms if x[0].ms else 0)
            declared = ", ".join(f"{e.label}={format_ms(e.ms)}" for e in current.entries)
            yield finding(
                "observed.current",
                "warning",
                "DRIFT",
                services=(service,),
                subject=op.operation,
                message=f"{service} declares {entry.label}={format_ms(entry.ms)} for {op.operation} (current) but served {entry.label} = {format_ms(round(value))} over {seen.latency.count} calls ({observed.evidence()})",
                sides=(
                    Side(service, "declares", f"current: {declared}", (op.latency.where("current"),)),
                    _observed_side(service, f"{seen.operation or op.operation}: {seen.latency.text()} ({seen.latency.source})", observed),
                ),
                impact=f"the checks against {service}'s declared latency reason on a latency it does not deliver",
                resolutions=(
                    Resolution(service, f"{service}: update latency.current to the observed values (contracts init --from-traces) or fix what made it slower"),
                ),
            )


@check("observed.timeout", kind="observed", title="Timeout below the observed latency")
def observed_timeout(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's timeout for a call (declared ``timeout`` or the timeout in code) is compared with
    the provider's observed latency on that edge (the server spans its calls caused, at least 5):
    below the observed p95, at least 5 % of calls time out (error, ``BLOCKS_INTEGRATION``); below the
    p99 only, at least 1 % (warning, ``AT_RISK``). Observed timeouts on the edge are counted."""
    for observed, edge in _observed_edges(ctx):
        seen = edge_observations(edge, observed, ctx.graph.calls)
        provider = _provider_latency(edge, seen, observed)
        if provider is None:
            continue
        for p, severe in ((95.0, True), (99.0, False)):
            value = provider.latency.at(p)
            bad = [t for t in edge.timeouts() if t.value is not None and value is not None and t.value < value]
            if not bad:
                continue
            worst = min(bad, key=lambda t: t.value)
            timeouts = sum(o.latency.timeouts for o in seen)
            consumer, callee = edge.caller, edge.callee
            yield _edge_conflict(
                "observed.timeout",
                edge,
                severe,
                message=f"{consumer} times out on {edge.subject} after {format_ms(worst.value)} ({worst.origin}) but {callee} was observed at p{p:g} = {format_ms(round(value or 0))} over {provider.latency.count} calls ({observed.evidence()}); {timeouts} call(s) timed out",
                sides=(
                    Side(
                        consumer, "expects", "a response within " + ", ".join(f"{format_ms(t.value)} ({t.origin})" for t in bad), tuple(t.location for t in bad)
                    ),
                    _observed_side(callee, provider.latency.text(), observed),
                ),
                extra_locations=[e.location for e in edge.provider_endpoints],
                impact=f"at least {100 - p:g}% of {consumer}'s calls to {callee} time out and take the failure path",
                resolutions=(
                    Resolution(
                        consumer,
                        f"{consumer}: set the timeout above {callee}'s observed p99 ({format_ms(round(provider.latency.at(99.0) or 0))}) or plan for the failures",
                    ),
                    Resolution(callee, f"{callee}: serve {edge.subject} faster than {format_ms(worst.value)}"),
                ),
            )
            break


def _provider_latency(edge: CallEdge, seen: list[ObservedEdge], observed: Observations) -> ObservedOperation | None:
    """The callee's latency on this edge: its server spans below these calls are not separated from
    its others, so the operation the edge's observed calls reached (else the whole service)."""
    ops = {o.operation: o for o in observed.operations_of(edge.callee) if o.latency.source == "traces" and o.latency.count >= MIN_CALLS}
    reached = [ops[o.operation] for o in seen if o.operation in ops]
    if reached:
        return max(reached, key=lambda o: o.latency.at(95.0) or 0.0)
    whole = observed.service(edge.callee)
    return whole if whole is not None and whole.latency.count >= MIN_CALLS and seen else None


def expected_attempts(edge: CallEdge) -> tuple[float | None, float]:
    """The most calls one request of ``edge`` may make to the callee: each code call's attempts × the
    attempts of the mesh layers over it (``effective.call_tries``; without code calls the declared
    count, else 1, × the edge's mesh), and the mesh's share of it (1: no mesh retries). None: unbounded
    (a call retried without a limit, or a Linkerd retry budget, which bounds a share of all requests,
    not the tries of one)."""
    if any(layer.resource == "ServiceProfile" and (layer.attempts or 1.0) > 1 for layers in edge.mesh.values() for layer in layers):
        return None, 1.0
    if not edge.calls:
        base = edge.effective_attempts()
        mesh = mesh_tries(edge.mesh.get("", ()))
        return (None if base is None else base * mesh), mesh
    tries = [call_tries(c, edge.mesh.get(c.id, ())) for c in edge.calls]
    if any(t is None for t in tries):
        return None, 1.0
    most = max(t for t in tries if t is not None)
    return most, max(mesh_tries(edge.mesh.get(c.id, ())) for c in edge.calls)


def _count(v: float) -> str:
    return f"{v:g}"


def _mesh_names(layers: list[MeshLayer]) -> str:
    return ", ".join(sorted({f"{layer.mesh} {layer.resource} {layer.name or ''}".strip() for layer in layers}))


@check("observed.retries", kind="observed", title="More attempts observed than written")
def observed_retries(ctx: CheckContext) -> Iterator[Finding]:
    """The most attempts observed for one call (client spans for the same operation under one parent
    span) is compared with the attempts that may run: the code's (else the declared ``retry``, else 1)
    times the retries of the service-mesh policies over the call (the edge's effective policy,
    ``extractor/effective.py``: 3 code attempts through an Istio route retrying 3 times may make 12
    calls). More observed attempts mean a layer neither the code nor the mesh shows retries too (a
    client library, a proxy) and multiply the provider's load (warning, ``AT_RISK``). A Linkerd retry
    budget bounds a share of all requests, not the tries of one: such an edge is not compared."""
    for observed, edge in _observed_edges(ctx):
        expected, mesh = expected_attempts(edge)
        if expected is None:
            continue
        seen = [o for o in edge_observations(edge, observed, ctx.graph.calls) if o.max_attempts > expected]
        if not seen:
            continue
        o = max(seen, key=lambda x: x.max_attempts)
        consumer, provider = edge.caller, edge.callee
        written = edge.attempts()
        layers = [layer for layers in edge.mesh.values() for layer in layers if layer.attempts is not None and layer.attempts > 1]
        meshed = mesh > 1 and bool(layers)
        where = f"code × mesh ({_count(expected / mesh)} × {_count(mesh)})" if meshed else "code and contract"
        mesh_locations = tuple(loc for layer in layers for loc in layer.locations())
        yield edge_finding(
            "observed.retries",
            "warning",
            "AT_RISK",
            edge,
            message=f"{consumer} makes at most {_count(expected)} attempt(s) at {edge.subject} in {where}, but up to {o.max_attempts} were observed under one parent ({o.retried} of {o.parents} calls retried; {observed.evidence()})",
            sides=(
                Side(consumer, "code", f"{_count(expected / mesh)} attempt(s)", tuple(s.location for s in written)),
                *(
                    (Side(provider, "does", f"its mesh policy tries each request {_count(mesh)} times ({_mesh_names(layers)})", mesh_locations),)
                    if meshed
                    else ()
                ),
                _observed_side(consumer, f"up to {o.max_attempts} attempts per call, {o.retried} of {o.parents} calls retried", observed),
            ),
            extra_locations=code_locations(edge) + list(mesh_locations),
            impact=f"{provider} receives up to {o.max_attempts}× the calls {consumer} means to make; retry amplification is computed on fewer attempts than run",
            resolutions=(Resolution(consumer, f"{consumer}: find the layer that retries (client library defaults, mesh, proxy) and declare or remove it"),),
        )


@check("observed.unknown-edge", kind="observed", title="Call observed that the static graph lacks")
def observed_unknown_edge(ctx: CheckContext) -> Iterator[Finding]:
    """A call between two services of the scan seen at run time (a client span answered by the other
    service's server span, or naming it as its peer, or a metric naming both sides: Istio, Linkerd,
    OpenTelemetry's client duration) with no call edge between them in the static
    graph: the scan missed the call site (a URL built at run time, a client the rules do not know) or
    it comes from code outside the services (warning, ``UNVERIFIED``)."""
    observed = _observed(ctx)
    if observed is None:
        return
    static = {(e.caller, e.callee) for e in ctx.graph.calls}
    pairs: dict[tuple[str, str], list[ObservedEdge]] = {}
    for o in observed.edges:
        if o.internal and (o.caller, o.callee) not in static:
            pairs.setdefault((o.caller, o.callee), []).append(o)
    for (caller, callee), found in sorted(pairs.items()):
        calls = sum(o.latency.count for o in found)
        ops = ", ".join(sorted({o.operation or "?" for o in found}))
        yield finding(
            "observed.unknown-edge",
            "warning",
            "UNVERIFIED",
            services=(caller, callee),
            subject=callee,
            message=f"{caller} was observed calling {callee} ({ops}; {calls} calls, {observed.evidence()}) but the scan found no such call in {caller}'s code",
            sides=(_observed_side(caller, f"calls {callee}: {ops}, {calls} calls", observed),),
            extra_locations=_contract_documents(ctx, caller, callee),
            impact=f"no timeout, retry or budget of {caller} → {callee} is checked: the edge is invisible to every static check",
            resolutions=(
                Resolution(caller, f"{caller}: declare the dependency on {callee} in its contract (depends_on), or make the call site visible to the scan"),
            ),
        )


def _contract_documents(ctx: CheckContext, *services: str) -> list[Location]:
    """The ``service:`` lines of the services' contract documents: where an undeclared edge would be declared."""
    return [loc for name in services if (c := ctx.declared.get(name)) is not None for loc in c.documents]


@check("observed.unseen-edge", kind="observed", title="Static call never observed")
def observed_unseen_edge(ctx: CheckContext) -> Iterator[Finding]:
    """A call edge of the static graph between two services whose caller was observed (it served
    requests or made calls in the window) but never this call: dead code, a path the traffic of the
    window did not take, or a call that goes elsewhere at run time (info, ``UNVERIFIED``)."""
    for observed, edge in _observed_edges(ctx):
        if not edge.calls or not observed.seen(edge.caller):
            continue
        if observed.edges_between(edge.caller, edge.callee):
            continue
        yield edge_finding(
            "observed.unseen-edge",
            "info",
            "UNVERIFIED",
            edge,
            message=f"{edge.caller} calls {edge.subject} in code, but no such call was observed ({observed.evidence()})",
            sides=(Side(edge.caller, "code", f"calls {edge.subject}", tuple(c.location for c in edge.calls)),),
            extra_locations=(edge.declared.location,) if edge.declared is not None else (),
            impact="the call's contract is checked against code only; nothing shows how it behaves when it runs",
            resolutions=(Resolution(edge.caller, f"{edge.caller}: exercise the call (a test, a synthetic request) or remove it if it is dead"),),
        )
