"""Hand-written retries in Go: ``for`` loops that call, check the error and go round again.

Go has no exceptions, so the try/catch shape of ``retry_loops.py`` becomes the error check: a loop
is a retry when its body (not nested loops or function literals) assigns a call's result to an
``err`` variable and

- exits on success (``if err == nil { return ... }`` / ``break``), or goes round again on failure
  (``if err != nil { ...; continue }`` or a failure branch that sleeps and does not leave), and
- shows retry evidence: a sleep (a call of the option ``sleeps``: ``time.Sleep``; a receive from a
  call of the option ``timers``: ``<-time.After(d)``; a function named like
  ``sleep``/``backoff``) or retry-like names in the loop header (``attempt``, ``retries``).

A loop over items (``for _, x := range xs``) needs the retry-like names. Attempts come from a
counting header: ``for i := 0; i < 3; i++`` is 3, ``for attempt := 1; attempt <= max; attempt++``
is ``max``. The retry_policy fact covers the loop body, so calls and ids made there are
``inside_retry``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ...catalog import Rule
from ...values import Const, Value, strip
from .retry_loops import RETRY_WORDS, SLEEP_NAMES, RetryLoopEvents, TsRetryLoops

if TYPE_CHECKING:
    from tree_sitter import Node

ERR_NAME = re.compile(r"(?i)^(err|e|error|.*Err)$")


class GoRetryLoops(RetryLoopEvents):
    prefilter_words = ("attempt", "retry", "retries", "tries", "Sleep", "backoff", "time.After")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.sleeps = frozenset(rule.options.get("sleeps", ()))
        self.timers = frozenset(rule.options.get("timers", ()))  # <-time.After(d): receiving from one waits
        self.entered: list[int] = []

    # ------------------------------------------------------------------ syntax helpers
    @staticmethod
    def _descend(an: Any, node: Node | None) -> Iterator[Node]:
        """The nodes of a loop body, not entering function literals or nested loops."""
        return TsRetryLoops._descend(an, node, into_loops=False)

    @staticmethod
    def _clause(node: Node) -> Node | None:
        return next((c for c in node.named_children if c.type in ("for_clause", "range_clause")), None)

    def _callee(self, an: Any, call: Node, scope: Any) -> str:
        site = an.site(call, scope)
        if site is None or site.func is None:
            return ""
        return an.callee(site.func, scope)[0] or an.anchor_text(site.func, 120)

    def _is_sleep(self, an: Any, node: Node, scope: Any) -> bool:
        if node.type == "unary_expression":
            op, operand = node.child_by_field_name("operator"), node.child_by_field_name("operand")
            return (
                op is not None
                and an.text(op) == "<-"
                and operand is not None
                and operand.type == "call_expression"
                and self._callee(an, operand, scope) in self.timers
            )
        if node.type != "call_expression":
            return False
        name = self._callee(an, node, scope)
        return name in self.sleeps or bool(SLEEP_NAMES.search(name))

    @staticmethod
    def _leaves(an: Any, block: Node | None) -> bool:
        """The block's own statements always leave the loop (return / break / panic at its top level)."""
        if block is None:
            return False
        stmts = [c for c in block.named_children if c.type == "statement_list"] or [block]
        for lst in stmts:
            for st in lst.named_children:
                if st.type in ("return_statement", "break_statement"):
                    return True
                if st.type == "expression_statement" and an.text(st).startswith("panic("):
                    return True
        return False

    @staticmethod
    def _continues(block: Node | None) -> bool:
        if block is None:
            return False
        stack = [block]
        while stack:
            n = stack.pop()
            if n.type == "continue_statement":
                return True
            stack.extend(c for c in n.named_children if c.type not in ("for_statement", "func_literal"))
        return False

    def _err_check(self, an: Any, cond: Node | None) -> tuple[str, str] | None:
        """``err != nil`` → (name, "!="); ``err == nil`` → (name, "==")."""
        if cond is None or cond.type != "binary_expression":
            return None
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        op_node = cond.child_by_field_name("operator")
        op = an.text(op_node) if op_node is not None else ""
        if left is None or right is None or op not in ("!=", "=="):
            return None
        if right.type == "identifier" and an.text(right) != "nil":
            left, right = right, left
        if left.type != "identifier" or an.text(right) != "nil" or not ERR_NAME.match(an.text(left)):
            return None
        return an.text(left), op

    # ------------------------------------------------------------------ events
    def loop_anchor(self, an: Any, node: Node) -> str:
        clause = self._clause(node)
        return "for " + (an.anchor_text(clause, 80) if clause is not None else "{...}")

    # ------------------------------------------------------------------ the heuristic
    def analyse(self, an: Any, node: Node, scope: Any) -> dict[str, Any] | None:
        body = node.child_by_field_name("body")
        if body is None:
            return None
        nodes = list(self._descend(an, body))
        err_names = set()
        for n in nodes:  # resp, err := client.Do(req) / err = op()
            if n.type in ("short_var_declaration", "assignment_statement"):
                right = n.child_by_field_name("right")
                if right is not None and any(c.type == "call_expression" for c in right.named_children):
                    for target in an.iter_named(n.child_by_field_name("left")):
                        if target.type == "identifier" and ERR_NAME.match(an.text(target)):
                            err_names.add(an.text(target))
        if not err_names:
            return None
        exits_on_success = goes_round = False
        for n in nodes:
            if n.type != "if_statement":
                continue
            check = self._err_check(an, n.child_by_field_name("condition"))
            if check is None or check[0] not in err_names:
                continue
            cons, alt = n.child_by_field_name("consequence"), n.child_by_field_name("alternative")
            success, failure = (cons, alt) if check[1] == "==" else (alt, cons)
            if success is not None and self._leaves(an, success):
                exits_on_success = True
            if failure is not None and (self._continues(failure) or not self._leaves(an, failure)):
                goes_round = True
        if not (exits_on_success or goes_round):
            return None
        clause = self._clause(node)
        words = {an.text(n) for n in self._descend(an, clause) if n.type == "identifier"} if clause is not None else set()
        retry_named = any(RETRY_WORDS.search(w) for w in words)
        sleeps = [n for n in nodes if self._is_sleep(an, n, scope)]
        if clause is not None and clause.type == "range_clause" and not retry_named:
            return None  # for _, item := range items with an error check: item processing
        if not sleeps and not retry_named:
            return None
        if (clause is None or clause.type != "for_clause") and not exits_on_success:
            return None  # an unbounded loop must exit when the call succeeds
        attempts = self.count(an, clause, scope) if clause is not None and clause.type == "for_clause" else None
        return {
            "mechanism": Const("loop"),
            "attempts": attempts if attempts is not None else Const(None),
            "backoff": Const(self.backoff(an, sleeps, nodes)),
            "retry_on": Const(("error",)),
            "scope": Const("loop"),
        }

    @staticmethod
    def count(an: Any, clause: Node, scope: Any) -> Value | None:
        """``i := S; i < N`` → N - S; ``<=`` → N - S + 1."""
        test = an.counting_test(clause.child_by_field_name("condition"))
        if test is None:
            return None
        name, op, bound = test
        start: Any = None
        init = clause.child_by_field_name("initializer")
        if init is not None and init.type == "short_var_declaration":
            names = [an.text(t) for t in an.iter_named(init.child_by_field_name("left"))]
            values = list(an.iter_named(init.child_by_field_name("right")))
            if name in names and len(values) == len(names):
                start = strip(an.to_value(an.evaluate(values[names.index(name)], scope)))
        return an.attempts_of(start, op, bound, scope)

    @staticmethod
    def backoff(an: Any, sleeps: list[Node], nodes: list[Node]) -> str:
        """From the sleeps: ``1 << attempt`` / ``math.Pow`` (or a ``delay *= 2`` in the loop) is
        exponential, ``rand.`` random, anything else fixed."""
        if not sleeps:
            return "none"
        grows = any(n.type == "assignment_statement" and (op := n.child_by_field_name("operator")) is not None and an.text(op) in ("*=", "<<=") for n in nodes)
        kinds = set()
        for c in sleeps:
            text = an.text(c)
            expo = "<<" in text or "math.Pow" in text or grows
            rand = "rand." in text or "jitter" in text.lower()
            kinds.add("exponential_jitter" if expo and rand else "exponential" if expo else "random" if rand else "fixed")
        for k in ("exponential_jitter", "exponential", "random", "fixed"):
            if k in kinds:
                return k
        return "none"


__all__ = ["GoRetryLoops"]
