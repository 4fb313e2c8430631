"""``contracts merge PART...``: the facts of a sharded scan (docs/scale.md).

The parts (``contracts scan PATH --shard K/N -o PART``) carry the first pass of each shard; the
merge checks they fit together and runs the rest of the scan on their union
(``extractor.executors.shard``): the same facts document, byte for byte, as one
``contracts scan PATH --format json``.
"""

from __future__ import annotations

from pathlib import Path

from ..cache import ExtractionCache
from ..catalog import Catalog
from ..config import Config
from ..executors.shard import MergeExecutor, Parts, ShardError
from ..facts import ScanResult
from ..scan import scan


def merge(parts: Parts, root: Path, *, catalog: Catalog, config: Config, jobs: int = 1, cache: ExtractionCache | None = None) -> ScanResult:
    """The scan of ``root`` whose first pass the parts made. Raises ``ShardError`` when the rules
    or the checkout are not the ones the shards used."""
    unknown = sorted(set(parts.selected or ()) - set(catalog.by_id()))
    if unknown:
        raise ShardError(f"the parts ran rule(s) this catalog does not have: {', '.join(unknown)}")
    return scan(root, catalog=catalog, config=config, jobs=jobs, rule_ids=parts.selected, display_root=parts.root, cache=cache, executor=MergeExecutor(parts))
