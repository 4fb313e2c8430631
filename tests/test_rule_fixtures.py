"""One parametrized test for every rule: its annotated fixtures must match what it extracts.

Adding a rule (YAML + fixture) needs no test code: it appears here by itself.
"""

from __future__ import annotations

import pytest

from extractor.catalog import load_catalog
from extractor.ruletest import check_rule

from .conftest import FIXTURES, REPO

RULES = load_catalog().rules


@pytest.mark.parametrize("rule", RULES, ids=[r.id + "".join(f"+{lang}" for lang in r.also) for r in RULES])  # java.http.okhttp+kotlin: -k kotlin runs it too
def test_rule_fixtures(rule, catalog):
    report = check_rule(rule, catalog, FIXTURES / "rules", REPO)
    assert not report.failures, "\n" + report.render()
    assert report.positives > 0 and report.negatives > 0
