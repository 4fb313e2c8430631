"""Hand-written retries for every tree-sitter language: loops that catch and try again, and catch
blocks that perform again a call of their try block.

The WASABI heuristic (SOSP 2024) with the precision measured on real code (docs/precision.md),
written over the adapter's syntax hooks instead of one grammar:

- ``LOOP_TYPES`` / ``TRY_TYPES`` / ``LEAVE_TYPES`` (return, break, throw / raise) / ``FUNCTION_TYPES``;
  optionally ``SUCCESS_LEAVE_TYPES`` (the return / break that end a loop on success; default
  ``return_statement``, ``break_statement``), ``LEAVE_WORDS`` (node type → texts that leave as well:
  Kotlin's ``break`` parses as an identifier, ``break@outer`` as a label) and ``RETURN_TYPES`` (a
  return wraps the call it performs);
- ``loop_kind(node)`` → ``for`` (a counting loop), ``for_each`` (over items) or ``while``;
  ``loop_body``, ``loop_header`` (the nodes whose names count as retry evidence),
  ``loop_count(node, scope)`` (attempts of a counting loop, or None);
- ``try_body``, ``try_handlers``, ``handler_body``, ``handler_types(handler, scope)`` (the caught
  types; empty: the rule option ``catch_all``); optionally ``with_items(stmt)`` (the calls a
  ``with`` statement makes: they count as statements of their own);
- the statement shapes, as syntax tables with C-family defaults on the analyzer (core.py):
  ``RETRY_WRAPPERS`` (statements around the call they perform), ``RETRY_ASSIGNMENTS``,
  ``RETRY_NESTING`` (if / with: their blocks' statements count) with ``RETRY_NESTING_HEADERS``,
  ``RETRY_BLOCKS``, ``TRY_ELSE_TYPES``, ``COMMENT_TYPES``, ``SUBSCRIPT_TYPES`` (a loop over an index
  expression walks a collection); each adapter declares those that differ from the defaults.

Library knowledge is the rule's ``options:``; ``not_repeats:`` and ``loggers:`` have defaults
for the rules that do not list them.

**Loops.** A loop is a retry when its body calls something inside a try whose handler does not
leave the loop, plus evidence: a sleep (a call named in the option ``sleeps`` — ``time.sleep``,
``setTimeout``, ``Thread.sleep``, ``Task.Delay`` — or, unless ``sleep_names: false``, a function
whose name says so: ``sleep``, ``delay``, ``wait``, ``backoff``) or a retry word (``attempt``,
``retries``, ``tries``...) as a whole ``_``/camelCase part of a name in the loop header
(``entries`` is not one). A loop over items needs the retry word; a ``while`` loop must exit on
success: a return/break in the try block (or its ``else``), or after the try — a break before the
try only ends a service loop. A loop whose handlers all catch a ``polling`` type (``queue.Empty``)
waits, it does not retry.

**Handlers.** A try whose handler performs again, as a statement of its own (``return f(x)``,
``y = f(x)``, ``await f(x)``), an operation of the try block: the same callee with the same
arguments (one may differ only by a freshly generated id: a call of an ``id_makers`` prefix), its
names not rebound in the handler before it. Not retries: a different argument (a fallback), a
callee that is a parameter of the function (a callback reporting to the caller), logging, a sleep,
the ``not_repeats`` names, ``cleanup`` methods (``close``, ``release``), handlers that only catch
``not_transient`` types (programming errors: ``TypeError``, ``KeyError``), a call the try block
makes only under a condition (``if rv is None: abort(404)``), and a repeat that does not return
in a handler whose last statement throws (clean-up, then ``raise``). One retry, two attempts.

The retry_policy fact covers the loop body (or the whole try statement), so calls and ids made
there are ``inside_retry``. Backoff is read from the sleeps' arguments (and the values the loop
assigns to names they use): a power (``**``, ``<<``, ``pow``) or an ``exponential`` helper is
exponential, a random call random, both exponential_jitter, a constant fixed; a delay computed by
another call is unknown (null).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...catalog import Rule
from ...values import Const, Seq, Value

if TYPE_CHECKING:
    from tree_sitter import Node

# kept for the Go rule (go_retry.py), which reads names as substrings
RETRY_WORDS = re.compile(r"(?i)(attempt|retr(y|ies)|tries|backoff|^n_?try$|^try_?count)")
RETRY_PARTS = frozenset({"attempt", "attempts", "retry", "retries", "retrying", "retried", "tries", "backoff"})
RETRY_WHOLE = re.compile(r"(?i)^(n_?try|try_?count)$")
DISCARD = "_"  # a counting loop's variable that nothing reads: the body is done N times
SLEEP_NAMES = re.compile(r"(?i)(^|[._])(sleep|delay|wait|pause|backoff)[a-z]*$")
RANDOM_CALL = re.compile(r"(?i)random|jitter|(^|[._])(rand|randint|randn|intn|uniform|expovariate|randbelow)$")
POWER_CALL = re.compile(r"(?i)(^|[._])pow$")
ID_NAMES = re.compile(r"(?i)(uuid|guid|ulid|nanoid|cuid|ksuid)|(generate|new|make|create|next)_?(tx_?|request_?|idempotency_?)?(id|key)$")
# library knowledge a rule's options replace: ``not_repeats:`` (first names of calls a handler
# repeats without retrying) and ``loggers:`` (name parts that mean a logger); the defaults serve
# the rules that do not list them (javascript, java, csharp, kotlin, go)
DEFAULT_NOT_REPEATS = re.compile(r"(?i)(^|\.)(console|log|logger|logging|print|fmt|slog)(\.|$)|log[a-z]*$|^(String|Number|JSON\.stringify|len|str|int)$")
DEFAULT_LOGGERS = ("log", "logs", "logger", "logging", "console")


@dataclass(frozen=True)
class RetrySyntax:
    """One adapter's statement shapes, as the retry rule reads them (see ``syntax_of``)."""

    wrappers: frozenset[str]  # statements around the call they perform (expression statements, returns, declarations, await)
    assignments: frozenset[str]  # assignments and declarators
    nesting: frozenset[str]  # statements whose blocks hold statements of a handler or a try block (if, with)
    blocks: frozenset[str]  # blocks and the else/elif parts of those statements
    headers: frozenset[str]  # children of a nesting statement that are not statements (Python's with_clause)
    try_else: frozenset[str]  # a try statement's else part (on the success path)
    comments: frozenset[str]
    subscripts: frozenset[str]  # index expressions: a loop over one walks a collection


_SYNTAX: dict[type, RetrySyntax] = {}


def syntax_of(an: Any) -> RetrySyntax:
    """The retry syntax of an analyzer: its class attributes (core.py has the C-family defaults)."""
    cls = type(an)
    found = _SYNTAX.get(cls)
    if found is None:
        found = _SYNTAX[cls] = RetrySyntax(
            an.RETRY_WRAPPERS,
            an.RETRY_ASSIGNMENTS,
            an.RETRY_NESTING,
            an.RETRY_BLOCKS,
            an.RETRY_NESTING_HEADERS,
            an.TRY_ELSE_TYPES,
            an.COMMENT_TYPES,
            an.SUBSCRIPT_TYPES,
        )
    return found


def retry_named(word: str) -> bool:
    """``attempt``, ``max_retries``, ``numAttempts``, ``retries_left``: a retry word as a whole
    ``_``/camelCase part (``entries`` and ``countries`` are not retries)."""
    if RETRY_WHOLE.search(word):
        return True
    parts = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", word).lower().split("_")
    return any(p in RETRY_PARTS for p in parts)


def is_logging(qual: str, loggers: Iterable[str] = DEFAULT_LOGGERS) -> bool:
    """``logging.info``, ``logger.warning``, ``self._log.debug``, ``audit_logger.error``: a handler that
    logs again retries nothing (``catalog.fetch`` is not a logger). ``loggers``: the name parts that
    mean a logger (the rule option ``loggers:``)."""
    names = frozenset(loggers)
    for part in qual.split("."):
        p = part.lower().lstrip("_")
        if p in names or p.endswith(("_log", "logger")) or p.startswith(("log_", "logger_")):
            return True
    return False


def descend(
    node: Node | None,
    skip: Callable[[Node], bool] | None = None,
    stop: Callable[[Node], bool] | None = None,
    skip_types: frozenset[str] = frozenset(),
    stop_types: frozenset[str] = frozenset(),
) -> Iterator[Node]:
    """``node`` and the nodes below it, depth first in source order: a child for which ``skip`` holds,
    or whose type is one of ``skip_types``, is left out with everything below it; below a node
    (other than ``node``) for which ``stop`` holds, or whose type is one of ``stop_types``, nothing
    is visited."""
    if node is None:
        return
    stack = [node]
    pop = stack.pop
    while stack:
        n = pop()
        yield n
        if n is not node and ((stop is not None and stop(n)) or (stop_types and n.type in stop_types)):
            continue
        kids = n.named_children  # a fresh list
        if kids:
            kids.reverse()
            if skip is not None:
                kids = [c for c in kids if not skip(c)]
            if skip_types:
                kids = [c for c in kids if c.type not in skip_types]
            stack += kids


class RetryLoopEvents:
    """The loop events of a retry-loop impl: ``analyse`` a loop; when it retries, emit its
    ``retry_policy`` fact, anchored at ``loop_anchor``, and cover the loop's calls with it until
    ``after_loop``."""

    rule: Rule
    entered: list[int]

    def analyse(self, an: Any, node: Node, scope: Any) -> dict[str, Any] | None:
        raise NotImplementedError

    def loop_anchor(self, an: Any, node: Node) -> str:
        raise NotImplementedError

    def on_loop(self, an: Any, node: Node, scope: Any) -> None:
        found = self.analyse(an, node, scope)
        if found is None:
            self.entered.append(0)
            return
        fact = an.emit("retry_policy", self.rule.id, node, found, scope, anchor=self.loop_anchor(an, node))
        self.entered.append(an.policies.enter([an.ref(fact)]))

    def after_loop(self, an: Any, node: Node, scope: Any) -> None:
        an.policies.leave(self.entered.pop())


class TsRetryLoops(RetryLoopEvents):
    prefilter_words = ("attempt", "retry", "retries", "tries", "sleep", "delay", "backoff", "catch")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        opts = rule.options or {}
        self.sleeps = frozenset(opts.get("sleeps", ()))
        self.sleep_names = bool(opts.get("sleep_names", True))
        self.catch_all = str(opts.get("catch_all", "Exception"))
        self.polling = frozenset(opts.get("polling", ()))
        self.not_transient = frozenset(opts.get("not_transient", ()))
        self.cleanup = frozenset(opts.get("cleanup", ()))
        self.not_repeats: frozenset[str] | None = frozenset(opts["not_repeats"]) if "not_repeats" in opts else None
        self.id_makers = tuple(opts.get("id_makers", ()))
        self.loggers = frozenset(opts.get("loggers", DEFAULT_LOGGERS))
        self.entered: list[int] = []
        self.try_entered: list[int] = []

    def start(self, an: Any) -> None:
        """A file begins: no loop or try left open by a file whose analysis stopped half-way (too deep)."""
        self.entered.clear()
        self.try_entered.clear()

    # ------------------------------------------------------------------ walking helpers
    @staticmethod
    def _descend(an: Any, node: Node | None, into_functions: bool = False, into_loops: bool = True) -> Iterator[Node]:
        if into_functions:
            return descend(node, skip_types=frozenset() if into_loops else an.LOOP_TYPES)
        return descend(node, skip_types=an.FUNCTION_TYPES if into_loops else an.FUNCTION_TYPES | an.LOOP_TYPES)

    def _calls(self, an: Any, node: Node | None, into_functions: bool = False) -> list[Node]:
        return [n for n in self._descend(an, node, into_functions) if n.type in an.CALL_TYPES]

    def _callee(self, an: Any, call: Node, scope: Any) -> str:
        site = an.site(call, scope)
        if site is None or site.func is None:
            return ""
        qual = an.callee(site.func, scope)[0]
        return qual or an.anchor_text(site.func, 120)

    def _is_sleep(self, an: Any, call: Node, scope: Any) -> bool:
        name = self._callee(an, call, scope)
        return name in self.sleeps or (self.sleep_names and bool(SLEEP_NAMES.search(name)))

    @staticmethod
    def _leave_word(an: Any, node: Node) -> bool:
        """A node that leaves the loop by its text (the adapter's ``LEAVE_WORDS``: Kotlin's ``break``)."""
        words: dict[str, frozenset[str]] = getattr(an, "LEAVE_WORDS", {})
        return an.text(node) in words.get(node.type, ())

    def _success_leave(self, an: Any, node: Node) -> bool:
        """A return / break that ends the loop on the success path."""
        return node.type in an.SUCCESS_LEAVE_TYPES or self._leave_word(an, node)

    def _leaves(self, an: Any, handler: Node) -> bool:
        """The handler's own statements always leave the loop (a return / break / throw at its top level)."""
        body = an.handler_body(handler)
        return any(
            st.type in an.LEAVE_TYPES
            or self._leave_word(an, st)
            or any(self._leave_word(an, c) for c in st.named_children[:1])  # break@outer: a label first
            or (st.type == "expression_statement" and any(c.type in an.LEAVE_TYPES for c in st.named_children))
            for st in (body.named_children if body is not None else ())
        )

    @staticmethod
    def _conditional(stmt: Node, top: Node | None) -> bool:
        """A statement of a block that runs under a condition of it (in an ``if`` or its ``else``)."""
        p = stmt.parent
        while p is not None and top is not None and p.id != top.id:
            if p.child_by_field_name("condition") is not None:
                return True
            p = p.parent
        return False

    def _ends_raising(self, an: Any, handler: Node) -> bool:
        """The handler's last statement of its own throws (``raise``, ``throw e``): whatever it does
        before, it does not try again, unless it returns first."""
        throws = an.LEAVE_TYPES - an.SUCCESS_LEAVE_TYPES - {"break_statement", "continue_statement"}
        block = an.handler_body(handler)
        body = [st for st in (block.named_children if block is not None else ()) if st.type not in an.COMMENT_TYPES]
        last = body[-1] if body else None
        return last is not None and (last.type in throws or (last.type == "expression_statement" and any(c.type in throws for c in last.named_children[:1])))

    def _names(self, an: Any, handlers: Iterable[Node], scope: Any) -> list[str]:
        names: list[str] = []
        for h in handlers:
            names += an.handler_types(h, scope) or [self.catch_all]
        return names

    @staticmethod
    def _seq(names: list[str]) -> Seq:
        return Seq(tuple(Const(n) for n in sorted(set(names))))

    @staticmethod
    def _statements(syn: RetrySyntax, node: Node | None) -> Iterator[Node]:
        """The statements of a block (or one statement) in source order, into if/else and with
        blocks (not into loops, tries or functions); an if or with statement comes before its own."""
        if node is None:
            return
        if node.type not in syn.blocks:
            if node.type not in syn.nesting:
                yield node
                return
            yield node
        cond = node.child_by_field_name("condition")
        for st in node.named_children:
            if (cond is not None and st.id == cond.id) or st.type in syn.headers:
                continue
            if st.type in syn.blocks or st.type in syn.nesting:
                yield from TsRetryLoops._statements(syn, st)
            else:
                yield st

    @staticmethod
    def _value_of(n: Node) -> Node | None:
        """The value an assignment or declarator assigns."""
        v = n.child_by_field_name("right") or n.child_by_field_name("value")
        if v is None and n.named_children and n.named_children[-1] != n.child_by_field_name("name"):
            v = n.named_children[-1]
        return v

    def _operation(self, an: Any, stmt: Node) -> Node | None:
        """The call a statement performs: ``f(x)``, ``y = f(x)``, ``return f(x)``, ``await f(x)``."""
        syn = syntax_of(an)
        node: Node | None = stmt
        for _ in range(6):
            if node is None or node.type in an.CALL_TYPES:
                return node
            if node.type in syn.assignments:
                node = self._value_of(node)
            elif node.type in syn.wrappers or node.type in getattr(an, "RETURN_TYPES", ()):
                kids = [c for c in node.named_children if c.type not in syn.comments]
                node = kids[-1] if kids else None
            else:
                return None
        return node if node is not None and node.type in an.CALL_TYPES else None

    def _operations(self, an: Any, stmt: Node, scope: Any, with_args_only: bool = False) -> list[Node]:
        """The calls a statement performs as a statement of its own (a ``with`` statement: its
        items' calls; in a handler only those with arguments — ``with guard():`` guards)."""
        if stmt.type == "with_statement":
            items = an.with_items(stmt) if hasattr(an, "with_items") else []
            out = []
            for c in items:
                site = an.site(c, scope) if with_args_only else None
                if with_args_only and (site is None or not (site.args or site.kwargs)):
                    continue
                out.append(c)
            return out
        op = self._operation(an, stmt)
        return [op] if op is not None else []

    def _assigned(self, an: Any, stmt: Node) -> set[str]:
        """Names a statement binds."""
        syn = syntax_of(an)
        out: set[str] = set()
        if stmt.type in syn.nesting or stmt.type in syn.blocks:
            return out
        for n in self._descend(an, stmt):
            if n.type in syn.assignments:
                target = n.child_by_field_name("left") or n.child_by_field_name("name")
                out |= {an.text(x) for x in self._descend(an, target) if x.type in an.IDENTIFIER_TYPES}
        return out

    def _local_values(self, an: Any, loop: Node) -> dict[str, Node]:
        """Names a loop binds once with a plain ``name = value``."""
        assignments = syntax_of(an).assignments
        out: dict[str, Node] = {}
        seen: set[str] = set()
        for n in self._descend(an, loop):
            if n.type not in assignments or n.type.startswith("augmented"):
                continue
            target = n.child_by_field_name("left") or n.child_by_field_name("name")
            value = self._value_of(n)
            if target is None or value is None or target.type not in an.IDENTIFIER_TYPES:
                continue
            name = an.text(target)
            if name in seen:
                out.pop(name, None)
            else:
                out[name] = value
            seen.add(name)
        return out

    # ------------------------------------------------------------------ loops
    def loop_anchor(self, an: Any, node: Node) -> str:
        return " ".join(an.anchor_text(h, 80) for h in an.loop_header(node)) or an.anchor_text(node, 80)

    def analyse(self, an: Any, node: Node, scope: Any) -> dict[str, Any] | None:
        body = an.loop_body(node)
        if body is None or an.source.find(an.TRY_KEYWORD, body.start_byte, body.end_byte) < 0:
            return None  # no try statement in the body (most loops): no handler, without a walk
        handlers: list[Node] = []
        for t in self._descend(an, body, into_loops=False):
            if t.type in an.TRY_TYPES and self._calls(an, an.try_body(t)):
                handlers += [h for h in an.try_handlers(t) if not self._leaves(an, h)]
        if not handlers:
            return None
        iterable = an.loop_iterable(node) if hasattr(an, "loop_iterable") else None
        collection = iterable is not None and (
            iterable.type in an.IDENTIFIER_TYPES or iterable.type in an.SUBSCRIPT_TYPES or an.member_parts(iterable) is not None
        )
        # for (attempt in range(max_retries)) names the bound; for (c in attempts) walks a collection
        skip = iterable.id if collection and iterable is not None else None
        words = {an.text(n) for h in an.loop_header(node) if h.id != skip for n in self._descend(an, h) if n.type in an.IDENTIFIER_TYPES}
        named = any(retry_named(w) for w in words)
        # while True: ... except E: tries_left -= 1; if tries_left == 0: raise (a handler counts the tries down)
        countdown = an.handler_countdown(handlers, scope) if not named and hasattr(an, "handler_countdown") else None
        countdown = countdown if countdown is not None and retry_named(countdown[0]) else None
        named = named or countdown is not None
        sleeps = [c for c in self._calls(an, body, into_functions=True) if self._is_sleep(an, c, scope)]
        kind = an.loop_kind(node)
        attempts: Value | None = None
        if kind == "for_each":
            if not named:
                return None  # for (const item of items) with try/catch: item processing
        elif not sleeps and not named and not (kind == "for" and DISCARD in words and self.exits_on_success(an, body)):
            return None  # for _ in range(2): try ... (do it N times until it succeeds) is evidence of its own
        if kind == "while" and not self.exits_on_success(an, body):
            return None  # a retry loop exits on success
        retry_on = self._names(an, handlers, scope)
        if self.polling and all(n in self.polling for n in retry_on):
            return None  # waiting on an empty queue polls, it does not retry
        if kind in ("for", "while"):
            attempts = an.loop_count(node, scope)
            if attempts is None and kind == "while" and hasattr(an, "loop_countdown"):
                attempts = an.loop_countdown(node, scope)
            if attempts is None and countdown is not None:
                attempts = countdown[1]
        return {
            "mechanism": Const("loop"),
            "attempts": attempts if attempts is not None else Const(None),
            "backoff": Const(self.backoff(an, sleeps, scope, self._local_values(an, node))),
            "retry_on": self._seq(retry_on),
            "scope": Const("loop"),
        }

    def exits_on_success(self, an: Any, body: Node | None) -> bool:
        """A return / break on the success path: in a try block or its ``else``, or after a try
        (an ``if closed: break`` before the try only ends a service loop)."""
        syn = syntax_of(an)
        seen_try = False
        for stmt in self._statements(syn, body):
            if stmt.type in an.TRY_TYPES:
                seen_try = True
                parts = [an.try_body(stmt)] + [c for c in stmt.named_children if c.type in syn.try_else]
                if any(self._success_leave(an, n) for p in parts for n in self._descend(an, p, into_loops=False)):
                    return True
            elif seen_try and any(self._success_leave(an, n) for n in self._descend(an, stmt, into_loops=False)):
                return True
        return False

    def backoff(self, an: Any, sleeps: list[Node], scope: Any, local: dict[str, Node] | None = None) -> str | None:
        """From the sleeps' arguments (and what the loop assigned to the names they use)."""
        if not sleeps:
            return "none"
        kinds = set()
        for c in sleeps:
            site = an.site(c, scope)
            args = list(site.args) + list(site.kwargs.values()) if site is not None else []
            if not args:
                continue
            nodes = list(args)
            for a in args:  # delay = backoff.compute(n); sleep(delay)
                nodes += [local[an.text(n)] for n in self._descend(an, a) if n.type in an.IDENTIFIER_TYPES and local and an.text(n) in local]
            inner = [n for a in nodes for n in self._descend(an, a, into_functions=True)]
            callees = [self._callee(an, n, scope) for n in inner if n.type in an.CALL_TYPES]
            if any("exponential" in q.lower() for q in callees):
                kinds.add("exponential")
                continue
            power = any(POWER_CALL.search(q) for q in callees) or any(self._operator(an, n) in ("**", "<<") for n in inner)
            rand = any(RANDOM_CALL.search(q) for q in callees)
            computed = any(not RANDOM_CALL.search(q) and not POWER_CALL.search(q) for q in callees)
            if power and rand:
                kinds.add("exponential_jitter")
            elif power:
                kinds.add("exponential")
            elif rand:
                kinds.add("random")
            elif computed:
                kinds.add("unknown")  # sleep(self._backoff.compute(n)): the delay comes from code not read here
            else:
                kinds.add("fixed")
        for k in ("exponential_jitter", "exponential", "random", "fixed"):
            if k in kinds:
                return k
        return None if "unknown" in kinds else "none"

    @staticmethod
    def _operator(an: Any, node: Node) -> str:
        if "binary" not in node.type:
            return ""
        op = node.child_by_field_name("operator")
        if op is None and node.child_count == 3:
            op = node.children[1]
        return an.text(op) if op is not None else ""

    # ------------------------------------------------------------------ catch blocks that repeat the call
    def on_try(self, an: Any, node: Node, scope: Any) -> None:
        if an.stack and an.stack[-1].type in an.LOOP_TYPES and self.entered and self.entered[-1]:
            self.try_entered.append(0)  # the enclosing retry loop already is the policy
            return
        found = self.handler_retry(an, node, scope)
        if found is None:
            self.try_entered.append(0)
            return
        fact = an.emit("retry_policy", self.rule.id, node, found, scope, anchor="try: " + an.anchor_text(an.try_body(node), 120))
        self.try_entered.append(an.policies.enter([an.ref(fact)]))

    def after_try(self, an: Any, node: Node, scope: Any) -> None:
        an.policies.leave(self.try_entered.pop())

    def _repeatable(self, qual: str, an: Any, call: Node, scope: Any) -> bool:
        written = an.text(call).split("(", 1)[0]  # LOGGER.error: Java's callee is the method alone when the receiver is a field
        if self._is_sleep(an, call, scope) or is_logging(qual, self.loggers) or is_logging("".join(written.split()), self.loggers):
            return False
        if self.not_repeats is None:
            if DEFAULT_NOT_REPEATS.search(qual):
                return False
        elif qual.split(".")[0] in self.not_repeats:
            return False
        return qual.rsplit(".", 1)[-1].lstrip("_") not in self.cleanup

    def handler_retry(self, an: Any, node: Node, scope: Any) -> dict[str, Any] | None:
        """A handler that performs again an operation of the try block (see the module doc)."""
        syn = syntax_of(an)
        tried: dict[str, list[Node]] = {}
        body = an.try_body(node)
        for stmt in self._statements(syn, body):
            if self._conditional(stmt, body):
                continue  # abort(404) under an if of the try: not the work a handler would try again
            for c in self._operations(an, stmt, scope):
                tried.setdefault(self._callee(an, c, scope), []).append(c)
        tried.pop("", None)
        fn = scope.function
        for name, _ in an.function_params(fn.node) if fn is not None else ():
            tried.pop(name, None)  # callback(null, res) / callback(err): reporting to the caller, not trying again
        if not tried:
            return None
        repeated: list[Node] = []
        for h in an.try_handlers(node):
            rebound: set[str] = set()
            fresh: set[str] = set()  # names the handler binds to a new id (new_id = str(uuid4()))
            raises = self._ends_raising(an, h)
            for stmt in self._statements(syn, an.handler_body(h)):
                for c in self._operations(an, stmt, scope, with_args_only=True):
                    qual = self._callee(an, c, scope)
                    used = {an.text(n) for n in self._descend(an, c) if n.type in an.IDENTIFIER_TYPES}
                    if (
                        not (raises and stmt.type not in an.SUCCESS_LEAVE_TYPES)  # done again, then raised: clean-up
                        and any(self._same_arguments(an, b, c, fresh, scope) for b in tried.get(qual, ()))
                        and not (used & (rebound - fresh))
                        and self._repeatable(qual, an, c, scope)
                    ):
                        repeated.append(h)
                names = self._assigned(an, stmt)
                if names:
                    rebound |= names
                    value = next((self._value_of(n) for n in self._descend(an, stmt) if n.type in syn.assignments), None)
                    if value is not None and self._makes_id(an, value, scope):
                        fresh |= names
                    else:
                        fresh -= names
        if not repeated:
            return None
        retry_on = self._names(an, dict.fromkeys(repeated), scope)
        if self.not_transient and all(n.rsplit(".", 1)[-1] in self.not_transient for n in retry_on):
            return None  # a handler for a programming error falls back, it does not retry a transient failure
        return {
            "mechanism": Const("except_handler"),
            "attempts": Const(2),
            "backoff": Const("none"),
            "retry_on": self._seq(retry_on),
            "scope": Const("handler"),
        }

    def _makes_id(self, an: Any, node: Node, scope: Any) -> bool:
        """A call of an id maker inside: a prefix of the option ``id_makers``, else a callee named
        like one (``randomUUID``, ``Guid.NewGuid``, ``generateId``)."""
        for n in self._descend(an, node):
            if n.type in an.CALL_TYPES:
                qual = self._callee(an, n, scope)
                if qual.startswith(self.id_makers) if self.id_makers else ID_NAMES.search(qual):
                    return True
        return False

    def _same_arguments(self, an: Any, first: Node, again: Node, fresh: set[str], scope: Any) -> bool:
        """The same arguments, position by position and name by name; an argument may differ only
        by carrying a new id (a retry that regenerates its idempotency key is still a retry)."""
        a, b = an.site(first, scope), an.site(again, scope)
        if a is None or b is None or len(a.args) != len(b.args) or list(a.kwargs) != list(b.kwargs):
            return False
        if a.func is not None and b.func is not None and an.anchor_text(a.func, 400) != an.anchor_text(b.func, 400):
            # client.post(url).toString(): the calls of the receiver chain must be the same too
            inner_a = [n for n in self._descend(an, a.func) if n.type in an.CALL_TYPES]
            inner_b = [n for n in self._descend(an, b.func) if n.type in an.CALL_TYPES]
            if len(inner_a) != len(inner_b) or not all(self._same_arguments(an, x, y, fresh, scope) for x, y in zip(inner_a, inner_b)):
                return False
        for x, y in list(zip(a.args, b.args)) + [(a.kwargs[k], b.kwargs[k]) for k in a.kwargs]:
            if an.anchor_text(x, 400) == an.anchor_text(y, 400):
                continue
            if not (self._makes_id(an, y, scope) or any(n.type in an.IDENTIFIER_TYPES and an.text(n) in fresh for n in self._descend(an, y))):
                return False
        return True


__all__ = ["TsRetryLoops", "retry_named", "is_logging"]
