"""The JavaScript / TypeScript adapter of the tree-sitter engine: evaluation, imports, bindings,
the engine's id flow, the TypeScript alias, .env files and laziness.

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and the guarantees a scan of other languages relies on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from extractor.config import Config
from extractor.environment import build_address_book
from extractor.environment.dotenv import parse_env_file
from extractor.frontends import frontend_for, language_of, rules_language, rules_language_of
from extractor.frontends.testing import FunctionValue, Probe, grammar_for, join_prefix, select_rules
from extractor.frontends.treesitter.javascript import js_number, module_path, normalise_module, unescape, words_of
from extractor.scan import scan
from extractor.values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, strip

from .conftest import REPO


def analyzer(source: str, path: str = "src/x.ts", rule_ids: tuple[str, ...] = ()) -> Probe:
    return Probe("javascript", source, path, select_rules("javascript", rule_ids))  # platform rules load whichever rules run


def value(an: Probe, name: str):
    return an.value(name)


def facts_of(source: str, path: str, *rule_ids: str, tmp_path: Path) -> list:
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(textwrap.dedent(source), encoding="utf-8")
    return scan(tmp_path, config=Config(), rule_ids=list(rule_ids) or None).facts


# ---------------------------------------------------------------- literals
def test_numbers_strings_and_template_literals():
    an = analyzer(
        r"""
        const a = 1_000, b = 0x10, c = 1e3, d = .5, e = 10n, f = 0o17;
        const s = 'it\'s', t = "a\tb\u0041\x42";
        const host = "risk";
        const url = `http://${host}:8080/v1/${id}\n`;
        const empty = ``;
        const plain = `no substitutions`;
        """
    )
    assert [strip(value(an, n)) for n in "abcdef"] == [Const(1000), Const(16), Const(1000.0), Const(0.5), Const(10), Const(15)]
    assert strip(value(an, "s")) == Const("it's")
    assert strip(value(an, "t")) == Const("a\tbAB")
    url = strip(value(an, "url"))
    assert isinstance(url, Concat)
    assert url.parts == (Const("http://risk:8080/v1/"), Dynamic("id"), Const("\n"))  # known parts folded
    assert strip(value(an, "empty")) == Const("") and strip(value(an, "plain")) == Const("no substitutions")
    assert js_number("1_000") == 1000 and js_number("017") == 15 and js_number("x") is None
    assert unescape(r"a\\b\u{1F600}") == "a\\b\U0001f600"


def test_object_literals_shorthand_spread_computed_and_methods():
    an = analyzer(
        """
        const timeout = 500;
        const defaults = { retries: 2, timeout: 100 };
        const key = "baseURL";
        const opts = { ...defaults, timeout, [key]: "http://risk", 'x-id': 1, 2: "two", score(req) { return req; } };
        const list = [1, "a", timeout];
        """
    )
    opts = strip(value(an, "opts"))
    assert isinstance(opts, Map)
    assert strip(opts.get("retries")) == Const(2)
    assert opts.get("timeout") == Named("timeout", Const(500))  # the later property wins, the constant's name is kept
    assert opts.get("baseURL") == Const("http://risk")
    assert opts.get("x-id") == Const(1) and opts.get("2") == Const("two")
    assert isinstance(opts.get("score"), Dynamic)  # a method: a function value
    assert strip(value(an, "list")) == Seq((Const(1), Const("a"), Named("timeout", Const(500))))


def test_process_env_defaults_destructuring_and_conversions():
    an = analyzer(
        """
        const a = process.env.RISK_URL || "http://risk:8080";
        const b = process.env["ORDERS_URL"] ?? "http://orders:8000";
        const c = process.env.LEDGER_URL;
        const { PAYMENT_URL = "http://payment:8080", NO_DEFAULT } = process.env;
        const t = Number(process.env.TIMEOUT_MS ?? 250);
        const u = parseInt(process.env.RETRIES || "3", 10);
        const v = globalThis.process;
        const w = process.env.X || someCall();
        """
    )
    assert strip(value(an, "a")) == Env("RISK_URL", Const("http://risk:8080"))
    assert strip(value(an, "b")) == Env("ORDERS_URL", Const("http://orders:8000"))
    assert strip(value(an, "c")) == Env("LEDGER_URL")
    assert strip(value(an, "PAYMENT_URL")) == Env("PAYMENT_URL", Const("http://payment:8080"))
    assert strip(value(an, "NO_DEFAULT")) == Env("NO_DEFAULT")
    assert strip(value(an, "t")) == Env("TIMEOUT_MS", Const(250.0))
    assert strip(value(an, "u")) == Env("RETRIES", Const(3))
    assert value(an, "v") == Ref("process")
    w = strip(value(an, "w"))
    assert isinstance(w, Env) and w.var == "X" and isinstance(strip(w.default), Dynamic)


def test_typescript_casts_await_and_ternaries():
    an = analyzer(
        """
        const a = (500 as number);
        const b = <number>300;
        const c = maybe!;
        const d = 200 satisfies number;
        const e = cond ? "x" : "x";
        const f = cond ? "x" : "y";
        async function g() { return await 5; }
        const deadline = Date.now() + 500;
        const dated = new Date(Date.now() + 250);
        """,
        path="src/x.ts",
    )
    assert strip(value(an, "a")) == Const(500) and strip(value(an, "b")) == Const(300) and strip(value(an, "d")) == Const(200)
    assert strip(value(an, "e")) == Const("x") and value(an, "f") == Dynamic("f")
    fv = value(an, "g")
    assert isinstance(fv, FunctionValue) and an.returned(fv.fn) == Const(5)
    assert strip(value(an, "deadline")) == Call("Date.now()+", (Const(500),))
    assert strip(value(an, "dated")) == Call("Date.now()+", (Const(250),))


# ---------------------------------------------------------------- imports
def test_imports_es_commonjs_aliases_and_relative_modules():
    an = analyzer(
        """
        import axios, { create as mk, default as ax2 } from "axios";
        import * as grpc from "@grpc/grpc-js";
        import { v4 as uuidv4 } from "uuid";
        import http from "node:http";
        import { RISK_URL } from "../config/index.js";
        import type { AxiosInstance } from "axios";
        import legacy = require("legacy-lib");
        const got = require("got");
        const cjs = require("axios").default;
        const { v7, nanoid: makeId } = require("uuid");
        """,
        path="svc/src/api/client.ts",
    )
    assert value(an, "axios") == Ref("axios") and value(an, "ax2") == Ref("axios") and value(an, "mk") == Ref("axios.create")
    assert value(an, "grpc") == Ref("@grpc/grpc-js") and value(an, "uuidv4") == Ref("uuid.v4") and value(an, "http") == Ref("http")
    assert value(an, "RISK_URL") == Ref("svc/src/config.RISK_URL")
    assert value(an, "AxiosInstance") == Ref("axios.AxiosInstance") and value(an, "legacy") == Ref("legacy-lib")
    assert value(an, "got") == Ref("got") and value(an, "cjs") == Ref("axios")
    assert value(an, "v7") == Ref("uuid.v7") and value(an, "makeId") == Ref("uuid.nanoid")
    assert an.imports["uuidv4"] == "uuid.v4"
    assert normalise_module("./lib", "a/b.js") == "a/lib" and normalise_module("node:crypto", "x.js") == "crypto"
    assert module_path(None, "svc/src/lib/index.ts") == "svc/src/lib" and module_path(None, "a/b.mjs") == "a/b"
    assert words_of("@grpc/grpc-js.Client.*") == {"@grpc/grpc-js"} and words_of("*Client") == set() and words_of("fetch") == {"fetch"}


def test_globals_and_locals_that_shadow_them():
    an = analyzer(
        """
        function fetch(x) { return x; }
        const u = undefined;
        """
    )
    assert isinstance(value(an, "fetch"), FunctionValue)  # a local fetch is not the global
    assert strip(value(an, "u")) == Const(None)
    assert value(an, "AbortSignal") == Ref("AbortSignal") and value(an, "notAGlobal") == Dynamic("notAGlobal")


# ---------------------------------------------------------------- objects, classes, functions
def test_instances_through_factories_class_fields_and_typed_parameters(tmp_path):
    an = analyzer(
        """
        import axios, { AxiosInstance } from "axios";
        function make() { return axios.create({ timeout: 900 }); }
        const c = make();
        class Gateway {
          field = axios.create({ baseURL: "http://a" });
          private client: AxiosInstance;
          constructor(private readonly injected: AxiosInstance) { this.client = axios.create({ timeout: 100 }); }
          run() { return this.client; }
        }
        """,
        rule_ids=("javascript.http.axios",),
    )
    c = value(an, "c")
    assert isinstance(c, Obj) and c.type == "axios.AxiosInstance" and strip(c.capture("timeout")) == Const(900)
    inst = an.instance("Gateway", "this")
    client = an.member(inst, "client")
    assert isinstance(client, Obj) and strip(client.capture("timeout")) == Const(100)
    field = an.member(inst, "field")
    assert isinstance(field, Obj) and field.capture("base_url") == Const("http://a")
    injected = an.member(inst, "injected")
    assert isinstance(injected, Obj) and isinstance(injected.capture("timeout"), Dynamic)  # built elsewhere: unknown


def test_closures_are_named_after_what_they_are_assigned_to(tmp_path):
    facts = facts_of(
        """
        import axios from "axios";
        const handler = async () => axios.get("http://a/x", { timeout: 1 });
        export function outer() {
          const work = () => axios.get("http://a/y", { timeout: 1 });
          return [1].map(() => axios.get("http://a/z", { timeout: 1 }));
        }
        """,
        "app.js",
        "javascript.http.axios",
        tmp_path=tmp_path,
    )
    assert sorted(f.scope for f in facts) == ["handler", "outer.func1", "outer.work"]


def test_join_prefix_uses_one_slash():
    assert join_prefix(Const("v1"), Const(":id")) == Const("v1/:id")
    assert join_prefix(Const("/v1/"), Const("/x")) == Const("/v1/x")
    assert join_prefix(Const("/v1"), Const("")) == Const("/v1")
    assert join_prefix(Const("/v1"), Const("/x")) == Const("/v1/x")


# ---------------------------------------------------------------- the engine's id flow and retries
def test_id_flow_labels_wrappers_and_retry_scopes(tmp_path):
    facts = facts_of(
        """
        const axios = require("axios");
        const newId = () => crypto.randomUUID();
        async function send(cart) {
          const key = newId();
          const body = { transactionId: key, cart };
          const headers = {};
          headers["Idempotency-Key"] = key;
          for (let attempt = 0; attempt < 3; attempt++) {
            try {
              return await axios.post("http://risk:8080/v1/score", body, { headers, timeout: 100 });
            } catch (e) {
              await new Promise((r) => setTimeout(r, 100));
            }
          }
        }
        """,
        "svc.js",
        tmp_path=tmp_path,
    )
    ids = [f for f in facts if f.kind == "id_generation"]
    assert len(ids) == 1  # the wrapper's call, not the call inside the wrapper
    assert ids[0].line == 5 and ids[0].fields["variable"] == "key" and ids[0].fields["inside_retry"] is False
    assert sorted(f["as"] for f in ids[0].fields["flows_to"]) == ["field:transactionId", "header:Idempotency-Key"]
    loop = [f for f in facts if f.kind == "retry_policy"]
    assert [(f.fields["mechanism"], f.fields["attempts"], f.fields["backoff"]) for f in loop] == [("loop", 3, "fixed")]


def test_files_without_id_words_get_no_id_flow():
    an = analyzer("const x = 1;\n", rule_ids=("javascript.ids.generators",))
    assert not an.tracks_ids
    an = analyzer("const id = crypto.randomUUID();\n", rule_ids=("javascript.ids.generators",))
    assert an.tracks_ids


# ---------------------------------------------------------------- TypeScript alias, comments, grammars
def test_typescript_files_use_the_javascript_rules_and_grammars_follow_the_suffix():
    assert language_of("a/b.ts") == "typescript" and rules_language("typescript") == "javascript"
    assert rules_language_of("a/b.tsx") == "javascript" and rules_language_of("a/b.cjs") == "javascript"
    assert frontend_for("typescript") is frontend_for("javascript")
    assert grammar_for("javascript", "x.tsx") == ("tree_sitter_typescript", "language_tsx")
    assert grammar_for("javascript", "x.mts") == ("tree_sitter_typescript", "language_typescript")
    assert grammar_for("javascript", "x.jsx") == ("tree_sitter_javascript", "language")
    fe = frontend_for("javascript")
    source = b"const a: number = 1; // expect: x\n/* block\n * two */\nconst b = <T,>(x: T) => x; // ok: y\n"
    comments = fe.comments(source, "f.ts")
    assert [(c.line, c.text, c.own_line) for c in comments] == [(1, "expect: x", False), (2, "block two", True), (4, "ok: y", False)]


def test_tsx_and_jsx_parse(tmp_path):
    facts = facts_of(
        """
        export function App() {
          const load = () => fetch("http://risk:8080/v1/score", { signal: AbortSignal.timeout(100) });
          return <button onClick={load}>score</button>;
        }
        """,
        "web/App.tsx",
        "javascript.http.fetch",
        tmp_path=tmp_path,
    )
    assert [(f.fields["url"], f.fields["timeout_ms"]) for f in facts if f.kind == "http_call"] == [("http://risk:8080/v1/score", 100)]


# ---------------------------------------------------------------- .env files
def test_env_files_are_parsed_and_feed_the_address_book(tmp_path):
    text = "A=1\nexport B=\"two words\" # comment\nC='x#y'\n# D=4\nE=http://risk:8080 # trailing\nbad line\n"
    assert parse_env_file(text) == {"A": "1", "B": "two words", "C": "x#y", "E": "http://risk:8080"}
    for name, manifest in (("checkout", "package.json"), ("risk", "package.json"), ("orders", "package.json")):
        (tmp_path / name).mkdir()
        (tmp_path / name / manifest).write_text("{}", encoding="utf-8")
    (tmp_path / "checkout" / ".env").write_text("RISK_URL=http://risk:8080\n", encoding="utf-8")
    (tmp_path / "checkout" / ".env.local").write_text("RISK_URL=http://elsewhere\nORDERS_URL=http://orders:8000\n", encoding="utf-8")
    (tmp_path / "checkout" / "app.js").write_text(
        'const axios = require("axios");\naxios.get(process.env.RISK_URL + "/x", { timeout: 1 });\naxios.get(`${process.env.ORDERS_URL}/y`, { timeout: 1 });\n',
        encoding="utf-8",
    )
    facts = scan(tmp_path, config=Config(), rule_ids=["javascript.http.axios"]).facts
    assert [(f.fields["target"]["service"], f.fields["target"]["via"]) for f in facts] == [("risk", "env_file"), ("orders", "env_file")]


def test_compose_env_file_entries(tmp_path):
    from extractor.discover import find_services, inventory

    (tmp_path / "risk").mkdir()
    (tmp_path / "risk" / "package.json").write_text("{}", encoding="utf-8")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "package.json").write_text("{}", encoding="utf-8")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "api.env").write_text("SCORING_URL=http://risk:8080\n", encoding="utf-8")
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  api:\n    build: ./api\n    env_file: [./deploy/api.env]\n    environment: {OTHER: x}\n", encoding="utf-8"
    )
    inv = inventory(tmp_path, Config())
    book = build_address_book(inv.root, find_services(inv, Config()), inv.other_files)
    assert book.env_by_service["api"] == {"OTHER": "x", "SCORING_URL": "http://risk:8080"}


def test_compose_override_and_reset_tags_are_read(tmp_path):
    from extractor.discover import find_services, inventory

    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "package.json").write_text('{"name": "api"}', encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    build: ./api\n", encoding="utf-8")
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  api:\n    environment: !override\n      SCORING_URL: http://risk:8080\n    ports: !reset []\n", encoding="utf-8"
    )
    inv = inventory(tmp_path, Config())
    (api,) = find_services(inv, Config())
    book = build_address_book(inv.root, [api], inv.other_files)
    assert book.env_by_service[api.name] == {"SCORING_URL": "http://risk:8080"}
    assert book.env_sources[(api.name, "SCORING_URL")] == "compose.override.yaml"
    assert [d for d in book.diagnostics if d.file == "compose.override.yaml"] == []


# ---------------------------------------------------------------- laziness
_PROBE = """
import json, sys
from pathlib import Path
from extractor.config import Config
from extractor.scan import scan
from extractor.frontends import treesitter
root = Path(sys.argv[1])
result = scan(root, config=Config())
print(json.dumps({"parsers": [list(p) for p in treesitter.parsers_created()], "facts": len(result.facts)}))
"""


def _probe(root: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(root)], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout)


def test_go_and_python_scans_create_no_javascript_parser(tmp_path):
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc main() { http.Get("http://x") }\n', encoding="utf-8")
    (tmp_path / "app.py").write_text("import requests\nrequests.get('http://risk/x', timeout=1)\n", encoding="utf-8")
    assert _probe(tmp_path)["parsers"] == [["tree_sitter_go", "language"], ["tree_sitter_python", "language"]]


def test_javascript_parsers_are_created_per_grammar_when_needed(tmp_path):
    (tmp_path / "a.js").write_text('fetch("http://x");\n', encoding="utf-8")
    (tmp_path / "b.js").write_text("const nothing = 1;\n", encoding="utf-8")  # fails the prefilter: not parsed
    got = _probe(tmp_path)
    assert got == {"parsers": [["tree_sitter_javascript", "language"]], "facts": 1}  # the call (Node's fetch: 300 s by default, no missing_timeout)
    (tmp_path / "c.ts").write_text('fetch("http://y");\n', encoding="utf-8")
    assert _probe(tmp_path)["parsers"] == [["tree_sitter_javascript", "language"], ["tree_sitter_typescript", "language_typescript"]]


def test_the_engine_id_flow_serves_go_too(tmp_path):
    """The id flow lives in the engine: a Go id rule (written here) gets variables, retry scopes and labels."""
    rules = tmp_path / "rules" / "go" / "ids"
    rules.mkdir(parents=True)
    (rules / "uuid.yaml").write_text(
        textwrap.dedent("""\
        id: go.ids.uuid
        title: uuid ids in Go
        language: go
        kind: id_generation
        metadata: {status: preview, since: 0.3.0, confidence: high}
        docs: {what: x, limitations: y}
        treesitter:
          calls:
            - names: [github.com/google/uuid.NewString]
              fields: {generator: uuid.NewString}
        """),
        encoding="utf-8",
    )
    from extractor.catalog import load_catalog as load

    catalog = load([REPO / "rules", tmp_path / "rules"])
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.go").write_text(
        textwrap.dedent("""\
        package main

        import (
            "context"
            "github.com/google/uuid"
            "google.golang.org/grpc"
            pb "example.com/risk/pb"
        )

        func send(ctx context.Context) {
            key := uuid.NewString()
            conn, _ := grpc.NewClient("risk:50051")
            c := pb.NewRiskClient(conn)
            c.Score(ctx, &pb.ScoreRequest{TransactionId: key})
        }
        """),
        encoding="utf-8",
    )
    facts = [f for f in scan(src, catalog=catalog, config=Config(), rule_ids=["go.ids.uuid", "go.grpc.client"]).facts if f.kind == "id_generation"]
    assert [(f.fields["generator"], f.fields["variable"], f.fields["inside_retry"]) for f in facts] == [("uuid.NewString", "key", False)]
    assert [flow["as"] for flow in facts[0].fields["flows_to"]] == ["field:TransactionId"]
