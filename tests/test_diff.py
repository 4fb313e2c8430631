"""`contracts diff`: one parametrized test over the before/after pairs of fixtures/evolution/ (each
case's expected.yaml gives the exit code and every change with its class and its consumers' classes,
so a new case needs no test code), the fraud-detection sample's scripted evolution in git, and the
output formats."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from extractor.cli import main

from .conftest import FIXTURES, REPO
from .test_history import commit, edit, sample_repo

CASES = sorted(p for p in (FIXTURES / "evolution").iterdir() if p.is_dir())


def schema() -> dict:
    return json.loads(resources.files("extractor.schemas").joinpath("diff.v1.schema.json").read_text("utf-8"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", *args, "-q"], catch_exceptions=False)
    return result.exit_code, result.stdout


def summary(change: dict) -> dict:
    """A change as expected.yaml spells it."""
    return {
        "service": change["service"],
        "kind": change["kind"],
        "origin": change["origin"],
        "field": change["field"],
        "class": change["class"],
        "severity": change["severity"],
        "consumers": {c["service"]: c["class"] for c in change["consumers"]},
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_evolution_case(case: Path):
    expected = yaml.safe_load((case / "expected.yaml").read_text("utf-8"))
    code, out = run("--base-dir", str(case / "before"), "--head-dir", str(case / "after"), "--format", "json")
    document = json.loads(out)
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert [summary(c) for c in document["changes"]] == expected["changes"]
    assert code == expected["exit"]
    assert document["summary"]["errors"] == sum(1 for c in expected["changes"] if c["severity"] == "error")
    for change in document["changes"]:
        for consumer in change["consumers"]:
            assert consumer["migration"] and consumer["locations"], (change["kind"], consumer)


def test_every_case_has_both_revisions_and_expectations():
    assert len(CASES) >= 15
    for case in CASES:
        assert (case / "before").is_dir() and (case / "after").is_dir() and (case / "expected.yaml").is_file(), case.name


def test_the_published_schema_is_the_packaged_one():
    published = (REPO / "docs" / "schemas" / "diff.v1.schema.json").read_text("utf-8")
    assert published == resources.files("extractor.schemas").joinpath("diff.v1.schema.json").read_text("utf-8")


# -- the fraud-detection sample, evolved in git ------------------------------------------------------


def evolve(root: Path) -> None:
    """Commit 2: risk promises p95 1.5 s instead of 150 ms; orders serves user_purchases as an event
    stream (5 s max) while risk's code still reads the orders replica."""
    edit(root / "risk-service/contracts/sla.yaml", "target: p50=80ms, p95=150ms", "target: p50=80ms, p95=1.5s")
    edit(
        root / "orders-service/contracts/data.yaml", "via: database_replica\n    freshness: 15-30s typical, 60s max", "via: event_stream\n    freshness: 5s max"
    )
    commit(root, "risk slower; orders as an event stream")


@pytest.fixture(scope="module")
def evolved(tmp_path_factory) -> Path:
    root = sample_repo(tmp_path_factory.mktemp("diff") / "sample")
    evolve(root)
    return root


def test_the_sample_evolution_in_json(evolved: Path):
    code, out = run(str(evolved), "--base", "HEAD~1", "--format", "json")
    document = json.loads(out)
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert code == 1
    assert (document["base"], document["head"]) == ("revision HEAD~1", "the working tree")
    assert document["summary"] == {"breaking": 2, "needs_migration": 0, "compatible": 1, "errors": 2}
    by_kind = {c["kind"]: c for c in document["changes"]}
    assert sorted(by_kind) == ["dataset-moved-to-stream", "freshness-better", "latency-slower"]

    slower = by_kind["latency-slower"]
    assert (slower["service"], slower["field"], slower["before"], slower["after"]) == ("risk", "latency.target.p95", "150ms", "1500ms")
    assert slower["location"] == {"file": "risk-service/contracts/sla.yaml", "line": 7, "origin": "declared", "revision": "head"}
    [checkout] = slower["consumers"]
    assert (checkout["service"], checkout["class"]) == ("checkout", "breaking")
    where = {(l["file"], l["line"]) for l in checkout["locations"]}
    assert where == {("checkout-service/checkout/fraud.py", 20), ("checkout-service/contracts/dependencies.yaml", 4)}
    assert "p95 1500ms" in checkout["migration"]

    moved = by_kind["dataset-moved-to-stream"]
    assert (moved["service"], moved["before"], moved["after"], moved["class"], moved["severity"]) == (
        "orders",
        "database_replica",
        "event_stream",
        "breaking",
        "error",
    )
    [risk] = moved["consumers"]
    assert risk["service"] == "risk" and risk["class"] == "breaking"
    assert {(l["file"], l["line"]) for l in risk["locations"]} == {("risk-service/contracts/data.yaml", 4), ("risk-service/risk/history.py", 11)}
    assert "still reads the database_replica of user_purchases (risk-service/risk/history.py:11)" in risk["migration"]
    assert by_kind["freshness-better"]["class"] == "compatible"


def test_the_sample_evolution_with_a_major_bump_is_reported_not_failed(tmp_path):
    root = sample_repo(tmp_path / "sample")
    evolve(root)
    for rel in ("risk-service/contracts/sla.yaml", "orders-service/contracts/data.yaml"):
        service = "risk" if rel.startswith("risk") else "orders"
        edit(root / rel, f"service: {service}\n", f"service: {service}\nversion: 2.0.0\n")
    commit(root, "major versions")
    code, out = run(str(root), "--base", "HEAD~2", "--head", "HEAD", "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert document["head"] == "revision HEAD"
    assert document["summary"] == {"breaking": 2, "needs_migration": 0, "compatible": 1, "errors": 0}
    assert document["versions"] == [
        {"service": "orders", "before": None, "after": "2.0.0", "major_bump": True},
        {"service": "risk", "before": None, "after": "2.0.0", "major_bump": True},
    ]
    assert {c["severity"] for c in document["changes"] if c["class"] == "breaking"} == {"warning"}


def test_the_sample_evolution_as_text_markdown_and_sarif(evolved: Path):
    code, text = run(str(evolved), "--base", "HEAD~1")
    assert code == 1
    assert "ERROR   breaking        [declared] provides.operation scoreTransaction latency.target.p95: 150ms -> 1500ms" in text
    assert "at checkout-service/checkout/fraud.py:20, checkout-service/contracts/dependencies.yaml:4" in text
    assert text.rstrip().endswith("2 breaking, 0 needing migration, 1 compatible; 2 breaking without a major version bump (error)")

    _, markdown = run(str(evolved), "--base", "HEAD~1", "--format", "markdown")
    assert markdown.startswith("### Contract changes: `revision HEAD~1` → `the working tree`")
    assert "| ❌ | breaking | `orders` | provides.dataset user_purchases via: database_replica -> event_stream" in markdown

    _, sarif_text = run(str(evolved), "--base", "HEAD~1", "--format", "sarif")
    sarif = json.loads(sarif_text)
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("evolution.compatible", "note"), ("evolution.breaking", "error"), ("evolution.breaking", "error")]
    risk = results[2]
    assert risk["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "risk-service/contracts/sla.yaml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 7},
    }
    related = {(r["physicalLocation"]["artifactLocation"]["uri"], r["physicalLocation"]["region"]["startLine"]) for r in risk["relatedLocations"]}
    assert related == {("checkout-service/checkout/fraud.py", 20), ("checkout-service/contracts/dependencies.yaml", 4)}


def test_the_sample_resolved_with_an_event_stream_is_compatible():
    """fraud-detection -> fraud-detection-events: orders serves user_purchases as the orders.placed
    stream, which risk's code consumes instead of reading the replica."""
    monorepos = FIXTURES / "monorepos"
    code, out = run("--base-dir", str(monorepos / "fraud-detection"), "--head-dir", str(monorepos / "fraud-detection-events"), "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert [(c["service"], c["kind"], c["class"], {i["service"]: i["class"] for i in c["consumers"]}) for c in document["changes"]] == [
        ("orders", "freshness-better", "compatible", {"risk": "compatible"}),
        ("orders", "dataset-moved-to-stream", "compatible", {"risk": "compatible"}),
        ("orders", "topic-added", "compatible", {}),
    ]
    moved = document["changes"][1]["consumers"][0]
    assert moved["migration"].startswith("risk consumes topic orders.placed already")


def test_no_change_between_a_revision_and_itself(evolved: Path):
    code, out = run(str(evolved), "--base", "HEAD", "--head", "HEAD")
    assert code == 0
    assert "No contract changes." in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give one of --base REV or --base-dir DIR"),
        (("--base", "HEAD", "--base-dir", "."), "give one of --base REV or --base-dir DIR"),
        (("--head-dir", "."), "give one of --base REV or --base-dir DIR"),
        (("--base", "no-such-revision"), "--base no-such-revision: not a revision"),
        (("--base", "HEAD", "--head", "no-such-revision"), "--head no-such-revision: not a revision"),
    ],
)
def test_bad_usage_exits_2(evolved: Path, args, message):
    result = CliRunner().invoke(main, ["diff", str(evolved), *args, "-q"])
    assert result.exit_code == 2
    assert message in result.output


def test_a_contract_file_error_exits_2(tmp_path):
    case = FIXTURES / "evolution" / "latency-slower"
    broken = tmp_path / "after"
    shutil.copytree(case / "after", broken)
    (broken / "risk/contracts/sla.yaml").write_text("service: risk\nprovides: [\n", "utf-8")
    result = CliRunner().invoke(main, ["diff", "--base-dir", str(case / "before"), "--head-dir", str(broken), "-q"])
    assert result.exit_code == 2
    assert "risk/contracts/sla.yaml" in result.output
