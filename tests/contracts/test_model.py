"""The contract model's tables agree with its classes."""

from __future__ import annotations

import dataclasses
import typing

from extractor.contracts import model


def _entry_sections() -> list[str]:
    """The ``ServiceContract`` fields holding ``Entry`` objects, in field order."""
    hints = typing.get_type_hints(model.ServiceContract)
    out = []
    for f in dataclasses.fields(model.ServiceContract):
        hint = hints[f.name]
        if typing.get_origin(hint) is not tuple:
            continue
        element = typing.get_args(hint)[0]
        kinds = typing.get_args(element) or (element,)
        if all(isinstance(k, type) and issubclass(k, model.Entry) for k in kinds):
            out.append(f.name)
    return out


def test_entry_sections_are_the_contract_fields_holding_entries():
    assert list(model.ENTRY_SECTIONS) == _entry_sections()
