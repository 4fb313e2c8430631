"""The Python adapter reads a decimal integer or a plain float literal without ``literal_eval``;
every literal it accepts must have that value (and type) under ``literal_eval``."""

from __future__ import annotations

import ast
import itertools

from extractor.frontends.treesitter.python import _plain_number

PIECES = ["0", "1", "7", "9", ".", "e", "_", "x", "j", "-", "٣", " "]


def test_accepted_literals_have_literal_evals_value() -> None:
    accepted = 0
    for n in range(1, 5):
        for parts in itertools.product(PIECES, repeat=n):
            text = "".join(parts)
            v = _plain_number(text)
            if v is None:
                continue
            accepted += 1
            expected = ast.literal_eval(text)
            assert type(v) is type(expected) and v == expected, text
    assert accepted > 500


def test_other_literals_are_left_to_literal_eval() -> None:
    for text in ["0x1F", "1_000", "1e3", "007", "1j", ".", "", "1.2.3", "٣", "1.5e-3", "0o7", "0b1"]:
        assert _plain_number(text) is None, text
    assert _plain_number("0") == 0 and _plain_number("000") == 0 and _plain_number("10.") == 10.0 and _plain_number(".5") == 0.5
