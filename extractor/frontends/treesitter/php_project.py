"""PHP projects: the light part of the PHP frontend (no engine import). A PHP file's module is its
Composer project, so that a dependency-injection container's registrations in one file (a Symfony
kernel's ``$c->register(X::class)->addArgument(...)``) reach the class they construct in another."""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path
from typing import Any


@functools.lru_cache(maxsize=4096)
def _has_composer(directory: str) -> bool:
    return (Path(directory) / "composer.json").is_file()


def forget() -> None:
    """Drop the ``composer.json`` lookups made so far (the next scan reads its tree as it is now)."""
    _has_composer.cache_clear()


def project_path(root: Any, rel: str) -> str:
    """A PHP file's module: the directory of the nearest ``composer.json`` up to the scan root
    (``ratings/html``; ``main`` at the root), else the file's directory."""
    directory = posixpath.dirname(rel)
    cur = directory
    while True:
        if _has_composer(str(Path(root) / cur) if cur else str(root)):
            return cur or "main"
        if not cur:
            break
        cur = posixpath.dirname(cur)
    return directory or "main"
