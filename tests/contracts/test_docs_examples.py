"""docs/contracts.md stays true: its examples load, its error output is what users see, every key is documented."""

from __future__ import annotations

import re

from extractor.contracts import load_contract_text
from extractor.contracts.load import SHAPES, TOP_LEVEL_KEYS

from ..conftest import REPO
from .helpers import ARTICLE, DATA

DOC = (REPO / "docs" / "contracts.md").read_text("utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", DOC, re.S)
CONTRACT_BLOCKS = [text for lang, text in BLOCKS if lang == "yaml" and "service:" in text]


def test_contract_examples_load_without_errors():
    good = [t for t in CONTRACT_BLOCKS if "(with mistakes)" not in t]
    assert len(good) == 10  # the article's eight, every key at once, and what `contracts init` writes
    for text in good:
        contracts, errors = load_contract_text(text, "docs")
        assert errors == [] and len(contracts) == 1, text


def test_article_examples_in_the_docs_are_the_test_data():
    for path in ARTICLE.rglob("*.yaml"):
        assert path.read_text("utf-8") in CONTRACT_BLOCKS, path


def test_every_key_example_is_the_test_file():
    assert (DATA / "every-key.yaml").read_text("utf-8") in CONTRACT_BLOCKS


def test_error_output_shown_is_what_the_loader_prints():
    index = next(i for i, (_, text) in enumerate(BLOCKS) if "(with mistakes)" in text)
    example, shown = BLOCKS[index][1], BLOCKS[index + 1][1]
    file = example.splitlines()[0].split()[1]
    _, errors = load_contract_text(example, file)
    assert "\n".join(map(str, errors)) + "\n" == shown


def test_every_key_is_documented():
    keys = set(TOP_LEVEL_KEYS) | {k for shape in SHAPES.values() for k in shape}
    missing = sorted(k for k in keys if f"`{k}`" not in DOC)
    assert missing == []
