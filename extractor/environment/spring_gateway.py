"""Spring Cloud Gateway routes declared in a service's ``application*.yml``.

``spring.cloud.gateway.routes`` (also under ``server.webflux`` / ``server.mvc``, Spring Cloud
Gateway 4.1+): each route's ``id``, ``uri`` (``lb://orders``, ``http://orders:8080``), its ``Path``
and ``Method`` predicates and its filters, with ``default-filters`` applied to every route. What is
in force on a route:

- **timeout**: the route's ``metadata.response-timeout`` (ms; ``-1``: none), else
  ``httpclient.response-timeout`` (a duration; a bare number is ms), else none (the gateway's
  HTTP client waits forever by default). A ``CircuitBreaker`` filter (Spring Cloud CircuitBreaker
  with Resilience4j) adds its time limiter: ``resilience4j.timelimiter.instances.NAME.timeout-duration``,
  else a Spring Cloud CircuitBreaker customizer of the gateway's own code
  (``factory.configure(b -> b.timeLimiterConfig(...), "NAME")``), else ``configs.default``, else the
  customizer's ``configureDefault(id -> new Resilience4JConfigBuilder(id).timeLimiterConfig(
  TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(10)).build()).build())``
  (``code_limiters``: the service's ``src/main/java`` / ``src/main/kotlin`` next to the configuration
  file, read as text), else the library's 1 s. When the breaker runs outside the ``Retry``
  filter (filter order: position, default filters first at the same position) the limiter bounds
  the whole retried call (``timeout_scope: call``); otherwise each attempt gets the smaller of the two.
- **retries**: a ``Retry`` filter: ``retries`` (default 3) + 1 attempts, ``statuses``, ``series``
  (default SERVER_ERROR, also when statuses are given: either retries), ``exceptions`` (default
  IOException, TimeoutException), ``methods`` (default GET) as ``retry_on``, ``backoff`` (``firstBackoff``,
  ``maxBackoff``, ``factor``) as exponential or fixed with its maximum delay.
- **breaker**: a ``CircuitBreaker`` filter (name, ``fallbackUri``) with the Resilience4j settings of
  that name (``failure-rate-threshold``, ``minimum-number-of-calls``, ``wait-duration-in-open-state``).

Routes in ``.properties`` files (``spring.cloud.gateway.routes[0].uri=lb://orders``) are read into the
same tree. Routes built in Java (``RouteLocatorBuilder``) are not read here: they are ``proxy_route``
facts of the rule ``java.http.spring-cloud-gateway``, through the Java engine. Not read:
``spring.cloud.gateway.discovery.locator`` (routes made from the registry at run time), and the
``Hystrix`` filter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import safeio, yamlio
from .routes import Route, RouteBreaker, RouteRetry, duration_ms
from .svcconfig import SPRING_CONFIG_FILES, canonical, parse_properties

PROXY = "spring-cloud-gateway"
TIME_LIMITER_DEFAULT_MS = 1000.0
"""Resilience4j's ``TimeLimiterConfig`` default (``timeoutDuration`` 1 s)."""
BREAKER_DEFAULTS = {"failure-rate-threshold": 50.0, "minimum-number-of-calls": 100, "wait-duration-in-open-state": 60_000.0}
"""Resilience4j's ``CircuitBreakerConfig`` defaults."""


def _get(node: Any, *names: str) -> Any:
    """``node[name1][name2]...`` with Spring's relaxed names (``default-filters`` = ``defaultFilters``)
    and dotted keys, as Spring binds them (``spring.cloud.gateway:`` or ``cloud.gateway:`` under
    ``spring:`` are the same as the nested form)."""
    if not names:
        return node
    if not isinstance(node, dict):
        return None
    wanted = canonical(".".join(names)).split(".")
    for k, v in node.items():
        parts = canonical(str(k)).split(".")
        if parts == wanted[: len(parts)]:
            found = _get(v, *wanted[len(parts) :])
            if found is not None:
                return found
    return None


def _gateway(doc: Any) -> Any:
    for nested in ("server.webflux", "server.mvc"):
        inner = _get(doc, "spring", "cloud", "gateway", *nested.split("."))
        if isinstance(inner, dict) and _get(inner, "routes") is not None:
            return inner
    return _get(doc, "spring", "cloud", "gateway")


def _parse_item(item: Any) -> tuple[str, dict[str, Any]]:
    """A predicate or filter: ``Name=a,b`` (shortcut) or ``{name: Name, args: {...}}`` → (name, args);
    shortcut arguments are ``_0``, ``_1``..."""
    if isinstance(item, str):
        name, _, rest = item.partition("=")
        args: dict[str, Any] = {}
        for i, a in enumerate(rest.split(",") if rest else []):
            key, eq, value = a.strip().partition("=")
            if eq and key.isidentifier():  # CircuitBreaker=name=cb,fallbackUri=/fallback
                args[key] = value
            else:
                args[f"_{i}"] = a.strip()
        return name.strip(), args
    if isinstance(item, dict):
        name = _get(item, "name")
        args = _get(item, "args")
        return str(name or ""), dict(args) if isinstance(args, dict) else {}
    return "", {}


def _arg(args: dict[str, Any], name: str, position: int) -> Any:
    found = _get(args, name)
    return found if found is not None else args.get(f"_{position}")


def _strings(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list):
        return [str(x) for x in v]
    return [s.strip() for s in str(v).split(",") if s.strip()]


def _item_line(items: Any, index: int, fallback: int) -> int:
    return items.line_of(index) if isinstance(items, yamlio.LineList) else fallback


def _retry(args: dict[str, Any], line: int) -> RouteRetry:
    retries = _arg(args, "retries", 0)
    try:
        attempts: int | None = int(retries) + 1 if retries is not None else 4  # the filter's default: 3 retries
    except (TypeError, ValueError):
        attempts = None
    on = [f"status:{s}" for s in _strings(_arg(args, "statuses", 1))]
    series = _get(args, "series")
    on += [f"series:{s}" for s in (_strings(series) if series is not None else ["SERVER_ERROR"])]  # statuses or series: either retries
    exceptions = _get(args, "exceptions")
    on += _strings(exceptions) if exceptions is not None else ["java.io.IOException", "java.util.concurrent.TimeoutException"]
    on += [f"method:{m}" for m in _strings(_arg(args, "methods", 2)) or ["GET"]]
    backoff = _get(args, "backoff")
    kind, max_delay = "none", None
    if isinstance(backoff, dict):
        first = duration_ms(_get(backoff, "firstBackoff"))
        most = duration_ms(_get(backoff, "maxBackoff"))
        factor = _get(backoff, "factor")
        try:
            grows = float(factor) > 1 if factor is not None else True  # the default factor is 2
        except (TypeError, ValueError):
            grows = True
        kind = "exponential" if grows else "fixed"
        max_delay = most if most is not None else first
    return RouteRetry(PROXY, attempts, line, kind, max_delay, tuple(on))


def _conf(env: dict[str, str], family: str, name: str | None, setting: str) -> str | None:
    """``resilience4j.FAMILY.instances.NAME.SETTING``, else ``configs.default.SETTING`` (relaxed keys)."""
    keys = ([f"resilience4j.{family}.instances.{name}.{setting}"] if name else []) + [f"resilience4j.{family}.configs.default.{setting}"]
    for key in keys:
        v = env.get(canonical(key))
        if v is not None:
            return v
    return None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _breaker(args: dict[str, Any], line: int, env: dict[str, str], code: CodeLimiters | None = None) -> tuple[RouteBreaker, float, str, str | None]:
    """The breaker and its time limiter (ms, source, where code set it)."""
    name = _arg(args, "name", 0)
    name = str(name) if name is not None else None
    fallback = _arg(args, "fallbackUri", 1)
    ratio = _number(_conf(env, "circuitbreaker", name, "failure-rate-threshold"))
    calls = _number(_conf(env, "circuitbreaker", name, "minimum-number-of-calls"))
    wait = _conf(env, "circuitbreaker", name, "wait-duration-in-open-state")
    code = code or {}
    own = env.get(canonical(f"resilience4j.timelimiter.instances.{name}.timeout-duration")) if name else None
    limiter = own if own is not None else None
    in_code = code.get(name) if own is None and name else None
    if limiter is None and in_code is None:
        limiter = _conf(env, "timelimiter", None, "timeout-duration")
        in_code = code.get(None) if limiter is None else None
    limiter_ms = duration_ms(limiter) if limiter is not None else None
    breaker = RouteBreaker(
        PROXY,
        line,
        name,
        str(fallback) if fallback is not None else None,
        (ratio if ratio is not None else float(BREAKER_DEFAULTS["failure-rate-threshold"])) / 100.0,
        int(calls if calls is not None else BREAKER_DEFAULTS["minimum-number-of-calls"]),
        duration_ms(wait) if wait is not None else float(BREAKER_DEFAULTS["wait-duration-in-open-state"]),
    )
    if limiter_ms is not None:
        return breaker, limiter_ms, "config", None
    if in_code is not None:
        return breaker, in_code[0], "literal", in_code[1]
    return breaker, TIME_LIMITER_DEFAULT_MS, "library_default", None


CodeLimiters = dict[str | None, tuple[float, str]]
"""Time limiters a gateway's code sets: breaker name (None: every breaker, ``configureDefault``) →
(ms, ``file:line`` of the customizer call)."""

_CUSTOMIZE = re.compile(r"\.\s*(configureDefault|configure)\s*\(")
_LIMIT = re.compile(r"timeoutDuration\s*\(\s*(?:java\.time\.)?Duration\s*\.\s*of(Millis|Seconds|Minutes)\s*\(\s*(\d+)\s*[lL]?\s*\)\s*\)")
_LIMIT_UNITS = {"Millis": 1.0, "Seconds": 1000.0, "Minutes": 60_000.0}
_STRING = re.compile(r'^\s*"([^"\\]*)"\s*$')


def split_arguments(text: str, start: int) -> list[str]:
    """The top-level arguments of the call (or the members of the literal) whose opening bracket ends
    just before ``start``: the text readers of Spring customizers and NestJS configuration share it."""
    depth, out, begin = 0, [], start
    quote: str | None = None
    for i in range(start, min(len(text), start + 20_000)):
        c = text[i]
        if quote is not None:
            if c == quote and text[i - 1] != "\\":
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                out.append(text[begin:i])
                return out
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[begin:i])
            begin = i + 1
    return []


def code_limiters(root: Path, rel: str) -> CodeLimiters:
    """The time limiters the Spring Cloud CircuitBreaker customizers of the service set in code
    (a ``Customizer<ReactiveResilience4JCircuitBreakerFactory>`` bean): ``configureDefault(...)``
    for every breaker, ``configure(..., "a", "b")`` for those names, each with a literal
    ``TimeLimiterConfig ... timeoutDuration(Duration.ofSeconds(n))``. The sources are the
    ``java`` / ``kotlin`` folders beside the configuration file's ``resources`` folder; a duration
    that is not a literal is not read."""
    folder = Path(rel).parent
    if folder.name != "resources":
        return {}
    return _limiters_under(root, folder.parent)


def source_limiters(root: Path, rel: str) -> CodeLimiters:
    """``code_limiters`` of the service whose source file ``rel`` is (the ``java`` / ``kotlin``
    folder it lies in, ``src/main/java/...``): the customizers beside a breaker run in code."""
    parts = Path(rel).parts
    at = next((i for i in range(1, len(parts) - 1) if parts[i] in ("java", "kotlin") and parts[i - 1] == "main"), 0)
    return _limiters_under(root, Path(*parts[:at])) if at else {}


def _limiters_under(root: Path, main: Path) -> CodeLimiters:
    """The customizers' time limiters in the ``java`` / ``kotlin`` folders of ``main`` (``src/main``)."""
    out: CodeLimiters = {}
    for lang in ("java", "kotlin"):
        base = root / main / lang
        if not base.is_dir():
            continue
        for path in sorted(safeio.files_under(root, base, (".java", ".kt"))):
            try:
                text = safeio.read_text(path)
            except OSError:
                continue
            if "TimeLimiterConfig" not in text or "timeoutDuration" not in text:
                continue
            for m in _CUSTOMIZE.finditer(text):
                args = split_arguments(text, m.end())
                lim = _LIMIT.search(args[0]) if args else None
                if lim is None:
                    continue
                ms = float(lim.group(2)) * _LIMIT_UNITS[lim.group(1)]
                where = f"{path.relative_to(root).as_posix()}:{text.count(chr(10), 0, m.start()) + 1}"
                if m.group(1) == "configureDefault":
                    out.setdefault(None, (ms, where))
                else:
                    for arg in args[1:]:
                        sm = _STRING.match(arg)
                        if sm is not None:
                            out.setdefault(sm.group(1), (ms, where))
    return out


def routes_of(rel: str, doc: Any, env: dict[str, str], code: CodeLimiters | None = None) -> list[Route]:
    """The routes of one YAML document of a Spring configuration file; ``env`` is the service's
    configuration by canonical key (``svcconfig.canonical``) for the Resilience4j settings, ``code``
    the time limiters its code sets (``code_limiters``)."""
    gw = _gateway(doc)
    routes = _get(gw, "routes")
    if not isinstance(routes, list):
        return []
    defaults = _get(gw, "default-filters")
    default_items = list(defaults) if isinstance(defaults, list) else []
    client = _get(gw, "httpclient")
    global_timeout = duration_ms(_get(client, "response-timeout"))
    global_connect = duration_ms(_get(client, "connect-timeout"))
    out: list[Route] = []
    for i, spec in enumerate(routes):
        if not isinstance(spec, dict):
            continue
        line = routes.line_of(i) if isinstance(routes, yamlio.LineList) else 0
        uri = _get(spec, "uri")
        path: list[str] = []
        method: str | None = None
        for p in _get(spec, "predicates") or []:
            pname, pargs = _parse_item(p)
            if pname.lower() == "path":
                path += [str(v) for k, v in sorted(pargs.items()) if k.startswith("_") or canonical(str(k)).startswith("pattern")]
            elif pname.lower() == "method":
                method = ",".join(str(v).upper() for v in pargs.values()) or None
        filters = _get(spec, "filters")
        route_filters = filters if isinstance(filters, list) else []
        chain = [(n, 0, item, _item_line(defaults, n, line)) for n, item in enumerate(default_items)]
        chain += [(n, 1, item, _item_line(filters, n, line)) for n, item in enumerate(route_filters)]
        chain.sort(key=lambda c: (c[0], c[1]))  # order = position; a default filter first at the same position
        retry: RouteRetry | None = None
        breaker: RouteBreaker | None = None
        limiter: tuple[float, str, str | None] | None = None
        breaker_outer = False
        for _n, _own, item, at in chain:
            fname, fargs = _parse_item(item)
            if fname == "Retry" and retry is None:
                retry = _retry(fargs, at)
            elif fname == "CircuitBreaker" and breaker is None:
                breaker, lim_ms, lim_source, lim_where = _breaker(fargs, at, env, code)
                limiter = (lim_ms, lim_source, lim_where)
                breaker_outer = retry is None
        meta = _get(spec, "metadata")
        response = duration_ms(_get(meta, "response-timeout"))
        connect = duration_ms(_get(meta, "connect-timeout"))
        per_attempt: float | None
        if response is not None and response < 0:
            per_attempt, source, expr = None, "none", "metadata response-timeout: -1"
        elif response is not None:
            per_attempt, source, expr = response, "config", "metadata response-timeout"
        elif global_timeout is not None:
            per_attempt, source, expr = global_timeout, "config", "httpclient.response-timeout"
        else:
            per_attempt, source, expr = None, "none", "no response-timeout"
        timeout, scope, per_try = per_attempt, None, None
        if limiter is not None:
            lim_ms, lim_source, lim_where = limiter
            lim_expr = f"CircuitBreaker time limiter (customizer {lim_where})" if lim_where else "CircuitBreaker time limiter"
            if retry is not None and breaker_outer and (retry.attempts or 0) > 1:
                timeout, source, expr, scope, per_try = lim_ms, lim_source, lim_expr, "call", per_attempt
                retry = RouteRetry(retry.mechanism, retry.attempts, retry.line, retry.backoff, retry.max_delay_ms, retry.retry_on, "client")
            elif per_attempt is None or lim_ms < per_attempt:
                timeout, source, expr = lim_ms, lim_source, lim_expr
        rid = _get(spec, "id")
        out.append(
            Route(
                PROXY,
                rel,
                line,
                str(rid) if rid is not None else None,
                ",".join(path) or None,
                str(uri) if uri is not None else None,
                timeout,
                source,
                method=method,
                timeout_scope=scope,
                per_try_timeout_ms=per_try,
                connect_timeout_ms=connect if connect is not None else global_connect,
                timeout_expr=expr,
                retry=retry,
                breaker=breaker,
            )
        )
    return out


def is_gateway_file(rel: str) -> bool:
    """A Spring configuration file of main sources (not tests)."""
    return bool(SPRING_CONFIG_FILES.search(rel)) and "/test/" not in f"/{rel}"


def config_documents(root: Path, rel: str, word: str) -> list[Any]:
    """The documents of a Spring configuration file that mentions ``word`` (YAML, or
    ``.properties`` read back into the same tree); none when it does not or cannot be read."""
    try:
        text = safeio.read_text(root / rel)
        if word not in text:
            return []
        return [properties_tree(text)] if rel.endswith(".properties") else yamlio.load_text(text, rel)
    except (OSError, yamlio.YamlError):
        return []


def routes_in(root: Path, rel: str, env: dict[str, str]) -> list[Route]:
    """The gateway routes of one Spring configuration file (YAML, or ``.properties`` read back into
    the same tree); ``env``: the service's configuration by canonical key."""
    docs = config_documents(root, rel, "gateway")
    code = code_limiters(root, rel) if any(_gateway(doc) is not None for doc in docs) else {}
    return [r for doc in docs for r in routes_of(rel, doc, env, code)]


_PROPERTY_KEY = re.compile(r"^\s*((?:\\.|[^=:\s#!])+)\s*[=:\s]")
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def properties_tree(text: str) -> yamlio.LineDict:
    """A ``.properties`` file as the tree its YAML form would load to (``a.b[0].c=v`` →
    ``{a: {b: [{c: v}]}}``), each mapping and list knowing the line of its entries."""
    lines: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = _PROPERTY_KEY.match(line)
        if m and not line.lstrip().startswith(("#", "!")):
            lines.setdefault(m.group(1).replace("\\", ""), n)
    tree = yamlio.LineDict()
    for key, value in parse_properties(text).items():
        at = lines.get(key, 0)
        steps: list[str | int] = [int(idx) if idx else name for name, idx in _SEGMENT.findall(key)]
        node: Any = tree
        for step, following in zip(steps, steps[1:] + [None]):
            child: Any = value if following is None else (yamlio.LineList() if isinstance(following, int) else yamlio.LineDict())
            if isinstance(node, yamlio.LineDict):
                if step not in node:
                    node[step] = child
                    node.key_lines[step] = at
                node = node[step]
            elif isinstance(node, yamlio.LineList) and isinstance(step, int):
                while len(node) <= step:
                    node.append(child if len(node) == step else None)
                    node.item_lines.append(at)
                node = node[step]
            else:
                break
    return tree
