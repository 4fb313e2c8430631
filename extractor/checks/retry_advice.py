"""Retry advice: a provider's ``retry_advice`` (docs/contracts.md) against its consumers' retry policies in code.

Only what the retry_policy facts say is compared: the status codes a policy retries (``status:<code>``
in its ``retry_on``), the attempts a call makes, and whether the policy waits as a ``Retry-After``
header says (the fact's ``retry_after``: ``honoured`` / ``ignored``, set by the rules only where the
library's behaviour is known). A policy whose statuses, attempts or Retry-After handling are not known
is not a finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..contracts.model import Location, RetryAdvice
from ..graph import CallEdge
from .base import CheckContext, Finding, Resolution, Side, check, edge_finding


def _matches(status: int, condition: str) -> bool:
    """Whether a status code falls under a condition (``404``, ``4xx``)."""
    if condition.endswith("xx"):
        return condition[0] == str(status)[0]
    return condition == str(status)


def advised_against(status: int, advice: RetryAdvice) -> bool:
    """Whether the provider advises against retrying ``status``: named in ``do_not_retry`` (by code, or by
    class unless ``retry_on`` names the code itself)."""
    if str(status) in advice.do_not_retry:
        return True
    if str(status) in advice.retry_on:
        return False
    return any(_matches(status, c) for c in advice.do_not_retry if c.endswith("xx"))


def _statuses(retry_on: tuple[str, ...]) -> list[int]:
    out = []
    for item in retry_on:
        code = item.removeprefix("status:")
        if item.startswith("status:") and code.isdigit():
            out.append(int(code))
    return sorted(set(out))


def _problems(edge: CallEdge, advice: RetryAdvice) -> tuple[list[str], list[Location]]:
    texts: list[str] = []
    locs: list[Location] = []
    for call in edge.calls:
        for r in call.retries:
            bad = [s for s in _statuses(r.retry_on) if advised_against(s, advice)]
            if bad:
                texts.append(f"{r.mechanism or 'a retry policy'} retries status {', '.join(map(str, bad))}")
                locs.append(r.location)
        if advice.retry_after == "honour":
            for r in call.retries:
                if r.retry_after == "ignored":
                    texts.append(f"{r.mechanism or 'a retry policy'} does not wait for Retry-After")
                    locs.append(r.location)
        if advice.max_attempts is not None and call.attempts is not None and call.attempts > advice.max_attempts:
            where = call.retries[0].location if call.retries else call.location
            mech = call.retries[0].mechanism if call.retries else None
            texts.append(f"{mech or 'the call'} makes {call.attempts} attempts")
            locs.append(where)
    return list(dict.fromkeys(texts)), list(dict.fromkeys(locs))


def _advice_text(advice: RetryAdvice) -> str:
    parts = []
    if advice.do_not_retry:
        parts.append(f"do not retry {', '.join(advice.do_not_retry)}")
    if advice.retry_on:
        parts.append(f"retry on {', '.join(advice.retry_on)}")
    if advice.max_attempts is not None:
        parts.append(f"at most {advice.max_attempts} attempts")
    if advice.retry_after == "honour":
        parts.append("wait as Retry-After says")
    return "; ".join(parts) or "retry advice"


@check("drift.retry-advice", kind="drift", title="Retry against the provider's advice")
def against_advice(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's retry policy in code retries a status code that the `retry_advice` of the provided operation
    says not to retry (`do_not_retry: [4xx]`, unless `retry_on` names that code), a call makes more
    attempts than its `max_attempts`, or, with `retry_after: honour`, a policy does not wait as the
    Retry-After header says (its fact's `retry_after: ignored`). Only what the retry_policy facts state is
    compared: a policy retrying on exceptions only, with unknown attempts, or whose Retry-After handling is
    not known, is not a finding. One finding per call edge. Warning, `DRIFT`."""
    for edge in ctx.graph.calls:
        advice = edge.provided.retry_advice if edge.provided is not None else None
        if advice is None:
            continue
        texts, locs = _problems(edge, advice)
        if not texts:
            continue
        said = _advice_text(advice)
        yield edge_finding(
            "drift.retry-advice",
            "warning",
            "DRIFT",
            edge,
            message=f"{edge.caller} retries {edge.subject} against its provider's advice ({said}): {'; '.join(texts)}",
            sides=(
                Side(edge.caller, "code", "; ".join(texts), tuple(locs)),
                Side(edge.callee, "provides", f"retry_advice: {said}", (advice.location,)),
            ),
            impact="retries the provider asked not to make add load without a chance of success (a 4xx fails again) or beyond what it can absorb",
            resolutions=(
                Resolution(edge.caller, "retry only what the provider's retry_advice allows, within its max_attempts"),
                Resolution(edge.callee, "widen retry_advice if these retries are safe"),
            ),
        )
