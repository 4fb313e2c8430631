"""Compile Python rules (data) into the lookup tables the analyzer matches with.

Everything a rule says is turned into dictionaries keyed by resolved qualified name, so that
matching a call is one dict lookup; ``{var}`` expansions are done here, once.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from ...catalog import Rule, RuleError
from ...prefilter import Prefilter, for_name, parse_alternatives
from ...templates import expansions as _expansions
from ...templates import lookup, render, template_vars
from ...templates import glob as _glob

_MISSING = object()
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
    first_of: tuple["FieldSpec", ...] = ()  # alternatives: the first that yields a value
    if_passed: Any = _MISSING  # this constant when the argument is passed (and not None)
    format: str | None = None  # a template over the receiver's (a constructor's earlier) captures
    receiver_text: bool = False  # the source text of what a method is called on (db.replica in db.replica.query())
    class_attr: str | None = None  # a class-body constant of the matched class (or its same-file bases)
    path: tuple[str | int, ...] = ()  # a step path into the value (mapping keys, pair lists, JSON text)

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
    members: tuple[str, str] | None = None  # (type, capture): any other attribute is a tracked object


@dataclass(slots=True)
class MatchSpec:
    rule: Rule
    kind: str
    fields: dict[str, FieldSpec]
    unless: tuple[int | None, str | None, frozenset[str]] | None = None
    where: tuple[tuple[str, str], ...] = ()
    covers: str | None = None  # "function": the policy emitted at a call covers the whole enclosing function
    call_policy: tuple[int | None, str | None] | None = None  # the argument that sets this call's own policy
    binds: dict[str, Any] | None = None  # decorators: the decorated function's parameter is an instance of a type


@dataclass(frozen=True, slots=True)
class MountSpec:
    """A call that serves the routes of an object or module under a prefix (``include_router``)."""

    rule: Rule
    target: tuple[int | None, str | None]
    via: frozenset[str]
    prefix: tuple[int | None, str | None] | None
    own_prefix: str
    replaces: bool
    field: str


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
    methods: dict[str, list[MatchSpec]] = field(default_factory=dict)  # any receiver, by method name
    scopes: dict[str, list[FieldSpec]] = field(default_factory=dict)  # calls whose function argument a policy covers
    classes: list[ClassSpec] = field(default_factory=list)
    mounts: dict[str, list[MountSpec]] = field(default_factory=dict)  # calls that mount routes under a prefix
    mount_rules: set[str] = field(default_factory=set)  # rules whose facts record their owner (_owner)
    timeouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    impls: list[Any] = field(default_factory=list)
    callable_types: set[str] = field(default_factory=set)  # types whose instances are called: "<type>.__call__"
    configure_methods: set[str] = field(default_factory=set)  # method names some object type lists under configure:
    has_id_rules: bool = False
    idflow_options: dict[str, str] = field(default_factory=dict)
    prefilter: Prefilter = field(default_factory=Prefilter)

    def ctor(self, qualname: str) -> ObjectType | None:
        found = self.ctors.get(qualname)
        if found is None and self.ctor_globs:
            for pattern, obj in self.ctor_globs:
                if pattern.fullmatch(qualname):
                    return obj
        return found

    def call_specs(self, qualname: str) -> list[MatchSpec]:
        return lookup(self.calls, self.call_globs, qualname)


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
            first_of=tuple(_field(x, env) for x in raw.get("first_of") or ()),
            if_passed=raw.get("if_passed", _MISSING),
            format=raw.get("format"),
            receiver_text=bool(raw.get("receiver_text", False)),
            class_attr=raw.get("class_attr"),
            path=tuple(raw.get("path") or ()),
        )
    if isinstance(raw, str):
        rendered = render(raw, env)
        return FieldSpec(const=rendered, template=bool(template_vars(rendered)))
    if isinstance(raw, list):  # a constant list (retry_on: [ConnectError, ...]), kept hashable
        return FieldSpec(const=tuple(raw))
    return FieldSpec(const=raw)


def compile_rules(rules: Sequence[Rule]) -> PyIndex:
    index = PyIndex(rules=list(rules))
    names_used: list[str] = []
    for rule in rules:
        spec = rule.match or {}
        where = rule.path.as_posix()
        explicit_prefilter = bool(rule.prefilter)
        if explicit_prefilter:
            index.prefilter.extend(parse_alternatives(rule.prefilter))
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
                members=(obj["members"]["type"], obj["members"].get("name", "")) if obj.get("members") else None,
            )
            if otype.type in index.types and index.types[otype.type].rule.id != rule.id:
                other = index.types[otype.type].rule.id
                raise RuleError(f"{where}:{rule.line_of('python', 'objects', n)}: object type {otype.type!r} is already defined by {other}")
            index.types[otype.type] = otype
            if "__call__" in otype.returns:  # returns: {__call__: T}: calling an instance makes a T (a session factory)
                index.callable_types.add(otype.type)
            index.configure_methods.update(configure)
            for ctor in obj["new"]:
                pattern = _glob(ctor)
                if pattern is not None:
                    index.ctor_globs.append((pattern, otype))
                else:
                    index.ctors[ctor] = otype
                if not explicit_prefilter:
                    names_used.append(ctor)
        for section, table in (("calls", index.calls), ("decorators", index.decorators)):
            for n, item in enumerate(spec.get(section, ())):
                kind = item.get("kind", rule.kind)
                if kind not in rule.kinds:
                    raise RuleError(f"{where}:{rule.line_of('python', section, n)}: kind {kind!r} is not among the rule's kinds {list(rule.kinds)}")
                unless = None
                if item.get("unless"):
                    u = item["unless"]
                    unless = (u.get("arg"), u.get("kw"), frozenset(u["names"]))
                where_preds = tuple(sorted((k, str(v)) for k, v in (item.get("where") or {}).items()))
                for k, pattern_text in where_preds:
                    try:
                        re.compile(pattern_text)
                    except re.error as exc:
                        raise RuleError(f"{where}:{rule.line_of('python', section, n, 'where', k)}: bad regular expression for {k!r}: {exc}") from None
                for env in _expansions(item.get("each")):
                    fields = {k: _field(v, env) for k, v in (item.get("fields") or {}).items()}
                    mspec = MatchSpec(rule=rule, kind=kind, fields=fields, unless=unless, where=where_preds, covers=item.get("covers"), binds=item.get("binds"))
                    if item.get("call_policy"):
                        mspec.call_policy = (item["call_policy"].get("arg"), item["call_policy"].get("kw"))
                    for name in item["names"]:
                        qual = render(name, env)
                        if qual.endswith(".__call__"):
                            index.callable_types.add(qual[: -len(".__call__")])
                        unknown = template_vars(qual)
                        if unknown:
                            raise RuleError(f"{where}:{rule.line_of('python', section, n)}: name {name!r} uses {sorted(unknown)} but `each` does not define it")
                        if item.get("any_receiver"):
                            if section != "calls" or "." in qual:
                                raise RuleError(f"{where}:{rule.line_of('python', section, n)}: any_receiver takes bare method names in calls")
                            index.methods.setdefault(qual, []).append(mspec)
                            continue
                        pattern = _glob(qual) if section == "calls" else None
                        if pattern is not None:
                            index.call_globs.append((pattern, mspec))
                        else:
                            table.setdefault(qual, []).append(mspec)
                        if not explicit_prefilter:
                            names_used.append(qual)
        for n, item in enumerate(spec.get("scopes", ())):
            fspec = _field(item["function"], {})
            for name in item["names"]:
                index.scopes.setdefault(name, []).append(fspec)
                if name.endswith(".__call__"):
                    index.callable_types.add(name[: -len(".__call__")])
                if not explicit_prefilter:
                    names_used.append(name)
        for item in spec.get("mounts", ()):
            target, prefix = item["target"], item.get("prefix")
            mspec_m = MountSpec(
                rule=rule,
                target=(target.get("arg"), target.get("kw")),
                via=frozenset(target.get("via") or ()),
                prefix=(prefix.get("arg"), prefix.get("kw")) if prefix else None,
                own_prefix=item.get("own_prefix", ""),
                replaces=bool(item.get("replaces", False)),
                field=item.get("field", "path"),
            )
            index.mount_rules.add(rule.id)
            for name in item["names"]:
                index.mounts.setdefault(name, []).append(mspec_m)
                if not explicit_prefilter:
                    names_used.append(name)
        for n, item in enumerate(spec.get("classes", ())):
            fields = {k: _field(v, {}) for k, v in (item.get("fields") or {}).items()}
            for base in item["bases"]:
                pattern = _glob(base) or re.compile(re.escape(base))
                index.classes.append(ClassSpec(rule, rule.kind, pattern, bool(item.get("each_method", False)), fields))
                if not explicit_prefilter:
                    names_used.append(base)
        if "timeout" in spec:
            index.timeouts[rule.id] = spec["timeout"]
        if "id_generation" in rule.kinds:
            index.has_id_rules = True
            for key, opt in (("header_re", "headers"), ("field_re", "fields"), ("param_re", "parameters")):
                if opt in rule.options:
                    index.idflow_options[key] = str(rule.options[opt])
        if rule.impl:
            index.impls.append(load_impl(rule, rule.impl_libcst or rule.impl))
            impl = index.impls[-1]
            index.prefilter.extend(parse_alternatives(getattr(impl, "prefilter", None) or getattr(impl, "prefilter_words", ())))
    type_prefixes = set(index.types)
    for name in names_used:
        if name.rpartition(".")[0] in type_prefixes:
            continue  # a method of a tracked type: reachable only through its constructor (or an import)
        if name in index.methods:
            index.prefilter.add(parse_alternatives([name + "("])[0])
            continue
        index.prefilter.add(for_name(name))
    index.prefilter.finish()
    return index


def load_impl(rule: Rule, impl: str | None = None) -> Any:
    """The rule's impl class (``impl``: another path than ``rule.impl``, e.g. ``impl_libcst``), constructed with the rule."""
    impl = impl or rule.impl
    module_name, _, cls_name = impl.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as exc:
        key = "impl" if impl == rule.impl else "impl_libcst"
        raise RuleError(f"{rule.path.as_posix()}:{rule.line_of(key)}: {key} {impl!r} cannot be loaded: {exc}") from None
    return cls(rule)
