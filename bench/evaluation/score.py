"""Score a `contracts graph --format json` of a real system against its hand-written labels.

    .venv/bin/python bench/evaluation/score.py bench/evaluation/<system>.yaml GRAPH.json

The labels file (YAML) holds what a careful reader found in the system's documentation and code
(docs/evaluation.md): the documented service edges, each with the policy in force where it was
labelled, the code-only edges (real, but not drawn by the documentation: not counted, not
spurious), and the graph's names of the documented services:

    system: Online Boutique
    names: {webapp: [WebApp]}            # documented name -> graph service names (default: itself)
    edges:
      - {caller: frontend, callee: adservice, timeout_ms: 100, attempts: 1, breaker: false}
    code_only:
      - {caller: frontend, callee: frontend}

A documented edge is **found** when the graph has a call edge between the two service nodes (any
operation). A **spurious** pair is a call edge between two different service nodes that is neither
documented nor code-only. **Policy**: on a found edge whose label gives `timeout_ms` (a number,
null for "none / the caller's context": the graph JSON does not tell those apart, or a list of
the values its calls carry), `attempts` (a number, or the list of its calls' values) or `breaker`
(whether a breaker or fallback covers some call of the pair), the pair's calls must carry exactly
those; an edge without a policy label is counted as not labelled. Policies the graph shows only
under `effective` (a mesh layer) are not compared. Prints one line per documented edge and
the totals, and exits 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def _names(labels: dict[str, Any], name: str) -> set[str]:
    given = (labels.get("names") or {}).get(name)
    return {f"service:{n}" for n in (given if isinstance(given, list) else [given] if given else [name])}


def _values(edges: list[dict[str, Any]], key: str) -> set[Any]:
    """The values of one attribute over the calls of the pair's edges (None: a call without it)."""
    out: set[Any] = set()
    for e in edges:
        attrs = e.get("attributes") or {}
        calls = len(attrs.get("call") or []) or 1
        given = [a.get("value") for a in attrs.get(key) or []]
        out |= {float(v) if isinstance(v, (int, float)) else v for v in given}
        if len(given) < calls:
            out.add(None)
    return out


def _policy(label: dict[str, Any], edges: list[dict[str, Any]]) -> tuple[bool | None, list[str]]:
    """(right, what differs) for a found edge; right is None when the label gives no policy."""
    wrong: list[str] = []
    checked = False
    if "timeout_ms" in label:
        checked = True
        want = label["timeout_ms"] if isinstance(label["timeout_ms"], list) else [label["timeout_ms"]]
        want_set = {float(v) if isinstance(v, (int, float)) else None for v in want}
        got = _values(edges, "timeout_ms")
        if got != want_set:
            wrong.append(f"timeout_ms {sorted(got, key=str)} != {sorted(want_set, key=str)}")
    if "attempts" in label:
        checked = True
        got_attempts = _values(edges, "retry_attempts") - {None}
        want_attempts = {float(v) for v in (label["attempts"] if isinstance(label["attempts"], list) else [label["attempts"]])}
        if got_attempts != want_attempts:
            wrong.append(f"attempts {sorted(got_attempts)} != {sorted(want_attempts)}")
    if "breaker" in label:
        checked = True
        has = any((e.get("attributes") or {}).get("fallback") for e in edges)
        if has != bool(label["breaker"]):
            wrong.append(f"breaker {has} != {label['breaker']}")
    return (not wrong) if checked else None, wrong


def score(labels: dict[str, Any], graph: dict[str, Any]) -> dict[str, Any]:
    calls = [e for e in graph.get("edges", []) if e.get("layer") == "calls"]
    pairs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in calls:
        pairs.setdefault((e["source"], e["target"]), []).append(e)
    services = {n["id"] for n in graph.get("nodes", []) if n.get("kind") == "service"}
    accounted: set[tuple[str, str]] = set()
    rows = []
    for label in labels.get("edges") or []:
        found = [(s, t) for s in _names(labels, label["caller"]) for t in _names(labels, label["callee"]) if (s, t) in pairs]
        accounted |= set(found)
        edges = [e for key in found for e in pairs[key]]
        right, wrong = _policy(label, edges) if found else (None, [])
        rows.append({"edge": f"{label['caller']} -> {label['callee']}", "found": bool(found), "policy": right, "differs": wrong})
    for label in labels.get("code_only") or []:
        accounted |= {(s, t) for s in _names(labels, label["caller"]) for t in _names(labels, label["callee"]) if (s, t) in pairs}
    spurious = sorted(f"{s} -> {t}" for (s, t) in pairs if s in services and t in services and s != t and (s, t) not in accounted)
    between = [e for e in calls if e["source"] in services and e["target"] in services and e["source"] != e["target"]]
    return {
        "rows": rows,
        "documented": len(rows),
        "found": sum(r["found"] for r in rows),
        "policy_right": sum(r["policy"] is True for r in rows),
        "policy_labelled": sum(r["policy"] is not None for r in rows),
        "spurious_pairs": spurious,
        "pairs_between_services": len({(e["source"], e["target"]) for e in between}),
        "call_edges_between_services": len(between),
    }


def main(argv: list[str]) -> int:
    labels = yaml.safe_load(Path(argv[1]).read_text(encoding="utf-8"))
    graph = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    result = score(labels, graph)
    print(f"# {labels.get('system', argv[1])}")
    for r in result["rows"]:
        policy = (
            ""
            if not r["found"]
            else " policy: not labelled"
            if r["policy"] is None
            else " policy: right"
            if r["policy"]
            else " policy: WRONG " + "; ".join(r["differs"])
        )
        print(f"{'found  ' if r['found'] else 'MISSING'} {r['edge']}{policy}")
    for s in result["spurious_pairs"]:
        print(f"SPURIOUS {s}")
    print(
        f"documented {result['documented']}, found {result['found']}, spurious pairs {len(result['spurious_pairs'])} of "
        f"{result['pairs_between_services']} (call edges between services: {result['call_edges_between_services']}), "
        f"policy right {result['policy_right']} of {result['policy_labelled']} labelled found edges"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
