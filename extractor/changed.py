"""``check --changed FILE...``: the report limited to the services that own the changed files (the
pre-commit hook). The whole repository is still analysed (a finding between two services needs
both); only the findings that name one of those services are kept.

A changed file inside a service selects that service. A changed file outside every service
selects every service when the scan may read it (source code of a supported language, a shared
library's, or a deployment or configuration file: Compose, Kubernetes, ``.env``, settings); any
other file (a README) selects none.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from .checks import Finding
from .facts import Service
from .languages import language_of
from .suppress import Outcome

CONFIGURATION_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".env", ".properties", ".conf", ".xml", ".ini", ".cfg")
"""Files outside the services that may configure them (addresses, routes, stores)."""


def owning_services(root: Path, files: Iterable[Path], services: Sequence[Service], cwd: Path | None = None) -> frozenset[str] | None:
    """The names of the services owning ``files`` (relative to ``cwd``, default the current folder,
    or absolute); None for every service. Files outside ``root`` are ignored."""
    top = Path(os.path.realpath(root))
    here = Path(os.path.realpath(cwd if cwd is not None else Path.cwd()))
    folders = sorted(((s.root, s.name) for s in services if "#" not in s.root), key=lambda rn: (rn[0] == ".", -len(rn[0])))
    names: set[str] = set()
    for file in files:
        full = Path(os.path.realpath(file if file.is_absolute() else here / file))
        try:
            rel = full.relative_to(top).as_posix()
        except ValueError:
            continue
        owner = next((name for folder, name in folders if folder == "." or rel == folder or rel.startswith(folder + "/")), None)
        if owner is not None:
            names.add(owner)
        elif reads(rel):
            return None
    return frozenset(names)


def reads(rel: str) -> bool:
    """Whether a file outside the services may change what the scan finds in them."""
    name = rel.rpartition("/")[2].lower()
    return language_of(rel) is not None or name.endswith(CONFIGURATION_SUFFIXES) or name.startswith((".env", "dockerfile", "containerfile"))


def limited(outcome: Outcome, names: frozenset[str]) -> Outcome:
    """The outcome with only the findings (kept, suppressed, baselined) that name a service of ``names``."""

    def ours(f: Finding) -> bool:
        return not names.isdisjoint(f.services)

    return replace(
        outcome,
        kept=[f for f in outcome.kept if ours(f)],
        suppressed=[(f, why) for f, why in outcome.suppressed if ours(f)],
        baselined=[f for f in outcome.baselined if ours(f)],
    )
