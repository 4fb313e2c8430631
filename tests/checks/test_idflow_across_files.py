"""Ids passed to a helper of another file of the service (issue 14, item 5): the file with the helper
records which of its id-like parameters reach an outbound call and as what (``_id_params``), the
file with the id records the calls it passes the id to (``_id_passed``), and the link stage joins
them through the file summaries, in every language; the finding is the same-file case's."""

from __future__ import annotations

import pytest

from .helpers import analyse_repo, check, findings, locs, write
from .test_spec_examples import CHECKOUT_JS

RISK_KEY = "service: risk\noperations:\n  - name: score\n    idempotency_key: {key}\n    expects: stable_across_retries\n"

PY_CLIENT = """
    import requests


    def score(tx_id, cart):
        return requests.post("http://risk:8080/v1/score", json=cart, headers={"Idempotency-Key": tx_id}, timeout=1)


    def note(comment, cart):
        return requests.post("http://risk:8080/v1/score", json=cart, headers={"X-Comment": comment}, timeout=1)
"""

PY_CHECKOUT = """
    import time
    import uuid

    from . import risk_client


    def check_fraud(cart):
        for attempt in range(3):
            try:
                return risk_client.score(str(uuid.uuid4()), cart)
            except TimeoutError:
                time.sleep(1)
"""

# the spec's JavaScript retry (test_spec_examples.CHECKOUT_JS) with riskApi moved to a module of its own
_RISK_API = CHECKOUT_JS[CHECKOUT_JS.index("    const riskApi") : CHECKOUT_JS.index("    export async function")]
JS_CLIENT = _RISK_API.replace("const riskApi", "export const riskApi")
JS_CHECKOUT = CHECKOUT_JS.replace(_RISK_API, '    import { riskApi } from "./riskApi.js";\n\n')


GO_CLIENT = """
    package main

    import (
    \t"bytes"
    \t"encoding/json"
    \t"net/http"
    \t"time"
    )

    var client = &http.Client{Timeout: time.Second}

    type ScoreRequest struct {
    \tTransactionID string `json:"transaction_id"`
    \tCart          string `json:"cart"`
    }

    func Score(txID string, cart string) error {
    \tbody, _ := json.Marshal(ScoreRequest{TransactionID: txID, Cart: cart})
    \t_, err := client.Post("http://risk:8080/v1/score", "application/json", bytes.NewReader(body))
    \treturn err
    }
"""

GO_CHECKOUT = """
    package main

    import (
    \t"time"

    \t"github.com/google/uuid"
    )

    func CheckFraud(cart string) error {
    \tvar err error
    \tfor attempt := 0; attempt < 3; attempt++ {
    \t\ttxID := uuid.NewString()
    \t\tif err = Score(txID, cart); err == nil {
    \t\t\treturn nil
    \t\t}
    \t\ttime.Sleep(time.Second)
    \t}
    \treturn err
    }

    func main() { _ = CheckFraud("c") }
"""

JAVA_CLIENT = """
    package com.acme.checkout;

    import java.util.Map;
    import org.springframework.web.client.RestTemplate;

    public class RiskClient {
        private final RestTemplate rest = new RestTemplate();

        public String score(String transactionId, String cart) {
            return rest.postForObject("http://risk:8080/v1/score", Map.of("transactionId", transactionId, "cart", cart), String.class);
        }
    }
"""

JAVA_CHECKOUT = """
    package com.acme.checkout;

    import java.util.UUID;
    import org.springframework.retry.annotation.Retryable;

    public class CheckoutService {
        private final RiskClient risk = new RiskClient();

        @Retryable(maxAttempts = 3)
        public String checkFraud(String cart) {
            String txId = UUID.randomUUID().toString();
            return risk.score(txId, cart);
        }
    }
"""

CS_CLIENT = """
    using System.Net.Http;
    using System.Net.Http.Json;
    using System.Threading.Tasks;

    namespace Checkout
    {
        public class RiskClient
        {
            private readonly HttpClient _http = new HttpClient();

            public Task<HttpResponseMessage> ScoreAsync(string transactionId, string cart)
            {
                return _http.PostAsJsonAsync("http://risk:8080/v1/score", new { TransactionId = transactionId, Cart = cart });
            }
        }
    }
"""

CS_CHECKOUT = """
    using System;
    using System.Net.Http;
    using System.Threading.Tasks;
    using Polly;

    namespace Checkout
    {
        public class Fraud
        {
            private readonly RiskClient _risk = new RiskClient();

            public async Task CheckAsync(string cart)
            {
                var retry = Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, _ => TimeSpan.FromSeconds(1));
                await retry.ExecuteAsync(async () =>
                {
                    var transactionId = Guid.NewGuid().ToString();
                    await _risk.ScoreAsync(transactionId, cart);
                });
            }
        }
    }
"""

# language → (files, the provider's key, consumer, the finding's consumer side, every location)
CASES = {
    "python": (
        {"checkout/requirements.txt": "requests\n", "checkout/checkout/risk_client.py": PY_CLIENT, "checkout/checkout/fraud.py": PY_CHECKOUT},
        "Idempotency-Key",
        "checkout",
        ["checkout/checkout/fraud.py:10"],
        [
            "checkout/checkout/fraud.py:8",
            "checkout/checkout/fraud.py:10",
            "checkout/checkout/risk_client.py:5",
            "risk/contracts/ops.yaml:4",
            "risk/contracts/ops.yaml:5",
        ],
    ),
    "javascript": (
        {"checkout/package.json": '{"name": "checkout"}\n', "checkout/src/riskApi.js": JS_CLIENT, "checkout/src/fraud.js": JS_CHECKOUT},
        "Idempotency-Key",
        "checkout",
        ["checkout/src/fraud.js:10"],  # newTxId, made in the catch block (a retry); txId is made once
        ["checkout/src/fraud.js:7", "checkout/src/fraud.js:10", "checkout/src/riskApi.js:3", "risk/contracts/ops.yaml:4", "risk/contracts/ops.yaml:5"],
    ),
    "go": (
        {"checkout/go.mod": "module example.com/checkout\n\ngo 1.22\n", "checkout/risk.go": GO_CLIENT, "checkout/main.go": GO_CHECKOUT},
        "transaction_id",
        "checkout",
        ["checkout/main.go:12"],
        ["checkout/main.go:11", "checkout/main.go:12", "checkout/risk.go:19", "risk/contracts/ops.yaml:4", "risk/contracts/ops.yaml:5"],
    ),
    "java": (
        {
            "checkout/pom.xml": "<project><artifactId>checkout</artifactId></project>\n",
            "checkout/src/main/java/com/acme/checkout/RiskClient.java": JAVA_CLIENT,
            "checkout/src/main/java/com/acme/checkout/CheckoutService.java": JAVA_CHECKOUT,
        },
        "transaction_id",
        "checkout",
        ["checkout/src/main/java/com/acme/checkout/CheckoutService.java:11"],
        [
            "checkout/src/main/java/com/acme/checkout/CheckoutService.java:9",
            "checkout/src/main/java/com/acme/checkout/CheckoutService.java:11",
            "checkout/src/main/java/com/acme/checkout/RiskClient.java:10",
            "risk/contracts/ops.yaml:4",
            "risk/contracts/ops.yaml:5",
        ],
    ),
    "csharp": (
        {
            "Checkout/Checkout.csproj": '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>\n',
            "Checkout/RiskClient.cs": CS_CLIENT,
            "Checkout/Fraud.cs": CS_CHECKOUT,
        },
        "transaction_id",
        "Checkout",
        ["Checkout/Fraud.cs:17"],
        ["Checkout/Fraud.cs:14", "Checkout/Fraud.cs:17", "Checkout/RiskClient.cs:13", "risk/contracts/ops.yaml:4", "risk/contracts/ops.yaml:5"],
    ),
}


def repo(tmp_path, language, *replace):
    files, key, *_ = CASES[language]
    files = dict(files)
    for name, old, new in replace:
        path = next(p for p in files if p.endswith(name))
        assert old in files[path]
        files[path] = files[path].replace(old, new)
    return write(tmp_path, {**files, "risk/requirements.txt": "flask\n", "risk/contracts/ops.yaml": RISK_KEY.format(key=key)})


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_fresh_id_passed_to_another_files_helper_blocks_integration(tmp_path, language):
    _, key, consumer, ids, locations = CASES[language]
    (f,) = check(repo(tmp_path, language), "idempotency.new-id-on-retry")
    assert (f.severity, f.status, f.services, f.subject) == ("error", "BLOCKS_INTEGRATION", (consumer, "risk"), "risk")
    assert [s.text for s in f.sides] == [f"generates new {key} on retry", f"stable {key}"]
    assert [str(loc) for loc in f.sides[0].locations] == ids
    assert locs(f) == locations


def test_the_id_fact_flows_to_the_call_of_the_other_file_and_the_retry_covers_it(tmp_path):
    analysis = analyse_repo(repo(tmp_path, "python"))
    facts = {(f.kind, f.file, f.line): f for f in analysis.scan.facts}
    made = facts[("id_generation", "checkout/checkout/fraud.py", 10)]
    call = facts[("http_call", "checkout/checkout/risk_client.py", 5)]
    loop = facts[("retry_policy", "checkout/checkout/fraud.py", 8)]
    assert made.fields["flows_to"] == [{"call": call.id, "as": "header:Idempotency-Key"}]
    assert made.fields["inside_retry"] is True
    assert (call.fields["retry_policies"], call.fields["retry_attempts"]) == ([loop.id], 3)
    assert loop.fields["calls"] == [call.id]
    assert not any(k.startswith("_") for f in analysis.scan.facts for k in f.fields)  # the link stage's inputs stay private


def test_an_id_made_once_before_the_retry_is_fine(tmp_path):
    once = ("def check_fraud(cart):\n", "def check_fraud(cart):\n        tx_id = str(uuid.uuid4())\n")
    root = repo(tmp_path, "python", ("fraud.py", *once), ("fraud.py", "score(str(uuid.uuid4()), cart)", "score(tx_id, cart)"))
    assert check(root, "idempotency.new-id-on-retry") == []
    made = next(f for f in analyse_repo(root).scan.facts if f.kind == "id_generation")
    assert (made.line, made.fields["inside_retry"], [x["as"] for x in made.fields["flows_to"]]) == (8, False, ["header:Idempotency-Key"])


def test_a_parameter_sent_as_no_key_gives_no_flow(tmp_path):
    root = repo(tmp_path, "python", ("fraud.py", "risk_client.score(", "risk_client.note("))
    assert check(root, "idempotency.new-id-on-retry") == []
    made = next(f for f in analyse_repo(root).scan.facts if f.kind == "id_generation")
    assert made.fields["flows_to"] == []


def test_a_keyword_argument_binds_by_name(tmp_path):
    root = repo(tmp_path, "python", ("fraud.py", "risk_client.score(str(uuid.uuid4()), cart)", "risk_client.score(cart=cart, tx_id=str(uuid.uuid4()))"))
    (f,) = check(root, "idempotency.new-id-on-retry")
    assert [str(loc) for loc in f.sides[0].locations] == ["checkout/checkout/fraud.py:10"]


def test_an_unresolved_name_two_functions_have_is_not_followed(tmp_path):
    _, _, consumer, _, _ = CASES["csharp"]
    other = CS_CLIENT.replace("class RiskClient", "class OtherClient").replace("risk:8080/v1/score", "ledger:8080/v1/other")
    root = repo(tmp_path, "csharp")
    write(root, {"Checkout/OtherClient.cs": other})
    analysis = analyse_repo(root)
    assert findings(analysis, "idempotency.new-id-on-retry") == []
    made = next(f for f in analysis.scan.facts if f.kind == "id_generation")
    assert (made.service, made.fields["inside_retry"], made.fields["flows_to"]) == (consumer, True, [])
