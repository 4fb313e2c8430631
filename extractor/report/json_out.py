"""JSON output: sorted, stable, UTF-8; the schemas in docs/schemas/ describe it.

JSON has no infinity or NaN (Python would write ``Infinity``, which no JSON parser reads). Inputs
that could produce one are rejected where they are read (a contract duration over a year is an
error at its ``file:line``); should one still arrive here, it is written as ``null``, the value
every schema uses for "unknown", so the document stays valid JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any


def dumps(data: Any) -> str:
    try:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:  # a non-finite float somewhere
        return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
