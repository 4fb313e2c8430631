"""Budgets along a request: what one request to an entry point may spend waiting on its downstream calls.

A handler's downstream calls run one after the other unless the code runs them at the same time:
sequential calls add up, and the calls of one function started by a fan-out call (``asyncio.gather``,
an executor's ``submit``, ``Promise.all``, ``Task.WhenAll``, ``CompletableFuture.supplyAsync``, an
errgroup's ``Go``: the callee names are rule data, ``rules/fan-out.json``) count as the slowest of them.
One call may take its timeout × attempts + the backoff between them, under the mesh policies over it
(``system._call_spend``, from the effective policy of ``effective.py``).

The calls a handler makes are those its functions reach (``extractor.reach``, the scan's call index);
a call inside a fan-out is one whose line lies in the fan-out call's span, or that a function called or
passed there reaches. A call in a loop counts once (the number of iterations is not known).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from ..catalog import default_rules_dir
from ..contracts import match
from ..contracts.infer import CodeCall, CodeEndpoint
from ..contracts.model import Location, ProvidedOperation
from ..contracts.values import format_ms
from .base import CheckContext, Finding, Resolution, Side, check, finding
from .system import _call_spend, _Spend

FAN_OUT_FILE = "fan-out.json"


@cache
def fan_out_callees() -> frozenset[str]:
    """The callee names of ``rules/fan-out.json``, every language's."""
    data = json.loads((default_rules_dir() / FAN_OUT_FILE).read_text("utf-8"))
    return frozenset(name for key, names in data.items() if key != "description" for name in names)


def is_fan_out(callee: str | None) -> bool:
    """Whether a call site's resolved callee is a fan-out call (the name, or a longer one ending in
    it); a method of what a call returns (``concurrent.futures.ThreadPoolExecutor().submit``) is
    also the method of that type (``concurrent.futures.ThreadPoolExecutor.submit``)."""
    if not callee:
        return False
    names = fan_out_callees()
    return any(c in names or any(c.endswith("." + n) for n in names if "." in n) for c in dict.fromkeys((callee, callee.replace("().", "."))))


@dataclass(frozen=True)
class RequestCost:
    """The most one request to a handler may wait on downstream calls (None: unbounded), and how."""

    ms: float | None
    parts: tuple[str, ...]
    locations: tuple[Location, ...]
    unknown: tuple[CodeCall, ...]  # calls whose timeout is not known (not counted)
    worst: _Spend | None  # the single slowest call


def _key(spend: _Spend) -> float:
    return math.inf if spend.ms is None else spend.ms


def _add(values: Iterable[float | None]) -> float | None:
    total = 0.0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _branches(ctx: CheckContext, service: str, reach: frozenset[tuple[str, str]], calls: tuple[CodeCall, ...]) -> list[list[list[CodeCall]]]:
    """Per function of the handler that fans out: its branches, each the calls that run in it."""
    index = ctx.call_index.services.get(service) if ctx.call_index is not None else None
    if index is None:
        return []
    by_scope: dict[tuple[str, str], list[CodeCall]] = {}
    for c in calls:
        by_scope.setdefault((c.location.file, c.scope), []).append(c)

    def reached(start: Iterable[tuple[str, str]]) -> list[CodeCall]:
        keys = index.reachable(start) & reach
        return [c for k in sorted(keys) for c in by_scope.get(k, ())]

    groups: list[list[list[CodeCall]]] = []
    for key in sorted(reach):
        path, qualname = key
        for fn in index.functions.get(key, ()):
            spans = [s for s in fn.calls if is_fan_out(s.callee)]
            if not spans:
                continue
            branches: list[list[CodeCall]] = []
            for span in spans:
                first, last = span.line, span.end_line or span.line
                branches += [[c] for c in by_scope.get(key, ()) if first <= c.location.line <= last]
                # the functions passed to the fan-out call (executor.submit(fetch)), each a branch
                branches += [reached([k]) for passed in span.functions for k in index.by_full.get(passed, ())]
                for site in fn.calls:
                    if first <= site.line <= last and not is_fan_out(site.callee):
                        targets = index.resolve(site, path)
                        if targets:
                            branches.append(reached(targets))
                literals = (
                    [(path, f.qualname) for f in index.files[path].functions if f.parent == qualname and first <= f.line <= last] if path in index.files else []
                )
                branches += [reached([lit]) for lit in literals]
            branches = [b for b in branches if b]
            if branches:
                groups.append(branches)
    return groups


def request_cost(ctx: CheckContext, endpoints: tuple[CodeEndpoint, ...]) -> RequestCost | None:
    """What one request to these endpoints' handlers may wait on downstream calls, the worst of them
    (None: no handler whose reach is known)."""
    worst: RequestCost | None = None
    for ep in endpoints:
        cost = _endpoint_cost(ctx, ep)
        if cost is not None and (worst is None or (math.inf if cost.ms is None else cost.ms) > (math.inf if worst.ms is None else worst.ms)):
            worst = cost
    return worst


def _endpoint_cost(ctx: CheckContext, ep: CodeEndpoint) -> RequestCost | None:
    ids = ctx.inferred.handler_calls.get(ep.id)
    if ids is None:
        return None
    calls = tuple(c for c in ctx.inferred.calls_of(ep.service) if c.id in ids and c.callee != ep.service)
    mesh = {cid: layers for e in ctx.graph.calls_from(ep.service) for cid, layers in e.mesh.items()}
    spends = {c.id: _call_spend(c, mesh.get(c.id, ())) for c in calls}
    reach = ctx.call_index.handler_reach(ep.service, ep.location.file, ep.handler, ep.location.line) if ctx.call_index is not None else None
    groups = _branches(ctx, ep.service, reach, calls) if reach else []
    parallel = {c.id for g in groups for b in g for c in b}
    parts: list[str] = []
    values: list[float | None] = []
    for c in calls:
        if c.id not in parallel and (spends[c.id].ms is None or spends[c.id].ms):
            parts.append(spends[c.id].what)
            values.append(spends[c.id].ms)
    for g in groups:
        costs = [(_add(spends[c.id].ms for c in b), b) for b in g]
        slowest = max(costs, key=lambda cb: math.inf if cb[0] is None else cb[0])
        if slowest[0] == 0.0:
            continue
        shown = " + ".join(spends[c.id].what for c in slowest[1])
        parts.append(f"at the same time ({len(g)} branches), the slowest: {shown}")
        values.append(slowest[0])
    counted = [s for s in spends.values() if s.ms is None or s.ms]
    locations = tuple(dict.fromkeys(loc for s in counted for loc in s.locations))
    unknown = tuple(c for c in calls if spends[c.id].ms == 0.0)
    return RequestCost(_add(values), tuple(parts), locations, unknown, max(counted, key=_key) if counted else None)


def _operation_endpoints(ctx: CheckContext, service: str, op: ProvidedOperation) -> tuple[CodeEndpoint, ...]:
    return tuple(ep for ep in ctx.inferred.endpoints_of(service) if match.operation_matches_endpoint(op.operation, ep.handler, ep.path))


def _operations(ctx: CheckContext) -> Iterator[tuple[str, ProvidedOperation, tuple[CodeEndpoint, ...]]]:
    for service in sorted(ctx.declared.contracts):
        for op in ctx.declared.contracts[service].provided_operations:
            endpoints = _operation_endpoints(ctx, service, op)
            if endpoints:
                yield service, op, endpoints


def _callees(ctx: CheckContext, cost: RequestCost, service: str) -> tuple[str, ...]:
    names = {c.callee or c.host for c in ctx.inferred.calls_of(service) if c.location in cost.locations}
    return tuple(sorted(n for n in names if n))


def _not_counted(cost: RequestCost) -> str:
    if not cost.unknown:
        return ""
    return f"; not counted, their timeout not known: {', '.join(c.label for c in cost.unknown)}"


@check("latency.request-budget", kind="latency", title="Request budget exceeded")
def total_budget(ctx: CheckContext) -> Iterator[Finding]:
    """An operation's ``latency_budget.total`` (the end-to-end budget of one request to it) is compared
    with what its handler may wait on downstream calls: the sum of its sequential calls, each timeout ×
    attempts + the backoff between attempts (a call without a timeout makes it unbounded), the calls of
    one function started by a fan-out call (``rules/fan-out.json``) counted as the slowest of them. The
    handler's calls are those its functions reach (the call index); an operation whose handler is not
    found, or whose reach is not known, is not checked. Warning, ``AT_RISK``."""
    for service, op, endpoints in _operations(ctx):
        budget = op.latency_budget
        if budget is None or budget.total is None:
            continue
        cost = request_cost(ctx, endpoints)
        if cost is None or (cost.ms is not None and cost.ms <= budget.total.ms):
            continue
        limit = format_ms(budget.total.ms)
        spent = "unbounded time" if cost.ms is None else format_ms(cost.ms)
        handlers = ", ".join(sorted({ep.label for ep in endpoints}))
        resolutions = [
            Resolution(service, f"{service}: run independent calls at the same time, or lower their timeouts and retries so that the worst case fits {limit}"),
            Resolution(service, f"{service}: propagate the remaining budget to each call as its deadline"),
        ]
        if cost.worst is not None:
            resolutions.append(Resolution(service, f"{service}: take the slowest call off the request path (asynchronous, with a fallback): {cost.worst.what}"))
        yield finding(
            "latency.request-budget",
            "warning",
            "AT_RISK",
            services=(service, *_callees(ctx, cost, service)),
            subject=op.operation,
            message=f"{service}'s {op.operation}{'' if handlers == op.operation else f' ({handlers})'} has {limit} in total, but may wait {spent} on downstream calls: {'; '.join(cost.parts)}{_not_counted(cost)}",
            sides=(
                Side(service, "expects", f"one request to {op.operation} within {limit} in total", (budget.where("total"),)),
                Side(service, "code", f"{handlers} may wait {spent}: {'; '.join(cost.parts)}", cost.locations),
            ),
            extra_locations=[ep.location for ep in endpoints],
            impact=f"when its downstream services are slow, {service}'s {op.operation} requests take longer than {limit} and its own callers give up",
            resolutions=resolutions,
        )


@check("latency.provider-promise", kind="latency", title="Promised latency below own downstream waits")
def provider_promise(ctx: CheckContext) -> Iterator[Finding]:
    """A provider's promised latency for an operation (``latency.target``, its highest percentile) is
    compared with what its handler may wait on downstream calls, counted as for ``latency.request-budget``: a
    provider promising p99 < 200ms while it may wait 3 s on one downstream call breaks its promise
    whenever that call is slow. A target that the operation's declared ``latency.current`` already
    exceeds at some percentile is a plan whose gap is declared (``latency.budget`` and ``latency.timeout``
    compare its callers with it), not a promise kept today, and is left out. Warning, ``AT_RISK``."""
    for service, op, endpoints in _operations(ctx):
        if op.latency is None or op.latency.target is None or not op.latency.target.entries or _declared_gap(op):
            continue
        top = max(op.latency.target.entries, key=lambda e: e.p)
        cost = request_cost(ctx, endpoints)
        if cost is None or (cost.ms is not None and cost.ms <= top.ms):
            continue
        promised = f"{top.label} {format_ms(top.ms)}"
        spent = "unbounded time" if cost.ms is None else format_ms(cost.ms)
        downstream = _callees(ctx, cost, service)
        yield finding(
            "latency.provider-promise",
            "warning",
            "AT_RISK",
            services=(service, *downstream),
            subject=op.operation,
            message=f"{service} promises {promised} for {op.operation}, but its handler may wait {spent} on downstream calls: {'; '.join(cost.parts)}{_not_counted(cost)}",
            sides=(
                Side(service, "provides", f"{op.operation}: {promised} (target)", (op.latency.where("target"),)),
                Side(service, "code", f"may wait {spent}: {'; '.join(cost.parts)}", cost.locations),
            ),
            extra_locations=[ep.location for ep in endpoints],
            impact=f"when {', '.join(downstream) or 'a downstream service'} is slow, {service} answers {op.operation} after {spent}, far beyond its {promised}: callers budgeting on the promise time out",
            resolutions=(
                Resolution(
                    service,
                    f"{service}: bound its downstream calls (timeout × attempts + backoff) below {format_ms(top.ms)}, with a fallback when they run out",
                ),
                Resolution(
                    service,
                    f"{service}: promise what it can keep" + (f" ({top.label} ≥ {spent})" if cost.ms is not None else "") + ", so that callers budget for it",
                ),
            ),
        )


def _declared_gap(op: ProvidedOperation) -> bool:
    """Whether the operation's declared ``current`` latency is above its ``target`` at a percentile both state."""
    latency = op.latency
    if latency is None or latency.current is None or latency.target is None:
        return False
    return any(e.p in latency.target and e.ms > latency.target[e.p].ms for e in latency.current.entries)
