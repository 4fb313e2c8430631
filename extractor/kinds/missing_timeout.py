"""``missing_timeout``: a call that can wait forever, derived from ``http_call`` / ``grpc_call`` facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .base import Kind, KindView, fields
from .calls import TargetView
from .convert import generic

FIELDS = fields(
    """
    call          -        req  The kind of the call fact it was derived from.
    library       string?  -    The call's client library.
    method        string?  -    The call's HTTP method.
    url           string?  -    The call's URL as far as known.
    target        target   -    Where the call goes.
    timeout_expr  string?  -    The timeout expression when one is written (an explicit None).
    """,
    call={"enum": ["http_call", "grpc_call"]},
)


@dataclass(frozen=True, slots=True)
class MissingTimeout(KindView):
    """A call that can wait forever (derived by a rule's `derive:` from call facts; rules set no fields)."""

    call: str | None = None
    library: str | None = None
    method: str | None = None
    url: str | None = None
    target: TargetView = field(default_factory=TargetView)
    timeout_expr: str | None = None

    NESTED: ClassVar[dict[str, Callable[[Any], Any]]] = {"target": TargetView.of}


KIND = Kind("missing_timeout", FIELDS, (), generic, MissingTimeout, rule_page=("call", "library", "method", "url", "target"))
