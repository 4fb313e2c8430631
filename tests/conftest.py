from __future__ import annotations

from pathlib import Path

import pytest

from extractor.catalog import load_catalog

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
