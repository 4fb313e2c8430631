"""drift.retry-advice: a provider's retry_advice (do_not_retry, max_attempts) against its consumers' retry policies in code."""

from __future__ import annotations

from extractor.checks.retry_advice import advised_against
from extractor.contracts.model import RetryAdvice

from .helpers import check, locs, write

ADVICE = """
    service: risk
    provides:
      - operation: score
        retry_advice:
          retry_after: honour
          retry_on: [5xx, 429, timeout, connection]
          do_not_retry: [4xx]
          max_attempts: 3
"""

RISK = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/score")
    def score():
        return {}
"""

URLLIB3 = """
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist={statuses})))


    def score(tx):
        return session.post("http://risk:8000/score", json=tx, timeout=2)
"""

TENACITY = """
    import httpx
    from tenacity import retry, stop_after_attempt


    @retry(stop=stop_after_attempt({attempts}))
    def score(tx):
        return httpx.post("http://risk:8000/score", json=tx, timeout=2)
"""


def repo(tmp_path, statuses="[404, 502, 503]", attempts=6, advice=ADVICE):
    files = {
        "risk-service/requirements.txt": "fastapi\n",
        "risk-service/app.py": RISK,
        "checkout-service/requirements.txt": "requests\nurllib3\n",
        "checkout-service/app.py": URLLIB3.format(statuses=statuses),
        "billing-service/requirements.txt": "httpx\ntenacity\n",
        "billing-service/app.py": TENACITY.format(attempts=attempts),
    }
    if advice:
        files["risk-service/contracts/risk.yaml"] = advice
    return write(tmp_path, files)


SAID = "retry_advice: do not retry 4xx; retry on 5xx, 429, timeout, connection; at most 3 attempts"


def test_retrying_a_4xx_and_too_many_attempts_are_reported(tmp_path):
    billing, checkout = check(repo(tmp_path), "drift.retry-advice")
    assert (billing.kind, billing.severity, billing.status, billing.services, billing.subject) == (
        "drift",
        "warning",
        "DRIFT",
        ("billing-service", "risk"),
        "score",
    )
    assert [(s.service, s.role, s.text) for s in billing.sides] == [
        ("billing-service", "code", "tenacity makes 6 attempts"),
        ("risk", "provides", SAID),
    ]
    assert locs(billing) == ["billing-service/app.py:5", "risk-service/contracts/risk.yaml:4"]
    assert (
        billing.message
        == f"billing-service retries risk.score against its provider's advice ({SAID.removeprefix('retry_advice: ')}): tenacity makes 6 attempts"
    )
    assert (checkout.services, checkout.subject) == (("checkout-service", "risk"), "score")
    assert [(s.service, s.role, s.text) for s in checkout.sides] == [
        ("checkout-service", "code", "urllib3 retries status 404"),
        ("risk", "provides", SAID),
    ]
    assert locs(checkout) == ["checkout-service/app.py:6", "risk-service/contracts/risk.yaml:4"]
    assert [(r.owner, r.action) for r in checkout.resolutions] == [
        ("checkout-service", "retry only what the provider's retry_advice allows, within its max_attempts"),
        ("risk", "widen retry_advice if these retries are safe"),
    ]


def test_consumers_within_the_advice_are_fine(tmp_path):
    # 429 is named in retry_on, so do_not_retry: [4xx] does not forbid it; 3 attempts is the maximum itself
    assert check(repo(tmp_path, statuses="[429, 502, 503]", attempts=3), "drift.retry-advice") == []


def test_urllib3_total_above_max_attempts_is_reported(tmp_path):
    root = repo(tmp_path, statuses="[503]", attempts=2)
    app = root / "checkout-service/app.py"
    app.write_text(app.read_text("utf-8").replace("total=2", "total=5"), "utf-8")
    (f,) = check(root, "drift.retry-advice")
    assert f.services == ("checkout-service", "risk")
    assert [s.text for s in f.sides] == ["urllib3 makes 6 attempts", SAID]


def test_no_advice_no_finding(tmp_path):
    assert check(repo(tmp_path, advice=""), "drift.retry-advice") == []


def test_an_operation_without_retry_advice_is_not_checked(tmp_path):
    plain = "\n    service: risk\n    provides:\n      - operation: score\n        latency:\n          target: p95=150ms\n"
    assert check(repo(tmp_path, advice=plain), "drift.retry-advice") == []


def test_a_code_named_in_do_not_retry_wins_over_its_class_in_retry_on():
    advice = RetryAdvice(retry_on=("5xx", "429"), do_not_retry=("4xx", "501"))
    assert [s for s in (400, 404, 429, 500, 501, 503) if advised_against(s, advice)] == [400, 404, 501]
