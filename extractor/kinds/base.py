"""What a fact kind is made of: its public fields, the raw fields rules may set, a finalizer, a view.

Every kind module (``http_call``, ``retry_policy``, ...) builds one ``Kind`` from these parts; the
facts JSON Schema, the docs' field tables and the rule loader's field check are generated from it.
This module imports nothing of the scanner so that the rule loader can read the definitions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

    from ..catalog import Rule
    from ..environment.book import AddressBook

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
UNIT_SUFFIXES = ("_ms", "_s", "_m", "_ns")
"""Raw duration fields carry their unit in the name (``max_time_s``, ``window_ms``; ``_ns``: Go)."""


@dataclass(frozen=True)
class Field:
    """A public field of a kind: how it appears in the facts JSON.

    ``type`` is a JSON type or a tuple of them (``("string", "null")``); ``schema`` replaces the
    generated type constraint (an ``enum``, a ``$ref``, an array's ``items``). ``required``: the
    key is always present. ``by_link``: filled by the link stage (the policies covering a call,
    the calls a policy covers), never by a rule.
    """

    name: str
    type: str | tuple[str, ...] | None
    doc: str
    required: bool = False
    schema: dict[str, Any] | None = None
    minimum: int | float | None = None
    by_link: bool = False
    absent: Any = None  # what the typed view reads when the key is absent (``retry_attempts``: 1)
    shape: Shape | None = None  # an array of objects: their fields (the view's items are typed)

    def __post_init__(self) -> None:
        types = (self.type,) if isinstance(self.type, str) else self.type or ()
        unknown = [t for t in types if t not in JSON_TYPES]
        if unknown:
            raise ValueError(f"field {self.name}: unknown JSON type {unknown}")
        if self.type is None and self.schema is None:
            raise ValueError(f"field {self.name}: give a type or a schema")

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = self.type if isinstance(self.type, str) else list(self.type)
        if self.schema is not None:
            out.update(self.schema)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.doc:
            out["description"] = self.doc
        return out


@dataclass(frozen=True)
class Raw:
    """A raw field a rule may set (``fields:`` of a match), read by the kind's finalizer.

    With ``units``, the name takes a unit suffix instead (``stop_after_s``, ``stop_after_ms``...);
    ``bare`` also accepts the name without one (``recovery_timeout`` as seconds or a timedelta).
    """

    name: str
    doc: str
    units: bool = False
    bare: bool = False

    def names(self) -> tuple[str, ...]:
        if not self.units:
            return (self.name,)
        return ((self.name,) if self.bare else ()) + tuple(self.name + s for s in UNIT_SUFFIXES)

    def label(self) -> str:
        """How the docs show it: ``stop_after_s``/``_ms``/``_m``/``_ns``."""
        if not self.units:
            return f"`{self.name}`"
        shown = f"`{self.name}_s`/" + "/".join(f"`{s}`" for s in UNIT_SUFFIXES if s != "_s")
        return f"`{self.name}` or {shown}" if self.bare else shown


MS_SCHEMA = {"$ref": "#/$defs/ms"}
STRINGS_SCHEMA = {"items": {"type": "string"}}
TYPE_WORDS: dict[str, tuple[str | tuple[str, ...] | None, dict[str, Any] | None]] = {
    "ms": (None, MS_SCHEMA),
    "target": (None, {"$ref": "#/$defs/target"}),
    "strings": ("array", STRINGS_SCHEMA),
    "-": (None, None),
}
"""The words of a field table's type column that are not a JSON type (``T?``: T or null)."""


def fields(table: str, **schemas: dict[str, Any] | Shape) -> tuple[Field, ...]:
    """Public fields from a table, one a line: name, type, flags, doc (the rest of the line).

    type: a JSON type, ``T?`` for T or null, ``ms`` (milliseconds or null), ``target`` (where a call
    goes), ``strings`` (an array of strings), ``-`` (no type: the schema alone). flags, joined by ``,``
    (``-`` for none): ``req`` (required), ``link`` (filled by the link stage), ``min=N`` (minimum),
    ``absent=N`` (what the typed view reads when the key is absent). A keyword argument named after a
    field gives (or replaces) its schema; a ``Shape`` makes an ``array`` field a list of those objects.
    """
    out = []
    for line in table.strip().splitlines():
        name, word, flags, doc = line.split(None, 3)
        type_, schema = TYPE_WORDS[word] if word in TYPE_WORDS else ((word[:-1], "null") if word.endswith("?") else word, None)
        given = set(flags.split(",")) - {"-"}
        numbers = {f.partition("=")[0]: int(f.partition("=")[2]) for f in given if f.startswith(("min=", "absent="))}
        unknown = given - {"req", "link"} - {f for f in given if f.startswith(("min=", "absent="))}
        if unknown:
            raise ValueError(f"field {name}: unknown flags {sorted(unknown)}")
        given_schema = schemas.pop(name, schema)
        shape = None
        if isinstance(given_schema, Shape):
            shape, given_schema = given_schema, {"items": object_schema(given_schema.fields, closed=True)}
        out.append(Field(name, type_, doc.strip(), "req" in given, given_schema, numbers.get("min"), "link" in given, numbers.get("absent"), shape))
    if schemas:
        raise ValueError(f"schemas for fields not in the table: {sorted(schemas)}")
    return tuple(out)


@dataclass(frozen=True)
class Shape:
    """An object a field holds (a call's ``target``, an item of an id's ``flows_to``): its fields, and
    the name and doc of its typed view."""

    view: str
    doc: str
    fields: tuple[Field, ...]


def object_schema(fields: tuple[Field, ...], *, closed: bool, typed: bool = True, doc: str = "") -> dict[str, Any]:
    """The JSON Schema of an object with ``fields`` (``closed``: no other keys)."""
    out: dict[str, Any] = {}
    if typed:
        out["type"] = "object"
    if doc:
        out["description"] = doc
    out["required"] = [f.name for f in fields if f.required]
    if closed:
        out["additionalProperties"] = False
    out["properties"] = {f.name: f.json_schema() for f in fields}
    return out


def raws(table: str) -> tuple[Raw, ...]:
    """Raw fields from a table, one a line: name, flags (``units``, ``bare``, joined by ``,``; ``-``
    for none), doc (the rest of the line)."""
    out = []
    for line in table.strip().splitlines():
        name, flags, doc = line.split(None, 2)
        given = set(flags.split(",")) - {"-"}
        if given - {"units", "bare"}:
            raise ValueError(f"raw field {name}: unknown flags {sorted(given - {'units', 'bare'})}")
        out.append(Raw(name, doc.strip(), "units" in given, "bare" in given))
    return tuple(out)


@dataclass(frozen=True)
class FieldGroup:
    """Public fields several kinds share, published once in the schema (``timeout_fields``)."""

    name: str
    fields: tuple[Field, ...]


@dataclass
class LinkContext:
    """What a finalizer may consult at link time about the fact's service."""

    book: AddressBook
    service: str | None
    modules: dict[str, dict[str, Any]] | None = None  # the service's module exports (settings lookups)


Finalizer = Callable[[dict[str, Any], "Rule", LinkContext], dict[str, Any]]


class KindView:
    """Base of the typed views: a frozen dataclass whose attributes are a kind's public fields.

    ``from_fields`` reads a fact's ``fields``; an absent key takes the attribute's default.
    ``KEYS`` maps an attribute to its JSON name when they differ (a JSON name that is a keyword);
    ``NESTED`` builds an attribute from a mapping (``target``) or from each item of a list.
    """

    KEYS: ClassVar[dict[str, str]] = {}
    NESTED: ClassVar[dict[str, Callable[[Any], Any]]] = {}
    # Declared only (every subclass is a dataclass, which sets it): dataclasses.fields() takes the class.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @classmethod
    def of(cls, v: Any) -> Self:
        """The view of a nested object (a call's ``target``); an empty one when ``v`` is not a mapping."""
        return cls.from_fields(v) if isinstance(v, dict) else cls()

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Self:
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = cls.KEYS.get(f.name, f.name)
            if key not in fields:
                continue
            v = fields[key]
            if v is None and isinstance(f.default, tuple):  # a list field written as null reads as empty
                continue
            build = cls.NESTED.get(f.name)
            if build is not None:
                v = tuple(build(x) for x in v) if isinstance(v, list) else build(v)
            elif isinstance(v, list):
                v = tuple(v)
            values[f.name] = v
        return cls(**values)


@dataclass(frozen=True)
class Kind:
    """One fact kind: its public fields (and shared groups), the raw fields rules set, how raw
    becomes public, and what a fact of the kind is, in a sentence (``doc``).

    Its typed view (``view``, a frozen dataclass named after the kind: ``http_call`` → ``HttpCall``)
    is generated from the fields into ``views.py``; ``contracts rules docs`` writes it.
    """

    name: str
    fields: tuple[Field, ...]
    raw: tuple[Raw, ...]
    finalize: Finalizer
    doc: str
    groups: tuple[FieldGroup, ...] = ()
    rule_page: tuple[str, ...] = ()  # fields listed under "Extracted fields" on each rule page of the kind
    extra_raw: str = ""  # a finalizer that passes other raw names through says so here (docs)

    @property
    def view_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def view(self) -> type[KindView]:
        """The generated typed view (a kind added since ``views.py`` was last generated has none)."""
        from .views import VIEWS

        return VIEWS[self.name]

    def all_fields(self) -> tuple[Field, ...]:
        return self.fields + tuple(f for g in self.groups for f in g.fields)

    def raw_names(self) -> frozenset[str]:
        """The names a rule's ``fields:`` may use for this kind (``_``-prefixed ones are internal)."""
        return frozenset(n for r in self.raw for n in r.names())

    def check_view(self) -> None:
        """The view's attributes are the kind's public fields (a test calls this for every kind)."""
        names = {self.view.KEYS.get(f.name, f.name) for f in dataclasses.fields(self.view)}
        public = {f.name for f in self.all_fields()}
        if names != public:
            raise AssertionError(f"{self.name}: view {sorted(names ^ public)} differ from the fields")
        if set(self.rule_page) - public:
            raise AssertionError(f"{self.name}: rule_page names unknown fields {sorted(set(self.rule_page) - public)}")
