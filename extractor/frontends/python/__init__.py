"""Python frontend: libcst parsing, own name resolution, rules from ``rules/python``."""

from __future__ import annotations

import io
import tokenize
from typing import Mapping, Sequence

from ...catalog import Rule
from ...values import Obj
from ..base import Comment, FileResult
from .analyzer import Analyzer
from .index import PyIndex, compile_rules


class PythonFrontend:
    language = "python"
    extensions = (".py",)

    def compile(self, rules: Sequence[Rule]) -> PyIndex:
        return compile_rules(rules)

    def prefilter(self, compiled: PyIndex, source: bytes) -> bool:
        return compiled.prefilter.accepts(source)

    def extract(
        self,
        path: str,
        source: bytes,
        compiled: PyIndex,
        module: str,
        imported_objects: Mapping[str, Obj] | None = None,
    ) -> FileResult:
        return Analyzer(compiled, path, module, source, imported_objects).run()

    def comments(self, source: bytes, path: str = "") -> list[Comment]:
        out: list[Comment] = []
        code_lines: set[int] = set()
        try:
            tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
        except (tokenize.TokenError, SyntaxError):
            return out
        for tok in tokens:
            if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                for line in range(tok.start[0], tok.end[0] + 1):
                    code_lines.add(line)
        for tok in tokens:
            if tok.type == tokenize.COMMENT:
                line = tok.start[0]
                out.append(Comment(line=line, text=tok.string[1:].strip(), own_line=line not in code_lines))
        return out


def module_name_for(rel_path: str) -> str:
    """Dotted module name of a file relative to its service root (``src/`` layouts stripped)."""
    parts = rel_path[:-3].split("/") if rel_path.endswith(".py") else rel_path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(p for p in parts if p)
