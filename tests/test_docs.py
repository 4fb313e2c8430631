"""Generated documentation must be current: `contracts rules docs` regenerates it."""

from __future__ import annotations

from extractor import docs

from .conftest import REPO


def test_rule_docs_are_current(catalog):
    stale = docs.write_docs(catalog, REPO / "docs" / "rules", check=True)
    assert not stale, f"stale rule docs {stale}: run `contracts rules docs`"


def test_published_schemas_are_current():
    stale = docs.write_schemas(REPO / "docs" / "schemas", check=True)
    assert not stale, f"stale schemas {stale}: run `contracts rules docs`"


def test_rule_page_shows_examples_from_fixtures(catalog):
    page = docs.render_rule(catalog.get("python.http.requests"), catalog)
    assert "## Examples" in page
    assert 'requests.get("http://risk:8080/v1/score", timeout=0.2)' in page
    assert "fixtures/rules/python/http/requests.py:" in page
    assert "Not reported:" in page
