"""Scan a folder with both Python engines and print the fact diff.

    .venv/bin/python bench/parity/engines.py PATH [--rule ID | --skip-rule ID] [--json OUT] [--limit N]
    .venv/bin/python bench/parity/engines.py PATH --speed [--repeat N]

Each engine runs in its own subprocess (``CONTRACTS_PYTHON_ENGINE=libcst`` / ``treesitter``,
``contracts scan PATH --format json --jobs 1``), so both see the same catalog, the same files and
the same link stage. Facts are keyed by (file, line, rule, kind) (a key seen several times gets
an occurrence number), and the report lists the facts only one engine found and, for keys both
found, the fields whose values differ. Only Python files are compared (the other languages go
through the tree-sitter engine either way). The scan's CPU time per engine is printed too.

``--speed`` measures instead, in this process, parse and parse+extract CPU time of both engines on
the same files: every .py file under PATH that the libcst frontend's prefilter passes (module
names as the scan gives them are not needed for timing: the file's path stands in).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SKIP_FIELDS = {"id"}  # ids hash the anchor text, which an impl rule may take differently per engine (the facts that carry one are compared)


def scan(engine: str, path: str, rules: list[str]) -> tuple[dict[str, Any], float, float]:
    env = dict(os.environ, CONTRACTS_PYTHON_ENGINE=engine)
    cmd = [sys.executable, "-m", "extractor.cli", "scan", path, "--format", "json", "--jobs", "1"]
    for r in rules:
        cmd += ["--rule", r]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 1):
        sys.exit(f"{engine}: contracts scan failed ({out.returncode}):\n{out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(out.stdout), wall, cpu


def keyed(doc: dict[str, Any]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    seen: Counter[tuple[Any, ...]] = Counter()
    for f in sorted(doc.get("facts", ()), key=lambda f: (f["file"], f["line"], f["rule"], f["kind"], f.get("col", 0), json.dumps(f, sort_keys=True))):
        if not f["file"].endswith(".py"):
            continue
        base = (f["file"], f["line"], f["rule"], f["kind"])
        seen[base] += 1
        out[base + (seen[base],)] = f
    return out


def diff(a: dict[tuple[Any, ...], dict[str, Any]], b: dict[tuple[Any, ...], dict[str, Any]]) -> dict[str, Any]:
    only_a = [a[k] for k in sorted(a.keys() - b.keys(), key=repr)]
    only_b = [b[k] for k in sorted(b.keys() - a.keys(), key=repr)]
    changed = []
    for k in sorted(a.keys() & b.keys(), key=repr):
        fa, fb = a[k], b[k]
        fields = sorted((set(fa) | set(fb)) - SKIP_FIELDS)
        delta = {n: (fa.get(n), fb.get(n)) for n in fields if fa.get(n) != fb.get(n)}
        if delta:
            changed.append({"key": list(k), "fields": delta})
    return {"only_libcst": only_a, "only_treesitter": only_b, "different": changed}


def short(f: dict[str, Any]) -> str:
    extra = {k: v for k, v in f.items() if k not in ("id", "kind", "rule", "service", "file", "line", "col", "confidence")}
    return f"{f['file']}:{f['line']}  {f['rule']}  {json.dumps(extra, sort_keys=True)[:300]}"


def speed(path: str, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    from extractor.catalog import load_catalog
    from extractor.frontends.python import PythonFrontend
    from extractor.frontends.treesitter import python_frontend

    rules = [r for r in load_catalog().rules if r.language == "python"]
    engines = {"libcst": PythonFrontend(), "treesitter": python_frontend()}
    compiled = {name: fe.compile(rules) for name, fe in engines.items()}
    files = []
    for p in sorted(Path(path).rglob("*.py")):
        try:
            data = p.read_bytes()
        except OSError:
            continue
        if engines["libcst"].prefilter(compiled["libcst"], data):
            files.append((p.as_posix(), data))
    lines = sum(d.count(b"\n") for _, d in files) * repeat
    print(f"{len(files)} files pass the prefilter, {lines // repeat} lines; x{repeat}")
    import libcst

    ts = engines["treesitter"]
    for label, fn in (
        ("libcst parse", lambda rel, data: libcst.parse_module(data)),
        ("tree-sitter parse", lambda rel, data: ts.parse(rel, data)),
        ("libcst parse+extract", lambda rel, data: engines["libcst"].extract(rel, data, compiled["libcst"], "m")),
        ("tree-sitter parse+extract", lambda rel, data: ts.extract(rel, data, compiled["treesitter"], "m")),
    ):
        start = time.process_time()
        for _ in range(repeat):
            for rel, data in files:
                try:
                    fn(rel, data)
                except Exception:  # libcst refuses some files; both engines report them, the timing goes on
                    pass
        cpu = time.process_time() - start
        print(f"  {label:26s} {cpu:8.2f} s CPU  {lines / cpu if cpu else 0:10,.0f} lines/s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path")
    ap.add_argument("--rule", action="append", default=[], help="only these rules (repeatable)")
    ap.add_argument("--skip-rule", action="append", default=[], help="all Python rules but these (repeatable)")
    ap.add_argument("--json", help="write the full diff as JSON here")
    ap.add_argument("--limit", type=int, default=40, help="lines printed per section")
    ap.add_argument("--speed", action="store_true", help="time parse and parse+extract of both engines in-process instead")
    ap.add_argument("--repeat", type=int, default=1, help="with --speed: passes over the files")
    args = ap.parse_args(argv)
    if args.speed:
        speed(args.path, args.repeat)
        return 0
    if args.skip_rule:
        sys.path.insert(0, str(ROOT))
        from extractor.catalog import load_catalog

        skip = set(args.skip_rule)
        args.rule = [r.id for r in load_catalog().rules if r.language == "python" and r.id not in skip and (not args.rule or r.id in args.rule)]
    docs = {}
    diags: dict[str, set[tuple[str, str, int]]] = {}
    for engine in ("libcst", "treesitter"):
        doc, wall, cpu = scan(engine, args.path, args.rule)
        docs[engine] = keyed(doc)
        diags[engine] = {(d.get("file", ""), d.get("kind", ""), d.get("line") or 0) for d in doc.get("diagnostics", ()) if str(d.get("file", "")).endswith(".py")}
        print(f"{engine:10s} {len(docs[engine]):6d} Python facts  {wall:7.2f} s wall  {cpu:7.2f} s CPU  {len(doc.get('diagnostics', ()))} diagnostics")
    d = diff(docs["libcst"], docs["treesitter"])
    same = len(docs["libcst"].keys() & docs["treesitter"].keys()) - len(d["different"])
    print(f"identical {same}, only libcst {len(d['only_libcst'])}, only tree-sitter {len(d['only_treesitter'])}, same key different fields {len(d['different'])}")
    by_rule: Counter[str] = Counter()
    for name in ("only_libcst", "only_treesitter"):
        for f in d[name]:
            by_rule[f"{name} {f['rule']}"] += 1
    for c in d["different"]:
        by_rule[f"different {c['key'][2]}"] += 1
    for k, n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[: args.limit]:
        print(f"  {n:5d}  {k}")
    for name, title in (("only_libcst", "Only libcst"), ("only_treesitter", "Only tree-sitter")):
        if d[name]:
            print(f"\n{title}:")
            for f in d[name][: args.limit]:
                print("  " + short(f))
    if d["different"]:
        print("\nSame key, different fields (libcst → tree-sitter):")
        for c in d["different"][: args.limit]:
            file, line, rule = c["key"][0], c["key"][1], c["key"][2]
            shown = "; ".join(f"{n}: {json.dumps(x)[:120]} → {json.dumps(y)[:120]}" for n, (x, y) in c["fields"].items())
            print(f"  {file}:{line}  {rule}  {shown}")
    for a, b in (("libcst", "treesitter"), ("treesitter", "libcst")):
        extra = sorted(diags[a] - diags[b])
        if extra:
            print(f"\nDiagnostics only {a} gives ({len(extra)}):")
            for file, kind, line in extra[: args.limit]:
                print(f"  {file}:{line}  {kind}")
    if args.json:
        Path(args.json).write_text(json.dumps(d, indent=1, sort_keys=True, default=str) + "\n")
    return 0 if not (d["only_libcst"] or d["only_treesitter"] or d["different"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
