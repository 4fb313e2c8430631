"""oslo.db ``use_slave=True``: a keyword any call may take (nova's objects and DB API), so not a
``calls:`` entry; the keyword and the fact's constant fields are the rule's ``options:``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....catalog import Rule
from ....values import Const, Dynamic, strip

if TYPE_CHECKING:
    from tree_sitter import Node


class UseSlave:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        opts = rule.options or {}
        self.keyword = str(opts["keyword"])
        self.constants = {k: Const(str(opts[k])) for k in ("mechanism", "source", "evidence")}
        self.prefilter_words = (self.keyword,)
        self._word = self.keyword.encode()
        self._source: tuple[bytes, bool] = (b"", False)  # a file's source, and whether it spells the keyword

    def on_call(self, an: Any, node: Node, qual: str | None, receiver: Any, scope: Any) -> None:
        # a keyword argument's name is in the call's text: a call (a file) without it has none
        source, spelled = self._source
        if source is not an.source:
            source = an.source
            spelled = self._word in source
            self._source = (source, spelled)
        if not spelled or source.find(self._word, node.start_byte, node.end_byte) < 0:
            return
        site = an.site(node, scope)
        value = site.kwargs.get(self.keyword) if site is not None else None
        if value is None:
            return
        v = strip(an.to_value(an.evaluate(value, scope)))
        if not (isinstance(v, Const) and v.value is True):
            return
        fields = {
            "mechanism": self.constants["mechanism"],
            "source": self.constants["source"],
            "dataset": Dynamic(qual or an.anchor_text(site.func, 120)),
            "evidence": self.constants["evidence"],
        }
        an.emit("replica_read", self.rule.id, node, fields, scope)


__all__ = ["UseSlave"]
