"""``http_call``: an outbound HTTP request, its timeout, and the policies covering it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Field, Kind, LinkContext
from .calls import RAW_CALL, TIMEOUT_FIELDS, CallView, finalize_call, link_fields

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = (
    Field("library", ("string", "null"), "The client library (the rule's `library`).", required=True),
    Field("method", ("string", "null"), "HTTP method, upper case; {expr} when dynamic.", required=True),
    Field("url", ("string", "null"), "URL as far as statically known; unknown parts as {expr}.", required=True),
    Field("target", None, "Where the call goes.", required=True, schema={"$ref": "#/$defs/target"}),
) + link_fields()


@dataclass(frozen=True, slots=True)
class HttpCall(CallView):
    """An outbound HTTP call as the facts JSON shows it."""


def finalize(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    return finalize_call(raw_fields, rule, ctx, "http_call")


KIND = Kind(
    name="http_call",
    doc="An outbound HTTP request: method, URL, target service, timeout, and the retry policies and breakers covering it.",
    fields=FIELDS,
    groups=(TIMEOUT_FIELDS,),
    raw=RAW_CALL,
    finalize=finalize,
    view=HttpCall,
    rule_page=("library", "method", "url", "target", "timeout_ms", "timeout_source", "timeout_expr", "timeout_env", "timeout_constant", "connect_timeout_ms"),
)
