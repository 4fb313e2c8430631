"""A synthetic OTLP JSON trace export (the Collector's file exporter format: one
``ExportTraceServiceRequest`` per line) of a given size, for ``bench/observe_run.py``.

    .venv/bin/python bench/observe_generate.py OUT.jsonl [--size-mb 1024] [--seed 7]

The traces are those of fixtures/monorepos/observed (web → orders → pricing, web → pricing,
pricing → orders) at a steady rate, so that ``contracts observe`` maps every service: each request
is 15 spans, client spans joined to server spans by parent id; orders' calls to pricing time out and
are retried. Lines hold 200 requests (3,000 spans) of one service each, written in time order as a
collector's batches are; the ids are random hex, latencies log-normal around each service's own.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

START_NS = 1_796_000_000 * 10**9
REQUESTS_PER_LINE = 200


def _attrs(**values: object) -> list[dict[str, object]]:
    out = []
    for k, v in values.items():
        key = k.replace("__", ".")
        out.append({"key": key, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}})
    return out


def _span(trace: str, span: str, parent: str, name: str, kind: int, start: int, ms: float, attrs: list, error: str = "") -> dict[str, object]:
    out: dict[str, object] = {
        "traceId": trace,
        "spanId": span,
        "parentSpanId": parent,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + int(ms * 1e6)),
        "attributes": attrs,
        "status": {"code": 2, "message": error} if error else {},
    }
    return out


def _request(rng: random.Random, t: int) -> dict[str, list[dict[str, object]]]:
    """One /checkout: the spans of each service."""
    hexid = rng.getrandbits
    trace = f"{hexid(128):032x}"
    root, web_orders, web_pricing = (f"{hexid(64):016x}" for _ in range(3))
    spans: dict[str, list[dict[str, object]]] = {"web": [], "orders": [], "pricing": []}
    pricing_ms = rng.lognormvariate(4.8, 0.25)  # ~120 ms
    stock_ms = rng.lognormvariate(0.0, 0.5)

    def pricing_call(parent: str, at: int) -> None:
        server, stock_client, stock_server = (f"{hexid(64):016x}" for _ in range(3))
        spans["pricing"].append(_span(trace, server, parent, "GET /quote", 2, at, pricing_ms + stock_ms, _attrs(http__route="/quote")))
        spans["pricing"].append(
            _span(trace, stock_client, server, "GET", 3, at, stock_ms + 0.3, _attrs(url__full="http://orders:8080/stock", server__address="orders"))
        )
        spans["orders"].append(_span(trace, stock_server, stock_client, "GET /stock", 2, at, stock_ms, _attrs(http__route="/stock")))

    orders_server = f"{hexid(64):016x}"
    spans["orders"].append(_span(trace, orders_server, web_orders, "POST /orders", 2, t, 125.0, _attrs(http__route="/orders")))
    for attempt in range(2):
        client = f"{hexid(64):016x}"
        at = t + attempt * 61_000_000
        spans["orders"].append(
            _span(
                trace,
                client,
                orders_server,
                "GET",
                3,
                at,
                60.5,
                _attrs(url__full="http://pricing:8080/quote", server__address="pricing", error__type="timeout"),
                "timed out",
            )
        )
        pricing_call(client, at)
    spans["web"].append(_span(trace, web_orders, root, "POST", 3, t, 126.0, _attrs(url__full="http://orders:8080/orders", server__address="orders")))
    spans["web"].append(
        _span(trace, web_pricing, root, "GET", 3, t + 127_000_000, pricing_ms + 1, _attrs(url__full="http://pricing:8080/quote", server__address="pricing"))
    )
    pricing_call(web_pricing, t + 127_000_000)
    spans["web"].append(_span(trace, root, "", "GET /checkout", 2, t, 130 + pricing_ms, _attrs(http__route="/checkout")))
    return spans


def _line(service: str, spans: list[dict[str, object]]) -> str:
    resource = {"attributes": _attrs(service__name=service)}
    return json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": service}, "spans": spans}]}]}, separators=(",", ":")) + "\n"


def generate(out: Path, size_bytes: int, seed: int = 7) -> tuple[int, int]:
    """Write ``out`` until it holds at least ``size_bytes``; (requests, spans) written."""
    rng = random.Random(seed)
    written = requests = spans = 0
    t = START_NS
    with out.open("w", encoding="utf-8") as f:
        while written < size_bytes:
            batch: dict[str, list[dict[str, object]]] = {"web": [], "orders": [], "pricing": []}
            for _ in range(REQUESTS_PER_LINE):
                for service, items in _request(rng, t).items():
                    batch[service] += items
                t += 5_000_000  # 200 requests per second
                requests += 1
            for service, items in batch.items():
                line = _line(service, items)
                f.write(line)
                written += len(line)
                spans += len(items)
    return requests, spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mb", type=float, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    requests, spans = generate(args.out, int(args.size_mb * 2**20), args.seed)
    print(f"{args.out}: {args.out.stat().st_size / 2**20:.0f} MiB, {requests} requests, {spans} spans")


if __name__ == "__main__":
    main()
