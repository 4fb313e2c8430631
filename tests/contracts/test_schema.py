"""The published JSON Schema accepts what the loader accepts and rejects what it rejects."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from extractor import yamlio
from extractor.contracts import load_contract_file
from extractor.contracts.load import REQUIRED, SHAPES, TOP_LEVEL_KEYS
from extractor.contracts.model import DELIVERY_GUARANTEES, HTTP_METHODS, IDEMPOTENCY_EXPECTATIONS, PII_LEVELS
from extractor.contracts.values import ContractValueError, parse_backoff, parse_bound, parse_duration, parse_percentiles, parse_range
from extractor.kinds.messages import BROKERS

from .helpers import ARTICLE, INVALID, schema_should_accept


@cache
def schema() -> dict[str, Any]:
    return json.loads(resources.files("extractor.schemas").joinpath("contracts.v1.schema.json").read_text("utf-8"))


def _as_editor_sees(value: Any) -> Any:
    """YAML timestamps reach a schema validator in an editor as strings."""
    value = yamlio.plain(value)
    if isinstance(value, dict):
        return {k: _as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editor_sees(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def schema_errors(path: Path) -> list[str]:
    """Schema violations of every document of a file; an unreadable file is one violation."""
    validator = jsonschema.Draft202012Validator(schema())
    try:
        documents = yamlio.load_file(path, path.name)
    except yamlio.YamlError as exc:
        return [str(exc)]
    out = []
    for doc in documents:
        if doc is None:
            continue
        out += [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_as_editor_sees(doc))]
    return out


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


ARTICLE_FILES = sorted(ARTICLE.rglob("*.yaml"))


def test_there_are_eight_article_shapes():
    assert len(ARTICLE_FILES) == 8


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda p: p.relative_to(ARTICLE).as_posix())
def test_article_shapes_load_and_validate(path):
    contracts, errors = load_contract_file(path)
    assert errors == []
    assert len(contracts) == 1
    assert schema_errors(path) == []


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.name)
def test_invalid_files_are_rejected_by_loader_and_schema(path):
    _, errors = load_contract_file(path)
    assert errors, "the loader accepted an invalid example"
    if schema_should_accept(path):
        assert schema_errors(path) == [], "marked '# schema: valid' but the schema rejects it"
    else:
        assert schema_errors(path), "the schema accepted an invalid example"


def test_non_utf8_is_rejected_by_both(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes("service: caf\xe9\n".encode("latin-1"))
    assert load_contract_file(path)[1] and schema_errors(path)


# -- the schema and the loader allow the same keys, required keys and words -----------------------


def _props(node: dict[str, Any]) -> dict[str, Any]:
    defs = schema()["$defs"]
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[1]]
    return node


def _shape_nodes() -> dict[str, dict[str, Any]]:
    defs = schema()["$defs"]
    dep = defs["dependency"]["properties"]
    return {
        "depends_on": defs["dependency"],
        "latency_budget": dep["latency_budget"],
        "retry": dep["retry"]["oneOf"][1],
        "on_timeout": defs["onTimeout"],
        "provides.operation": defs["providedOperation"],
        "provides.dataset": defs["providedDataset"],
        "provides.endpoint": defs["providedEndpoint"],
        "latency": defs["providedOperation"]["properties"]["latency"],
        "operation_budget": defs["providedOperation"]["properties"]["latency_budget"],
        "retry_advice": defs["providedOperation"]["properties"]["retry_advice"],
        "data_dependencies": defs["dataDependency"],
        "retry_policies": defs["retryPolicy"],
        "operations": defs["operation"],
        "requires": defs["requirement"],
        "decisions": defs["decision"],
        "publishes": defs["publication"],
        "consumes": defs["subscription"],
    }


def test_schema_and_loader_allow_the_same_keys():
    assert tuple(schema()["properties"]) == TOP_LEVEL_KEYS
    assert schema()["required"] == ["service"]
    nodes = _shape_nodes()
    assert set(nodes) == set(SHAPES)
    for shape, node in nodes.items():
        assert tuple(node["properties"]) == SHAPES[shape], shape
        assert node.get("additionalProperties") is False, shape
        assert tuple(node.get("required", ())) == REQUIRED.get(shape, ()) or shape.startswith("provides."), shape
    for kind in ("operation", "dataset", "endpoint"):
        assert nodes[f"provides.{kind}"]["required"] == [kind]


def test_every_key_has_a_description():
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert "description" in sub or "description" in _props(sub), f"{where}.{name}"
            for key, sub in node.items():
                walk(sub, f"{where}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk(schema(), "")


def test_schema_and_model_agree_on_words():
    defs = schema()["$defs"]
    assert tuple(defs["providedEndpoint"]["properties"]["pii"]["enum"]) == PII_LEVELS
    assert tuple(defs["providedEndpoint"]["properties"]["method"]["enum"]) == HTTP_METHODS
    assert tuple(defs["operation"]["properties"]["expects"]["enum"]) == IDEMPOTENCY_EXPECTATIONS
    for entry in ("publication", "subscription"):
        assert tuple(defs[entry]["properties"]["delivery"]["enum"]) == DELIVERY_GUARANTEES
        assert tuple(defs[entry]["properties"]["broker"]["enum"]) == BROKERS


# -- the schema's value patterns accept exactly the form the parsers accept -----------------------

FORMS = {
    "duration": (
        parse_duration,
        ["500ms", "2s", "5m", "5min", "1h", "1.5s", " 2 s ", "0s", "fast", "500", "2S", "5 sec", "1s 2s", "-1s", "1.5.5s", "5ms(x)", "5mss", "10d"],
    ),
    "limit": (parse_bound, ["<10s", "<= 10s", "10s", "<10s (why)", "< 1m(x)", "=10s", ">10s", "<10", "10 s s", "<10s (a) (b)", "<10s)"]),
    "percentileLimits": (
        lambda v: parse_percentiles(v, limits_only=True),
        [
            "p50 < 100ms",
            "p95 <= 200ms",
            "p99<500ms",
            "P95 < 1s",
            "p99.9 < 1s",
            "p50 < 1s, p99 < 2s (note)",
            "p95=200ms",
            "p95 200ms",
            "p0 < 1s",
            "p101 < 1s",
            "p050 < 1s",
            "p95 < 1s,",
            "p95 < 1s p99 < 2s",
            "p95x < 1s",
            "p100.0 < 1s",
            "p0.5 < 1s",
            "p0.0 < 1s",
        ],
    ),
    "percentiles": (
        parse_percentiles,
        [
            "p50=2800ms, p95=3200ms",
            "p50=80ms, p95=150ms (requires caching)",
            "p95 < 150ms",
            "p95 = 1s",
            "p95 == 1s",
            "p95=1s (a",
            "p95=1s ()",
            "p95",
            "=1s",
            "p95=1s,, p99=2s",
        ],
    ),
    "range": (
        parse_range,
        [
            "15-30s typical, 60s max",
            "15s-30s",
            "15 - 30 s",
            "500ms-2s",
            "30s",
            "30s typical",
            "<10s",
            "<= 10s",
            "60s max",
            "60s max, 15-30s typical",
            "15-30s, <1m",
            "15-30s typical, 60s max (replica lag)",
            "15-30",
            "15-30s usually",
            "15-30s max",
            "=30s",
            "stale",
            "30stypical",
            "60smax",
            "15-30s typical typical",
            "<10s typical",
            "typical 30s",
            "max 60s",
            "15-30s typical, 60s max, 90s max",
            "1s, 2s",
            "15s-",
            "-30s",
        ],
    ),
    "backoff": (
        parse_backoff,
        [
            "none",
            "constant",
            "linear",
            "exponential",
            "exponential 100ms",
            "constant 1s",
            "200ms",
            "expo",
            "none 1s",
            "exponential100ms",
            "exponential fast",
            "Exponential",
            "100ms exponential",
        ],
    ),
}


def _parses(parse, text: str) -> bool:
    try:
        parse(text)
    except ContractValueError:
        return False
    return True


@pytest.mark.parametrize("form", sorted(FORMS))
def test_value_patterns_match_the_parsers(form):
    parse, samples = FORMS[form]
    pattern = re.compile(schema()["$defs"][form]["pattern"])
    disagree = [(s, _parses(parse, s)) for s in samples if _parses(parse, s) != bool(pattern.search(s))]
    assert disagree == [], "(sample, parser accepts) where the schema pattern disagrees"
    assert any(_parses(parse, s) for s in samples) and not all(_parses(parse, s) for s in samples)


def test_the_every_key_example_validates():
    from .helpers import DATA

    assert schema_errors(DATA / "every-key.yaml") == []
