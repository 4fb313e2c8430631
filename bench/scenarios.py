"""Scenarios of issue 11, interleaved with Semgrep and Ruff: cold, warm, one file changed, empty
folder; the polyglot systems; a synthetic monorepo of growing size.

    python3 bench/scenarios.py --out bench/results/2026-12-07-scenarios.md            # everything
    python3 bench/scenarios.py --rounds 3 --parts corpus --out ...                     # only the corpus
    python3 bench/scenarios.py --parts polyglot,synth --synth 10,50,200 --out ...

The commit's `extractor/` and `rules/` are exported (`git archive`, bench/history.py's `export`),
so that edits in the working tree during the run change neither the code nor the rules the cache
keys on, and compiled to bytecode once (as an installed tool is). Every run is a fresh process measured by bench/run.py's `measure` (wall, user+system CPU
of the process tree, peak RSS of the largest process). Parts:

- ``corpus`` (bench/.work/corpus, Python only; contracts runs its Python rules, Semgrep the
  equivalent rules of bench/semgrep-rules.yaml, as in bench/run.py; Ruff its missing-timeout rule
  S113 alone, no cache: the floor a re-scan is measured against). Each round, in this order:
  contracts cold -j 1 (an emptied cache folder of the run), Semgrep -j 1, Ruff, contracts warm
  (nothing changed), contracts with one file changed (a comment line appended to
  requests/api.py, a new one each round, restored afterwards), contracts cold -j N (another
  emptied cache folder), Semgrep -j N, contracts on an empty folder (its catalog cached by the
  previous round's run) and with --no-cache. The facts of cold -j 1, cold -j N and warm must be
  identical in every round (checked, printed).
- ``polyglot``: public systems exported from the local mirrors (/work/.mirror, HEAD), each round:
  contracts cold -j 1, warm, cold -j N with the whole catalog, and Ruff S113 (their Python part).
  No Semgrep: bench/semgrep-rules.yaml has Python rules only.
- ``synth``: bench/synth.py monorepos of the sizes given (services), contracts cold -j 1 with the
  whole catalog each round; the report gives CPU per service and per 1,000 lines.
- ``tools`` (without ``corpus``): Semgrep -j 1 and Ruff S113 alone on the corpus, each round: the
  references of the re-scan goals when bench/rescan.py measures contracts' re-scans.

The 1-minute load average is recorded before every run and /proc/loadavg before and after the
whole benchmark. Rounds are interleaved so that a change of load hits every tool alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
from history import RUNNER, export, python_rule_args  # noqa: E402
from run import VENV_PY, WORK, effective_semgrep_rules, ensure_semgrep, machine, measure  # noqa: E402  (importing it re-runs this under the venv)
from synth import generate  # noqa: E402

CHANGED = "requests/api.py"
RUFF = REPO / ".venv" / "bin" / "ruff"
MIRRORS = Path("/work/.mirror")
POLYGLOT = ("GoogleCloudPlatform+microservices-demo", "open-telemetry+opentelemetry-demo", "dotnet+eShop")


def log(msg: str) -> None:
    print(f"[scenarios] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


class Runner:
    def __init__(self, tree: Path, out_dir: Path, jobs: int) -> None:
        self.tree, self.out_dir, self.jobs = tree, out_dir, jobs
        self.runs: list[dict[str, Any]] = []

    def env(self, target: Path, cache: Path | None) -> dict[str, str]:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", GIT_CEILING_DIRECTORIES=str(target.parent))
        env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"})
        for var in ("CONTRACTS_CACHE_DIR", "BENCH_NO_REEXEC", "SEMGREP_APP_TOKEN"):
            env.pop(var, None)
        if cache is not None:
            env["CONTRACTS_CACHE_DIR"] = str(cache)
        return env

    def record(self, part: str, scenario: str, tool: str, r: int, m: dict[str, Any]) -> dict[str, Any]:
        m.update(part=part, scenario=scenario, tool=tool, round=r)
        m.pop("cmd", None)
        self.runs.append(m)
        saved = [{k: v for k, v in run.items() if k != "facts_json"} for run in self.runs]
        (self.out_dir / "runs.json").write_text(json.dumps(saved, indent=1, default=str) + "\n", "utf-8")  # kept if a later part fails
        log(f"{part} {scenario} {tool} r{r}: {m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU, {m['max_rss_mb']:.0f} MB, load {m['load_before']:.2f}")
        return m

    def contracts(
        self, part: str, scenario: str, r: int, target: Path, *extra: str, jobs: int = 1, cache: Path | None = None, expect: tuple[int, ...] = (0,)
    ) -> dict[str, Any]:
        tag = f"{part}-{scenario}-r{r}"
        out = self.out_dir / f"{tag}.json"
        cmd = [str(VENV_PY), "-c", RUNNER, str(self.tree), "scan", str(target), "--format", "json", "-o", str(out), "-j", str(jobs), "-v", *extra]
        m = measure(cmd, env=self.env(target, cache), timeout=3600, log_path=self.out_dir / f"{tag}.log", cwd=self.tree)
        if m["exit"] not in expect:
            sys.exit(f"scenarios: {tag} exited {m['exit']}; see {m['log']}")
        if out.exists():
            doc = json.loads(out.read_text("utf-8"))
            m["facts"] = len(doc.get("facts", []))
            m["facts_json"] = json.dumps(doc.get("facts", []), sort_keys=True)
            out.unlink()
        return self.record(part, scenario, "contracts", r, m)

    def semgrep(self, part: str, scenario: str, r: int, exe: Path, rules: Path, target: Path, jobs: int) -> dict[str, Any]:
        tag = f"{part}-{scenario}-semgrep-r{r}"
        out = self.out_dir / f"{tag}.json"
        cmd = [str(exe), "scan", "--config", str(rules), "--metrics=off", "--disable-version-check", "--json", "-o", str(out), "-j", str(jobs)]
        cmd += ["--max-target-bytes", "1000000", "--oss-only", "--project-root", ".", "."]
        m = measure(cmd, env=self.env(target, None), timeout=3600, log_path=self.out_dir / f"{tag}.log", cwd=target)
        if out.exists():
            m["facts"] = len(json.loads(out.read_text("utf-8")).get("results", []))
            out.unlink()
        return self.record(part, scenario, "semgrep", r, m)

    def ruff(self, part: str, r: int, target: Path) -> dict[str, Any]:
        tag = f"{part}-ruff-r{r}"
        out = self.out_dir / f"{tag}.json"
        cmd = [str(RUFF), "check", "--isolated", "--no-cache", "--no-respect-gitignore", "--select", "S113", "--exit-zero", "--output-format", "json"]
        cmd += ["-o", str(out), str(target)]
        m = measure(cmd, env=self.env(target, None), timeout=600, log_path=self.out_dir / f"{tag}.log")
        if out.exists():
            m["facts"] = len(json.loads(out.read_text("utf-8") or "[]"))
            out.unlink()
        return self.record(part, "cold", "ruff S113", r, m)


def part_corpus(run: Runner, corpus: Path, rounds: int) -> dict[str, Any]:
    rule_args = python_rule_args(run.tree)
    rule_ids = rule_args[1::2]
    exe = ensure_semgrep()
    rules_file = run.out_dir / "semgrep-rules.yaml"
    semgrep_ids, uncovered = effective_semgrep_rules(rule_ids, rules_file)
    changed = corpus / CHANGED
    original = changed.read_bytes()
    empty = run.out_dir / "empty"
    empty.mkdir(exist_ok=True)
    same: list[bool] = []
    try:
        for r in range(1, rounds + 1):
            log(f"corpus round {r}/{rounds}")
            one_cache, n_cache = run.out_dir / "cache-j1", run.out_dir / "cache-jN"
            shutil.rmtree(one_cache, ignore_errors=True)
            shutil.rmtree(n_cache, ignore_errors=True)
            cold = run.contracts("corpus", "cold-j1", r, corpus, *rule_args, cache=one_cache)
            run.semgrep("corpus", "cold-j1", r, exe, rules_file, corpus, 1)
            run.ruff("corpus", r, corpus)
            warm = run.contracts("corpus", "warm", r, corpus, *rule_args, cache=one_cache)
            changed.write_bytes(original + f"\n# bench/scenarios.py round {r}\n".encode())
            run.contracts("corpus", "one-file", r, corpus, *rule_args, cache=one_cache)
            changed.write_bytes(original)
            cold_n = run.contracts("corpus", f"cold-j{run.jobs}", r, corpus, *rule_args, jobs=run.jobs, cache=n_cache)
            run.semgrep("corpus", f"cold-j{run.jobs}", r, exe, rules_file, corpus, run.jobs)
            run.contracts("corpus", "empty", r, empty, cache=run.out_dir / "cache-empty", expect=(2,))
            run.contracts("corpus", "empty-no-cache", r, empty, "--no-cache", expect=(2,))
            same.append(cold["facts_json"] == warm["facts_json"] == cold_n["facts_json"])
    finally:
        changed.write_bytes(original)
    files = sum(1 for _ in corpus.rglob("*.py"))
    return {"semgrep_rules": len(semgrep_ids), "contracts_rules": len(rule_ids), "uncovered": uncovered, "py_files": files, "identical_facts": same}


def part_tools(run: Runner, corpus: Path, rounds: int) -> dict[str, Any]:
    """Semgrep ``-j 1`` (the equivalent rules) and Ruff S113 alone on the corpus, interleaved: the
    references of the re-scan goals when bench/rescan.py measures contracts' runs."""
    rule_ids = python_rule_args(run.tree)[1::2]
    exe = ensure_semgrep()
    rules_file = run.out_dir / "semgrep-rules.yaml"
    semgrep_ids, uncovered = effective_semgrep_rules(rule_ids, rules_file)
    for r in range(1, rounds + 1):
        log(f"tools round {r}/{rounds}")
        run.semgrep("corpus", "cold-j1", r, exe, rules_file, corpus, 1)
        run.ruff("corpus", r, corpus)
    return {"semgrep_rules": len(semgrep_ids), "contracts_rules": len(rule_ids), "uncovered": uncovered}


def export_mirror(name: str) -> Path:
    dest = WORK / "polyglot" / name
    git_dir = MIRRORS / name / "repo"
    head = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    stamp = dest / ".bench-commit"
    if not (stamp.is_file() and stamp.read_text() == head):
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        missing = write_blobs(git_dir, head, dest)
        (dest / ".bench-missing").write_text("".join(f"{p}\n" for p in missing))
        stamp.write_text(head)
    return dest


def write_blobs(git_dir: Path, commit: str, dest: Path) -> list[str]:
    """The commit's files written under ``dest``; a mirror may lack its largest blobs (images, data):
    those are left out, and their paths returned."""
    listing = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-z", commit], check=True, capture_output=True).stdout
    entries = []
    for item in listing.split(b"\0"):
        if item:
            meta, _, path = item.partition(b"\t")
            mode, kind, sha = meta.split()
            if kind == b"blob" and mode in (b"100644", b"100755"):
                entries.append((sha, path.decode("utf-8", "surrogateescape")))
    batch = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"], input=b"".join(sha + b"\n" for sha, _ in entries), capture_output=True, check=True
    ).stdout
    missing, at = [], 0
    for _sha, path in entries:
        end = batch.index(b"\n", at)
        header = batch[at:end].split()
        at = end + 1
        if header[-1] == b"missing":
            missing.append(path)
            continue
        size = int(header[2])
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[at : at + size])
        at += size + 1
    return missing


def part_polyglot(run: Runner, rounds: int) -> dict[str, Any]:
    systems = {}
    for name in POLYGLOT:
        if (MIRRORS / name / "repo").is_dir():
            path = export_mirror(name)
            files = [p for p in path.rglob("*") if p.is_file()]
            missing = len((path / ".bench-missing").read_text().splitlines())
            systems[name] = {"commit": (path / ".bench-commit").read_text()[:9], "files": len(files), "missing_blobs": missing, "path": path}
    for r in range(1, rounds + 1):
        for name, info in systems.items():
            cache = run.out_dir / f"cache-{name}"
            shutil.rmtree(cache, ignore_errors=True)
            run.contracts(name, "cold-j1", r, info["path"], cache=cache)
            run.contracts(name, "warm", r, info["path"], cache=cache)
            shutil.rmtree(cache, ignore_errors=True)
            run.contracts(name, f"cold-j{run.jobs}", r, info["path"], jobs=run.jobs, cache=cache)
            run.ruff(name, r, info["path"])
    return {name: {k: v for k, v in info.items() if k != "path"} for name, info in systems.items()}


def part_synth(run: Runner, sizes: list[int], rounds: int, seed: int) -> dict[str, Any]:
    made = {}
    for n in sizes:
        made[n] = generate(WORK / "synth" / f"s{n}", n, seed)
    for r in range(1, rounds + 1):
        for n in sizes:
            run.contracts(f"synth-{n}", "cold-j1", r, WORK / "synth" / f"s{n}", "--no-cache")
    return {str(n): v for n, v in made.items()}


def summarize(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for m in runs:
        rows.setdefault((m["part"], m["scenario"], m["tool"]), []).append(m)
    out = []
    for (part, scenario, tool), ms in rows.items():
        cpu, wall = [m["cpu"] for m in ms], [m["wall"] for m in ms]
        out.append(
            {
                "part": part,
                "scenario": scenario,
                "tool": tool,
                "n": len(ms),
                "cpu_min": min(cpu),
                "cpu_median": statistics.median(cpu),
                "wall_min": min(wall),
                "wall_median": statistics.median(wall),
                "rss_mb": max(m["max_rss_mb"] for m in ms),
                "tree_rss_mb": max(m["tree_rss_mb"] for m in ms),
                "facts": sorted({m.get("facts", -1) for m in ms}),
                "load": [round(m["load_before"], 2) for m in ms],
            }
        )
    return out


def fit(xs: list[int], ys: list[float]) -> tuple[float, float, float]:
    """Least-squares line ``y = intercept + slope * x``: (slope, intercept, r²)."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    total = sum((y - my) ** 2 for y in ys)
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    return slope, intercept, 1 - residual / total if total else 1.0


def render(info: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    L = [
        f"# Scan scenarios (issue 11): {info['date']}",
        "",
        f"- Command: `{info['command']}`",
        f"- Commit: {info['commit']} (its `extractor/` and `rules/`, exported with `git archive`)",
        f"- Machine: {info['machine']}. **Shared**: 7 other engineers worked on it during the run (tests, scans);"
        " CPU seconds (user+system of the process tree) are the steadier number, wall seconds include waiting for the CPU.",
        f"- /proc/loadavg before: `{info['load_before']}`; after: `{info['load_after']}`",
        f"- Rounds: {info['rounds']}, interleaved; -j N is -j {info['jobs']}",
        "",
        "| part | scenario | tool | runs | CPU s min | CPU s median | wall s min | wall s median | peak RSS MB (largest / all) | facts | 1-min load before each run |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        tree_rss = f"{r['tree_rss_mb']:.0f}" if r["tree_rss_mb"] else "—"
        L.append(
            f"| {r['part']} | {r['scenario']} | {r['tool']} | {r['n']} | {r['cpu_min']:.2f} | {r['cpu_median']:.2f} | {r['wall_min']:.2f} | {r['wall_median']:.2f} | "
            f"{r['rss_mb']:.0f} / {tree_rss} | {'/'.join(str(f) if f >= 0 else '—' for f in r['facts'])} | {', '.join(map(str, r['load']))} |"
        )
    L.append("")
    by = {(r["part"], r["scenario"], r["tool"]): r for r in rows}
    jn = f"cold-j{info['jobs']}"
    c1, s1, cn, sn = (by.get(("corpus", s, t)) for s, t in (("cold-j1", "contracts"), ("cold-j1", "semgrep"), (jn, "contracts"), (jn, "semgrep")))
    ruff, warm, one, empty = (
        by.get(("corpus", "cold", "ruff S113")),
        by.get(("corpus", "warm", "contracts")),
        by.get(("corpus", "one-file", "contracts")),
        by.get(("corpus", "empty", "contracts")),
    )
    if c1 and s1 and cn and sn and ruff and warm and one and empty:
        goals = []

        def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
            return float(a[key] / b[key])

        for label, a, b, goal in (
            ("cold -j 1 / Semgrep -j 1", c1, s1, 0.5),
            (f"cold -j {info['jobs']} / Semgrep -j {info['jobs']}", cn, sn, 0.5),
            ("one file changed / Semgrep cold -j 1", one, s1, 0.05),
            ("one file changed / Ruff S113 cold", one, ruff, 3.0),
            ("no change / one file changed", warm, one, 1.0),
        ):
            goals.append(
                f"| {label} | {ratio(a, b, 'cpu_min'):.3f} | {ratio(a, b, 'cpu_median'):.3f} | {ratio(a, b, 'wall_min'):.3f} | {ratio(a, b, 'wall_median'):.3f} | ≤ {goal:g} |"
            )
        L += [
            "## Against the goals (corpus)",
            "",
            "| ratio | CPU, of mins | CPU, of medians | wall, of mins | wall, of medians | goal |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        L += goals
        L += [
            "",
            f"Empty folder: {empty['wall_min']:.2f} s wall min, {empty['wall_median']:.2f} median (goal ≤ 0.3 s); CPU {empty['cpu_min']:.2f} / {empty['cpu_median']:.2f}.",
            f"Peak RSS, largest contracts process on the corpus: {max(r['rss_mb'] for r in rows if r['part'] == 'corpus' and r['tool'] == 'contracts'):.0f} MB (goal ≤ 1 GB).",
            f"Facts identical cold -j 1 / warm / cold -j N in each round: {info['corpus'].get('identical_facts')}.",
            "",
        ]
    synth = [r for r in rows if r["part"].startswith("synth-")]
    if synth:
        L += [
            "## Synthetic monorepo (bench/synth.py): cost against size",
            "",
            "| services | files | lines | CPU s median | CPU ms per service | CPU ms per 1,000 lines | facts |",
            "|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in sorted(synth, key=lambda r: int(r["part"].split("-")[1])):
            n = r["part"].split("-")[1]
            made = info["synth"][n]
            L.append(
                f"| {n} | {made['files']:,} | {made['lines']:,} | {r['cpu_median']:.2f} | {1000 * r['cpu_median'] / int(n):.0f} | {1000 * r['cpu_median'] / (made['lines'] / 1000):.1f} | {'/'.join(map(str, r['facts']))} |"
            )
        xs = [int(r["part"].split("-")[1]) for r in synth]
        ys = [r["cpu_median"] for r in synth]
        if len(xs) >= 2:
            slope, intercept, r2 = fit(xs, ys)
            L.append("")
            L.append(
                f"Least-squares line through the medians: CPU s = {intercept:.2f} + {slope * 1000:.1f} ms × services (r² = {r2:.4f}); "
                "the intercept is the fixed cost of a run (start-up, rules)."
            )
        L.append("")
    if info.get("polyglot"):
        L += [
            "## Polyglot systems (local mirrors, HEAD)",
            "",
            "The whole catalog; no Semgrep run (bench/semgrep-rules.yaml has Python rules only); Ruff S113 on their Python files.",
            "",
        ]
        for name, p in info["polyglot"].items():
            L.append(f"- {name} at {p['commit']}: {p['files']:,} files ({p.get('missing_blobs', 0)} large blobs absent from the mirror left out)")
        L.append("")
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=WORK / "corpus")
    ap.add_argument("--commit", default="HEAD")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--parts", default="corpus,polyglot,synth")
    ap.add_argument("--synth", default="10,50,200", help="sizes (services) of the synthetic monorepos")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="report (Markdown; the raw numbers go to .json beside it)")
    ap.add_argument("--rebuild", type=Path, metavar="JSON", help="only render the report of an earlier run's .json ({info, runs})")
    args = ap.parse_args()
    if args.rebuild:
        saved = json.loads(args.rebuild.read_text("utf-8"))
        rows = summarize(saved["runs"])
        text = render(saved["info"], rows)
        print(text)
        args.out.write_text(text, "utf-8")
        return
    parts = set(args.parts.split(","))
    tree = export(args.commit)
    # bytecode, as an installed tool has it (PYTHONDONTWRITEBYTECODE would make every run compile the
    # extractor's sources again: ~0.4 s of CPU a run, most of an empty-folder scan)
    subprocess.run([str(VENV_PY), "-m", "compileall", "-q", str(tree / "extractor")], check=True)
    out_dir = WORK / "runs" / f"scenarios-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    out_dir.mkdir(parents=True)
    run = Runner(tree, out_dir, args.jobs)
    info: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "command": " ".join(["python3", "bench/scenarios.py", *sys.argv[1:]]),
        "commit": tree.name,
        "machine": machine(),
        "load_before": loadavg(),
        "rounds": args.rounds,
        "jobs": args.jobs,
        "corpus": {},
    }
    if "corpus" in parts:
        info["corpus"] = part_corpus(run, args.corpus.resolve(), args.rounds)
    elif "tools" in parts:  # (Semgrep and Ruff only)
        info["corpus"] = part_tools(run, args.corpus.resolve(), args.rounds)
    if "polyglot" in parts:
        info["polyglot"] = part_polyglot(run, args.rounds)
    if "synth" in parts:
        info["synth"] = part_synth(run, [int(x) for x in args.synth.split(",")], args.rounds, args.seed)
    info["load_after"] = loadavg()
    rows = summarize(run.runs)
    text = render(info, rows)
    print(text)
    args.out.write_text(text, "utf-8")
    raw = [{k: v for k, v in m.items() if k != "facts_json"} for m in run.runs]
    args.out.with_suffix(".json").write_text(json.dumps({"info": info, "rows": rows, "runs": raw}, indent=1, default=str) + "\n", "utf-8")


if __name__ == "__main__":
    main()
