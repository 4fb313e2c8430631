"""Rule files written into a temporary directory by the rule-loading tests (test_kinds, test_rule_catalog)."""

from __future__ import annotations

import textwrap
from pathlib import Path

# six lines: a problem in the body is reported at line 7 + its line in the body (plus the lines of ``extra``)
HEADER = """\
id: {id}
title: a rule
language: {language}
kind: {kind}
metadata: {{status: stable, since: 0.1.0, confidence: high}}
docs: {{what: x, limitations: y}}
"""


def write_rule(root: Path, rule_id: str, kind: str, body: str, extra: str = "") -> Path:
    """Write rule ``rule_id`` of ``kind`` at <language>/<category>/<name>.yaml under ``root``: HEADER,
    ``extra`` header lines, then the dedented ``body``."""
    language, category, name = rule_id.split(".")
    path = root / language / category / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER.format(id=rule_id, language=language, kind=kind) + extra + textwrap.dedent(body), encoding="utf-8")
    return path
