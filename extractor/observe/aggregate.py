"""Per service, per operation and per edge statistics from a stream of spans, in bounded memory.

An edge is a client span joined with the server span it caused: the server span's parent is the
client span's id. Spans arrive in export order, not trace order, so each side waits in a pending
table until its partner arrives; a span still unmatched ``WINDOW_NS`` of span time after the newest
one seen, or pushed out when a table holds ``PENDING_LIMIT`` spans, is settled alone — a client
span by the peer it names (``peer.service``, else the server address), a server span as an entry
point. Retries are client spans for one target under one parent span, counted in the same way.
Memory is bounded by the two limits and by the sketches (``sketch.py``), never by the export's size.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from .sketch import Sketch
from .spans import Span

WINDOW_NS = 60 * 10**9
"""How long (span time) a span waits for its partner or its retries: a minute."""

PENDING_LIMIT = 100_000
"""At most this many spans wait in each pending table (client spans, server spans, retry groups)."""


@dataclass
class Stats:
    """Latency sketch, calls, errors and timeouts of one service, operation or edge."""

    sketch: Sketch = field(default_factory=Sketch)
    errors: int = 0
    timeouts: int = 0

    @property
    def count(self) -> int:
        return self.sketch.count

    def add(self, ms: float, error: bool, timeout: bool) -> None:
        self.sketch.add(ms)
        self.errors += error
        self.timeouts += timeout

    def merge(self, other: Stats) -> None:
        self.sketch.merge(other.sketch)
        self.errors += other.errors
        self.timeouts += other.timeouts


@dataclass
class Retries:
    """Groups of client spans for one target under one parent: how many, the most attempts, how many had more than one."""

    groups: int = 0
    retried: int = 0
    max_attempts: int = 0

    def add(self, attempts: int) -> None:
        self.groups += 1
        self.retried += attempts > 1
        self.max_attempts = max(self.max_attempts, attempts)

    def merge(self, other: Retries) -> None:
        self.groups += other.groups
        self.retried += other.retried
        self.max_attempts = max(self.max_attempts, other.max_attempts)


K = TypeVar("K")

EdgeKey = tuple[str, str, str, str]
"""(caller, callee, operation, how the callee is known: ``span`` | ``peer``); names as observed."""


@dataclass(slots=True)
class _Client:
    span: Span
    target: tuple[str, str, str]


@dataclass
class Aggregate:
    """Everything derived from the spans of one or more exports."""

    services: dict[str, Stats] = field(default_factory=dict)  # server spans by service
    operations: dict[tuple[str, str], Stats] = field(default_factory=dict)  # server spans by (service, operation)
    edges: dict[EdgeKey, Stats] = field(default_factory=dict)
    retries: dict[EdgeKey, Retries] = field(default_factory=dict)
    spans: int = 0
    start_ns: int = 0
    end_ns: int = 0
    sources: list[str] = field(default_factory=list)
    _clients: OrderedDict[str, _Client] = field(default_factory=OrderedDict, repr=False)
    _servers: OrderedDict[str, Span] = field(default_factory=OrderedDict, repr=False)
    _groups: OrderedDict[tuple[str, str, str, tuple[str, str, str]], list[int]] = field(default_factory=OrderedDict, repr=False)
    _targets: OrderedDict[tuple[str, tuple[str, str, str]], EdgeKey] = field(default_factory=OrderedDict, repr=False)
    _newest: int = 0

    def feed(self, spans: Iterable[Span], source: str) -> None:
        self.sources.append(source)
        for span in spans:
            self.add(span)

    def add(self, span: Span) -> None:
        self.spans += 1
        if span.start_ns and (not self.start_ns or span.start_ns < self.start_ns):
            self.start_ns = span.start_ns
        self.end_ns = max(self.end_ns, span.end_ns)
        self._newest = max(self._newest, span.end_ns)
        if span.kind in ("server", "consumer"):
            self._server(span)
        elif span.kind in ("client", "producer"):
            self._client(span)
        self._expire()

    def _server(self, span: Span) -> None:
        _stats(self.services, span.service).add(span.ms, span.error, span.timeout)
        _stats(self.operations, (span.service, span.route or span.name)).add(span.ms, span.error, span.timeout)
        if not span.parent:
            return
        client = self._clients.pop(span.parent, None)
        if client is not None:
            self._edge(client, span)
        else:
            self._servers[span.parent] = span

    def _client(self, span: Span) -> None:
        target = (span.peer or "", span.method or "", span.route or span.name)
        key = (span.trace, span.parent, span.service, target)
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = [1, span.end_ns]
        else:
            group[0] += 1
            group[1] = max(group[1], span.end_ns)
        client = _Client(span, target)
        server = self._servers.pop(span.id, None)
        if server is not None:
            self._edge(client, server)
        else:
            self._clients[span.id] = client

    def _edge(self, client: _Client, server: Span | None) -> None:
        span = client.span
        if server is not None and server.service != span.service:
            key: EdgeKey = (span.service, server.service, server.route or client.target[2], "span")
        elif server is None and span.peer and span.peer != span.service:
            key = (span.service, span.peer, client.target[2], "peer")
        else:
            return
        _stats(self.edges, key).add(span.ms, span.error, span.timeout)
        if (span.service, client.target) not in self._targets:
            self._targets[(span.service, client.target)] = key
            if len(self._targets) > PENDING_LIMIT:
                self._targets.popitem(last=False)

    def _expire(self, everything: bool = False) -> None:
        horizon = self._newest - WINDOW_NS
        clients, servers, groups = self._clients, self._servers, self._groups
        while clients:
            _, first = next(iter(clients.items()))
            if not everything and len(clients) <= PENDING_LIMIT and first.span.end_ns >= horizon:
                break
            clients.popitem(last=False)
            self._edge(first, None)
        while servers:
            _, server = next(iter(servers.items()))
            if not everything and len(servers) <= PENDING_LIMIT and server.end_ns >= horizon:
                break
            servers.popitem(last=False)
        while groups:
            (_, _, caller, target), (attempts, end) = next(iter(groups.items()))
            if not everything and len(groups) <= PENDING_LIMIT and end >= horizon:
                break
            groups.popitem(last=False)
            key = self._targets.get((caller, target))
            if key is not None:
                self.retries.setdefault(key, Retries()).add(attempts)

    def finish(self) -> Aggregate:
        """Settle every span still waiting; call once, after the last export."""
        self._expire(everything=True)
        self._targets.clear()
        return self


def _stats(table: dict[K, Stats], key: K) -> Stats:
    found = table.get(key)
    if found is None:
        found = table[key] = Stats()
    return found
