"""``missing_timeout``: a call that can wait forever, derived from ``http_call`` / ``grpc_call`` facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .base import Field, Kind, KindView
from .calls import TargetView
from .convert import generic

FIELDS = (
    Field("call", None, "The kind of the call fact it was derived from.", required=True, schema={"enum": ["http_call", "grpc_call"]}),
    Field("library", ("string", "null"), "The call's client library."),
    Field("method", ("string", "null"), "The call's HTTP method."),
    Field("url", ("string", "null"), "The call's URL as far as known."),
    Field("target", None, "Where the call goes.", schema={"$ref": "#/$defs/target"}),
    Field("timeout_expr", ("string", "null"), "The timeout expression when one is written (an explicit None)."),
)


@dataclass(frozen=True, slots=True)
class MissingTimeout(KindView):
    """A call without a timeout, as the facts JSON shows it."""

    call: str | None = None
    library: str | None = None
    method: str | None = None
    url: str | None = None
    target: TargetView = field(default_factory=TargetView)
    timeout_expr: str | None = None

    NESTED: ClassVar[dict[str, Callable[[Any], Any]]] = {"target": TargetView.of}


KIND = Kind(
    name="missing_timeout",
    doc="A call that can wait forever (derived by a rule's `derive:` from call facts; rules set no fields).",
    fields=FIELDS,
    raw=(),
    finalize=generic,
    view=MissingTimeout,
    rule_page=("call", "library", "method", "url", "target"),
)
