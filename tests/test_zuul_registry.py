"""Zuul's routes from the Eureka registry (docs/evaluation.md D66): a service declaring
`@EnableZuulProxy` with a Eureka client routes `/<id>/**` to every service registered under a
`spring.application.name`, unless `zuul.ignoredServices` says otherwise or a configured route
already names the id; a service that does not register, or a proxy without a Eureka client, gets
none."""

from __future__ import annotations

from extractor.environment import build_address_book
from extractor.facts import Service

from .checks.helpers import write

ZONE = "eureka.client.serviceUrl.defaultZone=http://eureka:8761/eureka/\n"
PROXY = "package demo;\n\n@SpringBootApplication\n@EnableZuulProxy\npublic class ZuulApplication {}\n"


def _routes(tmp_path, files: dict[str, str], services: list[Service]) -> set[tuple]:
    write(tmp_path, files)
    book = build_address_book(tmp_path, services, sorted(f for f in files if not f.endswith(".java")))
    return {(r.service, r.file, r.line, r.match, r.url, r.timeout_ms, r.timeout_source, r.breaker is not None) for r in book.routes}


def test_registry_routes_of_a_zuul_proxy_with_a_eureka_client(tmp_path):
    files = {
        "zuul/src/main/java/demo/ZuulApplication.java": PROXY,
        "zuul/src/main/resources/application.properties": "spring.application.name=zuul\n"
        + ZONE
        + "zuul.ignoredServices=audit\norders.ribbon.ReadTimeout=3000\n",
        "zuul/src/main/resources/application.yml": "zuul:\n  routes:\n    billing:\n      path: /pay/**\n      serviceId: billing\n",
        "orders/src/main/resources/application.properties": "spring.application.name=orders\n" + ZONE,
        "billing/src/main/resources/application.properties": "spring.application.name=billing\n" + ZONE,
        "audit/src/main/resources/application.properties": "spring.application.name=audit\n" + ZONE,
        "batch/src/main/resources/application.properties": "spring.application.name=batch\n" + ZONE + "eureka.client.registerWithEureka=false\n",
        "plain/src/main/java/demo/Plain.java": PROXY,  # annotated, but no Eureka client: no registry
    }
    services = [Service(n, n) for n in ("zuul", "orders", "billing", "audit", "batch", "plain")]
    assert _routes(tmp_path, files, services) == {
        ("zuul", "zuul/src/main/resources/application.yml", 3, "/pay/**", "lb://billing", 1000.0, "library_default", True),  # configured
        ("zuul", "zuul/src/main/java/demo/ZuulApplication.java", 4, "/orders/**", "lb://orders", 3000.0, "config", True),  # from the registry
    }


def test_no_registry_routes_when_every_service_is_ignored(tmp_path):
    files = {
        "zuul/src/main/java/demo/ZuulApplication.java": PROXY,
        "zuul/src/main/resources/application.properties": "spring.application.name=zuul\n" + ZONE + "zuul.ignored-services=*\n",
        "orders/src/main/resources/application.properties": "spring.application.name=orders\n" + ZONE,
    }
    assert _routes(tmp_path, files, [Service("zuul", "zuul"), Service("orders", "orders")]) == set()


def test_the_annotation_is_not_read_through_a_file_linking_out_of_the_scan_root(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"demo/ZuulApplication.java": PROXY})
    root = tmp_path / "repo"
    files = {
        "zuul/src/main/resources/application.properties": "spring.application.name=zuul\n" + ZONE,
        "orders/src/main/resources/application.properties": "spring.application.name=orders\n" + ZONE,
    }
    write(root, files)
    (root / "zuul/src/main/java/linked").mkdir(parents=True)
    (root / "zuul/src/main/java/linked/ZuulApplication.java").symlink_to(outside / "demo/ZuulApplication.java")
    services = [Service("zuul", "zuul"), Service("orders", "orders")]
    assert _routes(root, files, services) == set()
    (root / "zuul/src/main/java/ZuulApplication.java").write_text(PROXY)  # the same file inside: routes
    assert {(r[0], r[3]) for r in _routes(root, files, services)} == {("zuul", "/orders/**")}
