"""Per-file summaries (``extractor/frontends/summary.py``) and the call index built from them
(``extractor/reach.py``): what a summary holds, per language, and which calls an endpoint's
handler reaches through functions of other files of its service."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from extractor.contracts.infer import infer_contracts
from extractor.frontends.summary import CallSite, FileSummary, FunctionSummary, Param
from extractor.reach import build_call_index
from extractor.scan import scan
from extractor.values import Const, Dynamic, Ref

from .checks.helpers import catalog, write

PYTHON = {
    "svc/requirements.txt": "fastapi\nrequests\n",
    "svc/app/__init__.py": "",
    "svc/app/api.py": """
        from fastapi import FastAPI

        from .scoring import score

        app = FastAPI()


        @app.post("/v1/score")
        def handle(payload: dict, limit: int = 5):
            return score(payload["id"], retries=limit)


        @app.get("/health")
        def health():
            return {"ok": True}
    """,
    # no rule needs this file (no library it uses): the scan extracts it for the call index only
    "svc/app/scoring.py": """
        from .client import fetch

        TIMEOUT = 2.5


        def score(tx_id, retries=3):
            return fetch("http://risk:8080/v1/risk", TIMEOUT)
    """,
    "svc/app/client.py": """
        import requests


        def fetch(url, timeout):
            return requests.get(url, timeout=timeout)
    """,
}

GO = {
    "gosvc/go.mod": "module example.com/gosvc\n\ngo 1.22\n",
    "gosvc/main.go": """
        package main

        import "net/http"

        func main() {
        	http.HandleFunc("/score", handleScore)
        	http.HandleFunc("/health", health)
        	http.ListenAndServe(":8080", nil)
        }

        func handleScore(w http.ResponseWriter, r *http.Request) {
        	fetchRisk(r.URL.Query().Get("id"), 3)
        }

        func health(w http.ResponseWriter, r *http.Request) {}
    """,
    "gosvc/risk.go": """
        package main

        import (
        	"net/http"
        	"time"
        )

        var client = &http.Client{Timeout: 2 * time.Second}

        func fetchRisk(id string, attempts int) (*http.Response, error) {
        	return client.Get("http://risk:8080/v1/risk/" + id)
        }
    """,
}

JAVA = {
    "jsvc/pom.xml": "<project></project>\n",
    "jsvc/src/main/java/com/acme/ScoreController.java": """
        package com.acme;

        import org.springframework.web.bind.annotation.GetMapping;
        import org.springframework.web.bind.annotation.PostMapping;
        import org.springframework.web.bind.annotation.RestController;

        @RestController
        public class ScoreController {
            private final RiskClient risk = new RiskClient();

            @PostMapping("/score")
            public String score(String id) {
                return risk.check(id, "fast");
            }

            @GetMapping("/health")
            public String health() {
                return "ok";
            }
        }
    """,
    "jsvc/src/main/java/com/acme/RiskClient.java": """
        package com.acme;

        import java.net.URI;
        import java.net.http.HttpClient;
        import java.net.http.HttpRequest;
        import java.net.http.HttpResponse;
        import java.time.Duration;

        public class RiskClient {
            private final HttpClient http = HttpClient.newHttpClient();

            public String check(String id, String mode) throws Exception {
                HttpRequest req = HttpRequest.newBuilder(URI.create("http://risk:8080/v1/risk")).timeout(Duration.ofSeconds(2)).build();
                return http.send(req, HttpResponse.BodyHandlers.ofString()).body();
            }
        }
    """,
}

TYPESCRIPT = {
    "gateway/package.json": '{"name": "gateway", "dependencies": {"express": "4", "axios": "1"}}\n',
    "gateway/src/server.ts": """
        import express from "express";
        import { quote } from "./fares";

        const app = express();

        app.post("/rides", async (req, res) => {
          const price = await quote(req.body.zone);
          res.json({ price });
        });

        app.get("/health", (req, res) => res.json({ ok: true }));
    """,
    "gateway/src/fares.ts": """
        import axios from "axios";

        export async function quote(zone: string, currency = "EUR") {
          const r = await axios.post("http://fares:8000/quotes", { zone, currency }, { timeout: 1500 });
          return r.data;
        }
    """,
}


def _scan(tmp_path: Path, files: dict[str, str]):
    root = write(tmp_path, files)
    result = scan(root, catalog=catalog(), display_root=".")
    return result, infer_contracts(result, root)


def _reached(inferred, path: str) -> list[str]:
    """``file:line`` of the calls the handler of the endpoint at ``path`` reaches."""
    (ep,) = [e for e in inferred.endpoints if e.path == path]
    calls = {c.id: c for c in inferred.calls}
    return sorted(f"{calls[i].location.file}:{calls[i].location.line}" for i in inferred.handler_calls[ep.id])


def _summary(result, path: str) -> FileSummary:
    for calls in result.call_index.services.values():
        if path in calls.files:
            return calls.files[path]
    raise AssertionError(f"no summary for {path}")


def _function(summary: FileSummary, qualname: str) -> FunctionSummary:
    (fn,) = [f for f in summary.functions if f.qualname == qualname]
    return fn


# -- what a summary holds ---------------------------------------------------------------------------


def test_python_summary_holds_parameters_decorators_calls_and_facts(tmp_path):
    result, _ = _scan(tmp_path, PYTHON)
    api = _summary(result, "svc/app/api.py")
    assert (api.language, api.module) == ("python", "app.api")
    handle = _function(api, "handle")
    assert handle.params == (Param("payload", "dict", "dict", None), Param("limit", "int", "int", Const(5)))
    assert handle.decorators == ("fastapi.FastAPI.post",)
    (call,) = handle.calls
    assert (call.callee, call.name, call.local, call.line) == ("app.scoring.score", "score", None, 10)
    assert call.args == (Dynamic('payload["id"]'),)
    assert call.kwargs == (("retries", Dynamic("limit")),)
    endpoint = next(f for f in result.facts if f.kind == "endpoint" and f.fields.get("handler") == "handle")
    assert endpoint.scope == "handle" and len(handle.facts) == 1  # the route's fact is emitted inside the handler
    assert [c.callee for c in api.calls] == ["fastapi.FastAPI"]  # app = FastAPI() at the top level


def test_a_file_no_rule_needs_is_summarised_for_the_call_index(tmp_path):
    result, _ = _scan(tmp_path, PYTHON)
    scoring = _summary(result, "svc/app/scoring.py")
    score = _function(scoring, "score")
    assert score.params == (Param("tx_id"), Param("retries", default=Const(3)))
    (call,) = score.calls
    assert call.callee == "app.client.fetch"
    # a module constant is passed as its qualified name: the link stage resolves it like any other
    assert call.args == (Const("http://risk:8080/v1/risk"), Ref("app.scoring.TIMEOUT"))
    assert not any(f.file == "svc/app/scoring.py" for f in result.facts)


def test_a_builtin_call_is_not_recorded_but_a_same_file_function_of_that_name_is(tmp_path):
    files = dict(PYTHON)
    files["svc/app/scoring.py"] = """
        from .client import fetch


        def score(tx_id, retries=3):
            if not isinstance(tx_id, str) or len(tx_id) > 64:
                raise ValueError(tx_id)
            return fetch(str(tx_id), min(retries, 5))


        def helper():
            def min(a, b):
                return a
            return min(1, 2)
    """
    result, _ = _scan(tmp_path, files)
    scoring = _summary(result, "svc/app/scoring.py")
    # isinstance, len, ValueError, str, min: builtins reach no function of any service
    assert [(c.callee, c.args) for c in _function(scoring, "score").calls] == [("app.client.fetch", (Dynamic("str(tx_id)"), Dynamic("min(retries, 5)")))]
    (call,) = _function(scoring, "helper").calls
    assert (call.name, call.local, call.args) == ("min", "helper.min", (Const(1), Const(2)))


def test_summaries_are_plain_data(tmp_path):
    result, _ = _scan(tmp_path, PYTHON)
    api = _summary(result, "svc/app/api.py")
    assert pickle.loads(pickle.dumps(api)) == api
    again, _ = _scan(tmp_path / "again", PYTHON)
    assert _summary(again, "svc/app/api.py") == api  # deterministic


def test_every_rule_fixture_s_summary_crosses_a_process_boundary(monkeypatch):
    """Worker processes send results back pickled: a summary holds values only, no syntax nodes
    (a Kotlin or Java file under its real module name binds names to adapter objects)."""
    import extractor.scan as scan_module

    extract_one = scan_module.extract_one
    seen: list[str] = []

    def checked(task, compiled):
        res, diag, lines = extract_one(task, compiled)
        if res is not None:
            assert res.summary is not None, task.rel
            assert pickle.loads(pickle.dumps(res.summary)) == res.summary, task.rel
            seen.append(task.rel)
        return res, diag, lines

    monkeypatch.setattr(scan_module, "extract_one", checked)
    scan(Path(__file__).parent.parent / "fixtures" / "rules", catalog=catalog())
    assert len(seen) > 100 and any(rel.endswith(".kt") for rel in seen)


def test_go_summary_resolves_a_function_of_another_file_of_the_package(tmp_path):
    result, _ = _scan(tmp_path, GO)
    main = _summary(result, "gosvc/main.go")
    assert main.module == "example.com/gosvc"
    handle = _function(main, "handleScore")
    assert [p.name for p in handle.params] == ["w", "r"]
    assert handle.params[1].type == "*http.Request"
    (call,) = [c for c in handle.calls if c.name == "fetchRisk"]
    assert call.callee == "example.com/gosvc.fetchRisk"
    assert call.args[1] == Const(3)
    risk = _function(_summary(result, "gosvc/risk.go"), "fetchRisk")
    (get,) = risk.calls
    assert (get.callee, get.line) == ("net/http.Client.Get", 11)
    assert len(risk.facts) == 1  # the outbound call


def test_java_summary_names_annotations_and_the_method_of_another_class(tmp_path):
    result, _ = _scan(tmp_path, JAVA)
    controller = _summary(result, "jsvc/src/main/java/com/acme/ScoreController.java")
    score = _function(controller, "ScoreController.score")
    assert score.decorators == ("org.springframework.web.bind.annotation.PostMapping",)
    assert score.params == (Param("id", "String", "java.lang.String", None),)
    (call,) = score.calls
    # risk is a field of another file's type: its declared type names the method
    assert (call.callee, call.name) == ("com.acme.RiskClient.check", "check")
    assert call.args == (Dynamic("id"), Const("fast"))


def test_typescript_summary_keeps_defaults_and_the_imported_callee(tmp_path):
    result, _ = _scan(tmp_path, TYPESCRIPT)
    fares = _summary(result, "gateway/src/fares.ts")
    quote = _function(fares, "quote")
    assert quote.params[0].name == "zone" and quote.params[1] == Param("currency", None, None, Const("EUR"))
    server = _summary(result, "gateway/src/server.ts")
    (literal,) = [f for f in server.functions if any(c.name == "quote" for c in f.calls)]
    (call,) = [c for c in literal.calls if c.name == "quote"]
    assert call.callee == "gateway/src/fares.quote"


# -- which calls a handler reaches ----------------------------------------------------------------


def test_python_handler_reaches_a_call_two_files_away(tmp_path):
    _, inferred = _scan(tmp_path, PYTHON)
    assert _reached(inferred, "/v1/score") == ["svc/app/client.py:5"]
    assert _reached(inferred, "/health") == []


def test_go_handler_reaches_a_call_in_another_file_of_the_package(tmp_path):
    _, inferred = _scan(tmp_path, GO)
    assert _reached(inferred, "/score") == ["gosvc/risk.go:11"]
    assert _reached(inferred, "/health") == []


def test_java_handler_reaches_the_call_of_a_field_s_class(tmp_path):
    _, inferred = _scan(tmp_path, JAVA)
    assert _reached(inferred, "/score") == ["jsvc/src/main/java/com/acme/RiskClient.java:14"]
    assert _reached(inferred, "/health") == []


def test_a_function_literal_handler_reaches_through_an_import(tmp_path):
    _, inferred = _scan(tmp_path, TYPESCRIPT)
    assert _reached(inferred, "/rides") == ["gateway/src/fares.ts:4"]
    assert _reached(inferred, "/health") == []


# -- the index itself -------------------------------------------------------------------------------


def _fn(qualname: str, *calls: CallSite, parent: str = "") -> FunctionSummary:
    return FunctionSummary(qualname, qualname.rpartition(".")[2], 1, 1, parent, calls=calls)


def test_cycles_are_safe_and_depth_is_bounded():
    a = FileSummary("s/a.py", "python", "pkg.a", (_fn("f", CallSite(2, 1, "pkg.b.g", "g")),))
    b = FileSummary("s/b.py", "python", "pkg.b", (_fn("g", CallSite(2, 1, "pkg.a.f", "f"), CallSite(3, 1, "pkg.c.h", "h")),))
    c = FileSummary("s/c.py", "python", "pkg.c", (_fn("h"),))
    index = build_call_index([a, b, c], {"s/a.py": "s", "s/b.py": "s", "s/c.py": "s"})
    calls = index.services["s"]
    assert calls.reachable([("s/a.py", "f")]) == {("s/a.py", "f"), ("s/b.py", "g"), ("s/c.py", "h")}
    assert calls.reachable([("s/a.py", "f")], depth=1) == {("s/a.py", "f"), ("s/b.py", "g")}
    assert index.handler_reach("s", "s/a.py", "f") == {("s/a.py", "f"), ("s/b.py", "g"), ("s/c.py", "h")}
    assert index.handler_reach("s", "s/a.py", "nothing") is None


def test_an_unresolved_call_reaches_the_service_s_functions_of_that_name_but_a_library_call_does_not():
    a = FileSummary("s/a.py", "python", "pkg.a", (_fn("f", CallSite(2, 1, None, "score"), CallSite(3, 1, "requests.get", "get")),))
    b = FileSummary("s/b.py", "python", "pkg.b", (_fn("Client.score"), _fn("get")))
    index = build_call_index([a, b], {"s/a.py": "s", "s/b.py": "s"})
    assert index.handler_reach("s", "s/a.py", "f") == {("s/a.py", "f"), ("s/b.py", "Client.score")}


def test_closures_are_reached_from_the_function_that_defines_them():
    a = FileSummary(
        "s/a.go", "go", "example.com/s", (_fn("main"), _fn("main.func1", CallSite(3, 1, "example.com/s.helper", "helper"), parent="main"), _fn("helper"))
    )
    index = build_call_index([a], {"s/a.go": "s"})
    assert index.handler_reach("s", "s/a.go", "main") == {("s/a.go", "main"), ("s/a.go", "main.func1"), ("s/a.go", "helper")}


@pytest.mark.parametrize("handler", ["s.handleScore", "handleScore", "Server.handleScore"])
def test_a_handler_is_found_by_its_name_in_another_file(handler):
    a = FileSummary("s/main.go", "go", "example.com/s", (_fn("main"),))
    b = FileSummary("s/server.go", "go", "example.com/s", (_fn("Server.handleScore"),))
    index = build_call_index([a, b], {"s/main.go": "s", "s/server.go": "s"})
    assert index.handler_reach("s", "s/main.go", handler) == {("s/server.go", "Server.handleScore")}


def _span(qualname: str, line: int, end: int, *calls: CallSite, parent: str = "") -> FunctionSummary:
    return FunctionSummary(qualname, qualname.rpartition(".")[2], line, end, parent, calls=calls)


def test_a_route_s_function_literal_is_its_handler_even_when_the_handler_text_names_the_enclosing_scope():
    # routing { post("/points") { pricing.quote() } ; get(...) { stock.available() } } (Ktor)
    app = FileSummary(
        "s/App.kt",
        "kotlin",
        "com.shop",
        (
            _span("module", 1, 9),
            _span("module.func1", 2, 8, CallSite(3, 9, None, "post", end_line=5), CallSite(6, 9, None, "get", end_line=8), parent="module"),
            _span("module.func1.func1", 3, 5, CallSite(4, 13, None, "quote"), parent="module.func1"),
            _span("module.func1.func2", 6, 8, CallSite(7, 13, None, "available"), parent="module.func1"),
        ),
    )
    clients = FileSummary("s/Clients.kt", "kotlin", "com.shop", (_span("Pricing.quote", 2, 3), _span("Stock.available", 5, 6)))
    index = build_call_index([app, clients], {"s/App.kt": "s", "s/Clients.kt": "s"})
    assert index.handler_reach("s", "s/App.kt", "module.func1", 3) == {("s/App.kt", "module.func1.func1"), ("s/Clients.kt", "Pricing.quote")}
    assert index.handler_reach("s", "s/App.kt", "module.func1", 6) == {("s/App.kt", "module.func1.func2"), ("s/Clients.kt", "Stock.available")}


def test_a_decorated_handler_is_the_function_its_name_says_not_a_lambda_in_the_decorator():
    # @app.route("/x", key=lambda r: r.id) / def view(): ...
    api = FileSummary(
        "s/api.py",
        "python",
        "app.api",
        (_span("<lambda>", 1, 1), _span("view", 2, 3, CallSite(3, 5, "app.api.helper", "helper"), CallSite(3, 9, None, "x")), _span("helper", 5, 6)),
        calls=(CallSite(1, 2, "flask.Flask.route", "route", end_line=1),),
    )
    index = build_call_index([api], {"s/api.py": "s"})
    assert index.handler_reach("s", "s/api.py", "view", 1) == {("s/api.py", "view"), ("s/api.py", "helper")}
    assert index.handler_reach("s", "s/api.py", "async (req, res) => {…}", 1) == {("s/api.py", "<lambda>")}
