"""A small public facade over the tree-sitter frontends, for tests.

Tests of a frontend assert what it binds (the value of a name, a class member, what a function
returns) and what it reports (facts, imports, comments). They go through this module, never through
the engine's private attributes or constructor, so the engine's internals (``engine.py`` and its modules, the
language adapters) can be reorganised by changing this file alone.

- ``extract_source(language, source, path=..., rules=...)``: one file through the frontend, as a scan
  runs it (``FileResult``).
- ``Probe(language, source, path=..., rules=...)``: one file with its top-level names bound (prescanned)
  and nothing walked yet: ``value``, ``static``, ``member``, ``returned``, ``locals_of``, ... then
  ``facts()`` walks it.
- ``select_rules``, ``comments``, ``parsers_created``, ``grammar_for`` and the value kinds
  (``ClassValue``, ``FunctionValue``, ``Instance``) and ``join_prefix`` the tests compare with.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from ..catalog import Rule, load_catalog
from . import frontend_for
from .base import Comment, FileResult
from .treesitter import _load, _query_for, parsers_created
from .treesitter.scopes import (
    ClassInfo,
    ClassValue,
    FunctionInfo,
    FunctionValue,
    Instance,
    join_prefix,
)

__all__ = [
    "ClassInfo",
    "ClassValue",
    "FunctionInfo",
    "FunctionValue",
    "Instance",
    "Probe",
    "comments",
    "extract_source",
    "grammar_for",
    "join_prefix",
    "parsers_created",
    "select_rules",
]

DEFAULT_PATHS = {
    "go": "x.go",
    "java": "x/Svc.java",
    "javascript": "src/x.ts",
    "typescript": "src/x.ts",
    "csharp": "x.cs",
    "kotlin": "x/Svc.kt",
    "python": "x.py",
    "php": "x.php",
    "ruby": "x.rb",
}


def select_rules(language: str, rule_ids: Iterable[str] = (), *, uses: bool = True) -> list[Rule]:
    """The rules of ``language`` (its own and those shared with it) a test runs: ``rule_ids``, the
    platform rules (which load whichever rules run) and, with ``uses``, the rules those ids use."""
    ids = tuple(rule_ids)
    catalog = load_catalog()
    used = {u for i in ids for u in (getattr(catalog.get(i), "uses", None) or ())} if uses else set()
    return [r for r in catalog.applying_to(language) if r.id in ids or r.kind == "platform" or r.id in used]


def _source_bytes(source: str | bytes) -> bytes:
    return source if isinstance(source, bytes) else textwrap.dedent(source).encode()


def _rules(language: str, rules: Sequence[Rule] | Iterable[str] | None) -> list[Rule]:
    if rules is None:
        return select_rules(language)
    given: list[Any] = list(rules)
    if all(isinstance(r, str) for r in given):
        return select_rules(language, given)
    return given


def _frontend(language: str) -> Any:
    fe = frontend_for(language)
    if fe is None:
        raise ValueError(f"no frontend for {language!r}")
    return fe


def extract_source(
    language: str,
    source: str | bytes,
    path: str | None = None,
    rules: Sequence[Rule] | Iterable[str] | None = None,
    module: str = "",
) -> FileResult:
    """One file through ``language``'s frontend as a scan runs it. ``source`` text is dedented;
    ``rules`` are rule ids (see ``select_rules``) or rules; none: the platform rules only."""
    fe = _frontend(language)
    return fe.extract(path or DEFAULT_PATHS.get(language, "x"), _source_bytes(source), fe.compile(_rules(language, rules)), module)


def comments(language: str, source: bytes, path: str = "") -> list[Comment]:
    """The comments of a file, as the fixture harness reads its annotations."""
    return _frontend(language).comments(source, path)


def grammar_for(language: str, path: str) -> tuple[str, str]:
    """The grammar (module, function) a file of ``language`` is parsed with."""
    return _frontend(language).spec.grammar_for(path)


class Probe:
    """One file of ``language`` with its top-level names bound and nothing walked yet.

    ``value``/``static``/``member``/``returned`` ask what a name holds, as the engine would when a call
    reads it; ``facts()`` walks the file's functions and returns the facts the rules made."""

    def __init__(
        self,
        language: str,
        source: str | bytes,
        path: str | None = None,
        rules: Sequence[Rule] | Iterable[str] | None = None,
        module: str = "",
    ) -> None:
        fe = _frontend(language)
        path = path or DEFAULT_PATHS.get(language, "x")
        data = _source_bytes(source)
        tree = fe.parse(path, data)
        analyzer = _load(fe.spec.analyzer)
        self._an = analyzer(fe.compile(_rules(language, rules)), path, data, tree, module, _query_for(fe.spec.grammar_for(path)))
        self._an.prescan(tree.root_node)

    # ---------------------------------------------------------------- the file
    @property
    def root(self) -> Any:
        """The tree's root node."""
        return self._an.tree.root_node

    @property
    def module_scope(self) -> Any:
        return self._an.module_scope

    @property
    def imports(self) -> dict[str, str]:
        """Local name → what it imports."""
        return self._an.result.imports

    @property
    def tracks_ids(self) -> bool:
        """Whether the file gets an id flow (only files with id words do)."""
        return self._an.idflow is not None

    def facts(self) -> list[Any]:
        """Walk the file and return its facts (policies attached to the calls they cover)."""
        self._an.walk_root(self._an.tree.root_node)
        self._an.policies.finish()
        return self._an.result.facts

    # ---------------------------------------------------------------- names and values
    def value(self, name: str, scope: Any = None) -> Any:
        """What ``name`` holds in ``scope`` (default: the module's)."""
        return self._an.lookup_name(name, self._an.module_scope if scope is None else scope)

    def cls(self, name: str) -> ClassInfo:
        """The type ``name`` declared in this file."""
        return self._an._classes[name]

    def class_scope(self, cls: str | ClassInfo) -> Any:
        """The scope a type's members (static fields, methods) are bound in."""
        info = self.cls(cls) if isinstance(cls, str) else cls
        scopes = getattr(self._an, "_class_scopes", None)  # C# keeps them beside the type (its scope is the module's)
        return scopes[info.node.id] if scopes is not None else info.scope

    def static(self, cls: str | ClassInfo, name: str) -> Any:
        """A member read through the type (a constant, a static field, a method)."""
        return self.value(name, self.class_scope(cls))

    def instance(self, cls: str | ClassInfo, name: str = "") -> Instance:
        """A value of a type of this file (``name``: the receiver's, such as ``this``)."""
        return Instance(self.cls(cls) if isinstance(cls, str) else cls, name)

    def member(self, of: str | ClassInfo | Instance, attr: str) -> Any:
        """An instance member: ``of`` is an instance, or a type of this file (a fresh instance of it)."""
        inst = of if isinstance(of, Instance) else self.instance(of)
        return self._an.instance_member(inst, attr, None)

    def method(self, cls: str, name: str) -> FunctionInfo:
        return self.cls(cls).methods[name]

    def functions(self) -> list[FunctionInfo]:
        """The file's functions, in the order the prescan found them."""
        return list(self._an.functions_by_node.values())

    def returned(self, function: str | FunctionInfo) -> Any:
        """What a function returns (a module-level name, or a function) when called with unknown arguments."""
        if isinstance(function, str):
            fv = self.value(function)
            assert isinstance(fv, FunctionValue), f"{function} is {fv!r}, not a function"
            function = fv.fn
        return self._an.function_return(function, None, None)

    def function_scope(self, fn: FunctionInfo) -> Any:
        """A function's own scope (parameters), its body not scanned."""
        return self._an.function_scope(fn)

    def locals_of(self, fn: FunctionInfo) -> Any:
        """A function's scope after its body's bindings are scanned: look locals up in it with ``value``."""
        scope = self._an.function_scope(fn)
        self._an.scan_function(fn, scope)
        return scope

    # ---------------------------------------------------------------- syntax the engine reads
    def text(self, node: Any) -> str:
        return self._an.text(node)

    def named(self, node: Any) -> list[Any]:
        """A node's named children, as the engine iterates them."""
        return self._an.named(node)

    def function_body(self, node: Any) -> Any:
        return self._an.function_body(node)

    def site(self, node: Any, scope: Any = None) -> Any:
        """A call's site (callee, positional and keyword arguments)."""
        return self._an.site(node, self._an.module_scope if scope is None else scope)

    def decorators(self, fn: FunctionInfo) -> list[Any]:
        """The sites of a function's decorators (annotations, attributes)."""
        return self._an.decorators(fn)

    def evaluate(self, node: Any, scope: Any = None) -> Any:
        return self._an.evaluate(node, self._an.module_scope if scope is None else scope)

    def to_value(self, v: Any) -> Any:
        """An evaluated expression as a plain value (``extractor.values``)."""
        return self._an.to_value(v)

    def loop_kind(self, node: Any) -> str | None:
        return self._an.loop_kind(node)

    def loop_count(self, node: Any, scope: Any) -> Any:
        return self._an.loop_count(node, scope)
