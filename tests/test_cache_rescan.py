"""Re-scans through the cache (extractor/cache.py, docs/performance.md): after every kind of change
(a file another file's facts depend on, a deleted file, a renamed file, a rule), the warm scan's
facts are byte-identical to an uncached scan's of the same tree; the stat memo never serves the
hash of a file's old content.

Extractions are counted (each frontend's ``extract`` wrapped), never timed.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from extractor.cache import RACY_NS, ExtractionCache
from extractor.catalog import load_catalog
from extractor.frontends import rules_language_of
from extractor.report import json_out
from extractor.scan import scan

from . import test_cache
from .conftest import REPO

counted = test_cache.counted  # the fixture counting each file's extractions

FILES = {
    "orders/pyproject.toml": '[project]\nname = "orders"\ndependencies = ["requests"]\n',
    "orders/orders/settings.py": "TIMEOUT = 3\n",
    "orders/orders/client.py": (
        "import requests\n\nfrom .settings import TIMEOUT\n\n\n"
        'def price(item):\n    return requests.get(f"http://pricing:8000/price/{item}", timeout=TIMEOUT)\n'
    ),
    "orders/orders/session.py": "import requests\n\nsession = requests.Session()\n",
    "orders/orders/api.py": 'from .session import session\n\n\ndef stock(item):\n    return session.get(f"http://stock:8080/stock/{item}", timeout=2)\n',
}


@pytest.fixture
def orders(tmp_path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return root


def facts(root: Path, catalog, cache: ExtractionCache | None) -> str:
    return json_out.dumps(scan(root, catalog=catalog, cache=cache).to_json())


def rescan(root: Path, catalog, folder: Path, counted: Counter | None = None) -> str:
    """A warm scan, checked against an uncached one of the same tree; ``counted`` keeps the
    extractions of the warm scan only."""
    if counted is not None:
        counted.clear()
    with ExtractionCache(folder, salt=b"t") as cache:
        warm = facts(root, catalog, cache)
    seen = Counter(counted or ())
    assert warm == facts(root, catalog, None)
    if counted is not None:
        counted.clear()
        counted.update(seen)
    return warm


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_a_change_another_files_facts_depend_on(orders, catalog, tmp_path, counted):
    first = rescan(orders, catalog, tmp_path)
    assert '"timeout_ms": 3000' in first and "http://stock:8080" in first
    assert rescan(orders, catalog, tmp_path, counted) == first
    assert not counted  # nothing changed: nothing extracted again
    edit(orders / "orders/orders/settings.py", "TIMEOUT = 3", "TIMEOUT = 7")  # client.py's timeout
    changed = rescan(orders, catalog, tmp_path, counted)
    assert '"timeout_ms": 7000' in changed and '"timeout_ms": 3000' not in changed
    assert "orders/orders/settings.py" in counted and "orders/orders/api.py" not in counted
    edit(orders / "orders/orders/session.py", "requests.Session()", "object()")  # api.py's call is no longer a request
    assert "http://stock:8080" not in rescan(orders, catalog, tmp_path)


def test_a_deleted_and_a_renamed_file(orders, catalog, tmp_path):
    first = rescan(orders, catalog, tmp_path)
    (orders / "orders/orders/settings.py").unlink()
    gone = rescan(orders, catalog, tmp_path)
    assert gone != first and '"timeout_ms": 3000' not in gone
    (orders / "orders/orders/client.py").rename(orders / "orders/orders/pricing_client.py")
    renamed = rescan(orders, catalog, tmp_path)
    assert "orders/orders/pricing_client.py" in renamed and "orders/orders/client.py" not in renamed
    (orders / "orders/orders/settings.py").write_text(FILES["orders/orders/settings.py"], "utf-8")
    (orders / "orders/orders/pricing_client.py").rename(orders / "orders/orders/client.py")
    assert rescan(orders, catalog, tmp_path) == first  # back as it was: the first outcome again


def test_a_changed_rule(orders, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    requests_rule = rules / "python" / "http" / "requests.yaml"
    first = rescan(orders, load_catalog([rules]), tmp_path)
    assert '"rule": "python.http.requests"' in first
    text = requests_rule.read_text("utf-8")
    assert "confidence: high" in text
    requests_rule.write_text(text.replace("confidence: high", "confidence: low", 1), "utf-8")
    changed = rescan(orders, load_catalog([rules]), tmp_path)
    assert changed != first and '"confidence": "low"' in changed


def test_a_file_rewritten_with_the_same_size_and_mtime_is_read_again(orders, catalog, tmp_path):
    settings = orders / "orders/orders/settings.py"
    first = rescan(orders, catalog, tmp_path)
    before = settings.stat()
    settings.write_text("TIMEOUT = 9\n", "utf-8")  # same size
    os.utime(settings, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime
    assert settings.stat().st_size == before.st_size and settings.stat().st_mtime_ns == before.st_mtime_ns
    again = rescan(orders, catalog, tmp_path)
    assert again != first and '"timeout_ms": 9000' in again


def test_the_stat_memo_trusts_only_a_status_older_than_the_racy_window(tmp_path):
    path = str(tmp_path / "f.py")
    reads: list[bytes] = []

    def reader(data: bytes):
        def read() -> bytes:
            reads.append(data)
            return data

        return read

    now = time.time_ns()
    fresh = SimpleNamespace(st_size=4, st_mtime_ns=now, st_ctime_ns=now, st_ino=7)  # changed just now: racy
    old = SimpleNamespace(st_size=4, st_mtime_ns=now - 3 * RACY_NS, st_ctime_ns=now - 3 * RACY_NS, st_ino=7)
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        a = cache.digest(path, fresh, reader(b"aaaa"))
        b = cache.digest(path, fresh, reader(b"bbbb"))  # same status, but recorded within the window: hashed again
        assert a != b and reads == [b"aaaa", b"bbbb"]
        c = cache.digest(path, old, reader(b"cccc"))  # another status: hashed
        assert cache.digest(path, old, reader(b"dddd")) == c  # an old status recorded: trusted
        assert reads == [b"aaaa", b"bbbb", b"cccc"]
    with ExtractionCache(tmp_path, salt=b"t") as cache:  # kept in the store
        assert cache.digest(path, old, reader(b"eeee")) == c
        moved = SimpleNamespace(st_size=4, st_mtime_ns=old.st_mtime_ns, st_ctime_ns=old.st_ctime_ns, st_ino=8)  # renamed over
        assert cache.digest(path, moved, reader(b"ffff")) != c
    assert reads == [b"aaaa", b"bbbb", b"cccc", b"ffff"]


def test_a_change_that_leaves_the_files_results_as_they_were_reuses_the_outcome(orders, catalog, tmp_path, counted):
    rescan(orders, catalog, tmp_path)
    client = orders / "orders/orders/client.py"
    client.write_text(client.read_text("utf-8") + "# a comment\n", "utf-8")
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = scan(orders, catalog=catalog, cache=cache)
        # read: the last scan's state and outcome, and the changed file's old results (one a pass
        # that ran it) to compare with its new ones; no other file's entry is decoded
        assert cache.stats.hits == 2 + counted["orders/orders/client.py"]
    assert set(counted) == {"orders/orders/client.py"}  # only the changed file, in each pass that ran it
    assert warm.stats["cache_misses"] == counted["orders/orders/client.py"] and warm.stats["cache_hits"] > 0
    uncached = scan(orders, catalog=catalog, cache=None)
    assert json_out.dumps(warm.to_json()) == json_out.dumps(uncached.to_json())
    assert warm.stats["lines"] == uncached.stats["lines"] and warm.stats["lines_parsed"] == uncached.stats["lines_parsed"]
    assert warm.call_index.services == uncached.call_index.services  # (built from the stored summaries when read)
    counted.clear()
    assert rescan(orders, catalog, tmp_path, counted) == json_out.dumps(uncached.to_json())
    assert not counted


def test_a_change_to_a_file_without_a_result_is_not_cut_off(orders, catalog, tmp_path):
    worker = orders / "orders/orders/worker.py"
    worker.write_text("def work(item):\n    return item\n", "utf-8")  # no rule's words: no result
    first = rescan(orders, catalog, tmp_path)
    assert "orders/orders/worker.py" not in first
    worker.write_text('from .session import session\n\n\ndef work(item):\n    return session.get(f"http://stock:8080/w/{item}", timeout=1)\n', "utf-8")
    changed = rescan(orders, catalog, tmp_path)  # the second pass finds it by its text: the object another module exports
    assert '"file": "orders/orders/worker.py"' in changed


def test_a_change_that_leaves_a_passes_answers_about_a_files_text_is_cut_off(orders, catalog, tmp_path, counted):
    worker = orders / "orders/orders/worker.py"
    worker.write_text("def work(item):\n    return item\n", "utf-8")  # no result; the second pass looks for `session` in its text
    rescan(orders, catalog, tmp_path)
    worker.write_text(worker.read_text("utf-8") + "# a comment\n", "utf-8")
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = scan(orders, catalog=catalog, cache=cache)
        # the last scan's state and outcome, and the changed file's old first-pass entry: the cut-off
        assert cache.stats.hits == 3 and warm.stats["cache_misses"] == 1
    assert not counted  # (the prefilter drops it: not extracted)
    uncached = scan(orders, catalog=catalog, cache=None)
    assert json_out.dumps(warm.to_json()) == json_out.dumps(uncached.to_json())
    assert warm.stats["lines"] == uncached.stats["lines"] and warm.stats["lines_parsed"] == uncached.stats["lines_parsed"]
    worker.write_text(worker.read_text("utf-8") + "# no session here\n", "utf-8")  # the pass's answer changes: the scan runs
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        again = scan(orders, catalog=catalog, cache=cache)
        assert cache.stats.hits > 3
    assert json_out.dumps(again.to_json()) == json_out.dumps(scan(orders, catalog=catalog, cache=None).to_json())


def test_a_file_extracted_by_a_later_pass_only_is_cut_off_with_its_lines_counted(orders, catalog, tmp_path, counted):
    settings = orders / "orders/orders/settings.py"  # no result of its own: the dependency pass extracts it (client.py's TIMEOUT)
    rescan(orders, catalog, tmp_path)
    settings.write_text("TIMEOUT = 3\n\n\n# the pricing timeout\n", "utf-8")
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = scan(orders, catalog=catalog, cache=cache)
        assert cache.stats.hits == 2 + 2  # state, outcome, and its two old entries (first pass, dependency pass)
    assert set(counted) == {"orders/orders/settings.py"}
    uncached = scan(orders, catalog=catalog, cache=None)
    assert json_out.dumps(warm.to_json()) == json_out.dumps(uncached.to_json())
    assert warm.stats["lines"] == uncached.stats["lines"] and warm.stats["lines_parsed"] == uncached.stats["lines_parsed"]
    assert warm.call_index.services == uncached.call_index.services


@pytest.mark.parametrize("sample", test_cache.SAMPLES, ids=lambda p: p.name)
def test_cold_warm_and_every_source_file_changed_give_the_facts_of_an_uncached_scan(sample, catalog, tmp_path):
    """Each sample monorepo: cold, warm, then every source file with a blank line appended (up to
    ``CUTOFF_FILES`` changed files the cut-off re-extracts and re-asks each of them; past it the scan
    runs from the files' entries), each byte-identical to an uncached scan of the same tree."""
    root = tmp_path / "repo"
    shutil.copytree(sample, root, ignore=shutil.ignore_patterns(".contracts-cache"))
    folder = tmp_path / "cache"
    folder.mkdir()
    first = rescan(root, catalog, folder)
    assert rescan(root, catalog, folder) == first
    sources = sorted(p for p in root.rglob("*") if p.is_file() and rules_language_of(p.relative_to(root).as_posix()) is not None)
    assert sources
    for path in sources:
        path.write_bytes(path.read_bytes() + b"\n")
    with ExtractionCache(folder, salt=b"t") as cache:
        changed = scan(root, catalog=catalog, cache=cache)
    uncached = scan(root, catalog=catalog, cache=None)
    assert json_out.dumps(changed.to_json()) == json_out.dumps(uncached.to_json())
    assert {k: changed.stats[k] for k in ("files", "files_parsed", "lines", "lines_parsed")} == {
        k: uncached.stats[k] for k in ("files", "files_parsed", "lines", "lines_parsed")
    }
    assert changed.call_index.services == uncached.call_index.services


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    return root


SHIPPING = "shipping/src/main/java/com/acme/shipping/"
JAVA_MAKERS = {  # CartHelper's URL is the argument another file passes to its constructor (scan's maker pass)
    "shipping/pom.xml": "<project><artifactId>shipping</artifactId></project>\n",
    SHIPPING + "CartHelper.java": (
        "package com.acme.shipping;\n\nimport java.io.IOException;\n\n"
        "import org.apache.http.client.methods.CloseableHttpResponse;\nimport org.apache.http.client.methods.HttpPost;\n"
        "import org.apache.http.impl.client.CloseableHttpClient;\nimport org.apache.http.impl.client.HttpClients;\n\n"
        "public class CartHelper {\n    private String baseUrl;\n\n"
        "    public CartHelper(String baseUrl) {\n        this.baseUrl = baseUrl;\n    }\n\n"
        "    public String addToCart(String id) {\n        try (CloseableHttpClient httpClient = HttpClients.createDefault()) {\n"
        "            CloseableHttpResponse res = httpClient.execute(new HttpPost(baseUrl + id));\n"
        '            return res.getStatusLine().toString();\n        } catch (IOException e) {\n            return "";\n        }\n    }\n}\n'
    ),
    SHIPPING + "Controller.java": (
        "package com.acme.shipping;\n\npublic class Controller {\n    public String confirm(String id) {\n        return id;\n    }\n}\n"
    ),
}
JAVA_MADE = '        return new CartHelper("http://cart:8080/shipping/").addToCart(id);\n'


CHECKOUT = "checkout/src/"
TS_MAKERS = {  # OrdersApi's base path is the argument another module passes to its constructor
    "checkout/package.json": '{ "name": "checkout", "version": "1.0.0", "dependencies": { "request": "^2.88.0" } }\n',
    CHECKOUT + "ordersApi.ts": (
        "import localVarRequest from 'request';\n\nexport class OrdersApi {\n  private base: string;\n\n"
        "  constructor(base: string) {\n    this.base = base;\n  }\n\n"
        "  public create(order: any, cb: any) {\n    localVarRequest({ method: 'POST', uri: this.base + '/orders', json: true, body: order }, cb);\n  }\n}\n"
    ),
    CHECKOUT + "module.ts": "import { OrdersApi } from './ordersApi';\n\nexport const name = 'checkout';\n",
}
TS_MADE = "export const orders = new OrdersApi('http://orders:8080');\n"


GATEWAY = "gateway/src/main/java/demo/"
SPRING_BEANS = {  # CustomersClient's builder is the service's @Bean when Beans.java declares one
    "gateway/pom.xml": "<project><artifactId>gateway</artifactId></project>\n",
    GATEWAY + "CustomersClient.java": (
        "package demo;\n\nimport org.springframework.stereotype.Component;\n"
        "import org.springframework.web.reactive.function.client.WebClient;\nimport reactor.core.publisher.Mono;\n\n"
        "@Component\npublic class CustomersClient {\n    private final WebClient.Builder webClientBuilder;\n\n"
        "    public CustomersClient(WebClient.Builder webClientBuilder) {\n        this.webClientBuilder = webClientBuilder;\n    }\n\n"
        "    public Mono<String> getOwner(int ownerId) {\n"
        '        return webClientBuilder.build().get().uri("http://customers/owners/{ownerId}", ownerId).retrieve().bodyToMono(String.class);\n'
        "    }\n}\n"
    ),
    GATEWAY + "Beans.java": (
        "package demo;\n\nimport org.springframework.context.annotation.Bean;\n"
        "import org.springframework.web.reactive.function.client.WebClient;\n\n"
        "public class Beans {\n    public WebClient.Builder builder() {\n        return WebClient.builder();\n    }\n}\n"
    ),
}


BEAN = "    @Bean\n    public WebClient.Builder"


@pytest.mark.parametrize(
    ("files", "rel", "old", "new", "gained_text"),
    [
        (JAVA_MAKERS, SHIPPING + "Controller.java", "        return id;\n", JAVA_MADE, '"url": "http://cart:8080/shipping/{id}"'),
        (TS_MAKERS, CHECKOUT + "module.ts", "export const name = 'checkout';\n", TS_MADE, '"url": "http://orders:8080/orders"'),
        (SPRING_BEANS, GATEWAY + "Beans.java", "    public WebClient.Builder", BEAN, '"kind": "missing_timeout"'),
    ],
    ids=["java-new", "typescript-new", "spring-bean"],
)
def test_a_file_gaining_and_losing_what_a_linked_module_index_reads(files, rel, old, new, gained_text, catalog, tmp_path):
    """A file gains, then loses, what the frontend's linked-module index reads of it (Controller.java:
    ``new CartHelper(URL)``, with no rule's words, the prefilter drops it before and after; module.ts:
    ``new OrdersApi(URL)``; Beans.java: ``@Bean`` on the builder CustomersClient receives, whose bare
    build has no timeout): the other file's facts change, in a warm scan and in an uncached one of the
    same process (no index kept from the last scan's tree), then come back."""
    root = write_tree(tmp_path / "repo", files)
    first = rescan(root, catalog, tmp_path)
    assert gained_text not in first
    edit(root / rel, old, new)
    assert gained_text in rescan(root, catalog, tmp_path)
    edit(root / rel, new, old)
    assert rescan(root, catalog, tmp_path) == first


def test_a_change_that_leaves_what_the_construction_index_reads_is_cut_off(catalog, tmp_path, counted):
    """A comment added to a file constructing CartHelper: the index's answers about its text (its
    classes constructed) are the same, so the re-scan keeps the outcome after re-extracting it only."""
    root = write_tree(tmp_path / "repo", JAVA_MAKERS)
    controller = root / SHIPPING / "Controller.java"
    edit(controller, "        return id;\n", JAVA_MADE)
    rescan(root, catalog, tmp_path)
    controller.write_text(controller.read_text("utf-8") + "// the cart\n", "utf-8")  # the same classes constructed
    counted.clear()
    with ExtractionCache(tmp_path, salt=b"t") as cache:
        warm = scan(root, catalog=catalog, cache=cache)
        # read: the last scan's state and outcome, and Controller's two old entries (first pass, maker
        # pass) to compare with its new results: the cut-off holds, no other file's entry is decoded
        assert cache.stats.hits == 2 + 2
    assert set(counted) == {SHIPPING + "Controller.java"}
    uncached = scan(root, catalog=catalog, cache=None)
    assert json_out.dumps(warm.to_json()) == json_out.dumps(uncached.to_json())
    assert '"url": "http://cart:8080/shipping/{id}"' in json_out.dumps(warm.to_json())


def test_a_csharp_project_gaining_and_losing_a_reference(catalog, tmp_path):
    """Checkout.csproj's reference to the class library whose typed client Program.cs registers:
    dropped, the client's facts change in a warm and an uncached scan of the same process (no
    index of the projects kept from the last scan's tree), then come back."""
    root = tmp_path / "repo"
    for name in ("checkout", "inventory-client"):
        shutil.copytree(REPO / "fixtures/rules/csharp/http/httpclient" / name, root / name)
    reference = '    <ProjectReference Include="..\\inventory-client\\InventoryClient.csproj" />\n'
    first = rescan(root, catalog, tmp_path)
    assert '"url": "http://orders:8080/levels"' in first  # the base address checkout's registration gives
    edit(root / "checkout/Checkout.csproj", reference, "")
    assert '"url": "http://orders:8080/levels"' not in rescan(root, catalog, tmp_path)
    edit(root / "checkout/Checkout.csproj", "  <ItemGroup>\n", "  <ItemGroup>\n" + reference)
    assert rescan(root, catalog, tmp_path) == first


WRAPPED = {
    "shop/pyproject.toml": '[project]\nname = "shop"\ndependencies = ["requests"]\n',
    "shop/shop/http.py": "import requests\n\n\ndef fetch(url, timeout=4):\n    return requests.get(url, timeout=timeout)\n",
    "shop/shop/prices.py": 'from .http import fetch\n\n\ndef price(item):\n    return fetch(f"http://pricing:8000/price/{item}", timeout=2)\n',
    "shop/shop/stock.py": 'from .http import fetch\n\n\ndef stock(item):\n    return fetch(f"http://stock:8080/stock/{item}")\n',
    "shop/shop/plain.py": "def nothing():\n    return 1\n",
}


def through(out: str) -> dict[str, int | None]:
    """The wrapper's call sites in a scan's JSON: the site's URL → its timeout."""
    facts = json.loads(out)["facts"]
    return {entry["url"]: entry.get("timeout_ms") for f in facts for entry in f.get("through") or ()}


def test_a_wrappers_call_sites_after_changes_of_either_side(catalog, tmp_path, counted, monkeypatch):
    """The wrapper pass and the link stage after a change that alters results: the through entries
    of fetch (http.py) made by its callers (prices.py, stock.py) follow a change of the caller's
    timeout, of the wrapper's default, a renamed export, a deleted caller; each re-scan equals an
    uncached scan. Files unchanged since the last scan are neither asked again what the passes ask
    of their text nor derived again (``link.passed_on``, ``scan._names_called``) from their results."""
    from extractor import link
    from extractor import scan as scan_module

    root = write_tree(tmp_path / "repo", WRAPPED)
    folder = tmp_path / "cache"
    folder.mkdir()
    pricing, stocking = "http://pricing:8000/price/{item}", "http://stock:8080/stock/{item}"
    assert through(rescan(root, catalog, folder)) == {pricing: 2000, stocking: 4000}
    asked: list[tuple[str, object]] = []
    derived: list[str] = []
    real_ask, real_passed_on = scan_module._ask, link.passed_on
    monkeypatch.setattr(scan_module, "_ask", lambda data, question, arg: asked.append((question, arg)) or real_ask(data, question, arg))
    monkeypatch.setattr(link, "passed_on", lambda summary: derived.append(summary.module) or real_passed_on(summary))
    real_names_called = scan_module._names_called
    monkeypatch.setattr(scan_module, "_names_called", lambda summary: derived.append("names " + summary.module) or real_names_called(summary))

    def warm() -> str:
        asked.clear()
        derived.clear()
        counted.clear()
        with ExtractionCache(folder, salt=b"t") as cache:
            out = json_out.dumps(scan(root, catalog=catalog, cache=cache).to_json())
        seen = list(asked), list(derived), Counter(counted)  # (the warm scan's, not the uncached one's)
        assert out == facts(root, catalog, None)
        asked[:], derived[:] = seen[0], seen[1]
        counted.clear()
        counted.update(seen[2])
        return out

    edit(root / "shop/shop/prices.py", "timeout=2", "timeout=6")  # the caller's timeout
    assert through(warm()) == {pricing: 6000, stocking: 4000}
    assert set(counted) == {"shop/shop/prices.py"} and "shop.stock" not in derived
    assert "names shop.prices" in derived and "names shop.stock" not in derived  # the changed file's names called, derived again; the others' kept
    edit(root / "shop/shop/http.py", "timeout=4", "timeout=9")  # the wrapper's default: stock.py's site takes it
    assert through(warm()) == {pricing: 6000, stocking: 9000}
    assert set(counted) == {"shop/shop/http.py"}
    assert not asked  # stock.py and prices.py unchanged: the wrapper pass's questions about their text answered from the record
    assert "shop.stock" not in derived and "shop.prices" not in derived
    assert not {"names shop.stock", "names shop.prices"} & set(derived)
    edit(root / "shop/shop/http.py", "def fetch(", "def get_url(")  # a renamed export: its callers no longer call it
    assert through(warm()) == {}
    edit(root / "shop/shop/prices.py", "import fetch", "import get_url")
    edit(root / "shop/shop/prices.py", "return fetch(", "return get_url(")
    assert through(warm()) == {pricing: 6000}
    (root / "shop/shop/prices.py").unlink()  # a deleted caller
    assert through(warm()) == {}
    edit(root / "shop/shop/http.py", "def get_url(", "def fetch(")
    assert through(warm()) == {stocking: 9000}
