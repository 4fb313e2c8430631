"""Django reads routed to a replica database: ``using()``, ``db_manager()``, ``connections[...]``, routers.

At extraction every candidate is reported with the alias as a value (a literal, a constant, a
setting such as ``settings.READ_DB`` — resolved later, also from another module of the service)
and a reference to the settings' ``DATABASES``; the link-time check named by the rule's
``link:`` option (``extractor.link.django_replica_aliases``) keeps the fact when the alias is a
replica. What Django calls things (the alias-taking methods, ``connections``, the cursor
methods, the router method, the settings names) is the rule's ``options:``.

A router is a class with ``db_for_read(self, model, **hints)``: each ``return`` of an alias (a
literal, a constant, ``random.choice([...])``) is a fact; an ``if model._meta.app_label == "x"``
around it gives the dataset (``x.*``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ....catalog import Rule
from ....values import Const, Ref, strip
from . import named

if TYPE_CHECKING:
    from tree_sitter import Node

_STRINGS = ("string", "concatenated_string")
_COLLECTIONS = ("tuple", "list", "set", "parenthesized_expression")


def _returns(block: Node | None, conds: tuple[Node, ...] = ()) -> Iterator[tuple[Node, tuple[Node, ...]]]:
    """``return`` statements of a function body with the ``if`` tests around each (not nested defs)."""
    for st in named(block):
        t = st.type
        if t == "return_statement":
            yield st, conds
        elif t == "if_statement":
            cond = st.child_by_field_name("condition")
            yield from _returns(st.child_by_field_name("consequence"), conds + ((cond,) if cond is not None else ()))
            for alt in st.children_by_field_name("alternative"):
                if alt.type == "elif_clause":
                    c = alt.child_by_field_name("condition")
                    yield from _returns(alt.child_by_field_name("consequence"), conds + ((c,) if c is not None else ()))
                else:
                    yield from _returns(alt.child_by_field_name("body") or alt, conds)
        elif t in ("with_statement", "for_statement", "while_statement"):
            yield from _returns(st.child_by_field_name("body"), conds)
        elif t == "try_statement":
            yield from _returns(st.child_by_field_name("body"), conds)
            for h in named(st):
                if h.type in ("except_clause", "except_group_clause"):
                    yield from _returns(next((c for c in h.named_children if c.type == "block"), None), conds)
        elif t == "block":
            yield from _returns(st, conds)


class DjangoReplicas:
    prefilter_words: tuple[str, ...]  # from the options (the alias methods, the router method), in __init__

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        opts = rule.options or {}
        # method → (position, keyword, mechanism) of the alias it takes
        self.alias_args = {m: (a.get("arg"), a.get("kw"), a["mechanism"]) for m, a in (opts.get("alias_args") or {}).items()}
        self.connections = frozenset(opts.get("connections", ()))
        self.cursor_methods = frozenset(opts.get("cursor_methods", ()))
        self.execute_methods = frozenset(opts.get("execute_methods", ()))
        self.not_reads = frozenset(opts.get("not_reads", ()))  # connections[alias].close(): no query
        self.router_method = str(opts.get("router_method", ""))
        self.databases = Ref(str(opts["databases"])) if opts.get("databases") else None
        self.routers = Ref(str(opts["routers"])) if opts.get("routers") else None
        self.connection_names = frozenset(q.rpartition(".")[2] for q in self.connections)
        self.prefilter_words = tuple(f".{m}(" for m in self.alias_args) + ("using=", "connections[", self.router_method)
        self.pending: dict[int, Any] = {}  # connections[...] node id → its fact, until its cursor's SQL is seen
        self.cursors: dict[tuple[str, str], Any] = {}  # (scope, variable) → fact of the connection it came from

    # ------------------------------------------------------------------ helpers
    def _emit(self, an: Any, node: Node, scope: Any, mechanism: str, alias: Any, dataset: str | None, extra: dict[str, Any] | None = None) -> Any:
        fields: dict[str, Any] = {"mechanism": Const(mechanism), "source": alias}
        if self.databases is not None:
            fields["_databases"] = self.databases
        if dataset:
            fields["dataset"] = Const(dataset)
        if extra:
            fields.update(extra)
        return an.emit("replica_read", self.rule.id, node, fields, scope)

    @staticmethod
    def model_of(an: Any, expr: Node | None, scope: Any, depth: int = 0) -> str | None:
        """The model a queryset expression starts from: ``Order.objects.filter(...)`` → ``Order``;
        a local variable is followed to its assignment (twice at most)."""
        cur = expr
        while cur is not None:
            t = cur.type
            if t == "call":
                cur = cur.child_by_field_name("function")
            elif t == "subscript":
                cur = cur.child_by_field_name("value")
            elif t == "attribute":
                attr = cur.child_by_field_name("attribute")
                if attr is not None and an.text(attr)[:1].isupper():
                    return an.text(attr)
                cur = cur.child_by_field_name("object")
            elif t == "identifier":
                name = an.text(cur)
                if name[:1].isupper():
                    return name
                b = scope.lookup(name) if depth < 2 else None
                if b is not None and b.expr is not None:
                    return DjangoReplicas.model_of(an, b.expr, b.scope or scope, depth + 1)
                return None
            elif t in ("parenthesized_expression", "await"):
                cur = next(iter(named(cur)), None)
            else:
                return None
        return None

    # ------------------------------------------------------------------ extraction
    def on_call(self, an: Any, node: Node, qual: str | None, receiver: Any, scope: Any) -> None:
        func = node.child_by_field_name("function")
        if func is None or func.type != "attribute":
            return
        attr_node = func.child_by_field_name("attribute")
        attr = an.text(attr_node) if attr_node is not None else ""
        where = self.alias_args.get(attr)
        if where is None:
            obj = func.child_by_field_name("object")
            if attr in self.execute_methods and self.cursors and obj is not None and obj.type == "identifier":
                self._sql_seen(an, self.cursors.get((scope.qualname, an.text(obj))), node, scope)
            return
        if receiver is not None:  # a tracked object of another library, not a queryset
            return
        site = an.site(node, scope)
        expr = an.find_arg(site, where[0], where[1]) if site is not None else None
        if expr is None:
            return
        alias = an.to_value(an.evaluate(expr, scope))
        if isinstance(sa := strip(alias), Const) and sa.value is None:
            return
        self._emit(an, node, scope, where[2], alias, self.model_of(an, func.child_by_field_name("object"), scope))

    def on_subscript(self, an: Any, node: Node, scope: Any) -> None:
        value = node.child_by_field_name("value")
        if value is None:
            return
        last = value if value.type == "identifier" else value.child_by_field_name("attribute") if value.type == "attribute" else None
        if last is None or an.text(last) not in self.connection_names:
            return
        base = an.evaluate(value, scope)
        keys = node.children_by_field_name("subscript")
        if not (isinstance(base, Ref) and base.qualname in self.connections) or len(keys) != 1:
            return
        parent = node.parent
        if (
            parent is not None
            and parent.type == "attribute"
            and (attr := parent.child_by_field_name("attribute")) is not None
            and an.text(attr) in self.not_reads
        ):
            return
        alias = an.to_value(an.evaluate(keys[0], scope))
        self.pending[node.id] = self._emit(an, node, scope, "django_connections", alias, None)

    def _connection_fact(self, expr: Node | None) -> Any:
        """The fact of ``connections[...]`` when ``expr`` is ``connections[...].cursor()``."""
        func = expr.child_by_field_name("function") if expr is not None and expr.type == "call" else None
        if func is not None and func.type == "attribute":
            attr, obj = func.child_by_field_name("attribute"), func.child_by_field_name("object")
            if attr is not None and obj is not None and attr.text is not None and attr.text.decode() in self.cursor_methods:
                return self.pending.get(obj.id)
        return None

    def on_with(self, an: Any, node: Node, scope: Any) -> None:
        if not self.pending:
            return
        clause = next((c for c in node.named_children if c.type == "with_clause"), None)
        for item in an.iter_named(clause, ("with_item",)):
            value = item.child_by_field_name("value")
            if value is None or value.type != "as_pattern":
                continue
            target = value.child_by_field_name("alias")
            alias = next(iter(named(target)), None)
            fact = self._connection_fact(next((c for c in value.named_children if c.type != "as_pattern_target"), None))
            if fact is not None and alias is not None and alias.type == "identifier":
                self.cursors[(scope.qualname, an.text(alias))] = fact

    def on_assign(self, an: Any, node: Node, scope: Any) -> None:
        if not self.pending:
            return
        fact = self._connection_fact(node.child_by_field_name("right"))
        left = node.child_by_field_name("left")
        if fact is not None and left is not None and left.type == "identifier":
            self.cursors[(scope.qualname, an.text(left))] = fact

    @staticmethod
    def _sql_seen(an: Any, fact: Any, node: Node, scope: Any) -> None:
        """The SQL a cursor of the connection executes: its text is the dataset (the replica_read
        finalizer keeps the table after ``FROM``)."""
        site = an.site(node, scope) if fact is not None and "dataset" not in fact.fields else None
        if site is None or not site.args:
            return
        sql = strip(an.to_value(an.evaluate(site.args[0], scope)))
        if isinstance(sql, Const) and isinstance(sql.value, str):
            fact.fields["dataset"] = sql

    def after_function(self, an: Any, node: Node, scope: Any) -> None:
        name = node.child_by_field_name("name")
        if name is None or an.text(name) != self.router_method or scope.cls is None:
            return
        router = f"{an.module_name}.{scope.cls.qualname}" if an.module_name else scope.cls.qualname
        for ret, conds in _returns(node.child_by_field_name("body")):
            value = next(iter(named(ret)), None)
            if value is None:
                continue
            alias = an.to_value(an.evaluate(value, scope))
            if isinstance(sa := strip(alias), Const) and sa.value is None:
                continue
            extra: dict[str, Any] = {"_router": Const(router)}
            if self.routers is not None:
                extra["_routers"] = self.routers
            self._emit(an, ret, scope, "django_router", alias, self.router_dataset(an, conds), extra)

    def router_dataset(self, an: Any, conds: tuple[Node, ...]) -> str | None:
        """``model._meta.app_label == "orders"`` → ``orders.*``; ``model._meta.model_name == "purchase"``,
        ``model is Purchase``, ``model in (A, B)``, ``issubclass(model, A)`` → the models."""
        for test in reversed(conds):
            if test.type == "comparison_operator":
                kids = named(test)
                ops = [an.text(c) for c in test.children if not c.is_named]
                if len(kids) != 2 or len(ops) != 1 or ops[0] not in ("==", "in", "is"):
                    continue
                left, right = kids
                attr = left.child_by_field_name("attribute") if left.type == "attribute" else left if left.type == "identifier" else None
                left_name = an.text(attr) if attr is not None else ""
                if left_name == "app_label":
                    labels = self._strings(an, right)
                    if labels:
                        return ", ".join(f"{x}.*" for x in labels)
                elif left_name in ("model_name", "object_name"):
                    labels = self._strings(an, right)
                    if labels:
                        return ", ".join(labels)
                elif left_name == "model":
                    names = self._names(an, right)
                    if names:
                        return ", ".join(names)
            elif test.type == "call":
                func = test.child_by_field_name("function")
                args = named(test.child_by_field_name("arguments"))
                if func is not None and an.text(func) == "issubclass" and len(args) == 2:
                    names = self._names(an, args[1])
                    if names:
                        return ", ".join(names)
        return None

    @classmethod
    def _strings(cls, an: Any, node: Node) -> list[str]:
        if node.type in _STRINGS:
            v = strip(an.to_value(an.evaluate(node, an.module_scope)))
            return [v.value] if isinstance(v, Const) and isinstance(v.value, str) else []
        if node.type in _COLLECTIONS:
            return [s for el in named(node) for s in cls._strings(an, el)]
        return []

    @classmethod
    def _names(cls, an: Any, node: Node) -> list[str]:
        if node.type == "identifier":
            return [an.text(node)]
        if node.type == "attribute":
            attr = node.child_by_field_name("attribute")
            return [an.text(attr)] if attr is not None else []
        if node.type in _COLLECTIONS:
            return [n for el in named(node) for n in cls._names(an, el)]
        return []

    def start(self, an: Any) -> None:
        """A file begins: nothing left from a file whose analysis stopped half-way (too deep)."""
        self.finish(an)

    def finish(self, an: Any) -> None:
        self.pending.clear()
        self.cursors.clear()


__all__ = ["DjangoReplicas"]
