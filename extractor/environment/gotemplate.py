"""A bounded evaluator of Go ``text/template`` as Helm charts use it, with the common sprig and Helm
functions: enough to render a chart's ``templates/`` with its values so that the Kubernetes and mesh
readers read what would be applied (``helm.py``). No Go toolchain or ``helm`` binary runs here, and
no maintained Python package renders Go templates (docs/dependencies.md).

What it evaluates: text and actions with ``{{-``/``-}}`` whitespace trimming and ``{{/* */}}``
comments; ``if``/``else if``/``else``/``end``, ``with`` (and ``else with``), ``range`` over lists
and maps (keys sorted, as Go does; ``$i, $v :=``), variables (``$x := ...``, ``$x = ...``, ``$``),
``define``/``template``/``block`` and ``include``; pipelines of fields (``.Values.a.b``, ``$.Chart.Name``,
``(pipeline).field``), literals and the functions of ``FUNCTIONS``. Whatever else a template
uses (``.Capabilities``, ``.Files``, ``lookup`` of a live cluster, ``now``, random values, a method
call) raises ``Unsupported`` with its line: the caller drops the whole file with a diagnostic rather
than render a value that may be wrong. Errors Helm itself would stop on (a field of a missing value,
``required``, ``fail``) raise ``TemplateError``.

Each piece of output keeps the template line it comes from and the values lines it printed
(``Output``), so a rendered document's values carry their provenance.
"""

from __future__ import annotations

import base64
import decimal
import json
import math
import re
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_OUTPUT = 4_000_000
"""The most characters one template may render (a runaway ``range`` or recursion stops there)."""

MAX_DEPTH = 64
"""The deepest nesting of ``include``/``template``/``tpl`` calls."""


class TemplateError(Exception):
    """A template that Helm would not render either (a field of nil, ``required``, ``fail``, bad syntax)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Unsupported(TemplateError):
    """A construct this evaluator does not render (a value it cannot know offline, a function it lacks)."""


class _Opaque:
    """A part of Helm's context that cannot be known offline (``.Capabilities``, ``.Files``)."""

    def __init__(self, name: str) -> None:
        self.name = name


def opaque(name: str) -> Any:
    return _Opaque(name)


# -- lexing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    text: str
    line: int


@dataclass(frozen=True)
class _Action:
    body: str
    line: int


_SPACE = " \t\r\n"


def _split(src: str) -> list[_Text | _Action]:
    """The template as text and actions, trim markers applied, each with its 1-based line."""
    out: list[_Text | _Action] = []
    pos = 0
    trim_next = False
    while True:
        start = src.find("{{", pos)
        text_end = len(src) if start < 0 else start
        text_start = pos
        if trim_next:
            while text_start < text_end and src[text_start] in _SPACE:
                text_start += 1
        if start < 0:
            if text_start < text_end:
                out.append(_Text(src[text_start:text_end], src.count("\n", 0, text_start) + 1))
            return out
        inner = start + 2
        trim_left = src.startswith("-", inner) and inner + 1 < len(src) and src[inner + 1] in _SPACE
        if trim_left:
            inner += 1
            while text_end > text_start and src[text_end - 1] in _SPACE:
                text_end -= 1
        if text_start < text_end:
            out.append(_Text(src[text_start:text_end], src.count("\n", 0, text_start) + 1))
        line = src.count("\n", 0, start) + 1
        end = _action_end(src, inner, line)
        body = src[inner:end]
        trim_next = body.endswith("-") and len(body) >= 2 and body[-2] in _SPACE
        if trim_next:
            body = body[:-1]
        stripped = body.strip()
        if not (stripped.startswith("/*") and stripped.endswith("*/")):
            out.append(_Action(stripped, line))
        pos = end + 2


def _action_end(src: str, pos: int, line: int) -> int:
    """The index of the ``}}`` closing the action that starts at ``pos`` (quotes and comments skipped)."""
    i = pos
    n = len(src)
    if src[pos:].lstrip(_SPACE).startswith("/*"):
        close = src.find("*/", pos)
        if close < 0:
            raise TemplateError("unclosed comment", line)
        i = close + 2
    while i < n:
        c = src[i]
        if c == "}" and src.startswith("}}", i):
            return i
        if c in "\"'`":
            i = _skip_quoted(src, i, line)
            continue
        i += 1
    raise TemplateError("unclosed action", line)


def _skip_quoted(src: str, i: int, line: int) -> int:
    quote = src[i]
    j = i + 1
    while j < len(src):
        if src[j] == "\\" and quote != "`":
            j += 2
            continue
        if src[j] == quote:
            return j + 1
        if src[j] == "\n" and quote != "`":
            break
        j += 1
    raise TemplateError("unterminated quoted string", line)


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*") | (?P<raw>`[^`]*`) | (?P<char>'(?:[^'\\]|\\.)+') |
      (?P<decl>:=) | (?P<assign>=) | (?P<pipe>\|) | (?P<open>\() | (?P<close>\)) | (?P<comma>,) |
      (?P<num>[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)) |
      (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*) |
      (?P<field>(?:\.[A-Za-z0-9_]+)+|\.) |
      (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    )""",
    re.VERBOSE,
)


def _tokens(body: str, line: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    body = body.rstrip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None or m.end() == pos:
            raise TemplateError(f"cannot read {body[pos:].strip()[:30]!r} in an action", line)
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "field" and m.start(kind) == pos and out and out[-1][0] == "close":
            kind = "chained"  # ``(pipeline).field``: no space between
        out.append((kind, value))
        pos = m.end()
    return out


# -- parsing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pipe:
    decl: tuple[str, ...]  # variables declared (``$x :=``) or assigned
    assign: bool
    cmds: tuple[tuple[Any, ...], ...]
    line: int


@dataclass
class Node:
    kind: str  # text | action | if | with | range | template
    line: int
    text: str = ""
    pipe: Pipe | None = None
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)
    name: str = ""


class _Parser:
    def __init__(self, items: list[_Text | _Action], defines: dict[str, list[Node]]) -> None:
        self.items = items
        self.i = 0
        self.defines = defines

    def parse(self) -> list[Node]:
        nodes, end = self._list()
        if end is not None:
            raise TemplateError(f"unexpected {{{{{end.body}}}}}", end.line)
        return nodes

    def _list(self) -> tuple[list[Node], _Action | None]:
        """Nodes up to an ``end`` or ``else`` (returned, not consumed further) or the end of input."""
        out: list[Node] = []
        while self.i < len(self.items):
            item = self.items[self.i]
            self.i += 1
            if isinstance(item, _Text):
                out.append(Node("text", item.line, text=item.text))
                continue
            word = item.body.split(None, 1)[0] if item.body else ""
            rest = item.body[len(word) :].strip()
            if word in ("end", "else"):
                return out, item
            if word in ("if", "with"):
                out.append(self._branch(word, rest, item.line))
            elif word == "range":
                node = Node("range", item.line, pipe=_pipe(rest, item.line))
                node.body, node.orelse = self._body("range", item.line)
                out.append(node)
            elif word in ("define", "block"):
                toks = _tokens(rest, item.line)
                if not toks or toks[0][0] not in ("str", "raw"):
                    raise TemplateError(f"{word} needs a name", item.line)
                name = _literal(toks[0])
                body, end = self._list()
                if end is None or end.body != "end":
                    raise TemplateError(f"unclosed {word} {name!r}", item.line)
                self.defines.setdefault(name, body)
                if word == "block":
                    out.append(Node("template", item.line, name=name, pipe=_pipe(rest[len(toks[0][1]) :].strip() or ".", item.line)))
            elif word == "template":
                toks = _tokens(rest, item.line)
                if not toks or toks[0][0] not in ("str", "raw"):
                    raise TemplateError("template needs a name", item.line)
                arg = rest.strip()[len(toks[0][1]) :].strip()
                out.append(Node("template", item.line, name=_literal(toks[0]), pipe=_pipe(arg, item.line) if arg else None))
            elif word in ("break", "continue"):
                raise Unsupported(f"{{{{{word}}}}} in a range", item.line)
            else:
                out.append(Node("action", item.line, pipe=_pipe(item.body, item.line)))
        return out, None

    def _body(self, what: str, line: int) -> tuple[list[Node], list[Node]]:
        body, end = self._list()
        if end is None:
            raise TemplateError(f"unclosed {what}", line)
        if end.body == "end":
            return body, []
        rest = end.body[4:].strip()
        if rest:
            raise Unsupported(f"else {rest.split()[0]} after {what}", end.line)
        orelse, end2 = self._list()
        if end2 is None or end2.body != "end":
            raise TemplateError(f"unclosed {what}", line)
        return body, orelse

    def _branch(self, word: str, rest: str, line: int) -> Node:
        node = Node(word, line, pipe=_pipe(rest, line))
        body, end = self._list()
        if end is None:
            raise TemplateError(f"unclosed {word}", line)
        node.body = body
        if end.body == "end":
            return node
        after = end.body[4:].strip()
        if not after:
            orelse, end2 = self._list()
            if end2 is None or end2.body != "end":
                raise TemplateError(f"unclosed {word}", line)
            node.orelse = orelse
            return node
        chained = after.split(None, 1)
        if chained[0] != word:
            raise Unsupported(f"else {chained[0]} after {word}", end.line)
        node.orelse = [self._branch(word, chained[1] if len(chained) > 1 else "", end.line)]
        return node


def _literal(tok: tuple[str, str]) -> str:
    kind, value = tok
    if kind == "raw":
        return value[1:-1]
    return str(json.loads(value)) if kind == "str" else value


def _pipe(body: str, line: int) -> Pipe:
    toks = _tokens(body, line)
    decl: list[str] = []
    assign = False
    for k in range(len(toks)):
        if toks[k][0] in ("decl", "assign"):
            names = [t[1] for t in toks[:k] if t[0] == "var"]
            if names and all(t[0] in ("var", "comma") for t in toks[:k]):
                decl, assign, toks = names, toks[k][0] == "assign", toks[k + 1 :]
            break
    cmds, rest = _commands(toks, line)
    if rest:
        raise TemplateError("unbalanced parentheses", line)
    if not cmds:
        raise TemplateError("empty pipeline", line)
    return Pipe(tuple(decl), assign, tuple(cmds), line)


def _commands(toks: list[tuple[str, str]], line: int) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
    """Commands of a pipeline up to a closing parenthesis (returned with what follows it)."""
    cmds: list[tuple[Any, ...]] = []
    args: list[Any] = []
    i = 0
    while i < len(toks):
        kind, value = toks[i]
        if kind == "close":
            if args:
                cmds.append(tuple(args))
            return cmds, toks[i:]
        if kind == "pipe":
            if not args:
                raise TemplateError("missing command before |", line)
            cmds.append(tuple(args))
            args = []
        elif kind == "open":
            inner, rest = _commands(toks[i + 1 :], line)
            if not rest or rest[0][0] != "close":
                raise TemplateError("unclosed parenthesis", line)
            sub: Any = ("pipe", Pipe((), False, tuple(inner), line))
            consumed = len(toks) - len(rest) + 1
            if consumed < len(toks) and toks[consumed][0] == "chained" and toks[consumed][1] != ".":
                sub = ("chain", sub, tuple(toks[consumed][1][1:].split(".")))
                consumed += 1
            args.append(sub)
            i = consumed
            continue
        elif kind in ("str", "raw", "char"):
            if kind == "char":
                raise Unsupported("a character constant", line)
            args.append(("lit", _literal((kind, value))))
        elif kind == "num":
            args.append(("lit", _number(value, line)))
        elif kind == "field":
            args.append(("field", ".", tuple(value[1:].split(".")) if value != "." else ()))
        elif kind == "var":
            name, *path = value.split(".")
            args.append(("field", name, tuple(path)))
        elif kind == "ident":
            if value in ("true", "false"):
                args.append(("lit", value == "true"))
            elif value == "nil":
                args.append(("lit", None))
            elif "." in value:
                raise Unsupported(f"a method or package call {value}", line)
            else:
                args.append(("func", value))
        else:
            raise TemplateError(f"unexpected {value!r}", line)
        i += 1
    if args:
        cmds.append(tuple(args))
    return cmds, []


def _number(text: str, line: int) -> int | float:
    try:
        return int(text, 0)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise TemplateError(f"bad number {text}", line) from None


def parse(src: str, defines: dict[str, list[Node]]) -> list[Node]:
    """A template's nodes; its ``define``s go into ``defines`` (the first definition of a name wins)."""
    return _Parser(_split(src), defines).parse()


# -- values as Go prints them ----------------------------------------------------------------------


def go_string(v: Any) -> str:
    """``fmt.Sprint`` of a value (Helm prints a missing value as an empty string)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{go_string(k)}:{go_string(v[k])}" for k in sorted(v, key=str)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_string(x) for x in v) + "]"
    if isinstance(v, _Opaque):
        raise Unsupported(f".{v.name} (not known without a cluster)")
    return str(v)


def _go_float(f: float) -> str:
    """Go's ``%v`` of a float64 (Helm reads every number of the values as one): the shortest digits,
    in exponent form when the exponent is below -4 or 6 and above (``1000000`` prints ``1e+06``)."""
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if math.isnan(f):
        return "NaN"
    if f == 0:
        return "0"
    d = decimal.Decimal(repr(f)).normalize()
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    exp = len(digits) + exponent - 1
    head = "-" if sign else ""
    if exp < -4 or exp >= 6:
        text = "".join(map(str, digits))
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{head}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return format(d, "f")


def truth(v: Any) -> bool:
    """Go template truth: false, 0, nil and empty strings, lists and maps are false."""
    if isinstance(v, _Opaque):
        raise Unsupported(f".{v.name} (not known without a cluster)")
    return bool(v)


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, float) and v == int(v) and abs(v) < 1e21:
        return int(v)
    if isinstance(v, _Opaque):
        raise Unsupported(f".{v.name} (not known without a cluster)")
    return v


def to_yaml(v: Any) -> str:
    if v is None:
        return "null"
    return yaml.safe_dump(_plain(v), default_flow_style=False, sort_keys=True, allow_unicode=True, width=1 << 20).removesuffix("\n").removesuffix("\n...")


def _num(v: Any, line: int) -> float:
    if isinstance(v, bool) or v is None:
        return float(bool(v))
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v))
    except ValueError:
        return 0.0


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return int(v)
    try:
        return int(float(str(v)))
    except (TypeError, ValueError):
        return 0


def _indent(n: Any, s: Any) -> str:
    pad = " " * _to_int(n)
    return "\n".join(pad + part for part in go_string(s).split("\n"))


def _trunc(n: Any, s: Any) -> str:
    text, k = go_string(s), _to_int(n)
    return text[:k] if k >= 0 else text[k:]


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def printf(fmt: Any, *args: Any) -> str:
    """Go's ``fmt.Sprintf`` for the verbs charts use: ``%s %v %d %q %f %t %x %%``."""
    values = list(args)

    def one(m: re.Match[str]) -> str:
        flags, width, prec, verb = m.groups()
        if verb == "%":
            return "%"
        if not values:
            return f"%!{verb}(MISSING)"
        v = values.pop(0)
        if verb in ("s", "v"):
            out = go_string(v)
        elif verb == "d":
            out = str(_to_int(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else f"%!d({go_string(v)})"
        elif verb == "q":
            out = json.dumps(go_string(v))
        elif verb == "f":
            out = f"{float(v):.{int(prec) if prec else 6}f}" if isinstance(v, (int, float)) else f"%!f({go_string(v)})"
        elif verb == "t":
            out = go_string(v)
        elif verb == "x":
            out = format(v, "x") if isinstance(v, int) else go_string(v).encode().hex()
        else:
            raise Unsupported(f"printf verb %{verb}")
        if width:
            out = out.ljust(int(width)) if "-" in flags else out.rjust(int(width), "0" if "0" in flags else " ")
        return out

    return _VERB.sub(one, go_string(fmt))


def _eq(a: Any, *others: Any) -> bool:
    def same(x: Any, y: Any) -> bool:
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) and not isinstance(y, bool):
            return float(x) == float(y)
        return bool(x == y)

    return any(same(a, b) for b in others)


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return op(a, b)
        return op(_num(a, 0), _num(b, 0))

    return run


def _default(fallback: Any, *given: Any) -> Any:
    return given[0] if given and truth(given[0]) else fallback


def _quote(*args: Any) -> str:
    return " ".join(json.dumps(go_string(a), ensure_ascii=False) for a in args if a is not None)


def _squote(*args: Any) -> str:
    return " ".join(f"'{go_string(a)}'" for a in args if a is not None)


def _required(message: Any, v: Any = None) -> Any:
    if v is None or (isinstance(v, str) and not v):
        raise TemplateError(f"required: {go_string(message)}")
    return v


def _fail(message: Any) -> Any:
    raise TemplateError(f"fail: {go_string(message)}")


def _dict(*kv: Any) -> dict[str, Any]:
    return {go_string(kv[i]): kv[i + 1] if i + 1 < len(kv) else "" for i in range(0, len(kv), 2)}


def _index(v: Any, *keys: Any) -> Any:
    for k in keys:
        if isinstance(v, dict):
            v = v.get(go_string(k))
        elif isinstance(v, list):
            i = _to_int(k)
            if not 0 <= i < len(v):
                raise TemplateError(f"index {i} out of range")
            v = v[i]
        elif v is None:
            raise TemplateError("index of a nil value")
        else:
            raise Unsupported(f"index of a {type(v).__name__}")
    return v


def _empty(v: Any) -> bool:
    return not truth(v)


def _lookup(*_: Any) -> dict[str, Any]:
    return {}  # what ``helm template`` gets: no cluster to read


def _len(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise TemplateError(f"len of a {type(v).__name__}")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "default": _default,
    "quote": _quote,
    "squote": _squote,
    "toYaml": to_yaml,
    "toJson": lambda v: json.dumps(_plain(v), separators=(",", ":"), sort_keys=True),
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "indent": _indent,
    "trunc": _trunc,
    "trimSuffix": lambda suffix, s: go_string(s).removesuffix(go_string(suffix)),
    "trimPrefix": lambda prefix, s: go_string(s).removeprefix(go_string(prefix)),
    "trim": lambda s: go_string(s).strip(),
    "trimAll": lambda cut, s: go_string(s).strip(go_string(cut)),
    "printf": printf,
    "print": lambda *a: "".join(go_string(x) for x in a),
    "println": lambda *a: " ".join(go_string(x) for x in a) + "\n",
    "upper": lambda s: go_string(s).upper(),
    "lower": lambda s: go_string(s).lower(),
    "title": lambda s: " ".join(w[:1].upper() + w[1:] for w in go_string(s).split(" ")),
    "replace": lambda old, new, s: go_string(s).replace(go_string(old), go_string(new)),
    "required": _required,
    "fail": _fail,
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "not": lambda v: not truth(v),
    "b64enc": lambda s: base64.b64encode(go_string(s).encode()).decode(),
    "b64dec": lambda s: base64.b64decode(go_string(s).encode()).decode("utf-8", "replace"),
    "int": _to_int,
    "int64": _to_int,
    "float64": lambda v: _num(v, 0),
    "toString": go_string,
    "toStrings": lambda v: [go_string(x) for x in v or []],
    "atoi": _to_int,
    "len": _len,
    "index": _index,
    "list": lambda *a: list(a),
    "dict": _dict,
    "hasKey": lambda d, k: isinstance(d, dict) and go_string(k) in d,
    "get": lambda d, k: d.get(go_string(k), "") if isinstance(d, dict) else "",
    "keys": lambda *ds: sorted(k for d in ds if isinstance(d, dict) for k in d),
    "empty": _empty,
    "coalesce": lambda *a: next((x for x in a if truth(x)), None),
    "ternary": lambda yes, no, cond: yes if truth(cond) else no,
    "contains": lambda sub, s: go_string(sub) in go_string(s),
    "hasPrefix": lambda p, s: go_string(s).startswith(go_string(p)),
    "hasSuffix": lambda p, s: go_string(s).endswith(go_string(p)),
    "join": lambda sep, v: go_string(sep).join(go_string(x) for x in (v or [])),
    "splitList": lambda sep, s: go_string(s).split(go_string(sep)),
    "first": lambda v: v[0] if v else None,
    "last": lambda v: v[-1] if v else None,
    "has": lambda needle, v: needle in (v or []),
    "sortAlpha": lambda v: sorted(go_string(x) for x in (v or [])),
    "uniq": lambda v: list(dict.fromkeys(v or [])),
    "kebabcase": lambda s: re.sub(r"(?<!^)(?=[A-Z])", "-", go_string(s)).lower(),
    "cat": lambda *a: " ".join(go_string(x) for x in a if x is not None),
    "add": lambda *a: sum(_to_int(x) for x in a),
    "sub": lambda a, b: _to_int(a) - _to_int(b),
    "mul": lambda *a: math.prod(_to_int(x) for x in a),
    "div": lambda a, b: _to_int(a) // _to_int(b) if _to_int(b) else 0,
    "add1": lambda a: _to_int(a) + 1,
    "max": lambda *a: max(_to_int(x) for x in a),
    "min": lambda *a: min(_to_int(x) for x in a),
    "lookup": _lookup,
    "typeIs": lambda t, v: {"string": str, "bool": bool, "float64": float, "int": int}.get(go_string(t), type(None)) is type(v),
    "kindIs": lambda t, v: (
        {"string": str, "bool": bool, "float64": (int, float), "int": int, "map": dict, "slice": list}.get(go_string(t), type(None)) in (type(v),)
        or (go_string(t) == "float64" and isinstance(v, (int, float)) and not isinstance(v, bool))
    ),
}
"""The functions a pipeline may call, besides ``and``/``or`` (lazy), ``include`` and ``tpl``."""


# -- evaluation ------------------------------------------------------------------------------------

Scope = ChainMap[str, Any]
"""Variables: a block (``if``, ``with``, each ``range`` iteration) is a child scope; ``$x :=`` declares
in it, ``$x =`` sets the variable where it was declared (as Go does since 1.11)."""


@dataclass
class Output:
    """Rendered text in pieces, each with its template line and the values lines it printed."""

    pieces: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)
    size: int = 0

    def add(self, text: str, line: int, origins: tuple[str, ...] = ()) -> None:
        if not text:
            return
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise Unsupported(f"output over {MAX_OUTPUT} characters")
        self.pieces.append((text, line, origins))

    def text(self) -> str:
        return "".join(p[0] for p in self.pieces)

    def lines(self) -> list[tuple[int, tuple[str, ...]]]:
        """Per output line (0-based): the template line it comes from (of its first piece with
        something besides spaces) and the values lines printed on it."""
        out: list[tuple[int, tuple[str, ...]]] = []
        cur_line, has_text, origins = 0, False, list[str]()
        for text, line, found in self.pieces:
            parts = text.split("\n")
            for k, part in enumerate(parts):
                if k:
                    out.append((cur_line, tuple(dict.fromkeys(origins))))
                    cur_line, has_text, origins = line, False, []
                if not has_text and (part.strip() or not cur_line):
                    cur_line = line
                    has_text = bool(part.strip())
                if part.strip():
                    origins += found
        out.append((cur_line, tuple(dict.fromkeys(origins))))
        return out


class Renderer:
    """Renders templates of one chart: the shared ``define``s, and the value origins (``id`` of each
    values container → its path; path → ``file:line``) that name where a printed value is written."""

    def __init__(self, defines: dict[str, list[Node]], containers: dict[int, tuple[str, ...]], origins: dict[tuple[str, ...], str]) -> None:
        self.defines = defines
        self.containers = containers
        self.origins = origins
        self._seen: list[str] = []
        self._depth = 0

    def render(self, nodes: list[Node], dot: Any) -> Output:
        out = Output()
        self._nodes(nodes, dot, ChainMap({"$": dot}), out)
        return out

    # statements

    def _nodes(self, nodes: list[Node], dot: Any, scope: Scope, out: Output) -> None:
        for node in nodes:
            if node.kind == "text":
                line = node.line
                for k, part in enumerate(node.text.split("\n")):
                    out.add(("\n" if k else "") + part, line + k)
            elif node.kind == "action":
                assert node.pipe is not None
                self._seen = []
                value = self._pipe(node.pipe, dot, scope)
                if not node.pipe.decl:
                    out.add(go_string(value), node.line, tuple(self._seen))
            elif node.kind in ("if", "with"):
                assert node.pipe is not None
                inner = scope.new_child()
                value = self._pipe(node.pipe, dot, inner)
                if truth(value):
                    self._nodes(node.body, value if node.kind == "with" else dot, inner, out)
                else:
                    self._nodes(node.orelse, dot, inner, out)
            elif node.kind == "range":
                self._range(node, dot, scope, out)
            elif node.kind == "template":
                arg = self._pipe(node.pipe, dot, scope.new_child()) if node.pipe is not None else None
                self._call(node.name, arg, out, node.line)

    def _range(self, node: Node, dot: Any, scope: Scope, out: Output) -> None:
        assert node.pipe is not None
        pipe = Pipe((), False, node.pipe.cmds, node.pipe.line)
        over = self._pipe(pipe, dot, scope)
        names = node.pipe.decl
        if isinstance(over, dict):
            items: list[tuple[Any, Any]] = [(k, over[k]) for k in sorted(over, key=str)]
        elif isinstance(over, list):
            items = list(enumerate(over))
        elif isinstance(over, int) and not isinstance(over, bool):
            items = [(i, i) for i in range(over)]
        elif over is None:
            items = []
        else:
            raise TemplateError(f"range over a {type(over).__name__}", node.line)
        if not items:
            self._nodes(node.orelse, dot, scope.new_child(), out)
            return
        for k, v in items:
            inner = scope.new_child()
            if len(names) == 1:
                inner[names[0]] = v
            elif len(names) >= 2:
                inner[names[0]], inner[names[1]] = k, v
            self._nodes(node.body, v, inner, out)

    def _call(self, name: str, arg: Any, out: Output, line: int) -> None:
        body = self.defines.get(name)
        if body is None:
            raise TemplateError(f'no template "{name}"', line)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Unsupported(f"templates nested deeper than {MAX_DEPTH}", line)
        try:
            self._nodes(body, arg, ChainMap({"$": arg}), out)
        finally:
            self._depth -= 1

    # pipelines

    def _pipe(self, pipe: Pipe, dot: Any, scope: Scope) -> Any:
        value: Any = None
        first = True
        for cmd in pipe.cmds:
            value = self._command(cmd, dot, scope, None if first else (value,), pipe.line)
            first = False
        for name in pipe.decl[-1:]:
            if not pipe.assign:
                scope[name] = value  # ``$x :=`` declares in the innermost block
                continue
            owner = next((m for m in scope.maps if name in m), None)  # ``$x =`` sets the variable where it was declared
            if owner is None:
                raise TemplateError(f"undefined variable {name}", pipe.line)
            owner[name] = value
        return value

    def _command(self, cmd: tuple[Any, ...], dot: Any, scope: Scope, piped: tuple[Any, ...] | None, line: int) -> Any:
        head = cmd[0]
        if head[0] != "func":
            if len(cmd) > 1:
                self._arg(head, dot, scope, line)  # .Capabilities.APIVersions.Has "x": the opaque part names itself
                raise Unsupported("arguments after a value (a method call)", line)
            if piped is not None:
                raise TemplateError("a value cannot take a piped argument", line)
            return self._arg(head, dot, scope, line)
        name = head[1]
        rest = cmd[1:]
        if name in ("and", "or"):
            value: Any = None
            for a in rest:  # lazily, as Go does: ``and .a .a.b`` never evaluates .a.b when .a is empty
                value = self._arg(a, dot, scope, line)
                if truth(value) != (name == "and"):
                    return value
            return piped[0] if piped is not None else value
        values = [self._arg(a, dot, scope, line) for a in rest] + list(piped or ())
        if name == "include":
            if not values:
                raise TemplateError("include needs a name", line)
            sub = Output()
            saved = self._seen
            self._call(go_string(values[0]), values[1] if len(values) > 1 else None, sub, line)
            self._seen = saved + [o for _, _, found in sub.pieces for o in found]
            return sub.text()
        if name == "tpl":
            return self._tpl(values, line)
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise Unsupported(f"the function {name}", line)
        try:
            return fn(*values)
        except TemplateError as exc:
            raise type(exc)(exc.message, exc.line or line) from None
        except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:
            raise TemplateError(f"{name}: {exc}", line) from None

    def _tpl(self, values: list[Any], line: int) -> str:
        """``tpl TEXT CTX``: the text rendered as a template with the context (defines shared)."""
        if len(values) != 2 or not isinstance(values[0], str):
            raise TemplateError("tpl takes a string and a context", line)
        nodes = parse(values[0], self.defines)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Unsupported(f"templates nested deeper than {MAX_DEPTH}", line)
        try:
            sub = Output()
            self._nodes(nodes, values[1], ChainMap({"$": values[1]}), sub)
            return sub.text()
        finally:
            self._depth -= 1

    def _arg(self, arg: tuple[Any, ...], dot: Any, scope: Scope, line: int) -> Any:
        kind = arg[0]
        if kind == "lit":
            return arg[1]
        if kind == "func":
            return self._command((arg,), dot, scope, None, line)
        if kind == "pipe":
            return self._pipe(arg[1], dot, scope.new_child())
        if kind == "chain":
            return self._fields(self._arg(arg[1], dot, scope, line), arg[2], line, "(...)")
        base, path = arg[1], arg[2]
        if base == ".":
            start = dot
        else:
            if base not in scope:
                raise TemplateError(f"undefined variable {base}", line)
            start = scope[base]
        return self._fields(start, path, line, base)

    def _fields(self, value: Any, path: tuple[str, ...], line: int, shown: str) -> Any:
        walked = shown if shown != "." else ""
        for i, name in enumerate(path):
            if isinstance(value, _Opaque):
                raise Unsupported(f".{value.name} (not known without a cluster)", line)
            if isinstance(value, dict):
                where = self.containers.get(id(value))
                found = value.get(name)
                if where is not None and name in value and i == len(path) - 1:  # the value printed, not the maps on its way
                    origin = self.origins.get((*where, name))
                    if origin:
                        self._seen.append(origin)
                value = found
            elif value is None:
                raise TemplateError(f"nil pointer evaluating {walked or '.'}.{name}", line)
            else:
                raise TemplateError(f"can't evaluate field {name} in {type(value).__name__}", line)
            walked += "." + name
        return value
