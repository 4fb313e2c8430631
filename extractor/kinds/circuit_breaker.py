"""``circuit_breaker``: a breaker protecting calls, when it opens and when it tries again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import Field, Kind, KindView, LinkContext, Raw
from .convert import ms_field, num, number, text_or_none, texts, to_int

if TYPE_CHECKING:
    from ..catalog import Rule

MS = {"$ref": "#/$defs/ms"}

FIELDS = (
    Field("mechanism", ("string", "null"), "The breaker library (pybreaker, aiobreaker, polly, resilience4j, gobreaker, opossum, ...).", required=True),
    Field("name", ("string", "null"), "The breaker's name, when the code gives one."),
    Field("failure_threshold", ("integer", "null"), "Consecutive failures that open the breaker.", required=True),
    Field(
        "failure_ratio",
        ("number", "null"),
        "Ratio-based breakers (Polly v8, the .NET standard resilience handler): the failure ratio that opens the breaker.",
    ),
    Field("sampling_duration_ms", None, "The window the failure ratio is measured over.", schema=MS),
    Field("minimum_throughput", ("integer", "null"), "Calls in the window before the ratio counts."),
    Field("recovery_timeout_ms", None, "How long the breaker stays open before it lets a call through again.", required=True, schema=MS),
    Field("fallback", ("string", "null"), "Fallback function or default value used while open.", required=True),
    Field("excludes", "array", "Exception types that do not count as failures.", schema={"items": {"type": "string"}}),
    Field("scope", "string", "What the breaker wraps: 'function NAME', object, client, ...", required=True),
    Field("calls", "array", "Ids of the outbound calls it protects.", required=True, schema={"items": {"type": "string"}}, by_link=True),
)

RAW = (
    Raw("mechanism", "Reported as is (default: the rule's `library`)."),
    Raw("failure_threshold", "Failures that open the breaker."),
    Raw("recovery_timeout", "How long it stays open; bare: seconds or a timedelta.", units=True, bare=True),
    Raw("fallback", "Fallback function or value."),
    Raw("name", "The breaker's name."),
    Raw("failure_ratio", "The failure ratio that opens it."),
    Raw("sampling_duration", "The window the ratio is measured over.", units=True),
    Raw("minimum_throughput", "Calls in the window before the ratio counts."),
    Raw("excludes", "Exception types that do not count."),
    Raw("scope", "What the breaker wraps (default `function`)."),
)


@dataclass(frozen=True, slots=True)
class CircuitBreaker(KindView):
    """A circuit breaker as the facts JSON shows it."""

    mechanism: str | None = None
    name: str | None = None
    failure_threshold: int | None = None
    failure_ratio: float | None = None
    sampling_duration_ms: int | float | None = None
    minimum_throughput: int | None = None
    recovery_timeout_ms: int | float | None = None
    fallback: str | None = None
    excludes: tuple[str, ...] = ()
    scope: str | None = None
    calls: tuple[str, ...] = ()


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mechanism": text_or_none(raw.get("mechanism")) or rule.library or None,
        "failure_threshold": to_int(number(raw.get("failure_threshold"))),
        "recovery_timeout_ms": None,
        "fallback": text_or_none(raw.get("fallback")) if raw.get("fallback") is not None else None,
        "scope": text_or_none(raw.get("scope")) or "function",
    }
    rec = ms_field(raw, "recovery_timeout")
    if rec is None and "recovery_timeout" in raw:
        n = number(raw["recovery_timeout"])  # timedelta objects are in seconds
        rec = None if n is None else n * 1000
    out["recovery_timeout_ms"] = num(rec) if rec is not None else None
    if raw.get("name") is not None:
        out["name"] = text_or_none(raw["name"])
    ratio = number(raw.get("failure_ratio")) if raw.get("failure_ratio") is not None else None
    if ratio is not None:  # ratio-based breakers (Polly v8, resilience4j): the failure ratio that opens it
        out["failure_ratio"] = ratio
    sampling = ms_field(raw, "sampling_duration")
    if sampling is not None:
        out["sampling_duration_ms"] = num(sampling)
    throughput = to_int(number(raw.get("minimum_throughput"))) if raw.get("minimum_throughput") is not None else None
    if throughput is not None:
        out["minimum_throughput"] = throughput
    if raw.get("excludes") is not None:
        out["excludes"] = texts(raw["excludes"])
    return out


KIND = Kind(
    name="circuit_breaker",
    doc="A circuit breaker: when it opens, when it lets calls through again, its fallback, and the calls it protects.",
    fields=FIELDS,
    raw=RAW,
    finalize=finalize,
    view=CircuitBreaker,
)
