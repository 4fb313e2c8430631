"""The later passes' ``word`` question (scan._has_word) answers as the alternation pattern it replaced."""

from __future__ import annotations

import re

import pytest

from extractor.scan import _ask, _has_word

TEXTS = [
    b"from .api import get\nget(url)\n",
    b"client.get_all(url)\n",  # a longer word: no
    b"x = 1\n",
    "caf\u00e9get(url)\n".encode(),  # after a non-ASCII letter: a word of the bytes, not of the decoded text
    b"\xffget(url)\n",  # after an undecodable byte: a word of both
    "\u00e9t\u00e9 = 1\n".encode(),
    b"",
]
NAMES = [("get",), ("get", "post"), ("get_all",), ("\u00e9t\u00e9",), ("",), ("a-b", "get"), ("nothing",)]


@pytest.mark.parametrize("names", NAMES)
@pytest.mark.parametrize("data", TEXTS)
def test_whole_words_as_the_pattern_finds_them(data: bytes, names: tuple[str, ...]) -> None:
    in_bytes = re.search(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")\b", data) is not None
    in_text = re.search(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b", data.decode("utf-8", "replace")) is not None
    assert _has_word(data, names, False) is in_bytes
    assert _has_word(data, names, True) is in_text


def test_the_question_through_ask() -> None:
    assert _ask(b"import api\napi.get(u)\n", "word", (("get",), False)) is True
    assert _ask("caf\u00e9get()".encode(), "word", (("get",), True)) is False
    assert _ask(None, "word", (("get",), False)) is None  # unreadable
