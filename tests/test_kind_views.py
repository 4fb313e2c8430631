"""The typed views are generated from the kinds' field tables: one definition per field."""

from __future__ import annotations

import dataclasses

import pytest

from extractor.kinds import KINDS, views
from extractor.kinds.base import Kind, Shape, fields
from extractor.kinds.codegen import FILE_NAME, attribute, views_source
from extractor.kinds.convert import generic

from .conftest import REPO


def test_the_views_module_is_generated_from_the_kinds():
    path = REPO / "extractor" / "kinds" / FILE_NAME
    assert path.read_text("utf-8") == views_source(), f"{path.relative_to(REPO)} is stale: run `contracts rules docs`"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_has_a_view_with_exactly_its_public_fields(name):
    kind = KINDS[name]
    view = views.VIEWS[name]
    assert view is kind.view and view.__name__ == kind.view_name
    assert view.__doc__ == kind.doc
    assert {view.KEYS.get(f.name, f.name) for f in dataclasses.fields(view)} == {f.name for f in kind.all_fields()}


def test_a_field_table_gives_each_field_its_python_type_and_default():
    item = Shape("Item", "An item.", fields("id  string  req  The item's id."))
    table = fields(
        """
        text      string?   req        A text or null.
        count     integer?  -          A count.
        ratio     number?   -          A ratio.
        wait_ms   ms        -          A duration.
        names     strings   -          Names.
        flag      boolean   req        Always there.
        maybe     boolean?  -          Maybe there.
        choice    -         -          One of a few.
        mixed     -         -          A text or a number.
        tries     integer?  absent=1   One when absent.
        items     array     -          Objects.
        """,
        choice={"enum": ["a", "b", None]},
        mixed={"type": ["string", "integer", "null"]},
        items=item,
    )
    got = {f.name: attribute(f) for f in table}
    assert got == {
        "text": ("str | None", "None", None),
        "count": ("int | None", "None", None),
        "ratio": ("float | None", "None", None),
        "wait_ms": ("int | float | None", "None", None),
        "names": ("tuple[str, ...]", "()", None),
        "flag": ("bool", "False", None),
        "maybe": ("bool | None", "None", None),
        "choice": ("str | None", "None", None),
        "mixed": ("str | int | None", "None", None),
        "tries": ("int | None", "1", None),
        "items": ("tuple[Item, ...]", "()", "Item"),
    }
    target = fields("to  target  req  Where it goes.")[0]
    assert attribute(target) == ("TargetView", "field(default_factory=TargetView)", "TargetView")
    # the shape's schema is generated from its fields, closed
    assert table[-1].schema == {
        "items": {
            "type": "object",
            "required": ["id"],
            "additionalProperties": False,
            "properties": {"id": {"type": "string", "description": "The item's id."}},
        }
    }


def test_an_array_of_objects_without_a_shape_has_no_view_type():
    bare = fields("things  array  -  Objects.", things={"items": {"type": "object"}})[0]
    with pytest.raises(ValueError, match="give the field a Shape"):
        attribute(bare)


def test_a_kind_added_to_the_registry_gets_its_view(monkeypatch):
    new = Kind("cache_read", fields("key  string?  req  The key.\nhit  boolean  req  Whether it hit."), (), generic, "A read from a cache.")
    monkeypatch.setitem(KINDS, "cache_read", new)
    text = views_source()
    assert (
        '@dataclass(frozen=True, slots=True)\nclass CacheRead(KindView):\n    """A read from a cache."""\n\n    key: str | None = None\n    hit: bool = False\n'
    ) in text
    assert '    "cache_read": CacheRead,\n' in text


def test_the_kinds_of_a_family_share_a_base_view_with_the_fields_all_of_them_have():
    for name in ("http_call", "grpc_call", "proxy_route"):
        assert issubclass(views.VIEWS[name], views.CallView)
    for name in ("message_publish", "message_consume"):
        assert issubclass(views.VIEWS[name], views.MessageView)
    call_fields = {f.name for f in dataclasses.fields(views.CallView)}
    assert call_fields == {f.name for f in KINDS["http_call"].all_fields()}
    assert {"grpc_service", "rpc"}.isdisjoint(call_fields) and {"route", "per_try_timeout_ms"}.isdisjoint(call_fields)
    assert {f.name for f in dataclasses.fields(views.MessageView)} == {"library", "broker", "destination", "destination_kind", "target", "routing_key"}


def test_nested_views_read_their_objects():
    made = views.IdGeneration.from_fields({"flows_to": [{"call": "http_call:0123456789ab", "as": "header:Idempotency-Key"}], "inside_retry": True})
    assert made.flows_to == (views.FlowTo("http_call:0123456789ab", "header:Idempotency-Key"),)
    assert views.HttpCall.from_fields({"target": None}).target == views.TargetView()
    assert views.HttpCall.from_fields({"target": {"service": "a", "port": 80}}).target == views.TargetView(service="a", port=80)
