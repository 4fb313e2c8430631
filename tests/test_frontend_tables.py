"""The adapters' syntax tables (frontends/treesitter/languages/*.toml): applied at import, checked
against the adapter class and the grammars, errors naming file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from extractor.frontends.treesitter import LANGUAGES, _language, _load, tables
from extractor.frontends.treesitter.syntax import SyntaxAnalyzer


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_every_table_fits_its_adapter_and_grammars(name):
    spec = LANGUAGES[name]
    cls = _load(spec.analyzer)
    assert cls.SYNTAX_TABLE == tables.LANGUAGES_DIR / f"{name}.toml"
    tables._CHECKED.discard(cls)
    tables.check_grammar(cls, [_language(g[1:]) for g in spec.grammars])
    assert cls in tables._CHECKED


def test_a_table_extends_the_default_dispatch_and_replaces_sets():
    go = _load(LANGUAGES["go"].analyzer)
    assert go.EVAL["selector_expression"] == "eval_member_node"  # the file's
    assert go.EVAL["binary_expression"] == SyntaxAnalyzer.EVAL["binary_expression"]  # the default's
    assert go.STATEMENTS["for_statement"] == "st_for"  # replaces the default st_c_loop
    assert go.CALL_TYPES == frozenset({"call_expression", "composite_literal"})
    assert go.MEMBER_FIELDS == {"selector_expression": ("operand", "field")}
    assert go.LITERAL_NAMES == {"true": True, "false": False, "nil": None}
    assert (go.LAMBDA_NAME, go.OCTAL_ZERO, go.UNARY_IDENTITY) == ("func", True, frozenset({"+", "&", "*"}))
    kotlin = _load(LANGUAGES["kotlin"].analyzer)
    assert kotlin.DEFAULT_IMPORTS == ("kotlin", "kotlin.collections", "kotlin.io", "java.lang")


def _table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> type:
    monkeypatch.setattr(tables, "LANGUAGES_DIR", tmp_path)
    (tmp_path / "go.toml").write_text(textwrap.dedent(text), encoding="utf-8")

    class Probe(SyntaxAnalyzer):
        language = "go"

    return tables.syntax_tables(Probe)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[eval]\neval_paren = "literal_element"\nev_nothing = ["a", "b"]\n', 3, "Probe has no method 'ev_nothing'"),
        ('[statements]\nst_statements = [\n  "block",\n  "statement_list",\n  "block",\n]\n', 5, "'block' is handled by 'st_statements' already"),
        ("[types]\ncall_types = []\nloop_typez = []\n", 3, "Probe has no node-type set LOOP_TYPEZ"),
        (
            "# a comment\n[expressions]\nx = 1\n",
            2,
            "unknown section [expressions] (one of each_loop_fields, eval, literal_names, member_fields, scan_binds, scan_hooks, statements, subscript_fields, types, values)",
        ),
        ('[member_fields]\nselector_expression = ["operand"]\n', 2, "selector_expression: a pair of field names"),
        ("[types]\ncall_types = [1]\n", 2, "call_types: a node type or a list of node types"),
        ('[values]\nint_suffixes = "lL"\noctal_zero = "yes"\n', 3, "octal_zero: a bool like Probe.OCTAL_ZERO"),
        ('[values]\nunary_identity = ["+"]\nunary_identty = []\n', 3, "Probe has no table UNARY_IDENTTY"),
        ('[values]\nscope_at = "x"\n', 2, "Probe has no table SCOPE_AT"),
        ('[literal_names]\ntrue = ["true"]\nnone = ["nil"]\n', 3, "a literal name is true, false or null, not 'none'"),
    ],
)
def test_a_table_that_does_not_fit_its_class_names_file_and_line(tmp_path, monkeypatch, text, line, message):
    with pytest.raises(tables.TableError) as err:
        _table(tmp_path, monkeypatch, text)
    assert str(err.value) == f"{tmp_path / 'go.toml'}:{line}: {message}"


def test_node_types_and_fields_are_checked_against_the_grammar(tmp_path, monkeypatch):
    go = [_language(("tree_sitter_go", "language"))]
    cls = _table(tmp_path, monkeypatch, '[eval]\neval_paren = [\n  "literal_element",\n  "literal_elemnt",\n]\n')
    with pytest.raises(tables.TableError) as err:
        tables.check_grammar(cls, go)
    assert str(err.value) == f"{tmp_path / 'go.toml'}:4: no grammar of 'go' has a node type 'literal_elemnt'"
    cls = _table(tmp_path, monkeypatch, '[types]\ncall_types = "call_expression"\n[member_fields]\nselector_expression = ["operand", "feild"]\n')
    with pytest.raises(tables.TableError) as err:
        tables.check_grammar(cls, go)
    assert str(err.value) == f"{tmp_path / 'go.toml'}:4: no grammar of 'go' has a field 'feild'"
    cls = _table(tmp_path, monkeypatch, 'unchecked = ["literal_elemnt"]\n[eval]\neval_paren = "literal_elemnt"\n')
    tables.check_grammar(cls, go)  # a type the table declares unchecked (another grammar version's)
    assert cls.EVAL["literal_elemnt"] == "eval_paren"
