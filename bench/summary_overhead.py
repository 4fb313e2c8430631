"""What recording per-file summaries costs: extraction CPU with the summary recorder on vs off.

    .venv/bin/python bench/summary_overhead.py DIR [--language python] [--rounds 5] [--all]

Every file of the language under DIR (the prefilter's files unless ``--all``) is read and parsed
once; then the engine's analysis of every file runs in alternating rounds, once with the recorder
(``Analyzer.summary``) and once with it set to None before ``run()``, in one process. Each round's
CPU time (process time, so that other load on a shared machine does not inflate it) is summed per
mode; the report gives the minimum and median round of each mode and the overhead of the median.
Parsing is outside the measured time (it does not depend on the recorder).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SUFFIXES = {"python": (".py",), "go": (".go",), "java": (".java",), "javascript": (".js", ".ts", ".tsx", ".jsx"), "csharp": (".cs",), "kotlin": (".kt",)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--language", default="python")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per mode (alternating)")
    ap.add_argument("--all", action="store_true", help="every file, not only the prefilter's")
    args = ap.parse_args(argv)

    from extractor.catalog import load_catalog
    from extractor.frontends.treesitter import _load, _parser, _query_for, frontends
    from extractor.frontends.treesitter.python_package import module_name_for
    from extractor.scan import _compile

    compiled = _compile(load_catalog())
    index = compiled[args.language]
    fe = frontends()[args.language]
    analyzer = _load(fe.spec.analyzer)
    files: list[tuple[str, bytes, Any, Any, str]] = []
    root = args.dir.resolve()
    for p in sorted(root.rglob("*")):
        if not p.is_file() or not p.name.endswith(SUFFIXES[args.language]):
            continue
        data = p.read_bytes()
        if not args.all and not fe.prefilter(index, data):
            continue
        rel = p.relative_to(root).as_posix()
        grammar = fe.spec.grammar_for(rel)
        tree = _parser(grammar).parse(data)
        module = module_name_for(rel) if args.language == "python" else ""
        files.append((rel, data, tree, _query_for(grammar), module))
    lines = sum(d.count(b"\n") for _, d, _, _, _ in files)
    print(f"{len(files)} files, {lines} lines")

    def one_round(record: bool) -> float:
        t0 = time.process_time()
        for rel, data, tree, query, module in files:
            an = analyzer(index, rel, data, tree, module, query, None)
            if not record:
                an.summary = None
            an.run()
        return time.process_time() - t0

    one_round(True)  # warm-up (imports, caches)
    on: list[float] = []
    off: list[float] = []
    for i in range(args.rounds):
        for record in (True, False) if i % 2 == 0 else (False, True):
            (on if record else off).append(one_round(record))
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(f"recorder on : min {min(on):.3f} s  median {m_on:.3f} s  ({', '.join(f'{t:.2f}' for t in on)})")
    print(f"recorder off: min {min(off):.3f} s  median {m_off:.3f} s  ({', '.join(f'{t:.2f}' for t in off)})")
    print(f"overhead    : {100 * (m_on - m_off) / m_off:.1f} % of extraction (medians), {100 * (min(on) - min(off)) / min(off):.1f} % (minima)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
