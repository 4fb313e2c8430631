"""Tree-sitter frontends: one generic engine (``engine.py``) plus one adapter per language.

A language is a ``LanguageSpec`` (its grammar wheel, its adapter class, its comment node types)
and rule files under ``rules/<language>/`` with a ``treesitter:`` block; see docs/frontends.md.

Nothing here imports ``tree_sitter`` at import time: the parser of a language (and its grammar)
is created the first time a file of that language is extracted (or its comments read), once per
process. A scan whose catalog has no rules for a language never compiles or parses anything for
it (``scan.py`` only extracts languages the catalog has rules for).
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...catalog import Rule
from ...values import Value
from ..base import Comment, FileResult
from .index import TsIndex, compile_rules, default_words
from .tables import check_grammar


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    grammars: tuple[tuple[str, str, str], ...]  # (file suffix or "", grammar module, function returning the language)
    analyzer: str  # "module:Class" of the adapter (a subclass of engine.Analyzer)
    comment_types: frozenset[str]
    words_of: str = ""  # "module:function": prefilter words of a qualified name ("": index.default_words, its first part)
    module_name: str = ""  # "module:function": (scan root, file) → the file's module (a Go package's import path)
    prefilter: str = ""  # "module:function": (rules, compiled index) → an object whose accepts(source) replaces the word prefilter
    linked_modules: str = ""  # "module:function": (scan root, module) → the modules whose "$" exports (registrations) it sees

    def grammar_for(self, path: str) -> tuple[str, str]:
        for suffix, module, func in self.grammars:
            if suffix and path.endswith(suffix):
                return module, func
        for suffix, module, func in self.grammars:
            if not suffix:
                return module, func
        return self.grammars[0][1], self.grammars[0][2]


def _spec(
    name: str,
    extensions: tuple[str, ...],
    grammars: str | tuple[tuple[str, str, str], ...],
    analyzer: str,
    comment_types: frozenset[str],
    words_of: str,
    module_name: str = "",
    prefilter: str = "",
    linked_modules: str = "",
) -> LanguageSpec:
    """A spec whose ``module:function`` references name modules of this package; a grammar given as a
    module name alone is used for every file (its ``language()``)."""

    def here(ref: str) -> str:
        return f"{__name__}.{ref}" if ref else ""

    grammars = (("", grammars, "language"),) if isinstance(grammars, str) else grammars
    return LanguageSpec(name, extensions, grammars, here(analyzer), comment_types, here(words_of), here(module_name), here(prefilter), here(linked_modules))


COMMENT = frozenset({"comment"})
LINE_AND_BLOCK_COMMENTS = frozenset({"line_comment", "block_comment"})

# JavaScript and TypeScript: one adapter and one rule set (``language: javascript``; TypeScript
# files are aliased to it in ``frontends.LANGUAGE_ALIASES``); the grammar follows the file suffix.
TYPESCRIPT_GRAMMARS = (
    (".tsx", "tree_sitter_typescript", "language_tsx"),
    (".ts", "tree_sitter_typescript", "language_typescript"),
    (".mts", "tree_sitter_typescript", "language_typescript"),
    (".cts", "tree_sitter_typescript", "language_typescript"),
    ("", "tree_sitter_javascript", "language"),
)
JS_EXTENSIONS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")

GO = _spec("go", (".go",), "tree_sitter_go", "go:GoAnalyzer", COMMENT, "go:words_of", "go:package_path")
JAVASCRIPT = _spec(
    "javascript",
    JS_EXTENSIONS,
    TYPESCRIPT_GRAMMARS,
    "javascript:JavaScriptAnalyzer",
    COMMENT,
    "",
    "javascript:module_path",
    linked_modules="javascript:linked_modules",
)
CSHARP = _spec(
    "csharp",
    (".cs",),
    "tree_sitter_c_sharp",
    "csharp:CSharpAnalyzer",
    COMMENT,
    "csharp_project:words_of",
    "csharp_project:project_path",
    linked_modules="csharp_project:linked_modules",
)
JAVA = _spec(
    "java",
    (".java",),
    "tree_sitter_java",
    "java:JavaAnalyzer",
    LINE_AND_BLOCK_COMMENTS,
    "java_package:words_of",
    "java_package:module_path",
    linked_modules="java_package:linked_modules",
)
KOTLIN = _spec(
    "kotlin",
    (".kt", ".kts"),
    "tree_sitter_kotlin",
    "kotlin:KotlinAnalyzer",
    LINE_AND_BLOCK_COMMENTS,
    "java_package:words_of",
    "kotlin_package:module_path",
    linked_modules="kotlin_package:linked_modules",
)
# Rust: a crate's paths are qualified by its use declarations; a file is its own module.
RUST = _spec("rust", (".rs",), "tree_sitter_rust", "rust:RustAnalyzer", LINE_AND_BLOCK_COMMENTS, "")
# PHP: names qualified by the file's namespace and use declarations; a module is a Composer project.
PHP = _spec("php", (".php",), (("", "tree_sitter_php", "language_php"),), "php:PhpAnalyzer", COMMENT, "php:words_of", "php_project:project_path")
# Ruby: constants are absolute names; a file is its own module.
RUBY = _spec("ruby", (".rb",), "tree_sitter_ruby", "ruby:RubyAnalyzer", COMMENT, "")
# Python's module names are relative to the file's service (``python_package.module_name_for``, which
# the scan applies), so the spec names no ``module_name``; its prefilter checks imports.
PYTHON = _spec("python", (".py",), "tree_sitter_python", "python:PythonAnalyzer", COMMENT, "", prefilter="python_package:python_prefilter")

LANGUAGES: dict[str, LanguageSpec] = {
    "python": PYTHON,
    "go": GO,
    "javascript": JAVASCRIPT,
    "csharp": CSHARP,
    "java": JAVA,
    "kotlin": KOTLIN,
    "rust": RUST,
    "php": PHP,
    "ruby": RUBY,
}

# process-wide caches: grammar → Language / Parser, (grammar, text) → Query
_LANGS: dict[tuple[str, str], Any] = {}
_PARSERS: dict[tuple[str, str], Any] = {}
_QUERIES: dict[tuple[tuple[str, str], str], Any] = {}


def parsers_created() -> list[tuple[str, str]]:
    """The grammars a parser was created for in this process (tests assert laziness with it)."""
    return sorted(_PARSERS)


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _language(grammar: tuple[str, str]) -> Any:
    lang = _LANGS.get(grammar)
    if lang is None:
        from tree_sitter import Language

        module, func = grammar
        lang = _LANGS[grammar] = Language(getattr(importlib.import_module(module), func)())
    return lang


def _parser(grammar: tuple[str, str]) -> Any:
    parser = _PARSERS.get(grammar)
    if parser is None:
        from tree_sitter import Parser

        parser = _PARSERS[grammar] = Parser(_language(grammar))
    return parser


def _query_for(grammar: tuple[str, str]) -> Callable[[str], Any]:
    def query(text: str) -> Any:
        key = (grammar, text)
        found = _QUERIES.get(key)
        if found is None:
            from tree_sitter import Query

            found = _QUERIES[key] = Query(_language(grammar), text)
        return found

    return query


class TreeSitterFrontend:
    def __init__(self, spec: LanguageSpec) -> None:
        self.spec = spec
        self.language = spec.name
        self.extensions = spec.extensions
        self._analyzer: Any = None

    def module_name(self, root: Any, rel: str) -> str:
        """The module a file belongs to; files of one module (a Go package) share their exports."""
        return _load(self.spec.module_name)(root, rel) if self.spec.module_name else ""

    def linked_modules(self, root: Any, module: str) -> tuple[str, ...]:
        """Other modules whose registrations (exports named ``$...``) the module's files receive (a C#
        project's references: a shared ServiceDefaults project, the app using a class library)."""
        return tuple(_load(self.spec.linked_modules)(root, module)) if self.spec.linked_modules else ()

    def linked_text(self, data: bytes) -> Any:
        """What the index behind ``linked_modules`` reads of a file's text (its module's
        ``linked_text``): the scan records it per file, so that a re-scan after a change of it does
        not keep the outcome. None: the index reads no file's text."""
        read = self._linked_hook("linked_text")
        return read(data) if read is not None else None

    def forget(self) -> None:
        """Drop what the hooks behind ``module_name`` and ``linked_modules`` keep of the trees read
        (their modules' ``forget``: a ``go.mod``, a ``composer.json``, a project index): each scan
        reads its tree as it is now."""
        for module in sorted({ref.partition(":")[0] for ref in (self.spec.module_name, self.spec.linked_modules) if ref}):
            loaded = sys.modules.get(module)  # (a module not imported yet keeps nothing)
            drop = getattr(loaded, "forget", None) if loaded is not None else None
            if drop is not None:
                drop()

    def _linked_hook(self, name: str) -> Any:
        module = self.spec.linked_modules.partition(":")[0]
        return getattr(importlib.import_module(module), name, None) if module else None

    def compile(self, rules: Sequence[Rule]) -> TsIndex:
        words = _load(self.spec.words_of) if self.spec.words_of else default_words
        index = compile_rules(rules, self.spec.name, words)
        if self.spec.prefilter:
            index.prefilter_check = _load(self.spec.prefilter)(rules, index).accepts
        return index

    def prefilter(self, compiled: TsIndex, source: bytes) -> bool:
        if compiled.prefilter_check is not None:
            return compiled.prefilter_check(source)
        if compiled.queries and not compiled.prefilter_re:
            return True
        pattern = compiled.prefilter_re
        return pattern is not None and pattern.search(source) is not None

    def parse(self, path: str, source: bytes) -> Any:
        return _parser(self.spec.grammar_for(path)).parse(source)

    def extract(
        self,
        path: str,
        source: bytes,
        compiled: TsIndex,
        module: str,
        imported_objects: Mapping[str, Value] | None = None,
    ) -> FileResult:
        if self._analyzer is None:
            self._analyzer = _load(self.spec.analyzer)
            check_grammar(self._analyzer, (_language(g[1:]) for g in self.spec.grammars))
        grammar = self.spec.grammar_for(path)
        tree = _parser(grammar).parse(source)
        # The cycle collector is paused during one file's analysis: the analysis allocates many
        # short-lived containers that reference counting frees, and a collection every few hundred
        # allocations walked the file's live scopes and nodes again and again. The cycles a file
        # leaves are collected after it (the first allocation past the threshold), so memory stays
        # bounded by one file.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            given = _Given(imported_objects or {})
            analyzer = self._analyzer(compiled, path, source, tree, module, _query_for(grammar), given)
            try:
                result = analyzer.run()
            finally:
                analyzer.release()
            result.asked = None if given.every else tuple((name, imported_objects.get(name) if imported_objects else None) for name in sorted(given.names))
            return result
        finally:
            if paused:
                gc.enable()

    def comments(self, source: bytes, path: str = "") -> list[Comment]:
        grammar = self.spec.grammar_for(path)
        tree = _parser(grammar).parse(source)
        out: list[Comment] = []
        from tree_sitter import QueryCursor

        pattern = "[" + " ".join(f"({t})" for t in sorted(self.spec.comment_types)) + "] @comment"
        for node in QueryCursor(_query_for(grammar)(pattern)).captures(tree.root_node).get("comment", ()):
            line = node.start_point[0] + 1
            line_start = node.start_byte - node.start_point[1]
            own = not source[line_start : node.start_byte].strip()
            out.append(Comment(line=line, text=_comment_text(source[node.start_byte : node.end_byte].decode("utf-8", "replace")), own_line=own))
        out.sort(key=lambda c: c.line)
        return out


class _Given(Mapping[str, Value]):
    """The objects of other files an analysis is given (``imported_objects``), recording the names it
    looks up (``names``; ``every``: it went through all of them, or counted them): the scan
    re-extracts a file given other objects only when one of them differs under a name its
    extraction looked up (``FileResult.asked``). Every other way of reading a mapping goes through
    these methods. Always true, so that an analysis given none looks them up as one given some
    does (finding none)."""

    __slots__ = ("given", "names", "every")

    def __init__(self, given: Mapping[str, Value]) -> None:
        self.given = given
        self.names: set[str] = set()
        self.every = False

    def __bool__(self) -> bool:
        return True

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return self.given.get(key, default)

    def __getitem__(self, key: str) -> Value:
        self.names.add(key)
        return self.given[key]

    def __contains__(self, key: object) -> bool:
        self.names.add(key)  # type: ignore[arg-type]
        return key in self.given

    def __iter__(self) -> Iterator[str]:
        self.every = True
        return iter(self.given)

    def __len__(self) -> int:
        self.every = True
        return len(self.given)


def _comment_text(raw: str) -> str:
    if raw.startswith("//"):
        return raw[2:].strip()
    if raw.startswith("/*"):
        body = raw[2:-2] if raw.endswith("*/") else raw[2:]
        return " ".join(line.strip().lstrip("*").strip() for line in body.splitlines()).strip()
    if raw.startswith("#"):
        return raw[1:].strip()
    return raw.strip()


def frontends() -> dict[str, TreeSitterFrontend]:
    return {name: TreeSitterFrontend(spec) for name, spec in LANGUAGES.items()}
