"""Docker Compose files: each compose service's build context (with its ``dockerfile:`` folder when the
context is a parent folder) or name mapped to a service of the repository, its host names as
aliases, its ``environment:`` and ``env_file:`` entries, the options of its ``entrypoint:`` / ``command:``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..discover import compose_build_folder, join_path, owner_of
from .book import AddressBook
from .commands import record_command
from .dotenv import env_file_entries


def _compose_env(value: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                env[str(k)] = str(v)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and "=" in item:
                k, _, v = item.partition("=")
                env[k.strip()] = v.strip()
    return env


def read_compose(book: AddressBook, rel: str, doc: dict[str, Any], roots: list[str], by_root: dict[str, str], root: Path | None = None) -> None:
    base = rel.rsplit("/", 1)[0] if "/" in rel else "."
    for name, spec in doc["services"].items():
        if not isinstance(spec, dict):
            continue
        service: str | None = None
        path = compose_build_folder(base, spec)
        owner = owner_of(path + "/x", roots) if path is not None and path != "." else None
        if owner is not None and owner != ".":
            service = by_root[owner]
        if service is None:
            service = book.service_for_host(str(name))
        if service is None:
            continue
        for alias in (name, spec.get("hostname"), spec.get("container_name")):
            if isinstance(alias, str):
                if owner is not None and owner != ".":  # the network's name for the container built from the service's folder,
                    book.alias_to_service[alias.lower()] = service  # over a folder of that name (storefront: built from ./storefront-bff)
                book.add_alias(alias, service)
        record_command(book, service, rel, spec.get("entrypoint"), spec.get("command"))
        for k, v in _compose_env(spec.get("environment")).items():
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
        env_files = spec.get("env_file")
        for item in env_files if isinstance(env_files, list) else [env_files] if env_files else []:
            env_path = item.get("path") if isinstance(item, dict) else item
            if isinstance(env_path, str) and root is not None:
                target = join_path(base, env_path)
                env_file_entries(book, service, root / target, target)
