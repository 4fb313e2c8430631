""".NET Aspire app hosts: the resource names projects are added under, and their references."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .. import safeio
from ..discover import owner_of
from .book import AddressBook

ASPIRE_PROJECT = re.compile(r"AddProject<\s*Projects\.([A-Za-z0-9_]+)\s*>\s*\(\s*\"([^\"]+)\"")


def read_aspire(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """.NET Aspire app hosts: ``builder.AddProject<Projects.Risk_Api>("risk")`` names the service
    of ``Risk.Api.csproj`` ``risk`` (its address in the other projects: ``http://risk``), and
    ``.WithReference(risk)`` gives the referencing project ``services:risk:http:0``."""
    files = list(other_files)
    projects = {p.rsplit("/", 1)[-1][: -len(".csproj")].replace(".", "_").replace("-", "_"): p for p in files if p.endswith(".csproj")}
    for rel in projects.values():
        try:
            text = safeio.read_text(root / rel)
        except OSError:
            continue
        if "Aspire.AppHost" not in text and "IsAspireHost" not in text:
            continue
        folder = root / rel.rsplit("/", 1)[0] if "/" in rel else root
        try:
            sources = sorted(folder.glob("*.cs"))
        except OSError:
            continue
        for src in sources:
            try:
                code = safeio.read_text(src)
            except OSError:
                continue
            names: dict[str, str] = {}  # variable → resource name
            services: dict[str, str] = {}  # resource name → service
            for stmt in code.split(";"):
                m = ASPIRE_PROJECT.search(stmt)
                if m is None:
                    continue
                proj = projects.get(m.group(1))
                owner = owner_of(proj, roots) if proj is not None else None
                service = by_root.get(owner) if owner is not None else None
                if service is None:
                    continue
                book.add_alias(m.group(2), service)
                services[m.group(2)] = service
                var = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*=[^=>][^;]*?AddProject<", stmt)
                if var is not None:
                    names[var.group(1)] = m.group(2)
                for ref in re.findall(r"WithReference\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)", stmt):
                    target = names.get(ref)
                    if target is None:
                        continue
                    for key in (f"services:{target}:http:0", f"services:{target}:https:0"):
                        book.env_by_service.setdefault(service, {}).setdefault(key, f"{key.split(':')[2]}://{target}")
                        book.env_sources.setdefault((service, key), src.relative_to(root).as_posix())
