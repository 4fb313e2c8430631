"""What ``contracts fix`` plans: one ``Fix`` per code change a finding's resolution asks for.

A fix names the finding it resolves, what it does (``kind``), the fact it edits (the rule's match at a
``file:line:col``) and the value it writes (a timeout, a number of attempts). The planner
(``extractor.fix.plan``) builds them from findings; the fixture cases under ``fixtures/fixes/`` state
them directly, so every codemod is tested without a whole repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = {
    "timeout": "add the declared timeout to a call that has none",
    "id-before-retry": "generate the id once, before the retry, instead of on every attempt",
    "retry-attempts": "narrow a retry to the declared number of attempts",
    "idempotency-key": "send the provider's idempotency-key header from a stable id (or one generated before the retry loop)",
    "contract-line": "a value of the service's own contract the code fix makes true (generates_new_request_id: false)",
}
"""Every ``kind`` of fix and what it does."""


class Unsafe(Exception):
    """A fix that cannot be applied safely here; the message says why (it is printed as a suggestion)."""


@dataclass(frozen=True)
class Fix:
    """One change: ``kind`` at the fact of ``rule`` on ``file``:``line``:``col`` (1-based), with ``value``."""

    finding: str
    kind: str
    file: str  # relative to the scanned root, POSIX
    line: int
    col: int
    rule: str
    value: Any  # timeout: milliseconds; retry-attempts: attempts; id-before-retry: the variable; idempotency-key: the header
    language: str = "python"
    policy: tuple[int, int] = (0, 0)  # id-before-retry, idempotency-key: the retry's line and column
    text: str = ""  # what the fix does, in words

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fix:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("policy", "value"):
            if isinstance(known.get(key), list):
                known[key] = tuple(known[key])
        return cls(**known)


@dataclass
class Outcome:
    """What became of one fix: ``fixed`` (its change is in ``after``) or ``suggestion`` (``reason``)."""

    fix: Fix
    status: str  # fixed | suggestion
    reason: str = ""


@dataclass
class FileChange:
    """One file's text before and after its fixes, and the hash of the text the plan was made from."""

    file: str
    before: str
    after: str
    sha256: str
    fixes: list[Fix] = field(default_factory=list)


def seconds_text(ms: float) -> str:
    """Milliseconds as a Python number of seconds: 500 → ``0.5``, 2000 → ``2``."""
    seconds = ms / 1000
    return str(int(seconds)) if seconds == int(seconds) else repr(round(seconds, 6))
