"""Recall of the Python facts on the five hand-labelled service code bases (docs/precision.md).

    python3 bench/precision/recall.py --scans /tmp/w-H              # read <dir>/<project>.json
    python3 bench/precision/recall.py --scans /tmp/w-H --scan       # scan /tmp/T-<project> first

The labels (bench/precision/labels.yaml) say how the snapshots are made and how they were
labelled. A label is found when a fact of the same kind sits in the same file within 3 lines, or
a fact of that kind lists the label's file and line in its `through` entries. A found call whose
label gives a timeout (milliseconds or `none`) is judged for the value: the `through` entry at
the label's line if there is one, else the nearest fact. Prints recall per kind, the timeout
exactness and every miss.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WINDOW = 3


@dataclass(frozen=True)
class Match:
    """How a label was found: the fact, and the `through` entry at the label's line if any."""

    fact: dict[str, Any]
    entry: dict[str, Any] | None


def scan(snapshot: Path, out: Path) -> None:
    """Scan one snapshot with this checkout's extractor, from outside any git repository."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "extractor.cli", "scan", str(snapshot), "--format", "json", "--no-cache", "-o", str(out)]
    subprocess.run(cmd, check=True, cwd=out.parent, env=env)


def find(label: dict[str, Any], facts: list[dict[str, Any]]) -> Match | None:
    """The matching rule of docs/precision.md; the `through` entry at the label's line wins."""
    near: list[tuple[int, dict[str, Any]]] = []
    for fact in facts:
        if fact["kind"] != label["kind"]:
            continue
        for entry in fact.get("through") or []:
            if entry["file"] == label["file"] and entry["line"] == label["line"]:
                return Match(fact, entry)
        if fact["file"] == label["file"] and abs(fact["line"] - label["line"]) <= WINDOW:
            near.append((abs(fact["line"] - label["line"]), fact))
    if not near:
        return None
    return Match(min(near, key=lambda p: (p[0], p[1]["line"]))[1], None)


def timeout_exact(label: dict[str, Any], match: Match) -> bool | None:
    """Whether the found call has the labelled timeout; None when the label does not judge it."""
    want = label.get("timeout_ms")
    if want is None or want == "unjudged":
        return None
    got = match.entry if match.entry is not None else match.fact
    if want == "none":
        return got.get("timeout_ms") is None and got.get("timeout_source") == "none"
    return bool(got.get("timeout_ms") == want)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=HERE / "labels.yaml")
    ap.add_argument("--scans", type=Path, required=True, help="folder of <project>.json scans")
    ap.add_argument("--snapshots", type=Path, default=Path("/tmp"), help="folder holding T-<project>")
    ap.add_argument("--scan", action="store_true", help="scan each snapshot into --scans first")
    args = ap.parse_args(argv)

    doc = yaml.safe_load(args.labels.read_text())
    labels_by_kind: Counter[str] = Counter()
    found_by_kind: Counter[str] = Counter()
    judged = exact = 0
    misses: list[str] = []
    wrong: list[str] = []
    for project, labels in doc["labels"].items():
        out = args.scans / f"{project}.json"
        if args.scan:
            args.scans.mkdir(parents=True, exist_ok=True)
            scan(args.snapshots / f"T-{project}", out)
        facts = json.loads(out.read_text())["facts"]
        for label in labels:
            where = f"{project} {label['file']}:{label['line']} {label['kind']}"
            labels_by_kind[label["kind"]] += 1
            match = find(label, facts)
            if match is None:
                misses.append(where)
                continue
            found_by_kind[label["kind"]] += 1
            verdict = timeout_exact(label, match)
            if verdict is not None:
                judged += 1
                exact += verdict
                if not verdict:
                    got = match.entry if match.entry is not None else match.fact
                    wrong.append(f"{where}: labelled {label['timeout_ms']}, fact {got.get('timeout_ms')} {got.get('timeout_source')}")

    print(f"{'kind':<16} {'labels':>6} {'found':>6} {'recall':>6}")
    for kind in sorted(labels_by_kind):
        n, f = labels_by_kind[kind], found_by_kind[kind]
        print(f"{kind:<16} {n:>6} {f:>6} {f / n:>6.2f}")
    total, found = sum(labels_by_kind.values()), sum(found_by_kind.values())
    print(f"{'all':<16} {total:>6} {found:>6} {found / total:>6.2f}")
    print(f"timeouts exact on {exact} of {judged} judged found calls")
    for line in wrong:
        print("  wrong timeout:", line)
    print(f"missed ({len(misses)}):")
    for line in misses:
        print("  ", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
