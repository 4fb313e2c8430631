"""``endpoint``: a route or RPC a service serves, with its handler."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .convert import method_text, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = fields(
    """
    framework  string?  req  The web or RPC framework (the rule's `library`).
    method     string   req  HTTP method upper case, ANY when the framework does not say, GRPC for gRPC methods.
    path       string?  req  Route path with prefixes applied; for gRPC Service/Method.
    handler    string?  req  The function handling it (dotted within its module).
    """
)

RAW = raws(
    """
    path     -  The route; a leading `/` is added and repeated slashes collapse (mount prefixes are added at link time).
    method   -  The HTTP method (`*` or absent: ANY).
    handler  -  The handling function.
    """
)


def finalize(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    path = text_or_none(raw_fields.get("path"))
    if path is not None and not path.startswith(("/", "{", "^")) and rule.library not in ("grpc",):
        path = "/" + path
    if path is not None and "//" in path:  # a prefix ending with / before a path starting with /
        path = re.sub(r"/{2,}", "/", path)
    method = method_text(raw_fields.get("method"), "ANY")
    return {
        "framework": rule.library or None,
        "method": "ANY" if method == "*" else method,
        "path": path,
        "handler": text_or_none(raw_fields.get("handler")),
    }


KIND = Kind(
    "endpoint",
    FIELDS,
    RAW,
    finalize,
    "A route or RPC a service serves: method, path and handler.",
    rule_page=("framework", "method", "path", "handler"),
)
