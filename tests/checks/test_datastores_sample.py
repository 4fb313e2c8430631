"""fixtures/monorepos/datastores end to end: the data stores and infrastructure of four services in four
languages, from code and from configuration alone; the graph's data and infrastructure layers, exactly."""

from __future__ import annotations

import json

import jsonschema
import pytest

from extractor.docs import schema_files

from .test_sample import run

SAMPLE = "fixtures/monorepos/datastores"


@pytest.fixture(scope="module")
def graph():
    result = run("graph", SAMPLE, "--jobs", "1")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    return doc


def _sites(edge: dict, name: str = "client") -> list[tuple]:
    return [(v["value"], f"{v['file']}:{v['line']}", v.get("rule")) for v in edge["attributes"].get(name, [])]


def test_store_and_infrastructure_nodes(graph):
    stores = [(n["id"], n["engine"], n["database"], n["layer"]) for n in graph["nodes"] if n["kind"] == "store"]
    assert stores == [
        ("store:postgres/catalog-db/catalog", "postgres", "catalog", "data"),
        ("store:postgres/orders-db-replica/orders", "postgres", "orders", "data"),
        ("store:postgres/orders-db/orders", "postgres", "orders", "data"),
        ("store:redis/cache", "redis", None, "data"),
        ("store:sqlserver/identity-sql/identity", "sqlserver", "identity", "data"),
    ]
    infra = [(n["id"], n["infra"], n["system"], n["layer"]) for n in graph["nodes"] if n["kind"] == "infrastructure"]
    assert infra == [
        ("infra:config_server/config-server", "config_server", "spring-cloud-config", "infrastructure"),
        ("infra:registry/registry", "registry", "eureka", "infrastructure"),
        ("infra:telemetry/otel-collector", "telemetry", "zipkin", "infrastructure"),
    ]


def test_service_to_store_edges(graph):
    edges = {e["id"]: e for e in graph["edges"] if e["kind"] == "store"}
    assert sorted((e["layer"], e["source"], e["target"]) for e in edges.values()) == [
        ("data", "service:billing", "store:postgres/orders-db/orders"),  # the orders database, shared: billing's Spring datasource
        ("data", "service:catalog", "store:postgres/catalog-db/catalog"),
        ("data", "service:catalog", "store:redis/cache"),  # one Redis for two services in two languages
        ("data", "service:identity", "store:sqlserver/identity-sql/identity"),
        ("data", "service:orders", "store:postgres/orders-db-replica/orders"),
        ("data", "service:orders", "store:postgres/orders-db/orders"),
        ("data", "service:orders", "store:redis/cache"),
    ]
    assert _sites(edges["use:orders->store:postgres/orders-db/orders"]) == [("orders-db:5432 in primary", "orders/orders/db.py:13", "python.data.psycopg")]
    assert _sites(edges["use:orders->store:postgres/orders-db/orders"], "config_key") == [("DATABASE_URL", "orders/orders/db.py:13", "python.data.psycopg")]
    assert _sites(edges["use:orders->store:postgres/orders-db-replica/orders"], "role") == [("replica", "orders/orders/db.py:17", "python.data.psycopg")]
    assert _sites(edges["use:billing->store:postgres/orders-db/orders"]) == [
        ("orders-db:5432 (spring.datasource.url)", "billing/src/main/resources/application.yml:5", "config.spring-boot")
    ]
    assert _sites(edges["use:catalog->store:redis/cache"]) == [("cache:6379 in main", "catalog/main.go:17", "go.data.go-redis")]
    assert _sites(edges["use:orders->store:redis/cache"]) == [("cache:6379 (REDIS_HOST)", "orders/orders/db.py:9", "python.data.redis")]
    # the connection string in appsettings.json, and the Aspire client naming it in code: one store
    assert _sites(edges["use:identity->store:sqlserver/identity-sql/identity"]) == [
        ("identity-sql:1433 in Program.Main", "identity/Program.cs:4", "csharp.data.efcore"),
        ("identity-sql:1433 (ConnectionStrings:identitydb)", "identity/appsettings.json:3", "config.dotnet-configuration"),
    ]


def test_service_to_infrastructure_edges(graph):
    edges = {e["id"]: e for e in graph["edges"] if e["kind"] == "infrastructure"}
    assert sorted((e["layer"], e["source"], e["target"]) for e in edges.values()) == [
        ("infrastructure", "service:billing", "infra:config_server/config-server"),
        ("infrastructure", "service:billing", "infra:registry/registry"),
        ("infrastructure", "service:billing", "infra:telemetry/otel-collector"),
        ("infrastructure", "service:billing", "service:identity"),  # its token issuer is a service of the repository
        ("infrastructure", "service:identity", "infra:telemetry/otel-collector"),
        ("infrastructure", "service:orders", "infra:telemetry/otel-collector"),
    ]
    assert _sites(edges["use:billing->service:identity"]) == [
        ("identity:8080 (spring.security.oauth2.resourceserver.jwt.issuer-uri)", "billing/src/main/resources/application.yml:12", "config.spring-boot")
    ]
    # the exporter in code names no endpoint: it joins the one the deployment gives the same service
    assert _sites(edges["use:identity->infra:telemetry/otel-collector"]) == [
        ("otel-collector:4317 (OTEL_EXPORTER_OTLP_ENDPOINT)", "docker-compose.yml:34", "config.opentelemetry"),
        ("? in Program.Main", "identity/Program.cs:5", "csharp.infra.opentelemetry"),
    ]
    assert _sites(edges["use:orders->infra:telemetry/otel-collector"]) == [
        ("otel-collector:4317 (OTEL_EXPORTER_OTLP_ENDPOINT)", "docker-compose.yml:23", "config.opentelemetry")
    ]
    assert not [e for e in graph["edges"] if e["kind"] == "call"]  # no service calls another: what joins them is data and infrastructure


def test_pictures_draw_the_data_layer_and_leave_infrastructure_to_json():
    dot = run("graph", SAMPLE, "--jobs", "1", "--format", "dot")
    assert dot.exit_code == 0
    assert '"store:redis/cache" [label="redis/cache", shape=cylinder' in dot.output
    assert '"service:catalog" -> "store:redis/cache" [label="uses", style=dotted];' in dot.output
    assert '"service:orders" -> "store:postgres/orders-db-replica/orders" [label="uses (replica)", style=dotted];' in dot.output
    assert "infra:" not in dot.output and "config-server" not in dot.output
    mermaid = run("graph", SAMPLE, "--jobs", "1", "--format", "mermaid")
    assert '[("redis/cache")]' in mermaid.output
    assert "otel-collector" not in mermaid.output
