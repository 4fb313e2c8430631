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

**Routes from the registry** (``registry_routes``): a service whose sources declare
``@EnableZuulProxy`` and whose configuration has a Eureka client (``eureka.client.serviceUrl.defaultZone``,
the client neither disabled nor ``fetchRegistry: false``) routes ``<zuul.prefix>/<id>/**`` to each
service id Eureka knows, as Zuul does when ``zuul.ignoredServices`` is not ``*``: every other
service of the repository whose configuration names it (``spring.application.name``) and registers
it with Eureka (a ``defaultZone``, ``registerWithEureka`` not false), but those the configured routes
already name and those ``zuul.ignoredServices`` lists. Such a route is a service-id route, at the
annotation's line.

Not read: retries (``zuul.retryable`` with Spring Retry), ``FallbackProvider`` beans, and routes in Java code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import safeio, yamlio
from ..discover import is_test_source
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
        expr: str | None
        if url is not None:  # Zuul's host client: no Hystrix
            socket = _setting(env, doc, "zuul.host.socket-timeout-millis")
            connect = _setting(env, doc, "zuul.host.connect-timeout-millis")
            timeout, source = (socket, "config") if socket is not None else (HOST_SOCKET_MS, "library_default")
            expr = "zuul.host.socket-timeout-millis" if socket is not None else "Zuul's host client default (10 s)"
            connect_ms = connect if connect is not None else HOST_CONNECT_MS
        else:  # Ribbon inside a Hystrix command
            out.append(_service_route(rel, line, str(name), match, service_id, env, doc))
            continue
        out.append(Route(PROXY, rel, line, str(name), match, url, timeout, source, connect_timeout_ms=connect_ms, timeout_expr=expr))
    return out


def _service_route(rel: str, line: int, name: str, match: str, service_id: str, env: dict[str, str], doc: Any) -> Route:
    """A route to a service id: Ribbon inside a Hystrix command (the module docstring)."""
    read, read_key = _ribbon(env, doc, service_id, "ReadTimeout")
    connect, _ = _ribbon(env, doc, service_id, "ConnectTimeout")
    command, command_key = _hystrix(env, doc, service_id, "execution.isolation.thread.timeoutInMilliseconds")
    per_read = read if read is not None else RIBBON_TIMEOUT_MS
    if command is not None and command < per_read:
        timeout, source, expr = command, "config", command_key
    else:
        timeout, source, expr = per_read, "config" if read is not None else "library_default", read_key or "Ribbon's default ReadTimeout (1 s)"
    breaker: RouteBreaker | None = None
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
    connect_ms = connect if connect is not None else RIBBON_TIMEOUT_MS
    return Route(PROXY, rel, line, name, match, f"lb://{service_id}", timeout, source, connect_timeout_ms=connect_ms, timeout_expr=expr, breaker=breaker)


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


_ENABLE_ZUUL = re.compile(r"@(?:org\.springframework\.cloud\.netflix\.zuul\.)?EnableZuulProxy\b")


def _eureka_client(env: Mapping[str, str], does: str) -> bool:
    """Whether a service's configuration (canonical keys) has a Eureka client, enabled, that does
    ``does`` (``registerWithEureka``, ``fetchRegistry``: true unless set false)."""
    return bool(env.get(canonical("eureka.client.serviceUrl.defaultZone"))) and not any(
        str(env.get(canonical(f"eureka.client.{k}"), "true")).strip().lower() == "false" for k in ("enabled", does)
    )


def _annotated(root: Path, service_root: str) -> tuple[str, int] | None:
    """The first main source of the folder declaring ``@EnableZuulProxy``: (file, line)."""
    base = root if service_root == "." else root / service_root
    for path in sorted(safeio.files_under(root, base, (".java", ".kt"))):  # no link followed out of the scan root
        rel = path.relative_to(root).as_posix()
        if is_test_source(rel):
            continue
        try:
            text = safeio.read_text(path)
        except OSError:
            continue
        m = _ENABLE_ZUUL.search(text)
        if m is not None:
            return rel, text.count("\n", 0, m.start()) + 1
    return None


def registry_routes(root: Path, roots: Mapping[str, str], envs: Mapping[str, Mapping[str, str]], configured: Iterable[Route]) -> list[Route]:
    """The routes a Zuul proxy makes from the Eureka registry (module docstring). ``roots``: service
    → its folder; ``envs``: service → its configuration by canonical key; ``configured``: the routes
    read from configuration files (whose service ids the registry adds no route for)."""
    taken: dict[str, set[str]] = {}
    for r in configured:
        if r.proxy == PROXY and r.service is not None and r.url is not None:
            taken.setdefault(r.service, set()).add(r.url.removeprefix("lb://").lower())
    ids = {s: env.get(canonical("spring.application.name"), "").strip() for s, env in envs.items() if _eureka_client(env, "registerWithEureka")}
    out: list[Route] = []
    for service in sorted(roots):
        env = envs.get(service, {})
        if not _eureka_client(env, "fetchRegistry"):
            continue
        ignored = {x.strip().lower() for x in str(env.get(canonical("zuul.ignoredServices"), "")).split(",") if x.strip()}
        routed = [
            sid
            for other, sid in sorted(ids.items())
            if other != service and sid and "${" not in sid and sid.lower() not in ignored and sid.lower() not in taken.get(service, set())
        ]
        where = _annotated(root, roots[service]) if routed and "*" not in ignored else None  # the sources read only for a route to make
        if where is None:
            continue
        prefix = str(env.get(canonical("zuul.prefix"), "") or "").rstrip("/")
        for sid in routed:
            out.append(replace(_service_route(where[0], where[1], sid, f"{prefix}/{sid}/**", sid, dict(env), {}), service=service))
    return out
