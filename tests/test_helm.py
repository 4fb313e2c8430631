"""Helm charts rendered with their values (extractor/environment/helm.py, gotemplate.py): the Go
template evaluator on small templates, the sample fixtures/monorepos/helm-shop end to end (the
values each reader takes, with the template's and the values' lines, and the effective policy of
each edge), the values files the repository names, the diagnostics, and a resource seen both in a
plain manifest and in a chart counted once."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from extractor.docs import schema_files
from extractor.environment import build_address_book, helm
from extractor.environment.gotemplate import Renderer, TemplateError, Unsupported, go_string, parse
from extractor.facts import Service

from .checks.test_sample import run
from .conftest import FIXTURES

SAMPLE = "fixtures/monorepos/helm-shop"
CHART = "deploy/shop"


def _render(src: str, dot: object, helpers: str = "") -> str:
    defines: dict = {}
    if helpers:
        parse(helpers, defines)
    nodes = parse(src, defines)
    return Renderer(defines, {}, {}).render(nodes, dot).text()


# -- the evaluator ----------------------------------------------------------------------------------


def test_trim_markers_and_comments():
    src = "a:\n  {{- /* a comment */ -}}\n  b: {{ .x -}}\n\n  !\n{{- if .y }} yes{{ end }}"
    assert _render(src, {"x": 1, "y": True}) == "a:b: 1! yes"


def test_if_else_if_else_with_and_range():
    src = "{{ if eq .n 1 }}one{{ else if gt .n 5 }}big{{ else }}other{{ end }}"
    assert [_render(src, {"n": n}) for n in (1, 9, 3)] == ["one", "big", "other"]
    assert _render("{{ with .a }}{{ .b }}{{ else }}none{{ end }}", {"a": {"b": "B"}}) == "B"
    assert _render("{{ with .a }}{{ .b }}{{ else }}none{{ end }}", {"a": {}}) == "none"
    assert _render("{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ end }}", {"l": ["x", "y"]}) == "0=x;1=y;"
    assert _render("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", {"m": {"b": 2, "a": 1}}) == "a=1;b=2;"  # keys sorted, as Go
    assert _render("{{ range .l }}{{ . }}{{ else }}empty{{ end }}", {"l": []}) == "empty"
    assert _render('{{ $x := .a }}{{ $x = print $x "!" }}{{ $x }}', {"a": "hi"}) == "hi!"


def test_define_include_template_and_root():
    helpers = '{{- define "n" -}}{{ .name | upper }}{{- end -}}{{ define "t" }}[{{ $.x }}]{{ end }}'
    assert _render('{{ include "n" . | quote }}', {"name": "web"}, helpers) == '"WEB"'
    assert _render('{{ template "t" .inner }}', {"inner": {"x": 3}}, helpers) == "[3]"
    assert _render("{{ with .a }}{{ $.top }}{{ end }}", {"a": 1, "top": "T"}) == "T"


def test_functions():
    dot = {"s": "hello-world", "n": 3.0, "big": 1000000.0, "m": {"b": [1, 2]}, "empty": ""}
    cases = {
        '{{ .missing | default "d" }}': "d",
        '{{ .empty | default "d" }}': "d",
        "{{ .s | squote }}": "'hello-world'",
        "{{ .s | trunc 5 }}|{{ .s | trunc -5 }}": "hello|world",
        '{{ .s | trimSuffix "-world" | trimPrefix "he" }}': "llo",
        '{{ replace "-" "_" .s }}': "hello_world",
        '{{ printf "%s:%d/%v" .s (.n | int) .n }}': "hello-world:3/3",
        "{{ .big }} {{ .big | int }}": "1e+06 1000000",
        "{{ toYaml .m | nindent 2 }}": "\n  b:\n  - 1\n  - 2",
        '{{ "ab" | b64enc }}': "YWI=",
        "{{ and .s .empty | toString }}|{{ or .empty .s }}|{{ not .empty }}": "|hello-world|true",
        '{{ ne .n 4.0 }} {{ eq .s "x" "hello-world" }}': "true true",
        '{{ tpl "{{ .s }}!" . }}': "hello-world!",
        '{{ hasKey .m "b" }} {{ len .m.b }} {{ index .m.b 1 }}': "true 2 2",
        '{{ dict "a" 1 | toJson }}': '{"a":1}',
    }
    assert {src: _render(src, dot) for src in cases} == cases


def test_what_helm_would_not_render_is_an_error_with_its_line():
    with pytest.raises(TemplateError) as nil:
        _render("a\n{{ .a.b.c }}", {"a": {}})
    assert (nil.value.line, nil.value.message) == (2, "nil pointer evaluating .a.b.c")
    with pytest.raises(TemplateError) as req:
        _render('\n\n{{ required "set x" .x }}', {})
    assert (req.value.line, req.value.message) == (3, "required: set x")
    with pytest.raises(TemplateError, match="unclosed if"):
        _render("{{ if .a }}x", {})


def test_unsupported_constructs_say_what_and_where():
    with pytest.raises(Unsupported) as fn:
        _render("x\n{{ now | date }}", {})
    assert (fn.value.line, fn.value.message) == (2, "the function now")
    with pytest.raises(Unsupported) as lit:
        _render("{{ 'c' }}", {})
    assert lit.value.message == "a character constant"


def test_go_printing():
    assert [go_string(v) for v in (None, True, 2.5, 1234567.0, 0.00001, [1, "a"], {"b": 1, "a": 2})] == [
        "",
        "true",
        "2.5",
        "1.234567e+06",
        "1e-05",
        "[1 a]",
        "map[a:2 b:1]",
    ]


# -- the sample -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports():
    return run("scan", SAMPLE, "--jobs", "1", "--format", "json"), run("graph", SAMPLE, "--jobs", "1")


def test_values_files_the_repository_names():
    root = FIXTURES / "monorepos" / "helm-shop"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    charts, problems = helm.find_charts(files)
    (chart,) = helm.named_values(root, charts, files)
    assert (chart.folder, chart.name, chart.values) == (CHART, "shop", (f"{CHART}/values.yaml", f"{CHART}/values-prod.yaml"))  # not values-staging.yaml
    assert [(d.file, d.severity, d.message) for d in problems] == [
        (f"{CHART}/charts/redis/Chart.yaml", "info", "Helm chart: a dependency of the chart shop, whose values the parent sets: not rendered alone")
    ]


def test_rendered_documents_keep_template_lines_and_values_lines():
    root = FIXTURES / "monorepos" / "helm-shop"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    rendered, problems, templated = helm.render_charts(root, files)
    assert [(r.file, r.doc["kind"], r.doc["metadata"]["name"]) for r in rendered] == [
        (f"{CHART}/templates/orders-vs.yaml", "VirtualService", "orders"),
        (f"{CHART}/templates/orders.yaml", "Deployment", "orders"),
        (f"{CHART}/templates/orders.yaml", "Service", "orders"),
        (f"{CHART}/templates/web.yaml", "Deployment", "web"),
    ]
    assert all(helm.packaging(r.doc) == "helm" for r in rendered)
    web = rendered[3]
    (container,) = web.doc["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example/shop/web:2.0.1"  # tag "" defaults to the chart's appVersion
    assert [(e["name"], e["value"]) for e in container["env"]] == [
        ("ORDERS_URL", "http://orders:8080"),
        ("ORDERS_TIMEOUT_S", "1.5"),  # values-prod.yaml's, over values.yaml's 2
        ("STOCK_ADDR", "stock.default.svc.cluster.local:9090"),
        ("FEATURE_X", "on"),
        ("LOG_LEVEL", "info"),
    ]
    env = container["env"]
    timeout_line = env.line_of(1)
    assert (web.line(timeout_line + 1), web.values_at(timeout_line + 1)) == (19, (f"{CHART}/values-prod.yaml:2",))
    assert web.doc["metadata"]["labels"] == {"app.kubernetes.io/part-of": "shop", "app.kubernetes.io/version": "2.0.1"}
    assert f"{CHART}/templates/_helpers.tpl" in templated and f"{CHART}/templates/stock-vs.yaml" in templated
    assert [(d.file, d.line, d.severity, d.message) for d in problems] == [
        (f"{CHART}/charts/redis/Chart.yaml", 0, "info", "Helm chart: a dependency of the chart shop, whose values the parent sets: not rendered alone"),
        (f"{CHART}/templates/stock-vs.yaml", 1, "info", "Helm template not rendered, unsupported: .Capabilities (not known without a cluster)"),
    ]


def test_the_scan_reads_the_rendered_chart(reports):
    scan, _ = reports
    doc = json.loads(scan.output)
    jsonschema.validate(doc, json.loads(schema_files()["facts.v1.schema.json"]))
    calls = {(f["file"], f["line"]): f for f in doc["facts"] if f["kind"] == "http_call"}
    orders = calls[("web/web/app.py", 17)]
    assert (orders["target"]["service"], orders["target"]["via"], orders["timeout_ms"], orders["timeout_source"], orders["timeout_expr"]) == (
        "orders",
        "deploy_env",
        1500,
        "config",
        f"env ORDERS_TIMEOUT_S=1.5 in {CHART}/templates/web.yaml",
    )
    stock = calls[("web/web/app.py", 23)]
    assert (stock["target"]["service"], stock["target"]["host"], stock["target"]["port"]) == ("stock", "stock.default.svc.cluster.local", 9090)
    (policy,) = [f for f in doc["facts"] if f["kind"] == "mesh_policy"]
    assert {
        k: policy[k]
        for k in ("file", "line", "applies_to", "match", "timeout_ms", "timeout_line", "attempts", "attempts_line", "per_try_timeout_ms", "retry_on")
    } == {
        "file": f"{CHART}/templates/orders-vs.yaml",
        "line": 20,
        "applies_to": "orders",
        "match": "prefix:/orders",
        "timeout_ms": 3000,
        "timeout_line": 14,
        "attempts": 4,  # values-prod.yaml's 3 retries + the first try
        "attempts_line": 16,
        "per_try_timeout_ms": 1000,
        "retry_on": ["5xx", "reset"],
    }
    assert (policy["packaging"], policy["rendered_from"]) == (
        "helm",
        f"helm chart shop, templates/orders-vs.yaml, {CHART}/values.yaml:22, {CHART}/values-prod.yaml:6",
    )
    diagnostics = {(d["file"], d.get("line")) for d in doc["diagnostics"] if d["kind"] == "config_error"}
    assert diagnostics == {(f"{CHART}/charts/redis/Chart.yaml", None), (f"{CHART}/templates/stock-vs.yaml", 1)}


def test_effective_policy_of_each_edge(reports):
    _, graph = reports
    doc = json.loads(graph.output)
    jsonschema.validate(doc, json.loads(schema_files()["graph.v1.schema.json"]))
    calls = {e["id"]: e for e in doc["edges"] if e["layer"] == "calls"}
    orders = calls["call:web->orders:handle"]["effective"]
    assert (orders["attempts"], orders["timeout_ms"]) == (8, 1500)  # tenacity's 2 × the VirtualService's 4; the chart's 1.5 s under the mesh's 3 s
    assert [
        (l["layer"], f"{l['file']}:{l['line']}", l.get("timeout_ms"), l.get("timeout_detail"), l.get("attempts"), l.get("attempts_line"))
        for l in orders["layers"]
    ] == [
        ("deployment", "web/web/app.py:17", 1500, f"env ORDERS_TIMEOUT_S=1.5 in {CHART}/templates/web.yaml", 2, None),
        ("mesh", f"{CHART}/templates/orders-vs.yaml:20", 3000, None, 4, 16),
    ]
    assert calls["call:web->stock:stock"].get("effective") is None  # stock-vs.yaml is not rendered: no policy is made up


# -- one resource in a plain manifest and in a chart ----------------------------------------------


VS = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
  name: orders
spec:
  hosts: [orders]
  http:
    - retries:
        attempts: {attempts}
      route:
        - destination:
            host: orders
"""


def test_a_resource_in_a_plain_manifest_and_a_chart_counts_once(tmp_path: Path):
    files = {
        "k8s/orders-vs.yaml": VS.format(attempts=1),
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
        "chart/values.yaml": "attempts: 5\n",
        "chart/templates/orders-vs.yaml": VS.format(attempts="{{ .Values.attempts }}"),
        "chart/templates/orders-profile.yaml": VS.format(attempts="{{ .Values.attempts }}").replace("name: orders", "name: orders-canary"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    book = build_address_book(tmp_path, [Service("orders", "orders", "python")], sorted(files))
    got = sorted((p.file, p.name, p.attempts, p.packaging) for p in book.mesh)
    assert got == [
        ("chart/templates/orders-profile.yaml", "orders-canary", 6.0, "helm"),  # only in the chart: it counts
        ("k8s/orders-vs.yaml", "orders", 2.0, None),  # in both: the plain manifest's, once
    ]


def test_values_named_by_a_script_or_an_argo_application(tmp_path: Path):
    files = {
        "charts/api/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
        "charts/api/values.yaml": "a: 1\n",
        "charts/api/values-prod.yaml": "a: 2\n",
        "charts/api/values-eu.yaml": "a: 3\n",
        "charts/api/values-unused.yaml": "a: 4\n",
        "charts/api/templates/cm.yaml": "kind: ConfigMap\n",
        "scripts/deploy.sh": "#!/bin/sh\nhelm upgrade --install api ./charts/api -f charts/api/values-prod.yaml --wait\necho values-unused.yaml\n",
        "argo/app.yaml": "kind: Application\nspec:\n  source:\n    path: charts/api\n    helm:\n      valueFiles:\n        - values-eu.yaml\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    charts, _ = helm.find_charts(sorted(files))
    (chart,) = helm.named_values(tmp_path, charts, sorted(files))
    # values.yaml, then the file named in argo/app.yaml (read first, in path order), then deploy.sh's -f; an echo is no helm command
    assert chart.values == ("charts/api/values.yaml", "charts/api/values-eu.yaml", "charts/api/values-prod.yaml")
    assert helm.named_values(tmp_path, [], sorted(files)) == []


def test_an_assignment_in_a_block_sets_the_outer_variable():
    src = "{{ $found := false }}{{ range .l }}{{ if eq . 2 }}{{ $found = true }}{{ $inner := 1 }}{{ end }}{{ end }}{{ $found }}"
    assert _render(src, {"l": [1, 2, 3]}) == "true"
    with pytest.raises(TemplateError, match="undefined variable"):
        _render("{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}", {})  # declared in the block only


def test_a_template_past_the_stack_is_a_diagnostic_not_a_crash(tmp_path: Path):
    deep = "{{ if true }}" * 3000 + "x" + "{{ end }}" * 3000
    files = {"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n", "c/values.yaml": "{}\n", "c/templates/deep.yaml": deep}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    rendered, problems, _ = helm.render_charts(tmp_path, sorted(files))
    assert rendered == []
    assert [(d.file, d.severity, d.message.split(":")[0]) for d in problems] == [("c/templates/deep.yaml", "info", "Helm template not rendered, unsupported")]
