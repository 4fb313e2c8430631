"""How names written by people meet names found in code: token rules, path templates, data words.

Contracts say ``scoreTransaction``, code says ``def score_transaction`` serving ``POST /v1/score``
and a client calls ``http://risk:8080/v1/score``. Every comparison here is a small, documented
rule (docs/checks.md, "Matching") so that a surprising match can be explained and a missing one
fixed by writing ``path:``/``method:`` in the contract.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_PARAM = re.compile(r"^(\{[^{}]*\}|<[^<>]*>|:[A-Za-z_][A-Za-z0-9_]*|\*[A-Za-z_]*)$")

PARAM = "{}"
"""A path segment that stands for a value: ``{id}``, ``<int:id>``, ``:id``, an unknown expression."""

VERSION_SEGMENT = re.compile(r"^v[0-9]+$")

DETAIL_WORDS = frozenset({"breakdown", "detailed", "detail", "details", "full", "signals", "raw", "complete", "itemized", "itemised", "reasons", "explanation"})
"""Words saying data comes item by item (the most detail)."""

SUMMARY_WORDS = frozenset({"aggregate", "aggregated", "summary", "score", "total", "totals", "count", "counts"})
"""Words saying data comes summarised into one value."""

FILLER_WORDS = frozenset({"data", "info", "information", "the", "of", "for", "and", "only", "all", "api", "get", "v1", "v2", "v3"})
"""Words that say nothing about which data is meant."""

OPEN_ACCESS = frozenset({"public", "internal", "any", "all", "everyone", "authenticated", "services"})
"""``access:`` values that let any caller in."""

GENERIC_SOURCE_WORDS = frozenset(
    {
        "db",
        "database",
        "replica",
        "replicas",
        "read",
        "reader",
        "ro",
        "readonly",
        "primary",
        "main",
        "default",
        "url",
        "uri",
        "dsn",
        "host",
        "conn",
        "connection",
        "engine",
        "pg",
        "postgres",
        "postgresql",
        "mysql",
        "mongo",
        "redis",
        "secondary",
        "slave",
        "follower",
        "standby",
        "env",
        "environ",
        "settings",
        "config",
    }
)
"""Words of data source names (``orders-db-replica``, ``ORDERS_REPLICA_URL``) that name no owner."""


def tokens(name: str | None) -> tuple[str, ...]:
    """``scoreTransaction``, ``score_transaction``, ``Score-Transaction`` → ``("score", "transaction")``."""
    if not name:
        return ()
    spaced = _CAMEL.sub(" ", name)
    return tuple(t.lower() for t in _SPLIT.split(spaced) if t)


def same_name(a: str | None, b: str | None) -> bool:
    """Equal once split into lower-case words: ``scoreTransaction`` = ``score_transaction``."""
    ta, tb = tokens(a), tokens(b)
    return bool(ta) and ta == tb


_HANDLER_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def short_handler(handler: str | None) -> str | None:
    """``views.user_purchases`` → ``user_purchases``; ``RiskServicer.Score`` → ``Score``; None for a
    handler that is not a name (a function literal or lambda: ``func(w http.ResponseWriter, ...)``)."""
    if not handler or not _HANDLER_NAME.fullmatch(handler):
        return None
    return handler.rsplit(".", 1)[-1]


# -- paths -----------------------------------------------------------------------------------------


def url_path(url: str | None) -> str | None:
    """The path of a URL as far as known: ``http://risk:8080/v1/score?x=1`` → ``/v1/score``.

    A URL without scheme is taken as a path (``/v1/score``) or ``host/path``; a URL that is only
    an unknown expression (``{url}``) has no path.
    """
    if not url:
        return None
    text = url.strip()
    if "://" in text:
        try:
            path = urlsplit(text).path
        except ValueError:
            return None
        return path or "/"
    if text.startswith("{") and "}" in text:  # an unknown base: {BASE_URL}/v1/score
        text = text[text.index("}") + 1 :]
    if text.startswith("/"):
        return text.split("?", 1)[0].split("#", 1)[0]
    return None


def segments(path: str | None) -> tuple[str, ...]:
    """Path segments with parameters replaced by ``{}``: ``/users/<int:id>/x`` → ``("users", "{}", "x")``."""
    if path is None:
        return ()
    out = []
    for seg in path.split("?", 1)[0].strip("/").split("/"):
        if not seg:
            continue
        out.append(PARAM if _PARAM.match(seg) or ("{" in seg and "}" in seg) else seg.lower())
    return tuple(out)


def template(path: str | None) -> str:
    """The normalised template: ``/users/{}/purchases``."""
    return "/" + "/".join(segments(path))


def _segments_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return len(a) == len(b) and all(x == y or PARAM in (x, y) for x, y in zip(a, b))


def paths_match(call_path: str | None, route: str | None) -> bool:
    """A called path and a served route are the same when their segments agree one by one,
    a parameter on either side matching any segment: ``/users/42/purchases`` ~ ``/users/<int:id>/purchases``."""
    if call_path is None or route is None:
        return False
    return _segments_match(segments(call_path), segments(route))


def route_covers(declared: str | None, code_route: str | None) -> bool:
    """A declared route names a code route when they match, or when the code route only adds
    parameters after it: ``/fraud-score`` covers ``/fraud-score/{tx_id}`` (a resource by id)."""
    if declared is None or code_route is None:
        return False
    d, c = segments(declared), segments(code_route)
    if _segments_match(d, c):
        return True
    return len(c) > len(d) and _segments_match(d, c[: len(d)]) and all(s == PARAM for s in c[len(d) :])


def methods_match(a: str | None, b: str | None) -> bool:
    """Unknown methods and ``ANY`` match every method; otherwise equal ignoring case."""
    if not a or not b or a.upper() == "ANY" or b.upper() == "ANY" or "{" in a or "{" in b:
        return True
    return a.upper() == b.upper()


def path_words(path: str | None) -> tuple[str, ...]:
    """The words of a path's literal segments, without version segments: ``/v1/fraud-score/{}`` → ``fraud score``."""
    out: list[str] = []
    for seg in segments(path):
        if seg == PARAM or VERSION_SEGMENT.match(seg):
            continue
        out.extend(tokens(seg))
    return tuple(out)


def operation_matches_endpoint(operation: str | None, handler: str | None, path: str | None) -> bool:
    """An operation is served by an endpoint whose handler has the same words (``score_transaction``),
    or whose path's literal words, without version segments, are the operation's words
    (``/v1/score-transaction``); an operation written as a path (``/v1/score``) must match the path."""
    if not operation:
        return False
    if operation.startswith("/"):
        return paths_match(operation, path)
    op = tokens(operation)
    if handler and tokens(short_handler(handler)) == op:
        return True
    return bool(path) and path_words(path) == op


# -- data names ------------------------------------------------------------------------------------

LEVELS = ("aggregate", "detailed")


def detail_level(*names: str | None) -> str | None:
    """``detailed`` when a name has a detail word (breakdown, full, signals, ...), else ``aggregate``
    when it has a summary word (aggregate, summary, score, ...), else None."""
    words = {t for n in names for t in tokens(n)}
    if words & DETAIL_WORDS:
        return "detailed"
    if words & SUMMARY_WORDS:
        return "aggregate"
    return None


def subject_words(*names: str | None) -> frozenset[str]:
    """What data a name is about: its words without detail, summary and filler words."""
    return frozenset(t for n in names for t in tokens(n) if t not in DETAIL_WORDS | SUMMARY_WORDS | FILLER_WORDS)


def returns_enough(needed: str, returns: str | None, endpoint: str | None = None) -> bool:
    """Whether an endpoint returning ``returns`` gives the data ``needed``.

    With a detail level on both sides the returned level must be at least the needed one
    (aggregate < detailed); otherwise they must share a subject word.
    """
    need = detail_level(needed)
    have = detail_level(returns) if returns else detail_level(endpoint)
    if need is not None and have is not None:
        return LEVELS.index(have) >= LEVELS.index(need)
    return bool(subject_words(needed) & subject_words(returns, endpoint))


def admits(access: str | None, consumer: str, access_level: str | None) -> bool:
    """Whether ``access:`` lets a consumer in: no restriction, an open word (public, internal, ...),
    the consumer's own ``access_level``, or an access naming the consumer service or every word of its level."""
    if not access:
        return True
    words = set(tokens(access))
    if words and words <= OPEN_ACCESS:
        return True
    if access_level and tokens(access) == tokens(access_level):
        return True
    if set(tokens(consumer)) and set(tokens(consumer)) <= words:
        return True
    return bool(access_level) and set(tokens(access_level)) <= words


def owner_words(source: str | None) -> frozenset[str]:
    """The words of a data source name that may name its owner: ``orders-db-replica`` → ``{orders}``."""
    return frozenset(t for t in tokens(source) if t not in GENERIC_SOURCE_WORDS and not t.isdigit())


def mentions(text: str | None, name: str) -> bool:
    """Whether the words of ``name`` appear in order, side by side, in ``text``."""
    hay, needle = tokens(text), tokens(name)
    if not needle:
        return False
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))
