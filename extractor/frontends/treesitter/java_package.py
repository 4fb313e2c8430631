"""Java packages and prefilter words: the light part of the Java frontend (no engine import), so
that compiling the Java rules of a scan that meets no Java file costs nothing more."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_PACKAGE_RE = re.compile(rb"^\s*package\s+([A-Za-z_][\w.]*)\s*;", re.M)


def words_of(name: str) -> set[str]:
    """The simple class name in a qualified name (``java.net.http.HttpClient.send`` →
    ``HttpClient``): a file using it spells it, whatever its imports (``java.net.http.*``)."""
    for part in name.split("."):
        if part[:1].isupper():
            return set() if any(c in part for c in "*?[") or len(part) < 2 else {part}
    head = name.rsplit(".", 1)[-1]
    return set() if any(c in head for c in "*?[") or len(head) < 2 else {head}


def _package_of(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16384)
    except OSError:
        return ""
    head = re.sub(rb"/\*.*?\*/", b"", head, flags=re.S)
    m = _PACKAGE_RE.search(head)
    return m.group(1).decode() if m else ""


def module_path(root: Any, rel: str) -> str:
    """A Java file's module: its package and its class (``com.acme.Settings`` for
    ``src/main/java/com/acme/Settings.java``), so that ``Settings.RISK_URL`` of another file
    resolves against this file's exports at link time."""
    stem = Path(rel).stem
    package = _package_of(str(Path(root) / rel))
    return f"{package}.{stem}" if package else stem
