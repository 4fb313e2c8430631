"""The engine's data: scopes and bindings, same-file functions and types, call sites, limits.

A ``Scope`` (module, class body, function, closure) holds ``Binding``s: a name bound to the
expression it was assigned (evaluated lazily, memoised in ``value``) or to a declared type. A
``FunctionInfo`` / ``ClassInfo`` is a function or type declared in the file; ``FunctionValue``,
``ClassValue`` and ``Instance`` are the values that name them, ``Opaque`` an expression whose value
is unknown. A ``Site`` is a call or construction as the adapter's ``site`` hook reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...values import Concat, Const, Map, Value, at_path, simplify_concat, strip

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_EVAL_DEPTH = 40
MAX_CALL_ARGS = 12
MAX_LITERAL_ITEMS = 32
MAX_INLINE_DEPTH = 4  # nested same-file function calls evaluated with their arguments
OWNER_CAPTURE = "_owner"  # raw field read by the link stage's mounts (extractor/mounts.py OWNER_FIELD)


class _Unbound:
    pass


UNBOUND = _Unbound()


@dataclass(eq=False, slots=True)
class FunctionInfo:
    node: Node
    scope: Scope  # the defining scope (a closure's enclosing function)
    qualname: str
    name: str
    cls: ClassInfo | None = None


@dataclass(eq=False, slots=True)
class ClassInfo:
    """A type declared in this file (a Go struct, a class)."""

    name: str
    node: Node
    scope: Scope
    qualname: str
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    members: dict[str, list[tuple[Node, Scope]]] | None = None  # field → assigned expressions
    member_types: dict[str, tuple[Node, Scope]] = field(default_factory=dict)  # field → declared type
    member_cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Opaque:
    """An expression whose value is unknown; its text is produced only if it is reported."""

    node: Node


@dataclass(frozen=True, slots=True)
class FunctionValue:
    fn: FunctionInfo


@dataclass(frozen=True, slots=True)
class ClassValue:
    cls: ClassInfo


@dataclass(frozen=True, slots=True)
class Instance:
    """A value of a same-file type (a method's receiver, ``this``, a struct literal)."""

    cls: ClassInfo
    name: str = ""


@dataclass(slots=True)
class Binding:
    expr: Node | None = None
    scope: Scope | None = None
    value: Any = UNBOUND
    index: int = 0  # position in a multi-value right-hand side (a, err := f())
    type_node: Node | None = None  # a declared type (var c http.Client; a typed parameter)
    param: bool = False  # constructed elsewhere: a tracked type's declared captures are unknown
    ambiguous: bool = False
    previous: Binding | None = None  # the binding of the same name this one replaced in its scope


@dataclass(slots=True)
class Scope:
    kind: str  # module | function
    qualname: str
    parent: Scope | None
    bindings: dict[str, Binding] = field(default_factory=dict)
    function: FunctionInfo | None = None
    cls: ClassInfo | None = None
    closures: int = 0
    rebound: list[str] = field(default_factory=list)  # names bound more than once here (a reassigned c := dial(...))

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            b = scope.bindings.get(name)
            if b is not None:
                return b
            scope = scope.parent
        return None

    def owner_of(self, name: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.bindings:
                return scope
            scope = scope.parent
        return None


@dataclass(slots=True)
class Site:
    """A call or a construction, as the language spells it: what the argument specs read."""

    node: Node  # reported at
    func: Node | None = None  # the callee expression
    type_node: Node | None = None  # a construction by type name (Go composite literal, new T(...))
    args: list[Node] = field(default_factory=list)
    kwargs: dict[str, Node] = field(default_factory=dict)  # keyword / named arguments
    fields: dict[str, Node] | None = None  # composite-literal fields, object-initialiser properties
    hidden: bool = False  # a spread (f(xs...)) may hide the arguments after it
    type_args: list[Node] = field(default_factory=list)  # generic type arguments (C# AddHttpClient<RiskClient>(...))


def join_prefix(prefix: Value, path: Value) -> Value:
    """A router prefix and a route path joined with one ``/`` (``v1`` + ``:id`` → ``v1/:id``,
    ``/v1/`` + ``/x`` → ``/v1/x``); an empty path is the prefix itself."""
    p_end = _edge(prefix, -1)
    s_start = _edge(path, 0)
    if s_start == "":  # an empty path: the prefix alone
        return prefix
    if p_end == "":
        return path
    if p_end is not None and s_start is not None:
        if p_end == "/" and s_start == "/":
            inner = strip(path)
            if isinstance(inner, Const) and isinstance(inner.value, str):
                return simplify_concat((prefix, Const(inner.value[1:])))
        elif p_end != "/" and s_start != "/":
            return simplify_concat((prefix, Const("/"), path))
    return simplify_concat((prefix, path))


def _edge(v: Value, at: int) -> str | None:
    """The first (0) or last (-1) character of a value's text when it is a known string ("" when empty)."""
    inner = strip(v)
    if isinstance(inner, Concat) and inner.parts:
        return _edge(inner.parts[at], at)
    if isinstance(inner, Const) and isinstance(inner.value, str):
        return inner.value[at] if inner.value else ""
    return None


def at_path_named(v: Value, path: tuple[str | int, ...]) -> Value | None:
    """``at_path`` that keeps a named constant found at the end (``{timeout: TIMEOUT_MS}``)."""
    holder = at_path(v, path[:-1]) if len(path) > 1 else strip(v)
    last = path[-1]
    if isinstance(holder, Map) and isinstance(last, str):
        found = holder.get(last)
        if found is not None:
            return found
    return at_path(v, path)


def _hashable(args: tuple[Any, ...]) -> bool:
    try:
        hash(args)
    except TypeError:
        return False
    return True
