"""``contracts rules new ID``: the two files of a new rule, ready to be filled in.

``rules/<language>/<category>/<name>.yaml`` gets the header (id from the path, title, language,
kind, library, metadata), the docs sections and a match block skeleton; the fixture with the same
stem (``fixtures/rules/<language>/<category>/<name>.<ext>``) gets one ``expect:`` and one ``ok:``
annotation on placeholder lines, in the language's comment syntax. The placeholders carry
``SCAFFOLD_MARK``, which the harness reports as a failure, so ``contracts rules test ID`` fails
until an author has replaced both lines with real code. Existing files are never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__, safeio
from ..catalog import rule_schema
from ..languages import EXTENSIONS, LANGUAGE_ALIASES
from ..ruletest import SCAFFOLD_MARK

RULE_ID = re.compile(r"^(?P<language>[a-z][a-z0-9_]*)\.(?P<category>[a-z0-9][a-z0-9_-]*)\.(?P<name>[a-z0-9][a-z0-9_-]*)$")

# raw fields of a first match, per kind (the kinds' finalizers read these names)
_PYTHON_FIELDS = {
    "http_call": ["url: {arg: 0, kw: url}", "timeout: {kw: timeout}"],
    "grpc_call": ["url: {receiver: channel.target}", "timeout: {kw: timeout}"],
    "endpoint": ["method: GET", "path: {arg: 0, kw: path}", "handler: {arg: 1, kw: handler, text: true}"],
    "retry_policy": ["mechanism: {library}", "attempts: {kw: attempts}"],
    "circuit_breaker": ["mechanism: {library}", "failure_threshold: {kw: failure_threshold}"],
    "id_generation": ["generator: {library}.TODO"],
}
_TREESITTER_FIELDS = {
    "http_call": ["url: {arg: 0}"],
    "grpc_call": ["url: {arg: 0}"],
    "endpoint": ["method: GET", "path: {arg: 0}", "handler: {arg: 1, text: true}"],
    "retry_policy": ["mechanism: {library}", "attempts: {arg: 0}"],
    "circuit_breaker": ["mechanism: {library}", "failure_threshold: {arg: 0}"],
    "id_generation": ["generator: {library}.TODO"],
}

_EXPECT_NOTE = f"({SCAFFOLD_MARK} a line the rule reports: replace the code, then add its fields as key=value before this note)"
_OK_NOTE = f"({SCAFFOLD_MARK} a look-alike the rule must not report: replace the code)"

# fixture bodies: {expect} and {ok} are the two annotated placeholder lines' comments
_FIXTURES = {
    "python": "{header}\n\nplaceholder()  # {expect}\nplaceholder()  # {ok}\n",
    "go": "{header}\npackage fixture\n\nfunc example() {{\n\tplaceholder() // {expect}\n\tplaceholder() // {ok}\n}}\n",
    "java": "{header}\nclass Example {{\n    void example() {{\n        placeholder(); // {expect}\n        placeholder(); // {ok}\n    }}\n}}\n",
    "csharp": "{header}\nclass Example\n{{\n    void Run()\n    {{\n        Placeholder(); // {expect}\n        Placeholder(); // {ok}\n    }}\n}}\n",
    "kotlin": "{header}\nfun example() {{\n    placeholder() // {expect}\n    placeholder() // {ok}\n}}\n",
    "php": "<?php\n{header}\n\nplaceholder();  // {expect}\nplaceholder();  // {ok}\n",
    "ruby": "{header}\n\nplaceholder  # {expect}\nplaceholder  # {ok}\n",
}
_DEFAULT_FIXTURE = "{header}\nplaceholder(); // {expect}\nplaceholder(); // {ok}\n"


class ScaffoldError(Exception):
    """A bad id or kind, or a file that already exists; the message says which."""


@dataclass(frozen=True)
class Scaffold:
    rule_id: str
    rule_file: Path
    rule_text: str
    fixture_file: Path
    fixture_text: str
    rules_dir: Path
    fixtures_dir: Path

    def write(self) -> None:
        """Both files, never overwriting one (even one that appeared since ``plan``) and never
        through a symbolic link below the rules or fixtures folder (``safeio``)."""
        try:
            for root, path, text in ((self.rules_dir, self.rule_file, self.rule_text), (self.fixtures_dir, self.fixture_file, self.fixture_text)):
                root.mkdir(parents=True, exist_ok=True)
                safeio.write_text(root, path.relative_to(root).as_posix(), text, exclusive=True, shown=path.as_posix())
        except (safeio.WriteError, OSError) as exc:
            raise ScaffoldError(str(exc)) from None


def kinds() -> list[str]:
    """The fact kinds a rule may declare (the rule schema's list)."""
    return list(rule_schema()["$defs"]["kind"]["enum"])


def languages() -> list[str]:
    """Languages a rule can be written for: those with a frontend, not those using another's rules."""
    return sorted({lang for lang in EXTENSIONS.values() if lang not in LANGUAGE_ALIASES})


def plan(rule_id: str, kind: str, rules_dir: Path, fixtures_dir: Path, title: str | None = None) -> Scaffold:
    """The files of a new rule ``rule_id``; raises ``ScaffoldError`` for a bad id or kind or when a file exists."""
    m = RULE_ID.match(rule_id)
    if m is None:
        raise ScaffoldError(
            f"bad rule id {rule_id!r}: expected <language>.<category>.<name> in lowercase, e.g. python.http.niquests "
            "(the rule file is rules/<language>/<category>/<name>.yaml)"
        )
    language, category, name = m.group("language", "category", "name")
    if language in LANGUAGE_ALIASES:
        raise ScaffoldError(
            f"bad rule id {rule_id!r}: {language} files use the {LANGUAGE_ALIASES[language]} rules; write {LANGUAGE_ALIASES[language]}.{category}.{name}"
        )
    if language not in languages():
        raise ScaffoldError(f"bad rule id {rule_id!r}: unknown language {language!r} (one of: {', '.join(languages())})")
    if kind not in kinds():
        raise ScaffoldError(f"unknown kind {kind!r} (one of: {', '.join(kinds())})")
    rule_file = rules_dir / language / category / f"{name}.yaml"
    ext = next(e for e, lang in EXTENSIONS.items() if lang == language)
    fixture_file = fixtures_dir / language / category / f"{name}{ext}"
    for existing in (rule_file, rule_file.with_suffix(".yml"), fixture_file, fixtures_dir / language / category / name):
        if existing.exists():
            raise ScaffoldError(f"{existing.as_posix()} already exists; not overwriting it")
    return Scaffold(
        rule_id, rule_file, _rule_text(rule_id, language, kind, name, title), fixture_file, _fixture_text(rule_id, language), rules_dir, fixtures_dir
    )


def _rule_text(rule_id: str, language: str, kind: str, library: str, title: str | None) -> str:
    block = "python" if language == "python" else "treesitter"
    fields = (_PYTHON_FIELDS if language == "python" else _TREESITTER_FIELDS).get(kind, [])
    if fields:
        field_lines = "      fields:\n" + "".join(f"        {line.replace('{library}', library)}\n" for line in fields)
    else:
        field_lines = "      fields: {}                  # the raw fields this kind reads: see an existing rule of the kind\n"
    if kind in ("http_call", "grpc_call"):
        unit = {"python": "s", "go": "ns"}.get(language, "ms")
        field_lines += (
            "  timeout:                       # how the library spells a timeout\n"
            f"    unit: {unit:<23}# the unit of a bare number\n"
            "    default: none                # when a call sets none: none (waits forever) or the library's default (10s)\n"
        )
    shown_title = title or f"{library}: TODO one line saying what the rule finds"
    return f"""id: {rule_id}
title: {_quote(shown_title)}
language: {language}
kind: {kind}
library: {library}
metadata:
  status: preview
  since: {__version__}
  confidence: medium
  references: []                 # TODO: the library's documentation
docs:
  what: >
    TODO: what the rule detects (which calls, constructors or decorators of {library}).
  why: >
    TODO: why it matters for a contract (defaults, what can wait forever).
  fields: {{}}                     # TODO: each extracted field and where its value comes from
  limitations: >
    TODO: what the rule misses.
{block}:{" " * (25 - len(block))}# described in {"docs/rule-format.md" if block == "python" else "docs/frontends.md"}
  calls:
    - names: ["{library}.TODO"]  # resolved qualified names of the calls to match
{field_lines}"""


def _fixture_text(rule_id: str, language: str) -> str:
    marker = "#" if language in ("python", "ruby") else "//"
    header = (
        f"{marker} Fixture of {rule_id}: replace the two placeholder lines with code the rule must report\n"
        f"{marker} (expect:) and code it must not report (ok:); `contracts rules test` fails until then."
    )
    template = _FIXTURES.get(language, _DEFAULT_FIXTURE)
    return template.format(header=header, expect=f"expect: {rule_id} {_EXPECT_NOTE}", ok=f"ok: {rule_id} {_OK_NOTE}")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def next_steps(scaffold: Scaffold, test_command: str) -> list[str]:
    block = "python:" if scaffold.rule_id.startswith("python.") else "treesitter:"
    return [
        f"fill in {scaffold.rule_file.as_posix()}: the title, the {block} match block (names, fields) and docs: (see docs/rule-format.md)",
        f"replace the two placeholder lines of {scaffold.fixture_file.as_posix()}: code the rule reports (expect:, with its fields as key=value) and a look-alike it must not report (ok:)",
        f"{test_command}   (fails until both are done)",
        "contracts rules docs   (writes the rule's page under docs/rules/)",
    ]
