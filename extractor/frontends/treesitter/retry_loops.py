"""Hand-written retries for every tree-sitter language: loops that catch and try again, and
catch blocks that repeat the try block's call.

The same heuristic as the Python rule (``frontends/python/rules/retry_loops.py``, after WASABI,
SOSP 2024), written over the adapter's syntax hooks instead of one grammar:

- ``LOOP_TYPES`` / ``TRY_TYPES`` / ``LEAVE_TYPES`` (return, break, throw) / ``FUNCTION_TYPES``;
- ``loop_kind(node)`` → ``for`` (a counting loop), ``for_each`` (over items) or ``while``;
  ``loop_body``, ``loop_header`` (the nodes whose names count as retry evidence),
  ``loop_count(node, scope)`` (attempts of a counting loop, or None);
- ``try_body``, ``try_handlers``, ``handler_body``, ``handler_types(handler, scope)`` (the caught
  types; empty: the rule option ``catch_all``).

A loop is a retry when its body calls something inside a try whose handler does not leave the
loop, plus evidence: a sleep (a call named in the option ``sleeps`` — ``setTimeout``,
``time.Sleep``, ``Thread.sleep``, ``Task.Delay`` — or a function whose name says so: ``sleep``,
``delay``, ``wait``, ``backoff``) or retry-like names in the loop header (``attempt``,
``retries``); a loop over items needs the names, a ``while`` loop must also exit on success. The
second shape is a try whose catch block repeats a call of its try block: one retry, two
attempts. The retry_policy fact covers the loop body (or the whole try statement), so calls and
ids made there are ``inside_retry``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator

from ...catalog import Rule
from ...values import Const, Seq, Value

if TYPE_CHECKING:
    from tree_sitter import Node

RETRY_WORDS = re.compile(r"(?i)(attempt|retr(y|ies)|tries|backoff|^n_?try$|^try_?count)")
SLEEP_NAMES = re.compile(r"(?i)(^|[._])(sleep|delay|wait|pause|backoff)[a-z]*$")
NOT_REPEATS = re.compile(r"(?i)(^|\.)(console|log|logger|logging|print|fmt|slog)(\.|$)|log[a-z]*$|^(String|Number|JSON\.stringify|len|str|int)$")


class TsRetryLoops:
    prefilter_words = ("attempt", "retry", "retries", "tries", "sleep", "delay", "backoff", "catch")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.sleeps = frozenset(rule.options.get("sleeps", ()))
        self.catch_all = str(rule.options.get("catch_all", "Exception"))
        self.entered: list[int] = []
        self.try_entered: list[int] = []

    # ------------------------------------------------------------------ walking helpers
    @staticmethod
    def _descend(an: Any, node: "Node | None", into_functions: bool = False, into_loops: bool = True) -> Iterator["Node"]:
        if node is None:
            return
        stack = [node]
        while stack:
            n = stack.pop()
            yield n
            for c in reversed(n.named_children):
                if not into_functions and c.type in an.FUNCTION_TYPES:
                    continue
                if not into_loops and c.type in an.LOOP_TYPES:
                    continue
                stack.append(c)

    def _calls(self, an: Any, node: "Node | None", into_functions: bool = False) -> list["Node"]:
        return [n for n in self._descend(an, node, into_functions) if n.type in an.CALL_TYPES]

    def _callee(self, an: Any, call: "Node", scope: Any) -> str:
        site = an.site(call, scope)
        if site is None or site.func is None:
            return ""
        qual = an.callee(site.func, scope)[0]
        return qual or an.anchor_text(site.func, 120)

    def _is_sleep(self, an: Any, call: "Node", scope: Any) -> bool:
        name = self._callee(an, call, scope)
        return name in self.sleeps or bool(SLEEP_NAMES.search(name))

    def _leaves(self, an: Any, handler: "Node") -> bool:
        """The handler's own statements always leave the loop (a return / break / throw at its top level)."""
        body = an.handler_body(handler)
        return any(st.type in an.LEAVE_TYPES for st in (body.named_children if body is not None else ()))

    def _retry_on(self, an: Any, handlers: list["Node"], scope: Any) -> Seq:
        names: list[str] = []
        for h in handlers:
            names += an.handler_types(h, scope) or [self.catch_all]
        return Seq(tuple(Const(n) for n in sorted(set(names))))

    # ------------------------------------------------------------------ loops
    def on_loop(self, an: Any, node: "Node", scope: Any) -> None:
        found = self.analyse(an, node, scope)
        if found is None:
            self.entered.append(0)
            return
        header = an.loop_header(node)
        anchor = " ".join(an.anchor_text(h, 80) for h in header) or an.anchor_text(node, 80)
        fact = an.emit("retry_policy", self.rule.id, node, found, scope, anchor=anchor)
        self.entered.append(an.policies.enter([an.ref(fact)]))

    def after_loop(self, an: Any, node: "Node", scope: Any) -> None:
        an.policies.leave(self.entered.pop())

    def analyse(self, an: Any, node: "Node", scope: Any) -> dict[str, Any] | None:
        body = an.loop_body(node)
        handlers: list[Node] = []
        for t in self._descend(an, body, into_loops=False):
            if t.type in an.TRY_TYPES and self._calls(an, an.try_body(t)):
                handlers += [h for h in an.try_handlers(t) if not self._leaves(an, h)]
        if not handlers:
            return None
        words = {an.text(n) for h in an.loop_header(node) for n in self._descend(an, h) if n.type in an.IDENTIFIER_TYPES}
        retry_named = any(RETRY_WORDS.search(w) for w in words)
        sleeps = [c for c in self._calls(an, body, into_functions=True) if self._is_sleep(an, c, scope)]
        kind = an.loop_kind(node)
        attempts: Value | None = None
        if kind == "for_each":
            if not retry_named:
                return None  # for (const item of items) with try/catch: item processing
        elif not sleeps and not retry_named:
            return None
        if kind == "while" and not any(n.type in ("return_statement", "break_statement") for n in self._descend(an, body)):
            return None  # a retry loop exits on success
        if kind in ("for", "while"):
            attempts = an.loop_count(node, scope)
        return {
            "mechanism": Const("loop"),
            "attempts": attempts if attempts is not None else Const(None),
            "backoff": Const(self.backoff(an, sleeps)),
            "retry_on": self._retry_on(an, handlers, scope),
            "scope": Const("loop"),
        }

    @staticmethod
    def backoff(an: Any, sleeps: list["Node"]) -> str:
        if not sleeps:
            return "none"
        kinds = set()
        for c in sleeps:
            text = an.text(c)
            expo = "**" in text or "pow(" in text.lower() or "<<" in text
            rand = "random" in text.lower() or "jitter" in text.lower()
            kinds.add("exponential_jitter" if expo and rand else "exponential" if expo else "random" if rand else "fixed")
        for k in ("exponential_jitter", "exponential", "random", "fixed"):
            if k in kinds:
                return k
        return "none"

    # ------------------------------------------------------------------ catch blocks that repeat the call
    def on_try(self, an: Any, node: "Node", scope: Any) -> None:
        if an.stack and an.stack[-1].type in an.LOOP_TYPES and self.entered and self.entered[-1]:
            self.try_entered.append(0)  # the enclosing retry loop already is the policy
            return
        found = self.handler_retry(an, node, scope)
        if found is None:
            self.try_entered.append(0)
            return
        fact = an.emit("retry_policy", self.rule.id, node, found, scope, anchor="try: " + an.anchor_text(an.try_body(node), 120))
        self.try_entered.append(an.policies.enter([an.ref(fact)]))

    def after_try(self, an: Any, node: "Node", scope: Any) -> None:
        an.policies.leave(self.try_entered.pop())

    def handler_retry(self, an: Any, node: "Node", scope: Any) -> dict[str, Any] | None:
        tried = {self._callee(an, c, scope) for c in self._calls(an, an.try_body(node))}
        tried.discard("")
        fn = scope.function
        params = {name for name, _ in an.function_params(fn.node)} if fn is not None else set()
        tried -= params  # callback(null, res) / callback(err): reporting to the caller, not trying again
        repeated: list[Node] = []
        for h in an.try_handlers(node):
            for c in self._calls(an, an.handler_body(h)):
                name = self._callee(an, c, scope)
                if name in tried and not self._is_sleep(an, c, scope) and not NOT_REPEATS.search(name):
                    repeated.append(h)
                    break
        if not repeated:
            return None
        return {
            "mechanism": Const("except_handler"),
            "attempts": Const(2),
            "backoff": Const("none"),
            "retry_on": self._retry_on(an, repeated, scope),
            "scope": Const("handler"),
        }


__all__ = ["TsRetryLoops"]
