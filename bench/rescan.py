"""Re-scan speed before and after a change, in one interleaved run (issue 11): cold -j 1, warm, one
file changed, one file changed whose results stay the same, empty folder.

    python3 bench/rescan.py --commits 466812a 5d9550f --rounds 3 --out bench/results/2026-12-07-rescan.md

Each commit's `extractor/` and `rules/` are exported (bench/history.py's `export`) and run as a
fresh process (compiled to bytecode once) with its Python rules on the corpus (bench/.work/corpus), as bench/scenarios.py
does. Each round, for each commit in turn (interleaved, so that a change of load hits every commit
alike), with a cache folder of its own emptied at the round's start:

- ``cold-j1``: a scan that fills the cache;
- ``warm``: the same scan again, nothing changed;
- ``one-file-same``: a comment line appended to requests/adapters.py, a file with facts whose
  results the comment leaves as they were (the early cut-off of the scan's outcome applies);
- ``one-file``: a comment line appended to requests/api.py (as bench/scenarios.py does), a new
  one each round (and requests/adapters.py back as it was). requests/api.py has no result of its
  own in the first pass and the later passes read its text, so the cut-off does not apply: the
  whole scan after the extraction runs (before the passes' questions about a file's text were
  recorded with their answers, 2026-12-07: since, the comment leaves them as they were and the
  cut-off applies);
- ``one-file-facts``: a function making a call (``requests.get`` with a timeout) appended to
  requests/api.py: the file's results change, so no cut-off: the scan runs from the files' entries
  (the facts are those of the cold run plus the new call's, checked);
- ``empty``: an empty folder, its catalog cached by the round before.

The changed files are restored after each run. Each round also runs Ruff's S113 alone on the
corpus (no cache; bench/scenarios.py's command), the floor the issue measures a re-scan against:
the report gives each commit's re-scans over Ruff's time, and over Semgrep's (``--semgrep-cpu``,
measured apart: bench/scenarios.py ``--parts tools``). CPU is user+system of the process tree (the
numbers to read on a shared machine), with min and median over the rounds. The facts of cold,
warm and both one-file runs are compared with the cold run's of the same commit (printed).
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
sys.path.insert(0, str(BENCH))
from history import RUNNER, export, python_rule_args  # noqa: E402
from run import VENV_PY, WORK, machine, measure  # noqa: E402
from scenarios import RUFF  # noqa: E402

CHANGED = {"one-file": "requests/api.py", "one-file-same": "requests/adapters.py", "one-file-facts": "requests/api.py"}
SCENARIOS = ("cold-j1", "warm", "one-file-same", "one-file", "one-file-facts", "empty")  # (one-file-same right after warm: its one file is the only change)
PROBE = '\n\ndef _rescan_probe_{r}():\n    import requests as probe\n\n    return probe.get("http://rescan-probe:8080/r{r}", timeout=5)\n'
"""What ``one-file-facts`` appends (round ``r``): one more outbound call in the file."""


def log(msg: str) -> None:
    print(f"[rescan] {msg}", file=sys.stderr, flush=True)


def scan(tree: Path, target: Path, cache: Path, out_dir: Path, tag: str, rule_args: list[str], expect: tuple[int, ...] = (0,)) -> dict[str, Any]:
    out = out_dir / f"{tag}.json"
    cmd = [str(VENV_PY), "-c", RUNNER, str(tree), "scan", str(target), "--format", "json", "-o", str(out), "-j", "1", "-v", *rule_args]
    env = {k: v for k, v in os.environ.items() if k not in ("CONTRACTS_CACHE_DIR", "BENCH_NO_REEXEC")}
    env.update(PYTHONDONTWRITEBYTECODE="1", GIT_CEILING_DIRECTORIES=str(target.parent), CONTRACTS_CACHE_DIR=str(cache))
    m = measure(cmd, env=env, timeout=3600, log_path=out_dir / f"{tag}.log", cwd=tree)
    if m["exit"] not in expect:
        sys.exit(f"rescan: {tag} exited {m['exit']}; see {m['log']}")
    m["facts_json"] = ""
    if out.exists():
        m["facts_json"] = json.dumps(json.loads(out.read_text("utf-8")).get("facts", []), sort_keys=True)
        out.unlink()
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=WORK / "corpus")
    ap.add_argument("--commits", nargs="+", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--semgrep-cpu", type=float, default=None, help="Semgrep -j 1's cold CPU seconds on the corpus (measured apart), for the ratios")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    out_dir = WORK / "runs" / f"rescan-{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M%S}"
    out_dir.mkdir(parents=True)
    empty = out_dir / "empty"
    empty.mkdir()
    trees = {c: export(c) for c in args.commits}
    for tree in trees.values():  # compiled once, as an installed tool is (the runs write no bytecode)
        subprocess.run([str(VENV_PY), "-m", "compileall", "-q", str(tree / "extractor")], check=True)
    originals = {name: (corpus / rel).read_bytes() for name, rel in CHANGED.items()}
    runs: list[dict[str, Any]] = []
    same: list[tuple[str, int, bool]] = []
    started = Path("/proc/loadavg").read_text().strip()
    try:
        for r in range(1, args.rounds + 1):
            m = measure(
                [
                    str(RUFF),
                    "check",
                    "--isolated",
                    "--no-cache",
                    "--no-respect-gitignore",
                    "--select",
                    "S113",
                    "--exit-zero",
                    "--output-format",
                    "json",
                    "-o",
                    str(out_dir / "ruff.json"),
                    str(corpus),
                ],
                env=dict(os.environ),
                timeout=600,
                log_path=out_dir / f"ruff-r{r}.log",
            )
            m.update(commit="ruff", scenario="ruff-s113", round=r)
            runs.append(m)
            log(f"ruff S113 r{r}: {m['cpu']:.2f} s CPU, {m['wall']:.2f} s wall")
            for commit, tree in trees.items():
                rule_args = python_rule_args(tree)
                cache = out_dir / f"cache-{commit}"
                shutil.rmtree(cache, ignore_errors=True)
                got: dict[str, dict[str, Any]] = {}
                for scenario in SCENARIOS:
                    tag = f"{commit}-{scenario}-r{r}"
                    if scenario in CHANGED:
                        path = corpus / CHANGED[scenario]
                        extra = PROBE.format(r=r) if scenario == "one-file-facts" else f"\n# bench/rescan.py round {r}\n"
                        path.write_bytes(originals[scenario] + extra.encode())
                    try:
                        if scenario == "empty":
                            m = scan(tree, empty, out_dir / f"cache-empty-{commit}", out_dir, tag, [], expect=(2,))
                        else:
                            m = scan(tree, corpus, cache, out_dir, tag, rule_args)
                    finally:
                        if scenario in CHANGED:
                            (corpus / CHANGED[scenario]).write_bytes(originals[scenario])
                    m.update(commit=commit, scenario=scenario, round=r)
                    got[scenario] = m
                    runs.append(m)
                    log(f"{tag}: {m['cpu']:.2f} s CPU, {m['wall']:.2f} s wall, {m['max_rss_mb']:.0f} MB, load {m['load_before']:.2f}")
                cold = got["cold-j1"]["facts_json"]
                probed = json.loads(got["one-file-facts"]["facts_json"] or "[]")
                added = [f for f in probed if f.get("file") == CHANGED["one-file-facts"] and f"rescan-probe:8080/r{r}" in json.dumps(f)]
                plus = json.dumps(sorted((f for f in probed if f not in added), key=lambda f: json.dumps(f, sort_keys=True)), sort_keys=True)
                base = json.dumps(sorted(json.loads(cold or "[]"), key=lambda f: json.dumps(f, sort_keys=True)), sort_keys=True)
                same.append((commit, r, all(got[s]["facts_json"] == cold for s in ("warm", "one-file", "one-file-same")) and bool(added) and plus == base))
    finally:
        for name, rel in CHANGED.items():
            (corpus / rel).write_bytes(originals[name])
    ended = Path("/proc/loadavg").read_text().strip()
    write_report(args.out, runs, same, args.commits, started, ended, args.semgrep_cpu)


def write_report(
    out: Path, runs: list[dict[str, Any]], same: list[tuple[str, int, bool]], commits: list[str], started: str, ended: str, semgrep: float | None = None
) -> None:
    saved = [{k: v for k, v in m.items() if k not in ("facts_json", "cmd")} for m in runs]
    out.with_suffix(".json").write_text(json.dumps({"machine": machine(), "runs": saved, "identical": same}, indent=1, default=str) + "\n", "utf-8")
    lines = [
        "# Re-scan scenarios, before and after (bench/rescan.py)",
        "",
        f"Machine: {machine()}; /proc/loadavg at the start `{started}`, at the end `{ended}`.",
        "CPU = user+system seconds of the process tree; min / median over the rounds.",
        "",
        "| scenario | " + " | ".join(f"{c}: CPU s min / median | {c}: wall s min / median | {c}: peak RSS MB" for c in commits) + " |",
        "|---|" + "---:|---:|---:|" * len(commits),
    ]
    cpus: dict[tuple[str, str], list[float]] = {}
    for scenario in SCENARIOS:
        cells = []
        for c in commits:
            ms = [m for m in runs if m["commit"] == c and m["scenario"] == scenario]
            cpu = cpus[(c, scenario)] = [m["cpu"] for m in ms]
            wall = [m["wall"] for m in ms]
            cells.append(f"{min(cpu):.2f} / {statistics.median(cpu):.2f}" if cpu else "-")
            cells.append(f"{min(wall):.2f} / {statistics.median(wall):.2f}" if wall else "-")
            cells.append(f"{max(m['max_rss_mb'] for m in ms):.0f}" if ms else "-")
        lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
    ruff = [m["cpu"] for m in runs if m["scenario"] == "ruff-s113"]
    if ruff:
        lines += ["", f"Ruff S113 alone (no cache), CPU s min / median: {min(ruff):.2f} / {statistics.median(ruff):.2f}.", ""]
        lines += ["| ratio (CPU, mins / medians) | " + " | ".join(commits) + " | goal |", "|---|" + "---:|" * len(commits) + "---:|"]
        for scenario in ("one-file-facts", "one-file", "warm"):
            cells = [
                f"{min(cpus[(c, scenario)]) / min(ruff):.2f} / {statistics.median(cpus[(c, scenario)]) / statistics.median(ruff):.2f}"
                for c in commits
                if cpus.get((c, scenario))
            ]
            lines.append(f"| {scenario} / Ruff S113 | " + " | ".join(cells) + " | ≤ 3 |")
            if semgrep:
                cells = [
                    f"{min(cpus[(c, scenario)]) / semgrep:.3f} / {statistics.median(cpus[(c, scenario)]) / semgrep:.3f}"
                    for c in commits
                    if cpus.get((c, scenario))
                ]
                lines.append(f"| {scenario} / Semgrep ({semgrep:.2f} s) | " + " | ".join(cells) + " | ≤ 0.05 |")
    lines += [
        "",
        "Facts of warm and the comment-only one-file runs identical to the cold run's, and one-file-facts's those plus the new call's (commit, round): "
        + ", ".join(f"{c} r{r}: {ok}" for c, r, ok in same),
        "",
    ]
    out.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
