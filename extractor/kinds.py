"""Fact kinds: how a frontend's symbolic fields become the public JSON fields of each kind.

Frontends report what they saw (``url`` as a value, ``timeout`` as a value); this module,
shared by every language, turns it into ``url``, ``timeout_ms``, ``timeout_source``... so that
the facts schema is the same whatever language produced the fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from . import durations
from .catalog import Rule
from .targets import AddressBook, Target, leading_text, resolve_target
from .values import Concat, Const, Dynamic, Env, Map, Named, Obj, Seq, describe, strip

CALL_KINDS = ("http_call", "grpc_call")
ALL_KINDS = ("http_call", "grpc_call", "missing_timeout", "endpoint", "retry_policy", "circuit_breaker", "replica_read", "id_generation", "idempotency_key")


@dataclass
class LinkContext:
    book: AddressBook
    service: str | None
    modules: dict[str, dict[str, Any]] | None = None  # the service's module exports (settings lookups)


def scalar(v: Any) -> Any:
    """A JSON scalar for a value: the constant, an env var's default, else the source text."""
    if not isinstance(v, (Const, Named, Env, Seq, Map, Obj, Concat, Dynamic)) and v is not None and not hasattr(v, "__dataclass_fields__"):
        return v
    s = strip(v)
    if s is None:
        return None
    if isinstance(s, Const):
        return s.value
    if isinstance(s, Env):
        return scalar(s.default) if s.default is not None else None
    if isinstance(s, Seq):
        return [scalar(x) for x in s.items]
    if isinstance(s, Map):
        return {str(scalar(k)): scalar(x) for k, x in s.items}
    if isinstance(s, Concat):
        text, _, _ = leading_text(s)
        return text
    return describe(s)


def text_or_none(v: Any) -> str | None:
    s = strip(v) if isinstance(v, (Const, Named, Env, Seq, Map, Obj, Concat, Dynamic)) else v
    if s is None:
        return None
    if isinstance(s, (str, int, float)) and not isinstance(s, bool):
        return str(s)
    if isinstance(s, Const):
        return None if s.value is None else str(s.value)
    if isinstance(s, Concat):
        text, _, _ = leading_text(s)
        return text
    if isinstance(s, Env):
        return str(scalar(s.default)) if s.default is not None else "{" + describe(s) + "}"
    if isinstance(s, Dynamic):
        return "{" + s.text + "}" if s.text else None
    return "{" + describe(s) + "}"


def _method(v: Any, default: str | None = None) -> str | None:
    t = text_or_none(v)
    if t is None:
        return default
    return t.upper() if not t.startswith("{") else t


def _call(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"library": rule.library or None}
    url_v = raw_fields.get("url")
    base_v = raw_fields.get("base_url")
    out["method"] = _method(raw_fields.get("method"))
    url_text, _, _ = leading_text(url_v) if url_v is not None else (None, [], [])
    if base_v is not None and (url_text is None or ("://" not in url_text and not url_text.startswith("{"))):
        base_text, _, _ = leading_text(base_v)
        if base_text is not None:
            url_text = base_text.rstrip("/") + ("/" + url_text.lstrip("/") if url_text else "")
    out["url"] = url_text
    spec = (rule.match or {}).get("timeout") or {}
    timeout = durations.interpret(raw_fields.get("timeout"), spec) if spec else durations.Timeout(None, "dynamic" if raw_fields.get("timeout") is not None else "none")
    out.update(timeout.fields())
    if raw_fields.get("connect_timeout") is not None and out.get("connect_timeout_ms") is None and spec:
        connect = durations.interpret(raw_fields["connect_timeout"], spec)  # a client's connection timeout (JDK HttpClient, OkHttp)
        if connect.ms is not None:
            out["connect_timeout_ms"] = connect.fields()["timeout_ms"]
    grpc_service = None
    if kind == "grpc_call":
        grpc_service = text_or_none(raw_fields.get("grpc_service"))
        out["grpc_service"] = grpc_service
        out["rpc"] = text_or_none(raw_fields.get("rpc")) or out["method"]
    target = resolve_target(ctx.book, ctx.service, url_v, base_v, grpc_service)
    if target.service is None and raw_fields.get("service_name") is not None:  # a client addressed by a logical name (Feign name)
        name = text_or_none(raw_fields["service_name"])
        svc = ctx.book.service_for_host(name) if name and not name.startswith("{") else None
        if svc is not None:
            target = Target(svc, target.host or name, target.port, "feign_name", target.expr)
    out["target"] = target.to_json()
    if raw_fields.get("fallback") is not None:
        out["fallback"] = text_or_none(raw_fields["fallback"])
    return out


def _endpoint(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    path = text_or_none(raw_fields.get("path"))
    if path is not None and not path.startswith(("/", "{", "^")) and rule.library not in ("grpc",):
        path = "/" + path
    if path is not None and "//" in path:  # a prefix ending with / before a path starting with /
        path = re.sub(r"/{2,}", "/", path)
    method = _method(raw_fields.get("method"), "ANY")
    return {
        "framework": rule.library or None,
        "method": "ANY" if method == "*" else method,
        "path": path,
        "handler": text_or_none(raw_fields.get("handler")),
    }


def _generic(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, v in raw_fields.items():
        if name.startswith("_"):
            continue
        out[name] = scalar(v)
    return out


FINALIZERS: dict[str, Callable[[dict[str, Any], Rule, LinkContext], dict[str, Any]]] = {
    "http_call": lambda f, r, c: _call(f, r, c, "http_call"),
    "grpc_call": lambda f, r, c: _call(f, r, c, "grpc_call"),
    "endpoint": _endpoint,
}


def finalize(kind: str, raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    return FINALIZERS.get(kind, _generic)(raw_fields, rule, ctx)


def register(kind: str, fn: Callable[[dict[str, Any], Rule, LinkContext], dict[str, Any]]) -> None:
    FINALIZERS[kind] = fn


