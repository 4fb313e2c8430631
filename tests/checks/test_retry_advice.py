"""drift.retry-advice: a provider's retry_advice (do_not_retry, max_attempts) against its consumers' retry policies in code."""

from __future__ import annotations

import pytest

from extractor.checks.retry_advice import advised_against
from extractor.contracts.model import RetryAdvice

from .helpers import analyse_repo, check, locs, write

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


SAID = "retry_advice: do not retry 4xx; retry on 5xx, 429, timeout, connection; at most 3 attempts; wait as Retry-After says"


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
        ("billing-service", "code", "tenacity does not wait for Retry-After; tenacity makes 6 attempts"),
        ("risk", "provides", SAID),
    ]
    assert locs(billing) == ["billing-service/app.py:5", "risk-service/contracts/risk.yaml:4"]
    assert (
        billing.message == f"billing-service retries risk.score against its provider's advice ({SAID.removeprefix('retry_advice: ')}): "
        "tenacity does not wait for Retry-After; tenacity makes 6 attempts"
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
    # 429 is named in retry_on, so do_not_retry: [4xx] does not forbid it; 3 attempts is the maximum itself;
    # urllib3 waits as Retry-After says (respect_retry_after_header defaults to true)
    assert (
        check(repo(tmp_path, statuses="[429, 502, 503]", attempts=3, advice=ADVICE.replace("retry_after: honour", "retry_after: ignore")), "drift.retry-advice")
        == []
    )
    # tenacity's waits never read Retry-After: against retry_after: honour, that alone is the finding
    (f,) = check(repo(tmp_path / "honour", statuses="[429, 502, 503]", attempts=3), "drift.retry-advice")
    assert (f.services, [s.text for s in f.sides]) == (("billing-service", "risk"), ["tenacity does not wait for Retry-After", SAID])
    assert locs(f) == ["billing-service/app.py:5", "risk-service/contracts/risk.yaml:4"]


def test_urllib3_total_above_max_attempts_is_reported(tmp_path):
    root = repo(tmp_path, statuses="[503]", attempts=2)
    app = root / "checkout-service/app.py"
    app.write_text(app.read_text("utf-8").replace("total=2", "total=5"), "utf-8")
    billing, f = check(root, "drift.retry-advice")
    assert f.services == ("checkout-service", "risk")
    assert [s.text for s in f.sides] == ["urllib3 makes 6 attempts", SAID]
    assert [s.text for s in billing.sides] == ["tenacity does not wait for Retry-After", SAID]  # within max_attempts (2)


def test_no_advice_no_finding(tmp_path):
    assert check(repo(tmp_path, advice=""), "drift.retry-advice") == []


def test_an_operation_without_retry_advice_is_not_checked(tmp_path):
    plain = "\n    service: risk\n    provides:\n      - operation: score\n        latency:\n          target: p95=150ms\n"
    assert check(repo(tmp_path, advice=plain), "drift.retry-advice") == []


def test_a_code_named_in_do_not_retry_wins_over_its_class_in_retry_on():
    advice = RetryAdvice(retry_on=("5xx", "429"), do_not_retry=("4xx", "501"))
    assert [s for s in (400, 404, 429, 500, 501, 503) if advised_against(s, advice)] == [400, 404, 501]


# -- Retry-After: the retry_policy fact's retry_after (honoured / ignored, absent when not known) ------


def retry_after_repo(tmp_path, urllib3_retry, wait="", advice=ADVICE):
    root = repo(tmp_path, statuses="[429, 502, 503]", attempts=3, advice=advice)
    app = root / "checkout-service/app.py"
    app.write_text(app.read_text("utf-8").replace("Retry(total=2, status_forcelist=[429, 502, 503])", urllib3_retry), "utf-8")
    billing = root / "billing-service/app.py"
    billing.write_text(billing.read_text("utf-8").replace("@retry(stop=stop_after_attempt(3))", f"@retry(stop=stop_after_attempt(3){wait})"), "utf-8")
    return root


def test_a_client_that_ignores_retry_after_is_reported_against_honour(tmp_path):
    root = retry_after_repo(tmp_path, "Retry(total=2, status_forcelist=[429, 503], respect_retry_after_header=False)")
    billing, checkout = check(root, "drift.retry-advice")
    assert [s.text for s in checkout.sides] == ["urllib3 does not wait for Retry-After", SAID]
    assert locs(checkout) == ["checkout-service/app.py:6", "risk-service/contracts/risk.yaml:4"]
    assert checkout.message == (
        f"checkout-service retries risk.score against its provider's advice ({SAID.removeprefix('retry_advice: ')}): urllib3 does not wait for Retry-After"
    )
    assert [s.text for s in billing.sides] == ["tenacity does not wait for Retry-After", SAID]


@pytest.mark.parametrize(
    ("urllib3_retry", "wait"),
    [
        ("Retry(total=2, status_forcelist=[429, 503], respect_retry_after_header=RESPECT)", ", wait=wait_from_header"),  # not known: no finding
        ("Retry(total=2, status_forcelist=[429, 503], respect_retry_after_header=True)", ", wait=my_wait()"),
    ],
)
def test_an_unknown_retry_after_handling_is_not_a_finding(tmp_path, urllib3_retry, wait):
    root = retry_after_repo(tmp_path, urllib3_retry, wait)
    assert check(root, "drift.retry-advice") == []
    facts = {f.file: f for f in analyse_repo(root).scan.facts if f.kind == "retry_policy"}
    assert "retry_after" not in facts["billing-service/app.py"].fields  # a wait tenacity does not provide may read the header
    expected = "honoured" if urllib3_retry.endswith("True)") else None
    assert facts["checkout-service/app.py"].fields.get("retry_after") == expected


def test_ignoring_retry_after_is_fine_when_the_provider_does_not_ask(tmp_path):
    root = retry_after_repo(
        tmp_path,
        "Retry(total=2, status_forcelist=[429, 503], respect_retry_after_header=False)",
        advice=ADVICE.replace("retry_after: honour", "retry_after: ignore"),
    )
    assert check(root, "drift.retry-advice") == []
