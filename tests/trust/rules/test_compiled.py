"""The compiled subset: what it translates, what it leaves to CEL, and when it defers."""

from __future__ import annotations

from typing import Any

import pytest

from trust.rules.compiled import (
    MISSING,
    Input,
    Unsupported,
    compile_condition,
    irregular_slots,
    lookup_path,
    row_builder,
)


@pytest.mark.parametrize(
    "source",
    [
        "size(signals.a) > 1",  # CEL counts bytes, Python characters
        'signals.a.matches("^x")',  # RE2 is not Python's re
        "has(event.x)",
        "signals.a % 2 == 1",
        r'signals.a == "tab\t"',
        '"""x""" == signals.a',
        "signals.a > 1u",
        "signals.a > 0x10",
        "signals.a > 9223372036854775807",
        "signals.a in signals.b",
        "[signals.a] == [1]",
        "{'a': 1}.a == 1",
        "other > 1",
        "signals.a.b == 1",
        "event.list.all(x, x > 1)",
        "signals.a // a comment",
    ],
)
def test_what_the_subset_does_not_cover_is_left_to_cel(source: str) -> None:
    with pytest.raises(Unsupported):
        compile_condition(source, {})


def _run(source: str, *rows: tuple[Any, ...]) -> tuple[list[int], list[int]]:
    slots: dict[Input, int] = {}
    compiled = compile_condition(source, slots)
    hits: list[int] = []
    deferred: list[int] = []
    compiled.column(list(rows), range(len(rows)), hits, deferred)
    return hits, deferred


def test_a_column_reports_hits_and_defers_what_cel_must_decide() -> None:
    # signals.a > 1.5: ints and doubles compare; null, text and booleans are CEL's errors.
    assert _run("signals.a > 1.5", (2,), (1.0,), (None,), ("x",), (True,)) == ([0], [2, 3, 4])
    # == never fails on plain scalars, and true is not 1.
    assert _run("signals.a == 1", (1.0,), (True,), ("1",), (None,)) == ([0], [])
    # A non-boolean operand of && goes to CEL, which may still absorb it.
    assert _run("signals.a && signals.b", (True, True), (False, 1), (1, False)) == ([0], [2])
    # Mixed int/double arithmetic does not exist in CEL.
    assert _run("signals.a * 2.0 > 3.0", (2.0,), (2,)) == ([0], [1])
    assert _run('signals.a in ["x", "y"]', ("y",), (1,), (None,)) == ([0], [])
    assert _run("signals.a in [1, 2]", (2.0,), (True,)) == ([0], [])


def test_slots_are_shared_by_the_rules_of_a_kind_and_rows_follow_them() -> None:
    slots: dict[Input, int] = {}
    first = compile_condition("signals.a > 1 && event.y.z == 2", slots)
    second = compile_condition('signals.b == "x" || signals.a < 0', slots)
    assert slots == {("signal", "a"): 0, ("event", "y.z"): 1, ("signal", "b"): 2}
    assert (first.slots, second.slots) == (frozenset({0, 1}), frozenset({0, 2}))

    row = row_builder(slots)({"a": 3}, {"y": {"z": 2}})
    assert row == (3, 2, None)  # a missing signal reads as null
    assert row_builder(slots)({}, {"y": 5})[1] is MISSING


def test_a_failed_compilation_takes_no_slot() -> None:
    slots: dict[Input, int] = {}
    with pytest.raises(Unsupported):
        compile_condition("signals.a > 1 && size(signals.b) > 2", slots)
    assert slots == {}


def test_only_plain_scalars_are_regular() -> None:
    assert irregular_slots((None, True, "x", 2**53, 1.5)) is None
    irregular = (2**53 + 1, float("nan"), float("inf"), [1], MISSING, b"x")
    assert irregular_slots(irregular) == frozenset(range(6))
    assert lookup_path({"a": {"b": 1}}, ("a", "b")) == 1
    assert lookup_path({"a": None}, ("a", "b")) is MISSING
