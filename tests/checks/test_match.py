"""The word and path rules that join declared names with code (docs/checks.md, Matching)."""

from __future__ import annotations

import pytest

from extractor.contracts import match


@pytest.mark.parametrize("a,b", [("scoreTransaction", "score_transaction"), ("ScoreTransaction", "score-transaction"), ("HTTPClient", "http_client")])
def test_names_are_equal_word_for_word(a, b):
    assert match.same_name(a, b)


def test_different_words_are_different_names():
    assert not match.same_name("scoreTransaction", "score")
    assert not match.same_name(None, None)


@pytest.mark.parametrize(
    "url,path",
    [("http://risk:8080/v1/score?x=1", "/v1/score"), ("{RISK_URL}/v1/score", "/v1/score"), ("/v1/score", "/v1/score"), ("{url}", None), (None, None)],
)
def test_url_path(url, path):
    assert match.url_path(url) == path


@pytest.mark.parametrize(
    "called,route",
    [("/users/42/purchases", "/users/<int:user_id>/purchases"), ("/fraud-score/{tx_id}", "/fraud-score/{id}"), ("/orders/:id", "/orders/{order_id}")],
)
def test_path_parameters_match_any_segment(called, route):
    assert match.paths_match(called, route)


def test_literal_segments_must_agree():
    assert not match.paths_match("/v1/score", "/v2/score")
    assert not match.paths_match("/v1/score", "/v1/score/{id}")


def test_a_declared_route_covers_the_same_route_with_trailing_parameters():
    assert match.route_covers("/fraud-score", "/fraud-score/{tx_id}")
    assert not match.route_covers("/fraud-score", "/fraud-score/{tx_id}/details")


def test_an_operation_is_served_by_a_handler_or_a_path_with_its_words():
    assert match.operation_matches_endpoint("scoreTransaction", "api.score_transaction", "/v1/score")
    assert match.operation_matches_endpoint("scoreTransaction", "handle", "/v1/score-transaction")
    assert not match.operation_matches_endpoint("scoreTransaction", "fraud_score", "/fraud-score/{id}")


def test_detail_levels_decide_whether_returned_data_is_enough():
    assert match.returns_enough("fraud_decision_breakdown", "full_breakdown")
    assert not match.returns_enough("fraud_decision_breakdown", "aggregate_only")
    assert match.returns_enough("fraud_score", "aggregate_only")
    assert match.returns_enough("order_history", "order_history_v2")  # no level: a shared subject word


def test_access_admits_open_levels_the_same_level_and_named_consumers():
    assert match.admits(None, "support", "support_tier_2")
    assert match.admits("internal", "support", None)
    assert match.admits("support_tier_2", "support", "support_tier_2")
    assert match.admits("support_only", "support", None)
    assert not match.admits("risk_team_only", "support", "support_tier_2")


def test_owner_words_drop_generic_source_words():
    assert match.owner_words("orders-db-replica") == {"orders"}
    assert match.owner_words("{env ORDERS_REPLICA_URL}") == {"orders"}


@pytest.mark.parametrize(
    "handler, short",
    [
        ("views.user_purchases", "user_purchases"),
        ("RiskServicer.Score", "Score"),
        ("$handler", "$handler"),
        ("func(w http.ResponseWriter, r *http.Request)", None),  # a function literal: no name
        ("(ChargeRequest charge) => {...}", None),
        ("Server.handler.bind(this)", None),
        (None, None),
    ],
)
def test_short_handler_names_only_named_handlers(handler, short):
    assert match.short_handler(handler) == short
