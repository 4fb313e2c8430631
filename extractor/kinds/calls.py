"""What ``http_call`` and ``grpc_call`` share: the target, the timeout fields, the links to the
policies covering the call, and the finalizer turning a call's raw fields into public ones."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import durations
from ..targets import Target, leading_text, resolve_target
from ..values import CLIENT_DEFAULT, BinOp, Call, Const, Env, Named, Obj
from .base import Field, FieldGroup, Kind, LinkContext, Raw, Shape, fields, raws
from .convert import method_text, put_set, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

TIMEOUT_SCOPES = ("call",)
"""What a call's timeout may bound besides one attempt (absent: each attempt)."""
CLIENT_SOURCES = frozenset({"literal", "constant"})
"""The sources of a value written where the client is built that a call passing no timeout of its
own reports as ``client_default`` (its ``timeout_constant`` kept); a value read from an environment
variable keeps ``env_default`` / ``config``, which name the variable to change."""
TIMEOUT_SOURCES = ("literal", "constant", "config", "env_default", "library_default", "client_default", "none", "dynamic")
TARGET_VIAS = (
    "url_literal",
    "constant",
    "env_default",
    "base_url",
    "deploy_env",
    "env_file",
    "config_file",
    "env_name",
    "constant_name",
    "grpc_stub",
    "grpc_service",
    "feign_name",
    "unknown",
)

TARGET_DOC = "Where a call goes. service is a service of this repository, or null."
TARGET_FIELDS = fields(
    """
    service  string?   req  The service of this repository the call reaches, or null.
    host     string?   req  The host name the address names.
    port     integer?  req  The port the address names.
    via      -         req  How the address was found.
    expr     string?   req  The address expression as written (or described).
    """,
    via={"enum": list(TARGET_VIAS)},
)
TARGET = Shape("TargetView", TARGET_DOC, TARGET_FIELDS)
"""The object a ``target`` field holds (its schema is ``$defs/target``)."""

TIMEOUT_FIELDS = FieldGroup(
    "timeout_fields",
    fields(
        """
        timeout_ms          ms      req  The call's timeout in milliseconds; null when none applies or it is not known statically.
        timeout_source      -       req  Where timeout_ms comes from: `client_default` is the default the call's client (or the process: `socket.setdefaulttimeout`) was given, the call passing none.
        timeout_expr        string  -    The expression when the value is dynamic, None, or a library default.
        timeout_env         string  -    The environment variable the timeout is read from.
        timeout_constant    string  -    The named constant the timeout comes from.
        connect_timeout_ms  ms      -    The connection timeout in milliseconds, when the client sets one apart.
        timeout_from        string  -    When several limits apply (a Go client's Timeout and the request context's deadline), the one timeout_ms is: client, context.
        timeout_scope       string  -    What timeout_ms bounds: `call` — the whole call, the retries the client makes inside it included (.NET HttpClient.Timeout around its handler pipeline); absent — each attempt.
        timeout_choices_ms  array   -    When a condition chooses the timeout among known values (`c ? 10000 : 2500`): each in milliseconds, in the code's order; timeout_ms is the longest. Absent otherwise.
        """,
        timeout_source={"enum": list(TIMEOUT_SOURCES)},
        timeout_scope={"enum": list(TIMEOUT_SCOPES)},
        timeout_choices_ms={"items": {"type": "number"}},
    ),
)

RAW_CALL = raws(
    """
    url              -  The URL (an HTTP call) or the channel target (a gRPC call).
    base_url         -  A client's base URL, joined with a relative url.
    method           -  The HTTP method; upper-cased.
    timeout          -  The timeout value, read with the rule's `timeout:` block → `timeout_ms`, `timeout_source` and the other timeout fields.
    connect_timeout  -  A client's connection timeout (JDK HttpClient, OkHttp) → `connect_timeout_ms`.
    timeout_scope    -  `call` when the library's timeout bounds the whole call, the client's own retries included → `timeout_scope` (set only with a timeout).
    service_name     -  A logical service name (a Feign client's name), used when the URL names no service.
    fallback         -  The value returned when the call fails.
    schedule         -  `background` when the library makes the call on its own schedule, not once per request the code serves → `schedule`.
    """
)


THROUGH = Shape(
    "ThroughSite",
    "A call site of the in-house wrapper a call is made in, with what the call is there.",
    fields(
        """
        file            string   req  The file of the call site (relative to the scan root).
        line            integer  req  Its line (1-based).
        method          string?  req  The HTTP method (or RPC) at this call site.
        url             string?  req  The URL at this call site, as far as statically known.
        target          target   req  Where the call goes from this call site.
        timeout_ms      ms       req  The call's timeout at this call site in milliseconds, or null.
        timeout_source  -        req  Where that timeout comes from.
        timeout_choices_ms  array  -  When a condition chooses the timeout at this call site among known values: each in milliseconds; timeout_ms is the longest. Absent otherwise.
        retry_attempts  integer?  -   Total tries of the call at this call site, when a retry covers some call site of the wrapper (a retry loop around it): the site's retry policies' attempts times the wrapper's own (null when unbounded or unknown). Absent otherwise: the call's `retry_attempts`.
        """,
        timeout_source={"enum": list(TIMEOUT_SOURCES)},
        timeout_choices_ms={"items": {"type": "number"}},
    ),
)
"""An item of a call's ``through`` (the link stage's ``apply_wrapper_sites``)."""

LINK_FIELDS = fields(
    """
    retry_policies    strings   link           Ids of the retry_policy facts covering this call, outermost first.
    retry_attempts    integer?  link,absent=1  Total tries of this call: the product of its retry policies' attempts (1 without retry; null when unbounded or unknown).
    circuit_breakers  strings   link           Ids of the circuit_breaker facts protecting this call.
    fallback          string    -              The default value a surrounding try returns when the call fails.
    schedule          string    -              `background`: the library makes the call on its own schedule (an identity provider's keys, fetched and cached), not once per request the service serves, so it is no handler's downstream call; absent: the call runs when its code runs.
    through           array     link           When the call is made inside an in-house function the service calls (a wrapper whose parameters give its URL, method or timeout; a helper that gives them itself): the function's call sites in the service (followed through wrappers that pass their parameters on; a helper's sites add no values), each with the URL, target and timeout the call has there. Absent otherwise. The call stays one fact. A library module's call carried to a service's call site (its target named there by an enum constant, `via: constant`): the sites from that service's call inwards to the library's call.
    """,
    through=THROUGH,
)
"""The fields the link stage fills on a call from the policies covering it."""


def finalize_call(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"library": rule.library or None}
    url_v = raw_fields.get("url")
    base_v = raw_fields.get("base_url")
    out["method"] = method_text(raw_fields.get("method"))
    url_text, _, _ = leading_text(url_v) if url_v is not None else (None, [], [])
    if base_v is not None and (url_text is None or ("://" not in url_text and not url_text.startswith("{"))):
        base_text, _, _ = leading_text(base_v)
        if base_text is not None:
            url_text = base_text.rstrip("/") + ("/" + url_text.lstrip("/") if url_text else "")
    out["url"] = url_text
    spec = (rule.match or {}).get("timeout") or {}
    timeout = (
        durations.interpret(raw_fields.get("timeout"), spec)
        if spec
        else durations.Timeout(None, "dynamic" if raw_fields.get("timeout") is not None else "none")
    )
    out.update(deployed_timeout(timeout, raw_fields.get("timeout"), spec, ctx).fields())
    if raw_fields.get(CLIENT_DEFAULT) and out.get("timeout_source") in CLIENT_SOURCES:  # the client's (or the process's) default
        out["timeout_source"] = "client_default"
    if raw_fields.get("connect_timeout") is not None and out.get("connect_timeout_ms") is None and spec:
        connect = durations.interpret(raw_fields["connect_timeout"], spec)  # a client's connection timeout (JDK HttpClient, OkHttp)
        if connect.ms is not None:
            out["connect_timeout_ms"] = connect.fields()["timeout_ms"]
    scope = text_or_none(raw_fields.get("timeout_scope"))
    if scope in TIMEOUT_SCOPES and out.get("timeout_ms") is not None:
        out["timeout_scope"] = scope
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
    put_set(out, raw_fields, text_or_none, "fallback")
    put_set(out, raw_fields, text_or_none, "schedule")
    return out


def deployed_timeout(timeout: durations.Timeout, raw: Any, spec: dict[str, Any], ctx: LinkContext) -> durations.Timeout:
    """A timeout read from an environment variable takes the value the service's deployment gives it
    (Kubernetes or compose ``env``, ``.env`` files, configuration: the address book), not the default
    in code; ``timeout_source`` is then ``config`` and ``timeout_expr`` names the variable and its file."""
    if not timeout.env or ctx.service is None or raw is None:
        return timeout
    given = ctx.book.env_value(ctx.service, timeout.env)
    if given is None:
        variants = ctx.book.env_variants.get((ctx.service, timeout.env), [])  # set only by a deployment variant: not in force
        shown = "; ".join(f"{value} in the variant {where}" for where, value in variants)
        note = f"env {timeout.env} not set by the deployment in force ({shown})"
        return replace(timeout, expr=f"{timeout.expr}; {note}" if timeout.expr else note) if variants else timeout
    found = durations.interpret(_with_env(raw, timeout.env, given), spec)
    if found.ms is None:
        return timeout
    where = ctx.book.env_source(ctx.service, timeout.env)
    expr = f"env {timeout.env}={given}" + (f" in {where}" if where else "")
    return replace(found, source="config", expr=expr, env=timeout.env, constant=timeout.constant)


def _with_env(v: Any, var: str, given: str) -> Any:
    """``v`` with the environment variable ``var`` read as ``given`` (its default dropped)."""
    if isinstance(v, Env):
        return Env(v.var, Const(given)) if v.var == var else v
    if isinstance(v, Named):
        return Named(v.name, _with_env(v.value, var, given))
    if isinstance(v, BinOp):  # TIMEOUT * 2: the deployment's value times two
        return BinOp(v.op, _with_env(v.left, var, given), _with_env(v.right, var, given))
    if isinstance(v, Call):
        return Call(v.func, tuple(_with_env(a, var, given) for a in v.args), tuple((k, _with_env(a, var, given)) for k, a in v.kwargs))
    if isinstance(v, Obj):
        return Obj(v.type, tuple((k, _with_env(a, var, given)) for k, a in v.captures), v.name, v.origin)
    return v


def call_kind(name: str, public: tuple[Field, ...], raw: tuple[Raw, ...], doc: str, rule_page: tuple[str, ...]) -> Kind:
    """An outbound call kind: its fields plus the timeout group, finalized by ``finalize_call``."""
    return Kind(name, public, raw, functools.partial(finalize_call, kind=name), doc, groups=(TIMEOUT_FIELDS,), rule_page=rule_page)
