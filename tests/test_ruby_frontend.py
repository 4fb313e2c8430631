"""The Ruby adapter of the tree-sitter engine: constants and required libraries, values, instance
variables as fields, blocks, and a Sinatra service scanned end to end (the OpenTelemetry Demo's
email service: its route).

Rule behaviour is covered by the fixtures (tests/test_rule_fixtures.py); this module checks the
adapter's evaluation directly and what a scan of a Ruby service gives.
"""

from __future__ import annotations

import textwrap

from extractor.catalog import load_catalog
from extractor.config import Config
from extractor.frontends import frontend_for, language_of
from extractor.frontends.testing import Probe, select_rules
from extractor.scan import scan
from extractor.values import Concat, Const, Env, Map, Ref, Seq, strip

from .checks.helpers import write

RULES = ("ruby.http.net-http", "ruby.http.faraday", "ruby.endpoints.sinatra")


def body(source: str) -> tuple[Probe, object]:
    """A probe of a file whose method ``f`` holds ``source``'s statements, and ``f``'s scanned scope."""
    an = Probe("ruby", "def f\n" + textwrap.dedent(source) + "end\n", "x.rb", select_rules("ruby", RULES, uses=False), "")
    return an, an.locals_of(an.value("f").fn)


def test_values():
    an, scope = body(
        """\
        sku = params[:sku]
        m = { timeout: 2.5, "base" => "http://risk:8080", sym: :fast }
        l = [1, 0x10, 1_000]
        s = "x#{sku}y\\n"
        e = ENV.fetch("RISK_URL", "http://risk:8080")
        n = ENV["N"] || "d"
        p = ENV.fetch("PORT", 8013).to_i
        c = Net::HTTP::Get
        """
    )
    assert strip(an.value("m", scope)) == Map(((Const("timeout"), Const(2.5)), (Const("base"), Const("http://risk:8080")), (Const("sym"), Const("fast"))))
    assert strip(an.value("l", scope)) == Seq((Const(1), Const(16), Const(1000)))
    s = strip(an.value("s", scope))
    assert isinstance(s, Concat) and s.parts[0] == Const("x") and s.parts[-1] == Const("y\n")
    assert strip(an.value("e", scope)) == Env("RISK_URL", Const("http://risk:8080"))
    assert strip(an.value("n", scope)) == Env("N", Const("d"))
    assert strip(an.value("p", scope)) == Env("PORT", Const(8013))
    assert strip(an.value("c", scope)) == Ref("Net.HTTP.Get")


def test_instance_variables_are_fields_and_blocks_receive_the_object():
    an = Probe(
        "ruby",
        textwrap.dedent(
            """\
            require "net/http"
            class Client
              def initialize(host)
                @http = Net::HTTP.new(host, 8080)
              end

              def get
                @http.get("/x")
              end
            end

            Net::HTTP.start("cart", 7070, read_timeout: 2) do |conn|
              conn.get("/cart")
            end
            """
        ),
        "x.rb",
        select_rules("ruby", RULES, uses=False),
        "",
    )
    assert an.member("Client", "@http").type == "Net.HTTP.Session"
    got = sorted((f.line, f.fields.get("timeout")) for f in an.facts())
    assert [line for line, _ in got] == [8, 13] and strip(got[1][1]) == Const(2)


def test_files_and_comments():
    assert language_of("email_server.rb") == "ruby"
    got = frontend_for("ruby").comments(b'x = 1 # expect: a\n# ok: b\nputs "#{x}"\n')
    assert [(c.line, c.text) for c in got] == [(1, "expect: a"), (2, "ok: b")]


def test_a_sinatra_service_serves_its_route_and_is_called(tmp_path):
    files = {
        "email/Gemfile": 'source "https://rubygems.org"\ngem "sinatra"\n',
        "email/Dockerfile": "FROM ruby:3.3\nCOPY . .\n",
        "email/email_server.rb": 'require "sinatra"\n\npost "/send_order_confirmation" do\n  "ok"\nend\n',
        "checkout/Gemfile": 'gem "faraday"\n',
        "checkout/Dockerfile": "FROM ruby:3.3\n",
        "checkout/app.rb": 'require "faraday"\nconn = Faraday.new(url: ENV.fetch("EMAIL_ADDR", "http://email:8080"), request: { timeout: 2 })\nconn.post("/send_order_confirmation")\n',
    }
    result = scan(write(tmp_path, files), catalog=load_catalog(), config=Config())
    (endpoint,) = [f for f in result.facts if f.kind == "endpoint"]
    assert (endpoint.service, endpoint.fields["method"], endpoint.fields["path"]) == ("email", "POST", "/send_order_confirmation")
    (call,) = [f for f in result.facts if f.kind == "http_call"]
    assert (call.service, call.fields["target"]["service"], call.fields["timeout_ms"]) == ("checkout", "email", 2000)
    assert {s.name: s.languages for s in result.services} == {"email": ("ruby",), "checkout": ("ruby",)}
