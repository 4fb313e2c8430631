"""JSON output: sorted, stable, UTF-8; the schemas in docs/schemas/ describe it."""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
