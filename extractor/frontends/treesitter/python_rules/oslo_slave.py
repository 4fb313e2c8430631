"""oslo.db ``use_slave=True``: a keyword any call may take (nova's objects and DB API), so not data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....catalog import Rule
from ....values import Const, Dynamic, strip

if TYPE_CHECKING:
    from tree_sitter import Node


class UseSlave:
    prefilter_words = ("use_slave",)

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def on_call(self, an: Any, node: "Node", qual: str | None, receiver: Any, scope: Any) -> None:
        site = an.site(node, scope)
        value = site.kwargs.get("use_slave") if site is not None else None
        if value is None:
            return
        v = strip(an.to_value(an.evaluate(value, scope)))
        if not (isinstance(v, Const) and v.value is True):
            return
        fields = {
            "mechanism": Const("oslo_db_use_slave"),
            "source": Const("slave_connection"),
            "dataset": Dynamic(qual or an.anchor_text(site.func, 120)),
            "evidence": Const("use_slave=True: read from [database] slave_connection when configured"),
        }
        an.emit("replica_read", self.rule.id, node, fields, scope)


__all__ = ["UseSlave"]
