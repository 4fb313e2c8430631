"""Environment readers: what a service's deployment and configuration files say about it.

One module per kind of file: Docker Compose (``compose``), Kubernetes manifests (``k8s``), ``.env``
files (``dotenv``), .NET ``appsettings*.json`` (``appsettings``), Spring ``application.yml`` /
``.properties`` (``spring``; keys, placeholders and configuration references in ``svcconfig``),
.NET Aspire app hosts (``aspire``), and gateway and reverse-proxy routes (``routes``; Spring Cloud
Gateway ``spring_gateway``, ``yarp``, ``nginx``, ``envoy``). ``build_address_book`` reads them all
into one ``AddressBook`` (service aliases, each service's environment and where each value comes
from, the routes each proxy declares). The extract stage
uses ``svcconfig`` for configuration references; the link stage resolves targets and references
against the book.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import yamlio
from ..discover import COMPOSE_NAMES, ComposeService, compose_images, compose_services, owner_of, proxy_configs, service_files
from ..facts import Diagnostic, Service
from ..images import built_images
from . import envoy, helm, nginx, spring_gateway, yarp, zuul
from .appsettings import read_appsettings
from .aspire import read_aspire
from .book import AddressBook
from .commands import read_dockerfiles
from .compose import read_compose
from .dotenv import read_env_files
from .k8s import K8S_KINDS, maybe_k8s, read_k8s_docs
from .mesh import read_mesh
from .nestjs import read_nest_config
from .routes import Route
from .spring import read_spring_config

__all__ = ["AddressBook", "build_address_book"]


def build_address_book(root: Path, services: list[Service], other_files: Iterable[str], proxies: Mapping[str, str] | None = None) -> AddressBook:
    """Every deployment and configuration file of the repository read into one book; later readers
    never override a value an earlier one set (deployment files, then .env, appsettings, Spring).
    ``proxies``: the proxy configuration files (``Inventory.proxy_configs``; found here when not given)."""
    book = AddressBook(services=services, root=str(root))
    for svc in services:
        for alias in svc.aliases:
            book.add_alias(alias, svc.name)
        book.alias_to_service[svc.name.lower()] = svc.name
    other_files = list(other_files)
    roots = [s.root for s in services]
    by_root = {s.root: s.name for s in services}
    k8s_docs: list[tuple[str, dict[str, Any]]] = []  # read once all are loaded: a workload's envFrom names ConfigMaps of any file
    rendered, problems, templated = helm.render_charts(root, other_files)  # Helm charts rendered with their values (helm.py)
    book.diagnostics += problems
    for rel in sorted(other_files):
        if not rel.endswith((".yaml", ".yml")) or rel in templated:
            continue
        is_compose = bool(COMPOSE_NAMES.search(rel))
        if not is_compose and not maybe_k8s(rel):
            continue
        try:
            docs = yamlio.load_file(root / rel, rel)
        except yamlio.YamlError as exc:
            if is_compose:
                book.diagnostics.append(Diagnostic(rel, "config_error", exc.message, line=exc.line, severity="warning"))
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if is_compose and isinstance(doc.get("services"), dict):
                read_compose(book, rel, doc, roots, by_root, root)
            elif doc.get("kind") in K8S_KINDS:
                k8s_docs.append((rel, doc))
    k8s_docs += [(r.file, r.doc) for r in rendered if r.doc.get("kind") in K8S_KINDS]  # after the plain manifests, labelled helm
    read_k8s_docs(book, k8s_docs)
    composed = compose_services(root, other_files)
    read_dockerfiles(book, root, roots, by_root, other_files, composed)  # the image's own command, ENV and script: after the deployment's, which wins
    read_env_files(book, root, roots, by_root, other_files)  # after the deployment files: their values win
    read_appsettings(book, root, roots, by_root, other_files)
    served = read_spring_config(book, root, roots, by_root, other_files)  # files a Config Server serves → their services
    read_nest_config(book, root, roots, by_root)  # a NestJS ConfigModule's load factories
    aspire_routes = read_aspire(book, root, roots, by_root, other_files)
    folders = {s.root for s in services} | {f.rpartition("/")[0] or "." for f in other_files if f.rsplit("/", 1)[-1] == "Dockerfile"}
    for image in compose_images(composed, services, built_images(root, other_files, folders), root):
        if image.infrastructure is None and image.built is None:  # a service of the system running a stock image: its name is its address (when no other says)
            book.add_alias(image.name, image.name)
    proxies = proxy_configs(root, other_files) if proxies is None else proxies
    book.routes = read_routes(root, roots, by_root, other_files, book, served, proxies, composed) + aspire_routes
    book.routes += zuul.registry_routes(root, {s.name: s.root for s in services}, {s.name: book.canonical_env(s.name) for s in services}, book.routes)
    read_mesh(book, root, [f for f in other_files if f not in templated])
    book.mesh += [replace(p, service=book.service_for_host(p.host)) for p in helm.add_mesh(book.mesh, helm.mesh_policies(rendered))]
    return book


ROUTE_READERS = (
    (spring_gateway.is_gateway_file, spring_gateway.routes_in),
    (spring_gateway.is_gateway_file, zuul.routes_in),
    (yarp.is_yarp_file, yarp.routes_in),
)
"""Gateway formats read from an application's configuration: which files each reads, and its reader of one file."""
PROXY_READERS = {"nginx": nginx.routes_in, "envoy": envoy.routes_in}
"""Reverse-proxy formats: the reader of one file of each proxy that ``discover.proxy_configs`` finds."""


def read_routes(
    root: Path,
    roots: list[str],
    by_root: dict[str, str],
    other_files: Iterable[str],
    book: AddressBook,
    served: dict[str, list[str]] | None = None,
    proxies: Mapping[str, str] | None = None,
    composed: list[ComposeService] | None = None,
) -> list[Route]:
    """The routes of every proxy configuration file a service's folder holds, owned by that service;
    a reader gets the service's configuration by canonical key (Resilience4j settings of a gateway).
    A file a Config Server serves (``served``: file → services) holds the routes of the services it
    is served to, not of the server. ``proxies``: the reverse-proxy configuration files (file → proxy);
    one that no service's folder holds belongs to the Compose service (``composed``) that runs a stock
    image with it mounted (``./nginx_config.conf:/etc/nginx/conf.d/default.conf``), when that is a service."""
    out: list[Route] = []
    served = served or {}
    proxies = proxies or {}
    for rel, clients in sorted(served.items()):
        for service in clients:
            for read in (spring_gateway.routes_in, zuul.routes_in):
                out += [replace(r, service=service) for r in read(root, rel, book.canonical_env(service))]
    for rel, service in service_files(sorted(r for r in other_files if r not in served), roots, by_root):
        readers = [read for accepts, read in ROUTE_READERS if accepts(rel)]
        if rel in proxies:
            readers.append(PROXY_READERS[proxies[rel]])
        for read in readers:
            out += [replace(r, service=service) for r in read(root, rel, book.canonical_env(service))]
    for rel, service in mounted_proxy_files(sorted(p for p in proxies if owner_of(p, roots) is None), composed or [], book):
        out += [replace(r, service=service) for r in PROXY_READERS[proxies[rel]](root, rel, book.canonical_env(service))]
    return out


def mounted_proxy_files(rels: Iterable[str], composed: list[ComposeService], book: AddressBook) -> Iterator[tuple[str, str]]:
    """``(rel, service)`` for each proxy configuration file that a Compose service running a stock
    image mounts (the file, or a folder holding it) and whose name is a service of the book."""
    for rel in rels:
        for c in composed:
            if c.has_build or not any(rel == p or rel.startswith(p.rstrip("/") + "/") for p in c.paths if p not in (".", "")):
                continue
            service = book.alias_to_service.get(c.name.lower())
            if service is not None:
                yield rel, service
                break
