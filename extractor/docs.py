"""Rule documentation generated from the rules and their fixtures (``contracts rules docs``).

The same text is printed by ``contracts rules explain``; a test fails when docs/rules/ is stale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import safeio
from .catalog import Catalog, Rule, default_fixtures_dir
from .frontends import language_of
from .kinds import KINDS
from .kinds.codegen import FILE_NAME as VIEWS_FILE
from .kinds.codegen import views_source
from .kinds.schema import GENERATED as GENERATED_SCHEMAS
from .kinds.tables import facts_reference, replace_raw_table

COMMON_FIELDS = {name: list(kind.rule_page) for name, kind in KINDS.items() if kind.rule_page}
"""The fields every rule page of a kind lists, from the kind's definition (``extractor/kinds/``)."""
MAX_EXAMPLES = 10
_ANNOTATED = re.compile(rb"(?:expect|ok|todo-expect|todo-ok):\s*(\S+)")


def default_docs_dir() -> Path:
    """``docs/rules`` of a source checkout, or the copy bundled into an installed wheel (beside the
    bundled rules and fixtures it is generated from)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "docs" / "rules", here / "_bundled" / "docs" / "rules"):
        if candidate.is_dir():
            return candidate
    return here.parent / "docs" / "rules"


def rule_summary(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "language": rule.language,
        "kinds": list(rule.kinds),
        "library": rule.library or None,
        "status": rule.status,
        "since": rule.since,
        "confidence": rule.confidence,
    }


def render_index_text(rules: list[Rule]) -> str:
    width = max((len(r.id) for r in rules), default=10)
    lines = [f"{r.id:<{width}}  {'/'.join(r.kinds):<16}  {r.status:<10}  {r.title}" for r in rules]
    return "\n".join(lines) + f"\n{len(rules)} rules\n"


def _examples(rule: Rule, fixtures_dir: Path | None, repo_root: Path) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """(positive, negative) examples: (location, source lines) taken from annotated fixture lines."""
    if fixtures_dir is None:
        return [], []
    from .ruletest import fixtures_for, parse_annotations

    pos: list[tuple[str, list[str]]] = []
    neg: list[tuple[str, list[str]]] = []
    own = fixtures_dir / Path(*rule.id.split("."))

    def is_own(f: Any) -> bool:  # the rule's own fixture folder or file (same stem as the rule)
        return f.root == own or (f.root == own.parent and len(f.files) == 1 and Path(f.files[0]).stem == own.name)

    # the rule's own fixtures first (the examples are capped), then the others that annotate it
    for fixture in sorted(fixtures_for(rule, fixtures_dir, {rule.id}, repo_root), key=lambda f: not is_own(f)):
        for rel in fixture.files:
            path = fixture.root / rel
            source = path.read_bytes()
            lines = source.decode("utf-8", "replace").splitlines()
            exps, _ = parse_annotations(source, language_of(rel) or "", {rule.id} | _all_ids(source), rel)
            seen: set[int] = set()
            for e in exps:
                if e.rule != rule.id or e.line in seen or e.marker not in ("expect", "ok"):
                    continue
                seen.add(e.line)
                shown = []
                if e.comment_line != e.line:
                    shown.append(lines[e.comment_line - 1].strip())
                shown.append(lines[e.line - 1].strip())
                where = f"{(fixture.display / rel).as_posix()}:{e.line}"
                (pos if e.marker == "expect" else neg).append((where, shown))
    return pos, neg


def _all_ids(source: bytes) -> set[str]:
    return {m.group(1).decode() for m in _ANNOTATED.finditer(source)}


def render_rule(rule: Rule, catalog: Catalog, fixtures_dir: Path | None = None) -> str:
    fixtures_dir = fixtures_dir or default_fixtures_dir()
    # examples name their fixture from the folder holding fixtures/ (a checkout, or the wheel's bundle)
    repo_root = fixtures_dir.resolve().parent.parent if fixtures_dir is not None else Path(__file__).resolve().parent.parent
    d = rule.docs
    out = [f"# {rule.id}", "", f"**{rule.title}**", ""]
    out.append(f"- Language: `{rule.language}`")
    if rule.also:
        out.append(f"- Also applies to: {', '.join(f'`{lang}`' for lang in rule.also)} (the same names, fields and fixtures' annotations)")
    out.append(f"- Fact kinds: {', '.join(f'`{k}`' for k in rule.kinds)}")
    if rule.library:
        out.append(f"- Library: `{rule.library}`")
    out.append(f"- Status: {rule.status} (since {rule.since}); confidence: {rule.confidence}")
    if rule.impl:
        out.append(f"- Implementation: `{rule.impl}` (logic that is not data)")
    if rule.derive:
        out.append(
            f"- Derived from: {', '.join(f'`{k}`' for k in rule.derive['from_kinds'])} facts where "
            + ", ".join(f"`{k}` is {' or '.join(f'`{v}`' for v in vals)}" for k, vals in rule.derive["when"].items())
        )
    out += ["", "## What it detects", "", d["what"].strip(), ""]
    if d.get("why"):
        out += ["## Why it matters", "", d["why"].strip(), ""]
    fields = dict.fromkeys(f for k in rule.kinds for f in COMMON_FIELDS.get(k, []))
    described = d.get("fields") or {}
    if fields or described:
        out += ["## Extracted fields", ""]
        for name in list(fields) + [n for n in described if n not in fields]:
            text = described.get(name, "")
            out.append(f"- `{name}`" + (f": {text.strip()}" if text else ""))
        out.append("")
    pos, neg = _examples(rule, fixtures_dir, repo_root)
    lang = "python" if rule.language == "python" else rule.language
    if rule.also:  # one block per language, each capped
        if pos:
            out += ["## Examples", "", "Found (from the rule's fixtures):", ""]
            for language in rule.languages:
                mine = [p for p in pos if _language_at(p[0]) == language]
                out += _code_block(mine[:MAX_EXAMPLES], language) if mine else []
        if neg:
            out += ["Not reported:", ""]
            for language in rule.languages:
                mine = [n for n in neg if _language_at(n[0]) == language]
                out += _code_block(mine[:MAX_EXAMPLES], language) if mine else []
    else:
        if pos:
            out += ["## Examples", "", "Found (from the rule's fixtures):", ""]
            out += _code_block(pos[:MAX_EXAMPLES], lang)
        if neg:
            out += ["Not reported:", ""]
            out += _code_block(neg[:MAX_EXAMPLES], lang)
    if d.get("limitations"):
        out += ["## Limitations", "", d["limitations"].strip(), ""]
    if rule.references:
        out += ["## References", ""] + [f"- <{r}>" for r in rule.references] + [""]
    return "\n".join(out).rstrip() + "\n"


def _language_at(where: str) -> str:
    from .frontends import rules_language

    found = language_of(where.rpartition(":")[0])
    return rules_language(found) if found else ""


def _code_block(items: list[tuple[str, list[str]]], lang: str) -> list[str]:
    out = [f"```{lang}"]
    for _where, lines in items:
        out += lines
    out += ["```", "", "Sources: " + ", ".join(f"`{w}`" for w, _ in items), ""]
    return out


def render_index(catalog: Catalog) -> str:
    out = ["# Rules", "", "Generated by `contracts rules docs` from `rules/` and `fixtures/rules/`; do not edit.", ""]
    for language in sorted({lang for r in catalog.rules for lang in r.languages}):
        out += [f"## {language}", "", "| id | kinds | status | title |", "|---|---|---|---|"]
        for r in catalog.rules:
            if r.language == language:
                out.append(f"| [`{r.id}`]({r.id}.md) | {', '.join(r.kinds)} | {r.status} | {r.title} |")
        for r in catalog.rules:  # a rule of another language that applies here too (a JVM library)
            if language in r.also:
                out.append(f"| [`{r.id}`]({r.id}.md) (shared with {r.language}) | {', '.join(r.kinds)} | {r.status} | {r.title} |")
        out.append("")
    out.append(f"{len(catalog.rules)} rules.")
    return "\n".join(out) + "\n"


def expected_docs(catalog: Catalog) -> dict[str, str]:
    files = {"README.md": render_index(catalog)}
    for rule in catalog.rules:
        files[f"{rule.id}.md"] = render_rule(rule, catalog)
    return files


def schema_files() -> dict[str, str]:
    """The published JSON Schemas (docs/schemas/ is a copy of the package's)."""
    from importlib import resources

    folder = resources.files("extractor.schemas")
    files = {p.name: p.read_text("utf-8") for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".json")}
    files.update({name: generate() for name, generate in GENERATED_SCHEMAS.items()})  # from the kind definitions
    return files


def _write(root: Path, rel: str, text: str, check: bool) -> bool:
    """Whether ``root / rel`` was stale (written unless ``check``, never through a link: ``safeio``)."""
    path = root / rel
    if path.is_file() and path.read_text("utf-8") == text:
        return False
    if not check:
        root.mkdir(parents=True, exist_ok=True)
        safeio.write_text(root, rel, text, shown=path.as_posix())
    return True


def write_package_schemas(check: bool = False) -> list[str]:
    """The package's files generated from the kind definitions: the schemas (facts, a rule's fields
    per kind) and the kinds' typed views."""
    package = Path(__file__).resolve().parent
    stale = [f"extractor/schemas/{name}" for name, generate in GENERATED_SCHEMAS.items() if _write(package, f"schemas/{name}", generate(), check)]
    if _write(package, f"kinds/{VIEWS_FILE}", views_source(), check):
        stale.append(f"extractor/kinds/{VIEWS_FILE}")
    return stale


def write_kind_docs(docs_root: Path, check: bool = False) -> list[str]:
    """The field tables generated from the kind definitions: ``facts.md`` and the rule format's
    raw-field table."""
    stale = ["facts.md"] if _write(docs_root, "facts.md", facts_reference(), check) else []
    page = docs_root / "rule-format.md"
    if page.exists():
        text = page.read_text("utf-8")
        if _write(docs_root, "rule-format.md", replace_raw_table(text), check):
            stale.append("rule-format.md")
    return stale


def write_schemas(target: Path, check: bool = False) -> list[str]:
    stale = write_package_schemas(check)
    for name, text in schema_files().items():
        if _write(target, name, text, check):
            stale.append(f"schemas/{name}")
    return stale


def write_docs(catalog: Catalog, target: Path, check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) the docs; returns the stale or extra file names."""
    files = expected_docs(catalog)
    stale: list[str] = []
    existing = {p.name for p in target.glob("*.md")} if target.is_dir() else set()
    for name, text in files.items():
        if _write(target, name, text, check):
            stale.append(name)
    for name in sorted(existing - set(files)):
        stale.append(name)
        if not check:
            (target / name).unlink()
    return stale
