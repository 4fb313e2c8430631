"""Where the time of a contracts scan goes: one in-process scan (jobs=1) with stage timers.

    .venv/bin/python bench/profile_scan.py --corpus DIR --json OUT [--file-timeout 20] [--cprofile OUT.txt]

Stages are measured by wrapping the engine's own functions with CPU-time timers (process time,
so that other load on a shared machine does not inflate them; exclusive time: a stage nested in
another is subtracted from its parent), which costs ~1 µs a call instead
of cProfile's per-call overhead that inflates the pure-Python analysis and deflates the native
tree-sitter parser. ``--cprofile`` additionally runs cProfile and writes its top functions.

The stages are the tree-sitter engine's, for every language alike: ``parse`` is the grammar's
``Parser.parse`` (timed through a proxy around the cached parsers), ``analysis`` is the rest of a
file's extraction (the adapter's walk: names, values, rule matching, facts), ``link`` the link stage.

Also recorded: per-file time (the slowest files), how many files and lines pass the
prefilter, and what the later passes cost (``rounds``: the extractions of the first pass and of
the later ones, those of files analysed before apart; ``analysed_again``: those files). A file whose extraction exceeds ``--file-timeout`` CPU seconds is abandoned (recorded as
timed out, its time left out of the stage table and not spent again when a later pass asks for
the file) so that one pathological file cannot hold the whole benchmark.

The wrapped names are internal to the engine; a name that no longer exists is reported as
"not measured" instead of failing.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

clock = time.process_time  # CPU seconds of this process

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Stage names, in report order.
STAGES = [
    ("load_rules", "load and compile rules"),
    ("list", "file listing (inventory, services)"),
    ("read", "reading files"),
    ("cache_lookup", "cache lookup (keys: content hashes, paths)"),
    ("cache_read", "cache read (SQLite, checksum, unpickling)"),
    ("prefilter", "prefilter (regex on bytes)"),
    ("risky", "risk check (scan.risky: size, depth, line length)"),
    ("parse", "tree-sitter parse"),
    ("analysis", "analysis (names, values, matching, facts)"),
    ("passes", "second/dependency pass selection"),
    ("addresses", "address book"),
    ("link", "link"),
    ("call_index", "call index (reach.build_call_index)"),
    ("output", "output (to_json + JSON text)"),
    ("other", "other (scan glue, task building)"),
]


class FileTimeout(BaseException):
    """Raised by the per-file alarm; a BaseException so the engine's ``except Exception`` lets it through."""


class StageTimer:
    def __init__(self) -> None:
        self.inclusive: dict[str, float] = defaultdict(float)
        self.children: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[str] = []
        self.missing: list[str] = []

    def wrap(self, owner: Any, name: str, stage: str) -> None:
        orig = getattr(owner, name, None)
        if orig is None:
            self.missing.append(f"{getattr(owner, '__name__', owner)}.{name}")
            return
        timer = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if stage in timer.stack:  # re-entered: the outer call measures it
                return orig(*args, **kwargs)
            timer.stack.append(stage)
            t0 = clock()
            try:
                return orig(*args, **kwargs)
            finally:
                dt = clock() - t0
                timer.stack.pop()
                timer.inclusive[stage] += dt
                timer.calls[stage] += 1
                if timer.stack:
                    timer.children[timer.stack[-1]] += dt

        wrapper.__wrapped__ = orig  # type: ignore[attr-defined]
        setattr(owner, name, wrapper)

    def add(self, stage: str, dt: float) -> None:
        self.inclusive[stage] += dt
        self.calls[stage] += 1

    def exclusive(self) -> dict[str, float]:
        return {k: v - self.children.get(k, 0.0) for k, v in self.inclusive.items()}


class TimedParser:
    """A tree-sitter ``Parser`` whose ``parse`` the stage timer wraps (``Parser`` is a C type)."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self.parser.parse(*args, **kwargs)


def time_parsers(T: Any) -> None:
    """Make the engine's parser cache hand out ``TimedParser`` proxies."""
    orig = T._parser
    proxies: dict[Any, TimedParser] = {}

    def _parser(grammar: Any) -> Any:
        proxy = proxies.get(grammar)
        if proxy is None:
            proxy = proxies[grammar] = TimedParser(orig(grammar))
        return proxy

    T._parser = _parser


def run(
    corpus: Path,
    file_timeout: float,
    rules: list[str],
    cprofile_out: Path | None,
    rule_ids: list[str] | None = None,
    ignore: list[str] | None = None,
    warm: bool = False,
) -> dict[str, Any]:
    import extractor.frontends.treesitter as T
    import extractor.scan as S
    from extractor.catalog import load_catalog

    timer = StageTimer()
    timer.wrap(S, "inventory", "list")
    timer.wrap(S, "read_source", "read")
    timer.wrap(T.TreeSitterFrontend, "prefilter", "prefilter")
    timer.wrap(T.TreeSitterFrontend, "extract", "analysis")  # exclusive time = extract minus parse
    time_parsers(T)
    timer.wrap(TimedParser, "parse", "parse")
    timer.wrap(S, "_second_pass", "passes")
    timer.wrap(S, "_dependency_pass", "passes")
    timer.wrap(S, "_package_pass", "passes")
    timer.wrap(S, "_reach_pass", "passes")
    timer.wrap(S, "survey", "list")
    timer.wrap(S, "risky", "risky")
    timer.wrap(S, "_cached", "cache_lookup")
    from extractor.cache import ExtractionCache

    timer.wrap(ExtractionCache, "get", "cache_read")
    import extractor.reach as R

    timer.wrap(R, "build_call_index", "call_index")
    import extractor.environment as E

    timer.wrap(E, "build_address_book", "addresses")
    timer.wrap(S, "link", "link")
    timer.wrap(S, "_compile", "load_rules")

    files: list[dict[str, Any]] = []
    timed_out: list[dict[str, Any]] = []
    gave_up: dict[str, int] = {}
    orig_extract_one: Callable[..., Any] = S.extract_one

    def on_alarm(signum: int, frame: Any) -> None:
        raise FileTimeout()

    signal.signal(signal.SIGPROF, on_alarm)

    abandoned = {"seconds": 0.0, "extractions": 0, "skipped_repeats": 0}

    def extract_one(task: Any, compiled: Any) -> Any:
        if task.rel in gave_up:  # the second/dependency passes ask again for a file that timed out
            abandoned["skipped_repeats"] += 1
            return (None, None, gave_up[task.rel])
        t0 = clock()
        saved = list(timer.stack)
        snapshot = (dict(timer.inclusive), dict(timer.children), dict(timer.calls))
        if file_timeout > 0:
            signal.setitimer(signal.ITIMER_PROF, file_timeout)
        try:
            out = orig_extract_one(task, compiled)
        except FileTimeout:
            # Keep the stage table about the files that complete: drop what this file spent.
            timer.stack[:] = saved
            timer.inclusive.clear()
            timer.inclusive.update(snapshot[0])
            timer.children.clear()
            timer.children.update(snapshot[1])
            timer.calls.clear()
            timer.calls.update(snapshot[2])
            try:
                lines = (Path(task.root) / task.rel).read_bytes().count(b"\n")
            except OSError:
                lines = 0
            timed_out.append({"file": task.rel, "lines": lines, "second_pass": bool(task.force)})
            gave_up[task.rel] = lines
            abandoned["seconds"] += clock() - t0
            abandoned["extractions"] += 1
            out = (None, None, lines)
        finally:
            if file_timeout > 0:
                signal.setitimer(signal.ITIMER_PROF, 0)
        dt = clock() - t0
        res, diag, lines = out
        files.append(
            {
                "file": task.rel,
                "seconds": dt,
                "lines": lines,
                "force": bool(task.force),
                "parsed": res is not None,
                "skipped": diag is not None and res is None,
            }
        )
        return out

    S.extract_one = extract_one

    profiler = None
    if cprofile_out is not None:
        import cProfile

        profiler = cProfile.Profile()

    import gc

    collected = {"seconds": 0.0, "outside": 0.0, "runs": 0}  # the cyclic collector: in total, and outside every stage ("other")
    gc_start = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_start[0] = clock()
        else:
            dt = clock() - gc_start[0]
            collected["seconds"] += dt
            collected["runs"] += 1
            if not timer.stack:
                collected["outside"] += dt

    cache = None
    if warm:  # a first, untimed scan fills a fresh cache; the timed one below reads it back
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="profile-cache-"))
        catalog = load_catalog([Path(r) for r in rules] if rules else None)
        first_ids = rule_ids or [r.id for r in catalog.rules if r.language == "python"]
        with ExtractionCache(folder) as filling:
            S.scan(corpus, catalog=catalog, jobs=1, rule_ids=first_ids, cache=filling)
        cache = ExtractionCache(folder)
        timer.inclusive.clear()
        timer.children.clear()
        timer.calls.clear()
        files.clear()
    gc.callbacks.append(on_gc)
    started = clock()
    started_wall = time.perf_counter()
    if profiler:
        profiler.enable()
    t0 = clock()
    catalog = load_catalog([Path(r) for r in rules] if rules else None)
    timer.add("load_rules", clock() - t0)
    if not rule_ids:  # Python rules only, as bench/run.py compares Python
        rule_ids = [r.id for r in catalog.rules if r.language == "python"]
    import dataclasses

    from extractor.config import load_config

    config = load_config(corpus)
    if ignore:
        config = dataclasses.replace(config, ignore=tuple(config.ignore) + tuple(ignore))
    result = S.scan(corpus, catalog=catalog, config=config, jobs=1, rule_ids=rule_ids, cache=cache)
    if cache is not None:
        cache.close()
    t0 = clock()
    from extractor.report import json_out

    text = json_out.dumps(result.to_json())
    timer.add("output", clock() - t0)
    if profiler:
        profiler.disable()
    total = clock() - started
    total_wall = time.perf_counter() - started_wall
    gc.callbacks.remove(on_gc)

    excl = timer.exclusive()
    stages = {key: excl.get(key, 0.0) for key, _ in STAGES if key != "other"}
    stages["other"] = max(0.0, total - abandoned["seconds"] - sum(stages.values()))

    seen: set[str] = set()
    first = []  # each file's first extraction (a later non-forced pass would count it twice)
    for f in files:
        if not f["force"] and f["file"] not in seen:
            seen.add(f["file"])
            first.append(f)
    passed_names = {f["file"] for f in first if f["parsed"]} | {t["file"] for t in timed_out if not t["second_pass"]}
    skipped = [f for f in first if f["skipped"]]
    facts_by_rule: dict[str, int] = defaultdict(int)
    for fact in result.facts:
        facts_by_rule[fact.rule] += 1
    per_file: dict[str, dict[str, Any]] = {}
    for f in files:
        d = per_file.setdefault(f["file"], {"file": f["file"], "seconds": 0.0, "lines": f["lines"], "extractions": 0})
        d["seconds"] += f["seconds"]
        d["extractions"] += 1
    slowest = sorted(per_file.values(), key=lambda d: -d["seconds"])[:15]
    # The later passes' cost: each extraction classed by its pass (forced: a later pass hands the
    # file objects or asks for its constants) and by whether the file was analysed before.
    rounds: dict[str, dict[str, float]] = {}
    analysed: set[str] = set()
    again: list[str] = []  # the files analysed more than once, in order
    for f in files:
        kind = ("later pass" if f["force"] else "first pass") + (", analysed again" if f["file"] in analysed else "")
        if f["file"] in analysed:
            again.append(f["file"])
        if f["parsed"]:
            analysed.add(f["file"])
        r = rounds.setdefault(kind, {"extractions": 0, "parsed": 0, "seconds": 0.0, "lines": 0})
        r["extractions"] += 1
        r["parsed"] += f["parsed"]
        r["seconds"] += f["seconds"]
        r["lines"] += f["lines"] if f["parsed"] else 0

    out = {
        "total_seconds": total,  # CPU seconds
        "wall_seconds": total_wall,
        "stages": stages,
        "stage_calls": dict(timer.calls),
        "not_measured": timer.missing,
        "stats": result.stats,
        "files_total": len(first),
        "lines_total": sum(f["lines"] for f in first),
        "files_prefilter_pass": len(passed_names),
        "lines_prefilter_pass": sum(f["lines"] for f in first if f["file"] in passed_names),
        "files_skipped": len(skipped),
        "extractions": len(files),
        "second_pass_extractions": sum(1 for f in files if f["force"]),
        "timed_out": timed_out,
        "abandoned": abandoned,  # CPU seconds spent on timed-out files (not in the stages)
        "file_timeout": file_timeout,
        "slowest": slowest,
        "rounds": rounds,
        "analysed_again": again,
        "facts": len(result.facts),
        "facts_by_rule": dict(sorted(facts_by_rule.items())),
        "diagnostics": len(result.diagnostics),
        "output_bytes": len(text),
        "gc": collected,
        "parse_calls": timer.calls.get("parse", 0),
        "lines_parsed": result.stats.get("lines_parsed"),
    }
    if profiler and cprofile_out is not None:
        import io
        import pstats

        buf = io.StringIO()
        st = pstats.Stats(profiler, stream=buf)
        st.sort_stats("tottime").print_stats(30)
        st.sort_stats("cumulative").print_stats(30)
        cprofile_out.write_text(buf.getvalue(), encoding="utf-8")
        out["cprofile"] = str(cprofile_out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--json", required=True, type=Path, help="write the measurements here")
    ap.add_argument("--file-timeout", type=float, default=20.0, help="abandon one file's extraction after this many CPU seconds (0: never)")
    ap.add_argument("--rules", action="append", default=[], help="rules directory (repeatable; default: the project's rules)")
    ap.add_argument("--ignore", action="append", default=[], help="extra ignore glob (repeatable), as in contracts.toml")
    ap.add_argument("--rule", action="append", default=[], help="rule id (repeatable; default: every Python rule)")
    ap.add_argument("--cprofile", type=Path, help="also run cProfile and write its top functions to this file")
    ap.add_argument("--warm", action="store_true", help="profile a warm scan: a first, untimed scan fills a fresh cache")
    args = ap.parse_args()
    data = run(args.corpus.resolve(), args.file_timeout, args.rules, args.cprofile, args.rule, args.ignore, args.warm)
    args.json.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    print(
        f"profile: {data['total_seconds']:.1f} s, {data['files_prefilter_pass']}/{data['files_total']} files passed the prefilter, {len(data['timed_out'])} timed out"
    )
    for kind, r in data["rounds"].items():
        print(f"  {kind}: {r['extractions']} extractions ({r['parsed']} analysed, {r['lines']:,} lines) {r['seconds']:.2f} s")


if __name__ == "__main__":
    main()
