"""The extraction cache and start-up, measured: cold / warm (nothing changed) / one file changed /
empty folder, on the bench corpus.

    python3 bench/cache_bench.py                          # HEAD, bench/.work/corpus, 3 rounds
    python3 bench/cache_bench.py --commit HEAD --rounds 5 --corpus DIR --out bench/results/NAME.md

The commit's `extractor/` and `rules/` are exported with `git archive` (bench/history.py's
`export`), so that edits in the working tree during the run change neither the code nor the rules
the cache keys on. Each round runs, each in a fresh process (`contracts scan CORPUS --format json
-j 1`, the commit's whole catalog):

1. cold: the cache folder removed first (a folder of the run, `CONTRACTS_CACHE_DIR`, not the
   corpus's own `.contracts-cache`, which bench/run.py and bench/history.py remove for their cold
   runs: a benchmark running at the same time would empty it);
2. warm: the same scan again, nothing changed (its JSON must equal the cold one byte for byte);
3. one file changed: a comment line appended to one file (a new line each round), scanned again;
   the file is restored afterwards;
4. empty folder: `contracts scan EMPTY` (exit 2: nothing to scan) with its catalog cached, and
   with `--no-cache`.

Rounds are interleaved, so that a change of machine load hits every scenario alike. Printed and
written: CPU seconds (user+system) and wall seconds, min and median, peak RSS, the 1-minute load
average before each run, and the cache's own counts (`-v`: reused / extracted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() and VENV_PY.exists() and not os.environ.get("BENCH_NO_REEXEC"):
    os.environ["BENCH_NO_REEXEC"] = "1"
    os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])

sys.path.insert(0, str(BENCH))
from history import RUNNER, export  # noqa: E402
from run import WORK, machine, measure  # noqa: E402

CHANGED = "requests/api.py"  # the file of the one-file scenario (relative to the corpus)
SCENARIOS = ("cold", "warm", "one-file", "empty", "empty-no-cache")


def scan_once(tree: Path, target: Path, out_dir: Path, tag: str, *extra: str, cache: Path | None = None, expect: int = 0) -> dict[str, Any]:
    out = out_dir / f"{tag}.json"
    cmd = [str(VENV_PY), "-c", RUNNER, str(tree), "scan", str(target), "--format", "json", "-o", str(out), "-j", "1", "-v", *extra]
    # the corpus lies inside this repository, which ignores bench/.work/: without a ceiling the
    # scan would ask git and get an empty file list
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GIT_CEILING_DIRECTORIES=str(target.parent))
    env.pop("CONTRACTS_CACHE_DIR", None)
    if cache is not None:  # (not the corpus's own .contracts-cache: other benchmarks remove that one for their cold runs)
        env["CONTRACTS_CACHE_DIR"] = str(cache)
    m = measure(cmd, env=env, timeout=3600, log_path=out_dir / f"{tag}.log", cwd=tree)
    if m["exit"] != expect:
        sys.exit(f"cache_bench: {tag} exited {m['exit']} (expected {expect}); see {m['log']}")
    log_text = Path(m["log"]).read_text("utf-8", "replace")
    found = re.search(r"cache: (\d+) extraction\(s\) reused, (\d+) extracted", log_text)
    m["reused"], m["extracted"] = (int(found[1]), int(found[2])) if found else (None, None)
    if out.exists():
        m["output"] = out.read_bytes()
        m["facts"] = len(json.loads(m["output"]).get("facts", []))
        out.unlink()
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=WORK / "corpus")
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="report (Markdown; the raw numbers go to .json beside it)")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    changed = corpus / CHANGED
    if not changed.is_file():
        sys.exit(f"cache_bench: {changed} missing; build the corpus first (bash bench/corpus.sh)")
    tree = export(args.commit)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = WORK / "runs" / f"cache-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    empty = out_dir / "empty"
    empty.mkdir()
    cache = out_dir / "cache"
    original = changed.read_bytes()
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in SCENARIOS}
    identical: list[bool] = []
    try:
        for r in range(1, args.rounds + 1):
            print(f"[cache_bench] round {r}/{args.rounds}", file=sys.stderr, flush=True)
            shutil.rmtree(cache, ignore_errors=True)
            cold = scan_once(tree, corpus, out_dir, f"cold-r{r}", cache=cache)
            warm = scan_once(tree, corpus, out_dir, f"warm-r{r}", cache=cache)
            identical.append(cold["output"] == warm["output"])
            changed.write_bytes(original + f"\n# cache_bench round {r}\n".encode())
            one = scan_once(tree, corpus, out_dir, f"one-file-r{r}", cache=cache)
            changed.write_bytes(original)
            runs["cold"].append(cold)
            runs["warm"].append(warm)
            runs["one-file"].append(one)
            runs["empty"].append(scan_once(tree, empty, out_dir, f"empty-r{r}", expect=2))
            runs["empty-no-cache"].append(scan_once(tree, empty, out_dir, f"empty-no-cache-r{r}", "--no-cache", expect=2))
    finally:
        changed.write_bytes(original)
    rows = []
    for name in SCENARIOS:
        ms = runs[name]
        cpu, wall = [m["cpu"] for m in ms], [m["wall"] for m in ms]
        rows.append(
            {
                "scenario": name,
                "cpu_min": min(cpu),
                "cpu_median": statistics.median(cpu),
                "wall_min": min(wall),
                "wall_median": statistics.median(wall),
                "max_rss_mb": max(m["max_rss_mb"] for m in ms),
                "reused": [m["reused"] for m in ms],
                "extracted": [m["extracted"] for m in ms],
                "facts": sorted({m.get("facts", 0) for m in ms}),
                "load_before": [round(m["load_before"], 2) for m in ms],
            }
        )
    files = sum(1 for _ in corpus.rglob("*.py"))
    cache_mb = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / (1 << 20)
    info = {
        "date": dt.date.today().isoformat(),
        "commit": tree.name,
        "machine": machine(),
        "corpus": str(corpus.relative_to(REPO) if corpus.is_relative_to(REPO) else corpus),
        "py_files": files,
        "rounds": args.rounds,
        "cold_equals_warm": identical,
        "cache_mb": round(cache_mb, 1),
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    report = render(info, rows, " ".join(["python3", "bench/cache_bench.py", *sys.argv[1:]]))
    print(report)
    if args.out:
        args.out.write_text(report, "utf-8")
        args.out.with_suffix(".json").write_text(json.dumps({"info": info, "rows": rows}, indent=1) + "\n", "utf-8")


def render(info: dict[str, Any], rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        f"# Extraction cache and start-up: {info['date']}",
        "",
        f"- Command: `{command}`",
        f"- Commit: {info['commit']} (its `extractor/` and `rules/`, exported)",
        f"- Machine: {info['machine']} — shared with other work: read the CPU columns, and the load average before each run",
        f"- Corpus: `{info['corpus']}`, {info['py_files']:,} .py files; cache after the run: {info['cache_mb']} MB",
        f"- Each run: `contracts scan TARGET --format json -j 1 -v` in a fresh process; {info['rounds']} interleaved rounds",
        f"- Cold and warm JSON byte-identical in every round: {all(info['cold_equals_warm'])} ({info['cold_equals_warm']})",
        "",
        "| scenario | CPU s min | CPU s median | wall s min | wall s median | peak RSS MB | reused / extracted | facts | load avg before runs |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        counts = ", ".join(f"{a}/{b}" for a, b in zip(r["reused"], r["extracted"])) if r["reused"][0] is not None else "—"
        lines.append(
            f"| {r['scenario']} | {r['cpu_min']:.2f} | {r['cpu_median']:.2f} | {r['wall_min']:.2f} | {r['wall_median']:.2f} | {r['max_rss_mb']:.0f} | {counts} | "
            f"{'/'.join(map(str, r['facts']))} | {', '.join(map(str, r['load_before']))} |"
        )
    lines += [
        "",
        f"Load average after the run: {', '.join(map(str, info['load_after']))}. `empty` exits 2 (no source file), as it should;",
        "its catalog comes from the cache the previous `empty` run left in the folder, `empty-no-cache` loads and validates the rules.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
