"""A streaming quantile sketch with a bounded relative error.

Values fall into logarithmic buckets: bucket ``i`` holds the values in ``(γ^(i-1), γ^i]`` with
``γ = (1 + α) / (1 - α)``, and a quantile is read as the midpoint ``2γ^i / (γ + 1)`` of the bucket
that holds the rank, so every estimate is within ``α`` (relative) of a value the stream really held
at that rank. With ``α = 1 %`` the latencies from 1 µs to 1 hour take at most about 1,100 buckets,
whatever the number of values: memory does not grow with the export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

RELATIVE_ERROR = 0.01
"""The sketch's relative accuracy α: a reported quantile is within 1 % of a true value of that rank."""

_MIN_MS = 1e-3  # values at or below 1 µs share the lowest bucket


@dataclass
class Sketch:
    """Counts per logarithmic bucket of milliseconds (``RELATIVE_ERROR``), mergeable."""

    alpha: float = RELATIVE_ERROR
    buckets: dict[int, int] = field(default_factory=dict)
    count: int = 0
    low: float = math.inf
    high: float = 0.0

    def __post_init__(self) -> None:
        self._gamma = (1 + self.alpha) / (1 - self.alpha)
        self._log_gamma = math.log(self._gamma)

    def add(self, ms: float, times: int = 1) -> None:
        if times <= 0:
            return
        ms = max(ms, _MIN_MS)
        key = math.ceil(math.log(ms) / self._log_gamma)
        self.buckets[key] = self.buckets.get(key, 0) + times
        self.count += times
        self.low = min(self.low, ms)
        self.high = max(self.high, ms)

    def merge(self, other: Sketch) -> None:
        for key, n in other.buckets.items():
            self.buckets[key] = self.buckets.get(key, 0) + n
        self.count += other.count
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)

    def quantile(self, q: float) -> float | None:
        """The value at quantile ``q`` (0..1), within ``alpha`` of a true value of that rank; None when empty."""
        if not self.count:
            return None
        rank = q * (self.count - 1)
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen > rank:
                value = 2 * self._gamma**key / (self._gamma + 1)
                return min(max(value, self.low), self.high)
        return self.high
