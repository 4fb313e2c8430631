"""``contracts scan``: discover → extract (per file, pure) → link → facts.

Per-file extraction runs in worker processes (``extractor.isolation``) when ``jobs > 1`` and
there are many files, and always for a file that looks risky (huge, deeply nested, very long
lines): a worker that crashes or passes the hard time limit costs that file a diagnostic, never
the scan. Other files run in this process under a soft time limit (``SIGALRM``) and the recursion
limit (``too_deep``). A second, narrow pass re-extracts the files that import a tracked object
(a session, an app, a client) from another module of the same service.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import progress
from .cache import ExtractionCache, decode, encode_plain
from .catalog import Catalog, load_catalog
from .config import Config, load_config
from .discover import inventory, not_the_services, survey, with_proxies
from .facts import Diagnostic, Fact, ScanResult, Service
from .frontends import frontend_for, rules_language, rules_language_of
from .frontends.base import FileResult
from .isolation import Failure, Job, run_isolated
from .sources import SourceCache, read_source
from .values import Const, Dynamic, Obj, Ref, Seq, Value, strip, walk


@dataclass
class ServiceMap:
    services: list[Service]
    _by_root: dict[str, Service] = field(default_factory=dict)
    _owners: dict[str, Service | None] = field(default_factory=dict)  # rel -> owner, as found once (the passes ask again and again)

    def __post_init__(self) -> None:
        self._by_root = {s.root: s for s in self.services}

    def owner(self, rel: str) -> Service | None:
        if rel in self._owners:
            return self._owners[rel]
        parts = rel.split("/")
        found = self._by_root.get(".")
        for i in range(len(parts) - 1, 0, -1):
            svc = self._by_root.get("/".join(parts[:i]))
            if svc is not None:
                found = svc
                break
        self._owners[rel] = found
        return found

    def module_of(self, rel: str) -> str:
        from .frontends.treesitter.python_package import module_name_for

        svc = self.owner(rel)
        inner = rel if svc is None or svc.root == "." else rel[len(svc.root) + 1 :]
        return module_name_for(inner)


# ---------------------------------------------------------------- per-file work (pure)
_WORKER: dict[str, Any] = {}


_COMPILED: dict[tuple, dict[str, Any]] = {}


def _compile(catalog: Catalog, languages: Iterable[str] | None = None) -> dict[str, Any]:
    """Compiled rule indexes per language, cached per set of rule files (compiling costs ~0.2 s
    for every language): only ``languages`` (default: every language of the catalog) are compiled,
    so a scan compiles only the languages its files have. Worker processes inherit them (fork)."""
    key = tuple((r.id, str(r.path), _stat(r.path, "st_mtime_ns")) for r in catalog.rules)
    if key not in _COMPILED and len(_COMPILED) > 64:
        _COMPILED.clear()
    compiled = _COMPILED.setdefault(key, {})
    available = _rule_languages(catalog)
    for language in sorted(available if languages is None else set(languages) & available):
        if language in compiled:
            continue
        fe = frontend_for(language)
        if fe is not None:  # an aliased language's rules (typescript → javascript) join its own
            compiled[language] = fe.compile([r for r in catalog.rules if r.language != "any" and language in {rules_language(lang) for lang in r.languages}])
    return compiled


def _rule_languages(catalog: Catalog) -> set[str]:
    """The languages (rules languages: typescript is javascript) the catalog has rules for."""
    return {rules_language(lang) for lang in catalog.languages()}


def _stat(path: Path, attr: str) -> int:
    """``path.stat().<attr>`` (``st_mtime_ns``, ``st_size``); 0 when the file cannot be read."""
    try:
        return int(getattr(path.stat(), attr))
    except OSError:
        return 0


def _worker_compiled(spec: tuple[tuple[str, ...], tuple[str, ...] | None]) -> Mapping[str, Any]:
    """The compiled rules in a worker: inherited from the parent (fork), else compiled once from the rule dirs."""
    if _WORKER.get("spec") != spec:
        rule_dirs, rule_ids = spec
        catalog = load_catalog([Path(d) for d in rule_dirs])
        if rule_ids is not None:
            catalog = catalog.select(rule_ids)
        _WORKER["spec"], _WORKER["compiled"] = spec, _compile(catalog)
    compiled: Mapping[str, Any] = _WORKER["compiled"]
    return compiled


@dataclass(frozen=True)
class Task:
    root: str
    rel: str
    language: str
    module: str
    max_bytes: int
    imported: tuple[tuple[str, Value], ...] = ()
    force: bool = False  # skip the prefilter (second pass)
    time_limit: float = 0.0  # seconds of extraction before the file is given up (0: none)


def extract_one(task: Task, compiled: Mapping[str, Any]) -> tuple[FileResult | None, Diagnostic | None, int]:
    """Extract one file. Returns (result or None when prefiltered out, diagnostic, lines)."""
    fe = frontend_for(task.language)
    index = compiled.get(task.language)
    if fe is None or index is None:
        return None, None, 0
    data, diag = _read(task)
    if data is None:
        return None, diag, 0
    lines = data.count(b"\n")
    if not task.force and not fe.prefilter(index, data):
        return None, None, lines
    try:
        with _time_limit(task.time_limit):
            result = fe.extract(task.rel, data, index, task.module, dict(task.imported) if task.imported else None)
    except _OutOfTime:
        return None, Diagnostic(task.rel, "timeout", f"extraction took longer than {task.time_limit:g} s (file_time_limit); skipped", severity="warning"), lines
    except RecursionError:
        return None, Diagnostic(task.rel, "too_deep", "code nested too deeply to analyse (recursion limit); skipped", severity="warning"), lines
    except Exception as exc:  # a frontend bug must not stop the scan
        return None, Diagnostic(task.rel, "internal_error", f"extraction failed: {type(exc).__name__}: {exc}", severity="error"), lines
    return result, None, lines


_SOURCES: list[SourceCache] = []  # the running scan's reads (in this process)


def _read(task: Task) -> tuple[bytes | None, Diagnostic | None]:
    """The task's file, read once per scan: the later passes reuse the first read (or its diagnostic).
    A read outside the extraction that is not a question (``_peek``) is recorded as the hash of the
    text read (``_PEEKED``): any change of the file then changes what the scan read."""
    if _SOURCES:
        got = _SOURCES[-1].read(task.root, task.rel, task.max_bytes, task.language, read_source)
    else:
        got = read_source(Path(task.root), task.rel, task.max_bytes, task.language)
    if _PEEKED and not _QUIET[0]:
        _PEEKED[-1].setdefault(task.rel, {})[("sha256", None)] = _ask(got[0], "sha256", None)
    return got


def _peek(task: Task, question: str, arg: Any) -> Any:
    """A later pass's question about a file's text (``_ask``), its answer recorded for the scan's
    state (``_PEEKED``: file → (question, argument) → answer): a re-scan after the file changed asks
    again, and when every answer is the same the passes decided as they did (the cut-off holds)."""
    asked = _asked(question, arg)
    before = _PEEKED[-1].get(task.rel) if _PEEKED else None
    if before is not None and asked in before:  # asked before in this scan (a later round of a pass)
        return before[asked]
    known = _ANSWERED[-1].get(task.rel) if _ANSWERED else None
    if known is not None and asked in known:  # the file as it was at the last scan: its answer then
        answer = known[asked]
    else:
        _QUIET[0] += 1
        try:
            data, _diag = _read(task)
        finally:
            _QUIET[0] -= 1
        answer = _ask(data, question, arg)
    if _PEEKED and not _QUIET[0]:
        _PEEKED[-1].setdefault(task.rel, {})[asked] = answer
    return answer


def _asked(question: str, arg: Any) -> tuple[str, Any]:
    """The key a question's answers are recorded under: ``(question, arg)``, the last scan's equal
    key object when it had one (``_reuse_last``). An argument can be thousands of names (the
    wrapper pass's); a lookup with an equal key of another object compared them all, for every file
    (~0.15 s of a re-scan), the same object compares as equal at once. Found once per argument
    object (``_ASKED``: by id, the object kept so that its id is not reused)."""
    if not _ASKED:
        return (question, arg)
    by_id, last = _ASKED[-1]
    got = by_id.get((question, id(arg)))
    if got is not None and got[0] is arg:
        return got[1]
    key = (question, arg)
    key = last.get(key, key)
    by_id[(question, id(arg))] = (arg, key)
    return key


def _ask(data: bytes | None, question: str, arg: Any) -> Any:
    """The answer to a question about a file's text (None: the file cannot be read as source):
    ``search`` (arg: a pattern's source and flags; str patterns search the UTF-8 decoded text): whether
    it matches; ``words`` (arg: words): the words found in the decoded text, as substrings;
    ``readable``: True; ``linked`` (arg: a language): what its frontend's ``linked_modules`` index
    reads of the text (``linked_text``); ``word`` (arg: names and whether the decoded text is meant):
    whether one of the names is a whole word of it (``_has_word``); ``sha256``: the text's hash (what a read that is no question recorded)."""
    if data is None:
        return None
    if question == "readable":
        return True
    if question == "word":
        names, decoded = arg
        return _has_word(data, names, decoded)
    if question == "linked":
        read = getattr(frontend_for(arg), "linked_text", None)
        return read(data) if read is not None else None
    if question == "search":
        pattern, flags = arg
        return re.compile(pattern, flags).search(data if isinstance(pattern, bytes) else data.decode("utf-8", "replace")) is not None
    if question == "words":
        text = data.decode("utf-8", "replace")
        return tuple(w for w in arg if w in text)
    return hashlib.sha256(data).digest()


_PLAIN = re.compile(r"[A-Za-z0-9_]+")
_RUNS_OF_WORD = re.compile(rb"\w+")


@functools.lru_cache(maxsize=16)
def _plain_names(names: tuple[str, ...]) -> tuple[frozenset[bytes], tuple[str, ...]]:
    """``names`` split: those of ASCII letters, digits and ``_`` (encoded), and the others."""
    plain = frozenset(n.encode() for n in names if _PLAIN.fullmatch(n))
    return plain, tuple(n for n in names if not _PLAIN.fullmatch(n))


def _has_word(data: bytes, names: tuple[str, ...], decoded: bool) -> bool:
    """Whether one of ``names`` is a whole word of the text: what ``\\b(?:name|...)\\b`` finds in the
    bytes (``decoded``: in the UTF-8 decoded text, Unicode word characters). A name of ASCII word
    characters is a whole word of the bytes exactly when it is one of their runs of word characters,
    a set lookup where the pattern of thousands of names tried each at every position (1.5 ms a
    file); in the decoded text it is only where it is in the bytes, so most files are not decoded."""
    plain, other = _plain_names(names)
    if plain and not plain.isdisjoint(_RUNS_OF_WORD.findall(data)):
        if not decoded:
            return True
        text = data.decode("utf-8", "replace")
        if not {n.decode() for n in plain}.isdisjoint(re.findall(r"\w+", text)):
            return True
        return bool(other) and re.search(r"\b(?:" + "|".join(map(re.escape, other)) + r")\b", text) is not None
    if not other:
        return False
    if decoded:
        return re.search(r"\b(?:" + "|".join(map(re.escape, other)) + r")\b", data.decode("utf-8", "replace")) is not None
    return re.search(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in other) + rb")\b", data) is not None


class _OutOfTime(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Give up on one file after ``seconds`` (SIGALRM; only where signals can be used: main thread)."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


Outcome = tuple[FileResult | None, Diagnostic | None, int]

POOL_MIN_FILES = 64
"""With ``jobs > 1``, a pass of at least this many files runs every file in worker processes."""
RISKY_BYTES = 256 << 10
RISKY_DEPTH = 100  # brackets, or indentation levels (Python's own parser stops at 100)
RISKY_LINE = 16 << 10
_BRACKETS = bytes(range(256)).translate(None, b"([{)]}")  # every byte but the brackets, to delete
_DEPTH_STEP = {ord(c): 1 for c in "([{"} | {ord(c): -1 for c in ")]}"}
_DEEP_INDENT = re.compile(rb"\n[ \t]{%d}" % RISKY_DEPTH)  # searched after a newline put in front: from newline to newline, 3x faster than ``^``


def _long_line(data: bytes) -> bool:
    """A line of at least ``RISKY_LINE`` bytes (splitting is ~5x faster than a regex over the bytes)."""
    return len(data) >= RISKY_LINE and max(map(len, data.split(b"\n"))) >= RISKY_LINE


def risky(data: bytes) -> bool:
    """Whether a file could crash or stall a parser (huge, nested deeper than people write, very
    long lines): such a file is extracted in a worker process that a hard limit can stop."""
    if len(data) > RISKY_BYTES or _DEEP_INDENT.search(b"\n" + data) or _long_line(data):
        return True
    brackets = data.translate(None, _BRACKETS)
    if len(brackets) <= RISKY_DEPTH:
        return False
    depth = 0
    for b in brackets:
        depth += _DEPTH_STEP[b]
        if depth > RISKY_DEPTH:
            return True
    return False


def _pooled_extract(item: tuple[Task, tuple[tuple[str, ...], tuple[str, ...] | None]]) -> Outcome:
    task, spec = item
    return extract_one(task, _worker_compiled(spec))


def hard_limit(soft: float) -> float | None:
    """The limit past which a worker is killed: the soft limit (``file_time_limit``, caught inside
    the worker) plus a grace for a worker stuck where no signal reaches (C code)."""
    return soft + max(2.0, soft / 10) if soft > 0 else None


WorkerSpec = tuple[tuple[str, ...], tuple[str, ...] | None]
"""What a worker loads its rules from: the rule folders and the selected rule ids (None: all)."""


class Executor:
    """Where a scan's per-file extraction runs. This base runs it here (the cache, then this
    process and its worker processes); ``extractor.executors`` has the others (a shard of a CI
    matrix, the merge of shards, Dask), each overriding one hook. Outcomes always come back in
    the order of the tasks, so the scan's result does not depend on where they ran."""

    def run_pass(self, tasks: list[Task], local: Callable[[list[Task]], list[Outcome]], rules: str) -> list[Outcome]:
        """The outcomes of one pass of the scan (the first has every source file, the later
        narrow passes a few ``force``d ones); ``local`` runs tasks the usual way; ``rules`` is
        the catalog's fingerprint."""
        return local(tasks)

    def extract(self, tasks: list[Task], spec: WorkerSpec, rules: str) -> list[Outcome | None]:
        """Extract elsewhere the tasks the cache did not hold (rules: the catalog's fingerprint);
        None for a task left to this process."""
        return [None] * len(tasks)


_EXECUTORS: list[Executor] = []  # the running scan's executor, when not the default


class ExecutorError(Exception):
    """A problem with where the extraction runs that the user can fix (parts of shards that do
    not fit together, a Dask cluster that cannot be used): a message, exit 2."""


def _run_tasks(
    tasks: list[Task], compiled: Mapping[str, Any], jobs: int, catalog: Catalog, rule_ids: tuple[str, ...] | None, cache: ExtractionCache | None = None
) -> list[Outcome]:
    _QUIET[0] += 1  # (the extraction's reads)
    try:
        if _EXECUTORS:
            executor = _EXECUTORS[-1]
            return executor.run_pass(tasks, lambda share: _run_here(share, compiled, jobs, catalog, rule_ids, cache, executor), catalog.fingerprint())
        return _run_here(tasks, compiled, jobs, catalog, rule_ids, cache)
    finally:
        _QUIET[0] -= 1


def _run_here(
    tasks: list[Task],
    compiled: Mapping[str, Any],
    jobs: int,
    catalog: Catalog,
    rule_ids: tuple[str, ...] | None,
    cache: ExtractionCache | None = None,
    executor: Executor | None = None,
) -> list[Outcome]:
    out: list[Outcome | None] = [None] * len(tasks)
    keys = _cached(tasks, compiled, cache, catalog.fingerprint(), out) if cache is not None else {}
    hits = {i for i in keys if out[i] is not None}
    todo = [i for i in range(len(tasks)) if out[i] is None]
    progress.advance(len(tasks) - len(todo))
    if executor is not None and todo:  # (elsewhere: the same outcomes, put back in the tasks' order)
        spec = (tuple(str(d) for d in catalog.rules_dirs), rule_ids)
        for i, got in zip(todo, executor.extract([tasks[i] for i in todo], spec, catalog.fingerprint())):
            out[i] = got
        left = [i for i in todo if out[i] is None]
        progress.advance(len(todo) - len(left))
        todo = left
    if jobs > 1 and len(todo) >= POOL_MIN_FILES:
        pooled = todo
    else:
        pooled = []
        for i in todo:
            task = tasks[i]
            data, _diag = _read(task)
            fe, index = frontend_for(task.language), compiled.get(task.language)
            if data is not None and fe is not None and index is not None and risky(data) and (task.force or fe.prefilter(index, data)):
                pooled.append(i)  # (a file the prefilter drops is not parsed: no worker for it)
            else:
                out[i] = extract_one(task, compiled)
                progress.advance()
    if pooled:
        spec = (tuple(str(d) for d in catalog.rules_dirs), rule_ids)
        _WORKER["spec"], _WORKER["compiled"] = spec, compiled  # a forked worker starts with them
        # largest files first, so that no worker is left with a long tail
        order = sorted(pooled, key=lambda i: (-_stat(Path(tasks[i].root) / tasks[i].rel, "st_size"), i))
        done = run_isolated(_pooled_extract, [Job((tasks[i], spec), tasks[i].rel, hard_limit(tasks[i].time_limit)) for i in order], jobs, progress.advance)
        for i, outcome in zip(order, done):
            if isinstance(outcome, Failure):
                severity = "error" if outcome.kind == "internal_error" else "warning"
                outcome = (None, Diagnostic(tasks[i].rel, outcome.kind, outcome.message, severity=severity), 0)
            out[i] = outcome
    if cache is not None:
        for i, key in keys.items():
            res, diag, lines = out[i] or (None, None, 0)
            if diag is None and i not in hits:  # finished: a timeout, a crash or an unreadable file is tried again next time
                cache.put(key, (res, lines))
            if _RUNS:
                _RUNS[-1].append(Run(tasks[i], key, res, diag, lines))
        cache.flush()
    return [o if o is not None else (None, None, 0) for o in out]


def _inside(root: str, rel: str, real: dict[str, str]) -> bool:
    """Whether ``root/rel`` really lies inside ``root`` (links resolved; folders' real paths memoised in ``real``)."""
    path = os.path.join(root, rel)
    real_root = real.get(root) or real.setdefault(root, os.path.realpath(root))
    if os.path.islink(path) or ".." in rel.split("/"):
        target = os.path.realpath(path)
    else:
        target = os.path.join(_real_folder(os.path.dirname(path), root, real), os.path.basename(path))
    return target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)  # (real paths: absolute, normalised)


def _real_folder(folder: str, root: str, real: dict[str, str]) -> str:
    """A folder's real path, memoised in ``real``: its parent's with its name when it is no link
    (one ``lstat``; ``os.path.realpath`` looks at every component of the path, for every folder)."""
    got = real.get(folder)
    if got is None:
        parent, name = os.path.split(folder)
        if folder != root and parent and parent != folder and name not in ("", ".", "..") and not os.path.islink(folder):
            got = os.path.join(_real_folder(parent, root, real), name)
        else:
            got = os.path.realpath(folder)
        real[folder] = got
    return got


def _cached(tasks: list[Task], compiled: Mapping[str, Any], cache: ExtractionCache, rules: str, out: list[Outcome | None]) -> dict[int, bytes]:
    """Fill ``out`` with the outcomes the cache holds; return the entry key of every task whose
    result is or may be stored (a readable file of a compiled language that lies inside the root)."""
    keys: dict[int, bytes] = {}
    real: dict[str, str] = {}  # folder → its real path
    for i, task in enumerate(tasks):
        if task.language not in compiled:
            continue
        digest = _digest(cache, task)
        if digest is None or not _inside(task.root, task.rel, real):
            continue  # never a file outside the root (discovery drops links out of it; this makes sure)
        key = cache.key(rules, task.language, task.rel, task.module, "force" if task.force else "", repr(task.imported), digest=digest)
        hit = cache.get(key)
        if isinstance(hit, tuple) and len(hit) == 2 and (hit[0] is None or isinstance(hit[0], FileResult)) and isinstance(hit[1], int):
            out[i] = (hit[0], None, hit[1])
        keys[i] = key
    return keys


def _digest(cache: ExtractionCache, task: Task) -> bytes | None:
    """The hash of a task's file (from the cache's stat memo when its status is unchanged); None
    when it cannot be read as source (too large, unreadable, empty, binary, not UTF-8)."""
    path = os.path.join(task.root, task.rel)
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size > task.max_bytes:
        return None
    return cache.digest(path, st, lambda: _read(task)[0])


# ---------------------------------------------------------------- the scan
COLLECTOR_THRESHOLDS = (50_000, 20, 100)
"""The cycle collector's thresholds while a scan runs (restored after it): with the default
(700, 10, 10) a full collection walked the growing results every few files. Measured on the bench
corpus (bench/gc_collector.py, bench/results/2026-12-07-gc-collector.md): with the freeze below, the collector's
own CPU 3.35 s -> 1.11 s (2,216 -> 286 collections) at c444bbb."""


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """After a young collection, what survived it is frozen (``gc.freeze``, a splice of lists): a scan
    keeps every file's result to its end, and older collections walked those results again and again."""
    if phase == "stop" and info["generation"] == 0:
        gc.freeze()


@contextmanager
def _collector_tuned() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    gc.callbacks.append(_freeze_survivors)
    try:
        yield
    finally:
        gc.callbacks.remove(_freeze_survivors)
        gc.unfreeze()
        gc.set_threshold(*before)


def scan(
    root: Path,
    *,
    catalog: Catalog | None = None,
    config: Config | None = None,
    jobs: int = 1,
    rule_ids: Iterable[str] | None = None,
    display_root: str | None = None,
    only_files: Iterable[str] | None = None,
    cache: ExtractionCache | None = None,
    executor: Executor | None = None,
) -> ScanResult:
    """Scan ``root``. With ``cache``, each file's extraction is looked up in (and stored into) the
    content-hash cache (``extractor.cache``); the link stage and what follows always run. With
    ``executor``, the extraction runs where it says (``extractor.executors``: Dask, shards)."""
    root = Path(root)
    config = config if config is not None else load_config(root)
    _SOURCES.append(SourceCache())
    _RUNS.append([])
    _PEEKED.append({})
    _LINKED.append(set())
    _ANSWERED.append({})
    _ASKED.append(({}, {}))
    _DERIVED.append({})
    if executor is not None:
        _EXECUTORS.append(executor)
    try:
        with _collector_tuned():
            return _scan(root, catalog, config, jobs, rule_ids, display_root, only_files, cache)
    finally:
        _SOURCES.pop()
        _RUNS.pop()
        _PEEKED.pop()
        _LINKED.pop()
        _ANSWERED.pop()
        _ASKED.pop()
        _DERIVED.pop()
        if executor is not None:
            _EXECUTORS.pop()


def _scan(
    root: Path,
    catalog: Catalog | None,
    config: Config,
    jobs: int,
    rule_ids: Iterable[str] | None,
    display_root: str | None,
    only_files: Iterable[str] | None,
    cache: ExtractionCache | None = None,
) -> ScanResult:
    started = time.perf_counter()
    progress.stage("discovering")
    catalog = catalog if catalog is not None else load_catalog()
    selected = tuple(sorted(rule_ids)) if rule_ids is not None else None
    if selected is not None:
        catalog = catalog.select(selected)
    inv = inventory(root, config, only_files)
    services, folders = survey(inv, config)
    smap = ServiceMap(services)
    diagnostics: list[Diagnostic] = list(inv.diagnostics)
    available = {lang for lang in _rule_languages(catalog) if frontend_for(lang) is not None} if inv.files else set()

    met = {lang for rel in inv.files if (lang := rules_language_of(rel)) is not None and lang in available}
    for name in sorted(met):  # what an earlier scan of this process kept of a tree (linked-module indexes): read anew
        getattr(frontend_for(name), "forget", lambda: None)()
    tasks: list[Task] = []
    for rel in inv.files:
        language = rules_language_of(rel)
        if language is None or language not in available:
            continue
        module = smap.module_of(rel) if language == "python" else _module_name(language, inv.root, rel)
        tasks.append(Task(str(inv.root), rel, language, module, config.max_file_bytes, time_limit=config.file_time_limit))
    inputs = _inputs(cache, inv, tasks, config, catalog, selected, services) if cache is not None and not _EXECUTORS else None
    if cache is not None and inputs is not None:
        kept = _kept_outcome(cache, inputs, inv, services, display_root, root, started, catalog, selected, tasks)
        if kept is not None:
            return kept
        _reuse_last(cache, inputs)
    compiled = _compile(catalog, {t.language for t in tasks})
    progress.stage("extracting", len(tasks))
    hits, misses = (cache.stats.hits, cache.stats.misses) if cache is not None else (0, 0)

    results: dict[str, FileResult] = {}
    total_lines = 0
    parsed_lines = 0
    counted: set[str] = set()  # the files whose lines ``lines_parsed`` counts
    for task, (res, diag, lines) in zip(tasks, _run_tasks(tasks, compiled, jobs, catalog, selected, cache)):
        total_lines += lines
        if diag is not None:
            diagnostics.append(diag)
        if res is not None:
            results[task.rel] = res
            parsed_lines += lines
            counted.add(task.rel)
            diagnostics.extend(res.diagnostics)

    # a file that could not be read, parsed or finished once is not tried again by the later passes
    failed = {d.file for d in diagnostics} | {rel for rel, res in results.items() if not res.parsed}
    known: set[str] = set()
    makers = [t for t in _maker_pass(tasks, results) if t.rel not in failed]  # files constructing an extracted class (new CartHelper(url))
    progress.add_total(len(makers))
    for task, (res, _diag, lines) in zip(makers, _run_tasks(makers, compiled, jobs, catalog, selected, cache)):
        if res is not None:
            parsed_lines += lines
            counted.add(task.rel)
            diagnostics.extend(res.diagnostics)
            results[task.rel] = res
    second = [t for t in _second_pass(tasks, results, smap, known) + _package_pass(tasks, results, smap) if t.rel not in failed]
    run = _changing(second, results)  # (a file whose result would not change keeps it)
    progress.add_total(len(run))
    for task, (res, _diag, lines) in zip(run, _run_tasks(run, compiled, jobs, catalog, selected, cache)):
        if res is not None:
            if task.rel not in results:
                parsed_lines += lines
                counted.add(task.rel)
                diagnostics.extend(res.diagnostics)
            results[task.rel] = res
    # registrations a file exports once it has another file's (a bean method's object built from a
    # @ConfigurationProperties getter): the files given the older one get the new one; more rounds
    # while a round passes new ones on (a C# helper's policies reach the controller calling it, whose
    # policies reach the client interface it calls: $$runs., then $$covers.)
    given = {t.rel: t.imported for t in second}
    again = second
    for _ in range(3):
        again = [t for t in _package_pass(tasks, results, smap) if t.rel not in failed and given.get(t.rel) != t.imported] if again else []
        progress.add_total(len(again))
        for task, (res, _diag, _lines) in zip(again, _run_tasks(again, compiled, jobs, catalog, selected, cache)):
            if res is not None:
                results[task.rel] = res
        given.update((t.rel, t.imported) for t in again)
    # objects a file exports once it has another module's (a task of an app imported from celeryconf,
    # re-exported by a package): more rounds while a round passes new ones on
    third = second
    for _ in range(3):
        third = [t for t in _second_pass(tasks, results, smap, known) if t.rel not in failed] if third else []
        run = _changing(third, results)
        progress.add_total(len(run))
        for task, (res, _diag, _lines) in zip(run, _run_tasks(run, compiled, jobs, catalog, selected, cache)):
            if res is not None:
                results[task.rel] = res

    refs: dict[str, tuple[FileResult, tuple[Task, ...]]] = {}  # the modules each result's references name, found once for the 4 rounds
    for _ in range(4):  # modules whose constants the facts refer to (re-exports chain)
        deps = [t for t in _dependency_pass(tasks, results, smap, catalog.module_aliases, refs) if t.rel not in failed]
        if not deps:
            break
        progress.add_total(len(deps))
        for task, (res, diag, _lines) in zip(deps, _run_tasks(deps, compiled, jobs, catalog, selected, cache)):
            if diag is not None:
                failed.add(task.rel)
                diagnostics.append(diag)
            if res is not None:
                results[task.rel] = res
                diagnostics.extend(d for d in res.diagnostics if d.kind != "syntax_error")

    def extract_or_fail(batch: list[Task]) -> None:
        """Extract ``batch`` into ``results``; a file that does not finish is not tried again."""
        progress.add_total(len(batch))
        for task, (res, diag, _lines) in zip(batch, _run_tasks(batch, compiled, jobs, catalog, selected, cache)):
            if diag is None and res is not None:
                results[task.rel] = res
            else:
                failed.add(task.rel)

    found_before: dict[str, tuple[FileResult, frozenset[str], Any]] = {}  # (what the first round found of each result)
    for _ in range(2):  # files calling an in-house wrapper; then those calling a wrapper found among them
        wrapper_callers = [t for t in _wrapper_pass(tasks, results, smap, found_before) if t.rel not in failed]
        if not wrapper_callers:
            break
        extract_or_fail(wrapper_callers)

    for _ in range(2):  # files of services calling a library module's call (extractor/carry.py); then the enum files their calls name
        library_callers = [t for t in _library_pass(tasks, results, smap) if t.rel not in failed]
        if not library_callers:
            break
        extract_or_fail(library_callers)
        new = {t.rel for t in library_callers}  # with the exports of the modules linked to them (a callback's parameter typed by the library's signature)
        linked = [t for t in _package_pass(tasks, results, smap) if t.rel in new and t.rel not in failed]
        for task, (res, _diag, _lines) in zip(linked, _run_tasks(linked, compiled, jobs, catalog, selected, cache)):
            if res is not None:
                results[task.rel] = res

    summaries = {rel: res.summary for rel, res in results.items() if res.summary is not None}
    made = {rel: res for rel, res in results.items() if res.summary is not None}  # the result of each summary
    callees: dict[str, tuple[Any, tuple[str, ...]]] = {}  # (what the earlier rounds found of each summary)
    for _ in range(4):  # files the endpoints' services call into that no rule needed (handler → helper → client)
        hops = [t for t in _reach_pass(tasks, results, summaries, smap, made, callees) if t.rel not in failed]
        if not hops:
            break
        progress.add_total(len(hops))
        for task, (res, diag, _lines) in zip(hops, _run_tasks(hops, compiled, jobs, catalog, selected, cache)):
            if diag is not None or res is None or res.summary is None:
                failed.add(task.rel)
            else:
                summaries[task.rel] = res.summary
                made[task.rel] = res

    # imported where they are used, not when the CLI imports this module
    from .environment import build_address_book
    from .kinds.datastore import config_facts
    from .kinds.mesh_policy import mesh_facts
    from .kinds.proxy_route import route_facts
    from .reach import build_call_index

    progress.stage("linking")
    book = build_address_book(inv.root, services, inv.other_files, inv.proxy_configs)
    diagnostics.extend(book.diagnostics)
    ordered = [results[k] for k in sorted(results)]
    adopted = _adopted(second, smap)  # a class library's files, run by the service registering them
    service_of = {
        rel: adopted.get(rel) or (s.name if (s := smap.owner(rel)) and not not_the_services(rel, s.root, inv.browser) else None) for rel in results
    }  # tests, browser assets
    modules_of = {t.rel: t.module for t in tasks if t.module}
    run_link = sys.modules[__name__].link
    facts, unlinked = _link_isolating(ordered, lambda subset: run_link(subset, service_of, modules_of, catalog, book))
    diagnostics.extend(unlinked)
    routed: dict[str, str] = {}  # a service whose configuration declares proxy routes, or whose code builds them (a rule's) → the first such file
    declared = [(r.file, r.line, r.service or "") for r in book.routes] + [(f.file, f.line, f.service or "") for f in facts if f.kind == "proxy_route"]
    for file, _line, service in sorted(declared):
        routed.setdefault(service, file)
    folders = with_proxies(folders, routed)
    if selected is None:  # routes of gateway and proxy configurations (no rule of the catalog makes them)
        facts += route_facts(book)
        facts += mesh_facts(book)  # service-mesh and platform policies over the calls to a service
        facts += config_facts(inv.root, book)  # stores and infrastructure named by configuration alone
    elapsed = time.perf_counter() - started
    stats = {
        "files": len(tasks),
        "files_parsed": len(results),
        "lines": total_lines,
        "lines_parsed": parsed_lines,
        "seconds": round(elapsed, 3),
        "second_pass_files": len(second),
        "from_git": inv.from_git,
    }
    if cache is not None:  # (not part of the facts JSON)
        stats["cache_hits"], stats["cache_misses"] = cache.stats.hits - hits, cache.stats.misses - misses
    shown = display_root if display_root is not None else Path(os.path.normpath(str(root))).as_posix()
    owners = {rel: adopted.get(rel) or (s.name if (s := smap.owner(rel)) and not not_the_services(rel, s.root, inv.browser) else None) for rel in summaries}
    result = ScanResult(
        root=shown,
        services=services,
        facts=facts,
        diagnostics=diagnostics,
        stats=stats,
        call_index=_lazy_call_index(lambda: build_call_index(summaries.values(), owners)),
        inventory=folders,
    )
    if cache is not None and inputs is not None:
        _keep_outcome(cache, inputs, result, summaries, owners, counted)
    return result


# ---------------------------------------------------------------- a whole scan's outcome, cached
@dataclass(frozen=True)
class Run:
    """One task a scan ran through the cache: its entry's key and its outcome."""

    task: Task
    key: bytes
    result: FileResult | None
    diagnostic: Diagnostic | None
    lines: int


_RUNS: list[list[Run]] = []  # the running scan's runs through the cache, in order
_LINKED: list[set[str]] = []  # the languages whose files the running scan asked what its frontend's linked-module index reads (``_linked``)
_PEEKED: list[dict[str, dict[tuple[str, Any], Any]]] = []  # the running scan's passes' questions about files' text: file → (question, arg) → answer
_QUIET = [0]  # > 0: reads are the extraction's (or the cache's hashing), not a pass's
_ANSWERED: list[dict[str, dict[tuple[str, Any], Any]]] = []  # the last scan's answers (``_PEEKED``) for the files unchanged since
# the running scan's question keys (``_asked``): (question, id of its argument) → (argument, key); and the last scan's keys (each → itself)
_ASKED: list[tuple[dict[tuple[str, int], Any], dict[Any, Any]]] = []
_DERIVED: list[dict[tuple[str, bytes], Any]] = []  # what the passes derive from one file's result (``_derived``), by the key of the cache entry holding it

RETRIED = frozenset({"timeout", "crashed", "internal_error", "too_deep", "unreadable"})
"""Diagnostics of an extraction that did not finish: a scan with one is not kept whole (the file is tried again)."""

CUTOFF_FILES = 32
"""At most this many changed files are re-extracted alone to see whether the stored outcome still holds."""


def _inputs(
    cache: ExtractionCache, inv: Any, tasks: list[Task], config: Config, catalog: Catalog, selected: tuple[str, ...] | None, services: list[Service]
) -> tuple[bytes, dict[str, bytes]] | None:
    """What a scan's outcome depends on besides the per-file extraction's inputs: the key of every
    input but the source files' contents (the rules, the configuration, the services, the tasks,
    and the hash of every other listed file: the deployment and configuration files the address
    book reads), and the hash of each source file. None when a listed file cannot be hashed."""
    lines = [catalog.fingerprint(), repr(selected), repr(config), str(inv.root), repr(services), repr(sorted(inv.browser.items()))]
    lines += [repr((t.rel, t.language, t.module, t.max_bytes, t.time_limit)) for t in tasks]
    listed = {t.rel: t for t in tasks}
    sources: dict[str, bytes] = {}
    real: dict[str, str] = {}
    for rel in sorted(set(inv.files) | set(inv.other_files)):
        path = os.path.join(str(inv.root), rel)
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not _inside(str(inv.root), rel, real):
            return None  # (discovery leaves out links out of the root; were one listed, no scan with it is kept)
        task = listed.get(rel)
        if task is not None:  # as the extraction hashes it; a file it cannot read by what its bytes are
            _QUIET[0] += 1
            try:
                digest = _digest(cache, task)
            finally:
                _QUIET[0] -= 1
            if digest is None:
                raw = _read_bytes(path) if st.st_size <= config.max_file_bytes else b"too large %d" % st.st_size
                digest = b"unread " + hashlib.sha256(raw).digest() if raw is not None else None
        else:  # (the stat memo's entry of a file read raw is named apart from a source file's)
            digest = cache.digest("raw\0" + path, st, functools.partial(_read_bytes, path))
        if digest is None:
            return None
        if task is not None:
            sources[rel] = digest
        else:
            lines.append(f"{rel}\0{digest.hex()}")
    return cache.key("scan state", content="\n".join(lines).encode("utf-8", "surrogatepass")), sources


def _outcome_key(cache: ExtractionCache, state: bytes, sources: Mapping[str, bytes]) -> bytes:
    """The key of the outcome of a scan with these inputs (``_inputs``)."""
    return cache.key("scan outcome", state.hex(), content=b"".join(rel.encode("utf-8", "surrogatepass") + b"\0" + d for rel, d in sorted(sources.items())))


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _keep_outcome(
    cache: ExtractionCache,
    inputs: tuple[bytes, dict[str, bytes]],
    result: ScanResult,
    summaries: Mapping[str, Any],
    owners: Mapping[str, str | None],
    counted: set[str],
) -> None:
    """Store a finished scan's outcome under its inputs, and the scan's state (each source file's
    hash, runs, whether ``lines_parsed`` counts its lines, and the passes' questions about its text
    with their answers) under the inputs but the sources (``_kept_outcome`` starts from it after a change).
    Not a scan where a file's extraction did not finish, nor one whose runs are not all in the cache."""
    if not _RUNS or any(d.kind in RETRIED for d in result.diagnostics):
        return
    runs: dict[str, list[Run]] = {}
    where: dict[int, tuple[str, int]] = {}  # a result's summary → (file, index of the run that made it)
    for run in _RUNS[-1]:
        mine = runs.setdefault(run.task.rel, [])
        if run.result is not None and run.result.summary is not None:
            where[id(run.result.summary)] = (run.task.rel, len(mine))
        mine.append(run)
    calls: dict[str, tuple[int, bytes]] = {}
    for rel, summary in summaries.items():
        found = where.get(id(summary))
        if found is None or found[0] != rel:
            return
        calls[rel] = (found[1], runs[rel][found[1]].key)
    state, sources = inputs
    stats = {k: v for k, v in result.stats.items() if k not in ("seconds", "from_git", "cache_hits", "cache_misses")}
    stats["extractions"] = result.stats.get("cache_hits", 0) + result.stats.get("cache_misses", 0)
    key = _outcome_key(cache, state, sources)
    cache.put(key, (result.facts, result.diagnostics, stats, result.inventory, dict(owners), calls))
    digests = {rel: (d, [(r.task, r.key, r.lines) for r in runs.get(rel, ())], rel in counted) for rel, d in sources.items()}
    cache.put(state, (key, digests, _PEEKED[-1] if _PEEKED else None))
    made = {run.key for run in _RUNS[-1]}
    cache.put(cache.key("scan derived", state.hex()), {k: v for k, v in (_DERIVED[-1] if _DERIVED else {}).items() if k[1] in made})
    cache.flush()


def _kept_outcome(
    cache: ExtractionCache,
    inputs: tuple[bytes, dict[str, bytes]],
    inv: Any,
    services: list[Service],
    display_root: str | None,
    root: Path,
    started: float,
    catalog: Catalog,
    selected: tuple[str, ...] | None,
    listed: list[Task],
) -> ScanResult | None:
    """The stored outcome of a scan with the same inputs; else, when a few source files changed
    since the last scan with the same other inputs, that scan's outcome if the changed files'
    extractions (all their runs, in every pass) give results identical to the ones it had and the later passes' questions about
    their text (``_peek``) the same answers ("early cut-off": every stage after the extraction reads
    the files through their results, or their text through those questions). None: the scan runs."""
    state, sources = inputs
    kept = _outcome(cache, _outcome_key(cache, state, sources))
    delta = parsed = redone = 0
    if kept is None:
        last = cache.get(state)
        if not (isinstance(last, tuple) and len(last) == 3 and isinstance(last[1], dict) and isinstance(last[2], dict)):
            return None
        previous, digests, peeked = last
        changed = sorted(rel for rel, d in sources.items() if rel not in digests or digests[rel][0] != d)
        if not changed or len(changed) > CUTOFF_FILES or set(digests) != set(sources):
            return None
        by_rel = {t.rel: t for t in listed}
        if any(not _same_answers(by_rel[rel], peeked.get(rel, {})) for rel in changed):
            return None  # a pass would decide otherwise from its text
        old_runs = [(rel, i, run) for rel in changed for i, run in enumerate(digests[rel][1])]
        kept = _outcome(cache, previous)
        if kept is None:
            return None
        for rel in changed:  # a file no pass ran through the cache (empty, ...): still not source, and its diagnostic the same
            if not digests[rel][1] and not _unread_alike(by_rel[rel], [d for d in kept[1] if d.file == rel]):
                return None
        tasks = [run[0] for _rel, _i, run in old_runs]
        compiled = _compile(catalog, {t.language for t in tasks})
        done, misses = len(_RUNS[-1]), cache.stats.misses
        fresh = _run_tasks(tasks, compiled, 1, catalog, selected, cache)
        redone = cache.stats.misses - misses
        new_runs = _RUNS[-1][done:]
        if len(new_runs) != len(fresh):
            return None
        for (rel, i, (_task, old_key, old_lines)), (res, diag, lines), run in zip(old_runs, fresh, new_runs):
            old = cache.get(old_key)
            if diag is not None or not (isinstance(old, tuple) and len(old) == 2) or _compared(old[0]) != _compared(res):
                return None
            if i == 0:
                delta += lines - old_lines
                parsed += lines - old_lines if digests[rel][2] else 0
            digests[rel][1][i] = (run.task, run.key, lines)
        for rel in changed:
            digests[rel] = (sources[rel], digests[rel][1], digests[rel][2])
        facts, diagnostics, stats, folders, owners, calls = kept
        calls = {rel: (i, digests[rel][1][i][1]) for rel, (i, _key) in calls.items()}
        stats = dict(stats, lines=stats.get("lines", 0) + delta, lines_parsed=stats.get("lines_parsed", 0) + parsed)
        kept = (facts, diagnostics, stats, folders, owners, calls)
        key = _outcome_key(cache, state, sources)
        cache.put(key, kept)
        cache.put(state, (key, digests, peeked))
        cache.flush()
    facts, diagnostics, stats, folders, owners, calls = kept
    summaries = cache.raw_many([key for _i, key in calls.values()])
    if summaries is None:
        return None
    stats = dict(stats)
    reused = stats.pop("extractions", 0)
    stats.update(seconds=round(time.perf_counter() - started, 3), from_git=inv.from_git, cache_hits=reused - redone, cache_misses=redone)
    shown = display_root if display_root is not None else Path(os.path.normpath(str(root))).as_posix()
    from .reach import build_call_index

    index = _lazy_call_index(lambda: build_call_index([res.summary for res, _lines in map(decode, summaries)], owners))
    return ScanResult(root=shown, services=services, facts=facts, diagnostics=diagnostics, stats=stats, call_index=index, inventory=folders)


def _reuse_last(cache: ExtractionCache, inputs: tuple[bytes, dict[str, bytes]]) -> None:
    """For a scan that runs after a change (no outcome kept): the last scan's (same state key)
    answers to the passes' questions about each file whose hash is the same now (``_peek`` gives
    them without reading the file), and what the passes derived from the results it had (``_derived``)."""
    state, sources = inputs
    last = cache.get(state)
    if isinstance(last, tuple) and len(last) == 3 and isinstance(last[1], dict) and isinstance(last[2], dict):
        digests, peeked = last[1], last[2]
        _ANSWERED[-1].update((rel, asked) for rel, asked in peeked.items() if rel in digests and digests[rel][0] == sources.get(rel))
        if _ASKED:  # (one object per key in the stored state: the pickle kept them shared)
            _ASKED[-1][1].update((key, key) for key in {id(key): key for asked in peeked.values() for key in asked}.values())
    derived = cache.get(cache.key("scan derived", state.hex()))
    if isinstance(derived, dict):
        _DERIVED[-1].update(derived)


def _derived(res: FileResult, what: str, keys: Mapping[int, bytes]) -> Any:
    """What a pass derives from one file's result alone (``what``: ``passed_on``, ``link.passed_on``
    of its summary; ``names_called``, ``callees``: ``_DERIVATIONS``), kept by the key of the cache entry the result came from (``keys``: id of a
    result → its entry's key): a scan after a change derives it again only for the changed files."""
    key = keys.get(id(res))
    memo = _DERIVED[-1] if _DERIVED and key is not None else {}
    got = memo.get((what, key)) if key is not None else None
    if got is None:
        if what in _DERIVATIONS:
            local = globals()["_" + what]
        else:
            from . import link

            local = getattr(link, what)
        got = local(res.summary)
        if key is not None:
            memo[(what, key)] = got
    return got


def _names_called(summary: Any) -> frozenset[str]:
    """The names a file's functions call (``CallSite.name``): the wrapper pass's question whether it calls a wrapper."""
    return frozenset(c.name for fn in summary.functions for c in fn.calls)


def _callees(summary: Any) -> tuple[str, ...]:
    """The qualified callees of a file's calls made outside a same-file function (the reach pass's modules to follow), sorted."""
    return tuple(
        sorted({c.callee for fn in summary.functions for c in fn.calls if c.callee and c.local is None} | {c.callee for c in summary.calls if c.callee})
    )


_DERIVATIONS = frozenset({"names_called", "callees"})
"""What ``_derived`` derives with a function of this module (``_names_called``, ``_callees``)."""


def _unread_alike(task: Task, before: list[Diagnostic]) -> bool:
    """Whether a file that the last scan could not read as source (empty, binary, too large: no
    extraction, so no entry) still cannot, with the diagnostic it had (nothing else of the
    outcome came from it)."""
    _QUIET[0] += 1
    try:
        data, diag = read_source(Path(task.root), task.rel, task.max_bytes, task.language)
    finally:
        _QUIET[0] -= 1
    return data is None and before == ([diag] if diag is not None else [])


def _same_answers(task: Task, asked: Mapping[tuple[str, Any], Any]) -> bool:
    """Whether the file of ``task`` as it is now gives every recorded question of the passes its recorded answer."""
    if not asked:
        return True
    _QUIET[0] += 1
    try:
        data, _diag = _read(task)
    finally:
        _QUIET[0] -= 1
    return all(_ask(data, question, arg) == answer for (question, arg), answer in asked.items())


def _compared(res: FileResult | None) -> bytes:
    """What of a result the stages after the extraction read, as bytes: all of it but its line
    count (``FileResult.lines``: the scan's statistics count lines from the outcomes')."""
    return encode_plain(dataclasses.replace(res, lines=0) if res is not None else None)


def _outcome(cache: ExtractionCache, key: bytes) -> tuple[Any, ...] | None:
    kept = cache.get(key)
    return kept if isinstance(kept, tuple) and len(kept) == 6 and isinstance(kept[2], dict) and isinstance(kept[5], dict) else None


_LAZY_INDEX: list[type] = []


def _lazy_call_index(build: Callable[[], Any]) -> Any:
    """A ``reach.CallIndex`` that ``build`` makes when first read (``contracts scan`` never reads
    it: a kept outcome's summaries are not decoded, a scan's are not indexed)."""
    if not _LAZY_INDEX:
        from .reach import CallIndex

        class LazyCallIndex(CallIndex):
            def __init__(self, build: Callable[[], Any]) -> None:  # (``services`` is set on first use)
                self._build = build

            def __getattr__(self, name: str) -> Any:
                if name != "services":
                    raise AttributeError(name)
                self.services = self.__dict__.pop("_build")().services
                return self.services

            def __reduce__(self) -> Any:
                return (CallIndex, (self.services,))

        _LAZY_INDEX.append(LazyCallIndex)
    return _LAZY_INDEX[0](build)


def _link_isolating(results: list[FileResult], run: Callable[[list[FileResult]], list[Fact]]) -> tuple[list[Fact], list[Diagnostic]]:
    """The link stage; when it fails, the files whose facts make it fail on their own are left
    out with an ``internal_error`` each (found by halving) and the rest is linked: one file's facts
    (a 400-digit timeout) do not take the scan down. A failure no single file explains is raised."""
    try:
        return run(results), []
    except Exception:
        bad = _culprits(results, run)
        if not bad:
            raise
    left_out = {id(res) for res, _exc in bad}
    diagnostics = [
        Diagnostic(res.path, "internal_error", f"its facts could not be linked ({type(exc).__name__}: {exc}); left out", severity="error") for res, exc in bad
    ]
    return run([r for r in results if id(r) not in left_out]), diagnostics


def _culprits(results: list[FileResult], run: Callable[[list[FileResult]], object]) -> list[tuple[FileResult, Exception]]:
    try:
        run(results)
        return []
    except Exception as exc:
        if len(results) == 1:
            return [(results[0], exc)]
    half = len(results) // 2
    return _culprits(results[:half], run) + _culprits(results[half:], run)


def _refs_of(res: FileResult) -> set[str]:
    found: set[str] = set()
    for raw in res.facts:
        for v in raw.fields.values():
            if isinstance(v, (Obj,)) or hasattr(v, "__dataclass_fields__"):
                for x in walk(v):
                    if isinstance(x, Ref):
                        found.add(x.qualname)
    for v in res.exports.values():
        for x in walk(v):
            if isinstance(x, Ref):
                found.add(x.qualname)
    for m in res.mounts:  # prefixes given by constants of another module
        for pv in (m.prefix, m.source_own):
            if pv is not None:
                found.update(x.qualname for x in walk(pv) if isinstance(x, Ref))
    for fn in res.summary.functions if res.summary is not None else ():  # a wrapper's parameter defaults (def fetch(url, timeout=settings.T))
        for param in fn.params if fn.facts else ():
            if param.default is not None:
                found.update(x.qualname for x in walk(param.default) if isinstance(x, Ref))
    return found


def _dependency_pass(
    tasks: list[Task],
    results: dict[str, FileResult],
    smap: ServiceMap,
    aliases: dict[str, str],
    refs: dict[str, tuple[FileResult, tuple[Task, ...]]] | None = None,
) -> list[Task]:
    """Modules of the same service that define a constant a fact refers to, not yet extracted.
    ``refs`` (file → its result, the tasks of the modules its references name): what an earlier
    round found of the same results (the modules a result names do not change between rounds:
    only which of them are extracted)."""
    by_module: dict[tuple[str, str], Task] = {}
    package_files: dict[tuple[str, str], list[Task]] = {}  # a module of several files (a Go package)
    for task in tasks:
        if task.module:
            svc = smap.owner(task.rel)
            by_module[(svc.root if svc else ".", task.module)] = task
            package_files.setdefault((svc.root if svc else ".", task.module), []).append(task)
    wanted: dict[str, Task] = {}
    alias_tasks: dict[tuple[str, str], list[Task]] = {}
    for rel, res in results.items():
        seen = refs.get(rel) if refs is not None else None
        if seen is None or seen[0] is not res:
            seen = (res, tuple(_named_modules(res, smap.owner(rel), aliases, by_module, package_files, alias_tasks).values()))
            if refs is not None:
                refs[rel] = seen
        for task in seen[1]:
            if task.rel not in results:
                wanted[task.rel] = task
    return [dataclasses.replace(t, force=True) for _, t in sorted(wanted.items())]


def _named_modules(
    res: FileResult,
    svc: Service | None,
    aliases: dict[str, str],
    by_module: Mapping[tuple[str, str], Task],
    package_files: Mapping[tuple[str, str], list[Task]],
    alias_tasks: dict[tuple[str, str], list[Task]],
) -> dict[str, Task]:
    """The tasks of the modules of the result's service that its references name (``_refs_of``):
    a settings module for an alias's object (``django.conf.settings.X``), else the longest module
    prefix of the name (all the files of a module of several files)."""
    key = svc.root if svc else "."
    out: dict[str, Task] = {}
    for qual in _refs_of(res):
        alias = next((part for prefix, part in aliases.items() if qual.startswith(prefix + ".")), None)
        if alias is not None:  # django.conf.settings.X: the service's settings modules
            if (key, alias) not in alias_tasks:
                alias_tasks[(key, alias)] = [t for (root, module), t in by_module.items() if root == key and alias in module.split(".")]
            out.update((t.rel, t) for t in alias_tasks[(key, alias)])
            continue
        parts = qual.split(".")
        for i in range(len(parts) - 1, 0, -1):
            found = package_files.get((key, ".".join(parts[:i])))
            if found is not None:
                out.update((t.rel, t) for t in found)
                break
    return out


def _wrapper_pass(
    tasks: list[Task], results: dict[str, FileResult], smap: ServiceMap, memo: dict[str, tuple[FileResult, frozenset[str], Any]] | None = None
) -> list[Task]:
    """Python files not extracted yet (no rule needed them) that import a module of their service
    holding an in-house wrapper (a call whose address, method or timeout its function's parameters
    give: ``link.wrapper_params``) and name one of its wrappers (a call of it names it: ``reboot(``,
    ``client._command(``; a constructor's ``__init__`` or a ``__call__`` by its class): their
    summaries give the wrapper's call sites (``through``). ``memo`` (file → its result, the names its
    functions call, ``passed_on``): what an earlier round found of the same results."""
    from .link import WRAPPER_DEPTH, WRAPPER_KINDS, wrapper_params

    names: dict[str, set[str]] = {}  # service root → last names of the wrappers' modules
    called: dict[str, set[str]] = {}  # service root → the wrappers' names
    for rel, res in results.items():
        svc = smap.owner(rel)
        module = res.summary.module if res.summary is not None else ""
        if svc is None or not module:
            continue
        for f in res.facts:
            if f.kind in WRAPPER_KINDS and f.scope and (found := wrapper_params(f.fields, res.summary, f.scope)):
                names.setdefault(svc.root, set()).add(module.rpartition(".")[2])
                parts = found[0].qualname.split(".")  # the wrapper (a closure's enclosing function)
                called.setdefault(svc.root, set()).add(parts[-2] if parts[-1].startswith("__") and len(parts) > 1 else parts[-1])
            wraps = f.fields.get("_wraps")  # a hand-written breaker's methods that wrap a function: where they are applied
            if isinstance(wraps, Seq):
                names.setdefault(svc.root, set()).add(module.rpartition(".")[2])
                called.setdefault(svc.root, set()).update(str(c.value).rpartition(".")[2] for c in map(strip, wraps.items) if isinstance(c, Const))
    outer: dict[str, set[str]] = {}  # file → its wrappers of a wrapper found so far
    names_called: dict[str, frozenset[str]] = {}  # file → the names its functions call (none in called: no wrapper of a wrapper)
    passing: dict[str, dict[str, frozenset[str]]] = {}  # file → its functions → the calls they pass a parameter to
    keys = {id(run.result): run.key for run in _RUNS[-1]} if _RUNS else {}
    for rel, (was, calls_named, passed) in (memo or {}).items():
        if results.get(rel) is was:
            names_called[rel] = calls_named
            if passed is not None:
                passing[rel] = passed
    for _ in range(WRAPPER_DEPTH - 1):  # wrappers of a wrapper (post → request → curl.request): their callers too
        grown = False
        for rel, res in results.items():
            svc = smap.owner(rel)
            if svc is None or svc.root not in called or res.summary is None or not res.summary.module:
                continue
            if (named := names_called.get(rel)) is None:
                named = names_called[rel] = _derived(res, "names_called", keys)
            if named.isdisjoint(called[svc.root]):
                continue
            if (passes := passing.get(rel)) is None:
                passes = passing[rel] = _derived(res, "passed_on", keys)
            wrappers = {qual for qual, names in passes.items() if not names.isdisjoint(called[svc.root])}  # wrappers of a wrapper
            for qual in sorted(wrappers - outer.get(rel, set())):
                outer.setdefault(rel, set()).add(qual)
                called[svc.root].add(qual.rpartition(".")[2])
                names[svc.root].add(res.summary.module.rpartition(".")[2])
                grown = True
        if not grown:
            break
    if memo is not None:
        memo.update((rel, (results[rel], named, passing.get(rel))) for rel, named in names_called.items())
    if not names:
        return []
    patterns = {  # (a pattern's source and flags: the question ``_peek`` asks and records)
        root: (rb"^[ \t]*(?:from|import)[ \t][^\n]*\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(found)) + rb")\b", int(re.M))
        for root, found in names.items()
    }
    calls = {root: (tuple(sorted(found)), False) for root, found in called.items()}  # (the question ``word``: whole words of the bytes)
    wanted = []
    for task in tasks:
        svc = smap.owner(task.rel)
        if task.language != "python" or task.rel in results or svc is None or svc.root not in patterns:
            continue
        if _peek(task, "search", patterns[svc.root]) and _peek(task, "word", calls[svc.root]):
            wanted.append(dataclasses.replace(task, force=True))
    return wanted


def _library_pass(tasks: list[Task], results: dict[str, FileResult], smap: ServiceMap) -> list[Task]:
    """Files not extracted yet that the link stage needs to carry a library module's calls to the
    services making them (``extractor/carry.py``): the files of services that name a module of no
    service holding a call (or calling, through modules of no service, one that does), and the files
    of the modules the arguments of such files' calls into them name (an enum constant's class)."""
    from .carry import CARRIED_KINDS, CARRY_DEPTH

    library = {rel: res.summary for rel, res in results.items() if res.summary is not None and res.summary.module and smap.owner(rel) is None}
    calling = {s.module for rel, s in library.items() if any(f.kind in CARRIED_KINDS and f.scope for f in results[rel].facts)}
    if not calling:
        return []
    for _ in range(CARRY_DEPTH - 1):  # library modules calling those
        grown = {s.module for s in library.values() if s.module not in calling and any(_calls_into(c.callee, calling) for c in _all_calls(s))}
        if not grown:
            break
        calling |= grown
    languages = {results[rel].language for rel, s in library.items() if s.module in calling}
    by_module = {t.module: t for t in tasks if t.module}
    wanted: dict[str, Task] = {}
    for rel, res in sorted(results.items()):  # the constants the services' calls into the library pass
        if res.summary is None or smap.owner(rel) is None:
            continue
        for c in _all_calls(res.summary):
            if _calls_into(c.callee, calling):
                for a in c.args:
                    head = strip(a)
                    task = by_module.get(head.qualname.rpartition(".")[0]) if isinstance(head, Ref) else None
                    if task is not None and task.rel not in results:
                        wanted[task.rel] = task
    words = (tuple(sorted({m.rpartition(".")[2] for m in calling})), False)
    for task in tasks:
        if task.rel not in results and task.language in languages and smap.owner(task.rel) is not None and _peek(task, "word", words):
            wanted[task.rel] = task
    return [dataclasses.replace(t, force=True) for _, t in sorted(wanted.items())]


def _all_calls(summary: Any) -> Iterator[Any]:
    yield from summary.calls
    for fn in summary.functions:
        yield from fn.calls


def _calls_into(callee: str | None, modules: set[str]) -> bool:
    """Whether a call's qualified callee is a function of one of ``modules`` (``pkg.Client.get``)."""
    head = (callee or "").replace("().", ".")
    while "." in head:
        head = head.rpartition(".")[0]
        if head in modules:
            return True
    return False


def _reach_pass(
    tasks: list[Task],
    results: dict[str, FileResult],
    summaries: Mapping[str, Any],
    smap: ServiceMap,
    made: Mapping[str, FileResult] | None = None,
    memo: dict[str, tuple[Any, tuple[str, ...]]] | None = None,
) -> list[Task]:
    """Files not extracted yet (no rule needed them) of the modules that the calls of a service
    with endpoints name (``from .scoring import score``, a function of the same Go package): their
    summaries let the call index follow a handler through them. Only their summaries are kept.
    ``made``: the result of each summary (what it derives is kept by its cache entry: ``_derived``);
    ``memo`` (file → its summary and callees): what an earlier round found."""
    with_endpoints = {s.root for rel, res in results.items() if (s := smap.owner(rel)) is not None and any(f.kind == "endpoint" for f in res.facts)}
    if not with_endpoints:
        return []
    modules: dict[tuple[str, str], list[Task]] = {}
    for task in tasks:
        svc = smap.owner(task.rel)
        if task.module and svc is not None and svc.root in with_endpoints:
            modules.setdefault((svc.root, task.module), []).append(task)
    wanted: dict[str, Task] = {}
    keys = {id(run.result): run.key for run in _RUNS[-1]} if _RUNS and made else {}
    for rel, summary in summaries.items():
        svc = smap.owner(rel)
        if svc is None or svc.root not in with_endpoints:
            continue
        seen = memo.get(rel) if memo is not None else None
        if seen is None or seen[0] is not summary:
            res = made.get(rel) if made is not None else None
            seen = (summary, _derived(res, "callees", keys) if res is not None and res.summary is summary else _callees(summary))
            if memo is not None:
                memo[rel] = seen
        for callee in seen[1]:
            head = callee.replace("().", ".")
            while "." in head:
                head = head.rpartition(".")[0]
                found = modules.get((svc.root, head))
                if found is not None:
                    wanted.update((t.rel, t) for t in found if t.rel not in summaries)
                    break
    return [dataclasses.replace(t, force=True) for _, t in sorted(wanted.items())]


def _changing(tasks: list[Task], results: Mapping[str, FileResult]) -> list[Task]:
    """Of the files to extract again with objects of other files (``Task.imported``), those whose
    result could change. Extraction is a pure function of the file and of what it looks up: a file
    extracted before whose analysis found under every name it looked up (``FileResult.asked``)
    what the task gives under it would give the same result, so it keeps its result. On the bench
    corpus that is 63 of the second pass's 64 re-extractions of a file the first pass extracted."""
    out = []
    for task in tasks:
        res = results.get(task.rel)
        if res is None or res.asked is None:
            out.append(task)
            continue
        now = dict(task.imported)
        for name, found in res.asked:
            given = now.get(name)
            if given is not found and (given is None or found is None or encode_plain(given) != encode_plain(found)):
                out.append(task)
                break
    return out


def _module_name(language: str, root: Path, rel: str) -> str:
    """A non-Python file's module (a Go package's import path), when its frontend names one."""
    fe = frontend_for(language)
    name = getattr(fe, "module_name", None)
    return name(root, rel) if name is not None else ""


def _package_pass(tasks: list[Task], results: dict[str, FileResult], smap: ServiceMap) -> list[Task]:
    """Files of a module spread over several files (a Go package) that use an object another file
    of it exports (a struct field's client, a package-level connection): re-extracted with it."""
    exported: dict[tuple[str, str], dict[str, tuple[str, Value]]] = {}  # (service root, module) → qualname → (file, object or field value)
    for task in tasks:
        res = results.get(task.rel)
        if res is None or not task.module or task.language == "python":
            continue
        svc = smap.owner(task.rel)
        for name, value in res.exports.items():
            if isinstance(value, Obj) or "." in name:  # objects, and the values of struct fields (Server.riskAddr)
                exported.setdefault((svc.root if svc else ".", task.module), {})[f"{task.module}.{name}"] = (task.rel, value)
    if not exported:
        return []
    returned = _returned_exports(exported)
    out: list[Task] = []
    for task in tasks:
        if not task.module or task.language == "python":
            continue
        svc = smap.owner(task.rel)
        objs = exported.get((svc.root if svc else ".", task.module), {}) | _linked_exports(task, tasks, exported)
        objs |= {
            f"{task.module}.{n}": (rel, v)
            for n, (m, rel, v) in returned.items()
            if m != task.module and os.path.splitext(rel)[1] == os.path.splitext(task.rel)[1]
        }
        if not objs:
            continue
        others = {q: o for q, (rel, o) in objs.items() if rel != task.rel}
        if not others:
            continue
        res = results.get(task.rel)
        if res is not None:  # extracted already: only for the names it looked for in its module
            wanted = set(res.imports.values())
            used = {q: o for q, o in others.items() if q in wanted}
        else:
            if _peek(task, "readable", None) is None:
                continue
            used = {q: o for q, o in others.items() if _peek(task, "search", (rb"\b" + re.escape(q.rpartition(".")[2].encode()) + rb"\b", 0))}
            if any(".$" in q for q in used):  # a registration comes with the module's defaults (``$defaults``: no word to look for)
                used |= {q: o for q, o in others.items() if q.rpartition(".")[2].startswith("$")}
            if used:  # and with what holds for every file of the module (C#'s global usings, ``global_usings$``)
                used |= {q: o for q, o in others.items() if q.endswith("$")}
        if used:
            out.append(dataclasses.replace(task, imported=tuple(sorted(used.items(), key=lambda kv: kv[0])), force=True))
    return out


def _maker_pass(tasks: list[Task], results: dict[str, FileResult]) -> list[Task]:
    """Files not extracted yet (no rule needed them) of the modules the frontend links to an
    extracted file that looks for its constructor's arguments (``$$new.*``: ``new CartHelper(url)``
    in a controller): extracted so that their exports reach it in the package pass."""
    wanted: set[tuple[str, str]] = set()
    for task in tasks:
        res = results.get(task.rel)
        if res is not None and task.module and any(".$$new." in q for q in res.imports.values()):
            wanted.update((task.language, m) for m in _linked(task, tasks))
    return [dataclasses.replace(t, force=True) for t in tasks if t.rel not in results and (t.language, t.module) in wanted]


def _linked(task: Task, tasks: list[Task]) -> tuple[str, ...]:
    """The modules the frontend links to the task's (``linked_modules``: a C# project's references,
    the Java files constructing its class). Its index reads the tree's files: the first time in a
    scan, each file of the language is asked what of its text the index reads (``_peek``, recorded:
    a re-scan after a change of it runs the passes)."""
    fe = frontend_for(task.language)
    hook = getattr(fe, "linked_modules", None)
    if hook is None:
        return ()
    if _LINKED and task.language not in _LINKED[-1]:
        _LINKED[-1].add(task.language)
        if getattr(fe, "linked_text", lambda data: None)(b"") is not None:  # (None: the index reads no file's text)
            for other in tasks:
                if other.language == task.language:
                    _peek(other, "linked", other.language)
    return tuple(hook(task.root, task.module))


def _linked_exports(task: Task, tasks: list[Task], exported: Mapping[tuple[str, str], Mapping[str, tuple[str, Value]]]) -> dict[str, tuple[str, Value]]:
    """The registrations (exports named ``$...``) of the modules the frontend links to the task's
    (a C# project's references), named as if its own module exported them."""
    linked = _linked(task, tasks)
    out: dict[str, tuple[str, Value]] = {}
    for module in linked:  # in the frontend's order of preference: the first module's registration of a name wins
        for (_root, exporter), objs in sorted(exported.items()):
            if exporter == module:
                for q, found in objs.items():
                    if q[len(module) + 1 :].startswith("$"):
                        name = f"{task.module}.{q[len(module) + 1 :]}"
                        first = out.setdefault(name, found)
                        if first[1] != found[1] and ".$$new." in name:  # constructor arguments the modules do not agree on
                            out[name] = (first[0], Dynamic("one of several arguments"))
    return out


def _returned_exports(exported: Mapping[tuple[str, str], Mapping[str, tuple[str, Value]]]) -> dict[str, tuple[str, str, Value]]:
    """The objects functions return under a declared type (exports named ``$$returns.<type>``: a Go
    helper's generated gRPC client), by export name: (module, file, object); an object of the type
    with no captures when the modules do not agree. Every module of the language receives them
    (``_package_pass``) as if its own exported them: the type's name is the same wherever it is declared."""
    out: dict[str, tuple[str, str, Value]] = {}
    for (_root, exporter), objs in sorted(exported.items()):
        for q, (rel, value) in objs.items():
            name = q[len(exporter) + 1 :]
            if name.startswith("$$returns."):
                first = out.setdefault(name, (exporter, rel, value))
                if first[2] != value and isinstance(value, Obj):
                    out[name] = (first[0], first[1], Obj(value.type, (), value.name, ""))
    return out


def _adopted(tasks: list[Task], smap: ServiceMap) -> dict[str, str]:
    """Files of no service (a class library) run with a service's registration: the service that
    registers and runs them (the first, by file, whose registration they received)."""
    out: dict[str, str] = {}
    for task in tasks:
        if smap.owner(task.rel) is None:
            origins = sorted(v.origin.rpartition("#")[0] for q, v in task.imported if isinstance(v, Obj) and v.origin and ".$" in q)
            owner = next((s for rel in origins if (s := smap.owner(rel)) is not None and not not_the_services(rel, s.root)), None)
            if owner is not None:
                out[task.rel] = owner.name
    return out


def _second_pass(tasks: list[Task], results: dict[str, FileResult], smap: ServiceMap, known: set[str] | None = None) -> list[Task]:
    """Files that use an object another module of their service creates (``from .clients import session``).
    With ``known`` (the objects an earlier round passed on, updated here): only the files that use a new one."""
    exported: dict[str, dict[str, Obj]] = {}  # service root → qualname → object
    for task in tasks:
        res = results.get(task.rel)
        if res is None or not task.module or task.language != "python":
            continue
        svc = smap.owner(task.rel)
        key = svc.root if svc else "."
        for name, value in res.exports.items():
            if isinstance(value, Obj):
                exported.setdefault(key, {})[f"{task.module}.{name}"] = value
    if not exported:
        return []
    words = {q.rpartition(".")[2] for objs in exported.values() for q in objs}
    word_re = (tuple(sorted(words)), True)  # (asked through ``_peek``, recorded: whole words of the decoded text)
    names = {root: tuple(sorted({q.rpartition(".")[2] for q in objs})) for root, objs in exported.items()}
    heads = {q: {q[:i] for i, c in enumerate(q) if c == "."} | {q} for objs in exported.values() for q in objs}  # an import of q or of what holds it
    out: list[Task] = []
    for task in tasks:
        if task.language != "python":
            continue
        svc = smap.owner(task.rel)
        objs = exported.get(svc.root if svc else ".")
        if not objs:
            continue
        res = results.get(task.rel)
        if res is not None:
            imported = set(res.imports.values())
            used = {q: o for q, o in objs.items() if not heads[q].isdisjoint(imported)}
        else:
            if not _peek(task, "word", word_re):  # (None: unreadable)
                continue
            present = set(_peek(task, "words", names[svc.root if svc else "."]))
            used = {q: o for q, o in objs.items() if q.rpartition(".")[2] in present}
        used = {q: o for q, o in used.items() if not q.startswith(task.module + ".") or q.count(".") != task.module.count(".") + 1}
        if used and not (known and used.keys() <= known):
            out.append(dataclasses.replace(task, imported=tuple(sorted(used.items(), key=lambda kv: kv[0])), force=True))
    if known is not None:
        known.update(q for objs in exported.values() for q in objs)
    return out


def __getattr__(name: str) -> Any:
    """``link``, imported when first used: the link stage, the deployment readers and every kind's
    module are 2/3 of this module's import time, which a re-scan that keeps its last outcome (an
    empty folder's, an unchanged tree's) does without (``_scan`` reads it through the module, so a
    test can replace it)."""
    if name == "link":
        from .link import link

        globals()["link"] = link
        return link
    raise AttributeError(name)
