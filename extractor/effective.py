"""The effective policy of a call edge: what the code does (its timeout from a literal, a client's or
a library's default, or the deployment's environment; its retries) combined with what a service mesh
applies to the calls to the callee (``mesh_policy`` facts: Istio, Linkerd, Gateway API).

Tries multiply (3 code attempts through an Istio route retrying 3 times = 3 × 4 = 12 calls to the
callee), and the tighter timeout bounds each try: a mesh timeout bounds the whole request the
mesh sees, its own retries included, so each of the code's tries ends at the smaller of the code's
and the mesh's timeout. A mesh policy governs a call when its ``match`` fits the call's path (and
method); of one resource's routes the first that fits applies (Istio and Linkerd order). A policy
bound to ingress gateways only (``gateways``) governs no call between services, and a resource copied
into several packagings is one layer (its main packaging's, the copies as its ``variants``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .contracts.infer import CodeCall
from .contracts.model import Location
from .facts import Fact
from .kinds.views import MeshPolicy


@dataclass(frozen=True)
class MeshLayer:
    """One mesh policy over a call, each value with its ``file:line``."""

    mesh: str
    resource: str
    name: str | None
    match: str | None
    location: Location
    timeout_ms: float | None = None
    timeout_location: Location | None = None
    timeout_source: str | None = None
    attempts: float | None = None
    attempts_location: Location | None = None
    attempts_source: str | None = None
    per_try_timeout_ms: float | None = None
    retry_on: tuple[str, ...] = ()
    breaker: str | None = None
    variants: tuple[str, ...] = ()

    @property
    def group(self) -> tuple[str, str, str | None]:
        return (self.location.file, self.resource, self.name if self.resource != "ServiceProfile" else None)

    def locations(self) -> list[Location]:
        return [loc for loc in (self.attempts_location, self.timeout_location) if loc is not None] or [self.location]


def _breaker(p: MeshPolicy) -> str | None:
    parts = []
    if p.consecutive_errors is not None:
        parts.append(f"ejects a host after {p.consecutive_errors} consecutive errors" + (f" for {p.ejection_ms:g} ms" if p.ejection_ms is not None else ""))
    limits = [
        f"{n} {what}" for n, what in ((p.max_connections, "connections"), (p.max_pending_requests, "pending"), (p.max_requests, "requests")) if n is not None
    ]
    if limits:
        parts.append("at most " + ", ".join(limits))
    return "; ".join(parts) or None


def mesh_layers(facts: Iterable[Fact]) -> dict[str, tuple[MeshLayer, ...]]:
    """The mesh policies of the scan by the service each governs, in file order (not those bound to
    ingress gateways only: they govern the traffic entering the system, not calls between services)."""
    out: dict[str, list[MeshLayer]] = {}
    for f in facts:
        if f.kind != "mesh_policy":
            continue
        p = MeshPolicy.from_fields(f.fields)
        if not p.applies_to or p.gateways:
            continue
        at = Location(f.file, f.line, f.rule)
        out.setdefault(p.applies_to, []).append(
            MeshLayer(
                p.mesh or "",
                p.resource or "",
                p.name,
                p.match,
                at,
                p.timeout_ms,
                Location(f.file, p.timeout_line, f.rule) if p.timeout_ms is not None and p.timeout_line else None,
                p.timeout_source,
                p.attempts,
                Location(f.file, p.attempts_line, f.rule) if p.attempts is not None and p.attempts_line else None,
                p.attempts_source,
                p.per_try_timeout_ms,
                tuple(p.retry_on),
                _breaker(p),
                tuple(p.variants),
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def _fits(match: str | None, call: CodeCall | None) -> bool:
    if match is None:
        return True
    if call is None or call.path is None:
        return False
    first, _, rest = match.partition(" ")
    method, how_value = (first, rest) if ":" not in first else ("", match)
    if method and call.method and call.method.upper() != method.upper():
        return False
    if not how_value:
        return True
    how, _, value = how_value.partition(":")
    path = call.path.split("?", 1)[0]
    if how == "exact":
        return path == value
    if how == "regex":
        try:
            return re.fullmatch(value, path) is not None
        except re.error:
            return False
    return path.startswith(value) if how == "prefix" else False


def layers_for(call: CodeCall | None, layers: Iterable[MeshLayer]) -> tuple[MeshLayer, ...]:
    """The layers governing ``call`` (None: an edge without code calls): of each resource, the first route that fits."""
    out: dict[tuple[str, str, str | None], MeshLayer] = {}
    for layer in layers:
        if layer.group not in out and _fits(layer.match, call):
            out[layer.group] = layer
    return tuple(out.values())


def mesh_tries(layers: Iterable[MeshLayer]) -> float:
    """The tries one request becomes through the mesh layers: the product of their attempts."""
    return math.prod(layer.attempts for layer in layers if layer.attempts is not None)


def mesh_timeout(layers: Iterable[MeshLayer]) -> MeshLayer | None:
    """The layer with the tightest timeout (None: no layer bounds the call)."""
    timed = [layer for layer in layers if layer.timeout_ms is not None]
    return min(timed, key=lambda layer: layer.timeout_ms or 0.0) if timed else None


def call_tries(call: CodeCall, layers: Iterable[MeshLayer]) -> float | None:
    """The calls one run of ``call`` makes to the callee: its attempts × the mesh's (None: unbounded)."""
    return None if call.attempts is None else call.attempts * mesh_tries(layers)


def call_timeout(call: CodeCall, layers: Iterable[MeshLayer]) -> float | None:
    """Each try's effective timeout: the smaller of the code's and the mesh's (None: unbounded)."""
    mesh = mesh_timeout(layers)
    values = [v for v in (call.timeout_ms, mesh.timeout_ms if mesh else None) if v is not None]
    return min(values) if values else None


def _where(loc: Location | None) -> dict[str, Any]:
    return {"file": loc.file, "line": loc.line} if loc is not None else {}


def _number(v: float | None) -> int | float | None:
    return None if v is None else int(v) if v == int(v) else round(v, 3)


def effective_json(calls: tuple[CodeCall, ...], by_call: dict[str, tuple[MeshLayer, ...]]) -> dict[str, Any]:
    """An edge's effective policy for the graph JSON: the most tries and the tightest timeout of its
    calls, and every layer with its provenance (each code call, then each mesh policy once)."""
    layers: list[dict[str, Any]] = []
    tries: list[float | None] = []
    timeouts: list[float | None] = []
    seen: list[MeshLayer] = []
    for c in calls:
        mesh = by_call.get(c.id, ())
        retry_at = c.retries[0].location if c.retries else c.location
        layers.append(
            {
                "layer": "deployment" if deployed(c) else "code",
                "call": c.label,
                "timeout_ms": _number(c.timeout_ms),
                "timeout_source": c.timeout_source,
                "attempts": c.attempts,
            }
            | ({"timeout_detail": c.timeout_detail} if c.timeout_detail else {})
            | {"file": c.location.file, "line": c.location.line, "rule": c.location.rule}
            | ({"attempts_at": f"{retry_at.file}:{retry_at.line}"} if c.retries else {})
        )
        tries.append(call_tries(c, mesh))
        timeouts.append(call_timeout(c, mesh))
        seen += [m for m in mesh if m not in seen]
    for m in by_call.get("", ()) if not calls else ():
        seen.append(m)
    for m in seen:
        entry: dict[str, Any] = {"layer": "mesh", "mesh": m.mesh, "resource": m.resource, "name": m.name, "match": m.match}
        if m.timeout_ms is not None:
            entry |= {"timeout_ms": _number(m.timeout_ms), "timeout_source": m.timeout_source} | {
                f"timeout_{k}": v for k, v in _where(m.timeout_location).items()
            }
        if m.attempts is not None:
            entry |= {"attempts": _number(m.attempts), "attempts_source": m.attempts_source} | {
                f"attempts_{k}": v for k, v in _where(m.attempts_location).items()
            }
        if m.per_try_timeout_ms is not None:
            entry["per_try_timeout_ms"] = _number(m.per_try_timeout_ms)
        if m.retry_on:
            entry["retry_on"] = list(m.retry_on)
        if m.breaker:
            entry["breaker"] = m.breaker
        if m.variants:
            entry["variants"] = list(m.variants)
        layers.append(entry | _where(m.location) | {"rule": m.location.rule})
    if not calls:
        mesh = by_call.get("", ())
        timed = mesh_timeout(mesh)
        tries, timeouts = [mesh_tries(mesh)], [timed.timeout_ms if timed else None]
    known = [t for t in timeouts if t is not None]
    return {
        "attempts": None if any(t is None for t in tries) else _number(max(t for t in tries if t is not None)),
        "timeout_ms": _number(min(known)) if known else None,
        "layers": layers,
    }


def edge_mesh(calls: tuple[CodeCall, ...], layers: tuple[MeshLayer, ...]) -> dict[str, tuple[MeshLayer, ...]]:
    """The mesh layers over each call of an edge by call id ("": the edge without code calls); empty when none applies."""
    found = {c.id: layers_for(c, layers) for c in calls} if calls else {"": layers_for(None, layers)}
    return {k: v for k, v in found.items() if v}


def deployed(call: CodeCall) -> bool:
    """The call's timeout is the value the deployment gives an environment variable (kinds.calls.deployed_timeout)."""
    return call.timeout_source == "config" and bool(call.timeout_env)


def has_layers(calls: tuple[CodeCall, ...], mesh: dict[str, tuple[MeshLayer, ...]]) -> bool:
    """Whether an edge's effective policy has a layer besides its code: a mesh policy, or a timeout the deployment sets."""
    return bool(mesh) or any(deployed(c) for c in calls)
