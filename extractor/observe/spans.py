"""Spans from exported traces, one at a time: OTLP JSON (the OpenTelemetry Collector's file exporter:
one ``ExportTraceServiceRequest`` per line, parsed into the generated protobuf message), Jaeger JSON
(``{"data": [trace, ...]}``) and Zipkin v2 JSON (an array of spans, or of traces); the last two are
streamed with ijson, one trace or span at a time, so memory does not grow with the file."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FORMATS = ("otlp", "jaeger", "zipkin")


class TelemetryError(Exception):
    """An export that cannot be read; the message names the file (and line when known)."""


@dataclass(frozen=True, slots=True)
class Span:
    """What a span says about a call: who (``service``), which side (``kind``), what (``route``),
    how long, and how it ended. ``parent`` is the id of the span it belongs to ("" for a root)."""

    trace: str
    id: str
    parent: str
    service: str
    kind: str  # server | client | producer | consumer | internal
    name: str
    start_ns: int
    end_ns: int
    error: bool = False
    timeout: bool = False
    peer: str | None = None  # peer.service, else the server address the client called
    route: str | None = None  # http.route, else the URL's path, else rpc service/method
    method: str | None = None

    @property
    def ms(self) -> float:
        return max(self.end_ns - self.start_ns, 0) / 1e6


_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
_TIMEOUT_WORDS = ("timeout", "timed out", "deadline")


def detect(path: Path) -> str:
    """Which export ``path`` is: ``otlp``, ``jaeger`` or ``zipkin`` (from its first few kilobytes)."""
    try:
        with path.open("rb") as f:
            head = f.read(8192).decode("utf-8", "replace")
    except OSError as exc:
        raise TelemetryError(f"{path}: {exc.strerror or exc}") from None
    text = head.lstrip("\ufeff \t\r\n")
    if '"resourceSpans"' in head or '"resource_spans"' in head:
        return "otlp"
    if text.startswith("["):
        return "zipkin"
    if '"traceID"' in head or '"processes"' in head:
        return "jaeger"
    raise TelemetryError(f"{path}: not a trace export this command reads (OTLP JSON lines, Jaeger JSON or Zipkin v2 JSON)")


def read_spans(path: Path, fmt: str | None = None) -> Iterator[Span]:
    fmt = fmt or detect(path)
    if fmt == "otlp":
        return read_otlp(path)
    if fmt == "jaeger":
        return read_jaeger(path)
    return read_zipkin(path)


# -- OTLP ----------------------------------------------------------------------------------------


def read_otlp(path: Path) -> Iterator[Span]:
    """One ``ExportTraceServiceRequest`` per line (the file exporter's format), each parsed with the
    protobuf JSON mapping; ids are kept as written (hex in OTLP JSON) so that they join."""
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    try:
        f = path.open(encoding="utf-8")
    except OSError as exc:
        raise TelemetryError(f"{path}: {exc.strerror or exc}") from None
    with f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            message = ExportTraceServiceRequest()
            try:
                json_format.Parse(line, message, ignore_unknown_fields=True)
            except json_format.ParseError as exc:
                raise TelemetryError(f"{path}:{number}: not an OTLP JSON trace export line: {exc}") from None
            yield from _otlp_spans(message)


def _id(raw: bytes) -> str:
    """The id as it was written: the JSON mapping decoded the hex text as base64, so encode it back."""
    return base64.b64encode(raw).decode("ascii") if raw else ""


def _any_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    return getattr(value, which) if which in ("string_value", "int_value", "bool_value", "double_value") else None


def _otlp_spans(message: Any) -> Iterator[Span]:
    for resource_spans in message.resource_spans:
        service = "unknown"
        for kv in resource_spans.resource.attributes:
            if kv.key == "service.name":
                service = str(_any_value(kv.value))
        for scope in resource_spans.scope_spans:
            for s in scope.spans:
                attrs = {kv.key: _any_value(kv.value) for kv in s.attributes}
                events = [{kv.key: _any_value(kv.value) for kv in e.attributes} for e in s.events if e.name == "exception"]
                yield _span(
                    trace=_id(s.trace_id),
                    id=_id(s.span_id),
                    parent=_id(s.parent_span_id),
                    service=service,
                    kind=_KINDS.get(s.kind, "internal"),
                    name=s.name,
                    start_ns=s.start_time_unix_nano,
                    end_ns=s.end_time_unix_nano,
                    error=s.status.code == 2,
                    message=s.status.message,
                    attrs=attrs,
                    events=events,
                )


# -- Jaeger --------------------------------------------------------------------------------------


def read_jaeger(path: Path) -> Iterator[Span]:
    """A Jaeger JSON export (the UI's download, ``/api/traces``): one trace at a time from ``data``."""
    import ijson

    try:
        with path.open("rb") as f:
            for trace in ijson.items(f, "data.item"):
                yield from _jaeger_trace(trace)
    except ijson.JSONError as exc:
        raise TelemetryError(f"{path}: not a Jaeger JSON export: {exc}") from None


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    return {str(t.get("key")): t.get("value") for t in items or ()}


def _jaeger_trace(trace: Mapping[str, Any]) -> Iterator[Span]:
    processes = trace.get("processes") or {}
    for s in trace.get("spans") or ():
        tags = _tags(s.get("tags"))
        process = processes.get(s.get("processID")) or s.get("process") or {}
        parent = next((str(r.get("spanID")) for r in s.get("references") or () if r.get("refType") == "CHILD_OF"), "")
        events = [_tags(log.get("fields")) for log in s.get("logs") or ()]
        start_us = int(s.get("startTime") or 0)
        kind = str(tags.get("span.kind") or "internal").lower()
        yield _span(
            trace=str(s.get("traceID") or trace.get("traceID") or ""),
            id=str(s.get("spanID") or ""),
            parent=parent,
            service=str(process.get("serviceName") or "unknown"),
            kind=kind if kind in _KINDS.values() else "internal",
            name=str(s.get("operationName") or ""),
            start_ns=start_us * 1000,
            end_ns=(start_us + int(s.get("duration") or 0)) * 1000,
            error=tags.get("error") in (True, "true") or str(tags.get("otel.status_code") or "").upper() == "ERROR",
            message=str(tags.get("otel.status_description") or ""),
            attrs=tags,
            events=[e for e in events if e.get("event") == "error" or "exception.type" in e],
        )


# -- Zipkin --------------------------------------------------------------------------------------


def read_zipkin(path: Path) -> Iterator[Span]:
    """Zipkin v2 JSON: an array of spans (``/api/v2/spans``) or of traces (``/api/v2/traces``)."""
    import ijson

    try:
        with path.open("rb") as f:
            for item in ijson.items(f, "item"):
                for s in item if isinstance(item, list) else (item,):
                    yield _zipkin_span(s)
    except ijson.JSONError as exc:
        raise TelemetryError(f"{path}: not a Zipkin v2 JSON export: {exc}") from None


def _zipkin_span(s: Mapping[str, Any]) -> Span:
    tags = dict(s.get("tags") or {})
    start_us = int(s.get("timestamp") or 0)
    kind = str(s.get("kind") or "internal").lower()
    remote = s.get("remoteEndpoint") or {}
    if remote.get("serviceName") and "peer.service" not in tags:
        tags["peer.service"] = remote["serviceName"]
    span_id = str(s.get("id") or "")
    # a server span sharing its client's id (B3 single-host spans) belongs to that client span
    parent = span_id if s.get("shared") and kind == "server" else str(s.get("parentId") or "")
    return _span(
        trace=str(s.get("traceId") or ""),
        id=span_id + ("/shared" if s.get("shared") and kind == "server" else ""),
        parent=parent,
        service=str((s.get("localEndpoint") or {}).get("serviceName") or "unknown"),
        kind=kind if kind in _KINDS.values() else "internal",
        name=str(s.get("name") or ""),
        start_ns=start_us * 1000,
        end_ns=(start_us + int(s.get("duration") or 0)) * 1000,
        error="error" in tags,
        message=str(tags.get("error") or ""),
        attrs=tags,
        events=[],
    )


# -- one span from any format -----------------------------------------------------------------------


def _span(
    *,
    trace: str,
    id: str,
    parent: str,
    service: str,
    kind: str,
    name: str,
    start_ns: int,
    end_ns: int,
    error: bool,
    message: str,
    attrs: Mapping[str, Any],
    events: list[dict[str, Any]],
) -> Span:
    status = attrs.get("http.response.status_code", attrs.get("http.status_code"))
    try:
        code = int(status) if status is not None else None
    except (TypeError, ValueError):
        code = None
    if code is not None and (code >= 500 or (kind == "client" and code >= 400)):
        error = True
    words = " ".join(
        str(x)
        for x in (
            message,
            attrs.get("error.type"),
            attrs.get("exception.type"),
            *(e.get("exception.type") for e in events),
            *(e.get("exception.message") for e in events),
        )
        if x
    ).lower()
    grpc = attrs.get("rpc.grpc.status_code")
    timeout = bool(error and (any(w in words for w in _TIMEOUT_WORDS) or code in (408, 504) or str(grpc) in ("4", "DEADLINE_EXCEEDED")))
    return Span(
        trace=trace,
        id=id,
        parent=parent,
        service=service,
        kind=kind,
        name=name,
        start_ns=int(start_ns),
        end_ns=int(end_ns),
        error=error or timeout,
        timeout=timeout,
        peer=_peer(attrs),
        route=_route(kind, name, attrs),
        method=_text(attrs.get("http.request.method") or attrs.get("http.method")),
    )


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _peer(attrs: Mapping[str, Any]) -> str | None:
    named = _text(attrs.get("peer.service"))
    if named:
        return named
    address = _text(attrs.get("server.address") or attrs.get("net.peer.name") or attrs.get("http.host"))
    if address:
        return address.split(":", 1)[0]
    url = _text(attrs.get("url.full") or attrs.get("http.url"))
    return urlsplit(url).hostname if url else None


def _route(kind: str, name: str, attrs: Mapping[str, Any]) -> str | None:
    rpc = _text(attrs.get("rpc.service"))
    if rpc:
        method = _text(attrs.get("rpc.method"))
        return f"{rpc}/{method}" if method else rpc
    route = _text(attrs.get("http.route"))
    if route:
        return route
    path = _text(attrs.get("url.path") or attrs.get("http.target") or attrs.get("http.path"))
    if path is None:
        url = _text(attrs.get("url.full") or attrs.get("http.url"))
        path = urlsplit(url).path if url else None
    if path:
        return "/".join("{id}" if _ID.fullmatch(part) else part for part in path.split("?", 1)[0].split("/")) or "/"
    return name or None


_ID = re.compile(r"\d+|[0-9a-fA-F]{8,}|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}")
"""A path segment that is an id, not a route: a number, a long hex string, a UUID (``/users/42`` → ``/users/{id}``)."""
