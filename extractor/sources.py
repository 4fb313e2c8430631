"""Reading one source file safely: size, binary and encoding checks become diagnostics."""

from __future__ import annotations

import re
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
    if not data.strip():
        return None, Diagnostic(rel, "empty", "empty file; nothing to scan", severity="info")
    if b"\0" in data[:BINARY_PROBE]:
        return None, Diagnostic(rel, "binary", "binary content (NUL bytes); skipped", severity="warning")
    try:
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
