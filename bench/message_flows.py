"""Message flows of a graph against flows labelled from a system's code.

A flow is (publishing service, topic, consuming service): a publish edge and a consume edge of the
graph's messages layer meeting on one topic node. ``--label eventbus`` labels an eShop-style system
from its C# text alone, independently of the extractor: a service publishes the integration events
it builds (``new XIntegrationEvent(``, outside tests and the event-bus libraries) and subscribes to
those it registers (``AddSubscription<X,`` / ``Subscribe<X,``); ``--label FILE`` reads labelled
flows from a text file, one ``publisher topic consumer`` per line.

    python bench/message_flows.py GRAPH.json --label eventbus --root /tmp/G-eshop/src --services 'Ordering.API=Ordering.API'
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections import defaultdict
from pathlib import Path

Flow = tuple[str, str, str]

_SKIP = re.compile(r"(?i)test|[/\\]EventBus|IntegrationEventLog")
_BUILT = re.compile(r"new\s+(\w+IntegrationEvent)\s*\(")
_SUBSCRIBED = re.compile(r"(?:AddSubscription|Subscribe)<\s*(\w+IntegrationEvent)\s*,")


def graph_flows(graph: dict) -> set[Flow]:
    """(publisher, topic name, consumer) for every publish and consume edge meeting on a topic."""
    publishers: dict[str, set[str]] = defaultdict(set)
    consumers: dict[str, set[str]] = defaultdict(set)
    for e in graph["edges"]:
        if e.get("layer") != "messages":
            continue
        if e["kind"] == "publish":
            publishers[e["target"]].add(e["source"].removeprefix("service:"))
        elif e["kind"] == "consume":
            consumers[e["source"]].add(e["target"].removeprefix("service:"))
    return {(p, topic.rpartition("/")[2], c) for topic in publishers for p in publishers[topic] for c in consumers.get(topic, ())}


def eventbus_labels(root: Path, services: dict[str, str]) -> set[Flow]:
    """Integration-event flows read from the C# text of each service folder (``services``: folder → name)."""
    built: dict[str, set[str]] = defaultdict(set)
    subscribed: dict[str, set[str]] = defaultdict(set)
    for folder, name in sorted(services.items()):
        for dirpath, _, files in os.walk(root / folder):
            if _SKIP.search(dirpath):
                continue
            for f in files:
                if not f.endswith(".cs"):
                    continue
                text = (Path(dirpath) / f).read_text("utf-8-sig", errors="replace")
                for m in _BUILT.finditer(text):
                    built[m.group(1)].add(name)
                for m in _SUBSCRIBED.finditer(text):
                    subscribed[m.group(1)].add(name)
    return {(p, event, c) for event in built for p in built[event] for c in subscribed.get(event, ())}


def file_labels(path: Path) -> set[Flow]:
    out: set[Flow] = set()
    for line in path.read_text("utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) == 3:
            out.add((parts[0], parts[1], parts[2]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("graph", type=Path, help="contracts graph --format json output")
    ap.add_argument("--label", required=True, help="eventbus, or a file of 'publisher topic consumer' lines")
    ap.add_argument("--root", type=Path, help="the system's source folder (eventbus)")
    ap.add_argument("--services", nargs="*", default=[], help="FOLDER=SERVICE pairs (eventbus)")
    args = ap.parse_args()
    found = graph_flows(json.loads(args.graph.read_text("utf-8")))
    if args.label == "eventbus":
        labels = eventbus_labels(args.root, dict(s.split("=", 1) for s in args.services))
    else:
        labels = file_labels(Path(args.label))
    hit = found & labels
    print(f"labelled flows: {len(labels)}  found: {len(hit)}  missed: {len(labels - hit)}  not labelled: {len(found - labels)}")
    for name, flows in (("missed", labels - hit), ("not labelled", found - labels)):
        for f in sorted(flows):
            print(f"  {name}: {f[0]} -> {f[1]} -> {f[2]}")


if __name__ == "__main__":
    main()
