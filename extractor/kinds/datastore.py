"""``datastore``: a service's client of a database, cache or search store, with the store it addresses.

The address is resolved like a call's URL (literals, constants, configuration placeholders, the
deployment's environment, defaults in code) and read with ``environment.stores.parse_address``: a
connection URL, a key/value connection string, a driver's DSN or ``host:port`` gives the engine, the
host and port (never credentials) and the database. A store named by configuration alone (Spring
Boot's ``spring.datasource.url``, .NET's ``ConnectionStrings``) is a fact made from the file
(``config_facts``: rule ``config.spring-boot``, ``config.dotnet-configuration``, ``config.opentelemetry``),
not by a rule of ``rules/``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..environment.stores import DRIVERS, ENGINES, INFRA_KINDS, Address, ConfigStore, config_stores, parse_address
from ..facts import Fact, assign_ids
from ..targets import Target, resolve_target
from ..values import Env, Named, Seq, strip, walk
from .base import Kind, LinkContext, fields, raws
from .convert import put_known, text_or_none
from .messages import resolved_text, vocabulary

if TYPE_CHECKING:
    from ..catalog import Rule
    from ..environment.book import AddressBook

ROLES = ("primary", "replica")

ADDRESS_FIELDS = fields(
    """
    address     string?  req  The address as far as statically known: host[:port] (never credentials), or {expr} when not known.
    target      target   req  The host and port the address names, how it was found, and the service of this repository it names, if any.
    config_key  string?  -    The configuration key or environment variable the address is read from.
    function    string?  -    The function building the client.
    """
)
"""The fields a ``datastore`` and an ``infrastructure`` fact share."""

FIELDS = (
    fields(
        """
    library   string?  req  The client library (the rule's `library`), or the configuration that names the store (spring-boot, dotnet-configuration).
    engine    -        req  The store's engine, when the rule, the URL scheme, the driver or the connection string says.
    database  -        req  The database, keyspace or index the client addresses (a Redis database: its number), when known.
    role      -        -    primary or replica, when the code or configuration says (a replica-like name, a read-only session); absent when not known.
    """,
        engine={"enum": [*ENGINES, None]},
        database={"type": ["string", "integer", "null"]},
        role={"enum": list(ROLES)},
    )
    + ADDRESS_FIELDS
)

ADDRESS_RAW = raws(
    """
    url       -  A connection URL, DSN, connection string or `host:port` (a list: its first item) → engine, address, database.
    host      -  The host, when given apart from the port.
    port      -  The port, when given apart.
    function  -  The function building the client (`{function}`).
    """
)

RAW = (
    raws(
        """
    engine    -  The engine: a constant, or the library's word read through the rule's `options: {engines: {word: engine}}` (`UseNpgsql` → postgres); else the URL's scheme, the driver or the connection string's keywords say.
    driver    -  A SQL driver name (`pgx`, `mysql`, `sqlserver`, `sqlite3`) → engine.
    database  -  The database when given apart (the connection string's own wins: an Aspire connection name stands for the database only without one).
    role      -  `primary` or `replica` (a constant); else a replica-like name of the address, its variable or key.
    """
    )
    + ADDRESS_RAW
)

_PRIMARY_NAME = re.compile(r"(?i)(?<![a-z])(?:primary|master|writer|rw)(?![a-z])")


def located(raw: dict[str, Any], ctx: LinkContext) -> tuple[Address, str | None, Target, str | None]:
    """The address of a client: what its text says, the text (``{expr}`` parts when unknown), the
    target and the configuration key or variable it comes from."""
    url_v = raw.get("url")
    if isinstance(items := strip(url_v), Seq):  # several hosts (a cluster): the first names it
        url_v = items.items[0] if items.items else None
    host_v = raw.get("host")
    text = resolved_text(url_v, ctx) if url_v is not None else None
    addr = parse_address(text)
    if host_v is not None and addr.host is None:  # a URL's host wins over a host given apart (a default)
        host_text = resolved_text(host_v, ctx)
        port_text = resolved_text(raw["port"], ctx) if raw.get("port") is not None else None
        given = parse_address(host_text) if host_text and not host_text.startswith("{") else Address()
        port = int(port_text) if port_text and port_text.isdigit() else given.port
        addr = replace(addr, host=given.host, port=port)
        text = text or host_text
    elif raw.get("port") is not None and addr.port is None:
        port_text = resolved_text(raw["port"], ctx)
        addr = replace(addr, port=int(port_text) if port_text and port_text.isdigit() else None)
    target = resolve_target(ctx.book, ctx.service, url_v if url_v is not None else host_v)
    if addr.host is not None and target.host != addr.host:
        via = target.via if target.via != "unknown" else "url_literal"
        target = Target(ctx.book.service_for_host(addr.host), addr.host, addr.port, via, target.expr)
    return addr, text, target, _key(url_v if url_v is not None else host_v)


def _key(v: Any) -> str | None:
    """The configuration key (``${spring.data.redis.host}``) or environment variable a value is read from."""
    if v is None:
        return None
    for x in walk(v):
        if isinstance(x, Named) and x.name.startswith("${"):
            return x.name[2:-1]
        if isinstance(x, Env):
            return x.var
    return None


def address_text(addr: Address, text: str | None) -> str | None:
    """``host:port`` when known, else the text when it is an unknown expression."""
    if addr.hostport is not None:
        return addr.hostport
    return text if text and text.startswith("{") else None


def role_of(given: str | None, addr: Address, names: list[str | None]) -> str | None:
    from ..replicas import REPLICA_NAME  # replicas imports the kinds package

    if given in ROLES:
        return given
    if addr.replica or any(n and REPLICA_NAME.search(n) for n in names):
        return "replica"
    if any(n and _PRIMARY_NAME.search(n) for n in names):
        return "primary"
    return None


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    addr, text, target, key = located(raw, ctx)
    engine = vocabulary(raw, "engine", rule, ENGINES)  # a constant, or the library's word through options: engines:
    if engine is None and raw.get("driver") is not None:
        engine = DRIVERS.get((text_or_none(raw["driver"]) or "").lower())
    engine = engine or addr.engine
    name = addr.database or (text_or_none(raw.get("database")) if raw.get("database") is not None else None)  # the connection string's over a name
    database: str | int | None = int(name) if engine == "redis" and name is not None and name.isdigit() else name  # a Redis database's number
    out: dict[str, Any] = {
        "library": rule.library or None,
        "engine": engine if engine in ENGINES else None,
        "database": database,
        "address": address_text(addr, text),
        "target": target.to_json(),
    }
    put_known(
        out,
        role=role_of(text_or_none(raw.get("role")), addr, [key, addr.host]),
        config_key=key,
        function=text_or_none(raw.get("function")),
    )
    return out


KIND = Kind(
    "datastore",
    FIELDS,
    RAW,
    finalize,
    "A service's client of a database, cache or search store: the engine, the address and database it connects to (resolved like a URL), and whether it is a replica.",
    rule_page=("engine", "address", "database", "role", "target"),
)


def config_facts(root: Path, book: AddressBook) -> list[Fact]:
    """The stores and infrastructure the services' configuration names (``environment.stores``), as
    ``datastore`` / ``infrastructure`` facts of rule ``config.LIBRARY`` at the key's ``file:line``."""
    facts = [_config_fact(s, book) for s in config_stores(root, book) if s.file]
    assign_ids(facts)
    return facts


def _config_fact(s: ConfigStore, book: AddressBook) -> Fact:
    addr = s.address
    via = "config_file" if not re.fullmatch(r"[A-Z0-9_]+", s.key) and "__" not in s.key else "deploy_env"
    target = Target(book.service_for_host(addr.host) if addr.host else None, addr.host, addr.port, via if addr.host else "unknown", s.key)
    out: dict[str, Any] = {"library": s.library}
    if s.kind == "datastore":
        out.update({"engine": s.what if s.what in ENGINES else None, "database": addr.database})
    else:
        out.update({"infra": s.what if s.what in INFRA_KINDS else None, "system": s.system})
    out.update({"address": address_text(addr, s.text if s.text.startswith("{") else None), "target": target.to_json(), "config_key": s.key})
    if s.kind == "datastore":
        put_known(out, role=role_of(None, addr, [s.key, addr.host]))
    return Fact(s.kind, f"config.{s.library}", s.file, s.line or 1, 1, "high", out, s.service, anchor=f"{s.key} {s.text}")


__all__ = ["ADDRESS_FIELDS", "ADDRESS_RAW", "KIND", "address_text", "config_facts", "located", "parse_address"]
