"""``grpc_call``: an outbound gRPC call (a stub method), its deadline, and the policies covering it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .calls import LINK_FIELDS, RAW_CALL, TIMEOUT_FIELDS, CallView, finalize_call

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = (
    fields(
        """
    library       string?  req  The client library (the rule's `library`).
    grpc_service  string?  req  The proto service (from the stub class name).
    rpc           string?  req  The RPC (method of the proto service) called.
    method        string?  -    The stub method as called, upper case, when the rule sets one.
    url           string?  -    The channel target (host:port) as far as known.
    target        target   req  Where the call goes.
    """
    )
    + LINK_FIELDS
)

RAW = RAW_CALL + raws(
    """
    grpc_service  -  The proto service (from the stub's class).
    rpc           -  The RPC name; defaults to `method`.
    """
)


@dataclass(frozen=True, slots=True)
class GrpcCall(CallView):
    """An outbound gRPC call: proto service and RPC, channel target, deadline, and the retry policies and breakers covering it."""

    grpc_service: str | None = None
    rpc: str | None = None


def finalize(raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    return finalize_call(raw_fields, rule, ctx, "grpc_call")


KIND = Kind(
    "grpc_call",
    FIELDS,
    RAW,
    finalize,
    GrpcCall,
    groups=(TIMEOUT_FIELDS,),
    rule_page=("library", "grpc_service", "rpc", "url", "target", "timeout_ms", "timeout_source", "timeout_expr"),
)
