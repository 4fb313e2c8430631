"""system.*: retry amplification, timeout inversion and missing timeouts along call paths."""

from __future__ import annotations

from .helpers import Facts, check, findings, locs, write


def chain(tmp_path, *, ab_attempts=3, bc_attempts=4, ab_timeout=1000.0, bc_timeout=2000.0):
    facts = Facts().service("a").service("b").service("c")
    policy = facts.add(
        "retry_policy", "a", "a/client.py", 3, "python.retry.tenacity", mechanism="tenacity", attempts=ab_attempts, backoff="exponential", max_delay_ms=100
    )
    facts.call("a", "a/client.py", 5, callee="b", url="http://b/x", attempts=ab_attempts, retry_policies=(policy.id,), timeout_ms=ab_timeout)
    facts.call("b", "b/client.py", 9, callee="c", url="http://c/y", attempts=bc_attempts, timeout_ms=bc_timeout)
    return facts.analyse(tmp_path)


def test_attempts_multiplying_past_the_limit_along_a_path(tmp_path):
    (f,) = findings(chain(tmp_path), "system.retry-amplification")
    assert (f.kind, f.severity, f.status, f.services, f.subject) == ("retry-amplification", "warning", "AT_RISK", ("a", "b", "c"), "a>b>c")
    assert "may cause 12 calls to c" in f.message
    assert locs(f) == ["a/client.py:3", "b/client.py:9"]
    assert f.locations[0].rule == "python.retry.tenacity"


def test_a_product_within_the_limit_is_fine(tmp_path):
    assert findings(chain(tmp_path), "system.retry-amplification", factor=12) == []
    assert findings(chain(tmp_path / "b", bc_attempts=3), "system.retry-amplification") == []


def test_unbounded_retries_always_amplify(tmp_path):
    (f,) = findings(chain(tmp_path, ab_attempts=None, bc_attempts=1), "system.retry-amplification")
    assert f.services == ("a", "b")  # the shortest path that exceeds
    assert "may cause unbounded calls" in f.message


def test_a_callee_spending_longer_downstream_than_its_callers_timeout(tmp_path):
    (f,) = findings(chain(tmp_path, bc_attempts=1), "system.timeout-inversion")
    assert (f.kind, f.severity, f.status, f.services) == ("timeout-inversion", "warning", "AT_RISK", ("a", "b"))
    assert f.sides[1].text == "may spend 2s on POST http://c/y (timeout 2s), a call it makes"
    assert locs(f) == ["a/client.py:5", "b/client.py:9"]


def test_retries_and_backoff_add_up_downstream(tmp_path):
    facts = Facts().service("a").service("b").service("c")
    facts.call("a", "a/client.py", 5, callee="b", url="http://b/x", timeout_ms=5000)
    policy = facts.add(
        "retry_policy", "b", "b/client.py", 7, "python.retry.tenacity", mechanism="tenacity", attempts=3, backoff="exponential", max_delay_ms=400
    )
    facts.call("b", "b/client.py", 9, callee="c", url="http://c/y", attempts=3, retry_policies=(policy.id,), timeout_ms=1500)
    (f,) = findings(facts.analyse(tmp_path), "system.timeout-inversion")
    assert f.sides[1].text == "may spend 5300ms on POST http://c/y (3 attempts × 1500ms + 2 × 400ms backoff), a call it makes"
    assert locs(f) == ["a/client.py:5", "b/client.py:7", "b/client.py:9"]


def test_a_timeout_bounding_the_whole_call_bounds_the_clients_own_retries(tmp_path):
    """.NET HttpClient.Timeout bounds SendAsync with its handler pipeline: 4 attempts of a resilience
    handler inside it (scope ``client``) cannot take longer than the timeout; a retry around the
    call (scope ``object``) still multiplies it, and a per-attempt timeout is multiplied as before."""

    def spend(root, timeout_scope, scopes):
        facts = Facts().service("a").service("b").service("c")
        facts.call("a", "a/client.py", 5, callee="b", url="http://b/x", timeout_ms=1200)
        ids = []
        for i, (s, n) in enumerate(scopes):
            policy = facts.add("retry_policy", "b", "b/Program.cs", 3 + i, "csharp.retry.polly", mechanism="polly", attempts=n, max_delay_ms=100)
            policy.fields["scope"] = s  # the policy's public field (add's own scope= is the enclosing function)
            ids.append(policy.id)
        attempts = 1
        for _, n in scopes:
            attempts *= n
        extra = {"timeout_scope": timeout_scope} if timeout_scope else {}
        facts.call("b", "b/Clients.cs", 12, callee="c", url="http://c/y", timeout_ms=4000, attempts=attempts, retry_policies=tuple(ids), **extra)
        (f,) = findings(facts.analyse(root), "system.timeout-inversion")
        return f.sides[1].text

    assert spend(tmp_path / "1", "call", [("client", 4)]) == (
        "may spend 4s on POST http://c/y (timeout 4s for the whole call, its client's 4 attempts included), a call it makes"
    )
    assert spend(tmp_path / "2", "call", [("object", 2), ("client", 4)]) == (
        "may spend 8100ms on POST http://c/y (2 attempts × 4s for the whole call, its client's 4 attempts included + 1 × 100ms backoff), a call it makes"
    )
    assert spend(tmp_path / "3", None, [("client", 4)]) == "may spend 16300ms on POST http://c/y (4 attempts × 4s + 3 × 100ms backoff), a call it makes"


def test_a_callees_calls_to_itself_are_not_downstream_of_its_operations(tmp_path):
    facts = Facts().service("a").service("b")
    facts.call("a", "a/client.py", 5, callee="b", url="http://b/x", timeout_ms=100)
    facts.call("b", "b/smoke_client.py", 9, callee="b", url="http://b/x", timeout_ms=None)  # b's bundled client
    assert findings(facts.analyse(tmp_path), "system.timeout-inversion") == []
    facts.call("b", "b/client.py", 12, callee="a", url="http://a/y", timeout_ms=None)  # a real downstream call
    (f,) = findings(facts.analyse(tmp_path / "2"), "system.timeout-inversion")
    assert locs(f) == ["a/client.py:5", "b/client.py:12"]


def test_a_callee_that_stays_within_the_callers_timeout_is_fine(tmp_path):
    assert findings(chain(tmp_path, bc_attempts=1, bc_timeout=500.0), "system.timeout-inversion") == []


def test_a_downstream_call_without_timeout_is_unbounded(tmp_path):
    (f,) = findings(chain(tmp_path, bc_attempts=1, bc_timeout=None), "system.timeout-inversion")
    assert "unbounded time" in f.message


B_CODE = """
    import requests
    from fastapi import FastAPI

    app = FastAPI()


    def enrich(x):
        return requests.get("http://c:80/y", timeout=3).json()


    @app.get("/slow")
    def slow():
        return enrich(1)


    @app.get("/fast")
    def fast():
        return {}
"""


def reach_repo(tmp_path, path):
    return write(
        tmp_path,
        {
            "a/requirements.txt": "requests\n",
            "a/client.py": f'import requests\n\ndef go():\n    return requests.get("http://b:80{path}", timeout=1)\n',
            "b/requirements.txt": "fastapi\n",
            "b/api.py": B_CODE,
            "c/requirements.txt": "",
        },
    )


def test_only_calls_the_handler_reaches_count(tmp_path):
    (f,) = check(reach_repo(tmp_path, "/slow"), "system.timeout-inversion")
    assert f.sides[1].text == "may spend 3s on GET http://c:80/y (timeout 3s), a call its handler slow reaches"
    assert locs(f) == ["a/client.py:4", "b/api.py:8", "b/api.py:11"]
    assert check(reach_repo(tmp_path / "fast", "/fast"), "system.timeout-inversion") == []


def test_a_callee_known_only_by_its_contract_is_judged_by_its_declared_dependencies(tmp_path):
    root = write(
        tmp_path,
        {
            "a/contracts/deps.yaml": "service: a\ndepends_on:\n  - service: b\n    timeout: 1s\n",
            "b/contracts/deps.yaml": "service: b\ndepends_on:\n  - service: c\n    timeout: 800ms\n    retry:\n      attempts: 2\n      backoff: constant 100ms\n",
        },
    )
    (f,) = check(root, "system.timeout-inversion")
    assert f.sides[1].text == "may spend 1700ms on c (2 attempts × 800ms), a call it declares"
    assert locs(f) == ["a/contracts/deps.yaml:4", "b/contracts/deps.yaml:4"]


def test_a_call_without_timeout_to_another_service(tmp_path):
    (f,) = findings(chain(tmp_path, ab_timeout=None), "system.missing-timeout")
    assert (f.kind, f.severity, f.status, f.services) == ("missing-timeout", "warning", "AT_RISK", ("a", "b"))
    assert locs(f) == ["a/client.py:5"]


def test_calls_with_timeouts_are_fine(tmp_path):
    assert findings(chain(tmp_path), "system.missing-timeout") == []


B_RETRYING = """
    import requests
    from fastapi import FastAPI
    from tenacity import retry, stop_after_attempt

    app = FastAPI()


    @retry(stop=stop_after_attempt(3))
    def enrich(x):
        return requests.get("http://c:80/y", timeout={timeout}).json()


    @app.get("/slow")
    def slow():
        return enrich(1)


    @app.get("/fast")
    def fast():
        return {{}}
"""


def amplifying_repo(tmp_path, path, timeout="3"):
    """a retries b's ``path`` 4 times; b's /slow handler reaches its call to c (3 attempts), /fast does not."""
    return write(
        tmp_path,
        {
            "a/requirements.txt": "requests\ntenacity\n",
            "a/client.py": f'import requests\nfrom tenacity import retry, stop_after_attempt\n\n\n@retry(stop=stop_after_attempt(4))\ndef go():\n    return requests.get("http://b:80{path}", timeout=1)\n',
            "b/requirements.txt": "fastapi\ntenacity\n",
            "b/api.py": B_RETRYING.format(timeout=timeout),
            "c/requirements.txt": "",
        },
    )


def test_attempts_multiply_through_a_handler_that_reaches_the_next_call(tmp_path):
    (f,) = check(amplifying_repo(tmp_path, "/slow"), "system.retry-amplification")
    assert (f.services, f.subject) == (("a", "b", "c"), "a>b>c")
    assert f.message == "one request to a may cause 12 calls to c (a→b ×4 → b→c ×3); the limit is 10"  # reach known: nothing assumed
    assert [s.text for s in f.sides] == ["calls b.slow up to 4 times", "calls c up to 3 times"]
    assert locs(f) == ["a/client.py:5", "b/api.py:8"]


def test_no_amplification_through_a_handler_that_does_not_reach_the_next_call(tmp_path):
    assert check(amplifying_repo(tmp_path, "/fast"), "system.retry-amplification") == []
    assert check(amplifying_repo(tmp_path / "low", "/slow"), "system.retry-amplification", factor=12) == []


def test_a_chain_whose_reach_is_unknown_is_kept_and_says_so(tmp_path):
    (f,) = findings(chain(tmp_path), "system.retry-amplification")  # hand-made facts: no call index
    assert f.message.endswith("; b's handlers are not known to reach the call to c, assumed it does")


def test_the_timeout_hint_counts_only_callers_whose_operation_reaches_the_call(tmp_path):
    (f,) = check(amplifying_repo(tmp_path, "/slow", timeout="None"), "system.missing-timeout")
    assert f.resolutions[0].action == "b: set a timeout on the call (below 1s, the shortest timeout b's callers give it)"
    (f,) = check(amplifying_repo(tmp_path / "fast", "/fast", timeout="None"), "system.missing-timeout")
    assert f.resolutions[0].action == "b: set a timeout on the call"
