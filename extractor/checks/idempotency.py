"""Idempotency: a consumer that sends a fresh id on every retry, to a provider that de-duplicates on it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..contracts import match
from ..contracts.infer import CodeCall
from ..contracts.model import Location
from ..frontends.summary import CallSite
from ..graph import CallEdge, Sourced
from ..values import Const, Dynamic, Map, Value, strip
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


NON_IDEMPOTENT = frozenset({"POST", "PATCH"})
"""HTTP methods a retry may repeat with an effect each time (PUT and DELETE are idempotent by definition)."""

HEADER_CARRIERS = frozenset({"headers", "header", "metadata"})
"""Keyword arguments (Python) and option keys (JavaScript) that hold a call's headers."""


def declared_key_header(ctx: CheckContext, edge: CallEdge) -> tuple[str, list[Location]] | None:
    """The key header the provider de-duplicates the operation on: a declared ``idempotency_key``
    written as a header name (``Idempotency-Key``; ``expects`` absent or ``stable_across_retries``),
    else a handler of the operation reading a key header in code; None when it declares none."""
    op = edge.provider_operation
    if op is not None and op.idempotency_key and "-" in op.idempotency_key and op.expects in (None, "stable_across_retries"):
        return op.idempotency_key, [op.where("idempotency_key")]
    if op is not None and op.expects == "new_per_attempt":
        return None
    handlers = {ep.operation for ep in edge.provider_endpoints}
    keys = [
        k for k in ctx.inferred.idempotency_keys if k.service == edge.callee and k.source == "header" and k.key and match.short_handler(k.handler) in handlers
    ]
    return (keys[0].key or "", [k.location for k in keys]) if keys else None


def _retried(edge: CallEdge, call: CodeCall) -> list[Location]:
    """Where a retry covering the call is: its code policies, else a mesh policy with more than one attempt."""
    if call.attempts != 1 and call.retries:
        return [r.location for r in call.retries]
    layers = [*edge.mesh.get(call.id, ()), *edge.mesh.get("", ())]
    return [layer.attempts_location or layer.location for layer in layers if layer.attempts is not None and layer.attempts > 1]


def _sites(ctx: CheckContext, service: str, where: Location) -> tuple[str, list[CallSite]]:
    """The language of the call's file and the call sites on its line (the call index of the scan)."""
    index = ctx.call_index
    summary = index.services.get(service).files.get(where.file) if index is not None and service in index.services else None
    if summary is None:
        return "", []
    calls = [c for fn in summary.functions for c in fn.calls] + list(summary.calls)
    return summary.language, [c for c in calls if c.line == where.line]


def _value_text(value: Value) -> str:
    return value.text if isinstance(value, Dynamic) else repr(value.value) if isinstance(value, Const) else ""


def _splat_sends(spread: Value | None, key: str) -> bool | None:
    """Whether a ``**opts`` argument sends the header ``key``: True when its dict's ``headers`` names
    it, False when the dict is known and its headers (if any) are a known dict without it, None when
    it cannot be told (a ``**kwargs`` parameter, a dict or headers value not built in the file)."""
    if not isinstance(spread, Map):
        return None
    for k, v in spread.items:
        if isinstance(k, Const) and isinstance(k.value, str) and k.value.lower() in HEADER_CARRIERS:
            headers = strip(v)
            if not isinstance(headers, Map):
                return None
            if any(isinstance(h, Const) and isinstance(h.value, str) and h.value.lower() == key.lower() for h, _ in headers.items):
                return True
    return False


def sends_header(language: str, sites: list[CallSite], key: str) -> bool | None:
    """Whether the call on these sites sends the header ``key``: True when a literal headers object
    names it, False when every place headers could be passed is visible and none names it, None
    when it cannot be told (a headers variable, a spread, another language, no call site)."""
    if not sites or language not in ("python", "javascript", "typescript"):
        return None
    named = re.compile(r"""["'`]""" + re.escape(key) + r"""["'`]""", re.IGNORECASE)
    sends: bool | None = False
    for site in sites:
        if language == "python":
            for spread in (strip(v) for a, v in site.kwargs if a.startswith("**")):
                spread_sends = _splat_sends(spread, key)
                if spread_sends is not False:
                    return spread_sends
            carriers = [_value_text(v) for k, v in site.kwargs if k.lower() in HEADER_CARRIERS]
        else:  # the options object after the URL: a literal, or unknown
            carriers = [_value_text(v) for v in site.args[1:]]
            if any(not t.lstrip().startswith("{") for t in carriers):
                return None
        for text in carriers:
            if named.search(text):
                return True
            if not text.lstrip().startswith("{") or "**" in text or "..." in text or re.search(r"headers\s*:\s*(?![{\s])", text):
                sends = None
    return sends


@check("idempotency.missing-key", kind="idempotency", title="Retried call without the provider's idempotency key")
def missing_key(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer retries a non-idempotent HTTP call (``POST``/``PATCH``) — a retry policy in code
    covers it, or a mesh policy makes more than one attempt — towards an operation
    whose provider de-duplicates on a key header (``operations``: ``idempotency_key`` written as a
    header name such as ``Idempotency-Key``, ``expects`` absent or ``stable_across_retries``; or a
    handler reading that header in code), and the call sends no such header (its literal ``headers``
    argument, Python and JavaScript/TypeScript, or the ``headers`` of a dict a Python call spreads
    with ``**`` when the file builds it; a headers variable, a spread the file does not build, is
    left out). Every attempt reaches the provider as a new request. Warning, ``AT_RISK``."""
    for edge in ctx.graph.calls:
        if edge.external:
            continue
        declared = declared_key_header(ctx, edge)
        if declared is None:
            continue
        key, provider_locations = declared
        consumer, provider = edge.caller, edge.callee
        missing: list[CodeCall] = []
        retries: list[Location] = []
        for call in edge.calls:
            if call.protocol != "http" or (call.method or "").upper() not in NON_IDEMPOTENT:
                continue
            covering = _retried(edge, call)
            if not covering or any(match.same_name(flow.name, key) for flow in call.ids):
                continue
            language, sites = _sites(ctx, consumer, call.location)
            if sends_header(language, sites, key) is False:
                missing.append(call)
                retries += [r for r in covering if r not in retries]
        if not missing:
            continue
        methods = "/".join(dict.fromkeys(c.method or "" for c in missing))
        yield edge_finding(
            "idempotency.missing-key",
            "warning",
            "AT_RISK",
            edge,
            message=f"{consumer} retries {edge.subject} ({methods}) without the {key} header; {provider} de-duplicates on it, so every retry is processed again",
            sides=(
                Side(consumer, "does", f"retries {methods} without {key}", (*(c.location for c in missing), *retries)),
                Side(provider, "expects", f"{key} stable across retries", tuple(provider_locations)),
            ),
            impact="Duplicate processing, billing, audit logs",
            resolutions=(
                Resolution(consumer, f"{consumer}: send {key} from a stable id bound before the retry, the same on every attempt"),
                Resolution(consumer, f"{consumer}: do not retry {edge.subject} (not idempotent without the key)"),
            ),
        )
