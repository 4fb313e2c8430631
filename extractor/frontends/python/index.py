"""Compile Python rules (data) into the lookup tables the analyzer matches with.

Everything a rule says is turned into dictionaries keyed by resolved qualified name, so that
matching a call is one dict lookup; ``{var}`` expansions are done here, once.
"""

from __future__ import annotations

import fnmatch
import importlib
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from ...catalog import Rule, RuleError

_MISSING = object()
_TEMPLATE = re.compile(r"\{([a-z_]+)(?:\|([a-z_]+)(?::([^}]*))?)?\}")
MATCH_TIME_VARS = {"function", "class", "method", "type_name", "base", "attr"}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one fact field is read at a match: a constant/template, or an argument."""

    const: Any = _MISSING
    template: bool = False
    arg: int | None = None
    kw: str | None = None
    receiver: str | None = None
    default: Any = _MISSING
    text: bool = False
    prefix: str | None = None
    each: bool = False
    inherit: bool = True
    unwrap: str | None = None
    only_objects: bool = False

    @property
    def is_const(self) -> bool:
        return self.const is not _MISSING

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING


@dataclass(frozen=True, slots=True)
class ConfigureSpec:
    capture: str
    arg: int | None
    kw: str | None
    append: bool


@dataclass(slots=True)
class ObjectType:
    type: str
    rule: Rule
    captures: dict[str, FieldSpec]
    attrs: dict[str, str]
    returns: dict[str, str]
    configure: dict[str, ConfigureSpec]
    context_manager: bool


@dataclass(slots=True)
class MatchSpec:
    rule: Rule
    kind: str
    fields: dict[str, FieldSpec]
    unless: tuple[int | None, str | None, frozenset[str]] | None = None


@dataclass(slots=True)
class ClassSpec:
    rule: Rule
    kind: str
    pattern: re.Pattern[str]
    each_method: bool
    fields: dict[str, FieldSpec]


@dataclass(slots=True)
class PyIndex:
    rules: list[Rule]
    ctors: dict[str, ObjectType] = field(default_factory=dict)
    ctor_globs: list[tuple[re.Pattern[str], ObjectType]] = field(default_factory=list)
    types: dict[str, ObjectType] = field(default_factory=dict)
    calls: dict[str, list[MatchSpec]] = field(default_factory=dict)
    call_globs: list[tuple[re.Pattern[str], MatchSpec]] = field(default_factory=list)
    decorators: dict[str, list[MatchSpec]] = field(default_factory=dict)
    classes: list[ClassSpec] = field(default_factory=list)
    timeouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    impls: list[Any] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    prefilter_re: re.Pattern[bytes] | None = None

    def ctor(self, qualname: str) -> ObjectType | None:
        found = self.ctors.get(qualname)
        if found is None and self.ctor_globs:
            for pattern, obj in self.ctor_globs:
                if pattern.fullmatch(qualname):
                    return obj
        return found

    def call_specs(self, qualname: str) -> list[MatchSpec]:
        found = self.calls.get(qualname)
        if self.call_globs:
            extra = [spec for pattern, spec in self.call_globs if pattern.fullmatch(qualname)]
            if extra:
                return (found or []) + extra
        return found or []


def _apply_filter(value: str, name: str | None, arg: str | None) -> str:
    if name is None:
        return value
    if name == "upper":
        return value.upper()
    if name == "lower":
        return value.lower()
    if name == "strip_suffix":
        return value[: -len(arg)] if arg and value.endswith(arg) else value
    if name == "strip_prefix":
        return value[len(arg) :] if arg and value.startswith(arg) else value
    raise ValueError(f"unknown template filter {name!r}")


def render(template: str, env: dict[str, str], keep_unknown: bool = True) -> str:
    def sub(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in env:
            if keep_unknown:
                return m.group(0)
            return ""
        return _apply_filter(env[var], m.group(2), m.group(3))

    return _TEMPLATE.sub(sub, template)


def template_vars(template: str) -> set[str]:
    return {m.group(1) for m in _TEMPLATE.finditer(template)}


def _field(raw: Any, env: dict[str, str]) -> FieldSpec:
    if isinstance(raw, dict):
        return FieldSpec(
            arg=raw.get("arg"),
            kw=raw.get("kw"),
            receiver=raw.get("receiver"),
            default=raw.get("default", _MISSING),
            text=bool(raw.get("text", False)),
            prefix=raw.get("prefix"),
            each=bool(raw.get("each", False)),
            inherit=bool(raw.get("inherit", True)),
            unwrap=raw.get("unwrap"),
            only_objects=bool(raw.get("only_objects", False)),
        )
    if isinstance(raw, str):
        rendered = render(raw, env)
        return FieldSpec(const=rendered, template=bool(template_vars(rendered)))
    return FieldSpec(const=raw)


def _expansions(each: dict[str, list[str]] | None) -> list[dict[str, str]]:
    if not each:
        return [{}]
    keys = sorted(each)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(each[k] for k in keys))]


def _glob(pattern: str) -> re.Pattern[str] | None:
    if any(c in pattern for c in "*?["):
        return re.compile(fnmatch.translate(pattern))
    return None


def _words_of(name: str) -> set[str]:
    """Literal fragments of a qualified name a file must contain for it to be used."""
    head = name.split(".", 1)[0]
    if any(c in head for c in "*?["):
        parts = [p for p in re.split(r"[*?\[\]]+", name.split(".")[0]) if len(p) >= 3]
        return set(parts[:1])
    return {head}


def compile_rules(rules: Sequence[Rule]) -> PyIndex:
    index = PyIndex(rules=list(rules))
    for rule in rules:
        spec = rule.match or {}
        where = rule.path.as_posix()
        index.words.update(rule.prefilter)
        explicit_prefilter = bool(rule.prefilter)
        for n, obj in enumerate(spec.get("objects", ())):
            captures = {k: _field(v, {}) for k, v in (obj.get("capture") or {}).items()}
            configure = {
                m: ConfigureSpec(c["capture"], c.get("arg"), c.get("kw"), bool(c.get("append", False)))
                for m, c in (obj.get("configure") or {}).items()
            }
            otype = ObjectType(
                type=obj["type"],
                rule=rule,
                captures=captures,
                attrs=dict(obj.get("attrs") or {}),
                returns=dict(obj.get("returns") or {}),
                configure=configure,
                context_manager=bool(obj.get("context_manager", True)),
            )
            if otype.type in index.types and index.types[otype.type].rule.id != rule.id:
                other = index.types[otype.type].rule.id
                raise RuleError(f"{where}:{rule.line_of('python', 'objects', n)}: object type {otype.type!r} is already defined by {other}")
            index.types[otype.type] = otype
            for ctor in obj["new"]:
                pattern = _glob(ctor)
                if pattern is not None:
                    index.ctor_globs.append((pattern, otype))
                else:
                    index.ctors[ctor] = otype
                if not explicit_prefilter:
                    index.words |= _words_of(ctor)
        for section, table in (("calls", index.calls), ("decorators", index.decorators)):
            for n, item in enumerate(spec.get(section, ())):
                kind = item.get("kind", rule.kind)
                if kind not in rule.kinds:
                    raise RuleError(f"{where}:{rule.line_of('python', section, n)}: kind {kind!r} is not among the rule's kinds {list(rule.kinds)}")
                unless = None
                if item.get("unless"):
                    u = item["unless"]
                    unless = (u.get("arg"), u.get("kw"), frozenset(u["names"]))
                for env in _expansions(item.get("each")):
                    fields = {k: _field(v, env) for k, v in (item.get("fields") or {}).items()}
                    mspec = MatchSpec(rule=rule, kind=kind, fields=fields, unless=unless)
                    for name in item["names"]:
                        qual = render(name, env)
                        unknown = template_vars(qual)
                        if unknown:
                            raise RuleError(f"{where}:{rule.line_of('python', section, n)}: name {name!r} uses {sorted(unknown)} but `each` does not define it")
                        pattern = _glob(qual) if section == "calls" else None
                        if pattern is not None:
                            index.call_globs.append((pattern, mspec))
                        else:
                            table.setdefault(qual, []).append(mspec)
                        if not explicit_prefilter:
                            index.words |= _words_of(qual)
        for n, item in enumerate(spec.get("classes", ())):
            fields = {k: _field(v, {}) for k, v in (item.get("fields") or {}).items()}
            for base in item["bases"]:
                pattern = _glob(base) or re.compile(re.escape(base))
                index.classes.append(ClassSpec(rule, rule.kind, pattern, bool(item.get("each_method", False)), fields))
                if not explicit_prefilter:
                    index.words |= _words_of(base)
        if "timeout" in spec:
            index.timeouts[rule.id] = spec["timeout"]
        if rule.impl:
            index.impls.append(load_impl(rule))
            index.words.update(getattr(index.impls[-1], "prefilter_words", ()))
    words = sorted(w for w in index.words if w)
    if words:
        index.prefilter_re = re.compile("|".join(re.escape(w) for w in words).encode())
    return index


def load_impl(rule: Rule) -> Any:
    module_name, _, cls_name = rule.impl.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as exc:
        raise RuleError(f"{rule.path.as_posix()}:{rule.line_of('impl')}: impl {rule.impl!r} cannot be loaded: {exc}") from None
    return cls(rule)
