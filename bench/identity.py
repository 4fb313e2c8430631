"""Facts are the same bytes cold, warm, sharded + merged and on Dask, on the benchmark corpus.

    .venv/bin/python bench/identity.py [CORPUS] [--shards N] [--dask] [--jobs J]

Scans CORPUS (default ``bench/.work/corpus``) with ``contracts scan --format json``: cold
(``--no-cache``), cold into an empty cache, warm from that cache, as N shards (default 2)
merged by ``contracts merge`` (cold), and with ``--dask`` on a local Dask cluster of J workers;
compares every output with the cold one byte for byte and prints the times. Exit 0 when all are
identical, 1 otherwise (the first differing line is shown).

Every run uses a snapshot of the extractor and its rules taken at the start (under
``bench/.work/identity/``), so edits to the checkout during the minutes the runs take do not make
the shards disagree (a merge refuses parts of different builds or rules, as it should). Scans of a
folder inside this repository see its git work tree; ``GIT_CEILING_DIRECTORIES`` is set to
``bench/.work`` so the corpus is walked as a folder of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / ".work" / "identity"
PYTHON = REPO / ".venv" / "bin" / "python"
ENTRY = "import sys; from extractor.cli import main; sys.argv[0] = 'contracts'; main()"


def snapshot() -> Path:
    """extractor/ and rules/ as they are now, copied (the runs import this copy)."""
    code = WORK / "code"
    if code.exists():
        shutil.rmtree(code)
    code.mkdir(parents=True)
    shutil.copytree(REPO / "extractor", code / "extractor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "rules", code / "rules")
    return code


def contracts(code: Path, *args: str | Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(code), GIT_CEILING_DIRECTORIES=str(HERE / ".work"))
    env.pop("CONTRACTS_CACHE_DIR", None)
    started = time.perf_counter()
    done = subprocess.run([str(PYTHON), "-c", ENTRY, *map(str, args)], env=env, cwd=WORK, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"contracts {' '.join(map(str, args))}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return seconds


def first_difference(a: Path, b: Path) -> str:
    for n, (x, y) in enumerate(zip(a.read_text("utf-8").splitlines(), b.read_text("utf-8").splitlines()), 1):
        if x != y:
            return f"line {n}: {x.strip()[:120]!r} != {y.strip()[:120]!r}"
    return "one output is a prefix of the other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", type=Path, default=HERE / ".work" / "corpus")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--dask", action="store_true", help="also scan on a local Dask cluster (needs contract-extractor[dask])")
    parser.add_argument("--jobs", type=int, default=1, help="-j of every scan, and the Dask workers (default 1)")
    opts = parser.parse_args()
    corpus = opts.corpus.resolve()
    if not corpus.is_dir():
        sys.exit(f"{corpus}: no corpus (bash bench/corpus.sh builds it)")
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / "out"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    code = snapshot()
    jobs = ("-j", str(opts.jobs))
    cache = ("--cache-dir", str(out / "cache"))
    times: dict[str, float] = {}
    outputs: dict[str, Path] = {}

    def scan(name: str, *extra: str) -> None:
        outputs[name] = out / f"{name}.json"
        times[name] = contracts(code, "scan", corpus, "--format", "json", "-o", outputs[name], *jobs, *extra)
        print(f"{name:<12} {times[name]:8.1f} s", flush=True)

    scan("cold", "--no-cache")
    scan("cache-fill", *cache)
    scan("warm", *cache)
    parts = []
    for k in range(1, opts.shards + 1):
        part = out / f"part-{k}.json"
        name = f"shard {k}/{opts.shards}"
        times[name] = contracts(code, "scan", corpus, "--shard", f"{k}/{opts.shards}", "-o", part, "--no-cache", *jobs)
        print(f"{name:<12} {times[name]:8.1f} s", flush=True)
        parts.append(part)
    outputs["merged"] = out / "merged.json"
    times["merge"] = contracts(code, "merge", *parts, "--root", corpus, "-o", outputs["merged"], "--no-cache", *jobs)
    print(f"{'merge':<12} {times['merge']:8.1f} s", flush=True)
    if opts.dask:
        scan("dask", "--no-cache", "--executor", "dask")
    cold = outputs["cold"].read_bytes()
    failed = 0
    print(f"\nfacts document of the cold scan: {len(cold):,} bytes, {len(json.loads(cold)['facts']):,} facts")
    for name, path in outputs.items():
        if name == "cold":
            continue
        same = path.read_bytes() == cold
        failed += not same
        print(f"{name:<12} {'identical' if same else 'DIFFERENT: ' + first_difference(outputs['cold'], path)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
