"""One-line summaries of facts, shared by the text reports."""

from __future__ import annotations

from typing import Any, Callable

from ..facts import Fact


def _ms(v: Any) -> str:
    if v is None:
        return "?"
    if v >= 1000 and v % 1000 == 0:
        return f"{int(v // 1000)} s"
    if v >= 1000:
        return f"{v / 1000:g} s"
    return f"{v:g} ms"


def _timeout(f: dict[str, Any]) -> str:
    src = f.get("timeout_source")
    if src == "none":
        return "no timeout"
    if src == "dynamic":
        return f"timeout from {f.get('timeout_expr') or f.get('timeout_env') or '?'}"
    extra = ""
    if src == "env_default":
        extra = f", env {f.get('timeout_env')} default"
    elif src == "constant" and f.get("timeout_constant"):
        extra = f", {f['timeout_constant']}"
    elif src == "library_default":
        extra = ", library default"
    return f"timeout {_ms(f.get('timeout_ms'))}{extra}"


def _target(f: dict[str, Any]) -> str:
    t = f.get("target") or {}
    if t.get("service"):
        return f" → {t['service']}"
    if t.get("host"):
        return f" → {t['host']} (external)"
    return ""


def _call(fact: Fact) -> str:
    f = fact.fields
    what = f"{f.get('method') or '?'} {f.get('url') or '?'}" if fact.kind == "http_call" else f"{f.get('grpc_service') or '?'}.{f.get('rpc') or '?'}"
    retry = ""
    if f.get("retry_policies"):
        attempts = f.get("retry_attempts")
        retry = f", retried ({attempts} attempts)" if attempts else ", retried (unbounded or unknown attempts)"
    if f.get("circuit_breakers"):
        retry += ", behind a circuit breaker"
    return f"{f.get('library')}: {what}{_target(f)}; {_timeout(f)}{retry}"


def _endpoint(fact: Fact) -> str:
    f = fact.fields
    return f"{f.get('framework')}: {f.get('method')} {f.get('path')} → {f.get('handler')}"


def _missing(fact: Fact) -> str:
    f = fact.fields
    return f"{f.get('library')}: {f.get('method') or ''} {f.get('url') or ''}{_target(f)} can wait forever".replace("  ", " ")


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
    f = fact.fields
    attempts = f"{f['attempts']} attempts" if f.get("attempts") else "unbounded or unknown attempts"
    extra = []
    if f.get("backoff") and f["backoff"] != "none":
        extra.append(f"{f['backoff']} backoff")
    if f.get("max_delay_ms") is not None:
        extra.append(f"waits up to {_ms(f['max_delay_ms'])}")
    if f.get("stop_after_ms") is not None:
        extra.append(f"gives up after {_ms(f['stop_after_ms'])}")
    if f.get("retry_on"):
        extra.append("on " + ", ".join(f["retry_on"][:3]) + ("…" if len(f["retry_on"]) > 3 else ""))
    covered = len(f.get("calls") or [])
    tail = f"; covers {covered} call{'s' if covered != 1 else ''}" if covered else ""
    return f"{f.get('mechanism')}: {attempts}" + (f" ({', '.join(extra)})" if extra else "") + f", {f.get('scope')}{tail}"


def _breaker(fact: Fact) -> str:
    f = fact.fields
    parts = [f"{f.get('mechanism')}: opens after {f['failure_threshold']} failures" if f.get("failure_threshold") else f"{f.get('mechanism')}"]
    if f.get("recovery_timeout_ms") is not None:
        parts.append(f"retries after {_ms(f['recovery_timeout_ms'])}")
    if f.get("fallback"):
        parts.append(f"fallback {f['fallback']}")
    covered = len(f.get("calls") or [])
    if covered:
        parts.append(f"protects {covered} call{'s' if covered != 1 else ''}")
    return ", ".join(parts)


def _replica(fact: Fact) -> str:
    f = fact.fields
    what = f.get("dataset") or "data"
    return f"{f.get('mechanism')}: reads {what} from {f.get('source') or 'a replica'} ({f.get('evidence')})"


def _id(fact: Fact) -> str:
    f = fact.fields
    where = "inside a retry: a new id on every attempt" if f.get("inside_retry") else "outside any retry"
    flows = f.get("flows_to") or []
    sent = f"; sent as {', '.join(sorted({x['as'] for x in flows}))}" if flows else ""
    name = f" {f['variable']} =" if f.get("variable") else ""
    return f"{name} {f.get('generator')}() {where}{sent}".strip()


def _idempotency(fact: Fact) -> str:
    f = fact.fields
    window = f", remembered {_ms(f['window_ms'])}" if f.get("window_ms") is not None else ""
    return f"{f.get('handler')} de-duplicates on {f.get('source')} {f.get('key')} in {f.get('store')}{window}"


SUMMARIES: dict[str, Callable[[Fact], str]] = {
    "retry_policy": _retry,
    "circuit_breaker": _breaker,
    "replica_read": _replica,
    "id_generation": _id,
    "idempotency_key": _idempotency,
    "http_call": _call,
    "grpc_call": _call,
    "endpoint": _endpoint,
    "missing_timeout": _missing,
}


def summarise(fact: Fact) -> str:
    return SUMMARIES.get(fact.kind, _generic)(fact)
