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


@pytest.fixture(scope="session", autouse=True)
def _extraction_cache(tmp_path_factory):
    """The CLI caches extraction in the scanned root by default: the tests' scans share one cache
    folder outside the checkout instead (tests/test_cache.py tests the default location)."""
    import os

    from extractor.cache import ENV_VAR

    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = str(tmp_path_factory.mktemp("contracts-cache"))
    yield
    if before is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = before
