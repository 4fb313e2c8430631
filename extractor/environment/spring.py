"""Spring configuration files (``application.yml`` / ``.properties`` and their profiles) read into
the address book; the keys, placeholders and relaxed binding are in ``svcconfig``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .. import safeio
from ..discover import service_files
from .book import AddressBook
from .svcconfig import canonical, config_file_rank, is_config_file, read_config_file


def read_spring_config(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """A service's Spring configuration files (``application.yml`` / ``.properties``, then the
    profile files, main sources before tests) as dotted keys (``risk.url``): what ``@Value``
    placeholders and configuration keys of rules (``svcconfig``) read; values the deployment gives in
    their environment spelling (``RISK_URL``) are looked up first, as Spring does."""
    found = sorted((rel for rel in other_files if is_config_file(rel)), key=config_file_rank)
    for rel, service in service_files(found, roots, by_root):
        try:
            text = safeio.read_text(root / rel)
        except OSError:
            continue
        env = book.env_by_service.setdefault(service, {})
        for k, v in read_config_file(rel, text).items():
            env.setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
            if canonical(k) == "spring.application.name" and v and "${" not in v and "/test/" not in f"/{rel}":
                book.add_alias(v, service)  # the name Spring Cloud discovery and load balancing address it by (lb://risk)
