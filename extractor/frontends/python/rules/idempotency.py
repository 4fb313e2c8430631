"""Provider-side idempotency: handlers that read an idempotency key or de-duplicate on a request id.

Two kinds of evidence, both read per function (after the engine walked it, so local values are
known):

* **key reads**: an idempotency header (``request.headers.get("Idempotency-Key")``,
  ``request.headers["X-Request-ID"]``, Django ``request.META["HTTP_IDEMPOTENCY_KEY"]``, a FastAPI
  parameter ``key: str = Header(..., alias="Idempotency-Key")``), or a request field named like an
  idempotency key (``request.idempotency_key``, ``body["idempotency_key"]``);
* **de-duplication**: a lookup in a store keyed by a request id before doing the work, i.e. an
  ``if`` whose test looks the key up (``cache.exists(k)``, ``cache.get(k)``, ``k in seen``,
  ``Model.objects.filter(idempotency_key=k)``, or a variable holding such a lookup) and whose
  branch returns/raises, or writes the key into the same store (``if k not in seen:
  seen.add(k)``); and atomic claims (``redis.set(k, 1, nx=True, ex=300)``, ``setnx``,
  ``cache.add(k, ...)``, ``get_or_create(idempotency_key=k)``) whose result is tested or kept.

A request id is a value derived (through f-strings, concatenation, ``str()``...) from an id-like
parameter (``tx_id``; entity ids such as ``user_id`` and configuration keys are not request ids),
an idempotency header, or an id-like request field. One fact per (function, key): at the key
read, else at the first de-duplication; ``window_ms`` comes from an expiry on the claim or on a
write to the same store in the function (``ex=``, ``px=``, ``timeout=``, ``setex``), or from a
``TTLCache(ttl=...)`` store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import libcst as cst

from ....catalog import Rule
from ..analyzer import _expr_children
from ....values import Call, Const, Value, strip
from . import block as _block

DEFAULT_HEADERS = r"(?i)^(x[-_])?(idempotency[-_]?(key|id|token)|idempotent[-_]?key|request[-_]?id|dedup(lication)?[-_]?(key|id))$"
DEFAULT_NAMES = r"(?i)(^|_)(id|key|uuid|nonce)$|idempot|dedup|nonce"
DEFAULT_NOT_NAMES = (
    r"(?i)^(id|key|uuid|(user|customer|client|account|profile|member|product|item|sku|tenant|org|organi[sz]ation|"
    r"session|device|merchant|shop|store|cart|catalog|config|conf|setting|settings|feature|flag|cache|api|secret|"
    r"auth|access|public|private|encryption|signing|partition|shard|sort|primary|foreign|object|bucket|file|page|"
    r"lang|locale|country|currency|region|zone|env|model|template|node|host|service|app|category|group|role|team|"
    r"project|workspace|site|domain|channel|room|thread|post|comment|image|media|asset|document|doc|parent|row|"
    r"column|field|table|index|dict|map|lookup|hash)_?(id|key|uuid))$"
)
DEFAULT_KEY_NAMES = r"(?i)idempot|dedup|(^|_)idem(_|$)"
DEFAULT_STORES = r"(?i)cache|redis|seen|processed|dedup|idem|memo|store|done|handled|completed|results?\b|responses?\b|replies|kv\b|ttl|lru|keys\b|_db\b|^db\b"

HEADER_CONTAINERS = re.compile(r"(?i)header")
RESPONSES = frozenset({"resp", "response", "res", "r", "reply", "result", "upstream"})
LOOKUPS = frozenset({"get", "exists", "has_key", "has", "contains", "__contains__", "sismember", "hexists", "hget", "getex", "filter", "get_or_none", "find_one", "count"})
CLAIMS = frozenset({"setnx", "hsetnx", "add", "get_or_create", "set_if_not_exists", "put_if_absent"})
WRITES = frozenset({"set", "setex", "psetex", "add", "set_many", "expire", "pexpire", "setnx", "hset", "put"})
HINT_METHODS = LOOKUPS | CLAIMS | WRITES | {"set", "getlist", "get_one"}
KEY_BUILDERS = frozenset({"str", "repr", "format", "join", "strip", "lower", "upper", "encode", "decode", "hexdigest", "hex"})
# expiry keyword → unit; positional expiry index per method (redis set(name, value, ex), Django add(key, value, timeout))
EXPIRY_KW = {"ex": "s", "px": "ms", "timeout": "s", "ttl": "s", "expire": "s", "expires": "s", "expiry": "s", "time": "s"}
EXPIRY_POS = {"set": (2, "s"), "add": (2, "s"), "setex": (1, "s"), "psetex": (1, "ms"), "expire": (1, "s"), "pexpire": (1, "ms")}


@dataclass(frozen=True)
class Origin:
    source: str  # header | field | parameter
    key: str
    node: cst.CSTNode


@dataclass
class Dedup:
    origin: Origin
    store: str
    node: cst.CSTNode
    call: cst.Call | None = None  # the claim/lookup call (its expiry counts)


@dataclass
class Found:
    origin: Origin
    read: cst.CSTNode | None = None
    dedups: list[Dedup] = field(default_factory=list)


def _exits(body: cst.BaseSuite) -> bool:
    for stmt in _block(body):
        if isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, (cst.Return, cst.Raise)) for s in stmt.body):
            return True
    return False


def _walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes of an expression or statement, not into nested functions, classes or lambdas."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and n is not node:
            continue
        stack.extend(_expr_children(n))


def _last_name(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _names(node: cst.CSTNode) -> set[str]:
    return {_last_name(n) for n in _walk(node) if isinstance(n, (cst.Name, cst.Attribute))}


def _root(node: cst.BaseExpression) -> str | None:
    while True:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Await):
            node = node.expression
        else:
            return None


def _literal(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        v = node.evaluated_value
        return v if isinstance(v, str) else None
    return None


def _subscript_key(node: cst.Subscript) -> cst.BaseExpression | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return node.slice[0].slice.value
    return None


def _header_name(key: str) -> str:
    """``HTTP_IDEMPOTENCY_KEY`` / ``idempotency_key`` → ``Idempotency-Key``."""
    if key.startswith("HTTP_"):
        key = key[5:]
    return "-".join(p[:1].upper() + p[1:].lower() for p in re.split(r"[-_]", key) if p)


class IdempotencyKeys:
    # an idempotency/request-id header, or a look-up that de-duplicates (in a store-like object)
    prefilter = [
        "dempoten|DEMPOTEN|equest-I|equest-i|EQUEST_ID|equest_id|dedup|Dedup",
        [
            "nx=True|setnx|.exists(|_id in |_key in |_id not in |_key not in |.get(|.add(|get_or_create(",
            "cache|Cache|CACHE|redis|Redis|seen|processed|store|Store",
            "_id|_key",
        ],
    ]

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        opts = rule.options or {}
        self.header_re = re.compile(str(opts.get("headers", DEFAULT_HEADERS)))
        self.name_re = re.compile(str(opts.get("names", DEFAULT_NAMES)))
        self.not_name_re = re.compile(str(opts.get("not_names", DEFAULT_NOT_NAMES)))
        self.key_name_re = re.compile(str(opts.get("key_names", DEFAULT_KEY_NAMES)))
        self.store_re = re.compile(str(opts.get("stores", DEFAULT_STORES)))
        self._an: Any = None
        self._hints: list[bool] = []  # per enclosing function: a call or subscript worth a closer look

    # The engine's walk flags the functions worth scanning (a store call or a subscript keyed by
    # something id-like, an id-like or Header parameter); the scan itself runs after the function.
    def finish(self, an: Any) -> None:
        self._an = None
        self._hints.clear()

    def on_function(self, an: Any, node: cst.FunctionDef, scope: Any) -> None:
        if an is not self._an:  # a new file
            self._an = an
            self._hints.clear()
        self._hints.append(self.params_hint(node))

    def on_call(self, an: Any, node: cst.Call, qualname: Any, receiver: Any, scope: Any) -> None:
        if self._hints and not self._hints[-1] and isinstance(node.func, cst.Attribute) and node.func.attr.value in HINT_METHODS:
            self._hints[-1] = any(self.hint(a.value) or (a.keyword is not None and self.id_like(a.keyword.value)) for a in node.args)

    def on_subscript(self, an: Any, node: cst.Subscript, scope: Any) -> None:
        if self._hints and not self._hints[-1]:
            key = _subscript_key(node)
            self._hints[-1] = key is not None and self.hint(key)

    def on_assign(self, an: Any, node: cst.Assign, scope: Any) -> None:
        value = node.value
        if self._hints and not self._hints[-1] and isinstance(value, cst.Attribute) and self.key_name_re.search(value.attr.value):
            self._hints[-1] = True  # key = request.idempotency_key

    def after_function(self, an: Any, node: cst.FunctionDef, scope: Any) -> None:
        hinted = self._hints.pop() if self._hints else False
        if hinted:
            _FunctionScan(self, an, node, scope).run()

    def hint(self, expr: cst.BaseExpression) -> bool:
        """An argument or subscript key that may be a request id or an idempotency header."""
        for n in _walk(expr):
            if isinstance(n, cst.SimpleString):
                text = n.evaluated_value
                if isinstance(text, str) and (self.header_re.search(text[5:] if text.startswith("HTTP_") else text) or self.id_like(text)):
                    return True
            elif isinstance(n, cst.Name) and self.id_like(n.value):
                return True
            elif isinstance(n, cst.Attribute) and self.id_like(n.attr.value):
                return True
        return False

    def params_hint(self, node: cst.FunctionDef) -> bool:
        ps = node.params
        for p in list(ps.posonly_params) + list(ps.params) + list(ps.kwonly_params):
            if self.id_like(p.name.value):
                return True
            if isinstance(p.default, cst.Call) and _last_name(p.default.func) == "Header":
                return True
            ann = p.annotation.annotation if p.annotation is not None else None
            if isinstance(ann, cst.Subscript) and _last_name(ann.value) == "Annotated" and "Header" in _names(ann):
                return True  # Annotated[str, Header()]
        return False

    def id_like(self, name: str) -> bool:
        return bool(self.name_re.search(name)) and not self.not_name_re.search(name)


class _FunctionScan:
    def __init__(self, rule: IdempotencyKeys, an: Any, node: cst.FunctionDef, scope: Any) -> None:
        self.r = rule
        self.an = an
        self.node = node
        self.scope = scope
        self.tainted: dict[str, Origin] = {}
        self.requestish: set[str] = set()
        self.lookups: dict[str, Dedup] = {}  # variable → the lookup it holds (cached = cache.get(k))
        self.found: dict[tuple[str, str], Found] = {}

    # ------------------------------------------------------------------ entry
    def run(self) -> None:
        self.params()
        self.block(_block(self.node.body))
        if self.found:
            self.emit()

    def params(self) -> None:
        ps = self.node.params
        ordered = list(ps.posonly_params) + list(ps.params) + list(ps.kwonly_params)
        if self.scope.self_name and ordered and ordered[0].name.value == self.scope.self_name:
            ordered = ordered[1:]
        for p in ordered:
            name = p.name.value
            header = self.header_param(p)
            if header is not None:
                origin = Origin("header", header, p)
                self.tainted[name] = origin
                self.note(origin, read=p)
            elif self.r.id_like(name):
                self.tainted[name] = Origin("parameter", name, p)
            else:
                self.requestish.add(name)

    def header_param(self, p: cst.Param) -> str | None:
        """FastAPI ``key: str = Header(..., alias="Idempotency-Key")`` or ``Annotated[str, Header()]``."""
        calls = [p.default] if isinstance(p.default, cst.Call) else []
        if p.annotation is not None:
            calls += [n for n in _walk(p.annotation.annotation) if isinstance(n, cst.Call)]
        for call in calls:
            qual = self.an.callee(call.func, self.scope.parent or self.an.module_scope)[0] or ""
            if qual.rpartition(".")[2] != "Header":
                continue
            alias = None
            convert = True
            for a in call.args:
                if a.keyword is not None and a.keyword.value == "alias":
                    alias = _literal(a.value)
                elif a.keyword is not None and a.keyword.value == "convert_underscores":
                    convert = not (isinstance(a.value, cst.Name) and a.value.value == "False")
            name = alias or (p.name.value.replace("_", "-") if convert else p.name.value)
            if self.r.header_re.search(name):
                return _header_name(name) if alias is None else alias
        return None

    # ------------------------------------------------------------------ statements
    def block(self, body: Sequence[cst.BaseStatement]) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self.small(small)
            elif isinstance(stmt, cst.If):
                self.if_(stmt)
            elif isinstance(stmt, (cst.For, cst.While)):
                self.reads(stmt.iter if isinstance(stmt, cst.For) else stmt.test)
                self.block(_block(stmt.body))
                if stmt.orelse is not None:
                    self.block(_block(stmt.orelse.body))
            elif isinstance(stmt, cst.With):
                for item in stmt.items:
                    self.reads(item.item)
                self.block(_block(stmt.body))
            elif isinstance(stmt, (cst.Try, cst.TryStar)):
                self.block(_block(stmt.body))
                for h in stmt.handlers:
                    self.block(_block(h.body))
                for extra in (stmt.orelse, stmt.finalbody):
                    if extra is not None:
                        self.block(_block(extra.body))
            elif isinstance(stmt, cst.Match):
                self.reads(stmt.subject)
                for case in stmt.cases:
                    self.block(_block(case.body))

    def small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
            value = small.value
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
            if any(isinstance(t, cst.Name) for t in targets):
                self.reads(value)  # (copied into a dict or an attribute: forwarded, e.g. to an outbound call)
            origin = self.origin_of(value)
            claim = self.claim_in(value)
            lookup = self.lookup_in(value)
            for t in targets:
                if not isinstance(t, cst.Name):
                    continue
                self.lookups.pop(t.value, None)
                if origin is not None and claim is None and lookup is None:
                    self.tainted[t.value] = origin
                else:
                    self.tainted.pop(t.value, None)
                if lookup is not None:
                    self.lookups[t.value] = lookup
                if origin is None and any(isinstance(n, cst.Name) and n.value in self.requestish for n in _walk(value)):
                    self.requestish.add(t.value)
            if claim is not None:
                self.record(claim)
        elif isinstance(small, cst.Expr):
            self.reads(small.value)
        elif isinstance(small, cst.Return) and small.value is not None:
            self.reads(small.value)

    def if_(self, stmt: cst.If) -> None:
        self.reads(stmt.test)
        claim = self.claim_in(stmt.test)
        if claim is not None:
            self.record(claim)
        else:
            dedup = self.lookup_in(stmt.test) or self.held_lookup(stmt.test)
            if dedup is not None:
                orelse = stmt.orelse
                exits = _exits(stmt.body) or (isinstance(orelse, cst.Else) and _exits(orelse.body))
                if exits or self.writes_store(stmt.body, dedup.store):
                    self.record(dedup)
        self.block(_block(stmt.body))
        if isinstance(stmt.orelse, cst.If):
            self.if_(stmt.orelse)
        elif stmt.orelse is not None:
            self.block(_block(stmt.orelse.body))

    # ------------------------------------------------------------------ expressions
    def reads(self, expr: cst.CSTNode) -> None:
        """Key reads anywhere in an expression (headers, idempotency fields)."""
        for n in _walk(expr):
            if isinstance(n, (cst.Call, cst.Subscript, cst.Attribute)):
                origin = self.read_at(n)
                if origin is not None and (origin.source == "header" or self.r.key_name_re.search(origin.key)):
                    self.note(origin, read=n)

    def read_at(self, n: cst.CSTNode) -> Origin | None:
        """A header read or an id-like field read at this node."""
        container: cst.BaseExpression | None = None
        key_node: cst.BaseExpression | None = None
        if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in ("get", "getlist", "get_one") and n.args:
            container, key_node = n.func.value, n.args[0].value
        elif isinstance(n, cst.Subscript):
            container, key_node = n.value, _subscript_key(n)
        elif isinstance(n, cst.Attribute):
            root = n.value
            if isinstance(root, cst.Name) and root.value in self.requestish and self.r.id_like(n.attr.value):
                return Origin("field", n.attr.value, n)
            return None
        if container is None or key_node is None:
            return None
        key = _literal(key_node)
        if key is None and isinstance(key_node, (cst.Name, cst.Attribute)):
            v = strip(self.an.to_value(self.an.evaluate(key_node, self.scope)))
            key = v.value if isinstance(v, Const) and isinstance(v.value, str) else None
        if not key:
            return None
        root = _root(container)
        if root is None or root in RESPONSES:
            return None
        # header form: Django/WSGI HTTP_X, a hyphenated name (HTTP headers, gRPC metadata), or read from headers
        headerish = key.startswith("HTTP_") or "-" in key or bool(HEADER_CONTAINERS.search(self.an.anchor_text(container, 120)))
        if headerish:
            if self.r.header_re.search(key[5:] if key.startswith("HTTP_") else key):
                return Origin("header", _header_name(key) if key.startswith("HTTP_") else key, n)
            return None
        if (root in self.requestish or root in self.tainted) and self.r.id_like(key):
            return Origin("field", key, n)
        return None

    def origin_of(self, expr: cst.BaseExpression) -> Origin | None:
        """The request id a key-building expression carries (``f"idem:{tx_id}"``, ``str(key)``)."""
        if isinstance(expr, cst.Name):
            return self.tainted.get(expr.value)
        if isinstance(expr, (cst.Call, cst.Subscript, cst.Attribute)):
            found = self.read_at(expr)
            if found is not None:
                return found
        if isinstance(expr, cst.FormattedString):
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    o = self.origin_of(part.expression)
                    if o is not None:
                        return o
            return None
        if isinstance(expr, cst.BinaryOperation):
            return self.origin_of(expr.left) or self.origin_of(expr.right)
        if isinstance(expr, cst.BooleanOperation):
            return self.origin_of(expr.left) or self.origin_of(expr.right)
        if isinstance(expr, cst.Await):
            return self.origin_of(expr.expression)
        if isinstance(expr, cst.IfExp):
            return self.origin_of(expr.body) or self.origin_of(expr.orelse)
        if isinstance(expr, (cst.Tuple, cst.List)):
            for el in expr.elements:
                o = self.origin_of(el.value)
                if o is not None:
                    return o
            return None
        if isinstance(expr, cst.Call):
            name = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else (expr.func.value if isinstance(expr.func, cst.Name) else "")
            if name in KEY_BUILDERS:
                for a in expr.args:
                    o = self.origin_of(a.value)
                    if o is not None:
                        return o
                if isinstance(expr.func, cst.Attribute):
                    return self.origin_of(expr.func.value)
        return None

    def _calls(self, expr: cst.CSTNode) -> Iterator[cst.Call]:
        for n in _walk(expr):
            if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute):
                yield n

    def _keyed(self, call: cst.Call) -> tuple[Origin, bool] | None:
        """The request id a store call is keyed by; the flag says it came as an idempotency keyword."""
        for a in call.args:
            if a.keyword is None:
                o = self.origin_of(a.value)
                return (o, False) if o is not None else None
        for a in call.args:
            if a.keyword is not None and self.r.id_like(a.keyword.value):
                o = self.origin_of(a.value)
                if o is not None:
                    return o, bool(self.r.key_name_re.search(a.keyword.value))
        return None

    def claim_in(self, expr: cst.CSTNode) -> Dedup | None:
        for call in self._calls(expr):
            method = call.func.attr.value  # type: ignore[union-attr]
            nx = method == "set" and any(a.keyword is not None and a.keyword.value == "nx" and not (isinstance(a.value, cst.Name) and a.value.value in ("False", "None")) for a in call.args)
            if not (nx or method in CLAIMS):
                continue
            keyed = self._keyed(call)
            if keyed is None:
                continue
            origin, by_keyword = keyed
            if method == "get_or_create" and not by_keyword:
                continue
            return Dedup(origin, self.an.anchor_text(call.func.value, 120), call, call)  # type: ignore[union-attr]
        return None

    def lookup_in(self, expr: cst.CSTNode) -> Dedup | None:
        for n in _walk(expr):
            if isinstance(n, cst.Comparison):
                for target in n.comparisons:
                    if isinstance(target.operator, (cst.In, cst.NotIn)):
                        origin = self.origin_of(n.left)
                        store = self.an.anchor_text(target.comparator, 120)
                        if origin is not None and self.is_store(store):
                            return Dedup(origin, store, n)
            elif isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in LOOKUPS:
                keyed = self._keyed(n)
                if keyed is None:
                    continue
                origin, by_keyword = keyed
                store = self.an.anchor_text(n.func.value, 120)
                if by_keyword or self.is_store(store):
                    return Dedup(origin, store, n, n)
        return None

    def held_lookup(self, test: cst.CSTNode) -> Dedup | None:
        for n in _walk(test):
            if isinstance(n, cst.Name) and n.value in self.lookups:
                return self.lookups[n.value]
        return None

    def is_store(self, store: str) -> bool:
        """Named like a store (cache, redis, seen...), or written to in this function (recent[k] = v)."""
        return bool(self.r.store_re.search(store)) or self.writes_store(self.node.body, store)

    def writes_store(self, body: cst.BaseSuite, store: str) -> bool:
        for stmt in _block(body):
            for n in _walk(stmt):
                if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in WRITES:
                    if self.an.anchor_text(n.func.value, 120) == store:
                        return True
                elif isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Subscript):
                    if self.an.anchor_text(n.target.value, 120) == store:
                        return True
        return False

    # ------------------------------------------------------------------ results
    def note(self, origin: Origin, read: cst.CSTNode | None = None) -> Found:
        key = (origin.source, origin.key)
        found = self.found.get(key)
        if found is None:
            found = self.found[key] = Found(origin)
        if read is not None and found.read is None:
            found.read = read
        return found

    def record(self, dedup: Dedup) -> None:
        self.note(dedup.origin).dedups.append(dedup)

    def window(self, found: Found) -> tuple[str, Value] | None:
        stores = {d.store for d in found.dedups}
        candidates = [d.call for d in found.dedups if d.call is not None]
        for stmt in _block(self.node.body):
            for n in _walk(stmt):
                if isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value in WRITES:
                    if self.an.anchor_text(n.func.value, 120) in stores:
                        candidates.append(n)
        for call in candidates:
            method = call.func.attr.value  # type: ignore[union-attr]
            for a in call.args:
                if a.keyword is not None and a.keyword.value in EXPIRY_KW:
                    return "window_" + EXPIRY_KW[a.keyword.value], self.value(a.value)
            pos = EXPIRY_POS.get(method)
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if pos is not None and pos[0] < len(positional):
                return "window_" + pos[1], self.value(positional[pos[0]].value)
        for d in found.dedups:  # a store with its own expiry: cachetools.TTLCache(maxsize, ttl)
            expr = d.call.func.value if d.call is not None and isinstance(d.call.func, cst.Attribute) else (d.node.comparisons[0].comparator if isinstance(d.node, cst.Comparison) else None)
            if expr is None:
                continue
            v = strip(self.value(expr))
            if isinstance(v, Call) and v.func.rpartition(".")[2] == "TTLCache":
                for k, x in v.kwargs:
                    if k == "ttl":
                        return "window_s", x
                if len(v.args) > 1:
                    return "window_s", v.args[1]
        return None

    def value(self, expr: cst.BaseExpression) -> Value:
        return self.an.to_value(self.an.evaluate(expr, self.scope))

    def emit(self) -> None:
        handler = self.scope.function.qualname if self.scope.function is not None else self.node.name.value
        for found in self.found.values():
            o = found.origin
            if not found.dedups and o.source == "parameter":
                continue
            node = found.read if found.read is not None else found.dedups[0].node
            fields: dict[str, Any] = {
                "key": Const(o.key),
                "source": Const(o.source),
                "store": Const(found.dedups[0].store) if found.dedups else Const(None),
                "handler": Const(handler),
            }
            if found.dedups:
                w = self.window(found)
                if w is not None:
                    fields[w[0]] = w[1]
            self.an.emit("idempotency_key", self.r.rule.id, node, fields, self.scope)


__all__ = ["IdempotencyKeys"]
