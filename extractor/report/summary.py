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


SUMMARIES: dict[str, Callable[[Fact], str]] = {
    "http_call": _call,
    "grpc_call": _call,
    "endpoint": _endpoint,
    "missing_timeout": _missing,
}


def summarise(fact: Fact) -> str:
    return SUMMARIES.get(fact.kind, _generic)(fact)
