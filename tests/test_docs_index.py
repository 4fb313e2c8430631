"""docs/index.md lists every page of docs/, and every link in it and in the adoption and
configuration pages leads to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from extractor import config

from .conftest import REPO

DOCS = REPO / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def links(page: Path) -> list[str]:
    return LINK.findall(page.read_text("utf-8"))


def test_the_index_lists_every_page():
    listed = set(links(DOCS / "index.md"))
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    missing = sorted(pages - listed)
    assert not missing, f"docs pages not listed in docs/index.md: {missing}"


@pytest.mark.parametrize("page", ["index.md", "adoption.md", "configuration.md"])
def test_every_link_leads_to_a_file(page):
    broken = [target for target in links(DOCS / page) if "://" not in target and not (DOCS / target).exists()]
    assert not broken, f"broken links in docs/{page}: {broken}"


def test_the_configuration_page_documents_every_key_the_loader_reads():
    text = (DOCS / "configuration.md").read_text("utf-8")
    table = {m.group(1) for m in re.finditer(r"^\| `([a-z_]+)` \|", text, re.M)}
    assert table == set(config.KNOWN_KEYS)
