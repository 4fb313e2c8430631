"""The long fuzzing run of the scan (issue 12): the property of ``tests/test_fuzz_scan.py``, many more inputs.

    .venv/bin/python bench/fuzz.py                         # 500 mutated fixtures + 200 nasty files
    .venv/bin/python bench/fuzz.py --mutated 3000 --nasty 1000 --seed 7

Every input is one file of a one-service repository, scanned in this process with the project's
isolation (a risky file goes to a worker process that a crash or the hard limit cannot take the
run down with). An input that breaks an invariant (an exception, a scan past the hard limit,
invalid JSON, an unreadable file without a diagnostic) is written to
``bench/.work/fuzz-failures/<n>.<ext>`` with a ``.txt`` saying how it was made: such an input
becomes a regression case in ``tests/test_hardening_scan.py`` (generated at test time when big).
The counts (inputs tried per strategy, failures, slowest scan) are printed and appended, with the
date and commit, to ``bench/results/fuzz.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as fixed_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzzing import Case, check_case, mutated_fixtures, nasty_code  # noqa: E402


def run(name: str, strategy: st.SearchStrategy[Case], examples: int, seed: int, out: Path) -> dict[str, float]:
    stats = {"tried": 0, "failures": 0, "slowest": 0.0}
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))

    @fixed_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(case=strategy)
    def one(case: Case) -> None:
        stats["tried"] += 1
        started = time.perf_counter()
        try:
            check_case(case, work / str(stats["tried"]))
        except Exception as exc:  # an invariant broken: keep the input, go on
            stats["failures"] += 1
            out.mkdir(parents=True, exist_ok=True)
            stem = out / f"{name}-{stats['failures']}"
            stem.with_suffix(Path(case.name).suffix).write_bytes(case.data)
            stem.with_suffix(".txt").write_text(f"{case.how}\n{type(exc).__name__}: {exc}\n", encoding="utf-8")
            print(f"  FAILED: {case.how}: {type(exc).__name__}: {str(exc)[:200]}", flush=True)
        stats["slowest"] = max(stats["slowest"], time.perf_counter() - started)
        if stats["tried"] % 100 == 0:
            print(f"  {name}: {stats['tried']} inputs, {stats['failures']} failures", flush=True)

    one()
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mutated", type=int, default=500, help="mutated fixtures to try")
    parser.add_argument("--nasty", type=int, default=200, help="generated nasty files to try")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/results/fuzz.md")
    args = parser.parse_args()
    out = REPO / "bench" / ".work" / "fuzz-failures"
    started = time.perf_counter()
    results = {
        "mutated fixtures": run("mutated", mutated_fixtures(), args.mutated, args.seed, out),
        "nasty code": run("nasty", nasty_code(), args.nasty, args.seed, out),
    }
    elapsed = time.perf_counter() - started
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip() or "?"
    lines = [f"## {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}, seed {args.seed}, {elapsed:.0f} s", ""]
    lines += ["| strategy | inputs tried | failures | slowest scan (s) |", "|---|---|---|---|"]
    lines += [f"| {name} | {s['tried']:.0f} | {s['failures']:.0f} | {s['slowest']:.2f} |" for name, s in results.items()]
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.no_record:
        target = REPO / "bench" / "results" / "fuzz.md"
        head = (
            ""
            if target.exists()
            else "# Fuzzing the scan (bench/fuzz.py)\n\nInputs tried and invariants broken per run (an invariant broken is a failure; 0 expected).\n\n"
        )
        with target.open("a", encoding="utf-8") as fh:
            fh.write(head + report + "\n")
    return 1 if any(s["failures"] for s in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
