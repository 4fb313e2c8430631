"""The link stage: resolve what single files could not know, then build the public facts.

Runs after every file is extracted: cross-module constants (``from .settings import TIMEOUT``),
kind finalisation (milliseconds, URL text), target services, derived rules, stable ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import re

from . import resilience  # noqa: F401  (registers the resilience kinds' finalizers)
from .catalog import Catalog, Rule
from .facts import Fact, FactRef, assign_ids
from .frontends.base import FileResult
from .kinds import LinkContext, finalize
from .mounts import OWNER_FIELD, apply_mounts
from .targets import AddressBook
from .values import Concat, Const, Dynamic, Env, Map, Named, Obj, Ref, Seq, Value, has_refs, strip, substitute


@dataclass
class ModuleTable:
    """Exports of every module of one service, for resolving ``Ref``s."""

    modules: dict[str, dict[str, Value]]

    def lookup(self, ref: Ref) -> Value | None:
        parts = ref.qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:i])
            exports = self.modules.get(module)
            if exports is None:
                exports = self._by_suffix(module)
            if exports is None:
                continue
            value: Value | None = exports.get(parts[i])
            for attr in parts[i + 1 :]:
                inner = strip(value)
                value = inner.capture(attr) if isinstance(inner, Obj) else None
            return value
        return None

    def _by_suffix(self, head: str) -> dict[str, Value] | None:
        matches = [m for m in self.modules if m.endswith("." + head)]
        return self.modules[matches[0]] if len(matches) == 1 else None


LINK_FIELDS = ("id", "calls", "retry_policies", "circuit_breakers", "retry_attempts", "inside_retry", "retry_policy", "flows_to")

_VALUE_TYPES = (Const, Named, Ref, Env, Seq, Map, Obj, Concat, Dynamic)


def resolve_fields(fields: dict[str, Any], lookup: Callable[[Ref], Value | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if isinstance(v, _VALUE_TYPES) or type(v).__name__ in ("BinOp", "Call"):
            out[k] = substitute(v, lookup) if has_refs(v) else v
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
        table = tables.setdefault(svc, ModuleTable({}))
        module = modules_of.get(res.path)
        if module is not None and res.exports:
            table.modules[module] = res.exports
    rules = catalog.by_id()
    facts: list[Fact] = []
    links: dict[int, list[FactRef]] = {}
    owned: dict[int, dict[str, Any]] = {}  # facts of rules with mounts: index → raw fields (owner)
    for res in results:
        svc = service_of.get(res.path)
        table = tables.get(svc) or ModuleTable({})
        ctx = LinkContext(book=book, service=svc, modules=table.modules)
        for raw in res.facts:
            rule = rules.get(raw.rule)
            if rule is None:
                continue
            resolved = resolve_fields(raw.fields, table.lookup)
            where = resolved.pop("_where", ())
            if where and not all(_where_holds(resolved.get(k), pattern) for k, pattern in where):
                continue
            policy_refs = resolved.pop("_policies", None)
            fields = finalize(raw.kind, resolved, rule, ctx)
            if policy_refs:
                links[len(facts)] = [r if r.file else FactRef(r.key, res.path) for r in policy_refs]
            if OWNER_FIELD in resolved:
                owned[len(facts)] = resolved
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
    apply_policy_links(facts, links)
    apply_mounts(facts, owned, results, service_of, {svc: t.lookup for svc, t in tables.items()})
    facts.extend(derive(facts, catalog))
    assign_ids(facts)
    return sorted(facts, key=Fact.sort_key)


def value_texts(v: Any) -> list[str]:
    """Every piece of text a value carries: literals, constant and env var names, qualified names."""
    out: list[str] = []
    if v is None:
        return out
    from .values import walk as walk_values

    if not isinstance(v, _VALUE_TYPES) and type(v).__name__ not in ("BinOp", "Call"):
        return [str(v)]
    for x in walk_values(v):
        if isinstance(x, Const) and x.value is not None:
            out.append(str(x.value))
        elif isinstance(x, Named):
            out.append(x.name)
        elif isinstance(x, Env):
            out.append(x.var)
        elif isinstance(x, Ref):
            out.append(x.qualname)
        elif isinstance(x, Dynamic):
            out.append(x.text)
        elif type(x).__name__ == "Call":
            out.append(x.func)  # type: ignore[attr-defined]
    return out


def _where_holds(value: Any, pattern: str) -> bool:
    rx = re.compile(pattern)
    return any(rx.search(t) for t in value_texts(value))


def apply_policy_links(facts: list[Fact], links: dict[int, list[FactRef]]) -> None:
    """Fill both directions: a call's retry policies and breakers, a policy's covered calls."""
    by_key = {(f.file, f.key): f for f in facts}
    covered: dict[tuple[str, int], list[FactRef]] = {}
    for index, refs in links.items():
        fact = facts[index]
        retries = [r for r in refs if (p := by_key.get((r.file, r.key))) is not None and p.kind == "retry_policy"]
        breakers = [r for r in refs if (p := by_key.get((r.file, r.key))) is not None and p.kind == "circuit_breaker"]
        if fact.kind in ("http_call", "grpc_call"):
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
        if fact.kind in ("http_call", "grpc_call") and "retry_policies" not in fact.fields:
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
                out.append(
                    Fact(
                        kind=rule.kind,
                        rule=rule.id,
                        file=fact.file,
                        line=fact.line,
                        col=fact.col,
                        confidence=rule.confidence,
                        fields=fields,
                        service=fact.service,
                        scope=fact.scope,
                        anchor=fact.anchor,
                        key=-fact.key,
                    )
                )
    return out


def _rule_language_matches(fact: Fact, rule: Rule, catalog: Catalog) -> bool:
    source = catalog.get(fact.rule)
    return source is not None and source.language == rule.language
