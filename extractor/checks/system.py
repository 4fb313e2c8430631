"""System checks: properties of call paths that no single pair of services shows.

Retries multiply along a path, and a caller's timeout means little when the callee may spend
longer on its own downstream calls. Values come from code when the code has the call (what
runs), else from the declared contract.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from ..contracts import match
from ..contracts.infer import CodeCall, CodeEndpoint
from ..contracts.model import Dependency, Location
from ..contracts.values import format_ms
from ..effective import MeshLayer, call_timeout, call_tries, mesh_timeout, mesh_tries
from ..environment.routes import route_takes
from ..graph import ROUTE_PREFIX, CallEdge, Sourced
from .base import CheckContext, Finding, Resolution, Side, check, edge_finding, finding


@dataclass(frozen=True)
class _Hop:
    """One edge of a call path, with the code calls of it that run on the path: all of them for the
    first edge; for a later one, those the handler of the previous edge's operation reaches. ``assumed``:
    reach was not known for that handler (no call index, or no handler found for the operation, or an
    edge from a declared dependency only), so every call of the edge counts."""

    edge: CallEdge
    calls: tuple[CodeCall, ...]
    assumed: bool = False

    def attempts(self) -> int | float | None:
        """The most attempts of the calls on the path, else the declared count, else 1 (None: unbounded),
        each multiplied by the tries of the mesh policies over the call (effective.py)."""
        if self.calls:
            values = [call_tries(c, self.edge.mesh.get(c.id, ())) for c in self.calls]
            return None if any(v is None for v in values) else _whole(max(v for v in values if v is not None))
        declared = self.edge.effective_attempts()
        return None if declared is None else _whole(declared * mesh_tries(self.edge.mesh.get("", ())))

    def mesh(self) -> list[MeshLayer]:
        """The mesh policies that retry the hop's calls."""
        found = [m for key in ([c.id for c in self.calls] or [""]) for m in self.edge.mesh.get(key, ()) if m.attempts is not None and m.attempts != 1]
        return list(dict.fromkeys(found))

    def locations(self) -> list[Location]:
        declared = self.edge.declared_attempts()
        out = [declared.location] if declared is not None else []
        mesh = [m.attempts_location or m.location for m in self.mesh()]
        return out + [(c.retries[0].location if c.retries else c.location) for c in self.calls] + mesh

    def shown(self) -> str:
        a = self.attempts()
        return "unbounded" if a is None else f"{a:g}"

    def through(self) -> str:
        """`` (×4 through istio VirtualService orders)``: the mesh policies that multiply the hop's tries."""
        parts = [f"×{m.attempts:g} through {m.mesh} {m.resource}" + (f" {m.name}" if m.name else "") for m in self.mesh() if m.attempts is not None]
        return f" ({', '.join(parts)})" if parts else ""


def reached_calls(ctx: CheckContext, edge: CallEdge) -> set[str] | None:
    """The ids of the calls the callee's handlers for this edge's operation reach (None: not known).
    The handlers are the endpoints the edge's calls target, else those matched by operation name."""
    return _reached_by(ctx, edge.provider_endpoints)


def _reached_by(ctx: CheckContext, endpoints: Iterable[CodeEndpoint]) -> set[str] | None:
    """The ids of the calls the handlers of ``endpoints`` reach (None: none, or one's reach not known)."""
    endpoints = tuple(endpoints)
    if not endpoints or not all(ep.id in ctx.inferred.handler_calls for ep in endpoints):
        return None
    return {cid for ep in endpoints for cid in ctx.inferred.handler_calls[ep.id]}


def _next_hop(ctx: CheckContext, inbound: _Hop, out: CallEdge) -> _Hop | None:
    """``out`` as the hop after ``inbound``: only its calls that the handler of the inbound operation
    reaches (None: it reaches none of them). An edge without code calls (declared only) is kept."""
    reached = _reached_by(ctx, _hop_endpoints(inbound))
    if reached is None or not out.calls:
        return _Hop(out, out.calls, assumed=True)
    calls = tuple(c for c in out.calls if c.id in reached)
    return _Hop(out, calls) if calls else None


def _hop_endpoints(hop: _Hop) -> tuple[CodeEndpoint, ...]:
    """The callee's endpoints the hop's calls target (the edge's, when they are all its calls or one
    targets no known endpoint), so that the handlers on the path are those they target."""
    if hop.calls == hop.edge.calls or not hop.calls or any(c.endpoint is None for c in hop.calls):
        return hop.edge.provider_endpoints
    endpoints = {c.endpoint.id: c.endpoint for c in hop.calls if c.endpoint is not None}
    return tuple(sorted(endpoints.values(), key=lambda e: e.id))


def iter_hop_paths(ctx: CheckContext, limit: int = 100_000) -> Iterator[list[_Hop]]:
    """Every simple call path from each service, in sorted order, at most ``limit`` of them. An edge out
    of a service follows an edge into it only when the handler of the inbound operation reaches one of
    the outbound edge's calls (where reach is known; else, conservatively, it always follows)."""
    out_edges: dict[str, list[CallEdge]] = {}
    for e in ctx.graph.calls:
        out_edges.setdefault(e.caller, []).append(e)
    count = 0

    def walk(path: list[_Hop], seen: set[str]) -> Iterator[list[_Hop]]:
        nonlocal count
        last = path[-1]
        if last.edge.external:
            return
        for e in out_edges.get(last.edge.callee, ()):
            if e.callee in seen:
                continue
            hop = _next_hop(ctx, last, e)
            if hop is None:
                continue
            count += 1
            if count > limit:
                return
            path.append(hop)
            yield list(path)
            yield from walk(path, seen | {e.callee})
            path.pop()

    for start in sorted(out_edges):
        for e in out_edges[start]:
            if e.callee == start:
                continue
            count += 1
            if count > limit:
                return
            first = [_Hop(e, e.calls)]
            yield first
            yield from walk(first, {start, e.callee})


def _as_path(ctx: CheckContext, part: list[_Hop]) -> list[_Hop]:
    """The edges of ``part`` (hops of a longer path) as a path of its own, from the first edge's caller:
    its first edge with every call, so each later hop has at least the calls it has in ``part``."""
    hops = [_Hop(part[0].edge, part[0].edge.calls)]
    for old in part[1:]:
        hops.append(_next_hop(ctx, hops[-1], old.edge) or old)
    return hops


def _handler_of(edge: CallEdge) -> str:
    return f"{edge.callee}'s handler for {edge.operation} is" if edge.operation else f"{edge.callee}'s handlers are"


def _tries(attempts: Iterable[int | float | None]) -> float:
    """Nested retries' tries: the product of their attempts (an unbounded one, None, makes it infinite)."""
    total = 1.0
    for a in attempts:
        total *= math.inf if a is None else a
    return total


def _whole(n: float) -> int | float:
    return int(n) if n == int(n) else round(n, 3)


def _product(hops: list[_Hop]) -> float:
    return _tries(h.attempts() for h in hops)


@check("system.retry-amplification", kind="retry-amplification", title="Retry amplification")
def retry_amplification(ctx: CheckContext) -> Iterator[Finding]:
    """Along every call path, the attempts of each call (code, else declared; unbounded retries count as
    infinite) multiply: one request at the start may cause that many calls at the end. A path goes on
    from a service only through those of its calls that its handler for the operation on the path
    reaches (the call index built from every file's summary, for every language); where that reach is not
    known (no handler found for the operation, or a dependency only declared), every call of the
    service counts, and the finding says which step was assumed. A path is reported when the product
    exceeds ``retry_amplification`` (config or ``--retry-amplification``, default 10) and no shorter part
    of it (without its first or last call, each counted as a path of its own) already does. Warning,
    ``AT_RISK``."""
    factor = ctx.retry_amplification
    for path in iter_hop_paths(ctx):
        total = _product(path)
        if total <= factor or _product(path[:-1]) > factor:
            continue
        if len(path) > 1 and _product(_as_path(ctx, path[1:])) > factor:
            continue  # the path without its first call is reported already
        names = [path[0].edge.caller] + [h.edge.callee for h in path]
        chain = " → ".join(f"{h.edge.caller}→{h.edge.callee} ×{'∞' if (a := h.attempts()) is None else f'{a:g}'}" for h in path)
        shown = "unbounded" if math.isinf(total) else f"{total:g}"
        assumed = [
            f"{_handler_of(prev.edge)} not known to reach the call to {h.edge.callee}, assumed it does" for prev, h in itertools.pairwise(path) if h.assumed
        ]
        note = f"; {'; '.join(assumed)}" if assumed else ""
        yield finding(
            "system.retry-amplification",
            "warning",
            "AT_RISK",
            services=tuple(dict.fromkeys(names)),
            subject=">".join(names),
            message=f"one request to {names[0]} may cause {shown} calls to {names[-1]} ({chain}); the limit is {factor:g}{note}",
            sides=tuple(Side(h.edge.caller, "does", f"calls {h.edge.subject} up to {h.shown()} times{h.through()}", tuple(h.locations())) for h in path),
            extra_locations=[loc for h in path for loc in h.locations()],
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
    doubt: bool = False  # a proxy route the caller's requests may take only because their path is not known


def _call_spend(c: CodeCall, mesh: tuple[MeshLayer, ...] = ()) -> _Spend:
    if mesh:
        return _mesh_spend(c, mesh)
    locations = (c.location,) + tuple(r.location for r in c.retries)
    if c.unbounded:
        return _Spend(None, f"{c.label} (no timeout)", locations)
    # a timeout that bounds the whole call (timeout_scope: call) bounds the retries the client makes
    # inside it too (policy scope ``client``); retries around the call still multiply it
    spans = c.timeout_scope == "call" and c.timeout_ms is not None
    inner = [r for r in c.retries if spans and r.scope == "client"]
    outer = [r for r in c.retries if r not in inner]
    attempts = c.attempts if not inner else _count(_tries(r.attempts for r in outer))
    if attempts is None:
        return _Spend(None, f"{c.label} (unbounded retries)", locations)
    if c.timeout_ms is None:
        return _Spend(0.0, c.label, ())
    delay = max((r.max_delay_ms or 0.0 for r in outer), default=0.0)
    total = attempts * c.timeout_ms + (attempts - 1) * delay
    within = ""
    if inner:
        tries = _count(_tries(r.attempts for r in inner))
        within = f" for the whole call, its client's {'retries' if tries is None else f'{tries} attempts'} included"
    if attempts == 1:
        detail = f"timeout {format_ms(c.timeout_ms)}{within}"
    else:
        detail = f"{attempts} attempts × {format_ms(c.timeout_ms)}{within}" + (f" + {attempts - 1} × {format_ms(delay)} backoff" if delay else "")
    return _Spend(total, f"{c.label} ({detail})", locations)


def _mesh_spend(c: CodeCall, mesh: tuple[MeshLayer, ...]) -> _Spend:
    """What one call may take under the mesh policies over it: each of its code tries ends at the tighter
    of the code's and the mesh's timeout (a mesh timeout covers the mesh's own retries); without either,
    the mesh's tries × its per-try timeout (effective.py)."""
    locations = (c.location,) + tuple(r.location for r in c.retries) + tuple(loc for m in mesh for loc in m.locations())
    timeout = call_timeout(c, mesh)
    if c.attempts is None:
        return _Spend(None, f"{c.label} (unbounded retries)", locations)
    if timeout is None:
        per_try = [m.per_try_timeout_ms for m in mesh if m.per_try_timeout_ms is not None]
        tries = call_tries(c, mesh)
        if not per_try or tries is None:
            return _Spend(None, f"{c.label} (no timeout)", locations)
        return _Spend(tries * min(per_try), f"{c.label} ({tries:g} tries × {format_ms(min(per_try))} per try, through the mesh)", locations)
    bound = mesh_timeout(mesh)
    by = f"{bound.mesh} {bound.resource}'s" if bound is not None and bound.timeout_ms == timeout else "its"
    return _Spend(c.attempts * timeout, f"{c.label} ({c.attempts} attempts × {format_ms(timeout)}, {by} timeout)", locations)


def _count(tries: float) -> int | None:
    return None if math.isinf(tries) else int(tries)


def _dep_spend(d: Dependency) -> _Spend:
    if d.timeout is None:
        return _Spend(0.0, d.service, ())
    attempts = d.retry.attempts if d.retry is not None and d.retry.enabled and d.retry.attempts else 1
    delay = d.retry.backoff.delay_ms if d.retry is not None and d.retry.backoff is not None and d.retry.backoff.delay_ms else 0.0
    total = attempts * d.timeout.ms + (attempts - 1) * delay
    return _Spend(total, f"{d.service}{'.' + d.operation if d.operation else ''} ({attempts} attempts × {format_ms(d.timeout.ms)})", (d.where("timeout"),))


def callee_spend(ctx: CheckContext, edge: CallEdge) -> tuple[_Spend | None, str]:
    """The worst single downstream call of the callee for this operation, and on what basis it was chosen."""
    own = tuple(c for c in ctx.inferred.calls_of(edge.callee) if not c.background)  # a key refresh on the library's schedule is no request's
    basis = "it makes"
    reachable = reached_calls(ctx, edge) if own else None
    doubtful: frozenset[str] = frozenset()
    if reachable is not None:
        own = tuple(c for c in own if c.id in reachable)
        basis = f"its handler {', '.join(sorted({ep.handler or ep.label for ep in edge.provider_endpoints}))} reaches"
    else:  # no call graph: every call of the callee, but not its calls to itself (a bundled client or
        own = tuple(c for c in own if c.callee != edge.callee)  # smoke test is not downstream of its handlers)
        taken, doubtful = taken_calls(ctx, edge, own)
        if len(taken) < len(own):
            basis = "it makes on the paths the caller requests"
        own = taken
    if own:
        mesh = {cid: layers for e in ctx.graph.calls_from(edge.callee) for cid, layers in e.mesh.items()}
        spends = [replace(_call_spend(c, mesh.get(c.id, ())), doubt=c.id in doubtful) for c in own]
    else:
        node = ctx.graph.services.get(edge.callee)
        if node is None or node.declared is None or node.has_code:
            return None, basis
        spends = [_dep_spend(d) for d in node.declared.depends_on]
        basis = "it declares"
    spends = [s for s in spends if s.ms is None or s.ms > 0]
    if not spends:
        return None, basis
    worst = max(spends, key=lambda s: (math.inf if s.ms is None else s.ms, not s.doubt))  # of equals, a certain one
    return worst, "of a route the caller's requests may take (their path is not known)" if worst.doubt else basis


def taken_calls(ctx: CheckContext, edge: CallEdge, own: tuple[CodeCall, ...]) -> tuple[tuple[CodeCall, ...], frozenset[str]]:
    """The callee's calls that the caller's requests on ``edge`` may lead to, where the handlers'
    reach is not known for the edge as a whole, and the ids of those counted only in doubt.

    A proxy route (a ``proxy_route`` call) counts when its match takes one of the caller's request
    paths; when a call's path is not known, every other route counts too, in doubt. A call in code
    is left out when only handlers the caller's paths never reach reach it (the callee's endpoints
    each call may hit, by method and path: a leading ``{base}`` of a served path may be empty); when
    a path is not known, or a handler it may hit has no known reach, nothing is left out. An edge
    with no code calls (declared only), or one of another proxy's routes, keeps every call."""
    if not edge.calls or any(c.id.startswith(ROUTE_PREFIX) for c in edge.calls):  # a proxy's route forwards every path its match takes
        return own, frozenset()
    paths = [c.path for c in edge.calls if c.protocol == "http" and c.path is not None and _known_path(c.path)]
    unknown = len(paths) < len(edge.calls)
    routes = [c for c in own if c.id.startswith(ROUTE_PREFIX)]
    taken = {c.id for c in routes if any(route_takes(c.route_match, p) for p in paths)}
    doubtful = frozenset(c.id for c in routes if c.id not in taken) if unknown else frozenset()
    left_out = {c.id for c in routes if c.id not in taken and not unknown} | _untaken_handlers(ctx, edge)
    return tuple(c for c in own if c.id not in left_out), doubtful


def _untaken_handlers(ctx: CheckContext, edge: CallEdge) -> set[str]:
    """The ids of the callee's calls that only handlers the edge's calls never hit reach (taken_calls)."""
    endpoints = ctx.inferred.endpoints_of(edge.callee)
    hit: set[str] = set()
    for c in edge.calls:
        if c.endpoint is not None:
            hit.add(c.endpoint.id)
        elif c.protocol == "http" and _known_path(c.path):
            found = {ep.id for ep in endpoints if _may_hit(c, ep)}
            if not found:  # a path no endpoint is known to serve: which handler runs is not known
                return set()
            hit |= found
        else:
            return set()
    if any(ep_id not in ctx.inferred.handler_calls for ep_id in hit):
        return set()
    reached = {cid for ep_id in hit for cid in ctx.inferred.handler_calls[ep_id]}
    others = {cid for ep in endpoints if ep.id not in hit for cid in ctx.inferred.handler_calls.get(ep.id, ())}
    return others - reached


def _known_path(path: str | None) -> bool:
    """Whether a called path is known enough to tell routes apart: absolute, its first segment not a value."""
    return path is not None and path.startswith("/") and not path.startswith("/{")


def _may_hit(call: CodeCall, ep: CodeEndpoint) -> bool:
    """Whether an HTTP call may be served by the endpoint: method and path (a served path's leading
    ``{base}`` prefix, such as Go's ``baseUrl + "/cart"``, may be empty)."""
    if ep.method == "GRPC" or not match.methods_match(call.method, ep.method):
        return False
    return match.paths_match(call.path, ep.path) or match.paths_match(call.path, match.url_path(ep.path))


@check("system.timeout-inversion", kind="timeout-inversion", title="Timeout inversion")
def timeout_inversion(ctx: CheckContext) -> Iterator[Finding]:
    """A caller's timeout for a service (declared or in code) is shorter than what the callee may spend on
    one of its own downstream calls: attempts × timeout + (attempts - 1) × the policy's maximum backoff
    delay, a call without timeout being unbounded. Downstream calls are those the callee's handler for
    the operation reaches (the call index built from every file's summary, for every language), else,
    where that reach is not known, all calls of the callee (from code, else its declared dependencies;
    never a call the library makes on its own schedule, ``schedule: background``)
    but those that only handlers the caller's request paths never hit reach, and of a proxy only the
    routes whose match takes one of the caller's paths (``taken_calls``); the finding says which ("a
    call its handler ... reaches" / "it makes" / "it makes on the paths the caller requests" / "it
    declares"). Warning, ``AT_RISK``; info when it rests on a proxy route the caller's requests take
    only if their path, which is not known, fits it ("a call of a route the caller's requests may take")."""
    for edge in ctx.graph.calls:
        if edge.external:
            continue
        timeouts = [t for t in _effective_timeouts(edge) if t.value is not None]
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
            "info" if spend.doubt else "warning",
            "AT_RISK",
            edge,
            message=f"{caller} gives {edge.subject} {', '.join(f'{format_ms(t.value)} ({_origin(t)})' for t in bad)}, but {callee} may spend {spent} on one downstream call: {spend.what}",
            sides=(
                Side(caller, "expects", "a response within " + ", ".join(f"{format_ms(t.value)} ({_origin(t)})" for t in bad), tuple(t.location for t in bad)),
                Side(callee, "does", f"may spend {spent} on {spend.what}, a call {basis}", spend.locations),
            ),
            extra_locations=[e.location for e in edge.provider_endpoints],
            impact=f"{caller} gives up (and may retry) while {callee} is still working: wasted work, duplicate side effects",
            resolutions=(
                Resolution(callee, f"{callee}: bound its downstream call so that timeout × attempts + backoff stays under {format_ms(shortest)}"),
                Resolution(
                    caller,
                    f"{caller}: propagate a deadline to {callee}"
                    + (f", or allow more than {spent}" if spend.ms is not None else f" (no timeout of {caller}'s can cover an unbounded call)"),
                ),
            ),
        )


def _origin(t: Sourced) -> str:
    return t.location.rule.partition(".")[2] if t.location.rule.startswith("mesh.") else t.origin


def _effective_timeouts(edge: CallEdge) -> list[Sourced]:
    """The edge's timeouts, a code call's replaced by the mesh's when the mesh ends the request first."""
    out = [t for t in edge.timeouts() if t.origin == "declared"]
    for c in edge.calls:
        bound = mesh_timeout(edge.mesh.get(c.id, ()))
        if bound is not None and bound.timeout_ms is not None and (c.timeout_ms is None or bound.timeout_ms < c.timeout_ms):
            out.append(Sourced(bound.timeout_ms, bound.timeout_location or bound.location, f"{bound.mesh} {bound.resource} timeout"))
        elif c.unbounded:
            out.append(Sourced(None, c.location, "no timeout"))
        elif c.timeout_ms is not None:
            out.append(Sourced(float(c.timeout_ms), c.location, c.timeout_detail))
    return out


def _reaches_any(ctx: CheckContext, inbound: CallEdge, calls: list[CodeCall]) -> bool:
    """Whether the callee's handler for ``inbound`` reaches one of ``calls`` (True when not known)."""
    reached = reached_calls(ctx, inbound)
    return reached is None or any(c.id in reached for c in calls)


def callers_timeouts(ctx: CheckContext, service: str, calls: list[CodeCall]) -> list[float]:
    """The timeouts ``service``'s callers in the repository give it (declared and in code), counting only the
    operations whose handler reaches one of ``calls`` (all of them where reach is not known)."""
    return [
        t.value for e in ctx.graph.calls if e.callee == service and not e.external and _reaches_any(ctx, e, calls) for t in e.timeouts() if t.value is not None
    ]


@check("system.missing-timeout", kind="missing-timeout", title="Missing timeout")
def missing_timeout(ctx: CheckContext) -> Iterator[Finding]:
    """A call in code to another service or an external host has no timeout at all (the library waits
    forever by default). One finding per caller and target. The resolution suggests a bound below the
    shortest timeout the caller's own callers give it, counting only the operations whose handler
    reaches the call (all of them where reach is not known). Warning, ``AT_RISK``."""
    for edge in ctx.graph.calls:
        unbounded = [c for c in edge.calls if c.unbounded]
        if not unbounded or edge.caller == edge.callee:
            continue
        incoming = callers_timeouts(ctx, edge.caller, unbounded)
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
