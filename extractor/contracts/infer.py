"""Implicit contracts: what each service's code shows, in the same model as declared contracts.

A scan yields facts (calls, retries, endpoints, replica reads, ids, idempotency keys). This module
groups them per service into a ``ServiceContract`` whose every entry and field carries a code
``Location`` (``file:line`` and the rule id), so a check can compare a declared contract with the
code entry by entry, and ``contracts init`` can write the inferred contract out as YAML.

It also keeps the per-call detail a contract cannot hold (every call site, its retry policies, the
ids flowing into it, the endpoint it hits) for the dependency graph and the system checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..facts import Fact, ScanResult, Service
from ..kinds import CALL_KINDS, views
from ..kinds.views import CallView
from ..reach import CallIndex
from . import match
from .model import (
    DataDependency,
    Dependency,
    Location,
    OnTimeout,
    Operation,
    Provided,
    ProvidedEndpoint,
    ProvidedOperation,
    RetryPolicy,
    ServiceContract,
)
from .values import Backoff, Duration, format_ms

INFER_RULE = "infer"
"""The rule named by locations that stand for a whole inferred contract rather than one fact."""

_BACKOFF_KINDS = {"none": "none", "fixed": "constant", "exponential": "exponential", "exponential_jitter": "exponential"}
"""Fact backoff kinds → contract backoff kinds (``random`` has no contract word and is left out)."""


def fact_location(fact: Fact) -> Location:
    return Location(fact.file, fact.line, fact.rule)


# -- what code shows, one dataclass per fact kind ------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeRetry:
    """A retry policy covering a call; ``attempts`` counts the first try (None: unbounded or unknown)."""

    id: str
    mechanism: str | None
    attempts: int | None
    backoff: str | None
    max_delay_ms: float | None
    location: Location
    scope: str | None = None  # what it wraps: ``client`` — retries the client makes inside the call
    retry_on: tuple[str, ...] = ()  # what triggers a retry, as the fact says (``status:404``, exception types)
    retry_after: str | None = None  # honoured / ignored: whether it waits as a Retry-After header says (None: not known)


@dataclass(frozen=True, slots=True)
class CodeBreaker:
    id: str
    mechanism: str | None
    fallback: str | None
    location: Location


@dataclass(frozen=True, slots=True)
class IdFlow:
    """An id generated in code and sent with a call (``sent_as``: ``field:transaction_id``, ``header:Idempotency-Key``)."""

    id: str
    generator: str | None
    variable: str | None
    inside_retry: bool
    sent_as: str
    location: Location

    @property
    def name(self) -> str:
        """The field or header name the id is sent as."""
        return self.sent_as.split(":", 1)[-1]


@dataclass(frozen=True, slots=True)
class CodeEndpoint:
    """A route or RPC a service serves; ``operation`` is the handler's own name."""

    id: str
    service: str
    method: str | None
    path: str | None
    handler: str | None
    framework: str | None
    location: Location

    @property
    def operation(self) -> str | None:
        if self.method == "GRPC" and self.path:
            return self.path.rsplit("/", 1)[-1]
        return match.short_handler(self.handler) or (self.path if self.path else None)

    @property
    def label(self) -> str:
        return f"{self.method or 'ANY'} {self.path or '?'}"


@dataclass(frozen=True, slots=True)
class CodeCall:
    """One outbound call site and everything the scan linked to it."""

    id: str
    caller: str
    protocol: str  # http | grpc
    callee: str | None  # a service of the repository
    host: str | None
    method: str | None
    url: str | None
    path: str | None
    rpc: str | None
    timeout_ms: float | None
    timeout_source: str
    timeout_detail: str
    timeout_env: str | None
    attempts: int | None
    retries: tuple[CodeRetry, ...]
    timeout_scope: str | None  # ``call``: timeout_ms bounds the whole call, the client's own retries included
    breakers: tuple[CodeBreaker, ...]
    fallback: str | None
    ids: tuple[IdFlow, ...]
    scope: str
    location: Location
    endpoint: CodeEndpoint | None = None
    timeout_choices: tuple[float, ...] = ()  # a condition chooses among these (timeout_ms is the longest)
    route_match: str | None = None  # a proxy route's match (the paths it takes), as its configuration writes it
    route_proxy: str | None = None  # a proxy route's proxy (spring-cloud-gateway, nginx, ...: the fact's library)
    background: bool = False  # made on the library's own schedule (schedule: background), not by a request the service serves

    @property
    def operation(self) -> str | None:
        """The operation called: the handler of the endpoint hit, else the RPC name."""
        if self.endpoint is not None:
            return self.endpoint.operation
        return self.rpc

    @property
    def unbounded(self) -> bool:
        """The call can wait forever: no timeout at all."""
        return self.timeout_source == "none"

    @property
    def target(self) -> str:
        return self.callee or self.host or "unknown"

    @property
    def label(self) -> str:
        if self.protocol == "grpc":
            return f"{self.rpc or 'rpc'} {self.url or ''}".strip()
        return f"{self.method or 'CALL'} {self.url or '?'}"

    def timeout_text(self) -> str:
        if self.unbounded:
            return "no timeout"
        if self.timeout_ms is None:
            return f"timeout {self.timeout_detail or 'unknown'}"
        return f"timeout {format_ms(self.timeout_ms)}" + (f" ({self.timeout_detail})" if self.timeout_detail else "")


@dataclass(frozen=True, slots=True)
class ReplicaRead:
    id: str
    service: str
    source: str | None
    dataset: str | None
    mechanism: str | None
    evidence: str | None
    location: Location

    @property
    def label(self) -> str:
        return self.dataset or self.source or "replica"


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A handler de-duplicating requests on a key: it expects the key to be stable across retries."""

    id: str
    service: str
    key: str | None
    source: str | None
    store: str | None
    handler: str | None
    window_ms: float | None
    location: Location


@dataclass(frozen=True)
class InferredContracts:
    """Every service's implicit contract, plus the per-call detail behind it.

    ``contracts`` has an entry for every scanned service (empty when its code shows nothing);
    ``handler_calls`` maps an endpoint id to the ids of the calls its handler can reach, where the
    call graph could be followed (absent: unknown, assume any call of the service).
    """

    contracts: dict[str, ServiceContract]
    calls: tuple[CodeCall, ...] = ()
    endpoints: tuple[CodeEndpoint, ...] = ()
    replica_reads: tuple[ReplicaRead, ...] = ()
    idempotency_keys: tuple[IdempotencyKey, ...] = ()
    handler_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def calls_of(self, service: str) -> tuple[CodeCall, ...]:
        return tuple(c for c in self.calls if c.caller == service)

    def endpoints_of(self, service: str) -> tuple[CodeEndpoint, ...]:
        return tuple(e for e in self.endpoints if e.service == service)


# -- building ------------------------------------------------------------------------------------


def infer_contracts(result: ScanResult, root: Path | None = None) -> InferredContracts:
    """Build each service's implicit contract from a scan.

    Handlers are followed into the functions they call through the scan's call index
    (``result.call_index``, ``extractor.reach``); without one (hand-made facts) every call of a
    service counts for each of its operations. ``root`` is no longer read (kept for callers).
    """
    facts = sorted(result.facts, key=Fact.sort_key)
    by_id = {f.id: f for f in facts}
    endpoints = tuple(_endpoint(f) for f in facts if f.kind == "endpoint" and f.service)
    ep_by_service: dict[str, list[CodeEndpoint]] = {}
    for ep in endpoints:
        ep_by_service.setdefault(ep.service, []).append(ep)
    ids_by_call = _id_flows(facts)
    calls = tuple(_call(f, by_id, ids_by_call.get(f.id, ()), ep_by_service) for f in facts if f.kind in CALL_KINDS and f.service)
    replicas = tuple(_replica(f) for f in facts if f.kind == "replica_read" and f.service)
    keys = tuple(_idempotency(f) for f in facts if f.kind == "idempotency_key" and f.service)
    contracts = {s.name: _contract(s, calls, endpoints, replicas, keys) for s in sorted(result.services, key=lambda s: s.name)}
    handler_calls = _handler_calls(result.call_index, endpoints, calls) if result.call_index is not None else {}
    return InferredContracts(contracts, calls, endpoints, replicas, keys, handler_calls)


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _endpoint(f: Fact) -> CodeEndpoint:
    e = views.Endpoint.from_fields(f.fields)
    return CodeEndpoint(f.id, f.service or "", _text(e.method), _text(e.path), _text(e.handler), _text(e.framework), fact_location(f))


def _id_flows(facts: list[Fact]) -> dict[str, list[IdFlow]]:
    out: dict[str, list[IdFlow]] = {}
    for f in facts:
        if f.kind != "id_generation":
            continue
        made = views.IdGeneration.from_fields(f.fields)
        for flow in made.flows_to:
            if flow.call:
                out.setdefault(flow.call, []).append(
                    IdFlow(f.id, _text(made.generator), _text(made.variable), bool(made.inside_retry), str(flow.as_ or ""), fact_location(f))
                )
    return out


def _timeout_detail(call: CallView) -> str:
    source = call.timeout_source
    if source == "env_default":
        return f"default of env {call.timeout_env}"
    if source == "config" and call.timeout_env:
        return call.timeout_expr or f"env {call.timeout_env}"
    if source == "constant" and call.timeout_constant:
        return f"constant {call.timeout_constant}"
    if source == "library_default":
        return "library default"
    if source == "client_default":
        return "the client's default"
    if source == "dynamic":
        return f"from {call.timeout_expr or call.timeout_env or 'an expression'}"
    return ""


def _call(f: Fact, by_id: dict[str, Fact], ids: Iterable[IdFlow], endpoints: dict[str, list[CodeEndpoint]]) -> CodeCall:
    grpc = views.GrpcCall.from_fields(f.fields) if f.kind == "grpc_call" else None
    fields: CallView = grpc if grpc is not None else views.HttpCall.from_fields(f.fields)
    retries = []
    for rid in fields.retry_policies:
        p = by_id.get(rid)
        if p is not None:
            r = views.RetryPolicy.from_fields(p.fields)
            retries.append(
                CodeRetry(
                    p.id,
                    _text(r.mechanism),
                    r.attempts,
                    _text(r.backoff),
                    r.max_delay_ms,
                    fact_location(p),
                    _text(r.scope),
                    tuple(r.retry_on),
                    _text(r.retry_after),
                )
            )
    breakers = []
    for bid in fields.circuit_breakers:
        b = by_id.get(bid)
        if b is not None:
            cb = views.CircuitBreaker.from_fields(b.fields)
            breakers.append(CodeBreaker(b.id, _text(cb.mechanism), _text(cb.fallback), fact_location(b)))
    attempts = fields.retry_attempts  # 1 when no policy covers the call
    protocol = "grpc" if grpc is not None else "http"
    url = _text(fields.url)
    call = CodeCall(
        id=f.id,
        caller=f.service or "",
        protocol=protocol,
        callee=_text(fields.target.service),
        host=_text(fields.target.host),
        method=_text(fields.method),
        url=url,
        path=match.url_path(url) if protocol == "http" else None,
        rpc=_text(grpc.rpc) if grpc is not None else None,
        timeout_ms=fields.timeout_ms,
        timeout_source=str(fields.timeout_source or "none"),
        timeout_detail=_timeout_detail(fields),
        timeout_env=_text(fields.timeout_env),
        attempts=attempts if isinstance(attempts, int) else None,
        retries=tuple(retries),
        timeout_scope=_text(fields.timeout_scope),
        breakers=tuple(breakers),
        fallback=_text(fields.fallback),
        ids=tuple(sorted(ids, key=lambda i: (i.location.file, i.location.line, i.sent_as))),
        scope=f.scope,
        location=fact_location(f),
        route_match=_text(f.fields.get("match")) if f.kind == "proxy_route" else None,
        route_proxy=_text(f.fields.get("library")) if f.kind == "proxy_route" else None,
        background=f.fields.get("schedule") == "background",
        timeout_choices=tuple(float(ms) for ms in fields.timeout_choices_ms),
    )
    if call.callee and f.kind != "proxy_route":  # a route forwards every request its predicate matches, not one operation
        ep = find_endpoint(call, endpoints.get(call.callee, ()))
        if ep is not None:
            call = _with_endpoint(call, ep)
    return call


def _with_endpoint(call: CodeCall, ep: CodeEndpoint) -> CodeCall:
    return replace(call, endpoint=ep)


def _lower_first(name: str | None) -> str | None:
    return name[:1].lower() + name[1:] if name else name


def find_endpoint(call: CodeCall, endpoints: Iterable[CodeEndpoint]) -> CodeEndpoint | None:
    """The callee's endpoint a call hits: same method (or ANY) and a matching path, the most
    literal route first; for gRPC the endpoint ``Service/Method`` whose method is the RPC
    (``checkStock`` of a grpc-js client is ``CheckStock``: stubs spell a method's first letter in
    their language's case)."""
    if call.protocol == "grpc":
        rpc = _lower_first(call.rpc)
        for ep in endpoints:
            if ep.method == "GRPC" and rpc and _lower_first(ep.operation) == rpc:
                return ep
        return None
    hits = [ep for ep in endpoints if ep.method != "GRPC" and match.methods_match(call.method, ep.method) and match.paths_match(call.path, ep.path)]
    hits.sort(key=lambda ep: (match.segments(ep.path).count(match.PARAM), ep.method in (None, "ANY"), ep.location.file, ep.location.line))
    return hits[0] if hits else None


def _replica(f: Fact) -> ReplicaRead:
    r = views.ReplicaRead.from_fields(f.fields)
    return ReplicaRead(f.id, f.service or "", _text(r.source), _text(r.dataset), _text(r.mechanism), _text(r.evidence), fact_location(f))


def _idempotency(f: Fact) -> IdempotencyKey:
    k = views.IdempotencyKey.from_fields(f.fields)
    return IdempotencyKey(
        f.id, f.service or "", _text(k.key), _text(k.source), _text(k.store), _text(k.handler) or (f.scope or None), k.window_ms, fact_location(f)
    )


def _handler_calls(index: CallIndex, endpoints: tuple[CodeEndpoint, ...], calls: tuple[CodeCall, ...]) -> dict[str, tuple[str, ...]]:
    """Endpoint id → the ids of the calls made in the functions its handler reaches, for every
    language (``extractor.reach``); an endpoint whose handler is not a known function is left out."""
    out: dict[str, tuple[str, ...]] = {}
    for name in sorted({e.service for e in endpoints}):
        own = [c for c in calls if c.caller == name]
        for ep in endpoints:
            if ep.service != name:
                continue
            reach = index.handler_reach(name, ep.location.file, ep.handler, ep.location.line)
            if reach is None:
                continue
            out[ep.id] = tuple(c.id for c in own if c.scope and (c.location.file, c.scope) in reach)
    return out


# -- one service's contract ----------------------------------------------------------------------


def _contract(
    svc: Service, calls: tuple[CodeCall, ...], endpoints: tuple[CodeEndpoint, ...], replicas: tuple[ReplicaRead, ...], keys: tuple[IdempotencyKey, ...]
) -> ServiceContract:
    groups: dict[tuple[str, str | None], list[CodeCall]] = {}
    for c in calls:
        if c.caller == svc.name and c.callee:
            groups.setdefault((c.callee, c.operation), []).append(c)
    depends_on = tuple(_dependency(service, op, group) for (service, op), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")))
    provides: list[Provided] = []
    seen: set[tuple] = set()
    for ep in endpoints:
        if ep.service != svc.name:
            continue
        for item in _provided(ep):
            if item.key not in seen:
                seen.add(item.key)
                provides.append(item)
    data: list[DataDependency] = []
    for r in replicas:
        if r.service == svc.name:
            dep = DataDependency(source=r.source or "replica", dataset=r.dataset, location=r.location, lines=(("source", r.location), ("dataset", r.location)))
            if dep.key not in {d.key for d in data}:
                data.append(dep)
    operations: list[Operation] = []
    for k in keys:
        if k.service == svc.name:
            window = Duration(k.window_ms, text=format_ms(k.window_ms)) if k.window_ms is not None else None
            op = Operation(
                name=match.short_handler(k.handler) or k.key or "unknown",
                idempotency_key=k.key,
                expects="stable_across_retries",
                window=window,
                location=k.location,
                lines=(("idempotency_key", k.location), ("expects", k.location)),
            )
            if op.key not in {o.key for o in operations}:
                operations.append(op)
    here = Location(svc.root, 0, INFER_RULE)
    return ServiceContract(
        service=svc.name,
        depends_on=depends_on,
        provides=tuple(provides),
        data_dependencies=tuple(data),
        operations=tuple(operations),
        found_in=(svc.name,),
        location=here,
        lines=(("service", here),),
    )


def _provided(ep: CodeEndpoint) -> list[Provided]:
    out: list[Provided] = []
    if ep.operation:
        out.append(ProvidedOperation(operation=ep.operation, location=ep.location, lines=(("operation", ep.location),)))
    if ep.path and ep.method != "GRPC":
        method = ep.method if ep.method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") else None
        out.append(
            ProvidedEndpoint(endpoint=ep.path, path=ep.path, method=method, location=ep.location, lines=(("path", ep.location), ("method", ep.location)))
        )
    return out


def _dependency(service: str, operation: str | None, group: list[CodeCall]) -> Dependency:
    first = group[0]
    lines: list[tuple[str, Location]] = [("service", first.location)]
    if operation and first.endpoint is not None:
        lines.append(("operation", first.location))
    timeout = None
    if all(c.timeout_ms is not None for c in group):
        widest = max(group, key=lambda c: c.timeout_ms or 0.0)
        assert widest.timeout_ms is not None
        timeout = Duration(float(widest.timeout_ms), text=format_ms(widest.timeout_ms))
        lines.append(("timeout", widest.location))
    fallback_call = next((c for c in group if c.fallback), None)
    breaker = next((b for c in group for b in c.breakers if b.fallback), None)
    fallback = None
    if fallback_call is not None:
        fallback = fallback_call.fallback
        lines.append(("fallback", fallback_call.location))
    elif breaker is not None:
        fallback = breaker.fallback
        lines.append(("fallback", breaker.location))
    retry = _retry(service, operation, group)
    lines.append(("retry", retry.location))
    return Dependency(service=service, operation=operation, timeout=timeout, fallback=fallback, retry=retry, location=first.location, lines=tuple(lines))


def _retry(service: str, operation: str | None, group: list[CodeCall]) -> RetryPolicy:
    target = f"{service}.{operation}" if operation else service
    retried = [c for c in group if c.attempts is None or c.attempts > 1]
    if not retried:
        loc = group[0].location
        return RetryPolicy(target=target, service=service, operation=operation, enabled=False, location=loc, lines=(("enabled", loc),))
    worst = max(retried, key=lambda c: float("inf") if c.attempts is None else c.attempts)
    policy = worst.retries[0] if worst.retries else None
    loc = policy.location if policy is not None else worst.location
    lines: list[tuple[str, Location]] = [("attempts", loc)]
    backoff = None
    kind = _BACKOFF_KINDS.get(policy.backoff or "") if policy is not None else None
    if kind is not None:
        backoff = Backoff(kind, text=kind)
        lines.append(("backoff", loc))
    new_id = [i for c in retried for i in c.ids]
    on_timeout = None
    if new_id:
        inside = [i for i in new_id if i.inside_retry]
        chosen = inside[0] if inside else new_id[0]
        on_timeout = OnTimeout(generates_new_request_id=bool(inside), location=chosen.location, lines=(("generates_new_request_id", chosen.location),))
        lines.append(("on_timeout", chosen.location))
    return RetryPolicy(
        target=target, service=service, operation=operation, attempts=worst.attempts, backoff=backoff, on_timeout=on_timeout, location=loc, lines=tuple(lines)
    )
