"""The facts a scan produces: the versioned public interface ``facts.v1``.

A *fact* is one thing the code shows about a service ("calls risk with a 200 ms timeout").
Every fact has the same header (kind, rule, service, file, line, col, confidence, id) and
kind-specific ``fields``; ``docs/schemas/facts.v1.schema.json`` is the contract for consumers,
generated from the kind definitions in ``extractor/kinds/`` (fields, finalizers, typed views).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

FACTS_VERSION = 1

CONFIDENCES = ("high", "medium", "low")

SEVERITIES = ("error", "warning", "info")
"""How bad a diagnostic is."""

LANGUAGES = ("python", "go", "java", "javascript", "typescript", "csharp", "kotlin", "rust", "php", "ruby")
"""The languages a service may list (the facts schema's enum)."""

DIAGNOSTIC_KINDS = (
    "syntax_error",
    "decode_error",
    "binary",
    "too_large",
    "empty",
    "unreadable",
    "symlink_outside_root",
    "rule_error",
    "config_error",
    "internal_error",
    "timeout",
    "too_deep",
    "crashed",
)

UNANALYSED_KINDS = frozenset({"decode_error", "binary", "too_large", "unreadable", "internal_error", "timeout", "too_deep", "crashed"})
"""Diagnostics that mean a source file was not analysed, or lost facts half-way; so does a
``syntax_error`` of severity ``error`` (not parsed at all; a ``warning`` one was analysed as far
as it parsed)."""


@dataclass(slots=True)
class Fact:
    """One extracted fact. ``fields`` holds the kind-specific values (JSON-compatible)."""

    kind: str
    rule: str
    file: str
    line: int
    col: int
    confidence: str
    fields: dict[str, Any]
    service: str | None = None
    scope: str = ""
    anchor: str = ""  # normalised source text the stable id is derived from
    id: str = ""
    key: int = 0  # file-local handle used by links between facts before ids exist

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.col, self.kind, self.rule, self.anchor)

    def variant(self, **changes: Any) -> Fact:
        """A new fact at this one's place (file, line, col, service, scope) with ``changes``; no id yet."""
        return replace(self, id="", **changes)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "rule": self.rule,
            "service": self.service,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "confidence": self.confidence,
        }
        if self.scope:
            out["enclosing"] = self.scope
        for name in sorted(self.fields):
            out[name] = self.fields[name]
        return out


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem with one input (a file, a rule, a config) that did not stop the scan."""

    file: str
    kind: str
    message: str
    line: int = 0
    severity: str = "warning"

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.kind, self.message)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "kind": self.kind, "severity": self.severity, "message": self.message}
        if self.line:
            out["line"] = self.line
        return out


def unanalysed(diagnostics: list[Diagnostic], roots: list[str]) -> list[Diagnostic]:
    """One diagnostic per source file of a service (under one of ``roots``) that could not be
    analysed, the first of its file; sorted by file. What ``--strict`` fails on."""
    out: dict[str, Diagnostic] = {}
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        lost = d.kind in UNANALYSED_KINDS or (d.kind == "syntax_error" and d.severity == "error")
        if lost and d.file not in out and any(root == "." or d.file.startswith(root + "/") for root in roots):
            out[d.file] = d
    return list(out.values())


@dataclass(frozen=True, slots=True)
class Service:
    """A deployable unit of the monorepo: a directory with its own manifest or contracts folder."""

    name: str
    root: str  # posix path relative to the scan root ("." for the root itself)
    languages: tuple[str, ...] = ()
    manifests: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "root": self.root, "languages": list(self.languages), "manifests": list(self.manifests)}


@dataclass(slots=True)
class ScanResult:
    root: str
    services: list[Service]
    facts: list[Fact]
    diagnostics: list[Diagnostic]
    stats: dict[str, Any] = field(default_factory=dict)
    call_index: Any = None  # reach.CallIndex: which functions each function calls (from the per-file summaries; not in the JSON)
    inventory: list[Any] = field(default_factory=list)  # discover.Folder: every folder considered, service or not, and why

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FACTS_VERSION,
            "root": self.root,
            "services": [s.to_json() for s in sorted(self.services, key=lambda s: (s.name, s.root))],
            "facts": [f.to_json() for f in sorted(self.facts, key=Fact.sort_key)],
            "diagnostics": [d.to_json() for d in sorted(self.diagnostics, key=Diagnostic.sort_key)],
            "inventory": [f.to_json() for f in sorted(self.inventory, key=lambda f: f.root)],
        }

    def unanalysed(self) -> list[Diagnostic]:
        """The services' source files that could not be analysed (see :func:`unanalysed`)."""
        return unanalysed(self.diagnostics, [s.root for s in self.services])


def assign_ids(facts: list[Fact]) -> None:
    """Give every fact an id that survives unrelated edits (line shifts) but not a change of the fact.

    The id hashes the rule, kind, file, enclosing scope and the normalised source text of the
    construct, plus an occurrence counter for identical constructs in the same scope.
    """
    seen: dict[tuple, int] = {}
    key_to_id: dict[tuple[str, int], str] = {}
    for fact in sorted(facts, key=Fact.sort_key):
        base = (fact.rule, fact.kind, fact.file, fact.scope, fact.anchor)
        n = seen.get(base, 0)
        seen[base] = n + 1
        digest = hashlib.sha1("\x1f".join(map(str, base + (n,))).encode()).hexdigest()[:12]
        fact.id = f"{fact.kind}:{digest}"
        key_to_id[(fact.file, fact.key)] = fact.id
    for fact in facts:
        for name, value in list(fact.fields.items()):
            fact.fields[name] = _resolve_refs(value, fact.file, key_to_id)


def _resolve_refs(value: Any, file: str, key_to_id: dict[tuple[str, int], str]) -> Any:
    if isinstance(value, FactRef):
        return key_to_id.get((value.file or file, value.key))
    if isinstance(value, list) and value:
        items = [_resolve_refs(v, file, key_to_id) for v in value]
        if isinstance(value[0], FactRef):
            return sorted({i for i in items if i is not None})
        return items
    if isinstance(value, dict):
        return {k: _resolve_refs(v, file, key_to_id) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class FactRef:
    """A link to another fact (of ``file``, or of the same file when empty), replaced by its id at the end."""

    key: int
    file: str = ""
