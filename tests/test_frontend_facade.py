"""The frontend test facade (extractor/frontends/testing.py) agrees with what a scan does."""

from __future__ import annotations

import textwrap

from extractor.catalog import load_catalog
from extractor.config import Config
from extractor.frontends.testing import FunctionValue, Probe, extract_source, select_rules
from extractor.scan import scan
from extractor.values import Const, strip

GO = """\
package x

import (
	"net/http"
	"time"
)

var c = &http.Client{Timeout: 2 * time.Second}

func f() { c.Get("http://risk:8080/v1/score") }
"""


def test_extract_source_finds_what_a_scan_of_the_same_file_finds(tmp_path):
    got = extract_source("go", GO, "svc/x.go", ["go.http.net-http"])
    assert (got.path, got.language, got.parsed) == ("svc/x.go", "go", True)
    (call,) = [f for f in got.facts if f.kind == "http_call"]
    assert (call.line, call.rule, strip(call.fields["url"]), strip(call.fields["method"])) == (
        10,
        "go.http.net-http",
        Const("http://risk:8080/v1/score"),
        Const("GET"),
    )
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "go.mod").write_text("module example.com/svc\n", encoding="utf-8")
    (tmp_path / "svc" / "x.go").write_text(GO, encoding="utf-8")
    scanned = [f for f in scan(tmp_path, config=Config(), rule_ids=["go.http.net-http"]).facts if f.kind == "http_call"]
    assert [(f.line, f.rule) for f in scanned] == [(call.line, call.rule)]


def test_a_probe_binds_names_before_it_walks():
    probe = Probe("go", GO, "svc/x.go", ["go.http.net-http"])
    client = probe.value("c")
    assert strip(client.capture("timeout")) == Const(2_000_000_000)
    assert isinstance(probe.value("f"), FunctionValue)
    assert [(f.kind, f.line) for f in probe.facts()] == [("http_call", 10)]


def test_rule_selection_takes_the_platform_rules_and_what_the_rules_use():
    catalog = load_catalog()
    java = {r.id for r in catalog.applying_to("java")}
    platform = {r.id for r in catalog.applying_to("java") if r.kind == "platform"}
    user = next(r for r in catalog.applying_to("java") if set(r.uses) & java - {r.id} - platform)  # a rule that uses others
    assert {r.id for r in select_rules("java", [user.id])} == {user.id} | platform | (set(user.uses) & java)
    assert {r.id for r in select_rules("java", [user.id], uses=False)} == {user.id} | platform


def test_dedented_text_and_bytes_are_the_same_source():
    text = textwrap.indent(GO, "    ")
    from_text = [(f.kind, f.line) for f in extract_source("go", text, "x.go", ["go.http.net-http"]).facts]
    assert from_text == [(f.kind, f.line) for f in extract_source("go", GO.encode(), "x.go", ["go.http.net-http"]).facts]
    assert ("http_call", 10) in from_text  # not two empty lists
