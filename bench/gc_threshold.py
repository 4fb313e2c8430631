"""What Python's cyclic garbage collector costs a cold scan: the same scan with the default and with
raised collection thresholds, interleaved.

    python3 bench/gc_threshold.py --corpus DIR [--rounds 2] [--commit REV] [--threshold 50000] [--out FILE.md]

The scan allocates many short-lived container objects (tree-sitter nodes, sites, values, summary
records); with the default thresholds (700, 10, 10) the collector runs a young collection every 700
net allocations and traverses the survivors each time. The variant sets ``gc.set_threshold(N, 20,
100)`` before the command runs, which is what a scan could do around its extraction (``scan.py`` /
``cli.py``; nothing in the scan depends on when a cycle is collected). Both variants run the same
commit's ``extractor/`` and ``rules/`` (exported with ``git archive`` as ``bench/history.py`` does),
``contracts scan CORPUS --format json -j 1``, cold; the report gives CPU seconds (user+system) and
wall seconds, min and median per variant, peak RSS, and whether the two outputs are byte-identical.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from history import VENV_PY, export  # (importing history re-runs this script under the project's venv)
from run import WORK, machine, measure

# argv: tree, threshold (0: the default), then the CLI arguments
RUNNER = (
    "import gc, sys; tree = sys.argv.pop(1); n = int(sys.argv.pop(1)); "
    "n and gc.set_threshold(n, 20, 100); sys.path.insert(0, tree); from extractor.cli import main; main()"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--threshold", type=int, default=50_000, help="first-generation threshold of the variant")
    ap.add_argument("--out", type=Path, default=None, help="write the report here (Markdown) as well")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    tree = export(args.commit)
    out_dir = WORK / "runs" / f"gc-{tree.name}"
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = [("default (700, 10, 10)", 0), (f"gc.set_threshold({args.threshold}, 20, 100)", args.threshold)]
    runs: dict[str, list[dict]] = {name: [] for name, _ in variants}
    outputs: dict[str, bytes] = {}
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GIT_CEILING_DIRECTORIES=str(corpus.parent))
    for r in range(args.rounds):
        for i, (name, n) in enumerate(variants):
            print(f"[gc] round {r + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
            out = out_dir / f"v{i}-r{r + 1}.json"
            cmd = [str(VENV_PY), "-c", RUNNER, str(tree), str(n), "scan", str(corpus), "--format", "json", "-o", str(out), "-j", "1"]
            m = measure(cmd, env=env, timeout=3600, log_path=out_dir / f"v{i}-r{r + 1}.log", cwd=tree)
            if m["exit"] != 0 or not out.exists():
                sys.exit(f"gc: {name} failed (exit {m['exit']}); see {m['log']}")
            outputs.setdefault(name, out.read_bytes())
            out.unlink()
            runs[name].append(m)
    same = len(set(outputs.values())) == 1
    lines = [
        f"# Cold scan CPU with the collector's default and raised thresholds ({tree.name})",
        "",
        f"- Command: `python3 bench/gc_threshold.py --corpus {args.corpus} --rounds {args.rounds} --commit {args.commit} --threshold {args.threshold}`",
        f"- Machine: {machine()}",
        f"- Each run: `contracts scan CORPUS --format json -j 1`, cold, {args.rounds} interleaved rounds; outputs byte-identical: {'yes' if same else 'NO'}",
        "",
        "| variant | CPU s min | CPU s median | wall s min | wall s median | peak RSS MB | load avg before runs |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, _ in variants:
        ms = runs[name]
        cpu, wall = [m["cpu"] for m in ms], [m["wall"] for m in ms]
        loads = ", ".join(f"{m['load_before']:.1f}" for m in ms)
        lines.append(
            f"| {name} | {min(cpu):.1f} | {statistics.median(cpu):.1f} | {min(wall):.1f} | {statistics.median(wall):.1f} | {max(m['max_rss_mb'] for m in ms):.0f} | {loads} |"
        )
    base, raised = (min(m["cpu"] for m in runs[name]) for name, _ in variants)
    lines += ["", f"CPU (min): {base:.1f} s → {raised:.1f} s, {100 * (base - raised) / base:.0f} % less."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
