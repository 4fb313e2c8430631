"""Compile ``treesitter:`` / ``python:`` rule blocks (data) into the lookup tables the engine matches with.

Every name a rule lists becomes a dictionary key (globs are kept apart), ``{var}`` expansions are done here,
once. Argument specs gain the shapes other languages need: ``{arg: N, key: k}`` (a property of an
object-literal / options argument), ``{field: F}`` (a composite-literal field, an object
initialiser property), ``{min_of: {label: spec, ...}}`` (the smallest of several timeouts),
``{regex: ...}`` (a group of a constant text: Go 1.22 ``"POST /v1/score"`` patterns) and negative
``arg`` indexes (``-1``: the last argument).

Nothing here imports tree-sitter: compiling the catalog of a language whose files a scan never
meets costs no parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ...catalog import Rule, RuleError
from ...templates import expansions as _expansions
from ...templates import glob as _glob
from ...templates import lookup, render, template_vars

_MISSING = object()
# {var} or {var|filter:arg|filter...}; a filter argument runs up to the next | or }


@dataclass(frozen=True, slots=True)
class Spec:
    """How one fact field (or object capture) is read at a match."""

    const: Any = _MISSING
    template: bool = False
    arg: int | None = None
    kw: str | None = None
    key: str | None = None  # a property of the argument's object literal / map (sugar for a one-step path)
    field: str | None = None  # a composite-literal field / object-initialiser property of the construction
    receiver: str | None = None
    default: Any = _MISSING
    text: bool = False
    prefix: str | None = None
    each: bool = False
    inherit: bool = True
    unwrap: tuple[str, ...] = ()  # a capture path of the object passed (request.context.timeout)
    only_objects: bool = False
    first_of: tuple[Spec, ...] = ()
    min_of: tuple[tuple[str, Spec], ...] = ()  # labelled alternatives: the smallest timeout applies
    if_passed: Any = _MISSING
    format: str | None = None
    receiver_text: bool = False
    class_attr: str | None = None
    path: tuple[str | int, ...] = ()
    regex: re.Pattern[str] | None = None  # group 1 of a search in the constant text; absent when no match
    dynamic: bool = False  # with key/path: an argument whose value is unknown gives an unknown value, not an absent one
    type_arg: int | None = None  # a generic type argument of the call, as text (AddHttpClient<RiskClient>)
    type_of: bool = False  # the name of the type the argument was built with (new T(...), also through a local)
    sent: bool = False  # the value sent on the channel the call returns (Go producer.Input() <- msg)
    unit_arg: int | None = None  # the argument holding the value's unit (Java (500, TimeUnit.MILLISECONDS)): Call(unit, value)
    chain: str | None = None  # read the argument of a call of this method chained on the call's result (mono.timeout(d))
    decorator: tuple[str, ...] = ()  # read a sibling decorator of the same function (JAX-RS @Path beside @GET)
    config: tuple[str, ...] = ()  # configuration keys (templates) resolved at link time against the service's files
    scale: float | None = None  # with config: a factor applied to a configured number (a percentage → a ratio)
    placeholders: bool = False  # the text's ${key:default} placeholders are configuration references (Spring)
    option: tuple[str, ...] = ()  # functional options: read the argument of the call of one of these among the arguments

    @property
    def is_const(self) -> bool:
        return self.const is not _MISSING

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    @property
    def plain(self) -> bool:
        """Only an argument position (the common, fast case)."""
        return (
            not self.is_const
            and not self.first_of
            and not self.min_of
            and self.format is None
            and self.if_passed is _MISSING
            and self.class_attr is None
            and not self.receiver_text
        )


@dataclass(frozen=True, slots=True)
class ConfigureSpec:
    capture: str
    arg: int | None
    kw: str | None
    field: str | None
    append: bool
    fact_field: str | None = None  # also set this field of the policy fact that built the object (breaker.fallback(f))
    type_arg: int | None = None  # read a generic type argument (as text) instead of an argument (.Or<TimeoutException>())
    value: Any = _MISSING  # a constant capture (a builder's GET() / POST(body) sets the method)
    unit_arg: int | None = None  # the argument holding the value's unit (connectTimeout(10, TimeUnit.SECONDS))
    keys: tuple[tuple[str, str], ...] = ()  # a keyed setter (props.put(GROUP_ID_CONFIG, v)): the key argument's text → capture
    key_arg: int = 0  # the argument holding the key
    map_arg: int | None = None  # with keys: the argument holding a map of keys to values (curl_setopt_array($ch, [K => v]))
    unit_keys: tuple[str, ...] = ()  # with keys and unit_arg: only these keys are units (setopt(URL, u) is the URL itself)


@dataclass(frozen=True, slots=True)
class Requires:
    """A construction or match holds only when an argument (or, with ``receiver``, the receiver:
    for a decorator, the object its class's decorator built) is an instance of one of the types."""

    arg: int | None
    kw: str | None
    types: frozenset[str]
    receiver: bool = False


@dataclass(slots=True)
class ObjectType:
    """One ``objects:`` entry. Several entries may share a ``type`` (within one rule): each has its
    own constructors and captures; attrs, returns, configure, members and declared are merged into
    the first entry, which ``TsIndex.types`` holds."""

    type: str
    rule: Rule
    captures: dict[str, Spec]
    attrs: dict[str, str] = field(default_factory=dict)
    returns: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)  # methods whose result is a text made of the captures (getUri: "http://{service}")
    configure: dict[str, ConfigureSpec] = field(default_factory=dict)
    context_manager: bool = True
    members: tuple[str, str] | None = None
    requires: Requires | None = None
    callback: tuple[int, int] | None = None  # (argument holding a function literal, its parameter index)
    declared: dict[str, str] = field(default_factory=dict)  # capture → "unknown" for instances not built here
    capture_names: set[str] = field(default_factory=set)  # every capture any entry of the type defines
    field_captures: dict[str, str] = field(default_factory=dict)  # source field name (Timeout) → capture
    fluent: bool = False  # a builder: a method no entry lists returns the object unchanged


@dataclass(slots=True)
class MatchSpec:
    rule: Rule
    kind: str
    fields: dict[str, Spec]
    unless: tuple[int | None, str | None, frozenset[str]] | None = None
    where: tuple[tuple[str, str], ...] = ()
    covers: str | None = None
    call_policy: tuple[int | None, str | None] | None = None
    requires: Requires | None = None
    each_method: Spec | None = None  # one fact per method of the local type passed there
    attach: tuple[int | None, str | None] | None = None  # the policy fact covers calls through the object passed there
    unless_receiver: frozenset[str] | None = None  # skip when the receiver was built by one of these names
    scope_timeout: str | None = None  # a decorator that bounds the calls of its function (label; no fact)
    binds: dict[str, Any] | None = None  # decorators: the decorated function's parameter is an instance of a type (Python)
    makes: str | None = None  # decorators: the decorated function is an instance of this tracked type (Python)


@dataclass(frozen=True, slots=True)
class MountSpec:
    rule: Rule
    target: tuple[int | None, str | None]
    prefix: tuple[int | None, str | None] | None
    own_prefix: str
    replaces: bool
    field: str
    via: frozenset[str] = frozenset()  # the target is the first argument of a call of one of these (Django include)


@dataclass(slots=True)
class ClassSpec:
    rule: Rule
    kind: str
    pattern: re.Pattern[str]
    each_method: bool
    fields: dict[str, Spec]


@dataclass(slots=True)
class QuerySpec:
    """A raw tree-sitter query (``query:`` text or the rule's ``<stem>.scm``): each match whose
    capture ``@fact`` (else the first capture) is reported, fields read from the other captures."""

    rule: Rule
    kind: str
    text: str
    fields: dict[str, Any]  # name → constant, or {"capture": name, "text": bool}
    where: str  # file:line for errors


class EnvGetter(NamedTuple):
    """A platform rule's ``env:`` entry: the arguments (position, and keyword name where the
    language has keyword arguments) holding the variable's name and its default."""

    arg: int
    default: int | None = None
    keyword: str | None = None
    default_keyword: str | None = None


class Converter(NamedTuple):
    """A platform rule's ``converters:`` entry: the result's type; with ``one_argument`` only a
    call with that one argument converts (Python's ``int(x, 16)`` does not)."""

    to: str
    one_argument: bool = False


@dataclass(slots=True)
class TsIndex:
    language: str
    rules: list[Rule]
    ctors: dict[str, list[ObjectType]] = field(default_factory=dict)
    ctor_globs: list[tuple[re.Pattern[str], ObjectType]] = field(default_factory=list)
    instances: dict[str, ObjectType] = field(default_factory=dict)
    types: dict[str, ObjectType] = field(default_factory=dict)
    calls: dict[str, list[MatchSpec]] = field(default_factory=dict)
    call_globs: list[tuple[re.Pattern[str], MatchSpec]] = field(default_factory=list)
    decorators: dict[str, list[MatchSpec]] = field(default_factory=dict)
    methods: dict[str, list[MatchSpec]] = field(default_factory=dict)
    scopes: dict[str, list[Spec]] = field(default_factory=dict)
    classes: list[ClassSpec] = field(default_factory=list)
    mounts: dict[str, list[MountSpec]] = field(default_factory=dict)
    mount_rules: set[str] = field(default_factory=set)
    queries: list[QuerySpec] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)  # qualified name → a literal the rules declare
    env_getters: dict[str, EnvGetter] = field(default_factory=dict)  # env: qualified name → its arguments
    env_objects: set[str] = field(default_factory=set)  # env_objects: objects whose members are env vars (process.env)
    default_imports: list[str] = field(default_factory=list)  # default_imports: namespaces every file imports (implicit usings)
    env_defaults: dict[str, tuple[int | None, int]] = field(default_factory=dict)  # env_defaults: name → (value arg, None: the receiver call's; default arg)
    converters: dict[str, Converter] = field(default_factory=dict)  # converters: qualified name → int | float | str
    pass_through: set[str] = field(default_factory=set)  # pass_through: functions / constructors whose value is their argument's
    scales: dict[str, float] = field(default_factory=dict)  # scales: duration factory → factor (TimeSpan.FromSeconds: 1000)
    type_wrappers: set[str] = field(default_factory=set)  # type_wrappers: generic types standing for their first type argument (typing.Optional)
    partials: set[str] = field(default_factory=set)  # partials: functions binding arguments to a callable (functools.partial)
    inject: dict[str, dict[str, Any]] = field(default_factory=dict)  # inject: registration type → {as, by, keys}
    config_types: list[str] = field(default_factory=list)  # config: configuration object types (the first: the adapter's)
    config_getters: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # config: getters → (key arg, default arg)
    config_annotations: set[str] = field(default_factory=set)  # config: annotations holding a ${key:default} placeholder
    config_sections: set[str] = field(default_factory=set)  # config: methods returning a sub-section
    config_prefixes: dict[str, str] = field(default_factory=dict)  # config: methods reading under a fixed section
    config_value: str = ""  # config: a section's value member
    route_tokens: dict[str, str] = field(default_factory=dict)  # route_tokens: placeholder in an endpoint path → template over {class}, {function}
    timers: dict[str, list[tuple[int, int, str, str]]] = field(default_factory=dict)  # timers: name → (callback arg, delay arg, method, capture)
    timeouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    callable_types: set[str] = field(default_factory=set)
    configure_methods: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    prefilter_re: re.Pattern[bytes] | None = None
    impls: list[Any] = field(default_factory=list)  # impl: classes receiving the adapter's events (on_loop, on_try, ...)
    has_id_rules: bool = False
    idflow_options: dict[str, str] = field(default_factory=dict)
    id_words_re: re.Pattern[bytes] | None = None  # a file mentioning none of these words gets no id flow
    prefilter_check: Callable[[bytes], bool] | None = None  # replaces prefilter_re when set (Python: import checks)
    derived: dict[Any, Any] = field(default_factory=dict)  # tables computed once from the index by the engine (syntax.known_names)
    # what ctor() and call_specs() found per name with globs to try (a scan meets each name in many files)
    _ctor_memo: dict[str, list[ObjectType]] = field(default_factory=dict, repr=False, compare=False)
    _specs_memo: dict[str, list[MatchSpec]] = field(default_factory=dict, repr=False, compare=False)

    def ctor(self, qualname: str) -> list[ObjectType]:
        found = self.ctors.get(qualname)
        if found is None and self.ctor_globs:
            found = self._ctor_memo.get(qualname)
            if found is None:  # the globs tried once per name (the index does not change once compiled)
                found = self._ctor_memo[qualname] = [obj for pattern, obj in self.ctor_globs if pattern.fullmatch(qualname)]
        return found or []

    def method_specs(self, attr: str | None) -> list[MatchSpec] | None:
        """The ``any_receiver`` specs of a method name, then those naming ``*`` (every method)."""
        if not attr:
            return None
        found = self.methods.get(attr)
        every = self.methods.get("*")
        return (found or []) + every if every else found

    def call_specs(self, qualname: str) -> list[MatchSpec]:
        if not self.call_globs:
            return self.calls.get(qualname) or []
        found = self._specs_memo.get(qualname)
        if found is None:  # exact specs, then the globs', once per name
            found = self._specs_memo[qualname] = lookup(self.calls, self.call_globs, qualname)
        return found

    def tracked(self, qualname: str) -> ObjectType | None:
        """The object type a declared type name stands for (a constructor name or a type name)."""
        found = self.ctor(qualname)
        if found and qualname not in self.ctors:  # a glob's: a type named like it is one only when built as its requires: say
            found = [obj for obj in found if obj.requires is None]
        if found:
            return self.types.get(found[0].type, found[0])
        return self.types.get(qualname)


# ---------------------------------------------------------------- compiling
def load_impl(rule: Rule) -> Any:
    """The rule's impl class (``impl: module:Class``), constructed with the rule."""
    import importlib

    module_name, _, cls_name = rule.impl.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as exc:
        raise RuleError(f"{rule.path.as_posix()}:{rule.line_of('impl')}: impl {rule.impl!r} cannot be loaded: {exc}") from None
    return cls(rule)


def _spec(raw: Any, env: dict[str, str]) -> Spec:
    if isinstance(raw, dict):
        unwrap = raw.get("unwrap")
        path = tuple(raw.get("path") or ())
        if raw.get("key") is not None:
            path = (str(raw["key"]),) + path
        regex = raw.get("regex")
        return Spec(
            arg=raw.get("arg"),
            kw=raw.get("kw"),
            key=raw.get("key"),
            field=raw.get("field"),
            receiver=raw.get("receiver"),
            default=raw.get("default", _MISSING),
            text=bool(raw.get("text", False)),
            prefix=raw.get("prefix"),
            each=bool(raw.get("each", False)),
            inherit=bool(raw.get("inherit", True)),
            unwrap=tuple(unwrap.split(".")) if unwrap else (),
            only_objects=bool(raw.get("only_objects", False)),
            first_of=tuple(_spec(x, env) for x in raw.get("first_of") or ()),
            min_of=tuple((str(label), _spec(x, env)) for label, x in (raw.get("min_of") or {}).items()),
            if_passed=raw.get("if_passed", _MISSING),
            format=raw.get("format"),
            receiver_text=bool(raw.get("receiver_text", False)),
            class_attr=raw.get("class_attr"),
            path=path,
            regex=re.compile(regex) if regex else None,
            dynamic=bool(raw.get("dynamic", False)),
            type_arg=raw.get("type_arg"),
            type_of=bool(raw.get("type_of", False)),
            sent=bool(raw.get("sent", False)),
            unit_arg=raw.get("unit_arg"),
            chain=raw.get("chain"),
            decorator=tuple(raw["decorator"]) if isinstance(raw.get("decorator"), list) else (raw["decorator"],) if raw.get("decorator") else (),
            config=tuple(render(k, env) for k in raw["config"])
            if isinstance(raw.get("config"), list)
            else (render(raw["config"], env),)
            if raw.get("config")
            else (),
            scale=raw.get("scale"),
            placeholders=bool(raw.get("placeholders", False)),
            option=tuple(raw["option"]) if isinstance(raw.get("option"), list) else (raw["option"],) if raw.get("option") else (),
        )
    if isinstance(raw, str):
        rendered = render(raw, env)
        return Spec(const=rendered, template=bool(template_vars(rendered)))
    if isinstance(raw, list):
        return Spec(const=tuple(raw))
    return Spec(const=raw)


def _requires(raw: dict[str, Any] | None) -> Requires | None:
    if not raw:
        return None
    return Requires(raw.get("arg"), raw.get("kw"), frozenset(raw["types"]), bool(raw.get("receiver", False)))


def default_words(name: str) -> set[str]:
    """Literal fragments of a qualified name a file must contain (its first dotted part)."""
    head = name.split(".", 1)[0]
    if any(c in head for c in "*?["):
        return set()
    return {head} if len(head) >= 2 else set()


def compile_rules(rules: Sequence[Rule], language: str, words_of: Callable[[str], set[str]] = default_words) -> TsIndex:
    index = TsIndex(language=language, rules=list(rules))
    id_words: set[str] = set()
    for rule in rules:
        spec = rule.match or {}
        where = rule.path.as_posix()
        index.words.update(w for w in rule.prefilter if isinstance(w, str))  # (Python rules may list word groups)
        auto_words = not rule.prefilter

        def words(name: str, auto_words: bool = auto_words) -> None:
            if auto_words:
                index.words.update(words_of(name))

        for n, obj in enumerate(spec.get("objects", ())):
            captures = {k: _spec(v, {}) for k, v in (obj.get("capture") or {}).items()}
            configure = {
                m: ConfigureSpec(
                    c.get("capture", ""),
                    c.get("arg"),
                    c.get("kw"),
                    c.get("field"),
                    bool(c.get("append", False)),
                    c.get("fact_field"),
                    c.get("type_arg"),
                    c.get("value", _MISSING),
                    c.get("unit_arg"),
                    tuple((str(k), str(v)) for k, v in (c.get("keys") or {}).items()),
                    int(c.get("key_arg", 0)),
                    c.get("map_arg"),
                    tuple(str(k) for k in c.get("unit_keys") or ()),
                )
                for m, c in (obj.get("configure") or {}).items()
            }
            cb = obj.get("callback")
            otype = ObjectType(
                type=obj["type"],
                rule=rule,
                captures=captures,
                attrs=dict(obj.get("attrs") or {}),
                returns=dict(obj.get("returns") or {}),
                values={str(k): str(v) for k, v in (obj.get("values") or {}).items()},
                configure=configure,
                context_manager=bool(obj.get("context_manager", True)),
                members=(obj["members"]["type"], obj["members"].get("name", "")) if obj.get("members") else None,
                requires=_requires(obj.get("requires")),
                callback=(int(cb["arg"]), int(cb.get("param", 0))) if cb else None,
                declared=dict(obj.get("declared") or {}),
                fluent=bool(obj.get("fluent", False)),
            )
            first = index.types.get(otype.type)
            if first is not None and first.rule.id != rule.id:
                raise RuleError(f"{where}:{rule.line_of('treesitter', 'objects', n)}: object type {otype.type!r} is already defined by {first.rule.id}")
            if first is None:
                first = index.types[otype.type] = otype
            else:  # another entry of the same type (other constructors, other captures)
                first.attrs.update(otype.attrs)
                first.returns.update(otype.returns)
                first.values.update(otype.values)
                first.configure.update(otype.configure)
                first.declared.update(otype.declared)
                first.members = first.members or otype.members
                first.fluent = first.fluent or otype.fluent
            first.capture_names.update(captures)
            for cname, cspec in captures.items():
                if cspec.field:
                    first.field_captures[cspec.field] = cname
            for conf in configure.values():
                if conf.field:
                    first.field_captures.setdefault(conf.field, conf.capture)
            if "__call__" in otype.returns:
                index.callable_types.add(otype.type)
            index.configure_methods.update(configure)
            for ctor in obj.get("new") or ():
                pattern = _glob(ctor)
                if pattern is not None:
                    index.ctor_globs.append((pattern, otype))
                else:
                    index.ctors.setdefault(ctor, []).append(otype)
                words(ctor)
            for inst in obj.get("instances") or ():
                index.instances[inst] = otype
                words(inst)
        for section, table in (("calls", index.calls), ("decorators", index.decorators)):
            for n, item in enumerate(spec.get(section, ())):
                kind = item.get("kind", rule.kind)
                if kind not in rule.kinds:
                    raise RuleError(f"{where}:{rule.line_of('treesitter', section, n)}: kind {kind!r} is not among the rule's kinds {list(rule.kinds)}")
                unless = None
                unless_receiver = None
                if item.get("unless"):
                    u = item["unless"]
                    if u.get("receiver"):
                        unless_receiver = frozenset(u["names"])
                    else:
                        unless = (u.get("arg"), u.get("kw"), frozenset(u["names"]))
                where_preds = tuple(sorted((k, str(v)) for k, v in (item.get("where") or {}).items()))
                for k, pattern_text in where_preds:
                    try:
                        re.compile(pattern_text)
                    except re.error as exc:
                        raise RuleError(f"{where}:{rule.line_of('treesitter', section, n, 'where', k)}: bad regular expression for {k!r}: {exc}") from None
                for env in _expansions(item.get("each")):
                    fields = {k: _spec(v, env) for k, v in (item.get("fields") or {}).items()}
                    mspec = MatchSpec(
                        rule=rule,
                        kind=kind,
                        fields=fields,
                        unless=unless,
                        where=where_preds,
                        covers=item.get("covers"),
                        requires=_requires(item.get("requires")),
                        each_method=_spec(item["each_method"], {}) if item.get("each_method") else None,
                        unless_receiver=unless_receiver,
                        scope_timeout=item.get("scope_timeout"),
                        binds=item.get("binds"),
                        makes=item.get("makes"),
                    )
                    if item.get("call_policy"):
                        mspec.call_policy = (item["call_policy"].get("arg"), item["call_policy"].get("kw"))
                    if item.get("attach"):
                        mspec.attach = (item["attach"].get("arg"), item["attach"].get("kw"))
                    for name in item["names"]:
                        qual = render(name, env)
                        unknown = template_vars(qual)
                        if unknown:
                            raise RuleError(
                                f"{where}:{rule.line_of('treesitter', section, n)}: name {name!r} uses {sorted(unknown)} but `each` does not define it"
                            )
                        if qual.endswith(".__call__"):
                            index.callable_types.add(qual[: -len(".__call__")])
                        if item.get("any_receiver"):
                            if section != "calls" or "." in qual:
                                raise RuleError(f"{where}:{rule.line_of('treesitter', section, n)}: any_receiver takes bare method names in calls")
                            index.methods.setdefault(qual, []).append(mspec)
                            continue
                        pattern = _glob(qual)
                        if pattern is not None:
                            if section != "calls":
                                raise RuleError(f"{where}:{rule.line_of('treesitter', section, n)}: globs are for calls, not {section}")
                            index.call_globs.append((pattern, mspec))
                        else:
                            table.setdefault(qual, []).append(mspec)
                        words(qual)
        for item in spec.get("scopes", ()):
            fspec = _spec(item["function"], {})
            for name in item["names"]:
                index.scopes.setdefault(name, []).append(fspec)
                if name.endswith(".__call__"):
                    index.callable_types.add(name[: -len(".__call__")])
                words(name)
        for item in spec.get("mounts", ()):
            target, prefix = item["target"], item.get("prefix")
            m = MountSpec(
                rule=rule,
                target=(target.get("arg"), target.get("kw")),
                prefix=(prefix.get("arg"), prefix.get("kw")) if prefix else None,
                own_prefix=item.get("own_prefix", ""),
                replaces=bool(item.get("replaces", False)),
                field=item.get("field", "path"),
                via=frozenset(target.get("via") or ()),
            )
            index.mount_rules.add(rule.id)
            for name in item["names"]:
                index.mounts.setdefault(name, []).append(m)
                words(name)
        for n, item in enumerate(spec.get("classes", ())):
            fields = {k: _spec(v, {}) for k, v in (item.get("fields") or {}).items()}
            kind = item.get("kind", rule.kind)
            if kind not in rule.kinds:
                raise RuleError(f"{where}:{rule.line_of('treesitter', 'classes', n)}: kind {kind!r} is not among the rule's kinds {list(rule.kinds)}")
            for base in item["bases"]:
                pattern = _glob(base) or re.compile(re.escape(base))
                index.classes.append(ClassSpec(rule, kind, pattern, bool(item.get("each_method", False)), fields))
                words(base)
        for n, item in enumerate(spec.get("queries", ())):
            kind = item.get("kind", rule.kind)
            if kind not in rule.kinds:
                raise RuleError(f"{where}:{rule.line_of('treesitter', 'queries', n)}: kind {kind!r} is not among the rule's kinds {list(rule.kinds)}")
            text = item.get("query")
            if text is None:  # the rule's <stem>.scm
                scm = rule.path.with_suffix(".scm")
                try:
                    text = scm.read_text("utf-8")
                except OSError:
                    raise RuleError(f"{where}:{rule.line_of('treesitter', 'queries', n)}: no query: text and no {scm.name} beside the rule") from None
            index.queries.append(QuerySpec(rule, kind, text, dict(item.get("fields") or {}), f"{where}:{rule.line_of('treesitter', 'queries', n)}"))
        for name, value in (spec.get("constants") or {}).items():
            index.constants[name] = value
        for name, getter in (spec.get("env") or {}).items():  # platform rules: the language's env readers, ...
            index.env_getters[name] = EnvGetter(int(getter["arg"]), getter.get("default"), getter.get("keyword"), getter.get("default_keyword"))
        index.env_objects.update(spec.get("env_objects") or ())
        index.default_imports.extend(n for n in spec.get("default_imports") or () if n not in index.default_imports)
        for name, d in (spec.get("env_defaults") or {}).items():
            index.env_defaults[name] = (None if d["value"] == "receiver" else int(d["value"]), int(d["default"]))
        for name, conv in (spec.get("converters") or {}).items():  # ... conversions, pass-throughs
            index.converters[name] = Converter(conv["to"], bool(conv.get("one_argument"))) if isinstance(conv, dict) else Converter(str(conv))
        index.pass_through.update(spec.get("pass_through") or ())
        index.scales.update({str(k): float(v) for k, v in (spec.get("scales") or {}).items()})
        index.type_wrappers.update(spec.get("type_wrappers") or ())
        index.partials.update(spec.get("partials") or ())
        for item in spec.get("timers") or ():  # setTimeout(() => controller.abort(), ms)
            for name in item["names"]:
                index.timers.setdefault(name, []).append((int(item["callback"]), int(item["delay"]), str(item["method"]), str(item["capture"])))
        for token, template in (spec.get("route_tokens") or {}).items():
            unknown = template_vars(str(template)) - {"class", "function"}
            if unknown:
                raise RuleError(
                    f"{where}:{rule.line_of('treesitter', 'route_tokens', token)}: route token {token!r} uses {sorted(unknown)}: only class and function are known"
                )
            index.route_tokens[str(token)] = str(template)
        config = spec.get("config") or {}  # a framework's configuration readers
        index.config_types.extend(t for t in config.get("types") or () if t not in index.config_types)
        for name, getter in (config.get("getters") or {}).items():
            index.config_getters[name] = (int(getter["arg"]), getter.get("default"))
        index.config_annotations.update(config.get("annotations") or ())
        index.config_sections.update(config.get("sections") or ())
        index.config_prefixes.update(config.get("prefixes") or {})
        index.config_value = str(config.get("value") or index.config_value)
        for otype, reg in (spec.get("inject") or {}).items():  # dependency-injection registrations
            index.inject[otype] = {
                "as": str(reg["as"]),
                "by": str(reg.get("by", "class")),
                "keys": tuple(reg["keys"]),
                "defaults": str(reg.get("defaults") or ""),
            }
        if "timeout" in spec:
            index.timeouts[rule.id] = spec["timeout"]
        if "id_generation" in rule.kinds:
            index.has_id_rules = True
            id_words.update(rule.prefilter or ())
            for item in spec.get("calls", ()):
                for env in _expansions(item.get("each")):
                    for name in item["names"]:
                        id_words.update(words_of(render(name, env)))
            for key, opt in (("header_re", "headers"), ("field_re", "fields"), ("param_re", "parameters")):
                if opt in rule.options:
                    index.idflow_options[key] = str(rule.options[opt])
        if rule.impl:
            impl = load_impl(rule)
            index.impls.append(impl)
            index.words.update(getattr(impl, "prefilter_words", ()))
            id_words.update(getattr(impl, "id_words", ()))
    if id_words:
        index.id_words_re = re.compile("|".join(re.escape(w) for w in sorted(id_words) if w).encode())
    words_list = sorted(w for w in index.words if w)
    if words_list:
        index.prefilter_re = re.compile("|".join(re.escape(w) for w in words_list).encode())
    return index
