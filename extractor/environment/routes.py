"""Routes that gateway and reverse-proxy configurations declare, as one typed record per route.

One reader per format (``spring_gateway``, ``yarp``, ``nginx``, ``envoy``) turns a configuration
file into ``Route`` records: what the route matches, the upstream address it forwards to, and the
timeout, retries and circuit breaker in force on it, each with the ``file:line`` it is written at.
Nothing is executed; YAML is read with the safe loader, nginx with a parser of its syntax only.
The link stage (``kinds.proxy_route.route_facts``) resolves each upstream to a service of the
repository and makes ``proxy_route`` facts of them, so the graph draws ``proxy → upstream`` edges.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..durations import as_float, parse_duration


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
    days, hours, minutes, seconds = (as_float(g or 0) for g in m.groups())
    if days is None or hours is None or minutes is None or seconds is None:  # a part no float holds
        return None
    return _usable(((days * 24 + hours) * 60 + minutes) * 60_000.0 + seconds * 1000.0)


def duration_ms(value: object, bare_unit_ms: float = 1.0) -> float | None:
    """A configured duration (``5s``, ``PT5S``, ``500ms``, a number in ``bare_unit_ms``) in milliseconds;
    None for anything else, and for a value no float holds or a negative one (no duration)."""
    n = as_float(value)
    if n is not None:
        return _usable(n * bare_unit_ms)
    return _usable(parse_duration(value.strip())) if isinstance(value, str) else None


def _usable(ms: float | None) -> float | None:
    return ms if ms is not None and math.isfinite(ms) and ms >= 0 else None


_REGEX_CHARS = re.compile(r"[\^$()\[\]\\|]|\.[*+]")


def route_takes(match: str | None, path: str) -> bool:
    """Whether a route whose ``match`` is as a proxy's configuration writes it takes a request for
    ``path`` (a path as the caller's code knows it: a ``{param}`` segment stands for any value).

    ``match`` is one pattern or several separated by commas (a Spring Cloud Gateway ``Path=`` list):
    a pattern with ``*``, ``**`` or ``{...}`` segments (Spring, Zuul, YARP's ``{**catch-all}``) matches
    segment by segment, ``**`` and a catch-all taking the rest; one with regular-expression syntax
    (an nginx ``~`` location, an Envoy ``safe_regex``) is searched as a regex; any other is a prefix
    (an nginx location, an Envoy ``prefix``; an Envoy exact ``path`` is taken as a prefix of itself).
    None (no match written) takes every request."""
    if match is None:
        return True
    return any(_takes(p.strip(), path) for p in match.split(",") if p.strip()) or not any(p.strip() for p in match.split(","))


def _takes(pattern: str, path: str) -> bool:
    if _REGEX_CHARS.search(pattern):
        try:
            return re.search(pattern, path) is not None
        except re.error:
            return True  # not understood: it may take the request
    if "*" in pattern or "{" in pattern:
        return _glob_takes(pattern, path)
    return path.startswith(pattern) or path.rstrip("/") == pattern.rstrip("/")


def _glob_takes(pattern: str, path: str) -> bool:
    want = [s for s in pattern.strip("/").split("/") if s]
    got = [s for s in path.split("?", 1)[0].strip("/").split("/") if s]
    for i, seg in enumerate(want):
        if seg == "**" or seg.startswith(("{**", "{*")):
            return True  # the rest of the path, whatever it is
        if i >= len(got):
            return False
        value = got[i]
        if seg == "*" or (seg.startswith("{") and seg.endswith("}")) or (value.startswith("{") and value.endswith("}")):
            continue
        if "*" in seg:
            if re.fullmatch(re.escape(seg).replace(r"\*", "[^/]*"), value) is None:
                return False
        elif seg.lower() != value.lower():
            return False
    return len(got) == len(want)
