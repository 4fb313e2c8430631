"""nginx reverse-proxy routes: ``location`` blocks with ``proxy_pass`` (to a host, or to an
``upstream`` block's servers), parsed with ``crossplane`` (one file at a time: ``include`` is not
followed; nothing is executed).

What is in force on a route, inherited from ``http`` → ``server`` → ``location`` as nginx does:

- **timeout**: ``proxy_read_timeout`` (default 60 s: ``library_default``), a bare number being
  seconds; ``proxy_connect_timeout`` (default 60 s) as the connect timeout.
- **retries**: nginx passes a failed request to the next server of the upstream
  (``proxy_next_upstream``, default ``error timeout``; ``off`` disables it), at most
  ``proxy_next_upstream_tries`` times (0: no limit) and never more than the servers there are;
  POST and other non-idempotent requests only with ``non_idempotent``. A ``proxy_pass`` to one
  host has one try.

A ``${NAME}`` in a ``*.conf.template`` (the nginx image fills templates from the environment) is
the environment variable, resolved with the proxy service's deployment environment at link time.

A variable given a literal by ``set`` in the block or an enclosing one (``set $search_host "search";
proxy_pass http://$search_host;``, the usual way to keep nginx from resolving a host at start-up) is
that literal in a ``proxy_pass`` target.

Not read: ``grpc_pass`` / ``fastcgi_pass`` / ``uwsgi_pass``, ``proxy_pass`` targets built from
other variables (``http://$backend``: the route is kept, its target unknown), ``map`` blocks, ``include``d
files (each file is read on its own, so an included file's locations are read when it is listed
in the repository), and nginx Plus's active health checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crossplane  # type: ignore[import-untyped]  # no type information published

from .. import safeio
from .routes import Route, RouteRetry, duration_ms

PROXY = "nginx"
DEFAULT_TIMEOUT_MS = 60_000.0
"""``proxy_read_timeout`` and ``proxy_connect_timeout`` defaults (60 s)."""
INHERITED = ("proxy_read_timeout", "proxy_connect_timeout", "proxy_next_upstream", "proxy_next_upstream_tries")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class _Upstream:
    servers: tuple[str, ...]
    line: int


def _upstreams(block: list[dict[str, Any]], out: dict[str, _Upstream]) -> None:
    for d in block:
        if d.get("directive") == "upstream" and d.get("args"):
            servers = tuple(
                str(s["args"][0]) for s in d.get("block") or [] if s.get("directive") == "server" and s.get("args") and not {"backup", "down"} & set(s["args"])
            )
            out[str(d["args"][0])] = _Upstream(servers, int(d.get("line") or 0))
        elif d.get("block"):
            _upstreams(d["block"], out)


def _walk(rel: str, block: list[dict[str, Any]], settings: dict[str, tuple[list[str], int]], upstreams: dict[str, _Upstream], out: list[Route]) -> None:
    own = dict(settings)
    for d in block:
        if d.get("directive") in INHERITED:
            own[d["directive"]] = ([str(a) for a in d.get("args") or []], int(d.get("line") or 0))
        args = [str(a) for a in d.get("args") or []]
        if d.get("directive") == "set" and len(args) == 2 and args[0].startswith("$") and "$" not in args[1]:
            own["set " + args[0][1:]] = ([args[1]], int(d.get("line") or 0))  # set $search_host "search";
    for d in block:
        name = d.get("directive")
        if name == "proxy_pass" and d.get("args"):
            target = _VARIABLE.sub(lambda m: own.get("set " + (m.group(1) or m.group(2)), ([m.group(0)], 0))[0][0], str(d["args"][0]))
            route = _route(rel, settings.get("$location"), target, int(d.get("line") or 0), own, upstreams)
            out.append(route)
        elif name in ("http", "server", "location", "if", "limit_except") and isinstance(d.get("block"), list):
            inner = dict(own)
            if name == "location":
                inner["$location"] = ([" ".join(str(a) for a in d.get("args") or [])], int(d.get("line") or 0))
            _walk(rel, d["block"], inner, upstreams, out)


def _route(
    rel: str, location: tuple[list[str], int] | None, target: str, line: int, settings: dict[str, tuple[list[str], int]], upstreams: dict[str, _Upstream]
) -> Route:
    scheme, sep, rest = target.partition("://")
    host = rest.split("/", 1)[0] if sep else target
    upstream = upstreams.get(host)
    servers = upstream.servers if upstream is not None else (host,)
    url = f"{scheme}://{servers[0]}" if upstream is not None and servers else target
    read = settings.get("proxy_read_timeout")
    timeout = duration_ms(read[0][0], 1000.0) if read and read[0] else None
    connect = settings.get("proxy_connect_timeout")
    connect_ms = duration_ms(connect[0][0], 1000.0) if connect and connect[0] else None
    conditions, cond_line = settings.get("proxy_next_upstream", (["error", "timeout"], 0))
    tries_set = settings.get("proxy_next_upstream_tries")
    retry: RouteRetry | None = None
    if "off" not in conditions and len(servers) > 1:
        limit = int(tries_set[0][0]) if tries_set and tries_set[0] and tries_set[0][0].isdigit() else 0
        attempts = len(servers) if limit == 0 else min(limit, len(servers))
        if attempts > 1:
            on = [c for c in conditions if c != "non_idempotent"] + ([] if "non_idempotent" in conditions else ["method:idempotent"])
            where = (tries_set[1] if tries_set else 0) or cond_line or (upstream.line if upstream is not None else line)
            retry = RouteRetry(PROXY, attempts, where, "none", None, tuple(on))
    return Route(
        PROXY,
        rel,
        line,
        location[0][0] if location else None,
        location[0][0].split()[-1] if location and location[0][0] else None,
        url,
        timeout if timeout is not None else DEFAULT_TIMEOUT_MS,
        "config" if timeout is not None else "library_default",
        upstream=host if upstream is not None else None,
        connect_timeout_ms=connect_ms if connect_ms is not None else DEFAULT_TIMEOUT_MS,
        timeout_expr="proxy_read_timeout" if timeout is not None else "nginx default proxy_read_timeout 60s",
        retry=retry,
    )


def routes_of_file(path: Path, rel: str) -> list[Route]:
    """The routes of one nginx configuration file (its own upstream blocks only)."""
    parsed = crossplane.parse(str(path), single=True, catch_errors=True, check_ctx=False, check_args=False)
    out: list[Route] = []
    for conf in parsed.get("config") or []:
        block = conf.get("parsed") or []
        upstreams: dict[str, _Upstream] = {}
        _upstreams(block, upstreams)
        _walk(rel, block, {}, upstreams, out)
    return out


def routes_in(root: Path, rel: str, env: dict[str, str]) -> list[Route]:
    """The routes of one nginx configuration file that proxies (none when it cannot be read)."""
    try:
        if "proxy_pass" not in safeio.read_text(root / rel):
            return []
        return routes_of_file(root / rel, rel)
    except (OSError, ValueError, IndexError):
        return []
