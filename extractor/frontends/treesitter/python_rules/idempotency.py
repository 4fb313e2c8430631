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
write to the same store in the function, or from a ``TTLCache(ttl=...)`` store.

The names (header and id patterns, store methods, expiry keywords and positions, the header
parameter function) are the rule's ``options:``, the words a file needs its ``prefilter:``; the syntax
is tree-sitter-python's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ....catalog import Rule
from ....values import Call, Const, Value, strip
from ..retry_loops import descend
from . import named

if TYPE_CHECKING:
    from tree_sitter import Node

# What a function's text holds when ``params_hint`` or ``body_hint`` can find something: a name or
# literal the options' ``names`` / ``headers`` / ``key_names`` patterns match has an "id", "key" or
# "uuid" ending a word (after a non-alphanumeric, "_" or "request"), or "nonce", "idem", "dedup";
# a Header parameter spells the ``header_parameter`` option. A backslash (an escape in a literal) or
# a non-ASCII byte (an identifier that case-folds to ASCII) may hide one: such a function is looked
# at too. Derived from the patterns of rules/python/idempotency/handlers.yaml: a change there keeps
# this in step (tests/test_idempotency_hint.py checks names each pattern matches). The words are
# searched with ``bytes.find`` in the file's text folded once (``_fold``): lower case, every other
# byte a space, a backslash or non-ASCII byte \x01; a regular expression over every function's
# text cost more than the walks it saved.
_FOLD = bytes(b + 32 if 65 <= b <= 90 else b if 97 <= b <= 122 or 48 <= b <= 57 else 1 if b == 92 or b >= 128 else 32 for b in range(256))
_HINT_WORDS = (b" id ", b" key ", b"\x01", b" uuid ", b"requestid ", b"requestkey ", b"requestuuid ", b"nonce", b"idem", b"dedup")
_NESTED = frozenset({"function_definition", "class_definition", "lambda", "decorated_definition"})
_PARAMS = frozenset({"identifier", "typed_parameter", "default_parameter", "typed_default_parameter"})


@dataclass(frozen=True)
class Origin:
    source: str  # header | field | parameter
    key: str
    node: Node


@dataclass
class Dedup:
    origin: Origin
    store: str
    node: Node
    call: Node | None = None  # the claim/lookup call (its expiry counts)


@dataclass
class Found:
    origin: Origin
    read: Node | None = None
    dedups: list[Dedup] = field(default_factory=list)


def _walk(node: Node | None) -> Iterator[Node]:
    """Nodes of an expression or statement, not into nested functions, classes or lambdas."""
    return descend(node, stop_types=_NESTED)


def _exits(block: Node | None) -> bool:
    return any(st.type in ("return_statement", "raise_statement") for st in named(block))


def _operators(node: Node) -> list[str]:
    return [c.type for c in node.children if not c.is_named]


def _attr(node: Node) -> Node | None:
    return node.child_by_field_name("attribute") if node.type == "attribute" else None


def _header_name(key: str) -> str:
    """``HTTP_IDEMPOTENCY_KEY`` / ``idempotency_key`` → ``Idempotency-Key``."""
    if key.startswith("HTTP_"):
        key = key[5:]
    return "-".join(p[:1].upper() + p[1:].lower() for p in re.split(r"[-_]", key) if p)


class IdempotencyKeys:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        opts = rule.options or {}
        self.header_re = re.compile(str(opts["headers"]))
        self.name_re = re.compile(str(opts["names"]))
        self.not_name_re = re.compile(str(opts["not_names"]))
        self.key_name_re = re.compile(str(opts["key_names"]))
        self.store_re = re.compile(str(opts["stores"]))
        self.header_containers = re.compile(str(opts.get("header_containers", "(?i)header")))
        self.header_param = str(opts.get("header_parameter", "Header"))
        self.responses = frozenset(opts.get("responses", ()))
        self.getters = frozenset(opts.get("getters", ()))
        self.lookups = frozenset(opts.get("lookups", ()))
        self.claims = frozenset(opts.get("claims", ()))
        self.writes = frozenset(opts.get("writes", ()))
        self.key_builders = frozenset(opts.get("key_builders", ()))
        self.expiry_kw: dict[str, str] = dict(opts.get("expiry_keywords") or {})
        self.expiry_pos: dict[str, tuple[int, str]] = {m: (int(v["arg"]), str(v["unit"])) for m, v in (opts.get("expiry_positions") or {}).items()}
        self.ttl_stores: dict[str, tuple[str, int]] = {t: (str(v["kw"]), int(v["arg"])) for t, v in (opts.get("ttl_stores") or {}).items()}
        self.hint_methods = self.lookups | self.claims | self.writes | self.getters
        self._header_word = self.header_param.encode()
        self._folded: tuple[bytes, bytes] = (b"", b"")  # a file's source and its _FOLD (padded with a space each side)

    # The scan runs after the engine walked a function, only when the function is worth it: a store
    # call or a subscript keyed by something id-like, an id-like or Header parameter. Most functions
    # hold none of the words those need (_HINT_WORDS), and are skipped without a walk (``has_words``).
    def after_function(self, an: Any, node: Node, scope: Any) -> None:
        if not self.has_words(an.source, node.start_byte, node.end_byte):
            return
        if self.params_hint(an, node) or self.body_hint(an, node.child_by_field_name("body")):
            _FunctionScan(self, an, node, scope).run()

    def has_words(self, source: bytes, start: int, end: int) -> bool:
        """``source[start:end]`` holds one of the words a hint needs (``_HINT_WORDS``)."""
        src, folded = self._folded
        if src is not source:
            folded = b" " + source.translate(_FOLD) + b" "
            self._folded = (source, folded)
        find = folded.find
        if source.find(self._header_word, start, end) >= 0:
            return True
        for w in _HINT_WORDS:
            if find(w, start, end + 2) >= 0:
                return True
        return False

    def body_hint(self, an: Any, body: Node | None) -> bool:
        """A call of a store method or a subscript keyed by something id-like, or a key read into a
        name, among the function's own expressions (not assignment targets, not nested defs)."""
        stack = [body] if body is not None else []
        while stack:
            n = stack.pop()
            t = n.type
            if t in ("function_definition", "class_definition", "decorated_definition") and n is not body:
                continue
            if t in ("assignment", "augmented_assignment"):
                stack.extend(c for c in (n.child_by_field_name("right"),) if c is not None)
            else:
                stack.extend(n.named_children)
            if t == "call":
                func = n.child_by_field_name("function")
                attr = _attr(func) if func is not None else None
                if attr is not None and an.text(attr) in self.hint_methods:
                    for a in named(n.child_by_field_name("arguments")):
                        if a.type == "keyword_argument":
                            name = a.child_by_field_name("name")
                            if (name is not None and self.id_like(an.text(name))) or self.hint(an, a.child_by_field_name("value")):
                                return True
                        elif self.hint(an, a):
                            return True
            elif t == "subscript":
                keys = n.children_by_field_name("subscript")
                if len(keys) == 1 and keys[0].type != "slice" and self.hint(an, keys[0]):
                    return True
            elif t == "assignment" and n.child_by_field_name("type") is None:
                value = n.child_by_field_name("right")
                attr = _attr(value) if value is not None else None
                if attr is not None and self.key_name_re.search(an.text(attr)):
                    return True  # key = request.idempotency_key
        return False

    def hint(self, an: Any, expr: Node | None) -> bool:
        """An argument or subscript key that may be a request id or an idempotency header."""
        for n in _walk(expr):
            if n.type == "string":
                text = self.literal(an, n)
                if text is not None and (self.header_re.search(text[5:] if text.startswith("HTTP_") else text) or self.id_like(text)):
                    return True
            elif n.type == "identifier" and self.id_like(an.text(n)):
                return True
        return False

    def params_hint(self, an: Any, node: Node) -> bool:
        for p in named(node.child_by_field_name("parameters")):
            if p.type not in _PARAMS:
                continue
            name = p if p.type == "identifier" else p.child_by_field_name("name") or next(iter(named(p)), None)
            if name is not None and name.type == "identifier" and self.id_like(an.text(name)):
                return True
            default = p.child_by_field_name("value")
            if default is not None and default.type == "call" and self._last_name(an, default.child_by_field_name("function")) == self.header_param:
                return True
            ann = p.child_by_field_name("type")
            if ann is not None and any(n.type == "call" and self._last_name(an, n.child_by_field_name("function")) == self.header_param for n in _walk(ann)):
                return True  # Annotated[str, Header()]
        return False

    def id_like(self, name: str) -> bool:
        return bool(self.name_re.search(name)) and not self.not_name_re.search(name)

    @staticmethod
    def literal(an: Any, node: Node | None) -> str | None:
        """A plain string literal's text (not an f-string)."""
        if node is None or node.type != "string" or any(c.type == "interpolation" for c in node.named_children):
            return None
        v = strip(an.to_value(an.evaluate(node, an.module_scope)))
        return v.value if isinstance(v, Const) and isinstance(v.value, str) else None

    @staticmethod
    def _last_name(an: Any, node: Node | None) -> str:
        if node is None:
            return ""
        if node.type == "identifier":
            return an.text(node)
        attr = _attr(node)
        return an.text(attr) if attr is not None else ""


class _FunctionScan:
    def __init__(self, rule: IdempotencyKeys, an: Any, node: Node, scope: Any) -> None:
        self.r = rule
        self.an = an
        self.node = node
        self.scope = scope
        self.body = node.child_by_field_name("body")
        self.tainted: dict[str, Origin] = {}
        self.requestish: set[str] = set()
        self.lookups: dict[str, Dedup] = {}  # variable → the lookup it holds (cached = cache.get(k))
        self.found: dict[tuple[str, str], Found] = {}

    def text(self, node: Node) -> str:
        return self.an.anchor_text(node, 120)

    # ------------------------------------------------------------------ entry
    def run(self) -> None:
        self.params()
        self.block(self.body)
        if self.found:
            self.emit()

    def params(self) -> None:
        names = {n for n, _ in self.an.function_params(self.node)}  # without self / cls
        for p in named(self.node.child_by_field_name("parameters")):
            if p.type not in _PARAMS:
                continue
            name_node = p if p.type == "identifier" else p.child_by_field_name("name") or next(iter(named(p)), None)
            if name_node is None or name_node.type != "identifier" or self.an.text(name_node) not in names:
                continue
            name = self.an.text(name_node)
            header = self.header_param(p, name)
            if header is not None:
                origin = Origin("header", header, p)
                self.tainted[name] = origin
                self.note(origin, read=p)
            elif self.r.id_like(name):
                self.tainted[name] = Origin("parameter", name, p)
            else:
                self.requestish.add(name)

    def header_param(self, p: Node, pname: str) -> str | None:
        """FastAPI ``key: str = Header(..., alias="Idempotency-Key")`` or ``Annotated[str, Header()]``."""
        default = p.child_by_field_name("value")
        calls = [default] if default is not None and default.type == "call" else []
        ann = p.child_by_field_name("type")
        calls += [n for n in _walk(ann) if n.type == "call"]
        outer = self.scope.parent or self.an.module_scope
        for call in calls:
            qual = self.an.callee(call.child_by_field_name("function"), outer)[0] or ""
            if qual.rpartition(".")[2] != self.r.header_param:
                continue
            site = self.an.site(call, outer)
            kwargs = site.kwargs if site is not None else {}
            alias = self.r.literal(self.an, kwargs.get("alias"))
            conv = kwargs.get("convert_underscores")
            convert = not (conv is not None and self.an.text(conv) == "False")
            name = alias or (pname.replace("_", "-") if convert else pname)
            if self.r.header_re.search(name):
                return _header_name(name) if alias is None else alias
        return None

    # ------------------------------------------------------------------ statements
    def block(self, block: Node | None) -> None:
        for st in named(block):
            t = st.type
            if t == "expression_statement":
                for small in named(st):
                    self.small(small)
            elif t == "return_statement":
                for value in named(st):
                    self.reads(value)
            elif t == "if_statement":
                self.if_(st)
            elif t in ("for_statement", "while_statement"):
                self.reads(st.child_by_field_name("right") if t == "for_statement" else st.child_by_field_name("condition"))
                self.block(st.child_by_field_name("body"))
                alt = st.child_by_field_name("alternative")
                if alt is not None:
                    self.block(alt.child_by_field_name("body") or next((c for c in alt.named_children if c.type == "block"), None))
            elif t == "with_statement":
                clause = next((c for c in st.named_children if c.type == "with_clause"), None)
                for item in named(clause):
                    self.reads(item)
                self.block(st.child_by_field_name("body"))
            elif t == "try_statement":
                self.block(st.child_by_field_name("body"))
                for part in named(st):
                    if part.type in ("except_clause", "except_group_clause", "else_clause", "finally_clause"):
                        self.block(part.child_by_field_name("body") or next((c for c in part.named_children if c.type == "block"), None))
            elif t == "match_statement":
                self.reads(st.child_by_field_name("subject"))
                for case in named(st.child_by_field_name("body")):
                    self.block(case.child_by_field_name("consequence") or next((c for c in case.named_children if c.type == "block"), None))
            elif t == "block":
                self.block(st)

    def small(self, small: Node) -> None:
        if small.type == "assignment":
            targets: list[Node] = []
            cur: Node | None = small
            while cur is not None and cur.type == "assignment":  # a = b = value
                left = cur.child_by_field_name("left")
                if left is not None:
                    targets.append(left)
                cur = cur.child_by_field_name("right")
            value = cur
            if value is None:
                return
            if any(t.type == "identifier" for t in targets):
                self.reads(value)  # (copied into a dict or an attribute: forwarded, e.g. to an outbound call)
            origin = self.origin_of(value)
            claim = self.claim_in(value)
            lookup = self.lookup_in(value)
            for t in targets:
                if t.type != "identifier":
                    continue
                name = self.an.text(t)
                self.lookups.pop(name, None)
                if origin is not None and claim is None and lookup is None:
                    self.tainted[name] = origin
                else:
                    self.tainted.pop(name, None)
                if lookup is not None:
                    self.lookups[name] = lookup
                if origin is None and any(n.type == "identifier" and self.an.text(n) in self.requestish for n in _walk(value)):
                    self.requestish.add(name)
            if claim is not None:
                self.record(claim)
        elif small.type != "augmented_assignment":
            self.reads(small)

    def if_(self, st: Node) -> None:
        self.branch(st.child_by_field_name("condition"), st.child_by_field_name("consequence"), st.children_by_field_name("alternative"))

    def branch(self, test: Node | None, body: Node | None, alts: list[Node]) -> None:
        """An ``if`` (or ``elif``) test, its block, and the rest of the chain as its else."""
        self.reads(test)
        claim = self.claim_in(test)
        if claim is not None:
            self.record(claim)
        else:
            dedup = self.lookup_in(test) or self.held_lookup(test)
            if dedup is not None:
                orelse = alts[0] if alts else None
                exits = _exits(body) or (orelse is not None and orelse.type == "else_clause" and _exits(orelse.child_by_field_name("body")))
                if exits or self.writes_store(body, dedup.store):
                    self.record(dedup)
        self.block(body)
        if alts and alts[0].type == "elif_clause":
            self.branch(alts[0].child_by_field_name("condition"), alts[0].child_by_field_name("consequence"), alts[1:])
        elif alts:
            self.block(alts[0].child_by_field_name("body"))

    # ------------------------------------------------------------------ expressions
    def reads(self, expr: Node | None) -> None:
        """Key reads anywhere in an expression (headers, idempotency fields)."""
        for n in _walk(expr):
            if n.type in ("call", "subscript", "attribute"):
                origin = self.read_at(n)
                if origin is not None and (origin.source == "header" or self.r.key_name_re.search(origin.key)):
                    self.note(origin, read=n)

    def _root(self, node: Node | None) -> str | None:
        while node is not None:
            t = node.type
            if t == "identifier":
                return self.an.text(node)
            node = (
                node.child_by_field_name("object")
                if t == "attribute"
                else node.child_by_field_name("value")
                if t == "subscript"
                else node.child_by_field_name("function")
                if t == "call"
                else next(iter(named(node)), None)
                if t in ("await", "parenthesized_expression")
                else None
            )
        return None

    def read_at(self, n: Node) -> Origin | None:
        """A header read or an id-like field read at this node."""
        an = self.an
        container: Node | None = None
        key_node: Node | None = None
        if n.type == "call":
            func = n.child_by_field_name("function")
            attr = _attr(func) if func is not None else None
            args = [a for a in named(n.child_by_field_name("arguments")) if a.type != "keyword_argument"]
            if attr is not None and an.text(attr) in self.r.getters and args and func is not None:
                container, key_node = func.child_by_field_name("object"), args[0]
        elif n.type == "subscript":
            keys = n.children_by_field_name("subscript")
            container, key_node = n.child_by_field_name("value"), keys[0] if len(keys) == 1 else None
        elif n.type == "attribute":
            obj, attr = n.child_by_field_name("object"), n.child_by_field_name("attribute")
            if obj is not None and attr is not None and obj.type == "identifier" and an.text(obj) in self.requestish and self.r.id_like(an.text(attr)):
                return Origin("field", an.text(attr), n)
            return None
        if container is None or key_node is None:
            return None
        key = self.r.literal(an, key_node)
        if key is None and key_node.type in ("identifier", "attribute"):
            v = strip(an.to_value(an.evaluate(key_node, self.scope)))
            key = v.value if isinstance(v, Const) and isinstance(v.value, str) else None
        if not key:
            return None
        root = self._root(container)
        if root is None or root in self.r.responses:
            return None
        # header form: Django/WSGI HTTP_X, a hyphenated name (HTTP headers, gRPC metadata), or read from headers
        headerish = key.startswith("HTTP_") or "-" in key or bool(self.r.header_containers.search(self.text(container)))
        if headerish:
            if self.r.header_re.search(key[5:] if key.startswith("HTTP_") else key):
                return Origin("header", _header_name(key) if key.startswith("HTTP_") else key, n)
            return None
        if (root in self.requestish or root in self.tainted) and self.r.id_like(key):
            return Origin("field", key, n)
        return None

    def origin_of(self, expr: Node | None) -> Origin | None:
        """The request id a key-building expression carries (``f"idem:{tx_id}"``, ``str(key)``)."""
        if expr is None:
            return None
        t = expr.type
        if t == "identifier":
            return self.tainted.get(self.an.text(expr))
        if t in ("call", "subscript", "attribute"):
            found = self.read_at(expr)
            if found is not None:
                return found
        if t == "string":
            for part in expr.named_children:
                if part.type == "interpolation":
                    o = self.origin_of(next(iter(named(part)), None))
                    if o is not None:
                        return o
            return None
        if t in ("binary_operator", "boolean_operator"):
            return self.origin_of(expr.child_by_field_name("left")) or self.origin_of(expr.child_by_field_name("right"))
        if t in ("await", "parenthesized_expression"):
            return self.origin_of(next(iter(named(expr)), None))
        if t == "conditional_expression":
            kids = named(expr)
            return (self.origin_of(kids[0]) or self.origin_of(kids[2])) if len(kids) == 3 else None
        if t in ("tuple", "list", "expression_list"):
            for el in named(expr):
                o = self.origin_of(el)
                if o is not None:
                    return o
            return None
        if t == "call":
            func = expr.child_by_field_name("function")
            name = (
                self.an.text(_attr(func))
                if func is not None and _attr(func) is not None
                else (self.an.text(func) if func is not None and func.type == "identifier" else "")
            )
            if name in self.r.key_builders:
                for a in named(expr.child_by_field_name("arguments")):
                    o = self.origin_of(a.child_by_field_name("value") if a.type == "keyword_argument" else a)
                    if o is not None:
                        return o
                if func is not None and func.type == "attribute":
                    return self.origin_of(func.child_by_field_name("object"))
        return None

    def _method_calls(self, expr: Node | None) -> Iterator[tuple[Node, str]]:
        for n in _walk(expr):
            if n.type == "call":
                func = n.child_by_field_name("function")
                attr = _attr(func) if func is not None else None
                if attr is not None:
                    yield n, self.an.text(attr)

    def _store_of(self, call: Node) -> str:
        func = call.child_by_field_name("function")
        obj = func.child_by_field_name("object") if func is not None else None
        return self.text(obj) if obj is not None else ""

    def _keyed(self, call: Node) -> tuple[Origin, bool] | None:
        """The request id a store call is keyed by; the flag says it came as an idempotency keyword."""
        args = named(call.child_by_field_name("arguments"))
        for a in args:
            if a.type not in ("keyword_argument", "list_splat", "dictionary_splat"):
                o = self.origin_of(a)
                return (o, False) if o is not None else None
        for a in args:
            if a.type == "keyword_argument":
                kw = a.child_by_field_name("name")
                kw_text = self.an.text(kw) if kw is not None else ""
                if self.r.id_like(kw_text):
                    o = self.origin_of(a.child_by_field_name("value"))
                    if o is not None:
                        return o, bool(self.r.key_name_re.search(kw_text))
        return None

    def _kwargs(self, call: Node) -> dict[str, Node]:
        out = {}
        for a in named(call.child_by_field_name("arguments")):
            if a.type == "keyword_argument":
                name, value = a.child_by_field_name("name"), a.child_by_field_name("value")
                if name is not None and value is not None:
                    out[self.an.text(name)] = value
        return out

    def claim_in(self, expr: Node | None) -> Dedup | None:
        for call, method in self._method_calls(expr):
            nx_value = self._kwargs(call).get("nx") if method == "set" else None
            nx = nx_value is not None and self.an.text(nx_value) not in ("False", "None")
            if not (nx or method in self.r.claims):
                continue
            keyed = self._keyed(call)
            if keyed is None:
                continue
            origin, by_keyword = keyed
            if method == "get_or_create" and not by_keyword:
                continue
            return Dedup(origin, self._store_of(call), call, call)
        return None

    def lookup_in(self, expr: Node | None) -> Dedup | None:
        for n in _walk(expr):
            if n.type == "comparison_operator":
                kids = named(n)
                ops = _operators(n)
                if len(kids) >= 2 and ops and ops[0] in ("in", "not in"):
                    origin = self.origin_of(kids[0])
                    store = self.text(kids[1])
                    if origin is not None and self.is_store(store):
                        return Dedup(origin, store, n)
            elif n.type == "call":
                func = n.child_by_field_name("function")
                attr = _attr(func) if func is not None else None
                if attr is None or self.an.text(attr) not in self.r.lookups:
                    continue
                keyed = self._keyed(n)
                if keyed is None:
                    continue
                origin, by_keyword = keyed
                store = self._store_of(n)
                if by_keyword or self.is_store(store):
                    return Dedup(origin, store, n, n)
        return None

    def held_lookup(self, test: Node | None) -> Dedup | None:
        for n in _walk(test):
            if n.type == "identifier" and self.an.text(n) in self.lookups:
                return self.lookups[self.an.text(n)]
        return None

    def is_store(self, store: str) -> bool:
        """Named like a store (cache, redis, seen...), or written to in this function (recent[k] = v)."""
        return bool(self.r.store_re.search(store)) or self.writes_store(self.body, store)

    def writes_store(self, body: Node | None, store: str) -> bool:
        for n in _walk(body):
            if n.type == "call":
                func = n.child_by_field_name("function")
                attr = _attr(func) if func is not None else None
                if attr is not None and self.an.text(attr) in self.r.writes and self._store_of(n) == store:
                    return True
            elif n.type == "assignment":
                left = n.child_by_field_name("left")
                value = left.child_by_field_name("value") if left is not None and left.type == "subscript" else None
                if value is not None and self.text(value) == store:
                    return True
        return False

    # ------------------------------------------------------------------ results
    def note(self, origin: Origin, read: Node | None = None) -> Found:
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
        candidates += [c for c, method in self._method_calls(self.body) if method in self.r.writes and self._store_of(c) in stores]
        for call in candidates:
            func = call.child_by_field_name("function")
            method = self.an.text(_attr(func)) if func is not None and _attr(func) is not None else ""
            for kw, value in self._kwargs(call).items():
                if kw in self.r.expiry_kw:
                    return "window_" + self.r.expiry_kw[kw], self.value(value)
            pos = self.r.expiry_pos.get(method)
            positional = [a for a in named(call.child_by_field_name("arguments")) if a.type not in ("keyword_argument", "list_splat", "dictionary_splat")]
            if pos is not None and pos[0] < len(positional):
                return "window_" + pos[1], self.value(positional[pos[0]])
        for d in found.dedups:  # a store with its own expiry: cachetools.TTLCache(maxsize, ttl)
            expr: Node | None = None
            if d.call is not None:
                func = d.call.child_by_field_name("function")
                expr = func.child_by_field_name("object") if func is not None and func.type == "attribute" else None
            elif d.node.type == "comparison_operator":
                kids = named(d.node)
                expr = kids[1] if len(kids) > 1 else None
            if expr is None:
                continue
            v = strip(self.value(expr))
            ttl = self.r.ttl_stores.get(v.func.rpartition(".")[2]) if isinstance(v, Call) else None
            if isinstance(v, Call) and ttl is not None:
                for k, x in v.kwargs:
                    if k == ttl[0]:
                        return "window_s", x
                if len(v.args) > ttl[1]:
                    return "window_s", v.args[ttl[1]]
        return None

    def value(self, expr: Node) -> Value:
        return self.an.to_value(self.an.evaluate(expr, self.scope))

    def emit(self) -> None:
        name = self.node.child_by_field_name("name")
        handler = self.scope.function.qualname if self.scope.function is not None else (self.an.text(name) if name is not None else "")
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
