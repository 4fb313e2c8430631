"""Kubernetes manifests: a workload's name, labels and container environment; a Service's name as an
alias of the workload it selects."""

from __future__ import annotations

from typing import Any

from .book import AddressBook

K8S_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Service", "Job", "CronJob", "Pod", "ReplicaSet"}


def maybe_k8s(rel: str) -> bool:
    parts = rel.lower().split("/")
    return any(
        p in ("k8s", "kubernetes", "manifests", "deploy", "deployment", "deployments", "helm", "kustomize", "charts", "kube") for p in parts[:-1]
    ) or parts[-1].endswith((".k8s.yaml", ".k8s.yml"))


def read_k8s(book: AddressBook, rel: str, doc: dict[str, Any]) -> None:
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
    containers: list[Any] = []
    spec = doc.get("spec")
    for _ in range(4):  # Deployment → template → spec → containers (CronJob nests deeper)
        if not isinstance(spec, dict):
            break
        if isinstance(spec.get("containers"), list):
            containers = spec["containers"]
            break
        spec = spec.get("template") or spec.get("jobTemplate") or spec.get("spec")
        if isinstance(spec, dict) and "spec" in spec and "containers" not in spec:
            spec = spec["spec"]
    for c in containers:
        if not isinstance(c, dict):
            continue
        if service is None and isinstance(c.get("name"), str):
            service = book.service_for_host(c["name"])
        if service is None:
            continue
        for e in c.get("env") or []:
            if isinstance(e, dict) and isinstance(e.get("name"), str) and e.get("value") is not None:
                book.env_by_service.setdefault(service, {}).setdefault(e["name"], str(e["value"]))
                book.env_sources.setdefault((service, e["name"]), rel)
