"""Link-stage mounts: prepend router / blueprint / URL-module prefixes to the facts they serve.

Frontends record ``Mount``s (``FileResult.mounts``) and tag the facts of rules that have mounts
with their owner (raw field ``_owner``). Here, per service and per rule, a fact owned by X gets
the prefix of every mount of X, then the mounts of whatever mounted X, recursively (with a cycle
guard): ``app.include_router(api, prefix="/v1")`` + ``api.include_router(users, prefix="/users")``
→ ``/v1/users/...``. An owner with no mount of its own takes the mounts of the nearest enclosing
name (a module's routers are served where the module is included). Targets given as text
(``include("app.urls")``) also match a module name that ends with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .facts import Fact
from .frontends.base import FileResult, Mount
from .kinds import text_or_none
from .values import Ref, Value, has_refs, substitute

OWNER_FIELD = "_owner"
MAX_DEPTH = 12
MAX_VARIANTS = 16


def join_path(prefix: str, path: str) -> str:
    """``/v1`` + ``/score`` → ``/v1/score``; ``^api/`` + ``^score/$`` → ``^api/score/$``."""
    if not prefix:
        return path
    head = prefix.rstrip("/")
    tail = path[1:] if path.startswith("^") else path
    joined = head + "/" + tail.lstrip("/")
    return joined if joined.startswith(("/", "^", "{")) else "/" + joined


def strip_own(path: str, own: str) -> str:
    """``path`` without its leading ``own`` prefix (a prefix given to the mount replaces it)."""
    o = own.strip("/")
    p = path.lstrip("/")
    if o and (p == o or p.startswith(o + "/")):
        return "/" + p[len(o) :].lstrip("/")
    return path


@dataclass
class _Mount:
    raw: Mount
    prefix: str | None
    source_own: str | None


class MountTable:
    def __init__(self, mounts: list[_Mount]) -> None:
        self.by_target: dict[str, list[_Mount]] = {}
        for m in mounts:
            self.by_target.setdefault(m.raw.target, []).append(m)
        self._cache: dict[str, list[_Mount]] = {}

    def of(self, owner: str) -> list[_Mount]:
        """Mounts of ``owner``, else of the nearest enclosing name (``a.b.c`` → ``a.b`` → ``a``)."""
        found = self._cache.get(owner)
        if found is not None:
            return found
        found = []
        name = owner
        while name and not found:
            found = list(self.by_target.get(name, ()))
            if not found:
                found = [m for t, ms in self.by_target.items() if "." in t and name.endswith("." + t) for m in ms]
            name = name.rpartition(".")[0] if "." in name else ""
        self._cache[owner] = found
        return found

    def expand(self, owner: str, text: str, own: Callable[[str], str | None], seen: frozenset[str] = frozenset(), depth: int = 0) -> list[str]:
        """Every path ``text`` (owned by ``owner``) is served at; ``own(capture)`` is the owner's own prefix."""
        mounts = self.of(owner) if depth < MAX_DEPTH else []
        mounts = [m for m in mounts if m.raw.source not in seen and m.raw.source != owner]
        if not mounts:
            return [text]
        out: list[str] = []
        for m in mounts:
            t = text
            if m.prefix is not None:
                own_text = own(m.raw.own_prefix) if m.raw.replaces and m.raw.own_prefix else None
                if own_text:
                    t = strip_own(t, own_text)
                t = join_path(m.prefix, t)
            if m.source_own:
                t = join_path(m.source_own, t)
            out += self.expand(m.raw.source, t, _constant(m.source_own), seen | {owner}, depth + 1)
            if len(out) >= MAX_VARIANTS:
                break
        return list(dict.fromkeys(out))[:MAX_VARIANTS]


def _constant(value: str | None) -> Callable[[str], str | None]:
    """An owner's-prefix lookup that always answers ``value`` (the mounting source's own prefix)."""
    return lambda _name: value


def _text(v: Value | None, lookup: Callable[[Ref], Value | None]) -> str | None:
    if v is None:
        return None
    if has_refs(v):
        v = substitute(v, lookup)
    return text_or_none(v)


def build_tables(
    results: list[FileResult],
    service_of: dict[str, str | None],
    lookups: dict[str | None, Callable[[Ref], Value | None]],
) -> dict[tuple[str | None, str], MountTable]:
    grouped: dict[tuple[str | None, str], list[_Mount]] = {}
    for res in results:
        if not res.mounts:
            continue
        svc = service_of.get(res.path)
        lookup = lookups.get(svc) or (lambda ref: None)
        for m in res.mounts:
            grouped.setdefault((svc, m.rule), []).append(_Mount(m, _text(m.prefix, lookup), _text(m.source_own, lookup)))
    return {k: MountTable(v) for k, v in grouped.items()}


def apply_mounts(
    facts: list[Fact],
    owned: dict[int, dict[str, Any]],
    results: list[FileResult],
    service_of: dict[str, str | None],
    lookups: dict[str | None, Callable[[Ref], Value | None]],
) -> None:
    """Prefix the mounted facts in place; a fact mounted at several places is copied (appended)."""
    if not owned:
        return
    tables = build_tables(results, service_of, lookups)
    if not tables:
        return
    lookup_none: Callable[[Ref], Value | None] = lambda ref: None  # noqa: E731
    for index, raw in owned.items():
        fact = facts[index]
        table = tables.get((fact.service, fact.rule))
        if table is None:
            continue
        owner = raw.get(OWNER_FIELD) or ""
        mounts = table.of(owner) if owner else []
        if not mounts:
            continue
        field = mounts[0].raw.field
        text = fact.fields.get(field)
        if not isinstance(text, str):
            continue
        lookup = lookups.get(fact.service) or lookup_none

        def own(name: str, raw: dict[str, Any] = raw, lookup: Callable[[Ref], Value | None] = lookup) -> str | None:
            return _text(raw.get(name), lookup)

        variants = table.expand(owner, text, own)
        fact.fields[field] = variants[0]
        for extra in variants[1:]:
            facts.append(fact.variant(fields={**fact.fields, field: extra}, anchor=f"{fact.anchor} @{extra}"))
