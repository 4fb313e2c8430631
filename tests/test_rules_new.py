"""`contracts rules new ID`: a rule file and its fixture whose placeholders fail the harness until filled."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from extractor.catalog import load_catalog, load_rule
from extractor.cli import main
from extractor.commands.new_rule import kinds, languages, plan
from extractor.ruletest import parse_annotations


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def new(tmp_path, rule_id: str, *extra: str):
    return run("rules", "new", rule_id, "--rules", str(tmp_path / "rules"), "--fixtures", str(tmp_path / "fixtures"), *extra)


def rules_test(tmp_path, rule_id: str):
    return run("rules", "test", rule_id, "--rules", str(tmp_path / "rules"), "--fixtures", str(tmp_path / "fixtures"))


def test_scaffolds_the_rule_and_its_fixture(tmp_path):
    result = new(tmp_path, "python.http.niquests", "--kind", "http_call", "--title", "niquests: outbound HTTP calls")
    assert result.exit_code == 0, result.stderr
    rule_file = tmp_path / "rules" / "python" / "http" / "niquests.yaml"
    fixture = tmp_path / "fixtures" / "python" / "http" / "niquests.py"
    assert result.stdout.splitlines()[:3] == [f"created {rule_file.as_posix()}", f"created {fixture.as_posix()}", "next:"]
    assert f"contracts rules test python.http.niquests --rules {tmp_path / 'rules'} --fixtures {tmp_path / 'fixtures'}" in result.stdout
    assert "contracts rules docs" in result.stdout
    rule = load_rule(rule_file, tmp_path / "rules")
    assert (rule.id, rule.language, rule.kinds, rule.library, rule.title) == (
        "python.http.niquests",
        "python",
        ("http_call",),
        "niquests",
        "niquests: outbound HTTP calls",
    )
    assert (rule.status, rule.confidence) == ("preview", "medium")
    assert rule.match["calls"][0]["names"] == ["niquests.TODO"]
    assert set(rule.docs) == {"what", "why", "fields", "limitations"}
    lines = fixture.read_text().splitlines()
    assert lines[3].startswith("placeholder()  # expect: python.http.niquests (")
    assert lines[4].startswith("placeholder()  # ok: python.http.niquests (")


def test_the_harness_fails_on_the_placeholders_until_they_are_filled(tmp_path):
    assert new(tmp_path, "python.http.niquests").exit_code == 0
    result = rules_test(tmp_path, "python.http.niquests")
    assert result.exit_code == 1
    shown = (tmp_path / "fixtures" / "python" / "http" / "niquests.py").as_posix()
    assert f"{shown}:4: a placeholder of `contracts rules new`" in result.stdout
    assert f"{shown}:5: a placeholder of `contracts rules new`" in result.stdout
    assert f"{shown}:4: expect: python.http.niquests: no fact found" in result.stdout

    # an author fills in the match block and the two lines: the same command passes
    rule_file = tmp_path / "rules" / "python" / "http" / "niquests.yaml"
    rule_file.write_text(rule_file.read_text().replace('["niquests.TODO"]', '["niquests.get"]'))
    fixture = tmp_path / "fixtures" / "python" / "http" / "niquests.py"
    fixture.write_text(
        "import niquests\n\n"
        'niquests.get("http://risk:8080/score", timeout=2)  # expect: python.http.niquests timeout_ms=2000 url=http://risk:8080/score\n'
        'cache.get("http://risk:8080/score")  # ok: python.http.niquests\n'
    )
    result = rules_test(tmp_path, "python.http.niquests")
    assert result.exit_code == 0, result.stdout
    assert "python.http.niquests: ok (1 expected facts, 1 ok lines)" in result.stdout


@pytest.mark.parametrize("language", languages())
def test_each_language_gets_a_fixture_in_its_comment_syntax(tmp_path, language):
    rule_id = f"{language}.http.acme-client"
    assert new(tmp_path, rule_id).exit_code == 0
    catalog = load_catalog([tmp_path / "rules"])
    assert [r.id for r in catalog.rules] == [rule_id]
    (fixture,) = (tmp_path / "fixtures" / language / "http").iterdir()
    assert fixture.stem == "acme-client"
    exps, problems = parse_annotations(fixture.read_bytes(), language, {rule_id}, fixture.name)
    assert problems == []
    assert sorted(e.marker for e in exps) == ["expect", "ok"] and all(e.rule == rule_id for e in exps)
    result = rules_test(tmp_path, rule_id)
    assert result.exit_code == 1
    placeholder_lines = [n for n, line in enumerate(fixture.read_text().splitlines(), 1) if "placeholder" in line.lower() and ": " + rule_id in line]
    reported = sorted(int(m) for m in re.findall(rf"{re.escape(fixture.name)}:(\d+): a placeholder", result.stdout))
    assert reported == placeholder_lines and len(reported) == 2


@pytest.mark.parametrize("kind", kinds())
def test_every_kind_gives_a_rule_that_loads(tmp_path, kind):
    for language in languages():
        scaffold = plan(f"{language}.misc.acme", kind, tmp_path / "rules", tmp_path / "fixtures")
        scaffold.write()
        assert load_rule(scaffold.rule_file, tmp_path / "rules").kinds == (kind,)


def test_refuses_to_overwrite(tmp_path):
    assert new(tmp_path, "go.http.acme").exit_code == 0
    rule_file = tmp_path / "rules" / "go" / "http" / "acme.yaml"
    rule_file.write_text("edited by hand\n")
    result = new(tmp_path, "go.http.acme")
    assert result.exit_code == 2
    assert f"{rule_file.as_posix()} already exists; not overwriting it" in result.stderr
    assert rule_file.read_text() == "edited by hand\n"

    other = tmp_path / "fixtures" / "java" / "http" / "acme.java"
    other.parent.mkdir(parents=True)
    other.write_text("// mine\n")
    result = new(tmp_path, "java.http.acme")
    assert result.exit_code == 2 and f"{other.as_posix()} already exists" in result.stderr
    assert not (tmp_path / "rules" / "java").exists()  # nothing written when one file exists


@pytest.mark.parametrize(
    ("rule_id", "message"),
    [
        ("niquests", "bad rule id 'niquests': expected <language>.<category>.<name>"),
        ("python.niquests", "bad rule id 'python.niquests': expected <language>.<category>.<name>"),
        ("python.http.client.niquests", "expected <language>.<category>.<name>"),
        ("Python.http.Niquests", "in lowercase"),
        ("cobol.http.cics", "unknown language 'cobol' (one of: "),
        ("typescript.http.ky", "typescript files use the javascript rules; write javascript.http.ky"),
    ],
)
def test_bad_ids_are_usage_errors(tmp_path, rule_id, message):
    result = new(tmp_path, rule_id)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "rules").exists() and not (tmp_path / "fixtures").exists()


def test_unknown_kind_is_a_usage_error(tmp_path):
    result = new(tmp_path, "python.http.niquests", "--kind", "http")
    assert result.exit_code == 2
    assert "unknown kind 'http' (one of: http_call, " in result.stderr
