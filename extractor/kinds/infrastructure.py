"""``infrastructure``: a service's dependency on a config server, a service registry, an auth
authority or a telemetry backend, with its address resolved like a call's URL. Configuration that
names one without code (``spring.cloud.config.uri``, ``eureka.client.service-url.default-zone``,
``OTEL_EXPORTER_OTLP_ENDPOINT``) makes the fact from the file (``datastore.config_facts``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..environment.stores import INFRA_KINDS
from .base import Kind, LinkContext, fields, raws
from .convert import put_known, text_or_none
from .datastore import ADDRESS_FIELDS, ADDRESS_RAW, address_text, located

if TYPE_CHECKING:
    from ..catalog import Rule

FIELDS = (
    fields(
        """
    library  string?  req  The client library (the rule's `library`), or the configuration that names the dependency (spring-boot, opentelemetry).
    infra    -        req  What the service depends on: config_server, registry, auth (an OAuth2/OIDC authority), telemetry (a tracing or metrics backend).
    system   string?  req  The system: spring-cloud-config, eureka, consul, oidc, otlp, zipkin, jaeger, ...
    """,
        infra={"enum": [*INFRA_KINDS, None]},
    )
    + ADDRESS_FIELDS
)

RAW = (
    raws(
        """
    infra   -  config_server, registry, auth, telemetry (a constant).
    system  -  The system (a constant: eureka, consul, oidc, otlp, zipkin, jaeger, ...).
    """
    )
    + ADDRESS_RAW
)


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    addr, text, target, key = located(raw, ctx)
    infra = text_or_none(raw.get("infra"))
    out: dict[str, Any] = {
        "library": rule.library or None,
        "infra": infra if infra in INFRA_KINDS else None,
        "system": text_or_none(raw.get("system")),
        "address": address_text(addr, text),
        "target": target.to_json(),
    }
    put_known(out, config_key=key, function=text_or_none(raw.get("function")))
    return out


KIND = Kind(
    "infrastructure",
    FIELDS,
    RAW,
    finalize,
    "A service's dependency on a config server, a service registry, an auth authority or a telemetry backend, with its address resolved like a URL.",
    rule_page=("infra", "system", "address", "target"),
)
