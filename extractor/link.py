"""The link stage: resolve what single files could not know, then build the public facts.

Runs after every file is extracted: cross-module constants (``from .settings import TIMEOUT``),
kind finalisation (milliseconds, URL text), target services, decorator summaries (the policies
and replica scopes a project decorator puts around the functions it decorates), derived rules,
stable ids.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import durations
from .catalog import Catalog, Rule
from .environment import AddressBook
from .environment.svcconfig import has_config, resolve_config
from .facts import Fact, FactRef, assign_ids
from .frontends.base import FileResult
from .kinds import CALL_KINDS, LinkContext, finalize
from .mounts import OWNER_FIELD, apply_mounts
from .targets import resolve_grpc_servers
from .values import (
    PATH_CALL,
    BinOp,
    Call,
    Concat,
    Const,
    Dynamic,
    Env,
    Map,
    Named,
    Obj,
    Ref,
    Seq,
    Value,
    describe,
    has_refs,
    resolve_deferred_path,
    strip,
    substitute,
    walk,
    where_hit,
    where_holds,
)

# Framework objects that stand for modules of the service are rule data (``Catalog.module_aliases``,
# a rule's option ``module_aliases``): ``django.conf.settings.X`` is ``X`` of the service's settings
# module (a module named ``settings`` or inside a ``settings`` package).


def alias_modules(modules: Iterable[str], part: str) -> list[str]:
    """The modules an alias stands for, best first: ``proj.settings`` before ``proj.settings.base``."""
    found = [m for m in modules if part in m.split(".")]
    return sorted(found, key=lambda m: (m.rpartition(".")[2] != part, m.count("."), m))


@dataclass
class ModuleTable:
    """Exports of every module of one service, for resolving ``Ref``s."""

    modules: dict[str, dict[str, Value]]
    aliases: dict[str, str] = field(default_factory=dict)  # object → module name part (Catalog.module_aliases)
    options: dict[str, Value] = field(default_factory=dict)  # configuration options' defaults ("group.name", "name": config_defaults)
    option_roots: tuple[str, ...] = ()  # the global configuration objects they are read through (oslo_config.cfg.CONF)
    _aliased: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (part, module count) → modules
    _hops: int = 0  # aliases followed by the running lookup (a cycle of aliases ends)
    _suffixes: dict[str, list[str]] = field(default_factory=dict)  # dotted suffix → modules ending with "." + it
    _suffixed: int = -1  # the module count the suffix index was built for

    def lookup(self, ref: Ref) -> Value | None:
        found = self._lookup(ref.qualname)
        if found is None:
            for prefix, part in self.aliases.items():
                if ref.qualname.startswith(prefix + "."):
                    rest = ref.qualname[len(prefix) + 1 :]
                    key = (part, len(self.modules))
                    if key not in self._aliased:
                        self._aliased[key] = alias_modules(self.modules, part)
                    for module in self._aliased[key]:
                        found = self._lookup(f"{module}.{rest}")
                        if found is not None:
                            return found
        if found is None and self.options:  # CONF.agent.command_timeout: the option's default
            for root in self.option_roots:
                if ref.qualname.startswith(root + "."):
                    option = ref.qualname[len(root) + 1 :]
                    default = self.options.get(option)
                    return Named("${" + option + "}", default) if default is not None else None
        return found

    def _lookup(self, qualname: str) -> Value | None:
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:i])
            exports = self.modules.get(module)
            if exports is None:
                exports = self._by_suffix(module)
            if exports is None:
                continue
            value: Value | None = exports.get(parts[i])
            if isinstance(value, Ref) and i + 1 < len(parts) and self._hops < 8:  # an alias of an import, and attributes of it (CONF = cfg.CONF)
                aliased = Ref(".".join([value.qualname, *parts[i + 1 :]]))
                self._hops += 1
                try:
                    return self.lookup(aliased) or aliased
                finally:
                    self._hops -= 1
            for attr in parts[i + 1 :]:
                inner = strip(value)
                value = inner.capture(attr) if isinstance(inner, Obj) else None
            return value
        return None

    def _by_suffix(self, head: str) -> dict[str, Value] | None:
        """The one module whose name ends with ``"." + head`` (None when none or several)."""
        if self._suffixed != len(self.modules):  # built once per link (modules are added before lookups)
            self._suffixes = {}
            for m in self.modules:
                dot = m.find(".")
                while dot >= 0:
                    self._suffixes.setdefault(m[dot + 1 :], []).append(m)
                    dot = m.find(".", dot + 1)
            self._suffixed = len(self.modules)
        matches = self._suffixes.get(head, ())
        return self.modules[matches[0]] if len(matches) == 1 else None


def config_defaults(results: list[FileResult], service_of: dict[str, str | None], tables: dict[str | None, ModuleTable], rules: dict[str, Rule]) -> None:
    """The defaults of a configuration framework's options (the ``config_options`` of a rule's
    options: ``python.platform.oslo-config``) into each service's table, by ``group.name`` (the
    group of the registering call: ``CONF.register_opts(opts, group="agent")``) and by ``name``
    when the service declares one default for it: ``CONF.agent.command_timeout`` reads the default."""
    specs = [rule.options["config_options"] for rule in rules.values() if rule.options and isinstance(rule.options.get("config_options"), dict)]
    if not specs:
        return
    types = {str(spec.get("object")) for spec in specs if spec.get("object")}
    register = {str(c) for spec in specs for c in spec.get("register") or ()}
    roots = tuple(str(c) for spec in specs for c in spec.get("roots") or ())

    def option(v: Any) -> tuple[str, Value] | None:
        """(name, default) of an option object (its constructor's captures)."""
        opt = strip(v)
        if not isinstance(opt, Obj) or opt.type not in types:
            return None
        name, default = strip(opt.capture("name")), opt.capture("default")
        return (str(name.value), default) if isinstance(name, Const) and default is not None else None

    by_name: dict[str | None, dict[str, set[Value]]] = {}
    for res in results:
        if res.summary is None:
            continue
        svc = service_of.get(res.path)
        table = tables.get(svc)
        for site in [c for fn in res.summary.functions for c in fn.calls] + list(res.summary.calls):
            if site.name in register and table is not None and site.args:
                group = strip(dict(site.kwargs).get("group"))
                opts = site.args[0]
                if isinstance(opts, Ref):
                    opts = table.lookup(opts) or opts
                items = strip(opts)
                listed = items.items if isinstance(items, Seq) else (items,)
                for item in listed:
                    found = option(item)
                    if found is not None and isinstance(group, Const) and isinstance(group.value, str):
                        table.options[f"{group.value}.{found[0]}"] = found[1]
        for value in res.exports.values() if types else ():  # opts = [cfg.IntOpt(...), ...]: by name
            inner = strip(value)
            for item in inner.items if isinstance(inner, Seq) else (inner,):
                found = option(item)
                if found is not None:
                    by_name.setdefault(svc, {}).setdefault(found[0], set()).add(found[1])
    for svc, names in by_name.items():
        table = tables.setdefault(svc, ModuleTable({}))
        table.option_roots = roots
        for name, defaults in names.items():
            if len(defaults) == 1:
                table.options.setdefault(name, next(iter(defaults)))
    for table in tables.values():
        table.option_roots = roots


LINK_FIELDS = ("id", "calls", "retry_policies", "circuit_breakers", "retry_attempts", "inside_retry", "retry_policy", "flows_to", "through")

_VALUE_TYPES = (Const, Named, Ref, Env, Seq, Map, Obj, Concat, Dynamic)
_WRAPPED_TYPES = (*_VALUE_TYPES, Call, BinOp)  # a wrapper's fields: also a call or arithmetic of its parameters (TIMEOUT(timeout))


def resolve_fields(fields: dict[str, Any], lookup: Callable[[Ref], Value | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if isinstance(v, _VALUE_TYPES) or type(v).__name__ in ("BinOp", "Call"):
            out[k] = substitute(v, lookup) if has_refs(v) else v
            if isinstance(v, Call) and v.func == PATH_CALL:  # a field path into another module's constant
                found = resolve_deferred_path(out[k])
                if found is None:
                    del out[k]
                else:
                    out[k] = found
        else:
            out[k] = v
    return out


def link(
    results: list[FileResult],
    service_of: dict[str, str | None],
    modules_of: dict[str, str],
    catalog: Catalog,
    book: AddressBook,
) -> list[Fact]:
    tables: dict[str | None, ModuleTable] = {}
    for res in results:
        svc = service_of.get(res.path)
        table = tables.setdefault(svc, ModuleTable({}, catalog.module_aliases))
        module = modules_of.get(res.path)
        if module is not None and res.exports:
            table.modules.setdefault(module, {}).update(res.exports)  # a Go package: several files, one module
    rules = catalog.by_id()
    config_defaults(results, service_of, tables, rules)
    methods = text_methods(rules.values())
    facts: list[Fact] = []
    links: dict[int, list[FactRef]] = {}
    owned: dict[int, dict[str, Any]] = {}  # facts of rules with mounts: index → raw fields (owner)
    wrapped: dict[int, WrappedCall] = {}  # calls whose fields read their function's parameters
    wrapping: dict[int, list[str]] = {}  # breaker facts → their class's methods that wrap a function
    idflows: dict[int, tuple[Any, Any]] = {}  # facts with the id flow's cross-file ends (_id_params, _id_passed)
    runs: dict[int, Any] = {}  # reactive breakers' run(mono) → their configured time limit (_time_limit)
    for res in results:
        svc = service_of.get(res.path)
        table = tables.get(svc) or ModuleTable({}, catalog.module_aliases)
        ctx = LinkContext(book=book, service=svc, modules=table.modules)
        for raw in res.facts:
            rule = rules.get(raw.rule)
            if rule is None:
                continue
            resolved = resolve_fields(raw.fields, table.lookup)
            if any(has_config(v) for v in resolved.values()):  # configuration keys: the service's configuration files
                resolved = resolve_config(resolved, book, svc)
            where = resolved.pop("_where", ())
            if where and not all(where_holds(resolved.get(k), pattern) for k, pattern in where):
                continue
            if where:  # what matched, for the finalizer's evidence: {field: token}
                resolved["_where_hits"] = {k: where_hit(resolved.get(k), pattern) for k, pattern in where}
            hook = _link_hook(rule)
            if hook is not None:  # an impl rule's link-time logic (settings lookups): may drop the fact
                linked = hook(resolved, ctx)
                if linked is None:
                    continue
                resolved = linked
            policy_refs = resolved.pop("_policies", None)
            applied = resolved.pop("_wraps", None)  # a hand-written breaker's wrapping methods
            if resolved.pop("_covers_arguments", None) is not None:  # a reactive breaker's run(mono, ...): the calls that made it
                runs[len(facts)] = resolved.pop("_time_limit", None)
            if applied is not None:
                wrapping[len(facts)] = [str(x.value) for x in getattr(applied, "items", ()) if isinstance(x, Const)]
            id_links = (resolved.pop("_id_params", None), resolved.pop("_id_passed", None))
            if id_links[0] or id_links[1]:
                idflows[len(facts)] = id_links
            fields = finalize(raw.kind, resolved, rule, ctx)
            if policy_refs:
                links[len(facts)] = [r if r.file else FactRef(r.key, res.path) for r in policy_refs]
            if OWNER_FIELD in resolved:
                owned[len(facts)] = resolved
            if raw.scope and raw.kind in WRAPPER_KINDS and res.summary is not None:
                found = wrapper_params(resolved, res.summary, raw.scope) or made_in(res.summary, raw.scope)
                if found is not None:
                    wrapped[len(facts)] = WrappedCall(resolved, rule, ctx, table.lookup, *found, methods.get(rule.language, {}))
            facts.append(
                Fact(
                    kind=raw.kind,
                    rule=raw.rule,
                    file=res.path,
                    line=raw.line,
                    col=raw.col,
                    confidence=fields.pop("_confidence", rule.confidence),
                    fields=fields,
                    service=svc,
                    scope=raw.scope,
                    anchor=raw.anchor,
                    key=raw.key,
                )
            )
    resolve_grpc_servers(facts)  # a generated client with no address: the one service serving it
    apply_decorator_summaries(facts, results, service_of, links)
    apply_wrapper_sites(facts, wrapped, results, service_of, links)
    apply_id_sites(facts, idflows, results, service_of, links)
    apply_process_defaults(facts, results, service_of, rules, tables)
    apply_breaker_arguments(facts, runs, results, service_of, links, book)
    facts.extend(breaker_sites(facts, wrapping, results, service_of))
    apply_policy_links(facts, links)
    from .carry import carry_library_calls  # a library module's calls carried to the services calling it

    facts.extend(carry_library_calls(facts, results, service_of, book))
    apply_mounts(facts, owned, results, service_of, {svc: t.lookup for svc, t in tables.items()})
    facts.extend(derive(facts, catalog))
    assign_ids(facts)
    return sorted(facts, key=Fact.sort_key)


LinkHook = Callable[[dict[str, Any], LinkContext], "dict[str, Any] | None"]

_HOOKS: dict[tuple[str, str], LinkHook | None] = {}


def _link_hook(rule: Rule) -> LinkHook | None:
    """A rule's link-time logic (loaded once): the function its option ``link`` names in this
    module (``link: django_replica_aliases``, called with the rule's options), else ``link(fields,
    ctx)`` of its impl class, when it defines one."""
    named = rule.options.get("link") if rule.options else None
    if isinstance(named, str):
        fn = LINK_FUNCTIONS.get(named)
        if fn is None:
            return None
        options = rule.options
        return lambda fields, ctx: fn(fields, ctx, options)
    if not rule.impl:
        return None
    key = (rule.id, rule.impl)
    if key not in _HOOKS:
        import importlib

        module_name, _, cls_name = rule.impl.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), cls_name)
        except (ImportError, AttributeError):
            cls = None
        _HOOKS[key] = cls(rule).link if cls is not None and hasattr(cls, "link") else None
    return _HOOKS[key]


# ---------------------------------------------------------------- Django database aliases
def django_replica_aliases(fields: dict[str, Any], ctx: LinkContext, options: dict[str, Any]) -> dict[str, Any] | None:
    """Keep a Django read (``python.replica.django``) when its alias is a replica, and say why: the
    alias is named like one, or its ``DATABASES`` entry (``_databases``, resolved from the
    service's settings) marks it (``TEST: {MIRROR: ...}``, a ``HOST``/``NAME`` or the env var
    holding it named like a replica, ``OPTIONS`` ``target_session_attrs`` in ``standby_attrs``); a
    router (``_router``) must be listed in a literal ``DATABASE_ROUTERS`` (``_routers``)."""
    from .replicas import REPLICA_NAME, value_strings

    source = fields.get("source")
    databases = strip(fields.pop("_databases", None))
    if databases is None and options.get("databases") and ctx.modules:  # a fact of the rule's match block (transaction.atomic)
        table = ModuleTable(ctx.modules, {str(k): str(v) for k, v in (options.get("module_aliases") or {}).items()})
        databases = strip(table.lookup(Ref(str(options["databases"]))))
    routers = strip(fields.pop("_routers", None))
    router = strip(fields.pop("_router", None))
    standby = frozenset(options.get("standby_attrs", ()))
    via = next((x.name for x in walk(source) if isinstance(x, Named)), None) if source is not None else None
    aliases = list(dict.fromkeys(value_strings(source)))
    replicas: list[str] = []
    why: list[str] = []
    for alias in aliases:
        reason = None
        if REPLICA_NAME.search(alias):
            reason = f"alias {alias!r} is named like a replica"
        elif isinstance(databases, Map):
            entry = _database_evidence(databases.get(alias), standby)
            reason = f"DATABASES[{alias!r}] {entry}" if entry else None
        if reason:
            replicas.append(alias)
            why.append(reason + (f" (via {via})" if via and via != alias else ""))
    if not replicas and not (aliases and isinstance(databases, Map)):
        hint = _replica_hint(source)  # unknown alias (or no settings): a constant, env var or attribute named like a replica
        if hint:
            replicas.append(aliases[0] if aliases else "{" + hint + "}")
            why.append(f"{hint} is named like a replica")
    if not replicas:
        return None
    if isinstance(router, Const) and isinstance(routers, Seq):
        listed = value_strings(routers)
        if listed and len(listed) == len(routers.items):
            path = str(router.value)
            if not any(x == path or path.endswith("." + x) or x.endswith("." + path) for x in listed):
                return None  # not installed: Django never asks it
            why.append("router listed in DATABASE_ROUTERS")
    fields["source"] = Const(", ".join(replicas))
    fields["evidence"] = Const("; ".join(why))
    return fields


def _replica_hint(v: Any) -> str | None:
    """A constant name, env var name or simple expression (``self.replica_alias``) naming a replica."""
    from .replicas import REPLICA_NAME

    for x in walk(v) if v is not None else ():
        name = (
            x.name if isinstance(x, Named) else x.var if isinstance(x, Env) else x.text if isinstance(x, Dynamic) and re.fullmatch(r"[\w.]+", x.text) else None
        )
        if name and REPLICA_NAME.search(name):
            return name
    return None


def _database_evidence(entry: Any, standby: frozenset[str]) -> str | None:
    """Why a ``DATABASES`` entry is a replica, or None."""
    from .replicas import REPLICA_NAME

    e = strip(entry)
    if e is None:
        return None
    if isinstance(e, Map):
        test = strip(e.get("TEST"))
        if isinstance(test, Map):
            mirror = strip(test.get("MIRROR"))
            if mirror is not None and not (isinstance(mirror, Const) and mirror.value is None):
                return f"is a TEST MIRROR of {mirror.value!r}" if isinstance(mirror, Const) else "is a TEST MIRROR"
        for key in ("HOST", "NAME"):
            hit = where_hit(e.get(key), REPLICA_NAME.pattern)
            if hit:
                return f"{key} names a replica: {hit}"
        options = strip(e.get("OPTIONS"))
        attrs = strip(options.get("target_session_attrs")) if isinstance(options, Map) else None
        if isinstance(attrs, Const) and attrs.value in standby:
            return f"OPTIONS target_session_attrs={attrs.value}"
        return None
    hit = where_hit(e, REPLICA_NAME.pattern)  # dj_database_url.config(env="REPLICA_DATABASE_URL"), env.db("...")
    return f"is configured from {hit}" if hit else None


# link-time functions a rule's option ``link`` may name
LINK_FUNCTIONS: dict[str, Callable[[dict[str, Any], LinkContext, dict[str, Any]], dict[str, Any] | None]] = {
    "django_replica_aliases": django_replica_aliases,
}


# ---------------------------------------------------------------- decorator summaries
WRAP_KINDS = frozenset({"retry_policy", "circuit_breaker", "replica_read"})  # what a project decorator may put around a function
_COVERED = frozenset({"http_call", "grpc_call", "id_generation"})


def apply_decorator_summaries(facts: list[Fact], results: list[FileResult], service_of: dict[str, str | None], links: dict[int, list[FactRef]]) -> None:
    """A project decorator (or decorator factory) that runs the function it wraps under a retry
    policy, a circuit breaker or in a replica scope gives every function it decorates that fact,
    at the decorator's line; a policy then covers the decorated function's calls and ids (and
    those of the same-file functions it calls), as a library decorator's does.

    Read from the files' summaries and facts, in any file of the service: a decorator is a function
    with a parameter whose closure calls a name of its own scope (the wrapped function) first
    after a policy or replica fact of that closure (a retry loop, a ``with`` block), or whose
    closure is itself decorated by a policy; or a function that applies a policy to its
    parameter by a call (``return lib.retry(...)(f)``). A factory is a function whose closure is
    such a decorator (``@retrying(4)``)."""
    from .frontends.summary import CallSite, FunctionSummary
    from .frontends.treesitter.retry_loops import SLEEP_NAMES, is_logging

    summaries = [(res.path, res.summary) for res in results if res.summary is not None]
    if not any(fn.decorators for _, s in summaries for fn in s.functions):
        return
    by_key = {(f.file, f.key): f for f in facts}
    index = {(f.file, f.key): i for i, f in enumerate(facts)}
    local: dict[tuple[str, str], FunctionSummary] = {}
    closures: dict[tuple[str, str], list[FunctionSummary]] = {}
    qualified: dict[tuple[str | None, str], tuple[str, FunctionSummary]] = {}
    for path, s in summaries:
        for fn in s.functions:
            local[(path, fn.qualname)] = fn
            if fn.parent:
                closures.setdefault((path, fn.parent), []).append(fn)
            qualified.setdefault((service_of.get(path), s.qualify(fn.qualname)), (path, fn))

    def facts_of(path: str, fn: FunctionSummary) -> list[Fact]:
        return [f for k in fn.facts if (f := by_key.get((path, k))) is not None]

    def first_call_after(fn: FunctionSummary, fact: Fact) -> CallSite | None:
        for c in fn.calls:  # in source order
            if (c.line, c.col) <= (fact.line, fact.col):
                continue
            name = c.callee or c.name
            if name and (is_logging(name) or SLEEP_NAMES.search(name)):
                continue
            return c
        return None

    memo: dict[tuple[str, str], list[Fact]] = {}

    def wrapping(path: str, deco: FunctionSummary) -> list[Fact]:
        key = (path, deco.qualname)
        if key in memo:
            return memo[key]
        out: list[Fact] = []
        memo[key] = out
        params = {p.name for p in deco.params}
        if not params:
            return out
        for fact in facts_of(path, deco):  # return lib.retry(...)(f): a policy applied to the parameter by a call
            if fact.kind in WRAP_KINDS and any(c.line == fact.line and any(isinstance(a, Dynamic) and a.text in params for a in c.args) for c in deco.calls):
                out.append(fact)
        for wrapper in closures.get(key, ()):
            own = [c for c in wrapper.calls if c.callee is None and not c.name]  # a call of a name of its scope: the wrapped function
            if not own:
                continue
            for fact in facts_of(path, wrapper):
                if fact.kind not in WRAP_KINDS:
                    continue
                if fact.line < wrapper.line or first_call_after(wrapper, fact) in own:  # the wrapper's decorator; a loop or with block around the call
                    out.append(fact)
        return out

    def decorator(path: str, name: str, cls: str = "") -> list[Fact]:
        found = (local.get((path, name)) or (local.get((path, f"{cls}.{name}")) if cls else None)) if "." not in name else None
        where = (path, found) if found is not None else qualified.get((service_of.get(path), name))
        if where is None:
            return []
        dpath, fn = where
        out = wrapping(dpath, fn)
        if not out:  # a factory: its closure is the decorator
            for inner in closures.get((dpath, fn.qualname), ()):
                out = out + [f for f in wrapping(dpath, inner) if f not in out]
        return out

    given: dict[tuple[str, str], list[tuple[Fact, int, str, str]]] = {}

    def on_param(path: str, fn: FunctionSummary) -> list[tuple[Fact, int, str, str]]:
        """A helper's policies scoped to the helper itself and made by a method of an object it is
        given (``def handle_retry(task: Task): task.retry(...)``): (fact, the parameter's position
        at a call site, its name, its type). Its callers that pass such an object (a bound task's
        ``self``) are retried: the policy is theirs, at that call."""
        key = (path, fn.qualname)
        if key not in given:
            skip = 1 if fn.cls and fn.params and fn.params[0].name in ("self", "cls") else 0
            typed = [(i - skip, p.name, p.type_name) for i, p in enumerate(fn.params) if p.type_name and i >= skip]
            out = given[key] = []
            for fact in facts_of(path, fn) if typed else ():
                if fact.kind in WRAP_KINDS and str(fact.fields.get("scope") or "").endswith(f" {fn.qualname}"):
                    on = [t for t in typed if any(c.line == fact.line and (c.callee or "").startswith(f"{t[2]}.") for c in fn.calls)]
                    out += [(fact, *on[0])] if len(on) == 1 else []
        return given[key]

    next_key: dict[str, int] = {}
    for f in facts:
        next_key[f.file] = max(next_key.get(f.file, 0), f.key)

    def carry(found: list[Fact], name: str, path: str, line: int, col: int, scope: str, target: FunctionSummary, helper: str = "") -> None:
        """The facts ``found`` of decorator ``name`` at ``line``, around function ``target`` of ``path``
        (``helper``: of the function ``name`` called there, whose own scope the facts name)."""
        covered = [f for f in facts_of(path, target) if f.kind in _COVERED]
        for c in target.calls:  # one hop: the same-file functions it calls
            callee = local.get((path, c.local)) if c.local else None
            if callee is not None:
                covered += [f for f in facts_of(path, callee) if f.kind in _COVERED and f not in covered]
        for src in found:
            next_key[path] = next_key.get(path, 0) + 1
            fields = dict(src.fields)
            if src.kind == "replica_read":
                fields["evidence"] = "; ".join(x for x in (fields.get("evidence"), f"through decorator {name}") if x)
            else:
                own = str(fields.get("scope") or "")
                fields["scope"] = own[: -len(helper)] + target.qualname if helper and own.endswith(f" {helper}") else f"function {target.qualname}"
                fields["calls"] = []
            made = Fact(
                kind=src.kind,
                rule=src.rule,
                file=path,
                line=max(line, 1),
                col=col,
                confidence="medium",
                fields=fields,
                service=service_of.get(path),
                scope=scope,
                anchor=f"{name}() {target.qualname}" if helper else f"@{name} {target.qualname}",
                key=next_key[path],
            )
            facts.append(made)
            if src.kind != "replica_read":
                ref = FactRef(made.key, path)
                for f in covered:
                    links.setdefault(index[(f.file, f.key)], []).append(ref)

    for path, s in summaries:
        for fn in s.functions:
            for i, name in enumerate(fn.decorators):
                found = decorator(path, name, fn.cls)
                if found:  # decorators one a line, right above the definition
                    carry(found, name, path, fn.line - len(fn.decorators) + i, 1, fn.qualname, fn)
        for owner, sites in [("", s.calls)] + [(fn.qualname, fn.calls) for fn in s.functions]:
            for c in sites:  # applied by call: charge = retrying(charge)
                if not c.functions or not c.callee:
                    continue
                found = decorator(path, c.local or c.callee)
                for passed in c.functions if found else ():
                    target = local.get((path, passed[len(s.module) + 1 :] if s.module and passed.startswith(s.module + ".") else passed))
                    if target is not None:
                        carry(found, c.local or c.callee, path, c.line, c.col, owner, target)
        for fn in s.functions:
            for c in fn.calls:  # handle_retry(self, ...): a helper's policy on the object a site gives it
                where = (path, local[(path, c.local)]) if c.local and (path, c.local) in local else qualified.get((service_of.get(path), c.callee or ""))
                if where is None:
                    continue
                for fact, i, pname, tname in on_param(*where):
                    arg = c.args[i] if i < len(c.args) else dict(c.kwargs).get(pname)
                    if isinstance(arg, Obj) and arg.type == tname:
                        # the policy is the decorated function's (a bound task's): at its first decorator, where
                        # the object and its retry settings are declared; a function without one: at the call
                        declared = (fn.decorator_lines[0], 1) if fn.decorator_lines else (c.line, c.col)
                        carry([fact], where[1].name, path, *declared, fn.qualname, fn, where[1].qualname)


# ---------------------------------------------------------------- wrappers: one fact, its call sites
WRAPPER_KINDS = frozenset({"http_call", "grpc_call"})
WRAPPER_FIELDS = ("url", "base_url", "method", "timeout", "service_name")
"""The raw fields of a call that an in-house wrapper's parameters may give (its address, method, timeout)."""
WRAPPER_DEPTH = 4
"""Wrapper hops followed outwards from the library call (``reboot`` → ``_command`` → ``requests.post``;
healthchecks' ``Gotify.notify`` → ``post`` → ``request`` → ``_request`` → ``curl.request``)."""


@dataclass
class WrappedCall:
    """A call whose fields read parameters of its function: what ``apply_wrapper_sites`` needs."""

    raw: dict[str, Any]
    rule: Rule
    ctx: LinkContext
    lookup: Callable[[Ref], Value | None]
    function: Any  # FunctionSummary
    params: frozenset[str]
    methods: dict[str, str] = field(default_factory=dict)  # text_methods of the rule's language


_METHOD_CALL = re.compile(r"([A-Za-z_]\w*)\.(\w+)\((.*)\)")
"""A method called on a name, as the engine writes an expression it cannot evaluate (``url.encode()``)."""


_ITEM = re.compile(r"([A-Za-z_]\w*)\[[^\[\]]+\]")
"""An item of a name, as the engine writes a subscript it cannot evaluate (``message["SigningCertURL"]``)."""


def _read_name(x: Any, names: frozenset[str]) -> str | None:
    """The parameter (of ``names``) a value is, calls a method on or reads an item of (``url``,
    ``url.encode()``, ``message["url"]``: a wrapper passing an item of its parameter on)."""
    if not isinstance(x, Dynamic):
        return None
    if x.text in names:
        return x.text
    m = _METHOD_CALL.fullmatch(x.text) or _ITEM.fullmatch(x.text)
    return m.group(1) if m is not None and m.group(1) in names else None


def _param_names(v: Any, names: frozenset[str]) -> set[str]:
    return {p for x in walk(v) if (p := _read_name(x, names)) is not None} if isinstance(v, _VALUE_TYPES) or type(v).__name__ in ("BinOp", "Call") else set()


def text_methods(rules: Iterable[Rule]) -> dict[str, dict[str, str]]:
    """The rules' ``options: {text_methods: {method: what}}`` by language: methods of a text whose
    result an address or method keeps (``same``: ``url.encode()`` is the URL; ``upper`` /
    ``lower``: ``method.upper()``), applied where a wrapper's call site gives the parameter a text."""
    out: dict[str, dict[str, str]] = {}
    for rule in rules:
        spec = rule.options.get("text_methods") if rule.options else None
        if isinstance(spec, dict):
            out.setdefault(rule.language, {}).update({str(k): str(v) for k, v in spec.items()})
    return out


def _map_parts(v: Any, f: Callable[[Any], Any]) -> Any:
    """``v`` with ``f`` applied to its direct parts (a text's pieces, a list's items, an operation's operands)."""
    if isinstance(v, Concat):
        return Concat(tuple(f(x) for x in v.parts))
    if isinstance(v, Seq):
        return Seq(tuple(f(x) for x in v.items))
    if isinstance(v, BinOp):
        return BinOp(v.op, f(v.left), f(v.right))
    if isinstance(v, Call):
        return Call(v.func, tuple(f(x) for x in v.args), v.kwargs)
    if isinstance(v, Named):
        return Named(v.name, f(v.value))
    return v


def _bind_methods(v: Any, binding: dict[str, Value], methods: dict[str, str]) -> Any:
    """``v`` with each method called on a bound parameter (``url.encode()``) replaced by its value
    at the call site: a text method of ``methods`` applied to a text; on a parameter of the outer
    function, the same call on it (followed further out); else an unknown expression."""
    m = _METHOD_CALL.fullmatch(v.text) if isinstance(v, Dynamic) and v.text not in binding else None
    if m is None or m.group(1) not in binding:
        return _map_parts(v, lambda x: _bind_methods(x, binding, methods))
    given, what = binding[m.group(1)], methods.get(m.group(2))
    if what == "same":  # url.encode(): the text the site gives (also a name the chain follows further out)
        return given
    inner = strip(given)
    if what in ("upper", "lower") and isinstance(inner, Const) and isinstance(inner.value, str):
        return Const(getattr(inner.value, what)())
    if isinstance(inner, Dynamic) and inner.text.isidentifier():
        return Dynamic(f"{inner.text}.{m.group(2)}({m.group(3)})")
    return Dynamic(f"{describe(given)}.{m.group(2)}({m.group(3)})")


SPREAD = Dynamic("**kwargs")
"""A Python call's argument that its ``**`` spread may hide (the engine's label, whatever the name)."""


def _spread_param(fn: Any) -> str | None:
    """The ``**kwargs`` parameter of ``fn`` (``"**kwargs"``) when its calls spread it on (``f(url, **kwargs)``)."""
    name = next((p.name for p in fn.params if p.name.startswith("**")), None)
    spread = Dynamic(name[2:]) if name else None
    return name if spread is not None and any(k == "**" and v == spread for c in fn.calls for k, v in c.kwargs) else None


def wrapper_params(raw: dict[str, Any], summary: Any, scope: str) -> tuple[Any, frozenset[str]] | None:
    """The function (of ``summary``) a call fact is made in, and those of its parameters the call's
    address, method or timeout read, when any (else None): an in-house wrapper's library call (also
    an argument hidden in the wrapper's ``**kwargs`` that the call spreads on: its call sites' keywords)."""
    by_name = {f.qualname: f for f in summary.functions}
    start = scope
    while scope:  # a closure's call (def _get(): return session.get(url)) reads its enclosing function's parameters
        fn = by_name.get(scope)
        names = frozenset(p.name for p in fn.params) if fn is not None else frozenset()
        used: set[str] = set()
        for key in WRAPPER_FIELDS:
            used |= _param_names(raw.get(key), names) if names else set()
        spread = _spread_param(fn) if fn is not None and any(raw.get(k) == SPREAD for k in WRAPPER_FIELDS) else None
        if spread:
            used.add(spread)
        if fn is not None and used:
            return fn, frozenset(used)
        scope = scope.rpartition(".")[0]
    return _constructor_params(raw, by_name, start)


def made_in(summary: Any, scope: str) -> tuple[Any, frozenset[str]] | None:
    """The function (of ``summary``) a call fact whose fields read none of its parameters is made in,
    with no parameters: a helper's call (``get_system(node)``: ``conn.get_system(...)``) is made where
    the helper is called, so its call sites are ``through`` entries too, each with the fact's own
    values (no hop further out: no parameter is passed on)."""
    fn = next((f for f in summary.functions if f.qualname == scope), None)
    return (fn, frozenset()) if fn is not None else None


CONSTRUCTOR = "__init__"
"""The method a class call runs (Python's): its ``members`` (``FunctionSummary``) are the attributes
it sets from its parameters."""
SELF_PREFIX = "self."


def _member_leaves(raw: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(text, attribute, rest) of the ``self.attribute.rest`` reads in a call's address, method or timeout."""
    for key in WRAPPER_FIELDS:
        v = raw.get(key)
        for x in walk(v) if isinstance(v, _WRAPPED_TYPES) else ():
            if isinstance(x, Dynamic) and x.text.startswith(SELF_PREFIX):
                attr, dot, rest = x.text[len(SELF_PREFIX) :].partition(".")
                yield x.text, attr, dot + rest


def _constructor_params(raw: dict[str, Any], by_name: dict[str, Any], scope: str) -> tuple[Any, frozenset[str]] | None:
    """A method's call whose fields read attributes its class's constructor sets from its parameters
    (``get(url=self.api_request.url)`` with ``self.api_request = api_request`` in ``__init__``): the
    constructor and those parameters; its call sites (the class's calls) are the wrapper's."""
    fn = by_name.get(scope)
    init = by_name.get(f"{fn.cls}.{CONSTRUCTOR}") if fn is not None and fn.cls else None
    members = dict(init.members) if init is not None else {}
    used = {m.text for _, attr, _ in _member_leaves(raw) if isinstance(m := members.get(attr), Dynamic)}
    if members:  # self.url read as the parameter it is set from (the engine's value of the member): url
        given = {m.text for m in members.values() if isinstance(m, Dynamic)}
        used |= _param_names_dotted(raw, frozenset(given))
    return (init, frozenset(used)) if used else None


def _param_names_dotted(raw: dict[str, Any], names: frozenset[str]) -> set[str]:
    """The parameters among ``names`` that the call's address, method or timeout read (``url``, ``req.url``)."""
    return {
        x.text.partition(".")[0]
        for k in WRAPPER_FIELDS
        if isinstance(raw.get(k), _WRAPPED_TYPES)
        for x in walk(raw[k])
        if isinstance(x, Dynamic) and x.text.partition(".")[0] in names
    }


def _member_raw(raw: dict[str, Any], fn: Any, lookup: Callable[[Ref], Value | None]) -> dict[str, Any]:
    """``raw`` with its ``self.x.rest`` reads written as the constructor parameter ``x`` is set from
    (``api_request.url``): the names a call site's binding gives values (``_member_value``)."""
    members = dict(getattr(fn, "members", ()))
    swaps: dict[str, Value] = {text: Dynamic(m.text + rest) for text, attr, rest in _member_leaves(raw) if isinstance(m := members.get(attr), Dynamic)}
    if not swaps:
        return raw
    return {k: substitute(v, lookup, params=swaps) if k in WRAPPER_FIELDS and isinstance(v, _WRAPPED_TYPES) else v for k, v in raw.items()}


def passed_on(summary: Any) -> dict[str, frozenset[str]]:
    """Each function of a file (``summary``) → the names of the calls it passes one of its own
    parameters to (``post(url)`` → ``request("post", url)``). The functions among them that call a
    wrapper are wrappers of a wrapper, whose call sites the scan extracts too (by name there; the
    link stage resolves the calls). A function of the file alone: the scan keeps it per file result
    across scans."""
    out: dict[str, frozenset[str]] = {}
    for fn in summary.functions:
        names = frozenset(p.name for p in fn.params)
        got = {c.name for c in fn.calls if names and any(_param_names(v, names) for v in (*c.args, *(v for _, v in c.kwargs)))}
        if got:
            out[fn.qualname] = out.get(fn.qualname, frozenset()) | got
    return out


def _bind(fn: Any, site: Any) -> dict[str, Value]:
    """The values a call site gives a function's parameters (positional, keyword, else the default;
    Python's ``**kwargs``: a ``Map`` of the other keywords, when the site spreads nothing itself)."""
    out: dict[str, Value] = {}
    given = dict(site.kwargs)
    for i, p in enumerate(fn.params):
        if p.name.startswith("**") and "**" not in given:
            named = {q.name for q in fn.params}
            out[p.name] = Map(tuple((Const(k), v) for k, v in site.kwargs if k not in named))
        if p.name.startswith("*"):
            break
        if i < len(site.args):
            out[p.name] = site.args[i]
        elif p.name in given:
            out[p.name] = given[p.name]
        elif p.default is not None:
            out[p.name] = p.default
    return out


def _unspread(raw: dict[str, Any], params: frozenset[str], binding: dict[str, Value], rule: Rule) -> dict[str, Any]:
    """``raw`` with the fields hidden in a ``**kwargs`` the call site binds (``SPREAD``) read from
    its keywords (the rule's keyword for the field, ``timeout=3.0``); a keyword the site does not pass
    is no argument of the call."""
    spread = next((binding[p] for p in params if p.startswith("**") and p in binding), None)
    if not isinstance(spread, Map) or not any(raw.get(k) == SPREAD for k in WRAPPER_FIELDS):
        return raw
    given = {k.value: v for k, v in spread.items if isinstance(k, Const)}
    out = dict(raw)
    for key in WRAPPER_FIELDS:
        if raw.get(key) == SPREAD:
            kws = {
                f[key]["kw"]
                for c in rule.match.get("calls") or ()
                if isinstance(f := c.get("fields"), dict) and isinstance(f.get(key), dict) and "kw" in f[key]
            }
            kw = next(iter(kws)) if len(kws) == 1 else key
            if kw in given:
                out[key] = given[kw]
            else:
                del out[key]
    return out


SiteOf = Callable[[tuple[str, str]], list[tuple[str, Any, Any]]]
InnerOf = Callable[[str, Any, Any, str], "tuple[Any, Any] | None"]
"""(file, calling function or None, call site, an argument's text) → the constructor call that
argument is (its call site and the constructor's summary), when the file's summary has it."""


def _member_value(fn: Any, site: Any, param: str, chain: list[str], at: tuple[str, Any], inner_of: InnerOf, depth: int = 0) -> Value | None:
    """The value a call site gives ``param.chain`` (``api_request.url``): the parameter's argument,
    then, while the chain goes on, the attribute the argument's constructor call
    (``ApiRequest(url=..., timeout=...)``) sets from its own arguments; None when not known."""
    v = _bind(fn, site).get(param)
    if not chain or v is None:
        return v
    found = inner_of(at[0], at[1], site, v.text) if isinstance(v, Dynamic) and depth < WRAPPER_DEPTH else None
    member = dict(found[1].members).get(chain[0]) if found is not None else None
    return _member_value(found[1], found[0], member.text, chain[1:], at, inner_of, depth + 1) if found is not None and isinstance(member, Dynamic) else None


def _wrapper_entries(fact: Fact, w: WrappedCall, sites_of: SiteOf, inner_of: InnerOf | None = None) -> tuple[dict[tuple[Any, ...], dict[str, Any]], set[str]]:
    """The ``through`` entries of one wrapped call (by call site) and the parameters some site passes."""
    entries: dict[tuple[Any, ...], dict[str, Any]] = {}
    passed: set[str] = set()
    done: set[tuple[Any, ...]] = set()  # follows made: the same one again adds nothing (setdefault, a set)

    def follow(key: tuple[str, str], fn: Any, params: frozenset[str], raw: dict[str, Any], depth: int, guards: tuple[Any, ...] = ()) -> None:
        # raw differs from w.raw only in its WRAPPER_FIELDS; their repr tells values apart (1 from True)
        made = (key, id(fn), params, depth, repr([raw.get(k) for k in WRAPPER_FIELDS]), repr(guards))
        if made in done:
            return
        done.add(made)
        dotted = sorted(
            {
                x.text
                for k in WRAPPER_FIELDS
                if isinstance(raw.get(k), _WRAPPED_TYPES)
                for x in walk(raw[k])
                if isinstance(x, Dynamic) and x.text.partition(".")[0] in params
            }
            - params
        )  # api_request.url: an attribute of what a constructor parameter is given (_member_raw)
        for path, owner, site in sites_of(key):
            binding = _bind(fn, site)
            if not _reaches(guards, binding, site, fn):  # the site makes the function take another branch
                continue
            for name in dotted:
                param, *chain = name.split(".")
                found = _member_value(fn, site, param, chain, (path, owner), inner_of) if inner_of is not None else None
                if found is not None:
                    binding[name] = found
            passed.update(p for p in params if p in dict(site.kwargs) or any(q.name == p for q in fn.params[: len(site.args)]))
            bound = {
                k: substitute(_bind_methods(v, binding, w.methods), w.lookup, params=binding) if k in WRAPPER_FIELDS and isinstance(v, _WRAPPED_TYPES) else v
                for k, v in _unspread(raw, params, binding, w.rule).items()
            }
            if any(has_config(v) for v in bound.values()):  # a setting a call site passes (endpoints.getOrders())
                bound = resolve_config(bound, w.ctx.book, w.ctx.service)
            outer = frozenset(q.name for q in owner.params) if owner is not None else frozenset()
            still = set().union(*(_param_names(bound.get(k), outer) for k in WRAPPER_FIELDS)) if outer else set()
            if params and still and depth < WRAPPER_DEPTH and (path, owner.qualname) != key and sites_of((path, owner.qualname)):
                follow((path, owner.qualname), owner, frozenset(still), bound, depth + 1, site.guards)  # a wrapper of the wrapper
                continue
            if (path, site.line, site.col) in entries:  # an entry made before is kept (setdefault)
                continue
            out = finalize(fact.kind, dict(bound), w.rule, w.ctx)
            entry = {"file": path, "line": site.line, "method": out.get("method"), "url": out.get("url"), "target": out.get("target")}
            entry.update({"timeout_ms": out.get("timeout_ms"), "timeout_source": out.get("timeout_source")})
            if out.get("timeout_choices_ms"):
                entry["timeout_choices_ms"] = out["timeout_choices_ms"]
            entry[_SITE_POLICIES] = [FactRef(k, path) for k in site.policies]  # popped by _site_attempts
            entries.setdefault((path, site.line, site.col), entry)

    own = next((c.guards for c in w.function.calls if (c.line, c.col) == (fact.line, fact.col)), ())
    follow((fact.file, w.function.qualname), w.function, w.params, w.raw, 1, own)
    return entries, passed


def _reaches(guards: tuple[Any, ...], binding: dict[str, Value], site: Any, fn: Any) -> bool:
    """Whether the values a call site gives a function's parameters can pass the ifs around a call
    in it (``CallSite.guards``): False when a known constant fails a test (``_request("ws")``
    leaves ``method`` at ``"GET"``: the ``elif method == "POST":`` branch is not taken). A site
    spreading ``**opts`` may pass any parameter it does not name: their defaults decide nothing."""
    spread = any(k == "**" for k, _ in site.kwargs)
    named = {q.name for q in fn.params[: len(site.args)]} | {k for k, _ in site.kwargs}
    for name, test, value in guards:
        if spread and name not in named:
            continue
        given = binding.get(name)
        c = strip(given) if given is not None else None
        if not isinstance(c, Const):
            continue
        if (test == "truthy" and not c.value) or (test == "falsy" and c.value):
            return False
        if isinstance(value, Const) and ((test == "==" and c.value != value.value) or (test == "!=" and c.value == value.value)):
            return False
    return True


_SITE_POLICIES = "_policies"


def _site_attempts(fact: Fact, entries: list[dict[str, Any]], facts: list[Fact], own: list[FactRef]) -> None:
    """A retry around a wrapper's call site (``for _ in range(2): send_request(...)``) runs the
    wrapped call at that site only: when some site is inside a retry policy, each ``through`` entry
    gets ``retry_attempts``: its site's retries times the wrapper's own (those of the call's that
    cover no site: a same-file site's policy reaches the call too, one hop)."""
    by_key = {(f.file, f.key): f for f in facts if f.kind == "retry_policy"}
    at_sites = [[r for r in e.pop(_SITE_POLICIES, ()) if (r.file, r.key) in by_key] for e in entries]
    if not any(at_sites):
        return
    around = {r for refs in at_sites for r in refs}
    mine = [r for r in (FactRef(r.key, r.file or fact.file) for r in own) if (r.file, r.key) in by_key and r not in around]
    for entry, refs in zip(entries, at_sites):
        attempts: int | None = 1
        for r in mine + refs:
            a = by_key[(r.file, r.key)].fields.get("attempts")
            attempts = None if attempts is None or a is None else attempts * a
        entry["retry_attempts"] = attempts


def _constructors(index: Any, call: Any) -> list[tuple[str, str]]:
    """The constructor a call of a class of the service runs (``ApiCall(...)``: ``ApiCall.__init__``)."""
    return list(index.by_full.get(f"{call.callee.replace('().', '.')}.{CONSTRUCTOR}", ())) if call.callee else []


def apply_wrapper_sites(
    facts: list[Fact],
    wrapped: dict[int, WrappedCall],
    results: list[FileResult],
    service_of: dict[str, str | None],
    links: dict[int, list[FactRef]] | None = None,
) -> None:
    """A library call inside an in-house wrapper (function or method) whose address, method or
    timeout come from the wrapper's parameters stays one fact; it carries ``through``: the call
    sites of the wrapper in the service (across files, through at most ``WRAPPER_DEPTH`` wrappers
    that pass their own parameters on), each with the URL, target and timeout the call has there.
    A parameter no call site passes takes its default; when every known call site leaves a
    parameter to its default (or there is no known call site and the default is not None), the
    fact's own fields read the default."""
    if not wrapped:
        return
    from .reach import ServiceCalls

    indexes: dict[str | None, ServiceCalls] = {}
    callers: dict[str | None, dict[tuple[str, str], list[tuple[str, Any, Any]]]] = {}
    services = {facts[i].service for i in wrapped}  # only these services' calls are looked up
    for res in results:
        if res.summary is not None and service_of.get(res.path) in services:
            indexes.setdefault(service_of.get(res.path), ServiceCalls()).add(res.summary)

    def sites_of(svc: str | None, key: tuple[str, str]) -> list[tuple[str, Any, Any]]:
        """(file, calling function or None, call site) of every call the service makes of ``key``."""
        if svc not in callers:
            table: dict[tuple[str, str], list[tuple[str, Any, Any]]] = {}
            index = indexes.get(svc) or ServiceCalls()
            bases = class_bases(index)
            targets: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}  # what a call runs, by what its resolution reads of it
            for path, summary in sorted(index.files.items()):
                for owner, calls in [(None, summary.calls)] + [(fn, fn.calls) for fn in summary.functions]:
                    for call in calls:
                        if call.callee is None and call.local is None:  # an unresolved name (x.get(...)): any function of that name, too wide here
                            continue
                        how = (path if call.local is not None else None, call.local, call.callee, call.functions)
                        if (found := targets.get(how)) is None:
                            found = targets[how] = tuple(dict.fromkeys([*_resolve(index, call, path, bases), *_constructors(index, call)]))
                        for target in found:
                            table.setdefault(target, []).append((path, owner, call))
            callers[svc] = table
        return callers[svc].get(key, [])

    def inner_of(svc: str | None, path: str, owner: Any, site: Any, text: str) -> tuple[Any, Any] | None:
        """The one constructor call (of a class whose constructor sets members) written as an
        argument of ``site`` whose source is ``text`` (``ApiRequest(url=..., ...)``)."""
        index = indexes.get(svc)
        summary = index.files.get(path) if index is not None else None
        if index is None or summary is None:
            return None
        head = text.partition("(")[0].strip().rpartition(".")[2]
        found = []
        for c in owner.calls if owner is not None else summary.calls:
            if c.name == head and (site.line, site.col) < (c.line, c.col) and c.line <= site.end_line:
                inits = [f for k in _constructors(index, c) for f in index.functions.get(k, ())[:1] if f.members]
                found += [(c, inits[0])] if len(inits) == 1 else []
        return found[0] if len(found) == 1 else None

    for i, w in sorted(wrapped.items()):
        fact = facts[i]
        w.raw = _member_raw(w.raw, w.function, w.lookup)
        entries, passed = _wrapper_entries(fact, w, functools.partial(sites_of, fact.service), functools.partial(inner_of, fact.service))
        if entries:
            fact.fields["through"] = [entries[k] for k in sorted(entries)]
            _site_attempts(fact, fact.fields["through"], facts, (links or {}).get(i, []))
        defaults = {p.name: p.default for p in w.function.params if p.name in w.params and p.default is not None and p.name not in passed}
        if not entries:
            defaults = {k: v for k, v in defaults.items() if not (isinstance(v, Const) and v.value is None)}
        if defaults:  # the value in force where no call site passes the parameter
            raw = {
                k: substitute(_bind_methods(v, defaults, w.methods), w.lookup, params=defaults) if k in WRAPPER_FIELDS and isinstance(v, _WRAPPED_TYPES) else v
                for k, v in w.raw.items()
            }
            kept: dict[str, Any] = {k: fact.fields[k] for k in ("retry_policies", "circuit_breakers", "retry_attempts", "through") if k in fact.fields}
            fact.fields.clear()
            fact.fields.update(finalize(fact.kind, raw, w.rule, w.ctx))
            fact.fields.pop("_confidence", None)
            fact.fields.update(kept)


def class_bases(index: Any) -> dict[str, tuple[str, ...]]:
    """The service's classes (module-qualified) and their bases' qualified names (``FileSummary.bases``)."""
    return {summary.qualify(cls): names for _, summary in sorted(index.files.items()) for cls, names in summary.bases}


MAX_BASES = 8
"""Base classes looked at for one method a class does not define (its chain across modules)."""


def _inherited(index: Any, callee: str, bases: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """``Discord.post`` that ``Discord`` does not define: the first of its bases (depth first, left to
    right, across modules: ``Discord(Slackalike)``, ``Slackalike(HttpTransport)``) that does."""
    head, _, name = callee.replace("().", ".").rpartition(".")
    todo, seen = list(bases.get(head, ())), {head}
    while todo and len(seen) <= MAX_BASES:
        base = todo.pop(0)
        if base in seen:
            continue
        seen.add(base)
        found = index.by_full.get(f"{base}.{name}")
        if found:
            return list(found)
        todo[:0] = bases.get(base, ())
    return []


def _resolve(index: Any, call: Any, path: str, bases: dict[str, tuple[str, ...]] | None = None) -> list[tuple[str, str]]:
    """The functions of the service a call site can run (``ServiceCalls.resolve``; a method its class
    does not define: its bases', ``bases`` from ``class_bases``); a callee named by
    a pattern (``getattr(client, "execute_%s_step" % kind)``: ``....get_client().execute_*_step``) runs
    the functions of its module whose names the pattern matches."""
    found: list[tuple[str, str]] = index.resolve(call, path)
    callee = call.callee or ""
    if not found and bases and callee and "*" not in callee:
        found = _inherited(index, callee, bases)
    if found or "*" not in callee:
        return found
    head, _, name = callee.replace("().", ".").rpartition(".")
    while head and head not in index.by_module:
        head = head.rpartition(".")[0]
    files = set(index.by_module.get(head, ())) if head else set()
    rx = re.compile(fnmatch.translate(name))
    return [k for n, keys in sorted(index.by_name.items()) if rx.fullmatch(n) for k in keys if k[0] in files]


def breaker_sites(facts: list[Fact], wrapping: dict[int, list[str]], results: list[FileResult], service_of: dict[str, str | None]) -> list[Fact]:
    """Where a hand-written breaker is applied: each call in the service of a method of the breaker's
    class that wraps a function (``f = board.wrap_promise_func(f)``, resolved through the file
    summaries like a wrapper's call sites) is a fact of the breaker there, with the class's values and
    ``scope: function f`` (the function passed)."""
    if not wrapping:
        return []
    from .reach import ServiceCalls

    wanted = {(facts[i].service, facts[i].file, q): i for i, quals in wrapping.items() for q in quals}
    indexes: dict[str | None, ServiceCalls] = {}
    for res in results:
        svc = service_of.get(res.path)
        if res.summary is not None and any(s == svc for s, _, _ in wanted):
            indexes.setdefault(svc, ServiceCalls()).add(res.summary)
    out: list[Fact] = []
    for svc, index in sorted(indexes.items(), key=lambda kv: str(kv[0])):
        for path, summary in sorted(index.files.items()):
            for calls in [summary.calls] + [fn.calls for fn in summary.functions]:
                for call in calls:
                    if call.callee is None and call.local is None:
                        continue
                    for file, qual in dict.fromkeys(_resolve(index, call, path)):
                        i = wanted.get((svc, file, qual))
                        if i is None:
                            continue
                        fact = facts[i]
                        passed = call.args[0] if call.args else None
                        name = passed.text if isinstance(passed, Dynamic) else passed.qualname.rpartition(".")[2] if isinstance(passed, Ref) else ""
                        fields = dict(fact.fields)
                        fields["scope"] = f"function {name}" if name.isidentifier() else "function"
                        at = {"file": path, "line": call.line, "col": call.col, "scope": "", "anchor": f"{fact.anchor} {qual.rpartition('.')[2]}"}
                        out.append(fact.variant(fields=fields, key=-fact.key - 1, **at))
    return out


def apply_id_sites(
    facts: list[Fact], idflows: dict[int, tuple[Any, Any]], results: list[FileResult], service_of: dict[str, str | None], links: dict[int, list[FactRef]]
) -> None:
    """An id passed to a function of another file of the service (``_id_passed`` of the id fact: the
    call's line, column and argument) reaches what that function's parameter reaches
    (``_id_params`` of the outbound call facts: function, parameter, label): the id's ``flows_to``
    gains those calls, and the retries covering the id (made inside a retry, the call passing it is
    too) cover them. One hop across files; the call resolves through the file summaries
    (``reach.ServiceCalls``; an unresolved name, ``_risk.ScoreAsync`` of a field whose type the file
    cannot resolve, when exactly one function of the service has that name)."""
    params: dict[tuple[str, str, str], list[tuple[int, str]]] = {}  # (file, function, parameter) → (call fact, label)
    for i, (exported, _) in idflows.items():
        for fn, param, label in exported or ():
            params.setdefault((facts[i].file, fn, param), []).append((i, label))
    passing = [i for i, (_, passed) in sorted(idflows.items()) if passed]
    if not params or not passing:
        return
    from .reach import ServiceCalls

    indexes: dict[str | None, ServiceCalls] = {}
    for res in results:
        if res.summary is not None:
            indexes.setdefault(service_of.get(res.path), ServiceCalls()).add(res.summary)
    for i in passing:
        fact = facts[i]
        index = indexes.get(fact.service)
        summary = index.files.get(fact.file) if index is not None else None
        if index is None or summary is None:
            continue
        sites = {(c.line, c.col): c for c in [*summary.calls, *(c for fn in summary.functions for c in fn.calls)]}
        flows = list(fact.fields.get("flows_to") or [])
        for line, col, position in idflows[i][1]:
            site = sites.get((line, col))
            targets = list(dict.fromkeys(index.resolve(site, fact.file))) if site is not None else []
            if site is None or (site.callee is None and site.local is None and len(targets) != 1):
                continue  # an unresolved name: followed when one function of the service has it
            for path, qualname in targets:
                if path == fact.file:
                    continue  # the same file's functions: the file's own id flow
                for target in index.functions.get((path, qualname), ())[:1]:
                    names = [p.name for p in target.params]
                    if names and target.cls and names[0] in ("self", "cls"):
                        names = names[1:]  # a method called on an instance
                    param = names[position] if isinstance(position, int) and position < len(names) else position
                    for j, label in params.get((path, qualname, str(param)), ()):
                        entry = {"call": FactRef(facts[j].key, path), "as": label}
                        if entry not in flows:
                            flows.append(entry)
                        for ref in links.get(i, ()):  # the id's retries run the call too
                            ref = ref if ref.file else FactRef(ref.key, fact.file)
                            if ref not in links.setdefault(j, []):
                                links[j].append(ref)
        if flows:
            fact.fields["flows_to"] = sorted(flows, key=lambda f: (f["call"].file, f["call"].key, f["as"]))


def apply_breaker_arguments(
    facts: list[Fact], runs: dict[int, Any], results: list[FileResult], service_of: dict[str, str | None], links: dict[int, list[FactRef]], book: AddressBook
) -> None:
    """A reactive breaker's ``run(mono, fallback)`` (``_covers_arguments``) covers the calls that
    made the ``Mono``: those of the functions of the service that the calls made in ``run``'s
    arguments resolve to (``cb.run(client.visits(ids), ...)``), or, when the argument is a
    parameter of the function literal the breaker runs in, those the chain that literal is applied
    to resolves to (``client.visits(ids).transform(it -> cb.run(it, ...))``; not told apart when the
    chain is on one line). One hop, resolved through the file summaries (``reach.ServiceCalls``).
    The breaker's time limiter bounds those calls when it is the smaller (``timeout_from:
    time_limiter``, the whole call): ``resilience4j.timelimiter.instances.<name>``, else a
    customizer of the service's code for that name, else ``configs.default``, else a customizer's
    default (``spring_gateway.source_limiters``), else Resilience4j's 1 s."""
    if not runs:
        return
    from .reach import ServiceCalls

    wanted = {facts[i].service for i in runs}
    indexes: dict[str | None, ServiceCalls] = {}
    for res in results:
        svc = service_of.get(res.path)
        if res.summary is not None and svc in wanted:
            indexes.setdefault(svc, ServiceCalls()).add(res.summary)
    calls_of: dict[str, list[int]] = {}  # file → its outbound call facts
    for j, f in enumerate(facts):
        if f.kind in ("http_call", "grpc_call") and f.scope:
            calls_of.setdefault(f.file, []).append(j)
    for i, limit in sorted(runs.items()):
        fact = facts[i]
        index = indexes.get(fact.service)
        summary = index.files.get(fact.file) if index is not None else None
        if index is None or summary is None:
            continue
        fns = {fn.qualname: fn for fn in summary.functions}
        fn = fns.get(fact.scope)
        sites = fn.calls if fn is not None else summary.calls
        run = next((c for c in sites if (c.line, c.col) == (fact.line, fact.col)), None)
        made = _mono_calls(run, sites, fn, fns) if run is not None and run.args else []
        ref = FactRef(fact.key, fact.file)
        timeout: durations.Timeout | None = None
        for path, qual in dict.fromkeys(t for c in made for t in index.resolve(c, fact.file)):
            for j in calls_of.get(path, ()):
                scope = facts[j].scope
                if scope != qual and not scope.startswith(qual + "."):
                    continue
                if ref not in links.setdefault(j, []):
                    links[j].append(ref)
                timeout = timeout or _time_limiter(limit, fact, book)
                own = facts[j].fields.get("timeout_ms")
                if timeout.ms is not None and (own is None or timeout.ms < own):
                    kept = {k: v for k, v in facts[j].fields.items() if not k.startswith("timeout_")}
                    facts[j].fields = {**kept, **timeout.fields(), "timeout_scope": "call"}


def _mono_calls(run: Any, sites: Sequence[Any], fn: Any, fns: dict[str, Any]) -> list[Any]:
    """The call sites that made the value a reactive breaker's ``run`` call site is given."""
    first = run.args[0]
    param = first.text if isinstance(first, Dynamic) and first.text.isidentifier() else None
    if param is None or fn is None or param not in {p.name for p in fn.params}:  # the calls made in run's arguments
        return [c for c in sites if (c.line, c.col) > (run.line, run.col) and c.line <= run.end_line]
    outer = fns.get(fn.qualname.rpartition(".")[0])
    if outer is None:
        return []
    head = re.compile(rf"\(?\s*{re.escape(param)}\s*\)?\s*->")
    applied = next((c for c in outer.calls if c.line <= fn.line <= c.end_line and any(isinstance(a, Dynamic) and head.match(a.text) for a in c.args)), None)
    if applied is None:  # not a literal passed to a call: its parameter is not known
        return []
    return [c for c in outer.calls if (c.line, c.col) == (applied.line, applied.col) and c is not applied and c.end_line < applied.end_line]


def _time_limiter(limit: Any, fact: Fact, book: AddressBook) -> durations.Timeout:
    """The time limiter of a Resilience4j breaker run in code (``apply_breaker_arguments``)."""
    from pathlib import Path

    from .environment.spring_gateway import TIME_LIMITER_DEFAULT_MS, source_limiters

    configured = durations.interpret(limit, {}, unit="ms") if limit is not None else None
    own = configured is not None and isinstance(limit, Named) and ".instances." in limit.name
    code = source_limiters(Path(book.root), fact.file) if book.root and not own else {}
    name = fact.fields.get("name")
    in_code = code.get(name) if isinstance(name, str) else None
    if configured is not None and configured.ms is not None and (own or in_code is None):
        return durations.Timeout(configured.ms, configured.source, configured.expr, source_of="time_limiter")
    in_code = in_code or code.get(None)
    if in_code is not None:
        return durations.Timeout(in_code[0], "literal", f"CircuitBreaker time limiter (customizer {in_code[1]})", source_of="time_limiter")
    return durations.Timeout(TIME_LIMITER_DEFAULT_MS, "library_default", "CircuitBreaker time limiter", source_of="time_limiter")


def apply_process_defaults(
    facts: list[Fact], results: list[FileResult], service_of: dict[str, str | None], rules: dict[str, Rule], tables: dict[str | None, ModuleTable]
) -> None:
    """A process-wide default timeout (``socket.setdefaulttimeout(600)``: the functions a rule's
    ``timeout: process_default:`` names) set with one known value (a constant, also of another
    module, or an env var's default) at the top level of a module of the service (for the whole
    service) or inside a function (for the calls of that file: that code path sets it) is the
    timeout of that rule's calls that pass none: ``timeout_source: client_default``, the setting
    call in ``timeout_expr``; so is it of their ``through`` entries that pass none. Read from the
    files' summaries."""
    from . import durations

    setters = {name: rule for rule in rules.values() for name in ((rule.match or {}).get("timeout") or {}).get("process_default") or ()}
    if not setters:
        return
    found: dict[tuple[str | None, str, str], set[tuple[Any, str]]] = {}  # (service, file or "" for all, setter) → (ms, where)
    for res in results:
        if res.summary is None:
            continue
        svc = service_of.get(res.path)
        for where, call in [(res.path, c) for fn in res.summary.functions for c in fn.calls] + [("", c) for c in res.summary.calls]:
            if call.callee is None or call.callee not in setters or len(call.args) != 1:
                continue
            arg = call.args[0]
            table = tables.get(svc)
            value = substitute(arg, table.lookup) if table is not None and has_refs(arg) else arg
            ms = durations.interpret(value, ((setters[call.callee].match or {}).get("timeout") or {})).ms
            if ms is not None:
                found.setdefault((svc, where, call.callee), set()).add((ms, f"{call.callee}({describe(arg)}) in {res.path}:{call.line}"))
    for fact in facts:
        rule = rules.get(fact.rule)
        spec = ((rule.match or {}).get("timeout") or {}) if rule is not None and fact.kind in WRAPPER_KINDS else {}
        if not spec.get("process_default") or fact.fields.get("timeout_source") not in ("none", "library_default"):
            continue
        for name in spec["process_default"]:
            # set at a module's top level: the whole service; inside a function: that file's calls
            given = sorted(found.get((fact.service, "", name), set()) | found.get((fact.service, fact.file, name), set()), key=lambda x: x[1])
            if len({v for v, _ in given}) != 1:  # not set, or set to different values: not known
                continue
            fact.fields.update(durations.Timeout(given[0][0], "client_default", expr=given[0][1]).fields())
            for entry in fact.fields.get("through") or ():  # the same call at its call sites: a site passing none has it too
                if entry.get("timeout_source") in ("none", "library_default"):
                    entry.update(durations.Timeout(given[0][0], "client_default").fields())
            break


def apply_policy_links(facts: list[Fact], links: dict[int, list[FactRef]]) -> None:
    """Fill both directions: a call's retry policies and breakers, a policy's covered calls."""
    by_key = {(f.file, f.key): f for f in facts}
    covered: dict[tuple[str, int], list[FactRef]] = {}
    for index, refs in links.items():
        fact = facts[index]
        retries = [r for r in refs if (p := by_key.get((r.file, r.key))) is not None and p.kind == "retry_policy"]
        breakers = [r for r in refs if (p := by_key.get((r.file, r.key))) is not None and p.kind == "circuit_breaker"]
        if fact.kind in CALL_KINDS:  # a proxy_route here is a rule's (a route built in code)
            fact.fields["retry_policies"] = retries
            fact.fields["circuit_breakers"] = breakers
            attempts: int | None = 1
            for r in retries:
                a = by_key[(r.file, r.key)].fields.get("attempts")
                attempts = None if attempts is None or a is None else attempts * a
            fact.fields["retry_attempts"] = attempts
            for r in retries + breakers:
                covered.setdefault((r.file, r.key), []).append(FactRef(fact.key, fact.file))
        elif fact.kind == "id_generation":
            fact.fields["inside_retry"] = bool(retries)
            fact.fields["retry_policy"] = retries[-1] if retries else None
    for fact in facts:
        if fact.kind in CALL_KINDS and "retry_policies" not in fact.fields:
            fact.fields["retry_policies"] = []
            fact.fields["circuit_breakers"] = []
            fact.fields["retry_attempts"] = 1
        elif fact.kind in ("retry_policy", "circuit_breaker"):
            fact.fields["calls"] = covered.get((fact.file, fact.key), [])


def derive(facts: list[Fact], catalog: Catalog) -> list[Fact]:
    """Facts of derived rules (e.g. missing_timeout from calls that can wait forever)."""
    out: list[Fact] = []
    for rule in catalog.derived():
        spec = rule.derive or {}
        kinds = set(spec.get("from_kinds", ()))
        when: dict[str, list[Any]] = spec.get("when", {})
        copy = spec.get("copy") or []
        for fact in facts:
            if fact.kind not in kinds:
                continue
            if rule.language != "any" and not _rule_language_matches(fact, rule, catalog):
                continue
            if all(fact.fields.get(k) in allowed for k, allowed in when.items()):
                fields = {k: fact.fields.get(k) for k in copy} if copy else dict(fact.fields)
                fields["call"] = fact.kind
                out.append(fact.variant(kind=rule.kind, rule=rule.id, confidence=rule.confidence, fields=fields, key=-fact.key))
            else:
                out.extend(_derived_at_sites(fact, rule, when, copy))
    return out


def _derived_at_sites(fact: Fact, rule: Rule, when: dict[str, list[Any]], copy: list[str]) -> list[Fact]:
    """A wrapped call's derived facts at the call sites (``through``) that decide what the call
    itself does not (``timeout_source: none`` at a site of a wrapper whose timeout is a parameter):
    each at its site, with the site's fields (the call's for the fields a site entry does not hold)."""
    out: list[Fact] = []
    for entry in fact.fields.get("through") or ():
        if not when or not all(k in entry and entry.get(k) in allowed for k, allowed in when.items()):
            continue
        merged = {**fact.fields, **{k: v for k, v in entry.items() if k not in ("file", "line")}}
        fields = {k: merged.get(k) for k in copy if k not in ("timeout_expr",)} if copy else merged
        fields["call"] = fact.kind
        at = {"file": entry["file"], "line": entry["line"], "col": 0, "scope": ""}
        out.append(fact.variant(kind=rule.kind, rule=rule.id, confidence=rule.confidence, fields=fields, key=-fact.key, **at))
    return out


def _rule_language_matches(fact: Fact, rule: Rule, catalog: Catalog) -> bool:
    source = catalog.get(fact.rule)
    return source is not None and source.language == rule.language
