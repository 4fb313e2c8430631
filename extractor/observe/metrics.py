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


def read_metrics(path: Path) -> Iterator[Histogram]:
    try:
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    except OSError as exc:
        raise TelemetryError(f"{path}: {exc.strerror or exc}") from None
    return _read_range_query(path) if head.startswith("{") else _read_text(path)


def _scale(name: str) -> float:
    return 1000.0 if "_seconds" in name else 1.0


def _histogram(base: str, labels: dict[str, str], counts: dict[float, float], start_s: float = 0.0, end_s: float = 0.0) -> Histogram | None:
    service = next((labels[k] for k in SERVICE_LABELS if labels.get(k)), None)
    if service is None or not counts:
        return None
    operation = next((labels[k] for k in OPERATION_LABELS if labels.get(k)), base)
    scale = _scale(base)
    bounds = tuple((le * scale, n) for le, n in sorted(counts.items()))
    return Histogram(service, operation, bounds, start_s, end_s)


def _read_text(path: Path) -> Iterator[Histogram]:
    series: dict[tuple[str, tuple[tuple[str, str], ...]], dict[float, float]] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            m = _SAMPLE.match(line.strip())
            if m is None:
                raise TelemetryError(f"{path}:{number}: not a Prometheus text exposition sample")
            name, raw, value = m.groups()
            if not name.endswith("_bucket"):
                continue
            labels = dict(_LABEL.findall(raw or ""))
            le = labels.pop("le", None)
            if le is None:
                continue
            key = (name[: -len("_bucket")], tuple(sorted(labels.items())))
            series.setdefault(key, {})[float(le)] = float(value)
    for (base, pairs), counts in sorted(series.items()):
        h = _histogram(base, dict(pairs), counts)
        if h is not None:
            yield h


def _read_range_query(path: Path) -> Iterator[Histogram]:
    import ijson

    series: dict[tuple[str, tuple[tuple[str, str], ...]], dict[float, float]] = {}
    window: list[float] = []
    try:
        with path.open("rb") as f:
            for item in ijson.items(f, "data.result.item"):
                labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
                name = labels.pop("__name__", "")
                le = labels.pop("le", None)
                values = item.get("values") or ([item["value"]] if item.get("value") else [])
                if le is None or not values or (name and not name.endswith("_bucket")):
                    continue
                first, last = values[0], values[-1]
                window += [float(first[0]), float(last[0])]
                grown = float(last[1]) - (float(first[1]) if len(values) > 1 else 0.0)
                key = (name.removesuffix("_bucket") or "latency_seconds", tuple(sorted(labels.items())))
                series.setdefault(key, {})[float(le)] = max(grown, 0.0)
    except ijson.JSONError as exc:
        raise TelemetryError(f"{path}: not the JSON of a Prometheus range query: {exc}") from None
    for (base, pairs), counts in sorted(series.items()):
        h = _histogram(base, dict(pairs), counts, min(window, default=0.0), max(window, default=0.0))
        if h is not None:
            yield h
