"""Replica reads: what names a replica, and the text of a ``replica_read`` fact's source and dataset.

``REPLICA_NAME`` is the naming convention the replica rules share (their ``where:`` patterns spell
the same expression): a replica-like word as a whole word or an ``_``/``-``/``.``/camelCase part —
``replica``, ``read``, ``reader``, ``ro``, ``readonly``/``read_only``, ``slave``, ``secondary``,
``standby``, ``follower``, ``mirror`` — so ``orders_ro`` and ``readReplica`` match while
``router``, ``cron``, ``readme`` and ``read_write`` do not.
"""

from __future__ import annotations

import re
from typing import Any

from .kinds import text_or_none
from .values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, describe, strip

_LOWER = r"replicas?|read(?:ers?|only)?|ro|slaves?|secondary|standby|followers?|mirror"
_TITLE = r"Replicas?|Read(?:ers?|[Oo]nly)?|Ro|Slaves?|Secondary|Standby|Followers?|Mirror"
_UPPER = r"REPLICAS?|READ(?:ERS?|ONLY)?|RO|SLAVES?|SECONDARY|STANDBY|FOLLOWERS?|MIRROR"
REPLICA_NAME = re.compile(
    rf"(?<![A-Za-z])(?:{_LOWER})(?![a-z])(?![-_. ]?[Ww]rite)"
    rf"|(?<![A-Z])(?:{_TITLE})(?![a-z])(?![-_. ]?[Ww]rite)"
    rf"|(?<![A-Za-z])(?:{_UPPER})(?![A-Z])(?![-_. ]?WRITE)"
)

_FROM = re.compile(r"(?is)\bfrom\s+((?:[\"`\[]?[A-Za-z_][\w$]*[\"`\]]?\.)*[\"`\[]?[A-Za-z_][\w$]*[\"`\]]?)")
_SQL_WORDS = {"select", "where", "lateral", "unnest", "only", "generate_series", "values", "json_each", "jsonb_each"}
_BUILDER = re.compile(r"\b(?:select|query|get|scalars?)\(\s*([A-Z]\w*)")
_KV_HOST = re.compile(r"(?:^|\s)host\s*=\s*'?([^\s',]+)")


def sql_table(sql: str) -> str | None:
    """The first table a SQL text reads ``FROM`` (``public.user_purchases``), quotes removed."""
    for m in _FROM.finditer(sql):
        name = re.sub(r"[\"`\[\]]", "", m.group(1))
        if name.lower() not in _SQL_WORDS:
            return name
    return None


def _looks_like_sql(text: str) -> bool:
    return bool(re.search(r"(?i)^\s*(select|with|show|table|values)\b|\bfrom\b", text)) and " " in text.strip()


def dataset_text(v: Any) -> str | None:
    """Model, table or collection a query reads, as far as the value says.

    A model class (imported or local) gives its name; a SQL literal the table after ``FROM``;
    ``text(...)``/``select(...)`` are looked through; other expressions yield what their source
    text shows (``select(Order).where(...)`` → ``Order``), else nothing.
    """
    if v is None:
        return None
    if isinstance(v, str):
        return sql_table(v) if _looks_like_sql(v) else (v or None)
    if isinstance(v, Named):
        inner = strip(v)
        if isinstance(inner, Dynamic):  # an unresolved import: a model class
            return _class_in(inner.text) or v.name
        return dataset_text(inner)
    if isinstance(v, Ref):
        return _class_in(v.qualname) or v.name
    if isinstance(v, Const):
        return dataset_text(v.value) if isinstance(v.value, str) else None
    if isinstance(v, Concat):
        return dataset_text(describe(v))
    if isinstance(v, Seq):
        return next((d for d in (dataset_text(x) for x in v.items) if d), None)
    if isinstance(v, Call):
        for x in v.args:
            found = dataset_text(x)
            if found:
                return found
        return None
    if isinstance(v, Dynamic):
        text = v.text
        m = _BUILDER.search(text)
        if m:
            return m.group(1)
        for lit in re.findall(r"\"([^\"]*)\"|'([^']*)'", text):
            s = lit[0] or lit[1]
            if _looks_like_sql(s) and sql_table(s):
                return sql_table(s)
        if re.fullmatch(r"[\w.]+", text):
            return _class_in(text)
        return None
    return None


def _class_in(dotted: str) -> str | None:
    """The last capitalised part of a dotted name (``app.models.Order.id`` → ``Order``)."""
    for part in reversed(dotted.split(".")):
        if part[:1].isupper():
            return part
    return None


def source_text(v: Any) -> str | None:
    """What names the replica: an alias or host as written; a URL or DSN shortened to its host
    (credentials are never kept); an env var without default as ``{env NAME}``."""
    text = text_or_none(v)
    if text is None:
        return None
    if "://" in text:
        netloc = text.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        host = netloc.rpartition("@")[2]
        host = host.split(",", 1)[0]
        if host and not host.startswith("["):
            host = host.split(":", 1)[0]
        return host or text
    m = _KV_HOST.search(text)
    if m and "=" in text:
        return m.group(1)
    return text


def value_strings(v: Any) -> list[str]:
    """String constants a value may evaluate to (``random.choice([...])`` items, an env default)."""
    s = strip(v)
    if s is None:
        return []
    if isinstance(s, Const):
        return [s.value] if isinstance(s.value, str) else []
    if isinstance(s, Env):
        return value_strings(s.default) if s.default is not None else []
    if isinstance(s, Seq):
        return [x for item in s.items for x in value_strings(item)]
    if isinstance(s, Call):
        return [x for item in s.args for x in value_strings(item)]
    if isinstance(s, (Map, Obj, Dynamic)):
        return []
    return []


__all__ = ["REPLICA_NAME", "dataset_text", "source_text", "sql_table", "value_strings"]
