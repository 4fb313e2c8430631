"""Shared test data locations and the ``# error: KIND text`` annotations of invalid contract files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
ARTICLE = DATA / "article"
INVALID = DATA / "invalid"
ARTICLE_SERVICES = [(d.name.removesuffix("-service"), d.name) for d in sorted(ARTICLE.iterdir()) if d.is_dir()]

_ERROR = re.compile(r"#\s*error:\s*(\w+)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Expected:
    line: int
    kind: str
    text: str


def expected_errors(path: Path) -> list[Expected]:
    """A trailing ``# error: KIND text`` comment expects an error of KIND on that very line whose message contains text."""
    out = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        m = _ERROR.search(line)
        if m:
            out.append(Expected(number, m.group(1), m.group(2)))
    return out


def schema_should_accept(path: Path) -> bool:
    return path.read_text("utf-8").startswith("# schema: valid")
