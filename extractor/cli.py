"""The ``contracts`` command line.

Exit codes: 0 success (a scan with diagnostics only is a success), 1 findings at or above
``--fail-on`` (``check``) or failing rule tests, 2 bad usage or bad input (with a message that
names the file and line), 3 the analysis is incomplete: an internal error (the message names the
file it was on), or with ``--strict`` a service's source file that could not be analysed.
"""

from __future__ import annotations

import atexit
import functools
import gc
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, progress
from .catalog import Catalog, RuleError, load_catalog
from .config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from rich.console import Console

    from .cache import ExtractionCache
    from .checks import Finding
    from .executors.dask_cluster import DaskExecutor
    from .executors.shard import Shard
    from .facts import ScanResult
    from .history.store import HistoryStore, RecordedFinding, Run
    from .pipeline import Analysis
    from .scan import Executor
    from .suppress import Outcome


def _console(stream=None) -> Console:
    from rich.console import Console

    return Console(file=stream or sys.stdout, highlight=False, soft_wrap=False, width=None if (stream or sys.stdout).isatty() else 160)


def _fail(message: str) -> click.exceptions.Exit:
    progress.stop()
    click.echo(f"contracts: error: {message}", err=True)
    return click.exceptions.Exit(2)


def _output_path(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """``-o FILE`` is checked before any work: its folder must exist, FILE may not be a link."""
    from .safeio import WriteError, output_file

    if value is not None:
        try:
            output_file(value)
        except WriteError as exc:
            raise _fail(str(exc)) from None
    return value


def _file_out(*names: str, help: str, required: bool = False) -> Any:
    """An option naming a file the command writes (``_output_path`` checks it)."""
    return click.option(*names, type=click.Path(dir_okay=False, path_type=Path), callback=_output_path, required=required, help=help)


def _files_in(flag: str, dest: str, help: str) -> Any:
    """A repeatable option naming an existing file the command reads (a telemetry export)."""
    return click.option(flag, dest, multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path), help=help)


_REPORT_TO = _file_out("-o", "--output", help="Write the report to a file.")
_FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)


def _no_sources(path: Path, analysis: Analysis) -> None:
    """A folder with no source file of a known language and no contract file is a usage error: an
    empty or mistyped PATH must not pass as a clean repository."""
    if not any(s.languages for s in analysis.scan.services) and not analysis.declared.files:
        raise _fail(f"{path.as_posix()}: no source files of a supported language and no contract files; is PATH the repository?")


def _load_rules(rule_dirs: tuple[str, ...], cache: ExtractionCache | None = None) -> Catalog:
    try:
        return load_catalog([Path(d) for d in rule_dirs] if rule_dirs else None, store=cache)
    except RuleError as exc:
        raise _fail(f"invalid rules:\n{exc}") from None


_CACHE_DIR = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the extraction cache (default: $CONTRACTS_CACHE_DIR, else cache_dir of the configuration, else .contracts-cache in PATH).",
)
_NO_CACHE = click.option("--no-cache", is_flag=True, help="Extract every file again and write no cache.")
_QUIET = click.option("-q", "--quiet", is_flag=True, help="No progress display (shown on stderr only when it is a terminal; NO_COLOR honoured).")
_JOBS = click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes for the scan.")
_CONFIG = click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="contracts.toml to use instead of the repository's own."
)


@dataclass(frozen=True)
class Analysing:
    """How a command analyses PATH (``_analyse``): its -j, --config, --cache-dir, --no-cache and -q."""

    jobs: int | None
    config_path: Path | None
    cache_dir: Path | None
    no_cache: bool
    quiet: bool = False


def _analysing(command: Any) -> Any:
    """The options -j, --config, --cache-dir, --no-cache and -q of a command that analyses PATH,
    given to it as one argument, ``analysing``."""

    @functools.wraps(command)
    def run(*args: Any, jobs: int | None, config_path: Path | None, cache_dir: Path | None, no_cache: bool, quiet: bool, **kwargs: Any) -> Any:
        return command(*args, analysing=Analysing(jobs, config_path, cache_dir, no_cache, quiet), **kwargs)

    for option in (_QUIET, _NO_CACHE, _CACHE_DIR, _CONFIG, _JOBS):
        run = option(run)
    return run


def _show_progress(quiet: bool) -> None:
    """The progress display of this command on stderr (``extractor.progress``), unless ``--quiet``
    or stderr is no terminal; erased before the report is printed, and when the command ends."""
    if not quiet and progress.start() is not None:
        click.get_current_context().call_on_close(progress.stop)


def _open_cache(path: Path, config: Config, cache_dir: Path | None, no_cache: bool) -> ExtractionCache | None:
    """The content-hash cache of per-file extraction (docs/performance.md); a folder that cannot be
    used is a warning and the scan runs without it."""
    if no_cache:
        return None
    from .cache import CacheError, open_cache

    try:
        return open_cache(path, option=cache_dir, configured=config.cache_dir)
    except CacheError as exc:
        click.echo(f"contracts: warning: {exc}; scanning without the cache", err=True)
        return None


def _default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


_STRICT = click.option(
    "--strict", is_flag=True, help="Exit 3 when a source file of a service could not be analysed (unreadable, binary, too large, crashed, timed out...)."
)


_HISTORY = click.option(
    "--history",
    metavar="URL",
    default=None,
    help="The history store: a postgresql:// URL or a SQLite file (default: history of the configuration, else .contracts/history.db in PATH).",
)
_PROJECT = click.option("--project", default=None, help="The name runs are recorded under (default: the name of PATH's folder).")


def _internal_error(exc: Exception) -> click.exceptions.Exit:
    """Exit 3 with one line (no traceback): the file it was on when known, else where it happened."""
    from .isolation import IsolationError

    progress.stop()

    if isinstance(exc, IsolationError):
        where = exc.item
    else:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}" if tb is not None else "?"
    click.echo(f"contracts: internal error ({where}): {type(exc).__name__}: {exc}", err=True)
    return click.exceptions.Exit(3)


def _end_with_contract_errors(analysis: Analysis) -> None:
    """After ``graph`` or ``report`` wrote its output: the files not analysed, then each contract
    file error on stderr and exit 2 when there is one (the output is written either way)."""
    _report_unanalysed(analysis.scan, False)
    if analysis.declared.errors:
        for e in analysis.declared.errors:
            click.echo(f"contracts: error: {e}", err=True)
        raise click.exceptions.Exit(2)


def _report_unanalysed(result: ScanResult, strict: bool) -> None:
    """Name the services' files that could not be analysed on stderr; with ``strict`` exit 3."""
    lost = result.unanalysed()
    if not lost:
        return
    level = "error" if strict else "warning"
    click.echo(f"contracts: {level}: {len(lost)} source file(s) could not be analysed; first: {lost[0].file}: {lost[0].kind}: {lost[0].message}", err=True)
    if strict:
        click.echo("contracts: error: --strict: the analysis is incomplete", err=True)
        raise click.exceptions.Exit(3)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="contracts")
def main() -> None:
    """Extract the implicit service contracts of a monorepo and check them."""
    if not _FROZEN_AT_EXIT:
        _FROZEN_AT_EXIT.append(True)
        atexit.register(gc.freeze)


_FROZEN_AT_EXIT: list[bool] = []
"""Registered once: at the interpreter's exit what is left is frozen (``gc.freeze``), so that the
exit's collection does not walk a scan's results only to free memory the process gives back anyway
(a million objects on the bench corpus, held in reference cycles by the link stage's closures:
~1 s of CPU after a re-scan that runs the link stage, ~2.5 s after a cold scan)."""


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_REPORT_TO
@click.option(
    "--rules", "rule_dirs", multiple=True, type=click.Path(exists=True, file_okay=False), help="Rules directory (repeatable; default: the bundled rules)."
)
@click.option("--rule", "rule_ids", multiple=True, help="Run only these rule ids (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: CPU count, at most 8).")
@click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="contracts.toml to use instead of the repository's own."
)
@click.option("-v", "--verbose", is_flag=True, help="Show informational diagnostics and timing.")
@_STRICT
@_CACHE_DIR
@_NO_CACHE
@_QUIET
@click.option(
    "--shard",
    metavar="K/N",
    default=None,
    callback=lambda ctx, param, value: _shard_option(value),
    help="Extract only shard K of N (a CI matrix job) and write its partial result (JSON) for `contracts merge` (docs/scale.md).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where files are extracted: this machine's processes, or a Dask cluster (the extra contract-extractor[dask]; docs/scale.md).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="With --executor dask: the Dask scheduler (tcp://host:8786); default: a local cluster of --jobs workers.",
)
def scan(
    path: Path,
    fmt: str,
    shard: Shard | None,
    executor: str,
    scheduler: str | None,
    output: Path | None,
    rule_dirs: tuple[str, ...],
    rule_ids: tuple[str, ...],
    jobs: int | None,
    config_path: Path | None,
    verbose: bool,
    strict: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool = False,
) -> None:
    """Scan PATH (a repository) and report the facts found in each service."""
    try:
        config = load_config(path, config_path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    _show_progress(quiet)
    runner = _executor(executor, scheduler, shard, jobs)
    cache = _open_cache(path, config, cache_dir, no_cache)
    try:
        if shard is not None:
            return _write_shard(path, shard, rule_ids, output, lambda executor: _scan_with(path, config, cache, rule_dirs, rule_ids, jobs, executor))
        result = _scan_with(path, config, cache, rule_dirs, rule_ids, jobs, runner)
    finally:
        if runner is not None:
            runner.close()
        if cache is not None:
            cache.close()
    progress.stop()
    if not any(s.languages for s in result.services) and not _any_contract_file(path, result):
        raise _fail(f"{path.as_posix()}: no source files of a supported language and no contract files; is PATH the repository?")
    from .report import json_out, scan_text

    if fmt == "json":
        _emit(json_out.dumps(result.to_json()), output)
    elif output:
        from rich.console import Console

        buffer = io.StringIO()
        scan_text.render(result, Console(file=buffer, width=160, no_color=True, highlight=False), show_info=verbose)
        _emit(buffer.getvalue(), output)
    else:
        scan_text.render(result, _console(), show_info=verbose)
    if verbose:
        s = result.stats
        click.echo(f"{s['files']} files ({s['files_parsed']} parsed), {s['lines']} lines in {s['seconds']} s", err=True)
        if "cache_hits" in s:
            click.echo(f"cache: {s['cache_hits']} extraction(s) reused, {s['cache_misses']} extracted", err=True)
        if runner is not None:
            d = runner.stats
            click.echo(f"dask: {d['sent']} file(s) extracted on the cluster in {d['batches']} batch(es), {d['left_here']} left to this process", err=True)
    if strict:
        _report_unanalysed(result, strict)


def _any_contract_file(path: Path, result: ScanResult) -> bool:
    """Whether a service has a contract file (``contracts.load`` is imported only when a service has
    a ``contracts/`` folder: a scan of an empty folder spares its imports)."""
    if not any((path / s.root / "contracts").is_dir() for s in result.services):
        return False
    from .contracts.load import contract_files

    return any(contract_files(path, s.root) for s in result.services)


def _scan_with(
    path: Path,
    config: Config,
    cache: ExtractionCache | None,
    rule_dirs: tuple[str, ...],
    rule_ids: tuple[str, ...],
    jobs: int | None,
    executor: Executor | None = None,
) -> ScanResult:
    from .scan import ExecutorError
    from .scan import scan as run_scan

    catalog = _load_rules(rule_dirs, cache)
    unknown = sorted(set(rule_ids) - set(catalog.by_id()))
    if unknown:
        raise _fail(f"unknown rule id(s): {', '.join(unknown)} (see `contracts rules list`)")
    try:
        return run_scan(path, catalog=catalog, config=config, jobs=jobs or _default_jobs(), rule_ids=rule_ids or None, cache=cache, executor=executor)
    except ExecutorError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _internal_error(exc) from None


# -- shards, their merge, Dask (docs/scale.md) ----------------------------------------------------
def _shard_option(value: str | None) -> Shard | None:
    if value is None:
        return None
    from .executors.shard import ShardError, parse_shard

    try:
        return parse_shard(value)
    except ShardError as exc:
        raise click.BadParameter(str(exc)) from None


def _executor(name: str, scheduler: str | None, shard: Shard | None, jobs: int | None) -> DaskExecutor | None:
    """The started Dask executor of ``--executor dask`` (a local cluster, or the one at
    ``--scheduler``), else None."""
    if scheduler is not None and name != "dask":
        raise _fail("--scheduler is the address of a Dask scheduler: use it with --executor dask")
    if name != "dask":
        return None
    if shard is not None:
        raise _fail("--shard and --executor dask do not combine: run each shard with the local executor, or the whole scan on Dask")
    from .executors.dask_cluster import DaskExecutor
    from .scan import ExecutorError

    try:
        return DaskExecutor(scheduler, jobs or _default_jobs()).__enter__()
    except ExecutorError as exc:
        raise _fail(str(exc)) from None


def _write_shard(path: Path, shard: Shard, rule_ids: tuple[str, ...], output: Path | None, scan: Callable[[Executor | None], ScanResult]) -> None:
    """``scan --shard K/N``: the shard's partial result (JSON) of ``scan`` (the scan with an executor), for ``contracts merge``."""
    from .executors.shard import dumps, run_shard

    part = run_shard(path, shard, scan, rule_ids or None)
    _emit(dumps(part), output)


@main.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_file_out("-o", "--output", help="Write the facts to a file.")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The checkout the shards scanned (default: the PATH they were given, from the current folder).",
)
@click.option(
    "--rules", "rule_dirs", multiple=True, type=click.Path(exists=True, file_okay=False), help="Rules directory, as given to the shards (repeatable)."
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes for the files the later passes extract.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="contracts.toml, as given to the shards.")
@_CACHE_DIR
@_NO_CACHE
def merge(
    parts: tuple[Path, ...],
    output: Path | None,
    root: Path | None,
    rule_dirs: tuple[str, ...],
    jobs: int | None,
    config_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
) -> None:
    """Merge the parts `contracts scan PATH --shard K/N -o PART` wrote (every shard once) into the
    facts document `contracts scan PATH --format json` prints, byte for byte (docs/scale.md). The
    merge reads the same checkout. Exit codes: 0 written, 2 parts that do not fit together (a
    shard missing or twice, other rules, another build of contracts, another checkout), 3 an
    internal error."""
    from .commands.merge import merge as merge_parts
    from .executors.shard import ShardError, read_parts
    from .report import json_out

    try:
        found = read_parts(list(parts))
    except ShardError as exc:
        raise _fail(str(exc)) from None
    where = root if root is not None else Path(found.root)
    if not where.is_dir():
        raise _fail(f"{found.root}: the folder the shards scanned is not here; pass --root (the same checkout)")
    try:
        config = load_config(where, config_path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    cache = _open_cache(where, config, cache_dir, no_cache)
    try:
        catalog = _load_rules(rule_dirs, cache)
        result = merge_parts(found, where, catalog=catalog, config=config, jobs=jobs or _default_jobs(), cache=cache)
    except ShardError as exc:
        raise _fail(str(exc)) from None
    except Exception as exc:
        raise _internal_error(exc) from None
    finally:
        if cache is not None:
            cache.close()
    if not any(s.languages for s in result.services) and not _any_contract_file(where, result):
        raise _fail(f"{found.root}: no source files of a supported language and no contract files; is PATH the repository?")
    _emit(json_out.dumps(result.to_json()), output)


def _analyse(path: Path, analysing: Analysing, retry_amplification: float | None = None) -> Analysis:
    """scan → load → infer → graph for ``check`` and ``graph``; a bad configuration is a usage error."""
    from dataclasses import replace

    from .pipeline import analyse

    try:
        config = load_config(path, analysing.config_path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    if retry_amplification is not None:
        config = replace(config, retry_amplification=retry_amplification)
    display = Path(os.path.normpath(str(path))).as_posix()
    cache = _open_cache(path, config, analysing.cache_dir, analysing.no_cache)
    try:
        catalog = _load_rules((), cache)
        return analyse(path, config=config, catalog=catalog, jobs=analysing.jobs or _default_jobs(), display_root=display, cache=cache)
    except click.exceptions.Exit:
        raise
    except Exception as exc:
        raise _internal_error(exc) from None
    finally:
        if cache is not None:
            cache.close()


def _analyse_or_end(path: Path, analysing: Analysing) -> Analysis:
    """``_analyse``, for a command that compares two analyses: a contract file error ends it (exit 2)."""
    analysis = _analyse(path, analysing)
    if analysis.declared.errors:
        progress.stop()
        for e in analysis.declared.errors:
            click.echo(f"contracts: error: {e}", err=True)
        raise click.exceptions.Exit(2)
    return analysis


def _emit(text: str, output: Path | None) -> None:
    from .safeio import WriteError, write_output

    progress.stop()

    if output:
        try:
            write_output(output, text)
        except WriteError as exc:
            raise _fail(str(exc)) from None
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@_REPORT_TO
@_FAIL_ON
@click.option(
    "--retry-amplification",
    type=click.FloatRange(min=1),
    default=None,
    help="Largest tolerated product of attempts along a call path (default: config, else 10).",
)
@click.option("--check", "check_ids", multiple=True, help="Run only these checks: ids, families (drift) or globs (drift.*); repeatable (docs/checks.md).")
@click.option(
    "--facts/--no-facts", "show_facts", default=True, show_default=True, help="Text report: list the resilience facts found in code before the findings."
)
@_analysing
@click.option("--record", is_flag=True, help="Record this run in the history (docs/drift.md).")
@_HISTORY
@_PROJECT
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), help="Report only findings whose fingerprint is not in FILE.")
@_file_out("--write-baseline", "write_baseline", help="Write the fingerprints of this run's findings to FILE (for --baseline).")
@_STRICT
@click.option(
    "--changed",
    is_flag=True,
    help="Report only the findings of the services owning the FILES given after PATH (a pre-commit hook: `contracts check . --changed FILE...`; docs/ci.md).",
)
@click.argument("changed_files", nargs=-1, type=click.Path(path_type=Path))
def check(
    path: Path,
    fmt: str,
    output: Path | None,
    fail_on: str,
    retry_amplification: float | None,
    check_ids: tuple[str, ...],
    show_facts: bool,
    analysing: Analysing,
    strict: bool,
    record: bool = False,
    history: str | None = None,
    project: str | None = None,
    baseline_path: Path | None = None,
    write_baseline: Path | None = None,
    changed: bool = False,
    changed_files: tuple[Path, ...] = (),
) -> None:
    """Check PATH's declared and inferred contracts against each other.

    Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 bad usage or a contract file
    error (reported with file:line after every finding), 3 an internal error, or with --strict a
    service's source file that could not be analysed (listed in the report).
    """
    from .checks import CheckContext, fails, run_checks
    from .report import findings_json, findings_text, json_out

    only = _select_checks(check_ids)
    if changed_files and not changed:
        raise _fail(f"unexpected argument(s) {' '.join(p.as_posix() for p in changed_files)}: files after PATH need --changed")
    if changed and (record or write_baseline is not None):
        raise _fail("--changed reports part of the findings: it cannot be recorded (--record) or written as a baseline (--write-baseline)")
    known = _read_baseline(baseline_path)
    store = _open_history(path, analysing.config_path, history) if record else None
    _show_progress(analysing.quiet)
    analysis = _analyse(path, analysing, retry_amplification)
    _no_sources(path, analysis)
    ctx = CheckContext(analysis.graph, analysis.declared, analysis.inferred, analysis.config.retry_amplification, analysis.scan.call_index)
    now = _now()
    progress.stage("checking")
    outcome, prints = _suppress(path, analysis, run_checks(ctx, only), now, known)
    if changed:
        outcome = _changed_only(path, analysis, outcome, changed_files)
    findings = outcome.kept
    errors = analysis.declared.errors
    root = analysis.scan.root
    lost = analysis.scan.unanalysed()
    if write_baseline is not None:
        from .suppress import baseline_document

        _emit(json_out.dumps(baseline_document(findings + outcome.baselined, prints)), write_baseline)
    if store is not None:
        try:
            if not errors:
                _record_run(store, path, findings + outcome.baselined, prints, project, now, only)
        finally:
            store.close()
    if fmt == "json":
        _emit(json_out.dumps(findings_json.document(root, findings, errors, lost, _run_metadata(path, now))), output)
    elif fmt == "sarif":
        _emit(json_out.dumps(_sarif(path, findings, outcome, prints)), output)
    else:
        _emit(
            findings_text.render(
                root,
                findings,
                errors,
                len(analysis.graph.services),
                len(analysis.declared.files),
                analysis.scan.facts if show_facts else None,
                lost,
                _run_metadata(path, now),
            ),
            output,
        )
    for problem in outcome.problems:
        click.echo(f"contracts: warning: {problem}", err=True)
    if outcome.suppressed:
        click.echo(f"contracts: {len(outcome.suppressed)} finding(s) suppressed (inline comments, ignore: entries)", err=True)
    if known is not None:
        click.echo(f"contracts: {len(outcome.baselined)} finding(s) in the baseline not reported", err=True)
    if errors:
        click.echo(f"contracts: error: {len(errors)} contract file error(s); first: {errors[0]}", err=True)
        raise click.exceptions.Exit(2)
    _report_unanalysed(analysis.scan, strict)
    if fails(findings, fail_on):
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "dot", "mermaid"]), default="json", show_default=True)
@_file_out("-o", "--output", help="Write the graph to a file.")
@_analysing
def graph(path: Path, fmt: str, output: Path | None, analysing: Analysing) -> None:
    """Print PATH's dependency graph: services, datasets and external hosts; calls and data reads.

    JSON follows docs/schemas/graph.v1.schema.json. Contract file errors are printed to stderr
    (exit 2) after the graph.
    """
    from .report import graph_out, json_out

    _show_progress(analysing.quiet)
    analysis = _analyse(path, analysing)
    _no_sources(path, analysis)
    if fmt == "json":
        text = json_out.dumps(graph_out.document(analysis.graph, analysis.scan.root, analysis.scan.unanalysed()))
    elif fmt == "dot":
        text = graph_out.to_dot(analysis.graph)
    else:
        text = graph_out.to_mermaid(analysis.graph)
    _emit(text, output)
    _end_with_contract_errors(analysis)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--service", "service_names", multiple=True, help="Only this service (name or directory; repeatable).")
@click.option("--update", is_flag=True, help="Also add to services that have contract files the entries their code shows and the files lack.")
@click.option("--dry-run", is_flag=True, help="Print a unified diff per file instead of writing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_files_in(
    "--from-traces",
    "from_traces",
    help="A trace export (as observe reads): write each observed operation's latency.current, with the window as provenance (repeatable).",
)
@_analysing
def init(
    path: Path,
    service_names: tuple[str, ...],
    update: bool,
    dry_run: bool,
    fmt: str,
    analysing: Analysing,
    from_traces: tuple[Path, ...] = (),
) -> None:
    """Write contract files for services that have none, from what their code shows.

    Each inferred value carries a `# inferred: file:line (rule)` comment and each entry
    `inferred: true` until a person confirms it (docs/contracts.md). Services with contract files
    are left alone unless --update. Exit codes: 0 success (also --dry-run), 2 bad usage, a
    contract file that cannot be read or edited, or a file that cannot be written.
    """
    from .commands.init import InitError, plan_init
    from .report import init_out, json_out

    _show_progress(analysing.quiet)
    analysis = _analyse(path, analysing)
    progress.stop()
    _no_sources(path, analysis)
    _report_unanalysed(analysis.scan, False)
    currents = []
    if from_traces:
        from .commands.observe import ObserveError, observe, observed_currents

        try:
            currents = observed_currents(observe(analysis, from_traces), analysis.graph.services)
        except ObserveError as exc:
            raise _fail(str(exc)) from None
    try:
        plan = plan_init(analysis, service_names, update=update, observed=currents)
        if not dry_run:
            plan.apply()
    except InitError as exc:
        raise _fail(str(exc)) from None
    root = analysis.scan.root
    if fmt == "json":
        click.echo(json_out.dumps(init_out.document(root, plan, dry_run=dry_run, update=update, unanalysed=analysis.scan.unanalysed())), nl=False)
    else:
        click.echo(init_out.render(root, plan, dry_run=dry_run, update=update), nl=False)


# -- history, suppressions, baselines, SARIF (docs/drift.md) -----------------------------------------


def _now() -> datetime:
    """The time of this run: $CONTRACTS_NOW (an ISO 8601 time, for reproducible reports and tests), else the clock."""
    from .commands.drift import DriftError, parse_since, system_clock

    given = os.environ.get("CONTRACTS_NOW")
    if not given:
        return system_clock()
    try:
        return parse_since(given)
    except DriftError:
        raise _fail(f"CONTRACTS_NOW={given!r}: expected an ISO 8601 time (2026-12-07T06:00:00Z)") from None


RUN_TIME_VAR = "CONTRACTS_RUN_TIME"
RUN_COMMIT_VAR = "CONTRACTS_RUN_COMMIT"


def _run_metadata(path: Path, now: datetime) -> dict[str, str]:
    """The run header of ``check`` (text and the JSON's ``run``): the tool and its version, the time
    of the run (UTC) and the commit and branch PATH is checked out at. ``$CONTRACTS_RUN_TIME`` and
    ``$CONTRACTS_RUN_COMMIT`` replace the time and the commit (empty: left out), for reproducible
    reports and snapshot tests."""
    from datetime import timezone

    from .commands.drift import git_state

    run = {"tool": "contracts", "version": __version__}
    time = os.environ.get(RUN_TIME_VAR)
    run["time"] = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if time is None else time
    given = os.environ.get(RUN_COMMIT_VAR)
    commit, branch = git_state(path) if given is None else (given, None)
    run.update({"commit": commit or "", "branch": branch or ""})
    return {k: v for k, v in run.items() if v}


def _select_checks(check_ids: tuple[str, ...]) -> frozenset[str] | None:
    from .checks import REGISTRY
    from .suppress import SelectionError, select_checks

    try:
        return select_checks(check_ids, REGISTRY)
    except SelectionError as exc:
        raise _fail(str(exc)) from None


def _read_baseline(path: Path | None) -> frozenset[str] | None:
    if path is None:
        return None
    from .suppress import BaselineError, read_baseline

    try:
        return read_baseline(path)
    except BaselineError as exc:
        raise _fail(str(exc)) from None


def _suppress(path: Path, analysis: Analysis, findings: list[Finding], now: datetime, known: frozenset[str] | None) -> tuple[Outcome, dict[str, str]]:
    """The findings after inline suppressions, ``ignore:`` entries and the baseline; their fingerprints."""
    from .history.fingerprint import fingerprints
    from .suppress import apply, apply_decisions, contract_suppressions, drop_baselined, inline_suppressions

    prints = fingerprints(findings, analysis.scan.facts)
    findings = apply_decisions(findings, analysis.declared, prints, now.date())
    inline, problems = inline_suppressions(path, {f.file for f in analysis.scan.facts})
    outcome = apply(findings, inline + contract_suppressions(analysis.declared.ignores), now.date(), problems)
    if known is not None:
        outcome = drop_baselined(outcome, known, prints)
    return outcome, prints


@main.command()
@click.argument("finding_id")
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the scaffold instead of writing it.")
@_JOBS
@_CONFIG
@_CACHE_DIR
@_NO_CACHE
def decide(finding_id: str, path: Path, dry_run: bool, jobs: int | None, config_path: Path | None, cache_dir: Path | None, no_cache: bool) -> None:
    """Write a decision record scaffold for the finding FINDING_ID (its id or fingerprint) of PATH.

    The scaffold goes to contracts/decisions/ of the finding's first service that has contracts; an
    existing file is never overwritten. It settles the finding once `agreed_by` is filled in
    (docs/contracts.md, decisions). Exit codes: 0 written, 2 no such finding or nowhere to write.
    """
    from .checks import CheckContext, run_checks
    from .commands.decide import DecideError, find, home, scaffold, write

    analysis = _analyse(path, Analysing(jobs, config_path, cache_dir, no_cache))
    ctx = CheckContext(analysis.graph, analysis.declared, analysis.inferred, analysis.config.retry_amplification, analysis.scan.call_index)
    now = _now()
    outcome, prints = _suppress(path, analysis, run_checks(ctx), now, None)
    try:
        f = find(outcome.kept + [f for f, _ in outcome.suppressed] + outcome.baselined, prints, finding_id)
        service = home(f, analysis.scan.services, set(analysis.declared.contracts))
        text = scaffold(f, service.name, prints[f.id], now.date())
        if dry_run:
            _emit(text, None)
            return
        written = write(path, service, f, text)
    except DecideError as exc:
        raise _fail(str(exc)) from None
    click.echo(f"wrote {written.relative_to(path).as_posix()}: fill in rationale and agreed_by; `contracts check` then reports {f.id} as ACCEPTED")


@main.command()
@click.argument("path", default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--apply", "apply_fixes", is_flag=True, help="Write the fixes (atomically, inside PATH, never through a symbolic link).")
@click.option("--finding", "finding_ids", multiple=True, metavar="ID", help="Only this finding (an id or a fingerprint; repeatable).")
@click.option("--format", "fmt", type=click.Choice(["diff", "json"]), default="diff", show_default=True)
@_analysing
def fix(
    path: Path,
    apply_fixes: bool,
    finding_ids: tuple[str, ...],
    fmt: str,
    analysing: Analysing,
) -> None:
    """Apply the code-side resolutions of PATH's findings that can be applied safely.

    Prints a unified diff (`git apply` reads it) and what each fix does; a fix that cannot be made
    safely is printed as a suggestion with the reason. With --apply the files are written, a file
    changed since the scan refused. Exit codes: 0 nothing to fix (or --apply wrote the fixes), 1
    fixes to apply, 2 a --finding that names no finding or a file that cannot be written
    (docs/contracts.md, Fixes; JSON: docs/schemas/fix.v1.schema.json).
    """
    from .checks import CheckContext, run_checks
    from .commands.fix import FixCommandError, document, render, run, select
    from .fix import FixError, write
    from .report import json_out

    _show_progress(analysing.quiet)
    analysis = _analyse(path, analysing)
    progress.stop()
    ctx = CheckContext(analysis.graph, analysis.declared, analysis.inferred, analysis.config.retry_amplification, analysis.scan.call_index)
    outcome, prints = _suppress(path, analysis, run_checks(ctx), _now(), None)
    open_findings = [f for f in outcome.kept if f.status not in ("ACCEPTED", "DECIDED")]
    try:
        fix_run = run(path, ctx, analysis.scan.facts, select(open_findings, prints, finding_ids))
        if apply_fixes and fix_run.changes:
            write(path, fix_run.changes)
    except (FixCommandError, FixError) as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        click.echo(json_out.dumps(document(fix_run, apply_fixes)), nl=False)
    else:
        click.echo(render(fix_run, apply_fixes), nl=False)
    if fix_run.changes and not apply_fixes:
        raise click.exceptions.Exit(1)


def _changed_only(path: Path, analysis: Analysis, outcome: Outcome, files: tuple[Path, ...]) -> Outcome:
    """``--changed``: the findings of the services owning ``files`` (extractor/changed.py)."""
    from .changed import limited, owning_services

    names = owning_services(path, files, analysis.scan.services)
    if names is None:
        click.echo("contracts: --changed: a changed file outside the services may configure them; checking every service", err=True)
        return outcome
    progress.stop()
    click.echo(f"contracts: --changed: findings of {', '.join(sorted(names)) or 'no service'}", err=True)
    return limited(outcome, names)


def _uri_prefix(path: Path) -> str:
    """PATH relative to the top of its git checkout, as a prefix of SARIF paths ("" at the top or outside git)."""
    import subprocess

    try:
        done = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-prefix"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _sarif(path: Path, findings: list[Finding], outcome: Outcome, prints: dict[str, str]) -> dict:
    from .checks import REGISTRY
    from .report import sarif
    from .report.findings_json import finding_json

    items = [sarif.Item(finding_json(f), prints[f.id]) for f in findings]
    for f, why in outcome.suppressed:
        items.append(sarif.Item(finding_json(f), prints[f.id], ("inSource" if why.origin == "inline" else "external", why.reason)))
    return sarif.document(items, REGISTRY, uri_prefix=_uri_prefix(path))


def _open_history(path: Path, config_path: Path | None, history: str | None) -> HistoryStore:
    """The history store (``--history``, else the configuration's, else the default), opened before
    any scan so that a store that cannot be used is reported at once."""
    from .history.store import HistoryError, HistoryStore, resolve_target

    try:
        return HistoryStore.open(resolve_target(path, load_config(path, config_path).history, history))
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    except HistoryError as exc:
        raise _fail(str(exc)) from None


def _record_run(
    store: HistoryStore, path: Path, findings: list[Finding], prints: dict[str, str], project: str | None, now: datetime, checks: frozenset[str] | None
) -> tuple[Run, list[RecordedFinding]]:
    """Record the run; the run and its findings as recorded."""
    from .commands.drift import record, run_info
    from .history.store import HistoryError, RecordedFinding
    from .report.findings_json import finding_json

    rows = [RecordedFinding(prints[f.id], finding_json(f)) for f in findings]
    try:
        return record(store, run_info(path, _load_rules(()), project, checks), rows, now), rows
    except HistoryError as exc:
        raise _fail(str(exc)) from None


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif"]), default="text", show_default=True)
@_REPORT_TO
@click.option("--since", default=None, metavar="DATE", help="Compare with the last run recorded before DATE (2026-12-01 or an ISO 8601 time).")
@click.option("--base", "base_rev", default=None, metavar="REV", help="Compare with git revision REV, checked out in a temporary worktree and checked there.")
@_HISTORY
@_PROJECT
@click.option("--check", "check_ids", multiple=True, help="Only these checks: ids, families (drift) or globs (drift.*); repeatable.")
@click.option(
    "--fail-on-new",
    type=click.Choice(["error", "warning", "info", "never"]),
    default="never",
    show_default=True,
    help="Exit 1 when a new finding is at least this severe.",
)
@_analysing
def drift(
    path: Path,
    fmt: str,
    output: Path | None,
    since: str | None,
    base_rev: str | None,
    history: str | None,
    project: str | None,
    check_ids: tuple[str, ...],
    fail_on_new: str,
    analysing: Analysing,
) -> None:
    """Record this run of PATH's checks in the history, then report what changed: new, fixed and
    still-open findings per service pair since the previous recorded run (or --since DATE, or
    --base REV), each finding's age, and a trend per check family (docs/drift.md).

    Exit codes: 0 success, 1 a new finding at or above --fail-on-new, 2 bad usage, a contract file
    error or a history store that cannot be used, 3 an internal error.
    """
    from .checks import REGISTRY, CheckContext, fails, run_checks
    from .commands.drift import DriftError, parse_since, worktree
    from .commands.drift import drift as compare_runs
    from .history.store import RecordedFinding
    from .report import drift_out, json_out
    from .report.findings_json import finding_json

    if since and base_rev:
        raise _fail("--since and --base: give one of them")
    only = _select_checks(check_ids)
    try:
        since_at = parse_since(since) if since else None
    except DriftError as exc:
        raise _fail(str(exc)) from None
    now = _now()

    def findings_of(root: Path) -> tuple[Analysis, list[Finding], dict[str, str]]:
        analysis = _analyse_or_end(root, analysing)
        ctx = CheckContext(analysis.graph, analysis.declared, analysis.inferred, analysis.config.retry_amplification, analysis.scan.call_index)
        progress.stage("checking")
        outcome, prints = _suppress(root, analysis, run_checks(ctx, only), now, None)
        return analysis, outcome.kept, prints

    store = _open_history(path, analysing.config_path, history)
    _show_progress(analysing.quiet)
    try:
        base: tuple[str, list[RecordedFinding]] | None = None
        if base_rev:
            try:
                with worktree(path, base_rev) as tree:
                    _, base_findings, base_prints = findings_of(tree)
            except DriftError as exc:
                raise _fail(str(exc)) from None
            base = (f"revision {base_rev}", [RecordedFinding(base_prints[f.id], finding_json(f)) for f in base_findings])
        analysis, findings, prints = findings_of(path)
        _no_sources(path, analysis)
        run, rows = _record_run(store, path, findings, prints, project, now, only)
        comparison = compare_runs(store, run, rows, since=since_at, base=base)
    finally:
        store.close()
    root = analysis.scan.root
    if fmt == "json":
        text = json_out.dumps(drift_out.document(comparison, root))
    elif fmt == "markdown":
        text = drift_out.render_markdown(comparison, root)
    elif fmt == "sarif":
        text = json_out.dumps(drift_out.render_sarif(comparison, REGISTRY, _uri_prefix(path)))
    else:
        text = drift_out.render_text(comparison, root)
    _emit(text, output)
    new = [f for f in findings if prints[f.id] in {e.finding.fingerprint for e in comparison.new}]
    if fails(new, fail_on_new):
        raise click.exceptions.Exit(1)


@main.command(name="diff")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--base", "base_rev", default=None, metavar="REV", help="The earlier git revision of the repository at PATH (checked out in a temporary worktree)."
)
@click.option("--head", "head_rev", default=None, metavar="REV", help="The later git revision (default: the working tree at PATH).")
@click.option(
    "--base-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Compare folder DIR (the earlier contracts) instead of a revision.",
)
@click.option("--head-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None, help="The later folder (default: PATH).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "sarif"]), default="text", show_default=True)
@_REPORT_TO
@_analysing
def diff(
    path: Path | None,
    base_rev: str | None,
    head_rev: str | None,
    base_dir: Path | None,
    head_dir: Path | None,
    fmt: str,
    output: Path | None,
    analysing: Analysing,
) -> None:
    """Compare the declared and inferred contracts of two revisions (--base REV [--head REV] of the
    repository at PATH, or --base-dir DIR [--head-dir DIR]) field by field, and class each change for
    every consumer relying on it: breaking, needs-migration or compatible, with the migration path and
    the consumers' file:line (docs/contracts.md, "Evolution").

    Exit codes: 0 no breaking change without a major version bump, 1 such a change, 2 bad usage or a
    contract file error, 3 an internal error.
    """
    import contextlib

    from .commands.diff import diff as compare
    from .commands.drift import DriftError, worktree
    from .report import diff_out, json_out

    if (base_rev is None) == (base_dir is None):
        raise _fail("give one of --base REV or --base-dir DIR")
    if head_rev is not None and base_rev is None:
        raise _fail("--head REV goes with --base REV")
    if head_dir is not None and base_dir is None:
        raise _fail("--head-dir DIR goes with --base-dir DIR")
    root = path if path is not None else head_dir if head_dir is not None else Path(".")

    _show_progress(analysing.quiet)
    try:
        with contextlib.ExitStack() as stack:
            if base_rev is not None:
                base = _analyse_or_end(stack.enter_context(worktree(root, base_rev)), analysing)
                try:
                    head = _analyse_or_end(stack.enter_context(worktree(root, head_rev)) if head_rev else root, analysing)
                except DriftError as exc:  # worktree() names the option --base
                    raise DriftError(str(exc).replace(f"--base {head_rev}", f"--head {head_rev}", 1)) from None
                labels = (f"revision {base_rev}", f"revision {head_rev}" if head_rev else "the working tree")
            else:
                assert base_dir is not None
                base, head = _analyse_or_end(base_dir, analysing), _analyse_or_end(head_dir or root, analysing)
                labels = (base_dir.as_posix(), (head_dir or root).as_posix())
    except DriftError as exc:
        raise _fail(str(exc)) from None
    result = compare(base, head, *labels)
    shown = Path(os.path.normpath(str(root))).as_posix()
    if fmt == "json":
        text = json_out.dumps(diff_out.document(result, shown))
    elif fmt == "markdown":
        text = diff_out.render_markdown(result, shown)
    elif fmt == "sarif":
        text = json_out.dumps(diff_out.render_sarif(result, _uri_prefix(root)))
    else:
        text = diff_out.render_text(result, shown)
    _emit(text, output)
    if result.errors:
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_file_out("-o", "--output", required=True, help="The HTML file to write.")
@click.option("--check", "check_ids", multiple=True, help="Only these checks: ids, families (drift) or globs (drift.*); repeatable.")
@_HISTORY
@_PROJECT
@_analysing
def report(
    path: Path,
    output: Path,
    check_ids: tuple[str, ...],
    history: str | None,
    project: str | None,
    analysing: Analysing,
) -> None:
    """Write one self-contained HTML page (no network needed to view it): the dependency graph with
    edges coloured by their worst finding, the findings filterable by service, check and status,
    each with both sides and their file:line, and the drift trend when a history store exists
    (docs/report.md). Nothing is recorded. Exit codes: 0 written, 2 bad usage, a history store that
    cannot be read, or a contract file error (the page is written and lists them), 3 an internal error."""
    from .checks import CheckContext, run_checks
    from .commands.report import HistoryError, finding_edges, read_history
    from .report import html

    only = _select_checks(check_ids)
    _show_progress(analysing.quiet)
    analysis = _analyse(path, analysing)
    _no_sources(path, analysis)
    ctx = CheckContext(analysis.graph, analysis.declared, analysis.inferred, analysis.config.retry_amplification, analysis.scan.call_index)
    now = _now()
    outcome, prints = _suppress(path, analysis, run_checks(ctx, only), now, None)
    findings = outcome.kept
    try:
        past = read_history(path, analysis.config.history, history, project, [prints[f.id] for f in findings])
    except HistoryError as exc:
        raise _fail(str(exc)) from None
    if history and past is None:
        click.echo(f"contracts: warning: --history {history}: no such file; the page has no drift trend", err=True)
    document = html.data(
        analysis.graph,
        analysis.scan.root,
        findings,
        analysis.declared.errors,
        finding_edges(analysis.graph, findings),
        unanalysed=analysis.scan.unanalysed(),
        run=_run_metadata(path, now),
        history=past,
        prints={f.id: prints[f.id] for f in findings},
    )
    _emit(html.render(document), output)
    _end_with_contract_errors(analysis)


def _service_map(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        observed, sep, service = value.partition("=")
        if not sep or not observed.strip() or not service.strip():
            raise _fail(f"--service {value!r}: expected OBSERVED=SERVICE (a service.name in the telemetry, and the scan's service)")
        pairs[observed.strip()] = service.strip()
    return pairs


@main.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_files_in("--traces", "traces", help="A trace export: OTLP JSON lines, Jaeger or Zipkin JSON (repeatable).")
@_files_in("--metrics", "metrics", help="Prometheus histograms: a text exposition snapshot or a range query's JSON (repeatable).")
@click.option(
    "--service", "service_map", multiple=True, metavar="OBSERVED=SERVICE", help="Name an observed service.name as a service of the scan (repeatable)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@_REPORT_TO
@_file_out("--stats", "stats_path", help="Also write the observed statistics (observe.v1 JSON) to FILE.")
@_FAIL_ON
@click.option("--check", "check_ids", multiple=True, help="Run only these observed.* checks (ids or globs); repeatable.")
@_analysing
def observe(
    path: Path,
    traces: tuple[Path, ...],
    metrics: tuple[Path, ...],
    service_map: tuple[str, ...],
    fmt: str,
    output: Path | None,
    stats_path: Path | None,
    fail_on: str,
    check_ids: tuple[str, ...],
    analysing: Analysing,
) -> None:
    """Read exported telemetry and check PATH's contracts and code against what runs (docs/observe.md).

    Exit codes as `check`: 0 no finding at or above --fail-on, 1 findings, 2 bad usage, an
    unreadable export or a contract file error, 3 an internal error.
    """
    from .checks import fails
    from .commands.observe import ObserveError, document, observe, observed_findings, render_summary
    from .report import findings_json, findings_text, json_out

    if not traces and not metrics:
        raise _fail("give at least one --traces or --metrics file")
    overrides = _service_map(service_map)
    only = _select_checks(check_ids)
    _show_progress(analysing.quiet)
    analysis = _analyse(path, analysing)
    _no_sources(path, analysis)
    progress.stage("reading telemetry")
    try:
        observed = observe(analysis, traces, metrics, overrides)
    except ObserveError as exc:
        raise _fail(str(exc)) from None
    now = _now()
    outcome, prints = _suppress(path, analysis, observed_findings(analysis, observed, only), now, None)
    findings = outcome.kept
    errors = analysis.declared.errors
    root = analysis.scan.root
    if stats_path is not None:
        _emit(json_out.dumps(document(root, observed)), stats_path)
    if fmt == "json":
        _emit(json_out.dumps(findings_json.document(root, findings, errors, analysis.scan.unanalysed(), _run_metadata(path, now))), output)
    elif fmt == "sarif":
        _emit(json_out.dumps(_sarif(path, findings, outcome, prints)), output)
    else:
        report = findings_text.render(
            root, findings, errors, len(analysis.graph.services), len(analysis.declared.files), None, analysis.scan.unanalysed(), _run_metadata(path, now)
        )
        _emit(render_summary(observed) + report.replace(f"contracts check {root}:", f"contracts observe {root}:", 1), output)
    if errors:
        click.echo(f"contracts: error: {len(errors)} contract file error(s); first: {errors[0]}", err=True)
        raise click.exceptions.Exit(2)
    if fails(findings, fail_on):
        raise click.exceptions.Exit(1)


@main.group()
def rules() -> None:
    """List, explain, document and test detection rules."""


@rules.command("list")
@click.option("--language", help="Only rules of this language.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True, file_okay=False))
def rules_list(language: str | None, fmt: str, rule_dirs: tuple[str, ...]) -> None:
    """List the rules: id, kind, status and title."""
    from . import docs

    catalog = _load_rules(rule_dirs)
    chosen = [r for r in catalog.rules if language is None or r.language == language]
    if fmt == "json":
        from .report import json_out

        click.echo(json_out.dumps([docs.rule_summary(r) for r in chosen]), nl=False)
        return
    click.echo(docs.render_index_text(chosen), nl=False)


@rules.command("explain")
@click.argument("rule_id")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True, file_okay=False))
def rules_explain(rule_id: str, rule_dirs: tuple[str, ...]) -> None:
    """Show a rule's documentation and its examples (the same text as docs/rules/)."""
    from . import docs

    catalog = _load_rules(rule_dirs)
    rule = catalog.get(rule_id)
    if rule is None:
        close = [r.id for r in catalog.rules if rule_id.split(".")[-1] in r.id]
        hint = f" Did you mean: {', '.join(close[:5])}?" if close else ""
        raise _fail(f"unknown rule {rule_id!r}.{hint}")
    click.echo(docs.render_rule(rule, catalog), nl=False)


@rules.command("docs")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Output directory (default: docs/rules of the checkout)."
)
@click.option("--check", is_flag=True, help="Exit 1 if the generated docs differ from the files on disk.")
def rules_docs(out_dir: Path | None, check: bool) -> None:
    """Generate docs/rules/ (index + one page per rule) from the rules and their fixtures."""
    from . import docs
    from .safeio import WriteError

    catalog = _load_rules(())
    target = out_dir or docs.default_docs_dir()
    try:
        stale = docs.write_docs(catalog, target, check=check)
        if out_dir is None:
            stale += docs.write_schemas(target.parent / "schemas", check=check)
            stale += docs.write_kind_docs(target.parent, check=check)
    except (WriteError, OSError) as exc:
        raise _fail(str(exc)) from None
    if check:
        if stale:
            click.echo("stale or missing rule docs:\n  " + "\n  ".join(stale) + "\nrun `contracts rules docs`", err=True)
            raise click.exceptions.Exit(1)
        click.echo("rule docs are current")
    else:
        click.echo(f"wrote {len(catalog.rules) + 1} pages to {target}")


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(exists=True, file_okay=False))
@click.option(
    "--fixtures",
    "fixtures_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Fixtures directory (default: fixtures/rules of the checkout).",
)
def rules_test(rule_ids: tuple[str, ...], rule_dirs: tuple[str, ...], fixtures_dir: Path | None) -> None:
    """Run rules over their annotated fixtures and report Missing / Noisy / Wrong value / Fixed todo."""
    from . import catalog as catalog_mod
    from .ruletest import check_rule

    catalog = _load_rules(rule_dirs)
    fixtures = fixtures_dir or catalog_mod.default_fixtures_dir()
    if fixtures is None:
        raise _fail("no fixtures directory; pass --fixtures DIR")
    chosen = [r for r in catalog.rules if not rule_ids or r.id in rule_ids]
    unknown = sorted(set(rule_ids) - {r.id for r in chosen})
    if unknown:
        raise _fail(f"unknown rule id(s): {', '.join(unknown)}")
    failed = 0
    for rule in chosen:
        report = check_rule(rule, catalog, fixtures, Path.cwd())
        click.echo(report.render())
        failed += bool(report.failures)
    click.echo(f"{len(chosen) - failed} passed, {failed} failed")
    if failed:
        raise click.exceptions.Exit(1)


@rules.command("new")
@click.argument("rule_id")
@click.option("--kind", default="http_call", show_default=True, help="The fact kind the rule reports.")
@click.option("--title", help="The rule's title (default: a TODO line).")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), help="Rules directory to write into (default: rules/ of the checkout).")
@click.option(
    "--fixtures",
    "fixtures_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Fixtures directory to write into (default: fixtures/rules of the checkout).",
)
def rules_new(rule_id: str, kind: str, title: str | None, rules_dir: Path | None, fixtures_dir: Path | None) -> None:
    """Scaffold a rule: rules/<language>/<category>/<name>.yaml and its same-stem fixture, whose
    placeholder lines fail `contracts rules test` until they are filled in. Never overwrites a file."""
    from . import catalog as catalog_mod
    from .commands.new_rule import ScaffoldError, next_steps, plan

    fixtures = fixtures_dir or catalog_mod.default_fixtures_dir()
    if fixtures is None:
        raise _fail("no fixtures directory; pass --fixtures DIR")
    try:
        scaffold = plan(rule_id, kind, rules_dir or catalog_mod.default_rules_dir(), fixtures, title)
        scaffold.write()
    except (ScaffoldError, FileExistsError) as exc:
        raise _fail(str(exc)) from None
    options = (f" --rules {rules_dir.as_posix()}" if rules_dir else "") + (f" --fixtures {fixtures_dir.as_posix()}" if fixtures_dir else "")
    click.echo(f"created {scaffold.rule_file.as_posix()}\ncreated {scaffold.fixture_file.as_posix()}\nnext:")
    for n, step in enumerate(next_steps(scaffold, f"contracts rules test {rule_id}{options}"), 1):
        click.echo(f"  {n}. {step}")


if __name__ == "__main__":  # pragma: no cover
    main()
