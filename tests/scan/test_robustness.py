"""One bad file never stops a scan; symlinks never lead out of the root; output is deterministic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from extractor.config import Config
from extractor.docs import schema_files
from extractor.scan import scan

GOOD = "import requests\n\n\ndef f(url):\n    return requests.get(url, timeout=2)\n"


def _write(root: Path, rel: str, data: bytes | str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


@pytest.fixture()
def broken_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    _write(root, "svc/requirements.txt", "requests\n")
    _write(root, "svc/good.py", GOOD)
    _write(root, "svc/syntax.py", "import requests\n\ndef broken(:\n    pass\n")
    _write(root, "svc/latin1.py", "# caf\xe9\nimport requests\nrequests.get('http://x', timeout=1)\n".encode("latin-1"))
    _write(root, "svc/declared.py", "# -*- coding: latin-1 -*-\n# caf\xe9\nimport requests\nrequests.get('http://y', timeout=1)\n".encode("latin-1"))
    _write(root, "svc/binary.py", b"\x00\x01\x02import requests\x00")
    _write(root, "svc/empty.py", b"")
    _write(root, "svc/huge.py", "import requests\n" + "x = 1\n" * 2000)
    os.symlink("/etc/hostname", root / "svc" / "outside.py")
    os.symlink(root / "svc" / "missing-target.py", root / "svc" / "dangling.py")
    return root


def _diag_kinds(result) -> dict[str, str]:
    return {d.file: d.kind for d in result.diagnostics}


def test_broken_files_become_diagnostics_and_the_scan_goes_on(broken_repo):
    result = scan(broken_repo, config=Config(max_file_bytes=5000))
    kinds = _diag_kinds(result)
    assert kinds["svc/syntax.py"] == "syntax_error"
    assert kinds["svc/latin1.py"] == "decode_error"
    assert kinds["svc/binary.py"] == "binary"
    assert kinds["svc/empty.py"] == "empty"
    assert kinds["svc/huge.py"] == "too_large"
    assert kinds["svc/outside.py"] == "symlink_outside_root"
    assert kinds["svc/dangling.py"] == "unreadable"
    syntax = next(d for d in result.diagnostics if d.file == "svc/syntax.py")
    assert syntax.line == 3 and syntax.severity == "error"  # the line of the offending token: `def broken(:`
    files_with_facts = sorted({f.file for f in result.facts if f.kind == "http_call"})
    assert files_with_facts == ["svc/declared.py", "svc/good.py"]  # the coding declaration is honoured


def test_symlink_inside_the_root_is_scanned_once_under_its_own_path(tmp_path):
    root = tmp_path / "repo"
    _write(root, "svc/requirements.txt", "")
    _write(root, "svc/real.py", GOOD)
    os.symlink(root / "svc" / "real.py", root / "svc" / "alias.py")
    os.symlink(tmp_path, root / "svc" / "up")  # a directory link leading out: never walked
    result = scan(root, config=Config())
    assert sorted(f.file for f in result.facts) == ["svc/alias.py", "svc/real.py"]


def test_scan_json_validates_against_the_published_schema(broken_repo):
    schema = json.loads(schema_files()["facts.v1.schema.json"])
    result = scan(broken_repo, config=Config(max_file_bytes=5000))
    jsonschema.validate(result.to_json(), schema)


def test_output_is_byte_identical_across_runs_and_job_counts(repo):
    root = repo / "fixtures" / "monorepos" / "fraud-detection"
    first = json.dumps(scan(root, jobs=1, display_root="x").to_json())
    second = json.dumps(scan(root, jobs=1, display_root="x").to_json())
    parallel = json.dumps(scan(root, jobs=2, display_root="x").to_json())
    assert first == second == parallel


def test_ids_survive_unrelated_edits(tmp_path):
    root = tmp_path / "repo"
    _write(root, "svc/requirements.txt", "")
    _write(root, "svc/a.py", GOOD)
    before = {f.id for f in scan(root, config=Config()).facts}
    _write(root, "svc/a.py", "# a new comment\n\n" + GOOD)
    after = scan(root, config=Config()).facts
    assert {f.id for f in after} == before
    assert after[0].line == 7


def test_a_file_that_takes_too_long_is_given_up_with_a_diagnostic(tmp_path, monkeypatch):
    import time as _time

    from extractor.frontends import frontend_for

    root = tmp_path / "repo"
    _write(root, "svc/requirements.txt", "")
    _write(root, "svc/slow.py", GOOD)
    _write(root, "svc/fast.py", GOOD.replace("def f", "def g"))
    frontend_class = type(frontend_for("python"))  # the class the scan uses for Python files
    real = frontend_class.extract

    def slow_extract(self, path, *args, **kwargs):
        if path.endswith("slow.py"):
            _time.sleep(5)
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(frontend_class, "extract", slow_extract)
    result = scan(root, config=Config(file_time_limit=0.5))
    kinds = _diag_kinds(result)
    assert kinds["svc/slow.py"] == "timeout"
    assert [f.file for f in result.facts] == ["svc/fast.py"]


def test_readers_of_service_sources_follow_no_link_and_no_import_out_of_the_root(tmp_path):
    """The deployment readers that look through a service's sources themselves (NestJS configuration
    factories) and the scan's own file walk (Spring Cloud Gateway routes built in Java, a rule's
    facts) read no file outside the scan root: a linked file leading out is skipped (one linking
    inside is read), a ``../`` import out is not followed, and the scan goes on."""
    from extractor.environment import nestjs

    from ..conftest import FIXTURES

    root, outside = tmp_path / "repo", tmp_path / "outside"
    routes = (FIXTURES / "rules" / "java" / "http" / "spring-cloud-gateway" / "gateway" / "src" / "main" / "java" / "demo" / "Routes.java").read_text("utf-8")
    _write(outside, "Routes.java", routes)
    _write(root, "shared/Routes.java", routes)
    _write(root, "gateway/build.gradle", 'dependencies { implementation "org.springframework.cloud:spring-cloud-starter-gateway" }\n')
    (root / "gateway/src/main/java/demo").mkdir(parents=True)
    os.symlink(outside / "Routes.java", root / "gateway/src/main/java/demo/Outside.java")
    os.symlink(root / "shared" / "Routes.java", root / "gateway/src/main/java/demo/Inside.java")

    _write(outside, "configuration.ts", "export default () => ({ endpoints: { orders: 'http://evil:1' } });\n")
    _write(root, "checkout/package.json", '{"dependencies": {"@nestjs/config": "^3"}}\n')
    _write(
        root,
        "checkout/src/app.module.ts",
        "import { ConfigModule } from '@nestjs/config';\nimport configuration from '../../../outside/configuration';\n"
        "ConfigModule.forRoot({ load: [configuration] });\n",
    )
    assert (root / "checkout/src" / "../../../outside/configuration.ts").is_file()  # the import names a real file, outside
    assert nestjs._factories(root, "checkout") == []
    result = scan(root, jobs=1)
    assert not any("evil" in json.dumps(f.fields) for f in result.facts)
    found = [f for f in result.facts if f.kind == "proxy_route" and f.file.startswith("gateway/")]
    assert {f.file for f in found} == {"gateway/src/main/java/demo/Inside.java"} and len(found) == 5
