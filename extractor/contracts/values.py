"""The value mini-language of contract files, parsed into typed values.

Contract files are written by people, so values read like prose (``p95 < 200ms``,
``15-30s typical, 60s max``). Checks need numbers, so every value becomes a frozen dataclass
holding milliseconds. A small hand-written scanner does the parsing (no eval); a malformed
value raises ``ContractValueError`` naming what was expected.

Equality ignores the original spelling (``text``): ``500ms`` equals ``0.5s``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..durations import parse_duration as _duration_ms

UNITS = ("ms", "s", "m", "min", "h")
"""Duration units; the factors come from ``extractor.durations``."""

LIMIT_OPS = ("<", "<=")
PERCENTILE_OPS = ("<", "<=", "=")
BACKOFF_KINDS = ("none", "constant", "linear", "exponential")

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_UNIT = r"(?:ms|min|h|m|s)(?![A-Za-z0-9_])"
_DURATION_RE = re.compile(rf"({_NUMBER})\s*({_UNIT})")
_NUMBER_RE = re.compile(_NUMBER + r"(?![A-Za-z0-9_.])")
_BARE_RE = re.compile(_NUMBER)
_PERCENTILE_RE = re.compile(rf"[pP]({_NUMBER})(?![A-Za-z0-9_])")
_PERCENTILE_NUMBER_RE = re.compile(r"100(?:\.0+)?|[1-9][0-9]?(?:\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*")
_OP_RE = re.compile(r"<=|<|=")
_WORD_RE = re.compile(r"[A-Za-z_]+(?![A-Za-z0-9_])")
_NOTE_RE = re.compile(r"\(([^()]*)\)\s*$")

DURATION_EXAMPLE = "a duration like 500ms or 2s"
PERCENTILE_EXAMPLE = "a percentile like p95"


class ContractValueError(ValueError):
    """A value that does not follow the mini-language; ``str()`` says what was expected."""

    def __init__(self, expected: str, got: str, text: str | None = None, hint: str = "") -> None:
        self.expected = expected
        self.got = got
        self.text = text
        self.hint = hint
        where = f"in {json.dumps(text)}: " if text is not None else ""
        tail = f" ({hint})" if hint else ""
        super().__init__(f"{where}expected {expected}, got {got}{tail}")


def describe(value: Any) -> str:
    """How a YAML value is shown in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value) if value.strip() else "an empty string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return json.dumps(str(value))


# -- value types -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time: ``500ms`` → ``Duration(ms=500.0)``."""

    ms: float
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text or f"{self.ms:g}ms"


@dataclass(frozen=True, slots=True)
class Bound:
    """An upper limit: ``<10s`` is ``Bound("<", 10000.0)``; a plain ``10s`` means ``<=``."""

    op: str  # "<" | "<="
    ms: float
    note: str = ""
    text: str = field(default="", compare=False)

    def allows(self, ms: float) -> bool:
        return within(ms, self.op, self.ms)

    def __str__(self) -> str:
        return self.text or f"{self.op}{self.ms:g}ms"


def within(ms: float, op: str, limit: float) -> bool:
    """Whether ``ms`` satisfies the limit ``op limit`` (``<``, else ``<=``)."""
    return ms < limit if op == "<" else ms <= limit


@dataclass(frozen=True, slots=True)
class Percentile:
    """One percentile entry: a limit ``p95 < 200ms`` (op ``<``/``<=``) or a measurement ``p95=3200ms`` (op ``=``)."""

    p: float  # 95.0 for p95, 99.9 for p99.9
    op: str
    ms: float

    @property
    def label(self) -> str:
        return f"p{self.p:g}"

    @property
    def is_limit(self) -> bool:
        return self.op != "="

    def allows(self, ms: float) -> bool:
        """Whether a latency of ``ms`` at this percentile satisfies the entry read as a limit."""
        return within(ms, self.op, self.ms)

    def __str__(self) -> str:
        return f"{self.label} {self.op} {self.ms:g}ms"


@dataclass(frozen=True, slots=True)
class Percentiles(Mapping[float, Percentile]):
    """Percentile entries keyed by percentile number: ``pcts[95].ms``; ``pcts.ms(95)`` is None when absent."""

    entries: tuple[Percentile, ...]
    note: str = ""
    text: str = field(default="", compare=False)

    def __getitem__(self, p: float) -> Percentile:
        for entry in self.entries:
            if entry.p == p:
                return entry
        raise KeyError(p)

    def __iter__(self) -> Iterator[float]:
        return iter(entry.p for entry in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def ms(self, p: float) -> float | None:
        entry = self.get(p)
        return entry.ms if entry is not None else None

    def __str__(self) -> str:
        return self.text or ", ".join(map(str, self.entries))


@dataclass(frozen=True, slots=True)
class DurationRange:
    """What a provider offers: a typical range and/or a hard maximum (``15-30s typical, 60s max``).

    A single duration (``30s``) is a typical range of one point; ``<10s`` is a maximum.
    """

    typical_low_ms: float | None = None
    typical_high_ms: float | None = None
    maximum: Bound | None = None
    note: str = ""
    text: str = field(default="", compare=False)

    @property
    def worst_ms(self) -> float | None:
        """The largest value the provider admits to: the maximum, else the top of the typical range."""
        if self.maximum is not None:
            return self.maximum.ms
        return self.typical_high_ms

    def __str__(self) -> str:
        return self.text or _describe_range(self)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay between retries: ``exponential 100ms`` → kind ``exponential``, initial delay 100 ms."""

    kind: str  # one of BACKOFF_KINDS
    delay_ms: float | None = None
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text or (self.kind if self.delay_ms is None else f"{self.kind} {self.delay_ms:g}ms")


def _describe_range(r: DurationRange) -> str:
    parts = []
    if r.typical_low_ms is not None and r.typical_high_ms is not None:
        span = f"{r.typical_low_ms:g}ms" if r.typical_low_ms == r.typical_high_ms else f"{r.typical_low_ms:g}-{r.typical_high_ms:g}ms"
        parts.append(f"{span} typical")
    if r.maximum is not None:
        parts.append(f"{r.maximum.ms:g}ms max" if r.maximum.op == "<=" else f"<{r.maximum.ms:g}ms")
    return ", ".join(parts)


# -- scanner -------------------------------------------------------------------------------


class _Scanner:
    """Walks one value string; ``fail`` reports the expectation at the current position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        self.skip()
        m = pattern.match(self.text, self.pos)
        if m:
            self.pos = m.end()
        return m

    def literal(self, s: str) -> bool:
        self.skip()
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            return True
        return False

    def at_end(self) -> bool:
        self.skip()
        return self.pos >= len(self.text)

    def note(self) -> str | None:
        """A trailing ``(note)`` closing the value, or None."""
        self.skip()
        m = _NOTE_RE.match(self.text, self.pos)
        if m:
            self.pos = len(self.text)
            return m.group(1).strip()
        return None

    def fail(self, expected: str, hint: str = "") -> ContractValueError:
        self.skip()
        rest = self.text[self.pos :]
        token = rest.split(",", 1)[0].strip() or rest.strip()
        got = json.dumps(token) if token else "the end of the value"
        if self.text[: self.pos].strip():
            return ContractValueError(expected, got, self.text, hint)
        return ContractValueError(expected, describe(self.text), None, hint)

    def duration_token(self, expected: str = DURATION_EXAMPLE) -> re.Match[str]:
        m = self.match(_DURATION_RE)
        if m is None:
            bare = _NUMBER_RE.match(self.text, self.pos)
            raise self.fail(expected, f"add a unit: {_units_text()}" if bare else "")
        return m

    def duration(self, expected: str = DURATION_EXAMPLE) -> float:
        return _ms(self.duration_token(expected))


def _ms(m: re.Match[str]) -> float:
    """Milliseconds of a ``_DURATION_RE`` match, using the project's one table of unit factors."""
    return _ms_of(m.group(1) + m.group(2))


def _ms_of(text: str) -> float:
    """Milliseconds of a number and a unit."""
    ms = _duration_ms(text)
    # the pattern matched a number and a unit: no duration only when no float holds it (a
    # 5,000-digit value), which the loader's range check reports at its line
    return math.inf if ms is None else ms


def _units_text() -> str:
    return ", ".join(UNITS[:-1]) + " or " + UNITS[-1]


def _text_of(value: Any, expected: str, *, unit: str | None = None) -> str:
    """The string to parse; a YAML number is accepted only when ``unit`` says what it counts."""
    if isinstance(value, bool) or value is None:
        raise ContractValueError(expected, describe(value))
    if isinstance(value, (int, float)):
        if unit is None:
            raise ContractValueError(expected, describe(value), None, f"add a unit: {_units_text()}")
        return f"{value}{unit}"
    if not isinstance(value, str):
        raise ContractValueError(expected, describe(value))
    if not value.strip():
        raise ContractValueError(expected, describe(value))
    return value


# -- parsers -------------------------------------------------------------------------------


def parse_duration(value: Any, *, unit: str | None = None) -> Duration:
    """``500ms``, ``2s``, ``5m``, ``1h``, ``1.5s``; a bare number only when ``unit`` is given."""
    text = _text_of(value, DURATION_EXAMPLE, unit=unit)
    if unit is not None and unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    if unit is not None and _NUMBER_RE.fullmatch(text.strip()):
        text = text.strip() + unit
    s = _Scanner(text)
    ms = s.duration()
    if not s.at_end():
        raise s.fail("the end of the duration")
    return Duration(ms, text=str(value).strip())


BOUND_EXAMPLE = "a limit like <10s or <= 10s"


def parse_bound(value: Any) -> Bound:
    """``<10s``, ``<= 10s``, or a plain ``10s`` (read as ``<=``); an optional trailing ``(note)``."""
    text = _text_of(value, BOUND_EXAMPLE)
    s = _Scanner(text)
    op = "<="
    m = s.match(_OP_RE)
    if m is not None:
        if m.group(0) not in LIMIT_OPS:
            s.pos = m.start()
            raise s.fail(BOUND_EXAMPLE, "a requirement is an upper limit: use < or <=")
        op = m.group(0)
    ms = s.duration(BOUND_EXAMPLE if m is None else DURATION_EXAMPLE)
    note = s.note() or ""
    if not s.at_end():
        raise s.fail('the end of the limit or a "(note)"')
    return Bound(op, ms, note, text=text.strip())


PERCENTILES_EXAMPLE = "percentiles like p50=80ms, p95=150ms or p95 < 200ms"
LIMITS_EXAMPLE = "a percentile limit like p95 < 200ms"


def parse_percentiles(value: Any, *, limits_only: bool = False) -> Percentiles:
    """A comma-separated list of ``pNN <op> duration`` with an optional trailing ``(note)``.

    With ``limits_only`` (latency budgets) the operator must be ``<`` or ``<=``.
    """
    example = LIMITS_EXAMPLE if limits_only else PERCENTILES_EXAMPLE
    text = _text_of(value, example)
    s = _Scanner(text)
    entries: list[Percentile] = []
    while True:
        m = s.match(_PERCENTILE_RE)
        if m is None:
            raise s.fail(example if not entries else PERCENTILE_EXAMPLE)
        if not _PERCENTILE_NUMBER_RE.fullmatch(m.group(1)):
            s.pos = m.start()
            raise s.fail(PERCENTILE_EXAMPLE, "a percentile is above p0 and at most p100, written like p50 or p99.9")
        p = float(m.group(1))
        if any(e.p == p for e in entries):
            s.pos = m.start()
            raise s.fail(f"each percentile once (p{p:g} is repeated)")
        op_m = s.match(_OP_RE)
        if op_m is None:
            raise s.fail("<, <= or =" if not limits_only else "< or <=")
        op = op_m.group(0)
        if limits_only and op not in LIMIT_OPS:
            s.pos = op_m.start()
            raise s.fail("< or <=", "a latency budget is a limit: write p95 < 200ms")
        entries.append(Percentile(p, op, s.duration()))
        if s.literal(","):
            continue
        note = s.note()
        if not s.at_end():
            raise s.fail('"," and another percentile, or a "(note)"')
        return Percentiles(tuple(entries), note or "", text=text.strip())


RANGE_EXAMPLE = 'a range like "15-30s typical, 60s max", "15s-30s", "30s" or "<10s"'


def parse_range(value: Any) -> DurationRange:
    """Comma-separated parts: a typical span (``15-30s`` / ``15s-30s`` / ``30s``, optionally followed
    by ``typical``), a maximum (``60s max`` or ``<10s`` / ``<= 10s``), then an optional ``(note)``."""
    text = _text_of(value, RANGE_EXAMPLE)
    s = _Scanner(text)
    low: float | None = None
    high: float | None = None
    maximum: Bound | None = None
    first = True
    while True:
        start = s.pos
        op_m = s.match(_OP_RE)
        if op_m is not None:
            if op_m.group(0) not in LIMIT_OPS:
                s.pos = op_m.start()
                raise s.fail(RANGE_EXAMPLE if first else "a range part", "a maximum is written <10s or 60s max")
            ms = s.duration()
            if maximum is not None:
                s.pos = start
                raise s.fail("one maximum only")
            maximum = Bound(op_m.group(0), ms)
        else:
            span_low, span_high = _span(s, RANGE_EXAMPLE if first else "a range part like 15-30s or 60s max")
            word = s.match(_WORD_RE)
            kind = word.group(0) if word else "typical"
            if kind == "max":
                if span_low != span_high:
                    s.pos = start
                    raise s.fail("a single duration before max, like 60s max")
                if maximum is not None:
                    s.pos = start
                    raise s.fail("one maximum only")
                maximum = Bound("<=", span_high)
            elif kind == "typical":
                if low is not None:
                    s.pos = start
                    raise s.fail("one typical range only")
                low, high = span_low, span_high
            else:
                s.pos = word.start() if word else s.pos
                raise s.fail('"typical", "max", "," or the end of the range')
        first = False
        if s.literal(","):
            continue
        note = s.note()
        if not s.at_end():
            raise s.fail('"," and another part, or a "(note)"')
        break
    if maximum is not None and high is not None and high > maximum.ms:
        raise ContractValueError("a maximum at least as large as the typical range", json.dumps(text.strip()))
    return DurationRange(low, high, maximum, note or "", text=text.strip())


def _span(s: _Scanner, expected: str) -> tuple[float, float]:
    """``15-30s`` (the unit of the end applies to both), ``15s-30s``, or one duration."""
    s.skip()
    start = s.pos
    low: float | None = None
    bare = None
    m = _DURATION_RE.match(s.text, s.pos)
    if m is not None:
        s.pos = m.end()
        low = _ms(m)
        if not s.literal("-"):
            return low, low
    else:
        bare = _BARE_RE.match(s.text, s.pos)
        if bare is None:
            raise s.fail(expected)
        s.pos = bare.end()
        if not s.literal("-"):
            s.pos = start
            raise s.fail(expected, f"add a unit: {_units_text()}")
    high_m = s.duration_token(DURATION_EXAMPLE + " ending the range")
    high = _ms(high_m)
    if bare is not None:
        low = _ms_of(bare.group(0) + high_m.group(2))
    assert low is not None  # read above, or from the bare number
    if low > high:
        s.pos = start
        raise s.fail("a range from the smaller to the larger duration")
    return low, high


BACKOFF_EXAMPLE = "a backoff like exponential, exponential 100ms, constant 200ms or 200ms"


def parse_backoff(value: Any) -> Backoff:
    """``none``, ``constant``, ``linear`` or ``exponential``, optionally with a first delay; a bare duration is constant."""
    text = _text_of(value, BACKOFF_EXAMPLE)
    s = _Scanner(text)
    word = s.match(_WORD_RE)
    if word is None:
        ms = s.duration(BACKOFF_EXAMPLE)
        if not s.at_end():
            raise s.fail("the end of the backoff")
        return Backoff("constant", ms, text=text.strip())
    kind = word.group(0)
    if kind not in BACKOFF_KINDS:
        s.pos = word.start()
        raise s.fail(BACKOFF_EXAMPLE)
    delay = None
    if not s.at_end():
        if kind == "none":
            raise s.fail("the end of the backoff")
        delay = s.duration()
        if not s.at_end():
            raise s.fail("the end of the backoff")
    return Backoff(kind, delay, text=text.strip())


def format_ms(ms: float | None) -> str:
    """Milliseconds as contract files write them: ``500ms``, ``3200ms``, ``5s``, ``60s``; None → ``unbounded``."""
    if ms is None:
        return "unbounded"
    if ms >= 1000 and ms % 1000 == 0:
        return f"{ms / 1000:g}s"
    return f"{ms:g}ms"
