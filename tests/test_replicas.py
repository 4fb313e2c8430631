"""Replica reads: the shared naming convention, source/dataset text, settings lookups, the link hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor import yamlio
from extractor.config import Config
from extractor.link import ModuleTable
from extractor.replicas import REPLICA_NAME, dataset_text, source_text, sql_table
from extractor.scan import scan
from extractor.values import Call, Const, Dynamic, Env, Map, Named, Ref, where_hit, where_may_hold

from .conftest import REPO

REPLICA_NAMES = [
    "replica",
    "replica1",
    "orders_ro",
    "orders-db-replica",
    "ORDERS_REPLICA_URL",
    "read",
    "reader",
    "readonly",
    "read_only",
    "readReplica",
    "ReadOnly",
    "slave",
    "secondary",
    "standby",
    "follower",
    "mirror",
    "DB_RO_HOST",
    "db.replica",
    "self.replica_session",
]
OTHER_NAMES = [
    "router",
    "Router",
    "ROUTER",
    "cron",
    "readme",
    "default",
    "primary",
    "thread",
    "already",
    "reads",
    "reading",
    "read_write",
    "read-write",
    "READ_WRITE",
    "readWrite",
    "roles",
    "program",
    "mirrored",
    "PROD",
    "orders",
]


@pytest.mark.parametrize("name", REPLICA_NAMES)
def test_replica_names(name):
    assert REPLICA_NAME.search(name)


@pytest.mark.parametrize("name", OTHER_NAMES)
def test_other_names(name):
    assert not REPLICA_NAME.search(name)


def _without_bare_read(pattern: str) -> str:
    """The convention for `find` (also the str/bytes search): `reader`/`_read_buffer` are no evidence."""
    return pattern.replace("read(?:ers?|only)?", "read_?only").replace("Read(?:ers?|[Oo]nly)?", "Read[Oo]nly").replace("READ(?:ERS?|ONLY)?", "READ_?ONLY")


def test_rules_spell_the_shared_pattern():
    """The data rules repeat the convention in their where: patterns; they must not drift."""
    found = 0
    for path in sorted((REPO / "rules" / "python" / "replica").glob("*.yaml")):
        data = yamlio.plain(yamlio.load_file(path)[0])
        for item in (data.get("python") or {}).get("calls", ()):
            pattern = (item.get("where") or {}).get("source")
            if pattern and "ro|slaves" in pattern:
                assert pattern in (REPLICA_NAME.pattern, _without_bare_read(REPLICA_NAME.pattern)), path.name
                found += 1
    assert found >= 3


def test_source_text_never_keeps_credentials():
    assert source_text(Const("postgresql+psycopg://risk:s3cret@orders-db-replica:5432/orders")) == "orders-db-replica"
    assert source_text(Const("mongodb://u:p@mongo-1,mongo-2/?readPreference=secondary")) == "mongo-1"
    assert source_text(Const("host=orders-2 port=5432 password=x target_session_attrs=read-only")) == "orders-2"
    assert source_text(Named("URL", Env("ORDERS_REPLICA_URL"))) == "{env ORDERS_REPLICA_URL}"
    assert source_text(Const("replica")) == "replica"


def test_where_hit_quotes_the_token_not_the_url():
    assert where_hit(Const("postgresql://risk:pw@orders-replica:5432/db"), REPLICA_NAME.pattern) == "orders-replica"
    assert where_hit(Named("DB_URL", Env("ORDERS_REPLICA_URL")), REPLICA_NAME.pattern) == "ORDERS_REPLICA_URL"
    assert where_hit(Const("host=h target_session_attrs=read-only"), r"target_session_attrs=read-only") == "target_session_attrs=read-only"


def test_where_may_hold_defers_what_link_time_can_change():
    where = (("source", REPLICA_NAME.pattern),)
    assert not where_may_hold(where, {"source": Const("router")})
    assert where_may_hold(where, {"source": Const("db.replica")})
    assert where_may_hold(where, {"source": Ref("app.settings.DB_URL")})  # resolved at link time
    assert where_may_hold(where, {})  # filled later (id flow)


def test_dataset_text():
    assert sql_table("SELECT count(*) FROM user_purchases WHERE x = 1") == "user_purchases"
    assert sql_table('select * from "public"."orders" o') == "public.orders"
    assert sql_table("SELECT * FROM (SELECT 1) AS t") is None
    assert dataset_text(Call("sqlalchemy.text", (Const("SELECT a FROM refunds"),))) == "refunds"
    assert dataset_text(Named("Order", Dynamic("app.models.Order"))) == "Order"
    assert dataset_text(Call("sqlalchemy.select", (Named("id", Dynamic("app.models.Order.id")),))) == "Order"
    assert dataset_text(Dynamic("select(Order).where(Order.id == 1)")) == "Order"
    assert dataset_text(Const("purchases")) == "purchases"
    assert dataset_text(Dynamic("self.model")) is None


def test_django_settings_resolve_from_the_settings_module_or_package(catalog):
    assert catalog.module_aliases["django.conf.settings"] == "settings"  # rule data (python.replica.django)
    table = ModuleTable(
        {
            "proj.views": {},
            "config.settings.base": {"DATABASES": Map(((Const("replica"), Const("x")),)), "READ_DB": Const("base")},
            "config.settings": {"READ_DB": Const("replica")},
        },
        catalog.module_aliases,
    )
    assert table.lookup(Ref("django.conf.settings.READ_DB")) == Const("replica")  # the settings module itself first
    assert isinstance(table.lookup(Ref("django.conf.settings.DATABASES")), Map)  # else a module of the package
    assert table.lookup(Ref("django.conf.settings.MISSING")) is None


def test_settings_module_is_extracted_for_a_reference_to_it(tmp_path: Path):
    """The settings module mentions no library: the scan extracts it because a fact needs it."""
    (tmp_path / "svc" / "proj").mkdir(parents=True)
    (tmp_path / "svc" / "requirements.txt").write_text("django\n")
    (tmp_path / "svc" / "proj" / "__init__.py").write_text("")
    (tmp_path / "svc" / "proj" / "settings.py").write_text('STATS_DB = "stats_ro"\n')
    (tmp_path / "svc" / "proj" / "views.py").write_text(
        "from django.conf import settings\n\nfrom .models import Order\n\n\ndef f():\n    return Order.objects.using(settings.STATS_DB).count()\n"
    )
    facts = [f for f in scan(tmp_path, config=Config()).facts if f.kind == "replica_read"]
    assert [(f.rule, f.fields["source"], f.fields["dataset"]) for f in facts] == [("python.replica.django", "stats_ro", "Order")]
