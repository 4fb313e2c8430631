"""``contracts observe`` on a large trace export: wall and CPU time and peak memory.

    .venv/bin/python bench/observe_run.py [--size-mb 1024] [--keep] [--export FILE]

Generates the export with ``bench/observe_generate.py`` (in ``bench/.work/``, git-ignored; removed
afterwards unless ``--keep``), then runs ``contracts observe fixtures/monorepos/observed --traces
EXPORT --stats STATS --format json`` in a child process and reports its peak resident set size
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``), its wall and CPU seconds, and the spans and
edges it derived. The same run on a small export (``--size-mb 10``) gives the baseline the peak is
compared with: bounded memory means the two peaks are close, whatever the size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from observe_generate import generate  # noqa: E402


def run(export: Path, stats: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(
        [
            str(REPO / ".venv" / "bin" / "contracts"),
            "observe",
            str(REPO / "fixtures" / "monorepos" / "observed"),
            "--no-cache",
            "-q",
            "--traces",
            str(export),
            "--stats",
            str(stats),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"contracts observe failed ({done.returncode}): {done.stderr}")
    doc = json.loads(stats.read_text("utf-8"))
    return {
        "size_mib": export.stat().st_size / 2**20,
        "spans": doc["spans"],
        "edges": len(doc["edges"]),
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mib": after.ru_maxrss / 1024,  # kilobytes on Linux
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=1024)
    parser.add_argument("--export", type=Path, default=REPO / "bench" / ".work" / "observe-export.jsonl")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.export.parent.mkdir(parents=True, exist_ok=True)
    stats = args.export.with_suffix(".stats.json")
    try:
        t = time.monotonic()
        requests, spans = generate(args.export, int(args.size_mb * 2**20))
        print(f"generated {args.export.stat().st_size / 2**20:.0f} MiB ({requests} requests, {spans} spans) in {time.monotonic() - t:.0f} s", flush=True)
        result = run(args.export, stats)
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            args.export.unlink(missing_ok=True)
            stats.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
