"""Did adding a language frontend slow the Python-only scan? Before/after runs of past commits.

    python3 bench/history.py                       # the default commit pairs, quick corpus, 3 rounds
    python3 bench/history.py --corpus DIR --rounds 5 --commits A B C
    python3 bench/history.py --commits c5f6af8 HEAD@CONTRACTS_PYTHON_ENGINE=libcst HEAD@CONTRACTS_PYTHON_ENGINE=treesitter

A commit may carry environment settings after `@` (`REV@VAR=VALUE,VAR2=VALUE2`): the same tree run
with another setting (the Python engine) is then one more variant of the same interleaved run.

Each commit's `extractor/` and `rules/` are exported with `git archive` into
`bench/.work/history/<commit>/` and run with the project's venv (same libcst, same interpreter):
`contracts scan CORPUS --format json -j 1` with that commit's *whole* rule catalog, cold (no cache).
The corpus holds only Python files, so a commit that added a tree-sitter language should cost
nothing here: its frontend must not even be imported. Runs are interleaved (round 1: every commit,
round 2: every commit, ...) so that a change in machine load hits all commits alike; the report
gives the minimum and median CPU seconds (user+system) and wall seconds per commit, and the facts
count. Results: bench/results/<date>-history.md (and .json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_PY = REPO / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() and VENV_PY.exists() and not os.environ.get("BENCH_NO_REEXEC"):
    os.environ["BENCH_NO_REEXEC"] = "1"
    os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])

sys.path.insert(0, str(BENCH))
from run import WORK, machine, make_quick, measure  # noqa: E402

# (variant, commit, extra scan options, what it is). Several commits between 20c5a07 and 51a256e do
# not run on their own (they import a module committed later), so the JavaScript, C# and Java steps
# are measured together, and once more inside one commit: the whole catalog against rules/python only.
DEFAULT_VARIANTS = [
    ("67bc047", "67bc047", (), "Python only (before the tree-sitter engine)"),
    ("fd8a2e6", "fd8a2e6", (), "+ tree-sitter engine and Go"),
    ("20c5a07", "20c5a07", (), "before JavaScript/TypeScript, C#, Java"),
    ("HEAD", "HEAD", (), "+ JavaScript/TypeScript, C#, Java (and later Python rules)"),
    ("HEAD-python-rules", "HEAD", ("--python-rules",), "HEAD with rules/python only"),
]

RUNNER = "import sys; sys.path.insert(0, sys.argv.pop(1)); from extractor.cli import main; main()"


def export(commit: str) -> Path:
    full = subprocess.run(["git", "-C", str(REPO), "rev-parse", commit], check=True, capture_output=True, text=True).stdout.strip()
    dest = WORK / "history" / full[:12]
    if not (dest / "extractor").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", full, "extractor", "rules"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def python_rule_args(tree: Path) -> list[str]:
    """``--rule ID`` for every rule of the tree's rules/python (a rule's id is its file's path)."""
    return [
        x
        for p in sorted((tree / "rules" / "python").rglob("*.yaml"))
        for x in ("--rule", "python." + ".".join(p.relative_to(tree / "rules" / "python").with_suffix("").parts))
    ]


def split_variant(spec: str) -> tuple[str, dict[str, str]]:
    """``REV@VAR=VALUE,VAR2=VALUE2`` → (REV, {VAR: VALUE, ...})."""
    commit, _, settings = spec.partition("@")
    env = dict(kv.split("=", 1) for kv in settings.split(",") if kv)
    return commit, env


def run_once(tree: Path, extra: tuple[str, ...], corpus: Path, out_dir: Path, tag: str, env_extra: dict[str, str] | None = None) -> dict:
    cache = corpus / ".contracts-cache"
    if cache.exists():
        subprocess.run(["rm", "-rf", str(cache)], check=True)
    out = out_dir / f"{tag}.json"
    cmd = [str(VENV_PY), "-c", RUNNER, str(tree), "scan", str(corpus), "--format", "json", "-o", str(out), "-j", "1"]
    for a in extra:
        if a == "--python-rules":
            cmd += python_rule_args(tree)
        else:
            cmd.append(a)
    # The default corpus lies inside this repository, which ignores bench/.work/: without a ceiling
    # the scan would ask git and get an empty file list. The cache of a commit that has one goes to a
    # fresh folder of this run (CONTRACTS_CACHE_DIR), so that a scan of the same corpus running at the
    # same time (another benchmark) can neither remove it nor hand it entries.
    own_cache = out_dir / f"{tag}-cache"
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GIT_CEILING_DIRECTORIES=str(corpus.parent), CONTRACTS_CACHE_DIR=str(own_cache), **(env_extra or {}))
    m = measure(cmd, env=env, timeout=3600, log_path=out_dir / f"{tag}.log", cwd=tree)
    subprocess.run(["rm", "-rf", str(own_cache)], check=True)
    if m["exit"] != 0 or not out.exists():
        sys.exit(f"history: {tag} failed (exit {m['exit']}); see {m['log']}")
    doc = json.loads(out.read_text())
    m["facts"] = len(doc.get("facts", []))
    m["files"] = len({f.get("path") for f in doc.get("facts", [])})
    if not doc.get("facts"):
        sys.exit(f"history: {tag} found no facts in {corpus}: was anything scanned? see {m['log']}")
    out.unlink()
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=None, help="default: the quick corpus (1 .py file in 8 of bench/.work/corpus)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--commits", nargs="*", default=None, help="commits to compare instead of the default variants")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    corpus = (args.corpus or make_quick(WORK / "corpus")).resolve()
    commits = [(c, split_variant(c)[0], (), "") for c in args.commits] if args.commits else DEFAULT_VARIANTS
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = WORK / "runs" / f"history-{stamp}"
    out_dir.mkdir(parents=True, exist_ok=True)
    trees = {name: export(commit) for name, commit, _, _ in commits}
    runs: dict[str, list[dict]] = {name: [] for name, *_ in commits}
    for r in range(args.rounds):
        for name, _, extra, _ in commits:
            print(f"[history] round {r + 1}/{args.rounds}: {name}", file=sys.stderr, flush=True)
            tag = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
            runs[name].append(run_once(trees[name], extra, corpus, out_dir, f"{tag}-r{r + 1}", split_variant(name)[1]))
    py_files = sum(1 for _ in corpus.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in corpus.rglob("*.py"))
    rows = []
    for c, _commit, _, what in commits:
        cpu = [m["cpu"] for m in runs[c]]
        wall = [m["wall"] for m in runs[c]]
        rows.append(
            {
                "variant": c,
                "commit": trees[c].name,
                "what": what,
                "cpu_min": min(cpu),
                "cpu_median": statistics.median(cpu),
                "wall_min": min(wall),
                "wall_median": statistics.median(wall),
                "max_rss_mb": max(m["max_rss_mb"] for m in runs[c]),
                "facts": sorted({m["facts"] for m in runs[c]}),
                "load_before": [round(m["load_before"], 1) for m in runs[c]],
            }
        )
    today = dt.date.today().isoformat()
    md = [
        f"# Python-only scan, commits compared: {today}",
        "",
        f"- Command: `python3 bench/history.py {' '.join(sys.argv[1:])}`",
        f"- Machine: {machine()}",
        f"- Corpus: `{corpus.relative_to(REPO) if corpus.is_relative_to(REPO) else corpus}`: {py_files:,} .py files, {lines:,} lines, nothing else",
        f"- Each run: `contracts scan CORPUS --format json -j 1`, cold, the commit's whole rule catalog (unless said); {args.rounds} interleaved rounds",
        "",
        "| variant | commit | what | CPU s min | CPU s median | wall s min | wall s median | peak RSS MB | facts | load avg before runs |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        md.append(
            f"| {row['variant']} | {row['commit'][:7]} | {row['what']} | {row['cpu_min']:.1f} | {row['cpu_median']:.1f} | {row['wall_min']:.1f} | "
            f"{row['wall_median']:.1f} | {row['max_rss_mb']:.0f} | {', '.join(map(str, row['facts']))} | {', '.join(map(str, row['load_before']))} |"
        )
    md += [
        "",
        "Facts differ where a commit also changed Python rules (more rules, more facts); the CPU time of a pair",
        "(before, after a language) is the comparison that matters.",
    ]
    text = "\n".join(md) + "\n"
    out = args.out or (REPO / "bench" / "results" / f"{today}-history.md")
    if out.suffix == ".json":  # --out X.json: the table goes to X.md (the JSON would overwrite it)
        out = out.with_suffix(".md")
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"corpus": str(corpus), "rounds": args.rounds, "rows": rows, "runs": runs}, indent=1, default=str) + "\n")
    print(text)


if __name__ == "__main__":
    main()
