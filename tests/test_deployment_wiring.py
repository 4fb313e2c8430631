"""Wiring that only the deployment says (docs/evaluation.md D24, D25, D27): Kubernetes ConfigMaps
imported by `envFrom`, a Locust load generator whose host is its container's command, one build run
as several Compose services. The samples are fixtures/monorepos/k8s-wiring and one-binary."""

from __future__ import annotations

from extractor.environment.commands import command_options, dockerfile_commands, tokens
from extractor.environment.k8s import maybe_k8s

from .samples import MONOREPOS, run_json


def _call_edges(graph: dict) -> set[tuple[str, str, str | None, float | None]]:
    out = set()
    for e in graph["edges"]:
        if e["kind"] != "call":
            continue
        timeout = e["attributes"].get("timeout_ms", [{}])[0].get("value")
        out.add((e["source"], e["target"], e.get("operation"), timeout))
    return out


def test_configmaps_secrets_and_the_locust_host():
    graph = run_json("graph", MONOREPOS / "k8s-wiring", "--no-cache")
    assert _call_edges(graph) == {
        ("service:frontend", "service:ledger", "balances", 4000.0),  # envFrom: configMapRef (the main manifests' ConfigMap, not the variant's)
        ("service:frontend", "service:users", "users", 2000.0),  # valueFrom: configMapKeyRef
        ("service:frontend", "host:unknown", None, 5000.0),  # envFrom: secretRef: a Secret's values are not read
        ("service:loadgen", "service:frontend", "home", None),  # ENTRYPOINT locust --host="http://${FRONTEND_ADDR}"; HttpUser: no timeout
    }


def test_loadgen_call_carries_the_host_from_its_command():
    scan = run_json("scan", MONOREPOS / "k8s-wiring", "--no-cache")
    (call,) = [f for f in scan["facts"] if f["service"] == "loadgen" and f["kind"] == "http_call"]
    assert (call["rule"], call["url"], call["target"]["service"], call["timeout_source"]) == ("python.http.locust", "http://frontend:80/", "frontend", "none")


def test_command_options():
    words = tokens('locust --host="http://${FRONTEND_ADDR}" --headless -u "${USERS:-10}" --loglevel $LOG_LEVEL 2>&1 --after=x')
    assert command_options(words) == {"--host": "http://${FRONTEND_ADDR}", "-u": "${USERS:10}", "--loglevel": "${LOG_LEVEL}"}
    assert command_options(tokens(["/bin/sh", "-c", "exec app --port 8080 --verbose"])) == {"--port": "8080"}
    assert command_options(tokens(["app", "--a=1", "--a=2"])) == {"--a": "1"}  # the first wins


def test_dockerfile_commands_of_the_last_stage():
    text = 'FROM golang AS build\nCMD ["build"]\nFROM alpine\nENTRYPOINT ["app", "--mode", "api"]\nCMD locust \\\n  --host=http://x\n'
    assert dockerfile_commands(text) == [["app", "--mode", "api"], "locust    --host=http://x"]


def test_manifest_folders_by_word():
    assert maybe_k8s("kubernetes-manifests/frontend.yaml")
    assert maybe_k8s("deploy/k8s/app.yaml")
    assert maybe_k8s("app.k8s.yaml")
    assert not maybe_k8s("config/application.yaml")
    assert not maybe_k8s("kubernetes.yaml")  # a file name is not a folder


def test_one_build_run_as_several_compose_services():
    scan = run_json("scan", MONOREPOS / "one-binary", "--no-cache")
    assert {(s["name"], s["root"]) for s in scan["services"]} == {
        ("frontend", "internal/frontend"),
        ("search", "internal/search"),
        ("geo", "internal/geo"),
    }  # worker's branch uses no package of its own; internal/trace is every branch's
    build = [f for f in scan["inventory"] if f["root"] == "."]
    assert [(f["role"], f["service"]) for f in build] == [("build", None)]
    assert "frontend (frontend), geo (geo), search (search)" in build[0]["reason"]
    graph = run_json("graph", MONOREPOS / "one-binary", "--no-cache")
    assert _call_edges(graph) == {
        ("service:frontend", "service:search", "Nearby", 500.0),
        ("service:search", "service:geo", "Near", None),  # the caller's context: no deadline of its own
    }
