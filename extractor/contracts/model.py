"""Declared contracts: what a service's ``contracts/*.yaml`` files promise and expect.

Every object remembers where it was written (``location``, and ``where(field)`` for one field)
so that a check can point at ``file:line``. Provenance and original spellings are excluded
from equality: two contracts that say the same thing compare equal even when the files differ,
which is what comparing two versions of a contract needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .values import Backoff, Bound, Duration, DurationRange, Percentiles

PII_LEVELS = ("none", "minimal", "low", "medium", "high")
"""Ordered from least to most sensitive, so that levels can be compared by index."""

IDEMPOTENCY_EXPECTATIONS = ("stable_across_retries", "new_per_attempt", "none")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DELIVERY_GUARANTEES = ("at_least_once", "at_most_once", "exactly_once")

FieldLines = tuple[tuple[str, "int | Location"], ...]
"""Per field: its line in the object's file, or (inferred objects) its own full location."""


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a contract file or, with ``rule``, in code; ``line`` is 1-based (0: the whole file).

    ``rule`` is the id of the detection rule whose fact a value was inferred from (empty when a
    person declared it), so every value of an inferred contract can say where in code it comes from.
    """

    file: str
    line: int
    rule: str = ""

    @property
    def origin(self) -> str:
        """``declared`` (a contract file) or ``code`` (inferred from a fact)."""
        return "code" if self.rule else "declared"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def location_key(loc: Location) -> tuple[str, int, str]:
    """The order locations are listed in: by file, line, then rule."""
    return (loc.file, loc.line, loc.rule)


_NOWHERE = Location("", 0)


def _loc() -> Location:
    return field(default=_NOWHERE, compare=False)


def _lines() -> FieldLines:
    return field(default=(), compare=False)


def _unconfirmed() -> bool:
    """``inferred: true`` in a contract file: written from code by ``contracts init``, not yet confirmed
    by a person. Like a location, it says where a value comes from, not what it is (no equality)."""
    return field(default=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """Base of declared objects: ``location`` of the object, ``lines`` of its fields (neither counts
    in equality)."""

    location: Location = _loc()
    lines: FieldLines = _lines()

    def where(self, field_name: str) -> Location:
        """Where a field (by its dataclass name) was written; the object's own location if absent."""
        for name, line in self.lines:
            if name == field_name:
                return line if isinstance(line, Location) else Location(self.location.file, line, self.location.rule)
        return self.location

    @property
    def inferred(self) -> bool:
        """True for entries inferred from code (their location names a rule)."""
        return bool(self.location.rule)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry(Located):
    """An entry of a section that ``inferred: true`` can mark (``unconfirmed``); of a retry policy, only
    a ``retry_policies`` entry is marked, never a ``depends_on`` entry's ``retry``."""

    unconfirmed: bool = _unconfirmed()


# -- depends_on ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyBudget(Located):
    """The latency a caller can afford, as percentile limits at three levels of strictness."""

    target: Percentiles | None = None
    acceptable: Percentiles | None = None
    maximum: Percentiles | None = None

    def levels(self) -> tuple[tuple[str, Percentiles], ...]:
        return tuple((name, v) for name, v in (("target", self.target), ("acceptable", self.acceptable), ("maximum", self.maximum)) if v is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnTimeout(Located):
    """What a retry does after a timeout; ``generates_new_request_id`` is the idempotency question."""

    generates_new_request_id: bool | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy(Entry):
    """How a caller retries a target (``service.operation``); ``enabled`` is False for ``retry: none``.

    ``attempts`` counts every call including the first.
    """

    target: str | None = None
    service: str | None = None
    operation: str | None = None
    enabled: bool = True
    attempts: int | None = None
    backoff: Backoff | None = None
    on_timeout: OnTimeout | None = None
    reason: str | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.service, self.operation)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency(Entry):
    """One ``depends_on`` entry: a call this service makes and what it expects of it."""

    service: str
    operation: str | None = None
    latency_budget: LatencyBudget | None = None
    timeout: Duration | None = None
    fallback: str | None = None
    retry: RetryPolicy | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.service, self.operation)


# -- provides ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedLatency(Located):
    """Latency of a provided operation: measured now (``current``) and promised (``target``)."""

    current: Percentiles | None = None
    target: Percentiles | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestBudget(Located):
    """An entry point's end-to-end budget (``latency_budget.total`` of a provided operation): the most
    one request to its handler may spend waiting on downstream calls (checks/budget.py)."""

    total: Duration | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryAdvice(Located):
    """What a provider tells its callers about retrying an operation (``retry_advice``, checks/retry_advice.py).

    ``retry_on`` and ``do_not_retry`` hold status classes (``4xx``, ``5xx``), status codes (``429``) and
    ``timeout``/``connection``; a code named in ``retry_on`` is allowed even when its class is in
    ``do_not_retry``. ``max_attempts`` counts every call including the first; ``retry_after`` is one of
    ``RETRY_AFTER``."""

    retry_after: str | None = None
    retry_on: tuple[str, ...] = ()
    do_not_retry: tuple[str, ...] = ()
    max_attempts: int | None = None


RETRY_AFTER = ("honour", "ignore")
"""``honour``: the provider sends Retry-After (on 429/503) and expects clients to wait that long."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedOperation(Entry):
    operation: str
    latency: ProvidedLatency | None = None
    latency_budget: RequestBudget | None = None
    retry_advice: RetryAdvice | None = None

    @property
    def key(self) -> tuple[str, str]:
        return ("operation", self.operation)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedDataset(Entry):
    """A dataset others may read, how (``via``) and how stale it can be."""

    dataset: str
    via: str | None = None
    freshness: DurationRange | None = None

    @property
    def key(self) -> tuple[str, str]:
        return ("dataset", self.dataset)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvidedEndpoint(Entry):
    """An exposed endpoint, what it returns, who may call it and how sensitive it is.

    ``path``/``method`` tie it to endpoints found in code; without ``path`` an endpoint name
    that starts with ``/`` is taken as the path (``route``).
    """

    endpoint: str
    returns: str | None = None
    access: str | None = None
    pii: str | None = None  # one of PII_LEVELS
    path: str | None = None
    method: str | None = None  # one of HTTP_METHODS

    @property
    def route(self) -> str | None:
        if self.path is not None:
            return self.path
        return self.endpoint if self.endpoint.startswith("/") else None

    @property
    def pii_rank(self) -> int | None:
        return PII_LEVELS.index(self.pii) if self.pii in PII_LEVELS else None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return ("endpoint", self.endpoint, self.method)


Provided = ProvidedOperation | ProvidedDataset | ProvidedEndpoint


# -- publishes / consumes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication(Entry):
    """One ``publishes`` entry: a topic (queue, exchange, task) this service produces to and what it
    promises about it: the event type or schema, the ordering key, the delivery guarantee (one of
    ``DELIVERY_GUARANTEES``), the lag from the business event to the message on the topic, and the
    dataset the stream carries (a ``provides`` dataset ``via: event_stream``)."""

    topic: str
    broker: str | None = None
    event: str | None = None
    ordering_key: str | None = None
    delivery: str | None = None
    lag: Duration | None = None
    dataset: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.broker, self.topic)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription(Entry):
    """One ``consumes`` entry: a topic this service reads, in which consumer ``group``, the delivery it
    expects (``delivery``), whether its handling is ``idempotent`` (de-duplicated on ``dedup_key``
    within ``dedup_window``), how fresh the messages must be, and its dead-letter destination."""

    topic: str
    broker: str | None = None
    group: str | None = None
    event: str | None = None
    delivery: str | None = None
    idempotent: bool | None = None
    dedup_key: str | None = None
    dedup_window: Duration | None = None
    freshness_required: Bound | None = None
    dead_letter: str | None = None
    dataset: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        # one entry per topic: the graph has one consume edge per (service, topic), so a second
        # group of the same service on the same topic is reported as a duplicate, not silently dropped
        return (self.broker, self.topic)


# -- the other sections --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DataDependency(Entry):
    """Data this service reads from elsewhere and the staleness it tolerates."""

    source: str
    dataset: str | None = None
    freshness_required: Bound | None = None
    reason: str | None = None
    impact_if_stale: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.source, self.dataset)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation(Entry):
    """An operation this service serves and what it expects of callers' idempotency keys."""

    name: str
    idempotency_key: str | None = None
    expects: str | None = None  # one of IDEMPOTENCY_EXPECTATIONS
    window: Duration | None = None

    @property
    def key(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement(Located):
    """Data this service needs from another (``from``) and at what access level."""

    from_service: str  # the ``from:`` key
    data: str
    access_level: str | None = None
    use_case: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.from_service, self.data)


@dataclass(frozen=True, slots=True)
class Agreement:
    """One party's agreement to a decision (``agreed_by``): who, and when (ISO-8601 text, or None)."""

    name: str
    at: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionScope:
    """What one ``applies_to`` entry covers: every finding matching all the given parts. ``check``:
    an id, a family or a glob; ``finding``: a finding id (``CHECK:HASH``) or a fingerprint;
    ``services``: the finding's first services (consumer, provider); ``subject``: its subject."""

    check: str | None = None
    finding: str | None = None
    services: tuple[str, ...] = ()
    subject: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision(Located):
    """A decision record; dates are kept as ISO-8601 text. ``timestamp`` is when it was proposed
    (``proposed_at``), ``review_date`` when to revisit it (``review_by``). With ``applies_to`` it
    settles the findings it covers while it is agreed and not due for review (checks/decisions.py)."""

    title: str
    id: str | None = None
    proposer: str | None = None
    timestamp: str | None = None
    rationale: str | None = None
    review_date: str | None = None
    alternatives: tuple[str, ...] = ()
    agreed_by: tuple[Agreement, ...] = ()
    supersedes: tuple[str, ...] = ()
    applies_to: tuple[DecisionScope, ...] = ()

    @property
    def key(self) -> str:
        return self.id or self.title


# -- a service's whole contract ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceContract(Located):
    """Everything declared for one ``service:``, merged over all its documents and files.

    ``documents`` lists the ``service:`` line of every merged document; ``found_in`` names the
    discovered services whose ``contracts/`` folders held them (may differ from ``service``).
    """

    service: str
    version: str | None = None
    owners: tuple[str, ...] = ()  # ``owner:``: team handles or emails; they win over CODEOWNERS
    depends_on: tuple[Dependency, ...] = ()
    provides: tuple[Provided, ...] = ()
    data_dependencies: tuple[DataDependency, ...] = ()
    retry_policies: tuple[RetryPolicy, ...] = ()
    operations: tuple[Operation, ...] = ()
    requires: tuple[Requirement, ...] = ()
    decisions: tuple[Decision, ...] = ()
    publishes: tuple[Publication, ...] = ()
    consumes: tuple[Subscription, ...] = ()
    documents: tuple[Location, ...] = field(default=(), compare=False)
    found_in: tuple[str, ...] = field(default=(), compare=False)

    @property
    def provided_operations(self) -> tuple[ProvidedOperation, ...]:
        return tuple(p for p in self.provides if isinstance(p, ProvidedOperation))

    @property
    def provided_datasets(self) -> tuple[ProvidedDataset, ...]:
        return tuple(p for p in self.provides if isinstance(p, ProvidedDataset))

    @property
    def provided_endpoints(self) -> tuple[ProvidedEndpoint, ...]:
        return tuple(p for p in self.provides if isinstance(p, ProvidedEndpoint))

    def provided_operation(self, name: str) -> ProvidedOperation | None:
        return next((p for p in self.provided_operations if p.operation == name), None)

    def provided_dataset(self, name: str) -> ProvidedDataset | None:
        return next((p for p in self.provided_datasets if p.dataset == name), None)

    def operation(self, name: str) -> Operation | None:
        return next((o for o in self.operations if o.name == name), None)

    def dependency(self, service: str, operation: str | None = None) -> Dependency | None:
        return next((d for d in self.depends_on if d.service == service and (operation is None or d.operation == operation)), None)

    def retry_policy(self, service: str, operation: str | None = None) -> RetryPolicy | None:
        """The ``retry_policies`` entry for a target, else the ``retry:`` of the matching dependency."""
        for policy in self.retry_policies:
            if policy.service == service and policy.operation in (operation, None):
                return policy
        dep = self.dependency(service, operation)
        return dep.retry if dep is not None else None


ENTRY_SECTIONS = ("depends_on", "provides", "data_dependencies", "retry_policies", "operations", "publishes", "consumes")
"""The sections of a ``ServiceContract`` whose entries are ``Entry`` objects, in the order of a contract
document: the ones ``contracts init`` writes and ``inferred: true`` can mark (checks/unconfirmed.py)."""
