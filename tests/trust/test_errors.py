"""The error tree: drawn in ``trust.errors``' docstring as it is, each class saying when."""

from __future__ import annotations

import inspect
import re

import trust.errors as errors
from trust.errors import TrustError


def _error_classes() -> dict[str, type[TrustError]]:
    return {
        name: cls
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, TrustError) and cls.__module__ == errors.__name__
    }


def test_the_drawn_tree_names_every_error_under_its_parent() -> None:
    # Each level of the drawing is four characters wide ('│   ', '├── ', '└── ').
    drawn = re.findall(r"^([ │├└─]*)(\w+Error)$", errors.__doc__ or "", re.M)
    depth_of = {name: len(prefix) // 4 for prefix, name in drawn}
    parents: dict[str, str] = {}
    stack: list[str] = []
    base = min(depth_of.values())
    for _, name in drawn:
        depth = depth_of[name] - base
        del stack[depth:]
        if stack:
            parents[name] = stack[-1]
        stack.append(name)
    classes = _error_classes()
    assert set(depth_of) == set(classes)
    for name, parent in parents.items():
        assert classes[name].__bases__[0].__name__ == parent, name


def test_every_error_says_when_it_is_raised() -> None:
    for name, cls in _error_classes().items():
        assert (cls.__doc__ or "").startswith("Raised "), name
