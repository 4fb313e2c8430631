"""What was observed, in the scan's service names: the checks and the reports read these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

QUANTILES = (50.0, 95.0, 99.0)


@dataclass(frozen=True)
class Latency:
    """Calls, latency quantiles (ms), errors and timeouts of one service, operation or edge."""

    count: int
    quantiles: dict[float, float]
    errors: int = 0
    timeouts: int = 0
    source: str = "traces"  # traces | metrics

    def at(self, p: float) -> float | None:
        return self.quantiles.get(p)

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    def text(self) -> str:
        qs = ", ".join(f"p{p:g} = {_ms(v)}" for p, v in sorted(self.quantiles.items()))
        return f"{qs} over {self.count} call{'s' if self.count != 1 else ''}"

    def to_json(self) -> dict[str, object]:
        return {
            "count": self.count,
            **{f"p{p:g}_ms": round(v, 3) for p, v in sorted(self.quantiles.items())},
            "errors": self.errors,
            "error_rate": round(self.error_rate, 4),
            "timeouts": self.timeouts,
            "source": self.source,
        }


@dataclass(frozen=True)
class ObservedOperation:
    service: str
    operation: str | None  # None: the service as a whole
    latency: Latency
    observed_as: str = ""  # the name in the telemetry, when it differs from the service's


@dataclass(frozen=True)
class ObservedEdge:
    """Client spans of ``caller`` answered by ``callee`` (``via``: ``span``, a server span of the callee
    was their child; ``peer``: the client span named it), for ``operation`` (the server's route)."""

    caller: str
    callee: str
    operation: str | None
    latency: Latency
    via: str
    internal: bool  # both ends are services of the scan
    max_attempts: int = 1
    retried: int = 0  # parents whose calls were attempted more than once
    parents: int = 0


@dataclass(frozen=True)
class Window:
    start_ns: int
    end_ns: int

    def text(self) -> str:
        if not self.start_ns:
            return "unknown window"
        a, b = _utc(self.start_ns), _utc(self.end_ns)
        return f"{a} – {b} ({_span_text((self.end_ns - self.start_ns) / 1e9)})"


@dataclass
class Observations:
    """Everything ``contracts observe`` derived from the exports, named as the scan names services."""

    services: list[ObservedOperation] = field(default_factory=list)
    operations: list[ObservedOperation] = field(default_factory=list)
    edges: list[ObservedEdge] = field(default_factory=list)
    window: Window = field(default_factory=lambda: Window(0, 0))
    spans: int = 0
    sources: tuple[str, ...] = ()
    unmapped: tuple[str, ...] = ()  # observed service names that are no service of the scan

    def service(self, name: str) -> ObservedOperation | None:
        return next((s for s in self.services if s.service == name), None)

    def operations_of(self, name: str) -> list[ObservedOperation]:
        return [o for o in self.operations if o.service == name]

    def edges_between(self, caller: str, callee: str) -> list[ObservedEdge]:
        return [e for e in self.edges if e.caller == caller and e.callee == callee]

    def seen(self, name: str) -> bool:
        """Whether ``name`` emitted any span as a server or as a caller."""
        return self.service(name) is not None or any(e.caller == name for e in self.edges)

    def evidence(self) -> str:
        """``in traces.jsonl, 2026-12-07T14:00:01Z – 14:00:09Z (8 s)``: where and when, for every finding."""
        return f"in {', '.join(self.sources) or 'no export'}, {self.window.text()}"


def _ms(v: float) -> str:
    return f"{v:.0f}ms" if v >= 10 else f"{v:.3g}ms"


def _utc(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
