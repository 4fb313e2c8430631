"""Running per-file work in worker processes that can be stopped: one file never takes the scan down.

A parser or a grammar's scanner in C can crash the process (a segmentation fault on deeply
indented Python) or loop where no signal reaches it, and a Python-level limit (``SIGALRM``,
the recursion limit) cannot help there. Work sent here runs in a ``pebble`` process pool: a
task that outlives its hard time limit has its worker killed, a worker that dies is replaced,
and either becomes a :class:`Failure` for that item while the other items go on.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Failure:
    """Why one item has no result: ``kind`` is ``timeout`` (stopped at the hard limit), ``crashed``
    (its worker process died) or ``internal_error`` (``fn`` raised)."""

    kind: str
    message: str


class IsolationError(Exception):
    """The pool itself failed (not one item): the scan cannot go on. Names the item it was on."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(f"{item}: {message}")
        self.item = item


@dataclass
class Job(Generic[T]):
    item: T
    name: str  # what a failure is about (a file's path)
    timeout: float | None  # hard limit in seconds; None: none


def describe_exit(code: int | None) -> str:
    """``exit code 1`` / ``killed by SIGSEGV`` for a worker's exit code."""
    if code is None:
        return "exit code unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def run_isolated(fn: Callable[[T], R], jobs: Sequence[Job[T]], workers: int, done: Callable[[], None] | None = None) -> list[R | Failure]:
    """``fn(job.item)`` for every job, in worker processes; results in the jobs' order. ``done`` is
    called (in another thread of this process) as each job finishes: a progress count.

    ``fn`` must be a module-level function (it is pickled by reference); so are the items and
    results. Jobs are started in the order given (put the longest first).
    """
    if not jobs:
        return []
    from pebble import ProcessPool  # (imported when a pool runs: ~30 ms of every start-up otherwise)

    out: list[R | Failure] = []
    with ProcessPool(max_workers=max(1, min(workers, len(jobs)))) as pool:
        futures = [pool.schedule(fn, args=(job.item,), timeout=job.timeout) for job in jobs]
        if done is not None:
            for future in futures:
                future.add_done_callback(lambda _future: done())
        try:
            for job, future in zip(jobs, futures):
                out.append(_outcome(job, future))
        finally:
            for future in futures:
                future.cancel()
    return out


def _outcome(job: Job[Any], future: Any) -> Any:
    from pebble import ProcessExpired

    try:
        return future.result()
    except FutureTimeout:
        return Failure("timeout", f"extraction did not finish within the hard limit of {job.timeout:g} s; its worker process was stopped")
    except ProcessExpired as exc:
        return Failure("crashed", f"the worker process extracting it died ({describe_exit(exc.exitcode)}); skipped")
    except (BrokenProcessPool, CancelledError) as exc:
        raise IsolationError(job.name, f"the worker pool failed: {type(exc).__name__}: {exc}") from None
    except Exception as exc:  # raised by ``fn`` or while sending its result back: this item only
        return Failure("internal_error", f"extraction failed in its worker: {type(exc).__name__}: {exc}")
