"""The address book: service names, their aliases, and the environment each service's deployment
and configuration files give it. The readers of this package fill it; the link stage
(``targets.resolve_target``) reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..discover import name_variants, normalise_name
from ..facts import Diagnostic, Service
from .routes import Route
from .svcconfig import canonical

if TYPE_CHECKING:
    from .mesh import MeshPolicy

ENV_NAME_SUFFIXES = (
    "_SERVICE_URL",
    "_SERVICE_ADDR",
    "_SERVICE_ADDRESS",
    "_SERVICE_HOST",
    "_SERVICE_ENDPOINT",
    "_API_URL",
    "_BASE_URL",
    "_URL",
    "_ADDR",
    "_ADDRESS",
    "_HOST",
    "_ENDPOINT",
    "_URI",
    "_SERVICE",
)


@dataclass
class AddressBook:
    """Service names, aliases and the environment that deployment files give each service."""

    services: list[Service]
    alias_to_service: dict[str, str] = field(default_factory=dict)
    env_by_service: dict[str, dict[str, str]] = field(default_factory=dict)  # service → VAR → value
    env_sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (service, VAR) → file
    # (service, VAR) → (file, value) set only by a deployment variant (k8s.py): provenance, not in force
    env_variants: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)  # gateway and reverse-proxy routes, each owned by its proxy's service
    root: str = field(default="", compare=False)  # the scanned folder: source text read at link time (spring_gateway.source_limiters)
    mesh: list[MeshPolicy] = field(default_factory=list)  # service-mesh and platform policies (mesh.py), each for the service it governs
    _canonical: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)  # service → canonical key → value

    def canonical_env(self, service: str) -> dict[str, str]:
        """The service's environment by Spring's relaxed key (``svcconfig.canonical``): the first key
        read that spells a name wins. Built on first use; the book is complete by then (link time)."""
        table = self._canonical.get(service)
        if table is None:
            table = {}
            for k, v in self.env_by_service.get(service, {}).items():
                table.setdefault(canonical(k), v)
            self._canonical[service] = table
        return table

    def add_alias(self, alias: str, service: str) -> None:
        for v in name_variants(alias) | {alias.lower()}:
            self.alias_to_service.setdefault(v, service)

    def service_for_host(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        candidates = [host]
        if "." in host:
            first = host.split(".", 1)[0]
            if host.endswith((".svc", ".svc.cluster.local", ".local", ".internal")) or host.count(".") >= 1:
                candidates.append(first)
        for c in candidates:
            for v in [c, normalise_name(c), *sorted(name_variants(c))]:
                if v in self.alias_to_service:
                    return self.alias_to_service[v]
        return None

    def env_value(self, service: str, var: str) -> str | None:
        """The value a service's deployment / env / configuration files give ``var``; a .NET
        configuration key and its environment spelling are one (``Services:Risk`` = ``Services__Risk``)."""
        env = self.env_by_service.get(service)
        if not env:
            return None
        for name in (var, var.replace(":", "__"), var.replace("__", ":")):
            if name in env:
                return env[name]
        if ":" in var:  # a .NET configuration key: its keys are case-insensitive (GetSection("urls") + Orders = urls__orders)
            folded = var.replace(":", "__").casefold()
            found = sorted(k for k in env if k.replace(":", "__").casefold() == folded)
            if found:
                return env[found[0]]
        return None

    def env_source(self, service: str, var: str) -> str:
        for name in (var, var.replace(":", "__"), var.replace("__", ":")):
            if (service, name) in self.env_sources:
                return self.env_sources[(service, name)]
        if ":" in var:  # a .NET configuration key, case-insensitive (env_value)
            folded = var.replace(":", "__").casefold()
            found = sorted(k for s, k in self.env_sources if s == service and k.replace(":", "__").casefold() == folded)
            if found:
                return self.env_sources[(service, found[0])]
        return ""

    def service_for_env_name(self, var: str) -> str | None:
        upper = var.upper()
        for suffix in ENV_NAME_SUFFIXES:
            if upper.endswith(suffix) and len(upper) > len(suffix):
                stem = upper[: -len(suffix)].lower().replace("_", "-")
                found = self.service_for_host(stem)
                if found:
                    return found
        return None
