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

    def holds(self, data: bytes, cache: dict[Check, bool]) -> bool:
        hit = cache.get(self)
        if hit is None:
            if self.module:
                hit = _import_re(self.module).search(data) is not None
            else:
                hit = self.word in data
            cache[self] = hit
        return hit


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

    def add(self, alt: Alternative | None) -> None:
        if alt and alt not in self.alternatives:
            self.alternatives.append(alt)

    def extend(self, alts: Iterable[Alternative]) -> None:
        for a in alts:
            self.add(a)

    def finish(self) -> None:
        """Cheapest alternatives first: plain words before import checks, fewer groups first."""
        self.alternatives.sort(key=lambda a: (sum(1 for g in a for c in g if c.module), len(a), repr(a)))

    def accepts(self, data: bytes) -> bool:
        cache: dict[Check, bool] = {}
        for alt in self.alternatives:
            if all(any(c.holds(data, cache) for c in group) for group in alt):
                return True
        return False

    def words(self) -> set[str]:
        """Every plain word and module named (for diagnostics and second-pass heuristics)."""
        return {c.word.decode() if c.word else c.module for a in self.alternatives for g in a for c in g}
