"""Imports follow the stages: a module may import its own layer and the layers below it, never one above.

Every module of ``extractor/`` is assigned a layer (a new module must be added to ``LAYERS``), and every
import counts: top-level, inside functions (lazy) and under ``TYPE_CHECKING``. ``KNOWN_VIOLATIONS`` lists
the back-imports still to remove; the test also fails when one of them is gone, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import REPO

# lowest first; "pkg.*" is the package and every module under it
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "extractor",
            "extractor.values",
            "extractor.durations",
            "extractor.facts",
            "extractor.yamlio",
            "extractor.config",
            "extractor.languages",
            "extractor.schemas",
            "extractor.isolation",
            "extractor.safeio",
            "extractor.cache",
            "extractor.progress",
        ),
    ),
    ("rules", ("extractor.catalog", "extractor.templates", "extractor.prefilter")),
    ("discover", ("extractor.discover", "extractor.sources", "extractor.images")),
    ("environment", ("extractor.environment.*",)),
    ("extract", ("extractor.frontends.*",)),
    ("link", ("extractor.link", "extractor.kinds.*", "extractor.replicas", "extractor.mounts", "extractor.targets", "extractor.reach", "extractor.carry")),
    ("scan", ("extractor.scan",)),
    ("executors", ("extractor.executors.*",)),  # where a scan's extraction runs: shards, their merge, Dask
    ("contracts", ("extractor.contracts.*", "extractor.owners")),  # owners: a contract's owner:, else CODEOWNERS
    ("graph", ("extractor.graph", "extractor.effective")),
    ("checks", ("extractor.checks.*", "extractor.observe.*")),  # observe: telemetry readers and the checks of contracts observe
    ("history", ("extractor.history.*", "extractor.suppress", "extractor.changed")),
    ("pipeline", ("extractor.pipeline",)),
    ("commands", ("extractor.commands.*", "extractor.fix.*", "extractor.ruletest", "extractor.docs")),
    ("report", ("extractor.report.*",)),
    ("cli", ("extractor.cli",)),
]

# (importer, imported): why it is still there
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted((REPO / "extractor").rglob("*.py"))}


def matches(pattern: str, module: str) -> bool:
    return module == pattern or (pattern.endswith(".*") and (module == pattern[:-2] or module.startswith(pattern[:-1])))


def layer_of(module: str) -> int | None:
    for rank, (_, patterns) in enumerate(LAYERS):
        if any(matches(pattern, module) for pattern in patterns):
            return rank
    return None


def imports(module: str, path: Path) -> list[tuple[str, int]]:
    """The modules of ``extractor`` that ``module`` imports, with their lines (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # import extractor.x.y.name → the module that defines it
                target = target.rpartition(".")[0]
            if target and (target, node.lineno) not in found:
                found.append((target, node.lineno))
    return found


def back_imports() -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for module, path in MODULES.items():
        own = layer_of(module)
        for target, line in imports(module, path):
            theirs = layer_of(target)
            if own is not None and theirs is not None and theirs > own:
                out.setdefault((module, target), []).append(f"{path.relative_to(REPO)}:{line}")
    return out


def test_every_module_has_a_layer():
    missing = sorted(m for m in MODULES if layer_of(m) is None)
    assert not missing, f"modules without a layer (add them to LAYERS in {Path(__file__).name}): {missing}"


def test_every_layer_pattern_names_a_module():
    stale = [pattern for _, patterns in LAYERS for pattern in patterns if not any(matches(pattern, m) for m in MODULES)]
    assert not stale, f"patterns in LAYERS that match no module (moved or deleted): {stale}"


def test_imports_finds_relative_lazy_and_type_checking_imports(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "from ..scan import scan\n"
        "import extractor.cli\n"
        "if TYPE_CHECKING:\n"
        "    from extractor.graph import Graph\n"
        "def f():\n"
        "    from . import system\n",
        encoding="utf-8",
    )
    assert imports("extractor.checks.probe", path) == [
        ("extractor.scan", 2),
        ("extractor.cli", 3),
        ("extractor.graph", 5),
        ("extractor.checks.system", 7),
    ]
    assert layer_of("extractor.checks.probe") < layer_of("extractor.cli")  # type: ignore[operator]  # so line 3 is a back-import


def test_imports_follow_the_layers():
    names = [name for name, _ in LAYERS]
    found = back_imports()
    new = [
        f"{where}: {importer} ({names[layer_of(importer)]}) imports {imported} ({names[layer_of(imported)]})"  # type: ignore[index]
        for (importer, imported), wheres in sorted(found.items())
        if (importer, imported) not in KNOWN_VIOLATIONS
        for where in wheres
    ]
    gone = sorted(pair for pair in KNOWN_VIOLATIONS if pair not in found)
    assert not new, "imports against the layers:\n" + "\n".join(new)
    assert not gone, f"fixed, remove from KNOWN_VIOLATIONS: {gone}"
