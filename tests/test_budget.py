"""Budgets along a request (extractor/checks/budget.py): an entry point's ``latency_budget.total`` against
the sum of its sequential downstream calls (fan-out counted as the slowest branch), and a provider's promised
latency against its own downstream waits; on fixtures/monorepos/checkout-budget and small repositories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extractor.checks.budget import fan_out_callees, is_fan_out
from extractor.contracts import load_contract_text
from extractor.contracts.values import Duration

from .checks.helpers import analyse_repo, findings, write
from .conftest import FIXTURES

SAMPLE = FIXTURES / "monorepos" / "checkout-budget"
CHECKS = ("latency.request-budget", "latency.provider-promise")


def budget_findings(root: Path) -> list:
    analysis = analyse_repo(root)
    return [f for check in CHECKS for f in findings(analysis, check)]


def test_the_spec_checkout_breaks_its_five_second_total_and_risk_its_promise() -> None:
    found = budget_findings(SAMPLE)
    assert [(f.check, f.services, f.subject) for f in found] == [
        ("latency.request-budget", ("checkout", "payment", "risk"), "place_order"),
        ("latency.provider-promise", ("risk", "orders"), "scoreTransaction"),
    ]
    total, promise = found

    assert (total.severity, total.status, total.kind) == ("warning", "AT_RISK", "latency")
    assert total.message == (
        "checkout's place_order (POST /checkout) has 5s in total, but may wait 7500ms on downstream calls: "
        "POST http://risk:8080/v1/score (2 attempts × 2s + 1 × 500ms backoff); POST http://payment:8000/charge (timeout 3s)"
    )
    assert [(s.service, s.role, s.text) for s in total.sides] == [
        ("checkout", "expects", "one request to place_order within 5s in total"),
        (
            "checkout",
            "code",
            "POST /checkout may wait 7500ms: POST http://risk:8080/v1/score (2 attempts × 2s + 1 × 500ms backoff); POST http://payment:8000/charge (timeout 3s)",
        ),
    ]
    assert [str(loc) for loc in total.locations] == [
        "checkout-service/checkout/app.py:10",
        "checkout-service/checkout/clients.py:11",
        "checkout-service/checkout/clients.py:13",
        "checkout-service/checkout/clients.py:17",
        "checkout-service/contracts/budget.yaml:5",
    ]
    assert total.resolutions[2].action == (
        "checkout: take the slowest call off the request path (asynchronous, with a fallback): POST http://risk:8080/v1/score (2 attempts × 2s + 1 × 500ms backoff)"
    )

    assert (promise.severity, promise.status) == ("warning", "AT_RISK")
    assert (
        promise.message
        == "risk promises p99 200ms for scoreTransaction, but its handler may wait 3s on downstream calls: GET http://orders:8000/purchases (timeout 3s)"
    )
    assert [(s.role, s.text) for s in promise.sides] == [
        ("provides", "scoreTransaction: p99 200ms (target)"),
        ("code", "may wait 3s: GET http://orders:8000/purchases (timeout 3s)"),
    ]
    assert [str(loc) for loc in promise.locations] == ["risk-service/contracts/sla.yaml:5", "risk-service/risk/api.py:8", "risk-service/risk/api.py:11"]


def test_gather_counts_the_slowest_branch_and_a_kept_promise_is_no_finding(tmp_path: Path) -> None:
    """quote (asyncio.gather of 2 s and 4.5 s: 4.5 s) fits 5 s; quotes' 1 s wait fits its p99 2 s. Made sequential,
    quote's calls add up to 6.5 s and break the budget."""
    assert not [f for f in budget_findings(SAMPLE) if f.subject in ("quote", "getQuote")]
    copy = tmp_path / "repo"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns(".contracts-cache"))
    # with 4 s in total, the slowest branch of the gather (4.5 s) is over
    budget = copy / "checkout-service" / "contracts" / "budget.yaml"
    budget.write_text(
        budget.read_text("utf-8").replace(
            "  - operation: quote\n    latency_budget:\n      total: 5s", "  - operation: quote\n    latency_budget:\n      total: 4s"
        ),
        "utf-8",
    )
    (quote,) = [f for f in budget_findings(copy) if f.subject == "quote"]
    assert quote.message == (
        "checkout's quote (POST /quote) has 4s in total, but may wait 4500ms on downstream calls: "
        "at the same time (2 branches), the slowest: POST http://payment:8000/price (timeout 4500ms)"
    )
    budget.write_text(budget.read_text("utf-8").replace("total: 4s", "total: 5s"), "utf-8")
    app = copy / "checkout-service" / "checkout" / "app.py"
    text = app.read_text("utf-8")
    sequential = text.replace(
        """    risk, price = await asyncio.gather(
        score_async(body["cart"]),
        price_async(body["cart"]),
    )
""",
        """    risk = await score_async(body["cart"])
    price = await price_async(body["cart"])
""",
    )
    assert sequential != text
    app.write_text(sequential, "utf-8")
    (quote,) = [f for f in budget_findings(copy) if f.subject == "quote"]
    assert quote.message == (
        "checkout's quote (POST /quote) has 5s in total, but may wait 6500ms on downstream calls: "
        "POST http://risk:8080/v1/score (timeout 2s); POST http://payment:8000/price (timeout 4500ms)"
    )


JS_SERVER = """
    const express = require("express");
    const axios = require("axios");

    const app = express();

    app.post("/together", async (req, res) => {
      const [risk, price] = await Promise.all([
        axios.post("http://risk:8080/v1/score", req.body, { timeout: 2000 }),
        axios.post("http://payment:8000/price", req.body, { timeout: 4500 }),
      ]);
      res.json({ risk: risk.data, price: price.data });
    });

    app.post("/apart", async (req, res) => {
      const risk = await axios.post("http://risk:8080/v1/score", req.body, { timeout: 2000 });
      const price = await axios.post("http://payment:8000/price", req.body, { timeout: 4500 });
      res.json({ risk: risk.data, price: price.data });
    });
"""

BUDGETS = """
    service: {service}
    provides:
      - operation: {first}
        latency_budget:
          total: 5s
      - operation: {second}
        latency_budget:
          total: 5s
"""


GO_SERVER = """
    package main

    import (
    \t"net/http"
    \t"time"

    \t"golang.org/x/sync/errgroup"
    )

    var client = &http.Client{Timeout: 2 * time.Second}
    var slowClient = &http.Client{Timeout: 4500 * time.Millisecond}

    func together(w http.ResponseWriter, r *http.Request) {
    \tvar g errgroup.Group
    \tg.Go(func() error {
    \t\t_, err := client.Get("http://risk:8080/v1/score")
    \t\treturn err
    \t})
    \tg.Go(func() error {
    \t\t_, err := slowClient.Get("http://payment:8000/price")
    \t\treturn err
    \t})
    \t_ = g.Wait()
    }

    func apart(w http.ResponseWriter, r *http.Request) {
    \t_, _ = client.Get("http://risk:8080/v1/score")
    \t_, _ = slowClient.Get("http://payment:8000/price")
    }

    func main() {
    \thttp.HandleFunc("/together", together)
    \thttp.HandleFunc("/apart", apart)
    \t_ = http.ListenAndServe(":8080", nil)
    }
"""


CS_CONTROLLER = """
    using System;
    using System.Net.Http;
    using System.Threading.Tasks;
    using Microsoft.AspNetCore.Mvc;

    namespace Shop.Controllers
    {
        [ApiController]
        public class CheckoutController : ControllerBase
        {
            private static readonly HttpClient Risk = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            private static readonly HttpClient Payment = new HttpClient { Timeout = TimeSpan.FromMilliseconds(4500) };

            [HttpPost("/together")]
            public async Task<IActionResult> Together()
            {
                await Task.WhenAll(
                    Risk.GetAsync("http://risk:8080/v1/score"),
                    Payment.GetAsync("http://payment:8000/price"));
                return Ok();
            }

            [HttpPost("/apart")]
            public async Task<IActionResult> Apart()
            {
                await Risk.GetAsync("http://risk:8080/v1/score");
                await Payment.GetAsync("http://payment:8000/price");
                return Ok();
            }
        }
    }
"""

FAN_OUT_CASES = {
    "csharp Task.WhenAll": (
        {
            "Shop/Shop.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>',
            "Shop/Controllers/CheckoutController.cs": CS_CONTROLLER,
        },
        "shop's apart (POST /apart) has 5s in total, but may wait 6500ms on downstream calls: "
        "GET http://risk:8080/v1/score (timeout 2s); GET http://payment:8000/price (timeout 4500ms)",
        [
            "Shop/Controllers/CheckoutController.cs:23",
            "Shop/Controllers/CheckoutController.cs:26",
            "Shop/Controllers/CheckoutController.cs:27",
            "Shop/contracts/budget.yaml:8",
        ],
    ),
    "javascript Promise.all": (
        {"web/package.json": '{"name": "web", "dependencies": {"express": "4", "axios": "1"}}', "web/src/server.js": JS_SERVER},
        "web's apart (POST /apart) has 5s in total, but may wait 6500ms on downstream calls: "
        "POST http://risk:8080/v1/score (timeout 2s); POST http://payment:8000/price (timeout 4500ms)",
        ["web/contracts/budget.yaml:8", "web/src/server.js:14", "web/src/server.js:15", "web/src/server.js:16"],
    ),
    "go errgroup": (
        {"gosvc/go.mod": "module example.com/gosvc\n\ngo 1.22\n\nrequire golang.org/x/sync v0.7.0\n", "gosvc/main.go": GO_SERVER},
        "gosvc's apart (ANY /apart) has 5s in total, but may wait 6500ms on downstream calls: "
        "GET http://risk:8080/v1/score (timeout 2s); GET http://payment:8000/price (timeout 4500ms)",
        ["gosvc/contracts/budget.yaml:8", "gosvc/main.go:27", "gosvc/main.go:28", "gosvc/main.go:33"],
    ),
}


@pytest.mark.parametrize("case", sorted(FAN_OUT_CASES))
def test_fan_out_runs_its_calls_at_the_same_time(tmp_path: Path, case: str) -> None:
    """``together`` makes both calls at the same time (the slower, 4.5 s, fits 5 s); ``apart`` makes them one after the other."""
    files, message, locations = FAN_OUT_CASES[case]
    folder = next(iter(files)).split("/")[0]
    write(tmp_path, {**files, f"{folder}/contracts/budget.yaml": BUDGETS.format(service=folder.lower(), first="together", second="apart")})
    (f,) = budget_findings(tmp_path)
    assert (f.check, f.subject) == ("latency.request-budget", "apart")
    assert f.message == message
    assert [str(loc) for loc in f.locations] == locations


def test_a_call_without_timeout_makes_the_request_unbounded(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "svc/requirements.txt": "flask\nrequests\n",
            "svc/svc/__init__.py": "",
            "svc/svc/app.py": """
                import requests
                from flask import Flask

                app = Flask(__name__)


                @app.route("/pay", methods=["POST"])
                def pay():
                    return requests.post("http://payment:8000/charge").json()
            """,
            "svc/contracts/budget.yaml": """
                service: svc
                provides:
                  - operation: pay
                    latency_budget:
                      total: 5s
                    latency:
                      target: p95=100ms, p99=300ms
            """,
        },
    )
    found = budget_findings(tmp_path)
    assert [(f.check, f.message) for f in found] == [
        (
            "latency.request-budget",
            "svc's pay (POST /pay) has 5s in total, but may wait unbounded time on downstream calls: POST http://payment:8000/charge (no timeout)",
        ),
        (
            "latency.provider-promise",
            "svc promises p99 300ms for pay, but its handler may wait unbounded time on downstream calls: POST http://payment:8000/charge (no timeout)",
        ),
    ]
    assert [r.action for r in found[1].resolutions] == [
        "svc: bound its downstream calls (timeout × attempts + backoff) below 300ms, with a fallback when they run out",
        "svc: promise what it can keep, so that callers budget for it",
    ]

    # a target whose declared current latency is already above it is a plan with a declared gap, not a promise
    contract = tmp_path / "svc" / "contracts" / "budget.yaml"
    contract.write_text(contract.read_text("utf-8").replace("target: p95=100ms, p99=300ms", "current: p95=2s\n      target: p95=100ms, p99=300ms"), "utf-8")
    assert [f.check for f in budget_findings(tmp_path)] == ["latency.request-budget"]


def test_fan_out_names_are_rule_data_matched_by_resolved_name() -> None:
    assert {"asyncio.gather", "Promise.all", "golang.org/x/sync/errgroup.Group.Go", "System.Threading.Tasks.Task.WhenAll"} <= fan_out_callees()
    assert is_fan_out("asyncio.gather")
    assert is_fan_out("java.util.concurrent.CompletableFuture.supplyAsync")
    assert is_fan_out("System.Threading.Tasks.Task.WhenAll")
    assert not is_fan_out("gather")  # a bare name is not the resolved asyncio.gather
    assert not is_fan_out("mylib.gather")
    assert not is_fan_out(None)


def test_the_budget_loads_with_its_line_and_bad_ones_are_errors_with_file_and_line() -> None:
    (contract,), errors = load_contract_text("service: checkout\nprovides:\n  - operation: place_order\n    latency_budget:\n      total: 5s\n", "budget.yaml")
    assert errors == []
    (op,) = contract.provided_operations
    assert op.latency_budget is not None
    assert op.latency_budget.total == Duration(5000.0)
    assert str(op.latency_budget.where("total")) == "budget.yaml:5"

    _, errors = load_contract_text(
        "service: checkout\nprovides:\n  - operation: a\n    latency_budget:\n      totl: 5s\n"
        "  - operation: b\n    latency_budget:\n      total: soon\n"
        "  - operation: c\n    latency_budget: 5s\n",
        "budget.yaml",
    )
    assert [(e.line, e.kind, e.message) for e in errors] == [
        (5, "missing", 'provides[0].latency_budget: missing key "total" (the end-to-end budget of one request, such as 5s)'),
        (5, "unknown_key", 'provides[0].latency_budget: unknown key "totl"; did you mean "total"? (allowed: total)'),
        (8, "value", 'provides[1].latency_budget.total: expected a duration like 500ms or 2s, got "soon"'),
        (10, "type", 'provides[2].latency_budget: expected a mapping with total: 5s, got "5s"'),
    ]
