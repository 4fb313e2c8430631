"""``contracts scan --executor dask [--scheduler ADDRESS]``: per-file extraction on a Dask cluster.

Dask (``dask.distributed``) is imported only here and only when asked for; it is the optional
extra ``contract-extractor[dask]``. Without ``--scheduler`` a ``LocalCluster`` of ``--jobs``
worker processes is started for the scan and stopped after it.

This process stays the scan's driver: it discovers the files, reads each once, looks it up in
the content-hash cache, and sends the files the cache does not hold to the workers in batches
(each batch is one Dask task: its files' bytes, so workers need no copy of the checkout), puts
the outcomes back in the tasks' order and stores them in the cache; then it links. The outcome
of a file does not depend on the worker that extracted it, so the facts are the same bytes as a
scan in one process. A warm cache sends nothing. A file that could crash or stall a parser
(``scan.risky``), and every file of a batch that failed (a worker lost, ...), is extracted here
instead, under the usual isolation and time limits. Each worker checks that it runs the same
build of contracts with the same rules before it extracts anything.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from ..cache import tool_fingerprint
from ..catalog import default_rules_dir, load_catalog
from ..scan import _SOURCES, Executor, ExecutorError, Outcome, Task, WorkerSpec, _compile, _read, extract_one, risky
from ..sources import SourceCache

EXTRA = "contract-extractor[dask]"
BATCH_BYTES = 8 << 20
"""A batch holds at most about this many bytes of source (and there are at least 4 per worker)."""
CONNECT_TIMEOUT = 30


class DaskError(ExecutorError):
    """Dask missing, or a cluster that cannot be used: the message says what to do (exit 2)."""


class _Mismatch(Exception):
    """A worker with another build of contracts, or other rules, than the driver."""


class DaskExecutor(Executor):
    """Extraction on the cluster at ``scheduler`` (or a local one of ``workers`` processes); use as
    a context manager around the scan."""

    def __init__(self, scheduler: str | None = None, workers: int = 2) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.client: Any = None
        self.cluster: Any = None
        self.stats: Counter[str] = Counter()  # batches, files sent, files left to this process

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise DaskError(f"--executor dask needs Dask and distributed, which are not installed: pip install '{EXTRA}'") from None
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = f"the Dask scheduler at {self.scheduler}" if self.scheduler else "a local Dask cluster"
            raise DaskError(f"cannot use {where}: {exc}") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for thing in (self.client, self.cluster):
            if thing is not None:
                thing.close()
        self.client = self.cluster = None

    def extract(self, tasks: list[Task], spec: WorkerSpec, rules: str) -> list[Outcome | None]:
        out: list[Outcome | None] = [None] * len(tasks)
        items: list[tuple[int, Task, bytes]] = []
        for i, task in enumerate(tasks):
            data, _diag = _read(task)
            if data is not None and not risky(data):  # (an unreadable file's diagnostic, a risky file's isolation: here)
                items.append((i, task, data))
        if not items or self.client is None:
            return out
        expected = (tool_fingerprint().hex(), rules)
        batches = _batches(items, max(1, len(self.client.scheduler_info().get("workers", {}))))
        futures = [self.client.submit(_extract_batch, portable(spec), expected, [(t, d) for _i, t, d in batch], pure=False) for batch in batches]
        for batch, future in zip(batches, futures):
            try:
                outcomes = future.result()
            except _Mismatch as exc:
                raise DaskError(str(exc)) from None
            except Exception:  # a lost worker, ...: these files are extracted here
                self.stats["left_here"] += len(batch)
                continue
            self.stats["batches"] += 1
            self.stats["sent"] += len(batch)
            for (i, _task, _data), outcome in zip(batch, outcomes):
                out[i] = outcome
        return out


def _batches(items: list[tuple[int, Task, bytes]], workers: int) -> list[list[tuple[int, Task, bytes]]]:
    """Files dealt round-robin, largest first, into batches of similar size: at least 4 per
    worker (so that a slow batch does not hold the scan), at most ``BATCH_BYTES`` each."""
    total = sum(len(d) for _i, _t, d in items)
    count = min(len(items), max(4 * workers, math.ceil(total / BATCH_BYTES)))
    batches: list[list[tuple[int, Task, bytes]]] = [[] for _ in range(count)]
    for n, item in enumerate(sorted(items, key=lambda it: (-len(it[2]), it[0]))):
        batches[n % count].append(item)
    return batches


def portable(spec: WorkerSpec) -> WorkerSpec:
    """The bundled rules as "" (each worker's own installation's), other rule folders as given."""
    bundled = str(default_rules_dir())
    return tuple("" if d == bundled else d for d in spec[0]), spec[1]


# ---------------------------------------------------------------- on a worker
_LOCK = threading.Lock()  # one extraction at a time per worker process (the engine's caches are per process)
_RULES: dict[WorkerSpec, tuple[str, Mapping[str, Any]]] = {}


def _worker_rules(spec: WorkerSpec) -> tuple[str, Mapping[str, Any]]:
    got = _RULES.get(spec)
    if got is None:
        dirs, ids = spec
        catalog = load_catalog([Path(d) if d else default_rules_dir() for d in dirs])
        if ids is not None:
            catalog = catalog.select(ids)
        got = _RULES[spec] = (catalog.fingerprint(), _compile(catalog))
    return got


def _extract_batch(spec: WorkerSpec, expected: tuple[str, str], items: list[tuple[Task, bytes]]) -> list[Outcome]:
    """One Dask task: extract the files of a batch from the bytes sent with it."""
    with _LOCK:
        rules, compiled = _worker_rules(spec)
        build = tool_fingerprint().hex()
        if (build, rules) != expected:
            what = "build of contracts" if build != expected[0] else "rule set"
            raise _Mismatch(f"a Dask worker runs another {what} than this scan (install the same contracts, and the same --rules, on every worker)")
        sources = SourceCache()
        for task, data in items:  # (what extract_one reads)
            sources.read(task.root, task.rel, task.max_bytes, task.language, lambda *_a, data=data: (data, None))
        _SOURCES.append(sources)
        try:
            return [extract_one(task, compiled) for task, _data in items]
        finally:
            _SOURCES.pop()
