"""A rule condition cannot read files, run code or loop without bound."""

from __future__ import annotations

import time
from pathlib import Path

import cel
import pytest

from tests.trust.rules.conftest import valid_rule, write_pack
from trust.errors import RulePackError
from trust.rules.pack import load_pack


@pytest.mark.parametrize(
    "when",
    [
        'open("/etc/passwd") == ""',
        'read_file("/etc/passwd") == ""',
        'exec("import os") == null',
        'system("rm -rf /") == 0',
        '__import__("os") == null',
        'eval("1") == 1',
        'http_get("http://example.com") == ""',
        "lists.range(1000000).size() > 0",
    ],
)
def test_functions_that_could_reach_outside_are_refused_at_load(tmp_path: Path, when: str) -> None:
    with pytest.raises(RulePackError):
        load_pack(write_pack(tmp_path, [valid_rule(when=when)]))


@pytest.mark.parametrize(
    "source",
    [
        "def f(x): return f(x)",
        "while true { }",
        "for x in [1]: x",
        "import os",
        "lambda x: x",
    ],
)
def test_cel_has_no_syntax_for_definitions_loops_or_imports(source: str) -> None:
    with pytest.raises(ValueError):
        cel.compile(source)


def test_the_runtime_offers_no_file_or_process_functions() -> None:
    for name in ("open", "read", "file", "exec", "system", "eval", "subprocess", "getenv"):
        with pytest.raises(RuntimeError, match="Undefined"):
            cel.evaluate(f'{name}("x")')
    # 'import' and friends are reserved words: they do not even parse.
    with pytest.raises(ValueError, match="reserved"):
        cel.compile('import("os")')


def test_comprehensions_are_bounded_by_the_size_of_their_input() -> None:
    # Nested macros are the only iteration CEL has; work grows with the input, never beyond.
    program = cel.compile("items.all(a, items.all(b, a + b >= 0))")
    started = time.perf_counter()
    assert program.execute({"items": list(range(300))}) is True
    assert time.perf_counter() - started < 30  # 90,000 steps, not an unbounded loop


def test_a_macro_cannot_grow_the_list_it_iterates() -> None:
    # map() returns a new list; the iteration ran exactly once per input element.
    assert cel.evaluate("[1, 2, 3].map(x, x * 2)") == [2, 4, 6]
    assert cel.evaluate("size([1, 2, 3].filter(x, x > 1))") == 2


def test_rules_may_use_the_safe_standard_functions(tmp_path: Path) -> None:
    when = 'event.text.contains("refund") || size(event.text) > 5000 || event.text.matches("^x")'
    pack = load_pack(write_pack(tmp_path, [valid_rule(when=when)]))
    assert pack.rules[0].id == "rv_test_reciprocal_v1"
