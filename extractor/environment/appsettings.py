""".NET configuration files (``appsettings.json``, then ``appsettings.<Environment>.json``): the
values a service's code reads by key (``configuration["Services:Risk"]``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import safeio
from ..discover import service_files
from ..facts import Diagnostic
from .book import AddressBook

CONFIG_FILES = re.compile(r"(^|/)appsettings(\.[A-Za-z0-9_-]+)?\.json$")


def strip_json_comments(text: str) -> str:
    """JSON as .NET's configuration reads it: ``//`` and ``/* */`` comments and trailing commas
    allowed. Comments become spaces (newlines kept, so lines stay where they were); text inside
    strings is never touched."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c == ",":
            k = i + 1
            while k < n and (text[k].isspace() or text.startswith("//", k) or text.startswith("/*", k)):
                if text.startswith("//", k):
                    nl = text.find("\n", k)
                    k = n if nl < 0 else nl
                elif text.startswith("/*", k):
                    end = text.find("*/", k + 2)
                    k = n if end < 0 else end + 2
                else:
                    k += 1
            out.append(" " if k < n and text[k] in "}]" else ",")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load_config_json(text: str) -> Any:
    """A .NET JSON configuration file's document (comments and trailing commas allowed)."""
    return json.loads(strip_json_comments(text))


def flatten_config(doc: Any, prefix: str = "") -> dict[str, str]:
    """A JSON configuration document as ``Section:Key`` → value (arrays by index), the way
    .NET's configuration system names its keys."""
    out: dict[str, str] = {}
    if isinstance(doc, dict):
        items: Iterable[tuple[Any, Any]] = doc.items()
    elif isinstance(doc, list):
        items = enumerate(doc)
    else:
        if prefix and doc is not None and not isinstance(doc, bool):
            out[prefix] = str(doc)
        return out
    for k, v in items:
        out.update(flatten_config(v, f"{prefix}:{k}" if prefix else str(k)))
    return out


ENVIRONMENT_VARS = ("ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT")


def _of_environment(book: AddressBook, rel: str, service: str) -> bool:
    """Whether ``rel`` is the ``appsettings.<Env>.json`` of the environment the service's deployment
    names (``ASPNETCORE_ENVIRONMENT=Production`` in Compose): .NET loads it over ``appsettings.json``."""
    env = book.env_by_service.get(service, {})
    name = next((env[v] for v in ENVIRONMENT_VARS if env.get(v)), None)
    return name is not None and rel.rsplit("/", 1)[-1].lower() == f"appsettings.{name}.json".lower()


def read_appsettings(book: AddressBook, root: Path, roots: list[str], by_root: dict[str, str], other_files: Iterable[str]) -> None:
    """A service's configuration files (``appsettings.json``, then ``appsettings.<Env>.json``; the
    file of the environment its deployment names first, as .NET loads it last):
    the values its code reads by key (``configuration["Services:Risk"]``). Deployment files and
    ``.env`` files are read first: their values (``Services__Risk``) override, as at run time."""
    found = [rel for rel in other_files if CONFIG_FILES.search(rel)]
    found.sort(key=lambda rel: (rel.rsplit("/", 1)[-1] != "appsettings.json", rel.count("/"), rel))
    files = list(service_files(found, roots, by_root))
    files.sort(key=lambda pair: not _of_environment(book, pair[0], pair[1]))  # (stable: otherwise in the order above)
    for rel, service in files:
        try:
            doc = load_config_json(safeio.read_text(root / rel, encoding="utf-8-sig"))
        except OSError as exc:
            book.diagnostics.append(Diagnostic(rel, "config_error", f"not read: {exc.strerror or exc}", severity="warning"))
            continue
        except ValueError as exc:
            book.diagnostics.append(Diagnostic(rel, "config_error", f"not JSON: {exc}", severity="warning"))
            continue
        env = book.env_by_service.setdefault(service, {})
        for k, v in flatten_config(doc).items():
            if k.replace(":", "__") in env:  # set by a deployment file in its environment spelling
                continue
            env.setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
