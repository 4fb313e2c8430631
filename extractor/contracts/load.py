"""Load declared contracts from each service's ``contracts/`` folder into the model.

Loading never stops at the first problem: every error becomes a ``ContractError`` naming
``file:line`` and what was expected, and the rest of the file (and every other file) still
loads. The allowed keys live in ``TOP_LEVEL_KEYS``, ``SHAPES`` and ``REQUIRED`` below; the JSON Schema in
``extractor/schemas/contracts.v1.schema.json`` mirrors them (a test keeps the two in step).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from .. import yamlio
from ..kinds.messages import BROKERS
from ..owners import service_owners
from .model import (
    DELIVERY_GUARANTEES,
    HTTP_METHODS,
    IDEMPOTENCY_EXPECTATIONS,
    PII_LEVELS,
    RETRY_AFTER,
    Agreement,
    DataDependency,
    Decision,
    DecisionScope,
    Dependency,
    LatencyBudget,
    Located,
    Location,
    OnTimeout,
    Operation,
    ProvidedDataset,
    ProvidedEndpoint,
    ProvidedLatency,
    ProvidedOperation,
    Publication,
    RequestBudget,
    Requirement,
    RetryAdvice,
    RetryPolicy,
    ServiceContract,
    Subscription,
)
from .values import ContractValueError, describe, parse_backoff, parse_bound, parse_duration, parse_percentiles, parse_range

CONTRACTS_DIR = "contracts"
SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = yamlio.MAX_YAML_BYTES

MAX_DURATION_MS = 366 * 24 * 3_600_000.0
"""Durations above a year (``999…9ms``, which reads as infinity) are an error at their line: no
check can use them, and JSON has no infinity."""
MAX_ATTEMPTS = 1000

TOP_LEVEL_KEYS = (
    "service",
    "version",
    "owner",
    "depends_on",
    "provides",
    "data_dependencies",
    "retry_policies",
    "operations",
    "requires",
    "decisions",
    "publishes",
    "consumes",
    "ignore",
)

SHAPES: dict[str, tuple[str, ...]] = {
    "depends_on": ("service", "operation", "latency_budget", "timeout", "fallback", "retry", "inferred"),
    "latency_budget": ("target", "acceptable", "maximum"),
    "retry": ("attempts", "backoff", "on_timeout", "reason"),
    "on_timeout": ("generates_new_request_id", "reason"),
    "provides.operation": ("operation", "latency", "latency_budget", "retry_advice", "inferred"),
    "operation_budget": ("total",),
    "retry_advice": ("retry_after", "retry_on", "do_not_retry", "max_attempts"),
    "provides.dataset": ("dataset", "via", "freshness", "inferred"),
    "provides.endpoint": ("endpoint", "returns", "access", "pii", "path", "method", "inferred"),
    "latency": ("current", "target"),
    "data_dependencies": ("source", "dataset", "freshness_required", "reason", "impact_if_stale", "inferred"),
    "retry_policies": ("target", "attempts", "backoff", "on_timeout", "reason", "inferred"),
    "operations": ("name", "idempotency_key", "expects", "window", "inferred"),
    "requires": ("from", "data", "access_level", "use_case"),
    "decisions": (
        "id",
        "title",
        "proposer",
        "proposed_at",
        "timestamp",
        "rationale",
        "alternatives",
        "agreed_by",
        "review_by",
        "review_date",
        "supersedes",
        "applies_to",
    ),
    "publishes": ("topic", "broker", "event", "ordering_key", "delivery", "lag", "dataset", "inferred"),
    "consumes": (
        "topic",
        "broker",
        "group",
        "event",
        "delivery",
        "idempotent",
        "dedup_key",
        "dedup_window",
        "freshness_required",
        "dead_letter",
        "dataset",
        "inferred",
    ),
}
"""Allowed keys of every mapping of a contract document (the top level is ``TOP_LEVEL_KEYS``).

``inferred: true`` marks an entry that ``contracts init`` wrote from code and no person has confirmed
yet (the model's ``unconfirmed``); the entries ``contracts init`` writes may carry it."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "depends_on": ("service",),
    "data_dependencies": ("source",),
    "retry_policies": ("target",),
    "operations": ("name",),
    "requires": ("from", "data"),
    "decisions": ("title",),
    "publishes": ("topic",),
    "consumes": ("topic",),
    "operation_budget": ("total",),
}
"""Keys an entry cannot do without (a ``provides`` entry needs exactly one of ``PROVIDES_KINDS``)."""

PROVIDES_KINDS = ("operation", "dataset", "endpoint")

IGNORE_KEYS = ("check", "target", "reason", "expires")
"""Keys of an ``ignore:`` entry (a suppression of findings, ``extractor/suppress.py``); ``check`` and
``reason`` are required."""

SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
TARGET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*)(?:\.(\S+))?$")
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ContractError:
    """A problem in a contract file, always with a 1-based line (1 for a whole-file problem).

    ``kind`` is one of: yaml, encoding, file, structure, missing, unknown_key, type, value,
    duplicate, conflict."""

    file: str
    line: int
    message: str
    kind: str

    @property
    def location(self) -> Location:
        return Location(self.file, self.line)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    """An ``ignore:`` entry of ``service``'s contract: findings of ``check`` (an id, a family or a glob)
    involving ``service`` (and ``target``: another service, or ``service.operation``) are suppressed
    until ``expires`` (``YYYY-MM-DD``, "" for never), for ``reason``."""

    service: str
    check: str
    reason: str
    location: Location
    target_service: str | None = None
    target_operation: str | None = None
    expires: str = ""


@dataclass
class LoadedContracts:
    """The declared contracts of a repository, by ``service:`` name, and every error met."""

    contracts: dict[str, ServiceContract] = field(default_factory=dict)
    errors: list[ContractError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    ignores: list[IgnoreEntry] = field(default_factory=list)  # every ``ignore:`` entry, in file order
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by service: ``owner:``, else CODEOWNERS (extractor/owners.py)

    def get(self, service: str) -> ServiceContract | None:
        return self.contracts.get(service)


# -- public entry points ---------------------------------------------------------------------------


def contract_files(root: Path, service_root: str | Path) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files under a service's ``contracts/`` folder (recursively, sorted)."""
    folder = root / service_root / CONTRACTS_DIR
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.rglob("*") if p.suffix in SUFFIXES and (p.is_file() or p.is_symlink())), key=lambda p: p.as_posix())


def load_contracts(root: Path, services: Iterable[tuple[str, str | Path]]) -> LoadedContracts:
    """Load the contracts of every ``(service name, service root)``; roots are relative to ``root``.

    Documents are merged per ``service:`` across all files; ``found_in`` records which discovered
    service's folder held them.
    """
    services = list(services)
    root_resolved = root.resolve()
    result = LoadedContracts()
    docs: list[_Doc] = []
    seen: set[Path] = set()
    for name, service_root in services:
        for path in contract_files(root, service_root):
            display = display_path(path, root)
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            result.files.append(display)
            if not real.is_relative_to(root_resolved):
                result.errors.append(ContractError(display, 1, "a symbolic link pointing outside the repository; not read", "file"))
                continue
            file_docs, errors = _read_file(path, display, name)
            docs.extend(file_docs)
            result.ignores.extend(i for d in file_docs for i in d.ignores)
            result.errors.extend(errors)
    result.contracts, merge_errors = _merge(docs)
    result.errors.extend(merge_errors)
    result.errors = _sorted(result.errors)
    result.owners = service_owners(root, services, {name: c.owners for name, c in result.contracts.items()})
    return result


def load_contract_file(path: Path, display: str | None = None, found_in: str = "") -> tuple[list[ServiceContract], list[ContractError]]:
    """Load one file: its contracts (merged per ``service:``) and its errors."""
    docs, errors = _read_file(path, display or path.as_posix(), found_in)
    contracts, merge_errors = _merge(docs)
    return list(contracts.values()), _sorted(errors + merge_errors)


def load_contract_text(text: str, file: str = "<string>", found_in: str = "") -> tuple[list[ServiceContract], list[ContractError]]:
    """Load contract YAML given as text (for example an older version taken from git)."""
    try:
        documents = yamlio.load_text(text, file)
    except yamlio.YamlError as exc:
        return [], [ContractError(exc.path, max(exc.line, 1), exc.message, "yaml")]
    docs, errors = _read_documents(documents, file, found_in)
    contracts, merge_errors = _merge(docs)
    return list(contracts.values()), _sorted(errors + merge_errors)


def _sorted(errors: list[ContractError]) -> list[ContractError]:
    return sorted(errors, key=lambda e: (e.file, e.line, e.kind, e.message))


def display_path(path: Path, root: Path) -> str:
    """A contract file's path as reports show it: relative to the scanned root, else as given."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read_file(path: Path, display: str, found_in: str) -> tuple[list[_Doc], list[ContractError]]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return [], [ContractError(display, 1, f"cannot read file: {exc.strerror or exc}", "file")]
    if size > MAX_FILE_BYTES:
        return [], [ContractError(display, 1, f"file too large ({size} bytes; contract files are limited to {MAX_FILE_BYTES})", "file")]
    try:
        documents = yamlio.load_file(path, display)
    except yamlio.YamlError as exc:
        kind = "yaml" if exc.message.startswith("invalid YAML") else "encoding" if "UTF-8" in exc.message else "file"
        return [], [ContractError(exc.path, max(exc.line, 1), exc.message, kind)]
    return _read_documents(documents, display, found_in)


# -- reading one document ------------------------------------------------------------------------


class _Bad(Exception):
    """A value of the wrong type or form; the caller adds file, line and key path."""

    def __init__(self, message: str, kind: str = "type") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class _Doc:
    """One document's declarations before merging."""

    service: str
    location: Location
    found_in: str
    version: str | None = None
    version_line: int = 0
    owners: tuple[str, ...] = ()
    sections: dict[str, list[Any]] = field(default_factory=dict)
    ignores: list[IgnoreEntry] = field(default_factory=list)


class _Reader:
    """Reads the mappings of one file, collecting errors instead of raising."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ContractError] = []

    def error(self, line: int, where: str, message: str, kind: str) -> None:
        prefix = f"{where}: " if where else ""
        self.errors.append(ContractError(self.file, line, prefix + message, kind))

    def location(self, node: Any) -> Location:
        return Location(self.file, getattr(node, "line", 0))

    def check_keys(self, node: yamlio.LineDict, where: str, allowed: Sequence[str], required: Sequence[str] = (), what: str = "") -> bool:
        """Report unknown and missing keys; False when a required key is missing."""
        for key in node:
            if key in allowed:
                continue
            shown = key if isinstance(key, str) else describe(key)
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            subject = f" for {what}" if what else ""
            self.error(node.line_of(key), where, f'unknown key "{shown}"{subject}{hint} (allowed: {", ".join(allowed)})', "unknown_key")
        ok = True
        for key in required:
            if key not in node:
                hint = " (the service this document describes)" if key == "service" and not where else ""
                self.error(node.line, where, f'missing key "{key}"{hint}', "missing")
                ok = False
        return ok

    def entries(self, node: yamlio.LineDict, key: str, where: str, example: str) -> list[tuple[str, yamlio.LineDict]]:
        """The mapping items of a list-valued key; other items are reported and skipped."""
        value = node[key]
        if not isinstance(value, list):
            hint = ' (start each entry with "- ")' if isinstance(value, dict) else ""
            self.error(node.value_line_of(key), where, f"expected a list of entries like {example}, got {describe(value)}{hint}", "type")
            return []
        out = []
        for i, item in enumerate(value):
            item_where = f"{where}[{i}]"
            line = value.line_of(i) if isinstance(value, yamlio.LineList) else node.line_of(key)
            if not isinstance(item, yamlio.LineDict):
                self.error(line, item_where, f"expected a mapping like {example}, got {describe(item)}", "type")
                continue
            out.append((item_where, item))
        return out


class _Fields:
    """Reads the keys of one mapping into constructor arguments and their lines."""

    def __init__(self, reader: _Reader, node: yamlio.LineDict, where: str) -> None:
        self.reader = reader
        self.node = node
        self.where = where
        self.values: dict[str, Any] = {}
        self.lines: list[tuple[str, int]] = []

    def read(self, key: str, parse: Callable[[Any, str], T], attr: str | None = None) -> T | None:
        if key not in self.node:
            return None
        where = f"{self.where}.{key}" if self.where else key
        try:
            value = parse(self.node[key], where)
        except _Bad as exc:
            self.reader.error(self.node.value_line_of(key), where, str(exc), exc.kind)
            return None
        except ContractValueError as exc:
            self.reader.error(self.node.value_line_of(key), where, str(exc), "value")
            return None
        if value is None:
            return None
        wrong = _out_of_range(value)
        if wrong is not None:
            self.reader.error(self.node.value_line_of(key), where, wrong, "value")
            return None
        if isinstance(value, Located) and isinstance(self.node[key], dict):
            value = replace(value, location=Location(self.reader.file, self.node.line_of(key)))
        name = attr or key
        self.values[name] = value
        self.lines.append((name, self.node.line_of(key)))
        return value

    def build(self, cls: Callable[..., T]) -> T:
        return cls(**self.values, location=self.reader.location(self.node), lines=tuple(self.lines))


def _read_documents(documents: list[Any], file: str, found_in: str) -> tuple[list[_Doc], list[ContractError]]:
    reader = _Reader(file)
    docs = []
    for document in documents:
        if document is None:
            continue  # an empty document (only comments, or a stray ---)
        if not isinstance(document, yamlio.LineDict):
            line = getattr(document, "line", 1) or 1
            reader.error(line, "", f'expected a mapping with "service:" at the top of the document, got {describe(document)}', "structure")
            continue
        doc = _read_document(reader, document, found_in)
        if doc is not None:
            docs.append(doc)
    return docs, reader.errors


def _read_document(r: _Reader, node: yamlio.LineDict, found_in: str) -> _Doc | None:
    has_service = r.check_keys(node, "", TOP_LEVEL_KEYS, ("service",), "a contract document")
    service = None
    if "service" in node:
        try:
            service = _service_name(node["service"], "service")
        except _Bad as exc:
            r.error(node.value_line_of("service"), "service", str(exc), exc.kind)
    doc = _Doc(service or "", Location(r.file, node.line_of("service") if has_service else node.line), found_in)
    if "version" in node:
        try:
            doc.version = _version(node["version"], "version")
            doc.version_line = node.line_of("version")
        except _Bad as exc:
            r.error(node.value_line_of("version"), "version", str(exc), exc.kind)
    if "owner" in node:
        value = node["owner"]
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        if not items:
            r.error(node.value_line_of("owner"), "owner", "expected a team handle, a user or an email, or a list of them, got an empty list", "value")
        owners: list[str] = []
        for i, item in items:
            line, where = (value.line_of(i), f"owner[{i}]") if i is not None and isinstance(value, yamlio.LineList) else (node.value_line_of("owner"), "owner")
            try:
                owners.append(_owner(item, where))
            except _Bad as exc:
                r.error(line, where, str(exc), exc.kind)
        doc.owners = tuple(dict.fromkeys(owners))
    for key, (example, read) in _SECTION_READERS.items():
        if key in node:
            items = []
            for where, item in r.entries(node, key, key, example):
                built = read(r, item, where)
                if built is not None:
                    items.append(built)
            doc.sections[key] = items
    if "ignore" in node:
        doc.ignores = [
            e for where, item in r.entries(node, "ignore", "ignore", '"- check: drift.timeout"') if (e := _ignore(r, item, where, service or "")) is not None
        ]
    return doc if service else None


# -- scalar readers: (value, where) -> parsed value, raising _Bad or ContractValueError ---------------


def _text(value: Any, where: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    hint = " (quote it if you meant the word)" if isinstance(value, bool) else ""
    raise _Bad(f"expected a non-empty string, got {describe(value)}{hint}")


def _matching(pattern: re.Pattern[str], expected: str) -> Callable[[Any, str], str]:
    """A reader of a non-empty string (stripped) that ``pattern`` matches; else "expected EXPECTED"."""

    def read(value: Any, where: str) -> str:
        text = _text(value, where)
        if not pattern.match(text):
            raise _Bad(f"expected {expected}, got {describe(value)}", "value")
        return text

    return read


_service_name = _matching(SERVICE_NAME, "a service name (letters, digits, - and _)")


def _version(value: Any, where: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _text(value, where)


OWNER = re.compile(r"^(@[\w.-]+(/[\w.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")
_owner = _matching(OWNER, "a team handle (@org/team), a user (@name) or an email")
"""One ``owner:`` item: a team handle (``@org/team``), a user (``@name``) or an email."""


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _Bad(f"expected true or false, got {describe(value)}")


def _attempts(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ATTEMPTS:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_ATTEMPTS:
        raise _Bad(f"{len(str(value))}-digit number of attempts is out of range (at most {MAX_ATTEMPTS})", "value")
    raise _Bad(f"expected a whole number of attempts (1 or more, counting the first call), got {describe(value)}")


def _out_of_range(value: Any, depth: int = 0) -> str | None:
    """Why a parsed value holds a number no check can use (not finite, or a duration over a year);
    None when every number in it is fine. Walks the value's dataclass fields and mappings."""
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_DURATION_MS:
            return f"out of range: durations are limited to {MAX_DURATION_MS / 3_600_000:g}h (a year)"
        return None
    if depth > 4 or isinstance(value, (str, int, Location)):
        return None
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.values()
    elif is_dataclass(value):
        items = (getattr(value, f.name) for f in fields(value))
    elif isinstance(value, (tuple, list)):
        items = value
    else:
        return None
    return next((why for item in items if (why := _out_of_range(item, depth + 1)) is not None), None)


def _one_of(choices: Sequence[str]) -> Callable[[Any, str], str]:
    def read(value: Any, where: str) -> str:
        if isinstance(value, str) and value in choices:
            return value
        close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6) if isinstance(value, str) else []
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise _Bad(f"expected one of {', '.join(choices)}, got {describe(value)}{hint}", "value")

    return read


_path = _matching(re.compile("^/"), 'a URL path starting with "/"')


def _target(value: Any, where: str) -> tuple[str, str | None]:
    """``risk.scoreTransaction`` → (``risk``, ``scoreTransaction``); the service ends at the first dot."""
    _text(value, where)  # a non-empty string, else a clear error
    m = TARGET.match(value)
    if m is None:
        raise _Bad(f"expected a target like risk.scoreTransaction (service.operation) or risk, got {describe(value)}", "value")
    return m.group(1), m.group(2)


def _timestamp(pattern: re.Pattern[str], example: str) -> Callable[[Any, str], str]:
    def read(value: Any, where: str) -> str:
        if isinstance(value, (_dt.date, _dt.datetime)):
            if pattern is DATE and isinstance(value, _dt.datetime):
                raise _Bad(f"expected a date like {example}, got {describe(value.isoformat())}", "value")
            return value.isoformat()
        if isinstance(value, str) and pattern.match(value.strip()):
            return value.strip()
        raise _Bad(f"expected {'a date' if pattern is DATE else 'a timestamp'} like {example}, got {describe(value)}", "value")

    return read


def _duration(value: Any, where: str) -> Any:
    return parse_duration(value)


def _limits(value: Any, where: str) -> Any:
    return parse_percentiles(value, limits_only=True)


def _percentiles(value: Any, where: str) -> Any:
    return parse_percentiles(value)


def _bound(value: Any, where: str) -> Any:
    return parse_bound(value)


def _range(value: Any, where: str) -> Any:
    return parse_range(value)


def _backoff(value: Any, where: str) -> Any:
    return parse_backoff(value)


# -- nested mappings -----------------------------------------------------------------------------


def _nested(r: _Reader, shape: str, example: str, read: Callable[[_Reader, yamlio.LineDict, str], T]) -> Callable[[Any, str], T | None]:
    """A reader for a key whose value is a mapping of the given shape."""

    def parse(value: Any, where: str) -> T | None:
        if not isinstance(value, yamlio.LineDict):
            raise _Bad(f"expected a mapping with {example}, got {describe(value)}")
        r.check_keys(value, where, SHAPES[shape])
        return read(r, value, where)

    return parse


def _latency_budget(r: _Reader, node: yamlio.LineDict, where: str) -> LatencyBudget:
    f = _Fields(r, node, where)
    for key in SHAPES["latency_budget"]:
        f.read(key, _limits)
    return f.build(LatencyBudget)


def _provided_latency(r: _Reader, node: yamlio.LineDict, where: str) -> ProvidedLatency:
    f = _Fields(r, node, where)
    for key in SHAPES["latency"]:
        f.read(key, _percentiles)
    return f.build(ProvidedLatency)


def _request_budget(r: _Reader, node: yamlio.LineDict, where: str) -> RequestBudget | None:
    """A provided operation's ``latency_budget``: ``total`` (a duration) is required."""
    if "total" not in node:
        r.error(node.line, where, 'missing key "total" (the end-to-end budget of one request, such as 5s)', "missing")
        return None
    f = _Fields(r, node, where)
    f.read("total", _duration)
    return f.build(RequestBudget)


RETRY_CONDITION = re.compile(r"^([1-5]xx|[1-5][0-9][0-9]|timeout|connection)$")


def _retry_conditions(value: Any, where: str) -> tuple[str, ...]:
    """Status classes (``4xx``), status codes (``429``), ``timeout`` or ``connection``; one, or a list."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        text = str(item).lower() if isinstance(item, (int, str)) and not isinstance(item, bool) else ""
        if not RETRY_CONDITION.match(text):
            raise _Bad(f"expected status classes (4xx), status codes (429), timeout or connection, got {describe(item)}", "value")
        out.append(text)
    return tuple(dict.fromkeys(out))


def _retry_advice(r: _Reader, node: yamlio.LineDict, where: str) -> RetryAdvice:
    f = _Fields(r, node, where)
    f.read("retry_after", _one_of(RETRY_AFTER))
    f.read("retry_on", _retry_conditions)
    f.read("do_not_retry", _retry_conditions)
    f.read("max_attempts", _attempts)
    return f.build(RetryAdvice)


def _on_timeout(r: _Reader, node: yamlio.LineDict, where: str) -> OnTimeout:
    f = _Fields(r, node, where)
    f.read("generates_new_request_id", _bool)
    f.read("reason", _text)
    return f.build(OnTimeout)


def _policy_fields(r: _Reader, f: _Fields) -> None:
    f.read("attempts", _attempts)
    f.read("backoff", _backoff)
    f.read("on_timeout", _nested(r, "on_timeout", "generates_new_request_id: true|false", _on_timeout))
    f.read("reason", _text)


# -- section entries ------------------------------------------------------------------------------


def _entry(r: _Reader, node: yamlio.LineDict, where: str, section: str) -> tuple[bool, _Fields]:
    """Whether a section entry's keys are those its section allows (and requires), and a reader of its fields."""
    return r.check_keys(node, where, SHAPES[section], REQUIRED[section]), _Fields(r, node, where)


def _mark(f: _Fields) -> None:
    """``inferred: true|false`` → ``unconfirmed`` (``false`` is the same as leaving the key out)."""
    f.read("inferred", _bool, attr="unconfirmed")


def _dependency(r: _Reader, node: yamlio.LineDict, where: str) -> Dependency | None:
    ok, f = _entry(r, node, where, "depends_on")
    service = f.read("service", _service_name)
    operation = f.read("operation", _text)
    f.read("latency_budget", _nested(r, "latency_budget", "target/acceptable/maximum: p95 < 200ms", _latency_budget))
    f.read("timeout", _duration)
    f.read("fallback", _text)

    def retry(value: Any, where_: str) -> RetryPolicy | None:
        target = f"{service}.{operation}" if operation else service
        if value == "none":
            line = node.line_of("retry")
            return RetryPolicy(target=target, service=service, operation=operation, enabled=False, location=Location(r.file, line), lines=(("enabled", line),))
        if not isinstance(value, yamlio.LineDict):
            raise _Bad(f"expected none or a retry policy mapping ({', '.join(SHAPES['retry'])}), got {describe(value)}")
        r.check_keys(value, where_, SHAPES["retry"])
        g = _Fields(r, value, where_)
        g.values.update(target=target, service=service, operation=operation)
        _policy_fields(r, g)
        return g.build(RetryPolicy)

    f.read("retry", retry)
    _mark(f)
    if not ok or service is None:
        return None
    return f.build(Dependency)


def _provided(r: _Reader, node: yamlio.LineDict, where: str) -> ProvidedOperation | ProvidedDataset | ProvidedEndpoint | None:
    kinds = [k for k in PROVIDES_KINDS if k in node]
    if len(kinds) != 1:
        found = f" (found {', '.join(kinds)})" if kinds else ""
        message = "expected exactly one of operation, dataset or endpoint in a provides entry" + found
        r.error(node.line, where, message, "missing" if not kinds else "structure")
        return None
    kind = kinds[0]
    r.check_keys(node, where, SHAPES[f"provides.{kind}"], (), f"a provided {kind}")
    f = _Fields(r, node, where)
    if kind == "operation":
        name = f.read("operation", _text)
        f.read("latency", _nested(r, "latency", "current/target: p50=80ms, p95=150ms", _provided_latency))
        f.read("latency_budget", _nested(r, "operation_budget", "total: 5s", _request_budget))
        f.read("retry_advice", _nested(r, "retry_advice", "do_not_retry: [4xx], max_attempts: 3", _retry_advice))
        _mark(f)
        return f.build(ProvidedOperation) if name else None
    if kind == "dataset":
        name = f.read("dataset", _text)
        f.read("via", _text)
        f.read("freshness", _range)
        _mark(f)
        return f.build(ProvidedDataset) if name else None
    name = f.read("endpoint", _text)
    f.read("returns", _text)
    f.read("access", _text)
    f.read("pii", _one_of(PII_LEVELS))
    f.read("path", _path)
    f.read("method", _one_of(HTTP_METHODS))
    _mark(f)
    return f.build(ProvidedEndpoint) if name else None


def _data_dependency(r: _Reader, node: yamlio.LineDict, where: str) -> DataDependency | None:
    ok, f = _entry(r, node, where, "data_dependencies")
    source = f.read("source", _text)
    f.read("dataset", _text)
    f.read("freshness_required", _bound)
    f.read("reason", _text)
    f.read("impact_if_stale", _text)
    _mark(f)
    return f.build(DataDependency) if ok and source else None


def _retry_policy(r: _Reader, node: yamlio.LineDict, where: str) -> RetryPolicy | None:
    ok, f = _entry(r, node, where, "retry_policies")
    target = f.read("target", _target)
    if target:
        f.values.update(target=".".join(p for p in target if p), service=target[0], operation=target[1])
    _policy_fields(r, f)
    _mark(f)
    return f.build(RetryPolicy) if ok and target else None


def _operation(r: _Reader, node: yamlio.LineDict, where: str) -> Operation | None:
    ok, f = _entry(r, node, where, "operations")
    name = f.read("name", _text)
    f.read("idempotency_key", _text)
    f.read("expects", _one_of(IDEMPOTENCY_EXPECTATIONS))
    f.read("window", _duration)
    _mark(f)
    return f.build(Operation) if ok and name else None


def _requirement(r: _Reader, node: yamlio.LineDict, where: str) -> Requirement | None:
    ok, f = _entry(r, node, where, "requires")
    source = f.read("from", _service_name, attr="from_service")
    data = f.read("data", _text)
    f.read("access_level", _text)
    f.read("use_case", _text)
    return f.build(Requirement) if ok and source and data else None


def _decision(r: _Reader, node: yamlio.LineDict, where: str) -> Decision | None:
    ok, f = _entry(r, node, where, "decisions")
    for older, newer in (("timestamp", "proposed_at"), ("review_date", "review_by")):
        if older in node and newer in node:
            r.error(node.line_of(older), where, f"give {newer} or its older spelling {older}, not both", "value")
            ok = False
    f.read("id", _version)
    title = f.read("title", _text)
    f.read("proposer", _text)
    f.read("timestamp", _timestamp(TIMESTAMP, "2025-03-01T10:00:00Z"))
    f.read("proposed_at", _timestamp(TIMESTAMP, "2025-03-01T10:00:00Z"), attr="timestamp")
    f.read("rationale", _text)
    f.read("alternatives", _texts)
    f.read("agreed_by", _agreements)
    f.read("review_date", _timestamp(DATE, "2025-06-01"))
    f.read("review_by", _timestamp(DATE, "2025-06-01"), attr="review_date")
    f.read("supersedes", _ids)
    f.read("applies_to", _scopes)
    return f.build(Decision) if ok and title else None


def _texts(value: Any, where: str) -> tuple[str, ...]:
    """A list of texts (one text is a list of one)."""
    items = value if isinstance(value, list) else [value]
    return tuple(_text(item, f"{where}[{i}]" if isinstance(value, list) else where) for i, item in enumerate(items))


def _ids(value: Any, where: str) -> tuple[str, ...]:
    """Decision ids: one, or a list."""
    items = value if isinstance(value, list) else [value]
    return tuple(_version(item, f"{where}[{i}]" if isinstance(value, list) else where) for i, item in enumerate(items))


_AT = _timestamp(TIMESTAMP, "2025-03-01")


def _agreements(value: Any, where: str) -> tuple[Agreement, ...]:
    """``agreed_by``: a list of names (``Product``) or of ``{name: Product, at: 2025-03-02}``."""
    if not isinstance(value, list) or not value:
        raise _Bad(f"expected a list of who agreed (names, or mappings of name and at), got {describe(value) if value != [] else 'an empty list'}")
    out: list[Agreement] = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if isinstance(item, dict):
            unknown = sorted(str(k) for k in item if k not in ("name", "at"))
            if unknown or "name" not in item:
                raise _Bad(f"{here}: expected the keys name (required) and at, got {', '.join(unknown) or 'no name'}", "key")
            out.append(Agreement(_text(item["name"], f"{here}.name"), _AT(item["at"], f"{here}.at") if item.get("at") is not None else None))
        else:
            out.append(Agreement(_text(item, here)))
    return tuple(out)


_FINDING_ID = re.compile(r"^[a-z][a-z0-9_.-]*:[0-9a-f]{12}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{16,64}$")
_PAIR = re.compile(r"^\s*([^\s>→-][^>→]*?)\s*(?:->|→)\s*(\S.*?)\s*$")


def _scopes(value: Any, where: str) -> tuple[DecisionScope, ...]:
    """``applies_to``: a list of a finding id (``latency.timeout-budget:0123456789ab``), a fingerprint,
    a service pair (``checkout -> risk``), a check (an id, a family or a glob), or a mapping of
    ``check``, ``finding``, ``services`` (a list) and ``subject``, all of which must match."""
    if not isinstance(value, list) or not value:
        raise _Bad(
            f"expected a list of what the decision covers (finding ids, checks, 'consumer -> provider'), got {describe(value) if value != [] else 'an empty list'}"
        )
    out: list[DecisionScope] = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if isinstance(item, dict):
            unknown = sorted(str(k) for k in item if k not in ("check", "finding", "services", "subject"))
            if unknown or not item:
                raise _Bad(f"{here}: expected the keys check, finding, services, subject, got {', '.join(unknown) or 'none'}", "key")
            services = item.get("services")
            if services is not None and not (isinstance(services, list) and services):
                raise _Bad(f"{here}.services: expected a list of service names (consumer first), got {describe(services)}")
            out.append(
                DecisionScope(
                    check=_text(item["check"], f"{here}.check") if "check" in item else None,
                    finding=_text(item["finding"], f"{here}.finding") if "finding" in item else None,
                    services=tuple(_service_name(s, f"{here}.services") for s in services or ()),
                    subject=_text(item["subject"], f"{here}.subject") if "subject" in item else None,
                )
            )
            continue
        text = _text(item, here).strip()
        pair = _PAIR.match(text)
        if _FINDING_ID.match(text) or _FINGERPRINT.match(text):
            out.append(DecisionScope(finding=text))
        elif pair is not None:
            out.append(DecisionScope(services=(pair.group(1), pair.group(2))))
        else:
            out.append(DecisionScope(check=text))
    return tuple(out)


def _message(r: _Reader, node: yamlio.LineDict, where: str, section: str, own: tuple[tuple[str, Callable[[Any, str], Any]], ...]) -> _Fields | None:
    """The fields of a ``publishes`` or ``consumes`` entry: those both have, then the section's ``own``;
    None when the entry has no usable ``topic``."""
    ok, f = _entry(r, node, where, section)
    topic = f.read("topic", _text)
    f.read("broker", _one_of(BROKERS))
    f.read("event", _text)
    f.read("delivery", _one_of(DELIVERY_GUARANTEES))
    f.read("dataset", _text)
    for key, parse in own:
        f.read(key, parse)
    _mark(f)
    return f if ok and topic else None


def _publication(r: _Reader, node: yamlio.LineDict, where: str) -> Publication | None:
    f = _message(r, node, where, "publishes", (("ordering_key", _text), ("lag", _duration)))
    return f.build(Publication) if f is not None else None


def _subscription(r: _Reader, node: yamlio.LineDict, where: str) -> Subscription | None:
    own = (
        ("group", _text),
        ("idempotent", _bool),
        ("dedup_key", _text),
        ("dedup_window", _duration),
        ("freshness_required", _bound),
        ("dead_letter", _text),
    )
    f = _message(r, node, where, "consumes", own)
    if f is None:
        return None
    if f.values.get("idempotent") is True and "dedup_key" not in node:
        r.error(
            node.line_of("idempotent"),
            f"{where}.idempotent",
            "idempotent: true needs dedup_key (the message id or business key the consumer de-duplicates on)",
            "missing",
        )
    return f.build(Subscription)


def _ignore(r: _Reader, node: yamlio.LineDict, where: str, service: str) -> IgnoreEntry | None:
    ok = r.check_keys(node, where, IGNORE_KEYS, ("check", "reason"), "an ignore entry")
    f = _Fields(r, node, where)
    check = f.read("check", _text)
    reason = f.read("reason", _text)
    target = f.read("target", _target)
    expires = f.read("expires", _timestamp(DATE, "2027-01-31"))
    if not (ok and check and reason):
        return None
    return IgnoreEntry(service, check, reason, r.location(node), target[0] if target else None, target[1] if target else None, expires or "")


_SECTION_READERS: dict[str, tuple[str, Callable[[_Reader, yamlio.LineDict, str], Any]]] = {
    "depends_on": ('"- service: risk"', _dependency),
    "provides": ('"- operation: scoreTransaction"', _provided),
    "data_dependencies": ('"- source: orders-db"', _data_dependency),
    "retry_policies": ('"- target: risk.scoreTransaction"', _retry_policy),
    "operations": ('"- name: scoreTransaction"', _operation),
    "requires": ('"- from: risk"', _requirement),
    "decisions": ('"- title: ..."', _decision),
    "publishes": ('"- topic: orders.placed"', _publication),
    "consumes": ('"- topic: orders.placed"', _subscription),
}


# -- merging documents per service ---------------------------------------------------------------


def _describe_key(key: Any) -> str:
    if not isinstance(key, tuple):
        return str(key)
    parts = [str(k) for k in key if k is not None]
    return " ".join(parts) if parts and parts[0] in PROVIDES_KINDS else ".".join(parts)


def _merge(docs: list[_Doc]) -> tuple[dict[str, ServiceContract], list[ContractError]]:
    """Merge documents of the same ``service:`` in file order; later duplicates are reported and dropped."""
    errors: list[ContractError] = []
    grouped: dict[str, list[_Doc]] = {}
    for doc in docs:
        grouped.setdefault(doc.service, []).append(doc)
    out: dict[str, ServiceContract] = {}
    for service in sorted(grouped):
        group = grouped[service]
        first = group[0]
        version: str | None = None
        version_at: Location | None = None
        owners = tuple(dict.fromkeys(o for doc in group for o in doc.owners))
        sections: dict[str, list[Any]] = {key: [] for key in _SECTION_READERS}
        seen: dict[tuple[str, Any], Location] = {}
        for doc in group:
            if doc.version is not None:
                here = Location(doc.location.file, doc.version_line)
                if version is None:
                    version, version_at = doc.version, here
                elif doc.version != version:
                    errors.append(
                        ContractError(
                            here.file,
                            here.line,
                            f"version: {doc.version} conflicts with version {version} declared at {version_at} for service {service}",
                            "conflict",
                        )
                    )
            for key, items in doc.sections.items():
                for item in items:
                    ident = (key, item.key)
                    if ident in seen:
                        msg = f"{key}: duplicate entry for {_describe_key(item.key)} of service {service}; first declared at {seen[ident]}"
                        errors.append(ContractError(item.location.file, item.location.line, msg, "duplicate"))
                        continue
                    seen[ident] = item.location
                    sections[key].append(item)
        lines = [("service", first.location.line)]
        if version_at is not None and version_at.file == first.location.file:
            lines.append(("version", version_at.line))
        out[service] = ServiceContract(
            service=service,
            version=version,
            owners=owners,
            depends_on=tuple(sections["depends_on"]),
            provides=tuple(sections["provides"]),
            data_dependencies=tuple(sections["data_dependencies"]),
            retry_policies=tuple(sections["retry_policies"]),
            operations=tuple(sections["operations"]),
            requires=tuple(sections["requires"]),
            decisions=tuple(sections["decisions"]),
            publishes=tuple(sections["publishes"]),
            consumes=tuple(sections["consumes"]),
            documents=tuple(d.location for d in group),
            found_in=tuple(dict.fromkeys(d.found_in for d in group if d.found_in)),
            location=first.location,
            lines=tuple(lines),
        )
    return out, errors
