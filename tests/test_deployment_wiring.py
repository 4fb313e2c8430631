"""Wiring that only the deployment says (docs/evaluation.md D24, D25, D27): Kubernetes ConfigMaps
imported by `envFrom`, a Locust load generator whose host is its container's command, one build run
as several Compose services. The samples are fixtures/monorepos/k8s-wiring, one-binary, several-programs, compose-names and mounted-workdir."""

from __future__ import annotations

from extractor.environment.commands import command_options, dockerfile_commands, tokens
from extractor.environment.k8s import maybe_k8s

from .samples import MONOREPOS, run_json, write_files


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
    assert command_options(tokens(["locust", "--host=http://$(FRONTEND_ADDR)"]), k8s=True) == {"--host": "http://${FRONTEND_ADDR}"}


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


def _roles(root):
    from extractor.config import Config
    from extractor.discover import inventory, survey

    _, folders = survey(inventory(root, Config()), Config())
    return {f.root: (f.service, f.role) for f in folders}


def test_script_folders_and_database_image_folders_are_not_services(tmp_path):
    """D28: a folder of scripts (no server, no Dockerfile, not deployed) and a database image with its
    init scripts are not services; a server without a framework, a browser app and a folder Compose
    builds stay services."""
    from .checks.helpers import write

    write(
        tmp_path,
        {
            "oss/attribution/package.json": '{"main": "dist/main.js", "scripts": {"build": "tsc", "start": "node dist/main.js"}, "dependencies": {"axios": "^1"}}',
            "oss/attribution/src/main.ts": "import axios from 'axios';\naxios.get('https://registry.example/x');\n",
            "mongodb/Dockerfile": "FROM mongo:3\nADD init.sh /init.sh\nADD ./dump /\n",
            "mongodb/dump/account-service-dump.js": "db.accounts.insert({name: 'demo'});\n",
            "plain/package.json": '{"scripts": {"start": "node server.js"}}',
            "plain/server.js": "require('http').createServer((q, r) => r.end()).listen(8080);\n",
            "spa/package.json": '{"scripts": {"dev": "vite"}, "dependencies": {"react": "^18"}}',
            "spa/src/main.js": "fetch('/api/items');\n",
            "worker/package.json": '{"scripts": {"start": "node main.js"}, "dependencies": {"axios": "^1"}}',
            "worker/main.js": "require('axios').get('http://plain:8080/x');\n",
            "loadgen/Dockerfile": "FROM grafana/k6:0.50\nCOPY script.js /script.js\n",
            "loadgen/script.js": "import http from 'k6/http';\nexport default function () { http.get('http://plain:8080/'); }\n",
            "docker-compose.yml": "services:\n  worker: {build: ./worker}\n",
        },
    )
    roles = _roles(tmp_path)
    assert roles["oss/attribution"] == (None, "build")
    assert roles["mongodb"] == (None, "infrastructure")
    assert roles["plain"] == ("plain", "service")
    assert roles["spa"] == ("spa", "service")
    assert roles["worker"] == ("worker", "service")  # Compose builds it
    assert roles["loadgen"] == ("loadgen", "service")  # FROM grafana/k6 is no database that runs the folder's scripts


def test_a_compose_hostname_is_an_address_of_its_service(tmp_path):
    from extractor.environment import build_address_book
    from extractor.facts import Service

    (tmp_path / "compose.yaml").write_text("services:\n  cart: {build: ./src/cart, hostname: basket}\n  carts-db: {image: 'amazon/dynamodb-local:1.20.0'}\n")
    book = build_address_book(tmp_path, [Service("cart", "src/cart")], ["compose.yaml"])
    assert (book.service_for_host("basket"), book.service_for_host("basket.local"), book.service_for_host("carts-db")) == ("cart", "cart", None)


def test_one_build_of_several_programs_run_as_several_compose_services():
    scan = run_json("scan", MONOREPOS / "several-programs", "--no-cache")
    assert {(s["name"], s["root"]) for s in scan["services"]} == {
        ("frontend", "services/frontend"),
        ("search", "services/search"),
        ("geo", "services/geo"),
    }  # migrate's program uses no package of its own; registry is every program's; .bingo has no Go code
    roles = {f["root"]: (f["role"], f["service"]) for f in scan["inventory"] if f["root"] in (".", ".bingo", "cmd/migrate")}
    assert roles == {".": ("build", None), ".bingo": ("build", None)}
    build = next(f for f in scan["inventory"] if f["root"] == ".")
    assert "each its own program: frontend (frontend), geo (geo), search (search)" in build["reason"]
    graph = run_json("graph", MONOREPOS / "several-programs", "--no-cache")
    assert _call_edges(graph) == {
        ("service:frontend", "service:search", "Nearby", 500.0),
        ("service:search", "service:geo", "Near", None),  # the caller's context: no deadline of its own
    }


def test_a_compose_name_over_a_folder_of_that_name_and_nginx_set_variables():
    graph = run_json("graph", MONOREPOS / "compose-names", "--no-cache")
    assert _call_edges(graph) == {
        ("service:nginx", "service:web-bff", None, 60000.0),  # Compose's web builds ./web-bff; the folder web/ is the Next.js app
        ("service:nginx", "service:search", None, 60000.0),  # set $search_host "search"; proxy_pass http://$search_host;
        ("service:nginx", "service:cart", None, 60000.0),
        ("service:nginx", "host:$other_host", None, 60000.0),  # set from a request header: unknown
    }


def test_the_appsettings_file_of_the_environment_the_deployment_names_wins(tmp_path):
    from extractor.environment import build_address_book
    from extractor.facts import Service

    files = {
        "docker-compose.yml": "services:\n  web:\n    build: ./web\n    environment:\n      - ASPNETCORE_ENVIRONMENT=Production\n",
        "web/appsettings.json": '{"APIs": {"Customers": "localhost:5100"}, "Only": "base"}',
        "web/appsettings.Production.json": '{"APIs": {"Customers": "customers:5100"}}',
        "web/appsettings.Development.json": '{"APIs": {"Customers": "dev:5100"}}',
    }
    write_files(tmp_path, files)
    book = build_address_book(tmp_path, [Service("web", "web")], sorted(files))
    assert book.env_value("web", "APIs:Customers") == "customers:5100"  # ASPNETCORE_ENVIRONMENT=Production: loaded over appsettings.json
    assert book.env_source("web", "APIs:Customers") == "web/appsettings.Production.json"
    assert book.env_value("web", "Only") == "base"


def test_a_compose_variable_named_without_a_value_takes_the_projects_env_file(tmp_path):
    from extractor.environment import build_address_book
    from extractor.facts import Service

    files = {
        "docker-compose.yml": "services:\n  order:\n    build: ./order\n    environment:\n      - YAS_SERVICES_CART\n      - YAS_SERVICES_TAX\n"
        "      - LOG_LEVEL=debug\n  cart:\n    build: ./cart\n    environment:\n      YAS_SERVICES_TAX:\n",
        ".env": "YAS_SERVICES_CART=http://cart/cart\nYAS_SERVICES_TAX=http://tax/tax\nUNUSED=x\n",
    }
    write_files(tmp_path, files)
    book = build_address_book(tmp_path, [Service("order", "order"), Service("cart", "cart")], sorted(files))
    assert book.env_by_service["order"] == {"YAS_SERVICES_CART": "http://cart/cart", "YAS_SERVICES_TAX": "http://tax/tax", "LOG_LEVEL": "debug"}
    assert book.env_by_service["cart"] == {"YAS_SERVICES_TAX": "http://tax/tax"}  # the mapping form: a key without a value
    assert book.env_value("order", "UNUSED") is None  # only the variables the service names


def test_compose_services_running_a_mounted_folders_code_are_that_folders_service():
    scan = run_json("scan", MONOREPOS / "mounted-workdir", "--no-cache")
    assert {(s["name"], s["root"]) for s in scan["services"]} == {
        ("orders", "internal/orders"),
        ("billing", "internal/billing"),
        ("solo", "docker/solo"),  # its working directory /app is inside no mount: its build folder stays its service
    }
    roles = {f["root"]: (f["role"], f["service"]) for f in scan["inventory"] if f["root"].startswith("docker/")}
    assert roles == {"docker/app": ("build", None), "docker/solo": ("service", "solo")}
    image = next(f for f in scan["inventory"] if f["root"] == "docker/app")
    assert "billing-grpc (internal/billing), orders-grpc (internal/orders), orders-http (internal/orders)" in image["reason"]
    graph = run_json("graph", MONOREPOS / "mounted-workdir", "--no-cache")
    assert _call_edges(graph) == {("service:orders", "service:billing", "Charge", 800.0)}  # BILLING_ADDR=billing-grpc:3000 from orders-http's environment


def test_a_working_dir_inside_a_bind_mount_is_the_mounted_folder():
    from extractor.discover import compose_workdir

    assert compose_workdir("deploy", {"volumes": ["../internal:/internal:ro"], "working_dir": "/internal/trainer"}) == "internal/trainer"
    assert compose_workdir(".", {"volumes": [{"type": "bind", "source": "./web", "target": "/web"}], "working_dir": "/web"}) == "web"
    assert compose_workdir(".", {"volumes": ["./internal:/internal"], "working_dir": "/internals/x"}) is None  # a prefix of a name is no folder
    assert compose_workdir(".", {"volumes": ["data:/internal", "/internal/cache/"], "working_dir": "/internal/x"}) is None  # a named volume, an anonymous one
    assert compose_workdir(".", {"volumes": ["./internal:/internal"]}) is None
