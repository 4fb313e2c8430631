"""``contracts scan --executor dask`` (extractor/executors/dask_cluster.py, docs/scale.md): a scan
whose files are extracted on a Dask ``LocalCluster`` of two worker processes prints the same bytes
as a scan in one process. Skipped only where Dask is not installed and CI is unset (CI installs
the test extra, which has Dask)."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.executors.dask_cluster import EXTRA, DaskError, DaskExecutor
from extractor.frontends import all_frontends
from extractor.report import json_out
from extractor.scan import scan

from .conftest import FIXTURES

try:
    import distributed
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("Dask is not installed (pip install 'contract-extractor[dask]')", allow_module_level=True)

SAMPLES = [FIXTURES / "monorepos" / "polyglot-shop", FIXTURES / "monorepos" / "dotnet-di"]


@pytest.fixture(scope="module")
def cluster():
    import logging

    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0", silence_logs=logging.ERROR) as local:
        yield local


def cli(*args: str | Path) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_a_scan_on_a_dask_cluster_is_byte_identical_to_a_local_scan(sample, cluster):
    local = cli("scan", sample, "--format", "json", "--no-cache", "-j", "1")
    assert json.loads(local)["facts"]
    on_dask = cli("scan", sample, "--format", "json", "--no-cache", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert on_dask == local


def test_the_files_are_extracted_on_the_workers_and_a_warm_cache_sends_none(cluster, tmp_path, monkeypatch):
    from extractor.cache import ExtractionCache
    from extractor.catalog import load_catalog

    catalog = load_catalog()  # the rules on disk now, as the workers load them
    here: Counter = Counter()  # extractions in this process (the workers are other processes)
    for fe in all_frontends().values():

        def extract(path, *args, _real=fe.extract, **kwargs):
            here[path] += 1
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(fe, "extract", extract)
    sample = SAMPLES[0]
    expected = json_out.dumps(scan(sample, catalog=catalog).to_json())
    extracted_locally = sum(here.values())
    here.clear()
    with DaskExecutor(cluster.scheduler_address) as executor, ExtractionCache(tmp_path, salt=b"d") as cache:
        assert json_out.dumps(scan(sample, catalog=catalog, cache=cache, executor=executor).to_json()) == expected
        assert not here  # nothing extracted in this process
        assert executor.stats["sent"] >= extracted_locally > 0
        assert executor.stats["left_here"] == 0
        sent = executor.stats["sent"]
        assert json_out.dumps(scan(sample, catalog=catalog, cache=cache, executor=executor).to_json()) == expected
        assert executor.stats["sent"] == sent  # warm: every file from the cache, no task


def test_a_worker_with_other_rules_is_refused(cluster):
    from extractor.scan import Task

    sample = SAMPLES[0]
    rel = "pricing/pricing/api.py"
    task = Task(str(sample), rel, "python", "pricing.api", 1 << 20)
    with DaskExecutor(cluster.scheduler_address) as executor, pytest.raises(DaskError, match="another rule set"):
        executor.extract([task], ((), None), "not the digest of these rules")


def test_a_local_cluster_is_started_when_no_scheduler_is_given():
    sample = SAMPLES[0]
    local = cli("scan", sample, "--format", "json", "--no-cache", "-j", "1")
    assert cli("scan", sample, "--format", "json", "--no-cache", "--executor", "dask", "-j", "2") == local


def test_without_dask_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    result = CliRunner().invoke(main, ["scan", str(SAMPLES[0]), "--executor", "dask"])
    assert result.exit_code == 2
    assert EXTRA in result.output
    assert "Traceback" not in result.output


class _LostWorkers:
    """A client whose every task fails (workers lost): the executor leaves the files to this process."""

    def scheduler_info(self):
        return {"workers": {"a": {}, "b": {}}}

    def submit(self, *args, **kwargs):
        class Failed:
            def result(self):
                raise OSError("worker lost")

        return Failed()


def test_files_of_a_failed_batch_are_extracted_here():
    from extractor.catalog import load_catalog

    catalog = load_catalog()
    sample = SAMPLES[0]
    expected = json_out.dumps(scan(sample, catalog=catalog).to_json())
    executor = DaskExecutor("tcp://nowhere:8786")
    executor.client = _LostWorkers()  # (never entered: no connection)
    assert json_out.dumps(scan(sample, catalog=catalog, executor=executor).to_json()) == expected
    assert executor.stats["left_here"] > 0
    assert executor.stats["sent"] == 0


def test_verbose_says_how_many_files_the_cluster_extracted(cluster, tmp_path):
    result = CliRunner().invoke(
        main,
        ["scan", str(SAMPLES[0]), "-v", "--no-cache", "-o", str(tmp_path / "scan.txt"), "--executor", "dask", "--scheduler", cluster.scheduler_address],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stderr.splitlines() if line.startswith("dask: "))
    sent = int(line.split()[1])
    assert sent > 0
    assert line.endswith(", 0 left to this process")
