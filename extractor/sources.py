"""Reading one source file safely: size, binary and encoding checks become diagnostics."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .facts import Diagnostic

_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
BINARY_PROBE = 8192


def read_source(root: Path, rel: str, max_bytes: int, language: str) -> tuple[bytes | None, Diagnostic | None]:
    path = root / rel
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, Diagnostic(rel, "unreadable", f"cannot read: {exc.strerror or exc}", severity="warning")
    if size > max_bytes:
        return None, Diagnostic(rel, "too_large", f"{size} bytes is over the {max_bytes}-byte limit (max_file_bytes); skipped", severity="info")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, Diagnostic(rel, "unreadable", f"cannot read: {exc.strerror or exc}", severity="warning")
    if not data or data.isspace():  # (no copy of the file, as strip() would make)
        return None, Diagnostic(rel, "empty", "empty file; nothing to scan", severity="info")
    if b"\0" in data[:BINARY_PROBE]:
        return None, Diagnostic(rel, "binary", "binary content (NUL bytes); skipped", severity="warning")
    try:
        if not data.isascii():  # ASCII is UTF-8: only other bytes need the (copying) decode to be checked
            data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = b"\n".join(data.split(b"\n", 2)[:2])
        if language == "python" and _CODING.search(head):
            return data, None  # PEP 263 declaration: the parser decodes it
        line = data.count(b"\n", 0, exc.start) + 1
        return None, Diagnostic(
            rel, "decode_error", f"not valid UTF-8 ({exc.reason} at byte {exc.start}) and no encoding declaration", line=line, severity="warning"
        )
    return data, None


class SourceCache:
    """One scan's reads: each file is read and checked once; the later passes of the scan (second,
    package, dependency and reach passes) reuse the bytes or the first read's diagnostic.

    Bytes are kept up to ``budget`` bytes in all; past it a file's bytes are not kept (its
    diagnostic still is) and a later pass reads it again.
    """

    def __init__(self, budget: int = 256 << 20) -> None:
        self.budget = budget
        self.kept = 0
        self._seen: dict[tuple[str, str], tuple[bytes | None, Diagnostic | None]] = {}

    def read(
        self, root: str, rel: str, max_bytes: int, language: str, reader: Callable[[Path, str, int, str], tuple[bytes | None, Diagnostic | None]] = read_source
    ) -> tuple[bytes | None, Diagnostic | None]:
        key = (root, rel)
        seen = self._seen.get(key)
        if seen is not None:
            return seen
        data, diag = reader(Path(root), rel, max_bytes, language)
        if data is None or self.kept + len(data) <= self.budget:
            self._seen[key] = (data, diag)
            self.kept += len(data) if data is not None else 0
        return data, diag
