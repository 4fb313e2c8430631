"""Python is one more tree-sitter adapter: a scan of Python code never loads libcst."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO

_SCAN = """
import contextlib, io, json, sys
from extractor.cli import main
out = io.StringIO()
sys.argv = ["contracts", "scan", sys.argv[1], "--format", "json", "--jobs", "1", "--no-cache"]  # cold: a cached file loads no adapter
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit:
        pass
facts = json.loads(out.getvalue())["facts"]
print(json.dumps({"python_facts": sum(f["file"].endswith(".py") for f in facts), "adapter": "extractor.frontends.treesitter.python" in sys.modules, "libcst": sorted(m for m in sys.modules if m == "libcst" or m.startswith("libcst."))}))
"""


def test_a_python_scan_never_imports_libcst():
    root = REPO / "fixtures" / "monorepos" / "fraud-detection"
    out = subprocess.run([sys.executable, "-c", _SCAN, str(root)], capture_output=True, text=True, cwd=REPO, check=True)
    got = json.loads(out.stdout)
    assert got["python_facts"] > 0 and got["adapter"] is True  # the Python files were analysed, by the tree-sitter adapter
    assert got["libcst"] == []


def _named_kinds(language: object) -> set[str]:
    from tree_sitter import Language

    lang = Language(language)
    return {lang.node_kind_for_id(i) for i in range(lang.node_kind_count) if lang.node_kind_is_named(i) and lang.node_kind_is_visible(i)}


def test_the_retry_syntax_tables_name_node_types_of_their_grammars():
    """The statement shapes the hand-written retry rule reads (retry_loops.py) are node types the
    language's grammar has: a misspelt one would silently never match."""
    import tree_sitter_c_sharp
    import tree_sitter_java
    import tree_sitter_javascript
    import tree_sitter_kotlin
    import tree_sitter_python

    from extractor.frontends.treesitter.csharp import CSharpAnalyzer
    from extractor.frontends.treesitter.java import JavaAnalyzer
    from extractor.frontends.treesitter.javascript import JavaScriptAnalyzer
    from extractor.frontends.treesitter.kotlin import KotlinAnalyzer
    from extractor.frontends.treesitter.python import PythonAnalyzer

    tables = ("RETRY_WRAPPERS", "RETRY_ASSIGNMENTS", "RETRY_NESTING", "RETRY_NESTING_HEADERS", "RETRY_BLOCKS", "TRY_ELSE_TYPES", "SUBSCRIPT_TYPES")
    python = _named_kinds(tree_sitter_python.language())
    assert {t: sorted(getattr(PythonAnalyzer, t) - python) for t in tables} == {t: [] for t in tables}
    assert "with_clause" in PythonAnalyzer.RETRY_NESTING_HEADERS and "await" in PythonAnalyzer.RETRY_WRAPPERS
    adapters = {
        JavaScriptAnalyzer: tree_sitter_javascript.language(),
        JavaAnalyzer: tree_sitter_java.language(),
        CSharpAnalyzer: tree_sitter_c_sharp.language(),
        KotlinAnalyzer: tree_sitter_kotlin.language(),
    }
    shapes = ("RETRY_WRAPPERS", "RETRY_ASSIGNMENTS", "RETRY_NESTING", "RETRY_BLOCKS")
    for cls, grammar in adapters.items():  # every node type an adapter's retry tables name exists in its grammar
        kinds = _named_kinds(grammar)
        declared = {t for t in shapes if t in vars(cls)}
        assert "RETRY_WRAPPERS" in declared, cls.__name__
        assert {t: sorted(getattr(cls, t) - kinds) for t in declared} == {t: [] for t in declared}, cls.__name__


def test_a_cycle_of_same_file_base_classes_ends_the_lookup_and_keeps_the_file_s_facts():
    """``self.x`` and class constants are looked up along the same-file bases (core.base_chain); a
    cycle of bases (invalid, but parsed) ends there instead of stopping the file's analysis."""
    from extractor.frontends.testing import extract_source
    from extractor.values import Const, strip

    source = """
        import requests


        class A(B):
            def f(self):
                return requests.get(self.url, timeout=self.limit)


        class B(A):
            limit = 3


        class C(D):
            def g(self):
                return requests.get("http://risk:8080/v1", timeout=self.limit)


        class D:
            limit = 2
    """
    result = extract_source("python", source, rules=["python.http.requests"])
    assert [d.kind for d in result.diagnostics] == []
    got = sorted((f.line, strip(f.fields["timeout"])) for f in result.facts if f.kind == "http_call")
    assert got == [(7, Const(3)), (16, Const(2))]


def test_impl_rules_start_each_file_with_their_state_reset():
    """Impl rules are compiled once and shared by every file; a file whose analysis stopped half-way
    (too deep) must not leave an open loop or a pending Django connection to the next file."""
    from extractor.frontends import frontend_for
    from extractor.frontends.testing import select_rules

    fe = frontend_for("python")
    assert fe is not None
    index = fe.compile(select_rules("python", ["python.retry.loops", "python.replica.django"]))
    loops = next(i for i in index.impls if hasattr(i, "entered"))
    django = next(i for i in index.impls if hasattr(i, "pending"))
    loops.entered.append(7)  # left by an aborted file
    loops.try_entered.append(9)
    django.cursors[("f", "c")] = object()
    fe.extract("svc/a.py", b"import requests\n\nx = 1\n", index, "svc.a")
    assert (loops.entered, loops.try_entered, django.cursors, django.pending) == ([], [], {}, {})
