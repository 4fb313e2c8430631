"""Fact kinds: one definition per kind generates the facts schema, the docs' field tables and the
rule loader's field check; the typed views read what the schema describes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from extractor import docs
from extractor.catalog import RuleError, load_catalog, rule_schema
from extractor.config import Config
from extractor.facts import FACTS_VERSION
from extractor.kinds import ALL_KINDS, KINDS, view
from extractor.kinds.schema import GENERATED, facts_schema
from extractor.kinds.views import FlowTo, GrpcCall, HttpCall, IdGeneration, RetryPolicy, TargetView
from extractor.scan import scan

from .conftest import REPO
from .rulefiles import write_rule


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_committed_schemas_are_generated_from_the_kinds(name):
    text = GENERATED[name]()
    for path in (REPO / "extractor" / "schemas" / name, REPO / "docs" / "schemas" / name):
        assert path.read_text("utf-8") == text, f"{path.relative_to(REPO)} is stale: run `contracts rules docs`"


def test_kind_field_tables_in_the_docs_are_current():
    stale = docs.write_kind_docs(REPO / "docs", check=True)
    assert not stale, f"stale {stale}: run `contracts rules docs`"


def test_facts_schema_is_version_1_with_every_kind():
    schema = facts_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["version"] == {"const": FACTS_VERSION} and FACTS_VERSION == 1
    assert schema["$defs"]["fact"]["properties"]["kind"]["enum"] == list(ALL_KINDS)
    assert [c["if"]["properties"]["kind"]["const"] for c in schema["$defs"]["fact"]["allOf"]] == list(ALL_KINDS)
    http = schema["$defs"]["http_call"]
    assert http["required"] == ["library", "method", "url", "target"]
    assert http["allOf"] == [{"$ref": "#/$defs/timeout_fields"}]
    assert schema["$defs"]["timeout_fields"]["required"] == ["timeout_ms", "timeout_source"]
    assert schema["$defs"]["retry_policy"]["properties"]["attempts"]["minimum"] == 1
    assert None in schema["$defs"]["retry_policy"]["properties"]["backoff"]["enum"]


def test_every_public_field_has_a_one_line_doc():
    for kind in KINDS.values():
        assert kind.doc, kind.name
        for f in kind.all_fields():
            assert f.doc.strip() and "\n" not in f.doc, f"{kind.name}.{f.name}"
        for r in kind.raw:
            assert r.doc.strip() and "\n" not in r.doc, f"{kind.name} raw {r.name}"


def test_views_have_exactly_the_public_fields():
    for kind in KINDS.values():
        kind.check_view()


def test_the_rule_schema_knows_the_same_kinds():
    assert rule_schema()["$defs"]["kind"]["enum"] == list(ALL_KINDS)


def test_a_document_validates_against_the_generated_schema():
    fact = {
        "id": "http_call:0123456789ab",
        "kind": "http_call",
        "rule": "python.http.requests",
        "service": "orders",
        "file": "orders/app.py",
        "line": 3,
        "col": 5,
        "confidence": "high",
        "library": "requests",
        "method": "GET",
        "url": "http://risk:8080/v1/score",
        "target": {"service": "risk", "host": "risk", "port": 8080, "via": "url_literal", "expr": None},
        "timeout_ms": 200,
        "timeout_source": "literal",
        "retry_policies": [],
        "circuit_breakers": [],
        "retry_attempts": 1,
    }
    doc = {"version": 1, "root": ".", "services": [], "facts": [fact], "diagnostics": []}
    validator = jsonschema.Draft202012Validator(facts_schema())
    assert not list(validator.iter_errors(doc))
    broken = dict(fact, timeout_source="sometimes")
    assert list(validator.iter_errors(dict(doc, facts=[broken])))
    no_target = {k: v for k, v in fact.items() if k != "target"}
    assert list(validator.iter_errors(dict(doc, facts=[no_target])))


def test_views_read_fields_with_their_types_and_defaults():
    call = HttpCall.from_fields(
        {
            "library": "httpx",
            "method": "POST",
            "url": "http://a/x",
            "target": {"service": "a", "host": "a", "port": None, "via": "url_literal", "expr": None},
            "timeout_ms": 1500,
            "timeout_source": "constant",
            "timeout_constant": "TIMEOUT",
            "retry_policies": ["retry_policy:0123456789ab"],
        }
    )
    assert call.target == TargetView("a", "a", None, "url_literal", None)
    assert call.retry_policies == ("retry_policy:0123456789ab",)
    assert call.timeout_ms == 1500 and call.timeout_constant == "TIMEOUT" and call.timeout_env is None
    assert HttpCall.from_fields({}).retry_attempts == 1  # no policy covering it: one try
    assert HttpCall.from_fields({"retry_attempts": None}).retry_attempts is None  # unbounded
    grpc = GrpcCall.from_fields({"grpc_service": "risk.Risk", "rpc": "Score"})
    assert (grpc.grpc_service, grpc.rpc, grpc.target.service) == ("risk.Risk", "Score", None)
    ids = IdGeneration.from_fields(
        {"generator": "uuid.uuid4", "inside_retry": True, "flows_to": [{"call": "http_call:0123456789ab", "as": "header:Idempotency-Key"}]}
    )
    assert ids.flows_to == (FlowTo("http_call:0123456789ab", "header:Idempotency-Key"),) and ids.inside_retry
    policy = RetryPolicy.from_fields({"attempts": 3, "backoff": "exponential", "retry_on": ["Timeout"], "calls": []})
    assert (policy.attempts, policy.backoff, policy.retry_on, policy.max_delay_ms) == (3, "exponential", ("Timeout",), None)


def test_view_of_a_fact_picks_its_kind():
    from extractor.facts import Fact

    fact = Fact("retry_policy", "python.retry.tenacity", "a.py", 1, 1, "high", {"attempts": 5, "scope": "function"})
    assert view(fact) == RetryPolicy(attempts=5, scope="function")


def test_raw_names_come_from_the_kind_definitions():
    assert {"timeout", "url", "base_url"} <= KINDS["http_call"].raw_names()
    assert "timeout_ms" not in KINDS["http_call"].raw_names()  # public, not read from a rule
    assert {"max_delay_s", "max_delay_ms", "max_delay_ns", "stop_after_s"} <= KINDS["retry_policy"].raw_names()
    assert {"recovery_timeout", "recovery_timeout_ms"} <= KINDS["circuit_breaker"].raw_names()
    assert not KINDS["missing_timeout"].raw_names()
    generated = json.loads(GENERATED["rule-fields.schema.json"]())["$defs"]
    for name, kind in KINDS.items():
        assert set(generated[name]["propertyNames"]["anyOf"][0]["enum"]) == kind.raw_names()


def _load_error(tmp_path: Path) -> str:
    """The message of the RuleError loading the rules under ``tmp_path`` raises."""
    with pytest.raises(RuleError) as err:
        load_catalog([tmp_path])
    return str(err.value)


def test_a_field_its_kind_does_not_read_is_an_error_with_file_and_line(tmp_path):
    write_rule(
        tmp_path,
        "python.http.typo",
        "http_call",
        """\
python:
  calls:
    - names: [x.get]
      fields:
        url: {arg: 0}
        timeout: {kw: timeout}
        _private: {kw: name}
        timout_ms: {kw: timeout_ms}
""",
    )
    message = _load_error(tmp_path)
    assert "python/http/typo.yaml:14: python/calls/0/fields/timout_ms: 'timout_ms' is not a field of http_call" in message
    assert "url" not in message.split("(known:")[0] and "_private" not in message
    assert message.count("\n") == 0  # one problem: timeout (read as timeout_ms) and _private are fine


def test_each_match_is_checked_against_its_own_kind(tmp_path):
    write_rule(
        tmp_path,
        "go.retry.mixed",
        "[retry_policy, circuit_breaker]",
        """\
treesitter:
  calls:
    - names: [x.Retry]
      fields: {attempts: {arg: 0}, max_delay_ns: {arg: 1}}
    - names: [x.Breaker]
      kind: circuit_breaker
      fields: {failure_threshold: {arg: 0}, attempts: {arg: 1}}
  objects:
    - type: x.Client
      new: [x.New]
      configure:
        SetFallback: {capture: fallback, arg: 0, fact_field: fallbak}
""",
    )
    lines = _load_error(tmp_path).splitlines()
    assert len(lines) == 2, lines
    assert "go/retry/mixed.yaml:13: treesitter/calls/1/fields/attempts: 'attempts' is not a field of circuit_breaker" in lines[0]
    assert (
        "go/retry/mixed.yaml:18: treesitter/objects/0/configure/SetFallback/fact_field: 'fallbak' is not a field of retry_policy or circuit_breaker" in lines[1]
    )


def test_derive_copies_fields_the_kinds_have(tmp_path):
    write_rule(
        tmp_path,
        "python.timeouts.missing",
        "missing_timeout",
        """\
derive:
  from_kinds: [http_call]
  when: {timeout_sorce: [none]}
  copy: [library, urll]
""",
    )
    message = _load_error(tmp_path)
    assert "missing.yaml:9: derive/when/timeout_sorce: 'timeout_sorce' is not a field of http_call" in message
    assert "missing.yaml:10: derive/copy/1: 'urll' is not a field of missing_timeout" in message


def test_a_scope_timeout_decorator_sets_no_fact_fields(tmp_path):
    write_rule(
        tmp_path,
        "java.retry.limiter",
        "retry_policy",
        """\
treesitter:
  decorators:
    - names: [x.TimeLimiter]
      scope_timeout: time_limiter
      fields: {timeout: {kw: value}}
""",
    )
    assert [r.id for r in load_catalog([tmp_path]).rules] == ["java.retry.limiter"]


def test_every_rule_of_the_project_sets_only_fields_its_kind_reads(catalog):
    assert catalog.rules  # loading checked each rule's fields (a problem is a RuleError)


def test_timeout_scope_is_published_only_with_a_timeout(tmp_path):
    """A rule's ``timeout_scope: call`` says what the timeout bounds; a call without one has nothing
    to bound, so the field stays absent (absent means: each attempt)."""
    (tmp_path / "Risk.csproj").write_text("<Project />", encoding="utf-8")
    (tmp_path / "Client.cs").write_text(
        "public class Client {\n"
        "  private readonly HttpClient _timed = new HttpClient { Timeout = TimeSpan.FromSeconds(4) };\n"
        "  private readonly HttpClient _forever = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };\n"
        '  public Task A() => _timed.GetAsync("http://risk:8080/a");\n'
        '  public Task B() => _forever.GetAsync("http://risk:8080/b");\n'
        "}\n",
        encoding="utf-8",
    )
    facts = scan(tmp_path, config=Config(), rule_ids=["csharp.http.httpclient"]).facts
    got = sorted((f.fields["url"], f.fields["timeout_ms"], f.fields.get("timeout_scope", "absent")) for f in facts if f.kind == "http_call")
    assert got == [("http://risk:8080/a", 4000, "call"), ("http://risk:8080/b", None, "absent")]
    timed = next(f for f in facts if f.fields.get("url") == "http://risk:8080/a")
    assert HttpCall.from_fields(timed.fields).timeout_scope == "call"
