"""One-line summaries of facts, shared by the text reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..facts import Fact
from ..kinds.views import (
    CallView,
    CircuitBreaker,
    Endpoint,
    GrpcCall,
    HttpCall,
    IdempotencyKey,
    IdGeneration,
    MessageConsume,
    MessagePublish,
    MessageView,
    MissingTimeout,
    ProxyRoute,
    ReplicaRead,
    RetryPolicy,
    TargetView,
)


def _ms(v: Any) -> str:
    if v is None:
        return "?"
    if v >= 1000 and v % 1000 == 0:
        return f"{int(v // 1000)} s"
    if v >= 1000:
        return f"{v / 1000:g} s"
    return f"{v:g} ms"


def _timeout(c: CallView) -> str:
    src = c.timeout_source
    if src == "none":
        return "no timeout"
    if src == "dynamic":
        return f"timeout from {c.timeout_expr or c.timeout_env or '?'}"
    extra = ""
    if src == "env_default":
        extra = f", env {c.timeout_env} default"
    elif src == "constant" and c.timeout_constant:
        extra = f", {c.timeout_constant}"
    elif src == "library_default":
        extra = ", library default"
    elif src == "client_default":
        extra = ", the client's default"
    return f"timeout {_ms(c.timeout_ms)}{extra}"


def _target(t: TargetView) -> str:
    if t.service:
        return f" → {t.service}"
    if t.host:
        return f" → {t.host} (external)"
    return ""


def _call(fact: Fact) -> str:
    c: CallView
    if fact.kind == "http_call":
        c = HttpCall.from_fields(fact.fields)
        what = f"{c.method or '?'} {c.url or '?'}"
    elif fact.kind == "proxy_route":
        r = ProxyRoute.from_fields(fact.fields)
        matched = f" ({r.match})" if r.match and r.match != r.route else ""
        what = f"route {r.route or r.match or '?'}{matched} to {r.upstream or r.url or '?'}"
        c = r
    else:
        g = GrpcCall.from_fields(fact.fields)
        what = f"{g.grpc_service or '?'}.{g.rpc or '?'}"
        c = g
    retry = ""
    if c.retry_policies:
        attempts = c.retry_attempts
        retry = f", retried ({attempts} attempts)" if attempts else ", retried (unbounded or unknown attempts)"
    if c.circuit_breakers:
        retry += ", behind a circuit breaker"
    return f"{c.library}: {what}{_target(c.target)}; {_timeout(c)}{retry}"


def _endpoint(fact: Fact) -> str:
    e = Endpoint.from_fields(fact.fields)
    return f"{e.framework}: {e.method} {e.path} → {e.handler}"


def _missing(fact: Fact) -> str:
    m = MissingTimeout.from_fields(fact.fields)
    return f"{m.library}: {m.method or ''} {m.url or ''}{_target(m.target)} can wait forever".replace("  ", " ")


def _generic(fact: Fact) -> str:
    parts = []
    for k, v in fact.fields.items():
        if v in (None, [], {}, ""):
            continue
        if isinstance(v, (dict, list)):
            continue
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def _retry(fact: Fact) -> str:
    r = RetryPolicy.from_fields(fact.fields)
    attempts = f"{r.attempts} attempts" if r.attempts else "unbounded or unknown attempts"
    extra = []
    if r.backoff and r.backoff != "none":
        extra.append(f"{r.backoff} backoff")
    if r.max_delay_ms is not None:
        extra.append(f"waits up to {_ms(r.max_delay_ms)}")
    if r.stop_after_ms is not None:
        extra.append(f"gives up after {_ms(r.stop_after_ms)}")
    if r.retry_on:
        extra.append("on " + ", ".join(r.retry_on[:3]) + ("…" if len(r.retry_on) > 3 else ""))
    covered = len(r.calls)
    tail = f"; covers {covered} call{'s' if covered != 1 else ''}" if covered else ""
    return f"{r.mechanism}: {attempts}" + (f" ({', '.join(extra)})" if extra else "") + f", {r.scope}{tail}"


def _breaker(fact: Fact) -> str:
    b = CircuitBreaker.from_fields(fact.fields)
    parts = [f"{b.mechanism}: opens after {b.failure_threshold} failures" if b.failure_threshold else f"{b.mechanism}"]
    if b.recovery_timeout_ms is not None:
        parts.append(f"retries after {_ms(b.recovery_timeout_ms)}")
    if b.fallback:
        parts.append(f"fallback {b.fallback}")
    covered = len(b.calls)
    if covered:
        parts.append(f"protects {covered} call{'s' if covered != 1 else ''}")
    return ", ".join(parts)


def _replica(fact: Fact) -> str:
    r = ReplicaRead.from_fields(fact.fields)
    what = r.dataset or "data"
    return f"{r.mechanism}: reads {what} from {r.source or 'a replica'} ({r.evidence})"


def _id(fact: Fact) -> str:
    i = IdGeneration.from_fields(fact.fields)
    where = "inside a retry: a new id on every attempt" if i.inside_retry else "outside any retry"
    sent = f"; sent as {', '.join(sorted({str(x.as_) for x in i.flows_to}))}" if i.flows_to else ""
    name = f" {i.variable} =" if i.variable else ""
    return f"{name} {i.generator}() {where}{sent}".strip()


def _idempotency(fact: Fact) -> str:
    k = IdempotencyKey.from_fields(fact.fields)
    window = f", remembered {_ms(k.window_ms)}" if k.window_ms is not None else ""
    return f"{k.handler} de-duplicates on {k.source} {k.key} in {k.store}{window}"


def _destination(m: MessageView) -> str:
    return f"{m.destination_kind or 'destination'} {m.destination or '(not known statically)'} ({m.broker})"


def _publish(fact: Fact) -> str:
    m = MessagePublish.from_fields(fact.fields)
    extra = []
    if m.acks is not None:
        extra.append(f"acks {m.acks}")
    if m.idempotent:
        extra.append("idempotent producer")
    if m.retries is not None:
        extra.append(f"{m.retries} retries")
    return f"{m.library}: publishes to {_destination(m)}" + (f", {', '.join(extra)}" if extra else "")


def _consume(fact: Fact) -> str:
    m = MessageConsume.from_fields(fact.fields)
    extra = [f"group {m.group}"] if m.group else []
    if m.ack_mode:
        extra.append(f"ack {m.ack_mode}")
    extra.append("redelivered on failure" if m.redelivery else "not redelivered" if m.redelivery is False else "redelivery unknown")
    if m.dead_letter:
        extra.append(f"dead letter {m.dead_letter}")
    if m.dedup:
        extra.append(f"de-duplicates on {m.dedup}")
    return f"{m.library}: {m.handler or 'a handler'} consumes {_destination(m)}, {', '.join(extra)}"


SUMMARIES: dict[str, Callable[[Fact], str]] = {
    "retry_policy": _retry,
    "circuit_breaker": _breaker,
    "replica_read": _replica,
    "id_generation": _id,
    "idempotency_key": _idempotency,
    "http_call": _call,
    "grpc_call": _call,
    "proxy_route": _call,
    "endpoint": _endpoint,
    "missing_timeout": _missing,
    "message_publish": _publish,
    "message_consume": _consume,
}


def summarise(fact: Fact) -> str:
    return SUMMARIES.get(fact.kind, _generic)(fact)
