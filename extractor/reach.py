"""Which functions an endpoint handler can reach: a name-based call graph of one service's Python.

Facts say where a call is made (its enclosing function) and which function handles an endpoint,
but not which calls one request makes. Without that, a system check would have to assume every
operation of a service makes every call of that service, and would blame ``GET /fraud-score`` for
what ``POST /v1/score`` does. Functions are known here by their last name only, and a function
reaches every function whose name its body mentions, so the answer over-approximates (never
misses a same-service hop) and stays cheap: the standard ``ast`` parser, no name resolution.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from .discover import DEFAULT_IGNORED_DIRS

MAX_FILE_BYTES = 1_000_000


@dataclass
class CallIndex:
    """Function name → names its body mentions, for one service's Python files."""

    mentions: dict[str, set[str]] = field(default_factory=dict)

    def reachable(self, handler: str) -> frozenset[str] | None:
        """Names of the functions reachable from ``handler`` (itself included); None when unknown."""
        if handler not in self.mentions:
            return None
        seen = {handler}
        todo = [handler]
        while todo:
            for name in self.mentions.get(todo.pop(), ()):
                if name in self.mentions and name not in seen:
                    seen.add(name)
                    todo.append(name)
        return frozenset(seen)


def index_service(root: Path, service_root: str) -> CallIndex:
    """Parse every Python file of a service (skipping dependency and build folders)."""
    index = CallIndex()
    base = root / service_root if service_root != "." else root
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in DEFAULT_IGNORED_DIRS)
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = Path(dirpath) / name
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                tree = ast.parse(path.read_bytes())
            except (OSError, SyntaxError, ValueError):
                continue
            _add(tree, index)
    return index


def _add(tree: ast.AST, index: CallIndex) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = index.mentions.setdefault(node.name, set())
            for inner in ast.walk(node):
                if isinstance(inner, ast.Name):
                    names.add(inner.id)
                elif isinstance(inner, ast.Attribute):
                    names.add(inner.attr)
            names.discard(node.name)
