"""A service's ``.env`` files (``.env``, ``.env.local``, ``.env.production``...): the configuration
its code reads with ``process.env.X`` / ``os.getenv``; compose's ``env_file:`` points at them too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .. import safeio
from ..discover import parse_env_file, service_files
from .book import AddressBook

ENV_FILES = re.compile(r"(^|/)\.env(\.[A-Za-z0-9_.-]+)?$")  # .env, .env.local, .env.production, .env.example

__all__ = ["ENV_FILES", "env_file_entries", "parse_env_file", "read_env_files"]


def env_file_entries(book: AddressBook, service: str, path: Path, rel: str) -> None:
    try:
        text = safeio.read_text(path)
    except OSError:
        return
    for k, v in parse_env_file(text).items():
        if v:
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)


def read_env_files(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """A service's own ``.env`` files (in its root or below): the configuration its code reads
    with ``process.env.X`` / ``os.getenv``. ``.env`` first, then the variants (``.env.local``...)."""
    found = [rel for rel in other_files if ENV_FILES.search(rel)]
    found.sort(key=lambda rel: (rel.rsplit("/", 1)[-1] != ".env", rel.count("/"), rel))
    for rel, service in service_files(found, roots, by_root):
        env_file_entries(book, service, root / rel, rel)
