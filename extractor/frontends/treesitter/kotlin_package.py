"""Kotlin packages: the light part of the Kotlin frontend (no engine import). A Kotlin file's
top-level declarations belong to its package, which spans files (like a Go package): the
module of a file is its package, so ``RISK_URL`` declared in ``Config.kt`` resolves from
another file of the package at link time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_PACKAGE_RE = re.compile(rb"^\s*package\s+([A-Za-z_][\w.`]*)", re.M)


def package_of(head: bytes) -> str:
    head = re.sub(rb"/\*.*?\*/", b"", head, flags=re.S)
    m = _PACKAGE_RE.search(head)
    return m.group(1).decode().replace("`", "") if m else ""


def module_path(root: Any, rel: str) -> str:
    """The package a ``.kt`` file declares (the file's directory when it declares none)."""
    try:
        with open(Path(root) / rel, "rb") as fh:
            package = package_of(fh.read(16384))
    except OSError:
        package = ""
    return package or rel.rpartition("/")[0].replace("/", ".")


def linked_modules(root: Any, module: str) -> tuple[str, ...]:
    """The packages of the service's source root that declare beans (``java_package.linked_modules``)."""
    from .java_package import linked_modules as linked

    return linked(root, module, ".kt")


def linked_text(data: bytes) -> Any:
    """What the index of ``linked_modules`` reads of a file's text (``java_package.linked_text``)."""
    from .java_package import linked_text as read

    return read(data)


def forget() -> None:
    """Drop the index of ``linked_modules`` (``java_package.forget``)."""
    from .java_package import forget as drop

    drop()
