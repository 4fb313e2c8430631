"""Optional configuration of a scanned repository: ``[tool.contracts]`` or ``contracts.toml``.

```toml
[tool.contracts]                 # in pyproject.toml; contracts.toml holds the same keys at top level
services = ["services/*"]        # globs of service roots (replaces the manifest heuristics)
ignore = ["**/legacy/**"]        # extra ignore globs (posix, relative to the root)
max_file_bytes = 1000000         # larger source files are skipped with a diagnostic
file_time_limit = 60             # seconds one file may take to extract (0: no limit)
retry_amplification = 10         # used by `contracts check`
cache_dir = ".contracts-cache"   # the extraction cache, a folder inside the root (default)
history = ".contracts/history.db"  # recorded runs (`contracts drift`): a file inside the root, or a postgresql:// URL

[tool.contracts.inventory]       # folders discovery gets wrong: services after all, or not services
include = ["tools/loadgen"]
exclude = ["samples/*"]

[tool.contracts.names]           # service root -> service name, when the directory name is wrong
"services/risk-service" = "risk"
```

Every key is described in docs/configuration.md. An unknown key is an error that suggests the
closest known one; numbers outside their range (and TOML's ``inf``/``nan``) are errors with
``file:line``; a configuration file larger than ``MAX_CONFIG_BYTES`` is refused before it is read.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_MAX_FILE_BYTES = 1_000_000

KNOWN_KEYS = ("services", "ignore", "max_file_bytes", "file_time_limit", "names", "retry_amplification", "inventory", "cache_dir", "history")
INVENTORY_KEYS = ("include", "exclude")
DEFAULT_FILE_TIME_LIMIT = 60.0

MAX_CONFIG_BYTES = 1_000_000
"""A ``contracts.toml`` or ``pyproject.toml`` larger than this is refused before it is read."""
MAX_FILE_BYTES_LIMIT = 1 << 30
"""``max_file_bytes`` at most 1 GiB."""
MAX_FILE_TIME_LIMIT = 86_400.0
"""``file_time_limit`` at most a day."""
MAX_RETRY_AMPLIFICATION = 1_000_000.0


class ConfigError(Exception):
    """Bad configuration; the message names the file (and line when known)."""


@dataclass(frozen=True)
class Config:
    source: str = ""  # the file it came from, "" for defaults
    services: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    names: dict[str, str] = field(default_factory=dict)
    retry_amplification: float = 10.0
    file_time_limit: float = DEFAULT_FILE_TIME_LIMIT
    inventory_include: tuple[str, ...] = ()  # folders that are services whatever discovery says
    inventory_exclude: tuple[str, ...] = ()  # folders that are not services
    cache_dir: str = ""  # the extraction cache's folder, relative to the root ("": .contracts-cache)
    history: str = ""  # the history store: a SQLite file inside the root, or a postgresql:// URL ("": .contracts/history.db)


def _line_of_key(text: str, key: str) -> int:
    """The line of ``key = ...``, or of a table header ending in ``key`` (``[tool.contracts.key]``)."""
    header = re.compile(r"^\[+\s*(?:[^\]]*\.)?\s*\"?" + re.escape(key) + r"\"?\s*\]")
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if header.match(stripped):
            return n
        for spelling in (key, f'"{key}"', f"'{key}'"):
            if stripped.startswith(spelling) and stripped[len(spelling) :].lstrip().startswith("="):
                return n
    return 0


def _number(table: dict[str, Any], key: str, default: float, low: float, high: float, shown: str, text: str, what: str) -> float:
    """``table[key]`` as a finite number in [low, high]; a bool, a string, ``inf`` or ``nan`` is an error."""
    value = table.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(f"{shown}:{_line_of_key(text, key)}: {key} must be {what}, got {value!r}")
    return value


def _parse(table: dict[str, Any], shown: str, text: str) -> Config:
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{shown}:{_line_of_key(text, str(key))}: unknown key {key!r}{hint} (known keys: {', '.join(KNOWN_KEYS)}; see docs/configuration.md)")

    def strings(key: str, within: dict[str, Any] = table) -> tuple[str, ...]:
        value = within.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            shown_key = key if within is table else f"inventory.{key}"
            raise ConfigError(f"{shown}:{_line_of_key(text, key)}: {shown_key} must be a list of strings")
        return tuple(value)

    max_bytes = table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or not 0 < max_bytes <= MAX_FILE_BYTES_LIMIT:
        raise ConfigError(
            f"{shown}:{_line_of_key(text, 'max_file_bytes')}: max_file_bytes must be a positive integer of at most {MAX_FILE_BYTES_LIMIT} (1 GiB), got {max_bytes!r}"
        )
    names = table.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise ConfigError(f"{shown}:{_line_of_key(text, 'names')}: names must map service roots to names")
    inventory = table.get("inventory", {})
    if not isinstance(inventory, dict):
        raise ConfigError(f"{shown}:{_line_of_key(text, 'inventory')}: inventory must be a table (include = [...], exclude = [...])")
    odd = sorted(set(inventory) - set(INVENTORY_KEYS))
    if odd:
        close = difflib.get_close_matches(str(odd[0]), INVENTORY_KEYS, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{shown}:{_line_of_key(text, str(odd[0]))}: unknown key inventory.{odd[0]}{hint} (known: include, exclude)")
    limit = _number(table, "file_time_limit", DEFAULT_FILE_TIME_LIMIT, 0, MAX_FILE_TIME_LIMIT, shown, text, "a number of seconds from 0 (no limit) to 86400")
    amp = _number(table, "retry_amplification", 10, 1, MAX_RETRY_AMPLIFICATION, shown, text, "a number from 1 to 1000000")
    cache_dir = table.get("cache_dir", "")
    if not isinstance(cache_dir, str) or not _inside_path(cache_dir):
        raise ConfigError(f"{shown}:{_line_of_key(text, 'cache_dir')}: cache_dir must be a relative path of a folder inside the root, got {cache_dir!r}")
    history = table.get("history", "")
    if not isinstance(history, str) or not (
        history.startswith(("postgresql://", "postgres://", "postgresql+")) or ("://" not in history and _inside_path(history))
    ):
        raise ConfigError(
            f"{shown}:{_line_of_key(text, 'history')}: history must be a relative path of a file inside the root or a postgresql:// URL, got {history!r}"
        )
    return Config(
        source=shown,
        services=strings("services"),
        ignore=strings("ignore"),
        max_file_bytes=max_bytes,
        names={k.strip("/"): v for k, v in names.items()},
        retry_amplification=float(amp),
        file_time_limit=float(limit),
        inventory_include=strings("include", inventory),
        inventory_exclude=strings("exclude", inventory),
        cache_dir=cache_dir.strip("/"),
        history=history if "://" in history else history.strip("/"),
    )


def _inside_path(rel: str) -> bool:
    """``rel`` names a folder inside the root: relative, no ``..``, no backslash or NUL ("": the default)."""
    parts = rel.strip("/").split("/")
    return rel == "" or (not rel.startswith("/") and ".." not in parts and not any(c in rel for c in "\\\0:") and any(p not in ("", ".") for p in parts))


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """Read the repository's configuration; no file means defaults."""
    candidates = [explicit] if explicit else [root / "contracts.toml", root / "pyproject.toml"]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit:
                raise ConfigError(f"{explicit}: no such configuration file")
            continue
        shown = path.name if path.parent == root else path.as_posix()
        try:
            size = path.stat().st_size
            if size > MAX_CONFIG_BYTES:
                raise ConfigError(f"{shown}: too large ({size} bytes; a configuration file is limited to {MAX_CONFIG_BYTES})")
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except UnicodeDecodeError:
            raise ConfigError(f"{shown}: not valid UTF-8") from None
        except OSError as exc:
            raise ConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", 0) or 0
            raise ConfigError(f"{shown}:{line}: invalid TOML: {exc}") from None
        if path.name == "pyproject.toml" and not explicit:
            table = data.get("tool", {}).get("contracts")
            if table is None:
                continue
            if not isinstance(table, dict):
                raise ConfigError(f"{shown}: [tool.contracts] must be a table")
            return _parse(table, shown, text)
        return _parse(data.get("tool", {}).get("contracts", data) if path.name == "pyproject.toml" else data, shown, text)
    return Config()
