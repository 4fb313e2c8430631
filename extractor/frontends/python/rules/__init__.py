"""Python rules whose logic is not data (``impl:`` in a rule file). Same header, fixtures and docs."""

from __future__ import annotations

from typing import Sequence

import libcst as cst


def block(body: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    """The statements of a suite: an indented block's, or a one-line suite's as one statement line."""
    if isinstance(body, cst.IndentedBlock):
        return body.body
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return []
