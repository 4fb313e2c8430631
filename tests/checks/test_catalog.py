"""The check registry, its documentation and the published schemas stay in step."""

from __future__ import annotations

import json

from extractor.checks import REGISTRY, STATUSES
from extractor.checks.base import KINDS, ROLES
from extractor.docs import schema_files

from ..conftest import REPO


def _normalised(text: str) -> str:
    return " ".join(text.replace("``", "`").split())


def test_every_check_is_documented_with_its_exact_rule():
    doc = _normalised((REPO / "docs" / "checks.md").read_text("utf-8"))
    for check in REGISTRY.values():
        assert f"### `{check.id}` — {check.title}" in (REPO / "docs" / "checks.md").read_text("utf-8"), check.id
        assert _normalised(check.rule) in doc, f"docs/checks.md: the rule of {check.id} differs from its docstring"


def test_check_ids_name_their_family():
    for check in REGISTRY.values():
        family = check.id.split(".", 1)[0]
        assert family == check.kind or (family == "system" and check.kind in ("retry-amplification", "timeout-inversion", "missing-timeout")), check.id


def test_the_findings_schema_lists_every_check_kind_status_and_role():
    schema = json.loads(schema_files()["findings.v1.schema.json"])
    props = schema["$defs"]["finding"]["properties"]
    assert props["check"]["enum"] == sorted(REGISTRY)
    assert props["kind"]["enum"] == list(KINDS)
    assert props["status"]["enum"] == list(STATUSES)
    assert schema["$defs"]["side"]["properties"]["role"]["enum"] == list(ROLES)


def test_published_schemas_are_copies_of_the_package_ones():
    for name in ("findings.v1.schema.json", "graph.v1.schema.json"):
        assert (REPO / "docs" / "schemas" / name).read_text("utf-8") == schema_files()[name]
