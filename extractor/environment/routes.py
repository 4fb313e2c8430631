"""Routes that gateway and reverse-proxy configurations declare, as one typed record per route.

One reader per format (``spring_gateway``, ``yarp``, ``nginx``, ``envoy``) turns a configuration
file into ``Route`` records: what the route matches, the upstream address it forwards to, and the
timeout, retries and circuit breaker in force on it, each with the ``file:line`` it is written at.
Nothing is executed; YAML is read with the safe loader, nginx with a parser of its syntax only.
The link stage (``kinds.proxy_route.route_facts``) resolves each upstream to a service of the
repository and makes ``proxy_route`` facts of them, so the graph draws ``proxy → upstream`` edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..durations import parse_duration


@dataclass(frozen=True)
class RouteRetry:
    """Retries the proxy makes on a route; ``attempts`` counts the first try."""

    mechanism: str
    attempts: int | None
    line: int
    backoff: str | None = None  # none | fixed | exponential
    max_delay_ms: float | None = None
    retry_on: tuple[str, ...] = ()
    scope: str = "route"  # "client": retries inside the call that timeout_ms bounds (timeout_scope: call)


@dataclass(frozen=True)
class RouteBreaker:
    """A circuit breaker the proxy puts in front of a route."""

    mechanism: str
    line: int
    name: str | None = None
    fallback: str | None = None
    failure_ratio: float | None = None
    minimum_throughput: int | None = None
    recovery_timeout_ms: float | None = None


@dataclass(frozen=True)
class Route:
    """One route of a proxy's configuration file; ``url`` is the upstream address as configured."""

    proxy: str  # spring-cloud-gateway | yarp | nginx | envoy
    file: str
    line: int
    route: str | None
    match: str | None
    url: str | None
    timeout_ms: float | None
    timeout_source: str  # config | library_default | none
    upstream: str | None = None
    method: str | None = None
    timeout_scope: str | None = None  # "call": timeout_ms bounds the whole call, retries of scope client included
    per_try_timeout_ms: float | None = None
    connect_timeout_ms: float | None = None
    timeout_expr: str | None = None  # what the timeout is (the library default named, or the setting that gives it)
    retry: RouteRetry | None = None
    breaker: RouteBreaker | None = None
    service: str | None = None  # the proxy's service (the folder the file sits in), set by the book


_TIMESPAN = re.compile(r"^\s*(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*$")


def timespan_ms(text: str) -> float | None:
    """A .NET ``TimeSpan`` text (``00:01:40``, ``1.02:00:00``, ``00:00:00.500``) in milliseconds."""
    m = _TIMESPAN.match(text)
    if m is None:
        return None
    days, hours, minutes, seconds = int(m.group(1) or 0), int(m.group(2)), int(m.group(3)), float(m.group(4))
    return ((days * 24 + hours) * 60 + minutes) * 60_000.0 + seconds * 1000.0


def duration_ms(value: object, bare_unit_ms: float = 1.0) -> float | None:
    """A configured duration (``5s``, ``PT5S``, ``500ms``, a number in ``bare_unit_ms``) in milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) * bare_unit_ms
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text) * bare_unit_ms
    return parse_duration(text)
