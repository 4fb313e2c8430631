"""``id_generation``: an id made in code (uuid4, ulid, ...), whether a retry re-makes it, where it goes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, Shape, fields, raws
from .convert import text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FLOW_TO = Shape(
    "FlowTo",
    "An id sent with a call: ``as_`` is ``header:NAME``, ``field:NAME`` or ``kwarg:NAME``.",
    fields(
        """
        call  string?  req  Id of the call fact the id is sent with.
        as    string   req  header:NAME, field:NAME or kwarg:NAME
        """
    ),
)

FIELDS = fields(
    """
    generator     string?  req       The function making the id (uuid.uuid4, ...).
    variable      string?  -         The variable the id is bound to.
    inside_retry  boolean  req,link  Made inside a retry scope: a new id on every attempt.
    retry_policy  string?  req,link  Id of the innermost retry_policy fact it is made inside, or null.
    flows_to      array    req       The calls the id is sent with, and as what.
    """,
    flows_to=FLOW_TO,
)

RAW = raws("generator  -  The function making the id (the engine adds `variable`, `flows_to`).")


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {
        "generator": text_or_none(raw.get("generator")),
        "variable": text_or_none(raw.get("variable")),
        "inside_retry": False,
        "retry_policy": None,
        "flows_to": raw.get("flows_to") or [],
    }
    return out


KIND = Kind(
    "id_generation",
    FIELDS,
    RAW,
    finalize,
    "An id made in code: its generator, whether it is made inside a retry (a new id on every attempt), and the calls it is sent with.",
)
