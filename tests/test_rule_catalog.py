"""The rule catalog itself: schema-valid, unique ids, fixtures beside every rule, docs sections."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from extractor import yamlio
from extractor.catalog import RuleError, load_catalog, rule_schema
from extractor.frontends import frontend_for

from .conftest import FIXTURES, REPO
from .rulefiles import write_rule


def test_every_rule_file_validates_against_the_schema(catalog):
    validator = jsonschema.Draft202012Validator(rule_schema())
    for rule in catalog.rules:
        data = yamlio.plain(yamlio.load_file(rule.path)[0])
        assert not list(validator.iter_errors(data)), rule.id


def test_rule_ids_are_unique_and_match_paths(catalog):
    ids = [r.id for r in catalog.rules]
    assert len(ids) == len(set(ids))
    for rule in catalog.rules:
        rel = rule.path.relative_to(REPO / "rules").with_suffix("")
        assert rule.id == ".".join(rel.parts)


def test_every_rule_has_a_fixture_with_its_own_stem(catalog):
    for rule in catalog.rules:
        stem = FIXTURES / "rules" / Path(*rule.id.split("."))
        own = stem.is_dir() or any(stem.parent.glob(stem.name + ".*"))
        assert own, f"{rule.id}: no fixture named {stem.relative_to(REPO)}.*"


def test_every_rule_documents_what_it_detects_and_its_limitations(catalog):
    for rule in catalog.rules:
        assert rule.docs.get("what", "").strip(), rule.id
        assert rule.docs.get("limitations", "").strip(), f"{rule.id}: say what the rule misses"


def test_python_rules_compile_and_have_a_prefilter(catalog):
    frontend = frontend_for("python")
    index = frontend.compile(catalog.for_language("python"))
    assert index.prefilter_check is not None

    def accepts(source: bytes) -> bool:
        return frontend.prefilter(index, source)

    assert accepts(b"import requests\nrequests.get(u, timeout=1)\n")
    assert not accepts(b"import json\nprint(1)\n")
    # a library's name in prose or a variable is not an import
    assert not accepts(b"# we send requests here\nrequests = []\n")
    assert accepts(b"from requests.adapters import HTTPAdapter\n")
    assert accepts(b"    import os, requests  # late import\n")


def _write_rule(tmp_path: Path, rel: str, body: str) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_bad_rule_is_an_error_with_file_and_line(tmp_path):
    _write_rule(
        tmp_path,
        "python/http/bad.yaml",
        """\
        id: python.http.bad
        title: a bad rule
        language: python
        kind: http_call
        metadata: {status: stable, since: 0.1.0, confidence: high}
        docs: {what: x}
        python:
          calls:
            - names: [x.get]
              fields: {timeout: {kw: timeout, unit: hours}}
        """,
    )
    with pytest.raises(RuleError) as err:
        load_catalog([tmp_path])
    message = str(err.value)
    assert "python/http/bad.yaml:10:" in message
    assert "unit" in message


def test_a_rule_id_must_match_its_path(tmp_path):
    _write_rule(
        tmp_path,
        "python/http/one.yaml",
        """\
        id: python.http.other
        title: wrong id
        language: python
        kind: http_call
        metadata: {status: stable, since: 0.1.0, confidence: high}
        docs: {what: x}
        python: {calls: [{names: [x.get]}]}
        """,
    )
    with pytest.raises(RuleError, match=r"one.yaml:1: id 'python.http.other' must equal the file's path: 'python.http.one'"):
        load_catalog([tmp_path])


def test_invalid_yaml_in_a_rule_names_the_line(tmp_path):
    _write_rule(tmp_path, "python/http/broken.yaml", "id: python.http.broken\ntitle: [unclosed\n")
    with pytest.raises(RuleError, match=r"broken.yaml:\d+: invalid YAML"):
        load_catalog([tmp_path])


def test_rule_schema_is_itself_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(rule_schema())
    json.dumps(rule_schema())


def test_prefilter_alternatives_are_conjunctions():
    from extractor.prefilter import Prefilter, parse_alternatives

    pf = Prefilter(parse_alternatives([["import:django", "using(|db_manager("], "_pb2_grpc"]))
    pf.finish()
    assert pf.accepts(b"from django.db import models\nOrder.objects.using('replica')\n")
    assert not pf.accepts(b"from django.db import models\nOrder.objects.all()\n")
    assert not pf.accepts(b"x.using('replica')  # no django import\n")
    assert pf.accepts(b"from protos import risk_pb2_grpc\n")


def _load_one(tmp_path: Path, language: str, stem: str, block: str, extra: str = "") -> None:
    write_rule(tmp_path, f"{language}.http.{stem}", "http_call", block, extra)
    load_catalog([tmp_path])


def test_the_python_and_treesitter_blocks_share_one_definition():
    schema = rule_schema()
    assert schema["properties"]["python"] == schema["properties"]["treesitter"] == {"$ref": "#/$defs/match"}
    defs = schema["$defs"]
    assert not {"python", "treesitter", "pymatch", "tsmatch", "tsargspec", "tsfields"} & set(defs)
    block = defs["match"]["properties"]
    assert block["calls"]["items"] == block["decorators"]["items"] == {"$ref": "#/$defs/spec"}
    assert block["objects"]["items"] == {"$ref": "#/$defs/object"}
    assert defs["fields"]["additionalProperties"] == {"$ref": "#/$defs/argspec"}


def test_a_python_rule_cannot_read_a_type_argument(tmp_path):
    block = """\
    python:
      calls:
        - names: [x.get]
          fields: {url: {type_arg: 0}}
    """
    with pytest.raises(RuleError) as err:
        _load_one(tmp_path, "python", "generic", block)
    message = str(err.value)
    assert "python/http/generic.yaml:10: python/calls/0/fields/url/type_arg: 'type_arg' is not supported for python" in message


def test_a_go_rule_cannot_match_decorators(tmp_path):
    block = """\
    treesitter:
      calls:
        - names: [net/http.Get]
      decorators:
        - names: [example.com/x.Route]
    """
    with pytest.raises(RuleError, match=r"go/http/deco.yaml:10: treesitter/decorators: 'decorators' is not supported for go: go has no decorators"):
        _load_one(tmp_path, "go", "deco", block)


def test_csharp_only_keys_are_rejected_for_every_language_a_rule_applies_to(tmp_path):
    block = """\
    treesitter:
      calls:
        - names: [com.example.Client.get]
      inject:
        com.example.Builder: {as: com.example.Client, keys: [client]}
    """
    with pytest.raises(RuleError, match=r"java/http/di.yaml:11: treesitter/inject: 'inject' is not supported for java, kotlin"):
        _load_one(tmp_path, "java", "di", block, extra="languages: [java, kotlin]\n")


def test_a_configure_type_argument_is_rejected_where_the_adapter_reads_none(tmp_path):
    block = """\
    treesitter:
      objects:
        - type: Client
          new: [lib.Client]
          configure:
            Or: {capture: errors, type_arg: 0}
      calls:
        - names: [lib.Client.get]
    """
    with pytest.raises(
        RuleError, match=r"typescript/http/conf.yaml:12: treesitter/objects/0/configure/Or/type_arg: 'type_arg' is not supported for typescript"
    ):
        _load_one(tmp_path, "typescript", "conf", block)


def test_supported_keys_and_user_names_that_spell_a_key_load(tmp_path):
    csharp = """\
    treesitter:
      calls:
        - names: [Lib.Client.Get]
          fields: {url: {type_arg: 0}}
      inject:
        Lib.Builder: {as: Lib.Client, keys: [client]}
    """
    _load_one(tmp_path / "cs", "csharp", "ok", csharp)
    go = """\
    treesitter:
      objects:
        - type: Client
          new: [example.com/lib.New]
          capture: {type_arg: {arg: 0}}
      calls:
        - names: [example.com/lib.Client.Get]
      constants: {example.com/lib.inject: 1, example.com/lib.decorators: 2}
    """
    _load_one(tmp_path / "go", "go", "ok", go)
