"""The prefilter's plan (checks numbered and kept per file, import groups first, implied one-word
alternatives dropped, import checks run on the file's import lines only) gives the verdict of the
alternatives read literally: some alternative whose every group has a check that holds, an import
check being its expression searched in the whole file."""

from __future__ import annotations

import random
from pathlib import Path

from extractor.catalog import load_catalog
from extractor.prefilter import Alternative, Check, Prefilter, _import_re, for_name, parse_alternatives
from extractor.scan import _compile

REPO = Path(__file__).resolve().parent.parent

LINES = [
    "import requests",
    "import os, requests",
    "  import requests.adapters as a",
    "\timport json",
    "from requests import Session",
    "from requests.adapters import HTTPAdapter",
    "from requestsx import y",
    "from . import sessions",
    "import tenacity  # retries",
    "# import requests",
    "x = 'import requests'",
    "resp = requests.get(url, timeout=3)",
    "for attempt in range(3):",
    "retries = 3",
    "tries = 0",
    "time.sleep(1)",
    "def retry(f): return f",
    "session.execute(q)",
    "from django.db import connections",
    "    from django.urls import path",
    "urlpatterns = [path('a', view)]",
    "importer = 1",
    "fromage = 2",
    "",
]
CHECKS = [
    "import:requests",
    "import:requests.adapters",
    "import:tenacity",
    "import:django",
    "import:json",
    "import:os",
    "retries",
    "tries",
    "attempt",
    "retry",
    "sleep",
    "execute(",
    "path",
    "get(",
]


def literal(alternatives: list[Alternative], data: bytes) -> bool:
    def holds(c: Check) -> bool:
        return _import_re(c.module).search(data) is not None if c.module else c.word in data

    return any(all(any(holds(c) for c in group) for group in alt) for alt in alternatives)


def test_plan_gives_the_literal_verdict_on_generated_files() -> None:
    rng = random.Random(11)
    for _ in range(1500):
        spec = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.5:  # one word alone (the plan drops those another one implies)
                spec.append(rng.choice(CHECKS[6:]))
                continue
            groups = ["|".join(rng.sample(CHECKS, rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
            spec.append(groups[0] if len(groups) == 1 else groups)
        alternatives = parse_alternatives(spec)
        pre = Prefilter()
        pre.extend(alternatives)
        lines = [rng.choice(LINES) for _ in range(rng.randint(0, 12))]
        data = "\n".join(lines).encode() + (b"\n" if rng.random() < 0.5 else b"")
        assert pre.accepts(data) == literal(pre.alternatives, data), (spec, data)


def test_python_prefilter_gives_the_literal_verdict_on_the_fixtures() -> None:
    catalog = load_catalog()
    index = _compile(catalog.select([r.id for r in catalog.rules if r.language == "python"]), {"python"})["python"]
    pre = index.prefilter_check.__self__
    assert isinstance(pre, Prefilter) and len(pre.alternatives) > 50
    files = sorted((REPO / "fixtures").rglob("*.py"))
    assert len(files) > 100
    verdicts = []
    for path in files:
        data = path.read_bytes()
        verdict = pre.accepts(data)
        assert verdict == literal(pre.alternatives, data), path
        verdicts.append(verdict)
    assert any(verdicts) and not all(verdicts)  # both answers occur


def test_import_checks_name_the_module_on_an_import_line() -> None:
    pre = Prefilter()
    pre.extend(parse_alternatives([["import:requests", "get("]]))
    assert pre.accepts(b"import requests\nrequests.get(u)\n")
    assert pre.accepts(b"from requests.api import get\nget(u)\n")
    assert pre.accepts(b"import os, requests\nrequests.get(u)\n")
    assert not pre.accepts(b"# import requests\nrequests.get(u)\n")
    assert not pre.accepts(b"x = 'import requests'; requests.get(u)\n")
    assert not pre.accepts(b"import requestsx\nrequestsx.get(u)\n")
    assert not pre.accepts(b"import requests\n")  # the word group fails


def test_for_name() -> None:
    assert for_name("requests.get") == ((Check(module="requests"),),)  # a common attribute: the import does the work
    assert for_name("tenacity.Retrying") == ((Check(word=b"Retrying"),), (Check(module="tenacity"),))
    assert for_name("print") is None
    assert for_name("*.execute") == ((Check(word=b"execute"),),)
