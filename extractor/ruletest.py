"""Rule fixtures: inline, line-exact expectations checked against what the rules extract.

Grammar (any language; the comment marker is the language's own):

    call(url, timeout=0.2)          # expect: python.http.requests timeout_ms=200 target.service=risk
    # expect: python.timeouts.missing-timeout        (a comment alone applies to the next code line)
    d.get("key")                    # ok: python.http.requests
    # todo-expect: RULE k=v         a known miss: fails once the rule finds it
    # todo-ok: RULE                 a known false alarm: fails once the rule stops reporting it

``k=v`` pairs are a subset match on the fact's fields (dotted keys reach into objects and list
items: ``calls.0``); a key ending in ``#`` compares the length of the list, object or text there
(``calls#=1``: the policy covers one call; ``circuit_breakers#=0``). A fixture file is checked for
every rule it annotates: each fact of such a rule must be expected.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalog import Catalog, Rule
from .facts import Fact
from .frontends import EXTENSIONS, frontend_for, language_of, rules_language

MARKERS = ("expect", "ok", "todo-expect", "todo-ok")
_ANNOTATION = re.compile(r"^(expect|ok|todo-expect|todo-ok):\s*(\S+)\s*(.*)$")
SCAFFOLD_MARK = "scaffold-placeholder:"
"""Left by ``contracts rules new`` on a fixture's placeholder lines: each is a failure until replaced."""


class AnnotationError(Exception):
    pass


@dataclass
class Expectation:
    marker: str
    rule: str
    pairs: dict[str, Any]
    line: int  # the code line it applies to
    comment_line: int

    def describe(self) -> str:
        kv = " ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in self.pairs.items())
        return f"{self.marker}: {self.rule}" + (f" {kv}" if kv else "")


@dataclass
class Failure:
    group: str  # Missing | Noisy | Wrong value | Fixed todo | Annotation | Invariant
    where: str  # fixtures/...:LINE
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Fixture:
    root: Path  # the scan root
    files: list[str]  # posix paths relative to root
    display: Path  # path shown in messages, relative to the repo when possible
    extra: list[str] = field(default_factory=list)  # a folder's other files (manifests, compose): scanned, not annotated


@dataclass
class RuleReport:
    rule: str
    fixtures: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    positives: int = 0
    negatives: int = 0

    def render(self) -> str:
        if not self.failures:
            return f"{self.rule}: ok ({self.positives} expected facts, {self.negatives} ok lines)"
        lines = [f"{self.rule}: {len(self.failures)} problems"]
        for group in ("Annotation", "Missing", "Wrong value", "Noisy", "Fixed todo", "Invariant"):
            items = [f for f in self.failures if f.group == group]
            if items:
                lines.append(f"  {group}:")
                lines += [f"    {f}" for f in items]
        return "\n".join(lines)


def parse_value(text: str) -> Any:
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [parse_value(p.strip()) for p in inner.split(",")] if inner else []
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def parse_annotations(source: bytes, language: str, known_rules: set[str], display: str) -> tuple[list[Expectation], list[Failure]]:
    fe = frontend_for(language)
    if fe is None:
        return [], [Failure("Annotation", display, f"no frontend for {language}")]
    comments = fe.comments(source, display)  # the path's suffix picks the grammar (.ts, .tsx)
    code_lines = _code_lines(source, comments)
    out: list[Expectation] = []
    problems: list[Failure] = []
    for c in comments:
        m = _ANNOTATION.match(c.text)
        if not m:
            continue
        marker, rule, rest = m.groups()
        where = f"{display}:{c.line}"
        if rule not in known_rules:
            problems.append(Failure("Annotation", where, f"annotation names an unknown rule {rule!r}"))
            continue
        pairs: dict[str, Any] = {}
        try:
            tokens = shlex.split(rest, comments=False)
        except ValueError as exc:
            problems.append(Failure("Annotation", where, f"cannot read the annotation: {exc}"))
            continue
        for tok in tokens:
            if tok.startswith(("(", "—")):
                break  # free text after the pairs
            if "=" not in tok:
                problems.append(Failure("Annotation", where, f"expected key=value, got {tok!r}"))
                continue
            k, _, v = tok.partition("=")
            pairs[k] = parse_value(v)
        if marker in ("ok", "todo-ok") and pairs and marker == "ok":
            problems.append(Failure("Annotation", where, "an ok: annotation takes no key=value pairs"))
        target = c.line
        if c.own_line:
            nxt = [n for n in code_lines if n > c.line]
            if not nxt:
                problems.append(Failure("Annotation", where, "annotation has no code line after it"))
                continue
            target = nxt[0]
        out.append(Expectation(marker, rule, pairs, target, c.line))
    return out, problems


def _code_lines(source: bytes, comments: list[Any]) -> list[int]:
    own = {c.line for c in comments if c.own_line}
    lines = []
    for n, raw in enumerate(source.decode("utf-8", "replace").splitlines(), 1):
        if raw.strip() and n not in own:
            lines.append(n)
    return lines


def placeholders(source: bytes, display: str) -> list[Failure]:
    """The lines of a fixture still holding a placeholder of ``contracts rules new``."""
    text = source.decode("utf-8", "replace")
    if SCAFFOLD_MARK not in text:
        return []
    message = "a placeholder of `contracts rules new`: replace the line with real code and keep its annotation"
    return [Failure("Annotation", f"{display}:{n}", message) for n, line in enumerate(text.splitlines(), 1) if SCAFFOLD_MARK in line]


def get_path(fields: dict[str, Any], key: str) -> tuple[bool, Any]:
    if key.endswith("#"):  # the length of what is there: calls#=1
        ok, found = get_path(fields, key[:-1])
        return (True, len(found)) if ok and isinstance(found, (list, dict, str)) else (False, None)
    cur: Any = fields
    for part in key.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return False, None
    return True, cur


def values_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(expected - actual) < 1e-9
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(values_equal(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, str) and not isinstance(actual, str) and actual is not None:
        return expected == str(actual)
    return expected == actual


def matches(exp: Expectation, fact: Fact) -> bool:
    data = {"enclosing": fact.scope, **fact.fields, "kind": fact.kind, "confidence": fact.confidence, "col": fact.col}
    for k, v in exp.pairs.items():
        ok, actual = get_path(data, k)
        if not ok or not values_equal(v, actual):
            return False
    return True


def mismatch(exp: Expectation, fact: Fact) -> str:
    data = {"enclosing": fact.scope, **fact.fields, "kind": fact.kind, "confidence": fact.confidence, "col": fact.col}
    diffs = []
    for k, v in exp.pairs.items():
        ok, actual = get_path(data, k)
        if not ok:
            diffs.append(f"{k}: expected {v!r}, field absent")
        elif not values_equal(v, actual):
            diffs.append(f"{k}: expected {v!r}, got {actual!r}")
    return "; ".join(diffs)


def _assign(exps: list[Expectation], facts: list[Fact]) -> tuple[list[Expectation], list[Fact]]:
    """Match expectations to facts one-to-one (most specific first); return the leftovers."""
    remaining = list(facts)
    unmatched: list[Expectation] = []
    for exp in sorted(exps, key=lambda e: -len(e.pairs)):
        for i, fact in enumerate(remaining):
            if matches(exp, fact):
                remaining.pop(i)
                break
        else:
            unmatched.append(exp)
    return unmatched, remaining


def fixtures_for(rule: Rule, fixtures_dir: Path, rule_ids: set[str], repo_root: Path | None = None) -> list[Fixture]:
    """The rule's own fixtures (same stem) and every fixture file that annotates it."""
    rel = Path(*rule.id.split("."))
    found: dict[str, Fixture] = {}
    # every language the rule covers (`languages:`): its fixtures beside the rule's own
    # (fixtures/rules/java/http/okhttp.kt) and the annotated files under each language's folder
    covered = {rules_language(lang) for lang in rule.languages}
    lang_dirs = [fixtures_dir / lang for lang in rule.languages] if rule.language != "any" else [fixtures_dir]
    own_dir = fixtures_dir / rel
    if own_dir.is_dir():
        files = sorted(p.relative_to(own_dir).as_posix() for p in own_dir.rglob("*") if p.is_file() and language_of(p.name))
        found[own_dir.as_posix()] = Fixture(own_dir, files, _display(own_dir, repo_root), _other_files(own_dir))
    exts = [e for e, lang in EXTENSIONS.items() if rules_language(lang) in covered or rule.language == "any"]
    for ext in exts:
        f = (fixtures_dir / rel).with_suffix(ext)
        if f.is_file():
            found[f.as_posix()] = Fixture(f.parent, [f.name], _display(f.parent, repo_root))
    needle = rule.id.encode()
    for p in sorted(p for lang_dir in lang_dirs if lang_dir.is_dir() for p in lang_dir.rglob("*")):
        if not p.is_file() or not language_of(p.name):
            continue
        if any(p.is_relative_to(Path(k)) for k in found if Path(k).is_dir()) or p.as_posix() in found:
            continue
        try:
            if needle not in p.read_bytes():
                continue
        except OSError:
            continue
        owner = _dir_fixture_of(p, fixtures_dir, rule_ids)
        if owner is not None:
            files = sorted(x.relative_to(owner).as_posix() for x in owner.rglob("*") if x.is_file() and language_of(x.name))
            found[owner.as_posix()] = Fixture(owner, files, _display(owner, repo_root), _other_files(owner))
        else:
            found[p.as_posix()] = Fixture(p.parent, [p.name], _display(p.parent, repo_root))
    return [found[k] for k in sorted(found)]


def _other_files(folder: Path) -> list[str]:
    """A folder fixture's files that are not source (``go.mod``, compose files): they shape services."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and not language_of(p.name))


def _dir_fixture_of(path: Path, fixtures_dir: Path, rule_ids: set[str]) -> Path | None:
    """The directory fixture holding ``path``: a folder whose path under fixtures/rules is a rule id."""
    cur = path.parent
    while cur != fixtures_dir and fixtures_dir in cur.parents:
        if ".".join(cur.relative_to(fixtures_dir).parts) in rule_ids:
            return cur
        cur = cur.parent
    return None


def _display(path: Path, repo_root: Path | None) -> Path:
    if repo_root is not None:
        try:
            return path.resolve().relative_to(repo_root.resolve())
        except ValueError:
            pass
    return path


def run_fixture(fixture: Fixture, catalog: Catalog, rule_ids: Iterable[str] | None = None) -> list[Fact]:
    from .config import Config
    from .scan import scan

    result = scan(fixture.root, catalog=catalog, config=Config(), rule_ids=rule_ids, only_files=fixture.files + fixture.extra)
    return result.facts


def check_rule(rule: Rule, catalog: Catalog, fixtures_dir: Path, repo_root: Path | None = None) -> RuleReport:
    report = RuleReport(rule.id)
    known = set(catalog.by_id())
    fixtures = fixtures_for(rule, fixtures_dir, known, repo_root)
    if not fixtures:
        report.failures.append(Failure("Annotation", rule.path.as_posix(), "rule has no fixture"))
        return report
    for fixture in fixtures:
        facts_all = run_fixture(fixture, catalog)
        if rule.kind == "platform":  # no facts of its own: its facts are the others' facts it changes
            mine = platform_facts(rule, fixture, catalog, facts_all)
        else:
            facts_alone = run_fixture(fixture, catalog, [rule.id])
            mine = [f for f in facts_all if f.rule == rule.id]
            alone = [f for f in facts_alone if f.rule == rule.id]
            if [_intrinsic(f) for f in mine] != [_intrinsic(f) for f in alone]:
                report.failures.append(Failure("Invariant", fixture.display.as_posix(), "the rule finds other facts when run alone than with all rules"))
        for rel in fixture.files:
            display = (fixture.display / rel).as_posix()
            report.fixtures.append(display)
            language = language_of(rel) or ""
            source = (fixture.root / rel).read_bytes()
            exps, problems = parse_annotations(source, language, known, display)
            report.failures += problems + placeholders(source, display)
            exps = [e for e in exps if e.rule == rule.id]
            facts = [f for f in mine if f.file == rel]
            _compare(report, display, exps, facts)
    if report.positives == 0:
        report.failures.append(Failure("Annotation", rule.path.as_posix(), "rule has no positive (expect:) annotation in its fixtures"))
    if report.negatives == 0:
        report.failures.append(Failure("Annotation", rule.path.as_posix(), "rule has no negative (ok:) annotation in its fixtures"))
    return report


def platform_facts(rule: Rule, fixture: Fixture, catalog: Catalog, facts_all: list[Fact]) -> list[Fact]:
    """A platform rule's facts: the facts of all rules that are not found, or not with the same
    values, when the fixture is scanned without it (what its knowledge explains)."""
    from dataclasses import replace

    without = replace(catalog, rules=[r for r in catalog.rules if r.id != rule.id])
    rest: dict[str, int] = {}
    for f in run_fixture(fixture, without):
        key = json.dumps(f.to_json(), sort_keys=True, default=str)
        rest[key] = rest.get(key, 0) + 1
    out: list[Fact] = []
    for f in facts_all:
        key = json.dumps(f.to_json(), sort_keys=True, default=str)
        if rest.get(key):
            rest[key] -= 1
        else:
            out.append(f)
    return out


def _intrinsic(fact: Fact) -> dict[str, Any]:
    """A fact without the fields that link it to facts of other rules (they depend on those rules)."""
    from .link import LINK_FIELDS

    data = fact.to_json()
    for name in LINK_FIELDS:
        data.pop(name, None)
    return data


def _compare(report: RuleReport, display: str, exps: list[Expectation], facts: list[Fact]) -> None:
    by_line: dict[int, list[Expectation]] = {}
    for e in exps:
        by_line.setdefault(e.line, []).append(e)
        if e.marker == "expect":
            report.positives += 1
        elif e.marker == "ok":
            report.negatives += 1
    facts_by_line: dict[int, list[Fact]] = {}
    for f in facts:
        facts_by_line.setdefault(f.line, []).append(f)
    for line in sorted(set(by_line) | set(facts_by_line)):
        line_exps = by_line.get(line, [])
        line_facts = facts_by_line.get(line, [])
        where = f"{display}:{line}"
        expects = [e for e in line_exps if e.marker == "expect"]
        unmatched, extra = _assign(expects, line_facts)
        for e in unmatched:
            if extra:
                best = min(extra, key=lambda f: len(mismatch(e, f)))
                report.failures.append(Failure("Wrong value", where, f"{e.describe()}: {mismatch(e, best)}"))
                extra.remove(best)
            else:
                report.failures.append(Failure("Missing", where, f"{e.describe()}: no fact found"))
        todo_ok = [e for e in line_exps if e.marker == "todo-ok"]
        for e in todo_ok:
            hit = [f for f in extra if matches(e, f)]
            if hit:
                extra.remove(hit[0])
            else:
                report.failures.append(Failure("Fixed todo", where, f"{e.describe()}: the false alarm is gone; make it an ok: annotation"))
        for e in [e for e in line_exps if e.marker == "todo-expect"]:
            if any(matches(e, f) for f in extra):
                report.failures.append(Failure("Fixed todo", where, f"{e.describe()}: now found; make it an expect: annotation"))
                extra = [f for f in extra if not matches(e, f)]
        for f in extra:
            summary = ", ".join(f"{k}={v!r}" for k, v in sorted(f.fields.items()) if not isinstance(v, dict))[:200]
            report.failures.append(Failure("Noisy", where, f"unexpected {f.kind} from {f.rule}: {summary}"))
