"""Which fields of an event are personal data, declared on the field itself.

A field is declared personal by annotating it: ``email: Annotated[EmailStr, PERSONAL]``.
Every event kind's personal paths are then found by walking its model, so a new kind or
field needs no list kept elsewhere: the store seals these fields at rest
(``trust.store.sealed``), and ``trust schema`` marks them ``"x-personal-data": true``.
Free text is personal too: people paste e-mail addresses and phone numbers into it.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

Path = tuple[str, ...]


class PersonalData:
    """Marks a field whose value identifies a person (kept sealed at rest, masked for staff)."""

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        json_schema = handler(schema)
        if isinstance(json_schema, dict):
            json_schema["x-personal-data"] = True
        return json_schema

    def __repr__(self) -> str:
        return "PERSONAL"


PERSONAL = PersonalData()


def _models_in(annotation: Any) -> Iterator[tuple[type[BaseModel], bool]]:
    """The models a field's type holds, each with whether it sits inside a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _models_in(arg)
    elif origin in (list, tuple, set, frozenset):
        for arg in get_args(annotation):
            for model, _ in _models_in(arg):
                yield model, True


def _is_personal(field: Any) -> bool:
    return any(isinstance(item, PersonalData) for item in field.metadata)


@cache
def personal_paths(model: type[BaseModel]) -> tuple[Path, ...]:
    """Every path from ``model`` to a personal field; a list of models holding any is whole."""
    found: list[Path] = []
    for name, field in model.model_fields.items():
        if _is_personal(field):
            found.append((name,))
            continue
        for inner, in_list in _models_in(field.annotation):
            below = personal_paths(inner)
            if below and in_list:
                found.append((name,))
                break
            found.extend((name, *path) for path in below)
    return tuple(dict.fromkeys(found))
