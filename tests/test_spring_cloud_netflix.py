"""Spring Cloud Netflix readers of extractor/environment/: the files a Config Server serves
(attributed to the service of their name), Zuul routes with their Hystrix and Ribbon settings, and
Ribbon's defaults when the build puts it on the classpath."""

from __future__ import annotations

from extractor import yamlio
from extractor.environment import build_address_book, spring, zuul
from extractor.environment.svcconfig import LIBRARY_DEFAULT_PREFIX, canonical
from extractor.facts import Service

from .checks.helpers import write

SERVER = """spring:
  profiles:
    active: native
  cloud:
    config:
      server:
        native:
          search-locations: classpath:/shared
hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds: 999
"""
SHARED = """hystrix:
  command:
    default:
      execution:
        isolation:
          thread:
            timeoutInMilliseconds: 10000
"""
GATEWAY_SERVED = """hystrix:
  command:
    default:
      execution:
        isolation:
          thread:
            timeoutInMilliseconds: 20000
ribbon:
  ReadTimeout: 20000
  ConnectTimeout: 20000
zuul:
  host:
    socket-timeout-millis: 15000
  routes:
    auth:
      path: /uaa/**
      url: http://auth:5000
    accounts:
      path: /accounts/**
      serviceId: accounts
    notifications: /notifications/**
"""
CLIENT_BOOTSTRAP = "spring:\n  application:\n    name: {name}\n  cloud:\n    config:\n      uri: http://config:8888\n"


def _repo(tmp_path):
    files = {
        "config/pom.xml": "<project><artifactId>config</artifactId></project>",
        "config/src/main/resources/application.yml": SERVER,
        "config/src/main/resources/shared/application.yml": SHARED,
        "config/src/main/resources/shared/gateway.yml": GATEWAY_SERVED,
        "config/src/main/resources/shared/accounts.yml": "feign:\n  hystrix:\n    enabled: true\n",
        "gw/pom.xml": "<project><artifactId>gw</artifactId></project>",
        "gw/src/main/resources/bootstrap.yml": CLIENT_BOOTSTRAP.format(name="gateway"),
        "accounts/pom.xml": "<project><artifactId>accounts</artifactId></project>",
        "accounts/src/main/resources/bootstrap.yml": CLIENT_BOOTSTRAP.format(name="accounts"),
        "accounts/src/main/resources/application.yml": "feign:\n  hystrix:\n    enabled: false\nlocal: 1\n",
        "loner/pom.xml": "<project><artifactId>loner</artifactId></project>",
        "loner/src/main/resources/application.yml": "spring:\n  application:\n    name: loner\n",
    }
    write(tmp_path, files)
    services = [Service(n, n) for n in ("config", "gw", "accounts", "loner")] + [Service("auth", "auth"), Service("notifications", "notifications")]
    write(tmp_path, {f"{name}/pom.xml": "<project/>" for name in ("auth", "notifications")})
    return build_address_book(tmp_path, services, sorted(files))


def test_config_server_files_belong_to_the_service_of_their_name(tmp_path):
    book = _repo(tmp_path)
    gw = book.canonical_env("gw")
    # the served file of its name first, then the shared application.yml: 20 s, not 10 s
    assert gw[canonical("hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds")] == "20000"
    assert book.env_sources[("gw", "ribbon.ReadTimeout")] == "config/src/main/resources/shared/gateway.yml"
    accounts = book.canonical_env("accounts")
    # served values override the client's own files, as Spring Cloud Config does; its own keys stay
    assert accounts[canonical("feign.hystrix.enabled")] == "true" and accounts["local"] == "1"
    assert accounts[canonical("hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds")] == "10000"
    # not the server's own configuration, and not a service that is no client of it
    assert book.canonical_env("config")[canonical("hystrix.command.default.execution.isolation.thread.timeoutInMilliseconds")] == "999"
    assert canonical("ribbon.ReadTimeout") not in book.canonical_env("config")
    assert canonical("feign.hystrix.enabled") not in book.canonical_env("loner")


def test_zuul_routes_of_a_served_file_are_the_gateways(tmp_path):
    book = _repo(tmp_path)
    routes = sorted(book.routes, key=lambda r: r.line)
    got = [(r.service, r.proxy, r.line, r.route, r.match, r.url, r.timeout_ms, r.timeout_source, r.connect_timeout_ms) for r in routes]
    assert got == [
        ("gw", "zuul", 15, "auth", "/uaa/**", "http://auth:5000", 15000.0, "config", 2000.0),
        ("gw", "zuul", 18, "accounts", "/accounts/**", "lb://accounts", 20000.0, "config", 20000.0),
        ("gw", "zuul", 21, "notifications", "/notifications/**", "lb://notifications", 20000.0, "config", 20000.0),
    ]
    assert routes[0].breaker is None
    breaker = routes[1].breaker
    assert breaker is not None
    assert (breaker.mechanism, breaker.name, breaker.failure_ratio, breaker.minimum_throughput, breaker.recovery_timeout_ms) == (
        "hystrix",
        "accounts",
        0.5,
        20,
        5000.0,
    )


def test_zuul_defaults_the_smaller_hystrix_timeout_and_a_disabled_breaker():
    text = """zuul:
  prefix: /api
  routes:
    risk:
      serviceId: risk-service
    plain:
      url: http://plain:80
hystrix.command.risk-service.execution.isolation.thread.timeoutInMilliseconds: 700
hystrix.command.risk-service.circuitBreaker.enabled: false
"""
    doc = yamlio.load_text(text, "application.yml")[0]
    risk, plain = zuul.routes_of("application.yml", doc, {})
    assert (risk.match, risk.url, risk.timeout_ms, risk.timeout_source, risk.connect_timeout_ms, risk.breaker) == (
        "/api/risk/**",
        "lb://risk-service",
        700.0,
        "config",
        1000.0,
        None,
    )
    assert (plain.match, plain.timeout_ms, plain.timeout_source, plain.connect_timeout_ms) == ("/api/plain/**", 10000.0, "library_default", 2000.0)
    # nothing set: Ribbon's 1 s read timeout, Hystrix's breaker with its defaults
    (bare,) = zuul.routes_of("application.yml", yamlio.load_text("zuul:\n  routes:\n    orders: /orders/**\n", "application.yml")[0], {})
    assert (bare.url, bare.timeout_ms, bare.timeout_source, bare.timeout_expr) == (
        "lb://orders",
        1000.0,
        "library_default",
        "Ribbon's default ReadTimeout (1 s)",
    )
    assert bare.breaker is not None and bare.breaker.minimum_throughput == 20


def test_ribbon_defaults_only_when_the_build_puts_ribbon_on_the_classpath(tmp_path):
    parent = "<project><parent><artifactId>spring-boot-starter-parent</artifactId><version>{v}</version><relativePath/></parent></project>"
    child = "<project><parent><artifactId>root</artifactId></parent><dependencies><dependency><artifactId>spring-cloud-starter-netflix-eureka-client</artifactId></dependency></dependencies></project>"
    write(
        tmp_path,
        {
            "old/pom.xml": parent.format(v="2.0.3.RELEASE"),
            "old/a/pom.xml": child,  # the Boot version comes from the parent (../pom.xml)
            "new/pom.xml": parent.format(v="2.7.18"),
            "new/b/pom.xml": child,
            "plain/pom.xml": "<project><artifactId>plain</artifactId></project>",
        },
    )
    book = build_address_book(tmp_path, [Service("a", "old/a"), Service("b", "new/b"), Service("plain", "plain")], [])
    key = LIBRARY_DEFAULT_PREFIX + "ribbon.ReadTimeout"
    assert book.env_by_service["a"][key] == "1000" and book.env_sources[("a", key)] == "old/a/pom.xml"
    assert key not in book.env_by_service.get("b", {}) and key not in book.env_by_service.get("plain", {})
    assert spring._ribbon_on_classpath("<spring-cloud.version>Hoxton.SR12</spring-cloud.version> spring-cloud-starter-netflix-eureka-client")
    assert not spring._ribbon_on_classpath("<spring-cloud.version>2021.0.8</spring-cloud.version> spring-cloud-starter-netflix-eureka-client")
