"""``idempotency_key``: a handler de-duplicating requests on a key it expects stable across retries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Field, Kind, KindView, LinkContext, Raw
from .convert import ms_field, num, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = (
    Field("key", ("string", "null"), "The header or field the handler de-duplicates on.", required=True),
    Field("source", ("string", "null"), "header, field, parameter.", required=True),
    Field("store", ("string", "null"), "The cache/dict/set looked up."),
    Field("handler", ("string", "null"), "The handler de-duplicating."),
    Field("window_ms", None, "How long a key is remembered.", schema={"$ref": "#/$defs/ms"}),
)

RAW = (
    Raw("key", "The header or field name."),
    Raw("source", "header, field, parameter."),
    Raw("store", "The cache/dict/set looked up."),
    Raw("handler", "The handler."),
    Raw("window", "How long a key is remembered.", units=True),
)


@dataclass(frozen=True, slots=True)
class IdempotencyKey(KindView):
    """An idempotency key check as the facts JSON shows it."""

    key: str | None = None
    source: str | None = None
    store: str | None = None
    handler: str | None = None
    window_ms: int | float | None = None


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in ("key", "source", "store", "handler", "window_ms"):
        v = raw.get(k)
        out[k] = text_or_none(v) if k != "window_ms" else (num(ms_field(raw, "window")) if ms_field(raw, "window") is not None else None)  # type: ignore[arg-type]
    return out


KIND = Kind(
    name="idempotency_key",
    doc="A handler de-duplicating requests on a key (header, field): it expects the key to be stable across retries.",
    fields=FIELDS,
    raw=RAW,
    finalize=finalize,
    view=IdempotencyKey,
)
