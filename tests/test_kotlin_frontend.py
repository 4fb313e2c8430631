"""The Kotlin adapter of the tree-sitter engine (and the engine's generic syntax defaults it is
built on): evaluation, names and imports, trailing lambdas and implicit receivers, class fields,
rules shared with Java through ``languages:``, Gradle Kotlin DSL manifests, laziness.

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and the guarantees other languages' scans rely on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from extractor.catalog import RuleError, load_catalog, load_rule
from extractor.config import Config
from extractor.discover import find_services, inventory
from extractor.frontends import frontend_for, language_of
from extractor.frontends.testing import ClassValue, FunctionValue, Instance, Probe, select_rules
from extractor.frontends.treesitter.kotlin_package import module_path
from extractor.scan import scan
from extractor.values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, strip

from .conftest import REPO

RULES = ("kotlin.http.ktor-client", "kotlin.endpoints.ktor", "java.http.okhttp", "java.ids.generators")


def analyzer(source: str, rule_ids: tuple[str, ...] = RULES, path: str = "x/Svc.kt") -> Probe:
    rules = select_rules("kotlin", rule_ids, uses=False)  # platform rules load whichever rules run
    return Probe("kotlin", source, path, rules, "com.acme")


def top(an: Probe, name: str):
    return an.value(name)


def facts(source: str, rule_ids: tuple[str, ...] = RULES) -> list:
    return analyzer(source, rule_ids).facts()


# ---------------------------------------------------------------- literals and constants
def test_literals_templates_and_operators():
    an = analyzer(
        '''
        package com.acme
        const val A = 1_500L
        const val H = 0x10
        const val B = 0b101
        const val F = 2.5f
        const val T = true
        val N = null
        const val DIV = -7 / 2
        val S = "a\\tb\\u0041\\$x"
        val HOST = "risk"
        val URL = "http://$HOST:8080/v1/${A * 2}"
        val RAW = """raw $HOST"""
        val E = System.getenv("RISK_URL") ?: "http://risk:8080"
        val P = (A + 500) * 2
        val C = 'c'
        '''
    )
    assert strip(top(an, "A")) == Const(1500)
    assert strip(top(an, "H")) == Const(16) and strip(top(an, "B")) == Const(5)
    assert strip(top(an, "F")) == Const(2.5)
    assert strip(top(an, "T")) == Const(True) and strip(top(an, "N")) == Const(None)
    assert strip(top(an, "DIV")) == Const(-3)  # integer division truncates
    assert strip(top(an, "S")) == Const("a\tbA$x")
    assert strip(top(an, "URL")) == Const("http://risk:8080/v1/3000")
    assert strip(top(an, "RAW")) == Const("raw risk")
    assert strip(top(an, "E")) == Env("RISK_URL", Const("http://risk:8080"))
    assert strip(top(an, "P")) == Const(4000)
    assert strip(top(an, "C")) == Const("c")
    assert isinstance(top(an, "URL"), Named)


def test_a_template_of_an_unknown_name_stays_a_concatenation():
    an = analyzer('fun f(id: String) { val url = "http://risk/v1/$id" }\n')
    fn = an.functions()[0]
    v = strip(an.value("url", an.locals_of(fn)))
    assert isinstance(v, Concat) and v.parts[0] == Const("http://risk/v1/")


# ---------------------------------------------------------------- names
def test_imports_aliases_on_demand_and_defaults():
    an = analyzer(
        """
        package com.acme
        import okhttp3.OkHttpClient as Http
        import io.ktor.client.*
        import java.util.UUID
        val a = Http.Builder()
        val b = HttpClient()
        val c = UUID.randomUUID()
        val d = System.getenv("X")
        val e = java.time.Duration.ofSeconds(2)
        val f = Settings.RISK_URL
        val g = System.getenv().getOrDefault("Y", "d")
        """
    )
    assert isinstance(top(an, "a"), Obj) and top(an, "a").type == "okhttp3.OkHttpClient.Builder"
    assert isinstance(top(an, "b"), Obj) and top(an, "b").type == "io.ktor.client.HttpClient"
    assert strip(top(an, "d")) == Env("X")
    assert strip(top(an, "e")) == Call("java.time.Duration.ofSeconds", (Const(2),))
    assert strip(top(an, "f")) == Ref("com.acme.Settings.RISK_URL")  # another file of the package: at link time
    assert strip(top(an, "g")) == Env("Y", Const("d"))  # the whole environment's getOrDefault (java.platform.jdk's env:)


def test_an_explicit_import_wins_and_a_same_file_class_stays_local():
    an = analyzer(
        """
        package com.acme
        import io.ktor.client.*
        class HttpClient { fun get(u: String) = u }
        val mine = HttpClient()
        """
    )
    assert isinstance(top(an, "mine"), Instance)  # on-demand imports do not shadow the package's own class
    an = analyzer("import io.ktor.client.HttpClient\nval theirs = HttpClient()\n")
    assert isinstance(top(an, "theirs"), Obj)


def test_duration_extensions_resolve_by_import():
    an = analyzer(
        """
        import kotlin.time.Duration.Companion.seconds
        import kotlin.time.Duration.Companion.milliseconds as ms
        val a = 2.seconds
        val b = 3.minutes
        val c = 250.ms
        """
    )
    assert strip(top(an, "a")) == Call("kotlin.time.Duration.Companion.seconds", (Const(2),))
    assert isinstance(top(an, "b"), Dynamic)  # minutes is not imported: neither a call nor a guessed duration
    assert strip(top(an, "c")) == Call("kotlin.time.Duration.Companion.milliseconds", (Const(250),))  # by the import, not the spelling


# ---------------------------------------------------------------- calls, lambdas, classes
def test_trailing_lambdas_named_arguments_and_configuration_blocks():
    an = analyzer(
        """
        import io.ktor.client.HttpClient
        val c = HttpClient(CIO, true) {
            install(HttpTimeout) { requestTimeoutMillis = 2000 }
            defaultRequest { url("http://risk/") }
            expectSuccess = true
        }
        fun f() = g(1, name = "x") { }
        """
    )
    call = next(n for n in an.root.children if n.type == "property_declaration").named_children[-1]
    site = an.site(call, an.module_scope)
    assert [an.text(a) for a in site.args[:2]] == ["CIO", "true"] and site.args[-1].type == "lambda_literal"
    assert site.kwargs["{}"].id == site.args[-1].id
    block = an.evaluate(site.args[-1], an.module_scope)
    assert isinstance(block, Map)
    assert block.get("install(HttpTimeout)") == Map(((Const("requestTimeoutMillis"), Const(2000)),))
    assert block.get("defaultRequest") == Map(((Const("url"), Const("http://risk/")),))
    assert block.get("expectSuccess") == Const(True)
    assert top(an, "c").capture("request_timeout") == Const(2000)
    fn = an.functions()[0]
    inner = an.function_body(fn.node)
    gsite = an.site(inner, an.module_scope)
    assert [an.text(a) for a in gsite.args[:1]] == ["1"] and an.text(gsite.kwargs["name"]) == '"x"'


def test_the_object_a_lambda_receives_is_its_implicit_receiver():
    got = facts(
        """
        import io.ktor.server.routing.*
        fun Application.module() {
            routing {
                route("/v1") {
                    get("x") { }
                    it.post("y") { }
                }
            }
            get("/not-a-route") { }
        }
        """
    )
    assert sorted((f.fields["method"].value, f.fields["path"].value) for f in got if f.kind == "endpoint") == [("GET", "/v1/x"), ("POST", "/v1/y")]


def test_class_fields_constructor_vals_lazy_and_init_assignments():
    an = analyzer(
        """
        import okhttp3.OkHttpClient
        import io.ktor.client.HttpClient
        class Svc(private val injected: OkHttpClient, plain: OkHttpClient) {
            private val fromParam = plain
            private val lazyOne by lazy { HttpClient() }
            private val late: OkHttpClient
            companion object { const val TIMEOUT = 250 }
            init { late = OkHttpClient() }
            fun m() = TIMEOUT
        }
        val t = Svc.TIMEOUT
        """
    )
    cls = an.cls("Svc")
    inst = an.instance(cls)
    assert isinstance(an.member(inst, "injected"), Obj)
    assert isinstance(an.member(inst, "fromParam"), Obj)
    assert an.member(inst, "lazyOne").type == "io.ktor.client.HttpClient"
    assert an.member(inst, "late").type == "okhttp3.OkHttpClient"
    assert strip(top(an, "t")) == Const(250)
    assert isinstance(an.value("m", cls.scope), FunctionValue)
    assert isinstance(top(an, "Svc"), ClassValue)


def test_repeat_and_ranges_are_counting_loops():
    an = analyzer(
        """
        fun f() {
            repeat(3) { attempt -> println(attempt) }
            for (i in 1..4) { }
            for (i in 0 until 5) { }
            for (i in 5 downTo 1) { }
            for (x in items) { }
        }
        """
    )
    fn = an.functions()[0]
    scope = an.function_scope(fn)
    body = an.function_body(fn.node)
    stmts = an.named(body)
    lam = stmts[0].named_children[-1].named_children[0]
    assert an.loop_kind(lam) == "for" and an.loop_count(lam, fn.scope) == Const(3)
    assert [an.loop_kind(s) for s in stmts[1:]] == ["for", "for", "for", "for_each"]
    assert [an.loop_count(s, scope) for s in stmts[1:4]] == [Const(4), Const(5), Const(5)]


# ---------------------------------------------------------------- shared rules, files, services
def test_rules_shared_with_java_apply_to_kotlin_files():
    catalog = load_catalog()
    shared = {r.id for r in catalog.applying_to("kotlin") if r.language == "java"}
    assert {"java.http.okhttp", "java.grpc.client", "java.ids.generators", "java.endpoints.spring", "java.retry.resilience4j"} <= shared
    assert "kotlin" in catalog.languages()
    assert all(r.languages == ("java", "kotlin") for r in catalog.rules if r.id in shared)
    assert not catalog.get("java.retry.loops").applies_to("kotlin")  # Kotlin has its own loops rule (kotlin.retry.loops)


def test_a_languages_list_must_start_with_the_rule_language(tmp_path):
    rules = tmp_path / "rules"
    path = rules / "java" / "http" / "x.yaml"
    path.parent.mkdir(parents=True)
    text = (REPO / "rules/java/http/okhttp.yaml").read_text("utf-8").replace("id: java.http.okhttp", "id: java.http.x")
    path.write_text(text.replace("languages: [java, kotlin]", "languages: [kotlin, java]"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"x.yaml:4: languages must start"):
        load_rule(path, rules)
    path.write_text(text.replace("languages: [java, kotlin]", "languages: [java, elixir]"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"x.yaml:4: languages"):
        load_rule(path, rules)


def test_files_module_names_and_comments(tmp_path):
    assert language_of("src/App.kt") == "kotlin" and language_of("tools/gen.kts") == "kotlin"
    src = tmp_path / "src" / "main" / "kotlin"
    src.mkdir(parents=True)
    (src / "App.kt").write_text("/* header */\npackage com.acme.loyalty\n\nfun main() {}\n", encoding="utf-8")
    (src / "Loose.kt").write_text("fun x() {}\n", encoding="utf-8")
    assert module_path(tmp_path, "src/main/kotlin/App.kt") == "com.acme.loyalty"
    assert module_path(tmp_path, "src/main/kotlin/Loose.kt") == "src.main.kotlin"
    got = frontend_for("kotlin").comments(b"val x = 1 // expect: a\n/* ok: b */\nval y = 2\n")
    assert [(c.line, c.text, c.own_line) for c in got] == [(1, "expect: a", False), (2, "ok: b", True)]


def test_gradle_kotlin_dsl_manifests_make_services(tmp_path):
    (tmp_path / "settings.gradle.kts").write_text('rootProject.name = "shop"\ninclude("loyalty", "billing")\n', encoding="utf-8")
    (tmp_path / "build.gradle.kts").write_text('plugins { kotlin("jvm") }\n', encoding="utf-8")
    for svc in ("loyalty", "billing"):
        (tmp_path / svc / "src").mkdir(parents=True)
        (tmp_path / svc / "build.gradle.kts").write_text('dependencies { implementation("io.ktor:ktor-client-cio:2.3.0") }\n', encoding="utf-8")
        (tmp_path / svc / "src" / "App.kt").write_text("fun main() {}\n", encoding="utf-8")
    (tmp_path / "single").mkdir()
    (tmp_path / "single" / "settings.gradle.kts").write_text('rootProject.name = "points-service"\n', encoding="utf-8")
    (tmp_path / "single" / "Main.kt").write_text("fun main() {}\n", encoding="utf-8")
    inv = inventory(tmp_path, Config())
    assert "loyalty/build.gradle.kts" in inv.other_files and "loyalty/build.gradle.kts" not in inv.files  # build scripts are not service code
    services = {s.root: s for s in find_services(inv, Config())}
    assert sorted(services) == ["billing", "loyalty", "single"]  # the settings root including projects is an aggregator
    assert services["loyalty"].manifests == ("build.gradle.kts",) and services["loyalty"].languages == ("kotlin",)
    assert "points" in services["single"].aliases  # rootProject.name


def test_a_scan_finds_kotlin_facts_end_to_end(tmp_path):
    (tmp_path / "build.gradle.kts").write_text("plugins {}\n", encoding="utf-8")
    (tmp_path / "App.kt").write_text(
        "import okhttp3.OkHttpClient\nimport okhttp3.Request\n"
        'fun f() { OkHttpClient().newCall(Request.Builder().url("http://risk:8080/x").build()).execute() }\n',
        encoding="utf-8",
    )
    result = scan(tmp_path, catalog=load_catalog(), config=Config())
    got = [(f.rule, f.fields.get("url"), f.fields.get("timeout_ms")) for f in result.facts if f.kind == "http_call"]
    assert got == [("java.http.okhttp", "http://risk:8080/x", 10000)]


def _probe(root: Path, rule: str | None = None) -> dict:
    code = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from extractor.catalog import load_catalog
        from extractor.config import Config
        from extractor.scan import scan
        from extractor.frontends.treesitter import parsers_created
        scan(Path({str(root)!r}), catalog=load_catalog(), config=Config(), rule_ids={[rule] if rule else None!r})
        print(json.dumps({{"parsers": parsers_created(), "kotlin": "extractor.frontends.treesitter.kotlin" in sys.modules}}))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_scan_without_kotlin_files_imports_no_kotlin_adapter(tmp_path):
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc main() { http.Get("http://x") }\n', encoding="utf-8")
    got = _probe(tmp_path)
    assert got["kotlin"] is False and ["tree_sitter_kotlin", "language"] not in got["parsers"]
    (tmp_path / "App.kt").write_text("import io.ktor.client.HttpClient\nfun f() = HttpClient()\n", encoding="utf-8")
    assert _probe(tmp_path, "python.http.requests")["parsers"] == []
    assert ["tree_sitter_kotlin", "language"] in _probe(tmp_path)["parsers"]


def test_unknowns_stay_unknown():
    an = analyzer("fun f(x: Int) = x\nval a = f(2)\nval b = unknownCall()\nval c = obj.field\n")
    assert strip(top(an, "a")) == Const(2)  # a same-file function evaluated with its argument
    assert isinstance(top(an, "b"), Dynamic) and isinstance(top(an, "c"), Dynamic)


def test_constants_of_other_files_of_the_package_resolve_at_link_time(tmp_path):
    (tmp_path / "build.gradle.kts").write_text("plugins {}\n", encoding="utf-8")
    (tmp_path / "Config.kt").write_text(
        'package com.acme.points\n\nobject Config {\n    const val RISK_URL = "http://risk:8080/v1"\n    const val TIMEOUT_S = 3L\n}\n\nconst val LEDGER_URL = "http://ledger:8080"\n',
        encoding="utf-8",
    )
    (tmp_path / "Client.kt").write_text(
        "package com.acme.points\n\nimport okhttp3.OkHttpClient\nimport okhttp3.Request\nimport java.util.concurrent.TimeUnit\n\n"
        "class Client {\n"
        "    private val http = OkHttpClient.Builder().callTimeout(Config.TIMEOUT_S, TimeUnit.SECONDS).build()\n"
        '    fun a() = http.newCall(Request.Builder().url(Config.RISK_URL + "/score").build()).execute()\n'
        '    fun b() = http.newCall(Request.Builder().url("$LEDGER_URL/entries").build()).execute()\n'
        "}\n",
        encoding="utf-8",
    )
    result = scan(tmp_path, catalog=load_catalog(), config=Config())
    got = sorted((f.fields.get("url"), f.fields.get("timeout_ms"), f.fields.get("timeout_source")) for f in result.facts if f.kind == "http_call")
    assert got == [("http://ledger:8080/entries", 3000, "constant"), ("http://risk:8080/v1/score", 3000, "constant")]


def test_map_and_list_builders_by_resolved_name():
    an = analyzer('val m = mapOf("Idempotency-Key" to "k", "n" to 2)\nval l = listOf(1, 2)\nfun mapOf(x: Int) = x\n')
    assert strip(top(an, "l")) == Seq((Const(1), Const(2)))
    assert strip(top(an, "m")) == Seq((Const("Idempotency-Key"), Const("k")))  # a same-file mapOf(x) = x shadows the library's: its first argument, the pair
    an = analyzer('val m = mapOf("Idempotency-Key" to "k", "n" to 2)\n')
    assert strip(top(an, "m")) == Map(((Const("Idempotency-Key"), Const("k")), (Const("n"), Const(2))))
