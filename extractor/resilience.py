"""Resilience fact kinds: retry policies, circuit breakers, replica reads, ids and idempotency keys.

Frontends report raw fields as the code spells them (``stop=stop_after_attempt(3)``,
``max_tries=5``, ``backoff_factor=0.5``); this module turns them into the public fields, with the
library-specific vocabulary (which function means "stop after N attempts") read from the rule's
``retry:`` block. Raw duration fields carry their unit in the name: ``max_time_s``, ``window_ms``.
"""

from __future__ import annotations

import math
from typing import Any

from .catalog import Rule
from .durations import parse_duration
from .kinds import LinkContext, register, scalar, text_or_none
from .values import BinOp, Call, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, Value, describe, strip

BACKOFFS = ("none", "fixed", "exponential", "random", "exponential_jitter")
_UNITS = {"_ms": 1.0, "_s": 1000.0, "_m": 60_000.0, "_ns": 1e-6}  # _ns: Go durations (time.Duration counts nanoseconds)


def number(v: Any) -> float | None:
    s = strip(v) if isinstance(v, (Const, Named, Env, Seq, Map, Obj, Call, BinOp, Ref)) else v
    if isinstance(s, Env):
        s = strip(s.default) if s.default is not None else None
    if isinstance(s, Const):
        s = s.value
    if isinstance(s, bool) or s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s) if math.isfinite(s) else None
    if isinstance(s, str):
        try:
            return float(s)
        except ValueError:
            return None
    if isinstance(s, Call) and s.func.rpartition(".")[2] == "timedelta":
        total = 0.0
        for k, x in s.kwargs:
            n = number(x)
            if n is None:
                return None
            total += n * {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}.get(k, 0)
        if s.args:
            n = number(s.args[0])
            total += (n or 0) * 86400
        return total
    return None


def ms_field(raw: dict[str, Any], stem: str) -> float | None:
    """A duration given as ``<stem>_s`` / ``<stem>_ms`` / ``<stem>_m`` in raw fields, in ms."""
    for suffix, factor in _UNITS.items():
        if stem + suffix in raw:
            n = number(raw[stem + suffix])
            if n is not None:
                return round(n * factor, 3)
            text = scalar(raw[stem + suffix])
            if isinstance(text, str):  # a duration with its own unit: "0.5s", "100ms"
                ms = parse_duration(text)
                if ms is not None:
                    return round(ms, 3)
    return None


def delay_backoff(v: Any) -> tuple[str | None, float | None]:
    """The backoff a delay expression shows, and its value in ms when it is a number of seconds."""
    n = number(v)
    if n is not None:
        return ("fixed" if n > 0 else "none"), n * 1000.0
    text = describe(strip(v)) if not isinstance(v, str) else v
    low = text.lower()
    expo = "**" in text or "pow(" in low or "<<" in text
    rand = "random" in low or "uniform" in low or "randint" in low or "jitter" in low
    if expo:
        return ("exponential_jitter" if rand else "exponential"), None
    if rand:
        return "random", None
    if "=>" in text:  # a delay function (attempt => TimeSpan.FromSeconds(2)) that neither grows nor varies
        return "fixed", None
    return None, None


def _int(v: float | None) -> int | None:
    return None if v is None else int(round(v))


def texts(v: Any) -> list[str]:
    """Exception names / predicates as text."""
    s = strip(v) if v is not None else None
    if s is None:
        return []
    if isinstance(s, Seq):
        out: list[str] = []
        for item in s.items:
            out += texts(item)
        return out
    if isinstance(s, Ref):
        return [s.qualname]
    if isinstance(s, Const):
        if isinstance(s.value, (list, tuple)):  # a constant list in a rule
            return [str(x) for x in s.value]
        return [] if s.value in (None, False) else [str(s.value)]
    return [describe(s)]


def _short(name: str) -> str:
    """``requests.exceptions.Timeout`` → ``requests.exceptions.Timeout`` (kept), builtins bare."""
    return name


class RetryReading:
    """Reads tenacity-style composed policies with the vocabulary from the rule's ``retry:`` block."""

    def __init__(self, spec: dict[str, Any]):
        self.stops: dict[str, dict[str, Any]] = spec.get("stops") or {}
        self.waits: dict[str, dict[str, Any]] = spec.get("waits") or {}
        self.retry_on: dict[str, dict[str, Any]] = spec.get("retry_on") or {}

    @staticmethod
    def _arg(call: Call, where: dict[str, Any] | int | str | None) -> Value | None:
        if where is None:
            return None
        if isinstance(where, dict):
            if "kw" in where:
                for k, v in call.kwargs:
                    if k == where["kw"]:
                        return v
            if "arg" in where and where["arg"] < len(call.args):
                return call.args[where["arg"]]
            return None
        return None

    def stop(self, v: Any) -> tuple[int | None, float | None, bool]:
        """(attempts, stop_after_ms, understood)."""
        s = strip(v)
        if isinstance(s, BinOp) and s.op in ("|", "&"):
            a1, t1, ok1 = self.stop(s.left)
            a2, t2, ok2 = self.stop(s.right)
            pick = min if s.op == "|" else max
            attempts = pick([x for x in (a1, a2) if x is not None]) if (a1 is not None or a2 is not None) else None
            after = pick([x for x in (t1, t2) if x is not None]) if (t1 is not None or t2 is not None) else None
            return attempts, after, ok1 and ok2
        if isinstance(s, (Call, Ref, Dynamic)):  # a bare name unresolved at link time is a Dynamic
            name = s.func if isinstance(s, Call) else s.qualname if isinstance(s, Ref) else s.text
            spec = self.stops.get(name)
            if spec is None:
                return None, None, False
            attempts = None
            after = float(spec["after_ms"]) if "after_ms" in spec else None  # a library's own limit
            understood = True
            if isinstance(s, Call) and "inner" in spec:  # a wrapper (WithMaxRetries(b, 3)) stops when b does, or sooner
                attempts, inner_after, understood = self.stop(self._arg(s, spec["inner"]))
                after = inner_after if inner_after is not None else after
            if isinstance(s, Call):
                if "attempts" in spec:
                    n = _int(number(self._arg(s, spec["attempts"])))
                    attempts = None if n is None else n + int(spec.get("add", 0))  # add: 1 for a count of retries
                if "after" in spec:
                    n = number(self._arg(s, spec["after"]))
                    after = None if n is None else n * _UNITS["_" + spec["after"].get("unit", "s")]
            return attempts, after, understood
        return None, None, False

    def wait(self, v: Any) -> tuple[set[str], float | None]:
        s = strip(v)
        if isinstance(s, BinOp) and s.op in ("+", "|"):
            k1, d1 = self.wait(s.left)
            k2, d2 = self.wait(s.right)
            total = (d1 or 0) + (d2 or 0) if (d1 is not None or d2 is not None) else None
            return k1 | k2, total
        if isinstance(s, (Call, Ref, Dynamic)):
            name = s.func if isinstance(s, Call) else s.qualname if isinstance(s, Ref) else s.text
            spec = self.waits.get(name)
            if spec is None:
                return {"unknown"}, None
            if isinstance(s, Call) and "inner" in spec:  # a wrapper: WithMaxRetries(b, 3) waits as b does
                return self.wait(self._arg(s, spec["inner"]))
            delay = None
            if isinstance(s, Call) and "max" in spec:
                n = number(self._arg(s, spec["max"]))
                delay = None if n is None else n * _UNITS["_" + spec["max"].get("unit", "s")]
            return {spec.get("backoff", "fixed")}, delay
        return set(), None

    def on(self, v: Any) -> list[str]:
        s = strip(v)
        if isinstance(s, BinOp) and s.op in ("|", "&"):
            return self.on(s.left) + self.on(s.right)
        if isinstance(s, Call) and s.func in self.retry_on:
            spec = self.retry_on[s.func]
            if spec.get("exceptions"):
                names: list[str] = []
                for a in s.args:
                    names += texts(a)
                for k, a in s.kwargs:
                    if k in ("exception_types", "exceptions"):
                        names += texts(a)
                return names or ["Exception"]
            label = spec.get("label", s.func.rpartition(".")[2])
            inner = ", ".join(describe(a) for a in s.args)
            return [f"{label}({inner})"]
        return texts(v)


def combine_backoff(kinds: set[str]) -> str | None:
    kinds = kinds - {"none"} if len(kinds) > 1 else kinds
    if not kinds:
        return None
    if "unknown" in kinds and len(kinds) == 1:
        return None
    expo = "exponential" in kinds or "exponential_jitter" in kinds
    rand = "random" in kinds or "exponential_jitter" in kinds
    if expo and rand:
        return "exponential_jitter"
    if expo:
        return "exponential"
    if rand:
        return "random"
    if "fixed" in kinds:
        return "fixed"
    return "none" if "none" in kinds else None


def _retry_policy(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    spec = (rule.match or {}).get("retry") or {}
    reader = RetryReading(spec)
    defaults = spec.get("defaults") or {}
    mode_v = strip(raw["mode"]) if raw.get("mode") is not None else None
    mode = str(mode_v.value) if isinstance(mode_v, Const) and mode_v.value is not None else None
    preset: dict[str, Any] = (spec.get("modes") or {}).get(mode or "", {})  # botocore legacy/standard
    attempts: int | None = None
    stop_after_ms = ms_field(raw, "stop_after")
    understood = True
    if "stop" in raw:
        a, t, understood = reader.stop(raw["stop"])
        attempts = a
        stop_after_ms = t if t is not None else stop_after_ms
    if "attempts" in raw:
        attempts = _int(number(raw["attempts"]))
    elif "retries" in raw:
        n = number(raw["retries"])
        if n is None and scalar(raw["retries"]) is False:  # retries=False: no retry at all
            n = 0
        attempts = None if n is None else int(round(n)) + 1
    elif "stop" not in raw and "attempts" in preset:
        attempts = preset["attempts"]
    elif "stop" not in raw and "attempts" in defaults:
        attempts = defaults["attempts"]
    if attempts is not None and attempts < 1:
        attempts = 1
    cap = spec.get("max_attempts")  # the library clamps higher values (gRPC: 5)
    if attempts is not None and cap is not None and attempts > cap:
        attempts = cap
    kinds: set[str] = set()
    max_delay_ms = ms_field(raw, "max_delay")
    if "wait" in raw:
        kinds, d = reader.wait(raw["wait"])
        max_delay_ms = d if d is not None else max_delay_ms
    backoff = combine_backoff(kinds) if kinds else None
    if backoff is None and "backoff" in raw:
        b = text_or_none(raw["backoff"])
        backoff = b if b in BACKOFFS else None
    if backoff is None and "backoff_factor" in raw:
        n = number(raw["backoff_factor"])
        if n is not None:
            backoff = "exponential" if n > 0 else "none"
        elif scalar(raw["backoff_factor"]) is True:  # retry_backoff=True
            backoff = "exponential"
    if backoff is None and "backoff_multiplier" in raw:  # growth per attempt: 1 is a fixed wait
        n = number(raw["backoff_multiplier"])
        if n is not None:
            backoff = "exponential" if n > 1 else "fixed"
    if backoff in ("exponential", "fixed") and raw.get("jitter") is not None:
        j = scalar(raw["jitter"])
        if j not in (None, False, 0, 0.0, "none", "None"):
            backoff = "exponential_jitter" if backoff == "exponential" else "random"
    if backoff is None and raw.get("delay") is not None:  # a delay expression: countdown=2 ** retries
        backoff, d = delay_backoff(raw["delay"])  # it says the wait: its value is the longest one
        max_delay_ms = d if d is not None else max_delay_ms
    if backoff is None:
        backoff = preset.get("backoff") or defaults.get("backoff")
    if max_delay_ms is None and preset.get("max_delay_ms") is not None:
        max_delay_ms = float(preset["max_delay_ms"])
    retry_on = reader.on(raw["retry_on"]) if "retry_on" in raw else list(defaults.get("retry_on", []))
    retry_on += [f"status:{x}" for x in texts(raw.get("retry_on_status"))]
    out: dict[str, Any] = {
        "mechanism": text_or_none(raw.get("mechanism")) or rule.library or None,
        "attempts": attempts,
        "backoff": backoff,
        "retry_on": sorted(dict.fromkeys(_short(x) for x in retry_on)),
        "scope": text_or_none(raw.get("scope")) or "function",
    }
    if mode is not None:
        out["mode"] = mode
    if raw.get("source") is not None:  # a constant (code, library_default); e.g. hidden in **kwargs: unknown
        src = strip(raw["source"])
        out["source"] = str(src.value) if isinstance(src, Const) and src.value is not None else "unknown"
    if stop_after_ms is not None:
        out["stop_after_ms"] = _num(stop_after_ms)
    if max_delay_ms is not None:
        out["max_delay_ms"] = _num(max_delay_ms)
    if not understood:
        out["attempts_expr"] = describe(raw.get("stop"))
    if raw.get("fallback") is not None:
        out["fallback"] = text_or_none(raw["fallback"])
    if raw.get("target") is not None:
        out["target"] = text_or_none(raw["target"])
    return out


def _num(v: float) -> int | float:
    r = round(v, 3)
    return int(r) if r == int(r) else r


def _circuit_breaker(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mechanism": text_or_none(raw.get("mechanism")) or rule.library or None,
        "failure_threshold": _int(number(raw.get("failure_threshold"))),
        "recovery_timeout_ms": None,
        "fallback": text_or_none(raw.get("fallback")) if raw.get("fallback") is not None else None,
        "scope": text_or_none(raw.get("scope")) or "function",
    }
    rec = ms_field(raw, "recovery_timeout")
    if rec is None and "recovery_timeout" in raw:
        n = number(raw["recovery_timeout"])  # timedelta objects are in seconds
        rec = None if n is None else n * 1000
    out["recovery_timeout_ms"] = _num(rec) if rec is not None else None
    if raw.get("name") is not None:
        out["name"] = text_or_none(raw["name"])
    ratio = number(raw.get("failure_ratio")) if raw.get("failure_ratio") is not None else None
    if ratio is not None:  # ratio-based breakers (Polly v8, resilience4j): the failure ratio that opens it
        out["failure_ratio"] = ratio
    sampling = ms_field(raw, "sampling_duration")
    if sampling is not None:
        out["sampling_duration_ms"] = _num(sampling)
    throughput = _int(number(raw.get("minimum_throughput"))) if raw.get("minimum_throughput") is not None else None
    if throughput is not None:
        out["minimum_throughput"] = throughput
    if raw.get("excludes") is not None:
        out["excludes"] = texts(raw["excludes"])
    return out


def _replica_read(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    from .replicas import dataset_text, source_text

    evidence = text_or_none(raw.get("evidence"))
    hits = raw.get("_where_hits") or {}
    hit = hits.get("source") or next((h for h in hits.values() if h), None)  # what the rule's where matched
    if hit and (evidence is None or hit not in evidence):
        evidence = f"{evidence}: {hit}" if evidence and evidence not in hit else hit
    out: dict[str, Any] = {
        "mechanism": text_or_none(raw.get("mechanism")) or rule.library or None,
        "source": source_text(raw.get("source")),
        "dataset": dataset_text(raw.get("dataset")),
        "evidence": evidence,
    }
    for k, v in raw.items():
        if k not in out and not k.startswith("_"):
            out[k] = scalar(v)
    return out


def _id_generation(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {
        "generator": text_or_none(raw.get("generator")),
        "variable": text_or_none(raw.get("variable")),
        "inside_retry": False,
        "retry_policy": None,
        "flows_to": raw.get("flows_to") or [],
    }
    return out


def _idempotency_key(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in ("key", "source", "store", "handler", "window_ms"):
        v = raw.get(k)
        out[k] = text_or_none(v) if k != "window_ms" else (_num(ms_field(raw, "window")) if ms_field(raw, "window") is not None else None)
    return out


register("retry_policy", _retry_policy)
register("circuit_breaker", _circuit_breaker)
register("replica_read", _replica_read)
register("id_generation", _id_generation)
register("idempotency_key", _idempotency_key)
