"""Service-mesh and platform policies: the timeouts, retries and breakers a mesh applies to the
traffic to a service, on top of what the caller's code does.

Read from any YAML file of the repository whose documents have one of these ``apiVersion`` groups
and kinds (``READERS``), each value with the line it is written at:

- Istio ``VirtualService`` (``networking.istio.io``): each ``http[]`` route's destination host,
  ``timeout`` (none when absent or ``0s``), ``retries.attempts`` (retries after the first try;
  Istio retries twice when a route gives no ``retries``), ``perTryTimeout``, ``retryOn``; the
  route's ``match[].uri`` (prefix, exact or regex).
- Istio ``DestinationRule``: ``trafficPolicy.outlierDetection`` (a breaker: consecutive errors,
  ejection time) and ``connectionPool`` limits (connections, pending and concurrent requests).
- Linkerd ``ServiceProfile`` (``linkerd.io``): each ``routes[]`` entry's ``condition``
  (method, ``pathRegex``), ``isRetryable``, ``timeout`` (Linkerd's default 10 s); the profile's
  ``retryBudget.retryRatio`` (default 0.2): retries add at most that share of the requests, so a
  retryable route's calls count ``1 + retryRatio`` tries.
- Gateway API ``HTTPRoute`` (``gateway.networking.k8s.io``): each ``rules[]`` entry's
  ``backendRefs[].name`` (the service), ``timeouts.request`` / ``timeouts.backendRequest``,
  ``retry.attempts`` (the experimental retry field), ``matches[].path``.

Hosts resolve to services of the repository through the address book (``orders``,
``orders.shop.svc.cluster.local``). A file that does not parse is a warning with its ``file:line``.

Traffic governed. An Istio ``VirtualService`` whose ``gateways:`` list does not include ``mesh``,
and a Gateway API ``HTTPRoute`` whose ``parentRefs`` are all gateways (no ``Service`` parent, the
mesh form), govern only the ingress traffic entering through those gateways, not the calls between
services inside the mesh: such a policy keeps its gateways (``gateways``) and the graph lays it
over no call edge.

Deployment variants. A resource's identity is its (kind, namespace, name) (``k8s.identity``); the
same resource copied into several packagings (``istio-manifests/``, ``kustomize/components/
service-mesh-istio/``, a ``release/`` bundle) counts once: from its main packaging
(``k8s.packaging_rank``: not under an optional folder, then the shallowest, then file order),
whether the copies agree or not, and the other copies are listed as its ``variants`` (``file:line``)
for provenance, never as more layers of retries.
Not read: Envoy sidecar bootstrap overrides (Envoy route configurations are proxy routes,
``envoy.py``), Istio ``Sidecar`` and ``EnvoyFilter``, Linkerd ``HTTPRoute`` policy resources.
A Helm chart's templates are not read here but rendered with their values (``helm.py``), whose
policies come through the same ``READERS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import yamlio
from ..facts import Diagnostic
from .book import AddressBook
from .k8s import identity, packaging_rank
from .routes import duration_ms

ISTIO_DEFAULT_RETRIES = 2
LINKERD_DEFAULT_TIMEOUT_MS = 10_000.0
LINKERD_DEFAULT_RETRY_RATIO = 0.2


@dataclass(frozen=True)
class MeshPolicy:
    """One policy a mesh applies to the calls to ``host``; ``attempts`` counts the first try (a float
    for a retry budget: the share of extra tries it allows); every ``*_line`` is where its value is."""

    mesh: str  # istio | linkerd | gateway-api
    resource: str  # VirtualService | DestinationRule | ServiceProfile | HTTPRoute
    name: str | None
    file: str
    line: int
    host: str
    service: str | None = None
    match: str | None = None  # prefix:/orders | exact:/x | regex:/x.* | the method before a space
    timeout_ms: float | None = None
    timeout_line: int = 0
    timeout_default: bool = False  # the mesh's default, not written in the file
    attempts: float | None = None
    attempts_line: int = 0
    attempts_default: bool = False
    per_try_timeout_ms: float | None = None
    retry_on: tuple[str, ...] = ()
    retry_budget_ratio: float | None = None
    consecutive_errors: int | None = None
    ejection_ms: float | None = None
    max_connections: int | None = None
    max_pending_requests: int | None = None
    max_requests: int | None = None
    breaker_line: int = 0
    packaging: str | None = None  # helm: rendered from a chart (helm.py); None: a plain manifest
    rendered_from: str | None = None  # helm chart X, templates/Y.yaml, values.yaml:LINE (the values printed on its lines)
    gateways: tuple[str, ...] = ()  # bound to these ingress gateways only (not mesh traffic)
    variants: tuple[str, ...] = ()  # file:line of the same resource in other packagings (not counted again)
    key: tuple[str, str, str] | None = None  # the resource's identity (kind, namespace, name)


def _line(node: Any, key: Any) -> int:
    return node.line_of(key) if isinstance(node, yamlio.LineDict) else 0


def _item_line(node: Any, i: int) -> int:
    return node.line_of(i) if isinstance(node, yamlio.LineList) else 0


def _dict(node: Any, *keys: str) -> dict[str, Any]:
    for k in keys:
        node = node.get(k) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _list(node: Any, key: str) -> list[Any]:
    v = node.get(key) if isinstance(node, dict) else None
    return v if isinstance(v, list) else []


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def _name(doc: dict[str, Any]) -> str | None:
    name = _dict(doc, "metadata").get("name")
    return str(name) if name is not None else None


def _uri_match(match: dict[str, Any]) -> str | None:
    for how in ("prefix", "exact", "regex"):
        if isinstance(match.get(how), str):
            return f"{how}:{match[how]}"
    return None


def _istio_gateways(spec: dict[str, Any]) -> tuple[str, ...]:
    """The gateways a VirtualService is bound to when it does not also govern mesh traffic (``mesh``)."""
    names = tuple(str(g) for g in _list(spec, "gateways") if g is not None)
    return () if not names or "mesh" in names else names


def _route_gateways(spec: dict[str, Any]) -> tuple[str, ...]:
    """The gateways an HTTPRoute is attached to when all its parents are gateways (a ``Service``
    parent is the mesh form, GAMMA)."""
    refs = [r for r in _list(spec, "parentRefs") if isinstance(r, dict)]
    if not refs or any(str(r.get("kind", "Gateway")) != "Gateway" for r in refs):
        return ()
    return tuple(str(r.get("name")) for r in refs if r.get("name") is not None)


def virtual_service(rel: str, doc: dict[str, Any]) -> Iterator[MeshPolicy]:
    spec = _dict(doc, "spec")
    http = spec.get("http")
    gateways = _istio_gateways(spec)
    for i, route in enumerate(http if isinstance(http, list) else []):
        if not isinstance(route, dict):
            continue
        line = _item_line(http, i)
        matches = [_uri_match(_dict(m, "uri")) for m in _list(route, "match")]
        timeout = duration_ms(route["timeout"]) if route.get("timeout") is not None else None
        retries = _dict(route, "retries")
        given = _int(retries.get("attempts"))
        attempts = float((given if given is not None else ISTIO_DEFAULT_RETRIES) + 1)
        on = tuple(s.strip() for s in str(retries.get("retryOn") or "").split(",") if s.strip())
        for j, dest in enumerate(_list(route, "route")):
            host = _dict(dest, "destination").get("host")
            if not isinstance(host, str):
                continue
            for match in matches or [None]:
                yield MeshPolicy(
                    "istio",
                    "VirtualService",
                    _name(doc),
                    rel,
                    _item_line(route.get("route"), j) or line,
                    host,
                    match=match,
                    timeout_ms=timeout or None,  # 0s: no timeout
                    timeout_line=_line(route, "timeout"),
                    attempts=attempts,
                    attempts_line=_line(retries, "attempts") if given is not None else line,
                    attempts_default=given is None,
                    per_try_timeout_ms=duration_ms(retries.get("perTryTimeout")) if retries.get("perTryTimeout") is not None else None,
                    retry_on=on,
                    gateways=gateways,
                )


def destination_rule(rel: str, doc: dict[str, Any]) -> Iterator[MeshPolicy]:
    spec = _dict(doc, "spec")
    host = spec.get("host")
    policy = _dict(spec, "trafficPolicy")
    if not isinstance(host, str) or not policy:
        return
    outlier = _dict(policy, "outlierDetection")
    pool = _dict(policy, "connectionPool")
    errors = next((_int(outlier.get(k)) for k in ("consecutive5xxErrors", "consecutiveGatewayErrors", "consecutiveErrors") if k in outlier), None)
    ejection = outlier.get("baseEjectionTime")
    yield MeshPolicy(
        "istio",
        "DestinationRule",
        _name(doc),
        rel,
        _line(spec, "host"),
        host,
        consecutive_errors=errors,
        ejection_ms=duration_ms(ejection) if ejection is not None else None,
        max_connections=_int(_dict(pool, "tcp").get("maxConnections")),
        max_pending_requests=_int(_dict(pool, "http").get("http1MaxPendingRequests")),
        max_requests=_int(_dict(pool, "http").get("http2MaxRequests")),
        breaker_line=_line(policy, "outlierDetection") or _line(policy, "connectionPool"),
    )


def service_profile(rel: str, doc: dict[str, Any]) -> Iterator[MeshPolicy]:
    host = _name(doc)
    spec = _dict(doc, "spec")
    if host is None:
        return
    budget = _dict(spec, "retryBudget")
    ratio = budget.get("retryRatio", LINKERD_DEFAULT_RETRY_RATIO)
    ratio = float(ratio) if isinstance(ratio, (int, float)) and not isinstance(ratio, bool) and ratio >= 0 else LINKERD_DEFAULT_RETRY_RATIO
    routes = spec.get("routes")
    for i, route in enumerate(routes if isinstance(routes, list) else []):
        if not isinstance(route, dict):
            continue
        cond = _dict(route, "condition")
        regex = cond.get("pathRegex")
        method = cond.get("method")
        match = " ".join(x for x in (method if isinstance(method, str) else "", f"regex:{regex}" if isinstance(regex, str) else "") if x)
        retryable = route.get("isRetryable") is True
        timeout = duration_ms(route["timeout"]) if route.get("timeout") is not None else None
        yield MeshPolicy(
            "linkerd",
            "ServiceProfile",
            str(route["name"]) if route.get("name") is not None else host,
            rel,
            _item_line(routes, i),
            host,
            match=match or None,
            timeout_ms=timeout if timeout is not None else LINKERD_DEFAULT_TIMEOUT_MS,
            timeout_line=_line(route, "timeout") or _item_line(routes, i),
            timeout_default=timeout is None,
            attempts=1 + ratio if retryable else 1.0,
            attempts_line=_line(route, "isRetryable") or _item_line(routes, i),
            retry_budget_ratio=ratio if retryable else None,
        )


def http_route(rel: str, doc: dict[str, Any]) -> Iterator[MeshPolicy]:
    rules = _dict(doc, "spec").get("rules")
    gateways = _route_gateways(_dict(doc, "spec"))
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        timeouts = _dict(rule, "timeouts")
        request = duration_ms(timeouts["request"]) if timeouts.get("request") is not None else None
        backend = duration_ms(timeouts["backendRequest"]) if timeouts.get("backendRequest") is not None else None
        retry = _dict(rule, "retry")
        given = _int(retry.get("attempts"))
        matches: list[str | None] = []
        for m in _list(rule, "matches"):
            path = _dict(m, "path")
            if isinstance(path.get("value"), str):
                how = {"Exact": "exact", "RegularExpression": "regex"}.get(str(path.get("type")), "prefix")
                matches.append(f"{how}:{path['value']}")
        for j, ref in enumerate(_list(rule, "backendRefs")):
            if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or ref.get("kind", "Service") != "Service":
                continue
            for match in matches or [None]:
                yield MeshPolicy(
                    "gateway-api",
                    "HTTPRoute",
                    _name(doc),
                    rel,
                    _item_line(rule.get("backendRefs"), j) or _item_line(rules, i),
                    ref["name"],
                    match=match,
                    timeout_ms=request or None,  # 0s: no timeout
                    timeout_line=_line(timeouts, "request"),
                    attempts=float(given + 1) if given is not None else None,
                    attempts_line=_line(retry, "attempts"),
                    per_try_timeout_ms=backend or None,
                    gateways=gateways,
                )


Reader = Callable[[str, dict[str, Any]], Iterable[MeshPolicy]]

READERS: dict[tuple[str, str], Reader] = {
    ("networking.istio.io", "VirtualService"): virtual_service,
    ("networking.istio.io", "DestinationRule"): destination_rule,
    ("linkerd.io", "ServiceProfile"): service_profile,
    ("gateway.networking.k8s.io", "HTTPRoute"): http_route,
}
"""(apiVersion group, kind) → the reader of one such document."""

_MARKER = re.compile(r"^\s*apiVersion:\s*['\"]?(" + "|".join(re.escape(g) for g, _ in READERS) + r")/", re.MULTILINE)


_TEMPLATE = re.compile(r"\{\{-?\s*[.$A-Za-z(/]")
"""A Go template action (``{{ .Values.x }}``, ``{{- if ...}}``): a Helm chart's templates/ file."""


def policies_in(root: Path, rel: str) -> tuple[list[MeshPolicy], list[Diagnostic]]:
    """The mesh policies of one YAML file (none when it holds no mesh resource); a file that names a
    mesh resource group and does not parse is a warning at its line, unless it is a Go template
    (a Helm chart's ``templates/``: not YAML before rendering, which is not done)."""
    try:
        text = (root / rel).read_text(encoding="utf-8", errors="replace") if (root / rel).stat().st_size <= yamlio.MAX_YAML_BYTES else ""
    except OSError:
        return [], []
    if not _MARKER.search(text):
        return [], []
    try:
        docs = yamlio.load_file(root / rel, rel)
    except yamlio.YamlError as exc:
        if _TEMPLATE.search(text):  # a Helm (Go) template is not YAML until rendered, and rendering is not done
            return [], []
        return [], [Diagnostic(rel, "config_error", exc.message, line=exc.line, severity="warning")]
    out: list[MeshPolicy] = []
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        group = str(doc.get("apiVersion") or "").split("/", 1)[0]
        read = READERS.get((group, str(doc.get("kind"))))
        if read is not None:
            key = identity(doc)
            out += [replace(p, key=key) for p in read(rel, doc)]
    return out, []


def read_mesh(book: AddressBook, root: Path, other_files: Iterable[str]) -> None:
    """Every mesh policy of the repository into ``book.mesh``, each host resolved to a service; a
    resource copied into several packagings counts once, from its main one (module docstring)."""
    found: list[MeshPolicy] = []
    for rel in sorted(other_files):
        if not rel.endswith((".yaml", ".yml")):
            continue
        policies, problems = policies_in(root, rel)
        book.diagnostics += problems
        found += policies
    book.mesh += [replace(p, service=book.service_for_host(p.host)) for p in one_per_resource(found)]


def one_per_resource(policies: list[MeshPolicy]) -> list[MeshPolicy]:
    """The policies of each resource's main packaging, each naming the other copies (``file:line`` of
    their first policy) as its variants; a resource without a name is its own."""
    copies: dict[tuple[str, str, str], dict[str, int]] = {}  # identity → file → first line
    for p in policies:
        if p.key is not None:
            copies.setdefault(p.key, {}).setdefault(p.file, p.line)
    main = {key: min(files, key=packaging_rank_of(files)) for key, files in copies.items()}
    out: list[MeshPolicy] = []
    for p in policies:
        if p.key is None or len(copies[p.key]) == 1:
            out.append(p)
        elif main[p.key] == p.file:
            out.append(replace(p, variants=tuple(f"{f}:{line}" for f, line in copies[p.key].items() if f != p.file)))
    return out


def packaging_rank_of(files: dict[str, int]) -> Callable[[str], tuple[bool, int, int]]:
    """The rank of each of a resource's files (``k8s.packaging_rank``, then file order)."""
    order = {f: i for i, f in enumerate(files)}
    return lambda f: (*packaging_rank(f), order[f])
