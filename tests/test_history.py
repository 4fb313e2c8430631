"""The history store and `contracts drift`: a nightly scenario over three commits (SQLite and a real
PostgreSQL server), --base and --since, concurrent writers, a failed run, links refused."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import subprocess
import uuid
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.checks import REGISTRY
from extractor.cli import main
from extractor.config import ConfigError, load_config
from extractor.history.store import HistoryError, HistoryStore, RecordedFinding, Run, prepare_file, resolve_target

from .conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
PG_ENV = "CONTRACTS_TEST_POSTGRES_URL"
DAY = [dt.datetime(2026, 12, d, 2, 0, tzinfo=dt.timezone.utc) for d in (1, 1, 2, 3, 4)]  # DAY[1..4]: the nights


# -- the stores under test ---------------------------------------------------------------------------


def _postgres_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} is not set under CI: .ci/run starts a PostgreSQL server and sets it")
        pytest.skip(f"no PostgreSQL server ({PG_ENV} unset; .ci/run starts one)")
    return url


@pytest.fixture
def postgres_database():
    """A fresh database on the test server, dropped afterwards; its URL."""
    import psycopg

    url = _postgres_url()
    name = f"contracts_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = url.partition("?")
    yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """The history store of one test: a SQLite file in a temporary root, or a PostgreSQL database."""
    if request.param == "sqlite":
        return resolve_target(tmp_path, "", None)
    return request.getfixturevalue("postgres_database")


# -- a sample monorepo in three commits ------------------------------------------------------------


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.email=nightly@example.com", "-c", "user.name=nightly", "commit", "-qm", message)


def sample_repo(root: Path) -> Path:
    """The fraud-detection sample as a git repository of one commit (``main``)."""
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".contracts-cache", ".contracts", "__pycache__"))
    git(root, "init", "-q", "-b", "main")
    commit(root, "the sample as shipped")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), "utf-8")


def introduce_a_drift(root: Path) -> None:
    """Commit 2: the device-fingerprint call loses its timeout."""
    edit(root / "risk-service/risk/signals.py", '/fingerprint/{user_id}", timeout=1.5)', '/fingerprint/{user_id}")')
    commit(root, "device fingerprint without a timeout")


def fix_one_add_one(root: Path) -> None:
    """Commit 3: the fraud-signals call gets a timeout (fixed); checkout declares its payment
    dependency (fixes the undeclared dependency) with a timeout its code does not use (a new drift)."""
    edit(root / "risk-service/risk/signals.py", 'json={"transaction_id": tx_id})', 'json={"transaction_id": tx_id}, timeout=2)')
    deps = root / "checkout-service/contracts/dependencies.yaml"
    deps.write_text(deps.read_text("utf-8") + "  - service: payment\n    operation: authorize\n    timeout: 1s\n    retry: none\n", "utf-8")
    commit(root, "fraud-signals timeout; payment dependency declared")


FIRST = {
    ("access.data-policy", ("support", "risk"), "fraud_decision_breakdown"),
    ("drift.fallback", ("checkout", "risk"), "scoreTransaction"),
    ("drift.replica-read", ("risk", "orders"), "user_purchases"),
    ("drift.retry", ("checkout", "risk"), "scoreTransaction"),
    ("drift.timeout", ("checkout", "risk"), "scoreTransaction"),
    ("drift.undeclared-dependency", ("checkout", "payment"), "payment"),
    ("freshness.dataset", ("risk", "orders"), "user_purchases"),
    ("idempotency.new-id-on-retry", ("checkout", "risk"), "scoreTransaction"),
    ("latency.budget", ("checkout", "risk"), "scoreTransaction"),
    ("latency.timeout", ("checkout", "risk"), "scoreTransaction"),
    ("system.missing-timeout", ("risk", "api.fraud-signals.example.com"), "api.fraud-signals.example.com"),
    ("system.timeout-inversion", ("checkout", "payment"), "authorize"),
    ("system.timeout-inversion", ("checkout", "risk"), "scoreTransaction"),
}
DEVICE = ("system.missing-timeout", ("risk", "device-intel.internal"), "device-intel.internal")
SIGNALS = ("system.missing-timeout", ("risk", "api.fraud-signals.example.com"), "api.fraud-signals.example.com")
UNDECLARED = ("drift.undeclared-dependency", ("checkout", "payment"), "payment")
PAYMENT_DRIFT = ("drift.timeout", ("checkout", "payment"), "authorize")


def drift_json(root: Path, url: str, now: dt.datetime, *extra: str) -> dict:
    result = CliRunner().invoke(
        main,
        ["drift", str(root), "--history", url, "--format", "json", "--jobs", "1", "--no-cache", *extra],
        env={"CONTRACTS_NOW": now.isoformat()},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, drift_schema())
    return doc


def drift_schema() -> dict:
    return json.loads(resources.files("extractor.schemas").joinpath("drift.v1.schema.json").read_text("utf-8"))


def keys(entries: list[dict]) -> set[tuple]:
    return {(e["check"], tuple(e["services"]), e["subject"]) for e in entries}


def test_nightly_scenario_three_commits(tmp_path, store_url):
    """Three nights, one commit each: exactly the expected new / fixed / still-open sets, ages and trend."""
    root = sample_repo(tmp_path / "shop")
    night1 = drift_json(root, store_url, DAY[1])
    assert night1["compared_with"]["run"] is None
    assert keys(night1["new"]) == FIRST and night1["fixed"] == [] and night1["still_open"] == []
    assert night1["run"]["branch"] == "main" and night1["run"]["commit"] == git(root, "rev-parse", "HEAD").strip()

    introduce_a_drift(root)
    night2 = drift_json(root, store_url, DAY[2])
    assert night2["compared_with"]["run"]["id"] == night1["run"]["id"]
    assert keys(night2["new"]) == {DEVICE}
    assert night2["fixed"] == []
    assert keys(night2["still_open"]) == FIRST

    fix_one_add_one(root)
    night3 = drift_json(root, store_url, DAY[3])
    assert night3["compared_with"]["run"]["id"] == night2["run"]["id"]
    assert keys(night3["new"]) == {PAYMENT_DRIFT}
    assert keys(night3["fixed"]) == {SIGNALS, UNDECLARED}
    assert keys(night3["still_open"]) == (FIRST - {SIGNALS, UNDECLARED}) | {DEVICE}
    ages = {(e["check"], tuple(e["services"]), e["subject"]): (e["first_seen"], e["age_days"]) for e in night3["still_open"]}
    assert ages[DEVICE] == ("2026-12-02T02:00:00Z", 1)
    assert ages[("latency.budget", ("checkout", "risk"), "scoreTransaction")] == ("2026-12-01T02:00:00Z", 2)
    assert {e["first_seen"] for e in night3["fixed"]} == {"2026-12-01T02:00:00Z"}
    assert [p["counts"].get("drift", 0) for p in night3["trend"]] == [5, 5, 5]  # undeclared dependency fixed, payment timeout drift new
    assert [p["counts"]["missing-timeout"] for p in night3["trend"]] == [1, 2, 1]
    assert [p["run"] for p in night3["trend"]] == [night1["run"]["id"], night2["run"]["id"], night3["run"]["id"]]

    # a fourth night with no commit: nothing new, nothing fixed
    night4 = drift_json(root, store_url, DAY[4])
    assert night4["new"] == [] and night4["fixed"] == [] and keys(night4["still_open"]) == keys(night3["new"] + night3["still_open"])

    # --since: compared with the last run recorded before that day (night 1), recorded as a fifth run
    since = drift_json(root, store_url, DAY[4] + dt.timedelta(hours=1), "--since", "2026-12-02")
    assert since["compared_with"]["run"]["id"] == night1["run"]["id"]
    assert keys(since["new"]) == {DEVICE, PAYMENT_DRIFT}
    assert keys(since["fixed"]) == {SIGNALS, UNDECLARED}


def test_base_compares_with_a_revision_checked_out_in_a_temporary_worktree(tmp_path):
    root = sample_repo(tmp_path / "shop")
    introduce_a_drift(root)
    fix_one_add_one(root)
    url = resolve_target(tmp_path, "", None)
    doc = drift_json(root, url, DAY[3], "--base", "HEAD~1")
    assert doc["compared_with"] == {"label": "revision HEAD~1", "run": None}
    assert keys(doc["new"]) == {PAYMENT_DRIFT}
    assert keys(doc["fixed"]) == {SIGNALS, UNDECLARED}
    assert keys(doc["still_open"]) == (FIRST - {SIGNALS, UNDECLARED}) | {DEVICE}
    assert git(root, "worktree", "list").count("\n") == 1, "the temporary worktree was not removed"
    assert git(root, "status", "--porcelain") == ""


def test_base_needs_a_known_revision(tmp_path):
    root = sample_repo(tmp_path / "shop")
    result = CliRunner().invoke(main, ["drift", str(root), "--base", "no-such-rev", "--history", str(tmp_path / "h.db")])
    assert result.exit_code == 2
    assert "--base no-such-rev: not a revision" in result.output


def test_markdown_and_text_group_per_service_pair(tmp_path):
    root = sample_repo(tmp_path / "shop")
    url = resolve_target(tmp_path, "", None)
    drift_json(root, url, DAY[1])
    introduce_a_drift(root)
    out = {}
    for fmt in ("text", "markdown"):
        result = CliRunner().invoke(main, ["drift", str(root), "--history", url, "--format", fmt, "--jobs", "1"], env={"CONTRACTS_NOW": DAY[2].isoformat()})
        assert result.exit_code == 0, result.output
        out[fmt] = result.stdout
    assert "1 new, 0 fixed, 13 still open" in out["text"]
    assert "risk → device-intel.internal\n  new        warning system.missing-timeout [device-intel.internal]" in out["text"]
    assert "  missing-timeout: 1 → 2\n" in out["text"]  # night 1, then night 2's first run
    assert "- missing-timeout: 1 → 2 → 2\n" in out["markdown"]  # and its second
    assert out["markdown"].startswith("### Contract drift: 0 new, 0 fixed, 14 still open")
    assert "#### risk → device-intel.internal" in out["markdown"]
    assert "| **still open** | warning | `system.missing-timeout` | device-intel.internal | 2026-12-02 (today) |" in out["markdown"]


def test_fail_on_new(tmp_path):
    root = sample_repo(tmp_path / "shop")
    url = resolve_target(tmp_path, "", None)
    first = CliRunner().invoke(main, ["drift", str(root), "--history", url, "--fail-on-new", "error", "--jobs", "1"])
    assert first.exit_code == 1  # every finding of the first run is new, and some are errors
    again = CliRunner().invoke(main, ["drift", str(root), "--history", url, "--fail-on-new", "error", "--jobs", "1"])
    assert again.exit_code == 0


# -- the store ---------------------------------------------------------------------------------------


def finding_doc(n: int, check: str = "drift.timeout", kind: str = "drift") -> dict:
    return {"id": f"{check}:{n:012x}", "check": check, "kind": kind, "severity": "error", "services": ["a", "b"], "subject": f"op{n}", "locations": []}


def _record_many(url: str, project: str, count: int, start, done) -> None:
    store = HistoryStore.open(url)
    start.wait()
    run = store.record(
        Run(project, None, None, dt.datetime.now(dt.timezone.utc), "t", "r"), [RecordedFinding(f"{project}-{n}", finding_doc(n)) for n in range(count)]
    )
    store.close()
    done.put(run.id)


def test_two_writers_at_once_both_succeed(store_url):
    """Two processes open a fresh store (migrating it) and record a run at the same moment."""
    ctx = multiprocessing.get_context("fork")
    start, done = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_record_many, args=(store_url, name, 300, start, done)) for name in ("job-a", "job-b")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    ids = sorted(done.get(timeout=5) for _ in workers)
    assert len(set(ids)) == 2
    store = HistoryStore.open(store_url)
    try:
        for name in ("job-a", "job-b"):
            (run,) = store.runs(name, limit=5)
            assert run.findings_count == 300
            assert len(store.findings(run)) == 300
    finally:
        store.close()


def test_a_run_that_fails_midway_records_nothing(store_url, monkeypatch):
    store = HistoryStore.open(store_url)
    real = HistoryStore._insert_findings

    def half_then_fail(self, conn, rows):
        real(self, conn, rows[: len(rows) // 2])
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(HistoryStore, "_insert_findings", half_then_fail)
    try:
        with pytest.raises(HistoryError, match="the run was not recorded: the disk is full"):
            store.record(Run("p", "abc", "main", DAY[1], "t", "r"), [RecordedFinding(str(n), finding_doc(n)) for n in range(10)])
        assert store.runs("p", limit=10) == []
        import sqlalchemy as sa

        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM contracts_findings")).scalar() == 0
    finally:
        store.close()


def test_runs_keep_their_metadata(store_url):
    store = HistoryStore.open(store_url)
    try:
        run = store.record(Run("p", "c0ffee", "main", DAY[1], "0.1.0", "abcd"), [RecordedFinding("fp1", finding_doc(1))])
        (again,) = store.runs("p")
        assert again == run
        assert (again.commit, again.branch, again.recorded_at, again.tool_version, again.rules_hash, again.findings_count) == (
            "c0ffee",
            "main",
            DAY[1],
            "0.1.0",
            "abcd",
            1,
        )
        assert store.findings(run) == [RecordedFinding("fp1", finding_doc(1))]
        assert store.first_seen("p", ["fp1", "nope"]) == {"fp1": DAY[1]}
    finally:
        store.close()


def test_a_check_run_with_record_is_in_the_history(tmp_path):
    root = sample_repo(tmp_path / "shop")
    result = CliRunner().invoke(main, ["check", str(root), "--record", "--fail-on", "never", "--jobs", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    store = HistoryStore.open(resolve_target(root, "", None))
    try:
        (run,) = store.runs("shop")
        assert run.findings_count == len(json.loads(result.stdout)["findings"]) == 13
        assert run.branch == "main"
    finally:
        store.close()
    assert (root / ".contracts/.gitignore").read_text() == "*\n"
    assert git(root, "status", "--porcelain") == ""  # the history stays out of the repository


# -- where the SQLite file may be ---------------------------------------------------------------------


def test_a_link_on_the_way_to_the_history_is_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / ".contracts").symlink_to(outside, target_is_directory=True)
    with pytest.raises(HistoryError, match="symbolic link"):
        prepare_file(root, ".contracts/history.db")
    (root / ".contracts").unlink()
    (root / ".contracts").mkdir()
    (root / ".contracts/history.db").symlink_to(outside / "stolen.db")
    with pytest.raises(HistoryError, match="a symbolic link; the history is not written through it"):
        prepare_file(root, ".contracts/history.db")
    assert list(outside.iterdir()) == []


def test_the_cli_refuses_a_linked_history_folder(tmp_path):
    root = sample_repo(tmp_path / "shop")
    (tmp_path / "elsewhere").mkdir()
    (root / ".contracts").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = CliRunner().invoke(main, ["drift", str(root), "--jobs", "1"])
    assert result.exit_code == 2
    assert "symbolic link" in result.output
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_the_configuration_names_the_store(tmp_path):
    (tmp_path / "contracts.toml").write_text('history = "var/runs.db"\n')
    config = load_config(tmp_path)
    assert config.history == "var/runs.db"
    assert resolve_target(tmp_path, config.history, None) == f"sqlite:///{(tmp_path / 'var/runs.db').resolve().as_posix()}"
    assert (tmp_path / "var/.gitignore").is_file()
    (tmp_path / "contracts.toml").write_text('history = "postgresql://ci@db.internal/contracts"\n')
    assert resolve_target(tmp_path, load_config(tmp_path).history, None) == "postgresql+psycopg://ci@db.internal/contracts"
    for bad in ('"../outside.db"', '"/abs/h.db"', '"mysql://x/y"', "3"):
        (tmp_path / "contracts.toml").write_text(f"history = {bad}\n")
        with pytest.raises(ConfigError, match=r"contracts\.toml:1: history must be"):
            load_config(tmp_path)


def test_a_store_that_cannot_be_used_is_reported_before_any_scan(tmp_path, monkeypatch):
    import extractor.cli

    def no_scan(*args, **kwargs):
        raise AssertionError("scanned before the store was checked")

    monkeypatch.setattr(extractor.cli, "_analyse", no_scan)
    root = sample_repo(tmp_path / "shop")
    for command in (["drift", str(root)], ["check", str(root), "--record"]):
        result = CliRunner().invoke(main, [*command, "--history", "mysql://db/contracts"])
        assert result.exit_code == 2
        assert "mysql://...: not a supported history store" in result.stderr


def test_runs_of_some_checks_are_compared_only_with_runs_of_the_same_checks(tmp_path):
    root = sample_repo(tmp_path / "shop")
    url = resolve_target(tmp_path, "", None)
    some = drift_json(root, url, DAY[1], "--check", "drift.*")
    assert some["run"]["checks"] == sorted(c for c in REGISTRY if c.startswith("drift."))
    assert {e["check"] for e in some["new"]} == {"drift.fallback", "drift.replica-read", "drift.retry", "drift.timeout", "drift.undeclared-dependency"}
    every = drift_json(root, url, DAY[2])
    assert every["run"]["checks"] == [] and every["compared_with"]["run"] is None and len(every["new"]) == 13
    again = drift_json(root, url, DAY[3], "--check", "drift")
    assert again["compared_with"]["run"]["id"] == some["run"]["id"]
    assert again["new"] == [] and len(again["still_open"]) == 5
    assert [p["run"] for p in again["trend"]] == [some["run"]["id"], again["run"]["id"]]


def test_an_older_store_is_migrated_in_place(tmp_path):
    """A store at the first schema revision (before runs kept their checks) is upgraded on opening; its runs stay."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from extractor.history import store as store_module

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text(
                'INSERT INTO contracts_runs (project, "commit", branch, recorded_at, tool_version, rules_hash, findings_count) '
                "VALUES ('p', 'abc', 'main', '2026-11-30 02:00:00.000000', '0.0.9', 'r0', 0)"
            )
        )
    engine.dispose()
    store = HistoryStore.open(url)
    try:
        (run,) = store.runs("p")
        assert (run.commit, run.tool_version, run.checks, run.recorded_at) == ("abc", "0.0.9", "", dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc))
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM contracts_history_version")).scalar() == "0002"
    finally:
        store.close()
