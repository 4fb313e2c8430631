"""What a check reports (``Finding``), what it reads (``CheckContext``) and the registry of checks.

A finding names every side of a conflict with what that side expects or provides and where it
says so (declared ``file:line`` and code ``file:line``), so the people who own each side can act
without re-deriving it. Ids are stable: they hash the check, the services and the subject, never
line numbers or wording, so a finding keeps its id while files around it change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..contracts.infer import InferredContracts
from ..contracts.load import LoadedContracts
from ..contracts.model import Location, location_key
from ..graph import CallEdge, ContractGraph

SEVERITIES = ("error", "warning", "info")
"""Most severe first; ``--fail-on`` compares by this order."""

STATUSES = {
    "BLOCKS_INTEGRATION": "the two sides cannot work together as declared; one must change before integration",
    "DECISION_REQUIRED": "a trade-off between legitimate needs; people must decide and record the decision",
    "DECIDED": "a trade-off with a recorded decision (under decisions:)",
    "ACCEPTED": "settled by an agreed decision record (decisions: applies_to) until its review date",
    "REVIEW_DUE": "a decision record settled it, and its review date has passed: review the decision",
    "DRIFT": "the code does not do what the service's own contract says",
    "AT_RISK": "works on a good day; fails under load, slowness or retries",
    "UNVERIFIED": "a side states too little to check; declare it",
    "INCONSISTENT": "a service's own contract contradicts itself; its owners must say which statement holds",
}
"""Every ``status`` a finding can have and what it asks of people."""


KINDS = (
    "latency",
    "freshness",
    "idempotency",
    "access",
    "drift",
    "consistency",
    "retry-amplification",
    "timeout-inversion",
    "missing-timeout",
    "messages",
    "observed",
)
"""Every ``kind`` (check family), in report order: between services, then drift and a contract against itself, then system, then message flows, then what telemetry showed (``contracts observe``)."""


ROLES = {
    "expects": "what a consumer expects of the other side",
    "needs": "data a consumer needs",
    "requires": "a requirement a service declares (freshness)",
    "provides": "what a provider declares it offers",
    "declares": "what a service's own contract says (drift)",
    "code": "what a service's code does (drift, system)",
    "does": "behaviour of a side, declared or in code",
}
"""Every ``role`` of a finding's side; the text report prints ``service role: text`` (``service: text`` for ``does``)."""


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Side:
    """What one party expects, provides or does (``role``), in words, and where that is written."""

    service: str
    role: str  # expects | provides | declares | code
    text: str
    locations: tuple[Location, ...] = ()
    owners: tuple[str, ...] = ()  # the party's owners: its contract's ``owner:``, else CODEOWNERS (extractor/owners.py)


@dataclass(frozen=True, slots=True)
class Resolution:
    """One way out, and who would act (a service, or several people for a decision)."""

    owner: str
    action: str


@dataclass(frozen=True, slots=True)
class DecisionNote:
    """The decision record a finding is settled by (``accepted``), was settled by until its review
    date (``review_due``), or that is proposed for it and not agreed yet (``proposed``)."""

    id: str  # the decision's id, else its title
    title: str
    state: str
    location: Location
    review_by: str | None = None
    agreed_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem between services, or between a service's code and its contract."""

    id: str
    check: str
    kind: str
    severity: str
    status: str
    title: str
    services: tuple[str, ...]
    subject: str
    message: str
    sides: tuple[Side, ...]
    locations: tuple[Location, ...]
    impact: str = ""
    tradeoff: str = ""
    decision_by: tuple[str, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    decision: DecisionNote | None = None  # the decision record that settles it (or did, or is proposed)

    def sort_key(self) -> tuple:
        return (self.services, severity_rank(self.severity), KINDS.index(self.kind), self.check, self.subject, self.id)


def code_locations(edge: CallEdge) -> list[Location]:
    """Where a call edge is in code: its calls, then the provider's endpoints they reach."""
    return [c.location for c in edge.calls] + [e.location for e in edge.provider_endpoints]


def finding(
    check: str,
    severity: str,
    status: str,
    *,
    services: Iterable[str],
    subject: str,
    message: str,
    sides: Iterable[Side],
    extra_locations: Iterable[Location] = (),
    impact: str = "",
    tradeoff: str = "",
    decision_by: Iterable[str] = (),
    resolutions: Iterable[Resolution] = (),
    kind: str | None = None,
    title: str | None = None,
) -> Finding:
    """Build a finding: its id from (check, services, subject), its locations from every side plus extras.

    ``kind`` and ``title`` default to those the check is registered with (``@check``)."""
    kind = kind or REGISTRY[check].kind
    title = title or REGISTRY[check].title
    assert severity in SEVERITIES and status in STATUSES and kind in KINDS, (severity, status, kind)
    assert status != "BLOCKS_INTEGRATION" or severity == "error", (check, severity, status)  # it fails CI by default
    assert all(side.role in ROLES for side in sides), [side.role for side in sides]
    services = tuple(services)
    sides = tuple(Side(s.service, s.role, s.text, tuple(dict.fromkeys(l for l in s.locations if l.file))) for s in sides)
    locs = {loc for side in sides for loc in side.locations} | set(extra_locations)
    digest = hashlib.sha1("\x1f".join((check, *services, subject)).encode()).hexdigest()[:12]
    return Finding(
        id=f"{check}:{digest}",
        check=check,
        kind=kind,
        severity=severity,
        status=status,
        title=title,
        services=services,
        subject=subject,
        message=message,
        sides=sides,
        locations=tuple(sorted((l for l in locs if l.file), key=location_key)),
        impact=impact,
        tradeoff=tradeoff,
        decision_by=tuple(decision_by),
        resolutions=tuple(resolutions),
    )


def with_owners(findings: Iterable[Finding], owners: dict[str, tuple[str, ...]]) -> list[Finding]:
    """The findings with each side's ``owners`` filled in from ``owners`` (by service); unchanged when none are known."""
    if not owners:
        return list(findings)
    out = []
    for f in findings:
        sides = tuple(replace(s, owners=owners.get(s.service, ())) for s in f.sides)
        out.append(replace(f, sides=sides) if sides != f.sides else f)
    return out


def edge_finding(check: str, severity: str, status: str, edge: CallEdge, **rest: Any) -> Finding:
    """A finding on a call edge: between its caller and callee, about its operation (else the callee)."""
    return finding(check, severity, status, services=(edge.caller, edge.callee), subject=edge.operation or edge.callee, **rest)


@dataclass(frozen=True)
class CheckContext:
    """What checks read: the merged graph, and both contract layers for what the graph does not hold."""

    graph: ContractGraph
    declared: LoadedContracts
    inferred: InferredContracts
    retry_amplification: float = 10.0
    call_index: Any = None  # reach.CallIndex of the scan (None: hand-made facts); checks/budget.py reads the call sites in a handler


CheckFunction = Callable[[CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """A registered check: a stable ``id`` (never reused), its ``kind`` (family) and its rule in one line."""

    id: str
    kind: str
    title: str
    rule: str
    run: CheckFunction = field(repr=False)


REGISTRY: dict[str, Check] = {}


def check(check_id: str, *, kind: str, title: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check; its docstring's first paragraph is its rule (docs/checks.md quotes it)."""

    def register(fn: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise ValueError(f"check id {check_id} registered twice")
        doc = (fn.__doc__ or "").strip().split("\n\n", 1)[0]
        REGISTRY[check_id] = Check(check_id, kind, title, " ".join(doc.split()), fn)
        return fn

    return register


def human(word: str | None) -> str:
    """``velocity_fraud_detection`` → ``velocity fraud detection``."""
    return (word or "").replace("_", " ").replace("-", " ").strip()
