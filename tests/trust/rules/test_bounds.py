"""Conditions are measured before the CEL compiler sees them: hostile ones are refused."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import cel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.trust.rules.conftest import RULES_DIR, valid_rule, write_pack
from trust.errors import RulePackError
from trust.rules.bounds import (
    MAX_CHARS,
    MAX_COMPREHENSION_NESTING,
    MAX_NESTING,
    MAX_TOKENS,
    bound_problems,
    tokens,
)
from trust.rules.pack import load_pack
from trust.rules.regex_size import regex_size

LIST = "[" + ", ".join(str(i) for i in range(20)) + "]"


def _nested_comprehensions(depth: int) -> str:
    inner = "true"
    for level in range(depth):
        inner = f"{LIST}.all(x{level}, {inner})"
    return inner


# name -> (condition, what the refusal says)
HOSTILE = {
    "15,000 chained terms (crashed the engine)": (
        "event.rating == 1 && (" + " + ".join(["1"] * 15_000) + " > 0)",
        "characters",
    ),
    "100,000 chained terms (crashed the validator)": (
        "event.rating == 1 && (" + "+".join(["1"] * 100_000) + " > 0)",
        "characters",
    ),
    "wide but short": ("+".join(["1"] * 600) + " > 0", "tokens"),
    "deep parentheses": ("(" * 40 + "true" + ")" * 40, "nested 40 deep"),
    "deep lists": ("size(" + "[" * 30 + "1" + "]" * 30 + ") > 0", "nested"),
    "nested comprehensions": (_nested_comprehensions(3), "comprehensions"),
    "huge regex": ('event.text.matches("' + "a" * 5_000 + '")', "characters"),
    "long regex": ('event.text.matches("' + "ab" * 600 + '")', "regex size 1,200"),
    "regex repetition": ('event.text.matches("(a{100}){100}")', "regex size 10,000"),
    "unicode classes repeated": ('event.text.matches("\\\\w{100}")', "regex size 5,000"),
    "many regexes": (" || ".join(['event.text.matches("\\\\d{5}")'] * 5), "regex size 1,250"),
    "regex from the event": ("event.text.matches(event.contract_id)", "string literal"),
    "regex as a function": ('matches(event.text, "a")', "string literal"),
    "long string literal": ('event.text == "' + "x" * 3_000 + '"', "characters"),
}


@pytest.mark.parametrize("when", [v[0] for v in HOSTILE.values()], ids=list(HOSTILE))
def test_hostile_conditions_are_refused_before_compiling(when: str) -> None:
    problems = bound_problems(when)
    assert problems, "accepted"
    assert all("(hint:" in p for p in problems)


@pytest.mark.parametrize(("when", "says"), list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_pack_with_a_hostile_rule_is_refused_with_file_rule_and_hint(
    tmp_path: Path, when: str, says: str
) -> None:
    with pytest.raises(RulePackError) as refused:
        load_pack(write_pack(tmp_path, [valid_rule(when=when)]))
    (problem,) = refused.value.problems
    assert problem.startswith("review/test.yaml: rv_test_reciprocal_v1: ")
    assert says in problem and "(hint:" in problem


@pytest.mark.parametrize(
    "when",
    [
        "signals.reciprocal_review && event.rating == 5",
        'event.text.matches("^[A-Z][a-z]+ [0-9]{2,4}$")',
        'event.text.matches(r"\\d{3}-\\d{4}")',
        _nested_comprehensions(MAX_COMPREHENSION_NESTING),
        "(" * MAX_NESTING + "true" + ")" * MAX_NESTING,
        'event.text.contains("(((( [[[[ all(") || event.text == "matches("',
        "[1, 2].map(x, x * 2).all(y, y > 0) && [1].exists(z, z == 1)",
        "event.matches > 3 && event.all == 1",  # fields named like functions
    ],
)
def test_ordinary_conditions_are_within_the_limits(when: str) -> None:
    assert bound_problems(when) == []


def test_every_rule_of_the_starter_pack_is_within_the_limits() -> None:
    pack = load_pack(RULES_DIR)
    assert [r.id for r in pack.rules if bound_problems(r.spec.when)] == []


def test_brackets_and_names_inside_string_literals_are_not_counted() -> None:
    assert [t.kind for t in tokens('event.text == "(( all( matches("')] == [
        "name",
        "op",
        "name",
        "op",
        "string",
    ]


@pytest.mark.parametrize(
    ("pattern", "size"),
    [
        ("^x", 1),
        (r"\d{3}-\d{4}", 351),
        (r"\w+@\w+\.com", 105),
        (r"\w{100}", 5_000),
        (r"[\w]{30}", 1_500),
        (r"\p{Greek}{3}", 150),
        ("(a{10}){10}", 100),
        ("((a{10}){10}){10}", 1_000),
        (r"a\{1000}", 7),  # an escaped brace is a literal
        ("(ab)+[0-9]*", 3),
        ("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}", 6),
    ],
)
def test_regex_size_counts_unicode_classes_and_multiplies_repetitions(
    pattern: str, size: int
) -> None:
    assert regex_size(pattern) == size


def test_a_pattern_is_measured_as_the_regex_engine_reads_it() -> None:
    # In a CEL string a regex escape is written with two backslashes; raw strings with one.
    assert bound_problems('event.text.matches("\\\\w{30}")')
    assert bound_problems('event.text.matches(r"\\w{30}")')
    assert not bound_problems('event.text.matches("\\\\\\\\w{30}")')  # a literal backslash


def _run_in_a_thread(when: str) -> object:
    """Compile and run in a worker-like thread (smaller stack than the main thread's)."""
    found: list[object] = []
    thread = threading.Thread(
        target=lambda: found.append(cel.compile(when).execute(cel.Context({"event": {}})))
    )
    thread.start()
    thread.join()
    return found[0]


SHAPES: dict[str, Callable[[int], str]] = {
    "sum": lambda n: "+".join(["1"] * n) + " > 0",
    "or": lambda n: " || ".join(["false"] * n),
    "not": lambda n: "!" * n + "true",
    "negate": lambda n: "-" * n + "1 != 0",
}


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_the_largest_condition_allowed_runs_without_crashing(
    shape: Callable[[int], str],
) -> None:
    largest = next(shape(n) for n in range(MAX_TOKENS, 0, -1) if not bound_problems(shape(n)))
    assert len(tokens(largest)) > MAX_TOKENS // 2
    assert isinstance(_run_in_a_thread(largest), bool)


PIECES = [*"()[]{}.,'\"\\ ax1+!?:", "all", "matches", "'''", ".matches(", "{1000}", "r'"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=MAX_CHARS // 3).map("".join) | st.text())
def test_measuring_never_fails_on_any_text(source: str) -> None:
    problems = bound_problems(source)
    assert all(isinstance(p, str) and "(hint:" in p for p in problems)
