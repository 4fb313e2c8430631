"""``contracts report``: the self-contained HTML page, as a file and in a real headless browser.

The browser tests drive Debian's Chromium through Selenium and the system chromedriver; they skip
only when no browser is installed AND ``CONTRACTS_REQUIRE_BROWSER`` is unset (``.ci/run`` installs
Chromium and sets it, so they never skip there).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.report import html

from .conftest import FIXTURES, REPO
from .test_history import postgres_database  # noqa: F401  (a fixture: a fresh database on the CI's PostgreSQL server)

SAMPLE = FIXTURES / "monorepos" / "fraud-detection"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
REQUIRE_BROWSER = "CONTRACTS_REQUIRE_BROWSER"

NODES = {
    "service:checkout",
    "service:orders",
    "service:payment",
    "service:risk",
    "service:support",
    "dataset:user_purchases",
    "host:api.fraud-signals.example.com",
    "host:device-intel.internal",
    "host:gateway.payments.example.com",
    "store:postgres/orders-db-replica/orders",
    "store:redis/risk-cache",
}
EDGES = {
    ("call:checkout->payment:authorize", "service:checkout", "service:payment"),
    ("call:checkout->risk:scoreTransaction", "service:checkout", "service:risk"),
    ("call:payment->gateway.payments.example.com:*", "service:payment", "host:gateway.payments.example.com"),
    ("call:risk->api.fraud-signals.example.com:*", "service:risk", "host:api.fraud-signals.example.com"),
    ("call:risk->device-intel.internal:*", "service:risk", "host:device-intel.internal"),
    ("call:support->risk:fraud_score", "service:support", "service:risk"),
    ("provide:orders->user_purchases", "service:orders", "dataset:user_purchases"),
    ("read:orders->user_purchases", "service:orders", "dataset:user_purchases"),
    ("read:risk->user_purchases", "service:risk", "dataset:user_purchases"),
    ("use:risk->store:postgres/orders-db-replica/orders", "service:risk", "store:postgres/orders-db-replica/orders"),
    ("use:risk->store:redis/risk-cache", "service:risk", "store:redis/risk-cache"),
}


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _write_report(out: Path, sample: Path = SAMPLE, *options: str) -> Path:
    code, output = _invoke("report", str(sample), "-o", str(out), "-j", "1", *options)
    assert code == 0, output
    return out


def embedded(page: str) -> dict:
    found = re.findall(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    return _write_report(tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="module")
def report_data(report_file) -> dict:
    return embedded(report_file.read_text("utf-8"))


# -- the file ----------------------------------------------------------------------------------------


def test_the_page_is_self_contained(report_file):
    page = report_file.read_text("utf-8")
    assert not re.search(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"<(?:link|iframe|object|embed|img)\b", page, re.I)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(?:https?:)?//", page, re.I)
    assert f'content="{html.CSP}"' in page
    assert "default-src 'none'" in html.CSP
    # every script of the page is inline: the graph library, the page's own code, the data
    assert page.count("<script") == 3
    assert html.asset("cytoscape.min.js") in page
    assert f'"{html.CYTOSCAPE_VERSION}"' in html.asset("cytoscape.min.js")


def test_the_embedded_documents_are_the_public_ones(report_data, tmp_path):
    code, graph_json = _invoke("graph", str(SAMPLE), "--format", "json", "-j", "1")
    assert code == 0
    code, findings_json = _invoke("check", str(SAMPLE), "--format", "json", "-j", "1", "--fail-on", "never")
    assert code == 0
    assert report_data["graph"] == json.loads(graph_json)
    assert report_data["findings"] == json.loads(findings_json)
    for name in ("graph", "findings"):
        schema = json.loads((REPO / "docs" / "schemas" / f"{name}.v1.schema.json").read_text("utf-8"))
        jsonschema.validate(report_data[name], schema)
    assert {n["id"] for n in report_data["graph"]["nodes"]} == NODES
    assert {(e["id"], e["source"], e["target"]) for e in report_data["graph"]["edges"]} == EDGES
    assert report_data["history"] is None


def test_json_inside_the_script_cannot_close_it():
    text = html._script_json({"a": "</script><script>alert(1)</script>", "b": "x & y", "c": "\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "x & y", "c": "\u2028"}


def _by_check(data: dict) -> dict[tuple[str, str], list[str]]:
    return {(f["check"], f["subject"]): data["finding_edges"][f["id"]] for f in data["findings"]["findings"]}


def test_findings_point_at_their_edges(report_data):
    edges = _by_check(report_data)
    assert edges[("latency.budget", "scoreTransaction")] == ["call:checkout->risk:scoreTransaction"]
    assert edges[("drift.undeclared-dependency", "payment")] == ["call:checkout->payment:authorize"]
    assert edges[("system.timeout-inversion", "authorize")] == ["call:checkout->payment:authorize"]
    assert edges[("system.missing-timeout", "api.fraud-signals.example.com")] == ["call:risk->api.fraud-signals.example.com:*"]
    assert edges[("access.data-policy", "fraud_decision_breakdown")] == ["call:support->risk:fraud_score"]
    assert edges[("freshness.dataset", "user_purchases")] == ["provide:orders->user_purchases", "read:risk->user_purchases"]
    assert len(edges) == len(report_data["findings"]["findings"]) == 13


@pytest.mark.parametrize(
    ("sample", "check", "subject", "edges"),
    [
        # a message finding: the producer's publish and the consumer's consume edges of its topic
        ("events", "messages.redelivery-without-dedup", "rabbitmq/emails", ["consume:rabbitmq/emails->notifications", "publish:orders->rabbitmq/emails"]),
        # two calls to the subject's service: the one the finding's locations are on
        ("gateway", "system.timeout-inversion", "orders", ["call:gateway->orders:*"]),
        # a path of calls: one per hop
        (
            "gateway",
            "system.retry-amplification",
            "edge>gateway>orders>payments",
            ["call:edge->gateway:*", "call:gateway->orders:*", "call:orders->payments:create_charge"],
        ),
    ],
)
def test_findings_of_other_samples_point_at_their_edges(sample, check, subject, edges, tmp_path):
    data = embedded(_write_report(tmp_path / "r.html", FIXTURES / "monorepos" / sample).read_text("utf-8"))
    assert _by_check(data)[(check, subject)] == edges


def test_edges_carry_their_worst_finding_and_label(report_data):
    extras = report_data["edges"]
    assert set(extras) == {e[0] for e in EDGES}
    worst = {eid: x["worst"] for eid, x in extras.items()}
    assert worst["call:checkout->risk:scoreTransaction"] == "error"
    assert worst["call:checkout->payment:authorize"] == "warning"  # undeclared dependency, timeout inversion: two warnings
    assert worst["call:risk->api.fraud-signals.example.com:*"] == "warning"
    assert worst["call:risk->device-intel.internal:*"] is None
    assert worst["use:risk->store:redis/risk-cache"] is None
    assert len(extras["call:checkout->risk:scoreTransaction"]["findings"]) == 7
    assert extras["call:checkout->risk:scoreTransaction"]["label"] == [
        "scoreTransaction",
        "timeout 500ms (declared) / 5s (code)",
        "attempts 1 (declared) / 3 (code)",
    ]
    assert extras["call:risk->api.fraud-signals.example.com:*"]["label"] == ["POST /checks", "timeout none (code)"]
    assert extras["call:checkout->payment:authorize"]["breakers"] == []


def test_a_call_edge_shows_its_circuit_breaker(tmp_path):
    data = embedded(_write_report(tmp_path / "shop.html", FIXTURES / "monorepos" / "polyglot-shop").read_text("utf-8"))
    extra = data["edges"]["call:orders->pricing:quote"]
    assert extra["label"] == ["quote", "timeout 800ms (code)", "attempts 3 (code)", "breaker resilience4j"]
    assert extra["breakers"] == [
        {
            "value": "resilience4j",
            "fallback": "listPrice",
            "file": "orders/src/main/java/com/shop/orders/PricingClient.java",
            "line": 25,
            "origin": "code",
            "rule": "java.retry.resilience4j",
        }
    ]


def test_without_a_history_store_nothing_is_created(tmp_path):
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    data = embedded(_write_report(tmp_path / "r.html", sample).read_text("utf-8"))
    assert data["history"] is None
    assert not (sample / ".contracts").exists()


def test_check_selection_and_a_missing_history_file(tmp_path):
    result = CliRunner().invoke(
        main,
        ["report", str(SAMPLE), "-o", str(tmp_path / "r.html"), "-j", "1", "--check", "drift", "--history", str(tmp_path / "none.db")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert f"--history {tmp_path / 'none.db'}: no such file; the page has no drift trend" in result.stderr
    assert not (tmp_path / "none.db").exists()
    data = embedded((tmp_path / "r.html").read_text("utf-8"))
    assert sorted(f["check"] for f in data["findings"]["findings"]) == [
        "drift.fallback",
        "drift.replica-read",
        "drift.retry",
        "drift.timeout",
        "drift.undeclared-dependency",
    ]
    assert data["edges"]["call:checkout->payment:authorize"]["worst"] == "warning"
    assert data["edges"]["call:risk->api.fraud-signals.example.com:*"]["worst"] is None  # system.missing-timeout not run


def test_a_contract_file_error_is_listed_and_exits_2(tmp_path):
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    contract = sample / "checkout-service" / "contracts" / "dependencies.yaml"
    contract.write_text(contract.read_text("utf-8").replace("timeout: 500ms", "timeout: soon"), "utf-8")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(sample), "-o", str(out), "-j", "1", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "contracts: error: " in result.stderr and "dependencies.yaml:10" in result.stderr
    errors = embedded(out.read_text("utf-8"))["findings"]["contract_errors"]
    assert [(e["file"], e["line"]) for e in errors] == [("checkout-service/contracts/dependencies.yaml", 10)]


def test_the_output_file_is_required(tmp_path):
    result = CliRunner().invoke(main, ["report", str(SAMPLE)])
    assert result.exit_code == 2
    assert "Missing option '-o' / '--output'" in result.output


def _recorded_history(tmp_path: Path, monkeypatch, store: str | None = None) -> tuple[Path, str]:
    """A copy of the sample whose history holds two runs: in the first, risk's call to the fraud-signals
    API has a timeout (no system.missing-timeout finding)."""
    sample = tmp_path / "sample"
    shutil.copytree(SAMPLE, sample)
    store = store or str(tmp_path / "history.db")
    source = sample / "risk-service" / "risk" / "signals.py"
    original = source.read_text("utf-8")
    call = 'json={"transaction_id": tx_id})'
    assert call in original
    source.write_text(original.replace(call, 'json={"transaction_id": tx_id}, timeout=2)'), "utf-8")
    monkeypatch.setenv("CONTRACTS_NOW", "2026-12-01T02:00:00Z")
    code, output = _invoke("check", str(sample), "--record", "--history", store, "--project", "fraud", "--fail-on", "never", "--no-cache", "-j", "1")
    assert code == 0, output
    source.write_text(original, "utf-8")
    monkeypatch.setenv("CONTRACTS_NOW", "2026-12-02T02:00:00Z")
    code, output = _invoke("check", str(sample), "--record", "--history", store, "--project", "fraud", "--fail-on", "never", "--no-cache", "-j", "1")
    assert code == 0, output
    monkeypatch.setenv("CONTRACTS_NOW", "2026-12-03T02:00:00Z")
    return sample, store


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_drift_trend_comes_from_the_history(kind, tmp_path, monkeypatch, request):
    url = request.getfixturevalue("postgres_database") if kind == "postgresql" else None
    sample, store = _recorded_history(tmp_path, monkeypatch, url)
    data = embedded(_write_report(tmp_path / "r.html", sample, "--history", store, "--project", "fraud", "--no-cache").read_text("utf-8"))
    history = data["history"]
    assert history["where"] == (store if url is None else "postgresql://" + store.partition("://")[2].rpartition("@")[2])
    assert "postgres@" not in history["where"]
    assert [p["recorded_at"] for p in history["trend"]] == ["2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z"]
    first, second = (p["counts"] for p in history["trend"])
    assert second == {"access": 1, "drift": 5, "freshness": 1, "idempotency": 1, "latency": 2, "missing-timeout": 1, "timeout-inversion": 2}
    assert first == {k: v for k, v in second.items() if k != "missing-timeout"}
    assert history["kinds"] == ["latency", "freshness", "idempotency", "access", "drift", "timeout-inversion", "missing-timeout"]
    seen = {f["check"]: history["first_seen"][f["id"]] for f in data["findings"]["findings"]}
    assert seen["system.missing-timeout"] == "2026-12-02T02:00:00Z"
    assert seen["latency.budget"] == "2026-12-01T02:00:00Z"
    assert len(history["first_seen"]) == 13


# -- in a real browser -------------------------------------------------------------------------------


def _browser_missing() -> str | None:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return f"{CHROMIUM} or {CHROMEDRIVER} is missing (Debian packages chromium, chromium-driver; .ci/run installs them)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra has it)"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _browser_missing()
    if missing:
        if os.environ.get(REQUIRE_BROWSER):
            pytest.fail(f"{REQUIRE_BROWSER} is set but {missing}")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="contracts-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1500,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, report_file):
    browser.get(report_file.as_uri())
    yield browser
    browser.get_log("browser")  # drain: each test reads only its own page's messages


def _visible_rows(driver) -> list[str]:
    return [row.get_attribute("data-finding") for row in driver.find_elements("css selector", "#findings tbody tr") if row.is_displayed()]


def test_the_page_loads_without_console_errors(page):
    messages = page.get_log("browser")
    assert [m for m in messages if m["level"] in ("SEVERE", "WARNING")] == []
    assert page.execute_script("return typeof window.contractsReport") == "object"
    assert page.execute_script("return cytoscape.version") == html.CYTOSCAPE_VERSION
    assert page.find_element("id", "summary").text == "11 nodes, 11 edges; 13 findings (8 error, 5 warning, 0 info)"


def test_the_graph_has_the_expected_nodes_and_edges(page):
    nodes = page.execute_script("return window.contractsReport.cy.nodes().map(function (n) { return n.id(); })")
    edges = page.execute_script("return window.contractsReport.cy.edges().map(function (e) { return [e.id(), e.source().id(), e.target().id()]; })")
    assert set(nodes) == NODES and len(nodes) == len(NODES)
    assert {tuple(e) for e in edges} == EDGES and len(edges) == len(EDGES)
    colour = page.execute_script("return window.contractsReport.cy.getElementById(arguments[0]).style('line-color')", "call:checkout->risk:scoreTransaction")
    grey = page.execute_script("return window.contractsReport.cy.getElementById(arguments[0]).style('line-color')", "call:risk->device-intel.internal:*")
    assert colour == "rgb(198,40,40)" and grey == "rgb(158,158,158)"
    # every node is inside the drawing area, none on top of another
    boxes = page.execute_script(
        "var cy = window.contractsReport.cy; return cy.nodes().map(function (n) { var b = n.renderedBoundingBox(); return [b.x1, b.y1, b.x2, b.y2]; })"
    )
    width, height = page.execute_script("var c = document.getElementById('graph'); return [c.clientWidth, c.clientHeight]")
    assert all(0 <= x1 and x2 <= width and 0 <= y1 and y2 <= height for x1, y1, x2, y2 in boxes)
    assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3] for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_filtering_the_table(page):
    from selenium.webdriver.support.ui import Select

    ids = {f["check"]: f["id"] for f in embedded(page.page_source)["findings"]["findings"] if f["check"] in ("access.data-policy", "freshness.dataset")}
    assert len(_visible_rows(page)) == 13
    service = Select(page.find_element("id", "filter-service"))
    service.select_by_value("support")
    assert _visible_rows(page) == [ids["access.data-policy"]]
    service.select_by_value("orders")
    rows = _visible_rows(page)
    assert len(rows) == 2 and ids["freshness.dataset"] in rows
    assert page.find_element("id", "shown-count").text == "2 of 13 findings shown"
    Select(page.find_element("id", "filter-status")).select_by_value("BLOCKS_INTEGRATION")
    assert _visible_rows(page) == [ids["freshness.dataset"]]
    service.select_by_value("")
    Select(page.find_element("id", "filter-check")).select_by_value("latency.timeout")
    checks = [page.find_element("css selector", f'tr[data-finding="{r}"]').get_attribute("data-check") for r in _visible_rows(page)]
    assert checks == ["latency.timeout"]


def test_clicking_an_edge_shows_its_provenance(page):
    page.execute_script("window.contractsReport.cy.getElementById(arguments[0]).emit('tap')", "call:checkout->risk:scoreTransaction")
    details = page.find_element("id", "details")
    assert details.get_attribute("data-shown") == "call:checkout->risk:scoreTransaction"
    text = details.text
    assert "checkout → risk" in text
    assert "Findings (7)" in text
    rows = {
        (r.find_elements("css selector", "td")[0].text, r.find_element("css selector", "code").text, r.find_element("css selector", ".origin").text)
        for r in details.find_elements("css selector", "table.attributes tr.origin-row")
    }
    assert ("timeout_ms", "checkout-service/contracts/dependencies.yaml:10", "declared") in rows
    assert ("timeout_ms", "checkout-service/checkout/fraud.py:20", "code") in rows
    assert ("retry_attempts", "checkout-service/checkout/fraud.py:12", "code") in rows
    assert ("endpoint", "risk-service/risk/api.py:10", "code") in rows


def test_clicking_a_finding_shows_both_sides(page):
    data = embedded(page.page_source)
    finding = next(f for f in data["findings"]["findings"] if f["check"] == "freshness.dataset")
    page.find_element("css selector", f'tr[data-finding="{finding["id"]}"]').click()
    details = page.find_element("id", "details")
    assert details.get_attribute("data-shown") == finding["id"]
    sides = details.find_elements("css selector", ".side")
    assert len(sides) == len(finding["sides"]) >= 2
    for side, expected in zip(sides, finding["sides"]):
        assert side.find_element("css selector", "strong").text == expected["service"]
        assert [c.text for c in side.find_elements("css selector", "code")] == [f"{loc['file']}:{loc['line']}" for loc in expected["locations"]]
    lit = page.execute_script("return window.contractsReport.cy.$('.lit').map(function (e) { return e.id(); })")
    assert sorted(lit) == ["provide:orders->user_purchases", "read:risk->user_purchases"]
    details.find_element("css selector", 'a.edge-link[data-edge="read:risk->user_purchases"]').click()
    assert details.get_attribute("data-shown") == "read:risk->user_purchases"
    assert "risk-service/contracts/data.yaml:6" in details.text  # freshness_required, declared
    assert "risk-service/risk/history.py:11" in details.text  # the replica read, in code


def test_the_trend_is_drawn_when_history_exists(browser, tmp_path, monkeypatch):
    sample, store = _recorded_history(tmp_path, monkeypatch)
    report = _write_report(tmp_path / "r.html", sample, "--history", store, "--project", "fraud", "--no-cache")
    browser.get(report.as_uri())
    assert [m for m in browser.get_log("browser") if m["level"] in ("SEVERE", "WARNING")] == []
    assert browser.find_element("id", "trend-section").is_displayed()
    row = browser.find_element("css selector", '#trend tr[data-kind="missing-timeout"]')
    assert [c.text for c in row.find_elements("css selector", "td.count")] == ["0", "1"]
    headers = [c.text for c in browser.find_elements("css selector", "#findings thead th")]
    assert headers[-1] == "first seen"


def test_screenshot(browser, tmp_path, monkeypatch):
    """The picture of docs/report.png: `CONTRACTS_REPORT_SCREENSHOT=docs/report.png pytest tests/test_report_html.py -k screenshot`
    (the sample's path as the README's command gives it, no commit in the header)."""
    from extractor.cli import RUN_COMMIT_VAR

    monkeypatch.chdir(REPO)
    monkeypatch.setenv(RUN_COMMIT_VAR, "")
    report = _write_report(tmp_path / "report.html", SAMPLE.relative_to(REPO))
    page = browser
    page.set_window_size(1400, 1150)
    page.get(report.as_uri())
    assert [m for m in page.get_log("browser") if m["level"] in ("SEVERE", "WARNING")] == []
    page.execute_script("window.contractsReport.cy.getElementById(arguments[0]).emit('tap')", "call:checkout->risk:scoreTransaction")
    target = Path(os.environ.get("CONTRACTS_REPORT_SCREENSHOT") or tmp_path / "report.png")
    assert page.save_screenshot(str(target))
    png = target.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 1400
    page.set_window_size(1500, 1000)
