"""Draw the precision sample of docs/precision.md from scans of the five snapshots.

    python3 bench/precision/draw.py --scans /tmp/w-J/scans-09de660 --seed 1209

All facts of the scans but endpoints, sorted by (kind, project, file, line, col, id); per kind
``random.Random(seed).sample(facts, 15)`` (a fresh generator per kind), a kind with at most 15
facts in full. Prints one line per drawn fact (kind, project, file:line, id), in draw order: the
order of the items of ``precision-<sha>.yaml``, where each was judged by reading the code.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

PROJECTS = ("healthchecks", "redash", "saleor", "ironic", "warehouse")
PER_KIND = 15


def draw(scans: Path, seed: int) -> dict[str, tuple[int, list[tuple[str, dict[str, Any]]]]]:
    """kind → (its number of facts, the drawn (project, fact) pairs)."""
    facts = [(p, f) for p in PROJECTS for f in json.loads((scans / f"{p}.json").read_text())["facts"] if f["kind"] != "endpoint"]
    facts.sort(key=lambda pf: (pf[1]["kind"], pf[0], pf[1]["file"], pf[1]["line"], pf[1].get("col", 0), pf[1]["id"]))
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for p, f in facts:
        by_kind.setdefault(f["kind"], []).append((p, f))
    return {k: (len(v), v if len(v) <= PER_KIND else random.Random(seed).sample(v, PER_KIND)) for k, v in sorted(by_kind.items())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scans", type=Path, required=True, help="folder of <project>.json scans")
    ap.add_argument("--seed", type=int, default=1209)
    args = ap.parse_args(argv)
    for kind, (n, picked) in draw(args.scans, args.seed).items():
        print(f"{kind}: {len(picked)} of {n}")
        for i, (p, f) in enumerate(picked):
            print(f"  [{i}] {p} {f['file']}:{f['line']} {f['id']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
