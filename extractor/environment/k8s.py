"""Kubernetes manifests: a workload's name, labels and container environment; a Service's name as an
alias of the workload it selects. A container's environment is its ``env:`` values, the values a
``valueFrom.configMapKeyRef`` names, and the whole ``data:`` of each ConfigMap its ``envFrom:``
imports (``configMapRef``); a Secret's values (``secretRef``, ``secretKeyRef``) are not read.

Deployment variants. A repository often ships one system in several packagings: the manifests in
force (``kubernetes-manifests/``, ``k8s/``) and optional or alternative ones (``extras/postgres-hpa/``,
``kustomize/components/...``, a ``release/`` copy, ``helm`` charts). A resource's identity is its
(kind, namespace, name): seen in several packagings it counts once, from the main packaging (not
under an optional folder, ``OPTIONAL_DIRS``; then the shallowest; then file order), and the other
copies are its variants. A service with a workload in force takes its environment from it only: a
value set only by a variant (a copy of the same workload, or another workload of the service under
an optional folder) does not override the code's default, and is kept as a variant in the book
(``AddressBook.env_variants``: the file and value, for provenance). A service whose only workloads
are optional ones takes their environment (they are then the deployment there is)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .book import AddressBook
from .commands import record_command

K8S_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Service", "Job", "CronJob", "Pod", "ReplicaSet", "ConfigMap"}
K8S_DIRS = frozenset({"k8s", "kubernetes", "manifests", "deploy", "deployment", "deployments", "helm", "kustomize", "charts", "kube"})
_WORDS = re.compile(r"[-_.]")
OPTIONAL_DIRS = frozenset(
    {
        "extras",
        "extra",
        "components",
        "release",
        "releases",
        "helm",
        "helm-chart",
        "helm-charts",
        "charts",
        "examples",
        "example",
        "samples",
        "sample",
        "optional",
        "alternatives",
        "contrib",
        "docs",
        "test",
        "tests",
        "e2e",
        ".github",
    }
)
"""Folders whose manifests are an optional or alternative packaging of the system (an add-on, a
kustomize component, a release bundle, a chart, an example), not the deployment in force."""


def optional_packaging(rel: str) -> bool:
    """Whether the file sits under a folder of an optional or alternative packaging (``OPTIONAL_DIRS``)."""
    return any(p in OPTIONAL_DIRS for p in rel.lower().split("/")[:-1])


def packaging_rank(rel: str) -> tuple[bool, int]:
    """How a file ranks among the packagings of one resource: the main packaging first (not optional),
    then the shallowest (``kubernetes-manifests/`` before ``kustomize/base/``); sorting is stable, so
    file order decides among equals."""
    return (optional_packaging(rel), rel.count("/"))


def identity(doc: dict[str, Any]) -> tuple[str, str, str] | None:
    """A resource's identity: (kind, namespace, name); None without a name."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or meta.get("name") is None:
        return None
    namespace = meta.get("namespace")
    return (str(doc.get("kind") or ""), str(namespace) if namespace is not None else "", str(meta["name"]))


def maybe_k8s(rel: str) -> bool:
    """A YAML file that may hold Kubernetes manifests: under a folder named (or a folder whose name
    has a word) like ``k8s``, ``kubernetes``, ``manifests``, ... (``kubernetes-manifests/``), or named ``*.k8s.yaml``."""
    parts = rel.lower().split("/")
    return any(p in K8S_DIRS or any(w in K8S_DIRS for w in _WORDS.split(p)) for p in parts[:-1]) or parts[-1].endswith((".k8s.yaml", ".k8s.yml"))


def config_maps(docs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Each ConfigMap's name → ``(file, data)`` of every ConfigMap of that name (values as text), in file order."""
    out: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for rel, doc in docs:
        meta = doc.get("metadata")
        data = doc.get("data")
        if doc.get("kind") != "ConfigMap" or not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not isinstance(data, dict):
            continue
        out.setdefault(meta["name"], []).append((rel, {str(k): str(v) for k, v in data.items() if v is not None and not isinstance(v, (dict, list))}))
    return out


def _nearest(candidates: list[tuple[str, dict[str, str]]], rel: str) -> dict[str, str]:
    """The data of the ConfigMap declared nearest the workload's file ``rel`` (the most folders in
    common: a variant's ``extras/cloudsql/kubernetes-manifests/`` does not configure the main
    manifests), the first in file order among equals; empty when there is none."""
    folders = rel.split("/")[:-1]

    def shared(other: str) -> int:
        n = 0
        for a, b in zip(folders, other.split("/")[:-1], strict=False):
            if a != b:
                break
            n += 1
        return n

    best = max(candidates, key=lambda c: shared(c[0]), default=None)  # max keeps the first of equals
    return best[1] if best is not None else {}


def read_k8s_docs(book: AddressBook, docs: list[tuple[str, dict[str, Any]]]) -> None:
    """Every Kubernetes document of the repository (``(file, document)``, in file order), the
    ConfigMaps first so that a workload's ``envFrom:`` finds them wherever they are declared. The
    main packaging is read first (``packaging_rank``): a resource declared in several packagings
    counts once, from its main one, and the others are variants (module docstring); so is a workload
    under an optional folder of a service that has one in force."""
    maps = config_maps(docs)
    seen: set[tuple[str, str, str]] = set()
    in_force: set[str] = set()
    for rel, doc in sorted(docs, key=lambda d: packaging_rank(d[0])):  # stable: file order among equals
        if doc.get("kind") == "ConfigMap":
            continue
        key = identity(doc)
        copy = key in seen
        if key is not None:
            seen.add(key)
        env_maps = {name: _nearest(found, rel) for name, found in maps.items()}
        if doc.get("kind") == "Service":
            read_k8s(book, rel, doc, env_maps)
            continue
        service = _workload_service(book, doc)
        variant = copy or (optional_packaging(rel) and service is not None and service in in_force)
        if variant:
            _record_variant(book, rel, doc, env_maps)
        else:
            found = read_k8s(book, rel, doc, env_maps)
            if found is not None:
                in_force.add(found)


def _record_variant(book: AddressBook, rel: str, doc: dict[str, Any], maps: dict[str, dict[str, str]]) -> None:
    """A variant workload's environment values that differ from the value in force (or that the
    deployment in force does not set), as ``book.env_variants`` entries: provenance, never a value in force."""
    service = _workload_service(book, doc)
    for c in containers_of(doc):
        if service is None and isinstance(c.get("name"), str):
            service = book.service_for_host(c["name"])
        if service is None:
            continue
        env = book.env_by_service.get(service, {})
        for k, v in _container_env(c, maps).items():
            if env.get(k) != v and (rel, v) not in book.env_variants.get((service, k), []):
                book.env_variants.setdefault((service, k), []).append((rel, v))


def _workload_service(book: AddressBook, doc: dict[str, Any]) -> str | None:
    """The service a workload runs: by its name, else by its ``app`` / ``app.kubernetes.io/name`` label."""
    meta: dict[str, Any] = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name")
    labels: dict[str, Any] = meta["labels"] if isinstance(meta.get("labels"), dict) else {}
    if not isinstance(name, str):
        return None
    service = book.service_for_host(name)
    if service is None:
        for key in ("app", "app.kubernetes.io/name"):
            if isinstance(labels.get(key), str):
                service = book.service_for_host(labels[key])
                if service:
                    break
    return service


def _container_env(c: dict[str, Any], maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """A container's environment: ``env:`` values and ``configMapKeyRef`` values, then the ConfigMaps
    ``envFrom:`` imports (with their ``prefix:``); an ``env:`` entry wins over an imported one, as in Kubernetes."""
    env: dict[str, str] = {}
    for e in c.get("env") or []:
        if not isinstance(e, dict) or not isinstance(e.get("name"), str):
            continue
        if e.get("value") is not None:
            env[e["name"]] = str(e["value"])
            continue
        ref = (e.get("valueFrom") or {}).get("configMapKeyRef") if isinstance(e.get("valueFrom"), dict) else None
        if isinstance(ref, dict) and isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str):
            value = maps.get(ref["name"], {}).get(ref["key"])
            if value is not None:
                env[e["name"]] = value
    for item in c.get("envFrom") or []:
        ref = item.get("configMapRef") if isinstance(item, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
            continue
        prefix = item.get("prefix") if isinstance(item.get("prefix"), str) else ""
        for k, v in maps.get(ref["name"], {}).items():
            env.setdefault(prefix + k, v)
    return env


def read_k8s(book: AddressBook, rel: str, doc: dict[str, Any], maps: dict[str, dict[str, str]] | None = None) -> str | None:
    """One document into the book: a Service's name as an alias, a workload's command and environment;
    returns the service a workload's environment went to (None: none)."""
    meta: dict[str, Any] = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name")
    if not isinstance(name, str):
        return None
    service = _workload_service(book, doc)
    if doc.get("kind") == "Service":
        selector = (doc.get("spec") or {}).get("selector") if isinstance(doc.get("spec"), dict) else None
        if service is None and isinstance(selector, dict):
            for v in selector.values():
                if isinstance(v, str) and book.service_for_host(v):
                    service = book.service_for_host(v)
                    break
        if service is not None:
            book.add_alias(name, service)
        return None
    recorded = None
    for c in containers_of(doc):
        if service is None and isinstance(c.get("name"), str):
            service = book.service_for_host(c["name"])
        if service is None:
            continue
        recorded = service
        record_command(book, service, rel, c.get("command"), c.get("args"), k8s=True)
        for k, v in _container_env(c, maps or {}).items():
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)
    return recorded


def containers_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A workload's containers (Deployment → template → spec → containers; a CronJob nests deeper)."""
    containers: list[Any] = []
    spec = doc.get("spec")
    for _ in range(4):
        if not isinstance(spec, dict):
            break
        if isinstance(spec.get("containers"), list):
            containers = spec["containers"]
            break
        spec = spec.get("template") or spec.get("jobTemplate") or spec.get("spec")
        if isinstance(spec, dict) and "spec" in spec and "containers" not in spec:
            spec = spec["spec"]
    return [c for c in containers if isinstance(c, dict)]
