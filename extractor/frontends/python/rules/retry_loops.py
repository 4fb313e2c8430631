"""Hand-written retries: loops that catch a failure and try again, and except handlers that repeat.

The WASABI heuristic (Stoica et al., SOSP 2024): a loop whose body calls something inside
``try``, with an exception handler that does not leave the loop, plus retry evidence (a sleep,
or retry-like names such as ``attempt``/``retries``). A ``for`` loop must iterate a ``range``
or have retry-like names (``for url in urls`` with try/except is item processing, not a retry);
a ``while`` loop must exit on success (``break``/``return``). The second shape is a handler that
repeats a call made in its ``try`` body: one retry, two attempts.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Sequence

import libcst as cst

from ....catalog import Rule
from ....values import Const, Seq, Value, fold, strip
from . import block as _block

SLEEPS = {"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep", "gevent.sleep", "eventlet.sleep"}
RANDOM = ("random.random", "random.uniform", "random.randint", "random.choice", "random.expovariate", "secrets.randbelow")
RETRY_WORDS = re.compile(r"(?i)(attempt|retr(y|ies)|tries|backoff|^n_?try$|^try_?count)")


def _statements(body: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
    """Statements of a loop body, into if/with/try blocks but not into nested loops or defs."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, cst.If):
            yield from _statements(_block(stmt.body))
            orelse = stmt.orelse
            while orelse is not None:
                yield from _statements(_block(orelse.body))
                orelse = orelse.orelse if isinstance(orelse, cst.If) else None
        elif isinstance(stmt, cst.With):
            yield from _statements(_block(stmt.body))
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            yield from _statements(_block(stmt.body))
            for h in stmt.handlers:
                yield from _statements(_block(h.body))
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    yield from _statements(_block(extra.body))


def _calls(node: cst.CSTNode) -> Iterator[cst.Call]:
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Call):
            yield n
        if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(c for c in n.children if isinstance(c, cst.CSTNode))


def _names(node: cst.CSTNode) -> Iterator[str]:
    stack: list[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            yield n.value
        stack.extend(c for c in n.children if isinstance(c, cst.CSTNode))


def _leaves_loop(handler: cst.ExceptHandler) -> bool:
    """True when the handler's own statements always leave the loop (raise/return/break at top level)."""
    for stmt in _block(handler.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Raise, cst.Return, cst.Break)):
                    return True
    return False


def _exits_on_success(body: Sequence[cst.BaseStatement]) -> bool:
    for node in _statements(body):
        if isinstance(node, (cst.Return, cst.Break)):
            return True
    return False


class RetryLoops:
    # a handler ("except") and retry evidence; a file without both cannot hold a retry loop
    prefilter = [["except", "sleep(|attempt|retry|retries|_tries|tries =|tries +=|backoff"]]

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.entered: list[int] = []
        self.try_entered: list[int] = []

    # ------------------------------------------------------------------ loops
    def on_loop(self, an: Any, node: cst.For | cst.While, scope: Any) -> None:
        found = self.analyse(an, node, scope)
        if found is None:
            self.entered.append(0)
            return
        fact = an.emit("retry_policy", self.rule.id, node, found, scope, anchor=an.anchor_text(node.target if isinstance(node, cst.For) else node.test))
        self.entered.append(an.policies.enter([an.ref(fact)]))

    def after_loop(self, an: Any, node: cst.CSTNode, scope: Any) -> None:
        an.policies.leave(self.entered.pop())

    def analyse(self, an: Any, node: cst.For | cst.While, scope: Any) -> dict[str, Any] | None:
        body = _block(node.body)
        tries = [s for s in _statements(body) if isinstance(s, (cst.Try, cst.TryStar))]
        handlers = []
        for t in tries:
            if not any(True for _ in _calls(cst.IndentedBlock(body=list(_block(t.body))))):
                continue
            handlers += [h for h in t.handlers if not _leaves_loop(h)]
        if not handlers:
            return None
        header = node.target if isinstance(node, cst.For) else node.test
        words = set(_names(header)) | (set(_names(node.iter)) if isinstance(node, cst.For) else set())
        retry_named = any(RETRY_WORDS.search(w) for w in words)
        sleeps = [c for c in _calls(node) if an.callee(c.func, scope)[0] in SLEEPS]
        attempts: Value | None = None
        if isinstance(node, cst.For):
            is_range = isinstance(node.iter, cst.Call) and an.callee(node.iter.func, scope)[0] == "range"
            if not (is_range or retry_named):
                return None
            if not sleeps and not retry_named:
                return None
            if is_range:
                attempts = self.range_count(an, node.iter, scope)
        else:
            if not _exits_on_success(body):
                return None
            if not sleeps and not retry_named:
                return None
            attempts = self.while_bound(an, node, scope)
        retry_on: list[str] = []
        for h in handlers:
            retry_on += self.exception_names(an, h, scope)
        return {
            "mechanism": Const("loop"),
            "attempts": attempts if attempts is not None else Const(None),
            "backoff": Const(self.backoff(an, sleeps, scope)),
            "retry_on": Seq(tuple(Const(n) for n in sorted(set(retry_on)))),
            "scope": Const("loop"),
        }

    @staticmethod
    def range_count(an: Any, call: cst.Call, scope: Any) -> Value | None:
        args = [a.value for a in call.args if not a.star and a.keyword is None]
        if len(args) == 1:
            return an.to_value(an.evaluate(args[0], scope))
        if len(args) == 2:
            lo, hi = an.to_value(an.evaluate(args[0], scope)), an.to_value(an.evaluate(args[1], scope))
            return fold("-", hi, lo)
        return None

    @staticmethod
    def while_bound(an: Any, node: cst.While, scope: Any) -> Value | None:
        test = node.test
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
            op = test.comparisons[0].operator
            bound = an.to_value(an.evaluate(test.comparisons[0].comparator, scope))
            start = an.evaluate(test.left, scope)
            start_n = strip(start).value if isinstance(strip(start), Const) and isinstance(strip(start).value, int) else 0
            if isinstance(op, cst.LessThan):
                return fold("-", bound, Const(start_n))
            if isinstance(op, cst.LessThanEqual):
                return fold("+", fold("-", bound, Const(start_n)), Const(1))
        return None

    @staticmethod
    def backoff(an: Any, sleeps: list[cst.Call], scope: Any) -> str:
        if not sleeps:
            return "none"
        kinds = set()
        for c in sleeps:
            if not c.args:
                continue
            arg = c.args[0].value
            has_power = any(isinstance(n, cst.BinaryOperation) and isinstance(n.operator, (cst.Power, cst.LeftShift)) for n in _walk(arg))
            has_random = any(isinstance(n, cst.Call) and an.callee(n.func, scope)[0] in RANDOM for n in _walk(arg))
            if has_power and has_random:
                kinds.add("exponential_jitter")
            elif has_power:
                kinds.add("exponential")
            elif has_random:
                kinds.add("random")
            else:
                kinds.add("fixed")
        for k in ("exponential_jitter", "exponential", "random", "fixed"):
            if k in kinds:
                return k
        return "none"

    @staticmethod
    def exception_names(an: Any, handler: cst.ExceptHandler, scope: Any) -> list[str]:
        if handler.type is None:
            return ["BaseException"]
        items = [e.value for e in handler.type.elements] if isinstance(handler.type, cst.Tuple) else [handler.type]
        out = []
        for item in items:
            v = an.evaluate(item, scope)
            out.append(getattr(v, "qualname", None) or an.anchor_text(item, 80))
        return out

    # ------------------------------------------------------------------ handler retries
    def on_try(self, an: Any, node: cst.Try, scope: Any) -> None:
        found = self.handler_retry(an, node, scope)
        if found is None:
            self.try_entered.append(0)
            return
        fact = an.emit("retry_policy", self.rule.id, node, found, scope, anchor="try: " + an.anchor_text(node.body, 120))
        self.try_entered.append(an.policies.enter([an.ref(fact)]))

    def after_try(self, an: Any, node: cst.CSTNode, scope: Any) -> None:
        an.policies.leave(self.try_entered.pop())

    def handler_retry(self, an: Any, node: cst.Try, scope: Any) -> dict[str, Any] | None:
        body_calls = {}
        for c in _calls(cst.IndentedBlock(body=list(_block(node.body)))):
            qual = an.callee(c.func, scope)[0] or an.anchor_text(c.func, 120)
            body_calls[qual] = c
        repeated = []
        for h in node.handlers:
            for c in _calls(cst.IndentedBlock(body=list(_block(h.body)))):
                qual = an.callee(c.func, scope)[0] or an.anchor_text(c.func, 120)
                if qual in body_calls and qual not in SLEEPS and not qual.startswith(("print", "str", "int", "len")) and not _is_logging(qual):
                    repeated.append((h, qual))
        if not repeated:
            return None
        retry_on: list[str] = []
        for h, _ in repeated:
            retry_on += self.exception_names(an, h, scope)
        return {
            "mechanism": Const("except_handler"),
            "attempts": Const(2),
            "backoff": Const("none"),
            "retry_on": Seq(tuple(Const(n) for n in sorted(set(retry_on)))),
            "scope": Const("handler"),
        }


def _is_logging(qual: str) -> bool:
    """``logging.info``, ``logger.warning``, ``self._log.debug``, ``audit_logger.error``: a handler that
    logs again retries nothing (``catalog.fetch`` is not a logger)."""
    for part in qual.split("."):
        p = part.lower().lstrip("_")
        if p in ("log", "logs", "logger", "logging") or p.endswith(("_log", "logger")) or p.startswith(("log_", "logger_")):
            return True
    return False


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.children if isinstance(c, cst.CSTNode))


__all__ = ["RetryLoops"]
