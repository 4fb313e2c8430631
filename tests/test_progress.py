"""The progress display of long scans (extractor/progress.py): the stages and the file counts on a
terminal, nothing without one or with --quiet, NO_COLOR honoured, stdout never touched."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from rich.console import Console

from extractor import progress
from extractor import scan as scan_module
from extractor.cli import main
from extractor.scan import scan

from .conftest import FIXTURES, REPO

SHOP = FIXTURES / "monorepos" / "polyglot-shop"
COLOUR = re.compile(r"\x1b\[(?:3[0-9]|9[0-7])(?:;[0-9]+)*m")  # a foreground colour (SGR 30-39, 90-97)


@pytest.fixture
def terminal(monkeypatch) -> io.StringIO:
    """A fake terminal on stderr (rich's force_terminal), the display shown at once."""
    screen = io.StringIO()
    monkeypatch.setenv("TERM", "xterm-256color")  # (rich draws nothing live on a dumb terminal)
    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setattr(progress, "terminal", lambda: Console(file=screen, force_terminal=True, width=120, color_system="standard"))
    return screen


def extractions(root) -> int:
    """How many extractions a cold scan of ``root`` runs (its files, plus the later passes' files)."""
    result = scan(root, jobs=1)
    assert result.stats["second_pass_files"] == 0  # the sample has no later pass: the total is the file count
    return int(result.stats["files"])


def test_check_on_a_terminal_shows_each_stage_in_order_and_the_files_done_of_the_total(terminal):
    total = extractions(SHOP)
    assert total > 3
    result = CliRunner().invoke(main, ["check", str(SHOP), "--no-cache", "-j", "1", "--fail-on", "never"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = terminal.getvalue()
    at = [shown.find(stage) for stage in progress.STAGES]
    assert -1 not in at and at == sorted(at), at  # discovering, extracting, linking, checking
    assert f"0/{total} files" in shown and f"{total}/{total} files" in shown
    assert shown.rstrip("\r\n").endswith("\x1b[2K")  # erased when it stops (rich's transient display)
    assert result.stderr == ""  # nothing else went to stderr


def test_the_counts_come_from_the_worker_pool_as_its_results_arrive(terminal, monkeypatch):
    total = extractions(SHOP)
    monkeypatch.setattr(scan_module, "POOL_MIN_FILES", 1)  # every file in worker processes
    result = CliRunner().invoke(main, ["scan", str(SHOP), "--no-cache", "-j", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shown = terminal.getvalue()
    assert "extracting" in shown and f"{total}/{total} files" in shown
    assert "checking" not in shown  # scan has no checking stage


@pytest.mark.parametrize("command", ["scan", "check", "graph", "drift", "init"])
def test_quiet_shows_nothing(terminal, command, tmp_path):
    extra = {"check": ["--fail-on", "never"], "drift": ["--history", str(tmp_path / "h.db")], "init": ["--dry-run"]}.get(command, [])
    result = CliRunner().invoke(main, [command, str(SHOP), "--no-cache", "-j", "1", "--quiet", *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert terminal.getvalue() == ""
    assert result.stderr == ""


def test_without_a_terminal_nothing_is_shown_and_stdout_is_the_same(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0)
    args = ["check", str(SHOP), "-j", "1", "--fail-on", "never", "--format", "json"]
    env = {"CONTRACTS_RUN_TIME": "", "CONTRACTS_RUN_COMMIT": ""}
    plain = CliRunner().invoke(main, args, env=env, catch_exceptions=False)  # CliRunner's stderr is no terminal
    quiet = CliRunner().invoke(main, [*args, "--quiet"], env=env, catch_exceptions=False)
    assert plain.exit_code == quiet.exit_code == 0
    assert plain.stderr == ""
    assert plain.stdout_bytes == quiet.stdout_bytes


def test_no_color_is_honoured(monkeypatch):
    def shown() -> str:
        screen = io.StringIO()
        screen.isatty = lambda: True  # type: ignore[method-assign]  # stderr is a terminal
        monkeypatch.setattr(sys, "stderr", screen)
        assert progress.start() is not None
        progress.stage("extracting", 3)
        progress.advance(3)
        progress.stop()
        return screen.getvalue()

    monkeypatch.setattr(progress, "DELAY", 0)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    coloured = shown()
    assert "3/3 files" in coloured and COLOUR.search(coloured)
    monkeypatch.setenv("NO_COLOR", "1")
    plain = shown()
    assert "3/3 files" in plain and not COLOUR.search(plain)


def test_a_quick_command_shows_nothing(monkeypatch):
    """Within DELAY nothing is drawn: a scan served by the cache does not flash a display."""
    screen = io.StringIO()
    monkeypatch.setattr(progress, "DELAY", 60)
    assert progress.start(Console(file=screen, force_terminal=True)) is not None
    progress.stage("extracting", 2)
    progress.advance(2)
    progress.stop()
    assert screen.getvalue() == ""


def test_stages_without_a_display_do_nothing():
    progress.stop()
    progress.stage("extracting", 5)
    progress.advance(5)
    progress.add_total(2)  # no display: no error, nothing kept


def test_a_real_terminal_gets_the_display_and_stdout_is_byte_identical(tmp_path):
    """The CLI in a subprocess whose stderr is a pseudo-terminal (stdout a pipe), against the same
    command with both pipes: stdout is the same bytes, stderr of the plain run is empty."""
    code = "import sys; from extractor import progress; progress.DELAY = 0; from extractor.cli import main; sys.argv[0] = 'contracts'; main()"
    args = [sys.executable, "-c", code, "scan", str(SHOP), "--no-cache", "-j", "1", "--format", "json"]
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    plain = subprocess.run(args, cwd=REPO, env=env, capture_output=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    assert plain.stderr == b""

    master, slave = os.openpty()
    screen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed
                return
            if not chunk:
                return
            screen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        shown = subprocess.run(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=slave, timeout=300)
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    assert shown.returncode == 0
    assert shown.stdout == plain.stdout
    text = b"".join(screen).decode("utf-8", "replace")
    assert "discovering" in text and "extracting" in text and "linking" in text
    assert re.search(r"(\d+)/\1 files", text)
