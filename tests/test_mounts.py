"""Mounts: prefixes of routers, blueprints and included URL modules, joined in the link stage."""

from __future__ import annotations

import textwrap
from pathlib import Path

from extractor.config import Config
from extractor.mounts import join_path, strip_own
from extractor.scan import scan


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def _paths(root: Path, rule: str) -> list[tuple[str, str]]:
    result = scan(root, config=Config(), rule_ids=[rule])
    return sorted((f.file, f.fields["path"]) for f in result.facts if f.rule == rule)


def test_join_path():
    assert join_path("/v1", "/score") == "/v1/score"
    assert join_path("/v1/", "/score") == "/v1/score"
    assert join_path("api/", "/score/") == "/api/score/"
    assert join_path("^api/", "^score/$") == "^api/score/$"
    assert join_path("", "/x") == "/x"
    assert join_path("/", "/x") == "/x"
    assert join_path("/v1", "/") == "/v1/"


def test_strip_own():
    assert strip_own("/views/score", "/views") == "/score"
    assert strip_own("/views", "/views/") == "/"
    assert strip_own("/viewsx/score", "/views") == "/viewsx/score"


def test_include_cycles_terminate(tmp_path):
    _write(
        tmp_path,
        "a/urls.py",
        """\
        from django.urls import include, path
        from . import views
        urlpatterns = [path("a/", views.a), path("tob/", include("b.urls"))]
        """,
    )
    _write(
        tmp_path,
        "b/urls.py",
        """\
        from django.urls import include, path
        from . import views
        urlpatterns = [path("b/", views.b), path("toa/", include("a.urls")), path("self/", include("b.urls"))]
        """,
    )
    assert _paths(tmp_path, "python.endpoints.django") == [("a/urls.py", "/toa/a/"), ("b/urls.py", "/tob/b/")]


def test_mounts_stay_within_their_service(tmp_path):
    for svc in ("one", "two"):
        _write(tmp_path, f"{svc}/pyproject.toml", "[project]\nname = 'x'\n")
    _write(
        tmp_path,
        "one/app/main.py",
        """\
        from fastapi import FastAPI
        from .routers import items
        app = FastAPI()
        app.include_router(items.router, prefix="/v1")
        """,
    )
    _write(
        tmp_path,
        "one/app/routers/items.py",
        """\
        from fastapi import APIRouter
        router = APIRouter(prefix="/items")
        @router.get("/{id}")
        def get_item(id: int): ...
        """,
    )
    _write(
        tmp_path,
        "two/app/routers/items.py",
        """\
        from fastapi import APIRouter
        router = APIRouter(prefix="/items")
        @router.get("/{id}")
        def get_item(id: int): ...
        """,
    )
    assert _paths(tmp_path, "python.endpoints.fastapi") == [
        ("one/app/routers/items.py", "/v1/items/{id}"),
        ("two/app/routers/items.py", "/items/{id}"),
    ]
