"""Input limits before work: sizes checked before a file is read, numbers out of range are errors at
their ``file:line``, JSON output never holds a non-finite number, unknown configuration keys are
errors with a suggestion, and a PATH with nothing to analyse is a usage error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor import yamlio
from extractor.cli import main
from extractor.config import ConfigError, load_config
from extractor.contracts import load_contract_text
from extractor.report import json_out

from .conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
CHECKOUT_DEPS = "checkout-service/contracts/dependencies.yaml"


def run(*args: str):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def strict_json(text: str):
    def refuse(name: str):
        raise AssertionError(f"non-finite number {name} in the JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root)
    return root


# -- numbers ----------------------------------------------------------------------------------------


def test_a_5000_digit_timeout_is_an_error_at_its_line_and_never_infinity(repo):
    deps = repo / CHECKOUT_DEPS
    text = deps.read_text("utf-8")
    assert "    timeout: 500ms\n" in text
    deps.write_text(text.replace("    timeout: 500ms\n", "    timeout: " + "9" * 5000 + "ms\n"), encoding="utf-8")
    line = text.splitlines().index("    timeout: 500ms") + 1
    message = f"{CHECKOUT_DEPS}:{line}: depends_on[0].timeout: out of range: durations are limited to 8784h (a year)"
    result = run("check", str(repo), "--format", "json", "--fail-on", "never", "--jobs", "1")
    assert result.exit_code == 2
    assert f"contracts: error: 1 contract file error(s); first: {message}" in result.stderr
    doc = strict_json(result.stdout)
    assert [(e["file"], e["line"]) for e in doc["contract_errors"]] == [(CHECKOUT_DEPS, line)]
    graph = run("graph", str(repo), "--jobs", "1")
    assert graph.exit_code == 2
    # the rejected value never reaches the graph: no attribute is sourced at its line
    sourced = {(v["file"], v["line"]) for e in strict_json(graph.stdout)["edges"] for vs in e["attributes"].values() for v in vs if "line" in v}
    assert sourced and (CHECKOUT_DEPS, line) not in sourced


@pytest.mark.parametrize(
    "entry, message",
    [
        ("timeout: 9000h", "depends_on[0].timeout: out of range: durations are limited to 8784h (a year)"),
        ("latency_budget:\n      acceptable: p95 < " + "9" * 400 + "ms", "depends_on[0].latency_budget.acceptable: out of range"),
        ("retry:\n      attempts: " + "9" * 50, "depends_on[0].retry.attempts: 50-digit number of attempts is out of range (at most 1000)"),
        ("retry:\n      attempts: 3\n      backoff: exponential " + "9" * 400 + "ms", "depends_on[0].retry.backoff: out of range"),
    ],
)
def test_numbers_out_of_range_are_errors_at_their_line(entry, message):
    text = "service: a\ndepends_on:\n  - service: b\n    " + entry + "\n"
    _, errors = load_contract_text(text, "c.yaml")
    line = text[: text.index(entry.rsplit("\n", 1)[-1].strip())].count("\n") + 1
    assert [(e.line, e.kind) for e in errors] == [(line, "value")]
    assert str(errors[0]).startswith(f"c.yaml:{line}: {message}")


def test_a_year_is_still_a_duration():
    (c,), errors = load_contract_text("service: a\ndepends_on:\n  - service: b\n    timeout: 8784h\n", "c.yaml")
    assert errors == []
    assert c.depends_on[0].timeout.ms == 8784 * 3_600_000


def test_an_integer_too_long_to_convert_is_a_yaml_error_at_its_line():
    with pytest.raises(yamlio.YamlError) as err:
        yamlio.load_text("service: a\nversion: 1\nn:\n  - " + "9" * 5000 + "\n", "c.yaml")
    assert str(err.value) == "c.yaml:4: invalid YAML: integer too large (5000 characters)"
    assert yamlio.load_text("a: 0x1F\nb: 1_000\n")[0] == {"a": 31, "b": 1000}


def test_json_output_writes_a_non_finite_number_as_null():
    text = json_out.dumps({"timeout_ms": float("inf"), "nested": [1.5, float("nan"), {"x": float("-inf")}], "ok": 2})
    assert strict_json(text) == {"timeout_ms": None, "nested": [1.5, None, {"x": None}], "ok": 2}
    assert json_out.dumps({"a": 1}) == '{\n  "a": 1\n}\n'


# -- sizes ------------------------------------------------------------------------------------------


def test_an_11_mb_contract_file_is_refused_before_it_is_read(repo, monkeypatch):
    big = repo / "checkout-service" / "contracts" / "big.yaml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("service: checkout\ndecisions:\n")
        while fh.tell() < 11_000_000:
            fh.write("  - title: a decision with some words in it\n")
    size = big.stat().st_size
    parsed: list[str] = []
    real = yamlio.load_text

    def spy(text: str, path: str = "<string>"):
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(yamlio, "load_text", spy)
    result = run("check", str(repo), "--fail-on", "never", "--jobs", "1")
    assert result.exit_code == 2
    assert (
        f"contracts: error: 1 contract file error(s); first: checkout-service/contracts/big.yaml:1: file too large ({size} bytes; contract files are limited to 1000000)"
        in result.stderr
    )
    assert "checkout-service/contracts/big.yaml" not in parsed  # neither discovery nor loading parsed it
    assert CHECKOUT_DEPS in parsed


def test_init_update_refuses_a_contract_file_over_the_limit_without_parsing_it(repo, monkeypatch):
    from extractor.commands import init

    deps = repo / CHECKOUT_DEPS
    deps.write_text(deps.read_text("utf-8") + "# padding\n" * 110_000, encoding="utf-8")
    size = deps.stat().st_size
    monkeypatch.setattr(init, "_round_trip", lambda text, path: pytest.fail(f"{path} was parsed"))
    result = run("init", "--update", str(repo), "--service", "checkout", "--jobs", "1")
    assert result.exit_code == 2
    assert f"contracts: error: {CHECKOUT_DEPS}:1: file too large ({size} bytes; contract files are limited to 1000000)" in result.stderr


def test_load_file_checks_the_size_before_reading(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\n" * 10, encoding="utf-8")
    with pytest.raises(yamlio.YamlError) as err:
        yamlio.load_file(path, "x.yaml", max_bytes=20)
    assert str(err.value) == "x.yaml: file too large (50 bytes; YAML files are limited to 20)"


def test_a_configuration_file_over_the_limit_is_refused(tmp_path):
    (tmp_path / "contracts.toml").write_text("# padding\n" * 110_000, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value) == "contracts.toml: too large (1100000 bytes; a configuration file is limited to 1000000)"


# -- configuration keys and values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "file, text, message",
    [
        ("contracts.toml", 'services = ["*"]\nrules = ["my-rules"]\n', "contracts.toml:2: unknown key 'rules' (known keys: services, ignore"),
        ("contracts.toml", "servics = []\n", "contracts.toml:1: unknown key 'servics'; did you mean 'services'?"),
        ("contracts.toml", '[nmaes]\n"a" = "b"\n', "contracts.toml:1: unknown key 'nmaes'; did you mean 'names'?"),
        (
            "pyproject.toml",
            '[project]\nname = "x"\n\n[tool.contracts]\nretry_amplifcation = 5\n',
            "pyproject.toml:5: unknown key 'retry_amplifcation'; did you mean 'retry_amplification'?",
        ),
        (
            "pyproject.toml",
            '[tool.contracts]\nignore = []\n\n[tool.contracts.nams]\n"a" = "b"\n',
            "pyproject.toml:4: unknown key 'nams'; did you mean 'names'?",
        ),
        ("contracts.toml", "retry_amplification = inf\n", "contracts.toml:1: retry_amplification must be a number from 1 to 1000000, got inf"),
        ("contracts.toml", "retry_amplification = nan\n", "contracts.toml:1: retry_amplification must be a number from 1 to 1000000, got nan"),
        ("contracts.toml", "file_time_limit = 1e9\n", "contracts.toml:1: file_time_limit must be a number of seconds from 0 (no limit) to 86400"),
        ("contracts.toml", "max_file_bytes = 99999999999999\n", "contracts.toml:1: max_file_bytes must be a positive integer of at most 1073741824"),
    ],
)
def test_bad_configuration_is_an_error_with_file_line_and_suggestion(tmp_path, file, text, message):
    (tmp_path / file).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(message)


def test_unknown_config_key_is_exit_2_on_the_command_line(repo):
    (repo / "contracts.toml").write_text('# mine\nrules = ["x"]\n\n[names]\n"payment-service" = "payment"\n', encoding="utf-8")
    result = run("check", str(repo), "--jobs", "1")
    assert result.exit_code == 2
    assert result.stderr.startswith("contracts: error: contracts.toml:2: unknown key 'rules' (known keys: ")


# -- PATH --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["scan"], ["check"], ["graph"], ["init"]])
def test_an_empty_folder_is_a_usage_error(tmp_path, command):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(*command, str(empty), "--jobs", "1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"contracts: error: {empty.as_posix()}: no source files of a supported language")
    assert "is PATH the repository?" in result.stderr
    assert list(empty.iterdir()) == []


def test_a_folder_with_only_documents_is_a_usage_error(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("# notes\n", encoding="utf-8")
    result = run("check", str(tmp_path), "--jobs", "1")
    assert result.exit_code == 2
    assert "no source files of a supported language and no contract files" in result.stderr


@pytest.mark.parametrize("path", ["", "fixtures/monorepos/fraud-detecton"])
def test_an_empty_or_mistyped_path_is_a_usage_error(path):
    result = run("check", path)
    assert result.exit_code == 2
    assert f"Directory '{path}' does not exist" in result.output


@pytest.mark.parametrize("command", [["scan"], ["check"], ["graph"]])
def test_a_repository_with_contracts_only_is_not_empty(tmp_path, command):
    (tmp_path / "risk" / "contracts").mkdir(parents=True)
    (tmp_path / "risk" / "contracts" / "sla.yaml").write_text("service: risk\nprovides:\n  - operation: score\n", encoding="utf-8")
    result = run(*command, str(tmp_path), "--jobs", "1")
    assert (result.exit_code, result.stderr) == (0, "")
