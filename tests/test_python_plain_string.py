"""The Python adapter reads a one-quote string literal without ``literal_eval`` when its value is
the text between the quotes; every literal it accepts must have that value under ``literal_eval``."""

from __future__ import annotations

import ast
import itertools

from extractor.frontends.treesitter.python import _plain_string

PIECES = ["a", "'", '"', "\\", "\n", "\r", "\x00", "\x85", "\u2028", "é", "\ufffd", "\t", "{", "}"]


def test_accepted_literals_mean_their_inner_text() -> None:
    accepted = 0
    for quote in ("'", '"'):
        for n in range(4):
            for inner in itertools.product(PIECES, repeat=n):
                text = quote + "".join(inner) + quote
                if _plain_string(text):
                    accepted += 1
                    assert ast.literal_eval(text) == text[1:-1], text
    assert accepted > 1000


def test_other_literals_are_left_to_literal_eval() -> None:
    for text in ['"a\\nb"', "'it\\'s'", '"""x"""', "'''x'''", '"a\nb"', "'a\"", '"', "b'x'", "''''"]:
        assert not _plain_string(text), text
    assert _plain_string('""') and _plain_string("'say \"hi\"'")
