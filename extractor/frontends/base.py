"""What every language frontend returns for one file, and the interface it implements.

Per-file extraction is a pure function of (path, content, rules, module name, imported objects):
no global state, so files can be processed in parallel and cached by content hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..catalog import Rule
from ..facts import Diagnostic
from ..values import Value
from .summary import FileSummary


@dataclass(slots=True)
class RawFact:
    """A fact as a frontend found it: field values may still be symbolic (``Value``)."""

    kind: str
    rule: str
    line: int
    col: int
    fields: dict[str, Any]
    scope: str = ""
    anchor: str = ""
    key: int = 0


@dataclass(frozen=True, slots=True)
class Mount:
    """Routes of ``target`` (a module or object qualname) are served under ``prefix``.

    ``source`` is what mounts it (an object's or a module's qualname): the mounts of ``source``
    apply next, so prefixes compose across modules. ``source_own`` is the source object's own
    prefix (``APIRouter(prefix=...)``), which its nested routes also get. With ``replaces``, a
    prefix given to the mount replaces the target's own prefix (capture ``own_prefix``) instead
    of being added to it. The link stage applies mounts to field ``field`` of the rule's facts.
    """

    prefix: Value | None
    target: str
    line: int = 0
    source: str = ""
    rule: str = ""
    field: str = "path"
    own_prefix: str = ""
    source_own: Value | None = None
    replaces: bool = False


@dataclass(slots=True)
class FileResult:
    path: str
    language: str
    facts: list[RawFact] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    exports: dict[str, Value] = field(default_factory=dict)  # module-level names → values
    imports: dict[str, str] = field(default_factory=dict)  # local name → qualified name
    mounts: list[Mount] = field(default_factory=list)
    lines: int = 0
    parsed: bool = False
    summary: FileSummary | None = None  # functions, their calls and facts, for the link stage's call index
    # the names under which the analysis looked for objects of other files (``imported_objects``), sorted,
    # each with what it found (None: nothing); None: not recorded. Extracted again with objects that
    # are the same under these names, the file gives this result (the scan's second pass keeps it)
    asked: tuple[tuple[str, Value | None], ...] | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    line: int
    text: str  # without the comment marker
    own_line: bool  # the comment is alone on its line (applies to the next code line)


class Frontend(Protocol):
    language: str
    extensions: tuple[str, ...]

    def compile(self, rules: Sequence[Rule]) -> Any:
        """Turn this language's rules into whatever index the frontend matches with."""

    def prefilter(self, compiled: Any, source: bytes) -> bool:
        """Cheap test: can any rule match this file at all?"""

    def extract(
        self,
        path: str,
        source: bytes,
        compiled: Any,
        module: str,
        imported_objects: Mapping[str, Value] | None = None,
    ) -> FileResult:
        """Facts of one file. Never raises for bad input: problems become diagnostics."""

    def comments(self, source: bytes, path: str = "") -> list[Comment]:
        """Comments with their lines, for the fixture annotations (``path``: a grammar chosen by suffix)."""
