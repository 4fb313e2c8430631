"""``contracts graph``: the dependency graph as JSON (``graph.v1``), Graphviz DOT or Mermaid.

JSON keeps every attribute value with its provenance; DOT and Mermaid are pictures, labelled with
the few values people look for first (operation, timeouts, attempts, freshness).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..contracts.model import Publication, Subscription
from ..contracts.values import format_ms
from ..effective import effective_json, has_layers
from ..facts import Diagnostic
from ..graph import CallEdge, ContractGraph, DatasetNode, MessageEdge, ReadEdge, Sourced, UseEdge, node_id
from .findings_json import location_json

GRAPH_VERSION = 1
PICTURE_LAYERS = ("calls", "data", "messages")
"""The layers DOT and Mermaid draw unless told otherwise (JSON holds every layer)."""


def _value(s: Sourced) -> dict[str, Any]:
    out: dict[str, Any] = {"value": s.value}
    out.update(location_json(s.location))
    if s.note:
        out["note"] = s.note
    return out


def _attrs(attrs: dict[str, list[Sourced]]) -> dict[str, Any]:
    return {name: [_value(s) for s in values] for name, values in sorted(attrs.items())}


def _provide_attrs(ds: DatasetNode) -> dict[str, list[Sourced]]:
    p = ds.provided
    out: dict[str, list[Sourced]] = {}
    if p is not None and p.freshness is not None:
        out["freshness"] = [Sourced(str(p.freshness), p.where("freshness"))]
    if p is not None and p.via:
        out["via"] = [Sourced(p.via, p.where("via"))]
    return out


def document(graph: ContractGraph, root: str, unanalysed: list[Diagnostic] | None = None) -> dict[str, Any]:
    """The graph document; ``unanalysed``: the services' files that could not be analysed (absent when none)."""
    nodes: list[dict[str, Any]] = []
    for name, node in sorted(graph.services.items()):
        nodes.append(
            {
                "id": node_id("service", name),
                "kind": "service",
                "name": name,
                "root": node.root,
                "declared": node.declared is not None,
                "in_code": node.has_code,
            }
            | ({"role": node.role} if node.role else {})
        )
    for ds in graph.datasets.values():
        nodes.append({"id": node_id("dataset", ds.name), "kind": "dataset", "name": ds.name, "provider": ds.provider})
    for host in graph.hosts:
        nodes.append({"id": node_id("host", host), "kind": "external", "name": host})
    for topic in graph.topics.values():
        nodes.append(
            {"id": node_id("topic", topic.key), "kind": "topic", "name": topic.key, "broker": topic.broker, "destination_kind": topic.kind, "layer": "messages"}
        )
    for n in graph.stores.values():
        extra = {"engine": n.what, "database": n.database} if n.kind == "store" else {"infra": n.what, "system": n.system}
        nodes.append({"id": n.id, "kind": n.kind, "name": n.key, **extra, "layer": n.layer})
    edges: list[dict[str, Any]] = []
    for e in graph.calls:
        edges.append(
            {
                "id": e.id,
                "kind": "call",
                "layer": "calls",
                "source": node_id("service", e.caller),
                "target": node_id("host" if e.external else "service", e.callee),
                "operation": e.operation,
                "declared": e.declared is not None,
                "in_code": bool(e.calls),
                "match": e.match,
                "attributes": _attrs(e.attributes()),
                "locations": [location_json(l) for l in e.locations()],
            }
            | ({"effective": effective_json(e.calls, e.mesh)} if has_layers(e.calls, e.mesh) else {})
        )
    for r in graph.reads:
        edges.append(
            {
                "id": r.id,
                "kind": "read",
                "layer": "data",
                "source": node_id("service", r.reader),
                "target": node_id("dataset", r.dataset),
                "provider": r.provider,
                "declared": r.declared is not None,
                "in_code": bool(r.replica_reads),
                "attributes": _attrs(r.attributes()),
                "locations": [location_json(l) for l in r.locations()],
            }
        )
    for ds in graph.datasets.values():
        if ds.provider is None:
            continue
        attrs = _provide_attrs(ds)
        edges.append(
            {
                "id": ds.id,
                "kind": "provide",
                "layer": "data",
                "source": node_id("service", ds.provider),
                "target": node_id("dataset", ds.name),
                "declared": ds.provided is not None,
                "in_code": False,
                "attributes": _attrs(attrs),
                "locations": [location_json(ds.provided.location)] if ds.provided is not None else [],
            }
        )
    for m in graph.messages:
        edges.append(
            {
                "id": m.id,
                "kind": m.role,
                "layer": "messages",
                "source": m.source,
                "target": m.target,
                "declared": m.declared is not None,
                "in_code": m.in_code,
                "attributes": _attrs(m.attributes()),
                "locations": [location_json(l) for l in m.locations()],
            }
        )
    for u in graph.uses:
        edges.append(
            {
                "id": u.id,
                "kind": u.kind,
                "layer": u.layer,
                "source": node_id("service", u.service),
                "target": u.target,
                "declared": False,
                "in_code": True,
                "attributes": _attrs(u.attributes()),
                "locations": [location_json(l) for l in u.locations()],
            }
        )
    edges.sort(key=lambda e: (e["kind"], e["source"], e["target"], e["id"]))
    out: dict[str, Any] = {"version": GRAPH_VERSION, "root": root, "nodes": nodes, "edges": edges}
    if unanalysed:
        out["unanalysed"] = [d.to_json() for d in unanalysed]
    return out


# -- labels shared by the pictures ---------------------------------------------------------------


def _values(values: list[Sourced], fmt: Callable[[Any], str] = str) -> str:
    return " / ".join(f"{fmt(s.value)} ({s.origin})" for s in values)


def call_label(e: CallEdge) -> list[str]:
    if e.operation:
        head = e.operation
    else:
        calls = sorted({f"{c.method or ''} {c.path or c.rpc or ''}".strip() for c in e.calls})
        head = ", ".join(calls[:2]) + (", ..." if len(calls) > 2 else "") if calls else "calls"
    lines = [head]
    timeouts = e.timeouts()
    if timeouts:
        lines.append("timeout " + _values(timeouts, lambda v: "none" if v is None else format_ms(v)))
    attempts = e.attempts()
    if any(s.value != 1 for s in attempts):
        lines.append("attempts " + _values(attempts, lambda v: "unbounded" if v is None else str(v)))
    return lines


def read_label(r: ReadEdge) -> list[str]:
    lines = ["reads" + (" (replica)" if r.replica_reads else "")]
    if r.declared is not None and r.declared.freshness_required is not None:
        lines.append(f"needs {r.declared.freshness_required}")
    return lines


def provide_label(ds: DatasetNode) -> list[str]:
    lines = ["provides"]
    if ds.provided is not None and ds.provided.freshness is not None:
        lines.append(str(ds.provided.freshness))
    return lines


def message_label(m: MessageEdge) -> list[str]:
    """``publish`` / ``consume``, with what decides duplicates: acks and idempotence, or the ack mode,
    redelivery and de-duplication."""
    sites = m.sites
    d = m.declared
    if m.role == "publish":
        lines = ["publishes" + ("" if sites else " (declared)")]
        if isinstance(d, Publication) and d.lag is not None:
            lines.append(f"lag {d.lag}")
        acks = sorted({str(s.acks) for s in sites if s.acks is not None})
        if acks:
            lines.append("acks " + "/".join(acks))
        if any(s.idempotent for s in sites):
            lines.append("idempotent producer")
        return lines
    lines = ["consumes" + ("" if sites else " (declared)")]
    if isinstance(d, Subscription) and d.freshness_required is not None:
        lines.append(f"needs {d.freshness_required}")
    modes = sorted({s.ack_mode for s in sites if s.ack_mode})
    if modes:
        lines.append("ack " + "/".join(modes))
    if any(s.redelivery for s in sites):
        lines.append("at-least-once, " + ("dedup" if all(s.dedup for s in sites if s.redelivery) else "no dedup"))
    return lines


def use_label(u: UseEdge) -> list[str]:
    """``uses`` with the replica role when a client reads a replica; an infrastructure edge its system."""
    if u.kind == "store":
        return ["uses" + (" (replica)" if any(s.role == "replica" for s in u.sites) else "")]
    return sorted({s.library or "uses" for s in u.sites})[:2]


def _edges(graph: ContractGraph, layers: tuple[str, ...] = PICTURE_LAYERS) -> list[tuple[str, str, list[str], str]]:
    """(source id, target id, label lines, style) for every edge of ``layers``, sorted."""
    out = [
        (node_id("service", e.caller), node_id("host" if e.external else "service", e.callee), call_label(e), "solid" if e.calls else "dashed")
        for e in graph.calls
    ]
    out += [(node_id("service", r.reader), node_id("dataset", r.dataset), read_label(r), "dotted") for r in graph.reads]
    out += [(node_id("service", d.provider), node_id("dataset", d.name), provide_label(d), "bold") for d in graph.datasets.values() if d.provider]
    out += [(m.source, m.target, message_label(m), "message" if m.in_code else "message_declared") for m in graph.messages]
    out += [(node_id("service", u.service), u.target, use_label(u), "dotted" if u.kind == "store" else "infra") for u in graph.uses if u.layer in layers]
    return out


def _nodes(graph: ContractGraph, layers: tuple[str, ...] = PICTURE_LAYERS) -> list[tuple[str, str, str]]:
    """(id, label, kind) for every node of ``layers``."""
    out = [(node_id("service", n), n, "proxy" if graph.services[n].role == "proxy" else "service") for n in sorted(graph.services)]
    out += [(node_id("dataset", d), d, "dataset") for d in graph.datasets]
    out += [(node_id("host", h), h, "external") for h in graph.hosts]
    out += [(node_id("topic", t.key), t.key, "topic") for t in graph.topics.values()]
    out += [(n.id, n.key, n.kind) for n in graph.stores.values() if n.layer in layers]
    return out


# -- DOT -----------------------------------------------------------------------------------------

_DOT_SHAPES = {
    "service": 'shape=box, style="rounded"',
    "proxy": "shape=hexagon",
    "dataset": "shape=cylinder",
    "external": 'shape=box, style="dashed"',
    "topic": "shape=cds",
    "store": 'shape=cylinder, style="filled", fillcolor="lightyellow"',
    "infrastructure": 'shape=component, style="dashed"',
}


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: ContractGraph, layers: tuple[str, ...] = PICTURE_LAYERS) -> str:
    """A Graphviz digraph of ``layers``; edges in code are solid, declared-only dashed, reads and
    store uses dotted, message flows (producer → topic → consumer) bold blue, infrastructure grey."""
    lines = ["digraph contracts {", "  rankdir=LR;", '  node [fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];']
    for nid, label, kind in _nodes(graph, layers):
        lines.append(f"  {_dot_quote(nid)} [label={_dot_quote(label)}, {_DOT_SHAPES[kind]}];")
    for src, dst, label_lines, style in _edges(graph, layers):
        attrs = {"message": "style=bold, color=blue", "message_declared": "style=dashed, color=blue", "infra": "style=dashed, color=grey"}.get(
            style, f"style={style}"
        )
        lines.append(f"  {_dot_quote(src)} -> {_dot_quote(dst)} [label={_dot_quote(chr(10).join(label_lines))}, {attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid -------------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(graph: ContractGraph, layers: tuple[str, ...] = PICTURE_LAYERS) -> str:
    """A Mermaid flowchart of ``layers``; node ids are n0, n1, ... in sorted order."""
    ids = {nid: f"n{i}" for i, (nid, _, _) in enumerate(_nodes(graph, layers))}
    lines = ["flowchart LR"]
    for nid, label, kind in _nodes(graph, layers):
        text = _mermaid_text(label)
        shape = {
            "service": f'["{text}"]',
            "proxy": f'[/"{text}"\\]',
            "dataset": f'[("{text}")]',
            "external": f'{{{{"{text}"}}}}',
            "topic": f'>"{text}"]',
            "store": f'[("{text}")]',
            "infrastructure": f'[["{text}"]]',
        }[kind]
        lines.append(f"  {ids[nid]}{shape}")
    for src, dst, label_lines, style in _edges(graph, layers):
        arrow = {"solid": "-->", "dashed": "-.->", "dotted": "-.->", "bold": "==>", "message": "-->", "message_declared": "-.->", "infra": "-.->"}[style]
        lines.append(f'  {ids[src]} {arrow}|"{_mermaid_text(chr(10).join(label_lines))}"| {ids[dst]}')
    return "\n".join(lines) + "\n"
