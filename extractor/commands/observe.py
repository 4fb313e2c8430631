"""``contracts observe``: exported telemetry read against the scan, the contracts and the code.

The OpenTelemetry protobuf package and ijson are imported only here and in the readers they serve
(the ``observe`` extra): a scan or a check never needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checks import REGISTRY, Finding, run_checks
from ..observe.aggregate import Aggregate
from ..observe.checks import ObservedContext
from ..observe.metrics import Histogram, Metrics, read_prometheus
from ..observe.model import Latency, Observations, ObservedOperation
from ..observe.services import observations
from ..observe.sketch import RELATIVE_ERROR
from ..observe.spans import TelemetryError, read_spans

if TYPE_CHECKING:
    from ..pipeline import Analysis

OBSERVE_VERSION = 1
CHECKS = tuple(sorted(c for c in REGISTRY if c.startswith("observed.")))
"""The checks this command runs (docs/checks.md, Observed)."""


class ObserveError(Exception):
    """A telemetry file that cannot be read, or a missing package; the message names the file."""


def _needs_packages() -> None:
    try:
        import google.protobuf  # noqa: F401
        import ijson  # noqa: F401
        import opentelemetry.proto  # noqa: F401
    except ImportError as exc:
        raise ObserveError(f"contracts observe needs the observe extra (pip install 'contract-extractor[observe]'): {exc}") from None


def read_telemetry(traces: Sequence[Path], metrics: Sequence[Path]) -> tuple[Aggregate, list[Histogram]]:
    """Every span of ``traces`` folded into one aggregate, and every histogram of ``metrics``."""
    aggregate, found = read_exports(traces, metrics)
    return aggregate, found.histograms


def read_exports(traces: Sequence[Path], metrics: Sequence[Path]) -> tuple[Aggregate, Metrics]:
    """Every span of ``traces`` folded into one aggregate; the histograms and call edges of ``metrics``."""
    _needs_packages()
    aggregate = Aggregate()
    found = Metrics([], [])
    try:
        for path in traces:
            aggregate.feed(read_spans(path), path.name)
        for path in metrics:
            one = read_prometheus(path)
            found.histograms += one.histograms
            found.edges += one.edges
            aggregate.sources.append(path.name)
    except TelemetryError as exc:
        raise ObserveError(str(exc)) from None
    return aggregate.finish(), found


def observe(analysis: Analysis, traces: Sequence[Path], metrics: Sequence[Path] = (), overrides: Mapping[str, str] = {}) -> Observations:
    aggregate, found = read_exports(traces, metrics)
    return observations(analysis.graph, aggregate, found.histograms, overrides, found.edges)


def observed_findings(analysis: Analysis, observed: Observations, only: frozenset[str] | None = None) -> list[Finding]:
    """The ``observed.*`` checks (or those of ``only`` among them) over the analysis and the observations."""
    ctx = ObservedContext(analysis.graph, analysis.declared, analysis.inferred, analysis.config.retry_amplification, observed=observed)
    chosen = frozenset(CHECKS) if only is None else frozenset(CHECKS) & only
    return run_checks(ctx, chosen)


# -- what is printed --------------------------------------------------------------------------------


def _row(latency: Latency) -> str:
    qs = "  ".join(f"p{p:g} {latency.quantiles[p]:>8.1f}ms" for p in sorted(latency.quantiles))
    extra = f"  errors {latency.errors} ({latency.error_rate:.1%})" if latency.errors else ""
    extra += f"  timeouts {latency.timeouts}" if latency.timeouts else ""
    return f"{latency.count:>7} calls  {qs}{extra}"


def render_summary(observed: Observations) -> str:
    """The observations as text: window, services, operations, edges with retries."""
    lines = [
        f"Observed: {observed.spans} spans {observed.evidence()}; quantiles within {RELATIVE_ERROR:.0%} (log-bucket sketch)",
        "",
        "Services (server spans):",
    ]
    lines += [f"  {s.service:<24}{_row(s.latency)}" for s in observed.services] or ["  none"]
    lines += ["", "Operations:"]
    lines += [f"  {o.service}  {o.operation or '*'}  [{o.latency.source}]\n    {_row(o.latency)}" for o in observed.operations] or ["  none"]
    lines += ["", "Edges (client spans; via metrics: metrics naming both sides):"]
    for e in observed.edges:
        retries = f"  attempts ≤ {e.max_attempts} ({e.retried} of {e.parents} calls retried)" if e.max_attempts > 1 else ""
        where = "" if e.internal else "  (not a service of the scan)"
        lines.append(f"  {e.caller} → {e.callee}  {e.operation or '*'}  [via {e.via}]{where}\n    {_row(e.latency)}{retries}")
    if not observed.edges:
        lines.append("  none")
    if observed.unmapped:
        lines += ["", f"Not services of the scan: {', '.join(observed.unmapped)} (map them with --service OBSERVED=SERVICE)"]
    return "\n".join(lines) + "\n\n"


def _operation_json(o: ObservedOperation) -> dict[str, Any]:
    out: dict[str, Any] = {"service": o.service}
    if o.operation is not None:
        out["operation"] = o.operation
    if o.observed_as:
        out["observed_as"] = o.observed_as
    return out | o.latency.to_json()


def document(root: str, observed: Observations) -> dict[str, Any]:
    """``observe.v1``: what the exports showed (docs/schemas/observe.v1.schema.json)."""
    w = observed.window
    return {
        "version": OBSERVE_VERSION,
        "root": root,
        "sources": list(observed.sources),
        "spans": observed.spans,
        "window": {"start_unix_nano": w.start_ns, "end_unix_nano": w.end_ns, "text": w.text()},
        "relative_error": RELATIVE_ERROR,
        "services": [_operation_json(s) for s in observed.services],
        "operations": [_operation_json(o) for o in observed.operations],
        "edges": [
            {
                "caller": e.caller,
                "callee": e.callee,
                **({"operation": e.operation} if e.operation else {}),
                "via": e.via,
                "internal": e.internal,
                "max_attempts": e.max_attempts,
                "retried": e.retried,
                "parents": e.parents,
            }
            | e.latency.to_json()
            for e in observed.edges
        ],
        "unmapped": list(observed.unmapped),
    }


# -- contracts init --from-traces -----------------------------------------------------------------


@dataclass(frozen=True)
class ObservedCurrent:
    """What ``init --from-traces`` writes as an operation's ``latency.current``, and its provenance."""

    service: str
    operation: str
    value: str  # p50=12ms, p95=40ms, p99=80ms
    provenance: str  # observed: traces.jsonl, 412 calls, 2026-12-07T14:00:01Z – 14:00:09Z (8 s)


def observed_currents(observed: Observations, services: Iterable[str]) -> list[ObservedCurrent]:
    """Each observed operation of ``services`` (server spans, else metrics) as a ``current:`` value."""
    wanted = set(services)
    out: list[ObservedCurrent] = []
    for o in observed.operations:
        if o.service not in wanted or not o.operation or not o.latency.count:
            continue
        if o.latency.source == "metrics" and any(
            x.service == o.service and x.operation == o.operation and x.latency.source == "traces" for x in observed.operations
        ):
            continue
        value = ", ".join(f"p{p:g}={_whole_ms(v)}" for p, v in sorted(o.latency.quantiles.items()))
        out.append(
            ObservedCurrent(o.service, o.operation, value, f"observed: {', '.join(observed.sources)}, {o.latency.count} calls, {observed.window.text()}")
        )
    return out


def _whole_ms(v: float) -> str:
    return f"{max(round(v), 1)}ms"
