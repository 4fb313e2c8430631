"""environment/stores.py: connection texts read into engine, host, port and database (never
credentials), and the configuration keys that name a store or infrastructure without code."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.environment.book import AddressBook
from extractor.environment.stores import Address, config_stores, parse_address
from extractor.facts import Service


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://app:secret@orders-db:5432/orders", Address("postgres", "orders-db", 5432, "orders")),
        ("postgresql+asyncpg://app@pg/orders?target_session_attrs=read-only", Address("postgres", "pg", None, "orders", replica=True)),
        ("mongodb+srv://u:p@cluster0.example.net/shop?retryWrites=true", Address("mongodb", "cluster0.example.net", None, "shop")),
        ("mongodb://m1:27017,m2:27017/app?replicaSet=rs0", Address("mongodb", "m1", 27017, "app")),
        ("rediss://:pw@cache:6380/2", Address("redis", "cache", 6380, "2")),
        ("jdbc:postgresql://orders-db:5432/orders?ssl=true", Address("postgres", "orders-db", 5432, "orders")),
        ("jdbc:sqlserver://sql:1433;databaseName=shop;encrypt=false", Address("sqlserver", "sql", 1433, "shop")),
        ("jdbc:oracle:thin:@ora:1521/ORCL", Address("oracle", "ora", 1521, "ORCL")),
        ("host=ledger-db port=5433 dbname=ledger user=app password=x", Address("postgres", "ledger-db", 5433, "ledger")),
        ("Host=postgres;Port=5432;Database=catalogdb;Username=app;Password=x", Address("postgres", "postgres", 5432, "catalogdb")),
        ("Server=sqldata,1433;Database=Catalog;User Id=sa;Password=Pass@word", Address("sqlserver", "sqldata", 1433, "Catalog")),
        ("Data Source=tcp:sql;Initial Catalog=Orders;ApplicationIntent=ReadOnly", Address("sqlserver", "sql", None, "Orders", replica=True)),
        ("Server=mysql;Database=shop;Uid=app;Pwd=x", Address("mysql", "mysql", None, "shop")),
        ("app:pw@tcp(shop-mysql:3306)/shop?parseTime=true", Address("mysql", "shop-mysql", 3306, "shop")),
        ("basket-redis:6379,abortConnect=false,password=x", Address(None, "basket-redis", 6379)),
        ("http://search:9200", Address("elasticsearch", "search", 9200)),
        ("{env DATABASE_URL}", Address()),
        ("", Address()),
    ],
)
def test_connection_texts(text, expected):
    assert parse_address(text) == expected


def test_credentials_are_never_kept():
    for text in ("postgresql://admin:hunter2@db/x", "Server=db;User Id=admin;Password=hunter2", "admin:hunter2@tcp(db:3306)/x"):
        addr = parse_address(text)
        assert "hunter2" not in repr(addr) and "admin" not in repr(addr)


def _book(env: dict[str, dict[str, str]], sources: dict[tuple[str, str], str]) -> AddressBook:
    book = AddressBook(services=[Service(name, name, ("python",)) for name in env])
    book.env_by_service = env
    book.env_sources = sources
    for name in env:
        book.add_alias(name, name)
    return book


def test_configuration_keys(tmp_path: Path):
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  billing:\n    environment:\n      SPRING_DATASOURCE_URL: jdbc:postgresql://orders-db:5432/orders\n"
        "  orders:\n    environment:\n      EVENTS: amqp://rabbit\n",
        "utf-8",
    )
    (tmp_path / "application.yml").write_text(
        "spring:\n  datasource:\n    url: jdbc:postgresql://localhost/billing\n  config:\n    import: optional:configserver:${CONFIG_URL:http://config:8888}\n",
        "utf-8",
    )
    env = {
        "billing": {
            "SPRING_DATASOURCE_URL": "jdbc:postgresql://orders-db:5432/orders",
            "spring.datasource.url": "jdbc:postgresql://localhost/billing",
            "spring.config.import": "optional:configserver:${CONFIG_URL:http://config:8888}",
        },
        "orders": {"ConnectionStrings:EventBus": "amqp://rabbit", "ConnectionStrings:redis": "cache:6379"},
    }
    sources = {
        ("billing", "SPRING_DATASOURCE_URL"): "docker-compose.yml",
        ("billing", "spring.datasource.url"): "application.yml",
        ("billing", "spring.config.import"): "application.yml",
        ("orders", "ConnectionStrings:EventBus"): "appsettings.json",
        ("orders", "ConnectionStrings:redis"): "appsettings.json",
    }
    found = [(s.service, s.file, s.line, s.key, s.kind, s.what, s.address.hostport) for s in config_stores(tmp_path, _book(env, sources))]
    assert found == [
        ("billing", "application.yml", 5, "spring.config.import", "infrastructure", "config_server", "config:8888"),  # the placeholder's default
        ("billing", "docker-compose.yml", 4, "SPRING_DATASOURCE_URL", "datastore", "postgres", "orders-db:5432"),  # the environment overrides the file
        ("orders", "appsettings.json", 1, "ConnectionStrings:redis", "datastore", "redis", "cache:6379"),  # the engine from the name; EventBus is no store
    ]
