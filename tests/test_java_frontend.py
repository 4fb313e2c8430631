"""The Java adapter of the tree-sitter engine: evaluation, names and imports, fields, configuration
references, comments, laziness, and the language-neutral service configuration (``svcconfig``).

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and the guarantees other languages' scans rely on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from extractor import durations
from extractor.config import Config
from extractor.environment import AddressBook, svcconfig
from extractor.frontends import frontend_for
from extractor.frontends.testing import ClassValue, FunctionValue, Instance, Probe, select_rules
from extractor.frontends.treesitter.java import java_string
from extractor.frontends.treesitter.java_package import module_path, words_of
from extractor.scan import scan
from extractor.values import Call, Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, strip

from .conftest import REPO

SCHEMA_RULES = ("java.http.jdk", "java.http.okhttp", "java.grpc.client", "java.http.rest-template")


def analyzer(source: str, rule_ids: tuple[str, ...] = SCHEMA_RULES, path: str = "x/Svc.java") -> Probe:
    return Probe("java", source, path, select_rules("java", rule_ids))  # platform rules load whichever rules run


def static(an: Probe, cls: str, name: str):
    return an.static(cls, name)


def member(an: Probe, cls: str, name: str):
    return an.member(an.instance(cls), name)


def facts(source: str, rule_ids: tuple[str, ...] = SCHEMA_RULES) -> list:
    return analyzer(source, rule_ids).facts()


# ---------------------------------------------------------------- literals and constants
def test_literals_and_static_final_constants_are_named():
    an = analyzer(
        """
        class Svc {
            static final int A = 1_500;
            static final long B = 0x10L;
            static final int C = 0755;
            static final int D = 0b101;
            static final double E = 1.5e3;
            static final float F = 2.5f;
            static final String S = "a\\tb\\u0041" + 'c';
            static final String URL = "http://risk:8080" + "/v1";
            static final int DIV = 7 / 2;
            static final int NEG = -7 / 2;
            static final int PRODUCT = A * 2;
            static final String BLOCK = \"\"\"
                hello
                  world
                \"\"\";
            private static final boolean FLAG = !false;
        }
        """
    )
    assert static(an, "Svc", "A") == Named("A", Const(1500))
    assert strip(static(an, "Svc", "B")) == Const(16)
    assert strip(static(an, "Svc", "C")) == Const(0o755)
    assert strip(static(an, "Svc", "D")) == Const(5)
    assert strip(static(an, "Svc", "E")) == Const(1500.0)
    assert strip(static(an, "Svc", "F")) == Const(2.5)
    assert strip(static(an, "Svc", "S")) == Const("a\tbAc")
    assert strip(static(an, "Svc", "URL")) == Const("http://risk:8080/v1")
    assert strip(static(an, "Svc", "DIV")) == Const(3)
    assert strip(static(an, "Svc", "NEG")) == Const(-3)
    assert strip(static(an, "Svc", "PRODUCT")) == Const(3000)
    assert strip(static(an, "Svc", "BLOCK")) == Const("hello\n  world\n")
    assert strip(static(an, "Svc", "FLAG")) == Const(True)


def test_java_strings():
    assert java_string('"a\\"b"') == 'a"b'
    assert java_string("'\\n'") == "\n"
    assert java_string('"\\101"') == "A"


def test_durations_are_calls_the_timeout_functions_interpret():
    an = analyzer(
        """
        import java.time.Duration;
        import static java.time.Duration.ofMillis;
        class Svc {
            static final int MS = 250;
            static final Duration A = Duration.ofSeconds(2);
            static final Duration B = ofMillis(MS);
            static final Duration C = java.time.Duration.ofMinutes(1);
        }
        """
    )
    a = strip(static(an, "Svc", "A"))
    b = strip(static(an, "Svc", "B"))
    c = strip(static(an, "Svc", "C"))
    assert a == Call("java.time.Duration.ofSeconds", (Const(2),))
    assert isinstance(b, Call) and b.func == "java.time.Duration.ofMillis" and b.args == (Named("MS", Const(250)),)
    assert c == Call("java.time.Duration.ofMinutes", (Const(1),))
    spec = {"unit": "ms", "functions": {"java.time.Duration.ofSeconds": "s", "java.time.Duration.ofMillis": "ms", "java.time.Duration.ofMinutes": "m"}}
    assert durations.interpret(a, spec).ms == 2000
    t = durations.interpret(b, spec)
    assert (t.ms, t.source, t.constant) == (250, "constant", "MS")
    assert durations.interpret(c, spec).ms == 60_000
    assert durations.interpret(Const("PT0.5S"), spec).ms == 500  # a configured duration text


def test_time_unit_pairs_through_unit_arg():
    got = facts(
        """
        import java.util.concurrent.TimeUnit;
        import okhttp3.OkHttpClient;
        import okhttp3.Request;
        import static java.util.concurrent.TimeUnit.*;
        class Svc {
            void m() throws Exception {
                OkHttpClient c = new OkHttpClient.Builder().readTimeout(3, SECONDS).callTimeout(1500, TimeUnit.MILLISECONDS).build();
                c.newCall(new Request.Builder().url("http://x").build()).execute();
            }
        }
        """
    )
    (fact,) = [f for f in got if f.kind == "http_call"]
    timeout = fact.fields["timeout"]
    kinds = dict(timeout.kwargs)
    assert kinds["read"] == Call("java.util.concurrent.TimeUnit.SECONDS", (Const(3),))
    assert kinds["call"] == Call("java.util.concurrent.TimeUnit.MILLISECONDS", (Const(1500),))


# ---------------------------------------------------------------- names and imports
def test_imports_static_imports_on_demand_and_java_lang():
    an = analyzer(
        """
        package com.acme.checkout;
        import java.net.http.HttpClient;
        import okhttp3.*;
        import com.acme.unknown.*;
        import static java.util.concurrent.TimeUnit.SECONDS;
        import static java.util.concurrent.TimeUnit.*;
        class Svc {
            static final Object A = HttpClient.class;
            static final Object B = OkHttpClient.class;
            static final Object C = SECONDS;
            static final Object D = MILLISECONDS;
            static final Object E = System.getenv("X");
            static final Object F = Settings.RISK_URL;
            static final Object G = java.util.concurrent.TimeUnit.HOURS;
        }
        """
    )
    assert strip(static(an, "Svc", "A")) == Ref("java.net.http.HttpClient")
    assert strip(static(an, "Svc", "B")) == Ref("okhttp3.OkHttpClient")  # a name the rules know, through okhttp3.*
    assert strip(static(an, "Svc", "C")) == Ref("java.util.concurrent.TimeUnit.SECONDS")
    assert strip(static(an, "Svc", "D")) == Ref("java.util.concurrent.TimeUnit.MILLISECONDS")
    assert strip(static(an, "Svc", "E")) == Env("X")
    assert strip(static(an, "Svc", "F")) == Ref("com.acme.checkout.Settings.RISK_URL")  # another file of the package
    assert strip(static(an, "Svc", "G")) == Ref("java.util.concurrent.TimeUnit.HOURS")
    assert an.imports["HttpClient"] == "java.net.http.HttpClient"


def test_a_same_file_class_with_a_library_name_stays_local():
    got = facts(
        """
        import java.util.Map;
        class Svc {
            static class RestTemplate {
                String getForObject(String url, Class<?> t) { return url; }
            }
            void m(Map<String, String> m) {
                new RestTemplate().getForObject("http://risk/x", String.class);
                m.get("x");
            }
        }
        """
    )
    assert [f for f in got if f.kind == "http_call"] == []
    an = analyzer("class Svc { static class HttpClient {} static final Object X = new HttpClient(); }")
    assert isinstance(static(an, "Svc", "X"), (Instance, Named))


def test_imported_library_class_through_the_import():
    got = facts(
        """
        import org.springframework.web.client.RestTemplate;
        class Svc {
            void m() { new RestTemplate().getForObject("http://risk/x", String.class); }
        }
        """
    )
    assert [f.fields["method"] for f in got if f.kind == "http_call"] == [Const("GET")]


# ---------------------------------------------------------------- fields, parameters, locals
def test_fields_set_in_constructors_and_declared_types():
    an = analyzer(
        """
        import java.net.http.HttpClient;
        import java.time.Duration;
        class Svc {
            private final HttpClient client;
            private final HttpClient injected;
            private final String name = "risk";
            private HttpClient reassigned = HttpClient.newHttpClient();
            Svc(HttpClient injected, String name) {
                this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                this.injected = injected;
                reassigned = HttpClient.newBuilder().build();
            }
            void other(String name) { name = "x"; }
        }
        """
    )
    client = member(an, "Svc", "client")
    assert isinstance(client, Obj) and client.type == "java.net.http.HttpClient"
    assert client.capture("connect_timeout") == Call("java.time.Duration.ofSeconds", (Const(2),))
    injected = member(an, "Svc", "injected")
    assert isinstance(injected, Obj) and isinstance(injected.capture("connect_timeout"), Dynamic)  # built by the caller
    assert strip(member(an, "Svc", "name")) == Const("risk")  # the parameter assignment does not count
    assert isinstance(member(an, "Svc", "reassigned"), Obj)


def test_locals_var_typed_and_same_file_methods():
    an = analyzer(
        """
        class Svc {
            static String url() { return BASE + "/v1"; }
            static final String BASE = "http://risk:8080";
            static final String FULL = url();
            static final Object SELF = new Svc();
        }
        """
    )
    assert strip(static(an, "Svc", "FULL")) == Const("http://risk:8080/v1")
    assert isinstance(static(an, "Svc", "SELF"), (Instance, Named))
    assert isinstance(an.value("Svc"), ClassValue)


def test_env_reads_and_their_defaults():
    an = analyzer(
        """
        import java.util.Optional;
        import java.util.Objects;
        class Svc {
            static final String A = System.getenv("RISK_URL");
            static final String B = System.getProperty("risk.url", "http://risk:8080");
            static final String C = Optional.ofNullable(System.getenv("LEDGER_URL")).orElse("http://ledger");
            static final String D = System.getenv().getOrDefault("ORDERS_URL", "http://orders");
            static final String E = Objects.requireNonNullElse(System.getenv("X"), "d");
            static final int F = Integer.parseInt("42");
        }
        """
    )
    assert strip(static(an, "Svc", "A")) == Env("RISK_URL")
    assert strip(static(an, "Svc", "B")) == Env("risk.url", Const("http://risk:8080"))
    assert strip(static(an, "Svc", "C")) == Env("LEDGER_URL", Const("http://ledger"))
    assert strip(static(an, "Svc", "D")) == Env("ORDERS_URL", Const("http://orders"))
    assert strip(static(an, "Svc", "E")) == Env("X", Const("d"))
    assert strip(static(an, "Svc", "F")) == Const(42)


def test_spring_value_annotations_are_configuration_references():
    an = analyzer(
        """
        import org.springframework.beans.factory.annotation.Value;
        class Svc {
            @Value("${risk.url}") private String riskUrl;
            @Value("http://${risk.host:risk}:8080") private String composed;
            @Value("plain") private String plain;
        }
        """
    )
    ref = strip(member(an, "Svc", "riskUrl"))
    assert isinstance(ref, Call) and ref.func == svcconfig.CONFIG_CALL and ref.args == (Const("risk.url"),)
    composed = strip(member(an, "Svc", "composed"))
    assert isinstance(composed, Concat) and composed.parts[0] == Const("http://")
    assert strip(member(an, "Svc", "plain")) == Const("plain")


def test_annotations_are_decorator_sites_with_element_names():
    an = analyzer(
        """
        class Svc {
            @Retryable(maxAttempts = 4, backoff = @Backoff(delay = 100, multiplier = 2))
            @GetMapping("/x")
            void m() {}
        }
        """
    )
    fn = an.method("Svc", "m")
    retry, get = an.decorators(fn)
    assert set(retry.kwargs) == {"maxAttempts", "backoff"}
    backoff = an.evaluate(retry.kwargs["backoff"], fn.scope)
    assert isinstance(backoff, Map) and strip(backoff.get("multiplier")) == Const(2)
    assert strip(an.to_value(an.evaluate(get.args[0], fn.scope))) == Const("/x") and "value" in get.kwargs


def test_method_references_and_lambdas_are_functions():
    an = analyzer(
        """
        import java.util.function.Supplier;
        class Svc {
            String name() { return "x"; }
            Supplier<String> s = this::name;
            static final Runnable R = () -> System.out.println("x");
        }
        """
    )
    assert isinstance(member(an, "Svc", "s"), FunctionValue)
    assert isinstance(strip(static(an, "Svc", "R")) if not isinstance(static(an, "Svc", "R"), FunctionValue) else static(an, "Svc", "R"), FunctionValue)


def test_arrays_and_class_literals():
    an = analyzer(
        """
        import java.io.IOException;
        class Svc {
            static final Object[] A = {1, "b"};
            static final Object K = IOException.class;
        }
        """
    )
    assert strip(static(an, "Svc", "A")) == Seq((Const(1), Const("b")))
    assert strip(static(an, "Svc", "K")) == Ref("java.io.IOException")


# ---------------------------------------------------------------- files, modules, comments
def test_words_and_module_paths(tmp_path):
    assert words_of("java.net.http.HttpClient.send") == {"HttpClient"}
    assert words_of("io.grpc.stub.AbstractStub.*") == {"AbstractStub"}
    assert words_of("*Grpc.new*Stub") == set()
    src = tmp_path / "src" / "main" / "java" / "com" / "acme"
    src.mkdir(parents=True)
    (src / "Settings.java").write_text("/* header */\npackage com.acme;\nclass Settings {}\n", encoding="utf-8")
    (src / "Loose.java").write_text("class Loose {}\n", encoding="utf-8")
    assert module_path(tmp_path, "src/main/java/com/acme/Settings.java") == "com.acme.Settings"
    assert module_path(tmp_path, "src/main/java/com/acme/Loose.java") == "Loose"


def test_comments_for_the_fixture_harness():
    fe = frontend_for("java")
    got = fe.comments(b"int x = 1; // expect: a\n/* ok: b */\nint y;\n")
    assert [(c.line, c.text, c.own_line) for c in got] == [(1, "expect: a", False), (2, "ok: b", True)]


def test_constants_of_another_class_resolve_at_link_time(tmp_path):
    svc = tmp_path / "checkout"
    pkg = svc / "src" / "main" / "java" / "com" / "acme"
    pkg.mkdir(parents=True)
    (svc / "pom.xml").write_text("<project/>", encoding="utf-8")
    (pkg / "Settings.java").write_text(
        'package com.acme;\npublic final class Settings {\n  public static final String RISK_URL = "http://risk:8080";\n  public static final int READ_MS = 700;\n}\n',
        encoding="utf-8",
    )
    (pkg / "Client.java").write_text(
        textwrap.dedent(
            """
            package com.acme;
            import org.springframework.http.client.SimpleClientHttpRequestFactory;
            import org.springframework.web.client.RestTemplate;
            class Client {
                void m() {
                    SimpleClientHttpRequestFactory f = new SimpleClientHttpRequestFactory();
                    f.setReadTimeout(Settings.READ_MS);
                    new RestTemplate(f).getForObject(Settings.RISK_URL + "/v1", String.class);
                }
            }
            """
        ),
        encoding="utf-8",
    )
    result = scan(tmp_path, config=Config(), rule_ids=["java.http.rest-template"])
    (fact,) = [f for f in result.facts if f.kind == "http_call"]
    assert fact.fields["url"] == "http://risk:8080/v1"
    assert (fact.fields["timeout_ms"], fact.fields["timeout_source"], fact.fields["timeout_constant"]) == (700, "constant", "READ_MS")


# ---------------------------------------------------------------- service configuration (language-neutral)
def test_configuration_files_flatten_with_relaxed_keys():
    props = svcconfig.parse_properties("# c\nrisk.url=http://risk:8080\nretry.max-attempts: 4\nlong.value = a \\\n  b\n")
    assert props == {"risk.url": "http://risk:8080", "retry.max-attempts": "4", "long.value": "a b"}
    yml = svcconfig.read_config_file("application.yml", "a:\n  b: 1\n  list:\n    - x\n    - y\n---\na:\n  b: 2\n  c: true\n")
    assert yml == {"a.b": "1", "a.list[0]": "x", "a.list[1]": "y", "a.c": "true"}
    assert svcconfig.canonical("Resilience4j.retry.instances.risk.maxAttempts") == svcconfig.canonical("resilience4j.retry.instances.risk.max-attempts")
    assert svcconfig.env_spelling("risk.url") == "RISK_URL"
    assert svcconfig.is_config_file("svc/src/main/resources/application-prod.yml")
    assert not svcconfig.is_config_file("svc/app.yml")


def test_configuration_references_resolve_against_the_service():
    book = AddressBook(services=[])
    book.env_by_service["checkout"] = {
        "risk.url": "http://risk:8080",
        "r.instances.risk.maxAttempts": "4",
        "ledger.url": "${LEDGER_URL:http://ledger:8080}",
        "ORDERS_URL": "http://orders-from-env:8080",
        "orders.url": "http://orders:8080",
        "rate": "25",
        "list[0]": "a",
        "list[1]": "b",
    }
    fields = {
        "url": svcconfig.placeholder_value("${risk.url}/v1"),
        "attempts": svcconfig.config_ref(("r.instances.risk.max-attempts", "r.default.max-attempts"), default=Const(3)),
        "missing": svcconfig.config_ref(("nope",)),
        "fallback": svcconfig.config_ref(("nope",), default=Const(7)),
        "ledger": svcconfig.placeholder_value("${ledger.url}"),
        "orders": svcconfig.placeholder_value("${orders.url}"),
        "ratio": svcconfig.config_ref(("rate",), scale=0.01),
        "items": svcconfig.config_ref(("list",)),
        "unset": svcconfig.placeholder_value("${unset.url}"),
        "plain": Const(1),
    }
    out = svcconfig.resolve_config(fields, book, "checkout")
    assert out["url"] == Concat((Named("${risk.url}", Const("http://risk:8080")), Const("/v1")))
    assert out["attempts"] == Named("${r.instances.risk.max-attempts}", Const(4))
    assert "missing" not in out
    assert out["fallback"] == Const(7)
    assert strip(out["ledger"]) == Const("http://ledger:8080")
    assert strip(out["orders"]) == Const("http://orders-from-env:8080")  # the environment overrides the file
    assert strip(out["ratio"]) == Const(0.25)
    assert strip(out["items"]) == Seq((Const("a"), Const("b")))
    assert out["unset"] == Env("UNSET_URL")
    assert out["plain"] == Const(1)
    assert durations.interpret(out["attempts"], {"unit": "ms"}).source == "config"


# ---------------------------------------------------------------- laziness
_PROBE = """
import json, sys
from pathlib import Path
from extractor.scan import scan
from extractor.config import Config
from extractor.frontends import treesitter
root = Path(sys.argv[1])
ids = sys.argv[2:] or None
result = scan(root, config=Config(), rule_ids=ids)
print(json.dumps({"parsers": treesitter.parsers_created(), "java": "extractor.frontends.treesitter.java" in sys.modules, "facts": len(result.facts)}))
"""


def _probe(root: Path, *rule_ids: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(root), *rule_ids], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout)


def test_java_files_are_parsed_only_with_java_rules(tmp_path):
    (tmp_path / "Main.java").write_text("import java.util.UUID;\nclass Main { void m() { UUID.randomUUID(); } }\n", encoding="utf-8")
    (tmp_path / "app.py").write_text("import requests\nrequests.get('http://risk/x', timeout=1)\n", encoding="utf-8")
    alone = _probe(tmp_path, "python.http.requests")
    assert alone["parsers"] == [["tree_sitter_python", "language"]] and alone["java"] is False
    assert ["tree_sitter_java", "language"] in _probe(tmp_path)["parsers"]


def test_a_scan_without_java_files_imports_no_java_adapter(tmp_path):
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc main() { http.Get("http://x") }\n', encoding="utf-8")
    got = _probe(tmp_path)
    assert got["java"] is False
    assert ["tree_sitter_java", "language"] not in got["parsers"]
