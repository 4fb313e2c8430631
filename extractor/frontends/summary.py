"""Per-file summaries: what the link stage needs to follow calls across files, for every language.

A ``FileSummary`` is part of a file's ``FileResult``: per-file extraction stays a pure function of
(path, content, rules, module name), and the summary is plain data (frozen dataclasses of strings,
numbers and symbolic ``values``; picklable, in a deterministic order), so it can be cached with
the rest of the result. It lists the file's functions and methods with their parameters (declared
types, defaults), decorators, what they return when the engine evaluated it, the calls they make
(the callee's qualified name when resolved, the arguments as values) and the keys of the facts
emitted inside them. The link stage (``extractor/reach.py``) indexes the summaries of a service to
answer which functions, and so which facts, a function reaches.

The tree-sitter engine fills a ``SummaryRecorder`` (``frontends/treesitter/summary.py``) as it walks (``walk_function``, ``match_call``,
``emit``): it records what the walk computes anyway, plus the cheap values of call arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..values import Value


@dataclass(frozen=True, slots=True)
class Param:
    """A declared parameter: its name, declared type (source text and qualified name when the
    file resolves it) and default value."""

    name: str
    type: str | None = None
    type_name: str | None = None
    default: Value | None = None


@dataclass(frozen=True, slots=True)
class CallSite:
    """One call made inside a function.

    ``callee`` is the called name, qualified when the file resolves it (an import, an attribute
    of one, a method of a tracked object, a function or method of this file: module-qualified);
    None when only ``name`` (the called member, ``client.score`` → ``score``) is known. ``local``
    is the file-local qualified name of a same-file function or method. ``functions`` are the
    module-qualified names of same-file functions passed as arguments (callbacks, tasks).
    ``line`` and ``end_line`` are 1-based, ``col`` is the 1-based byte column of the call's start.
    Arguments are values as far as cheap to know, else their source text (``Dynamic``). A Python
    ``**opts`` argument is the keyword ``"**"``. ``policies`` are the keys of the file's retry
    policies and breakers whose scope the call is made in (a retry loop around it). ``guards``
    (Python): what the ifs around the call test of the function's parameters, each
    ``(parameter, test, value)`` with test ``==``, ``!=`` (a literal), ``truthy`` or ``falsy``:
    a call site binding a parameter otherwise does not reach the call.
    """

    line: int
    col: int
    callee: str | None
    name: str
    local: str | None = None
    end_line: int = 0  # the call's last line (a function literal passed to it lies in between)
    args: tuple[Value, ...] = ()
    kwargs: tuple[tuple[str, Value], ...] = ()
    functions: tuple[str, ...] = ()
    policies: tuple[int, ...] = ()
    guards: tuple[tuple[str, str, Value | None], ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    """A function, method or function literal of the file.

    ``qualname`` is the name facts use as their ``scope`` (file-local: ``Client.score``,
    ``handler.func1``); ``parent`` the enclosing function's (a closure), ``cls`` the enclosing
    type's. ``returns`` is the value the engine evaluated for a call without arguments, when it
    did (a factory's object: ``Obj``; a same-file class's instance: ``Call`` of the class).
    ``facts`` are the keys (``RawFact.key``) of the facts emitted directly inside it.
    ``members`` (a constructor): the instance attributes it sets from its parameters
    (``self.url = url``: ``("url", Dynamic("url"))``), which its call sites give values.
    ``decorator_lines``: the 1-based first line of each decorator (a decorator may span lines).
    """

    qualname: str
    name: str
    line: int
    end_line: int = 0
    parent: str = ""
    cls: str = ""
    params: tuple[Param, ...] = ()
    decorators: tuple[str, ...] = ()
    returns: Value | None = None
    calls: tuple[CallSite, ...] = ()
    facts: tuple[int, ...] = ()
    members: tuple[tuple[str, Value], ...] = ()
    decorator_lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class FileSummary:
    """Every function of one file, and what its top level calls and emits."""

    path: str
    language: str
    module: str = ""
    functions: tuple[FunctionSummary, ...] = ()
    calls: tuple[CallSite, ...] = ()  # made at the top level (module initialisation, a Go var block)
    facts: tuple[int, ...] = ()  # emitted outside any function
    # (class's file-local qualified name, its bases' qualified names in order): where a method the
    # class does not define is looked up (``self.post`` of ``class Discord(Slackalike)``)
    bases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (enum constant's file-local qualified name, its constructor call's arguments): a constant passed
    # to a function of another file is read there (``Backend.ORDERS`` → ``("orders-service",)``)
    enums: tuple[tuple[str, tuple[Value, ...]], ...] = ()

    def qualify(self, qualname: str) -> str:
        """A file-local name as the module-qualified name other files' calls resolve to."""
        return f"{self.module}.{qualname}" if self.module and qualname else qualname or self.module


def site_key(c: CallSite) -> tuple:
    return (c.line, c.col, c.callee or "", c.name)
