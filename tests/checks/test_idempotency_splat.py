"""idempotency.missing-key and ``**`` arguments: a Python call spreading a dict the file builds (a local
literal, a same-file helper's return) is read for its ``headers``; a spread that cannot be told (a
``**kwargs`` parameter) is no finding (it was reported before: the call sites did not keep spreads)."""

from __future__ import annotations

import pytest

from extractor.checks.idempotency import sends_header
from extractor.frontends.summary import CallSite
from extractor.values import Const, Dynamic, Map, Named

from .helpers import check, locs, write

PAYMENTS_OPS = """
    service: payments
    operations:
      - name: charge
        idempotency_key: Idempotency-Key
        expects: stable_across_retries
"""

PY = """
    import requests
    from tenacity import retry, stop_after_attempt


    def options(key):
        return {{"headers": {{"Idempotency-Key": key, "Accept": "application/json"}}, "timeout": 2}}


    @retry(stop=stop_after_attempt(3))
    def charge(order_id, amount, **kwargs):
        {setup}
        return requests.post("http://payments:8080/v1/charge", json={{"amount": amount}}, **{spread})
"""


def repo(tmp_path, setup, spread):
    return write(
        tmp_path,
        {
            "payments-service/contracts/ops.yaml": PAYMENTS_OPS,
            "checkout/requirements.txt": "requests\ntenacity\n",
            "checkout/checkout/pay.py": PY.format(setup=setup, spread=spread),
        },
    )


@pytest.mark.parametrize(
    ("setup", "spread"),
    [
        ('opts = {"headers": {"Idempotency-Key": str(order_id)}, "timeout": 2}', "opts"),  # a local dict
        ("opts = options(str(order_id))", "opts"),  # what a same-file helper returns
        ("pass", "options(str(order_id))"),
        ('opts = {"headers": {"idempotency-key": str(order_id)}}', "opts"),  # any case
        ("pass", "kwargs"),  # the function's own **kwargs: cannot be told
        ('opts = {"headers": HEADERS, "timeout": 2}', "opts"),  # headers not built here: cannot be told
    ],
)
def test_a_spread_sending_the_key_or_one_that_cannot_be_told_is_fine(tmp_path, setup, spread):
    assert check(repo(tmp_path, setup, spread), "idempotency.missing-key") == []


@pytest.mark.parametrize(
    ("setup", "spread"),
    [
        ('opts = {"timeout": 2}', "opts"),  # a known dict without headers
        ('opts = {"headers": {"Accept": "application/json"}, "timeout": 2}', "opts"),  # known headers without the key
    ],
)
def test_a_spread_known_not_to_send_the_key_is_a_warning(tmp_path, setup, spread):
    (f,) = check(repo(tmp_path, setup, spread), "idempotency.missing-key")
    assert (f.severity, f.status, f.services) == ("warning", "AT_RISK", ("checkout", "payments"))
    assert [s.text for s in f.sides] == ["retries POST without Idempotency-Key", "Idempotency-Key stable across retries"]
    assert locs(f) == ["checkout/checkout/pay.py:9", "checkout/checkout/pay.py:12", "payments-service/contracts/ops.yaml:4"]


def test_sends_header_reads_a_spread_dict():
    def site(spread):
        return [CallSite(1, 1, "requests.post", "post", kwargs=(("**", spread), ("timeout", Const(2))))]

    key = Map(((Const("headers"), Map(((Const("Idempotency-Key"), Dynamic("k")),))),))
    other = Map(((Const("headers"), Map(((Const("X-Other"), Dynamic("k")),))),))
    assert sends_header("python", site(key), "Idempotency-Key") is True
    assert sends_header("python", site(Named("opts", key)), "idempotency-key") is True
    assert sends_header("python", site(other), "Idempotency-Key") is False
    assert sends_header("python", site(Map(((Const("timeout"), Const(2)),))), "Idempotency-Key") is False
    assert sends_header("python", site(Map(((Const("headers"), Dynamic("h")),))), "Idempotency-Key") is None
    assert sends_header("python", site(Dynamic("kwargs")), "Idempotency-Key") is None
