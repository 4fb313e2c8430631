"""Calls made inside a library module of the repository, carried to the services calling it
(extractor/carry.py). The sample is fixtures/monorepos/shared-client (its README says what each
call is)."""

from __future__ import annotations

from .samples import MONOREPOS, run_json

SAMPLE = MONOREPOS / "shared-client"
LIBRARY = "common/client/src/main/java/com/acme/client/"


def test_library_calls_become_the_calling_services_edges():
    graph = run_json("graph", SAMPLE, "--no-cache")
    edges = {(e["source"], e["target"]) for e in graph["edges"] if e["kind"] == "call"}
    assert edges == {
        ("service:frontend", "service:billing"),  # Remote.ping(): the library passes Backend.BILLING itself
        ("service:frontend", "service:orders"),  # the frontend's own Balancer.call(Backend.ORDERS, ..., client -> ...)
        ("service:frontend", "service:stock"),  # Remote.fetch("levels", Backend.STOCK, 2): an overload, the constant second
        ("service:orders", "service:billing"),  # Remote.fetch(Backend.BILLING, ...): the wrapper passes its parameter on
    }  # not: Backend.ARCHIVE (names no service), Remote.tagged(Backend.STOCK, ...) (tags the call only), fetch(pick(args), ...)


def test_the_carried_facts_and_what_they_read():
    scan = run_json("scan", SAMPLE, "--no-cache")
    calls = [f for f in scan["facts"] if f["kind"] == "http_call"]
    placed = {(f["service"], f["file"].rpartition("/")[2], f["line"], (f["target"] or {}).get("service")) for f in calls}
    assert placed == {
        (None, "Registry.java", 12, None),  # the registry lookup: to the registry, whatever service it is asked about
        (None, "Remote.java", 9, None),  # the library's own facts stay as they were
        (None, "Remote.java", 14, None),
        (None, "Remote.java", 18, None),
        (None, "Remote.java", 24, None),
        ("orders", "OrdersApp.java", 8, "billing"),  # carried to the service's call site
        ("frontend", "FrontendApp.java", 10, "billing"),
        ("frontend", "FrontendApp.java", 12, "stock"),
        ("frontend", "FrontendApp.java", 16, "orders"),  # the service's own call: its target named by the enclosing call
    }
    fetch = next(f for f in calls if f["service"] == "orders")
    assert fetch["target"] == {"service": "billing", "host": None, "port": None, "via": "constant", "expr": "Backend.BILLING"}
    assert fetch["method"] == "GET" and fetch["rule"] == "java.http.jaxrs-client"
    assert [(t["file"], t["line"], t["target"]["service"]) for t in fetch["through"]] == [
        ("orders/src/main/java/com/acme/orders/OrdersApp.java", 8, "billing"),  # the service's call of the wrapper
        (LIBRARY + "Remote.java", 9, "billing"),  # the library's call
    ]
    own = next(f for f in calls if f["file"].endswith("FrontendApp.java") and f["line"] == 16)
    assert own["target"]["via"] == "constant" and own["target"]["expr"] == "Backend.ORDERS" and "through" not in own
    assert len({f["id"] for f in scan["facts"]}) == len(scan["facts"])
