"""Data stores and infrastructure a service's configuration names: the addresses of its database,
cache and search clients, config server, service registry, auth authority and telemetry exporter.

Two parts, both language-neutral:

- **addresses**: ``parse_address(text)`` reads a connection URL (``postgresql://u:p@db:5432/orders``,
  ``jdbc:mysql://db/shop``, ``mongodb+srv://...``, ``redis://cache:6379/0``), a key/value connection
  string (libpq ``host=db dbname=orders``, ADO.NET ``Server=sql;Database=shop``, Npgsql
  ``Host=pg;Database=catalog``), a Go MySQL DSN (``user:pw@tcp(db:3306)/shop``), a StackExchange.Redis
  configuration (``redis:6379,abortConnect=false``) or ``host:port`` into engine, host, port and
  database. Credentials are never kept. The ``datastore`` and ``infrastructure`` kinds read code's
  addresses with it;
- **configuration keys**: ``config_stores(book)`` finds the keys of ``CONFIG_KEYS`` in each service's
  configuration as the address book holds it (Spring ``application.yml``/``.properties``, .NET
  ``appsettings*.json``, and the deployment environment in either spelling: ``SPRING_DATASOURCE_URL``,
  ``ConnectionStrings__catalogdb``), placeholders followed, each with the ``file:line`` it is written
  at. A framework that connects by configuration alone (Spring Boot's auto-configuration, an
  OpenTelemetry SDK reading ``OTEL_EXPORTER_OTLP_ENDPOINT``) has no call in code to match.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .. import safeio
from ..values import Concat, Const, Env, Value, describe, strip
from .book import AddressBook
from .svcconfig import canonical, placeholder_value, resolve_config

ENGINES = (
    "postgres",
    "mysql",
    "sqlserver",
    "oracle",
    "sqlite",
    "mongodb",
    "redis",
    "elasticsearch",
    "cassandra",
    "dynamodb",
    "memcached",
    "couchbase",
    "neo4j",
    "cosmosdb",
)
INFRA_KINDS = ("config_server", "registry", "auth", "telemetry")

SCHEMES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pgsql": "postgres",
    "cockroachdb": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "sqlserver",
    "sqlserver": "sqlserver",
    "jtds": "sqlserver",
    "oracle": "oracle",
    "sqlite": "sqlite",
    "mongodb": "mongodb",
    "redis": "redis",
    "rediss": "redis",
    "cassandra": "cassandra",
    "memcached": "memcached",
    "couchbase": "couchbase",
    "couchbases": "couchbase",
    "neo4j": "neo4j",
    "bolt": "neo4j",
}
"""A URL scheme (its part before ``+``: ``postgresql+asyncpg``, ``mongodb+srv``) → engine."""

DRIVERS = {
    "postgres": "postgres",
    "pgx": "postgres",
    "cloudsqlpostgres": "postgres",
    "mysql": "mysql",
    "sqlserver": "sqlserver",
    "mssql": "sqlserver",
    "sqlite": "sqlite",
    "sqlite3": "sqlite",
    "oracle": "oracle",
    "godror": "oracle",
    "oci8": "oracle",
}
"""A SQL driver name (Go ``sql.Open("pgx", dsn)``) → engine."""

_KV_HOST = ("host", "server", "data source", "datasource", "address", "addr", "network address", "hostname", "endpoint", "contact points")
_KV_DB = ("dbname", "database", "initial catalog", "keyspace", "defaultdatabase")
_KV_PAIR = re.compile(r"([A-Za-z][A-Za-z _]*?)\s*=\s*('[^']*'|\"[^\"]*\"|[^;\s]*)")
_GO_MYSQL = re.compile(r"^(?:[^@/]*@)?(?:tcp|unix)\(([^)]*)\)/([^?]*)")
_HOSTPORT = re.compile(r"^([A-Za-z0-9_.\-]+)(?::(\d+))?$")


@dataclass(frozen=True, slots=True)
class Address:
    """What a connection text says: each part None when it does not say."""

    engine: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    replica: bool = False  # the text asks for a read-only/standby session (``target_session_attrs=read-only``)

    @property
    def hostport(self) -> str | None:
        if self.host is None:
            return None
        return f"{self.host}:{self.port}" if self.port is not None else self.host


def parse_address(text: str | None) -> Address:
    """Engine, host, port and database of a connection text (see the module docstring)."""
    if not text or text.startswith("{"):
        return Address()
    t = text.strip()
    if t.lower().startswith("jdbc:"):
        return _jdbc(t[5:])
    if "://" in t:
        return _url(t)
    m = _GO_MYSQL.match(t)
    if m:
        host, port = _split_hostport(m.group(1))
        return Address("mysql", host, port, m.group(2) or None)
    first = t.split(",", 1)[0].strip()  # StackExchange.Redis: host:port,option=value
    if "=" in first:
        return _key_values(t)
    m2 = _HOSTPORT.match(first)
    if m2 and "{" not in first:
        return Address(None, m2.group(1), int(m2.group(2)) if m2.group(2) else None)
    return Address()


def _split_hostport(text: str) -> tuple[str | None, int | None]:
    text = text.strip()
    m = _HOSTPORT.match(text)
    if not m:
        return None, None
    return m.group(1), int(m.group(2)) if m.group(2) else None


def _url(text: str) -> Address:
    scheme = text.split("://", 1)[0].lower()
    engine = SCHEMES.get(scheme.split("+", 1)[0].split(":", 1)[0])
    netloc = text.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    first = netloc.split(",", 1)[0]  # a replica set or cluster lists several hosts: the first names it
    host, port = _split_hostport(first) if not first.startswith("[") else (None, None)
    rest = text.split("://", 1)[1]
    path = rest.split("?", 1)[0].partition("/")[2] if "/" in rest.split("?", 1)[0] else ""
    query = parse_qs(rest.partition("?")[2]) if "?" in rest else {}
    database = path.strip("/").split("/", 1)[0] or None
    if database is None:
        database = next((v[0] for k, v in query.items() if k.lower() in ("database", "dbname", "databasename")), None)
    attrs = " ".join(v for k, vs in query.items() if k.lower() in ("target_session_attrs", "targetserverType".lower(), "readpreference") for v in vs)
    replica = bool(re.search(r"read-only|standby|secondary|replica", attrs, re.I))
    if engine is None and scheme in ("http", "https") and port == 9200:
        engine = "elasticsearch"
    try:
        urlsplit(text)
    except ValueError:
        return Address(engine)
    return Address(engine, host, port, database, replica)


def _jdbc(text: str) -> Address:
    """``postgresql://db/x``, ``sqlserver://db:1433;databaseName=x``, ``oracle:thin:@db:1521/x``."""
    sub = text.split(":", 1)[0].lower()
    engine = SCHEMES.get(sub) or DRIVERS.get(sub)
    if sub == "oracle":
        host_part = text.rpartition("@")[2].lstrip("/")
        host, _, rest = host_part.partition(":")
        port_text, _, db = rest.replace("/", ":").partition(":")
        return Address("oracle", host or None, int(port_text) if port_text.isdigit() else None, db or None)
    if "://" not in text:
        return Address(engine)
    head, _, params = text.partition(";")
    found = _url(head)
    database = found.database
    for pair in params.split(";"):
        k, _, v = pair.partition("=")
        if k.strip().lower() in ("databasename", "database") and v:
            database = v.strip()
    return Address(engine or found.engine, found.host, found.port, database, found.replica)


def _key_values(text: str) -> Address:
    pairs = {k.strip().lower(): v.strip("'\"") for k, v in _KV_PAIR.findall(text)}
    raw_host = next((pairs[k] for k in _KV_HOST if pairs.get(k)), None)
    host, port = None, None
    if raw_host:
        raw_host = re.sub(r"^tcp:", "", raw_host, flags=re.I)
        name, _, after = raw_host.partition(",")  # ADO.NET: Server=host,1433
        host, port = _split_hostport(name)
        if port is None and after.isdigit() and ";" in text:
            port = int(after)
    if port is None and pairs.get("port", "").isdigit():
        port = int(pairs["port"])
    database = next((pairs[k] for k in _KV_DB if pairs.get(k)), None)
    engine = None
    keys = set(pairs)
    if "dbname" in keys or ("host" in keys and "sslmode" in keys):
        engine = "postgres"  # libpq's keywords
    elif "initial catalog" in keys or "data source" in keys or "trustservercertificate" in keys:
        engine = "sqlserver"
    elif "host" in keys and ";" in text:
        engine = "postgres"  # Npgsql spells the host Host=
    elif "server" in keys and ";" in text:
        engine = "mysql" if keys & {"uid", "sslmode", "allowuservariables", "user"} else "sqlserver"
    elif "accountendpoint" in keys:
        engine, host = "cosmosdb", _split_hostport(urlsplit(pairs["accountendpoint"]).hostname or "")[0]
    replica = bool(re.search(r"read-?only|standby", pairs.get("target_session_attrs", "") + pairs.get("applicationintent", ""), re.I))
    return Address(engine, host, port, database, replica)


# ---------------------------------------------------------------- configuration keys
@dataclass(frozen=True, slots=True)
class ConfigKey:
    """A configuration key that names a store or an infrastructure service.

    ``pattern``: the key in Spring's dotted spelling (``*`` for one part: a connection string's
    name); ``kind``: ``datastore`` or ``infrastructure``; ``what``: the engine (``None``: from the
    value or the key's name) or the infrastructure's kind; ``system``: what the library calls it;
    ``prefix``: a value prefix to strip (``configserver:``)."""

    pattern: str
    kind: str
    what: str | None
    system: str
    library: str
    prefix: str = ""


def _keys(table: str, library: str) -> tuple[ConfigKey, ...]:
    out = []
    for line in table.strip().splitlines():
        pattern, kind, what, system, *prefix = line.split()
        out.append(ConfigKey(pattern, kind, None if what == "-" else what, system, library, prefix[0] if prefix else ""))
    return tuple(out)


CONFIG_KEYS = (
    _keys(
        """
        spring.datasource.url                              datastore       -               jdbc
        spring.datasource.*.url                            datastore       -               jdbc
        spring.datasource.*.jdbc-url                       datastore       -               jdbc
        spring.r2dbc.url                                   datastore       -               r2dbc
        spring.data.mongodb.uri                            datastore       mongodb         spring-data-mongodb
        spring.data.mongodb.host                           datastore       mongodb         spring-data-mongodb
        spring.redis.url                                   datastore       redis           spring-data-redis
        spring.redis.host                                  datastore       redis           spring-data-redis
        spring.data.redis.url                              datastore       redis           spring-data-redis
        spring.data.redis.host                             datastore       redis           spring-data-redis
        spring.elasticsearch.uris                          datastore       elasticsearch   spring-data-elasticsearch
        spring.elasticsearch.rest.uris                     datastore       elasticsearch   spring-data-elasticsearch
        spring.data.cassandra.contact-points               datastore       cassandra       spring-data-cassandra
        spring.cassandra.contact-points                    datastore       cassandra       spring-data-cassandra
        spring.cloud.config.uri                            infrastructure  config_server   spring-cloud-config
        spring.config.import                               infrastructure  config_server   spring-cloud-config  configserver:
        eureka.client.service-url.default-zone             infrastructure  registry        eureka
        eureka.client.serviceUrl.defaultZone               infrastructure  registry        eureka
        spring.cloud.consul.host                           infrastructure  registry        consul
        spring.security.oauth2.resourceserver.jwt.issuer-uri   infrastructure  auth        oidc
        spring.security.oauth2.resourceserver.jwt.jwk-set-uri  infrastructure  auth        oidc
        spring.security.oauth2.client.provider.*.issuer-uri    infrastructure  auth        oidc
        management.zipkin.tracing.endpoint                 infrastructure  telemetry       zipkin
        spring.zipkin.base-url                             infrastructure  telemetry       zipkin
        management.otlp.tracing.endpoint                   infrastructure  telemetry       otlp
        management.otlp.metrics.export.url                 infrastructure  telemetry       otlp
        """,
        "spring-boot",
    )
    + _keys(
        """
        ConnectionStrings.*                                datastore       -               connection-string
        ConnectionString                                   datastore       -               connection-string
        """,
        "dotnet-configuration",
    )
    + _keys(
        """
        OTEL_EXPORTER_OTLP_ENDPOINT                        infrastructure  telemetry       otlp
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT                 infrastructure  telemetry       otlp
        OTEL_EXPORTER_ZIPKIN_ENDPOINT                      infrastructure  telemetry       zipkin
        OTEL_EXPORTER_JAEGER_ENDPOINT                      infrastructure  telemetry       jaeger
        """,
        "opentelemetry",
    )
)
"""Configuration keys (Spring Boot's, .NET's connection strings, the OpenTelemetry SDKs' environment
variables) that connect a service to a store or infrastructure without a call in code."""

_NAME_ENGINES = (
    ("redis", "redis"),
    ("mongo", "mongodb"),
    ("postgres", "postgres"),
    ("npgsql", "postgres"),
    ("mysql", "mysql"),
    ("elastic", "elasticsearch"),
    ("cosmos", "cosmosdb"),
    ("sqlserver", "sqlserver"),
    ("mssql", "sqlserver"),
)
"""Words of a connection string's name that say its engine when the value does not (``ConnectionStrings:redis``)."""


@dataclass(frozen=True, slots=True)
class ConfigStore:
    """A store or infrastructure address one service's configuration gives under one key."""

    service: str
    file: str
    line: int
    key: str  # as written in the file or the environment
    kind: str  # datastore | infrastructure
    what: str | None  # engine, or the infrastructure's kind
    system: str
    library: str
    text: str  # the value, placeholders followed; unknown parts as {expr}
    address: Address


def _norm(key: str) -> str:
    return canonical(key.replace("__", ".").replace(":", "."))


_PATTERNS = [(canonical(k.pattern), k) for k in CONFIG_KEYS]
_COMPOSE_DEFAULT = re.compile(r"\$\{([^}:]+):-")
_NOT_A_STORE = re.compile(r"(?i)event.?bus|rabbit|amqps?:|kafka|service.?bus|nats:|signalr|blob|storage|queue")
"""A connection string of something else than a store (a broker, blob storage), when no engine is known."""


def _match(key: str) -> ConfigKey | None:
    norm = _norm(key)
    for pattern, k in _PATTERNS:
        if fnmatch.fnmatchcase(norm, pattern) or (k.library == "spring-boot" and "*" not in pattern and norm == pattern.replace(".", "")):
            return k  # a Spring key also in its environment spelling: SPRING_DATASOURCE_URL
    return None


def config_stores(root: Path, book: AddressBook) -> list[ConfigStore]:
    """Every key of ``CONFIG_KEYS`` each service's configuration or deployment environment sets."""
    out: list[ConfigStore] = []
    for service in sorted(book.env_by_service):
        seen: set[tuple[str, str]] = set()
        for key, raw in book.env_by_service[service].items():
            k = _match(key)
            if k is None or not raw.strip():
                continue
            text = _resolved(book, service, key, raw).removeprefix("optional:")
            if not text.startswith(k.prefix):
                continue  # spring.config.import of something else (a file, a Consul/Vault import)
            text = text[len(k.prefix) :]
            addr = parse_address(text.split(",", 1)[0] if k.kind == "infrastructure" or k.what == "elasticsearch" else text)
            what = k.what
            if k.kind == "datastore" and what is None:
                what = addr.engine or next((e for word, e in _NAME_ENGINES if word in key.lower()), None)
                if what is None and (_NOT_A_STORE.search(key) or _NOT_A_STORE.search(text)):
                    continue
            if addr.host is None and k.kind == "datastore" and k.what in ("redis", "mongodb", "cassandra") and ("://" not in text):
                addr = Address(what, text.split(",", 1)[0].split(":", 1)[0] or None, addr.port)
            same = _norm(key).replace(".", "") if k.library == "spring-boot" else _norm(key)  # SPRING_DATASOURCE_URL is spring.datasource.url
            if (same, what or "") in seen:
                continue  # the deployment's environment, read first, overrides the files (as in Spring and .NET)
            seen.add((same, what or ""))
            file = book.env_source(service, key)
            out.append(ConfigStore(service, file, _line_of(root, file, key, book, service), key, k.kind, what, k.system, k.library, text, addr))
    return sorted(out, key=lambda s: (s.service, s.file, s.line, s.key))


def _resolved(book: AddressBook, service: str, key: str, raw: str) -> str:
    """The value with its placeholders followed (``${EUREKA_URL:http://localhost:8761/eureka}``)."""
    if "${" not in raw:
        return raw.strip()
    raw = _COMPOSE_DEFAULT.sub(r"${\1:", raw)  # compose's ${VAR:-default} is Spring's ${VAR:default}
    return _text(resolve_config({"v": placeholder_value(raw)}, book, service).get("v"), book, service)


def _text(v: Value | None, book: AddressBook, service: str) -> str:
    """A resolved configuration value as text: an environment variable by its deployed value, else
    its default; what is not known as ``{expr}``."""
    s = strip(v)
    if isinstance(s, Const) and s.value is not None:
        return str(s.value)
    if isinstance(s, Concat):
        return "".join(_text(p, book, service) for p in s.parts)
    if isinstance(s, Env):
        deployed = book.env_value(service, s.var)
        if deployed is not None:
            return deployed
        return _text(s.default, book, service) if s.default is not None else "{env " + s.var + "}"
    return "{" + describe(s) + "}" if s is not None else ""


def _line_of(root: Path, file: str, key: str, book: AddressBook, service: str) -> int:
    """The line ``key`` is written at in ``file`` (a YAML/JSON key path, a properties key, a compose
    ``environment:`` entry: the one under a compose service that is ``service``); 1 when not found."""
    if not file:
        return 0
    try:
        lines = safeio.read_text(root / file, encoding="utf-8-sig").splitlines()
    except (OSError, ValueError):
        return 1
    flat = re.compile(r"^\s*[-\"']?\s*" + re.escape(key) + r"[\"']?\s*[:=]", re.I)
    hits = [n for n, line in enumerate(lines, 1) if flat.match(line)]
    if len(hits) > 1:  # one file for several services (a compose file): the entry under this service's block
        own = [n for n in hits if _owner_block(lines, n, book) == service]
        hits = own or hits
    if hits:
        return hits[0]
    parts = [p for p in re.split(r"[.:]|__", key) if p]
    start, found = 0, 0
    for part in parts:
        seg = re.compile(r"^\s*[-\"']?\s*" + re.escape(part) + r"[\"']?\s*:", re.I)
        relaxed = canonical(part)
        hit = next(
            (
                n
                for n in range(start, len(lines))
                if seg.match(lines[n]) or canonical(lines[n].strip().strip("-\"' ").split(":", 1)[0].strip("\"' ")) == relaxed
            ),
            None,
        )
        if hit is None:
            break
        start, found = hit + 1, hit + 1
    return found or 1


def _owner_block(lines: list[str], n: int, book: AddressBook) -> str | None:
    """The service of the nearest enclosing mapping key above line ``n`` that names one."""
    indent = len(lines[n - 1]) - len(lines[n - 1].lstrip())
    for i in range(n - 2, -1, -1):
        line = lines[i]
        stripped = line.lstrip()
        own = len(line) - len(stripped)
        if not stripped or stripped.startswith("#") or own >= indent:
            continue
        indent = own
        name = stripped.split(":", 1)[0].strip("\"' ")
        found = book.service_for_host(name) if name and ":" in stripped else None
        if found is not None:
            return found
    return None


__all__ = ["CONFIG_KEYS", "DRIVERS", "ENGINES", "INFRA_KINDS", "SCHEMES", "Address", "ConfigStore", "config_stores", "parse_address"]
