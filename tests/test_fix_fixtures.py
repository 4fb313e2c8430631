"""Every fix case under fixtures/fixes/: an input file, the fixes (as a finding's plan states them), and the
expected output (or the reason the fix is only a suggestion). One test reads them all: a new case needs
no test code. Invariants checked for every case: the output is exactly the expected file, every comment
of the input is still there, a second run over the output changes nothing it already did, and a case
that must stay a suggestion leaves the file as it was."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest
import yaml

from extractor.config import Config
from extractor.fix import KINDS, Fix, change_files, fix_block
from extractor.frontends.treesitter import frontends
from extractor.languages import rules_language_of
from extractor.scan import scan

from .conftest import REPO

CASES = REPO / "fixtures" / "fixes"


def cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "case.yaml").is_file())


def load(case: Path) -> tuple[dict, str, list[Fix]]:
    spec = yaml.safe_load((case / "case.yaml").read_text("utf-8"))
    source = spec.get("file", "before.py")
    fixes = [Fix.from_json({"finding": f"fixture:{case.name}", "file": source, **item}) for item in spec["fixes"]]
    return spec, source, fixes


def comments(text: str, name: str) -> list[str]:
    """The comments of a file: Python's tokens, YAML's ``#``, the tree-sitter comment nodes of the others."""
    if name.endswith(".py"):
        return [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT]
    if name.endswith(".yaml"):
        return [line.partition("#")[2].strip() for line in text.splitlines() if "#" in line]
    language = rules_language_of(name)
    assert language is not None, name
    return [c.text for c in frontends()[language].comments(text.encode("utf-8"), name)]


def parses(text: str, name: str) -> bool:
    if name.endswith(".py"):
        compile(text, name, "exec")
        return True
    if name.endswith(".yaml"):
        return yaml.safe_load(text) is not None
    language = rules_language_of(name)
    assert language is not None, name
    return not frontends()[language].parse(name, text.encode("utf-8")).root_node.has_error


@pytest.fixture(scope="module")
def facts_of(catalog):
    """The facts the scan finds in a case's input: a case's fix must name one (its rule, line and column)."""

    def facts(case: Path, source: str, rules: set[str]) -> set[tuple[str, int, int]]:
        result = scan(case, catalog=catalog, config=Config(), only_files=[source], rule_ids=rules)
        return {(f.rule, f.line, f.col) for f in result.facts}

    return facts


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_fix_case(case: Path, facts_of) -> None:
    spec, source, fixes = load(case)
    before = (case / source).read_text("utf-8")
    rules = {fix.rule for fix in fixes if fix.rule}
    found = facts_of(case, source, rules) if rules else set()
    assert all((fix.rule, fix.line, fix.col) in found for fix in fixes if fix.rule), f"{case.name}: no fact of the fix's rule at its place: {sorted(found)}"
    changes, outcomes = change_files(case, fixes)
    assert [o.fix for o in outcomes] == sorted(fixes, key=lambda x: (x.finding, x.file, x.line, x.col, x.kind))
    if "suggestion" in spec:
        assert changes == [], f"{case.name}: a suggestion changed the file"
        assert {o.status for o in outcomes} == {"suggestion"}
        assert all(spec["suggestion"] in o.reason for o in outcomes), [o.reason for o in outcomes]
        return
    assert [o.status for o in outcomes] == ["fixed"] * len(fixes), [(o.fix.kind, o.reason) for o in outcomes]
    expected = (case / source.replace("before", "after")).read_text("utf-8")
    assert len(changes) == 1 and changes[0].before == before
    assert changes[0].after == expected
    missing = [c for c in comments(before, source) if c not in comments(expected, source)]
    assert not missing, f"{case.name}: comments lost: {missing}"
    assert parses(expected, source)


def test_cases_cover_every_kind_of_fix_and_every_rule_with_a_fix_block() -> None:
    kinds = {fix.kind for case in cases() for fix in load(case)[2]}
    assert kinds == set(KINDS)
    rules = {fix.rule for case in cases() for fix in load(case)[2] if fix.rule}
    with_block = {
        ".".join(p.relative_to(REPO / "rules").with_suffix("").parts)
        for p in (REPO / "rules").rglob("*.yaml")
        if "fix" in (yaml.safe_load(p.read_text("utf-8")) or {})
    }
    assert with_block <= rules, f"rules with a fix: block and no case under fixtures/fixes/: {sorted(with_block - rules)}"
    data_driven = {fix.rule for case in cases() for fix in load(case)[2] if fix.kind in ("timeout", "retry-attempts")}
    assert all(fix_block(rule) for rule in data_driven)  # how a library takes a timeout or a count is the rule's data


def test_a_fix_applied_twice_changes_nothing_more(tmp_path: Path) -> None:
    case = CASES / "timeout-requests-multiline"
    _, source, fixes = load(case)
    (tmp_path / source).write_text((case / "after.py").read_text("utf-8"), "utf-8")
    changes, outcomes = change_files(tmp_path, fixes)
    assert changes == [] and outcomes[0].status == "suggestion" and "already passes timeout=" in outcomes[0].reason
