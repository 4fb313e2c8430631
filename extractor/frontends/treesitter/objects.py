"""Objects of tracked types: construction by a rule's constructor, configuration after it.

A call of a tracked constructor builds an ``Obj`` whose captures are the rule's fields read from
the call; option calls (``configure``), field assignments (``client.Timeout = ...``) and
constructor arguments with units refine it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...values import Call, Const, Dynamic, Map, Obj, Ref, Seq, Value, describe, strip
from .evaluate import Evaluator
from .index import _MISSING as _IF_MISSING
from .index import ConfigureSpec, MatchSpec, ObjectType
from .policies import origin_ref
from .scopes import OWNER_CAPTURE, FunctionInfo, FunctionValue, Scope, Site

if TYPE_CHECKING:  # tree_sitter is imported only when a file of the language is parsed
    from tree_sitter import Node


class ObjectBuilder(Evaluator):
    """Construction and configuration of tracked objects (see the module docstring)."""

    if TYPE_CHECKING:  # defined in match.py (the layer above, whose signature is the one checked), called by construct
        read_field: Callable[..., Any]

    def construct_for(self, qual: str, site: Site, scope: Scope, receiver: Obj | None) -> Obj | None:
        for otype in self.index.ctor(qual):
            if otype.requires is not None and not self.requires_ok(otype.requires.arg, otype.requires.kw, otype.requires.types, site, scope):
                continue
            return self.construct(otype, site, scope, qual, receiver)
        return None

    def spec_requires_ok(self, spec: MatchSpec, site: Site, scope: Scope, receiver: Obj | None) -> bool:
        req = spec.requires
        assert req is not None
        if req.receiver:  # the receiver (a decorator's: the object its class's decorator built)
            return receiver is not None and receiver.type in req.types
        return self.requires_ok(req.arg, req.kw, req.types, site, scope)

    def receiver_built_by(self, receiver: Obj | None, names: frozenset[str]) -> bool:
        if receiver is None:
            return False
        return any(o.type == receiver.type for n in names for o in self.index.ctor(n)) or receiver.type in names

    def requires_ok(self, arg: int | None, kw: str | None, types: frozenset[str], site: Site, scope: Scope) -> bool:
        node = self.find_arg(site, arg, kw)
        if node is None:
            return False
        v = self.evaluate_shallow(node, scope)
        return isinstance(v, Obj) and v.type in types

    def construct(self, otype: ObjectType, site: Site, scope: Scope, qual: str, receiver: Obj | None, env: dict[str, str] | None = None) -> Obj:
        caps: list[tuple[str, Value]] = []
        for name, spec in otype.captures.items():
            partial = Obj(otype.type, tuple(caps))
            v = self.read_field(name, spec, site, scope, receiver, env or {}, partial=partial, inherit=False)
            if v is not None:
                caps.append((name, v))
        if receiver is not None:  # made by a method of a tracked object: keeps the captures it does not set
            have = {k for k, _ in caps}
            caps += [(k, v) for k, v in receiver.captures if k not in have]
            if self.index.mount_rules and OWNER_CAPTURE not in have and receiver.capture(OWNER_CAPTURE) is None and receiver.origin:
                caps.append((OWNER_CAPTURE, Const(receiver.origin)))  # a sub-router's routes belong to its root object
        obj = Obj(otype.type, tuple(caps), qual.rpartition(".")[2], f"{self.path}#{self.node_key(site.node)}")
        if otype.callback is not None:
            arg, param = otype.callback
            node = site.args[arg] if -len(site.args) <= arg < len(site.args) else None
            if node is not None and node.type in self.FUNCTION_TYPES:
                self._callbacks[node.id] = (param, obj)
            elif node is not None and node.type in self.IDENTIFIER_TYPES:  # a same-file function passed by name (a plugin)
                fv = self.evaluate(node, scope)
                if isinstance(fv, FunctionValue) and fv.fn.node.id not in self._fn_scopes:
                    self._callbacks[fv.fn.node.id] = (param, obj)
        return obj

    def decorated_object(self, fn: FunctionInfo) -> Obj | None:
        """The tracked object a decorator with ``makes: T`` turns a function into (``@app.task``
        makes a ``celery.Task``: ``charge.delay(...)``), its captures read from the decorator's
        arguments; templates see ``{function}``. Once per function."""
        key = fn.node.id
        if key in self._decorated:
            return self._decorated[key]
        self._decorated[key] = None
        for dsite in self.decorators(fn):
            qual, _, _, _ = self.callee(dsite.func, fn.scope)
            makes = next((s.makes for s in self.index.decorators.get(qual or "", ()) if s.makes), None)
            otype = self.index.types.get(makes) if makes else None
            if otype is not None and qual is not None:
                self._decorated[key] = self.construct(otype, dsite, fn.scope, qual, None, {"function": fn.name})
                break
        return self._decorated[key]

    def configure_obj(self, obj: Obj, site: Site, scope: Scope) -> Obj:
        otype = self.index.types.get(obj.type)
        if otype is None or site.func is None:
            return obj
        parts = self.member_parts(site.func)
        conf = otype.configure.get(parts[1]) if parts is not None else None
        if conf is None:
            return obj
        if conf.type_arg is not None:  # .Or<TimeoutException>(): a generic type argument, as text
            if conf.type_arg >= len(site.type_args):
                return obj
            return self.with_capture(obj, conf.capture, Const(self.anchor_text(site.type_args[conf.type_arg], 120)), conf.append)
        if conf.value is not _IF_MISSING:  # GET() / POST(body): a constant
            return self.with_capture(obj, conf.capture, Const(conf.value), conf.append)
        if conf.keys and conf.map_arg is not None:  # curl_setopt_array($ch, [CURLOPT_TIMEOUT => 5]): each key the spec lists
            found = self.find_arg(site, conf.map_arg, None)
            items = strip(self.to_value(self.evaluate(found, scope))) if found is not None else None
            for k, v in items.items if isinstance(items, Map) else ():
                obj = self.keyed_value(obj, conf, strip(k), v)
            return obj
        if conf.keys:  # props.put(ConsumerConfig.GROUP_ID_CONFIG, "g"): the capture the key names
            key, value = self.find_arg(site, conf.key_arg, None), self.find_arg(site, conf.arg, conf.kw)
            return self.keyed_capture(obj, conf, key, value, scope) if key is not None and value is not None else obj
        node = self.find_arg(site, conf.arg, conf.kw)
        if node is None:
            return obj
        v = self.to_value(self.evaluate(node, scope))
        if conf.unit_arg is not None:
            v = self.with_unit(v, site, conf.unit_arg, scope)
        return self.with_capture(obj, conf.capture, v, conf.append)

    def with_unit(self, v: Value, site: Site, unit_arg: int, scope: Scope) -> Value:
        """``(500, TimeUnit.MILLISECONDS)``: the amount as a call of the unit constant, which the
        rule's timeout ``functions:`` interpret (``java.util.concurrent.TimeUnit.MILLISECONDS: ms``)."""
        node = self.find_arg(site, unit_arg, None)
        if node is None:
            return v
        unit = strip(self.to_value(self.evaluate(node, scope)))
        if isinstance(unit, Ref):
            return Call(unit.qualname, (v,))
        return Dynamic(f"{describe(v)} {describe(unit)}")

    def keyed_capture(self, obj: Obj, conf: ConfigureSpec, key: Node, value: Node, scope: Scope) -> Obj:
        """A keyed setter's value under the capture its key names (a key of the map the spec's
        ``keys`` do not list changes nothing); with ``unit_arg`` the key is also the value's unit,
        ``Call(key, (value,))`` for the rule's timeout ``functions:`` (PHP's ``curl_setopt($ch,
        CURLOPT_TIMEOUT_MS, 300)``)."""
        k = strip(self.to_value(self.evaluate(key, scope)))
        return self.keyed_value(obj, conf, k, None, lambda: self.to_value(self.evaluate(value, scope)))

    def keyed_value(self, obj: Obj, conf: ConfigureSpec, key: Value | None, value: Value | None, read: Callable[[], Value] | None = None) -> Obj:
        """``obj`` with the capture a constant key names set to ``value`` (or ``read()``, evaluated
        only for a key the spec lists)."""
        name = key.value if isinstance(key, Const) and isinstance(key.value, str) else None
        capture = dict(conf.keys).get(name) if name is not None else None
        if name is None or not capture:
            return obj
        v = read() if read is not None else value
        assert v is not None
        unit = conf.unit_arg is not None and (not conf.unit_keys or name in conf.unit_keys)
        return self.with_capture(obj, capture, Call(name, (v,)) if unit else v)

    def set_item(self, base_name: str, key: Node, value: Node, scope: Scope) -> None:
        """``props[KEY] = v`` on a tracked object bound to a name: its type's keyed ``"[]"`` setter."""
        obj = self.bound_obj(base_name, scope)
        otype = self.index.types.get(obj.type) if obj is not None else None
        conf = otype.configure.get("[]") if otype is not None else None
        if obj is None or conf is None or not conf.keys:
            return
        new = self.keyed_capture(obj, conf, key, value, scope)
        if new is not obj:
            self.bind(scope, base_name, value=new, rebind=True)

    @staticmethod
    def with_capture(obj: Obj, capture: str, v: Value, append: bool = False) -> Obj:
        caps = [c for c in obj.captures if c[0] != capture]
        if append:
            old = strip(obj.capture(capture)) if obj.capture(capture) is not None else None
            items = (old.items if isinstance(old, Seq) else (old,) if old is not None else ()) + (v,)  # a single first value is kept
            v = Seq(items)
        return dataclasses.replace(obj, captures=tuple(caps) + ((capture, v),))

    def bound_obj(self, name: str, scope: Scope) -> Obj | None:
        """The tracked object a name is bound to, if it is one."""
        b = scope.lookup(name)
        obj = self.binding_value(b, name) if b is not None else None
        return obj if isinstance(obj, Obj) else None

    def set_field(self, base_name: str, field_name: str, value_node: Node, scope: Scope) -> None:
        """``client.Timeout = d`` on a tracked object bound to a name: the capture changes."""
        obj = self.bound_obj(base_name, scope)
        if obj is None:
            return
        otype = self.index.types.get(obj.type)
        if otype is None:
            return
        conf = otype.configure.get(field_name)
        if conf is not None and conf.fact_field is not None:  # client.RetryMax = 2: the policy fact that built it changes
            ref = origin_ref(obj.origin)
            fact = self.policies.policy_facts.get(ref.key) if ref is not None and ref.file == self.path else None
            if fact is not None:
                fact.fields[conf.fact_field] = self.to_value(self.evaluate(value_node, scope))
        cap = otype.field_captures.get(field_name) or (field_name if field_name in otype.capture_names else None)
        if cap is None:
            return
        self.bind(scope, base_name, value=self.with_capture(obj, cap, self.to_value(self.evaluate(value_node, scope))), rebind=True)

    def apply_configure(self, site: Site, scope: Scope) -> None:
        """``x.Configure(...)`` as a statement: rebind ``x`` with the changed capture."""
        if site.func is None:
            return
        parts = self.member_parts(site.func)
        if parts is None or parts[1] not in self.index.configure_methods or parts[0].type not in self.IDENTIFIER_TYPES:
            return
        name = self.text(parts[0])
        obj = self.bound_obj(name, scope)
        if obj is None:
            return
        new = self.configure_obj(obj, site, scope)
        if new is not obj:
            self.bind(scope, name, value=new, rebind=True)
        self.configure_fact(obj, site, scope)

    def configure_fact(self, obj: Obj, site: Site, scope: Scope) -> None:
        """``breaker.fallback(() => "cached")``: a ``configure`` entry with ``fact_field`` sets that
        field of the policy fact that built the object (same file): a function's returned constant,
        else the argument's text."""
        otype = self.index.types.get(obj.type)
        parts = self.member_parts(site.func) if site.func is not None else None
        conf = otype.configure.get(parts[1]) if otype is not None and parts is not None else None
        if conf is None or conf.fact_field is None:
            return
        ref = origin_ref(obj.origin)
        fact = self.policies.policy_facts.get(ref.key) if ref is not None and ref.file == self.path else None
        node = self.find_arg(site, conf.arg, conf.kw)
        if fact is None or node is None:
            return
        v = self.evaluate(node, scope)
        if isinstance(v, FunctionValue):
            r = self.function_return(v.fn, None, None)
            v = r if isinstance(strip(r) if self.is_value(r) else None, Const) else Const(self.anchor_text(node, 120))
        fact.fields[conf.fact_field] = self.to_value(v)
