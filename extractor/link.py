"""The link stage: resolve what single files could not know, then build the public facts.

Runs after every file is extracted: cross-module constants (``from .settings import TIMEOUT``),
kind finalisation (milliseconds, URL text), target services, derived rules, stable ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .catalog import Catalog, Rule
from .facts import Fact, assign_ids
from .frontends.base import FileResult
from .kinds import LinkContext, finalize
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
    for res in results:
        svc = service_of.get(res.path)
        table = tables.get(svc) or ModuleTable({})
        ctx = LinkContext(book=book, service=svc)
        for raw in res.facts:
            rule = rules.get(raw.rule)
            if rule is None:
                continue
            fields = finalize(raw.kind, resolve_fields(raw.fields, table.lookup), rule, ctx)
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
    facts.extend(derive(facts, catalog))
    assign_ids(facts)
    return sorted(facts, key=Fact.sort_key)


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
