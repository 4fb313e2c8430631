"""``idempotency_key``: a handler de-duplicating requests on a key it expects stable across retries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .convert import ms_or_none, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = fields(
    """
    key        string?  req  The header or field the handler de-duplicates on.
    source     string?  req  header, field, parameter.
    store      string?  -    The cache/dict/set looked up.
    handler    string?  -    The handler de-duplicating.
    window_ms  ms       -    How long a key is remembered.
    """
)

RAW = raws(
    """
    key      -      The header or field name.
    source   -      header, field, parameter.
    store    -      The cache/dict/set looked up.
    handler  -      The handler.
    window   units  How long a key is remembered.
    """
)


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {k: text_or_none(raw.get(k)) for k in ("key", "source", "store", "handler")}
    out["window_ms"] = ms_or_none(raw, "window")
    return out


KIND = Kind(
    "idempotency_key",
    FIELDS,
    RAW,
    finalize,
    "A handler de-duplicating requests on a key (header, field): it expects the key to be stable across retries.",
)
