"""The gateway and reverse-proxy readers of extractor/environment/ on their own fixtures
(fixtures/proxies/): each route's match, upstream, timeout, retries and breaker, exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor import yamlio
from extractor.environment import appsettings, envoy, nginx, spring_gateway, yarp
from extractor.environment.routes import duration_ms, timespan_ms

from .checks.helpers import write

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "proxies"


def _summary(routes):
    return [(r.line, r.route, r.match, r.url, r.upstream, r.timeout_ms, r.timeout_source, r.timeout_scope, r.per_try_timeout_ms) for r in routes]


def test_yarp_routes_and_json_comments():
    text = (FIXTURES / "yarp" / "appsettings.json").read_text()
    doc = appsettings.load_config_json(text)
    routes = yarp.routes_of("yarp/appsettings.json", text, doc)
    assert _summary(routes) == [
        (6, "catalog-route", "/api/catalog/{**catch-all}", "http://catalog-api:8080/", "catalog", 15000.0, "config", None, None),
        (11, "basket-route", "/api/basket/{**catch-all}", "http://basket-api/", "basket", 100000.0, "library_default", None, None),
    ]
    assert [r.method for r in routes] == ["GET", None]
    assert all(r.retry is None and r.breaker is None for r in routes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": "x // not a comment", // comment\n "b": 1}', {"a": "x // not a comment", "b": 1}),
        ('{"a": [1, 2, /* c */ ], "b": {"c": "/* kept */",},}', {"a": [1, 2], "b": {"c": "/* kept */"}}),
        ('{"a": "quote \\" // still a string"}', {"a": 'quote " // still a string'}),
    ],
)
def test_appsettings_comments_and_trailing_commas(text, expected):
    assert appsettings.load_config_json(text) == expected


def test_appsettings_with_comments_reach_the_address_book(tmp_path):
    from extractor.environment import build_address_book
    from extractor.facts import Service

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "appsettings.json").write_text('{\n  // where risk lives\n  "Services": { "Risk": "http://risk:8080" },\n}\n')
    book = build_address_book(tmp_path, [Service("web", "web"), Service("risk", "risk")], ["web/appsettings.json"])
    assert book.env_value("web", "Services:Risk") == "http://risk:8080"
    assert book.diagnostics == []


def test_configuration_files_over_the_size_limit_are_not_read(tmp_path, monkeypatch):
    """Every environment reader checks the size first: a huge file named like configuration is refused, the rest read."""
    from extractor import safeio
    from extractor.environment import build_address_book
    from extractor.facts import Service

    monkeypatch.setattr(safeio, "MAX_TEXT_BYTES", 200)
    pad = " " * 300
    files = {
        "web/appsettings.json": '{"Services": {"Risk": "http://risk:8080"}}' + pad,
        "web/appsettings.Development.json": '{"Services": {"Fraud": "http://fraud:8080"}}',
        "web/.env": "A=1\n#" + pad,
        "api/src/main/resources/application.yml": "risk:\n  url: http://risk:1\n#" + pad,
        "edge/nginx.conf": "events {}\nhttp { server { location / { proxy_pass http://risk; } } }\n#" + pad,
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    book = build_address_book(tmp_path, [Service("web", "web"), Service("api", "api"), Service("edge", "edge"), Service("risk", "risk")], sorted(files))
    assert book.env_value("web", "Services:Fraud") == "http://fraud:8080"  # the small file is read
    assert book.env_value("web", "Services:Risk") is None
    assert book.env_value("web", "A") is None
    assert book.env_value("api", "risk.url") is None
    assert book.routes == []
    assert [(d.file, d.kind, d.message) for d in book.diagnostics] == [
        ("web/appsettings.json", "config_error", "not read: too large (342 bytes; the limit is 200)")
    ]


def test_envoy_routes():
    doc = yamlio.load_file(FIXTURES / "envoy" / "envoy.yaml")[0]
    routes = envoy.routes_of("envoy/envoy.yaml", doc)
    assert _summary(routes) == [
        (17, "orders", "/orders", "http://orders:9000", "orders_cluster", 2000.0, "config", "call", 500.0),
        (26, None, "/users", "http://users:9001", "users_cluster", 15000.0, "library_default", "call", None),
    ]
    retry = routes[0].retry
    assert retry is not None
    assert (retry.attempts, retry.backoff, retry.max_delay_ms, retry.retry_on, retry.scope, retry.line) == (
        4,
        "exponential_jitter",
        250.0,
        ("5xx", "reset"),
        "client",
        22,
    )
    assert routes[1].retry is None


def test_nginx_routes():
    routes = nginx.routes_of_file(FIXTURES / "nginx" / "nginx.conf", "nginx/nginx.conf")
    assert _summary(routes) == [
        (13, "= /one", "/one", "http://users:9001/", None, 30000.0, "config", None, None),
        (17, "/pool", "/pool", "http://a:80", "pool", 30000.0, "config", None, None),
        (23, "~ ^/tries", "^/tries", "http://a:80", "pool", 500.0, "config", None, None),
        (26, "/dyn", "/dyn", "http://$backend", None, 30000.0, "config", None, None),
    ]
    assert [r.connect_timeout_ms for r in routes] == [60000.0] * 4  # nginx's default
    assert routes[0].retry is None  # one host: one try
    assert routes[1].retry is None  # proxy_next_upstream off
    tries = routes[2].retry
    assert tries is not None
    assert (tries.attempts, tries.retry_on, tries.line) == (
        2,
        ("error", "timeout"),
        21,
    )  # 5 tries allowed, 2 servers (the backup and the down one are not counted)


GATEWAY = """
spring:
  cloud:
    gateway:
      server:
        webflux:
          routes:
            - id: risk
              uri: lb://risk
              predicates:
                - Path=/risk/**,/score/**
              filters:
                - Retry=5
                - CircuitBreaker=riskCB
            - id: plain
              uri: http://plain:80
              predicates:
                - name: Path
                  args:
                    patterns: /plain/**
              metadata:
                response-timeout: -1
"""


def test_spring_gateway_shortcuts_and_retry_outside_the_breaker():
    doc = yamlio.load_text(GATEWAY, "application.yml")[0]
    routes = spring_gateway.routes_of("application.yml", doc, {})
    assert _summary(routes) == [
        (8, "risk", "/risk/**,/score/**", "lb://risk", None, 1000.0, "library_default", None, None),
        (15, "plain", "/plain/**", "http://plain:80", None, None, "none", None, None),
    ]
    retry, breaker = routes[0].retry, routes[0].breaker
    assert retry is not None and breaker is not None
    # Retry runs outside the breaker: each attempt is bounded by the time limiter (Resilience4j's 1 s default)
    assert (retry.attempts, retry.scope, retry.backoff, retry.retry_on, retry.line) == (
        6,
        "route",
        "none",
        ("series:SERVER_ERROR", "java.io.IOException", "java.util.concurrent.TimeoutException", "method:GET"),
        13,
    )
    assert (breaker.name, breaker.failure_ratio, breaker.minimum_throughput, breaker.recovery_timeout_ms, breaker.line) == ("riskCB", 0.5, 100, 60000.0, 14)
    assert routes[1].retry is None and routes[1].breaker is None


def test_durations():
    assert timespan_ms("00:01:40") == 100_000.0
    assert timespan_ms("1.00:00:00.5") == 86_400_500.0
    assert timespan_ms("5s") is None
    assert duration_ms("5s") == 5000.0
    assert duration_ms("PT0.5S") == 500.0
    assert duration_ms(30, 1000.0) == 30_000.0
    assert duration_ms("30", 1000.0) == 30_000.0
    assert duration_ms(True) is None
    # no float holds it, or negative: no duration (a 400-digit response-timeout stopped the scan)
    assert duration_ms("9" * 400) is None and duration_ms(10**400, 1000.0) is None and duration_ms(-5) is None
    assert timespan_ms("9" * 400 + ".00:00:00") is None


def test_a_route_timeout_no_float_holds_is_no_timeout_and_the_scan_goes_on(tmp_path):
    (tmp_path / "application.properties").write_text(PROPERTIES.replace("response-timeout=800", "response-timeout=" + "9" * 400))
    routes = spring_gateway.routes_in(tmp_path, "application.properties", {})
    assert [(r.route, r.timeout_ms) for r in routes] == [("orders", None), ("catalog", None)]


def test_spring_gateway_shortcut_with_named_arguments():
    text = "spring:\n  cloud:\n    gateway:\n      routes:\n        - id: genai\n          uri: lb://genai\n          filters:\n            - CircuitBreaker=name=genaiCB,fallbackUri=/fallback\n"
    doc = yamlio.load_text(text, "application.yml")[0]
    (route,) = spring_gateway.routes_of("application.yml", doc, {"resilience4j.timelimiter.instances.genaicb.timeoutduration": "2s"})
    assert route.breaker is not None and (route.breaker.name, route.breaker.fallback) == ("genaiCB", "/fallback")
    assert (route.timeout_ms, route.timeout_source, route.timeout_expr) == (2000.0, "config", "CircuitBreaker time limiter")


PROPERTIES = """# the same routes as properties
spring.application.name=gateway
spring.cloud.gateway.routes[0].id=orders
spring.cloud.gateway.routes[0].uri=lb://orders
spring.cloud.gateway.routes[0].predicates[0]=Path=/api/orders/**
spring.cloud.gateway.routes[0].filters[0]=Retry=2
spring.cloud.gateway.routes[0].metadata.response-timeout=800
spring.cloud.gateway.routes[1].id=catalog
spring.cloud.gateway.routes[1].uri=http://catalog:8080
"""


def test_spring_gateway_routes_in_properties(tmp_path):
    (tmp_path / "application.properties").write_text(PROPERTIES)
    routes = spring_gateway.routes_in(tmp_path, "application.properties", {})
    assert _summary(routes) == [
        (3, "orders", "/api/orders/**", "lb://orders", None, 800.0, "config", None, None),
        (8, "catalog", None, "http://catalog:8080", None, None, "none", None, None),
    ]
    assert routes[0].retry is not None and (routes[0].retry.attempts, routes[0].retry.line) == (3, 6)


def test_an_nginx_template_address_resolves_through_the_proxys_environment(tmp_path):
    from extractor.scan import scan

    write(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  web:\n    build: ./nginx\n    environment:\n      API_HOST: api\n  api:\n    build: ./api\n",
            "nginx/Dockerfile": "FROM nginx:1.27\nCOPY templates /etc/nginx/templates\n",
            "nginx/templates/default.conf.template": "server {\n    location /api/ {\n        proxy_pass http://${API_HOST}:8000;\n    }\n}\n",
            "api/pyproject.toml": '[project]\nname = "api"\n',
            "api/api/app.py": "x = 1\n",
        },
    )
    (route,) = [f for f in scan(tmp_path, jobs=1).facts if f.kind == "proxy_route"]
    assert (route.service, route.line, route.fields["url"], route.fields["target"]) == (
        "nginx",
        3,
        "http://${API_HOST}:8000",
        {"service": "api", "host": "api", "port": None, "via": "deploy_env", "expr": "http://{env API_HOST}:8000"},
    )


@pytest.mark.parametrize(
    "head",
    [
        "spring.cloud.gateway:\n",
        "spring:\n  cloud.gateway:\n",
        "spring.cloud:\n  gateway:\n",
        "Spring.Cloud.Gateway.Server.Webflux:\n",
    ],
)
def test_spring_gateway_routes_under_dotted_keys(head):
    """Spring binds ``a.b:`` like ``a: {b:}``: routes under a dotted key are the same routes."""
    body = "default-filters:\n  - Retry=2\nroutes:\n  - id: orders\n    uri: lb://orders\n    predicates:\n      - Path=/orders/**\n"
    indent = " " * (len(head.splitlines()[-1]) - len(head.splitlines()[-1].lstrip()) + 2)
    text = head + "".join(indent + line + "\n" for line in body.splitlines())
    doc = yamlio.load_text(text, "application.yml")[0]
    routes = spring_gateway.routes_of("application.yml", doc, {})
    assert [(r.route, r.url, r.match, r.retry.attempts if r.retry else None) for r in routes] == [("orders", "lb://orders", "/orders/**", 3)]


ASPIRE_HOST = {
    "AppHost/AppHost.csproj": '<Project Sdk="Aspire.AppHost.Sdk/9.0.0"><PropertyGroup><IsAspireHost>true</IsAspireHost></PropertyGroup></Project>\n',
    "Catalog.API/Catalog.API.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
    "Catalog.API/Program.cs": "var app = WebApplication.Create(args);\napp.Run();\n",
    "Ordering.API/Ordering.API.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"></Project>\n',
    "Ordering.API/Program.cs": "var app = WebApplication.Create(args);\napp.Run();\n",
}


@pytest.mark.parametrize("in_extension", [False, True])
def test_an_aspire_yarp_resource_is_a_proxy_with_its_routes(tmp_path, in_extension):
    """Issue 10, D5: ``AddYarp("bff").WithConfiguration(yarp => ...)``, inline or in an extension method
    of the app host project, is a proxy node with no folder; each ``AddRoute`` an edge with YARP's
    defaults (100 s, one try) to the resource its cluster or ``GetEndpoint`` names."""
    routes = (
        "    {\n        var catalogCluster = yarp.AddCluster(catalogApi);\n"
        '        yarp.AddRoute("/api/catalog/{*any}", catalogCluster);\n'
        '        yarp.AddRoute("/api/orders/{*any}", orderingApi.GetEndpoint("http"));\n    });\n'
    )
    program = (
        "var builder = DistributedApplication.CreateBuilder(args);\n"
        'var catalogApi = builder.AddProject<Projects.Catalog_API>("catalog-api");\n'
        'var orderingApi = builder.AddProject<Projects.Ordering_API>("ordering-api")\n    .WithHttpHealthCheck("/health");\n'
    )
    files = dict(ASPIRE_HOST)
    if in_extension:
        files["AppHost/Program.cs"] = program + 'builder.AddYarp("bff")\n    .WithExternalHttpEndpoints()\n    .ConfigureBffRoutes(catalogApi, orderingApi);\n'
        files["AppHost/Extensions.cs"] = (
            "public static class Extensions\n{\n"
            "    public static IResourceBuilder<YarpResource> ConfigureBffRoutes(this IResourceBuilder<YarpResource> builder,\n"
            "        IResourceBuilder<ProjectResource> catalogApi, IResourceBuilder<ProjectResource> orderingApi)\n    {\n"
            "        return builder.WithConfiguration(yarp =>\n" + routes + "    }\n}\n"
        )
        where = ("AppHost/Extensions.cs", 9, 10)
    else:
        files["AppHost/Program.cs"] = program + 'builder.AddYarp("bff").WithConfiguration(yarp =>\n' + routes
        where = ("AppHost/Program.cs", 8, 9)
    write(tmp_path, files)
    from extractor.pipeline import analyse

    analysis = analyse(tmp_path)
    folder = next(f for f in analysis.scan.inventory if f.service == "bff")
    assert (folder.root, folder.role) == ("AppHost/Program.cs#bff", "proxy")
    facts = [f for f in analysis.scan.facts if f.kind == "proxy_route"]
    assert [
        (
            f.service,
            f.file,
            f.line,
            f.fields["match"],
            f.fields["target"]["service"],
            f.fields["timeout_ms"],
            f.fields["timeout_source"],
            f.fields["retry_attempts"],
        )
        for f in facts
    ] == [
        ("bff", where[0], where[1], "/api/catalog/{*any}", "Catalog.API", 100000, "library_default", 1),
        ("bff", where[0], where[2], "/api/orders/{*any}", "Ordering.API", 100000, "library_default", 1),
    ]
    graph = analysis.graph
    assert (graph.services["bff"].role, graph.services["bff"].root) == ("proxy", None)
    assert sorted((e.caller, e.callee) for e in graph.calls) == [("bff", "Catalog.API"), ("bff", "Ordering.API")]


def test_spring_gateway_time_limiters_set_by_a_customizer_in_code():
    """D3: a Customizer<ReactiveResilience4JCircuitBreakerFactory> bean's configureDefault sets every
    breaker's time limiter, configure(..., "name") one breaker's; a limiter configured for the name
    in application.yml wins; a duration that is not a literal is not read."""
    root = FIXTURES / "spring-gateway-customizer"
    rel = "gateway/src/main/resources/application.yml"
    code = "gateway/src/main/java/demo/GatewayApplication.java"
    assert spring_gateway.code_limiters(root, rel) == {None: (10000.0, f"{code}:18"), "slowCB": (30000.0, f"{code}:26"), "visitsCB": (30000.0, f"{code}:26")}
    env = {"resilience4j.timelimiter.instances.visitscb.timeoutduration": "2s"}
    routes = spring_gateway.routes_in(root, rel, env)
    assert [(r.route, r.timeout_ms, r.timeout_source, r.timeout_expr) for r in routes] == [
        ("vets", 10000.0, "literal", f"CircuitBreaker time limiter (customizer {code}:18)"),
        ("genai", 30000.0, "literal", f"CircuitBreaker time limiter (customizer {code}:26)"),
        ("visits", 2000.0, "config", "CircuitBreaker time limiter"),
        ("customers", 10000.0, "literal", f"CircuitBreaker time limiter (customizer {code}:18)"),
    ]
    assert spring_gateway.code_limiters(root, "gateway/application.yml") == {}  # not a resources folder: no sources beside it


def test_spring_gateway_java_routes_are_the_gateways_calls():
    """D61: routes a Spring Cloud Gateway builds with RouteLocatorBuilder in Java are proxy_route facts
    of the rule java.http.spring-cloud-gateway (its fixture), the gateway's calls: the service building
    them is a proxy, and the graph draws its edge to the service a route's address names, via the route."""
    from extractor.pipeline import analyse

    analysis = analyse(Path(__file__).resolve().parent.parent / "fixtures" / "rules" / "java" / "http" / "spring-cloud-gateway")
    routes = [f for f in analysis.scan.facts if f.kind == "proxy_route"]
    assert [(r.rule, r.service, r.line, r.fields["match"], r.fields["target"]["service"]) for r in routes if r.fields["url"] == "http://orders:8080"] == [
        ("java.http.spring-cloud-gateway", "gateway", 25, "/orders/**", "orders"),
        ("java.http.spring-cloud-gateway", "gateway", 29, "/orders", "orders"),
    ]
    folder = next(f for f in analysis.scan.inventory if f.service == "gateway")
    assert folder.role == "proxy" and folder.reason.endswith("routes declared in gateway/src/main/java/demo/Routes.java")
    (edge,) = [e for e in analysis.graph.calls if (e.caller, e.callee) == ("gateway", "orders")]
    assert {(s.value, s.note) for s in edge.attributes()["via"]} == {("route", "spring-cloud-gateway")}
