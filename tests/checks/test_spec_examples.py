"""Issue 14 item 5: the article's examples that no check reported, each reproduced and its finding asserted."""

from __future__ import annotations

from extractor.checks.base import REGISTRY

from ..conftest import REPO
from .helpers import analyse_repo, check, findings, locs, write

SAMPLE = REPO / "fixtures" / "monorepos" / "fraud-detection"


# -- a contract contradicting itself -------------------------------------------------------------

DEPENDS = """
    service: checkout
    depends_on:
      - service: risk
        operation: scoreTransaction
        latency_budget:
          acceptable: p95 < 200ms
          maximum: p99 < 500ms
        timeout: {timeout}
        retry: {retry}
"""

POLICY = """
    service: checkout
    retry_policies:
      - target: {target}
        attempts: {attempts}
"""


def contradiction(tmp_path, *, retry="none", attempts="3", target="risk.scoreTransaction", timeout="400ms"):
    return write(
        tmp_path,
        {
            "checkout/contracts/dependencies.yaml": DEPENDS.format(retry=retry, timeout=timeout),
            "checkout/contracts/retry.yaml": POLICY.format(target=target, attempts=attempts),
            "risk/contracts/sla.yaml": "service: risk\n",
        },
    )


def test_retry_none_against_a_policy_that_retries(tmp_path):
    (f,) = check(contradiction(tmp_path), "consistency.retry")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("consistency", "warning", "INCONSISTENT", ("checkout", "risk"), "risk.scoreTransaction")
    assert f.message == "checkout's contract says retry: none for risk.scoreTransaction in depends_on, and 3 attempts in retry_policies (risk.scoreTransaction)"
    assert [(s.role, s.text, [str(l) for l in s.locations]) for s in f.sides] == [
        ("declares", "depends_on: retry: none", ["checkout/contracts/dependencies.yaml:9"]),
        ("declares", "retry_policies: 3 attempts", ["checkout/contracts/retry.yaml:3"]),
    ]
    assert [r.action for r in f.resolutions] == [
        "checkout: keep one statement: remove the retry_policies entry for risk.scoreTransaction, or change depends_on's retry to match it"
    ]


def test_other_attempts_on_both_sides(tmp_path):
    (f,) = check(contradiction(tmp_path, retry="{attempts: 2}", attempts="4", target="risk"), "consistency.retry")
    assert f.message == "checkout's contract says 2 attempts for risk.scoreTransaction in depends_on, and 4 attempts in retry_policies (risk)"
    assert locs(f) == ["checkout/contracts/dependencies.yaml:9", "checkout/contracts/retry.yaml:3"]


def test_agreeing_statements_and_other_targets_are_fine(tmp_path):
    assert check(contradiction(tmp_path / "a", attempts="1"), "consistency.retry") == []
    assert check(contradiction(tmp_path / "b", retry="{attempts: 3}", attempts="3"), "consistency.retry") == []
    assert check(contradiction(tmp_path / "c", target="risk.otherOperation"), "consistency.retry") == []
    assert check(contradiction(tmp_path / "d", target="payment"), "consistency.retry") == []


def test_a_policy_without_attempts_defers_to_the_dependency():
    """The article's checkout contract: ``retry: none`` in dependencies.yaml, and in retry.yaml only what a
    retry after a timeout does to the id (``on_timeout``, no ``attempts``): not a contradiction."""
    analysis = analyse_repo(SAMPLE)
    assert findings(analysis, "consistency.retry") == []
    assert [f.check for f in findings(analysis, "idempotency.new-id-on-retry")] == ["idempotency.new-id-on-retry"]


def test_a_timeout_above_its_own_maximum_budget(tmp_path):
    (f,) = check(contradiction(tmp_path, timeout="800ms"), "consistency.timeout-budget")
    assert (f.kind, f.severity, f.status, f.subject) == ("consistency", "warning", "INCONSISTENT", "risk.scoreTransaction")
    assert f.message == "checkout waits up to 800ms for risk.scoreTransaction but its latency budget's maximum is p99 < 500ms"
    assert [(s.text, [str(l) for l in s.locations]) for s in f.sides] == [
        ("timeout 800ms", ["checkout/contracts/dependencies.yaml:8"]),
        ("latency budget maximum p99 < 500ms", ["checkout/contracts/dependencies.yaml:7"]),
    ]
    assert [r.action for r in f.resolutions] == [
        "checkout: lower the timeout to 500ms or less",
        "checkout: or raise the budget's maximum to what the timeout allows",
    ]


def test_a_timeout_within_the_maximum_is_fine(tmp_path):
    assert check(contradiction(tmp_path / "a", timeout="500ms"), "consistency.timeout-budget") == []
    assert check(contradiction(tmp_path / "b", timeout="450ms"), "consistency.timeout-budget") == []


def test_contradictions_are_findings_not_contract_errors(tmp_path):
    analysis = analyse_repo(contradiction(tmp_path, timeout="800ms"))
    assert analysis.declared.errors == []
    assert REGISTRY["consistency.retry"].kind == REGISTRY["consistency.timeout-budget"].kind == "consistency"


# -- an id regenerated per attempt towards a provider that declares nothing ----------------------

CODE = """
    import uuid

    import requests
    from tenacity import retry, stop_after_attempt


    @retry(stop=stop_after_attempt(3))
    def check_fraud(cart):
        {id_line}
        return requests.post("http://risk:8080/v1/score", json={{"cart": cart}}, headers={{"{header}": tx_id}}, timeout=1)
"""


def regenerated(tmp_path, *, id_line="tx_id = str(uuid.uuid4())", header="Idempotency-Key", risk_contract=None):
    files = {
        "checkout/requirements.txt": "requests\ntenacity\n",
        "checkout/checkout/fraud.py": CODE.format(id_line=id_line, header=header),
        "risk/requirements.txt": "flask\n",
    }
    if risk_contract is not None:
        files["risk/contracts/ops.yaml"] = risk_contract
    return write(tmp_path, files)


def test_an_idempotency_key_regenerated_per_attempt_is_a_warning_without_any_provider_contract(tmp_path):
    (f,) = check(regenerated(tmp_path), "idempotency.new-id-per-attempt")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("idempotency", "warning", "AT_RISK", ("checkout", "risk"), "risk")
    assert f.message == "checkout generates a new Idempotency-Key on every attempt at risk; risk cannot tell a retry from a new request"
    assert [(s.service, s.role, s.text) for s in f.sides] == [
        ("checkout", "does", "generates new Idempotency-Key on every attempt"),
        ("risk", "provides", "no idempotency expectation declared"),
    ]
    assert locs(f) == ["checkout/checkout/fraud.py:7", "checkout/checkout/fraud.py:9", "checkout/checkout/fraud.py:10"]
    assert f.sides[0].locations[0].rule == "python.ids.generators"
    assert [r.action for r in f.resolutions] == [
        "checkout: generate Idempotency-Key once, before the first attempt, and send the same value on every retry",
        "risk: declare what it expects of Idempotency-Key (operations: expects: stable_across_retries or new_per_attempt)",
    ]


def test_a_request_id_counts_and_a_trace_id_does_not(tmp_path):
    (f,) = check(regenerated(tmp_path / "a", header="X-Request-ID"), "idempotency.new-id-per-attempt")
    assert f.sides[0].text == "generates new X-Request-ID on every attempt"
    assert check(regenerated(tmp_path / "b", header="X-Trace-ID"), "idempotency.new-id-per-attempt") == []


def test_an_id_made_once_before_the_retry_is_fine(tmp_path):
    assert check(regenerated(tmp_path, id_line="tx_id = TX_ID"), "idempotency.new-id-per-attempt") == []


def test_a_provider_that_declares_its_expectation_is_left_to_the_other_checks(tmp_path):
    ops = "service: risk\noperations:\n  - name: score\n    expects: {}\n"
    for i, expects in enumerate(("new_per_attempt", "none")):
        root = regenerated(tmp_path / str(i), risk_contract=ops.format(expects))
        assert check(root, "idempotency.new-id-per-attempt") == [], expects
    stable = regenerated(tmp_path / "s", risk_contract=ops.format("stable_across_retries") + "    idempotency_key: Idempotency-Key\n")
    assert check(stable, "idempotency.new-id-per-attempt") == []
    assert [f.check for f in check(stable, "idempotency.new-id-on-retry")] == ["idempotency.new-id-on-retry"]


def test_a_host_outside_the_repository_declares_nothing_either(tmp_path):
    root = regenerated(tmp_path)
    fraud = root / "checkout" / "checkout" / "fraud.py"
    fraud.write_text(fraud.read_text().replace("http://risk:8080/v1/score", "https://api.stripe.com/v1/charges"))
    (f,) = check(root, "idempotency.new-id-per-attempt")
    assert f.services == ("checkout", "api.stripe.com")
    assert f.sides[1].text == "a host outside the repository"


# -- a declared fallback against the code ---------------------------------------------------------

FALLBACK_DEPENDS = """
    service: checkout
    depends_on:
      - service: risk
        timeout: 1s
{fallback}"""

GUARDED = """
    import requests


    def score(cart):
        try:
            return requests.post("http://risk:8080/v1/score", json=cart, timeout=1).json()["score"]
        except requests.RequestException:
            return 0
"""

UNGUARDED = """
    import requests


    def score(cart):
        return requests.post("http://risk:8080/v1/score", json=cart, timeout=1).json()["score"]
"""


def fallback_repo(tmp_path, code, fallback="    fallback: allow_with_monitoring\n"):
    return write(
        tmp_path,
        {
            "checkout/requirements.txt": "requests\n",
            "checkout/checkout/fraud.py": code,
            "checkout/contracts/deps.yaml": FALLBACK_DEPENDS.format(fallback="    " + fallback if fallback else ""),
            "risk/requirements.txt": "flask\n",
        },
    )


def test_a_declared_fallback_the_code_lacks_is_drift(tmp_path):
    (f,) = check(fallback_repo(tmp_path, UNGUARDED), "drift.fallback")
    assert (f.kind, f.severity, f.status, f.services) == ("drift", "warning", "DRIFT", ("checkout", "risk"))
    assert f.message == "checkout declares the fallback allow_with_monitoring for risk; its code has none: a failed call fails the request"
    assert [(s.role, s.text, [str(l) for l in s.locations]) for s in f.sides] == [
        ("declares", "fallback allow_with_monitoring", ["checkout/contracts/deps.yaml:5"]),
        ("code", "no fallback", ["checkout/checkout/fraud.py:5"]),
    ]


def test_code_falling_back_without_a_declaration_is_info(tmp_path):
    (f,) = check(fallback_repo(tmp_path, GUARDED, fallback=""), "drift.fallback")
    assert (f.severity, f.status) == ("info", "DRIFT")
    assert f.message == "checkout's code falls back to 0 when risk fails; its contract declares no fallback"
    assert [r.action for r in f.resolutions] == ["checkout: declare the fallback (fallback: 0)"]


def test_a_declared_fallback_the_code_has_is_fine(tmp_path):
    assert check(fallback_repo(tmp_path, GUARDED), "drift.fallback") == []


def test_the_articles_checkout_declares_a_fallback_its_code_lacks():
    (f,) = findings(analyse_repo(SAMPLE), "drift.fallback")
    assert (f.severity, f.subject) == ("warning", "scoreTransaction")
    assert locs(f) == ["checkout-service/checkout/fraud.py:20", "checkout-service/contracts/dependencies.yaml:11"]


# -- the article's JavaScript retry: a fresh id through riskApi.score ------------------------------

CHECKOUT_JS = """
    import { randomUUID } from "node:crypto";

    const riskApi = {
      async score(id, cart, userId) {
        return fetch("http://risk:8080/v1/score", { method: "POST", headers: { "Idempotency-Key": id }, body: JSON.stringify({ cart, userId }), signal: AbortSignal.timeout(500) });
      },
    };

    export async function checkFraud(cart, userId) {
      const txId = randomUUID();
      try {
        return await riskApi.score(txId, cart, userId);
      } catch (timeout) {
        const newTxId = randomUUID(); // Fresh ID
        return await riskApi.score(newTxId, cart, userId);
      }
    }
"""


def javascript_checkout(tmp_path, risk_contract=None):
    files = {"checkout/package.json": '{"name": "checkout"}\n', "checkout/src/fraud.js": CHECKOUT_JS, "risk/requirements.txt": "flask\n"}
    if risk_contract is not None:
        files["risk/contracts/idempotency.yaml"] = risk_contract
    return write(tmp_path, files)


def test_the_javascript_fresh_id_through_the_client_blocks_integration(tmp_path):
    contract = "service: risk\noperations:\n  - name: score\n    idempotency_key: Idempotency-Key\n    expects: stable_across_retries\n"
    (f,) = check(javascript_checkout(tmp_path, contract), "idempotency.new-id-on-retry")
    assert (f.severity, f.status, f.services) == ("error", "BLOCKS_INTEGRATION", ("checkout", "risk"))
    assert f.sides[0].text == "generates new Idempotency-Key on retry"
    assert [str(l) for l in f.sides[0].locations] == ["checkout/src/fraud.js:14"]  # newTxId, not txId
    assert "checkout/src/fraud.js:5" in locs(f)  # the fetch inside riskApi.score
    assert "checkout/src/fraud.js:11" in locs(f)  # the try/catch retry


def test_the_javascript_fresh_id_towards_a_provider_that_declares_nothing_is_a_warning(tmp_path):
    (f,) = check(javascript_checkout(tmp_path), "idempotency.new-id-per-attempt")
    assert (f.severity, f.services) == ("warning", ("checkout", "risk"))
    assert locs(f) == ["checkout/src/fraud.js:5", "checkout/src/fraud.js:11", "checkout/src/fraud.js:14"]
