"""The progress display of long scans: the stage (discovering, extracting, linking, checking) and
the files extracted out of the total, on stderr, only when stderr is a terminal.

The stages report through the module functions (``stage``, ``advance``, ``add_total``), which do
nothing unless a command started a display: a scan run by a test or a library caller pays one
function call per file. The display appears only after ``DELAY`` seconds (a scan served by the
cache shows nothing), redraws at most ``REFRESH_PER_SECOND`` times a second from rich's own
thread, and is erased when it stops: it never writes to stdout nor leaves a byte in a redirected
stderr. ``advance`` may be called from another thread (the worker pool's result callbacks).
``NO_COLOR`` is honoured by rich's console.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, Task, TaskID
    from rich.text import Text

DELAY = 0.4
"""Seconds a command runs before the display appears."""
REFRESH_PER_SECOND = 8

STAGES = ("discovering", "extracting", "linking", "checking")
"""The stages shown, in their order (``drift --base`` goes through them twice)."""

_ACTIVE: list[Display] = []  # the display of the running command (at most one)


def terminal() -> Console | None:
    """A console on stderr when stderr is a terminal, else None (then nothing is shown)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    return Console(file=sys.stderr, stderr=True, highlight=False)


def start(console: Console | None = None) -> Display | None:
    """Start the display of this command on ``console`` (default: ``terminal()``); None when
    there is no terminal. ``stop()`` ends it."""
    stop()
    console = console if console is not None else terminal()
    if console is None:
        return None
    display = Display(console)
    _ACTIVE.append(display)
    display.begin()
    return display


def stop() -> None:
    """End the running display (erasing it), if any: before a command prints its report."""
    while _ACTIVE:
        _ACTIVE.pop().end()


def stage(name: str, total: int | None = None) -> None:
    """The command entered stage ``name``; ``total``: the files it will extract (extracting)."""
    for display in _ACTIVE:
        display.stage(name, total)


def advance(count: int = 1) -> None:
    """``count`` more files extracted (or found in the cache)."""
    for display in _ACTIVE:
        display.advance(count)


def add_total(count: int) -> None:
    """A later pass re-extracts ``count`` more files (with what other files export)."""
    for display in _ACTIVE:
        display.add_total(count)


class Display:
    """One rich progress line: spinner, stage, bar, files done / total, time elapsed."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._lock = threading.Lock()
        self._shown = False
        self._ended = False
        self._timer: threading.Timer | None = None
        self.progress: Progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<11}"),
            BarColumn(bar_width=30),
            _files_column(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            auto_refresh=True,
            refresh_per_second=REFRESH_PER_SECOND,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task: TaskID = self.progress.add_task(STAGES[0], total=None)

    def begin(self) -> None:
        if DELAY <= 0:
            self._show()
            return
        self._timer = threading.Timer(DELAY, self._show)
        self._timer.daemon = True
        self._timer.start()

    def _show(self) -> None:
        with self._lock:
            if not self._ended and not self._shown:
                self._shown = True
                self.progress.start()

    def end(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._ended = True
            if self._shown:
                self.progress.stop()

    def stage(self, name: str, total: int | None) -> None:
        if total is not None:
            self.progress.update(self.task, description=name, total=total, completed=0)
        else:
            self.progress.update(self.task, description=name)
        with self._lock:
            if self._shown and not self._ended:
                self.progress.refresh()  # every stage is drawn at least once (a few per command)

    def advance(self, count: int) -> None:
        self.progress.advance(self.task, count)

    def add_total(self, count: int) -> None:
        task = self.progress.tasks[0]
        if task.total is not None and count:
            self.progress.update(self.task, total=task.total + count)


def _files_column() -> ProgressColumn:
    """A column showing ``12/40 files`` once the number of files is known (made when rich is imported)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Files(ProgressColumn):
        def render(self, task: Task) -> Text:
            if task.total is None:
                return Text("")
            return Text(f"{int(task.completed)}/{int(task.total)} files", style="progress.download")

    return Files()
