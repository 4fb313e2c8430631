"""``contracts fix``: the code-side resolutions of findings that can be applied safely.

``plan`` (extractor/fix/plan.py) turns findings into ``Fix`` records; ``change_files`` applies them to
the files' text (Python through libcst codemods, extractor/fix/python.py; Go and JavaScript by a
byte-range edit from the tree-sitter tree, extractor/fix/treesitter.py; a contract's own value by a
one-line edit), each fix that cannot be applied safely becoming a suggestion with its reason;
``unified_diff`` shows the result and ``write`` puts it in place (inside the scanned root, never
through a symbolic link, atomically, and only when the file still has the content the plan was made
from). How each library takes a timeout or a number of attempts is rule data: the ``fix:`` block of
the rule whose fact is edited (docs/rule-format.md, docs/contracts.md "Fixes").
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from .. import safeio, yamlio
from ..catalog import default_rules_dir
from . import python, treesitter
from .model import KINDS, FileChange, Fix, Outcome, Unsafe

__all__ = ["KINDS", "FileChange", "Fix", "FixError", "Outcome", "change_files", "fix_block", "unified_diff", "write"]

ORDER = ("contract-line", "timeout", "retry-attempts", "id-before-retry", "idempotency-key")
"""Within a file, fixes run from the bottom up (a fix never moves what is above it); at one place, those
that keep the line count first."""


class FixError(Exception):
    """A file that cannot be written as planned; the message names it."""


@cache
def fix_block(rule_id: str, rules_dir: Path | None = None) -> dict[str, Any]:
    """The ``fix:`` block of a rule (empty when it has none); the rule schema has validated it."""
    path = (rules_dir or default_rules_dir()).joinpath(*rule_id.split(".")).with_suffix(".yaml")
    if not rule_id or not path.is_file():
        return {}
    docs = yamlio.load_file(path, path.as_posix())
    block = docs[0].get("fix") if docs and isinstance(docs[0], dict) else None
    return yamlio.plain(block) if isinstance(block, dict) else {}


def _anchor(fix: Fix) -> int:
    return fix.policy[0] if fix.kind in ("id-before-retry", "idempotency-key") else fix.line


def apply_fix(source: str, fix: Fix, rules_dir: Path | None = None) -> str:
    """``source`` with one fix applied; ``Unsafe`` when it cannot be applied safely."""
    if fix.kind == "contract-line":
        key, old, new = fix.value
        lines = source.splitlines(keepends=True)
        if not 0 < fix.line <= len(lines):
            raise Unsafe(f"line {fix.line} is not in the file")
        changed, n = re.subn(rf"^(\s*(?:-\s+)?{re.escape(key)}\s*:\s*){re.escape(old)}\b", rf"\g<1>{new}", lines[fix.line - 1])
        if n != 1:
            raise Unsafe(f"line {fix.line} does not say {key}: {old}")
        lines[fix.line - 1] = changed
        return "".join(lines)
    if fix.kind == "timeout" and fix.value is None:
        raise Unsafe(
            "no value to write: the caller declares no timeout for the target (depends_on) and none of its callers gives it one; choose one and declare it"
        )
    if fix.kind == "id-before-retry" and fix.language == "javascript":
        return treesitter.reuse_first_id(source, fix.file, fix.language, fix.line, str(fix.value), fix.policy)
    if fix.language != "python" and fix.kind != "timeout":
        raise Unsafe(f"no {fix.language} edit for this fix yet: apply it by hand")
    if fix.kind == "id-before-retry":
        return python.hoist_id(source, fix.line, str(fix.value), *fix.policy)
    if fix.kind == "idempotency-key":
        return python.add_idempotency_key(source, fix.line, fix.col, str(fix.value), *fix.policy, fix_block(fix.rule, rules_dir).get("headers") or {})
    spec = fix_block(fix.rule, rules_dir).get("timeout" if fix.kind == "timeout" else "attempts")
    if not spec:
        raise Unsafe(f"the rule {fix.rule} has no fix: {'timeout' if fix.kind == 'timeout' else 'attempts'} block: apply it by hand")
    if fix.kind == "timeout" and fix.language != "python":
        return treesitter.add_timeout(source, fix.file, fix.language, fix.line, fix.col, spec, float(fix.value))
    if fix.kind == "timeout":
        return python.add_timeout(source, fix.line, fix.col, spec, float(fix.value))
    return python.set_attempts(source, fix.line, fix.col, spec, int(fix.value))


def change_files(root: Path, fixes: Iterable[Fix], rules_dir: Path | None = None) -> tuple[list[FileChange], list[Outcome]]:
    """Apply the fixes to the files under ``root`` (in memory): the changed files and each fix's outcome.

    A contract-line fix stands only when every code fix of its finding was applied."""
    by_file: dict[str, list[Fix]] = {}
    for fix in fixes:
        by_file.setdefault(fix.file, []).append(fix)
    outcomes: dict[Fix, Outcome] = {}
    texts: dict[str, tuple[str, str, str]] = {}
    code_first = sorted(by_file, key=lambda file: any(x.kind == "contract-line" for x in by_file[file]))
    for file in code_first:
        path = root / file
        try:
            if path.is_symlink() or not path.is_file():
                raise Unsafe("not a regular file (a symbolic link is never written through)")
            raw = path.read_bytes()
            before = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, Unsafe) as exc:
            for fix in by_file[file]:
                outcomes[fix] = Outcome(fix, "suggestion", f"cannot read {file}: {exc}")
            continue
        text = before
        for fix in sorted(by_file[file], key=lambda x: (-_anchor(x), ORDER.index(x.kind), -x.col)):
            if fix.kind == "contract-line":
                failed = [o for o in outcomes.values() if o.fix.finding == fix.finding and o.status != "fixed"]
                if failed:
                    outcomes[fix] = Outcome(fix, "suggestion", f"left as it is: the code fix at {failed[0].fix.file}:{failed[0].fix.line} was not applied")
                    continue
            try:
                text = apply_fix(text, fix, rules_dir)
                outcomes[fix] = Outcome(fix, "fixed")
            except Unsafe as exc:
                outcomes[fix] = Outcome(fix, "suggestion", str(exc))
        texts[file] = (before, text, hashlib.sha256(raw).hexdigest())
    changes = [FileChange(file, b, a, h, [x for x in by_file[file] if outcomes[x].status == "fixed"]) for file, (b, a, h) in sorted(texts.items()) if a != b]
    ordered = sorted(outcomes.values(), key=lambda o: (o.fix.finding, o.fix.file, o.fix.line, o.fix.col, o.fix.kind))
    return changes, ordered


def unified_diff(changes: Sequence[FileChange]) -> str:
    """The changes as one unified diff, ``a/``/``b/`` paths relative to the root (``git apply`` reads it)."""
    out: list[str] = []
    for change in changes:
        lines = difflib.unified_diff(change.before.splitlines(keepends=True), change.after.splitlines(keepends=True), f"a/{change.file}", f"b/{change.file}")
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write(root: Path, changes: Sequence[FileChange]) -> list[str]:
    """Write every changed file; refused (``FixError``, nothing written) when a file's content changed
    since the plan was made. Each write is atomic and never leaves ``root`` or follows a link."""
    for change in changes:
        try:
            current = hashlib.sha256((root / change.file).read_bytes()).hexdigest()
        except OSError as exc:
            raise FixError(f"{change.file}: cannot read it again: {exc.strerror or exc}") from None
        if current != change.sha256:
            raise FixError(f"{change.file}: changed since the scan; nothing written (run `contracts fix` again)")
    staged: list[safeio.Staged] = []
    try:
        for change in changes:
            staged.append(safeio.stage(root, change.file, change.after, create_folders=False))
        for s in staged:
            s.commit()
    except safeio.WriteError as exc:
        for s in staged:
            s.discard()
        raise FixError(str(exc)) from None
    return [c.file for c in changes]
