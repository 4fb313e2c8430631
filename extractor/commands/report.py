"""``contracts report``: what the HTML report needs besides the graph and findings documents.

Which edges of the graph each finding is about (to colour an edge by its worst finding and to
light up a finding's edges), and, when a history store exists, the trend per check family and
when each finding was first recorded. Reading the history never records a run, and never creates
a store that is not there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checks import Finding
from ..contracts.model import Location
from ..graph import ContractGraph
from ..history.compare import TrendPoint
from ..history.store import DEFAULT_PATH, HistoryError, HistoryStore, is_url, resolve_target
from .drift import TREND_RUNS, git_state


@dataclass(frozen=True)
class History:
    """The recorded runs of the project (oldest first, at most ``TREND_RUNS``) and their findings per
    family; ``first_seen``: fingerprint → when the history first recorded that finding."""

    where: str
    trend: list[TrendPoint]
    first_seen: dict[str, dt.datetime]


def _loc_keys(locations: Iterable[Location]) -> set[tuple[str, int]]:
    return {(loc.file, loc.line) for loc in locations}


def _narrowed(candidates: list[tuple[str, set[str], set[tuple[str, int]]]], subject: str, where: set[tuple[str, int]]) -> list[str]:
    """The candidates (edge id, names it answers to, its locations) the subject names, else all of
    them; of those, the ones sharing a location with the finding when there are some."""
    chosen = [c for c in candidates if subject in c[1]] or candidates
    located = [c for c in chosen if c[2] & where]
    return [c[0] for c in (located or chosen)]


def finding_edges(graph: ContractGraph, findings: Sequence[Finding]) -> dict[str, list[str]]:
    """Finding id → the ids of the graph edges it is about, sorted: the message edges of its topic,
    its dataset's provide edge and the reads of its other services, or the calls between consecutive services of its
    ``services`` (narrowed to the operation or host it names, then to the calls sharing a location
    with it). A finding about one service's contract alone names no edge."""
    out: dict[str, list[str]] = {}
    for f in findings:
        members = set(f.services)
        where = _loc_keys(f.locations) | {k for side in f.sides for k in _loc_keys(side.locations)}
        ids: list[str]
        if f.subject in graph.topics:
            ids = [m.id for m in graph.messages if m.topic == f.subject and m.service in members]
        elif f.subject in graph.datasets:
            ds = graph.datasets[f.subject]
            ids = [r.id for r in graph.reads if r.dataset == f.subject and r.reader in members and r.reader != ds.provider]
            if ds.provider is not None and ds.provider in members:
                ids.append(ds.id)
        else:
            ids = []
            for caller, callee in zip(f.services, f.services[1:]):
                candidates = [(e.id, {e.operation or "", e.callee}, _loc_keys(e.locations())) for e in graph.calls_between(caller, callee)]
                ids += _narrowed(candidates, f.subject, where)
        out[f.id] = sorted(set(ids))
    return out


def read_history(root: Path, configured: str, given: str | None, project: str | None, fingerprints: Iterable[str], runs: int = TREND_RUNS) -> History | None:
    """The history of ``root``'s project when a store exists (``--history``, else the configuration's,
    else ``.contracts/history.db``; a SQLite file that is not there is no history: ``None``). Runs of
    every check (no ``--check`` selection), of the checkout's branch when it is on one and has runs."""
    target = given or configured
    if not (target and is_url(target)):
        path = Path(given) if given else root / (configured or DEFAULT_PATH)
        if not path.is_file():
            return None
    store = HistoryStore.open(resolve_target(root, configured, given))
    try:
        name = project or root.resolve().name
        _, branch = git_state(root)
        recorded = store.runs(name, branch, checks="", limit=runs) if branch else []
        if not recorded:
            branch = None
            recorded = store.runs(name, checks="", limit=runs)
        recorded.reverse()
        counts = store.counts_by_kind(recorded)
        seen = store.first_seen(name, fingerprints, branch) if recorded else {}
        return History(_shown(target, given, configured), [TrendPoint(r, counts[r.id]) for r in recorded], seen)
    finally:
        store.close()


def _shown(target: str, given: str | None, configured: str) -> str:
    """The store as the report names it: a URL without its user and password, or the file as given."""
    if target and is_url(target):
        scheme, _, rest = target.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"
    return given or configured or DEFAULT_PATH


__all__ = ["History", "HistoryError", "finding_edges", "read_history"]
