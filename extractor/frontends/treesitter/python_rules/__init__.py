"""Python rules whose logic is not data (``impl:`` of a Python rule file), on the tree-sitter engine.

They receive the Python adapter's events (``treesitter/python.py``: ``on_call(an, node, qualname,
receiver, scope)``, ``on_subscript``, ``on_assign``, ``on_with``, ``on_function`` /
``after_function``, ``finish``) with tree-sitter-python nodes, and use the engine's interface
(``an.site``, ``an.callee``, ``an.evaluate``, ``an.to_value``, ``an.emit``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node


def named(node: Node | None) -> list[Node]:
    """The named children of ``node`` that are not comments (none without a node)."""
    return [c for c in node.named_children if c.type != "comment"] if node is not None else []
