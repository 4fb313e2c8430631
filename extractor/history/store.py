"""The history store: recorded runs and their findings, in SQLite (default) or PostgreSQL.

SQLAlchemy is the database layer and Alembic migrates the schema (``migrations/``), so one code
path serves an embedded file and a team's server. Every write is one transaction: a run and all
its findings are recorded together or not at all. Concurrent writers are safe: on SQLite each
transaction starts with ``BEGIN IMMEDIATE`` (the writer waits for the database lock, up to
``BUSY_TIMEOUT`` seconds); on PostgreSQL migrations take a transaction-level advisory lock and runs
are plain inserts. Tables are prefixed ``contracts_`` so a shared database can hold them beside
others, and every run names its ``project`` so one database can hold many repositories.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from .. import safeio

DEFAULT_PATH = ".contracts/history.db"
"""Where the history is kept when nothing else is configured, relative to the scanned root."""
BUSY_TIMEOUT = 60.0
"""Seconds a SQLite writer waits for another one to finish."""
_MIGRATION_LOCK = 0x636F6E7472616374  # the PostgreSQL advisory lock taken while migrating


class HistoryError(Exception):
    """The history store cannot be opened, migrated, read or written; the message says which and why."""


@dataclass(frozen=True)
class Run:
    """One recorded run (``id`` 0 before it is recorded). ``recorded_at`` is UTC; ``checks`` the
    sorted, comma-separated ids of the checks run ("": all of them)."""

    project: str
    commit: str | None
    branch: str | None
    recorded_at: dt.datetime
    tool_version: str
    rules_hash: str
    findings_count: int = 0
    id: int = 0
    checks: str = ""


@dataclass(frozen=True)
class RecordedFinding:
    """A finding as the history keeps it: its fingerprint and its ``check --format json`` form."""

    fingerprint: str
    document: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.document["id"])

    @property
    def check(self) -> str:
        return str(self.document["check"])

    @property
    def kind(self) -> str:
        return str(self.document["kind"])

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.document["services"])


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC time (a naive one is taken as UTC)."""
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment.astimezone(dt.timezone.utc)


def utc_text(moment: dt.datetime) -> str:
    """``moment`` in UTC as reports write it: ``2026-12-07T06:00:00Z``."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _naive(moment: dt.datetime) -> dt.datetime:
    return utc(moment).replace(tzinfo=None)


def is_url(target: str) -> bool:
    return "://" in target


def resolve_target(root: Path, configured: str, given: str | None) -> str:
    """The store to use as a SQLAlchemy URL: ``--history`` (a URL, or a file path as given), else the
    configuration's ``history`` (a URL, or a path inside the root), else ``.contracts/history.db``
    under the root. A SQLite file under the root is prepared through ``safeio``'s rules: its folders
    are created without following links, and a link on the way or at the file is refused."""
    if given:
        if is_url(given):
            return _url(given)
        path = Path(given)
        if path.is_symlink():
            raise HistoryError(f"{given}: a symbolic link; the history is not written through it")
        if not path.parent.is_dir():
            raise HistoryError(f"{given}: the folder {path.parent.as_posix()} does not exist (create it first)")
        return f"sqlite:///{path.resolve().as_posix()}"
    if configured and is_url(configured):
        return _url(configured)
    return f"sqlite:///{prepare_file(root, configured or DEFAULT_PATH).as_posix()}"


def _url(url: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    if url.startswith(("postgresql+", "sqlite://")):
        return url
    raise HistoryError(f"{url.split('://')[0]}://...: not a supported history store (a postgresql:// URL, or a path of a SQLite file)")


def prepare_file(root: Path, rel: str) -> Path:
    """The SQLite file ``rel`` inside ``root``, its folders created (a new folder gets a ``.gitignore``
    of ``*``, keeping the history out of the repository). Refused when a link is on the way."""
    parts = PurePosixPath(rel)
    folder = parts.parent
    try:
        if folder != PurePosixPath(".") and not (root / folder).exists() and not (root / folder).is_symlink():
            safeio.write_text(root, folder / ".gitignore", "*\n")
    except safeio.WriteError as exc:
        raise HistoryError(f"cannot create the history's folder: {exc}") from None
    real_root = root.resolve()
    target = root / parts
    if (root / folder).resolve() != real_root.joinpath(*folder.parts) or not (root / folder).is_dir():
        raise HistoryError(f"{rel}: a symbolic link or a file is on the way inside {root.as_posix()}; the history is not written through it")
    if target.is_symlink():
        raise HistoryError(f"{rel}: a symbolic link; the history is not written through it")
    return real_root.joinpath(*parts.parts)


class HistoryStore:
    """Runs and findings in one database; open with ``HistoryStore.open(url)``, close when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.runs_table = sa.Table("contracts_runs", sa.MetaData())
        self.findings_table = sa.Table("contracts_findings", sa.MetaData())

    def _reflect(self) -> None:
        """The tables as the migrations made them (``migrations/versions/``, the one definition of the schema)."""
        metadata = sa.MetaData()
        with self.engine.connect() as conn:
            self.runs_table = sa.Table("contracts_runs", metadata, autoload_with=conn)
            self.findings_table = sa.Table("contracts_findings", metadata, autoload_with=conn)

    @classmethod
    def open(cls, url: str) -> HistoryStore:
        """Connect and bring the schema to the newest migration (serialised against other writers)."""
        try:
            if url.startswith("sqlite"):
                engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT})
                sa.event.listen(engine, "connect", _sqlite_connect)
                sa.event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = sa.create_engine(url, poolclass=NullPool)
            store = cls(engine)
            store._migrate()
            store._reflect()
        except HistoryError:
            raise
        except Exception as exc:
            raise HistoryError(f"cannot open the history store {_shown(url)}: {_reason(exc)}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def _migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    # -- writing --------------------------------------------------------------------------------------

    def record(self, run: Run, findings: Sequence[RecordedFinding]) -> Run:
        """Record ``run`` with its findings in one transaction; the run as recorded (with its id)."""
        try:
            with self.engine.begin() as conn:
                inserted = conn.execute(
                    self.runs_table.insert().values(
                        project=run.project,
                        commit=run.commit,
                        branch=run.branch,
                        recorded_at=_naive(run.recorded_at),
                        tool_version=run.tool_version,
                        rules_hash=run.rules_hash,
                        checks=run.checks,
                        findings_count=len(findings),
                    )
                ).inserted_primary_key
                if inserted is None:
                    raise HistoryError("the database returned no id for the run")
                run_id = int(inserted[0])
                rows = [
                    {
                        "run_id": run_id,
                        "fingerprint": f.fingerprint,
                        "finding_id": f.id,
                        "check_id": f.check,
                        "kind": f.kind,
                        "severity": str(f.document["severity"]),
                        "services": " -> ".join(f.services),
                        "document": json.dumps(f.document, sort_keys=True),
                    }
                    for f in findings
                ]
                if rows:
                    self._insert_findings(conn, rows)
        except Exception as exc:
            raise HistoryError(f"the run was not recorded: {_reason(exc)}") from None
        return Run(run.project, run.commit, run.branch, utc(run.recorded_at), run.tool_version, run.rules_hash, len(findings), int(run_id), run.checks)

    def _insert_findings(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        conn.execute(self.findings_table.insert(), rows)

    # -- reading --------------------------------------------------------------------------------------

    def runs(
        self,
        project: str,
        branch: str | None = None,
        *,
        checks: str | None = None,
        before: Run | None = None,
        at_or_before: dt.datetime | None = None,
        limit: int = 1,
    ) -> list[Run]:
        """The project's newest runs first (of ``branch`` and of the ``checks`` selection when given):
        before the run ``before``, or recorded at or before ``at_or_before``."""
        query = sa.select(self.runs_table).where(self.runs_table.c.project == project)
        if checks is not None:
            query = query.where(self.runs_table.c.checks == checks)
        if branch is not None:
            query = query.where(self.runs_table.c.branch == branch)
        if before is not None:
            query = query.where(
                sa.or_(
                    self.runs_table.c.recorded_at < _naive(before.recorded_at),
                    sa.and_(self.runs_table.c.recorded_at == _naive(before.recorded_at), self.runs_table.c.id < before.id),
                )
            )
        if at_or_before is not None:
            query = query.where(self.runs_table.c.recorded_at <= _naive(at_or_before))
        query = query.order_by(self.runs_table.c.recorded_at.desc(), self.runs_table.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_run(row) for row in conn.execute(query).mappings()]

    def findings(self, run: Run) -> list[RecordedFinding]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(self.findings_table.c.fingerprint, self.findings_table.c.document)
                .where(self.findings_table.c.run_id == run.id)
                .order_by(self.findings_table.c.fingerprint)
            )
            return [RecordedFinding(fp, json.loads(doc)) for fp, doc in rows]

    def first_seen(self, project: str, fingerprints: Iterable[str], branch: str | None = None) -> dict[str, dt.datetime]:
        """When each fingerprint was first recorded for the project (and branch, when given)."""
        wanted = sorted(set(fingerprints))
        out: dict[str, dt.datetime] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                query = (
                    sa.select(self.findings_table.c.fingerprint, sa.func.min(self.runs_table.c.recorded_at))
                    .join(self.runs_table, self.runs_table.c.id == self.findings_table.c.run_id)
                    .where(self.runs_table.c.project == project, self.findings_table.c.fingerprint.in_(wanted[i : i + 500]))
                    .group_by(self.findings_table.c.fingerprint)
                )
                if branch is not None:
                    query = query.where(self.runs_table.c.branch == branch)
                out.update({fp: utc(when) for fp, when in conn.execute(query)})
        return out

    def counts_by_kind(self, runs: Sequence[Run]) -> dict[int, dict[str, int]]:
        """Run id → findings per check family (``kind``)."""
        out: dict[int, dict[str, int]] = {r.id: {} for r in runs}
        if not runs:
            return out
        query = (
            sa.select(self.findings_table.c.run_id, self.findings_table.c.kind, sa.func.count())
            .where(self.findings_table.c.run_id.in_([r.id for r in runs]))
            .group_by(self.findings_table.c.run_id, self.findings_table.c.kind)
        )
        with self.engine.connect() as conn:
            for run_id, kind, count in conn.execute(query):
                out[run_id][kind] = int(count)
        return out


def _run(row: Any) -> Run:
    return Run(
        row["project"],
        row["commit"],
        row["branch"],
        utc(row["recorded_at"]),
        row["tool_version"],
        row["rules_hash"],
        row["findings_count"],
        row["id"],
        row["checks"],
    )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver issues no BEGIN of its own: _sqlite_begin does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _shown(url: str) -> str:
    """A URL without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://")[0] + "://..."


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
