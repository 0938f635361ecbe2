"""Which fields of an event are personal data, declared on the field itself.

A field is declared personal by annotating it, saying how staff see it:
``email: Annotated[Email, Personal("email")]`` (``PERSONAL`` alone: an opaque prefix).
Every event kind's personal paths are then found by walking its model, so a new kind or
field needs no list kept elsewhere: the store seals these fields at rest
(``trust.store.sealed``), staff screens mask them (``trust.staff.masking``), and ``trust
schema`` marks them ``"x-personal-data": true``. Free text is personal too: people paste
e-mail addresses and phone numbers into it.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

Path = tuple[str, ...]
# How staff see a personal value ("name": in clear, they compare names with documents).
Mask = Literal["email", "phone", "document", "birth_date", "ip", "opaque", "text", "name"]


class Personal:
    """Marks a field whose value identifies a person (kept sealed at rest, masked for staff)."""

    def __init__(self, mask: Mask = "opaque") -> None:
        self.mask = mask

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        json_schema = handler(schema)
        if isinstance(json_schema, dict):
            json_schema["x-personal-data"] = True
        return json_schema

    def __repr__(self) -> str:
        return f"Personal({self.mask!r})"


PERSONAL = Personal()


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


def _marker(field: Any) -> Personal | None:
    return next((item for item in field.metadata if isinstance(item, Personal)), None)


@cache
def personal_fields(model: type[BaseModel]) -> tuple[tuple[Path, Personal], ...]:
    """Every path from ``model`` to a personal field, with its declaration.

    A list of models holding personal fields counts as one personal (opaque) field.
    """
    found: dict[Path, Personal] = {}
    for name, field in model.model_fields.items():
        marker = _marker(field)
        if marker is not None:
            found[(name,)] = marker
            continue
        for inner, in_list in _models_in(field.annotation):
            below = personal_fields(inner)
            if below and in_list:
                found[(name,)] = PERSONAL
                break
            found.update(((name, *path), inner_marker) for path, inner_marker in below)
    return tuple(found.items())


def personal_paths(model: type[BaseModel]) -> tuple[Path, ...]:
    """Every path from ``model`` to a personal field."""
    return tuple(path for path, _ in personal_fields(model))
