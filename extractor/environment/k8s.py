"""Kubernetes manifests: a workload's name, labels and container environment; a Service's name as an
alias of the workload it selects. A container's environment is its ``env:`` values, the values a
``valueFrom.configMapKeyRef`` names, and the whole ``data:`` of each ConfigMap its ``envFrom:``
imports (``configMapRef``); a Secret's values (``secretRef``, ``secretKeyRef``) are not read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .book import AddressBook
from .commands import record_command

K8S_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Service", "Job", "CronJob", "Pod", "ReplicaSet", "ConfigMap"}
K8S_DIRS = frozenset({"k8s", "kubernetes", "manifests", "deploy", "deployment", "deployments", "helm", "kustomize", "charts", "kube"})
_WORDS = re.compile(r"[-_.]")


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
    shallowest files are read first: where a workload is declared twice, the main manifests
    (``kubernetes-manifests/``) give its environment, not a variant's (``extras/cloudsql/...``)."""
    maps = config_maps(docs)
    for rel, doc in sorted(docs, key=lambda d: d[0].count("/")):  # stable: file order among equals
        if doc.get("kind") != "ConfigMap":
            read_k8s(book, rel, doc, {name: _nearest(found, rel) for name, found in maps.items()})


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


def read_k8s(book: AddressBook, rel: str, doc: dict[str, Any], maps: dict[str, dict[str, str]] | None = None) -> None:
    meta: dict[str, Any] = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name")
    labels: dict[str, Any] = meta["labels"] if isinstance(meta.get("labels"), dict) else {}
    if not isinstance(name, str):
        return
    service = book.service_for_host(name)
    if service is None:
        for key in ("app", "app.kubernetes.io/name"):
            if isinstance(labels.get(key), str):
                service = book.service_for_host(labels[key])
                if service:
                    break
    if doc.get("kind") == "Service":
        selector = (doc.get("spec") or {}).get("selector") if isinstance(doc.get("spec"), dict) else None
        if service is None and isinstance(selector, dict):
            for v in selector.values():
                if isinstance(v, str) and book.service_for_host(v):
                    service = book.service_for_host(v)
                    break
        if service is not None:
            book.add_alias(name, service)
        return
    for c in containers_of(doc):
        if service is None and isinstance(c.get("name"), str):
            service = book.service_for_host(c["name"])
        if service is None:
            continue
        record_command(book, service, rel, c.get("command"), c.get("args"), k8s=True)
        for k, v in _container_env(c, maps or {}).items():
            book.env_by_service.setdefault(service, {}).setdefault(k, v)
            book.env_sources.setdefault((service, k), rel)


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
