"""A file's extraction records the names it looked up among other files' objects (``FileResult.asked``);
the scan's second pass re-extracts a file only when the objects it is given differ under one of them."""

from __future__ import annotations

import dataclasses

from extractor.cache import encode_plain
from extractor.frontends import frontend_for
from extractor.frontends.base import FileResult
from extractor.frontends.testing import select_rules
from extractor.scan import Task, _changing
from extractor.values import Obj

APP = b"from .clients import session\nfrom .names import LIMIT\n\n\ndef go(url):\n    return session.get(url, timeout=LIMIT)\n"


def _extract(source: bytes, rel: str, module: str, given: dict[str, Obj] | None = None) -> FileResult:
    fe = frontend_for("python")
    assert fe is not None
    return fe.extract(rel, source, fe.compile(select_rules("python", ["python.http.requests"])), module, given)


def _session() -> Obj:
    made = _extract(b"import requests\nsession = requests.Session()\n", "svc/clients.py", "svc.clients").exports["session"]
    assert isinstance(made, Obj)
    return made


def _task(given: dict[str, Obj]) -> Task:
    return Task("/x", "svc/app.py", "python", "svc.app", 1 << 20, tuple(sorted(given.items())), True)


def test_the_names_looked_up_with_what_was_found() -> None:
    alone = _extract(APP, "svc/app.py", "svc.app")
    assert alone.asked is not None
    assert ("svc.clients.session", None) in alone.asked and ("svc.names.LIMIT", None) in alone.asked
    assert alone.facts == []  # the imported session is unknown: no call of requests
    session = _session()
    given = _extract(APP, "svc/app.py", "svc.app", {"svc.clients.session": session})
    assert given.asked is not None
    assert ("svc.clients.session", session) in given.asked
    assert [(f.kind, f.line) for f in given.facts] == [("http_call", 6)]


def test_objects_under_names_not_looked_up_change_nothing() -> None:
    alone = _extract(APP, "svc/app.py", "svc.app")
    other = _extract(APP, "svc/app.py", "svc.app", {"svc.other.session": _session()})
    assert alone.asked is not None
    assert "svc.other.session" not in dict(alone.asked)
    assert encode_plain(other) == encode_plain(alone)  # the same result: what the second pass does not recompute


def test_only_a_file_given_another_object_under_a_name_it_looked_up_is_extracted_again() -> None:
    session = _session()
    alone = _extract(APP, "svc/app.py", "svc.app")
    given = _extract(APP, "svc/app.py", "svc.app", {"svc.clients.session": session})
    unrelated, used = _task({"svc.other.session": session}), _task({"svc.clients.session": session})
    assert _changing([unrelated, used], {"svc/app.py": alone}) == [used]
    assert _changing([used], {"svc/app.py": given}) == []  # extracted with it already
    changed = Obj("requests.Session", (), "Session", "svc/clients.py#2")
    assert _changing([_task({"svc.clients.session": changed})], {"svc/app.py": given}) != []
    assert _changing([used], {"svc/app.py": dataclasses.replace(alone, asked=None)}) == [used]  # not recorded: extracted
    assert _changing([used], {}) == [used]  # no result yet
