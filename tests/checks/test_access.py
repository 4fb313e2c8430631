"""access.data-policy: data a consumer needs against what the provider exposes, and to whom."""

from __future__ import annotations

from .helpers import check, locs, write

SUPPORT = """
    service: support
    requires:
      - from: risk
        data: fraud_decision_breakdown
        access_level: support_tier_2
        use_case: dispute_resolution
"""

RISK = """
    service: risk
    provides:
      - endpoint: /fraud-score
        returns: aggregate_only
        pii: minimal
      - endpoint: /fraud-signals-detailed
        returns: full_breakdown
        access: {access}
        pii: {pii}
"""

SUPPORT_CODE = """
    import requests

    def dispute(tx_id):
        return requests.get(f"http://risk:8080/fraud-score/{tx_id}", timeout=2).json()
"""

RISK_CODE = """
    from fastapi import FastAPI

    app = FastAPI()


    @app.get("/fraud-score/{tx_id}")
    def fraud_score(tx_id: str):
        return {}


    @app.get("/fraud-signals-detailed/{tx_id}")
    def fraud_signals_detailed(tx_id: str):
        return {}
"""


def repo(tmp_path, access="risk_team_only", pii="high", support=SUPPORT, code=False):
    files = {"support-service/contracts/needs.yaml": support, "risk-service/contracts/exposure.yaml": RISK.format(access=access, pii=pii)}
    if code:
        files.update(
            {
                "support-service/support/disputes.py": SUPPORT_CODE,
                "support-service/requirements.txt": "requests\n",
                "risk-service/risk/api.py": RISK_CODE,
                "risk-service/requirements.txt": "fastapi\n",
            }
        )
    return write(tmp_path, files)


def test_data_behind_an_access_rule_is_a_trade_off_to_decide(tmp_path):
    (f,) = check(repo(tmp_path, code=True), "access.data-policy")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("access", "error", "DECISION_REQUIRED", ("support", "risk"), "fraud_decision_breakdown")
    assert f.title == "Data access policy conflict"
    assert f.tradeoff == "Support workflow vs PII minimization"
    assert f.decision_by == ("Product", "Security", "Support")
    assert f.sides[0].text == "fraud_decision_breakdown at support_tier_2 for dispute resolution"
    assert (
        f.sides[1].text
        == "/fraud-score: aggregate_only, pii minimal (insufficient) OR /fraud-signals-detailed: full_breakdown, requires risk_team_only, pii high"
    )
    assert locs(f) == [
        "risk-service/contracts/exposure.yaml:3",
        "risk-service/contracts/exposure.yaml:6",
        "risk-service/risk/api.py:6",
        "risk-service/risk/api.py:11",
        "support-service/contracts/needs.yaml:3",
        "support-service/contracts/needs.yaml:5",
        "support-service/support/disputes.py:4",
    ]


def test_an_endpoint_open_to_the_consumers_level_is_fine(tmp_path):
    assert check(repo(tmp_path, access="support_tier_2"), "access.data-policy") == []


def test_a_recorded_decision_turns_the_trade_off_into_information(tmp_path):
    support = (
        SUPPORT
        + """
    decisions:
      - id: ADR-7
        title: Support gets a PII-sanitized fraud_decision_breakdown
        proposer: security
    """
    )
    (f,) = check(repo(tmp_path, support=support), "access.data-policy")
    assert (f.severity, f.status) == ("info", "DECIDED")
    assert "support-service/contracts/needs.yaml:9" in locs(f)  # the decision
    assert f.resolutions[0].action == "Decided: Support gets a PII-sanitized fraud_decision_breakdown"


def test_a_restriction_without_sensitive_data_is_decided_by_the_two_teams(tmp_path):
    (f,) = check(repo(tmp_path, pii="none"), "access.data-policy")
    assert f.tradeoff == "Support workflow vs risk's access policy (risk_team_only)"
    assert f.decision_by == ("Product", "Risk", "Support")


def test_data_no_endpoint_returns_is_not_exposed(tmp_path):
    root = write(
        tmp_path,
        {
            "support-service/contracts/needs.yaml": SUPPORT,
            "risk-service/contracts/exposure.yaml": "service: risk\nprovides:\n  - endpoint: /fraud-score\n    returns: aggregate_only\n",
        },
    )
    (f,) = check(root, "access.data-policy")
    assert (f.severity, f.status, f.title) == ("error", "BLOCKS_INTEGRATION", "Data not exposed")
