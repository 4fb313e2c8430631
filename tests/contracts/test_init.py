"""`contracts init`: contract files for legacy services from what their code shows, and `--update`.

Every test works on a copy of the sample monorepo in ``tmp_path``; values are asserted line by line,
including the provenance comment that says where in the code each one was found.
"""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.commands.init import duration, scalar
from extractor.contracts import load_contract_file, load_contract_text

from ..conftest import FIXTURES, REPO
from .test_schema import schema_errors

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
PAYMENT = "payment-service/contracts/inferred.yaml"
CHECKOUT_DEPS = "checkout-service/contracts/dependencies.yaml"


def run(*args: str):
    return CliRunner().invoke(main, [*args, "--jobs", "1"], catch_exceptions=False)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "fraud-detection"
    shutil.copytree(SAMPLE, root)
    return root


def line_of(text: str, start: str) -> str:
    (line,) = [l for l in text.splitlines() if l.startswith(start)]
    return line


# -- init: new files for services without contracts ---------------------------------------------


def test_init_writes_a_contract_for_the_legacy_service_only(repo):
    before = tree(repo)
    result = run("init", str(repo))
    assert result.exit_code == 0, result.output
    after = tree(repo)
    assert set(after) - set(before) == {PAYMENT}
    assert all(after[p] == before[p] for p in before)
    out = result.stdout
    assert "payment: wrote payment-service/contracts/inferred.yaml (provides operation authorize, endpoint POST /v1/authorize)" in out
    for service in ("checkout", "orders", "risk", "support"):
        assert re.search(rf"^{service}: has contract files \(.+\); left alone", out, re.M), service
    assert "1 file(s) changed." in out


def test_the_written_values_carry_their_provenance(repo):
    run("init", str(repo))
    text = (repo / PAYMENT).read_text("utf-8")
    assert line_of(text, "service:") == "service: payment"
    assert line_of(text, "  - operation:") == "  - operation: authorize  # inferred: payment-service/payment/service.py:9 (python.endpoints.fastapi)"
    assert line_of(text, "  - endpoint:") == "  - endpoint: /v1/authorize  # inferred: payment-service/payment/service.py:9 (python.endpoints.fastapi)"
    assert line_of(text, "    method:") == "    method: POST  # inferred: payment-service/payment/service.py:9 (python.endpoints.fastapi)"
    assert text.count("    inferred: true\n") == 2
    # the httpx call to the card gateway: an external host, so a comment with its 10 s timeout
    assert line_of(text, "#   POST https://gateway") == (
        "#   POST https://gateway.payments.example.com/charges: timeout 10s (the client's default), retry none  # inferred: payment-service/payment/gateway.py:12 (python.http.httpx)"
    )
    # values the code cannot give are TODO comments, never values
    assert "    # TODO latency (not in code):" in text
    assert "    # TODO returns, access, pii (not in code):" in text
    assert not re.search(r"^\s*(latency|pii|access|returns|freshness_required):", text, re.M)


def test_the_written_file_loads_validates_and_is_the_docs_example(repo):
    run("init", str(repo))
    (payment,), errors = load_contract_file(repo / PAYMENT, PAYMENT, found_in="payment")
    assert errors == []
    assert schema_errors(repo / PAYMENT) == []
    op = payment.provided_operation("authorize")
    (ep,) = payment.provided_endpoints
    assert op is not None and op.unconfirmed and not op.inferred  # declared in a file, not yet confirmed
    assert (ep.endpoint, ep.route, ep.method, ep.unconfirmed) == ("/v1/authorize", "/v1/authorize", "POST", True)
    assert op.where("operation").line == 8
    docs = (REPO / "docs" / "contracts.md").read_text("utf-8")
    assert "```yaml\n" + (repo / PAYMENT).read_text("utf-8") + "```" in docs


def test_check_loads_the_new_file_without_contract_errors(repo):
    run("init", str(repo))
    result = run("check", str(repo), "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["contract_errors"] == []
    reminder = [f for f in report["findings"] if f["check"] == "drift.unconfirmed"]
    assert [(f["services"], f["severity"], f["status"]) for f in reminder] == [(["payment"], "info", "UNVERIFIED")]
    assert [(l["file"], l["line"]) for l in reminder[0]["locations"]] == [(PAYMENT, 8), (PAYMENT, 11)]


def test_a_second_init_changes_nothing(repo):
    run("init", str(repo))
    first = tree(repo)
    result = run("init", str(repo))
    assert result.exit_code == 0
    assert tree(repo) == first
    assert "payment: has contract files (payment-service/contracts/inferred.yaml); left alone" in result.stdout
    assert result.stdout.rstrip().endswith("No file changed.")


def test_dry_run_writes_nothing_and_prints_the_diff(repo):
    before = tree(repo)
    result = run("init", "--dry-run", str(repo))
    assert result.exit_code == 0
    assert tree(repo) == before
    out = result.stdout
    assert "payment: would write payment-service/contracts/inferred.yaml" in out
    assert "--- /dev/null\n+++ b/payment-service/contracts/inferred.yaml\n@@ -0,0 +1,16 @@\n" in out
    assert "+service: payment\n" in out
    assert "+  - operation: authorize  # inferred: payment-service/payment/service.py:9 (python.endpoints.fastapi)\n" in out
    run("init", str(repo))
    written = (repo / PAYMENT).read_text("utf-8")
    assert "".join(l[1:] + "\n" for l in out.split("@@ -0,0 +1,16 @@\n", 1)[1].splitlines()) == written


def test_every_section_with_provenance_when_contracts_are_missing(repo):
    """With checkout's and risk's contracts gone, their code yields every section init writes."""
    shutil.rmtree(repo / "checkout-service" / "contracts")
    shutil.rmtree(repo / "risk-service" / "contracts")
    assert run("init", str(repo), "--service", "checkout-service", "--service", "risk-service").exit_code == 0
    checkout = (repo / "checkout-service/contracts/inferred.yaml").read_text("utf-8")
    risk = (repo / "risk-service/contracts/inferred.yaml").read_text("utf-8")
    fraud = "checkout-service/checkout/fraud.py"
    assert f"    timeout: 5s  # inferred: {fraud}:20 (python.http.requests); env RISK_TIMEOUT_SECONDS=5 in docker-compose.yml\n" in checkout
    assert f"    retry:  # inferred: {fraud}:12 (python.retry.tenacity)\n      attempts: 3  # inferred: {fraud}:12 (python.retry.tenacity)\n" in checkout
    assert f"      backoff: exponential  # inferred: {fraud}:12 (python.retry.tenacity)\n" in checkout
    assert "    timeout: 3s  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests); constant PAYMENT_TIMEOUT\n" in checkout
    assert f"retry_policies:\n  - target: risk-service.score_transaction  # inferred: {fraud}:12 (python.retry.tenacity)\n" in checkout
    assert f"      generates_new_request_id: true  # inferred: {fraud}:19 (python.ids.generators)\n" in checkout
    assert "    window: 5m  # inferred: risk-service/risk/api.py:13 (python.idempotency.handlers)\n" in risk
    assert "    idempotency_key: transaction_id  # inferred: risk-service/risk/api.py:13 (python.idempotency.handlers)\n" in risk
    assert '  - source: "{env ORDERS_REPLICA_URL}"  # inferred: risk-service/risk/history.py:11 (python.replica.sqlalchemy)' in risk
    assert (
        "#   POST https://api.fraud-signals.example.com/checks: no timeout, retry none  # inferred: risk-service/risk/signals.py:12 (python.http.requests)\n"
        in risk
    )
    # sections in document order, entries sorted
    assert [l for l in checkout.splitlines() if re.match(r"^\w", l)] == ["service: checkout-service", "depends_on:", "provides:", "retry_policies:"]
    assert [l.split("#")[0].strip() for l in checkout.splitlines() if l.startswith("  - service:")] == ["- service: payment", "- service: risk-service"]
    (c,), errors = load_contract_text(checkout, "checkout.yaml")
    assert errors == []
    dep = c.dependency("risk-service", "score_transaction")
    assert dep is not None and dep.timeout.ms == 5000 and dep.retry.attempts == 3 and dep.unconfirmed
    (policy,) = c.retry_policies
    assert policy.on_timeout.generates_new_request_id is True and policy.unconfirmed
    (r,), errors = load_contract_text(risk, "risk.yaml")
    assert errors == []
    assert r.operation("score_transaction").window.ms == 300_000
    assert r.data_dependencies[0].dataset == "user_purchases"
    assert run("check", str(repo), "--fail-on", "never").exit_code == 0


# -- --update: add what is missing to files people wrote -------------------------------------------


HAND_WRITTEN = """\
# checkout-service/contracts/dependencies.yaml
service: checkout   # owned by the checkout team
depends_on:
  # risk is on the critical path: keep it fast
  - service: risk
    operation: scoreTransaction
    timeout: 500ms        # agreed with risk in March
    fallback: allow_with_monitoring
    retry: none
# payment is called after the fraud check
"""


def test_update_adds_the_missing_dependency_and_keeps_the_hand_written_file(repo):
    (repo / CHECKOUT_DEPS).write_text(HAND_WRITTEN, encoding="utf-8")
    result = run("init", "--update", str(repo), "--service", "checkout")
    assert result.exit_code == 0, result.output
    text = (repo / CHECKOUT_DEPS).read_text("utf-8")
    added = [
        "  - service: payment  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests)",
        "    operation: authorize  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests)",
        "    timeout: 3s  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests); constant PAYMENT_TIMEOUT",
        "    retry: none  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests)",
        "    inferred: true",
    ]
    original = HAND_WRITTEN.splitlines()
    # every hand-written line, comments included, unchanged and in order; the entry after risk's,
    # the comment that closed the list still right before what follows it (here: the end)
    assert text.splitlines()[:9] == original[:9]
    assert text.splitlines()[9:14] == added
    assert text.splitlines()[-1] == original[-1]
    assert [l for l in text.splitlines() if l not in original] == added + list(text.splitlines()[14:-1])
    assert all(l.startswith("    # TODO ") for l in text.splitlines()[14:-1])
    (c,), errors = load_contract_text(text, CHECKOUT_DEPS)
    assert errors == []
    risk, payment = c.depends_on
    assert (risk.service, risk.timeout.ms, risk.unconfirmed) == ("risk", 500, False)
    assert (payment.service, payment.operation, payment.timeout.ms, payment.retry.enabled, payment.unconfirmed) == ("payment", "authorize", 3000, False, True)
    # the endpoint checkout serves: a section none of its files has, so a file of its own
    own = (repo / "checkout-service/contracts/inferred.yaml").read_text("utf-8")
    assert "  - endpoint: /checkout  # inferred: checkout-service/checkout/app.py:9 (python.endpoints.flask)\n" in own
    assert (
        f"checkout: added to {CHECKOUT_DEPS} (depends_on payment.authorize), checkout-service/contracts/inferred.yaml (provides operation checkout, endpoint POST /checkout)"
        in result.stdout
    )
    # checkout's retry policy for risk (retry.yaml) already says what the code does: not added again
    assert "retry_policies" not in text + own


def test_a_second_update_changes_nothing(repo):
    (repo / CHECKOUT_DEPS).write_text(HAND_WRITTEN, encoding="utf-8")
    assert run("init", "--update", str(repo)).exit_code == 0
    first = tree(repo)
    result = run("init", "--update", str(repo))
    assert result.exit_code == 0
    assert tree(repo) == first
    assert result.stdout.count("already hold everything its code shows") == 5


def test_update_dry_run_shows_only_added_lines(repo):
    (repo / CHECKOUT_DEPS).write_text(HAND_WRITTEN, encoding="utf-8")
    before = tree(repo)
    result = run("init", "--update", "--dry-run", str(repo), "--service", "checkout")
    assert result.exit_code == 0
    assert tree(repo) == before
    diff = result.stdout.split(f"--- a/{CHECKOUT_DEPS}\n+++ b/{CHECKOUT_DEPS}\n", 1)[1].split("\n--- ", 1)[0]
    body = [l for l in diff.splitlines() if not l.startswith("@@")]
    assert not [l for l in body if l.startswith("-")]
    assert "+  - service: payment  # inferred: checkout-service/checkout/payment.py:7 (python.http.requests)" in body


def test_update_leaves_files_it_cannot_edit_exactly_and_writes_beside_them(repo):
    flow = "service: checkout\ndepends_on: [{service: risk, operation: scoreTransaction, timeout: 500ms}]\n"
    (repo / CHECKOUT_DEPS).write_text(flow, encoding="utf-8")
    assert run("init", "--update", str(repo), "--service", "checkout").exit_code == 0
    assert (repo / CHECKOUT_DEPS).read_text("utf-8") == flow
    own = (repo / "checkout-service/contracts/inferred.yaml").read_text("utf-8")
    assert "depends_on:\n  - service: payment  # inferred:" in own


def test_update_keeps_crlf_line_endings(repo):
    crlf = HAND_WRITTEN.replace("\n", "\r\n").encode()
    (repo / CHECKOUT_DEPS).write_bytes(crlf)
    assert run("init", "--update", str(repo), "--service", "checkout").exit_code == 0
    data = (repo / CHECKOUT_DEPS).read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.startswith(crlf.rsplit(b"# payment", 1)[0]) and b"  - service: payment  # inferred:" in data


def test_update_json_follows_its_schema(repo):
    result = run("init", "--update", "--dry-run", "--format", "json", str(repo))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    schema = json.loads(resources.files("extractor.schemas").joinpath("init.v1.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema)
    assert (data["dry_run"], data["update"]) == (True, True)
    status = {s["service"]: s["status"] for s in data["services"]}
    assert status == {"checkout": "updated", "orders": "updated", "payment": "created", "risk": "up_to_date", "support": "updated"}
    payment = next(s for s in data["services"] if s["service"] == "payment")
    assert payment["added"] == [
        {"section": "provides", "entry": "operation authorize", "file": PAYMENT},
        {"section": "provides", "entry": "endpoint POST /v1/authorize", "file": PAYMENT},
    ]
    assert payment["external_calls"] == 1
    assert [f["path"] for f in data["files"]] == sorted(f["path"] for f in data["files"])


# -- errors: file:line, exit 2, nothing written ------------------------------------------------------


def test_bad_yaml_in_a_file_to_update_is_exit_2_with_file_and_line(repo):
    (repo / CHECKOUT_DEPS).write_text("service: checkout\ndepends_on:\n  - service: [risk\n", encoding="utf-8")
    before = tree(repo)
    result = run("init", "--update", str(repo))
    assert result.exit_code == 2
    assert re.search(rf"contracts: error: {re.escape(CHECKOUT_DEPS)}:\d+: invalid YAML", result.stderr)
    assert tree(repo) == before


def test_an_unwritable_path_is_exit_2_and_writes_nothing(repo):
    (repo / "payment-service" / "contracts").write_text("not a folder", encoding="utf-8")
    (repo / CHECKOUT_DEPS).write_text(HAND_WRITTEN, encoding="utf-8")
    before = tree(repo)
    result = run("init", "--update", str(repo))
    assert result.exit_code == 2
    assert "contracts: error: payment-service/contracts: cannot create the folder for payment-service/contracts/inferred.yaml" in result.stderr
    assert tree(repo) == before


def test_an_unknown_service_is_exit_2(repo):
    result = run("init", str(repo), "--service", "billing")
    assert result.exit_code == 2
    assert "unknown service(s): billing (services found: checkout, orders, payment, risk, support)" in result.stderr


# -- the pieces ------------------------------------------------------------------------------------


def test_inferred_marks_load_into_the_model():
    text = "service: s\ndepends_on:\n  - service: a\n    inferred: true\n  - service: b\n    inferred: false\n  - service: c\n"
    (c,), errors = load_contract_text(text, "s.yaml")
    assert errors == []
    assert [d.unconfirmed for d in c.depends_on] == [True, False, False]
    assert c.depends_on[0] == load_contract_text("service: s\ndepends_on:\n  - service: a\n", "t.yaml")[0][0].depends_on[0]
    _, errors = load_contract_text(
        "service: s\nrequires:\n  - from: a\n    data: d\n    inferred: true\ndepends_on:\n  - service: a\n    inferred: yes please\n", "s.yaml"
    )
    assert [(e.line, e.kind) for e in errors] == [(5, "unknown_key"), (8, "type")]


def test_scalars_and_durations():
    assert [scalar(t) for t in ("authorize", "/v1/authorize", "/users/<int:id>", "{env X}", "true", "a: b", "x #y", "3")] == [
        "authorize",
        "/v1/authorize",
        "/users/<int:id>",
        '"{env X}"',
        '"true"',
        '"a: b"',
        '"x #y"',
        '"3"',
    ]
    assert [duration(ms) for ms in (250, 1500, 3000, 300_000, 7_200_000, 0.5)] == ["250ms", "1500ms", "3s", "5m", "2h", "0.5ms"]
