"""Latency histograms from Prometheus: a text exposition snapshot (``/metrics``) or the JSON of a
range query (``/api/v1/query_range`` over ``..._bucket`` series). Each histogram series (its labels
without ``le``) becomes the latency of a service's operation: the service from the ``service``,
``service_name``, ``job`` or ``app`` label, the operation from ``http_route``, ``route``,
``operation``, ``handler``, ``uri`` or ``path``. Quantiles are read from the cumulative buckets
by linear interpolation inside the bucket that holds the rank (as ``histogram_quantile`` does), so
their error is at most the width of that bucket. A range query counts what its window added (the
last sample minus the first); a snapshot counts everything since the process started."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .spans import TelemetryError

SERVICE_LABELS = ("service", "service_name", "job", "app")
OPERATION_LABELS = ("http_route", "route", "operation", "handler", "uri", "path")


@dataclass(frozen=True)
class Histogram:
    """One series: cumulative counts per upper bound in milliseconds (the last bound is infinite)."""

    service: str
    operation: str
    bounds: tuple[tuple[float, float], ...]
    start_s: float = 0.0
    end_s: float = 0.0

    @property
    def count(self) -> int:
        return int(self.bounds[-1][1]) if self.bounds else 0

    def quantile(self, q: float) -> float | None:
        total = self.count
        if not total:
            return None
        rank = q * total
        below, low = 0.0, 0.0
        for le, cumulative in self.bounds:
            if cumulative >= rank:
                if math.isinf(le):
                    return low  # the rank is past the last finite bucket: its bound is all we know
                inside = cumulative - below
                return low + (le - low) * ((rank - below) / inside if inside else 1.0)
            below, low = cumulative, le
        return low


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?\s*$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class EdgeMetric:
    """A family of metrics that name both sides of a call: which metric names it has (counters of
    requests, histograms of their latency), which labels name the caller and the callee (the first
    present wins), labels a series must have (``direction="outbound"``), which series are errors,
    and the label whose value says which side reported a request counted by both (``reporter``:
    the ``prefer``red side's series are kept when both are present)."""

    family: str
    counters: tuple[str, ...]
    histograms: tuple[str, ...]
    caller: tuple[str, ...]
    callee: tuple[str, ...]
    operation: tuple[str, ...] = ()
    where: tuple[tuple[str, str], ...] = ()
    reporter: tuple[str, str] | None = None  # (label, preferred value)
    error_codes: tuple[str, ...] = ()  # labels holding a status code: an error from 500 (400 for a client's HTTP status)
    client_codes: tuple[str, ...] = ()
    error_labels: tuple[tuple[str, str], ...] = ()  # label = value marks an error (classification="failure")
    error_present: tuple[str, ...] = ()  # a non-empty label marks an error (error_type)


EDGE_METRICS = (
    EdgeMetric(
        "istio",
        ("istio_requests_total",),
        ("istio_request_duration_milliseconds", "istio_request_duration_seconds"),
        ("source_workload", "source_app", "source_canonical_service"),
        ("destination_workload", "destination_app", "destination_canonical_service", "destination_service_name", "destination_service"),
        reporter=("reporter", "source"),
        error_codes=("response_code",),
    ),
    EdgeMetric(
        "linkerd",
        ("response_total",),
        ("response_latency_ms",),
        ("deployment", "statefulset", "daemonset"),
        ("dst_deployment", "dst_statefulset", "dst_daemonset", "dst_service"),
        where=(("direction", "outbound"),),
        error_labels=(("classification", "failure"),),
    ),
    EdgeMetric(
        "opentelemetry",
        (),
        (
            "http_client_request_duration_seconds",
            "http_client_duration_milliseconds",
            "http_client_duration",
            "rpc_client_duration_milliseconds",
            "rpc_client_duration",
        ),
        SERVICE_LABELS,
        ("peer_service", "server_address", "net_peer_name"),
        operation=("url_template", "http_route", "rpc_method"),
        client_codes=("http_response_status_code", "http_status_code"),
        error_present=("error_type",),
    ),
)
"""Metrics that name both sides of a call: Istio's standard metrics (``source_workload`` →
``destination_workload``), Linkerd's proxy metrics (``deployment`` → ``dst_deployment``, outbound),
OpenTelemetry's HTTP/RPC client duration as exported to Prometheus (the service → ``peer_service`` or
``server_address``)."""

_INDEX = {name: (m, kind) for m in EDGE_METRICS for kind, names in (("counter", m.counters), ("histogram", m.histograms)) for name in names}


@dataclass(frozen=True)
class MetricEdge:
    """Calls from ``caller`` to ``callee`` counted by a metric family: calls and errors (from its
    request counter, else its latency histogram) and the latency histogram when there is one."""

    family: str
    caller: str
    callee: str
    operation: str
    calls: int
    errors: int
    latency: Histogram | None
    start_s: float = 0.0
    end_s: float = 0.0


@dataclass
class Metrics:
    """What one metrics file holds: latency histograms of services' operations, and call edges."""

    histograms: list[Histogram]
    edges: list[MetricEdge]


Series = dict[tuple[str, tuple[tuple[str, str], ...]], dict[float, float]]
"""(metric name, labels without ``le``) → le (None for a counter: ``math.nan``) → value."""


def read_metrics(path: Path) -> Iterator[Histogram]:
    """The latency histograms of services' operations in a metrics file (``read_prometheus``)."""
    return iter(read_prometheus(path).histograms)


def read_prometheus(path: Path) -> Metrics:
    """A Prometheus text exposition or range-query JSON file: its operations' histograms and the call
    edges its metrics name both sides of (``EDGE_METRICS``)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    except OSError as exc:
        raise TelemetryError(f"{path}: {exc.strerror or exc}") from None
    if head.startswith("{"):
        series, window = _read_range_query(path)
    else:
        series, window = _read_text(path), (0.0, 0.0)
    return _collect(series, *window)


def _scale(name: str) -> float:
    return 1000.0 if "_seconds" in name else 1.0


def _keep(name: str) -> str | None:
    """The metric a sample belongs to when it is read: a histogram's bucket, or an edge counter."""
    if name.endswith("_bucket"):
        return name[: -len("_bucket")]
    return name if name in _INDEX and _INDEX[name][1] == "counter" else None


def _histogram(base: str, labels: dict[str, str], counts: dict[float, float], start_s: float = 0.0, end_s: float = 0.0) -> Histogram | None:
    service = next((labels[k] for k in SERVICE_LABELS if labels.get(k)), None)
    if service is None or not counts:
        return None
    operation = next((labels[k] for k in OPERATION_LABELS if labels.get(k)), base)
    scale = _scale(base)
    bounds = tuple((le * scale, n) for le, n in sorted(counts.items()))
    return Histogram(service, operation, bounds, start_s, end_s)


def _read_text(path: Path) -> Series:
    series: Series = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            m = _SAMPLE.match(line.strip())
            if m is None:
                raise TelemetryError(f"{path}:{number}: not a Prometheus text exposition sample")
            name, raw, value = m.groups()
            base = _keep(name)
            if base is None:
                continue
            labels = dict(_LABEL.findall(raw or ""))
            le = labels.pop("le", None)
            if name.endswith("_bucket") and le is None:
                continue
            series.setdefault((base, tuple(sorted(labels.items()))), {})[float(le) if le is not None else math.nan] = float(value)
    return series


def _read_range_query(path: Path) -> tuple[Series, tuple[float, float]]:
    import ijson

    series: Series = {}
    window: list[float] = []
    try:
        with path.open("rb") as f:
            for item in ijson.items(f, "data.result.item"):
                labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
                name = labels.pop("__name__", "")
                le = labels.pop("le", None)
                values = item.get("values") or ([item["value"]] if item.get("value") else [])
                base = _keep(name) if name else "latency_seconds"
                if base is None or not values or (le is None and name.endswith("_bucket")) or (le is None and not name):
                    continue
                first, last = values[0], values[-1]
                window += [float(first[0]), float(last[0])]
                grown = float(last[1]) - (float(first[1]) if len(values) > 1 else 0.0)
                series.setdefault((base, tuple(sorted(labels.items()))), {})[float(le) if le is not None else math.nan] = max(grown, 0.0)
    except ijson.JSONError as exc:
        raise TelemetryError(f"{path}: not the JSON of a Prometheus range query: {exc}") from None
    return series, (min(window, default=0.0), max(window, default=0.0))


def _edge_of(m: EdgeMetric, labels: dict[str, str]) -> tuple[str, str, str] | None:
    if any(labels.get(k) != v for k, v in m.where):
        return None
    caller = next((labels[k] for k in m.caller if labels.get(k) and labels[k] != "unknown"), None)
    callee = next((labels[k] for k in m.callee if labels.get(k) and labels[k] != "unknown"), None)
    if caller is None or callee is None:
        return None
    return caller, callee, next((labels[k] for k in m.operation if labels.get(k)), "")


def _is_error(m: EdgeMetric, labels: dict[str, str]) -> bool:
    def code(keys: tuple[str, ...], least: int) -> bool:
        for k in keys:
            try:
                if int(labels.get(k) or 0) >= least:
                    return True
            except ValueError:
                continue
        return False

    return (
        code(m.error_codes, 500)
        or code(m.client_codes, 400)
        or any(labels.get(k) == v for k, v in m.error_labels)
        or any(labels.get(k) for k in m.error_present)
    )


@dataclass
class _EdgeSum:
    calls: float = 0.0
    errors: float = 0.0
    counted: bool = False  # a request counter gave the calls
    hist_calls: float = 0.0
    hist_errors: float = 0.0
    buckets: dict[float, float] | None = None


def _collect(series: Series, start_s: float = 0.0, end_s: float = 0.0) -> Metrics:
    """Histograms of operations, and the edges of ``EDGE_METRICS`` (their series are no operation's)."""
    histograms: list[Histogram] = []
    reporters: dict[tuple[str, str, str, str], set[str]] = {}
    for (base, pairs), _ in series.items():
        found = _INDEX.get(base)
        if found is not None and found[0].reporter is not None:
            labels = dict(pairs)
            edge = _edge_of(found[0], labels)
            if edge is not None:
                reporters.setdefault((found[0].family, *edge), set()).add(labels.get(found[0].reporter[0], ""))
    sums: dict[tuple[str, str, str, str], _EdgeSum] = {}
    for (base, pairs), values in sorted(series.items()):
        labels = dict(pairs)
        found = _INDEX.get(base)
        edge = _edge_of(found[0], labels) if found is not None else None
        if found is None:
            h = _histogram(base, labels, {le: n for le, n in values.items() if not math.isnan(le)}, start_s, end_s)
            if h is not None:
                histograms.append(h)
            continue
        if edge is None:
            continue  # a client's metric without its peer, or another direction: no operation's latency either
        m, kind = found
        key = (m.family, *edge)
        if m.reporter is not None:
            label, preferred = m.reporter
            seen = reporters.get(key, set())
            if preferred in seen and labels.get(label, "") != preferred:
                continue  # the same requests, counted by the other side too
        total = sum(values.values()) if kind == "counter" else max(values.values(), default=0.0)
        acc = sums.setdefault(key, _EdgeSum())
        error = _is_error(m, labels)
        if kind == "counter":
            acc.counted = True
            acc.calls += total
            acc.errors += total if error else 0.0
        else:
            acc.hist_calls += total
            acc.hist_errors += total if error else 0.0
            scale = _scale(base)
            acc.buckets = acc.buckets or {}
            for le, n in values.items():
                acc.buckets[le * scale] = acc.buckets.get(le * scale, 0.0) + n
    edges = []
    for (family, caller, callee, operation), acc in sorted(sums.items()):
        calls, errors = (acc.calls, acc.errors) if acc.counted else (acc.hist_calls, acc.hist_errors)
        latency = Histogram(caller, operation, tuple(sorted(acc.buckets.items())), start_s, end_s) if acc.buckets else None
        edges.append(MetricEdge(family, caller, callee, operation, int(calls), int(errors), latency, start_s, end_s))
    return Metrics(histograms, edges)
