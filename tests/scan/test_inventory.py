"""The service inventory (issue 10, item 5): test projects, libraries, orchestrators, shared-defaults
projects and generic build folders are not services, a proxy folder is one of role proxy, every
folder considered says why, and ``[inventory]`` in the configuration overrides discovery."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from extractor.config import Config, ConfigError, load_config
from extractor.discover import inventory, survey
from extractor.docs import schema_files
from extractor.scan import scan
from extractor.targets import host_port

from ..checks.helpers import write

WEB = '<Project Sdk="Microsoft.NET.Sdk.Web">\n  <ItemGroup>\n    <ProjectReference Include="..\\Ordering.Domain\\Ordering.Domain.csproj" />\n  </ItemGroup>\n</Project>\n'
FILES = {
    "Ordering.API/Ordering.API.csproj": WEB,
    "Ordering.API/Program.cs": "var app = WebApplication.Create(args);\n",
    "Ordering.Domain/Ordering.Domain.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n</Project>\n',
    "Ordering.Domain/Order.cs": "public class Order {}\n",
    "Ordering.UnitTests/Ordering.UnitTests.csproj": '<Project Sdk="Microsoft.NET.Sdk"></Project>\n',
    "Checks/Checks.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n  <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.0.0" />\n</Project>\n',
    "Shop.AppHost/Shop.AppHost.csproj": '<Project Sdk="Aspire.AppHost.Sdk/9.0.0">\n  <PropertyGroup><IsAspireHost>true</IsAspireHost></PropertyGroup>\n</Project>\n',
    "Shop.ServiceDefaults/Shop.ServiceDefaults.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup><IsAspireSharedProject>true</IsAspireSharedProject></PropertyGroup>\n</Project>\n',
    "Tools.Lib/Tools.Lib.csproj": '<Project Sdk="Microsoft.NET.Sdk"></Project>\n',  # referenced by nobody: kept
    "docker/generic/Dockerfile": "FROM python:3.12\nARG SERVICE\nCOPY ${SERVICE} /app\n",
    "redis/Dockerfile": "FROM redis:7\nCOPY redis.conf /etc/redis.conf\n",
    "edge/Dockerfile": "FROM nginx\nCOPY nginx.conf /etc/nginx/nginx.conf\n",
    "edge/nginx.conf": "events {}\nhttp { server { location / { proxy_pass http://ordering-api; } } }\n",
    "e2e/tests/package.json": '{"name": "e2e"}\n',
    "web/package.json": '{"name": "web"}\n',
    "web/src/index.js": "fetch('api/catalog/items');\n",
}


def _repo(root: Path, extra: dict[str, str] | None = None) -> Path:
    return write(root, {**FILES, **(extra or {})})


def _roles(root: Path, config: Config | None = None) -> dict[str, tuple[str | None, str, str]]:
    config = config or Config()
    _, folders = survey(inventory(root, config), config)
    return {f.root: (f.service, f.role, f.reason) for f in folders}


def test_every_folder_says_what_it_is_and_why(tmp_path):
    assert _roles(_repo(tmp_path)) == {
        "Checks": (None, "test", "a test project (references Microsoft.NET.Test.Sdk)"),
        "Ordering.API": ("Ordering.API", "service", "manifest: Ordering.API.csproj"),
        "Ordering.Domain": (None, "library", "a library (no entry point), referenced by Ordering.API"),
        "Ordering.UnitTests": (None, "test", "a test project's name (Ordering.UnitTests)"),
        "Shop.AppHost": (None, "orchestrator", "a .NET Aspire app host: it starts the services, it is not one"),
        "Shop.ServiceDefaults": (None, "shared-defaults", "a shared service-defaults project (IsAspireSharedProject), used by the services"),
        "Tools.Lib": ("Tools.Lib", "service", "manifest: Tools.Lib.csproj"),
        "docker/generic": (None, "build", "a generic build folder: a Dockerfile parameterised by ARG SERVICE, no source"),
        "e2e/tests": (None, "test", "a test folder (tests/)"),
        "edge": ("edge", "proxy", "a proxy: Dockerfile and nginx.conf, no source"),
        "redis": ("redis", "service", "manifest: Dockerfile"),
        "web": ("web", "service", "manifest: package.json"),
    }


def test_configuration_overrides_discovery(tmp_path):
    _repo(
        tmp_path,
        {"contracts.toml": '[inventory]\ninclude = ["Checks", "tools/loadgen"]\nexclude = ["redis", "web*"]\n', "tools/loadgen/locustfile.py": "x = 1\n"},
    )
    roles = _roles(tmp_path, load_config(tmp_path))
    assert roles["Checks"] == ("Checks", "service", "inventory.include 'Checks' (contracts.toml)")
    assert roles["tools/loadgen"] == ("loadgen", "service", "inventory.include 'tools/loadgen' (contracts.toml)")  # no manifest needed
    assert roles["redis"] == (None, "excluded", "inventory.exclude 'redis' (contracts.toml)")
    assert roles["web"] == (None, "excluded", "inventory.exclude 'web*' (contracts.toml)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[inventory]\nexlude = ["a"]\n', "contracts.toml:2: unknown key inventory.exlude; did you mean 'exclude'?"),
        ("inventory = 3\n", "contracts.toml:1: inventory must be a table"),
        ("[inventory]\ninclude = [1]\n", "contracts.toml:2: inventory.include must be a list of strings"),
    ],
)
def test_bad_inventory_configuration(tmp_path, text, message):
    (tmp_path / "contracts.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(message)


def test_the_scan_json_carries_the_inventory(tmp_path):
    result = scan(_repo(tmp_path), jobs=1)
    doc = result.to_json()
    jsonschema.validate(doc, json.loads(schema_files()["facts.v1.schema.json"]))
    assert [(f["root"], f["role"]) for f in doc["inventory"]][:3] == [("Checks", "test"), ("Ordering.API", "service"), ("Ordering.Domain", "library")]
    assert sorted(s["name"] for s in doc["services"]) == ["Ordering.API", "Tools.Lib", "edge", "redis", "web"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api/catalog/items", (None, None)),  # a relative URL is never a host
        ("/api/catalog/items", (None, None)),
        ("risk:8080", ("risk", 8080)),
        ("risk", ("risk", None)),  # a bare name is a gRPC address
        ("http://risk/score", ("risk", None)),
    ],
)
def test_a_relative_url_is_never_a_host(text, expected):
    assert host_port(text) == expected


def test_calls_in_a_services_test_folder_or_browser_assets_are_not_the_services(tmp_path):
    write(
        tmp_path,
        {
            "risk/pyproject.toml": '[project]\nname = "risk"\n',
            "risk/risk/app.py": 'import requests\n\n\ndef score():\n    return requests.get("http://fraud:8080/x", timeout=1)\n',
            "risk/tests/test_app.py": 'import requests\n\n\ndef test_score():\n    assert requests.get("http://localhost:8000/score").ok\n',
            "risk/risk/static/app.js": 'fetch("/api/score", {method: "POST"});\n',
            "fraud/pyproject.toml": '[project]\nname = "fraud"\n',
            "fraud/fraud/app.py": "x = 1\n",
        },
    )
    calls = [(f.file, f.service) for f in scan(tmp_path, jobs=1).facts if f.kind == "http_call"]
    assert calls == [("risk/risk/app.py", "risk"), ("risk/risk/static/app.js", None), ("risk/tests/test_app.py", None)]


ENVOY = """static_resources:
  listeners:
    - filter_chains:
        - filters:
            - typed_config:
                route_config:
                  virtual_hosts:
                    - routes:
                        - match: { prefix: "/o/" }
                          route: { cluster: orders, timeout: 3s }
  clusters:
    - name: orders
      load_assignment:
        endpoints:
          - lb_endpoints:
              - endpoint: { address: { socket_address: { address: ordering-api, port_value: 80 } } }
"""
COMPOSE = """services:
  ordering-api:
    build:
      context: .
      dockerfile: Services/Ordering.API/Dockerfile
  webapigw:
    image: envoyproxy/envoy:v1.11.1
    volumes:
      - ./Gateways/Envoy/web:/etc/envoy
"""


def test_a_compose_service_running_a_stock_proxy_image_on_a_config_folder_is_a_proxy(tmp_path):
    write(
        tmp_path,
        {
            "docker-compose.yml": COMPOSE,
            "Gateways/Envoy/web/envoy.yaml": ENVOY,
            "Services/Ordering.API/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0\n",
            "Services/Ordering.API/Ordering.API.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
            "Services/Ordering.API/Program.cs": "var app = WebApplication.Create(args);\n",
        },
    )
    roles = _roles(tmp_path)
    assert roles["Gateways/Envoy/web"] == (
        "webapigw",
        "proxy",
        "a proxy: compose service webapigw (docker-compose.yml) runs it with its configuration, no source",
    )
    routes = [f for f in scan(tmp_path, jobs=1).facts if f.kind == "proxy_route"]
    assert [(f.service, f.line, f.fields["match"], f.fields["target"]["service"], f.fields["target"]["via"], f.fields["timeout_ms"]) for f in routes] == [
        ("webapigw", 9, "/o/", "Ordering.API", "url_literal", 3000)
    ]


def test_a_compose_build_with_a_dockerfile_path_names_the_dockerfiles_service(tmp_path):
    from extractor.environment import build_address_book
    from extractor.facts import Service

    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  webshoppingagg:\n    build:\n      context: .\n      dockerfile: Gateways/Web.Bff/aggregator/Dockerfile\n"
    )
    book = build_address_book(tmp_path, [Service("aggregator", "Gateways/Web.Bff/aggregator")], ["docker-compose.yml"])
    assert book.service_for_host("webshoppingagg") == "aggregator"


def test_an_envoy_folder_is_a_proxy_whatever_its_config_file_is_called(tmp_path):
    """Discovery and the route reader recognise the same files: ``envoy/config.yaml`` names envoy by its folder."""
    extra = {"front-envoy/Dockerfile": "FROM envoyproxy/envoy\nCOPY config.yaml /etc/envoy/envoy.yaml\n", "front-envoy/config.yaml": "static_resources: {}\n"}
    assert _roles(_repo(tmp_path, extra))["front-envoy"] == ("front-envoy", "proxy", "a proxy: Dockerfile and config.yaml, no source")
