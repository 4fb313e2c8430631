"""What a second skip stage could save: of the files that pass the prefilter, how many yield
nothing another stage uses, and what their analysis costs.

    GIT_CEILING_DIRECTORIES=$PWD/bench/.work .venv/bin/python bench/skip_potential.py --corpus bench/.work/corpus --json OUT

One in-process scan (jobs=1, no cache, the Python rules as bench/run.py and bench/profile_scan.py
use them) with every extraction's CPU time recorded. Each file the first pass extracts (it
passed the byte prefilter) is put in the first of these classes that holds:

- ``facts``: its extraction has at least one fact;
- ``diagnostics``: a diagnostic (a syntax error is part of the output);
- ``mounts``: a route prefix (the link stage reads it);
- ``exported_objects``: a module-level object (a session, an app, a client) that another file's
  second pass imports;
- ``used_by_others``: a function, class or constant another file's imports or calls name (the call
  index, the decorator summaries and the dependency passes read it);
- ``re_extracted``: a later pass extracts it again (with objects of another file);
- ``inert``: none of these. Only these files could be skipped without changing anything, and
  only if a stage cheaper than their analysis can tell them apart from the others.

Printed and written: files, lines and CPU seconds per class, with the parse's share (the part of
the cost that a tree-sitter query stage would have to pay as well).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

clock = time.process_time

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from profile_scan import TimedParser, time_parsers  # noqa: E402

CLASSES = ("facts", "diagnostics", "mounts", "exported_objects", "used_by_others", "re_extracted", "inert")


def run(corpus: Path) -> dict[str, Any]:
    import extractor.frontends.treesitter as T
    import extractor.scan as S
    from extractor.catalog import load_catalog
    from extractor.values import Obj

    parse_time: dict[str, float] = defaultdict(float)
    current: list[str] = []
    time_parsers(T)  # the engine's parsers handed out as proxies whose ``parse`` is timed per file

    def parse(proxy: TimedParser, *args: Any, **kwargs: Any) -> Any:
        t0 = clock()
        try:
            return proxy.parser.parse(*args, **kwargs)
        finally:
            if current:
                parse_time[current[-1]] += clock() - t0

    TimedParser.parse = parse  # type: ignore[method-assign]
    records: list[dict[str, Any]] = []
    orig_extract_one = S.extract_one

    def extract_one(task: Any, compiled: Any) -> Any:
        current.append(task.rel)
        t0 = clock()
        try:
            out = orig_extract_one(task, compiled)
        finally:
            current.pop()
        records.append({"task": task, "seconds": clock() - t0, "out": out})
        return out

    S.extract_one = extract_one
    catalog = load_catalog()
    rule_ids = [r.id for r in catalog.rules if r.language == "python"]
    t0 = clock()
    result = S.scan(corpus, catalog=catalog, jobs=1, rule_ids=rule_ids)
    total = clock() - t0

    first: dict[str, dict[str, Any]] = {}
    later: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        rel = r["task"].rel
        if not r["task"].force and rel not in first:
            first[rel] = r
        else:
            later[rel].append(r)
    passed = {rel: r for rel, r in first.items() if r["out"][0] is not None}
    modules = {rel: r["task"].module for rel, r in first.items()}

    # every name another file names: imports, calls, and objects the second pass hands over
    named_by: dict[str, set[str]] = defaultdict(set)  # qualified name → files naming it
    imported_objects: dict[str, set[str]] = defaultdict(set)
    for r in records:
        res = r["out"][0]
        rel = r["task"].rel
        for q, v in r["task"].imported:
            if isinstance(v, Obj):
                imported_objects[q].add(rel)
        if res is None:
            continue
        for q in res.imports.values():
            named_by[q].add(rel)
        if res.summary is not None:
            for fn in res.summary.functions:
                for c in fn.calls:
                    if c.callee and c.local is None:
                        named_by[c.callee.replace("().", ".")].add(rel)
            for c in res.summary.calls:
                if c.callee:
                    named_by[c.callee.replace("().", ".")].add(rel)
    by_prefix: dict[str, set[str]] = defaultdict(set)  # every dotted prefix of a named name → files
    for q, files in named_by.items():
        parts = q.split(".")
        for i in range(1, len(parts) + 1):
            by_prefix[".".join(parts[:i])] |= files

    rows: dict[str, dict[str, Any]] = {c: {"files": 0, "lines": 0, "seconds": 0.0, "parse_seconds": 0.0, "examples": []} for c in CLASSES}
    for rel, r in sorted(passed.items()):
        res, _diag, lines = r["out"]
        module = modules.get(rel, "")
        exported = {f"{module}.{n}" for n, v in res.exports.items() if isinstance(v, Obj)}
        others = (by_prefix.get(module, set()) - {rel}) if module else set()
        if res.facts:
            cls = "facts"
        elif res.diagnostics:
            cls = "diagnostics"
        elif res.mounts:
            cls = "mounts"
        elif any(imported_objects.get(q, set()) - {rel} for q in exported):
            cls = "exported_objects"
        elif others:
            cls = "used_by_others"
        elif later.get(rel):
            cls = "re_extracted"
        else:
            cls = "inert"
        row = rows[cls]
        row["files"] += 1
        row["lines"] += lines
        row["seconds"] += r["seconds"]
        row["parse_seconds"] += parse_time.get(rel, 0.0)
        if len(row["examples"]) < 8:
            row["examples"].append(rel)
    extraction = sum(r["seconds"] for r in records)
    return {
        "corpus": str(corpus),
        "scan_cpu_seconds": total,
        "extraction_cpu_seconds": extraction,
        "first_pass_cpu_seconds": sum(r["seconds"] for r in first.values()),
        "later_pass_cpu_seconds": sum(r["seconds"] for rs in later.values() for r in rs),
        "files": len(first),
        "lines": sum(r["out"][2] for r in first.values()),
        "files_passed": len(passed),
        "facts": len(result.facts),
        "classes": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    data = run(args.corpus.resolve())
    if args.json:
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(
        f"scan {data['scan_cpu_seconds']:.1f} s CPU, extraction {data['extraction_cpu_seconds']:.1f} s "
        f"(first pass {data['first_pass_cpu_seconds']:.1f}, later passes {data['later_pass_cpu_seconds']:.1f}); "
        f"{data['files_passed']} of {data['files']} files pass the prefilter; {data['facts']} facts"
    )
    print(f"{'class':<18} {'files':>6} {'lines':>9} {'CPU s':>7} {'parse s':>8}")
    for name in CLASSES:
        row = data["classes"][name]
        print(f"{name:<18} {row['files']:>6} {row['lines']:>9,} {row['seconds']:>7.2f} {row['parse_seconds']:>8.2f}")


if __name__ == "__main__":
    main()
