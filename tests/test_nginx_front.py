"""Robot Shop's wiring (docs/evaluation.md D35, D36, D38): an nginx configuration found by its text
wherever it is (a `*.conf.template` that `envsubst` fills), its `${VAR}` placeholders resolved from
the front's image `ENV` and its deployment's environment; a Locust host given by the shell script
the image runs; a log collector image as infrastructure; a RabbitMQ queue bound to an exchange
joining the exchange's publisher with the queue's consumer (D39). The sample is
fixtures/monorepos/nginx-front."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.discover import is_nginx_text, proxy_configs
from extractor.environment.commands import dockerfile_env, script_commands, script_options
from extractor.graph import binding_matches

from .samples import MONOREPOS, of, run_json

SAMPLE = MONOREPOS / "nginx-front"


@pytest.fixture(scope="module")
def scan() -> dict:
    return run_json("scan", SAMPLE, "--no-cache")


@pytest.fixture(scope="module")
def graph() -> dict:
    return run_json("graph", SAMPLE, "--no-cache")


def test_call_edges_with_their_timeouts_and_tries(graph):
    got = set()
    for e in graph["edges"]:
        if e["kind"] == "call":
            a = e["attributes"]
            got.add((e["source"], e["target"], tuple(v["value"] for v in a["timeout_ms"]), tuple(v["value"] for v in a["retry_attempts"])))
    assert got == {
        ("service:web", "service:catalogue", (60000.0,), (1,)),  # nginx's default proxy_read_timeout, one host: one try
        ("service:web", "service:cart", (5000.0,), (1,)),  # proxy_read_timeout 5s
        ("service:web", "service:orders", (60000.0,), (2,)),  # an upstream of two servers: the next one tried
        ("service:cart", "service:catalogue", (2000.0,), (1,)),
        ("service:load-gen", "service:web", (None,), (1,)),  # Locust HttpUser: no timeout
    }


def test_routes_of_a_template_resolved_from_the_image_and_the_deployment(scan):
    got = [
        (f["service"], f"{f['file']}:{f['line']}", f["match"], f["url"], f["target"]["service"], f["target"]["via"], f["timeout_ms"], f["timeout_source"])
        for f in of(scan["facts"], "proxy_route")
    ]
    assert got == [
        ("web", "web/default.conf.template:20", "/api/catalogue/", "http://${CATALOGUE_HOST}:8080/", "catalogue", "deploy_env", 60000, "library_default"),
        ("web", "web/default.conf.template:25", "/api/cart/", "http://${CART_HOST}:8000/", "cart", "deploy_env", 5000, "config"),
        # Compose's ORDERS_HOST=orders wins over the image's ENV ORDERS_HOST=localhost
        ("web", "web/default.conf.template:29", "/api/orders/", "http://${ORDERS_HOST}:8080", "orders", "deploy_env", 60000, "library_default"),
    ]


def test_the_locust_host_from_the_script_the_image_runs(scan):
    (call,) = [f for f in of(scan["facts"], "http_call") if f["service"] == "load-gen"]
    assert (call["rule"], call["url"], call["target"]["service"], call["timeout_source"]) == (
        "python.http.locust",
        "http://web:8080/api/catalogue/products",
        "web",
        "none",
    )


def test_inventory(scan):
    roles = {f["root"]: (f["role"], f["reason"]) for f in scan["inventory"]}
    assert roles["web"] == ("proxy", "manifest: Dockerfile; routes declared in web/default.conf.template")
    assert roles["fluentd"] == (
        "infrastructure",
        # Ruby is read: the plugin is source
        "a stock fluentd image (a log collector) with its plugins and configuration (plugins/filter_shop.rb): not a service",
    )
    assert [s["name"] for s in scan["services"]] == ["cart", "catalogue", "dispatch", "load-gen", "orders", "web"]


def test_nginx_configuration_by_its_text():
    assert is_nginx_text("server {\n  location /api/ {\n    proxy_pass http://${API_HOST}:8080/;\n  }\n}\n")
    assert is_nginx_text("location /api/ {\n    proxy_pass http://api;\n}\n")  # an included snippet
    assert not is_nginx_text("server {\n  location / {\n    root /usr/share/nginx/html;\n  }\n}\n")  # serves files, proxies nothing
    assert not is_nginx_text("server {\n  # proxy_pass http://old;\n}\n")  # a commented-out directive
    assert not is_nginx_text("<VirtualHost *:80>\n  ProxyPass / http://api/\n</VirtualHost>\n")  # Apache
    assert not is_nginx_text("[program:app]\ncommand=proxy_pass --x\n")  # an INI file


def test_proxy_configuration_files_by_name_or_text(tmp_path: Path):
    files = {
        "web/default.conf.template": "server { listen 80;\n  location / {\n    proxy_pass http://${UP}:80/;\n  }\n}\n",
        "edge/nginx.conf": "events {}\n",  # by its name
        "fluentd/fluent.conf": "<match **>\n  @type stdout\n</match>\n",
        "api/app.conf": "[server]\nport = 8080\n",
        "gateways/envoy/envoy.yaml": "static_resources: {}\n",
        "web/README.md": "server {\n  location / {\n    proxy_pass http://x;\n  }\n}\n",  # a name no configuration has
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert proxy_configs(tmp_path, sorted(files)) == {"edge/nginx.conf": "nginx", "gateways/envoy/envoy.yaml": "envoy", "web/default.conf.template": "nginx"}


def test_the_image_env_of_the_last_stage():
    text = 'FROM alpine AS build\nENV A=build\nFROM nginx\nENV A=one \\\n    B="two words"\nENV LEGACY a value\nENV C=${A}/x\n'
    assert dockerfile_env(text) == {"A": "one", "B": "two words", "LEGACY": "a value", "C": "${A}/x"}


def test_the_options_of_a_scripts_process():
    script = """#!/bin/sh
if [ -z "$HOST" ]; then echo "no host"; exit 1; fi
if [ "$N" -eq 0 ]; then N=1; fi
result=$(curl -s --connect-timeout 10 "$HOST" 2>&1 | grep ok)
cat - /etc/app.conf << EOF > /tmp/app.conf
--not-an-option here
EOF
VERBOSE=1 exec locust -f shop.py --host "$HOST" --headless -u $N -r 2 > /dev/null 2>&1
"""
    assert script_commands(script)[-1] == ["locust", "-f", "shop.py", "--host", "$HOST", "--headless", "-u", "$N", "-r", "2"]
    # curl is a utility; -u uses N, which the script sets itself; --headless takes no value (not "2" of 2>&1)
    assert script_options(script) == {"-f": "shop.py", "--host": "${HOST}", "-r": "2"}


def test_a_publish_to_an_exchange_reaches_the_bound_queues_consumer(graph):
    got = {(e["source"], e["target"], tuple(v["value"] for v in e["attributes"].get("binding", []))) for e in graph["edges"] if e["layer"] == "messages"}
    assert got == {
        ("service:orders", "topic:rabbitmq/dispatch", ("queue dispatch bound to exchange shop with key orders.*",)),
        ("topic:rabbitmq/dispatch", "service:dispatch", ()),
        ("topic:rabbitmq/refunds", "service:dispatch", ()),  # bound with payments.refunded: orders.placed does not reach it
    }
    (publish,) = [e for e in graph["edges"] if e["kind"] == "publish"]
    assert [(v["value"], v["file"], v["line"]) for v in publish["attributes"]["binding"]] == [
        ("queue dispatch bound to exchange shop with key orders.*", "dispatch/main.go", 20)
    ]
    assert [v["value"] for v in publish["attributes"]["publish"]] == ["publish shop in place"]


def test_binding_keys():
    assert binding_matches("orders.*", "orders.placed")
    assert not binding_matches("orders.*", "orders.placed.eu")
    assert binding_matches("orders.#", "orders.placed.eu")
    assert binding_matches("#.eu", "orders.placed.eu")
    assert binding_matches("*.placed.#", "orders.placed")
    assert binding_matches("orders", "orders")  # a direct exchange: equal keys
    assert not binding_matches("orders", "payments")
    assert binding_matches(None, "anything")  # a fanout exchange's binding
    assert binding_matches("#", None)
    assert not binding_matches("orders.*", None)  # a routing key not known statically
    assert not binding_matches("orders.*", "{key}.placed")
