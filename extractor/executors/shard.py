"""``contracts scan --shard K/N`` and the merge of the shards' partial results (docs/scale.md).

A shard runs the scan's first pass (every source file through the prefilter and the extraction)
over its share of the files only, and stops there: its partial result holds, for each of its
files, the outcome of that pass (the ``FileResult`` with its facts, exports, imports and summary,
or "the prefilter drops it", the diagnostic, the line count) and the hash of the content it was
extracted from. ``contracts merge`` takes every shard's part, checks that they fit together (the
same tool build, rule set, root and file list; every shard once; each file's content unchanged),
and runs the same scan with the first pass's outcomes taken from the parts: the narrow later passes
(files that import another file's object or constant, the helpers a handler calls), the
environment, the link stage and everything after run on the union, in the merge, so a file whose
resolution depends on a file of another shard is resolved as in one scan. The merge reads the
checkout (configuration files, the later passes' files), which must be the one the shards saw.

Files are split by **size**: sorted by size (largest first, then path) and dealt greedily to the
shard with the fewest bytes so far. A path hash would keep a file in its shard as the tree
changes, but nothing is kept between runs; what a CI matrix needs is shards that end at the same
time, and extraction time follows file size much more than file count (one 300 kB file costs as
much as a hundred small ones). Every shard computes the same split from the same checkout; when
two shards saw different checkouts the merge finds files extracted twice or never, or changed,
and says so.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import progress
from ..cache import decode, encode, tool_fingerprint
from ..facts import Diagnostic
from ..frontends.base import FileResult
from ..scan import Executor, ExecutorError, Outcome, Task, _read

FORMAT = "contracts-shard"
VERSION = 1
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ExecutorError):
    """A shard option or a set of parts that cannot be used: the message says why (exit 2)."""


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``K/N`` with 1 ≤ K ≤ N."""
    m = _SHARD.match(text)
    if m is None:
        raise ShardError(f"--shard {text!r}: expected K/N, e.g. 2/4 (the second of four shards)")
    k, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ShardError(f"--shard {text}: K must be between 1 and N (N at least 1)")
    return Shard(k, n)


def split(sizes: list[int], names: list[str], count: int) -> list[int]:
    """The shard (1-based) of each file: largest first (ties by name), each to the shard with the
    fewest bytes so far (ties: the lowest shard)."""
    owner = [0] * len(sizes)
    heap = [(0, k) for k in range(1, count + 1)]
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], names[i])):
        load, k = heapq.heappop(heap)
        owner[i] = k
        heapq.heappush(heap, (load + sizes[i], k))
    return owner


def _size(task: Task) -> int:
    try:
        return os.stat(os.path.join(task.root, task.rel)).st_size
    except OSError:
        return 0


def _files_digest(rels: Iterable[str]) -> str:
    """The first pass's file list, in order: shards and merge must agree on it."""
    return hashlib.sha256("\0".join(rels).encode("utf-8", "surrogatepass")).hexdigest()


def _content_hash(task: Task) -> str | None:
    data, _diag = _read(task)
    return hashlib.sha256(data).hexdigest() if data is not None else None


def tool_build() -> str:
    return tool_fingerprint().hex()


# ---------------------------------------------------------------- a shard
class _FirstPassDone(BaseException):
    """Raised by a shard's executor once its first pass is done: a shard links nothing. (Not an
    error: no ``except Exception`` on the way may take it for a failed scan.)"""


@dataclass
class ShardExecutor(Executor):
    shard: Shard
    files: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    rules: str = ""

    def run_pass(self, tasks: list[Task], local: Callable[[list[Task]], list[Outcome]], rules: str) -> list[Outcome]:
        self.rules = rules
        owner = split([_size(t) for t in tasks], [t.rel for t in tasks], self.shard.count)
        mine = [t for t, k in zip(tasks, owner) if k == self.shard.index]
        progress.advance(len(tasks) - len(mine))  # (other shards' files)
        self.files = [t.rel for t in tasks]
        self.results = [_entry(t, outcome) for t, outcome in zip(mine, local(mine))]
        raise _FirstPassDone()


def _entry(task: Task, outcome: Outcome) -> dict[str, Any]:
    res, diag, lines = outcome
    return {
        "file": task.rel,
        "sha256": _content_hash(task),
        "lines": lines,
        "facts": len(res.facts) if res is not None else 0,
        "diagnostic": diag.kind if diag is not None else None,
        "outcome": base64.b64encode(encode(outcome)).decode("ascii"),
    }


def run_shard(root: Path, shard: Shard, scan: Callable[[Executor], object], selected: Iterable[str] | None) -> dict[str, Any]:
    """The partial result of shard ``shard`` of a scan of ``root`` (``scan`` runs the scan with
    the given executor; ``selected``: the ``--rule`` ids, None for all)."""
    executor = ShardExecutor(shard)
    try:
        scan(executor)
    except _FirstPassDone:
        pass
    return {
        "format": FORMAT,
        "version": VERSION,
        "shard": {"index": shard.index, "count": shard.count},
        "tool": {"build": tool_build()},
        "rules": {"digest": executor.rules, "selected": sorted(selected) if selected is not None else None},
        "root": display_root(root),
        "files": {"count": len(executor.files), "digest": _files_digest(executor.files)},
        "results": executor.results,
    }


def display_root(root: Path) -> str:
    """The root as the facts document shows it (what ``scan`` prints for PATH)."""
    return Path(os.path.normpath(str(root))).as_posix()


def dumps(part: dict[str, Any]) -> str:
    return json.dumps(part, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- the merge
@dataclass
class Parts:
    """Shards' parts that fit together."""

    root: str
    count: int
    rules: str
    selected: tuple[str, ...] | None
    files_digest: str
    entries: dict[str, tuple[str | None, str, str]]  # file → (content hash, encoded outcome, the part it came from)


def read_parts(paths: list[Path]) -> Parts:
    """Read and check the parts: each a partial result of this build of the tool, all of one
    scan (root, rules, file list, shard count), every shard exactly once, no file twice."""
    if not paths:
        raise ShardError("no parts to merge: give the files `contracts scan --shard K/N -o FILE` wrote")
    docs = [(path, _load(path)) for path in paths]
    first_path, first = docs[0]
    build = tool_build()
    for path, doc in docs:
        if doc["tool"]["build"] != build:
            raise ShardError(
                f"{path}: made by another build of contracts (another version, or edited code); run every shard and the merge with the same installation"
            )
        for key, what in (("rules", "rule set (--rules, --rule)"), ("root", "root (PATH)"), ("files", "file list (another checkout or configuration)")):
            if doc[key] != first[key]:
                raise ShardError(f"{path} and {first_path}: parts of different scans: another {what}")
        if doc["shard"]["count"] != first["shard"]["count"]:
            raise ShardError(f"{path} is shard {_name(doc)} and {first_path} shard {_name(first)}: parts of different splits")
    count = first["shard"]["count"]
    seen: dict[int, Path] = {}
    for path, doc in docs:
        index = doc["shard"]["index"]
        if index in seen:
            raise ShardError(f"overlapping shards: {seen[index]} and {path} are both shard {index}/{count}")
        seen[index] = path
    missing = [f"{k}/{count}" for k in range(1, count + 1) if k not in seen]
    if missing:
        raise ShardError(f"missing shard(s) {', '.join(missing)}: merge needs the parts of all {count} shards")
    entries: dict[str, tuple[str | None, str, str]] = {}
    for path, doc in docs:
        for item in doc["results"]:
            if item["file"] in entries:
                raise ShardError(f"{item['file']} is in two parts ({entries[item['file']][2]} and {path}): shards of different checkouts?")
            entries[item["file"]] = (item["sha256"], item["outcome"], str(path))
    if len(entries) != first["files"]["count"]:
        raise ShardError(f"the parts hold {len(entries)} files of the {first['files']['count']} the scan has: shards of different checkouts?")
    selected = first["rules"]["selected"]
    return Parts(first["root"], count, first["rules"]["digest"], tuple(selected) if selected is not None else None, first["files"]["digest"], entries)


def _name(doc: dict[str, Any]) -> str:
    return f"{doc['shard']['index']}/{doc['shard']['count']}"


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ShardError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ShardError(f"{path}: not a shard's part (not JSON: {exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ShardError(f"{path}: not a shard's part (written by `contracts scan --shard K/N`)")
    if doc.get("version") != VERSION:
        raise ShardError(f"{path}: a part of format version {doc.get('version')!r}; this contracts reads version {VERSION}")
    try:
        shard, results = doc["shard"], doc["results"]
        ok = (
            isinstance(shard["index"], int)
            and isinstance(shard["count"], int)
            and 1 <= shard["index"] <= shard["count"]
            and isinstance(doc["tool"]["build"], str)
            and isinstance(doc["rules"]["digest"], str)
            and isinstance(doc["root"], str)
            and isinstance(doc["files"]["count"], int)
            and isinstance(results, list)
            and all(isinstance(r["file"], str) and isinstance(r["outcome"], str) and (r["sha256"] is None or isinstance(r["sha256"], str)) for r in results)
        )
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise ShardError(f"{path}: a malformed part (docs/schemas/shard.v1.schema.json)")
    return doc


@dataclass
class MergeExecutor(Executor):
    """The first pass's outcomes from the parts (after checking each file's content is the one its
    shard extracted); the later passes run here."""

    parts: Parts
    done: bool = False

    def run_pass(self, tasks: list[Task], local: Callable[[list[Task]], list[Outcome]], rules: str) -> list[Outcome]:
        if self.done:
            return local(tasks)
        self.done = True
        if rules != self.parts.rules:
            raise ShardError("the parts were made with other rules than this merge's: give merge the same --rules as the shards")
        if _files_digest(t.rel for t in tasks) != self.parts.files_digest:
            raise ShardError("the tree to merge has other source files than the one the shards scanned: merge in the same checkout (or pass --root)")
        out: list[Outcome] = []
        for task in tasks:
            sha, blob, part = self.parts.entries[task.rel]
            if _content_hash(task) != sha:
                raise ShardError(f"{task.rel}: changed since {part} was made: merge in the same checkout")
            out.append(_outcome(blob, task.rel, part))
        progress.advance(len(out))
        return out


def _outcome(blob: str, rel: str, part: str) -> Outcome:
    try:
        value = decode(base64.b64decode(blob, validate=True))
        res, diag, lines = value
    except Exception:
        raise ShardError(f"{part}: the result of {rel} does not decode (a damaged part)") from None
    if not ((res is None or isinstance(res, FileResult)) and (diag is None or isinstance(diag, Diagnostic)) and isinstance(lines, int)):
        raise ShardError(f"{part}: the result of {rel} is not an extraction result (a damaged part)")
    return res, diag, lines
