"""``grpc_call``: an outbound gRPC call (a stub method), its deadline, and the policies covering it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Field, Kind, LinkContext, Raw
from .calls import RAW_CALL, TIMEOUT_FIELDS, CallView, finalize_call, link_fields

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = (
    Field("library", ("string", "null"), "The client library (the rule's `library`).", required=True),
    Field("grpc_service", ("string", "null"), "The proto service (from the stub class name).", required=True),
    Field("rpc", ("string", "null"), "The RPC (method of the proto service) called.", required=True),
    Field("method", ("string", "null"), "The stub method as called, upper case, when the rule sets one."),
    Field("url", ("string", "null"), "The channel target (host:port) as far as known."),
    Field("target", None, "Where the call goes.", required=True, schema={"$ref": "#/$defs/target"}),
) + link_fields()

RAW = RAW_CALL + (
    Raw("grpc_service", "The proto service (from the stub's class)."),
    Raw("rpc", "The RPC name; defaults to `method`."),
)


@dataclass(frozen=True, slots=True)
class GrpcCall(CallView):
    """An outbound gRPC call as the facts JSON shows it."""

    grpc_service: str | None = None
    rpc: str | None = None


def finalize(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    return finalize_call(raw_fields, rule, ctx, "grpc_call")


KIND = Kind(
    name="grpc_call",
    doc="An outbound gRPC call: proto service and RPC, channel target, deadline, and the retry policies and breakers covering it.",
    fields=FIELDS,
    groups=(TIMEOUT_FIELDS,),
    raw=RAW,
    finalize=finalize,
    view=GrpcCall,
    rule_page=("library", "grpc_service", "rpc", "url", "target", "timeout_ms", "timeout_source", "timeout_expr"),
)
