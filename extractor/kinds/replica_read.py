"""``replica_read``: a read from a read replica (data that may lag behind the primary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Field, Kind, KindView, LinkContext, Raw
from .convert import scalar, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = (
    Field(
        "mechanism",
        ("string", "null"),
        "django_using, django_router, sqlalchemy_engine, psycopg, asyncpg, pymongo, redis, oslo_db, name_heuristic, ...",
        required=True,
    ),
    Field("source", ("string", "null"), "Database alias, URL host, env var or expression naming the replica.", required=True),
    Field("dataset", ("string", "null"), "Model, table or collection read, when known.", required=True),
    Field("evidence", ("string", "null"), "Why this is a replica read (the matching name or setting).", required=True),
)

RAW = (
    Raw("mechanism", "Reported as is (default: the rule's `library`)."),
    Raw("source", "A URL or DSN is shortened to its host."),
    Raw("dataset", "A SQL text gives the table after `FROM`, a model class its name."),
    Raw("evidence", "Why it is a replica; what the rule's `where:` matched is appended."),
)


@dataclass(frozen=True, slots=True)
class ReplicaRead(KindView):
    """A replica read as the facts JSON shows it."""

    mechanism: str | None = None
    source: str | None = None
    dataset: str | None = None
    evidence: str | None = None


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    from ..replicas import (  # replicas reads values with this package's helpers
        dataset_text,
        source_text,
    )

    evidence = text_or_none(raw.get("evidence"))
    hits = raw.get("_where_hits") or {}
    hit = hits.get("source") or next((h for h in hits.values() if h), None)  # what the rule's where matched
    if hit and (evidence is None or hit not in evidence):
        evidence = f"{evidence}: {hit}" if evidence and evidence not in hit else hit
    out: dict[str, Any] = {
        "mechanism": text_or_none(raw.get("mechanism")) or rule.library or None,
        "source": source_text(raw.get("source")),
        "dataset": dataset_text(raw.get("dataset")),
        "evidence": evidence,
    }
    for k, v in raw.items():
        if k not in out and not k.startswith("_"):
            out[k] = scalar(v)
    return out


KIND = Kind(
    name="replica_read",
    doc="A read from a read replica: which replica, which data, and why it is one.",
    fields=FIELDS,
    raw=RAW,
    finalize=finalize,
    view=ReplicaRead,
    extra_raw="other names set by `impl:` rules pass through as scalars; names starting with `_` stay internal",
)
