"""Which functions an endpoint handler can reach: a call index over the per-file summaries.

Facts say where a call is made (its enclosing function) and which function handles an endpoint,
but not which calls one request makes. Without that, a system check would have to assume every
operation of a service makes every call of that service, and would blame ``GET /fraud-score`` for
what ``POST /v1/score`` does.

Every extracted file has a summary (``extractor/frontends/summary.py``): its functions and the
calls each makes, with the callee's qualified name where the file resolves it. The link stage
indexes the summaries per service (``build_call_index``) and resolves a call to functions of
the same service:

- a same-file function or method (``local``);
- a qualified name another file of the service defines: ``from .client import score`` in
  Python (``risk.client.score``), a function of the same Go package (``pkg/path.helper``), a
  method of a same-file or imported class (``Client().score`` → ``module.Client.score``); a JVM
  file's module is its class (``com.acme.Helper``), so ``com.acme.Helper.compute`` names the
  method ``Helper.compute`` of that file;
- a qualified name under a module of the service that names no function exactly: the functions
  of that module with the last name;
- an unresolved call (``svc.score()`` on an injected field): every function of the service with
  that name, as does a qualified name whose class-qualified tail (``RiskClient.Score``) is a
  method of the service.

A function also reaches the closures defined in it and the same-file functions passed to its
calls. Unresolved calls make the answer an over-approximation (a same-service hop is not missed
where the hop's file was extracted); external calls (libraries) reach nothing. The walk is
breadth-first, bounded by ``MAX_DEPTH`` hops and safe with cycles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .frontends.summary import CallSite, FileSummary, FunctionSummary

_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
"""A handler spelled as a (dotted) name rather than a function literal."""

MAX_DEPTH = 16
"""Hops followed from a handler (a chain longer than this is cut)."""

FnKey = tuple[str, str]
"""A function: (file, file-local qualified name, as facts name their ``scope``)."""


@dataclass
class ServiceCalls:
    """One service's functions and how its calls resolve to them."""

    files: dict[str, FileSummary] = field(default_factory=dict)
    functions: dict[FnKey, list[FunctionSummary]] = field(default_factory=dict)
    # module-qualified name → functions
    by_full: dict[str, list[FnKey]] = field(default_factory=dict)
    # last name → functions
    by_name: dict[str, list[FnKey]] = field(default_factory=dict)
    # module → files
    by_module: dict[str, list[str]] = field(default_factory=dict)
    # function → closures / nested functions
    children: dict[FnKey, list[FnKey]] = field(default_factory=dict)
    _edges: dict[FnKey, tuple[FnKey, ...]] = field(default_factory=dict)
    # callee → the functions its module and last name give (``resolve``'s memo: the same callee is
    # called from many files, and a common name has many functions)
    _by_callee: dict[str, list[FnKey]] = field(default_factory=dict, compare=False, repr=False)

    def add(self, summary: FileSummary) -> None:
        path = summary.path
        self._by_callee.clear()
        self.files[path] = summary
        if summary.module:
            self.by_module.setdefault(summary.module, []).append(path)
        last = summary.module.rpartition(".")[2] if summary.module else ""
        for fn in summary.functions:
            key = (path, fn.qualname)
            if key not in self.functions:
                self.functions[key] = []
                _append(self.by_full, summary.qualify(fn.qualname), key)
                head, _, rest = fn.qualname.partition(".")
                # a JVM file's module is its class: com.acme.Helper + Helper.compute
                if last and head == last and rest:
                    _append(self.by_full, f"{summary.module}.{rest}", key)
                _append(self.by_name, fn.name, key)
                if fn.parent:
                    _append(self.children, (path, fn.parent), key)
            self.functions[key].append(fn)

    def callees(self, key: FnKey) -> tuple[FnKey, ...]:
        """The functions of the service one function's calls (and closures) can run."""
        done = self._edges.get(key)
        if done is not None:
            return done
        out: list[FnKey] = []
        for fn in self.functions.get(key, ()):
            for call in fn.calls:
                out += self.resolve(call, key[0])
        out += self.children.get(key, ())
        result = tuple(dict.fromkeys(k for k in out if k != key))
        self._edges[key] = result
        return result

    def resolve(self, call: CallSite, path: str) -> list[FnKey]:
        """The functions of the service one call site can run."""
        found: list[FnKey] = []
        if call.local is not None and (path, call.local) in self.functions:
            found.append((path, call.local))
        for passed in call.functions:
            found += self.by_full.get(passed, ())
        if call.local is not None:
            return found
        if call.callee is None:
            return found + self.by_name.get(call.name, []) if call.name else found
        # a method of what a call returns: Client().score
        callee = call.callee.replace("().", ".")
        exact = self.by_full.get(callee)
        if exact:
            return found + exact
        tail = self._by_callee.get(callee)
        if tail is None:
            tail = self._by_callee[callee] = self._by_tail(callee)
        return found + tail

    def _by_tail(self, callee: str) -> list[FnKey]:
        name = callee.rpartition(".")[2]
        module = self._module_prefix(callee)
        if module is not None:  # under a module of the service: its functions with that name
            files = set(self.by_module[module])
            return [k for k in self.by_name.get(name, ()) if k[0] in files]
        if "." in callee:  # a class-qualified tail: Acme.Risk.RiskClient.Score → RiskClient.Score
            return [k for k in self.by_name.get(name, ()) if "." in k[1] and callee.endswith("." + k[1])]
        return []

    def _module_prefix(self, qual: str) -> str | None:
        head = qual
        while "." in head:
            head = head.rpartition(".")[0]
            if head in self.by_module:
                return head
        return None

    def reachable(self, start: Iterable[FnKey], depth: int = MAX_DEPTH) -> frozenset[FnKey]:
        """The functions reachable from ``start`` (themselves included), at most ``depth`` hops away."""
        seen = set(start)
        frontier = sorted(seen)
        for _ in range(depth):
            nxt = []
            for key in frontier:
                for callee in self.callees(key):
                    if callee not in seen:
                        seen.add(callee)
                        nxt.append(callee)
            if not nxt:
                break
            frontier = nxt
        return frozenset(seen)

    def handler_functions(self, path: str, handler: str) -> list[FnKey]:
        """The functions an endpoint's handler text names: in the endpoint's file first
        (``score_transaction``, ``Controller.score``), else anywhere in the service by its last
        name (``s.handleScore`` → ``Server.handleScore`` of another file of the package)."""
        short = handler.rsplit(".", 1)[-1]
        if not short.isidentifier():
            return []
        named = self.by_name.get(short, [])
        exact = [k for k in named if k[1] == handler or handler.endswith("." + k[1]) or k[1].endswith("." + handler)]
        same_file = [k for k in named if k[0] == path]
        for group in ([k for k in exact if k[0] == path], same_file, exact, named):
            if group:
                return sorted(group)
        return []

    def encloses(self, key: FnKey, path: str, line: int) -> bool:
        """Whether function ``key`` spans ``line`` of ``path`` (a route registered inside it)."""
        return key[0] == path and any(fn.line <= line <= fn.end_line for fn in self.functions.get(key, ()))

    def literal_functions(self, path: str, line: int) -> list[FnKey]:
        """The function literals passed to a call that starts at ``line`` of ``path`` (a route
        registered with its handler inline: ``app.post("/x", async (req, res) => {...})``)."""
        summary = self.files.get(path)
        if summary is None or line <= 0:
            return []
        out: list[FnKey] = []
        for owner, sites in [("", summary.calls)] + [(fn.qualname, fn.calls) for fn in summary.functions]:
            for call in sites:
                if call.line != line:
                    continue
                for fn in summary.functions:
                    if fn.parent == owner and call.line <= fn.line and fn.end_line <= call.end_line and (path, fn.qualname) not in out:
                        out.append((path, fn.qualname))
        return sorted(out)


@dataclass
class CallIndex:
    """Every service's ``ServiceCalls``, from the summaries of its files."""

    services: dict[str, ServiceCalls] = field(default_factory=dict)

    def handler_reach(self, service: str, path: str, handler: str | None, line: int = 0) -> frozenset[FnKey] | None:
        """The functions an endpoint handler reaches (itself included); None when it is not known.

        ``handler`` names the function as the code spells it (``score``, ``s.handleScore``); a
        route registered with a function literal (``async (req, res) => {…}``, a Kotlin trailing
        lambda whose handler text is the enclosing scope) is handled by the literals passed to
        the call at ``line`` of ``path``."""
        calls = self.services.get(service)
        if calls is None:
            return None
        start = calls.handler_functions(path, handler) if handler and _NAME.fullmatch(handler) else []
        if not start or any(calls.encloses(k, path, line) for k in start):
            # no name, or the name of the scope registering the route (a Kotlin route's
            # enclosing lambda): the literals passed with the route
            start = calls.literal_functions(path, line) or start
        if not start:
            return None
        return calls.reachable(start)


def build_call_index(summaries: Iterable[FileSummary], service_of: Mapping[str, str | None]) -> CallIndex:
    """Index the summaries of every service (files outside a service are left out)."""
    index = CallIndex()
    for summary in sorted(summaries, key=lambda s: s.path):
        service = service_of.get(summary.path)
        if service is not None:
            index.services.setdefault(service, ServiceCalls()).add(summary)
    return index


def _append(table: dict, key: object, value: FnKey) -> None:
    """Add ``value`` to the list at ``key`` once. ``add`` meets each function once (its key is new),
    so the value can only be last already (a JVM file adding a function under two names that
    coincide): checking the last item is checking the list, in constant time."""
    got = table.get(key)
    if got is None:
        table[key] = [value]
    elif got[-1] != value:
        got.append(value)
