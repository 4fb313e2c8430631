"""Who owns each service: an ``owner:`` in its contract, else the repository's ``CODEOWNERS``.

Trade-off findings name the people who must decide; this module finds them. ``CODEOWNERS`` is read
from the scan root (``CODEOWNERS``, ``.github/``, ``docs/``, ``.gitlab/``; the first found) and
matched with the ``codeowners`` package against each service's root folder, so the last matching
rule wins, as the format says. A contract's ``owner:`` wins over ``CODEOWNERS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from codeowners import CodeOwners

CODEOWNERS_PLACES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
MAX_CODEOWNERS_BYTES = 1_000_000


def read_codeowners(root: Path) -> CodeOwners | None:
    """The first ``CODEOWNERS`` file found at the scan root's usual places, parsed (None: none, unreadable or too large)."""
    for place in CODEOWNERS_PLACES:
        path = root / place
        if not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_CODEOWNERS_BYTES:
                return None
            return CodeOwners(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None
    return None


def folder_owners(codeowners: CodeOwners, folder: str) -> tuple[str, ...]:
    """The owners of a service's root folder (relative to the scan root); the whole repository for ``.``."""
    folder = folder.strip("/")
    path = f"{folder}/" if folder and folder != "." else "."
    return tuple(dict.fromkeys(owner for _, owner in codeowners.of(path)))


def service_owners(root: Path, service_roots: Iterable[tuple[str, str | Path]], declared: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Owners by service name: ``declared`` (a contract's ``owner:``) wins, else ``CODEOWNERS`` for the
    service's root folder; services with no owner are left out."""
    out: dict[str, tuple[str, ...]] = {}
    codeowners = read_codeowners(root)
    if codeowners is not None:
        for name, folder in service_roots:
            if name not in out and (found := folder_owners(codeowners, Path(folder).as_posix())):
                out[name] = found
    out.update((name, owners) for name, owners in declared.items() if owners)
    return dict(sorted(out.items()))
