"""Django reads routed to a replica database: ``using()``, ``db_manager()``, ``connections[...]``, routers.

At extraction every candidate is reported with the alias as a value (a literal, a constant, a
setting such as ``settings.READ_DB`` — resolved later, also from another module of the service)
and a reference to ``settings.DATABASES``. ``link`` decides, once names are resolved, whether the
alias is a replica: named like one (``replica``, ``orders_ro``, ``read``... — see
``extractor.replicas.REPLICA_NAME``), or marked by its ``DATABASES`` entry (``TEST: {MIRROR: ...}``,
a ``HOST``/``NAME`` — or the env var holding it — named like a replica, ``OPTIONS``
``target_session_attrs`` read-only / standby). ``using("default")`` is dropped there.

A router is a class with ``db_for_read(self, model, **hints)``: each ``return`` of an alias (a
literal, a constant, ``random.choice([...])``) is a fact; an ``if model._meta.app_label == "x"``
around it gives the dataset (``x.*``). A router missing from a literal ``DATABASE_ROUTERS`` is
not installed and is dropped.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Sequence

import libcst as cst

from ....catalog import Rule
from ....replicas import REPLICA_NAME, sql_table, value_strings
from ....values import Const, Dynamic, Env, Map, Named, Ref, Seq, strip, walk
from . import block as _block

CONNECTIONS = frozenset({"django.db.connections", "django.db.utils.connections"})
DATABASES = Ref("django.conf.settings.DATABASES")
ROUTERS = Ref("django.conf.settings.DATABASE_ROUTERS")
STANDBY_ATTRS = frozenset({"read-only", "prefer-standby", "standby"})
# method → (position, keyword) of the alias
ALIAS_ARGS: dict[str, tuple[int | None, str]] = {"using": (0, "alias"), "db_manager": (0, "using"), "raw": (None, "using")}
MANAGER_WORDS = frozenset({"objects", "_default_manager", "_base_manager"})


def _returns(body: Sequence[cst.BaseStatement], conds: tuple[cst.BaseExpression, ...] = ()) -> Iterator[tuple[cst.Return, tuple[cst.BaseExpression, ...]]]:
    """``return`` statements of a function body with the ``if`` tests around each (not nested defs)."""
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Return):
                    yield small, conds
        elif isinstance(stmt, cst.If):
            yield from _returns(_block(stmt.body), conds + (stmt.test,))
            orelse = stmt.orelse
            while orelse is not None:
                if isinstance(orelse, cst.If):
                    yield from _returns(_block(orelse.body), conds + (orelse.test,))
                    orelse = orelse.orelse
                else:
                    yield from _returns(_block(orelse.body), conds)
                    orelse = None
        elif isinstance(stmt, (cst.With, cst.For, cst.While)):
            yield from _returns(_block(stmt.body), conds)
        elif isinstance(stmt, (cst.Try, cst.TryStar)):
            yield from _returns(_block(stmt.body), conds)
            for h in stmt.handlers:
                yield from _returns(_block(h.body), conds)


def _strings(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, cst.SimpleString):
        v = node.evaluated_value
        return [v] if isinstance(v, str) else []
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return [s for el in node.elements for s in _strings(el.value)]
    return []


def _names(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, (cst.Name, cst.Attribute)):
        return [node.value if isinstance(node, cst.Name) else node.attr.value]
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return [n for el in node.elements for n in _names(el.value)]
    return []


def _router_dataset(conds: tuple[cst.BaseExpression, ...]) -> str | None:
    """``model._meta.app_label == "orders"`` → ``orders.*``; ``model._meta.model_name == "purchase"``,
    ``model is Purchase``, ``model in (A, B)``, ``issubclass(model, A)`` → the models."""
    for test in reversed(conds):
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            left, comp = test.left, test.comparisons[0]
            if not isinstance(comp.operator, (cst.Equal, cst.In, cst.Is)):
                continue
            left_name = left.attr.value if isinstance(left, cst.Attribute) else (left.value if isinstance(left, cst.Name) else "")
            if left_name == "app_label":
                labels = _strings(comp.comparator)
                if labels:
                    return ", ".join(f"{x}.*" for x in labels)
            elif left_name in ("model_name", "object_name"):
                labels = _strings(comp.comparator)
                if labels:
                    return ", ".join(labels)
            elif left_name == "model":
                names = _names(comp.comparator)
                if names:
                    return ", ".join(names)
        if isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "issubclass" and len(test.args) == 2:
            names = _names(test.args[1].value)
            if names:
                return ", ".join(names)
    return None


def model_of(an: Any, expr: cst.BaseExpression, scope: Any, depth: int = 0) -> str | None:
    """The model a queryset expression starts from: ``Order.objects.filter(...)`` → ``Order``;
    a local variable is followed to its assignment (twice at most)."""
    cur: cst.BaseExpression = expr
    while True:
        if isinstance(cur, cst.Call):
            cur = cur.func
        elif isinstance(cur, cst.Subscript):
            cur = cur.value
        elif isinstance(cur, cst.Attribute):
            if cur.attr.value[:1].isupper():
                return cur.attr.value
            cur = cur.value
        elif isinstance(cur, cst.Name):
            if cur.value[:1].isupper():
                return cur.value
            b = scope.lookup(cur.value) if depth < 2 else None
            if b is not None and b.expr is not None:
                return model_of(an, b.expr, b.scope or scope, depth + 1)
            return None
        else:
            return None


class DjangoReplicas:
    prefilter_words = (".using(", "db_manager(", "using=", "connections[", "db_for_read")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.pending: dict[int, Any] = {}  # id(connections[...] node) → its fact, until its cursor's SQL is seen
        self.cursors: dict[tuple[str, str], Any] = {}  # (scope, variable) → fact of the connection it came from

    # ------------------------------------------------------------------ extraction
    def _emit(self, an: Any, node: cst.CSTNode, scope: Any, mechanism: str, alias: Any, dataset: str | None, extra: dict[str, Any] | None = None) -> Any:
        fields: dict[str, Any] = {"mechanism": Const(mechanism), "source": alias, "_databases": DATABASES}
        if dataset:
            fields["dataset"] = Const(dataset)
        if extra:
            fields.update(extra)
        return an.emit("replica_read", self.rule.id, node, fields, scope)

    def on_call(self, an: Any, node: cst.Call, qual: str | None, receiver: Any, scope: Any) -> None:
        func = node.func
        if type(func) is not cst.Attribute:
            return
        attr = func.attr.value
        where = ALIAS_ARGS.get(attr)
        if where is None:
            if attr in ("execute", "executemany") and self.cursors and type(func.value) is cst.Name:
                self._sql_seen(an, self.cursors.get((scope.qualname, func.value.value)), node, scope)
            return
        if receiver is not None:  # a tracked object of another library, not a queryset
            return
        expr, _ = an.find_arg(node, where[0], where[1])
        if expr is None:
            return
        alias = an.to_value(an.evaluate(expr, scope))
        if isinstance(strip(alias), Const) and strip(alias).value is None:
            return
        mechanism = "django_db_manager" if attr == "db_manager" else "django_using"
        self._emit(an, node, scope, mechanism, alias, model_of(an, func.value, scope))

    def on_subscript(self, an: Any, node: cst.Subscript, scope: Any) -> None:
        value = node.value
        t = type(value)
        if not ((t is cst.Name and value.value == "connections") or (t is cst.Attribute and value.attr.value == "connections")):
            return
        base = an.evaluate(value, scope)
        if not (isinstance(base, Ref) and base.qualname in CONNECTIONS) or len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return
        alias = an.to_value(an.evaluate(node.slice[0].slice.value, scope))
        self.pending[id(node)] = self._emit(an, node, scope, "django_connections", alias, None)

    def _connection_fact(self, expr: cst.BaseExpression | None) -> Any:
        """The fact of ``connections[...]`` when ``expr`` is ``connections[...].cursor()``."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("cursor", "chunked_cursor"):
            return self.pending.get(id(expr.func.value))
        return None

    def on_with(self, an: Any, node: cst.With, scope: Any) -> None:
        if not self.pending:
            return
        for item in node.items:
            fact = self._connection_fact(item.item)
            if fact is not None and item.asname is not None and isinstance(item.asname.name, cst.Name):
                self.cursors[(scope.qualname, item.asname.name.value)] = fact

    def on_assign(self, an: Any, node: cst.Assign, scope: Any) -> None:
        if not self.pending:
            return
        fact = self._connection_fact(node.value)
        if fact is not None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.cursors[(scope.qualname, target.target.value)] = fact

    @staticmethod
    def _sql_seen(an: Any, fact: Any, node: cst.Call, scope: Any) -> None:
        if fact is None or "dataset" in fact.fields or not node.args:
            return
        sql = strip(an.to_value(an.evaluate(node.args[0].value, scope)))
        if isinstance(sql, Const) and isinstance(sql.value, str):
            table = sql_table(sql.value)
            if table:
                fact.fields["dataset"] = Const(table)

    def after_function(self, an: Any, node: cst.FunctionDef, scope: Any) -> None:
        if node.name.value != "db_for_read" or scope.cls is None:
            return
        router = f"{an.module_name}.{scope.cls.qualname}" if an.module_name else scope.cls.qualname
        for ret, conds in _returns(_block(node.body)):
            if ret.value is None:
                continue
            alias = an.to_value(an.evaluate(ret.value, scope))
            if isinstance(strip(alias), Const) and strip(alias).value is None:
                continue
            self._emit(an, ret, scope, "django_router", alias, _router_dataset(conds), {"_routers": ROUTERS, "_router": Const(router)})

    def finish(self, an: Any) -> None:
        self.pending.clear()
        self.cursors.clear()

    # ------------------------------------------------------------------ link time
    def link(self, fields: dict[str, Any], ctx: Any) -> dict[str, Any] | None:
        """Keep the fact when its alias is a replica; say why. Runs after cross-module resolution."""
        source = fields.get("source")
        databases = strip(fields.pop("_databases", None))
        routers = strip(fields.pop("_routers", None))
        router = strip(fields.pop("_router", None))
        via = next((x.name for x in walk(source) if isinstance(x, Named)), None) if source is not None else None
        aliases = list(dict.fromkeys(value_strings(source)))
        replicas: list[str] = []
        why: list[str] = []
        for alias in aliases:
            reason = None
            if REPLICA_NAME.search(alias):
                reason = f"alias {alias!r} is named like a replica"
            elif isinstance(databases, Map):
                entry = _entry_evidence(databases.get(alias))
                reason = f"DATABASES[{alias!r}] {entry}" if entry else None
            if reason:
                replicas.append(alias)
                why.append(reason + (f" (via {via})" if via and via != alias else ""))
        if not replicas and not (aliases and isinstance(databases, Map)):
            hint = _name_hint(source)  # unknown alias (or no settings): a constant, env var or attribute named like a replica
            if hint:
                replicas.append(aliases[0] if aliases else "{" + hint + "}")
                why.append(f"{hint} is named like a replica")
        if not replicas:
            return None
        if isinstance(router, Const) and isinstance(routers, Seq):
            listed = value_strings(routers)
            if listed and len(listed) == len(routers.items):
                if not any(_same_path(str(router.value), x) for x in listed):
                    return None  # not installed: Django never asks it
                why.append("router listed in DATABASE_ROUTERS")
        fields["source"] = Const(", ".join(replicas))
        fields["evidence"] = Const("; ".join(why))
        return fields


def _same_path(router: str, entry: str) -> bool:
    return entry == router or router.endswith("." + entry) or entry.endswith("." + router)


def _name_hint(v: Any) -> str | None:
    """A constant name, env var name or simple expression (``self.replica_alias``) naming a replica."""
    for x in walk(v) if v is not None else ():
        name = x.name if isinstance(x, Named) else x.var if isinstance(x, Env) else x.text if isinstance(x, Dynamic) and re.fullmatch(r"[\w.]+", x.text) else None
        if name and REPLICA_NAME.search(name):
            return name
    return None


def _entry_evidence(entry: Any) -> str | None:
    """Why a ``DATABASES`` entry is a replica, or None."""
    from ....link import where_hit

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
        if isinstance(attrs, Const) and attrs.value in STANDBY_ATTRS:
            return f"OPTIONS target_session_attrs={attrs.value}"
        return None
    hit = where_hit(e, REPLICA_NAME.pattern)  # dj_database_url.config(env="REPLICA_DATABASE_URL"), env.db("...")
    return f"is configured from {hit}" if hit else None


__all__ = ["DjangoReplicas", "model_of"]
