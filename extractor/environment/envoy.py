"""Envoy static route configurations: ``route_config.virtual_hosts[].routes[]`` (a route's
``match`` prefix / path / regex → its ``cluster``), and ``static_resources.clusters`` (the cluster's
first endpoint address, ``load_assignment`` or the legacy ``hosts``).

- **timeout**: the route's ``timeout`` (default 15 s: ``library_default``; ``0s`` disables it). It
  bounds the whole request, retries included (``timeout_scope: call``); ``retry_policy.per_try_timeout``
  is each attempt's.
- **retries**: ``retry_policy.num_retries`` (default 1 when a retry policy is given) + 1 attempts,
  ``retry_on`` conditions, backoff exponential with jitter from 25 ms (``retry_back_off``:
  ``base_interval``, ``max_interval``, default 10 × base).

Not read: routes from RDS / xDS servers (dynamic configuration), ``weighted_clusters``,
``cluster_header``, ``outlier_detection`` and ``circuit_breakers`` thresholds (connection and
request limits, not a breaker that opens on failures), a virtual host's own ``retry_policy``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import yamlio
from .routes import Route, RouteRetry, duration_ms

PROXY = "envoy"
DEFAULT_ROUTE_TIMEOUT_MS = 15_000.0
DEFAULT_BASE_INTERVAL_MS = 25.0


def _dicts(node: Any, key: str) -> Iterator[Any]:
    """Every value under ``key`` anywhere in the document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _dicts(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _dicts(v, key)


def _cluster_addresses(doc: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for clusters in _dicts(doc, "clusters"):
        for c in clusters if isinstance(clusters, list) else []:
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                continue
            for sock in _dicts(c, "socket_address"):
                if isinstance(sock, dict) and sock.get("address"):
                    port = sock.get("port_value")
                    out.setdefault(c["name"], f"http://{sock['address']}" + (f":{port}" if port is not None else ""))
    return out


def routes_of(rel: str, doc: Any) -> list[Route]:
    addresses = _cluster_addresses(doc)
    out: list[Route] = []
    for hosts in _dicts(doc, "virtual_hosts"):
        for vh in hosts if isinstance(hosts, list) else []:
            routes = vh.get("routes") if isinstance(vh, dict) else None
            for i, r in enumerate(routes if isinstance(routes, list) else []):
                action = r.get("route") if isinstance(r, dict) else None
                if not isinstance(action, dict) or not isinstance(action.get("cluster"), str):
                    continue
                given_match = r.get("match")
                m: dict[str, Any] = given_match if isinstance(given_match, dict) else {}
                regex = m.get("safe_regex", {}).get("regex") if isinstance(m.get("safe_regex"), dict) else None
                match = m.get("prefix") or m.get("path") or m.get("path_separated_prefix") or regex
                timeout = duration_ms(action.get("timeout")) if action.get("timeout") is not None else None
                source = "config" if timeout is not None else "library_default"
                if timeout is None:
                    timeout = DEFAULT_ROUTE_TIMEOUT_MS
                elif timeout == 0:
                    timeout, source = None, "none"
                retry: RouteRetry | None = None
                per_try: float | None = None
                policy = action.get("retry_policy")
                if isinstance(policy, dict):
                    n = policy.get("num_retries", 1)
                    attempts = int(n) + 1 if isinstance(n, int) and not isinstance(n, bool) else None
                    per_try = duration_ms(policy.get("per_try_timeout"))
                    given = policy.get("retry_back_off")
                    back: dict[str, Any] = given if isinstance(given, dict) else {}
                    base = duration_ms(back.get("base_interval")) or DEFAULT_BASE_INTERVAL_MS
                    most = duration_ms(back.get("max_interval")) or base * 10
                    on = tuple(s.strip() for s in str(policy.get("retry_on") or "").split(",") if s.strip())
                    where = action.line_of("retry_policy") if isinstance(action, yamlio.LineDict) else 0
                    retry = RouteRetry(PROXY, attempts, where, "exponential_jitter", most, on, "client")
                line = routes.line_of(i) if isinstance(routes, yamlio.LineList) else 0
                out.append(
                    Route(
                        PROXY,
                        rel,
                        line,
                        str(r.get("name")) if r.get("name") else None,
                        str(match) if match is not None else None,
                        addresses.get(action["cluster"]),
                        timeout,
                        source,
                        upstream=action["cluster"],
                        timeout_scope="call" if timeout is not None else None,
                        per_try_timeout_ms=per_try,
                        timeout_expr="route timeout"
                        if source == "config"
                        else "Envoy default route timeout 15s"
                        if source == "library_default"
                        else "timeout: 0s",
                        retry=retry,
                    )
                )
    return out


def routes_in(root: Path, rel: str, env: dict[str, str]) -> list[Route]:
    """The routes of one Envoy bootstrap / static configuration file (none when it is not YAML)."""
    try:
        docs = yamlio.load_file(root / rel, rel)
    except yamlio.YamlError:
        return []
    return [r for doc in docs for r in routes_of(rel, doc)]
