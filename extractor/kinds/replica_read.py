"""``replica_read``: a read from a read replica (data that may lag behind the primary)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .convert import mechanism, scalar, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = fields(
    """
    mechanism  string?  req  django_using, django_router, sqlalchemy_engine, psycopg, asyncpg, pymongo, redis, oslo_db, name_heuristic, ...
    source     string?  req  Database alias, URL host, env var or expression naming the replica.
    dataset    string?  req  Model, table or collection read, when known.
    evidence   string?  req  Why this is a replica read (the matching name or setting).
    """
)

RAW = raws(
    """
    mechanism  -  Reported as is (default: the rule's `library`).
    source     -  A URL or DSN is shortened to its host.
    dataset    -  A SQL text gives the table after `FROM`, a model class its name.
    evidence   -  Why it is a replica; what the rule's `where:` matched is appended.
    """
)


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
        "mechanism": mechanism(raw, rule),
        "source": source_text(raw.get("source")),
        "dataset": dataset_text(raw.get("dataset")),
        "evidence": evidence,
    }
    for k, v in raw.items():
        if k not in out and not k.startswith("_"):
            out[k] = scalar(v)
    return out


KIND = Kind(
    "replica_read",
    FIELDS,
    RAW,
    finalize,
    "A read from a read replica: which replica, which data, and why it is one.",
    extra_raw="other names set by `impl:` rules pass through as scalars; names starting with `_` stay internal",
)
