"""Provider-side drift: what a provider's contract declares (``provides``, ``operations``) against its own
code and against what its consumers' code does.

The other drift checks read a service's contract against its own outbound calls; these read what a
provider promises or asks of others, so a change on the provider's side (a dataset moved to an event
stream, an idempotency expectation, an endpoint) is checked even where no consumer declared anything.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..contracts import match
from ..contracts.infer import CodeEndpoint
from .base import CheckContext, Finding, Resolution, Side, check, finding


@check("drift.provider-stream-replica-read", kind="drift", title="Replica read of a dataset offered as an event stream")
def stream_replica_read(ctx: CheckContext) -> Iterator[Finding]:
    """A provider declares a ``provides`` dataset ``via: event_stream`` and another service's code reads
    that dataset through the provider's replica, without a ``data_dependencies`` entry for it (a
    declared reader is ``freshness.event-stream-consumer``'s). The provider's contract no longer
    describes a read that still happens: its replica may go away or lag without notice. Error,
    ``DRIFT``."""
    for edge in ctx.graph.reads:
        provided, provider = edge.provided, edge.provider
        if provided is None or provided.via != "event_stream" or provider is None or edge.declared is not None:
            continue
        if not edge.replica_reads or edge.reader == provider:
            continue
        reads = ", ".join(str(r.location) for r in edge.replica_reads)
        yield finding(
            "drift.provider-stream-replica-read",
            "error",
            "DRIFT",
            services=(edge.reader, provider),
            subject=edge.dataset,
            message=f"{provider} offers {edge.dataset} via event_stream, but {edge.reader}'s code still reads it through a replica ({reads}) and declares no dependency on it",
            sides=(
                Side(
                    provider,
                    "provides",
                    f"{edge.dataset} via event_stream" + (f", {provided.freshness}" if provided.freshness else ""),
                    (provided.where("via"),),
                ),
                Side(edge.reader, "code", f"reads {edge.dataset} through a replica", tuple(r.location for r in edge.replica_reads)),
            ),
            impact=f"{provider} may retire or neglect the replica its contract no longer offers; {edge.reader}'s reads then fail or go stale unnoticed",
            resolutions=(
                Resolution(edge.reader, f"{edge.reader}: consume the stream of {edge.dataset} that {provider} offers instead of reading the replica"),
                Resolution(edge.reader, f"{edge.reader}: or declare the read (data_dependencies), so that changes on {provider}'s side are checked against it"),
                Resolution(provider, f"{provider}: keep offering the replica (via: database_replica) until its readers have moved"),
            ),
        )


def _handlers_of(ctx: CheckContext, service: str, operation: str) -> list[CodeEndpoint]:
    return [ep for ep in ctx.inferred.endpoints_of(service) if match.operation_matches_endpoint(operation, ep.handler, ep.path)]


@check("drift.provider-idempotency", kind="drift", title="Idempotency expectation the handler contradicts")
def provider_idempotency(ctx: CheckContext) -> Iterator[Finding]:
    """A provider's ``operations`` entry declares ``expects: new_per_attempt`` while the handler serving
    that operation de-duplicates on a key in code: a consumer that follows the contract sends a new key
    per attempt and is never de-duplicated, one that keeps its key is answered from the cache. Warning,
    ``DRIFT``."""
    for name in sorted(ctx.declared.contracts):
        contract = ctx.declared.contracts[name]
        service = ctx.graph.resolve(name)
        for op in contract.operations:
            if op.expects != "new_per_attempt":
                continue
            handlers = {match.short_handler(ep.handler) for ep in _handlers_of(ctx, service, op.name)}
            keys = [k for k in ctx.inferred.idempotency_keys if k.service == service and match.short_handler(k.handler) in handlers]
            if not keys:
                continue
            names = ", ".join(dict.fromkeys(k.key or "a key" for k in keys))
            yield finding(
                "drift.provider-idempotency",
                "warning",
                "DRIFT",
                services=(service,),
                subject=op.name,
                message=f"{service} declares that {op.name} expects a new key per attempt, but its handler de-duplicates on {names}",
                sides=(
                    Side(service, "declares", f"{op.name} expects new_per_attempt", (op.where("expects"),)),
                    Side(service, "code", f"de-duplicates on {names}", tuple(k.location for k in keys)),
                ),
                impact=f"consumers of {op.name} that follow the contract make a new key per attempt and get no de-duplication; retries are processed again",
                resolutions=(
                    Resolution(service, f"{service}: declare expects: stable_across_retries (idempotency_key: {names}), which the handler implements"),
                    Resolution(service, f"{service}: or stop de-duplicating in the handler if every attempt must be processed"),
                ),
            )


@check("drift.endpoint-not-served", kind="drift", title="Declared endpoint no code serves")
def endpoint_not_served(ctx: CheckContext) -> Iterator[Finding]:
    """A provider's ``provides`` endpoint with a route (``path``, or an endpoint name starting with
    ``/``) matches no route its scanned code serves (a code route under it counts: ``/fraud-score``
    covers ``/fraud-score/{tx_id}``). Warning, ``DRIFT``; info when the scan found no endpoint in the
    service at all (a framework it does not know may serve them)."""
    for name in sorted(ctx.declared.contracts):
        contract = ctx.declared.contracts[name]
        service = ctx.graph.resolve(name)
        node = ctx.graph.services.get(service)
        if node is None or not node.has_code:
            continue
        served = ctx.inferred.endpoints_of(service)
        for ep in contract.provided_endpoints:
            route = ep.route
            if route is None or any(match.route_covers(route, s.path) and match.methods_match(ep.method, s.method) for s in served):
                continue
            label = f"{ep.method} {route}" if ep.method else route
            yield finding(
                "drift.endpoint-not-served",
                "warning" if served else "info",
                "DRIFT",
                services=(service,),
                subject=label,
                message=f"{service} declares the endpoint {label}, but its code serves no such route"
                + ("" if served else " (the scan found no endpoint in its code)"),
                sides=(
                    Side(service, "provides", f"endpoint {label}", (ep.location,)),
                    Side(
                        service,
                        "code",
                        "serves " + (", ".join(s.label for s in served) if served else "no endpoint the scan recognises"),
                        tuple(s.location for s in served),
                    ),
                ),
                impact=f"consumers planning on {label} find nothing there; checks about it describe no real endpoint",
                resolutions=(
                    Resolution(service, f"{service}: remove the endpoint from the contract if it is gone, or correct its path"),
                    Resolution(service, f"{service}: or serve {label}"),
                ),
            )
