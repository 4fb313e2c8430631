"""Idempotency: a consumer that sends a fresh id on every retry, to a provider that de-duplicates on it."""

from __future__ import annotations

from collections.abc import Iterator

from ..contracts import match
from ..contracts.model import Location
from ..graph import CallEdge, Sourced
from .base import CheckContext, Finding, Resolution, Side, check, edge_finding


def _counts(s: Sourced, key: str | None) -> bool:
    """A declared ``generates_new_request_id: true`` always counts; an id generated inside a retry counts
    when the provider names no key, or it is sent as that key (same words) or as an idempotency header."""
    if s.value is not True:
        return False
    if s.origin == "declared" or not key:
        return True
    name = s.note.split(":", 1)[-1]
    return match.same_name(name, key) or "idempotency" in match.tokens(name)


def _key_name(edge: CallEdge, evidence: list[Sourced]) -> str:
    op = edge.provider_operation
    if op is not None and op.idempotency_key:
        return op.idempotency_key
    code = [s.note.split(":", 1)[-1] for s in evidence if s.origin == "code" and s.note]
    return code[0] if code else "request id"


@check("idempotency.new-id-on-retry", kind="idempotency", title="Idempotency contract violation")
def new_id_on_retry(ctx: CheckContext) -> Iterator[Finding]:
    """A provider operation that ``expects: stable_across_retries`` (declared under ``operations``, or a
    handler that de-duplicates on a key in code) is called by a consumer that makes a new id on retry:
    declared ``on_timeout: generates_new_request_id: true`` for that target, or an id generated inside a
    retry in code that flows into the call (as the provider's key, or an idempotency header). Error,
    ``BLOCKS_INTEGRATION``."""
    for edge in ctx.graph.calls:
        op = edge.provider_operation
        if edge.external or op is None or op.expects != "stable_across_retries":
            continue
        evidence = [s for s in edge.new_id_on_retry() if _counts(s, op.idempotency_key)]
        if not evidence:
            continue
        consumer, provider = edge.caller, edge.callee
        key = _key_name(edge, evidence)
        window = f" (remembered {op.window})" if op.window is not None else ""
        yield edge_finding(
            "idempotency.new-id-on-retry",
            "error",
            "BLOCKS_INTEGRATION",
            edge,
            message=f"{consumer} retries {edge.subject} with a new {key}; {provider} de-duplicates on a stable {key}, so every retry is processed again",
            sides=(
                Side(consumer, "does", f"generates new {key} on retry", tuple(s.location for s in evidence)),
                Side(provider, "expects", f"stable {key}{window}", (op.where("expects"), op.where("idempotency_key"))),
            ),
            extra_locations=_retries_and_calls(edge, evidence) + [e.location for e in edge.provider_endpoints] + _code_keys(ctx, edge),
            impact="Duplicate processing, billing, audit logs",
            resolutions=(
                Resolution(consumer, f"{consumer}: Preserve {key} across retries (generate it once, before the first attempt)"),
                Resolution(consumer, f"{consumer}: Use a separate key: a stable idempotency key for {provider}, a fresh attempt id for logs"),
            ),
        )


def _retries_and_calls(edge: CallEdge, ids: list[Sourced]) -> list[Location]:
    """The retries covering the edge's calls, then the calls that the ids found in code flow into."""
    where = {s.location for s in ids if s.origin == "code"}
    return [r.location for c in edge.calls for r in c.retries] + [c.location for c in edge.calls if any(i.location in where for i in c.ids)]


def _code_keys(ctx: CheckContext, edge: CallEdge) -> list:
    """The provider's handlers de-duplicating on a key in code (evidence next to a declared expectation)."""
    handlers = {ep.operation for ep in edge.provider_endpoints}
    return [k.location for k in ctx.inferred.idempotency_keys if k.service == edge.callee and match.short_handler(k.handler) in handlers]


KEY_WORDS = frozenset({"idempotency", "idempotent", "idem", "request", "req", "transaction", "tx", "txn", "dedup", "nonce", "key"})
"""Words of a header or field name that make it a de-duplication key or request id (a fresh trace or
correlation id per attempt is fine)."""


@check("idempotency.new-id-per-attempt", kind="idempotency", title="Request id regenerated on every attempt")
def new_id_per_attempt(ctx: CheckContext) -> Iterator[Finding]:
    """An id generated inside a retry in code is sent with the call that retry repeats as an
    idempotency key or request id (a header or field whose name has one of the words ``KEY_WORDS``:
    ``Idempotency-Key``, ``X-Request-ID``, ``transaction_id``), and the provider declares nothing about
    it: no ``operations`` entry with ``expects`` for the operation and no handler de-duplicating on a
    key in code (those are ``idempotency.new-id-on-retry``), or it is a host outside the repository.
    Every attempt reaches the provider as a new request. Warning, ``AT_RISK``."""
    for edge in ctx.graph.calls:
        op = edge.provider_operation
        if op is not None and op.expects is not None:
            continue
        evidence = [s for s in edge.new_id_on_retry() if s.origin == "code" and s.value is True and KEY_WORDS & set(match.tokens(s.note.split(":", 1)[-1]))]
        if not evidence:
            continue
        consumer, provider = edge.caller, edge.callee
        names = ", ".join(dict.fromkeys(s.note.split(":", 1)[-1] for s in evidence))
        yield edge_finding(
            "idempotency.new-id-per-attempt",
            "warning",
            "AT_RISK",
            edge,
            message=f"{consumer} generates a new {names} on every attempt at {edge.subject}; {provider} cannot tell a retry from a new request",
            sides=(
                Side(consumer, "does", f"generates new {names} on every attempt", tuple(s.location for s in evidence)),
                Side(provider, "provides", "no idempotency expectation declared" if not edge.external else "a host outside the repository", ()),
            ),
            extra_locations=_retries_and_calls(edge, evidence),
            impact=f"a retry after a timeout that {provider} completed anyway is processed twice",
            resolutions=(
                Resolution(consumer, f"{consumer}: generate {names} once, before the first attempt, and send the same value on every retry"),
                Resolution(provider, f"{provider}: declare what it expects of {names} (operations: expects: stable_across_retries or new_per_attempt)"),
            ),
        )
