"""Access: data a consumer needs against what the provider's endpoints expose, and to whom.

When the data exists but only behind an access rule that keeps the consumer out, neither side is
wrong: it is a trade-off (a workflow against privacy or security) that people must decide. The
finding says so (``DECISION_REQUIRED``) and names who decides; a recorded decision turns it into
``DECIDED``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..contracts import match
from ..contracts.model import Decision, ProvidedEndpoint, Requirement
from ..graph import ContractGraph
from .base import CheckContext, Finding, Resolution, Side, check, finding, human

SENSITIVE_PII = ("medium", "high")


def _describe(ep: ProvidedEndpoint) -> str:
    parts = [ep.returns or "unspecified data"]
    if ep.access:
        parts.append(f"requires {ep.access}")
    if ep.pii:
        parts.append(f"pii {ep.pii}")
    return f"{ep.endpoint}: " + ", ".join(parts)


def _code_hits(graph: ContractGraph, consumer: str, provider: str, endpoints: list[ProvidedEndpoint]) -> list:
    """Code evidence: the provider's code endpoints behind the declared ones, and the consumer's calls to them."""
    locs = []
    routes = [ep.route for ep in endpoints if ep.route]
    for edge in graph.calls_between(consumer, provider):
        for call in edge.calls:
            if any(match.route_covers(r, call.path) for r in routes):
                locs.append(call.location)
    node = graph.services.get(provider)
    if node is not None and node.inferred is not None:
        for code_ep in node.inferred.provided_endpoints:
            for ep in endpoints:
                if match.route_covers(ep.route, code_ep.path) and match.methods_match(ep.method, code_ep.method):
                    locs.append(code_ep.location)
    return locs


def _decision(graph: ContractGraph, req: Requirement, consumer: str, provider: str, finding_id: str) -> Decision | None:
    """A ``decisions:`` entry of either side whose title or rationale names the data (its words in order) or the finding id."""
    for name in (consumer, provider):
        node = graph.services.get(name)
        contract = node.declared if node else None
        for d in contract.decisions if contract else ():
            text = f"{d.title} {d.rationale or ''}"
            if finding_id in text or match.mentions(text, req.data):
                return d
    return None


@check("access.data-policy", kind="access", title="Data access policy conflict")
def data_policy(ctx: CheckContext) -> Iterator[Finding]:
    """A consumer's ``requires`` entry (data, access_level) is compared with the provider's declared
    endpoints (``returns``, ``access``, ``pii``), by the word rules of docs/checks.md: an endpoint *gives*
    the data when its detail level is at least the needed one, and *admits* the consumer when its access
    is open, equal to the consumer's access level, or names the consumer. Some endpoint gives the data
    but none that does admits the consumer: error, ``DECISION_REQUIRED`` (``DECIDED``, info, once a
    decision naming the data is recorded). No endpoint gives it: error, ``BLOCKS_INTEGRATION``."""
    graph = ctx.graph
    for consumer in sorted(graph.services):
        contract = graph.services[consumer].declared
        for req in contract.requires if contract else ():
            provider = graph.resolve(req.from_service)
            node = graph.services.get(provider)
            declared = node.declared if node else None
            exposed = [ep for ep in (declared.provided_endpoints if declared else ()) if ep.returns or ep.access or ep.pii]
            if not exposed:
                continue
            subject = match.subject_words(req.data)
            relevant = [ep for ep in exposed if subject & match.subject_words(ep.endpoint, ep.path, ep.returns)] or exposed
            giving = [ep for ep in relevant if match.returns_enough(req.data, ep.returns, ep.endpoint)]
            admitted = [ep for ep in giving if match.admits(ep.access, consumer, req.access_level)]
            if admitted:
                continue
            need = f"{req.data}" + (f" at {req.access_level}" if req.access_level else "")
            sides = [
                Side(consumer, "needs", need + (f" for {human(req.use_case)}" if req.use_case else ""), (req.location, req.where("access_level"))),
                Side(
                    provider,
                    "provides",
                    " OR ".join(_describe(ep) + (" (insufficient)" if ep not in giving else "") for ep in relevant),
                    tuple(ep.location for ep in relevant),
                ),
            ]
            extra = _code_hits(graph, consumer, provider, relevant)
            if not giving:
                yield finding(
                    "access.data-policy",
                    "error",
                    "BLOCKS_INTEGRATION",
                    title="Data not exposed",
                    services=(consumer, provider),
                    subject=req.data,
                    message=f"{consumer} needs {req.data} from {provider}; no endpoint of {provider} returns it",
                    sides=sides,
                    extra_locations=extra,
                    impact=f"{human(req.use_case) or consumer + ' workflow'} cannot be done with what {provider} exposes",
                    resolutions=(
                        Resolution(provider, f"{provider}: expose {req.data} (provides: - endpoint ..., returns: ...)"),
                        Resolution(consumer, f"{consumer}: work with what {provider} returns"),
                    ),
                )
                continue
            restricted = giving[0]
            sensitive = any(ep.pii in SENSITIVE_PII for ep in giving)
            other = "PII minimization" if sensitive else f"{provider}'s access policy ({restricted.access})"
            tradeoff = f"{consumer.capitalize()} workflow vs {other}"
            deciders = ("Product", "Security", consumer.capitalize()) if sensitive else ("Product", provider.capitalize(), consumer.capitalize())
            f = finding(
                "access.data-policy",
                "error",
                "DECISION_REQUIRED",
                services=(consumer, provider),
                subject=req.data,
                message=f"{consumer} needs {need}; {provider} returns it only to {restricted.access}",
                sides=sides,
                extra_locations=extra,
                impact=f"{human(req.use_case) or consumer + ' workflow'} needs escalation to {provider}"
                if req.use_case
                else f"{consumer} cannot get {req.data}",
                tradeoff=tradeoff,
                decision_by=deciders,
                resolutions=(
                    Resolution(
                        provider,
                        f"{provider}: New endpoint with a PII-sanitized summary for {req.access_level or consumer} (privacy review, new access controls)"
                        if sensitive
                        else f"{provider}: a new endpoint for {req.access_level or consumer}",
                    ),
                    Resolution(
                        provider,
                        f"{provider}: Grant {req.access_level or consumer} access to {restricted.endpoint}" + (" (security sign-off)" if sensitive else ""),
                    ),
                    Resolution(consumer, f"{consumer}: Work with the aggregate and escalate to {provider} when it is not enough"),
                    Resolution(" + ".join(deciders), f"Record the decision under decisions: in {consumer}'s or {provider}'s contract (naming {req.data})"),
                ),
            )
            decision = _decision(graph, req, consumer, provider, f.id)
            if decision is not None:
                f = finding(
                    f.check,
                    "info",
                    "DECIDED",
                    kind=f.kind,
                    title=f.title,
                    services=f.services,
                    subject=f.subject,
                    message=f.message + f"; decided: {decision.title}" + (f" ({decision.id})" if decision.id else ""),
                    sides=f.sides,
                    extra_locations=tuple(f.locations) + (decision.location,),
                    impact=f.impact,
                    tradeoff=f.tradeoff,
                    decision_by=f.decision_by,
                    resolutions=(
                        Resolution(
                            decision.proposer or " + ".join(deciders),
                            f"Decided: {decision.title}" + (f" (review {decision.review_date})" if decision.review_date else ""),
                        ),
                    ),
                )
            yield f
