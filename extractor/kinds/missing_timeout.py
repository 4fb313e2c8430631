"""``missing_timeout``: a call that can wait forever, derived from ``http_call`` / ``grpc_call`` facts."""

from __future__ import annotations

from .base import Kind, fields
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


KIND = Kind(
    "missing_timeout",
    FIELDS,
    (),
    generic,
    "A call that can wait forever (derived by a rule's `derive:` from call facts; rules set no fields).",
    rule_page=("call", "library", "method", "url", "target"),
)
