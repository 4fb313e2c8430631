"""C# projects and prefilter words: the light part of the C# frontend (no engine import), so that
compiling the C# rules of a scan that meets no C# file costs nothing more."""

from __future__ import annotations

import functools
import posixpath
from pathlib import Path
from typing import Any

from .index import default_words


def words_of(name: str) -> set[str]:
    """The last part of a qualified name (a method or type name): a file using it must spell it
    (namespaces are often implicit: a Program.cs has no ``using``)."""
    last = name.rpartition(".")[2]
    return default_words(last) if len(last) >= 3 else set()


@functools.lru_cache(maxsize=4096)
def _project_in(directory: str) -> str | None:
    """The first ``.csproj`` of a directory (None without one)."""
    try:
        names = sorted(p.name for p in Path(directory).iterdir() if p.suffix == ".csproj")
    except OSError:
        return None
    return names[0] if names else None


def project_path(root: Any, rel: str) -> str:
    """A C# file's module: its project, the directory of the nearest ``.csproj`` up to the scan
    root (``services/checkout``; the project's name when it sits at the root), else the file's
    directory. Files of one project share their exports (constants, registered clients)."""
    directory = posixpath.dirname(rel)
    cur = directory
    while True:
        proj = _project_in(str(Path(root) / cur) if cur else str(root))
        if proj is not None:
            return cur or proj.rsplit(".", 1)[0]
        if not cur:
            break
        cur = posixpath.dirname(cur)
    return directory or "main"
