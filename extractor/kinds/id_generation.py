"""``id_generation``: an id made in code (uuid4, ulid, ...), whether a retry re-makes it, where it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .base import Kind, KindView, LinkContext, fields, raws
from .convert import text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FLOW_ITEM = {
    "type": "object",
    "required": ["call", "as"],
    "additionalProperties": False,
    "properties": {
        "call": {"type": ["string", "null"], "description": "Id of the call fact the id is sent with."},
        "as": {"type": "string", "description": "header:NAME, field:NAME or kwarg:NAME"},
    },
}

FIELDS = fields(
    """
    generator     string?  req       The function making the id (uuid.uuid4, ...).
    variable      string?  -         The variable the id is bound to.
    inside_retry  boolean  req,link  Made inside a retry scope: a new id on every attempt.
    retry_policy  string?  req,link  Id of the innermost retry_policy fact it is made inside, or null.
    flows_to      array    req       The calls the id is sent with, and as what.
    """,
    flows_to={"items": FLOW_ITEM},
)

RAW = raws("generator  -  The function making the id (the engine adds `variable`, `flows_to`).")


@dataclass(frozen=True, slots=True)
class FlowTo:
    """An id sent with a call: ``as_`` is ``header:NAME``, ``field:NAME`` or ``kwarg:NAME``."""

    call: str | None = None
    as_: str | None = None

    @classmethod
    def of(cls, v: Any) -> FlowTo:
        return cls(v.get("call"), v.get("as")) if isinstance(v, dict) else cls()


@dataclass(frozen=True, slots=True)
class IdGeneration(KindView):
    """An id made in code: its generator, whether it is made inside a retry (a new id on every attempt), and the calls it is sent with."""

    generator: str | None = None
    variable: str | None = None
    inside_retry: bool = False
    retry_policy: str | None = None
    flows_to: tuple[FlowTo, ...] = ()

    NESTED: ClassVar[dict[str, Callable[[Any], Any]]] = {"flows_to": FlowTo.of}


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {
        "generator": text_or_none(raw.get("generator")),
        "variable": text_or_none(raw.get("variable")),
        "inside_retry": False,
        "retry_policy": None,
        "flows_to": raw.get("flows_to") or [],
    }
    return out


KIND = Kind("id_generation", FIELDS, RAW, finalize, IdGeneration)
