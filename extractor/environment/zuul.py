"""Spring Cloud Netflix Zuul routes declared in a service's Spring configuration (``application.yml``,
or a file a Config Server serves to it, ``spring.served_files``).

``zuul.routes.<name>`` is a mapping (``path``, ``serviceId``, ``url``) or a bare path (the name is
then the service id); ``path`` defaults to ``/<name>/**``, ``zuul.prefix`` is put before it. A
route whose ``url`` is an ``http(s)://`` address goes through Zuul's host client; any other route
(``serviceId``, or a ``url`` that is not an address) through Ribbon to the named service, as a
Hystrix command. What is in force on a route:

- **service-id routes**: the Hystrix command's timeout (``hystrix.command.<serviceId>.execution.
  isolation.thread.timeoutInMilliseconds``, else the ``default`` command's) bounds the call, Ribbon's
  ``ReadTimeout`` (``<serviceId>.ribbon.ReadTimeout``, else ``ribbon.ReadTimeout``, else 1 s) each
  attempt: the smaller applies; with no Hystrix timeout set, Zuul derives it from Ribbon's
  (``(ReadTimeout + ConnectTimeout) × (MaxAutoRetries + 1) × (MaxAutoRetriesNextServer + 1)``), so
  the read timeout applies. ``connect_timeout_ms`` is Ribbon's ``ConnectTimeout`` (default 1 s).
  A Hystrix **breaker** per service (``circuitBreaker.errorThresholdPercentage`` 50,
  ``requestVolumeThreshold`` 20, ``sleepWindowInMilliseconds`` 5000, the command's or ``default``;
  none when ``circuitBreaker.enabled`` is false);
- **url routes**: ``zuul.host.socket-timeout-millis`` (default 10 s) and
  ``zuul.host.connect-timeout-millis`` (default 2 s); no Hystrix, no retry.

Not read: retries (``zuul.retryable`` with Spring Retry), ``FallbackProvider`` beans, routes made
from the registry at run time (``zuul.ignoredServices`` unset), and routes in Java code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import yamlio
from .routes import Route, RouteBreaker
from .spring_gateway import _get as _child
from .spring_gateway import config_documents
from .svcconfig import canonical

PROXY = "zuul"
RIBBON_TIMEOUT_MS = 1000.0
"""Ribbon's ``RibbonClientConfiguration`` read and connect timeouts."""
HOST_SOCKET_MS = 10_000.0
HOST_CONNECT_MS = 2000.0
"""``zuul.host.socket-timeout-millis`` / ``connect-timeout-millis`` defaults."""
HYSTRIX_BREAKER = {"errorThresholdPercentage": 50.0, "requestVolumeThreshold": 20.0, "sleepWindowInMilliseconds": 5000.0}
"""Hystrix's ``circuitBreaker.*`` defaults."""


def _number(text: Any) -> float | None:
    try:
        return float(text) if text is not None and not isinstance(text, bool) else None
    except (TypeError, ValueError):
        return None


def _setting(env: dict[str, str], doc: Any, key: str) -> float | None:
    """A number from the service's configuration (``env``, canonical keys), else from this document."""
    v = env.get(canonical(key))
    if v is None:
        v = _child(doc, *key.split("."))
    return _number(v)


def _first(env: dict[str, str], doc: Any, keys: tuple[str, ...]) -> tuple[float | None, str | None]:
    """The first of ``keys`` configured (``_setting``), with the key."""
    for key in keys:
        v = _setting(env, doc, key)
        if v is not None:
            return v, key
    return None, None


def _hystrix(env: dict[str, str], doc: Any, command: str, setting: str) -> tuple[float | None, str | None]:
    return _first(env, doc, (f"hystrix.command.{command}.{setting}", f"hystrix.command.default.{setting}"))


def _ribbon(env: dict[str, str], doc: Any, client: str, setting: str) -> tuple[float | None, str | None]:
    return _first(env, doc, (f"{client}.ribbon.{setting}", f"ribbon.{setting}"))


def routes_of(rel: str, doc: Any, env: dict[str, str]) -> list[Route]:
    """The Zuul routes of one document of a Spring configuration file; ``env``: the service's
    configuration by canonical key (Hystrix, Ribbon and ``zuul.host`` settings may sit in another file)."""
    routes = _child(doc, "zuul", "routes")
    if not isinstance(routes, dict):
        return []
    prefix = _child(doc, "zuul", "prefix")
    if prefix is None:
        prefix = env.get(canonical("zuul.prefix"))
    prefix = str(prefix).rstrip("/") if prefix else ""
    out: list[Route] = []
    for name, spec in routes.items():
        line = routes.line_of(name) if isinstance(routes, yamlio.LineDict) else 0
        url: str | None = None
        service_id = str(name)
        if isinstance(spec, str):
            path = spec
        elif isinstance(spec, dict):
            p, sid, u = _child(spec, "path"), _child(spec, "serviceId"), _child(spec, "url")
            path = str(p) if p is not None else f"/{name}/**"
            url = str(u) if u is not None and str(u).startswith(("http://", "https://")) else None
            service_id = str(sid if sid is not None else u if u is not None else name)
        else:
            continue
        match = prefix + path if path.startswith("/") else f"{prefix}/{path}"
        breaker: RouteBreaker | None = None
        expr: str | None
        if url is not None:  # Zuul's host client: no Hystrix
            socket = _setting(env, doc, "zuul.host.socket-timeout-millis")
            connect = _setting(env, doc, "zuul.host.connect-timeout-millis")
            timeout, source = (socket, "config") if socket is not None else (HOST_SOCKET_MS, "library_default")
            expr = "zuul.host.socket-timeout-millis" if socket is not None else "Zuul's host client default (10 s)"
            connect_ms = connect if connect is not None else HOST_CONNECT_MS
        else:  # Ribbon inside a Hystrix command
            url = f"lb://{service_id}"
            read, read_key = _ribbon(env, doc, service_id, "ReadTimeout")
            connect, _ = _ribbon(env, doc, service_id, "ConnectTimeout")
            command, command_key = _hystrix(env, doc, service_id, "execution.isolation.thread.timeoutInMilliseconds")
            per_read = read if read is not None else RIBBON_TIMEOUT_MS
            if command is not None and command < per_read:
                timeout, source, expr = command, "config", command_key
            else:
                timeout, source, expr = per_read, "config" if read is not None else "library_default", read_key or "Ribbon's default ReadTimeout (1 s)"
            connect_ms = connect if connect is not None else RIBBON_TIMEOUT_MS
            if _hystrix_flag(env, doc, service_id):
                values = {k: _hystrix(env, doc, service_id, f"circuitBreaker.{k}")[0] for k in HYSTRIX_BREAKER}
                settings = {k: v if v is not None else HYSTRIX_BREAKER[k] for k, v in values.items()}
                breaker = RouteBreaker(
                    "hystrix",
                    line,
                    service_id,
                    None,
                    settings["errorThresholdPercentage"] / 100.0,
                    int(settings["requestVolumeThreshold"]),
                    settings["sleepWindowInMilliseconds"],
                )
        out.append(Route(PROXY, rel, line, str(name), match, url, timeout, source, connect_timeout_ms=connect_ms, timeout_expr=expr, breaker=breaker))
    return out


def _hystrix_flag(env: dict[str, str], doc: Any, command: str) -> bool:
    for key in (f"hystrix.command.{command}.circuitBreaker.enabled", "hystrix.command.default.circuitBreaker.enabled"):
        v = env.get(canonical(key))
        if v is None:
            v = _child(doc, *key.split("."))
        if v is not None:
            return str(v).strip().lower() != "false"
    return True


def routes_in(root: Path, rel: str, env: dict[str, str]) -> list[Route]:
    """The Zuul routes of one Spring configuration file (YAML, or ``.properties`` read into the
    same tree); ``env``: the service's configuration by canonical key."""
    return [r for doc in config_documents(root, rel, "zuul") for r in routes_of(rel, doc, env)]
