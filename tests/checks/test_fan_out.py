"""latency.request-budget and fan-out through an executor made at module level (``EXECUTOR =
ThreadPoolExecutor(...)``, then ``EXECUTOR.submit`` in the handler) and Go's
``g, ctx := errgroup.WithContext(ctx)`` with ``g.Go``: the calls started there count as the slowest of
them (max), not their sum; the same calls made one after the other add up."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.checks.budget import is_fan_out

from ..test_budget import FAN_OUT_CASES
from ..test_budget import GO_SERVER as BUDGET_GO_SERVER
from .helpers import analyse_repo, findings, write

BUDGETS = """
    service: {service}
    provides:
      - operation: together
        latency_budget:
          total: 5s
      - operation: apart
        latency_budget:
          total: 5s
"""

PY_SERVER = """
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from flask import Flask

    app = Flask(__name__)
    EXECUTOR = ThreadPoolExecutor(max_workers=4)


    def risk():
        return requests.post("http://risk:8080/v1/score", timeout=2)


    def price():
        return requests.post("http://payment:8000/price", timeout=4.5)


    @app.post("/together")
    def together():
        scored = EXECUTOR.submit(risk)
        priced = EXECUTOR.submit(price)
        return {"risk": scored.result().json(), "price": priced.result().json()}


    @app.post("/apart")
    def apart():
        return {"risk": risk().json(), "price": price().json()}
"""

# the errgroup server of tests/test_budget.py with the group of errgroup.WithContext (g has no declared type)
GO_CASE = FAN_OUT_CASES["go errgroup"]
GO_SERVER = BUDGET_GO_SERVER.replace("\tvar g errgroup.Group\n", "\tg, ctx := errgroup.WithContext(r.Context())\n\t_ = ctx\n")

CASES = {
    "python module-level executor": (
        {"shop/requirements.txt": "flask\nrequests\n", "shop/shop/app.py": PY_SERVER},
        "shop's apart (POST /apart) has 5s in total, but may wait 6500ms on downstream calls: "
        "POST http://risk:8080/v1/score (timeout 2s); POST http://payment:8000/price (timeout 4500ms)",
        ["shop/contracts/budget.yaml:8", "shop/shop/app.py:11", "shop/shop/app.py:15", "shop/shop/app.py:25"],
    ),
    # the same server and finding as tests/test_budget.py's "go errgroup", one line further down
    "go errgroup.WithContext": (
        {**GO_CASE[0], "gosvc/main.go": GO_SERVER},
        GO_CASE[1],
        ["gosvc/contracts/budget.yaml:8", "gosvc/main.go:28", "gosvc/main.go:29", "gosvc/main.go:34"],
    ),
}


def budget_findings(root: Path) -> list:
    analysis = analyse_repo(root)
    return findings(analysis, "latency.request-budget")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_calls_started_through_the_executor_count_as_the_slowest(tmp_path: Path, case: str) -> None:
    """``together`` runs 2 s and 4.5 s at the same time (4.5 s fits 5 s); ``apart`` runs them one after the other (6.5 s)."""
    files, message, locations = CASES[case]
    folder = next(iter(files)).split("/")[0]
    write(tmp_path, {**files, f"{folder}/contracts/budget.yaml": BUDGETS.format(service=folder)})
    (f,) = budget_findings(tmp_path)
    assert (f.check, f.subject) == ("latency.request-budget", "apart")
    assert f.message == message
    assert [str(loc) for loc in f.locations] == locations


@pytest.mark.parametrize("case", sorted(CASES))
def test_with_a_tighter_budget_the_slowest_branch_is_what_breaks_it(tmp_path: Path, case: str) -> None:
    files, _, _ = CASES[case]
    folder = next(iter(files)).split("/")[0]
    write(tmp_path, {**files, f"{folder}/contracts/budget.yaml": BUDGETS.format(service=folder).replace("total: 5s", "total: 4s", 1)})
    together = [f for f in budget_findings(tmp_path) if f.subject == "together"]
    assert [f.message.split(": ", 1)[1] for f in together] == [
        "at the same time (2 branches), the slowest: "
        + ("POST http://payment:8000/price (timeout 4500ms)" if case.startswith("python") else "GET http://payment:8000/price (timeout 4500ms)")
    ]
    assert "may wait 4500ms" in together[0].message


def test_a_receiver_made_by_a_fan_out_type_is_a_fan_out_call() -> None:
    assert is_fan_out("concurrent.futures.ThreadPoolExecutor().submit")  # a method of what the constructor returns
    assert is_fan_out("golang.org/x/sync/errgroup.WithContext().Go")
    assert not is_fan_out("golang.org/x/sync/errgroup.WithContext().Wait")
    assert not is_fan_out("mylib.Pool().submit")
    assert not is_fan_out(None)  # an unresolved method (a bare submit): not the executor's
