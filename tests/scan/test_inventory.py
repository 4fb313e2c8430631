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
from extractor.pipeline import analyse_scan
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
        "redis": (None, "infrastructure", "a stock redis image with its configuration (Dockerfile FROM redis), no source: not a service"),
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
    assert sorted(s["name"] for s in doc["services"]) == ["Ordering.API", "Tools.Lib", "edge", "web"]


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


def test_a_compose_service_running_an_image_is_a_service_with_no_code_and_calls_reach_it(tmp_path):
    """Issue 10, D2: ``flagd`` runs a stock image and builds nothing here; ``FLAGD_HOST=flagd`` and
    ``http://flagd:8013`` name it, not an external host. A database image is not a service."""
    write(
        tmp_path,
        {
            "compose.yaml": "services:\n  flagd:\n    image: ${FLAGD_IMAGE}\n  db:\n    image: postgres:16\n"
            "  payment:\n    build: ./payment\n    environment: [FLAGD_HOST=flagd]\n",
            ".env": "FLAGD_IMAGE=ghcr.io/open-feature/flagd:v0.11.1\n",
            "payment/package.json": '{"name": "payment"}\n',
            "payment/index.js": "async function check() {\n  return fetch(`http://${process.env.FLAGD_HOST}:8013/ofrep/v1/evaluate/flags/x`);\n}\n",
        },
    )
    roles = _roles(tmp_path)
    image = "compose service flagd (compose.yaml) runs the image ghcr.io/open-feature/flagd:v0.11.1 and builds nothing here"
    assert roles["compose.yaml#flagd"] == ("flagd", "image", f"{image}: a service of the system with no code of its own")
    assert roles["compose.yaml#db"][:2] == (None, "infrastructure")
    result = scan(tmp_path, jobs=1)
    jsonschema.validate(result.to_json(), json.loads(schema_files()["facts.v1.schema.json"]))
    call = next(f for f in result.facts if f.kind == "http_call")
    assert (call.service, call.fields["target"]["service"], call.fields["target"]["via"]) == ("payment", "flagd", "deploy_env")
    graph = analyse_scan(result, tmp_path).graph
    assert (graph.services["flagd"].root, graph.services["flagd"].has_code) == (None, False)
    assert [(e.caller, e.callee, e.external) for e in graph.calls] == [("payment", "flagd", False)]


def test_a_rust_or_ruby_folder_with_a_dockerfile_is_a_service_buildkit_arguments_are_no_parameter(tmp_path):
    """D8: ``ARG BUILDPLATFORM`` is BuildKit's, and Cargo.toml is a manifest: a service (Rust and Ruby are
    read; an Elixir folder's calls are unseen)."""
    write(
        tmp_path,
        {
            "shipping/Cargo.toml": '[package]\nname = "shipping"\n',
            "shipping/src/main.rs": "fn main() {}\n",
            "shipping/Dockerfile": "FROM --platform=${BUILDPLATFORM} rust:1.80 AS builder\nARG BUILDPLATFORM\nCOPY . .\n",
            "ledger/Gemfile": "gem 'sinatra'\n",
            "ledger/Dockerfile": "FROM ruby:3.3\nCOPY . .\n",
            "mailer/mix.exs": "defmodule Mailer.MixProject do\nend\n",
            "mailer/Dockerfile": "FROM elixir:1.16\nCOPY . .\n",
            "cross/Dockerfile": "FROM --platform=${BUILDPLATFORM} golang:1.22\nARG BUILDPLATFORM\nARG TARGETARCH\nRUN echo $TARGETARCH\n",
            "generic/Dockerfile": "FROM python:3.12\nARG SERVICE\nCOPY ${SERVICE} /app\n",
            "web/package.json": '{"name": "web"}\n',
            "web/index.js": "fetch('http://shipping/get-quote');\n",
        },
    )
    roles = _roles(tmp_path)
    assert roles["shipping"] == ("shipping", "service", "manifest: Cargo.toml, Dockerfile")
    assert roles["ledger"] == ("ledger", "service", "manifest: Dockerfile, Gemfile")
    assert roles["mailer"] == ("mailer", "service", "manifest: Dockerfile, mix.exs (a language that is not read: its calls are not seen)")
    assert roles["cross"] == ("cross", "service", "manifest: Dockerfile")
    assert roles["generic"][1] == "build"
    call = next(f for f in scan(tmp_path, jobs=1).facts if f.kind == "http_call")
    assert call.fields["target"]["service"] == "shipping"


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (
            {
                "ClientApp/ClientApp.csproj": '<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup><UseMaui>true</UseMaui><OutputType>Exe</OutputType></PropertyGroup>\n</Project>\n'
            },
            "a .NET MAUI app (UseMaui)",
        ),
        ({"ClientApp/package.json": '{"name": "app", "dependencies": {"expo": "~51.0.0", "react": "18"}}\n'}, "an Expo app (package.json depends on expo)"),
        (
            {"ClientApp/package.json": '{"name": "app", "dependencies": {"react-native": "0.74"}}\n'},
            "a React Native app (package.json depends on react-native)",
        ),
    ],
)
def test_mobile_and_desktop_apps_are_clients_and_their_calls_make_no_edge(tmp_path, files, reason):
    """D9: a MAUI / Expo / React Native app is a client of the system; its calls stay facts of no service."""
    write(
        tmp_path,
        {
            **files,
            "ClientApp/Services/Basket.js": "fetch('http://basket-api/api/basket');\n",
            "ClientApp/Services/Basket.cs": 'class B { async Task Get(HttpClient c) { await c.GetAsync("http://basket-api/api/basket"); } }\n',
            "basket-api/package.json": '{"name": "basket-api"}\n',
            "basket-api/index.js": "x = 1;\n",
        },
    )
    assert _roles(tmp_path)["ClientApp"] == (None, "client", f"{reason}: a client of the system, its calls are not a service's edges")
    calls = [f for f in scan(tmp_path, jobs=1).facts if f.kind == "http_call"]
    assert calls and all(f.service is None for f in calls)


def test_stock_images_go_tool_modules_and_two_aggregators_named_by_compose(tmp_path):
    """D20: a Dockerfile FROM a stock infrastructure image with its configuration, a Go module that
    only pins tools, and two ``aggregator`` folders that the compose file names."""
    write(
        tmp_path,
        {
            "deploy/elk/kibana/Dockerfile": "FROM docker.elastic.co/kibana/kibana:7.9.2\nCOPY config /usr/share/kibana/config\n",
            "docker/grafana/Dockerfile": "FROM grafana/grafana:5.2.4\nADD ./grafana.ini /etc/grafana/grafana.ini\n",
            "internal/tools/go.mod": "module example.com/internal/tools\n",
            "internal/tools/tools.go": '//go:build tools\n// +build tools\n\npackage tools\n\nimport _ "github.com/google/addlicense"\n',
            "src/docker-compose.yml": "services:\n  webshoppingagg:\n    build:\n      context: .\n      dockerfile: ApiGateways/Web.Bff.Shopping/aggregator/Dockerfile\n"
            "  mobileshoppingagg:\n    build:\n      context: .\n      dockerfile: ApiGateways/Mobile.Bff.Shopping/aggregator/Dockerfile\n",
            "src/ApiGateways/Web.Bff.Shopping/aggregator/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:7.0\n",
            "src/ApiGateways/Web.Bff.Shopping/aggregator/Web.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
            "src/ApiGateways/Mobile.Bff.Shopping/aggregator/Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:7.0\n",
            "src/ApiGateways/Mobile.Bff.Shopping/aggregator/Mobile.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
        },
    )
    roles = _roles(tmp_path)
    assert roles["deploy/elk/kibana"] == (
        None,
        "infrastructure",
        "a stock kibana image with its configuration (Dockerfile FROM kibana), no source: not a service",
    )
    assert roles["docker/grafana"][:2] == (None, "infrastructure")
    assert roles["internal/tools"] == (None, "build", "a Go module pinning build tools (its Go files have the tools build tag), no service code")
    assert roles["src/ApiGateways/Web.Bff.Shopping/aggregator"][0] == "webshoppingagg"
    assert roles["src/ApiGateways/Mobile.Bff.Shopping/aggregator"][0] == "mobileshoppingagg"


def test_a_generated_grpc_client_with_no_address_goes_to_the_one_service_serving_it(tmp_path):
    """D6: the address comes from options the scan cannot read; Ordering.API serves OrderingGrpc, so
    the call goes there (``via: grpc_service``). When a second service serves it, it stays unknown."""
    web = '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n'
    server = (
        "using GrpcOrdering;\nvar app = WebApplication.Create(args);\napp.MapGrpcService<OrderingService>();\napp.Run();\n"
        "public class OrderingService : OrderingGrpc.OrderingGrpcBase\n{\n"
        "    public override Task<OrderDraftDTO> CreateOrderDraftFromBasketData(CreateOrderDraftCommand request, ServerCallContext context) => null;\n}\n"
    )
    files = {
        "Ordering.API/Ordering.API.csproj": web,
        "Ordering.API/Program.cs": server,
        "aggregator/aggregator.csproj": web,
        "aggregator/Program.cs": "using GrpcOrdering;\nvar builder = WebApplication.CreateBuilder(args);\n"
        "builder.Services.AddGrpcClient<OrderingGrpc.OrderingGrpcClient>((sp, o) => o.Address = new Uri(sp.GetRequiredService<IOptions<UrlsConfig>>().Value.GrpcOrdering));\n"
        "public class OrderingClient\n{\n    private readonly OrderingGrpc.OrderingGrpcClient _client;\n"
        "    public OrderingClient(OrderingGrpc.OrderingGrpcClient client) { _client = client; }\n"
        "    public async Task Draft() { await _client.CreateOrderDraftFromBasketDataAsync(new CreateOrderDraftCommand()); }\n}\n",
    }
    write(tmp_path / "one", files)
    targets = [(f.kind, f.fields["target"]["service"], f.fields["target"]["via"]) for f in scan(tmp_path / "one", jobs=1).facts if "target" in f.fields]
    assert targets == [("grpc_call", "Ordering.API", "grpc_service"), ("missing_timeout", "Ordering.API", "grpc_service")]
    write(tmp_path / "two", {**files, "Legacy.Ordering/Legacy.Ordering.csproj": web, "Legacy.Ordering/Program.cs": server})
    targets = [(f.kind, f.fields["target"]["service"], f.fields["target"]["via"]) for f in scan(tmp_path / "two", jobs=1).facts if f.kind == "grpc_call"]
    assert targets == [("grpc_call", None, "unknown")]


def test_the_browser_part_of_a_nextjs_app_is_client_code(tmp_path):
    """D17: a Next.js app's React components, its pages without server-side data fetching and the
    modules only they import run in the browser: their calls belong to no service. Its API routes,
    its server-side gateways and a page with ``getServerSideProps`` stay the server's."""
    write(
        tmp_path,
        {
            "frontend/package.json": '{"name": "frontend", "dependencies": {"next": "14.2.0", "react": "18"}}\n',
            "frontend/components/ProductCard/ProductCard.tsx": "import { useEffect } from 'react';\nexport default function Card() {\n"
            "  useEffect(() => { fetch('http://shop/api/img'); }, []);\n  return null;\n}\n",
            "frontend/utils/Request.ts": "export default async function request(url: string) {\n  return fetch(`http://shop/api/${url}`);\n}\n",
            "frontend/gateways/Api.gateway.ts": "import request from '../utils/Request';\nexport const ApiGateway = { cart: () => request('cart') };\n",
            "frontend/providers/Cart.provider.tsx": "import { ApiGateway } from '../gateways/Api.gateway';\nexport const useCart = () => ApiGateway.cart();\n",
            "frontend/pages/index.tsx": "import { ApiGateway } from '../gateways/Api.gateway';\nexport default function Home() { return null; }\n",
            "frontend/pages/ssr.tsx": "export async function getServerSideProps() {\n  return { props: await fetch('http://shipping/quote') };\n}\n",
            "frontend/pages/api/cart.ts": "export default async function handler(req, res) {\n  res.json(await fetch('http://cart/api/cart'));\n}\n",
            "frontend/app/widget.tsx": "'use client';\nexport function Widget() {\n  fetch('http://shop/api/widget');\n  return null;\n}\n",
        },
    )
    inv = inventory(tmp_path, Config())
    assert inv.browser == {
        "frontend/app/widget.tsx": "a 'use client' module of a Next.js app",
        "frontend/components/ProductCard/ProductCard.tsx": "a React component of a Next.js app (components/, providers/, hooks/)",
        "frontend/gateways/Api.gateway.ts": "imported only by browser code (frontend/pages/index.tsx)",
        "frontend/pages/index.tsx": "a Next.js page with no server-side data fetching",
        "frontend/providers/Cart.provider.tsx": "a React component of a Next.js app (components/, providers/, hooks/)",
        "frontend/utils/Request.ts": "imported only by browser code (frontend/gateways/Api.gateway.ts)",
    }
    calls = sorted((f.file, f.service) for f in scan(tmp_path, jobs=1).facts if f.kind == "http_call")
    assert calls == [
        ("frontend/app/widget.tsx", None),
        ("frontend/components/ProductCard/ProductCard.tsx", None),
        ("frontend/pages/api/cart.ts", "frontend"),
        ("frontend/pages/ssr.tsx", "frontend"),
        ("frontend/utils/Request.ts", None),
    ]


def test_an_angular_apps_files_are_browser_code_unless_it_renders_on_the_server(tmp_path):
    write(
        tmp_path,
        {
            "Web/WebSPA/WebSPA.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
            "Web/WebSPA/Client/package.json": '{"name": "spa", "dependencies": {"@angular/core": "15.0.0"}}\n',
            "Web/WebSPA/Client/src/app/data.service.ts": "export class DataService { get(url: string) { return fetch(url); } }\n",
            "ssr/package.json": '{"name": "ssr", "dependencies": {"@angular/core": "17.0.0", "@angular/ssr": "17.0.0"}}\n',
            "ssr/src/server.ts": "export const x = 1;\n",
        },
    )
    assert inventory(tmp_path, Config()).browser == {
        "Web/WebSPA/Client/src/app/data.service.ts": "an Angular app (Web/WebSPA/Client/package.json): it runs in the browser"
    }


def test_a_browser_test_project_is_a_test_and_dynamodb_local_is_infrastructure(tmp_path):
    """D28 (AWS Retail Store): a package.json built around a browser test runner with no runtime
    dependencies is a test project; amazon/dynamodb-local is a stock store image."""
    write(
        tmp_path,
        {
            "src/e2e/package.json": '{"devDependencies": {"cypress": "^13"}, "scripts": {"test": "cypress run"}}\n',
            "src/e2e/cypress/e2e/home.cy.js": "cy.visit('http://ui:8080/');\n",
            "src/ui/package.json": '{"name": "ui", "dependencies": {"express": "4"}, "devDependencies": {"cypress": "^13"}}\n',
            "src/ui/index.js": "x = 1;\n",
            "compose.yaml": 'services:\n  ui: {build: ./src/ui}\n  carts-db: {image: "amazon/dynamodb-local:1.20.0"}\n',
        },
    )
    roles = _roles(tmp_path)
    assert roles["src/e2e"] == (None, "test", "a test project (package.json: cypress and no runtime dependencies)")
    assert roles["src/ui"][:2] == ("ui", "service")  # a runtime dependency: a service that also has browser tests
    assert roles["compose.yaml#carts-db"][:2] == (None, "infrastructure")


def test_a_package_json_of_the_wrong_shape_is_no_app_and_stops_nothing(tmp_path):
    """``dependencies`` as a list (or not JSON at all) once raised TypeError in the browser-code pass."""
    write(
        tmp_path,
        {
            "web/package.json": '{"dependencies": ["next", "@angular/core"], "devDependencies": "cypress"}\n',
            "web/index.js": "x = 1;\n",
            "broken/package.json": "{not json\n",
            "broken/index.js": "x = 1;\n",
        },
    )
    inv = inventory(tmp_path, Config())
    assert inv.browser == {}
    assert _roles(tmp_path)["web"][1] == "service"
