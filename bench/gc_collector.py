"""Does the scan's cycle-collector tuning pay? The same commit with parts of it switched off, interleaved.

    python3 bench/gc_collector.py --corpus DIR [--rounds 3] [--commit REV] [--out FILE.md]

The scan tunes Python's cyclic garbage collector in three places: ``TreeSitterFrontend.extract``
pauses it during one file's analysis; ``scan._collector_tuned`` raises the thresholds to
``COLLECTOR_THRESHOLDS`` while a scan runs and, through the ``gc.callbacks`` hook
``scan._freeze_survivors``, freezes what survived each young collection; ``cli._pause_collector``
keeps it paused from the end of the scan until the command ends. Each variant runs the commit's
``extractor/`` and ``rules/`` (exported with ``git archive`` as ``bench/history.py`` does) with some of
these replaced by no-ops in the process before the command starts (nothing else differs):
``contracts scan CORPUS --format json -j 1``, cold (the cache written to a fresh folder); ``cli._pause_collector``
is gone since bd12652 (its variant changes nothing on a later tree), and the variant ``start-thresholds`` is what
the former ``bench/gc_threshold.py`` measured (the thresholds raised at process start, before the scan tuned them). The report gives CPU seconds (user+system) and
wall seconds, min and median per variant, the collector's own CPU seconds (timed in the process by a
``gc.callbacks`` hook), peak RSS, and whether every output is byte-identical to
the first variant's.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import VENV_PY, export  # (importing history re-runs this script under the project's venv)
from run import WORK, machine, measure

# argv: tree, variant, then the CLI arguments
RUNNER = """
import atexit, contextlib, gc, sys, time
tree, variant = sys.argv.pop(1), sys.argv.pop(1)
spent = [0.0, 0.0, 0]  # the collector's CPU seconds, when the running one started, collections
def timed(phase, info):
    if phase == "start":
        spent[1] = time.process_time()
    else:
        spent[0] += time.process_time() - spent[1]
        spent[2] += 1
gc.callbacks.append(timed)
atexit.register(lambda: print(f"collector: {spent[0]:.3f} s in {spent[2]} collections", file=sys.stderr))
sys.path.insert(0, tree)
import extractor.cli as C, extractor.scan as S
if variant in ("no-freeze",):
    S._freeze_survivors = lambda phase, info: None
if variant in ("no-scan-tuning", "none"):
    S._collector_tuned = contextlib.nullcontext
if variant in ("no-cli-pause", "none"):
    C._pause_collector = lambda: None
if variant == "start-thresholds":  # what bench/gc_threshold.py measured (7643c69): thresholds raised at process start only
    S._collector_tuned = contextlib.nullcontext
    gc.set_threshold(50_000, 20, 100)
C.main()
"""

VARIANTS = [
    ("as-is", "thresholds raised and survivors frozen during the scan, paused after it"),
    ("no-freeze", "thresholds raised during the scan, nothing frozen; paused after it"),
    ("no-scan-tuning", "default thresholds, nothing frozen; paused after the scan"),
    ("no-cli-pause", "thresholds raised and survivors frozen; not paused after the scan"),
    ("none", "neither: the per-file pause of the extraction only"),
    ("start-thresholds", "thresholds raised at process start, nothing frozen, no pause (the former bench/gc_threshold.py)"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--variants", nargs="*", default=[v for v, _ in VARIANTS[:-1]], help="default: all but start-thresholds")
    ap.add_argument("--out", type=Path, default=None, help="write the report here (Markdown) as well")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    tree = export(args.commit)
    out_dir = WORK / "runs" / f"gc-collector-{tree.name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = [(v, what) for v, what in VARIANTS if v in args.variants]
    runs: dict[str, list[dict]] = {v: [] for v, _ in variants}
    first: bytes | None = None
    identical = True
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GIT_CEILING_DIRECTORIES=str(corpus.parent))
    for r in range(args.rounds):
        for v, _ in variants:
            print(f"[gc] round {r + 1}/{args.rounds}: {v}", file=sys.stderr, flush=True)
            out = out_dir / f"{v}-r{r + 1}.json"
            cache = out_dir / f"{v}-r{r + 1}-cache"  # a fresh cache folder of its own (see history.py)
            cmd = [str(VENV_PY), "-c", RUNNER, str(tree), v, "scan", str(corpus), "--format", "json", "-o", str(out), "-j", "1"]
            m = measure(cmd, env=dict(env, CONTRACTS_CACHE_DIR=str(cache)), timeout=3600, log_path=out_dir / f"{v}-r{r + 1}.log", cwd=tree)
            shutil.rmtree(cache, ignore_errors=True)
            if m["exit"] != 0 or not out.exists():
                sys.exit(f"gc: {v} failed (exit {m['exit']}); see {m['log']}")
            found = re.search(r"collector: ([0-9.]+) s in ([0-9]+) collections", Path(m["log"]).read_text(errors="replace"))
            m["collector"], m["collections"] = (float(found[1]), int(found[2])) if found else (None, None)
            data = out.read_bytes()
            if first is None:
                first = data
            identical = identical and data == first
            out.unlink()
            runs[v].append(m)
            print(f"[gc]   {m['cpu']:.2f} s CPU, {m['wall']:.1f} s wall, collector {m['collector']} s", file=sys.stderr, flush=True)
    lines = [
        "# The scan's collector tuning, parts switched off",
        "",
        f"- Command: `python3 bench/gc_collector.py {' '.join(sys.argv[1:])}`",
        f"- Machine: {machine()}",
        f"- Tree: `{tree.name}`; corpus `{corpus}`; {args.rounds} interleaved rounds; every output byte-identical: {identical}",
        "",
        "| variant | what | CPU s min | CPU s median | wall s min | wall s median | collector CPU s min | collections | peak RSS MB | load before |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for v, what in variants:
        cpu = [m["cpu"] for m in runs[v]]
        wall = [m["wall"] for m in runs[v]]
        lines.append(
            f"| {v} | {what} | {min(cpu):.2f} | {statistics.median(cpu):.2f} | {min(wall):.1f} | {statistics.median(wall):.1f} | "
            f"{min((m['collector'] for m in runs[v] if m['collector'] is not None), default=float('nan')):.2f} | "
            f"{'/'.join(str(m['collections']) for m in runs[v])} | "
            f"{max(m['max_rss_mb'] for m in runs[v]):.0f} | {', '.join(str(round(m['load_before'], 1)) for m in runs[v])} |"
        )
    lines.append("")
    lines.append("CPU s of each round: " + "; ".join(f"{v} " + " / ".join(f"{m['cpu']:.2f}" for m in runs[v]) for v, _ in variants))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
