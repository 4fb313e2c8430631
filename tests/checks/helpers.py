"""Small repositories for check tests: files written into a temporary directory, or facts made by hand
(for behaviour no rule needs to be run for), then the real pipeline and checks."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from extractor.catalog import Catalog, load_catalog
from extractor.checks import CheckContext, Finding, run_checks
from extractor.config import Config, load_config
from extractor.facts import Fact, ScanResult, Service
from extractor.pipeline import Analysis, analyse, analyse_scan


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` (dedented) under ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


_CATALOG: list[Catalog] = []


def catalog() -> Catalog:
    """The bundled rules, compiled once per test session."""
    if not _CATALOG:
        _CATALOG.append(load_catalog())
    return _CATALOG[0]


def analyse_repo(root: Path, config: Config | None = None) -> Analysis:
    return analyse(root, config=config if config is not None else load_config(root), catalog=catalog(), jobs=1, display_root=".")


def findings(analysis: Analysis, check: str | None = None, factor: float | None = None) -> list[Finding]:
    ctx = CheckContext(
        analysis.graph, analysis.declared, analysis.inferred, factor if factor is not None else analysis.config.retry_amplification, analysis.scan.call_index
    )
    return run_checks(ctx, frozenset({check}) if check else None)


def check(root: Path, check_id: str, factor: float | None = None) -> list[Finding]:
    """Run one check on a repository written to disk."""
    return findings(analyse_repo(root), check_id, factor)


def locs(f: Finding) -> list[str]:
    return [str(loc) for loc in f.locations]


# -- hand-made facts -----------------------------------------------------------------------------


class Facts:
    """Builds a ``ScanResult`` fact by fact; each fact gets its id at once so later facts can link to it."""

    def __init__(self) -> None:
        self.services: list[Service] = []
        self.facts: list[Fact] = []

    def service(self, name: str, root: str | None = None) -> Facts:
        self.services.append(Service(name, root or name, ("python",)))
        return self

    def add(self, kind: str, service: str, file: str, line: int, rule: str = "test.rule", scope: str = "", **fields: Any) -> Fact:
        fact = Fact(kind, rule, file, line, 1, "high", dict(fields), service=service, scope=scope, id=f"{kind}:{len(self.facts):012d}")
        self.facts.append(fact)
        return fact

    def call(
        self,
        service: str,
        file: str,
        line: int,
        *,
        callee: str | None,
        url: str,
        method: str = "POST",
        timeout_ms: float | None = 1000,
        attempts: int | None = 1,
        retry_policies: tuple[str, ...] = (),
        host: str | None = None,
        scope: str = "",
        **extra: Any,
    ) -> Fact:
        return self.add(
            "http_call",
            service,
            file,
            line,
            "python.http.requests",
            scope=scope,
            library="requests",
            method=method,
            url=url,
            target={"service": callee, "host": host or callee, "port": None, "via": "url_literal", "expr": url},
            timeout_ms=timeout_ms,
            timeout_source="literal" if timeout_ms is not None else "none",
            retry_policies=list(retry_policies),
            retry_attempts=attempts,
            circuit_breakers=[],
            **extra,
        )

    def result(self, root: Path) -> ScanResult:
        return ScanResult(str(root), self.services, self.facts, [])

    def analyse(self, root: Path, config: Config | None = None) -> Analysis:
        return analyse_scan(self.result(root), root, config)
