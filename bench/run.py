"""Benchmark: a cold `contracts scan` against Semgrep with equivalent rules, on the same files.

    python3 bench/run.py                 # full corpus (builds it and Semgrep's venv if missing)
    python3 bench/run.py --quick         # 1 file in 8: a few minutes
    python3 bench/run.py --no-semgrep    # contracts only
    python3 bench/run.py --corpus DIR    # any folder of Python code

Runs, in this order, each in a fresh process:
  1. a profile of contracts (in-process, jobs=1, stage timers: bench/profile_scan.py), which also
     finds the files whose extraction takes longer than --file-timeout: those are excluded from
     the timed runs of both tools (and listed in the report);
  2. `contracts scan --format json` with -j 1 and -j N (N = CPU count);
  3. `semgrep scan --json` with the rules of bench/semgrep-rules.yaml that stand for a loaded
     contracts rule, with -j 1 and -j N (offline: no metrics, no version check, local rules only).
Each timed run reports wall time, CPU time, peak RSS of the largest process and of the whole
process tree (sampled from /proc), and its number of facts/findings. The report goes to
bench/results/<date>-python[-quick].md (and .json beside it) and to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"
VENV_PY = REPO / ".venv" / "bin" / "python"
SEMGREP_VENV = WORK / "semgrep-venv"
SEMGREP_VERSION = "1.182.0"
DEFAULT_CORPUS = WORK / "corpus"
QUICK_EVERY = 8

# Re-run under the project's venv (it has tree-sitter, the grammars and the engine).
if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() and VENV_PY.exists() and not os.environ.get("BENCH_NO_REEXEC"):
    os.environ["BENCH_NO_REEXEC"] = "1"
    os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])

sys.path.insert(0, str(REPO))


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- setup
def ensure_corpus(corpus: Path) -> None:
    if corpus == DEFAULT_CORPUS:
        subprocess.run(["bash", str(BENCH / "corpus.sh")], check=True, stdout=sys.stderr)
    elif not corpus.is_dir():
        sys.exit(f"bench: {corpus}: no such folder")


def make_quick(corpus: Path) -> Path:
    """Every QUICK_EVERY-th .py file of the corpus (sorted), copied with its path."""
    quick = WORK / "quick-corpus"
    stamp = quick / ".bench-quick"
    files = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.py") if p.is_file())
    chosen = files[::QUICK_EVERY]
    want = f"{corpus}\n{len(files)}\n{QUICK_EVERY}\n"
    if stamp.is_file() and stamp.read_text() == want:
        return quick
    shutil.rmtree(quick, ignore_errors=True)
    for rel in chosen:
        dst = quick / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / rel, dst)
    (quick / ".semgrepignore").write_text("# benchmark corpus: scan everything\n")
    stamp.write_text(want)
    return quick


def ensure_semgrep() -> Path:
    exe = SEMGREP_VENV / "bin" / "semgrep"
    if exe.exists():
        return exe
    log(f"installing semgrep {SEMGREP_VERSION} into {SEMGREP_VENV}")
    subprocess.run([sys.executable, "-m", "venv", str(SEMGREP_VENV)], check=True)
    subprocess.run([str(SEMGREP_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", f"semgrep=={SEMGREP_VERSION}"], check=True, stdout=sys.stderr)
    return exe


def load_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def effective_semgrep_rules(contracts_rules: list[str], out: Path) -> tuple[list[str], list[str]]:
    """Write the Semgrep rules whose contracts rule is loaded; return (their ids, contracts rules without one)."""
    import yaml

    doc = load_yaml(BENCH / "semgrep-rules.yaml")
    loaded = set(contracts_rules)
    kept = [r for r in doc["rules"] if r.get("metadata", {}).get("contracts-rule") in loaded]
    covered = {r["metadata"]["contracts-rule"] for r in kept}
    out.write_text(yaml.safe_dump({"rules": kept}, sort_keys=False), encoding="utf-8")
    return [r["id"] for r in kept], sorted(loaded - covered)


# ---------------------------------------------------------------- measuring a process
def _tree_rss_kb(session: int) -> int:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rfind(b")") + 2 :].split()
            if int(fields[3]) != session:  # field 6: session id
                continue
            with open(f"/proc/{entry.name}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


def measure(cmd: list[str], *, env: dict[str, str], timeout: float, log_path: Path, cwd: Path | None = None) -> dict[str, Any]:
    """Run cmd in its own session; wall time, CPU, peak RSS (largest process and sampled tree sum)."""
    load_before = os.getloadavg()[0]
    with open(log_path, "wb") as logfh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=logfh, stderr=subprocess.STDOUT, start_new_session=True)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                done.wait(0.2)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                timed_out = True
                os.killpg(proc.pid, 9)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "cmd": cmd,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "max_rss_mb": usage.ru_maxrss / 1024,  # largest single process of the tree
        "tree_rss_mb": peak[0] / 1024,  # sum over the tree, sampled every 0.2 s
        "exit": proc.returncode,
        "timed_out": timed_out,
        "load_before": load_before,
        "log": str(log_path),
    }


# ---------------------------------------------------------------- the runs
def run_profile(corpus: Path, args: argparse.Namespace, out_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    out = out_dir / "profile.json"
    cmd = [sys.executable, str(BENCH / "profile_scan.py"), "--corpus", str(corpus), "--json", str(out), "--file-timeout", str(args.file_timeout)]
    for r in args.rules:
        cmd += ["--rules", r]
    for rid in args.python_rules:
        cmd += ["--rule", rid]
    for glob in args.other_langs:
        cmd += ["--ignore", glob]
    if args.cprofile:
        cmd += ["--cprofile", str(out_dir / "cprofile.txt")]
    log("profile: contracts in-process, jobs=1, stage timers" + (" + cProfile" if args.cprofile else ""))
    m = measure(cmd, env=env, timeout=args.timeout * 3, log_path=out_dir / "profile.log")
    if m["exit"] != 0 or not out.exists():
        sys.exit(f"bench: the profile run failed (exit {m['exit']}); see {m['log']}")
    data = json.loads(out.read_text())
    data["process"] = m
    return data


def run_contracts(corpus: Path, jobs: int, args: argparse.Namespace, out_dir: Path, env: dict[str, str], config: Path | None) -> dict[str, Any]:
    out = out_dir / f"contracts-j{jobs}.json"
    cache = corpus / ".contracts-cache"
    if cache.exists():
        shutil.rmtree(cache)  # cold: no cache from an earlier run
    cmd = [str(REPO / ".venv" / "bin" / "contracts"), "scan", str(corpus), "--format", "json", "-o", str(out), "-j", str(jobs)]
    for r in args.rules:
        cmd += ["--rules", r]
    for rid in args.python_rules:  # Python rules only: the other languages' files are not compared
        cmd += ["--rule", rid]
    if config is not None:
        cmd += ["--config", str(config)]
    log(f"contracts scan -j {jobs}")
    m = measure(cmd, env=env, timeout=args.timeout, log_path=out_dir / f"contracts-j{jobs}.log")
    m["tool"], m["jobs"] = "contracts", jobs
    if out.exists() and not m["timed_out"]:
        doc = json.loads(out.read_text())
        m["findings"] = len(doc.get("facts", []))
        m["by_rule"] = dict(Counter(f.get("rule") for f in doc.get("facts", [])))
        m["diagnostics"] = dict(Counter(d.get("kind") for d in doc.get("diagnostics", [])))
    out.unlink(missing_ok=True)
    return m


def run_semgrep(
    exe: Path, corpus: Path, jobs: int, rules_file: Path, args: argparse.Namespace, out_dir: Path, env: dict[str, str], excluded: list[str]
) -> dict[str, Any]:
    out = out_dir / f"semgrep-j{jobs}.json"
    cmd = [
        str(exe),
        "scan",
        "--config",
        str(rules_file),
        "--metrics=off",
        "--disable-version-check",
        "--json",
        "-o",
        str(out),
        "-j",
        str(jobs),
        "--max-target-bytes",
        "1000000",
        "--oss-only",
    ]
    for rel in excluded:
        cmd += ["--exclude", "/" + rel]
    # Run from the corpus with it as the project root, as in a repository: its .semgrepignore is then
    # the one used (without --project-root Semgrep 1.182 applies its default list, tests/ included).
    cmd += ["--project-root", ".", "."]
    log(f"semgrep scan -j {jobs}")
    m = measure(cmd, env=env, timeout=args.timeout, log_path=out_dir / f"semgrep-j{jobs}.log", cwd=corpus)
    m["tool"], m["jobs"] = "semgrep", jobs
    if out.exists() and not m["timed_out"]:
        doc = json.loads(out.read_text())
        results = doc.get("results", [])
        m["findings"] = len(results)
        m["by_rule"] = dict(Counter(r.get("extra", {}).get("metadata", {}).get("contracts-rule") for r in results))
        m["scanned"] = sorted((corpus / p).resolve().relative_to(corpus).as_posix() for p in doc.get("paths", {}).get("scanned", []))
        m["scanned_count"] = len(m["scanned"])
        errs = doc.get("errors", [])
        m["errors"] = dict(Counter(e.get("type") if isinstance(e.get("type"), str) else str(e.get("type")) for e in errs))
    out.unlink(missing_ok=True)
    return m


def parity_check(exe: Path, rules_file: Path, env: dict[str, str], rule_dirs: list[str]) -> dict[str, Any]:
    """Both tools on bench/parity/: (rule, line) pairs found by one and not the other."""
    from extractor.catalog import load_catalog
    from extractor.scan import scan

    sample = BENCH / "parity"
    catalog = load_catalog([Path(r) for r in rule_dirs] if rule_dirs else None)
    python_rules = [r.id for r in catalog.rules if r.language == "python"]
    res = scan(sample, catalog=catalog, jobs=1, only_files=["sample.py"], rule_ids=python_rules)
    ours = {(f.rule, f.line) for f in res.facts}
    out = WORK / "parity-semgrep.json"
    subprocess.run(
        [str(exe), "scan", "--config", str(rules_file), "--metrics=off", "--disable-version-check", "--json", "-o", str(out), "sample.py"],
        cwd=sample,
        env=env,
        capture_output=True,
    )
    doc = json.loads(out.read_text()) if out.exists() else {"results": []}
    theirs = {(r["extra"]["metadata"].get("contracts-rule"), r["start"]["line"]) for r in doc["results"]}
    return {
        "contracts": len(ours),
        "semgrep": len(theirs),
        "both": len(ours & theirs),
        "only_contracts": sorted(ours - theirs),
        "only_semgrep": sorted(theirs - ours),
    }


# ---------------------------------------------------------------- facts about the run
def git_state() -> str:
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", "extractor", "rules"], capture_output=True, text=True
        ).stdout.strip()
        return head + (f" + uncommitted changes in {len(dirty.splitlines())} engine/rule files" if dirty else "")
    except OSError:
        return "unknown"


def machine() -> str:
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({model}), {mem:.0f} GiB, Linux {platform.release()}, Python {platform.python_version()}"


def pkg_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


# ---------------------------------------------------------------- report
def fmt_n(x: float) -> str:
    return f"{x:,.0f}"


def report(ctx: dict[str, Any]) -> str:
    prof = ctx["profile"]
    files, lines = ctx["files"], ctx["lines"]
    L: list[str] = []
    L.append(f"# contracts vs Semgrep, Python: {ctx['date']}{' (quick subset)' if ctx['quick'] else ''}")
    L.append("")
    L.append(f"- Command: `{ctx['command']}`")
    L.append(f"- Machine: {ctx['machine']}; load average before the first run: {ctx['load_start']:.2f}")
    engine = (
        f"tree-sitter {ctx['tree_sitter']}, tree-sitter-python {ctx['tree_sitter_python']}" if "tree_sitter" in ctx else f"libcst {ctx.get('libcst')}"
    )  # older reports ran libcst
    L.append(f"- contracts: {ctx['git']}; {engine}; {len(ctx['contracts_rules'])} Python rules")
    if ctx.get("semgrep_version"):
        L.append(f"- Semgrep {ctx['semgrep_version']} (OSS engine, offline): {len(ctx['semgrep_rules'])} rules from bench/semgrep-rules.yaml")
        if ctx["uncovered"]:
            L.append(f"- contracts rules without a Semgrep counterpart: {', '.join(ctx['uncovered'])}")
    L.append(f"- Corpus: `{ctx['corpus_shown']}`: {fmt_n(files)} .py files, {fmt_n(lines)} lines{ctx['corpus_note']}")
    if ctx["excluded"]:
        L.append(
            f"- **Excluded from the timed runs of both tools** ({len(ctx['excluded'])} files, {fmt_n(ctx['excluded_lines'])} lines): contracts spent more than {prof['file_timeout']:.0f} CPU s on each in the profile run: {', '.join('`' + e + '`' for e in ctx['excluded'])}"
        )
    L.append("")
    L.append("## Cold scan")
    L.append("")
    L.append(
        "| tool | jobs | files | lines | wall s | files/s | lines/s | CPU s | peak RSS, largest process MB | peak RSS, all processes MB | facts / findings | wall vs Semgrep, same jobs | CPU vs Semgrep, same jobs | load avg before |"
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sem = {r["jobs"]: r for r in ctx["runs"] if r["tool"] == "semgrep"}
    for r in ctx["runs"]:
        nfiles = r.get("scanned_count", ctx["timed_files"]) if r["tool"] == "semgrep" else ctx["timed_files"]
        nlines = ctx["timed_lines"]
        if r["timed_out"]:
            wall = f"> {r['wall']:.0f} (timed out)"
            fps = lps = "-"
        else:
            wall = f"{r['wall']:.1f}"
            fps, lps = fmt_n(nfiles / r["wall"]), fmt_n(nlines / r["wall"])
        ratio = cratio = ""
        if r["tool"] == "contracts" and r["jobs"] in sem and not sem[r["jobs"]]["timed_out"] and not r["timed_out"]:
            ratio = f"**{r['wall'] / sem[r['jobs']]['wall']:.2f}**"
            cratio = f"{r['cpu'] / sem[r['jobs']]['cpu']:.2f}"
        failed = "" if r["exit"] == 0 or r["timed_out"] else f" (exit {r['exit']})"
        L.append(
            f"| {r['tool']}{failed} | {r['jobs']} | {fmt_n(nfiles)} | {fmt_n(nlines)} | {wall} | {fps} | {lps} | {r['cpu']:.1f} | {r['max_rss_mb']:.0f} | {r['tree_rss_mb']:.0f} | {r.get('findings', '-')} | {ratio} | {cratio} | {r['load_before']:.1f} |"
        )
    L.append("")
    L.append(
        "Ratio < 1: contracts is faster; the design target is <= 0.5 (wall). Wall time includes interpreter start-up and writing the JSON report; "
        "CPU is user+system time of the whole process tree (less sensitive than wall time to other load on the machine, shown as the 1-minute load average before each run). "
        "`lines` counts newlines in the .py files given to both tools; Semgrep's `files` is its own list of scanned targets."
    )
    if ctx.get("parity"):
        p = ctx["parity"]
        L.append("")
        L.append(
            f"Rule parity on bench/parity/sample.py: {p['both']} (rule, line) pairs found by both, {len(p['only_contracts'])} only by contracts {p['only_contracts'] or ''}, {len(p['only_semgrep'])} only by Semgrep {p['only_semgrep'] or ''}."
        )
    L.append("")
    # findings per rule
    if any(r["tool"] == "semgrep" for r in ctx["runs"]):
        c = next((r for r in ctx["runs"] if r["tool"] == "contracts" and "by_rule" in r), None)
        s = next((r for r in ctx["runs"] if r["tool"] == "semgrep" and "by_rule" in r), None)
        if c and s:
            L.append("### Facts (contracts) and findings (Semgrep) per contracts rule")
            L.append("")
            L.append("| contracts rule | contracts facts | Semgrep findings |")
            L.append("|---|---:|---:|")
            for rule in sorted(set(c["by_rule"]) | set(s["by_rule"]), key=str):
                L.append(f"| {rule} | {c['by_rule'].get(rule, 0)} | {s['by_rule'].get(rule, 0)} |")
            L.append("")
            L.append(
                "The counts differ by design (contracts follows values across the file, Semgrep matches patterns); they show that both did comparable work, not which is right."
            )
            L.append("")
            if s.get("errors"):
                L.append(f"Semgrep errors: {s['errors']}")
                L.append("")
    # stages
    L.append("## Where the time goes (contracts, jobs=1, in-process)")
    L.append("")
    if ctx.get("profile_note"):
        L.append(f"({ctx['profile_note']})")
        L.append("")
    ab = prof.get("abandoned") or {"seconds": 0.0, "extractions": 0, "skipped_repeats": 0}
    total = prof["total_seconds"] - ab["seconds"]
    L.append(
        f"CPU seconds (process time: other load on the machine does not count; wall {prof.get('wall_seconds', 0):.0f} s). "
        f"{total:.1f} s for {fmt_n(prof['files_total'])} files ({fmt_n(prof['lines_total'])} lines), {prof['extractions'] - ab['extractions']} extractions "
        f"({prof['second_pass_extractions']} in the second/dependency passes)"
        + (
            f"; plus {ab['seconds']:.0f} s abandoned on {ab['extractions']} extractions of the {len({t['file'] for t in prof['timed_out']})} files over {prof['file_timeout']:.0f} s (not in the table; later passes asked for them {ab['skipped_repeats']} more times)"
            if ab["extractions"]
            else ""
        )
        + "."
    )
    L.append("")
    L.append("| stage | CPU s | share | calls |")
    L.append("|---|---:|---:|---:|")
    from profile_scan import STAGES  # type: ignore[import-not-found]

    if "walk" in prof["stages"]:  # a profile of the libcst engine (reports before 2026-12-07)
        STAGES = [(k, label) for k, label in STAGES if k not in ("parse", "analysis")]
        STAGES[4:4] = [
            ("parse", "libcst parse"),
            ("walk", "analysis walk (names, values, matching)"),
            ("node_text", "node source text (code_for_node)"),
            ("positions", "positions (positions.py)"),
        ]

    for key, label in STAGES:
        secs = prof["stages"].get(key, 0.0)
        calls = prof["stage_calls"].get(key, "")
        L.append(f"| {label} | {secs:.2f} | {100 * secs / total:.1f}% | {calls} |")
    if prof.get("not_measured"):
        L.append("")
        L.append(f"Not measured (engine names not found): {', '.join(prof['not_measured'])}")
    L.append("")
    parse = prof["stages"].get("parse", 0.0)
    if parse and prof.get("lines_parsed"):
        L.append(
            f"{'tree-sitter' if 'analysis' in prof['stages'] else 'libcst'} parse: {fmt_n(prof['lines_parsed'] / parse)} lines/s over {fmt_n(prof['lines_parsed'])} parsed lines ({prof['parse_calls']} parses)."
        )
        L.append("")
    L.append("### Prefilter")
    L.append("")
    pf, pl = prof["files_prefilter_pass"], prof["lines_prefilter_pass"]
    L.append(
        f"{fmt_n(pf)} of {fmt_n(prof['files_total'])} files ({100 * pf / max(1, prof['files_total']):.0f}%) and {fmt_n(pl)} of {fmt_n(prof['lines_total'])} lines "
        f"({100 * pl / max(1, prof['lines_total']):.0f}%) pass the prefilter and are parsed; {prof['files_skipped']} files were skipped (too large, empty, not UTF-8)."
    )
    L.append("")
    L.append("### Slowest files (extraction: read + prefilter + parse + analysis)")
    L.append("")
    L.append("| file | lines | seconds | lines/s | extractions |")
    L.append("|---|---:|---:|---:|---:|")
    timed = {t["file"] for t in prof["timed_out"]}
    for f in prof["slowest"][:12]:
        mark = " (timed out)" if f["file"] in timed else ""
        L.append(
            f"| {f['file']}{mark} | {fmt_n(f['lines'])} | {f['seconds']:.2f} | {fmt_n(f['lines'] / f['seconds']) if f['seconds'] else '-'} | {f['extractions']} |"
        )
    L.append("")
    if prof.get("cprofile"):
        L.append(f"cProfile top functions: `{prof['cprofile']}` (stage times above include cProfile's overhead in this run).")
        L.append("")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder to scan (default: bench/.work/corpus, built by bench/corpus.sh)")
    ap.add_argument("--quick", action="store_true", help=f"scan 1 .py file in {QUICK_EVERY} of the corpus (copied to bench/.work/quick-corpus)")
    ap.add_argument("--no-semgrep", action="store_true", help="contracts only")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="N for the parallel runs (default: CPU count)")
    ap.add_argument("--timeout", type=float, default=600, help="stop a tool run after this many seconds (default 600)")
    ap.add_argument(
        "--file-timeout", type=float, default=20, help="profile run: abandon a file after this many CPU seconds and exclude it from the timed runs (0: never)"
    )
    ap.add_argument("--no-exclude", action="store_true", help="time the tools on every file, even those over --file-timeout")
    ap.add_argument("--rules", action="append", default=[], help="contracts rules directory (repeatable; default: the project's rules)")
    ap.add_argument("--cprofile", action="store_true", help="run the profile under cProfile too (slower; top functions written beside the results)")
    ap.add_argument("--skip-profile", action="store_true", help="no profile run (no stage breakdown, no exclusions)")
    ap.add_argument("--out", type=Path, help="report path (default: bench/results/<date>-python[-quick].md)")
    ap.add_argument("--rebuild-report", type=Path, metavar="JSON", help="only re-render the markdown of an earlier run from its .json")
    ap.add_argument("--profile-json", type=Path, help="with --rebuild-report: take the profile from this profile_scan.py output instead")
    args = ap.parse_args()

    if args.rebuild_report:
        ctx = json.loads(args.rebuild_report.read_text())
        if args.profile_json:
            ctx["profile"] = json.loads(args.profile_json.read_text())
            ctx["profile_note"] = f"profile from a separate run: {args.profile_json.name}"
        sys.path.insert(0, str(BENCH))
        text = report(ctx)
        md = args.out or args.rebuild_report.with_suffix(".md")
        md.write_text(text, encoding="utf-8")
        args.rebuild_report.write_text(json.dumps(ctx, indent=1, default=str), encoding="utf-8")
        print(text)
        return

    corpus = args.corpus.resolve()
    ensure_corpus(corpus)
    if args.quick:
        corpus = make_quick(corpus)
    date = dt.date.today().isoformat()
    out_md = args.out or (BENCH / "results" / f"{date}-python{'-quick' if args.quick else ''}.md")
    out_md.parent.mkdir(parents=True, exist_ok=True)
    run_dir = WORK / "runs" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    # The default corpus lies inside this repository, which ignores bench/.work/: without a ceiling
    # both tools would ask git and get an empty file list. A corpus that is itself a git work tree
    # (has .git) is still listed by git, by both tools.
    env["GIT_CEILING_DIRECTORIES"] = str(corpus.parent)
    env.update({"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("SEMGREP_APP_TOKEN", None)
    env.pop("BENCH_NO_REEXEC", None)
    os.environ["GIT_CEILING_DIRECTORIES"] = env["GIT_CEILING_DIRECTORIES"]

    from extractor.catalog import load_catalog
    from extractor.config import load_config
    from extractor.discover import inventory

    catalog = load_catalog([Path(r) for r in args.rules] if args.rules else None)
    contracts_rules = sorted(r.id for r in catalog.rules if r.language == "python")
    args.python_rules = contracts_rules
    from extractor.frontends import EXTENSIONS

    args.other_langs = sorted(f"*{ext}" for ext, lang in EXTENSIONS.items() if lang != "python")
    config = load_config(corpus)
    inv = inventory(corpus, config)
    py_files = [f for f in inv.files if f.endswith(".py")]
    line_of: dict[str, int] = {}
    for rel in py_files:  # also warms the OS page cache for both tools
        try:
            line_of[rel] = (corpus / rel).read_bytes().count(b"\n")
        except OSError:
            line_of[rel] = 0
    files, lines = len(py_files), sum(line_of.values())
    log(f"corpus {corpus}: {files} .py files, {lines} lines; {len(contracts_rules)} contracts rules")

    ctx: dict[str, Any] = {
        "date": date,
        "quick": args.quick,
        "command": "python3 bench/run.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "load_start": os.getloadavg()[0],
        "git": git_state(),
        "tree_sitter": pkg_version("tree-sitter"),
        "tree_sitter_python": pkg_version("tree-sitter-python"),
        "contracts_rules": contracts_rules,
        "corpus_shown": os.path.relpath(corpus, REPO) if str(corpus).startswith(str(REPO)) else str(corpus),
        "corpus_note": "",
        "files": files,
        "lines": lines,
        "runs": [],
    }
    stamp = args.corpus.resolve() / ".bench-corpus"
    if stamp.is_file():
        pins = stamp.read_text().split()
        ctx["corpus_note"] = f" ({'every ' + str(QUICK_EVERY) + 'th file of ' if args.quick else ''}{len(pins)} pinned packages: {', '.join(pins)})"

    # 1. profile
    excluded: list[str] = []
    if args.skip_profile:
        prof = None
    else:
        prof = run_profile(corpus, args, run_dir, env)
        log(f"profile: {prof['total_seconds']:.1f} s; {len(prof['timed_out'])} files over {args.file_timeout:.0f} s")
        if not args.no_exclude:
            excluded = sorted({t["file"] for t in prof["timed_out"]})
    ctx["profile"] = prof
    ctx["excluded"] = excluded
    ctx["excluded_lines"] = sum(line_of.get(f, 0) for f in excluded)
    ctx["timed_files"] = files - len(excluded)
    ctx["timed_lines"] = lines - ctx["excluded_lines"]

    # Always a config of our own: the excluded files, and the other languages' sources (the Python
    # rule selection still loads rules that a derived Python rule draws on, e.g. JS HTTP calls).
    other_langs = args.other_langs
    config_file: Path | None = None
    if True:
        config_file = run_dir / "contracts-bench.toml"
        ignore = list(config.ignore) + other_langs + excluded
        body = [f"ignore = {json.dumps(ignore)}", f"max_file_bytes = {config.max_file_bytes}"]
        if config.services:
            body.append(f"services = {json.dumps(list(config.services))}")
        config_file.write_text("\n".join(body) + "\n")

    jobs_list = [1] if args.jobs <= 1 else [1, args.jobs]
    # 2. contracts
    for j in jobs_list:
        ctx["runs"].append(run_contracts(corpus, j, args, run_dir, env, config_file))
        log(f"  {ctx['runs'][-1]['wall']:.1f} s, {ctx['runs'][-1].get('findings', '?')} facts")
    # 3. semgrep
    if not args.no_semgrep:
        exe = ensure_semgrep()
        ctx["semgrep_version"] = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=env).stdout.strip()
        rules_file = run_dir / "semgrep-effective.yaml"
        ctx["semgrep_rules"], ctx["uncovered"] = effective_semgrep_rules(contracts_rules, rules_file)
        try:
            ctx["parity"] = parity_check(exe, rules_file, env, args.rules)
            log(
                f"parity sample: {ctx['parity']['both']} found by both, only contracts {ctx['parity']['only_contracts']}, only semgrep {ctx['parity']['only_semgrep']}"
            )
        except Exception as exc:  # a broken rule in the work tree must not cost the timings
            log(f"parity check failed: {type(exc).__name__}: {str(exc)[:300]}")
        for j in jobs_list:
            r = run_semgrep(exe, corpus, j, rules_file, args, run_dir, env, excluded)
            ctx["runs"].append(r)
            log(f"  {r['wall']:.1f} s, {r.get('findings', '?')} findings, {len(r.get('scanned', []))} files")
            if "scanned" in r:
                want = set(py_files) - set(excluded)
                got = set(r["scanned"])
                if want != got:
                    log(
                        f"  file sets differ: {len(want - got)} only for contracts (e.g. {sorted(want - got)[:3]}), {len(got - want)} only for semgrep (e.g. {sorted(got - want)[:3]})"
                    )
                    r["file_set_diff"] = {"only_contracts": sorted(want - got), "only_semgrep": sorted(got - want)}
    # order: contracts then semgrep, by jobs
    if prof is None:
        ctx["profile"] = {
            "total_seconds": 1,
            "stages": {},
            "stage_calls": {},
            "file_timeout": 0,
            "timed_out": [],
            "files_total": files,
            "lines_total": lines,
            "extractions": 0,
            "second_pass_extractions": 0,
            "files_prefilter_pass": 0,
            "lines_prefilter_pass": 0,
            "files_skipped": 0,
            "slowest": [],
        }
    sys.path.insert(0, str(BENCH))
    text = report(ctx)
    if prof is None:
        text = text.split("## Where the time goes")[0]
    diffs = [r for r in ctx["runs"] if r.get("file_set_diff")]
    if diffs:
        d = diffs[0]["file_set_diff"]
        text += f"\nFile sets differ: {len(d['only_contracts'])} files only for contracts, {len(d['only_semgrep'])} only for Semgrep (see the .json).\n"
    out_md.write_text(text, encoding="utf-8")
    raw = dict(ctx.items())
    for r in raw["runs"]:
        r.pop("scanned", None)
    out_md.with_suffix(".json").write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
    print(text)
    log(f"report: {out_md.relative_to(REPO) if str(out_md).startswith(str(REPO)) else out_md}; raw logs in {run_dir.relative_to(REPO)}")


if __name__ == "__main__":
    main()
