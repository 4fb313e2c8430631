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


@pytest.fixture(scope="session", autouse=True)
def _run_metadata():
    """`contracts check` prints the time and commit of the run: the tests fix both, so that reports
    and snapshots are the same on every run and commit (tests/test_check_output.py tests the real ones)."""
    import os

    from extractor.cli import RUN_COMMIT_VAR, RUN_TIME_VAR

    before = {name: os.environ.get(name) for name in (RUN_TIME_VAR, RUN_COMMIT_VAR)}
    os.environ[RUN_TIME_VAR] = "2026-12-07T06:00:00Z"
    os.environ[RUN_COMMIT_VAR] = "0000000000000000000000000000000000000000"
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
