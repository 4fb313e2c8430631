"""YARP (.NET reverse proxy) routes declared in ``appsettings*.json``: the ``ReverseProxy`` section's
``Routes`` (each with its ``ClusterId`` and ``Match.Path`` / ``Match.Methods``) and ``Clusters``
(``Destinations``' ``Address``, ``HttpRequest.ActivityTimeout``).

- **timeout**: the cluster's ``HttpRequest.ActivityTimeout`` (a ``TimeSpan``, ``00:00:30``), else
  YARP's default 100 s (``library_default``).
- **retries and breakers**: YARP has none built in; a route has one try. (Passive health checks
  take a destination out of rotation; they are not read.)

The .NET Aspire ``AddYarp`` resource's routes (``WithConfiguration(yarp => yarp.AddRoute(...))``)
are read from the app host by ``aspire.yarp_routes``, with the same defaults.

Not read: routes and clusters built in code (``LoadFromMemory``, ``IProxyConfigProvider``),
``Transforms``, and a cluster with several destinations beyond its first (load-balanced replicas
of one service are the usual case).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import safeio
from .appsettings import CONFIG_FILES, load_config_json
from .routes import Route, timespan_ms

PROXY = "yarp"
DEFAULT_ACTIVITY_TIMEOUT_MS = 100_000.0
"""YARP's default ``ActivityTimeout`` (100 s)."""


def _entries(v: Any, id_key: str) -> list[tuple[str, dict[str, Any]]]:
    """A section as (id, spec): a JSON object keyed by id, or (YARP 1.0 previews) an array with ids."""
    if isinstance(v, dict):
        return [(str(k), s) for k, s in v.items() if isinstance(s, dict)]
    if isinstance(v, list):
        return [(str(s.get(id_key) or i), s) for i, s in enumerate(v) if isinstance(s, dict)]
    return []


def _line_of(text: str, key: str, after: int) -> int:
    """The line of ``"key":`` in the file's text, searched from offset ``after``."""
    m = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, after)
    return text.count("\n", 0, m.start()) + 1 if m else 1


def routes_of(rel: str, text: str, doc: Any) -> list[Route]:
    proxy = doc.get("ReverseProxy") if isinstance(doc, dict) else None
    if not isinstance(proxy, dict):
        return []
    clusters = dict(_entries(proxy.get("Clusters"), "ClusterId"))
    start = text.find('"ReverseProxy"')
    routes_at = text.find('"Routes"', max(start, 0))
    out: list[Route] = []
    for rid, spec in _entries(proxy.get("Routes"), "RouteId"):
        cid = spec.get("ClusterId")
        cluster = clusters.get(str(cid)) if cid is not None else None
        address: str | None = None
        timeout: float | None = None
        if cluster is not None:
            dests = [d for _, d in _entries(cluster.get("Destinations"), "DestinationId")]
            address = next((str(d["Address"]) for d in dests if d.get("Address")), None)
            http = cluster.get("HttpRequest")
            if isinstance(http, dict) and isinstance(http.get("ActivityTimeout"), str):
                timeout = timespan_ms(http["ActivityTimeout"])
        found = spec.get("Match")
        match: dict[str, Any] = found if isinstance(found, dict) else {}
        methods = match.get("Methods")
        out.append(
            Route(
                PROXY,
                rel,
                _line_of(text, rid, max(routes_at, 0)),
                rid,
                str(match["Path"]) if match.get("Path") else None,
                address,
                timeout if timeout is not None else DEFAULT_ACTIVITY_TIMEOUT_MS,
                "config" if timeout is not None else "library_default",
                upstream=str(cid) if cid is not None else None,
                method=",".join(str(m).upper() for m in methods) if isinstance(methods, list) and methods else None,
                timeout_expr="HttpRequest.ActivityTimeout" if timeout is not None else "YARP default ActivityTimeout 100s",
            )
        )
    return out


def is_yarp_file(rel: str) -> bool:
    return bool(CONFIG_FILES.search(rel))


def routes_in(root: Path, rel: str, env: dict[str, str]) -> list[Route]:
    """The YARP routes of one ``appsettings*.json`` (none without a ``ReverseProxy`` section)."""
    try:
        text = safeio.read_text(root / rel, encoding="utf-8-sig")
        if '"ReverseProxy"' not in text:
            return []
        return routes_of(rel, text, load_config_json(text))
    except (OSError, ValueError):
        return []
