"""The rule catalog: detection knowledge as data, loaded from ``rules/`` and checked by a schema.

A rule's id is its path under the rules directory with dots (``rules/python/http/requests.yaml``
is ``python.http.requests``); ids are stable forever. Fixtures share the rule's stem under
``fixtures/rules/`` and are both its tests and its documented examples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import yamlio

if TYPE_CHECKING:
    import jsonschema

    from .cache import ExtractionCache

RULE_SUFFIXES = (".yaml", ".yml")


class RuleError(Exception):
    """A rule file that cannot be used; the message starts with ``file:line``."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    language: str
    kinds: tuple[str, ...]
    confidence: str
    status: str
    since: str
    path: Path
    library: str = ""
    references: tuple[str, ...] = ()
    docs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    prefilter: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()  # rules whose tracked object types this rule's names rely on
    impl: str = ""
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    derive: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    match: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # language block
    source: Any = field(default=None, hash=False, compare=False, repr=False)  # the LineDict, for error lines
    also: tuple[str, ...] = ()  # other languages whose files the rule applies to (`languages:`, a JVM library's Kotlin)

    @property
    def kind(self) -> str:
        return self.kinds[0]

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language whose files the rule applies to, its own first."""
        return (self.language,) + self.also

    def applies_to(self, language: str) -> bool:
        return language == self.language or language in self.also

    def line_of(self, *path: Any) -> int:
        return yamlio.line_at(self.source, path) if self.source is not None else 0


@cache
def rule_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(resources.files("extractor.schemas").joinpath("rule.schema.json").read_text("utf-8"))
    return schema


@cache
def rule_validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # (imported when a rule is validated: a catalog from the cache needs none)

    return jsonschema.Draft202012Validator(rule_schema())


def default_rules_dir() -> Path:
    """``rules/`` of a source checkout, or the copy bundled into an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "rules", here / "_bundled" / "rules"):
        if candidate.is_dir():
            return candidate
    raise RuleError(f"no rules directory found next to {here}")


def default_fixtures_dir() -> Path | None:
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "fixtures" / "rules", here / "_bundled" / "fixtures" / "rules"):
        if candidate.is_dir():
            return candidate
    return None


def _best_match(err: Any) -> Any:
    import jsonschema

    return jsonschema.exceptions.best_match([err]) or err


def rule_id_for(path: Path, rules_dir: Path) -> str:
    rel = path.relative_to(rules_dir).with_suffix("")
    return ".".join(rel.parts)


def load_rule(path: Path, rules_dir: Path) -> Rule:
    shown = path.as_posix()
    try:
        docs = yamlio.load_file(path, shown)
    except yamlio.YamlError as exc:
        raise RuleError(str(exc)) from None
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise RuleError(f"{shown}:1: a rule file holds exactly one mapping")
    data = cast(yamlio.LineDict, docs[0])  # the loader builds every mapping as a LineDict
    errors = sorted(rule_validator().iter_errors(yamlio.plain(data)), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        err = min(errors, key=lambda e: len(e.absolute_path))  # the outermost problem reads best
        best = _best_match(err)
        line = yamlio.line_at(data, tuple(best.absolute_path))
        where = "/".join(map(str, best.absolute_path)) or "(top level)"
        raise RuleError(f"{shown}:{line}: {where}: {best.message}")
    expected = rule_id_for(path, rules_dir)
    if data["id"] != expected:
        raise RuleError(f"{shown}:{data.line_of('id')}: id {data['id']!r} must equal the file's path: {expected!r}")
    language = data["language"]
    if not expected.startswith(language + ".") and language != "any":
        raise RuleError(f"{shown}:{data.line_of('language')}: a {language} rule must live under rules/{language}/")
    kinds = data["kind"] if isinstance(data["kind"], list) else [data["kind"]]
    languages = list(data.get("languages") or [language])
    if "languages" in data and (languages[0] != language or language in ("python", "any") or "python" in languages):
        raise RuleError(
            f"{shown}:{data.line_of('languages')}: languages must start with the rule's language ({language!r}), all of them tree-sitter languages sharing its treesitter: block"
        )
    meta = data["metadata"]
    match: dict[str, Any] = {}
    if language == "python":
        match = data.get("python") or {}
    elif language != "any":
        match = data.get("treesitter") or {}
    if not match and not data.get("impl") and not data.get("derive"):
        raise RuleError(f"{shown}:{data.line}: a rule needs a match block ({'python' if language == 'python' else 'treesitter'}:), an impl or a derive")
    check_fields(data, tuple(kinds), shown)
    block = "python" if language == "python" else "treesitter"
    if isinstance(data.get(block), dict):
        check_supported(data, block, tuple(languages), shown)
    return Rule(
        id=data["id"],
        title=data["title"],
        language=language,
        kinds=tuple(kinds),
        confidence=meta["confidence"],
        status=meta["status"],
        since=meta["since"],
        path=path,
        library=data.get("library", ""),
        references=tuple(meta.get("references", ())),
        docs=yamlio.plain(data["docs"]),
        prefilter=tuple(data.get("prefilter", ())),
        uses=tuple(data.get("uses", ())),
        impl=data.get("impl", ""),
        options=yamlio.plain(data.get("options") or {}),
        derive=yamlio.plain(data["derive"]) if data.get("derive") else None,
        match=match,
        source=data,
        also=tuple(languages[1:]),
    )


@dataclass
class Catalog:
    rules: list[Rule]
    rules_dirs: tuple[Path, ...] = ()
    # framework objects that stand for a module of the service (``django.conf.settings`` → the
    # service's ``settings`` module): every rule's option ``module_aliases``, kept by ``select``
    # because name resolution needs them whichever rules run
    module_aliases: dict[str, str] = field(default_factory=dict)
    digest: str = ""  # a hash of the rule files (and the selection): what compiled rules and cached extractions key on

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def get(self, rule_id: str) -> Rule | None:
        return self.by_id().get(rule_id)

    def for_language(self, language: str) -> list[Rule]:
        return [r for r in self.rules if r.language == language]

    def applying_to(self, language: str) -> list[Rule]:
        """The rules whose files' language includes ``language`` (own and shared ones)."""
        return [r for r in self.rules if r.applies_to(language)]

    def derived(self) -> list[Rule]:
        return [r for r in self.rules if r.derive]

    def languages(self) -> list[str]:
        return sorted({lang for r in self.rules if r.language != "any" for lang in r.languages})

    def select(self, ids: Iterable[str]) -> Catalog:
        """A catalog of the given rules plus the rules their derivations read from and the rules
        whose object types they use."""
        wanted = set(ids)
        rules = [r for r in self.rules if r.id in wanted]
        kinds_needed = {k for r in rules if r.derive for k in r.derive["from_kinds"]}
        if kinds_needed:
            rules += [r for r in self.rules if r.id not in wanted and not r.derive and set(r.kinds) & kinds_needed]
        used = {u for r in rules for u in r.uses} - {r.id for r in rules}
        if used:
            rules += [r for r in self.rules if r.id in used]
        have = {r.id for r in rules}
        rules += [r for r in self.rules if r.kind == "platform" and r.id not in have]  # the languages' platform knowledge: whichever rules run
        chosen = sorted(rules, key=lambda r: r.id)
        digest = hashlib.sha256("\0".join([self.digest, *(r.id for r in chosen)]).encode()).hexdigest() if self.digest else ""
        return Catalog(chosen, self.rules_dirs, self.module_aliases, digest)

    def fingerprint(self) -> str:
        """``digest``, or for a catalog built by hand a hash of its rules' files."""
        if self.digest:
            return self.digest
        from .cache import file_digest

        return file_digest((r.id, r.path) for r in self.rules)


def load_catalog(dirs: Iterable[Path] | None = None, *, store: ExtractionCache | None = None) -> Catalog:
    """Load every rule under the given directories (default: the project's rules/).

    With ``store`` (the extraction cache), a catalog loaded and validated before from the same
    rule files (by content) and the same extractor is read back from it instead (~0.3 s saved).
    """
    roots = tuple(Path(d) for d in dirs) if dirs else (default_rules_dir(),)
    files = [(f"{n}\0{p.relative_to(root).as_posix()}", p) for n, root in enumerate(roots) if root.is_dir() for p in _rule_files(root)]
    from .cache import file_digest

    digest = file_digest(files)
    key = store.key("catalog", *(r.as_posix() for r in roots), content=digest.encode()) if store is not None else b""
    if store is not None:
        hit = store.get(key)
        if isinstance(hit, Catalog):
            return hit
    catalog = _load_catalog(roots, digest)
    if store is not None:
        store.put(key, catalog)
    return catalog


def _rule_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())


def _load_catalog(roots: tuple[Path, ...], digest: str) -> Catalog:
    rules: list[Rule] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for root in roots:
        if not root.is_dir():
            raise RuleError(f"{root.as_posix()}: not a rules directory")
        for path in _rule_files(root):
            try:
                rule = load_rule(path, root)
            except RuleError as exc:
                problems.append(str(exc))
                continue
            if rule.id in seen:
                problems.append(f"{path.as_posix()}:1: duplicate rule id {rule.id!r} (also {seen[rule.id].as_posix()})")
                continue
            seen[rule.id] = path
            rules.append(rule)
    if problems:
        raise RuleError("\n".join(problems))
    aliases = {str(k): str(v) for r in rules for k, v in (r.options.get("module_aliases") or {}).items()}
    return Catalog(sorted(rules, key=lambda r: r.id), roots, aliases, digest)


@cache
def kind_fields() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(raw, public) field names per fact kind, from the schemas generated from ``extractor/kinds/``:
    what a rule's ``fields:`` may set, and what a fact of the kind has."""
    folder = resources.files("extractor.schemas")
    rule_fields = json.loads(folder.joinpath("rule-fields.schema.json").read_text("utf-8"))["$defs"]
    raw = {kind: frozenset(d["propertyNames"]["anyOf"][0]["enum"]) for kind, d in rule_fields.items()}
    facts = json.loads(folder.joinpath("facts.v1.schema.json").read_text("utf-8"))["$defs"]
    public: dict[str, frozenset[str]] = {}
    for kind in raw:
        names = set(facts[kind]["properties"])
        for ref in facts[kind].get("allOf", ()):
            names |= set(facts[ref["$ref"].rpartition("/")[2]]["properties"])
        public[kind] = frozenset(names)
    return raw, public


def check_fields(data: Any, kinds: tuple[str, ...], shown: str) -> None:
    """Every field a rule sets is one its kind reads: a raw field of the match's kind (``fields:``,
    an object's ``fact_field``), a public field in ``derive:``. Names starting with ``_`` are the
    rule's own."""
    raw, public = kind_fields()
    problems: list[tuple[int, str]] = []

    def unknown(path: tuple[Any, ...], name: str, kind_names: tuple[str, ...], known: frozenset[str]) -> None:
        if name.startswith("_") or name in known:
            return
        where = "/".join(map(str, path))
        problems.append(
            (yamlio.line_at(data, path), f"{where}: {name!r} is not a field of {' or '.join(kind_names)} (known: {', '.join(sorted(known)) or 'none'})")
        )

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            fields = node.get("fields")
            if isinstance(fields, dict) and "scope_timeout" not in node:  # scope_timeout: a time limit, no fact
                kind = node["kind"] if isinstance(node.get("kind"), str) else kinds[0]
                for name in fields:
                    unknown(path + ("fields", name), str(name), (kind,), raw[kind])
            if isinstance(node.get("fact_field"), str):  # sets a field of the fact that built the object
                unknown(path + ("fact_field",), node["fact_field"], kinds, frozenset().union(*(raw[k] for k in kinds)))
            for key, value in node.items():
                if key != "fields":
                    walk(value, path + (key,))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, path + (i,))

    for block in ("python", "treesitter"):
        if isinstance(data.get(block), dict):
            walk(data[block], (block,))
    derive = data.get("derive")
    if isinstance(derive, dict):
        for i, name in enumerate(derive.get("copy") or ()):
            unknown(("derive", "copy", i), str(name), kinds[:1], public[kinds[0]])
        sources = tuple(derive.get("from_kinds") or ())
        readable = frozenset().union(*(public[k] for k in sources))
        for name in derive.get("when") or {}:
            unknown(("derive", "when", name), str(name), sources, readable)
    if problems:
        raise RuleError("\n".join(f"{shown}:{line}: {message}" for line, message in sorted(problems)))


# Keys of the one match block a language's syntax or adapter has no use for, as data: (definition in
# rule.schema.json, key) -> (languages that reject it, why). Derived from where the engine reads each key:
# ``inject`` is read only by csharp.py, ``lambdas`` by the C# and Java adapters; a ``type_arg`` reads ``Site.type_args``, which only
# the C#, Java and Kotlin adapters fill; Go has no decorators (go.py reads none). Keys the engine reads for
# every language (route_tokens, default_imports, tuple:, {field: F}) are not listed.
_NOT_CSHARP = frozenset({"python", "go", "java", "javascript", "typescript", "kotlin", "rust", "php", "ruby"})
_NO_LAMBDAS = _NOT_CSHARP - {"java"}
_NO_TYPE_ARGS = frozenset({"python", "go", "javascript", "typescript", "rust", "php", "ruby"})
_NO_KEYWORD_ARGS = frozenset({"go", "java", "javascript", "typescript", "rust"})
UNSUPPORTED: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("match", "inject"): (_NOT_CSHARP, "dependency-injection registrations are read only by the csharp adapter"),
    ("match", "lambdas"): (_NO_LAMBDAS, "typed lambda parameters are read only by the csharp and java adapters"),
    ("match", "decorators"): (frozenset({"go"}), "go has no decorators or annotations"),
    ("match", "keyword"): (_NO_KEYWORD_ARGS, "its calls have no keyword arguments (only python, kotlin and csharp do)"),
    ("match", "default_keyword"): (_NO_KEYWORD_ARGS, "its calls have no keyword arguments (only python, kotlin and csharp do)"),
    ("argspec", "type_arg"): (_NO_TYPE_ARGS, "its adapter reads no generic type arguments (only csharp, java and kotlin do)"),
    ("object", "type_arg"): (_NO_TYPE_ARGS, "its adapter reads no generic type arguments (only csharp, java and kotlin do)"),
    ("argspec", "type_of"): (
        frozenset({"python", "javascript", "typescript", "kotlin"}),
        "its constructions are calls of the type (only csharp, java and go build by type name: new T(...), T{...})",
    ),
}


def check_supported(data: Any, block: str, languages: tuple[str, ...], shown: str) -> None:
    """No key of the match block is one a language of the rule cannot have (``UNSUPPORTED``): the
    block is walked along the schema, each declared key checked against the definition it belongs to."""
    schema = rule_schema()
    problems: list[tuple[int, str]] = []

    def walk(node: Any, sub: dict[str, Any], defname: str, path: tuple[Any, ...]) -> None:
        while "$ref" in sub:
            defname = sub["$ref"].rpartition("/")[2]
            sub = schema["$defs"][defname]
        for alt in sub.get("oneOf") or sub.get("anyOf") or ():
            target = alt
            while "$ref" in target:
                target = schema["$defs"][target["$ref"].rpartition("/")[2]]
            if (isinstance(node, dict) and target.get("type") == "object") or (isinstance(node, list) and target.get("type") == "array"):
                walk(node, alt, defname, path)
                return
        if isinstance(node, dict):
            props = sub.get("properties") or {}
            extra = sub.get("additionalProperties")
            for key, value in node.items():
                if key in props:
                    langs, why = UNSUPPORTED.get((defname, key), (frozenset(), ""))
                    bad = [lang for lang in languages if lang in langs]
                    if bad:
                        where = "/".join(map(str, path + (key,)))
                        problems.append((yamlio.line_at(data, path + (key,)), f"{where}: {key!r} is not supported for {', '.join(bad)}: {why}"))
                    walk(value, props[key], defname, path + (key,))
                elif isinstance(extra, dict):
                    walk(value, extra, defname, path + (key,))
        elif isinstance(node, list) and isinstance(sub.get("items"), dict):
            for i, item in enumerate(node):
                walk(item, sub["items"], defname, path + (i,))

    walk(data[block], {"$ref": "#/$defs/match"}, "match", (block,))
    if problems:
        raise RuleError("\n".join(f"{shown}:{line}: {message}" for line, message in sorted(problems)))
