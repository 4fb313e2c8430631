"""``proxy_route``: a route a gateway or reverse-proxy configuration declares (Spring Cloud Gateway
``routes:``, YARP ``ReverseProxy``, nginx ``location`` + ``proxy_pass``, Envoy route configs).

A route is an outbound call of the proxy's service: it carries the call fields (``target``,
``timeout_ms``, ``retry_attempts``, ``retry_policies``, ``circuit_breakers``) so the graph draws it
as a ``calls`` edge and every check reads it like a call in code. Routes of configuration files are
made by ``extractor.environment.routes`` (``route_facts``: final as built); routes a gateway builds
in code are facts of a rule (``java.http.spring-cloud-gateway``: ``RouteLocatorBuilder``), whose
raw fields ``finalize_route`` makes public like a call's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..facts import Fact, FactRef, assign_ids
from ..targets import resolve_target
from ..values import Concat, Const, Env, Value
from .base import Kind, LinkContext, fields, raws
from .calls import LINK_FIELDS, TIMEOUT_FIELDS, finalize_call
from .convert import num, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule
    from ..environment.book import AddressBook

PROXIES = ("spring-cloud-gateway", "yarp", "nginx", "envoy", "zuul")

FIELDS = (
    fields(
        """
    library          string?  req  The proxy: spring-cloud-gateway, yarp, nginx, envoy, zuul.
    method           string?  req  The HTTP method the route matches, when it restricts one; else null.
    url              string?  req  The upstream address as configured (lb://orders, http://orders:8080, an upstream's first server).
    target           target   req  The service of this repository (or host) the route forwards to.
    route            string?  req  The route's id or name (a Spring Cloud Gateway route id, a YARP route key, an nginx location, an Envoy route name).
    match            string?  req  The path the route matches (a Path predicate, a location prefix, an Envoy prefix or path).
    upstream         string?  -    The upstream group the route names (a YARP cluster, an nginx upstream block, an Envoy cluster).
    per_try_timeout_ms  ms    -    The timeout of each attempt when timeout_ms bounds the whole call (Envoy's per_try_timeout; a Spring Cloud Gateway response-timeout inside a breaker's time limiter).
    """,
        library={"enum": [*PROXIES, None]},
    )
    + LINK_FIELDS
)


RAW_ROUTE = raws(
    """
    url      -  The upstream address the route forwards to; its target is resolved like a call's.
    method   -  The HTTP method the route matches; upper-cased.
    match    -  The path the route matches.
    route    -  The route's id.
    timeout  -  The route's timeout, read with the rule's `timeout:` block.
    """
)


def finalize_route(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    """A route a rule found in code: its address, method and timeout as a call's
    (``calls.finalize_call``: the target resolved from the address), its id and match as written.
    A route of a configuration file (``route_facts``) is final already and never passes here."""
    out = finalize_call(raw_fields, rule, ctx, "proxy_route")
    out["route"] = text_or_none(raw_fields.get("route"))
    out["match"] = text_or_none(raw_fields.get("match"))
    return out


KIND = Kind(
    "proxy_route",
    FIELDS,
    RAW_ROUTE,
    finalize_route,
    "A route a gateway or reverse proxy declares in its configuration (rule `config.PROXY`, made from the file) or builds in code (a rule of rules/: a Spring Cloud Gateway `RouteLocatorBuilder`): what it matches, where it forwards, with the timeout, retries and breaker in force; the graph draws it as a call edge with `via: route`.",
    groups=(TIMEOUT_FIELDS,),
    rule_page=("library", "route", "match", "url", "target", "timeout_ms", "timeout_source", "retry_attempts"),
)


def route_facts(book: AddressBook) -> list[Fact]:
    """The book's routes as ``proxy_route`` facts (rule ``config.PROXY``), each with a
    ``retry_policy`` and a ``circuit_breaker`` fact when the route has them, linked both ways."""
    facts: list[Fact] = []
    for key, r in enumerate(sorted(book.routes, key=lambda r: (r.file, r.line, r.route or "", r.match or "")), start=1):
        rule = f"config.{r.proxy}"
        anchor = f"{r.route or ''} {r.match or ''} -> {r.url or ''}"
        target = resolve_target(book, r.service, url_value(r.url) if r.url else None)
        out: dict[str, Any] = {"library": r.proxy, "method": r.method, "url": r.url, "target": target.to_json(), "route": r.route, "match": r.match}
        if r.upstream:
            out["upstream"] = r.upstream
        out["timeout_ms"] = _num(r.timeout_ms)
        out["timeout_source"] = r.timeout_source
        if r.timeout_expr:
            out["timeout_expr"] = r.timeout_expr
        if r.connect_timeout_ms is not None:
            out["connect_timeout_ms"] = _num(r.connect_timeout_ms)
        if r.timeout_scope and r.timeout_ms is not None:
            out["timeout_scope"] = r.timeout_scope
        if r.per_try_timeout_ms is not None:
            out["per_try_timeout_ms"] = _num(r.per_try_timeout_ms)
        policies: list[FactRef] = []
        breakers: list[FactRef] = []
        route_ref = [FactRef(key * 3, r.file)]
        if r.retry is not None:
            p = r.retry
            policy: dict[str, Any] = {
                "mechanism": p.mechanism,
                "attempts": p.attempts,
                "source": "code",
                "backoff": p.backoff,
                "retry_on": list(p.retry_on),
                "scope": p.scope,
                "target": r.route,
                "calls": route_ref,
            }
            if p.max_delay_ms is not None:
                policy["max_delay_ms"] = _num(p.max_delay_ms)
            facts.append(Fact("retry_policy", rule, r.file, p.line or r.line or 1, 1, "high", policy, r.service, anchor=f"retry {anchor}", key=key * 3 + 1))
            policies.append(FactRef(key * 3 + 1, r.file))
        if r.breaker is not None:
            b = r.breaker
            breaker: dict[str, Any] = {
                "mechanism": b.mechanism,
                "name": b.name,
                "failure_threshold": None,
                "recovery_timeout_ms": _num(b.recovery_timeout_ms),
                "fallback": b.fallback,
                "scope": "route",
                "calls": route_ref,
            }
            if b.failure_ratio is not None:
                breaker["failure_ratio"] = b.failure_ratio
            if b.minimum_throughput is not None:
                breaker["minimum_throughput"] = b.minimum_throughput
            facts.append(
                Fact("circuit_breaker", rule, r.file, b.line or r.line or 1, 1, "high", breaker, r.service, anchor=f"breaker {anchor}", key=key * 3 + 2)
            )
            breakers.append(FactRef(key * 3 + 2, r.file))
        attempts = r.retry.attempts if r.retry is not None else 1
        out.update({"retry_policies": policies, "retry_attempts": attempts, "circuit_breakers": breakers})
        facts.append(Fact("proxy_route", rule, r.file, r.line or 1, 1, "high", out, r.service, anchor=anchor, key=key * 3))
    assign_ids(facts)
    return facts


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-?([^}]*))?\}")


def url_value(url: str) -> Value:
    """An upstream address as a value: ``${NAME}`` / ``${NAME:-default}`` parts (an nginx template
    filled from the environment, a Spring placeholder of an environment variable) are ``Env``
    values, which the proxy service's deployment environment resolves."""
    parts: list[Value] = []
    pos = 0
    for m in _ENV_REF.finditer(url):
        if m.start() > pos:
            parts.append(Const(url[pos : m.start()]))
        parts.append(Env(m.group(1), Const(m.group(2)) if m.group(2) is not None else None))
        pos = m.end()
    if not parts:
        return Const(url)
    if pos < len(url):
        parts.append(Const(url[pos:]))
    return Concat(tuple(parts))


def _num(v: float | None) -> int | float | None:
    return num(v) if v is not None else None
