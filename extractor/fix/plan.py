"""From findings to fixes: which code change each finding's resolution asks for, and with what value.

The value always comes from a contract or the finding's own evidence, never from a guess:

- ``drift.timeout`` on a call without a timeout: the timeout its ``depends_on`` entry declares;
- ``system.missing-timeout``: the timeout the caller's contract declares for that target, else the
  shortest timeout the caller's own callers give it (a bound no caller's timeout is shorter than);
- ``idempotency.new-id-on-retry`` / ``idempotency.new-id-per-attempt``: each id generated inside a retry
  that flows into the call is generated once, before the retry (and the consumer's own
  ``on_timeout: generates_new_request_id: true``, which the fixed code no longer does, becomes ``false``);
- ``idempotency.missing-key``: the provider's key header sent with each retried call that lacks it, from
  a stable id bound before the retry (or one generated before a retry loop);
- ``drift.retry``: the retry covering the call narrowed to the declared attempts (``retry: none`` is 1).

A finding whose resolution is not a code change of these (a contract to relax, a setting in a
deployment file) gets no fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

from ..checks import CheckContext, Finding
from ..checks.idempotency import declared_key_header
from ..checks.system import callers_timeouts
from ..contracts.values import format_ms
from ..facts import Fact
from ..graph import CallEdge
from ..languages import rules_language_of
from .model import Fix

FIXABLE = (
    "drift.timeout",
    "system.missing-timeout",
    "drift.retry",
    "idempotency.new-id-on-retry",
    "idempotency.new-id-per-attempt",
    "idempotency.missing-key",
)
"""The checks whose findings ``contracts fix`` can resolve in code, in the order their fixes are planned
(an earlier one wins when two fix the same place: a declared timeout over a caller's)."""


def edges_of(ctx: CheckContext, f: Finding) -> list[CallEdge]:
    """The call edges a finding on an edge was reported for (``edge_finding``: caller, callee, operation)."""
    return [e for e in ctx.graph.calls if (e.caller, e.callee) == f.services[:2] and f.subject in (e.operation or e.callee, e.subject)]


def plan(ctx: CheckContext, facts: Sequence[Fact], findings: Iterable[Finding]) -> list[Fix]:
    """The fixes of ``findings`` (one per place; the first planned wins), in finding order."""
    by_id = {fact.id: fact for fact in facts}
    planners: dict[str, Callable[[CheckContext, dict[str, Fact], Finding], Iterator[Fix]]] = {
        "drift.timeout": _declared_timeout,
        "system.missing-timeout": _missing_timeout,
        "drift.retry": _retry_attempts,
        "idempotency.new-id-on-retry": _id_before_retry,
        "idempotency.new-id-per-attempt": _id_before_retry,
        "idempotency.missing-key": _idempotency_key,
    }
    ordered = sorted((f for f in findings if f.check in planners), key=lambda f: (FIXABLE.index(f.check), f.id))
    out: dict[tuple[str, str, int, int], Fix] = {}
    for f in ordered:
        for fix in planners[f.check](ctx, by_id, f):
            out.setdefault((fix.kind, fix.file, fix.line, fix.col), fix)
    return sorted(out.values(), key=lambda x: (x.finding, x.file, x.line, x.col, x.kind))


def _language(file: str) -> str:
    """The rules' language of a file (TypeScript files use the javascript rules)."""
    return rules_language_of(file) or file.rpartition(".")[2]


def _timeout_fixes(by_id: dict[str, Fact], f: Finding, edge: CallEdge, ms: float, why: str) -> Iterator[Fix]:
    for call in edge.calls:
        fact = by_id.get(call.id)
        if call.unbounded and fact is not None:
            yield Fix(f.id, "timeout", fact.file, fact.line, fact.col, fact.rule, ms, _language(fact.file), text=f"timeout {format_ms(ms)} ({why})")


def _declared_timeout(ctx: CheckContext, by_id: dict[str, Fact], f: Finding) -> Iterator[Fix]:
    for edge in edges_of(ctx, f):
        if edge.declared is not None and edge.declared.timeout is not None:
            yield from _timeout_fixes(by_id, f, edge, edge.declared.timeout.ms, f"declared at {edge.declared.where('timeout')}")


def _missing_timeout(ctx: CheckContext, by_id: dict[str, Fact], f: Finding) -> Iterator[Fix]:
    for edge in edges_of(ctx, f):
        if edge.declared is not None and edge.declared.timeout is not None:
            yield from _timeout_fixes(by_id, f, edge, edge.declared.timeout.ms, f"declared at {edge.declared.where('timeout')}")
            continue
        incoming = callers_timeouts(ctx, edge.caller, [c for c in edge.calls if c.unbounded])
        if incoming:
            yield from _timeout_fixes(by_id, f, edge, min(incoming), f"the shortest timeout {edge.caller}'s callers give it")
        else:  # nothing says how long: a suggestion that names what would
            for fix in _timeout_fixes(by_id, f, edge, 0, ""):
                yield replace(fix, value=None, text=f"a timeout on the call to {edge.callee}")


def _retry_attempts(ctx: CheckContext, by_id: dict[str, Fact], f: Finding) -> Iterator[Fix]:
    for edge in edges_of(ctx, f):
        declared = edge.declared_attempts()
        if declared is None or not isinstance(declared.value, int):
            continue
        for call in edge.calls:
            if call.attempts == declared.value:
                continue
            for retry in call.retries:
                fact = next(
                    (
                        x
                        for x in by_id.values()
                        if x.kind == "retry_policy" and (x.file, x.line, x.rule) == (retry.location.file, retry.location.line, retry.location.rule)
                    ),
                    None,
                )
                if fact is not None:
                    yield Fix(
                        f.id,
                        "retry-attempts",
                        fact.file,
                        fact.line,
                        fact.col,
                        fact.rule,
                        declared.value,
                        _language(fact.file),
                        text=f"{'1 attempt, no retry' if declared.value == 1 else f'{declared.value} attempts'} (declared at {declared.location})",
                    )


def _id_before_retry(ctx: CheckContext, by_id: dict[str, Fact], f: Finding) -> Iterator[Fix]:
    code = False
    for edge in edges_of(ctx, f):
        for call in edge.calls:
            for flow in call.ids:
                if not flow.inside_retry:
                    continue
                fact = next(
                    (
                        x
                        for x in by_id.values()
                        if x.kind == "id_generation" and (x.file, x.line, x.rule) == (flow.location.file, flow.location.line, flow.location.rule)
                    ),
                    None,
                )
                policy = by_id.get(str(fact.fields.get("retry_policy"))) if fact is not None else None
                if fact is None or policy is None or not fact.fields.get("variable"):
                    continue
                code = True
                yield Fix(
                    f.id,
                    "id-before-retry",
                    fact.file,
                    fact.line,
                    fact.col,
                    fact.rule,
                    fact.fields["variable"],
                    _language(fact.file),
                    policy=(policy.line, policy.col),
                    text=f"{fact.fields['variable']} generated once, before the retry at line {policy.line}",
                )
        retry = edge.declared_retry
        on_timeout = retry.on_timeout if retry is not None else None
        if code and on_timeout is not None and on_timeout.generates_new_request_id is True:
            where = on_timeout.where("generates_new_request_id")
            yield Fix(
                f.id,
                "contract-line",
                where.file,
                where.line,
                0,
                "",
                ("generates_new_request_id", "true", "false"),
                "yaml",
                text="the contract no longer says a new id is made on retry",
            )


def _idempotency_key(ctx: CheckContext, by_id: dict[str, Fact], f: Finding) -> Iterator[Fix]:
    where = set(f.locations)
    for edge in edges_of(ctx, f):
        declared = declared_key_header(ctx, edge)
        if declared is None:
            continue
        for call in edge.calls:
            fact = by_id.get(call.id)
            if fact is None or call.location not in where:
                continue
            retry = next((by_id.get(r.id) for r in call.retries if r.id in by_id), None)
            policy = (retry.line, retry.col) if retry is not None and retry.file == fact.file else (0, 0)
            yield Fix(
                f.id,
                "idempotency-key",
                fact.file,
                fact.line,
                fact.col,
                fact.rule,
                declared[0],
                _language(fact.file),
                policy=policy,
                text=f"{declared[0]} sent from a stable id, the same on every attempt",
            )
