"""oslo.db ``use_slave=True``: a keyword any call may take (nova's objects and DB API), so not data."""

from __future__ import annotations

from typing import Any

import libcst as cst

from ....catalog import Rule
from ....values import Const, Dynamic, strip


class UseSlave:
    prefilter_words = ("use_slave",)

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def on_call(self, an: Any, node: cst.Call, qual: str | None, receiver: Any, scope: Any) -> None:
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "use_slave":
                break
        else:
            return
        v = arg.value
        if not (isinstance(v, cst.Name) and v.value == "True"):
            value = strip(an.to_value(an.evaluate(v, scope)))
            if not (isinstance(value, Const) and value.value is True):
                return
        callee = qual or an.anchor_text(node.func, 120)
        an.emit(
            "replica_read",
            self.rule.id,
            node,
            {
                "mechanism": Const("oslo_db_use_slave"),
                "source": Const("slave_connection"),
                "dataset": Dynamic(callee),
                "evidence": Const("use_slave=True: read from [database] slave_connection when configured"),
            },
            scope,
        )


__all__ = ["UseSlave"]
