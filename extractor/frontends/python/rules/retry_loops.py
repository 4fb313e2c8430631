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
RETRY_PARTS = {"attempt", "attempts", "retry", "retries", "retrying", "retried", "tries", "backoff"}
RETRY_WHOLE = re.compile(r"(?i)^(n_?try|try_?count)$")
# an empty queue is not a failure: a loop waiting on one polls, it does not retry
POLLING = {"queue.Empty", "asyncio.QueueEmpty", "asyncio.queues.QueueEmpty", "Empty", "QueueEmpty"}


def _retry_named(word: str) -> bool:
    """``attempt``, ``max_retries``, ``numAttempts``, ``retries_left``: a retry word as a whole
    ``_``/camelCase part (``entries`` and ``countries`` are not retries)."""
    if RETRY_WHOLE.search(word):
        return True
    parts = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", word).lower().split("_")
    return any(p in RETRY_PARTS for p in parts)


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
    """A ``return``/``break`` on the success path: in a ``try`` body or its ``else``, or in the
    loop body after a ``try`` (an ``if closed: break`` before the ``try`` only ends a service loop)."""
    seen_try = False
    for stmt in body:
        if isinstance(stmt, (cst.Try, cst.TryStar)):
            seen_try = True
            parts = list(_block(stmt.body)) + (list(_block(stmt.orelse.body)) if stmt.orelse is not None else [])
            if any(isinstance(n, (cst.Return, cst.Break)) for n in _statements(parts)):
                return True
        elif seen_try and any(isinstance(n, (cst.Return, cst.Break)) for n in _statements([stmt])):
            return True
        elif not seen_try and isinstance(stmt, (cst.If, cst.With)) and _exits_on_success(list(_inner(stmt))):
            return True
    return False


def _inner(stmt: cst.If | cst.With) -> Iterator[cst.BaseStatement]:
    """The statements of an ``if``/``with`` that holds the loop's ``try``."""
    yield from _block(stmt.body)
    if isinstance(stmt, cst.If) and stmt.orelse is not None:
        yield from _block(stmt.orelse.body)


def _operation(stmt: cst.CSTNode) -> cst.Call | None:
    """The call a simple statement performs: ``f(x)``, ``y = f(x)``, ``return f(x)``, ``await f(x)``."""
    value: cst.CSTNode | None = None
    if isinstance(stmt, cst.Expr):
        value = stmt.value
    elif isinstance(stmt, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Return)):
        value = stmt.value
    if isinstance(value, cst.Await):
        value = value.expression
    return value if isinstance(value, cst.Call) else None


def _operations(body: Sequence[cst.BaseStatement]) -> Iterator[tuple[cst.CSTNode, cst.Call]]:
    """Statement-level calls of a block (into if/with, not into nested try/loops/defs), with ``with`` items."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                call = _operation(small)
                if call is not None:
                    yield small, call
        elif isinstance(stmt, cst.If):
            yield from _operations(list(_inner(stmt)))
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                item_value = item.item.expression if isinstance(item.item, cst.Await) else item.item
                if isinstance(item_value, cst.Call):
                    yield stmt, item_value
            yield from _operations(list(_block(stmt.body)))


def _ordered(body: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
    """Small statements and ``with`` statements of a block in source order, into if/with."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, cst.If):
            yield from _ordered(list(_inner(stmt)))
        elif isinstance(stmt, cst.With):
            yield stmt
            yield from _ordered(list(_block(stmt.body)))


def _operations_of(stmt: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, cst.Call]]:
    if isinstance(stmt, cst.With):
        for item in stmt.items:
            item_value = item.item.expression if isinstance(item.item, cst.Await) else item.item
            # `with guard():` in a handler guards the handler; `with session.post(url)` repeats a request
            if isinstance(item_value, cst.Call) and item_value.args:
                yield stmt, item_value
        return
    call = _operation(stmt)
    if call is not None:
        yield stmt, call


def _assigned(stmt: cst.CSTNode) -> set[str]:
    """Names a statement binds."""
    out: set[str] = set()
    for n in _walk(stmt):
        targets: list[cst.CSTNode] = []
        if isinstance(n, cst.Assign):
            targets = [t.target for t in n.targets]
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)):
            targets = [n.target]
        elif isinstance(n, cst.NamedExpr):
            targets = [n.target]
        for t in targets:
            out |= {x.value for x in _walk(t) if isinstance(x, cst.Name)}
    return out


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
        words = set(_names(header))
        if isinstance(node, cst.For) and not isinstance(node.iter, (cst.Name, cst.Attribute, cst.Subscript)):
            # `for i in range(max_retries)` names the bound; `for c in attempts` walks a collection
            words |= set(_names(node.iter))
        retry_named = any(_retry_named(w) for w in words)
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
        if retry_on and all(n in POLLING for n in retry_on):
            return None
        return {
            "mechanism": Const("loop"),
            "attempts": attempts if attempts is not None else Const(None),
            "backoff": Const(self.backoff(an, sleeps, scope, _local_values(node))),
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
            # `attempts = 2; while attempts > 0: ... attempts -= 1`: counting down from a known start
            low = strip(bound)
            if isinstance(strip(start), Const) and isinstance(start_n, int) and isinstance(low, Const) and isinstance(low.value, int) and low.value in (0, 1):
                if isinstance(op, cst.GreaterThan) and low.value == 0 or isinstance(op, cst.GreaterThanEqual) and low.value == 1:
                    return Const(start_n)
        return None

    @staticmethod
    def backoff(an: Any, sleeps: list[cst.Call], scope: Any, local: dict[str, cst.BaseExpression] | None = None) -> str | None:
        if not sleeps:
            return "none"
        kinds = set()
        for c in sleeps:
            if not c.args:
                continue
            arg = c.args[0].value
            # `delay = backoff.compute(n); sleep(delay)`: read the value the loop assigned
            bound = [local[n.value] for n in _walk(arg) if isinstance(n, cst.Name) and local and n.value in local]
            if bound:
                arg = cst.Tuple(elements=[cst.Element(value=arg)] + [cst.Element(value=v) for v in bound])
            if any(isinstance(n, cst.Call) and "exponential" in (an.callee(n.func, scope)[0] or an.anchor_text(n.func)).lower() for n in _walk(arg)):
                kinds.add("exponential")
                continue
            has_power = any(isinstance(n, cst.BinaryOperation) and isinstance(n.operator, (cst.Power, cst.LeftShift)) for n in _walk(arg))
            has_random = any(isinstance(n, cst.Call) and an.callee(n.func, scope)[0] in RANDOM for n in _walk(arg))
            computed = any(isinstance(n, cst.Call) and an.callee(n.func, scope)[0] not in RANDOM for n in _walk(arg))
            if has_power and has_random:
                kinds.add("exponential_jitter")
            elif has_power:
                kinds.add("exponential")
            elif has_random:
                kinds.add("random")
            elif computed:
                # `sleep(self._backoff.compute(n))`: the delay comes from code not read here
                kinds.add("unknown")
            else:
                kinds.add("fixed")
        for k in ("exponential_jitter", "exponential", "random", "fixed"):
            if k in kinds:
                return k
        return None if "unknown" in kinds else "none"

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
        """A handler that performs again an operation of the ``try`` body: the same callee with the
        same arguments, as a statement of its own (``return fetch(x)``, ``y = fetch(x)``), its
        arguments not rebound in the handler before it. A fallback (other arguments, other inputs)
        and a call nested in an expression (``getattr``, ``m.group(1)``) are not retries."""
        body_ops: dict[str, list[cst.Call]] = {}
        for _, c in _operations(list(_block(node.body))):
            qual = an.callee(c.func, scope)[0] or an.anchor_text(c.func, 120)
            body_ops.setdefault(qual, []).append(c)
        repeated = []
        for h in node.handlers:
            rebound: set[str] = set()
            fresh: set[str] = set()  # names the handler binds to a new id (`new_id = str(uuid4())`)
            for stmt in _ordered(list(_block(h.body))):
                for c in [op for _, op in _operations_of(stmt)]:
                    qual = an.callee(c.func, scope)[0] or an.anchor_text(c.func, 120)
                    used = {n.value for n in _walk(c) if isinstance(n, cst.Name)}
                    if (
                        any(_same_arguments(an, b, c, fresh, scope) for b in body_ops.get(qual, ()))
                        and not (used & (rebound - fresh))
                        and qual not in SLEEPS
                        and qual.split(".")[0] not in BUILTINS
                        and qual.rsplit(".", 1)[-1].lstrip("_") not in CLEANUP
                        and not _is_logging(qual)
                    ):
                        repeated.append((h, qual))
                if not isinstance(stmt, cst.With):
                    names = _assigned(stmt)
                    rebound |= names
                    value = getattr(stmt, "value", None)
                    if value is not None and _makes_id(an, value, scope):
                        fresh |= names
                    else:
                        fresh -= names
        if not repeated:
            return None
        retry_on: list[str] = []
        for h, _ in repeated:
            retry_on += self.exception_names(an, h, scope)
        if retry_on and all(n.rsplit(".", 1)[-1] in NOT_TRANSIENT for n in retry_on):
            return None
        return {
            "mechanism": Const("except_handler"),
            "attempts": Const(2),
            "backoff": Const("none"),
            "retry_on": Seq(tuple(Const(n) for n in sorted(set(retry_on)))),
            "scope": Const("handler"),
        }


# releasing or waiting for a resource again in a handler is cleanup, not a second try
CLEANUP = {"close", "aclose", "wait", "kill", "terminate", "cancel", "release", "cleanup", "shutdown", "flush", "unlink", "remove", "finalize", "disconnect"}
# a handler for a programming error falls back (an older API, another input); it does not retry a transient failure
NOT_TRANSIENT = {"TypeError", "AttributeError", "NameError", "ImportError", "ModuleNotFoundError", "KeyError", "IndexError", "LookupError",
                 "ValueError", "UnicodeDecodeError", "UnicodeEncodeError", "NotImplementedError", "AssertionError"}
BUILTINS = {"print", "str", "int", "float", "len", "getattr", "setattr", "hasattr", "isinstance", "repr", "dict", "list", "tuple", "set", "bytes", "type", "super"}


ID_MAKERS = ("uuid.", "uuid6.", "uuid_utils.", "secrets.token_", "ulid.", "nanoid.", "shortuuid.", "ksuid.")


def _makes_id(an: Any, node: cst.CSTNode, scope: Any) -> bool:
    return any(isinstance(n, cst.Call) and (an.callee(n.func, scope)[0] or "").startswith(ID_MAKERS) for n in _walk(node))


def _same_arguments(an: Any, first: cst.Call, again: cst.Call, fresh: set[str], scope: Any) -> bool:
    """The same arguments, position by position and keyword by keyword; an argument may differ only
    by carrying a new id (a retry that regenerates its idempotency key is still a retry)."""
    if len(first.args) != len(again.args):
        return False
    for a, b in zip(first.args, again.args):
        if a.star != b.star or (a.keyword.value if a.keyword else None) != (b.keyword.value if b.keyword else None):
            return False
        if an.anchor_text(a.value, 400) == an.anchor_text(b.value, 400):
            continue
        if not (_makes_id(an, b.value, scope) or any(isinstance(n, cst.Name) and n.value in fresh for n in _walk(b.value))):
            return False
    return True


def _is_logging(qual: str) -> bool:
    """``logging.info``, ``logger.warning``, ``self._log.debug``, ``audit_logger.error``: a handler that
    logs again retries nothing (``catalog.fetch`` is not a logger)."""
    for part in qual.split("."):
        p = part.lower().lstrip("_")
        if p in ("log", "logs", "logger", "logging") or p.endswith(("_log", "logger")) or p.startswith(("log_", "logger_")):
            return True
    return False


def _local_values(loop: cst.For | cst.While) -> dict[str, cst.BaseExpression]:
    """Names a loop body binds once with a plain ``name = value``."""
    out: dict[str, cst.BaseExpression] = {}
    seen: set[str] = set()
    for n in _walk(loop):
        if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
            name = n.targets[0].target.value
            if name in seen:
                out.pop(name, None)
            else:
                out[name] = n.value
            seen.add(name)
    return out


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.children if isinstance(c, cst.CSTNode))


__all__ = ["RetryLoops"]
