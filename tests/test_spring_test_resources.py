"""A Spring service's configuration is what its packaged build holds: `src/main/resources`, not the
test resources of `src/test/resources`, whose values (`catalog.service.host=localhost` for a test
profile) would hide an `@Value("${catalog.service.host:catalog}")` default (docs/evaluation.md D65)."""

from __future__ import annotations

from extractor.environment import build_address_book
from extractor.facts import Service

from .checks.helpers import write


def test_test_resources_are_not_the_service_configuration(tmp_path):
    files = {
        "order/src/main/resources/application.properties": "spring.application.name=order\nribbon.eureka.enabled=true\n",
        "order/src/test/resources/application-test.properties": "catalog.service.host=localhost\nribbon.eureka.enabled=false\n",
        "order/src/test/resources/application.properties": "customer.service.host=localhost\n",
    }
    write(tmp_path, files)
    book = build_address_book(tmp_path, [Service("order", "order")], sorted(files))
    env = book.env_by_service["order"]
    assert {k: v for k, v in env.items() if not k.startswith("$")} == {"spring.application.name": "order", "ribbon.eureka.enabled": "true"}
