"""Docker Compose files: each compose service's build context (with its ``dockerfile:`` folder when the
context is a parent folder; the folder its ``working_dir:`` lies in through a bind mount, over both) or name mapped to a service of the repository, its host names as
aliases, its ``environment:`` (a variable named without a value: the ``.env`` file's) and ``env_file:`` entries,
the options of its ``entrypoint:`` / ``command:``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import safeio
from ..discover import compose_build_folder, compose_workdir, join_path, owner_of, parse_env_file, substitute
from .book import AddressBook
from .commands import record_command
from .dotenv import env_file_entries


def _compose_env(value: Any, passed: dict[str, str]) -> dict[str, str]:
    """A Compose service's ``environment:``; a variable named without a value (``- YAS_SERVICES_CART``)
    passes the project's own through, which ``passed`` holds (its ``.env`` file)."""
    env: dict[str, str] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if v is not None:
                env[str(k)] = str(v)
            elif str(k) in passed:
                env[str(k)] = passed[str(k)]
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and "=" in item:
                k, _, v = item.partition("=")
                env[k.strip()] = v.strip()
            elif isinstance(item, str) and item.strip() in passed:
                env[item.strip()] = passed[item.strip()]
    return env


def _dotenv(root: Path | None, base: str) -> dict[str, str]:
    """The ``.env`` file beside a Compose file: the project's environment, which a variable named
    without a value in ``environment:`` takes its value from (the shell's is not known)."""
    if root is None:
        return {}
    try:
        env = parse_env_file(safeio.read_text(root / join_path(base, ".env")))
    except (OSError, ValueError):
        return {}
    return {k: substitute(v, env) for k, v in env.items()}  # OTEL_EXPORTER_OTLP_ENDPOINT=http://${OTEL_COLLECTOR_HOST}:4317


def read_compose(book: AddressBook, rel: str, doc: dict[str, Any], roots: list[str], by_root: dict[str, str], root: Path | None = None) -> None:
    base = rel.rsplit("/", 1)[0] if "/" in rel else "."
    passed = _dotenv(root, base)
    for name, spec in doc["services"].items():
        if not isinstance(spec, dict):
            continue
        service: str | None = None
        path = compose_build_folder(base, spec)
        owner = owner_of(path + "/x", roots) if path is not None and path != "." else None
        mounted = compose_workdir(base, spec)  # the code it runs: the folder its working directory mounts (over its image's)
        if mounted is not None and owner_of(mounted + "/x", roots) not in (None, "."):
            owner = owner_of(mounted + "/x", roots)
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
        for k, v in _compose_env(spec.get("environment"), passed).items():
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
        env_files = spec.get("env_file")
        for item in env_files if isinstance(env_files, list) else [env_files] if env_files else []:
            env_path = item.get("path") if isinstance(item, dict) else item
            if isinstance(env_path, str) and root is not None:
                target = join_path(base, env_path)
                env_file_entries(book, service, root / target, target)
