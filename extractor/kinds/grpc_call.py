"""``grpc_call``: an outbound gRPC call (a stub method), its deadline, and the policies covering it."""

from __future__ import annotations

from .base import fields, raws
from .calls import LINK_FIELDS, RAW_CALL, call_kind

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


KIND = call_kind(
    "grpc_call",
    FIELDS,
    RAW,
    "An outbound gRPC call: proto service and RPC, channel target, deadline, and the retry policies and breakers covering it.",
    ("library", "grpc_service", "rpc", "url", "target", "timeout_ms", "timeout_source", "timeout_expr"),
)
