"""Safe YAML loading that remembers where every mapping key and value came from.

Rule files and contract files are written by people; an error must point at ``file:line``.
PyYAML's ``SafeLoader`` (never the full loader: YAML from a scanned repository is untrusted)
is extended so that mappings and sequences carry the 1-based line of each entry. A file larger
than ``MAX_YAML_BYTES`` is refused before it is read, and an integer too long to convert is an
error at its line, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import safeio

MAX_YAML_BYTES = safeio.MAX_TEXT_BYTES
"""The largest YAML file ``load_file`` reads (contract files, compose and Kubernetes files, rules)."""


class LineDict(dict):
    """A dict that knows the line of itself and of each of its keys (1-based)."""

    __slots__ = ("line", "key_lines", "value_lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[Any, int] = {}
        self.value_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def value_line_of(self, key: Any) -> int:
        return self.value_lines.get(key, self.line_of(key))


class LineList(list):
    """A list that knows its own line and each item's line (1-based)."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


# libyaml's C parser when present (≈10× faster); the constructors stay ours, so lines are kept.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader) if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader


class _LineLoader(_Base):  # type: ignore[valid-type,misc]  # a base chosen at import time (untyped yaml): not a static type
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark) from None
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
        result.value_lines[key] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_int(loader: _LineLoader, node: yaml.ScalarNode) -> int:
    try:
        return int(yaml.constructor.SafeConstructor.construct_yaml_int(loader, node))
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise yaml.constructor.ConstructorError(None, None, f"integer too large ({len(str(node.value))} characters)", node.start_mark) from None


_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _construct_untagged(loader: _LineLoader, node: yaml.Node) -> Any:
    """Docker Compose's merge tags (2.24+): ``!override`` replaces what an earlier file set, so its
    value is the node itself; ``!reset`` clears it (None). Without them a compose.override.yaml was
    invalid YAML and its environment lost."""
    if node.tag == "!reset":
        return None
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node)
    if isinstance(node, yaml.SequenceNode):
        return _construct_sequence(loader, node)
    return loader.construct_scalar(node)


_LineLoader.add_constructor("!override", _construct_untagged)
_LineLoader.add_constructor("!reset", _construct_untagged)


@dataclass(frozen=True)
class YamlError(Exception):
    """A YAML document that could not be read; ``line`` is 1-based (0 when unknown)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


def load_text(text: str, path: str = "<string>") -> list[Any]:
    """Load every document of a YAML stream with line information; raises ``YamlError``."""
    try:
        return list(yaml.load_all(text, Loader=_LineLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or str(exc)
        raise YamlError(path, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(path, 0, f"invalid YAML: {exc}") from None


def load_file(path: Path, display: str | None = None, max_bytes: int = MAX_YAML_BYTES) -> list[Any]:
    """Read and load a YAML file (all documents); a file over ``max_bytes`` (checked before it is
    read) and decoding problems become ``YamlError``."""
    shown = display or path.as_posix()
    try:
        text = safeio.read_text(path, max_bytes, errors="strict")
    except safeio.TooLarge as exc:
        raise YamlError(shown, 0, f"file too large ({exc.size} bytes; YAML files are limited to {max_bytes})") from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise YamlError(shown, line, f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise YamlError(shown, 0, f"cannot read file: {exc.strerror or exc}") from None
    return load_text(text, shown)


def plain(value: Any) -> Any:
    """Turn LineDict/LineList trees into plain dicts and lists (for JSON and schema checks)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def line_at(document: Any, path: tuple[Any, ...]) -> int:
    """The line of the node at ``path`` inside a loaded document (best effort)."""
    node = document
    line = getattr(document, "line", 0)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.line_of(step)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.line_of(step)
            node = node[step]
        else:
            break
    return line
