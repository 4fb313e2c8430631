"""The Go adapter of the tree-sitter engine: evaluation, imports, bindings, comments, laziness.

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and the guarantees a Python-only scan relies on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from extractor import durations
from extractor.catalog import RuleError, load_catalog
from extractor.config import Config
from extractor.frontends import frontend_for
from extractor.frontends.testing import Instance, Probe, select_rules
from extractor.frontends.treesitter.go import normalise_import, package_names, words_of
from extractor.scan import scan
from extractor.values import Call, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, strip

from .conftest import REPO
from .rulefiles import write_rule


def analyzer(source: str, rule_ids: tuple[str, ...] = ()) -> Probe:
    return Probe("go", source, "x.go", select_rules("go", rule_ids))  # platform rules load whichever rules run


def value(an: Probe, name: str):
    return an.value(name)


def returned(an: Probe, function: str):
    return an.returned(function)  # asserts it is a function


# ---------------------------------------------------------------- durations and constants
def test_durations_are_nanoseconds_and_constants_are_named():
    an = analyzer(
        """
        package x
        import "time"
        const Timeout = 5 * time.Second
        const (
            Short = 200 * time.Millisecond
            Hex = 0x10
            Big = 1_000
            Octal = 0755
            Half = time.Second / 2
        )
        var d = time.Duration(3) * time.Minute
        var f = 1.5e3
        """
    )
    assert value(an, "Timeout") == Named("Timeout", Const(5_000_000_000))
    assert strip(value(an, "Short")) == Const(200_000_000)
    assert strip(value(an, "Hex")) == Const(16)
    assert strip(value(an, "Big")) == Const(1000)
    assert strip(value(an, "Octal")) == Const(0o755)
    assert strip(value(an, "Half")) == Const(500_000_000)
    assert strip(value(an, "d")) == Const(180_000_000_000)
    assert strip(value(an, "f")) == Const(1500.0)


def test_iota_groups_and_strings():
    an = analyzer(
        """
        package x
        const (
            A = iota
            B
            C
        )
        const raw = `http://risk:8080/x`
        const esc = "a\\tb"
        const joined = "http://" + "risk" + ":8080"
        """
    )
    assert [strip(value(an, n)) for n in "ABC"] == [Const(0), Const(1), Const(2)]
    assert strip(value(an, "raw")) == Const("http://risk:8080/x")
    assert strip(value(an, "esc")) == Const("a\tb")
    assert strip(value(an, "joined")) == Const("http://risk:8080")


def test_duration_spec_units_functions_zero_and_min():
    spec = {"unit": "ns", "default": "none", "zero": "none", "functions": {"time.Now().Add": "ns", "java.time.Duration.ofSeconds": "s"}}
    assert durations.interpret(Const(5_000_000_000), spec).ms == 5000
    assert durations.interpret(Const(250), {"unit": "us"}).ms == 0.25
    assert durations.interpret(Const(0), spec).source == "none"
    assert durations.interpret(Call("time.Now().Add", (Const(2_000_000_000),)), spec).ms == 2000
    assert durations.interpret(Call("java.time.Duration.ofSeconds", (Const(3),)), spec).ms == 3000
    both = Call(durations.MIN_CALL, (), (("client", Const(5_000_000_000)), ("context", Const(200_000_000))))
    t = durations.interpret(both, spec)
    assert (t.ms, t.source_of, t.fields()["timeout_from"]) == (200, "context", "context")
    unknown = Call(durations.MIN_CALL, (), (("client", Dynamic("c")), ("context", Const(None))))
    assert durations.interpret(unknown, spec).source == "dynamic"
    nothing = Call(durations.MIN_CALL, (), (("client", Const(0)),))
    assert durations.interpret(nothing, spec).source == "none"


# ---------------------------------------------------------------- imports
def test_imports_with_aliases_versions_and_package_names():
    an = analyzer(
        """
        package x
        import (
            h "net/http"
            "github.com/go-chi/chi/v5"
            yaml "gopkg.in/yaml.v3"
            "github.com/grpc-ecosystem/go-grpc-middleware"
            _ "embed"
            . "fmt"
        )
        var get = h.Get
        var router = chi.NewRouter
        """
    )
    assert value(an, "get") == Ref("net/http.Get")
    assert value(an, "router") == Ref("github.com/go-chi/chi.NewRouter")
    assert value(an, "yaml") == Ref("gopkg.in/yaml")
    assert value(an, "grpc_middleware") == Ref("github.com/grpc-ecosystem/go-grpc-middleware")
    assert an.imports["h"] == "net/http"
    assert normalise_import("github.com/labstack/echo/v4") == "github.com/labstack/echo"
    assert "chi" in package_names("github.com/go-chi/chi")
    assert words_of("google.golang.org/grpc.ClientConn.Invoke") == {"google.golang.org/grpc"}
    assert words_of("net/http.Get") == {"net/http"}
    assert words_of("*.New*Client") == set()


# ---------------------------------------------------------------- bindings
def test_multi_assign_binds_the_first_value():
    an = analyzer(
        """
        package x
        import "google.golang.org/grpc"
        func dial() any {
            conn, err := grpc.Dial("risk:50051")
            _ = err
            return conn
        }
        func pair() any {
            a, b := "x", 2
            _ = a
            return b
        }
        func second() any {
            conn, err := grpc.Dial("risk:50051")
            _ = conn
            return err
        }
        """,
        ("go.grpc.client",),
    )
    conn = returned(an, "dial")
    assert isinstance(conn, Obj) and conn.type == "google.golang.org/grpc.ClientConn"
    assert conn.capture("target") == Const("risk:50051")
    assert strip(returned(an, "pair")) == Const(2)
    assert isinstance(returned(an, "second"), Dynamic)


def test_composite_literals_declared_types_and_parameters():
    an = analyzer(
        """
        package x
        import ("net/http"; "time")
        var c = &http.Client{Timeout: 2 * time.Second}
        var zero http.Client
        var opts = struct{ Timeout int }{Timeout: 5}
        func param(cl *http.Client) any { return cl }
        """,
        ("go.http.net-http",),
    )
    client = value(an, "c")
    assert isinstance(client, Obj) and client.capture("timeout") == Const(2_000_000_000)
    assert value(an, "zero") == Obj("net/http.Client", (), "Client", "")
    assert isinstance(value(an, "opts"), (Named, Map, Dynamic))
    p = returned(an, "param")
    assert isinstance(p, Obj) and p.capture("timeout") == Dynamic("cl")


def test_env_reads_the_default_idiom_and_helpers():
    an = analyzer(
        """
        package x
        import "os"
        func getenv(key, def string) string {
            if v := os.Getenv(key); v != "" {
                return v
            }
            return def
        }
        var risk = getenv("RISK_URL", "http://risk:8080")
        func idiom() string {
            addr := os.Getenv("ORDERS_ADDR")
            if addr == "" {
                addr = "orders:50051"
            }
            return addr
        }
        func lookup() string {
            v, _ := os.LookupEnv("LEDGER")
            return v
        }
        """
    )
    assert strip(value(an, "risk")) == Env("RISK_URL", Const("http://risk:8080"))
    assert strip(returned(an, "idiom")) == Env("ORDERS_ADDR", Const("orders:50051"))
    assert strip(returned(an, "lookup")) == Env("LEDGER")


def test_struct_fields_of_same_file_types():
    an = analyzer(
        """
        package x
        import ("net/http"; "time")
        type S struct {
            client *http.Client
            other  *http.Client
            base   string
        }
        func New() *S {
            s := &S{base: "http://risk:8080"}
            s.client = &http.Client{Timeout: time.Second}
            return s
        }
        """,
        ("go.http.net-http",),
    )
    inst = returned(an, "New")
    assert isinstance(inst, Instance) and inst.cls.name == "S"
    client = an.member(inst, "client")
    assert isinstance(client, Obj) and client.capture("timeout") == Const(1_000_000_000)
    other = an.member(inst, "other")
    assert isinstance(other, Obj) and isinstance(other.capture("timeout"), Dynamic)  # declared type only: built elsewhere
    assert strip(an.member(inst, "base")) == Const("http://risk:8080")


def test_untracked_literals_are_maps_and_sequences():
    an = analyzer(
        """
        package x
        var m = map[string]int{"a": 1}
        var s = []string{"GET", "POST"}
        var first = s[0]
        var a = m["a"]
        """
    )
    assert strip(value(an, "s")) == Seq((Const("GET"), Const("POST")))
    assert strip(value(an, "first")) == Const("GET")
    assert strip(value(an, "a")) == Const(1)


# ---------------------------------------------------------------- comments and facts
def test_comments_for_the_fixture_harness():
    fe = frontend_for("go")
    source = b"package x\n// alone\nfunc f() {\n\tg() // trailing\n\t/* block\n\t   comment */\n}\n"
    got = [(c.line, c.text, c.own_line) for c in fe.comments(source)]
    assert got == [(2, "alone", True), (4, "trailing", False), (5, "block comment", True)]


def test_positions_are_one_based_and_count_characters(tmp_path):
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc f() {\n\tx := "é"; http.Get("http://a/" + x)\n}\n', encoding="utf-8")
    facts = scan(tmp_path, config=Config(), rule_ids=["go.http.net-http"]).facts
    assert [(f.line, f.col) for f in facts if f.rule == "go.http.net-http"] == [(4, 12)]


def test_syntax_errors_are_a_warning_and_the_rest_is_analysed(tmp_path):
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc f() {\n\thttp.Get("http://a/x")\n}\nfunc broken( {\n', encoding="utf-8")
    result = scan(tmp_path, config=Config(), rule_ids=["go.http.net-http"])
    assert any(f.rule == "go.http.net-http" for f in result.facts)
    assert any(d.kind == "syntax_error" and d.severity == "warning" for d in result.diagnostics)


# ---------------------------------------------------------------- rules: schema, queries
def _rule(tmp_path: Path, rel: str, body: str) -> None:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")


def test_a_bad_treesitter_block_is_an_error_with_file_and_line(tmp_path):
    _rule(
        tmp_path,
        "go/http/bad.yaml",
        """\
        id: go.http.bad
        title: a bad rule
        language: go
        kind: http_call
        metadata: {status: preview, since: 0.2.0, confidence: high}
        docs: {what: x, limitations: y}
        treesitter:
          calls:
            - names: [net/http.Get]
              fields: {timeout: {field: Timeout, unit: hours}}
        """,
    )
    with pytest.raises(RuleError, match=r"go/http/bad.yaml:10:"):
        load_catalog([tmp_path])


def test_an_env_reader_keyword_is_rejected_for_go(tmp_path):
    # Go calls have no keyword arguments: an env: entry's keyword names cannot apply
    body = """\
    treesitter:
      env:
        example.com/cfg.Get: {arg: 0, default: 1, default_keyword: fallback}
    """
    write_rule(tmp_path, "go.platform.env", "platform", body)
    with pytest.raises(
        RuleError, match=r"go/platform/env.yaml:9: treesitter/env/example.com/cfg.Get/default_keyword: 'default_keyword' is not supported for go"
    ):
        load_catalog([tmp_path])


def test_raw_queries_inline_and_from_an_scm_file(tmp_path):
    header = textwrap.dedent("""\
        title: a query rule
        language: go
        kind: endpoint
        library: custom
        metadata: {status: preview, since: 0.2.0, confidence: low}
        docs: {what: x, limitations: y}
        prefilter: [Route]
        """)
    _rule(
        tmp_path / "rules",
        "go/endpoints/inline.yaml",
        "id: go.endpoints.inline\n"
        + header
        + textwrap.dedent("""\
        treesitter:
          queries:
            - query: '(call_expression function: (identifier) @name (#eq? @name "Route") arguments: (argument_list . (interpreted_string_literal) @path)) @fact'
              fields: {method: GET, path: {capture: path}}
        """),
    )
    _rule(
        tmp_path / "rules",
        "go/endpoints/file.yaml",
        "id: go.endpoints.file\n" + header + "treesitter:\n  queries:\n    - fields: {handler: {capture: p, text: true}}\n",
    )
    (tmp_path / "rules/go/endpoints/file.scm").write_text(
        '(call_expression function: (identifier) @f (#eq? @f "Route") arguments: (argument_list . (_) @p)) @fact\n', encoding="utf-8"
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src/main.go").write_text('package main\nfunc main() {\n\tRoute("/x", nil)\n}\n', encoding="utf-8")
    facts = scan(tmp_path / "src", catalog=load_catalog([tmp_path / "rules"]), config=Config()).facts
    got = sorted((f.rule, f.line, f.fields.get("path"), f.fields.get("method"), f.fields.get("handler")) for f in facts)
    assert got == [("go.endpoints.file", 3, None, "ANY", '"/x"'), ("go.endpoints.inline", 3, "/x", "GET", None)]


# ---------------------------------------------------------------- laziness
_PROBE = """
import json, sys
from pathlib import Path
from extractor.catalog import load_catalog
from extractor.config import Config
from extractor.scan import scan
from extractor.frontends import treesitter
root, ids = Path(sys.argv[1]), sys.argv[2:]
result = scan(root, config=Config(), rule_ids=ids or None)
grammars = sorted(m for m in sys.modules if m.startswith("tree_sitter_") and "." not in m)  # the grammar packages imported
print(json.dumps({"parsers": [list(p) for p in treesitter.parsers_created()], "grammars": grammars, "facts": len(result.facts)}))
"""


def _probe(root: Path, *rule_ids: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(root), *rule_ids], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout)


def test_a_python_only_scan_creates_only_the_python_parser(tmp_path):
    (tmp_path / "app.py").write_text("import requests\nrequests.get('http://risk/x', timeout=1)\n", encoding="utf-8")
    got = _probe(tmp_path)
    assert got == {"parsers": [["tree_sitter_python", "language"]], "grammars": ["tree_sitter_python"], "facts": 1}


def test_go_files_are_not_parsed_without_go_rules(tmp_path):
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc main() { http.Get("http://x") }\n', encoding="utf-8")
    (tmp_path / "app.py").write_text("import requests\nrequests.get('http://risk/x', timeout=1)\n", encoding="utf-8")
    assert _probe(tmp_path, "python.http.requests")["parsers"] == [["tree_sitter_python", "language"]]
    assert _probe(tmp_path)["parsers"] == [["tree_sitter_go", "language"], ["tree_sitter_python", "language"]]


def test_package_paths_come_from_go_mod(tmp_path):
    from extractor.frontends.treesitter.go import package_path

    (tmp_path / "svc" / "internal" / "x").mkdir(parents=True)
    (tmp_path / "svc" / "go.mod").write_text("module github.com/acme/svc\n\ngo 1.22\n", encoding="utf-8")
    assert package_path(tmp_path, "svc/main.go") == "github.com/acme/svc"
    assert package_path(tmp_path, "svc/internal/x/a.go") == "github.com/acme/svc/internal/x"
    assert package_path(tmp_path, "tools/gen.go") == "tools"
    assert package_path(tmp_path, "main.go") == "main"


def test_a_go_mod_written_between_two_scans_of_one_process_is_read_by_the_second(tmp_path):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "main.go").write_text('package main\nimport "net/http"\nfunc f() { http.Get("http://risk/x") }\n', encoding="utf-8")
    scan(tmp_path, config=Config(), rule_ids=["go.http.net-http"])
    assert frontend_for("go").module_name(tmp_path, "svc/main.go") == "svc"
    (tmp_path / "svc" / "go.mod").write_text("module github.com/acme/svc\n", encoding="utf-8")
    scan(tmp_path, config=Config(), rule_ids=["go.http.net-http"])
    assert frontend_for("go").module_name(tmp_path, "svc/main.go") == "github.com/acme/svc"


def test_objects_and_constants_of_other_files_of_the_package(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/app\n", encoding="utf-8")
    (tmp_path / "server.go").write_text(
        'package main\nimport ("net/http"; "time")\ntype S struct{ c *http.Client }\nfunc New() *S { return &S{c: &http.Client{Timeout: timeout}} }\n',
        encoding="utf-8",
    )
    (tmp_path / "consts.go").write_text('package main\nimport "time"\nconst timeout = 3 * time.Second\nconst base = "http://risk:8080"\n', encoding="utf-8")
    (tmp_path / "use.go").write_text('package main\nfunc (s *S) call() { s.c.Get(base + "/x") }\n', encoding="utf-8")
    facts = [f for f in scan(tmp_path, config=Config(), rule_ids=["go.http.net-http"]).facts if f.rule == "go.http.net-http"]
    assert [(f.file, f.fields["url"], f.fields["timeout_ms"], f.fields["timeout_constant"]) for f in facts] == [
        ("use.go", "http://risk:8080/x", 3000, "timeout")
    ]
