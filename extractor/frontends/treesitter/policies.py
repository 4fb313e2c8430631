"""Which retry policies and circuit breakers cover which calls, within one file.

A policy covers a *scope*: the body of a function it decorates, the body of a loop over a
retrying object, the block of a ``with`` on a breaker, or every call made through an object
that carries it (a session with a mounted retry adapter). Calls made in a same-file function
that the scope calls are covered too (one hop), and so are those of the function literals that
same-file callers pass to a function running that parameter under a policy (``policy.ExecuteAsync(action)``). Links are ``FactRef``s; the link stage turns
them into ids, keeps only policy kinds, and fills both directions.

A circuit breaker's ``fallback``, when its rule did not read one (``fallback_function=``), is the
constant its caller returns on failure: a ``breaker.call(fn)``, a ``with breaker:`` block or a
call of a breaker-decorated same-file function inside a ``try`` whose handler returns a literal.
Only breakers defined in the same file get it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ...facts import FactRef
from ...values import Const, Obj, Seq, strip, walk
from ..base import RawFact

POLICY_KINDS = frozenset({"retry_policy", "circuit_breaker"})
CALL_KINDS = frozenset({"http_call", "grpc_call"})  # outbound calls (a time limit, a fallback, an id sink apply to them)
COVERED_KINDS = CALL_KINDS | {"id_generation"}
LINK_FIELD = "_policies"


def origin_ref(origin: str) -> FactRef | None:
    """``path#key`` (set on objects built by a constructor) → a reference to that node's fact."""
    path, sep, key = origin.rpartition("#")
    if not sep or not key.isdigit():
        return None
    return FactRef(int(key), path)


def policy_mark(ref: FactRef, path: str) -> Obj:
    """A policy fact as an object a receiver's ``_policy`` capture carries (its origin ``path#key``:
    ``origin_ref``); ``path``: the file of a ref without one."""
    return Obj("$policy", (), "", f"{ref.file or path}#{ref.key}")


def policy_export(refs: Iterable[FactRef], path: str, name: str = "") -> Obj:
    """Policies exported for other files' analyses (a helper's ``$$runs.``, an interface's ``$$covers.``,
    a fallback bean's ``$$implemented.``): their marks (``policy_mark``) under ``_policy``."""
    return Obj("$policies", (("_policy", Seq(tuple(policy_mark(r, path) for r in refs))),), name)


def exported_marks(given: Obj | None) -> tuple[Obj, ...]:
    """The policy marks an object's ``_policy`` capture holds (one, or a sequence: ``policy_export``)."""
    found = given.capture("_policy") if given is not None else None
    marks = strip(found) if found is not None else None
    items = marks.items if isinstance(marks, Seq) else (marks,) if isinstance(marks, Obj) else ()
    return tuple(m for m in items if isinstance(m, Obj))


def exported_refs(given: Obj | None) -> list[FactRef]:
    """The policy facts an object's ``_policy`` capture names (``exported_marks``)."""
    return [r for m in exported_marks(given) if (r := origin_ref(m.origin)) is not None]


def object_policies(value: Any) -> list[FactRef]:
    """Every object inside ``value`` (a receiver and what it captured) that may carry a policy."""
    refs: list[FactRef] = []
    if not isinstance(value, Obj):
        return refs
    for v in walk(value):
        if isinstance(v, Obj) and v.origin:
            ref = origin_ref(v.origin)
            if ref is not None and ref not in refs:
                refs.append(ref)
    return refs


@dataclass
class PolicyTracker:
    path: str
    stack: list[FactRef] = field(default_factory=list)
    facts_in_function: dict[str, list[RawFact]] = field(default_factory=dict)
    calls_in_scope: dict[FactRef, set[str]] = field(default_factory=dict)
    policy_facts: dict[int, RawFact] = field(default_factory=dict)  # this file's policy facts by key
    decorated: dict[str, list[FactRef]] = field(default_factory=dict)  # function → its decorators' policies
    fallbacks: list[tuple[list[FactRef] | str, str]] = field(default_factory=list)  # (policies or function, text)
    callees: dict[str, set[str]] = field(default_factory=dict)  # function → same-file functions it calls
    whole: dict[FactRef, set[str]] = field(default_factory=dict)  # policies covering whole functions (self.retry())
    param_runs: dict[tuple[str, int], list[FactRef]] = field(default_factory=dict)  # (function, parameter index) → policies running that delegate
    passed: list[tuple[str, int, int]] = field(default_factory=list)  # (same-file function called, argument index, function literal id)

    def enter(self, refs: list[FactRef]) -> int:
        self.stack.extend(refs)
        return len(refs)

    def leave(self, n: int) -> None:
        if n:
            del self.stack[-n:]

    def on_fact(self, fact: RawFact, receiver: Any, function: str | None) -> None:
        if fact.kind not in COVERED_KINDS:
            if fact.kind in POLICY_KINDS:
                self.policy_facts[fact.key] = fact
            return
        refs = list(self.stack)
        if receiver is not None:
            refs += [r for r in object_policies(receiver) if r not in refs]
        if refs:
            fact.fields[LINK_FIELD] = refs
        if function:
            self.facts_in_function.setdefault(function, []).append(fact)

    @staticmethod
    def cover_declared(facts: list[RawFact], refs: list[FactRef]) -> None:
        """Calls declared by a method's decorators, covered by the policies of its other decorators."""
        for fact in facts:
            if fact.kind in CALL_KINDS:
                links: list[FactRef] = fact.fields.setdefault(LINK_FIELD, [])
                links.extend(r for r in refs if r not in links)

    def on_local_call(self, function: str, extra: list[FactRef] | None = None, caller: str | None = None) -> None:
        for ref in list(self.stack) + list(extra or ()):
            self.calls_in_scope.setdefault(ref, set()).add(function)
        if caller is not None:
            self.callees.setdefault(caller, set()).add(function)

    def cover_function(self, function: str, ref: FactRef) -> None:
        """A policy met inside ``function`` (``self.retry()`` in a task) covers all of it, and one hop."""
        self.whole.setdefault(ref, set()).add(function)

    def run_param(self, function: str, index: int, refs: list[FactRef]) -> None:
        """``function`` runs its parameter ``index`` (a delegate) under ``refs``: ``policy.ExecuteAsync(action)``."""
        known = self.param_runs.setdefault((function, index), [])
        known.extend(r for r in list(self.stack) + refs if r not in known)

    def run_passed(self, literal_name: Callable[[int], str | None]) -> None:
        """The function literals same-file callers pass at a parameter their callee runs under a
        policy (``helper.ExecuteResilient(async () => ...)``) are covered by it (``literal_name``:
        a walked literal's function name)."""
        for function, index, literal in self.passed:
            refs = self.param_runs.get((function, index))
            if not refs or (name := literal_name(literal)) is None:
                continue
            for ref in refs:
                self.calls_in_scope.setdefault(ref, set()).add(name)

    def on_fallback(self, target: list[FactRef] | str, text: str) -> None:
        """Policies (or a function's decorator policies) whose caller falls back to ``text`` on failure."""
        self.fallbacks.append((target, text))

    def _apply_fallbacks(self) -> None:
        for target, text in self.fallbacks:
            refs = self.decorated.get(target, []) if isinstance(target, str) else target
            for ref in refs:
                fact = self.policy_facts.get(ref.key) if ref.file in ("", self.path) else None
                if fact is not None and fact.kind == "circuit_breaker" and fact.fields.get("fallback") is None:
                    fact.fields["fallback"] = Const(text)

    def finish(self) -> None:
        """One hop: facts of a function called from a scope are covered by the scope's policies."""
        if self.fallbacks:
            self._apply_fallbacks()
        for ref, functions in self.whole.items():
            covered = self.calls_in_scope.setdefault(ref, set())
            for fn in functions:
                covered.add(fn)
                covered.update(self.callees.get(fn, ()))
        for ref, functions in self.calls_in_scope.items():
            for fn in sorted(functions):
                for fact in self.facts_in_function.get(fn, ()):
                    links: list[FactRef] = fact.fields.setdefault(LINK_FIELD, [])
                    if ref not in links:
                        links.append(ref)
