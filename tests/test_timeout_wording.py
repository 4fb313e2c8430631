"""The text outputs say where a timeout comes from, for every ``timeout_source``: a call that
passes none on a client built with one reads "the client's default" (scan text)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from extractor.cli import main
from extractor.contracts.infer import _timeout_detail
from extractor.kinds.calls import TIMEOUT_SOURCES
from extractor.kinds.views import HttpCall


def test_scan_text_names_the_client_default(tmp_path: Path) -> None:
    svc = tmp_path / "svc"
    svc.mkdir()
    (svc / "pyproject.toml").write_text('[project]\nname = "svc"\n')
    (svc / "app.py").write_text('import httpx\n\nCLIENT = httpx.Client(timeout=5)\n\n\ndef fetch():\n    return CLIENT.get("http://billing/api/invoices")\n')
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "svc/app.py:7  http_call  httpx: GET http://billing/api/invoices → billing (external); timeout 5 s, the client's default" in result.output


def test_every_source_with_a_value_has_a_wording() -> None:
    fields = {"timeout_ms": 1000, "timeout_env": "T", "timeout_constant": "TIMEOUT"}
    worded = {s for s in TIMEOUT_SOURCES if _timeout_detail(HttpCall.from_fields({**fields, "timeout_source": s}))}
    # a literal's value says it all; "none" has no value
    assert worded == set(TIMEOUT_SOURCES) - {"literal", "none"}
