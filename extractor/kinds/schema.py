"""The JSON Schemas generated from the kind definitions: the facts (``facts.v1.schema.json``) and
the raw fields a rule may set per kind (``rule-fields.schema.json``, read by the rule loader).

``contracts rules docs`` writes them to ``extractor/schemas/`` (and their copies in ``docs/schemas/``);
a test fails when the committed files differ from what this module generates.
"""

from __future__ import annotations

import json
from typing import Any

from ..discover import ROLES
from ..facts import CONFIDENCES, DIAGNOSTIC_KINDS, FACTS_VERSION, LANGUAGES, SEVERITIES
from . import KINDS
from .base import Field, FieldGroup, Kind, object_schema
from .calls import TARGET_DOC, TARGET_FIELDS

FILE_NAME = f"facts.v{FACTS_VERSION}.schema.json"
RULE_FIELDS_FILE = "rule-fields.schema.json"


def _group(group: FieldGroup) -> dict[str, Any]:
    return object_schema(group.fields, closed=False)


def _kind(kind: Kind) -> dict[str, Any]:
    """A kind's fields; not closed: a fact may carry fields a newer version adds."""
    out: dict[str, Any] = {"description": kind.doc}
    if kind.groups:
        out["allOf"] = [{"$ref": f"#/$defs/{g.name}"} for g in kind.groups]
    out.update(object_schema(kind.fields, closed=False, typed=False))
    return out


SERVICE_FIELDS = (
    Field("name", "string", "The service's name.", required=True),
    Field("root", "string", "Service directory relative to the scan root ('.' for the root).", required=True),
    Field("languages", "array", "The languages of its source files.", required=True, schema={"items": {"enum": list(LANGUAGES)}}),
    Field("manifests", "array", "Its manifest files (pyproject.toml, go.mod, pom.xml, package.json, *.csproj, ...).", schema={"items": {"type": "string"}}),
)

FOLDER_FIELDS = (
    Field(
        "root",
        "string",
        "The folder, relative to the scan root (FILE#NAME for a service with no folder of its own: a Compose image, an Aspire YARP resource).",
        required=True,
    ),
    Field("service", ("string", "null"), "The service it is, or null when it is none.", required=True),
    Field(
        "role",
        None,
        "service or proxy (a service; proxy: a gateway or reverse proxy), image (a service of the system with no folder of its own, running a stock image: root is FILE#NAME); else why not: test, library, orchestrator, shared-defaults, build, workspace, client (a mobile, desktop or browser app), infrastructure (a stock database, broker, cache or telemetry image), excluded (by configuration), nested (inside another service's folder).",
        required=True,
        schema={"enum": list(ROLES)},
    ),
    Field(
        "reason",
        "string",
        "Why, for people: the manifest, the test framework referenced, the projects referencing a library, the configuration key.",
        required=True,
    ),
)

DIAGNOSTIC_FIELDS = (
    Field("file", "string", "The input the problem is about.", required=True),
    Field("line", "integer", "The line, when known.", minimum=1),
    Field("kind", None, "What went wrong.", required=True, schema={"enum": list(DIAGNOSTIC_KINDS)}),
    Field("severity", None, "How bad it is.", required=True, schema={"enum": list(SEVERITIES)}),
    Field("message", "string", "What happened, for people.", required=True),
)

FACT_HEADER = (
    Field(
        "id",
        "string",
        "Stable across unrelated edits: derived from rule, file, scope and the construct's text.",
        required=True,
        schema={"pattern": "^[a-z_]+:[0-9a-f]{12}$"},
    ),
    Field("kind", None, "The fact's kind; its other fields are the kind's.", required=True, schema={"enum": list(KINDS)}),
    Field("rule", "string", "The id of the rule that found it.", required=True),
    Field("service", ("string", "null"), "The service whose code it is in, or null outside any service.", required=True),
    Field("file", "string", "Posix path relative to the scan root.", required=True),
    Field("line", "integer", "1-based line of the construct.", required=True, minimum=1),
    Field("col", "integer", "1-based column of the construct.", required=True, minimum=1),
    Field("confidence", None, "How sure the rule is.", required=True, schema={"enum": list(CONFIDENCES)}),
    Field("enclosing", "string", "Enclosing function or class (dotted), absent at module level."),
)


def facts_schema() -> dict[str, Any]:
    groups: dict[str, FieldGroup] = {g.name: g for k in KINDS.values() for g in k.groups}
    fact = object_schema(FACT_HEADER, closed=False)
    fact["allOf"] = [{"if": {"properties": {"kind": {"const": name}}}, "then": {"$ref": f"#/$defs/{name}"}} for name in KINDS]
    defs: dict[str, Any] = {
        "service": object_schema(SERVICE_FIELDS, closed=True),
        "diagnostic": object_schema(DIAGNOSTIC_FIELDS, closed=True),
        "folder": object_schema(
            FOLDER_FIELDS,
            closed=True,
            doc="A folder discovery considered (one with a manifest or a contracts/ folder): the service it is, or why it is not one.",
        ),
        "ms": {"type": ["number", "null"], "minimum": 0, "description": "A duration in milliseconds; null when not known."},
        "target": object_schema(TARGET_FIELDS, closed=True, doc=TARGET_DOC),
    }
    defs.update({name: _group(g) for name, g in groups.items()})
    defs["fact"] = fact
    defs.update({name: _kind(k) for name, k in KINDS.items()})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://contract-extractor.dev/schemas/{FILE_NAME}",
        "title": f"contracts scan --format json (facts, version {FACTS_VERSION})",
        "description": "Facts extracted from a repository. Field names change only with a version bump. Facts are sorted by (file, line, col, kind, rule); paths are posix and relative to the scan root.",
        "type": "object",
        "required": ["version", "root", "services", "facts", "diagnostics"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": FACTS_VERSION},
            "root": {"type": "string", "description": "The scanned path as given on the command line."},
            "services": {"type": "array", "items": {"$ref": "#/$defs/service"}},
            "facts": {"type": "array", "items": {"$ref": "#/$defs/fact"}},
            "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"}},
            "inventory": {"type": "array", "items": {"$ref": "#/$defs/folder"}},
        },
        "$defs": defs,
    }


def facts_schema_text() -> str:
    return json.dumps(facts_schema(), indent=2) + "\n"


def rule_fields_schema() -> dict[str, Any]:
    """What a rule's ``fields:`` may name, per kind: the raw fields its finalizer reads.

    The rule loader reads this file (it sits below the kinds in the import order) and reports any
    other name with ``file:line``; names starting with ``_`` are the rule's own.
    """
    defs: dict[str, Any] = {}
    for name, kind in KINDS.items():
        raw = [(n, r.doc) for r in kind.raw for n in r.names()]
        defs[name] = {
            "description": f"The fields: of a {name} match." if raw else f"Rules set no fields of {name}.",
            "type": "object",
            "propertyNames": {"anyOf": [{"enum": [n for n, _ in raw]}, {"pattern": "^_"}]},
            "properties": {n: {"description": doc} for n, doc in raw},
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://contract-extractor.dev/schemas/{RULE_FIELDS_FILE}",
        "title": "The raw fields a rule's match may set, per fact kind",
        "description": "Generated from extractor/kinds/ by `contracts rules docs`; do not edit. The link stage turns raw fields into the public fields of facts.v1.schema.json.",
        "$defs": defs,
    }


def rule_fields_schema_text() -> str:
    return json.dumps(rule_fields_schema(), indent=2) + "\n"


GENERATED = {FILE_NAME: facts_schema_text, RULE_FIELDS_FILE: rule_fields_schema_text}
"""The package's schema files generated from the kinds, by file name."""
