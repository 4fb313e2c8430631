"""``mesh_policy``: a timeout, retry or breaker policy that a service mesh or platform configuration
applies to the traffic to a service (Istio ``VirtualService`` / ``DestinationRule``, Linkerd
``ServiceProfile``, Gateway API ``HTTPRoute``), read by ``extractor.environment.mesh``.

It is not a call: the graph lays it over the call edges to the service it governs (the edge's
effective policy, ``extractor.effective``), and the system checks count its retries and timeout.
The facts are made from configuration files, never by a rule of ``rules/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..facts import Fact, assign_ids
from .base import Kind, fields
from .convert import as_built, num

if TYPE_CHECKING:
    from ..environment.book import AddressBook

MESHES = ("istio", "linkerd", "gateway-api")
RESOURCES = ("VirtualService", "DestinationRule", "ServiceProfile", "HTTPRoute")

FIELDS = fields(
    """
    mesh                  string    req  The mesh or platform API: istio, linkerd, gateway-api.
    resource              string    req  The resource kind: VirtualService, DestinationRule, ServiceProfile, HTTPRoute.
    name                  string?   req  The resource's name (a Linkerd route's name).
    host                  string    req  The host or backend the policy governs, as written.
    applies_to            string?   req  The service of this repository the host resolves to (null: none).
    match                 string?   -    The requests it governs (prefix:/path, exact:/path, regex:EXPR, after a method when it restricts one); absent: all.
    timeout_ms            ms        -    The timeout of the whole request, the mesh's retries included (null or absent: none).
    timeout_source        string?   -    config (written in the file) or library_default (the mesh's default: Linkerd's 10 s).
    timeout_line          integer?  -    The line of the timeout.
    attempts              number?   -    Tries per request, the first included; a retry budget counts 1 + its ratio (absent: the mesh does not retry).
    attempts_source       string?   -    config (written in the file) or library_default (Istio's 2 retries when a route gives none).
    attempts_line         integer?  -    The line of the retries (the route's line for a default).
    per_try_timeout_ms    ms        -    The timeout of each try (Istio perTryTimeout, Gateway API backendRequest).
    retry_on              strings   -    The conditions retried on (Istio retryOn).
    retry_budget_ratio    number?   -    Linkerd's retryBudget.retryRatio: retries add at most that share of the requests.
    consecutive_errors    integer?  -    Outlier detection: consecutive errors that eject a host (a breaker).
    ejection_ms           ms        -    Outlier detection: how long an ejected host stays out.
    max_connections       integer?  -    Connection pool: most TCP connections.
    max_pending_requests  integer?  -    Connection pool: most requests waiting for a connection.
    max_requests          integer?  -    Connection pool: most concurrent requests.
    breaker_line          integer?  -    The line of the outlier detection (or connection pool).
    packaging             string?   -    helm: rendered from a Helm chart of the repository with its values (the file and lines are the template's); absent: a plain manifest.
    rendered_from         string?   -    For a rendered policy: the chart, its template and the values lines printed on its timeout and retry lines (helm chart shop, templates/orders-vs.yaml, charts/shop/values.yaml:12).
    gateways              strings   -    The ingress gateways it is bound to when it does not govern mesh traffic (an Istio VirtualService without mesh in gateways, an HTTPRoute whose parents are all gateways): it applies to no call between services; absent: mesh traffic.
    variants              strings   -    The same resource (kind, namespace, name) in other packagings of the repository (file:line), not counted again: this fact is its main packaging's.
    """,
    mesh={"enum": list(MESHES)},
    resource={"enum": list(RESOURCES)},
    timeout_source={"enum": ["config", "library_default", None]},
    attempts_source={"enum": ["config", "library_default", None]},
)


KIND = Kind(
    "mesh_policy",
    FIELDS,
    (),
    as_built,
    "A timeout, retry or breaker policy a service mesh or platform configuration applies to the calls to a service (rule `mesh.MESH`, made from the file, not by a rule of rules/); the graph combines it with the code's policy into each call edge's effective policy.",
    rule_page=("mesh", "resource", "host", "applies_to", "timeout_ms", "attempts"),
)


def mesh_facts(book: AddressBook) -> list[Fact]:
    """The book's mesh policies as ``mesh_policy`` facts (rule ``mesh.MESH``), owned by the service
    each governs."""
    facts: list[Fact] = []
    for p in sorted(book.mesh, key=lambda p: (p.file, p.line, p.host, p.match or "")):
        out: dict[str, Any] = {"mesh": p.mesh, "resource": p.resource, "name": p.name, "host": p.host, "applies_to": p.service}
        if p.match:
            out["match"] = p.match
        if p.timeout_ms is not None:
            out.update(timeout_ms=num(p.timeout_ms), timeout_source="library_default" if p.timeout_default else "config", timeout_line=p.timeout_line or p.line)
        if p.attempts is not None:
            out.update(attempts=num(p.attempts), attempts_source="library_default" if p.attempts_default else "config", attempts_line=p.attempts_line or p.line)
        if p.per_try_timeout_ms is not None:
            out["per_try_timeout_ms"] = num(p.per_try_timeout_ms)
        if p.retry_on:
            out["retry_on"] = list(p.retry_on)
        extra = {
            "retry_budget_ratio": p.retry_budget_ratio,
            "consecutive_errors": p.consecutive_errors,
            "ejection_ms": num(p.ejection_ms) if p.ejection_ms is not None else None,
            "max_connections": p.max_connections,
            "max_pending_requests": p.max_pending_requests,
            "max_requests": p.max_requests,
        }
        out.update({k: v for k, v in extra.items() if v is not None})
        if p.breaker_line:
            out["breaker_line"] = p.breaker_line
        if p.packaging:
            out.update(packaging=p.packaging, rendered_from=p.rendered_from)
        if p.gateways:
            out["gateways"] = list(p.gateways)
        if p.variants:
            out["variants"] = list(p.variants)
        anchor = f"{p.resource} {p.name or ''} {p.host} {p.match or ''}"
        facts.append(Fact("mesh_policy", f"mesh.{p.mesh}", p.file, p.line or 1, 1, "high", out, p.service, anchor=anchor))
    assign_ids(facts)
    return facts
