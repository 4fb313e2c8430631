"""Target services come from URLs, env defaults, compose and Kubernetes manifests, env var names."""

from __future__ import annotations

from pathlib import Path

from extractor.config import Config
from extractor.scan import scan


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def _targets(root: Path) -> dict[int, dict]:
    return {f.line: f.fields["target"] for f in scan(root, config=Config()).facts if f.kind == "http_call"}


def test_targets_from_literals_defaults_compose_k8s_and_names(tmp_path):
    for svc in ("a", "b", "c", "orders"):
        _write(tmp_path, f"{svc}/requirements.txt", "")
    _write(
        tmp_path,
        "a/client.py",
        "import os\nimport requests\n\n"
        "requests.get('http://b:8080/x', timeout=1)\n"  # 4: literal host
        "requests.get(os.environ['B_URL'] + '/x', timeout=1)\n"  # 5: compose env
        "requests.get(os.environ['C_ADDR'], timeout=1)\n"  # 6: k8s env
        "requests.get(os.getenv('ORDERS_SERVICE_URL') + '/x', timeout=1)\n"  # 7: the variable's name
        "requests.get('https://api.example.com/v1', timeout=1)\n"  # 8: external
        "requests.get(os.getenv('X', 'http://c.prod.svc.cluster.local:80') + '/y', timeout=1)\n",  # 9: k8s DNS in a default
    )
    _write(tmp_path, "docker-compose.yml", "services:\n  a:\n    build: ./a\n    environment:\n      B_URL: http://b-svc:80\n  b-svc:\n    build: ./b\n")
    _write(
        tmp_path,
        "deploy/k8s/a.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          env:\n            - name: C_ADDR\n              value: http://c-api.default.svc.cluster.local:8080\n"
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c-api\nspec:\n  selector:\n    app: c\n",
    )
    t = _targets(tmp_path)
    assert (t[4]["service"], t[4]["via"], t[4]["host"], t[4]["port"]) == ("b", "url_literal", "b", 8080)
    assert (t[5]["service"], t[5]["via"], t[5]["host"]) == ("b", "deploy_env", "b-svc")
    assert (t[6]["service"], t[6]["via"], t[6]["host"]) == ("c", "deploy_env", "c-api.default.svc.cluster.local")
    assert (t[7]["service"], t[7]["via"]) == ("orders", "env_name")
    assert (t[8]["service"], t[8]["host"]) == (None, "api.example.com")
    assert (t[9]["service"], t[9]["via"]) == ("c", "env_default")
