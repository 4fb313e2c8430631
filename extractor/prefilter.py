"""Which files can a rule set possibly match? A cheap test on raw bytes, before any parsing.

Parsing is the dominant cost of a scan, so the prefilter must be *selective*: a file passes
when one *alternative* holds; an alternative is a list of groups that must all hold; a group
holds when any of its checks does. A check is a plain substring, or ``import:mod``: an import
line names the module (``import mod``, ``import a, mod``, ``from mod.x import y``). A file can
only use ``requests.get`` if an import names ``requests``; mentioning the word in a comment or a
variable name is not enough.

Rules either list alternatives (``prefilter:``) or get them from the names they match:
``tenacity.retry`` needs ``import:tenacity`` and the word ``retry``; methods of tracked types need
what their constructor needs; glob names need their literal fragments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Attribute names too common to narrow anything down (the import check does the work).
COMMON_ATTRS = frozenset(
    "get post put patch delete head options request call send open run connect execute query route "
    "retry new create client session Session Client init setup start stop wait close read write".split()
)


@dataclass(frozen=True, slots=True)
class Check:
    word: bytes = b""
    module: str = ""  # import check when set


# the lines an import check can match (``^[ \t]*from`` / ``^[ \t]*import``), each after the newline
# that starts it (searched in the file with a newline put in front: a literal first character lets
# the expression engine skip from newline to newline, twice as fast as trying ``^`` everywhere)
_IMPORT_LINES = re.compile(rb"\n([ \t]*(?:from|import)[ \t][^\n]*)")


def import_lines(data: bytes) -> bytes:
    """The lines of ``data`` an import check can match, one a line."""
    return b"\n".join(_IMPORT_LINES.findall(b"\n" + data))


_IMPORT_RES: dict[str, re.Pattern[bytes]] = {}


def _import_re(module: str) -> re.Pattern[bytes]:
    rx = _IMPORT_RES.get(module)
    if rx is None:
        m = re.escape(module).encode()
        rx = re.compile(rb"(?m)^[ \t]*(?:from[ \t]+" + m + rb"\b|import[ \t][^\n#]*\b" + m + rb"\b)")
        _IMPORT_RES[module] = rx
    return rx


Group = tuple[Check, ...]
Alternative = tuple[Group, ...]


def parse_check(text: str) -> Check:
    if text.startswith("import:"):
        return Check(module=text[len("import:") :])
    return Check(word=text.encode())


def parse_group(text: str) -> Group:
    return tuple(parse_check(t) for t in text.split("|") if t)


def parse_alternatives(spec: Iterable[str | Sequence[str]]) -> list[Alternative]:
    """``["_pb2_grpc", ["import:django", "using(|db_manager("]]`` → alternatives."""
    out: list[Alternative] = []
    for item in spec:
        if isinstance(item, str):
            out.append((parse_group(item),))
        else:
            out.append(tuple(parse_group(g) for g in item))
    return out


def for_name(qualname: str) -> Alternative | None:
    """What a file must contain to use ``qualname`` (None: nothing reliable, e.g. a builtin)."""
    if any(c in qualname for c in "*?["):
        fragments = [p for p in re.split(r"[*?\[\].]+", qualname) if len(p) >= 3]
        return tuple((Check(word=f.encode()),) for f in fragments[:2]) or None
    parts = qualname.split(".")
    if len(parts) < 2:
        return None
    groups: list[Group] = []
    last = parts[-1]
    if last not in COMMON_ATTRS and not last.startswith("__"):
        groups.append((Check(word=last.encode()),))
    groups.append((Check(module=parts[0]),))
    return tuple(groups)


@dataclass
class Prefilter:
    alternatives: list[Alternative] = field(default_factory=list)
    # what ``accepts`` runs (``finish``): alternatives as groups of check numbers, and the checks
    _plan: list[tuple[tuple[int, ...], ...]] = field(default_factory=list, repr=False, compare=False)
    # each check: (its import expression, the module's name) or (None, the word)
    _checks: list[tuple[re.Pattern[bytes] | None, bytes]] = field(default_factory=list, repr=False, compare=False)

    def add(self, alt: Alternative | None) -> None:
        if alt and alt not in self.alternatives:
            self.alternatives.append(alt)
            self._plan = []

    def extend(self, alts: Iterable[Alternative]) -> None:
        for a in alts:
            self.add(a)

    def finish(self) -> None:
        """Cheapest alternatives first: plain words before import checks, fewer groups first.

        ``accepts`` runs a plan of the same alternatives: every distinct check numbered (its
        result kept per file), in each alternative the groups of import checks first (one failing
        rejects the alternative before its words are searched), without the one-word alternatives
        that another one-word alternative implies (``retries`` when ``tries`` is one). An import
        check's expression matches within one import line, so it searches the file's import lines
        alone, collected once (one scan of the file instead of one per module)."""
        self.alternatives.sort(key=lambda a: (sum(1 for g in a for c in g if c.module), len(a), repr(a)))
        single = [a[0][0].word for a in self.alternatives if len(a) == 1 and len(a[0]) == 1 and a[0][0].word]
        numbers: dict[Check, int] = {}
        plan: list[tuple[tuple[int, ...], ...]] = []
        for alt in self.alternatives:
            if len(alt) == 1 and len(alt[0]) == 1 and alt[0][0].word:
                word = alt[0][0].word
                if any(w != word and w in word for w in single):
                    continue
            groups = sorted(alt, key=lambda g: not all(c.module for c in g))
            plan.append(tuple(tuple(numbers.setdefault(c, len(numbers)) for c in g) for g in groups))
        self._checks = [(_import_re(c.module), c.module.encode()) if c.module else (None, c.word) for c in numbers]
        self._plan = plan

    def accepts(self, data: bytes) -> bool:
        if not self._plan and self.alternatives:
            self.finish()
        checks = self._checks
        hits: list[bool | None] = [None] * len(checks)
        imports: bytes | None = None
        for alt in self._plan:
            for group in alt:
                for i in group:
                    hit = hits[i]
                    if hit is None:
                        rx, word = checks[i]
                        if rx is None:
                            hit = word in data
                        else:
                            if imports is None:
                                imports = import_lines(data)
                            hit = word in imports and rx.search(imports) is not None  # (the name first: most files import few)
                        hits[i] = hit
                    if hit:
                        break
                else:  # no check of the group holds: the alternative fails
                    break
            else:
                return True
        return False

    def words(self) -> set[str]:
        """Every plain word and module named (for diagnostics and second-pass heuristics)."""
        return {c.word.decode() if c.word else c.module for a in self.alternatives for g in a for c in g}
