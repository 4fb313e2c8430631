"""Deployment variants in the Kubernetes reader (extractor/environment/k8s.py, D32): which workload's
environment is in force when one service is deployed by several packagings."""

from __future__ import annotations

from pathlib import Path

from extractor.environment import build_address_book
from extractor.environment.k8s import optional_packaging, packaging_rank
from extractor.facts import Service


def _deployment(name: str, env: dict[str, str], namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    lines = "".join(f'\n            - {{name: {k}, value: "{v}"}}' for k, v in env.items())
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {name}
          env:{lines}
"""


def _book(tmp_path: Path, files: dict[str, str]):
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    services = [Service("front", "front", ("python",), ("requirements.txt",))]
    (tmp_path / "front").mkdir(exist_ok=True)
    return build_address_book(tmp_path, services, sorted(files))


def test_optional_folders_rank_after_the_main_packaging():
    assert [
        optional_packaging(r)
        for r in ("kubernetes-manifests/a.yaml", "extras/x/kubernetes-manifests/a.yaml", "kustomize/components/mesh/a.yaml", "release/a.yaml")
    ] == [
        False,
        True,
        True,
        True,
    ]
    assert sorted(["release/a.yaml", "kustomize/base/a.yaml", "kubernetes-manifests/a.yaml"], key=packaging_rank) == [
        "kubernetes-manifests/a.yaml",
        "kustomize/base/a.yaml",
        "release/a.yaml",
    ]


def test_an_optional_workload_of_a_deployed_service_is_a_variant(tmp_path):
    """Another namespace's copy under extras/ is another identity, but the service has a workload in force."""
    book = _book(
        tmp_path,
        {
            "kubernetes-manifests/front.yaml": _deployment("front", {"LEDGER_ADDR": "ledger:8080"}),
            "extras/hpa/k8s/front.yaml": _deployment("front", {"LEDGER_ADDR": "ledger-ha:8080", "BACKEND_TIMEOUT": "15"}, namespace="hpa"),
        },
    )
    assert book.env_by_service["front"] == {"LEDGER_ADDR": "ledger:8080"}
    assert book.env_variants == {
        ("front", "LEDGER_ADDR"): [("extras/hpa/k8s/front.yaml", "ledger-ha:8080")],
        ("front", "BACKEND_TIMEOUT"): [("extras/hpa/k8s/front.yaml", "15")],
    }


def test_a_service_deployed_only_by_an_optional_packaging_takes_its_environment(tmp_path):
    book = _book(tmp_path, {"extras/hpa/kubernetes-manifests/front.yaml": _deployment("front", {"BACKEND_TIMEOUT": "15"})})
    assert (book.env_by_service["front"], book.env_sources[("front", "BACKEND_TIMEOUT")], book.env_variants) == (
        {"BACKEND_TIMEOUT": "15"},
        "extras/hpa/kubernetes-manifests/front.yaml",
        {},
    )
