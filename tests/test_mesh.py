"""The mesh readers of extractor/environment/mesh.py on small files: each value and its line, the
meshes' defaults, hosts resolved to services, and a malformed file as a warning at its line."""

from __future__ import annotations

from pathlib import Path

from extractor.environment import build_address_book
from extractor.environment.mesh import policies_in
from extractor.facts import Service


def _read(tmp_path: Path, text: str, rel: str = "deploy/mesh.yaml"):
    (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / rel).write_text(text)
    return policies_in(tmp_path, rel)


VIRTUAL_SERVICE = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: risk
spec:
  hosts: [risk]
  http:
    - match:
        - uri:
            exact: /score
      timeout: 2s
      retries:
        attempts: 1
        perTryTimeout: 700ms
        retryOn: gateway-error
      route:
        - destination:
            host: risk
    - timeout: 0s
      route:
        - destination:
            host: risk.prod.svc.cluster.local
"""


def test_virtual_service_routes_timeouts_and_retries(tmp_path):
    found, problems = _read(tmp_path, VIRTUAL_SERVICE)
    assert problems == []
    got = [
        (p.line, p.host, p.match, p.timeout_ms, p.timeout_line, p.attempts, p.attempts_line, p.attempts_default, p.per_try_timeout_ms, p.retry_on)
        for p in found
    ]
    assert got == [
        (17, "risk", "exact:/score", 2000.0, 11, 2.0, 13, False, 700.0, ("gateway-error",)),
        # no retries: Istio retries twice; 0s: no timeout
        (21, "risk.prod.svc.cluster.local", None, None, 19, 3.0, 19, True, None, ()),
    ]


def test_destination_rule_breaker_and_pool(tmp_path):
    found, _ = _read(
        tmp_path,
        """\
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
  name: risk
spec:
  host: risk
  trafficPolicy:
    connectionPool:
      http:
        http2MaxRequests: 50
    outlierDetection:
      consecutiveGatewayErrors: 3
      baseEjectionTime: 1m
""",
    )
    assert [(p.resource, p.line, p.consecutive_errors, p.ejection_ms, p.max_requests, p.max_connections, p.breaker_line, p.attempts) for p in found] == [
        ("DestinationRule", 6, 3, 60000.0, 50, None, 11, None)
    ]


def test_service_profile_routes_budget_and_default_timeout(tmp_path):
    found, _ = _read(
        tmp_path,
        """\
apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: risk.prod.svc.cluster.local
spec:
  routes:
    - name: GET /score
      condition:
        method: GET
        pathRegex: /score/[^/]*
      isRetryable: true
    - name: POST /train
      condition:
        method: POST
      timeout: 30s
  retryBudget:
    retryRatio: 0.5
""",
    )
    got = [(p.name, p.line, p.match, p.timeout_ms, p.timeout_default, p.attempts, p.retry_budget_ratio) for p in found]
    assert got == [
        ("GET /score", 7, "GET regex:/score/[^/]*", 10000.0, True, 1.5, 0.5),
        ("POST /train", 12, "POST", 30000.0, False, 1.0, None),
    ]


def test_http_route_timeouts_retry_and_backends(tmp_path):
    found, _ = _read(
        tmp_path,
        """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: risk
spec:
  rules:
    - matches:
        - path: {type: Exact, value: /score}
      timeouts: {request: 500ms}
      retry: {attempts: 2}
      backendRefs:
        - name: risk
        - name: elsewhere
          kind: ServiceImport
""",
    )
    assert [(p.host, p.line, p.match, p.timeout_ms, p.attempts, p.per_try_timeout_ms) for p in found] == [("risk", 12, "exact:/score", 500.0, 3.0, None)]


def test_malformed_yaml_is_a_warning_at_its_line(tmp_path):
    found, problems = _read(tmp_path, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec:\n  http: [\n    {timeout: 2s\n")
    assert found == []
    assert [(d.file, d.kind, d.severity, d.line) for d in problems] == [("deploy/mesh.yaml", "config_error", "warning", 6)]


def test_a_helm_template_is_not_reported_as_malformed(tmp_path):
    template = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: {{ .Values.name }}\nspec:\n  hosts: [{{ .Values.host }}]\n"
    assert _read(tmp_path, template, "helm-chart/templates/vs.yaml") == ([], [])


def test_other_yaml_and_wrong_shapes_are_ignored(tmp_path):
    assert _read(tmp_path, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n", "a.yaml") == ([], [])
    assert _read(tmp_path, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec:\n  http: 3\n", "b.yaml") == ([], [])
    assert _read(tmp_path, "apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nspec: {routes: [1, {isRetryable: yes}]}\n", "c.yaml") == ([], [])


def test_hosts_resolve_to_services_through_the_book(tmp_path):
    (tmp_path / "risk").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "risk.yaml").write_text(VIRTUAL_SERVICE)
    (tmp_path / "infra" / "broken.yaml").write_text("apiVersion: linkerd.io/v1alpha2\nkind: [\n")
    book = build_address_book(tmp_path, [Service("risk", "risk")], ["infra/risk.yaml", "infra/broken.yaml"])
    assert [(p.host, p.service) for p in book.mesh] == [("risk", "risk"), ("risk.prod.svc.cluster.local", "risk")]
    assert [(d.file, d.line) for d in book.diagnostics] == [("infra/broken.yaml", 3)]
