"""The idempotency rule skips a function whose text holds none of the words its hints need
(``IdempotencyKeys.has_words``): the skip must never hide a function the rule's own hints
(``params_hint`` / ``body_hint``) would look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.catalog import load_catalog
from extractor.frontends.treesitter.python_rules import idempotency
from extractor.scan import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def rule() -> idempotency.IdempotencyKeys:
    found = load_catalog().get("python.idempotency.handlers")
    assert found is not None
    return idempotency.IdempotencyKeys(found)


# names and header values the rule's patterns match, in the spellings code uses
MATCHED = [
    "tx_id", "TX_ID", "payment_uuid", "event_key", "msg_nonce", "nonce", "idempotency_key", "IdempotencyKey",
    "dedup_token", "Dedup", "Idempotency-Key", "X-Idempotency-Key", "X-Request-ID", "x_request_id", "requestId",
    "RequestID", "HTTP_X_REQUEST_ID", "HTTP_IDEMPOTENCY_KEY", "Deduplication-Id", "idem", "order_idem_key",
]  # fmt: skip


def _found(rule: idempotency.IdempotencyKeys, code: str) -> bool:
    data = code.encode()
    return rule.has_words(data, 0, len(data))


@pytest.mark.parametrize("name", MATCHED)
def test_every_name_the_patterns_match_is_found(rule: idempotency.IdempotencyKeys, name: str) -> None:
    assert rule.name_re.search(name) or rule.header_re.search(name.removeprefix("HTTP_")) or rule.key_name_re.search(name)
    for code in (f"def f(a):\n    return a[{name!r}]\n", f"def f({name}):\n    return 1\n", f"def f(r):\n    return r.{name}\n"):
        assert _found(rule, code), code


def test_common_words_are_not_found(rule: idempotency.IdempotencyKeys) -> None:
    """The point of the skip: most functions hold no such word (``valid``, ``monkey``, ``width``)."""
    assert not _found(rule, "def check(valid, monkey, width, grid, user_idx):\n    return valid(monkey.keys(), width) + grid.void\n")
    assert not _found(rule, "def f(headers):\n    return headers\n")
    assert _found(rule, "def f(x: str = Header(None)):\n    pass\n")  # the header_parameter option
    assert _found(rule, "def f(x):\n    return x['\\x69d']\n")  # an escape may spell one
    assert _found(rule, "def f(x):\n    return x.id")  # at the very end of the function
    source = b"x = 1\ndef f(a):\n    return a\ny_id = 2\n"
    assert not rule.has_words(source, 6, source.index(b"\ny_id"))  # only the function's own text counts


def test_the_skip_hides_no_hinted_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the rule's fixtures and the sample monorepos, every function a hint would look at
    holds one of the words."""
    seen: list[tuple[str, int, bool, bool]] = []
    after = idempotency.IdempotencyKeys.after_function

    def check(self: idempotency.IdempotencyKeys, an: object, node: object, scope: object) -> None:
        hinted = self.params_hint(an, node) or self.body_hint(an, node.child_by_field_name("body"))  # type: ignore[attr-defined]
        found = self.has_words(an.source, node.start_byte, node.end_byte)  # type: ignore[attr-defined]
        seen.append((an.path, node.start_point[0] + 1, hinted, found))  # type: ignore[attr-defined]
        after(self, an, node, scope)  # type: ignore[arg-type]

    monkeypatch.setattr(idempotency.IdempotencyKeys, "after_function", check)
    for root in (FIXTURES / "rules" / "python" / "idempotency", FIXTURES / "monorepos"):
        scan(root)
    assert len(seen) > 40
    assert [(path, line) for path, line, hinted, found in seen if hinted and not found] == []
    assert sum(1 for path, _, hinted, _ in seen if hinted and path.endswith("handlers.py")) >= 10
    assert any(not found for *_, found in seen)  # some are skipped
