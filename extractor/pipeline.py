"""The stages behind ``contracts check`` and ``contracts graph``: scan → load → infer → graph.

Both commands (and tests with hand-made facts) go through here so they see the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cache import ExtractionCache
from .catalog import Catalog
from .config import Config, load_config
from .contracts.infer import InferredContracts, infer_contracts
from .contracts.load import LoadedContracts, load_contracts
from .facts import ScanResult
from .graph import ContractGraph, build_graph
from .scan import scan


@dataclass
class Analysis:
    """Everything the checks and the graph outputs read, for one repository."""

    root: Path
    config: Config
    scan: ScanResult
    declared: LoadedContracts
    inferred: InferredContracts
    graph: ContractGraph


def analyse(
    root: Path,
    *,
    config: Config | None = None,
    catalog: Catalog | None = None,
    jobs: int = 1,
    display_root: str | None = None,
    cache: ExtractionCache | None = None,
) -> Analysis:
    """Scan ``root`` (through the extraction cache when given), load its declared contracts and build the graph."""
    config = config if config is not None else load_config(root)
    result = scan(root, catalog=catalog, config=config, jobs=jobs, display_root=display_root, cache=cache)
    return analyse_scan(result, root, config)


def analyse_scan(result: ScanResult, root: Path, config: Config | None = None) -> Analysis:
    """The stages after the scan, for a given scan result (hand-made facts in tests)."""
    config = config if config is not None else Config()
    declared = load_contracts(root, [(s.name, s.root) for s in sorted(result.services, key=lambda s: s.root)])
    inferred = infer_contracts(result, root)
    return Analysis(root, config, result, declared, inferred, build_graph(result, declared, inferred))
