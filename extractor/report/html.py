"""``contracts report``: one self-contained HTML file (docs/report.md).

The page embeds the graph document (``graph.v1``, as ``contracts graph --format json`` prints it)
and the findings document (``findings.v1``, as ``check --format json``) unchanged, plus what the
picture needs on top of them (each edge's label lines, its findings and its worst severity, the
circuit breakers of its calls, the drift trend); the bundled cytoscape.js draws the graph and
``assets/report.js`` builds the table and the details from the data. Nothing is fetched when the
page is viewed: a Content-Security-Policy forbids every request, and every script and style is inline.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

from ..checks import SEVERITIES, Finding
from ..checks.base import KINDS
from ..commands.report import History
from ..contracts.load import ContractError
from ..facts import Diagnostic
from ..graph import CallEdge, ContractGraph
from ..history.store import utc_text
from . import findings_json, graph_out

CYTOSCAPE_VERSION = "3.35.0"
"""The bundled build: ``assets/cytoscape.min.js`` (MIT, ``assets/cytoscape.LICENSE``)."""
ASSETS = ("cytoscape.min.js", "report.js", "report.css")
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
"""No request of any kind leaves the page: inline scripts and styles only."""


def asset(name: str) -> str:
    return resources.files("extractor.report").joinpath("assets").joinpath(name).read_text("utf-8")


def _breakers(e: CallEdge) -> list[dict[str, Any]]:
    out = []
    for c in e.calls:
        for b in c.breakers:
            out.append({"value": b.mechanism or "circuit breaker", "fallback": b.fallback, **findings_json.location_json(b.location)})
    return sorted(out, key=lambda b: (b["file"], b["line"], b["value"]))


def _edge_extras(graph: ContractGraph, edges_of: dict[str, list[str]], findings: list[Finding]) -> dict[str, dict[str, Any]]:
    """Edge id → its label lines (those of the DOT and Mermaid pictures), the ids of its findings,
    their worst severity (``None``: no finding) and, for a call, its circuit breakers."""
    out: dict[str, dict[str, Any]] = {}
    for e in graph.calls:
        label = graph_out.call_label(e)
        breakers = _breakers(e)
        if breakers:
            label.append("breaker " + ", ".join(sorted({b["value"] for b in breakers})))
        out[e.id] = {"label": label, "breakers": breakers}
    for r in graph.reads:
        out[r.id] = {"label": graph_out.read_label(r)}
    for ds in graph.datasets.values():
        if ds.provider:
            out[ds.id] = {"label": graph_out.provide_label(ds)}
    for m in graph.messages:
        out[m.id] = {"label": graph_out.message_label(m)}
    for u in graph.uses:
        out[u.id] = {"label": graph_out.use_label(u)}
    severity = {f.id: f.severity for f in findings}
    for fid, ids in edges_of.items():
        for eid in ids:
            extra = out.setdefault(eid, {"label": []})
            extra.setdefault("findings", []).append(fid)
    for extra in out.values():
        found = [severity[f] for f in extra.setdefault("findings", [])]
        extra["worst"] = next((s for s in SEVERITIES if s in found), None)
    return dict(sorted(out.items()))


def _history(history: History | None, prints: dict[str, str]) -> dict[str, Any] | None:
    if history is None:
        return None
    seen = {k for p in history.trend for k in p.counts}
    kinds = [k for k in KINDS if k in seen] + sorted(seen - set(KINDS))
    return {
        "where": history.where,
        "kinds": kinds,
        "trend": [
            {
                "run": p.run.id,
                "recorded_at": utc_text(p.run.recorded_at),
                "commit": p.run.commit,
                "branch": p.run.branch,
                "counts": dict(sorted(p.counts.items())),
            }
            for p in history.trend
        ],
        "first_seen": {fid: utc_text(history.first_seen[fp]) for fid, fp in sorted(prints.items()) if fp in history.first_seen},
    }


def data(
    graph: ContractGraph,
    root: str,
    findings: list[Finding],
    errors: list[ContractError],
    edges_of: dict[str, list[str]],
    *,
    unanalysed: list[Diagnostic] | None = None,
    run: dict[str, str] | None = None,
    history: History | None = None,
    prints: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the page embeds: ``graph`` and ``findings`` (the two public documents, unchanged),
    ``edges`` (per edge: ``label``, ``findings``, ``worst``, ``breakers``), ``finding_edges`` and
    ``history`` (``None`` without a history store)."""
    return {
        "graph": graph_out.document(graph, root, unanalysed),
        "findings": findings_json.document(root, findings, errors, unanalysed, run),
        "edges": _edge_extras(graph, edges_of, findings),
        "finding_edges": dict(sorted(edges_of.items())),
        "history": _history(history, prints or {}),
        "cytoscape": CYTOSCAPE_VERSION,
    }


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appear literally."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _inline(name: str) -> str:
    text = asset(name)
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"assets/{name} closes its own element; it cannot be inlined")
    return text


def render(document: dict[str, Any]) -> str:
    """The page for ``document`` (``data(...)``)."""
    root = str(document["graph"]["root"])
    title = html.escape(f"contracts report: {root}")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f"<style>\n{_inline('report.css')}\n</style>\n"
        "</head>\n<body>\n"
        f'<header><h1>{title}</h1><p id="run"></p><p id="summary"></p></header>\n'
        '<main>\n<section id="graph-section"><h2>Dependency graph</h2><div id="legend"></div><div id="graph" role="img" aria-label="dependency graph"></div></section>\n'
        '<aside id="details"><h2>Details</h2><p class="hint">Click an edge of the graph or a finding of the table.</p></aside>\n</main>\n'
        '<section id="findings-section"><h2>Findings</h2><div id="filters"></div><table id="findings"><thead></thead><tbody></tbody></table></section>\n'
        '<section id="trend-section" hidden><h2>Drift trend</h2><p id="trend-where"></p><table id="trend"></table></section>\n'
        '<footer><p id="footer"></p></footer>\n'
        f'<script type="application/json" id="report-data">{_script_json(document)}</script>\n'
        f"<script>\n{_inline('cytoscape.min.js')}\n</script>\n"
        f"<script>\n{_inline('report.js')}\n</script>\n"
        "</body>\n</html>\n"
    )
