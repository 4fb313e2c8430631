"""``circuit_breaker``: a breaker protecting calls, when it opens and when it tries again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Kind, LinkContext, fields, raws
from .convert import mechanism, ms_field, ms_or_none, num, number, put_known, put_set, text_or_none, texts, to_int

if TYPE_CHECKING:
    from ..catalog import Rule


FIELDS = fields(
    """
    mechanism             string?   req       The breaker library (pybreaker, aiobreaker, polly, resilience4j, gobreaker, opossum, ...).
    name                  string?   -         The breaker's name, when the code gives one.
    failure_threshold     integer?  req       Consecutive failures that open the breaker.
    failure_ratio         number?   -         Ratio-based breakers (Polly v8, the .NET standard resilience handler): the failure ratio that opens the breaker.
    sampling_duration_ms  ms        -         The window the failure ratio is measured over.
    minimum_throughput    integer?  -         Calls in the window before the ratio counts.
    recovery_timeout_ms   ms        req       How long the breaker stays open before it lets a call through again.
    fallback              string?   req       Fallback function or default value used while open.
    excludes              strings   -         Exception types that do not count as failures.
    scope                 string    req       What the breaker wraps: 'function NAME', object, client, ...
    calls                 strings   req,link  Ids of the outbound calls it protects.
    """
)

RAW = raws(
    """
    mechanism           -           Reported as is (default: the rule's `library`).
    failure_threshold   -           Failures that open the breaker.
    recovery_timeout    units,bare  How long it stays open; bare: seconds or a timedelta.
    fallback            -           Fallback function or value.
    name                -           The breaker's name.
    failure_ratio       -           The failure ratio that opens it.
    sampling_duration   units       The window the ratio is measured over.
    minimum_throughput  -           Calls in the window before the ratio counts.
    excludes            -           Exception types that do not count.
    scope               -           What the breaker wraps (default `function`).
    """
)


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    rec = ms_field(raw, "recovery_timeout")
    if rec is None and "recovery_timeout" in raw:
        n = number(raw["recovery_timeout"])  # timedelta objects are in seconds
        rec = None if n is None else n * 1000
    out: dict[str, Any] = {
        "mechanism": mechanism(raw, rule),
        "failure_threshold": to_int(number(raw.get("failure_threshold"))),
        "recovery_timeout_ms": num(rec) if rec is not None else None,
        "fallback": text_or_none(raw.get("fallback")),
        "scope": text_or_none(raw.get("scope")) or "function",
    }
    put_set(out, raw, text_or_none, "name")
    put_set(out, raw, texts, "excludes")
    # ratio-based breakers (Polly v8, resilience4j): the failure ratio that opens it, over a window
    put_known(
        out,
        failure_ratio=number(raw.get("failure_ratio")),
        sampling_duration_ms=ms_or_none(raw, "sampling_duration"),
        minimum_throughput=to_int(number(raw.get("minimum_throughput"))),
    )
    return out


KIND = Kind(
    "circuit_breaker",
    FIELDS,
    RAW,
    finalize,
    "A circuit breaker: when it opens, when it lets calls through again, its fallback, and the calls it protects.",
)
