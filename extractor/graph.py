"""The dependency graph: services, datasets and external hosts, joined by calls and data reads.

Each edge merges what the two sides declared with what their code shows, and keeps every value
with its provenance (``Sourced``: a declared ``file:line``, or a code ``file:line`` and rule id),
so checks can compare the sides and point at both. ``networkx`` holds the topology (path queries
for the system checks); the typed edges hold the meaning.

Matching (docs/checks.md, "Matching"): declared service names resolve through the aliases found by
discovery (``payment`` → the ``payment-service`` directory); a declared ``operation`` meets a code
call when the call hits an endpoint whose handler (or path) has the operation's words, or a route
the provider declares for it (``path:``/``method:``); a call whose endpoint is unknown joins the
caller's only declared dependency on that service.

Layers (docs/graph.md): ``calls`` (caller → callee; a route of a gateway or reverse-proxy
configuration is a call of the proxy's service, marked ``via: route``), ``data`` (reader → dataset, provider →
dataset; service → store, a store node being a database, cache or search store by engine, host and
database), ``messages``: producer → topic → consumer, where a topic node is a broker's topic,
queue, exchange or task name as the code resolves it, joined across services by that name, and
``infrastructure``: service → config server, registry, auth authority or telemetry backend (the
service node itself when the address names a service of the repository).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from .contracts import match
from .contracts.infer import CodeCall, CodeEndpoint, InferredContracts, ReplicaRead
from .contracts.load import LoadedContracts
from .contracts.model import (
    DataDependency,
    Dependency,
    Location,
    Operation,
    ProvidedDataset,
    ProvidedOperation,
    Publication,
    RetryPolicy,
    ServiceContract,
    Subscription,
    location_key,
)
from .discover import name_variants
from .effective import MeshLayer, edge_mesh, mesh_layers
from .facts import Fact, ScanResult
from .kinds.views import Datastore, Infrastructure, MessageBinding, MessageConsume, MessagePublish

ROUTE_PREFIX = "proxy_route:"
"""The id prefix of a ``proxy_route`` fact: a call of the edge that a proxy's configuration declares."""


@dataclass(frozen=True, slots=True)
class Sourced:
    """One value of an attribute and where it was written; ``note`` says how to read it."""

    value: Any
    location: Location
    note: str = ""

    @property
    def origin(self) -> str:
        return self.location.origin


@dataclass
class ServiceNode:
    """A service: found in the repository (``root``), declared in a contract, or both."""

    name: str
    root: str | None
    declared: ServiceContract | None
    inferred: ServiceContract | None
    languages: tuple[str, ...] = ()
    role: str | None = None  # the inventory's role: service | proxy (None: known from contracts only)

    @property
    def has_code(self) -> bool:
        return bool(self.languages)


@dataclass
class CallEdge:
    """Calls from ``caller`` to ``callee`` (a service, or ``external`` host) for one operation."""

    caller: str
    callee: str
    external: bool
    operation: str | None
    declared: Dependency | None = None
    declared_retry: RetryPolicy | None = None
    calls: tuple[CodeCall, ...] = ()
    provided: ProvidedOperation | None = None
    provider_operation: Operation | None = None
    provider_endpoints: tuple[CodeEndpoint, ...] = ()
    match: str = ""
    mesh: dict[str, tuple[MeshLayer, ...]] = field(default_factory=dict)  # call id ("": none) → the mesh policies over it (effective.py)

    @property
    def id(self) -> str:
        return f"call:{self.caller}->{self.callee}:{self.operation or '*'}"

    @property
    def subject(self) -> str:
        """``risk.scoreTransaction`` / ``risk``."""
        return f"{self.callee}.{self.operation}" if self.operation else self.callee

    # -- merged attributes, declared first -------------------------------------------------------

    def timeouts(self) -> list[Sourced]:
        """Declared timeout, then each call's (None: no timeout at all; dynamic ones are left out)."""
        out: list[Sourced] = []
        if self.declared is not None and self.declared.timeout is not None:
            out.append(Sourced(self.declared.timeout.ms, self.declared.where("timeout")))
        for c in self.calls:
            if c.unbounded:
                out.append(Sourced(None, c.location, "no timeout"))
            elif c.timeout_choices:  # a condition chooses among them: each
                out.extend(Sourced(ms, c.location, c.timeout_detail) for ms in c.timeout_choices)
            elif c.timeout_ms is not None:
                out.append(Sourced(float(c.timeout_ms), c.location, c.timeout_detail))
        return out

    def code_timeouts(self) -> list[Sourced]:
        return [s for s in self.timeouts() if s.origin == "code"]

    def declared_attempts(self) -> Sourced | None:
        """Declared total attempts: 1 for ``retry: none``, None value when retries are declared without a count."""
        policy = self.declared_retry
        if policy is None:
            return None
        if not policy.enabled:
            return Sourced(1, policy.where("enabled"), "retry: none")
        if policy.attempts is not None:
            return Sourced(policy.attempts, policy.where("attempts"))
        return None

    def attempts(self) -> list[Sourced]:
        out: list[Sourced] = []
        declared = self.declared_attempts()
        if declared is not None:
            out.append(declared)
        for c in self.calls:
            loc = c.retries[0].location if c.retries else c.location
            mech = c.retries[0].mechanism if c.retries else ""
            out.append(Sourced(c.attempts, loc, mech or ""))
        return out

    def effective_attempts(self) -> int | None:
        """What runs: the most attempts of any code call, else the declared count, else 1 (None: unbounded)."""
        if self.calls:
            values = [c.attempts for c in self.calls]
            return None if any(v is None for v in values) else max(v for v in values if v is not None)
        declared = self.declared_attempts()
        return declared.value if declared is not None and declared.value is not None else 1

    def new_id_on_retry(self) -> list[Sourced]:
        out: list[Sourced] = []
        policy = self.declared_retry
        if policy is not None and policy.on_timeout is not None and policy.on_timeout.generates_new_request_id is not None:
            out.append(Sourced(policy.on_timeout.generates_new_request_id, policy.on_timeout.where("generates_new_request_id")))
        for c in self.calls:
            if c.attempts == 1:
                continue
            for flow in c.ids:
                out.append(Sourced(flow.inside_retry, flow.location, flow.sent_as))
        return out

    def fallbacks(self) -> list[Sourced]:
        out: list[Sourced] = []
        if self.declared is not None and self.declared.fallback:
            out.append(Sourced(self.declared.fallback, self.declared.where("fallback")))
        for c in self.calls:
            if c.fallback:
                out.append(Sourced(c.fallback, c.location))
            for b in c.breakers:
                out.append(Sourced(b.fallback or "circuit breaker", b.location, b.mechanism or ""))
        return out

    def attributes(self) -> dict[str, list[Sourced]]:
        """Every attribute with its values from both sides (the graph JSON's ``attributes``)."""
        attrs: dict[str, list[Sourced]] = {
            "timeout_ms": self.timeouts(),
            "retry_attempts": self.attempts(),
            "new_request_id_on_retry": self.new_id_on_retry(),
            "fallback": self.fallbacks(),
            "call": [Sourced(c.label, c.location) for c in self.calls],
            "endpoint": [Sourced(e.label, e.location) for e in self.provider_endpoints],
            "via": [Sourced("route", c.location, c.route_proxy or "") for c in self.calls if c.id.startswith(ROUTE_PREFIX)],
        }
        retry = self.declared_retry
        backoffs = [Sourced(str(retry.backoff), retry.where("backoff"))] if retry is not None and retry.backoff is not None else []
        backoffs += [Sourced(r.backoff, r.location) for c in self.calls for r in c.retries if r.backoff]
        attrs["backoff"] = backoffs
        budget = self.declared.latency_budget if self.declared is not None else None
        attrs["latency_budget"] = [Sourced(f"{level}: {value}", budget.where(level)) for level, value in budget.levels()] if budget is not None else []
        latency = self.provided.latency if self.provided is not None else None
        attrs["provider_latency"] = [
            Sourced(f"{name}: {getattr(latency, name)}", latency.where(name))
            for name in ("current", "target")
            if latency is not None and getattr(latency, name) is not None
        ]
        op = self.provider_operation
        attrs["idempotency"] = [Sourced(f"{op.idempotency_key or 'key'}: {op.expects}", op.where("expects"))] if op is not None and op.expects else []
        return {k: v for k, v in attrs.items() if v}

    def locations(self) -> list[Location]:
        mesh = {loc for layers in self.mesh.values() for layer in layers for loc in layer.locations()}
        return sorted(
            {s.location for values in self.attributes().values() for s in values} | ({self.declared.location} if self.declared else set()) | mesh,
            key=location_key,
        )


@dataclass
class ReadEdge:
    """``reader`` reads ``dataset`` (owned by ``provider`` when known), declared and/or through a replica in code."""

    reader: str
    dataset: str
    provider: str | None
    declared: DataDependency | None = None
    replica_reads: tuple[ReplicaRead, ...] = ()
    provided: ProvidedDataset | None = None

    @property
    def id(self) -> str:
        return f"read:{self.reader}->{self.dataset}"

    def attributes(self) -> dict[str, list[Sourced]]:
        attrs: dict[str, list[Sourced]] = {}
        d = self.declared
        if d is not None:
            attrs["source"] = [Sourced(d.source, d.where("source"))]
            if d.freshness_required is not None:
                attrs["freshness_required"] = [Sourced(str(d.freshness_required), d.where("freshness_required"))]
        if self.replica_reads:
            attrs["replica_read"] = [Sourced(r.label, r.location, r.mechanism or "") for r in self.replica_reads]
        p = self.provided
        if p is not None:
            if p.freshness is not None:
                attrs["provider_freshness"] = [Sourced(str(p.freshness), p.where("freshness"))]
            if p.via:
                attrs["via"] = [Sourced(p.via, p.where("via"))]
        return attrs

    def locations(self) -> list[Location]:
        return sorted({s.location for values in self.attributes().values() for s in values}, key=location_key)


@dataclass
class DatasetNode:
    name: str
    provider: str | None
    provided: ProvidedDataset | None

    @property
    def id(self) -> str:
        return f"provide:{self.provider}->{self.name}"


@dataclass(frozen=True, slots=True)
class MessageSite:
    """One publish or consume site in code; ``dedup`` holds where the consumer visibly de-duplicates
    (the rule's own ``dedup`` at the site, or the handler's idempotency_key facts)."""

    id: str
    service: str
    role: str  # publish | consume
    broker: str | None
    destination: str | None
    destination_kind: str | None
    location: Location
    routing_key: str | None = None
    function: str | None = None  # publish: the publishing function; consume: the handler
    acks: str | int | None = None
    idempotent: bool | None = None
    group: str | None = None
    ack_mode: str | None = None
    redelivery: bool | None = None
    dead_letter: str | None = None
    dedup: tuple[Sourced, ...] = ()
    dedup_keys: tuple[str, ...] = ()  # the keys of the idempotency_key facts in ``dedup``

    @property
    def label(self) -> str:
        where = f" in {self.function}" if self.function else ""
        return f"{self.role} {self.destination or '?'}{where}"


@dataclass
class TopicNode:
    """A topic, queue, exchange or task of a broker (the ``messages`` layer); ``service`` is set for a
    destination the code does not name statically, which only that service's sites share."""

    broker: str | None
    name: str
    kind: str | None
    service: str | None = None

    @property
    def key(self) -> str:
        """``kafka/orders.placed``: the node's name, unique per broker (``kafka/{topic}@orders`` when unresolved)."""
        return f"{self.broker or 'unknown'}/{self.name}" + (f"@{self.service}" if self.service else "")


_DECLARED_PUBLISH = ("event", "ordering_key", "delivery", "lag", "dataset")
_DECLARED_CONSUME = ("group", "event", "delivery", "idempotent", "dedup_key", "dedup_window", "freshness_required", "dead_letter", "dataset")


@dataclass
class MessageEdge:
    """``publish``: service → topic; ``consume``: topic → service; the sites in code behind it and the
    contract's ``publishes``/``consumes`` entry for it (``declared``); an edge without sites is declared only."""

    role: str  # publish | consume
    service: str
    topic: str  # TopicNode.key
    sites: tuple[MessageSite, ...] = ()
    declared: Publication | Subscription | None = None
    bindings: tuple[Sourced, ...] = ()  # publish: the queue bindings that carry the sites' messages from their exchange to this queue

    @property
    def id(self) -> str:
        return f"publish:{self.service}->{self.topic}" if self.role == "publish" else f"consume:{self.topic}->{self.service}"

    @property
    def source(self) -> str:
        return node_id("service", self.service) if self.role == "publish" else node_id("topic", self.topic)

    @property
    def target(self) -> str:
        return node_id("topic", self.topic) if self.role == "publish" else node_id("service", self.service)

    def attributes(self) -> dict[str, list[Sourced]]:
        attrs: dict[str, list[Sourced]] = {self.role: [Sourced(s.label, s.location, s.broker or "") for s in self.sites]}
        for name in ("routing_key", "acks", "idempotent", "group", "ack_mode", "redelivery", "dead_letter"):
            attrs[name] = [Sourced(getattr(s, name), s.location) for s in self.sites if getattr(s, name) is not None]
        attrs["dedup"] = [d for s in self.sites for d in s.dedup]
        attrs["binding"] = list(self.bindings)
        d = self.declared
        if d is not None:
            attrs.setdefault(self.role, []).append(Sourced(f"{self.role} {d.topic} (declared)", d.location))
            for name in _DECLARED_PUBLISH if isinstance(d, Publication) else _DECLARED_CONSUME:
                value = getattr(d, name)
                if value is not None:
                    attrs.setdefault(name, []).append(Sourced(value if isinstance(value, (str, bool)) else str(value), d.where(name)))
        return {k: v for k, v in attrs.items() if v}

    def locations(self) -> list[Location]:
        return sorted({s.location for values in self.attributes().values() for s in values}, key=location_key)

    @property
    def in_code(self) -> bool:
        return bool(self.sites)


@dataclass(frozen=True, slots=True)
class StoreNode:
    """A data store (``store:ENGINE/HOST[/DATABASE]``, layer ``data``) or an infrastructure service
    (``infra:INFRA/HOST``, layer ``infrastructure``) that services use. ``service`` is set for an
    address the code does not know statically, or a local one (``localhost``): only that service's
    clients share it."""

    kind: str  # store | infrastructure
    what: str  # the engine, or the infrastructure's kind (config_server, registry, auth, telemetry)
    host: str
    database: str | None = None
    system: str | None = None  # infrastructure: eureka, otlp, oidc, ...
    service: str | None = None

    @property
    def key(self) -> str:
        name = f"{self.what}/{self.host}" + (f"/{self.database}" if self.database else "")
        return name + (f"@{self.service}" if self.service else "")

    @property
    def id(self) -> str:
        return node_id("store" if self.kind == "store" else "infra", self.key)

    @property
    def layer(self) -> str:
        return "data" if self.kind == "store" else "infrastructure"


@dataclass(frozen=True, slots=True)
class UseSite:
    """One client of a store or infrastructure in code or configuration."""

    id: str
    location: Location
    library: str | None
    address: str | None
    role: str | None = None
    config_key: str | None = None
    function: str | None = None

    @property
    def label(self) -> str:
        where = f" in {self.function}" if self.function else f" ({self.config_key})" if self.config_key else ""
        return f"{self.address or '?'}{where}"


@dataclass
class UseEdge:
    """``service`` uses a store (layer ``data``) or infrastructure (layer ``infrastructure``): the
    sites behind it. ``target`` is the node's id: a store or infrastructure node, or a service of the
    repository that the infrastructure's address names (an auth server, a config server)."""

    service: str
    target: str
    kind: str  # store | infrastructure
    sites: tuple[UseSite, ...] = ()

    @property
    def id(self) -> str:
        return f"use:{self.service}->{self.target}"

    @property
    def layer(self) -> str:
        return "data" if self.kind == "store" else "infrastructure"

    def attributes(self) -> dict[str, list[Sourced]]:
        attrs: dict[str, list[Sourced]] = {
            "client": [Sourced(s.label, s.location, s.library or "") for s in self.sites],
            "address": [Sourced(s.address, s.location) for s in self.sites if s.address],
            "role": [Sourced(s.role, s.location) for s in self.sites if s.role],
            "config_key": [Sourced(s.config_key, s.location) for s in self.sites if s.config_key],
        }
        return {k: v for k, v in attrs.items() if v}

    def locations(self) -> list[Location]:
        return sorted({s.location for s in self.sites}, key=location_key)


@dataclass
class ContractGraph:
    """The whole system as one graph; ``nx`` is a MultiDiGraph over node ids ``service:x``,
    ``dataset:y`` and ``host:z`` whose edges carry ``kind`` and the typed ``edge``."""

    services: dict[str, ServiceNode]
    calls: list[CallEdge]
    reads: list[ReadEdge]
    datasets: dict[str, DatasetNode]
    hosts: list[str]
    nx: nx.MultiDiGraph = field(repr=False)
    aliases: dict[str, str] = field(default_factory=dict, repr=False)
    topics: dict[str, TopicNode] = field(default_factory=dict)
    messages: list[MessageEdge] = field(default_factory=list)
    stores: dict[str, StoreNode] = field(default_factory=dict)  # store and infrastructure nodes by id
    uses: list[UseEdge] = field(default_factory=list)  # service → store (data), service → infrastructure

    def resolve(self, name: str) -> str:
        return resolve_name(name, self.services, self.aliases)

    def calls_from(self, service: str) -> list[CallEdge]:
        return [e for e in self.calls if e.caller == service]

    def calls_between(self, caller: str, callee: str) -> list[CallEdge]:
        return [e for e in self.calls if e.caller == caller and e.callee == callee]

    def publishers(self, topic: str) -> list[MessageEdge]:
        return [e for e in self.messages if e.role == "publish" and e.topic == topic]


def node_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def resolve_name(name: str, services: dict[str, ServiceNode], aliases: dict[str, str]) -> str:
    """A declared service name as the repository knows it: itself, or the service with that alias."""
    if name in services:
        return name
    for variant in sorted(name_variants(name) | {name.lower()}):
        if variant in aliases:
            return aliases[variant]
    return name


# -- building ------------------------------------------------------------------------------------


def build_graph(result: ScanResult, declared: LoadedContracts, inferred: InferredContracts) -> ContractGraph:
    """Merge declared and inferred contracts into one graph (deterministic: sorted inputs, sorted edges)."""
    services: dict[str, ServiceNode] = {}
    aliases: dict[str, str] = {}
    roles = {f.service: f.role for f in result.inventory if f.service}
    for s in sorted(result.services, key=lambda s: s.name):
        services[s.name] = ServiceNode(s.name, s.root, None, inferred.contracts.get(s.name), s.languages, roles.get(s.name, "service"))
        for a in (s.name, *s.aliases):
            for v in name_variants(a) | {a.lower()}:
                aliases.setdefault(v, s.name)
    for f in result.inventory:  # a service with no folder of its own (a Compose image, an Aspire YARP resource): a node with no code
        if f.is_service and not f.has_folder and f.service and f.service not in services:
            role = "proxy" if f.role == "proxy" else "service"
            services[f.service] = ServiceNode(f.service, None, None, inferred.contracts.get(f.service), (), role)
    for name in sorted(declared.contracts):
        canonical = resolve_name(name, services, aliases)
        node = services.setdefault(canonical, ServiceNode(canonical, None, None, None))
        node.declared = declared.contracts[name]

    calls = _call_edges(services, aliases, _through_calls(result, inferred))
    layers = mesh_layers(result.facts)
    for e in calls:  # the mesh policies over the calls to a service (its effective policy, effective.py)
        e.mesh = edge_mesh(e.calls, layers.get(e.callee, ())) if not e.external else {}
    reads, datasets = _read_edges(services, aliases, inferred)
    hosts = sorted({e.callee for e in calls if e.external})
    named = {e.callee for e in calls if not e.external} | {d.provider for d in datasets.values() if d.provider}
    for name in sorted(named - set(services)):  # named by a contract, neither found nor declared
        services[name] = ServiceNode(name, None, None, None)
    services = dict(sorted(services.items()))

    g = nx.MultiDiGraph()
    for name in services:
        g.add_node(node_id("service", name), kind="service", name=name)
    for host in hosts:
        g.add_node(node_id("host", host), kind="external", name=host)
    for ds in datasets.values():
        g.add_node(node_id("dataset", ds.name), kind="dataset", name=ds.name)
        if ds.provider is not None:
            g.add_edge(node_id("service", ds.provider), node_id("dataset", ds.name), key=ds.id, kind="provide", edge=ds)
    for e in calls:
        g.add_edge(node_id("service", e.caller), node_id("host" if e.external else "service", e.callee), key=e.id, kind="call", edge=e)
    for r in reads:
        g.add_edge(node_id("service", r.reader), node_id("dataset", r.dataset), key=r.id, kind="read", edge=r)
    topics, messages = message_edges(result)
    messages = _declared_messages(services, topics, messages)
    for topic in topics.values():
        g.add_node(node_id("topic", topic.key), kind="topic", name=topic.key, layer="messages")
    for m in messages:
        if m.service not in services:  # a fact outside any service has none; every other is a service
            continue
        g.add_edge(m.source, m.target, key=m.id, kind=m.role, edge=m, layer="messages")
    stores, uses = use_edges(result, services)
    for n in stores.values():
        g.add_node(n.id, kind=n.kind, name=n.key, layer=n.layer)
    for u in uses:
        g.add_edge(node_id("service", u.service), u.target, key=u.id, kind=u.kind, edge=u, layer=u.layer)
    return ContractGraph(services, calls, reads, datasets, hosts, g, aliases, topics, [m for m in messages if m.service in services], stores, uses)


# -- the data stores and infrastructure ----------------------------------------------------------

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal"})


def use_edges(result: ScanResult, services: dict[str, ServiceNode]) -> tuple[dict[str, StoreNode], list[UseEdge]]:
    """Store and infrastructure nodes and the service → node edges from the scan's ``datastore`` and
    ``infrastructure`` facts (sorted, deterministic). Clients meet on a node when engine (or
    infrastructure kind), host and database are the same text; an address not known statically or
    a local one (``localhost``) is a node of that service alone. An infrastructure address that
    names a service of the repository (an auth server, a config server, a registry built here) is an
    edge to that service's node."""
    nodes: dict[str, StoreNode] = {}
    edges: dict[tuple[str, str], UseEdge] = {}
    for f in sorted(result.facts, key=Fact.sort_key):
        if f.service is None or f.service not in services or f.kind not in ("datastore", "infrastructure"):
            continue
        loc = Location(f.file, f.line, f.rule)
        if f.kind == "datastore":
            d = Datastore.from_fields(f.fields)
            target, host = d.target, d.target.host
            node = StoreNode("store", d.engine or "unknown", host or d.address or "unknown", None if d.database is None else str(d.database))
            site = UseSite(f.id, loc, d.library, d.address, d.role, d.config_key, d.function)
        else:
            i = Infrastructure.from_fields(f.fields)
            target, host = i.target, i.target.host
            node = StoreNode("infrastructure", i.infra or "unknown", host or i.address or "unknown", system=i.system)
            site = UseSite(f.id, loc, i.library, i.address, None, i.config_key, i.function)
        if host is None or host.lower() in _LOCAL_HOSTS or "{" in node.host:
            node = replace(node, service=f.service)
        if node.kind == "infrastructure" and target.service is not None and target.service in services and target.service != f.service:
            to = node_id("service", target.service)
        else:
            node = nodes.setdefault(node.id, node)
            to = node.id
        edge = edges.setdefault((f.service, to), UseEdge(f.service, to, node.kind))
        edge.sites = edge.sites + (site,)
    _join_unresolved(nodes, edges)
    return dict(sorted(nodes.items())), sorted(edges.values(), key=lambda e: (e.kind, e.service, e.target))


def _join_unresolved(nodes: dict[str, StoreNode], edges: dict[tuple[str, str], UseEdge]) -> None:
    """A client whose address is not known (an exporter reading its endpoint from the environment,
    a connection named by configuration alone) joins the one node of the same engine or
    infrastructure kind that the same service's other clients resolve, when there is exactly one."""
    for (service, to), edge in sorted(edges.items()):
        node = nodes.get(to)
        if node is None or node.service is None or not node.host.startswith(("unknown", "{")):
            continue
        known = [
            k
            for (s, k) in edges
            if s == service and k in nodes and not nodes[k].host.startswith(("unknown", "{")) and (nodes[k].kind, nodes[k].what) == (node.kind, node.what)
        ]
        if len(known) != 1:
            continue
        other = edges[(service, known[0])]
        other.sites = tuple(sorted(other.sites + edge.sites, key=lambda s: location_key(s.location)))
        del edges[(service, to)]
        if not any(k == to for (_, k) in edges):
            del nodes[to]


# -- the messages layer --------------------------------------------------------------------------

_TASK_BROKERS = frozenset({"celery"})
"""Brokers whose consumers name a task by its function while producers may give the full
``module.function`` name (Celery's default task name)."""


def message_edges(result: ScanResult) -> tuple[dict[str, TopicNode], list[MessageEdge]]:
    """Topic nodes and publish/consume edges from the scan's message facts (sorted, deterministic).

    A publish and a consume meet on a topic when broker and destination are the same text; for a
    task broker, a published ``pkg.tasks.charge`` also meets a consumer named ``charge`` when no
    consumer has the full name. A destination not known statically (absent, or with an ``{expr}``
    part) meets only the same text in the same service. A consumer's de-duplication is the rule's ``dedup`` field, or an
    ``idempotency_key`` fact in a function its handler reaches (the call index; without one, the
    handler itself)."""
    keys = [f for f in result.facts if f.kind == "idempotency_key" and f.service]
    sites: list[MessageSite] = []
    for f in sorted(result.facts, key=Fact.sort_key):
        if f.service is None:
            continue
        if f.kind == "message_publish":
            sites.append(_publish_site(f))
        elif f.kind == "message_consume":
            sites.append(_consume_site(f, _dedup_evidence(f, keys, result.call_index)))
    consumed = {(s.broker, s.destination) for s in sites if s.role == "consume"}
    bindings = _bindings(result.facts)
    topics: dict[str, TopicNode] = {}
    edges: dict[tuple[str, str, str], MessageEdge] = {}
    for site in sites:
        name = site.destination or "unknown"
        if site.role == "publish" and site.broker in _TASK_BROKERS and (site.broker, name) not in consumed and "." in name:
            short = name.rsplit(".", 1)[-1]
            if (site.broker, short) in consumed:
                name = short
        bound = _bound_queues(site, bindings) if site.role == "publish" and site.destination_kind == "exchange" else {}
        reached: list[tuple[str, str | None, tuple[Sourced, ...]]] = [(q, "queue", b) for q, b in bound.items()]
        for dest, kind, via in reached or [(name, site.destination_kind, ())]:
            node = TopicNode(site.broker, dest, kind, site.service if site.destination is None or "{" in dest else None)
            topic = topics.setdefault(node.key, node)
            edge = edges.setdefault((site.role, site.service, topic.key), MessageEdge(site.role, site.service, topic.key))
            edge.sites = edge.sites + (site,)
            edge.bindings = edge.bindings + tuple(b for b in via if b not in edge.bindings)
    return dict(sorted(topics.items())), sorted(edges.values(), key=lambda e: (e.topic, e.role != "publish", e.service))


@dataclass(frozen=True)
class _Binding:
    broker: str | None
    exchange: str
    key: str | None
    queue: str
    evidence: Sourced


def _bindings(facts: list[Fact]) -> list[_Binding]:
    """The queue bindings of the scan's ``message_binding`` facts whose exchange and queue are known statically."""
    out = []
    for f in sorted(facts, key=Fact.sort_key):
        if f.kind != "message_binding":
            continue
        v = MessageBinding.from_fields(f.fields)
        if not v.exchange or not v.destination or "{" in v.exchange or "{" in v.destination:
            continue
        text = f"queue {v.destination} bound to exchange {v.exchange}" + (f" with key {v.routing_key}" if v.routing_key else "")
        out.append(_Binding(v.broker, v.exchange, v.routing_key, v.destination, Sourced(text, Location(f.file, f.line, f.rule), v.broker or "")))
    return out


def _bound_queues(site: MessageSite, bindings: list[_Binding]) -> dict[str, tuple[Sourced, ...]]:
    """The queues a publish to an exchange reaches (queue → the bindings carrying it): a binding of
    that broker and exchange whose key matches the routing key (``binding_matches``)."""
    out: dict[str, tuple[Sourced, ...]] = {}
    for b in bindings:
        if b.broker == site.broker and b.exchange == site.destination and binding_matches(b.key, site.routing_key):
            out[b.queue] = out.get(b.queue, ()) + (b.evidence,)
    return dict(sorted(out.items()))


def binding_matches(pattern: str | None, key: str | None) -> bool:
    """Whether an AMQP binding key admits a routing key: no key (a fanout exchange's binding) or
    ``#`` admits every key; otherwise the words (split at ``.``) match one by one, ``*`` any one
    word and ``#`` zero or more (a topic exchange's pattern; a direct exchange's key is a pattern
    without them, so equal keys match). The exchange's type is not known, so a key with ``*`` or
    ``#`` is read as a pattern."""
    if not pattern or pattern == "#":
        return True
    if key is None or "{" in key:
        return False
    return _words_match(pattern.split("."), key.split("."))


def _words_match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_words_match(rest, words[i:]) for i in range(len(words) + 1))
    return bool(words) and (head == "*" or head == words[0]) and _words_match(rest, words[1:])


def _declared_messages(services: dict[str, ServiceNode], topics: dict[str, TopicNode], edges: list[MessageEdge]) -> list[MessageEdge]:
    """Join each service's ``publishes``/``consumes`` entries to the code's edges (``topics`` gains the
    topics only contracts name). A declared entry meets the topic of its broker and name; without
    ``broker``, the one topic of that name (of any broker) that the service's code has an edge of this
    role to, else the only topic of that name. An entry no code matches is an edge of its own, declared only."""
    by_key = {(e.role, e.service, e.topic): e for e in edges}
    for name in sorted(services):
        contract = services[name].declared
        if contract is None:
            continue
        entries: list[tuple[str, Publication | Subscription]] = [("publish", p) for p in contract.publishes]
        entries += [("consume", c) for c in contract.consumes]
        for role, entry in entries:
            key = _declared_topic(topics, by_key, role, name, entry)
            edge = by_key.setdefault((role, name, key), MessageEdge(role, name, key))
            if edge.declared is None:
                edge.declared = entry
    topics_sorted = dict(sorted(topics.items()))
    topics.clear()
    topics.update(topics_sorted)
    return sorted(by_key.values(), key=lambda e: (e.topic, e.role != "publish", e.service))


def _declared_topic(
    topics: dict[str, TopicNode], edges: dict[tuple[str, str, str], MessageEdge], role: str, service: str, entry: Publication | Subscription
) -> str:
    if entry.broker is not None:
        node = TopicNode(entry.broker, entry.topic, None)
        topics.setdefault(node.key, node)
        return node.key
    named = [t.key for t in topics.values() if t.name == entry.topic and t.service is None]
    own = [k for k in named if (role, service, k) in edges]
    if len(own) == 1 or len(named) == 1:
        return own[0] if len(own) == 1 else named[0]
    node = TopicNode(None, entry.topic, None)
    return topics.setdefault(node.key, node).key


def _publish_site(f: Fact) -> MessageSite:
    v = MessagePublish.from_fields(f.fields)
    return MessageSite(
        f.id,
        f.service or "",
        "publish",
        v.broker,
        v.destination,
        v.destination_kind,
        Location(f.file, f.line, f.rule),
        routing_key=v.routing_key,
        function=v.function,
        acks=v.acks,
        idempotent=v.idempotent,
    )


def _consume_site(f: Fact, evidence: tuple[tuple[str, Sourced], ...]) -> MessageSite:
    v = MessageConsume.from_fields(f.fields)
    loc = Location(f.file, f.line, f.rule)
    own = (Sourced(v.dedup, loc, "library"),) if v.dedup else ()
    dedup = tuple(s for _, s in evidence)
    return MessageSite(
        f.id,
        f.service or "",
        "consume",
        v.broker,
        v.destination,
        v.destination_kind,
        loc,
        routing_key=v.routing_key,
        function=v.handler,
        group=v.group,
        ack_mode=v.ack_mode,
        redelivery=v.redelivery,
        dead_letter=v.dead_letter,
        dedup=own + dedup,
        dedup_keys=tuple(dict.fromkeys(k for k, _ in evidence if k)),
    )


def _dedup_evidence(consume: Fact, keys: list[Fact], index: Any) -> tuple[tuple[str, Sourced], ...]:
    """The idempotency_key facts of the consumer's service in the functions its handler reaches: each
    key's name and the evidence."""
    handler = consume.fields.get("handler")
    if not isinstance(handler, str) or not handler:
        return ()
    own = [k for k in keys if k.service == consume.service]
    reach = index.handler_reach(consume.service, consume.file, handler, consume.line) if index is not None and own else None
    out = []
    for k in sorted(own, key=Fact.sort_key):
        inside = (k.file, k.scope) in reach if reach is not None else k.file == consume.file and k.scope == handler
        if inside:
            key = str(k.fields.get("key") or "")
            out.append((key, Sourced(f"{k.scope or handler} checks {key or 'key'}", Location(k.file, k.line, k.rule), str(k.fields.get("source") or ""))))
    return tuple(out)


def _through_calls(result: ScanResult, inferred: InferredContracts) -> InferredContracts:
    """A call made inside an in-house wrapper whose call sites resolve its address (the fact's
    ``through``) is one call per target those sites reach (the URL, timeout and, when a retry
    covers a site, attempts of its first such site; the location of the library call)."""
    sites = {f.id: f.fields["through"] for f in result.facts if f.fields.get("through")}
    if not sites:
        return inferred
    out: list[CodeCall] = []
    for call in inferred.calls:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for site in sites.get(call.id, ()):
            target = site.get("target") or {}
            if target.get("service") or target.get("host"):
                found.setdefault((target.get("service") or "", target.get("host") or ""), site)
        if not found or set(found) == {(call.callee or "", call.host or "")}:  # every site reaches what the call names
            out.append(call)
            continue
        for (service, host), site in sorted(found.items()):
            url = site.get("url")
            attempts = site["retry_attempts"] if "retry_attempts" in site else call.attempts  # a retry around that site
            out.append(
                replace(
                    call,
                    attempts=attempts,
                    retries=call.retries if attempts != 1 else (),
                    callee=service or None,
                    host=host or None,
                    url=url,
                    path=match.url_path(url) if call.protocol == "http" else call.path,
                    timeout_ms=site.get("timeout_ms"),
                    timeout_source=str(site.get("timeout_source") or "none"),
                    timeout_choices=tuple(float(ms) for ms in site.get("timeout_choices_ms") or ()),
                    endpoint=call.endpoint if (service or None) == call.callee else None,
                )
            )
    return replace(inferred, calls=tuple(out))


def _call_edges(services: dict[str, ServiceNode], aliases: dict[str, str], inferred: InferredContracts) -> list[CallEdge]:
    edges: dict[tuple[str, str, tuple[str, ...]], CallEdge] = {}
    for caller in sorted(services):
        contract = services[caller].declared
        if contract is None:
            continue
        for dep in contract.depends_on:
            callee = resolve_name(dep.service, services, aliases)
            key = (caller, callee, match.tokens(dep.operation))
            edges.setdefault(key, CallEdge(caller, callee, False, dep.operation, declared=dep, match="declared"))
        for policy in contract.retry_policies:  # a retry policy for a target no depends_on names is a call too
            if policy.service is None:
                continue
            callee = resolve_name(policy.service, services, aliases)
            if not any(k[0] == caller and k[1] == callee and (not k[2] or k[2] == match.tokens(policy.operation)) for k in edges):
                edges[(caller, callee, match.tokens(policy.operation))] = CallEdge(caller, callee, False, policy.operation, match="declared")

    for call in sorted(inferred.calls, key=lambda c: location_key(c.location)):
        if call.id.startswith(ROUTE_PREFIX) and call.endpoint is not None:
            call = replace(call, endpoint=None)  # a route forwards every path it matches: no one endpoint (not the upstream's "/")
        if call.callee:
            edge = _edge_for(call, edges, services)
        else:
            host = call.host or "unknown"
            key = (call.caller, host, ())
            edge = edges.setdefault(key, CallEdge(call.caller, host, True, None, match="code"))
        edge.calls = edge.calls + (call,)

    for edge in edges.values():
        _attach_retry_policy(edge, services, aliases)
        if not edge.external:
            _attach_provider(edge, services.get(edge.callee), inferred)
    return sorted(edges.values(), key=lambda e: (e.caller, e.callee, e.operation or ""))


def _declared_routes(provider: ServiceNode | None, operation: str | None) -> list[tuple[str, str | None]]:
    """Routes the provider declares for an operation: ``provides: - endpoint: NAME`` with ``path:``
    (or a name starting with ``/``) and ``method:``, whose name is the operation's."""
    if provider is None or provider.declared is None or not operation:
        return []
    return [
        (ep.route, ep.method)
        for ep in provider.declared.provided_endpoints
        if ep.route and (match.same_name(ep.endpoint, operation) or ep.endpoint == operation)
    ]


def _edge_for(call: CodeCall, edges: dict[tuple[str, str, tuple[str, ...]], CallEdge], services: dict[str, ServiceNode]) -> CallEdge:
    assert call.callee is not None
    declared = [e for (caller, callee, _), e in edges.items() if caller == call.caller and callee == call.callee and e.declared is not None]
    for e in declared:
        if call.operation and match.same_name(e.operation, call.operation):
            e.match = "operation name"
            return e
        if call.endpoint is not None and e.operation and match.operation_matches_endpoint(e.operation, call.endpoint.handler, call.endpoint.path):
            e.match = "operation name"
            return e
        routes = _declared_routes(services.get(call.callee), e.operation)
        if any(match.paths_match(call.path, route) and match.methods_match(call.method, method) for route, method in routes):
            e.match = "declared path"
            return e
    unnamed = [e for e in declared if e.operation is None]
    if unnamed:
        unnamed[0].match = "service"
        return unnamed[0]
    if call.operation is None and len(declared) == 1:
        declared[0].match = "only dependency"
        return declared[0]
    key = (call.caller, call.callee, match.tokens(call.operation))
    return edges.setdefault(key, CallEdge(call.caller, call.callee, False, call.operation, match="code"))


def _attach_retry_policy(edge: CallEdge, services: dict[str, ServiceNode], aliases: dict[str, str]) -> None:
    """A ``retry_policies`` entry for the edge's target (same operation, or the whole service), else ``retry:`` of the dependency."""
    contract = services[edge.caller].declared if edge.caller in services else None
    dep_retry = edge.declared.retry if edge.declared is not None else None
    if contract is not None and not edge.external:
        for policy in contract.retry_policies:
            if policy.service is None or resolve_name(policy.service, services, aliases) != edge.callee:
                continue
            if policy.operation is None or match.same_name(policy.operation, edge.operation):
                edge.declared_retry = _merge_retry(policy, dep_retry)
                return
    edge.declared_retry = dep_retry


def _merge_retry(policy: RetryPolicy, dep_retry: RetryPolicy | None) -> RetryPolicy:
    """A ``retry_policies`` entry without attempts keeps ``retry: none``/``attempts`` of the dependency."""
    if dep_retry is None or policy.attempts is not None:
        return policy
    own = {name for name, _ in policy.lines}
    lines = tuple(policy.lines) + tuple((n, dep_retry.where(n)) for n in ("attempts", "enabled") if n not in own and n in {m for m, _ in dep_retry.lines})
    return replace(policy, enabled=dep_retry.enabled, attempts=dep_retry.attempts, lines=lines)


def _attach_provider(edge: CallEdge, provider: ServiceNode | None, inferred: InferredContracts) -> None:
    if provider is None:
        return
    declared = provider.declared
    if declared is not None:
        ops = list(declared.provided_operations)
        edge.provided = next((p for p in ops if match.same_name(p.operation, edge.operation)), None)
        if edge.provided is None and edge.operation is None and len(ops) == 1:
            edge.provided = ops[0]
        edge.provider_operation = next((o for o in declared.operations if match.same_name(o.name, edge.operation)), None)
        if edge.provider_operation is None and edge.operation is None and len(declared.operations) == 1:
            edge.provider_operation = declared.operations[0]
    endpoints = {c.endpoint.id: c.endpoint for c in edge.calls if c.endpoint is not None}
    if not endpoints and edge.operation:
        routes = _declared_routes(provider, edge.operation)
        for ep in inferred.endpoints_of(edge.callee):
            if match.operation_matches_endpoint(edge.operation, ep.handler, ep.path) or any(
                match.route_covers(r, ep.path) and match.methods_match(m, ep.method) for r, m in routes
            ):
                endpoints[ep.id] = ep
    edge.provider_endpoints = tuple(sorted(endpoints.values(), key=lambda e: location_key(e.location)))
    if edge.provider_operation is None and provider.inferred is not None:
        handlers = {e.operation for e in edge.provider_endpoints}
        edge.provider_operation = next((o for o in provider.inferred.operations if o.name in handlers or match.same_name(o.name, edge.operation)), None)


def _read_edges(services: dict[str, ServiceNode], aliases: dict[str, str], inferred: InferredContracts) -> tuple[list[ReadEdge], dict[str, DatasetNode]]:
    datasets: dict[str, DatasetNode] = {}
    for name in sorted(services):
        contract = services[name].declared
        if contract is None:
            continue
        for p in contract.provided_datasets:
            existing = _find_dataset(datasets, p.dataset)
            if existing is None:
                datasets[p.dataset] = DatasetNode(p.dataset, name, p)

    def owner(source: str | None) -> str | None:
        words = match.owner_words(source)
        for svc in sorted(services):
            if set(match.tokens(svc)) and set(match.tokens(svc)) <= words:
                return svc
        for variant, svc in sorted(aliases.items()):
            if set(match.tokens(variant)) and set(match.tokens(variant)) <= words:
                return svc
        return None

    def dataset_for(dataset: str | None, source: str | None, reader: str | None = None) -> DatasetNode:
        """The dataset node of a read; a replica read whose source names no owner reads its own service's data."""
        prov = owner(source) or reader
        found = _find_dataset(datasets, dataset) if dataset else None
        if found is None and not dataset:
            provided = [d for d in datasets.values() if d.provider == prov] if prov else []
            if len(provided) == 1:
                found = provided[0]
        if found is None:
            name = dataset or source or "unknown"
            found = datasets.setdefault(name, DatasetNode(name, prov, None))
        return found

    reads: dict[tuple[str, str], ReadEdge] = {}
    for reader in sorted(services):
        contract = services[reader].declared
        if contract is None:
            continue
        for dd in contract.data_dependencies:
            ds = dataset_for(dd.dataset, dd.source)
            reads.setdefault((reader, ds.name), ReadEdge(reader, ds.name, ds.provider, declared=dd, provided=ds.provided))
    for rr in sorted(inferred.replica_reads, key=lambda r: location_key(r.location)):
        own = [e for (reader, _), e in reads.items() if reader == rr.service and e.declared is not None]
        edge = next((e for e in own if e.declared and rr.dataset and match.same_name(rr.dataset, e.declared.dataset)), None)
        if edge is None:
            edge = next((e for e in own if e.declared and match.owner_words(rr.source) & match.owner_words(e.declared.source)), None)
        if edge is None:
            ds = dataset_for(rr.dataset, rr.source, rr.service)
            edge = reads.setdefault((rr.service, ds.name), ReadEdge(rr.service, ds.name, ds.provider, provided=ds.provided))
        edge.replica_reads = edge.replica_reads + (rr,)
    return sorted(reads.values(), key=lambda r: (r.reader, r.dataset)), dict(sorted(datasets.items()))


def _find_dataset(datasets: dict[str, DatasetNode], name: str | None) -> DatasetNode | None:
    return next((d for d in datasets.values() if match.same_name(d.name, name)), None)
