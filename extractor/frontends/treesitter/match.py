"""Rule matching: calls, decorators and classes by resolved name, and reading a rule's fields.

``match_call`` looks a call's resolved qualified name (or member name for ``any_receiver``
rules) up in the compiled ``TsIndex`` and emits a fact per matching spec with the fields it
reads (``read_field``: an argument, an option call, a chained call, the receiver's captures, a
default); ``match_decorator`` and ``match_classes`` do the same for decorators and classes.
Id-flow wrappers (a same-file function wrapping an id generator) are recognised here too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...durations import MIN_CALL
from ...environment.svcconfig import config_ref, placeholder_value
from ...facts import FactRef
from ...templates import format_captures, render, template_vars
from ...values import CLIENT_DEFAULT, Call, Const, Dynamic, Map, Named, Obj, Ref, Seq, Value, deferred_path, describe, has_refs, strip, where_may_hold
from ..base import Mount, RawFact
from .emit import Emitter
from .index import _MISSING as _IF_MISSING
from .index import MatchSpec, Spec
from .policies import CALL_KINDS, COVERED_KINDS, LINK_FIELD, POLICY_KINDS, object_policies
from .scopes import OWNER_CAPTURE, Binding, ClassInfo, ClassValue, FunctionInfo, FunctionValue, Instance, Scope, Site, at_path_named, join_prefix

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node


class Matcher(Emitter):
    """Rule matching and field reading (see the module docstring)."""

    def read_arg(self, spec: Spec, site: Site | None, scope: Scope) -> Value | None:
        if site is None:
            return None
        if spec.decorator:  # a sibling decorator of the same function (JAX-RS @Path beside @GET)
            site = self._sibling_decorator(spec.decorator, scope)
            if site is None:
                return None
        if spec.chain is not None:  # a call chained on this call's result (mono.timeout(d))
            site = self.chained_call(site.node, spec.chain, scope)
            if site is None:
                return None
        if spec.option:  # functional options: retry.Do(op, retry.Attempts(3))
            site = self.option_call(site, spec.option, scope)
            if site is None:
                return None
        v = self._read_arg(spec, site, scope)
        if v is not None and spec.unit_arg is not None:
            v = self.with_unit(v, site, spec.unit_arg, scope)
        return v

    def option_call(self, site: Site, names: tuple[str, ...], scope: Scope) -> Site | None:
        """The argument of ``site`` that is a call of one of ``names`` (the last one wins, as
        functional options apply in order), also through a variable holding such a call."""
        found: Site | None = None
        for a in site.args:
            node = a
            if node.type in self.IDENTIFIER_TYPES:  # opts := retry.Attempts(3); retry.Do(op, opts)
                b = scope.lookup(self.text(node))
                expr = b.expr if b is not None else None
                if expr is None:
                    continue
                node = expr
            if node.type not in self.CALL_TYPES:
                continue
            sub = self.site(node, scope)
            if sub is not None and sub.func is not None and self.callee(sub.func, scope)[0] in names:
                found = sub
        return found

    def _sibling_decorator(self, names: tuple[str, ...], scope: Scope) -> Site | None:
        for qual, dsite in self._decorator_sites:
            if qual in names:
                return dsite
        return None

    def chained_call(self, node: Node, method: str, scope: Scope) -> Site | None:
        """The call of ``method`` made on the result of the call ``node`` (directly or further up a
        fluent chain: ``webClient.get().retrieve().bodyToMono(T.class).timeout(d)``)."""
        cur = node
        for _ in range(12):
            parent = cur.parent
            while parent is not None and parent.type not in self.CALL_TYPES:  # through member accesses, parentheses
                if parent.type in ("parenthesized_expression", "await_expression") or self.member_parts(parent) is not None:
                    parent = parent.parent
                else:
                    parent = None
            if parent is None:
                return None
            site = self.site(parent, scope)
            if site is None or site.func is None:
                return None
            parts = self.member_parts(site.func)
            if parts is None or not (parts[0].start_byte <= cur.start_byte and cur.end_byte <= parts[0].end_byte):
                return None  # used as an argument, not as the receiver
            if parts[1] == method:
                return site
            cur = parent
        return None

    def _read_arg(self, spec: Spec, site: Site, scope: Scope) -> Value | None:
        node = None
        if spec.type_arg is not None:  # a generic type argument: its text
            return Const(self.anchor_text(site.type_args[spec.type_arg], 120)) if spec.type_arg < len(site.type_args) else None
        if spec.type_of:  # the type the argument was built with: an event published under its type's name
            node = self.find_arg(site, spec.arg, spec.kw)
            names = self.constructed_types(node, scope) if node is not None else []
            return (Seq(tuple(Const(n) for n in names)) if len(names) > 1 else Const(names[0])) if names else None
        if spec.sent:  # producer.Input() <- msg: the message is what is sent on the returned channel
            node = self.sent_value(site.node)
        if spec.field is not None and site.fields is not None:
            node = site.fields.get(spec.field)
        if node is None and (spec.arg is not None or spec.kw is not None):
            node = self.find_arg(site, spec.arg, spec.kw)
            if node is None and site.hidden and ((spec.arg is not None and spec.arg >= 0) or (spec.kw is not None and self.SPREAD_HIDES_KEYWORDS)):
                return Dynamic(self.SPREAD_LABEL)
        if node is None:
            return None
        if spec.text:
            return Const(self.short_text(node))
        return self.to_value(self.evaluate(node, scope))

    def constructed_types(self, node: Node, scope: Scope, depth: int = 0) -> list[str]:
        """The simple names of the types ``node`` is built with: a construction by type name
        (``new T(...)``, a Go ``T{...}``), also through a local bound to one (each assignment before
        the use), a cast, parentheses or the branches of a conditional; a parameter, a member or a
        call's result names none."""
        if depth > 6 or node.type in self.FUNCTION_TYPES or self.member_parts(node) is not None:
            return []
        if node.type in self.CALL_TYPES:
            site = self.site(node, scope)
            if site is None or site.func is not None or site.type_node is None:
                return []
            name = self.text(site.type_node).split("<", 1)[0].rsplit(".", 1)[-1].strip()
            return [name] if name else []
        out: list[str] = []
        if node.type in self.IDENTIFIER_TYPES:  # every assignment so far (either branch of an if), latest first
            b = scope.lookup(self.text(node))
            while b is not None and b.expr is not None and not b.param:
                out += [n for n in self.constructed_types(b.expr, b.scope or scope, depth + 1) if n not in out]
                b = b.previous
            return out
        for child in node.named_children:
            out += [n for n in self.constructed_types(child, scope, depth + 1) if n not in out]
        return out

    def read_field(
        self,
        name: str,
        spec: Spec,
        site: Site | None,
        scope: Scope,
        receiver: Obj | None,
        env: dict[str, str],
        partial: Obj | None = None,
        inherit: bool = True,
    ) -> Any:
        if spec.is_const:
            c = spec.const
            if spec.template and isinstance(c, str):
                if not any(var in env for var in template_vars(c)):
                    return None  # nothing to fill it with (a first_of then tries the next)
                return Const(render(c, env, keep_unknown=False))
            return Const(c)
        if spec.first_of:
            for alt in spec.first_of:
                found = self.read_field(name, alt, site, scope, receiver, env, partial, inherit)
                if found is not None:
                    return self.finish_value(spec, found, receiver)  # the outer spec's placeholders / prefix apply too
            return None
        if spec.min_of:
            parts = []
            for label, alt in spec.min_of:
                found = self.read_field(name, alt, site, scope, receiver, env, partial, inherit=False)
                if found is not None:
                    parts.append((label, found))
            if not parts:
                return Const(spec.default) if spec.has_default else None
            return Call(MIN_CALL, (), tuple(parts))
        if spec.format is not None:
            return format_captures(spec.format, partial if partial is not None else receiver)
        if spec.receiver_text:
            parts_ = self.member_parts(site.func) if site is not None and site.func is not None else None
            text = self.anchor_text(parts_[0], 120) if parts_ is not None else None
            if text is not None and spec.regex is not None:  # RiskGrpc.newBlockingStub(ch): "(\\w+)Grpc$" → Risk
                m = spec.regex.search(text)
                text = m.group(1) if m is not None and m.group(1) is not None else None
            return Const(text) if text is not None else None
        if spec.class_attr is not None:  # a class-body constant (FAILURE_THRESHOLD = 10)
            cls = scope.cls  # classes: the matched class; with arg/kw: a same-file class passed (cls=MyBreaker)
            if spec.arg is not None or spec.kw is not None:
                node = self.find_arg(site, spec.arg, spec.kw) if site is not None else None
                passed = self.evaluate(node, scope) if node is not None else None
                cls = passed.cls if isinstance(passed, ClassValue) else None
            found = self.class_constant(cls, spec.class_attr, spec.text) if cls is not None else None
            return found if found is not None else (Const(spec.default) if spec.has_default else None)
        if spec.config:  # configuration keys: resolved at link time against the service's files
            keys = []
            for key in spec.config:
                wanted = template_vars(key)
                if wanted and not all(var in env for var in wanted):
                    continue
                keys.append(render(key, env, keep_unknown=False) if wanted else key)
            default = Const(spec.default) if spec.has_default else None
            return config_ref(keys, default=default, scale=spec.scale) if keys else default
        if spec.if_passed is not _IF_MISSING:
            if spec.option:  # a functional option passed at all (nats.ManualAck()): the constant
                return Const(spec.if_passed) if site is not None and self.option_call(site, spec.option, scope) is not None else None
            node = self.find_arg(site, spec.arg, spec.kw) if site is not None else None
            inner = strip(self.to_value(self.evaluate(node, scope))) if node is not None else None
            if inner is not None and spec.path:  # a key of the argument (Settings{ReadyToTrip: ...})
                found = at_path_named(inner, spec.path)
                inner = strip(found) if found is not None else None
            return None if inner is None or (isinstance(inner, Const) and inner.value is None) else Const(spec.if_passed)
        v = self.read_arg(spec, site, scope)
        if v is not None and spec.unwrap:
            v = self.unwrap(v, spec.unwrap, spec.only_objects)
        if v is not None and spec.path and not (self.PATH_KEEPS_UNKNOWN and isinstance(strip(v), Dynamic)):
            found = at_path_named(v, spec.path)
            if found is None and spec.dynamic and isinstance(strip(v), Dynamic):  # options not known here: the value is unknown
                found = Dynamic(".".join([describe(v), *map(str, spec.path)]))
            v = found if found is not None or not has_refs(v) else deferred_path(v, spec.path)
        if v is not None and spec.regex is not None:
            inner = strip(v)
            m = spec.regex.search(inner.value) if isinstance(inner, Const) and isinstance(inner.value, str) else None
            v = Const(m.group(1)) if m is not None and m.group(1) is not None else None
        if v is None and spec.receiver and receiver is not None:
            v = self.receiver_path(receiver, spec.receiver)
        if v is None and spec.inherit and inherit and receiver is not None:
            v = receiver.capture(name)
        if v is None and spec.has_default:
            v = Const(spec.default)
        return self.finish_value(spec, v, receiver)

    def finish_value(self, spec: Spec, v: Any, receiver: Obj | None) -> Any:
        """A field's value after the spec's own post-processing: configuration placeholders, then a
        receiver capture prefix (a router's or a controller's)."""
        if v is None:
            return v
        if spec.placeholders:  # "${risk.url}": the service's configuration
            v = self.with_placeholders(v)
        if spec.prefix and receiver is not None:
            pre = receiver.capture(spec.prefix)
            if pre is not None:
                items = strip(v)
                v = Seq(tuple(join_prefix(pre, x) for x in items.items)) if isinstance(items, Seq) else join_prefix(pre, v)
        return v

    @staticmethod
    def with_placeholders(v: Value) -> Value:
        inner = strip(v)
        if isinstance(inner, Const) and isinstance(inner.value, str) and "${" in inner.value:
            return placeholder_value(inner.value)
        if isinstance(inner, Seq):
            return Seq(tuple(Matcher.with_placeholders(x) for x in inner.items))
        return v

    def unwrap(self, v: Value, path: tuple[str, ...], only_objects: bool) -> Value | None:
        inner = strip(v)
        if not isinstance(inner, Obj):
            return None if only_objects else v
        cur: Value | None = inner
        for step in path:
            obj = strip(cur)
            if not isinstance(obj, Obj):
                return cur  # unknown part way (a parameter's context): stays unknown
            cur = obj.capture(step)
            if cur is None:
                return None
        return cur

    def receiver_path(self, receiver: Obj, path: str) -> Value | None:
        cur: Any = receiver
        for part in path.split("."):
            inner = strip(cur)
            if not isinstance(inner, Obj):
                return cur if isinstance(inner, Dynamic) and self.RECEIVER_PATH_KEEPS_UNKNOWN else None
            cur = inner.capture(part)
            if cur is None:
                return None
        found: Value = cur
        return found

    def build_fields(self, spec: MatchSpec, site: Site | None, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> list[dict[str, Any]]:
        fields: dict[str, Any] = {}
        expand: tuple[str, Seq] | None = None
        for name, fspec in spec.fields.items():
            v = self.read_field(name, fspec, site, scope, receiver, env)
            if v is None:
                continue
            if name.startswith("_") and name not in env:  # an internal field: later templates may use {_name}
                inner = strip(v)
                if isinstance(inner, Const) and isinstance(inner.value, str):
                    env = {**env, name: inner.value}
            if fspec.each and isinstance(seq_value := strip(v), Seq):
                expand = (name, seq_value)
            fields[name] = v
        if receiver is not None:
            for cap_name, cap in receiver.captures:
                if cap_name not in fields and cap_name not in spec.fields:
                    fields[cap_name] = cap
            given, v = spec.fields.get("timeout"), fields.get("timeout")
            if (
                self.CLIENT_DEFAULTS and v is not None and (given is None or given.receiver or v is receiver.capture("timeout"))
            ):  # the client's default: the call passes none
                if given is None or (
                    site is not None and self.find_arg(site, given.arg, given.kw) is None and not given.is_const and v != Const(given.default)
                ):
                    fields[CLIENT_DEFAULT] = True
        if spec.rule.id in self.index.mount_rules:
            fields[OWNER_CAPTURE] = self.owner_of(receiver)
        if expand is not None:
            name, seq = expand
            return [{**fields, name: item} for item in seq.items] or [fields]
        return [fields]

    def match_call(self, site: Site, scope: Scope) -> None:
        qual: str | None
        if site.func is None:
            t = self.resolve_type(site.type_node, scope) if site.type_node is not None else None
            if not isinstance(t, Ref):
                return
            qual, receiver, attr, local = t.qualname, None, t.name, None
        else:
            qual, receiver, attr, local = self.callee(site.func, scope)
            for impl in self.impl_hooks("on_call"):  # impl rules see every call with its resolved name
                impl.on_call(self, site.node, qual, receiver, scope)
        if self.summary is not None:
            self.summary.call(self, site, scope, qual, attr, local)
        if isinstance(local, FunctionValue):
            self.policies.on_local_call(local.fn.qualname, caller=scope.function.qualname if scope.function is not None else None)
            self.policies.passed += [(local.fn.qualname, i, a.id) for i, a in enumerate(site.args) if a.type in self.FUNCTION_TYPES]
            if self.idflow is not None:
                self.id_wrapper_call(local.fn, site, scope)
                if self.idflow.active():
                    self.idflow.on_local_call(local.fn.qualname, site, scope)
            fallback = self.fallback_here()
            if fallback is not None:  # a breaker-decorated function whose caller falls back
                self.policies.on_fallback(local.fn.qualname, fallback)
            if not (self.index.method_specs(attr) and site.func is not None and self.member_parts(site.func) is not None):
                return
            qual, receiver = None, None  # self.slave_for(...) defined here: any_receiver rules still match it by name
        elif qual is None and site.func is not None and self.literal_method(site.func, attr, scope):
            # riskApi.score(id) on an object literal of this file: its method, like a same-file function
            self.policies.on_local_call(str(attr), caller=scope.function.qualname if scope.function is not None else None)
            if self.idflow is not None and self.idflow.active():
                self.idflow.on_local_call(str(attr), site, scope)
        elif self.idflow is not None and (site.args or site.kwargs) and not (qual and self.index.call_specs(qual)):
            self.idflow.pending.append((site, scope))  # an id may be passed to another file's function (joined at link time)
        if qual is None:
            specs = self.index.method_specs(attr)
            if not specs or site.func is None or self.member_parts(site.func) is None:
                return
            qual = f"?.{attr}"
        else:
            otypes = self.index.ctor(qual)
            if otypes and any(o.callback is not None for o in otypes):
                self.eval_call(site, scope)  # binds the callback's parameter before the literal is walked
            if qual in self.index.mounts:
                self.record_mounts(qual, site, scope, receiver)
            specs = self.index.call_specs(qual)
            if not specs:
                specs = self.index.method_specs(attr) if receiver is None else None
                if not specs or site.func is None or self.member_parts(site.func) is None:
                    if qual in self.index.scopes:
                        self.function_scopes(qual, site, scope, receiver)
                    return
        env = self.env_for(scope, attr=attr, method=attr, type_name=(receiver.name if receiver else ""))
        own: list[FactRef] | None = None
        made: list[RawFact] = []
        for spec in specs:
            if spec.scope_timeout is not None:  # withTimeout(ms) { ... }: no fact, a limit on the literal's calls
                self.bound_literal(spec, site, scope, receiver, env)
                continue
            if spec.call_policy is not None:
                carried = self._call_policy(spec.call_policy, site, scope)
                if carried is None:
                    continue
                if carried:
                    own = (own or []) + carried
                    continue
            if spec.requires is not None and not self.spec_requires_ok(spec, site, scope, receiver):
                continue
            if spec.unless is not None and self._unless(spec, site, scope):
                continue
            if spec.unless_receiver is not None and self.receiver_built_by(receiver, spec.unless_receiver):
                continue
            for fields in self.fields_for(spec, site, scope, receiver, env):
                if spec.where and not where_may_hold(spec.where, fields):
                    continue
                if spec.where and any(fields.get(k) is None and k in spec.fields and spec.fields[k].type_of for k, _ in spec.where):
                    continue  # no type built in this file: nothing later can name it
                if self._scope_timeouts and spec.kind in CALL_KINDS:
                    fields["timeout"] = self.bounded_timeout(fields.get("timeout"))
                if spec.where:
                    fields["_where"] = spec.where
                fact = self.emit(spec.kind, spec.rule.id, site.node, fields, scope, receiver=receiver)
                made.append(fact)
                if fact.kind in POLICY_KINDS:
                    if spec.call_policy is not None:
                        own = (own or []) + [self.ref(fact)]
                    elif spec.covers == "function" and scope.function is not None:
                        self.policies.cover_function(scope.function.qualname, self.ref(fact))
        if own is not None:
            for fact in made:
                if fact.kind in COVERED_KINDS:
                    fact.fields[LINK_FIELD] = list(self.policies.stack) + own
        if qual in self.index.scopes:  # the function it runs is covered by the receiver's and its own policies
            self.function_scopes(qual, site, scope, receiver, [self.ref(f) for f in made if f.kind in POLICY_KINDS])
        if not made:
            return
        if self._ref_policies and receiver is None:  # axiosRetry(axios, ...): calls through a module's default instance
            for prefix, refs in self._ref_policies.items():
                if qual == prefix or qual.startswith(prefix + "."):
                    for fact in made:
                        if fact.kind in COVERED_KINDS:
                            links = fact.fields.setdefault(LINK_FIELD, [])
                            links.extend(r for r in refs if r not in links)
        for spec in specs:
            if spec.attach is not None:
                self.attach_policies(spec, site, scope, [self.ref(f) for f in made if f.kind in POLICY_KINDS and f.rule == spec.rule.id])
        if self.idflow is not None:  # checked once the expression's calls are all matched (ids made in the arguments)
            for fact in made:
                if fact.kind in CALL_KINDS:
                    self._pending_sinks.append((fact, site, scope))

    def bounded_timeout(self, timeout: Any) -> Any:
        """A call's timeout under the time limits of the enclosing functions' decorators: the
        smallest applies (``timeout_from`` names it: ``call`` for the call's own)."""
        parts: list[tuple[str, Any]] = []
        if isinstance(timeout, Call) and timeout.func == MIN_CALL:
            parts += list(timeout.kwargs)
        elif timeout is not None:
            parts.append(("call", timeout))
        parts += self._scope_timeouts
        return Call(MIN_CALL, (), tuple(parts))

    def bound_literal(self, spec: MatchSpec, site: Site, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> None:
        """A call with ``scope_timeout`` (``withTimeout(2000) { ... }``): its field ``timeout``
        bounds the calls made in the function literal it runs (its last function-literal argument)."""
        literal = next((a for a in reversed(site.args) if a.type in self.FUNCTION_TYPES), None)
        if literal is None or spec.scope_timeout is None:
            return
        limit = self.build_fields(spec, site, scope, receiver, env)[0].get("timeout")
        if limit is not None:
            self._literal_timeouts.setdefault(literal.id, []).append((spec.scope_timeout, limit))

    def fields_for(self, spec: MatchSpec, site: Site, scope: Scope, receiver: Obj | None, env: dict[str, str]) -> list[dict[str, Any]]:
        """The field sets of one match: one, or one per method of the same-file type passed at
        ``each_method`` (a gRPC server registration)."""
        if spec.each_method is None:
            return self.build_fields(spec, site, scope, receiver, env)
        node = self.find_arg(site, spec.each_method.arg, spec.each_method.kw)
        v = self.evaluate(node, scope) if node is not None else None
        literal = strip(v) if isinstance(v, (Map, Named)) else None
        if isinstance(literal, Map):  # an object literal of handlers ({score: scoreHandler}): its keys are the methods
            out = []
            for k, item in literal.items:
                key = strip(k)
                if isinstance(key, Const) and isinstance(key.value, str) and self.exported(key.value):
                    handler = describe(item) if self.is_value(item) else key.value
                    out += self.build_fields(spec, site, scope, receiver, {**env, "method": key.value, "handler": handler})
            if out:
                return out
        defined = v.cls.methods if isinstance(v, Instance) else {}
        methods = [m for m in sorted(defined) if self.exported(m)]
        if not methods:  # the implementation's methods are not in this file: one fact for the service
            env = {k: v for k, v in env.items() if k != "method"}
            return [self._tidy_paths(f) for f in self.build_fields(spec, site, scope, receiver, env)]
        out = []
        for m in methods:
            qual = defined[m].qualname
            out += self.build_fields(spec, site, scope, receiver, {**env, "method": m, "function": qual, "handler": qual})
        return out

    def _call_policy(self, where: tuple[int | None, str | None], site: Site, scope: Scope) -> list[FactRef] | None:
        node = self.find_arg(site, where[0], where[1])
        if node is None:
            return None
        v = self.evaluate_shallow(node, scope)
        inner = strip(v) if self.is_value(v) else v
        if isinstance(inner, Const) and inner.value is None:
            return None
        return object_policies(inner) if isinstance(inner, Obj) else []

    def _unless(self, spec: MatchSpec, site: Site, scope: Scope) -> bool:
        assert spec.unless is not None
        pos, kw, names = spec.unless
        node = self.find_arg(site, pos, kw)
        if node is None:
            return False
        if node.type in self.CALL_TYPES:
            inner = self.site(node, scope)
            if inner is not None and inner.func is not None:
                qual, _, _, _ = self.callee(inner.func, scope)
                if qual in names:
                    return True
        v = self.evaluate_shallow(node, scope)
        if isinstance(v, Obj):
            return any(o.type == v.type for n in names for o in self.index.ctor(n))
        return False

    def match_decorator(self, dsite: Site, fn: FunctionInfo, fscope: Scope) -> list[FactRef]:
        """Match a decorator; returns the policies (retry, breaker) it puts around the function."""
        outer = fn.scope
        covering: list[FactRef] = []
        fields_site: Site | None = dsite
        # a decorator that is a tracked instance (@breaker) or builds one (@Breaker()) puts its policies around the function
        if dsite.func is not None and dsite.func.id == dsite.node.id:  # @breaker: an instance used as a decorator, no arguments
            fields_site = None
            bare = self.evaluate(dsite.node, outer)
        else:  # @MyBreaker(), @CircuitBreaker(...): an instance made here
            bare = self.evaluate_shallow(dsite.node, outer)
        if isinstance(bare, Obj):
            covering += object_policies(bare)
        qual, receiver, attr, _ = self.callee(dsite.func, outer)
        if receiver is not None:
            covering += object_policies(receiver)  # @breaker.decorate(...), @retrying.wraps
        if qual is None:
            return covering
        specs = self.index.decorators.get(qual)
        if not specs:
            return covering
        if receiver is None and fn.cls is not None:  # @Get(":id") in a @Controller("v1") class: the controller is the receiver
            receiver = self.class_receiver(fn.cls)
        env = self.env_for(fscope, function=fn.qualname, attr=attr, method=attr)
        if fscope.cls is not None:
            env["class"] = fscope.cls.name
        for spec in specs:
            if spec.requires is not None and not self.spec_requires_ok(spec, dsite, outer, receiver):
                continue
            if spec.unless_receiver is not None and self.receiver_built_by(receiver, spec.unless_receiver):
                continue
            if spec.binds is not None:  # the decorated function's parameter is an instance (a bound task's self)
                self.bind_parameter(spec.binds, dsite, fn, fscope, outer, qual)
            if spec.makes is not None and not spec.fields:  # only types the function (decorated_object): no fact
                continue
            if spec.scope_timeout is not None:  # @TimeLimiter: bounds the calls made in the function, no fact
                limit = self.build_fields(spec, fields_site, outer, receiver, env)[0].get("timeout")
                if limit is not None:
                    self._scope_timeouts.append((spec.scope_timeout, limit))
                continue
            for fields in self.build_fields(spec, fields_site, outer, receiver, env):
                if spec.where:
                    fields["_where"] = spec.where
                fact = self.emit(spec.kind, spec.rule.id, dsite.node, fields, fscope, receiver=receiver)
                if fact.kind in POLICY_KINDS and self.ref(fact) not in covering:
                    covering.append(self.ref(fact))
                    if spec.covers == "function":  # also the facts of the function met before it (a sibling decorator's call)
                        self.policies.cover_function(fn.qualname, self.ref(fact))
        return covering

    def bind_parameter(self, binds: dict[str, Any], dsite: Site, fn: FunctionInfo, fscope: Scope, outer: Scope, qual: str) -> None:
        """``binds: {param: 0, type: T, if: bind}``: the decorated function's parameter is an instance
        of ``T`` whose captures are read from the decorator's arguments (a bound task's ``self``)."""
        flag = binds.get("if")
        if flag is not None:
            node = self.find_arg(dsite, None, flag)
            v = strip(self.to_value(self.evaluate(node, outer))) if node is not None else None
            if not (isinstance(v, Const) and v.value):
                return
        otype = self.index.types.get(binds["type"])
        params = self.positional_params(fn)
        i = int(binds.get("param", 0))
        if otype is None or i >= len(params):
            return
        is_call = not (dsite.func is not None and dsite.func.id == dsite.node.id)
        obj = self.construct(otype, dsite, outer, qual, None) if is_call else Obj(otype.type, (), qual.rpartition(".")[2], "")
        fscope.bindings[params[i]] = Binding(value=obj)

    def class_receiver(self, cls: ClassInfo) -> Obj | None:
        """The tracked object a class decorator builds (``@Controller("v1")``), once per class."""
        if cls.node.id in self._class_receivers:
            return self._class_receivers[cls.node.id]
        found: Obj | None = None
        self._class_receivers[cls.node.id] = None
        for dsite in self.class_decorators(cls):
            if dsite.func is None:
                continue
            qual, receiver, _, _ = self.callee(dsite.func, cls.scope)
            if qual is not None and self.index.ctor(qual):
                made = self.construct_for(qual, dsite, cls.scope, receiver)
                if made is not None:
                    found = made
                    break
        self._class_receivers[cls.node.id] = found
        return found

    def match_classes(self, cls: ClassInfo) -> None:
        if not self.index.classes:
            return
        seen: dict[str, int] = {}
        for base in self.class_bases(cls):
            nth = seen[base] = seen.get(base, -1) + 1
            for cspec in self.index.classes:
                if not cspec.pattern.fullmatch(base):
                    continue
                owner, _, last = base.rpartition(".")
                env = {"class": cls.name, "base": last, "base_owner": owner.rpartition(".")[2]}  # RiskGrpc.AsyncService: RiskGrpc
                arg = self.base_type_arg(cls, last, nth)
                if arg is not None:  # IConsumer<SubmitOrder>: SubmitOrder
                    env["base_arg"] = arg
                if cspec.each_method:
                    for mname, mfn in sorted(cls.methods.items()):
                        if not self.exported_method(mfn):
                            continue
                        menv = {**env, "method": mname, "function": mfn.qualname}
                        fields = {k: self.read_field(k, f, None, cls.scope, None, menv) for k, f in cspec.fields.items()}
                        self.emit(
                            cspec.kind, cspec.rule.id, self.report_node(mfn), {k: v for k, v in fields.items() if v is not None}, cls.scope, anchor=mfn.qualname
                        )
                else:
                    fields = {k: self.read_field(k, f, None, cls.scope, None, env) for k, f in cspec.fields.items()}
                    self.emit(
                        cspec.kind,
                        cspec.rule.id,
                        self.class_report_node(cls),
                        {k: v for k, v in fields.items() if v is not None},
                        cls.scope,
                        anchor=cls.qualname,
                    )

    def base_type_arg(self, cls: ClassInfo, name: str, nth: int) -> str | None:
        """The first generic type argument of the ``nth`` base named ``name`` as the class's header
        writes it (``class C : IConsumer<A>, IConsumer<B>``: A, then B), for ``{base_arg}``."""
        body = cls.node.child_by_field_name("body")
        header = self.text(cls.node)[: body.start_byte - cls.node.start_byte] if body is not None else self.text(cls.node).partition("{")[0]
        found = re.findall(rf"(?<!\w){re.escape(name)}\s*<\s*([\w.]+)", header)
        return found[nth].rpartition(".")[2] if nth < len(found) else None

    def record_mounts(self, qual: str, site: Site, scope: Scope, receiver: Obj | None) -> None:
        """``r.Mount("/api", sub)``: the routes of the object ``sub`` (owned by its constructor's
        origin) are served under the prefix, below whatever serves ``r``."""
        if site.node.id in self._mounts_at:
            return
        self._mounts_at.add(site.node.id)
        source = self.owner_of(receiver)
        for spec in self.index.mounts[qual]:
            node = self.find_arg(site, *spec.target)
            if node is None:
                continue
            target = self.evaluate(node, scope)
            if not isinstance(target, Obj) or not self.owner_of(target):
                continue
            prefix = self.site_value(site, spec.prefix[0], scope, spec.prefix[1]) if spec.prefix else None
            own = receiver.capture(spec.own_prefix) if receiver is not None and spec.own_prefix else None
            line, _ = self.position(site.node)
            self.result.mounts.append(Mount(prefix, self.owner_of(target), line, source, spec.rule.id, spec.field, spec.own_prefix, own, spec.replaces))

    # ---------------------------------------------------------------- raw queries
    def run_queries(self, root: Node) -> None:
        if self._query is None:
            return
        for qspec in self.index.queries:
            query = self._query(qspec.text)
            from tree_sitter import QueryCursor

            for _, caps in QueryCursor(query).matches(root):
                target = caps.get("fact") or next(iter(caps.values()), None)
                if not target:
                    continue
                node = target[0]
                fields: dict[str, Any] = {}
                for name, raw in qspec.fields.items():
                    if isinstance(raw, dict) and "capture" in raw:
                        nodes = caps.get(raw["capture"])
                        if not nodes:
                            continue
                        fields[name] = Const(self.short_text(nodes[0])) if raw.get("text") else self.to_value(self.evaluate(nodes[0], self.module_scope))
                    else:
                        fields[name] = Const(raw)
                self.emit(qspec.kind, qspec.rule.id, node, fields, self.module_scope)

    def id_wrapper(self, fn: FunctionInfo) -> Any:
        """``function generateId() { return crypto.randomUUID() }``: a same-file function whose
        returned value is made by an id generator a rule matches (one hop) → (specs, inner site,
        its scope), else None."""
        key = fn.node.id
        if key in self._id_wrappers:
            return self._id_wrappers[key]
        self._id_wrappers[key] = None
        fscope = self.function_scope(fn)
        found = None
        for expr in self.scan_function(fn, fscope):
            stack = [expr]
            while stack and found is None:
                node = stack.pop()
                if node.type in self.FUNCTION_TYPES:
                    continue
                if node.type in self.CALL_TYPES:
                    site = self.site(node, fscope)
                    if site is not None and site.func is not None:
                        qual = self.callee(site.func, fscope)[0]
                        specs = [sp for sp in self.index.call_specs(qual) if sp.kind == "id_generation"] if qual else []
                        if specs:
                            found = (specs, site, fscope)
                            break
                stack.extend(reversed(node.named_children))
            if found is not None:
                break
        self._id_wrappers[key] = found
        return found

    def literal_method(self, func: Node, attr: str | None, scope: Scope) -> bool:
        """Whether ``func`` is ``obj.attr`` where ``obj`` names an object literal of this file with the
        key ``attr`` (``const riskApi = { async score(id) {...} }``): its method is named ``attr``."""
        parts = self.member_parts(func) if attr else None
        if parts is None or parts[0].type not in self.IDENTIFIER_TYPES:
            return False
        value = strip(self.evaluate(parts[0], scope))
        return isinstance(value, Map) and any(isinstance(k, Const) and k.value == attr for k, _ in value.items)

    def id_wrapper_call(self, fn: FunctionInfo, site: Site, scope: Scope) -> None:
        """A call of an id wrapper is itself an id generation (reported at the call, with the
        wrapped generator's fields); the fact inside the wrapper is then dropped."""
        found = self.id_wrapper(fn)
        if found is None:
            return
        specs, inner, fscope = found
        env = self.env_for(scope, function=fn.qualname)
        for spec in specs:
            for fields in self.build_fields(spec, inner, fscope, None, env):
                self.emit(spec.kind, spec.rule.id, site.node, fields, scope)
        self._wrapped_inner.add(inner.node.id)
