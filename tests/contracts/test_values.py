"""The contract value language: every form parses to the right numbers; bad values say what was expected."""

from __future__ import annotations

import pytest

from extractor.contracts.values import (
    Bound,
    ContractValueError,
    Duration,
    DurationRange,
    Percentile,
    parse_backoff,
    parse_bound,
    parse_duration,
    parse_percentiles,
    parse_range,
)


@pytest.mark.parametrize(
    "text, ms",
    [
        ("500ms", 500),
        ("2s", 2000),
        ("5m", 300_000),
        ("5min", 300_000),
        ("1h", 3_600_000),
        ("1.5s", 1500),
        ("0.2s", 200),
        (" 500 ms ", 500),
        ("0s", 0),
    ],
)
def test_durations_parse_to_milliseconds(text, ms):
    d = parse_duration(text)
    assert d == Duration(ms)
    assert d.ms == pytest.approx(ms)
    assert str(d) == text.strip()


def test_equal_durations_compare_equal_whatever_the_spelling():
    assert parse_duration("500ms") == parse_duration("0.5s")
    assert hash(parse_duration("1m")) == hash(parse_duration("60s"))


def test_bare_number_needs_a_unit_unless_the_key_defines_one():
    with pytest.raises(ContractValueError) as exc:
        parse_duration(500)
    assert str(exc.value) == "expected a duration like 500ms or 2s, got 500 (add a unit: ms, s, m, min or h)"
    assert parse_duration(500, unit="ms").ms == 500
    assert parse_duration("2", unit="s").ms == 2000
    assert parse_duration(1.5, unit="s").ms == 1500


@pytest.mark.parametrize(
    "value, message",
    [
        ("fast", 'expected a duration like 500ms or 2s, got "fast"'),
        ("500", 'expected a duration like 500ms or 2s, got "500" (add a unit: ms, s, m, min or h)'),
        ("5 sec", 'expected a duration like 500ms or 2s, got "5 sec" (add a unit: ms, s, m, min or h)'),
        ("2S", 'expected a duration like 500ms or 2s, got "2S"'),
        ("-1s", 'expected a duration like 500ms or 2s, got "-1s"'),
        ("1s 2s", 'in "1s 2s": expected the end of the duration, got "2s"'),
        (None, "expected a duration like 500ms or 2s, got nothing"),
        (True, "expected a duration like 500ms or 2s, got true"),
        ("", "expected a duration like 500ms or 2s, got an empty string"),
        ({"ms": 5}, "expected a duration like 500ms or 2s, got a mapping"),
    ],
)
def test_malformed_durations_say_what_was_expected(value, message):
    with pytest.raises(ContractValueError) as exc:
        parse_duration(value)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    "text, entries, note",
    [
        ("p50 < 100ms", [(50, "<", 100)], ""),
        ("p95 <= 200ms", [(95, "<=", 200)], ""),
        ("p99<500ms", [(99, "<", 500)], ""),
        ("P95 < 0.2s", [(95, "<", 200)], ""),
        ("p99.9 < 1s", [(99.9, "<", 1000)], ""),
        ("p95=3200ms", [(95, "=", 3200)], ""),
        ("p50=2800ms, p95=3200ms", [(50, "=", 2800), (95, "=", 3200)], ""),
        ("p50=80ms, p95=150ms (requires caching)", [(50, "=", 80), (95, "=", 150)], "requires caching"),
        ("p50 < 100ms,p99 <= 1s", [(50, "<", 100), (99, "<=", 1000)], ""),
        ("p100 = 2s", [(100, "=", 2000)], ""),
    ],
)
def test_percentiles_parse_to_a_mapping_of_milliseconds(text, entries, note):
    pcts = parse_percentiles(text)
    assert [(e.p, e.op, e.ms) for e in pcts.entries] == [(float(p), op, float(ms)) for p, op, ms in entries]
    assert pcts.note == note
    assert {p: pcts.ms(p) for p in pcts} == {float(p): float(ms) for p, _, ms in entries}
    assert str(pcts) == text


def test_percentiles_behave_as_a_mapping():
    current = parse_percentiles("p50=2800ms, p95=3200ms")
    assert 95 in current and 99 not in current
    assert current[95] == Percentile(95.0, "=", 3200.0)
    assert current[95].label == "p95"
    assert current.ms(99) is None
    assert list(current) == [50.0, 95.0]
    assert len(current) == 2
    assert current == parse_percentiles("p50=2.8s, p95=3.2s")


def test_percentile_limits_and_measurements_compare():
    limit = parse_percentiles("p95 < 200ms", limits_only=True)[95]
    assert limit.is_limit and limit.allows(199) and not limit.allows(200)
    assert parse_percentiles("p95 <= 200ms")[95].allows(200)
    assert not parse_percentiles("p95=3200ms")[95].is_limit


@pytest.mark.parametrize(
    "text, limits_only, message",
    [
        ("p50 < 100ms, fast", False, 'in "p50 < 100ms, fast": expected a percentile like p95, got "fast"'),
        ("fast", True, 'expected a percentile limit like p95 < 200ms, got "fast"'),
        ("200ms", True, 'expected a percentile limit like p95 < 200ms, got "200ms"'),
        ("p95 = 200ms", True, 'in "p95 = 200ms": expected < or <=, got "= 200ms" (a latency budget is a limit: write p95 < 200ms)'),
        ("p95 200ms", False, 'in "p95 200ms": expected <, <= or =, got "200ms"'),
        ("p95 > 200ms", False, 'in "p95 > 200ms": expected <, <= or =, got "> 200ms"'),
        ("p95 < 200", False, 'in "p95 < 200": expected a duration like 500ms or 2s, got "200" (add a unit: ms, s, m, min or h)'),
        ("p95=1s p99=2s", False, 'in "p95=1s p99=2s": expected "," and another percentile, or a "(note)", got "p99=2s"'),
        ("p95=1s, p95=2s", False, 'in "p95=1s, p95=2s": expected each percentile once (p95 is repeated), got "p95=2s"'),
        ("p0=1s", False, 'expected a percentile like p95, got "p0=1s" (a percentile is above p0 and at most p100, written like p50 or p99.9)'),
        ("p101=1s", False, 'expected a percentile like p95, got "p101=1s" (a percentile is above p0 and at most p100, written like p50 or p99.9)'),
        ("p95=1s (note) extra", False, 'in "p95=1s (note) extra": expected "," and another percentile, or a "(note)", got "(note) extra"'),
    ],
)
def test_malformed_percentiles_say_what_was_expected(text, limits_only, message):
    with pytest.raises(ContractValueError) as exc:
        parse_percentiles(text, limits_only=limits_only)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    "text, op, ms, note",
    [
        ("<10s", "<", 10_000, ""),
        ("<= 10s", "<=", 10_000, ""),
        ("< 500ms", "<", 500, ""),
        ("10s", "<=", 10_000, ""),
        ("<10s (velocity checks)", "<", 10_000, "velocity checks"),
    ],
)
def test_bounds(text, op, ms, note):
    assert parse_bound(text) == Bound(op, float(ms), note)


def test_bound_allows():
    assert parse_bound("<10s").allows(9_999) and not parse_bound("<10s").allows(10_000)
    assert parse_bound("<=10s").allows(10_000)


@pytest.mark.parametrize(
    "text, message",
    [
        ("=10s", 'expected a limit like <10s or <= 10s, got "=10s" (a requirement is an upper limit: use < or <=)'),
        ("recent", 'expected a limit like <10s or <= 10s, got "recent"'),
        ("<ten seconds", 'in "<ten seconds": expected a duration like 500ms or 2s, got "ten seconds"'),
        (10, "expected a limit like <10s or <= 10s, got 10 (add a unit: ms, s, m, min or h)"),
    ],
)
def test_malformed_bounds(text, message):
    with pytest.raises(ContractValueError) as exc:
        parse_bound(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    "text, low, high, maximum, worst",
    [
        ("15-30s typical, 60s max", 15_000, 30_000, Bound("<=", 60_000), 60_000),
        ("15s-30s", 15_000, 30_000, None, 30_000),
        ("15 - 30 s", 15_000, 30_000, None, 30_000),
        ("500ms-2s", 500, 2_000, None, 2_000),
        ("0.5-1.5s typical", 500, 1_500, None, 1_500),
        ("30s", 30_000, 30_000, None, 30_000),
        ("30s typical", 30_000, 30_000, None, 30_000),
        ("<10s", None, None, Bound("<", 10_000), 10_000),
        ("<= 10s", None, None, Bound("<=", 10_000), 10_000),
        ("60s max", None, None, Bound("<=", 60_000), 60_000),
        ("60s max, 15-30s typical", 15_000, 30_000, Bound("<=", 60_000), 60_000),
        ("15-30s, <1m", 15_000, 30_000, Bound("<", 60_000), 60_000),
    ],
)
def test_ranges_and_maxima(text, low, high, maximum, worst):
    r = parse_range(text)
    assert (r.typical_low_ms, r.typical_high_ms, r.maximum) == (low, high, maximum)
    assert r.worst_ms == worst
    assert str(r) == text


def test_range_keeps_a_trailing_note():
    assert parse_range("15-30s typical, 60s max (replica lag)") == DurationRange(15_000, 30_000, Bound("<=", 60_000), "replica lag")


@pytest.mark.parametrize(
    "text, message",
    [
        ("15-30", 'in "15-30": expected a duration like 500ms or 2s ending the range, got "30" (add a unit: ms, s, m, min or h)'),
        ("15-30s usually", 'in "15-30s usually": expected "typical", "max", "," or the end of the range, got "usually"'),
        ("30-15s", 'expected a range from the smaller to the larger duration, got "30-15s"'),
        ("15-30s typical, 20s max", 'expected a maximum at least as large as the typical range, got "15-30s typical, 20s max"'),
        ("15-30s max", 'expected a single duration before max, like 60s max, got "15-30s max"'),
        ("60s max, 90s max", 'in "60s max, 90s max": expected one maximum only, got "90s max"'),
        ("1s, 2s", 'in "1s, 2s": expected one typical range only, got "2s"'),
        ("stale", 'expected a range like "15-30s typical, 60s max", "15s-30s", "30s" or "<10s", got "stale"'),
        ("=30s", 'expected a range like "15-30s typical, 60s max", "15s-30s", "30s" or "<10s", got "=30s" (a maximum is written <10s or 60s max)'),
    ],
)
def test_malformed_ranges(text, message):
    with pytest.raises(ContractValueError) as exc:
        parse_range(text)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    "text, kind, delay",
    [
        ("exponential", "exponential", None),
        ("exponential 100ms", "exponential", 100),
        ("linear 1s", "linear", 1000),
        ("constant 200ms", "constant", 200),
        ("200ms", "constant", 200),
        ("none", "none", None),
    ],
)
def test_backoff(text, kind, delay):
    b = parse_backoff(text)
    assert (b.kind, b.delay_ms) == (kind, delay)


@pytest.mark.parametrize("text", ["expo", "none 1s", "exponential fast", "exponential100ms"])
def test_malformed_backoff(text):
    with pytest.raises(ContractValueError) as exc:
        parse_backoff(text)
    assert "expected" in str(exc.value) and text.split()[0] in str(exc.value)
