"""``http_call``: an outbound HTTP request, its timeout, and the policies covering it."""

from __future__ import annotations

from .base import fields
from .calls import LINK_FIELDS, RAW_CALL, call_kind

FIELDS = (
    fields(
        """
    library  string?  req  The client library (the rule's `library`).
    method   string?  req  HTTP method, upper case; {expr} when dynamic.
    url      string?  req  URL as far as statically known; unknown parts as {expr}.
    target   target   req  Where the call goes.
    """
    )
    + LINK_FIELDS
)


KIND = call_kind(
    "http_call",
    FIELDS,
    RAW_CALL,
    "An outbound HTTP request: method, URL, target service, timeout, and the retry policies and breakers covering it.",
    ("library", "method", "url", "target", "timeout_ms", "timeout_source", "timeout_expr", "timeout_env", "timeout_constant", "connect_timeout_ms"),
)
