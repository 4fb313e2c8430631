"""Fact kinds: one module per kind, each the single definition of what that kind of fact is.

A kind module holds the kind's public fields (name, JSON type, required, a one-line doc), the raw
fields a rule may set, the finalizer turning a frontend's symbolic raw fields into the public
ones (the same for every language), and a sentence saying what a fact of the kind is. The facts
JSON Schema (``schema.py``), the docs' field tables, the rule loader's check of a rule's ``fields:``
and the typed views downstream code reads (``views.py``: ``HttpCall``, ``RetryPolicy``, ...; written
by ``codegen.py``) are generated from these definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import (
    circuit_breaker,
    datastore,
    endpoint,
    grpc_call,
    http_call,
    id_generation,
    idempotency_key,
    infrastructure,
    mesh_policy,
    message_binding,
    message_consume,
    message_publish,
    missing_timeout,
    proxy_route,
    replica_read,
    retry_policy,
)
from .base import Field, FieldGroup, Kind, KindView, LinkContext, Raw
from .convert import generic, scalar, text_or_none

if TYPE_CHECKING:
    from ..catalog import Rule
    from ..facts import Fact

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        http_call.KIND,
        grpc_call.KIND,
        missing_timeout.KIND,
        endpoint.KIND,
        retry_policy.KIND,
        circuit_breaker.KIND,
        replica_read.KIND,
        id_generation.KIND,
        idempotency_key.KIND,
        message_publish.KIND,
        message_consume.KIND,
        message_binding.KIND,
        proxy_route.KIND,
        mesh_policy.KIND,
        datastore.KIND,
        infrastructure.KIND,
    )
}
"""Every kind, in the order the schema and the docs list them."""

ALL_KINDS = tuple(KINDS)
CALL_KINDS = ("http_call", "grpc_call", "proxy_route")
MESSAGE_KINDS = ("message_publish", "message_consume")


def finalize(kind: str, raw_fields: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    k = KINDS.get(kind)
    return (k.finalize if k is not None else generic)(raw_fields, rule, ctx)


def raw_names(kind: str) -> frozenset[str]:
    """The names a rule's ``fields:`` may set for ``kind`` (besides internal ``_`` names)."""
    return KINDS[kind].raw_names()


def view(fact: Fact) -> KindView:
    """The typed view of a fact's fields (``HttpCall``, ``RetryPolicy``, ...)."""
    return KINDS[fact.kind].view.from_fields(fact.fields)


__all__ = [
    "ALL_KINDS",
    "CALL_KINDS",
    "KINDS",
    "Field",
    "FieldGroup",
    "Kind",
    "KindView",
    "MESSAGE_KINDS",
    "LinkContext",
    "Raw",
    "finalize",
    "generic",
    "raw_names",
    "scalar",
    "text_or_none",
    "view",
]
