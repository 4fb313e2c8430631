"""The C# adapter of the tree-sitter engine: evaluation, names, members, injection, laziness.

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and the guarantees Python-only and Go-only scans rely on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from extractor.config import Config
from extractor.environment.appsettings import flatten_config
from extractor.frontends.testing import ClassValue, Instance, Probe, extract_source, select_rules
from extractor.frontends.treesitter.csharp import project_path, words_of
from extractor.scan import scan
from extractor.values import Concat, Const, Dynamic, Env, Map, Named, Obj, strip

from .conftest import REPO


def analyzer(source: str, rule_ids: tuple[str, ...] = ("csharp.http.httpclient",), module: str = "") -> Probe:
    return Probe("csharp", source, "x.cs", select_rules("csharp", rule_ids), module)  # platform rules load whichever rules run


def member(an: Probe, cls: str, name: str):
    return an.static(cls, name)


def local(an: Probe, cls: str, method: str, name: str):
    """A local of a method, with the method's locals bound in order."""
    return an.value(name, an.locals_of(an.method(cls, method)))


# ---------------------------------------------------------------- literals, constants, TimeSpan
def test_literals_const_fields_and_timespans_in_milliseconds():
    an = analyzer(
        '''
        using System;
        class C {
            const int Seconds = 5;
            const long Big = 10_000L;
            const int Hex = 0x10;
            const double Ratio = 1.5e3;
            static readonly TimeSpan Short = TimeSpan.FromMilliseconds(250);
            static readonly TimeSpan Named = TimeSpan.FromSeconds(Seconds);
            static readonly TimeSpan Minutes = TimeSpan.FromMinutes(1.5);
            static readonly TimeSpan Ctor = new TimeSpan(0, 0, 30);
            static readonly TimeSpan Never = System.Threading.Timeout.InfiniteTimeSpan;
            const string Esc = "a\\tb";
            const string Verbatim = @"C:\\x ""q""";
            const string Joined = "http://" + "risk" + ":8080";
            const int Div = 7 / 2;
        }
        '''
    )
    assert member(an, "C", "Seconds") == Named("Seconds", Const(5))
    assert strip(member(an, "C", "Big")) == Const(10_000)
    assert strip(member(an, "C", "Hex")) == Const(16)
    assert strip(member(an, "C", "Ratio")) == Const(1500.0)
    assert member(an, "C", "Short") == Named("Short", Const(250))
    assert member(an, "C", "Named") == Named("Seconds", Const(5000))  # the constant argument stays named
    assert strip(member(an, "C", "Minutes")) == Const(90_000)
    assert strip(member(an, "C", "Ctor")) == Const(30_000)
    assert strip(member(an, "C", "Never")) == Const(None)  # no timeout
    assert strip(member(an, "C", "Esc")) == Const("a\tb")
    assert strip(member(an, "C", "Verbatim")) == Const('C:\\x "q"')
    assert strip(member(an, "C", "Joined")) == Const("http://risk:8080")
    assert strip(member(an, "C", "Div")) == Const(3)


def test_interpolated_strings_and_locals_in_order():
    an = analyzer(
        """
        class C {
            const string Host = "risk";
            void M(int id) {
                var url = $"http://{Host}:8080/score/{id}";
                var n = 1;
                n += 2;
            }
        }
        """
    )
    url = strip(local(an, "C", "M", "url"))
    assert isinstance(url, Concat)
    assert url.parts[0] == Const("http://risk:8080/score/") and url.parts[1] == Dynamic("id")
    assert strip(local(an, "C", "M", "n")) == Const(3)


# ---------------------------------------------------------------- names
def test_usings_aliases_implicit_usings_and_static_usings():
    an = analyzer(
        """
        using H = System.Net.Http;
        using Client = System.Net.Http.HttpClient;
        using static System.TimeSpan;
        class C {
            static readonly object A = new H.HttpClient();
            static readonly object B = new Client();
            static readonly object D = new HttpClient();
            static readonly TimeSpan T = FromSeconds(2);
        }
        """
    )
    for name in ("A", "B", "D"):  # alias of the namespace, of the type, and the SDK's implicit usings
        v = member(an, "C", name)
        assert isinstance(v, Obj) and v.type == "System.Net.Http.HttpClient", name
    assert strip(member(an, "C", "T")) == Const(2000)
    assert words_of("System.Net.Http.HttpClient.GetAsync") == {"GetAsync"}
    assert words_of("*Client") == set()


def test_a_same_file_class_with_a_library_name_is_the_local_class_only_where_visible():
    an = analyzer(
        """
        namespace Fakes { public class HttpClient { } }
        namespace App {
            using Fakes;
            class C { static readonly object X = new HttpClient(); }
        }
        namespace Other {
            class D { static readonly object Y = new HttpClient(); }
        }
        """
    )
    x = member(an, "C", "X")
    assert isinstance(x, Instance) and x.cls.name == "HttpClient"
    y = member(an, "D", "Y")
    assert isinstance(y, Obj) and y.type == "System.Net.Http.HttpClient"


# ---------------------------------------------------------------- members and objects
def test_fields_assigned_in_constructors_properties_and_object_initialisers():
    an = analyzer(
        """
        class C {
            private readonly HttpClient _http;
            private HttpClient Other { get; } = new() { Timeout = TimeSpan.FromSeconds(1) };
            public C() { _http = new HttpClient { Timeout = TimeSpan.FromSeconds(3), BaseAddress = new Uri("http://risk:8080") }; }
        }
        """
    )
    http = member(an, "C", "_http")
    assert isinstance(http, Obj) and strip(http.capture("timeout")) == Const(3000) and strip(http.capture("base_url")) == Const("http://risk:8080")
    other = member(an, "C", "Other")
    assert isinstance(other, Obj) and strip(other.capture("timeout")) == Const(1000)


def test_configuration_and_environment_reads_are_env_values_with_defaults():
    an = analyzer(
        """
        class C {
            void M(IConfiguration config) {
                var a = config["Services:Risk"];
                var b = config.GetValue<string>("Services:Orders") ?? "http://orders:8080";
                var c = config.GetSection("Services")["Ledger"];
                var d = Environment.GetEnvironmentVariable("RISK_URL") ?? "http://risk";
                var e = config.GetConnectionString("db");
                var f = config.GetSection("Services:Stock").Value;
            }
        }
        """
    )
    assert strip(local(an, "C", "M", "a")) == Env("Services:Risk")
    assert strip(local(an, "C", "M", "b")) == Env("Services:Orders", Const("http://orders:8080"))
    assert strip(local(an, "C", "M", "c")) == Env("Services:Ledger")
    assert strip(local(an, "C", "M", "d")) == Env("RISK_URL", Const("http://risk"))
    assert strip(local(an, "C", "M", "e")) == Env("ConnectionStrings:db")
    assert strip(local(an, "C", "M", "f")) == Env("Services:Stock")
    assert flatten_config({"Services": {"Risk": "http://risk"}, "Hosts": ["a", "b"], "Debug": True}) == {
        "Services:Risk": "http://risk",
        "Hosts:0": "a",
        "Hosts:1": "b",
    }


def test_an_env_value_tested_for_empty_and_assigned_in_the_if_gets_that_default():
    # if (string.IsNullOrEmpty(x)) x = "d"; / if (x == null) { x = "d"; } (no else): the env read's default
    src = """
        using System;
        using System.Net.Http;
        class C {
            private readonly HttpClient client = new HttpClient();
            async void M() {
                var url = Environment.GetEnvironmentVariable("RISK_URL");
                if (string.IsNullOrEmpty(url)) url = "http://risk:8080";
                await client.GetAsync(url + "/v1/score");
                var other = Environment.GetEnvironmentVariable("LEDGER_URL");
                if (other == null) { other = "http://ledger:8080"; }
                await client.GetAsync(other + "/v1/entries");
                var third = Environment.GetEnvironmentVariable("STOCK_URL");
                if (third == null) { third = "http://stock:8080"; } else { third = "http://other"; }
                await client.GetAsync(third);
            }
        }
        """
    urls = [f.fields["url"] for f in extract_source("csharp", src, "x.cs", ["csharp.http.httpclient"]).facts if f.kind == "http_call"]
    assert urls[0] == Concat((Named("url", Env("RISK_URL", Const("http://risk:8080"))), Const("/v1/score")))
    assert urls[1] == Concat((Named("other", Env("LEDGER_URL", Const("http://ledger:8080"))), Const("/v1/entries")))
    assert urls[2] == Named("third", Const("http://other"))  # with an else, no default: the last assignment walked


def test_options_lambdas_are_maps_and_factory_lambdas_are_their_objects():
    an = analyzer(
        """
        class C {
            void M() {
                var opts = (Action<HttpClient>)(c => { c.Timeout = TimeSpan.FromSeconds(2); c.BaseAddress = new Uri("http://x"); });
                var nested = (Action<object>)(o => { o.Retry.MaxRetryAttempts = 5; o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(9); });
            }
        }
        """
    )
    opts = strip(local(an, "C", "M", "opts"))
    assert isinstance(opts, Map) and strip(opts.get("Timeout")) == Const(2000)
    nested = strip(local(an, "C", "M", "nested"))
    assert isinstance(nested, Map)
    assert strip(nested.get("Retry").get("MaxRetryAttempts")) == Const(5)  # type: ignore[union-attr]
    assert strip(nested.get("TotalRequestTimeout").get("Timeout")) == Const(9000)  # type: ignore[union-attr]


def test_same_file_classes_and_static_members():
    an = analyzer(
        """
        static class Settings { public const string Url = "http://risk:8080"; }
        class C { void M() { var u = Settings.Url + "/x"; var s = Settings; } }
        """
    )
    assert strip(local(an, "C", "M", "u")) == Const("http://risk:8080/x")
    assert isinstance(local(an, "C", "M", "s"), ClassValue)


# ---------------------------------------------------------------- projects
def test_project_paths_come_from_csproj(tmp_path):
    (tmp_path / "svc" / "Api" / "Sub").mkdir(parents=True)
    (tmp_path / "svc" / "Api" / "Api.csproj").write_text("<Project />", encoding="utf-8")
    (tmp_path / "Root.csproj").write_text("<Project />", encoding="utf-8")
    assert project_path(tmp_path, "svc/Api/Sub/X.cs") == "svc/Api"
    assert project_path(tmp_path, "svc/Api/Program.cs") == "svc/Api"
    assert project_path(tmp_path, "tools/Gen.cs") == "Root"


def test_constants_of_other_files_of_the_project(tmp_path):
    (tmp_path / "Checkout.csproj").write_text("<Project />", encoding="utf-8")
    (tmp_path / "Settings.cs").write_text(
        'public static class Settings { public const string RiskUrl = "http://risk:8080"; public const int Seconds = 4; }\n', encoding="utf-8"
    )
    (tmp_path / "Client.cs").write_text(
        "public class Client {\n"
        "  private readonly HttpClient _http = new HttpClient { Timeout = TimeSpan.FromSeconds(Settings.Seconds) };\n"
        '  public Task Go() => _http.GetAsync(Settings.RiskUrl + "/score");\n'
        "}\n",
        encoding="utf-8",
    )
    facts = [f for f in scan(tmp_path, config=Config(), rule_ids=["csharp.http.httpclient"]).facts if f.rule == "csharp.http.httpclient"]
    assert [(f.file, f.fields["url"], f.fields["timeout_ms"], f.fields["timeout_source"]) for f in facts] == [
        ("Client.cs", "http://risk:8080/score", 4000, "constant")
    ]


# ---------------------------------------------------------------- laziness
_PROBE = """
import json, sys
from pathlib import Path
from extractor.config import Config
from extractor.scan import scan
from extractor.frontends import treesitter
root, ids = Path(sys.argv[1]), sys.argv[2:]
result = scan(root, config=Config(), rule_ids=ids or None)
print(json.dumps({"parsers": sorted(p[0] for p in treesitter.parsers_created()), "facts": len(result.facts)}))
"""


def _probe(root: Path, *rule_ids: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(root), *rule_ids], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(out.stdout)


def test_csharp_parser_is_created_only_for_csharp_files(tmp_path):
    (tmp_path / "app.py").write_text("import requests\nrequests.get('http://risk/x', timeout=1)\n", encoding="utf-8")
    (tmp_path / "main.go").write_text('package main\nimport "net/http"\nfunc main() { http.Get("http://x") }\n', encoding="utf-8")
    assert "tree_sitter_c_sharp" not in _probe(tmp_path)["parsers"]
    (tmp_path / "Program.cs").write_text('var c = new HttpClient();\nawait c.GetAsync("http://risk/x");\n', encoding="utf-8")
    assert _probe(tmp_path, "python.http.requests")["parsers"] == ["tree_sitter_python"]
    assert "tree_sitter_c_sharp" in _probe(tmp_path)["parsers"]


def test_linked_projects_follow_project_references():
    """A project sees the registrations of the projects it references (the shared ServiceDefaults); a
    library (no entry point) also those of the runnable projects using it, not the app host above them."""
    from extractor.frontends.treesitter.csharp_project import linked_modules

    root = REPO / "fixtures/monorepos/dotnet-di"
    assert linked_modules(root, "src/WebApp") == ("src/Catalog.Client", "src/ServiceDefaults")
    assert linked_modules(root, "src/Catalog.Api") == ("src/ServiceDefaults",)
    # a (Razor) class library: the web app using it, then what that references
    assert linked_modules(root, "src/Catalog.Client") == ("src/WebApp", "src/ServiceDefaults")
    assert linked_modules(root, "src/ServiceDefaults") == ("src/Catalog.Api", "src/Ordering.Api", "src/WebApp", "src/Catalog.Client")
    assert linked_modules(root, "src/AppHost") == ("src/Catalog.Api", "src/Catalog.Client", "src/Ordering.Api", "src/ServiceDefaults", "src/WebApp")
    assert linked_modules(root, "src/Nowhere") == ()


def test_a_library_prefers_the_web_app_using_it(tmp_path):
    """A class library used by a desktop or MAUI app (an Exe) and by a web app: the web app's
    registrations come first (the first registration of a name wins)."""
    from extractor.frontends.treesitter.csharp_project import linked_modules

    for name, body in {
        "lib/Lib.csproj": '<Project Sdk="Microsoft.NET.Sdk"></Project>',
        "a-maui/App.csproj": '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup>'
        '<ItemGroup><ProjectReference Include="..\\lib\\Lib.csproj" /></ItemGroup></Project>',
        "z-web/Web.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><ItemGroup><ProjectReference Include="..\\lib\\Lib.csproj" /></ItemGroup></Project>',
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    assert linked_modules(tmp_path, "lib") == ("z-web", "a-maui")
    assert linked_modules(tmp_path, "z-web") == ("lib",)
