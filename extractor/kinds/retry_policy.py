"""``retry_policy``: how often and how a piece of code is retried.

Raw fields are spelled as the code spells them (``stop=stop_after_attempt(3)``, ``max_tries=5``,
``backoff_factor=0.5``); the finalizer reads them with the library's vocabulary from the rule's
``retry:`` block (which function means "stop after N attempts").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..values import BinOp, Call, Const, Dynamic, Ref, Value, describe, strip
from .base import Kind, LinkContext, fields, raws
from .convert import mechanism, ms_field, num, number, put_known, put_set, scalar, text_or_none, texts, to_int, unit_ms

if TYPE_CHECKING:
    from ..catalog import Rule

BACKOFFS = ("none", "fixed", "exponential", "random", "exponential_jitter")
RETRY_AFTER = ("honoured", "ignored")

FIELDS = fields(
    """
    mechanism      string?   req        tenacity, backoff, stamina, retrying, urllib3, httpx, celery, botocore, grpc, loop, except_handler, ...
    attempts       integer?  req,min=1  Total tries including the first; null when unbounded or not statically known.
    attempts_expr  string    -          The stop expression when it is not understood.
    mode           string    -          The library's retry mode when it has several (botocore: legacy, standard, adaptive).
    source         string?   -          Where the policy comes from: code (the code configures it), library_default (the library retries by default: a client or pool built without retry settings), config (an unresolved configuration object).
    stop_after_ms  ms        -          The time after which it stops retrying.
    max_delay_ms   ms        -          The longest wait between two tries.
    backoff        -         req        How the wait between tries grows.
    retry_on       strings   req        Exception types or predicates that trigger a retry.
    scope          string    req        What the policy wraps: 'function NAME', loop, handler, object, client, task, channel.
    fallback       string?   -          The value used when every try failed.
    target         string?   -          What the policy is configured for (a service or method name), when the code says.
    retry_after    string    -          Whether it waits as a Retry-After header says (honoured) or by its own schedule (ignored); absent when not known.
    calls          strings   req,link   Ids of the outbound calls it covers.
    """,
    backoff={"enum": [*BACKOFFS, None]},
    retry_after={"enum": list(RETRY_AFTER)},
)

RAW = raws(
    """
    mechanism           -      Reported as is (default: the rule's `library`).
    attempts            -      Total tries.
    retries             -      Retries after the first try (+1; `False` → no retry).
    stop                -      A stop expression read with the `retry:` block's `stops`.
    wait                -      A wait expression read with the `retry:` block's `waits`.
    retry_on            -      Exception types or predicates (read with the `retry:` block's `retry_on`).
    retry_on_status     -      Status codes → `status:<code>` in `retry_on`.
    backoff             -      A constant backoff kind.
    backoff_factor      -      >0 or `True` → exponential.
    backoff_multiplier  -      >1 → exponential, 1 → fixed.
    jitter              -      Truthy: exponential → exponential_jitter, fixed → random.
    delay               -      The wait when nothing above says: a number of seconds is fixed and the max delay, an expression with `**` exponential, with `random` random.
    mode                -      Selects a `modes:` preset; reported.
    source              -      Reported: `code`, `library_default`.
    stop_after          units  Stop after this long.
    max_delay           units  The longest wait (Go durations: `_ns`).
    scope               -      What the policy wraps (default `function`).
    fallback            -      The value used when every try failed.
    target              -      What the policy is configured for.
    retry_after         -      `honoured` / `ignored`, or the library's switch (`true` honoured, `false` ignored); a `wait` the `retry:` block's `waits` know with a `retry_after` says instead, one they do not know makes it unknown.
    """
)


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
                arg: Value = call.args[where["arg"]]
                return arg
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
                    n = to_int(number(self._arg(s, spec["attempts"])))
                    attempts = None if n is None else n + int(spec.get("add", 0))  # add: 1 for a count of retries
                if "after" in spec:
                    amount = number(self._arg(s, spec["after"]))
                    after = None if amount is None else amount * unit_ms(spec["after"].get("unit", "s"))
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
                delay = None if n is None else n * unit_ms(spec["max"].get("unit", "s"))
            return {spec.get("backoff", "fixed")}, delay
        return set(), None

    def retry_after(self, v: Any) -> str | None:
        """Whether a wait expression waits as a Retry-After header says: the ``retry_after`` of its
        ``waits`` entries (``honoured`` when one part's does, else ``ignored`` when one part's says so);
        ``""`` when every part is in the vocabulary and none says (the policy's own ``retry_after``
        applies); None when a part is not (a custom function may read the header: unknown)."""
        s = strip(v)
        if isinstance(s, BinOp) and s.op in ("+", "|"):
            parts = [self.retry_after(s.left), self.retry_after(s.right)]
            return None if None in parts else next((a for a in RETRY_AFTER if a in parts), "")
        if isinstance(s, (Call, Ref, Dynamic)):
            name = s.func if isinstance(s, Call) else s.qualname if isinstance(s, Ref) else s.text
            spec = self.waits.get(name)
            if spec is None:
                return None
            if isinstance(s, Call) and "inner" in spec and "retry_after" not in spec:
                return self.retry_after(self._arg(s, spec["inner"]))
            found = spec.get("retry_after")
            return str(found) if found in RETRY_AFTER else ""
        return ""

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


def finalize(raw: dict[str, Any], rule: Rule, ctx: LinkContext) -> dict[str, Any]:
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
        attempts = to_int(number(raw["attempts"]))
    elif "retries" in raw:
        n = number(raw["retries"])
        if n is None and scalar(raw["retries"]) is False:  # retries=False: no retry at all
            n = 0
        attempts = None if n is None else round(n) + 1
    elif "stop" not in raw and "attempts" in preset:
        attempts = preset["attempts"]
    elif "stop" not in raw and "attempts" in defaults:
        attempts = defaults["attempts"]
    counted = number(raw["attempts"]) if "attempts" in raw else number(raw["retries"]) if "retries" in raw else None
    if counted is not None and counted < 0 and spec.get("negative_means_forever"):
        attempts = None  # retry(tries=-1): no limit
    elif attempts is not None and attempts < 1:
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
        "mechanism": mechanism(raw, rule),
        "attempts": attempts,
        "backoff": backoff,
        "retry_on": sorted(dict.fromkeys(retry_on)),
        "scope": text_or_none(raw.get("scope")) or "function",
    }
    if mode is not None:
        out["mode"] = mode
    if raw.get("source") is not None:  # a constant (code, library_default); e.g. hidden in **kwargs: unknown
        src = strip(raw["source"])
        out["source"] = str(src.value) if isinstance(src, Const) and src.value is not None else "unknown"
    put_known(
        out,
        stop_after_ms=None if stop_after_ms is None else num(stop_after_ms),
        max_delay_ms=None if max_delay_ms is None else num(max_delay_ms),
        attempts_expr=None if understood else describe(raw.get("stop")),
    )
    put_set(out, raw, text_or_none, "fallback", "target")
    after = reader.retry_after(raw["wait"]) if "wait" in raw else ""
    if after == "":  # no wait, or one that says nothing: the policy's own (a rule's constant, the library's switch)
        after = _retry_after(raw.get("retry_after"))
    if after is not None:
        out["retry_after"] = after
    return out


def _retry_after(v: Any) -> str | None:
    """``honoured`` / ``ignored`` from a rule's constant or the library's switch (a boolean); None when unknown."""
    s = scalar(v) if v is not None else None
    if s is True:
        return "honoured"
    if s is False:
        return "ignored"
    return str(s) if s in RETRY_AFTER else None


KIND = Kind("retry_policy", FIELDS, RAW, finalize, "A retry policy: how many tries, how the wait grows, on which errors, and which calls it covers.")
