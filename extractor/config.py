"""Optional configuration of a scanned repository: ``[tool.contracts]`` or ``contracts.toml``.

```toml
[tool.contracts]                 # in pyproject.toml; contracts.toml holds the same keys at top level
services = ["services/*"]        # globs of service roots (replaces the manifest heuristics)
ignore = ["**/legacy/**"]        # extra ignore globs (posix, relative to the root)
max_file_bytes = 1000000         # larger source files are skipped with a diagnostic
file_time_limit = 60             # seconds one file may take to extract (0: no limit)
retry_amplification = 10         # used by `contracts check`

[tool.contracts.names]           # service root -> service name, when the directory name is wrong
"services/risk-service" = "risk"
```
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_MAX_FILE_BYTES = 1_000_000

KNOWN_KEYS = {"services", "ignore", "max_file_bytes", "file_time_limit", "names", "retry_amplification", "rules"}
DEFAULT_FILE_TIME_LIMIT = 60.0


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
    rules: tuple[str, ...] = ()


def _line_of_key(text: str, key: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(key) and stripped[len(key) :].lstrip().startswith("="):
            return n
    return 0


def _parse(table: dict[str, Any], shown: str, text: str) -> Config:
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        line = _line_of_key(text, unknown[0])
        raise ConfigError(f"{shown}:{line}: unknown key {unknown[0]!r} (expected one of: {', '.join(sorted(KNOWN_KEYS))})")

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{shown}:{_line_of_key(text, key)}: {key} must be a list of strings")
        return tuple(value)

    max_bytes = table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise ConfigError(f"{shown}:{_line_of_key(text, 'max_file_bytes')}: max_file_bytes must be a positive integer")
    names = table.get("names", {})
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise ConfigError(f"{shown}:{_line_of_key(text, 'names')}: names must map service roots to names")
    limit = table.get("file_time_limit", DEFAULT_FILE_TIME_LIMIT)
    if not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit < 0:
        raise ConfigError(f"{shown}:{_line_of_key(text, 'file_time_limit')}: file_time_limit must be a number of seconds >= 0 (0: no limit)")
    amp = table.get("retry_amplification", 10)
    if not isinstance(amp, (int, float)) or isinstance(amp, bool) or amp < 1:
        raise ConfigError(f"{shown}:{_line_of_key(text, 'retry_amplification')}: retry_amplification must be a number >= 1")
    return Config(
        source=shown,
        services=strings("services"),
        ignore=strings("ignore"),
        max_file_bytes=max_bytes,
        names={k.strip("/"): v for k, v in names.items()},
        retry_amplification=float(amp),
        file_time_limit=float(limit),
        rules=strings("rules"),
    )


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
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except UnicodeDecodeError:
            raise ConfigError(f"{shown}: not valid UTF-8") from None
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
