"""Size limits a condition must meet before the CEL compiler ever sees it.

The CEL package parses and evaluates recursively in native code: a condition of 15,000
chained terms compiles and then overflows the stack of the first event it runs on (the
process dies with SIGSEGV, no exception), and at 100,000 terms the compiler itself does.
Nested comprehensions and large regexes cost time per event instead. So every condition
is measured first, by one linear pass over its tokens with an explicit bracket stack (no
recursion, no CEL), and refused past these limits:

- ``MAX_CHARS`` characters and ``MAX_TOKENS`` tokens: a token bounds the depth of the
  expression tree, so a condition within the limit cannot overflow any stack (the native
  engine handles chains of 2,000 terms in a worker thread; the limit keeps a wide margin);
- ``MAX_NESTING`` levels of brackets ``( [ {``;
- ``MAX_COMPREHENSION_NESTING`` comprehension macros (``all exists exists_one map
  filter``) inside one another: each level multiplies the work by a list's length;
- ``matches()`` only as ``text.matches("literal")``, the pattern at most
  ``MAX_REGEX_CHARS`` characters and its counted repetitions (``{n}``, ``{n,m}``), multiplied
  through their nesting, at most ``MAX_REGEX_REPEAT`` (the engine compiles the pattern on
  every call; a pattern read from the event would let any sender choose its cost).

The limits are fixed, not settings: raising one would bring the crash back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 2_000
MAX_TOKENS = 500
MAX_NESTING = 16
MAX_COMPREHENSION_NESTING = 2
MAX_REGEX_CHARS = 200
MAX_REGEX_REPEAT = 100

COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = frozenset(_OPENERS.values())
_QUOTED = r"(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\")"
_TOKEN = re.compile(
    rf"(?P<space>\s+)"
    rf"|(?P<string>(?:[rR][bB]?|[bB][rR]?)?{_QUOTED})"
    r"|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<number>0[xX][0-9a-fA-F]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?|\.\d+)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|\S)"
)
_REPEAT = re.compile(r"\{\s*(\d+)\s*(?:,\s*(\d*)\s*)?\}")


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token of a condition: its kind (space excluded) and text."""

    kind: str
    text: str


def tokens(source: str) -> list[Token]:
    """The tokens of ``source`` (callers bound its length first: this is linear after that)."""
    return [
        Token(str(m.lastgroup), m.group())
        for m in _TOKEN.finditer(source)
        if m.lastgroup != "space"
    ]


def _literal_text(token: str) -> str:
    """The characters of a string literal without prefix and quotes (escapes kept)."""
    body = token.lstrip("rRbB")
    quote = 3 if body[:3] in ("'''", '"""') else 1
    return body[quote:-quote]


def regex_problems(pattern: str) -> list[str]:
    """Why a ``matches()`` pattern is too costly, or nothing (one pass with a group stack)."""
    if len(pattern) > MAX_REGEX_CHARS:
        return [
            f"regex of {len(pattern):,} characters (limit {MAX_REGEX_CHARS}) "
            "(hint: match a shorter pattern, or compute the fact as a signal)"
        ]
    # One frame per open group: the largest repetition product seen inside it. A counted
    # repetition after ")" multiplies the whole group, so nesting multiplies.
    frames = [1]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            frames.append(1)
        elif char == ")" and len(frames) > 1:
            inner = frames.pop()
            repeat = _REPEAT.match(pattern, index + 1)
            if repeat is not None:
                inner *= _bound(repeat)
            frames[-1] = max(frames[-1], inner)
        elif char == "{" and pattern[index - 1 : index] != ")":
            repeat = _REPEAT.match(pattern, index)
            if repeat is not None:
                frames[-1] = max(frames[-1], _bound(repeat))
        index += 1
    worst = max(frames)
    if worst > MAX_REGEX_REPEAT:
        return [
            f"regex repeats up to {worst:,} times (limit {MAX_REGEX_REPEAT}) "
            "(hint: use + or * instead of large counted repetitions like {1000})"
        ]
    return []


def _bound(repeat: re.Match[str]) -> int:
    low, high = repeat.group(1), repeat.group(2)
    return max(int(low), int(high)) if high else int(low)


def _matches_problems(found: list[Token], index: int) -> list[str]:
    """``matches`` at ``index`` must be ``.matches(<string literal>)``."""
    preceded = index > 0 and found[index - 1].text == "."
    shape = [t.kind if t.kind != "op" else t.text for t in found[index + 1 : index + 4]]
    if not preceded or shape != ["(", "string", ")"]:
        return [
            "matches() needs a string literal pattern "
            '(hint: write event.field.matches("pattern"); a pattern built from event '
            "data would let a sender choose its cost)"
        ]
    return regex_problems(_literal_text(found[index + 2].text))


def bound_problems(source: str) -> list[str]:
    """Every limit ``source`` exceeds, as ``problem (hint)``; empty when it may be compiled."""
    if len(source) > MAX_CHARS:
        return [
            f"condition of {len(source):,} characters (limit {MAX_CHARS:,}) "
            "(hint: split it into several rules, or compute the fact as a signal)"
        ]
    found = tokens(source)
    if len(found) > MAX_TOKENS:
        return [
            f"condition of {len(found):,} tokens (limit {MAX_TOKENS}) "
            "(hint: split it into several rules, or compute the fact as a signal)"
        ]
    problems: list[str] = []
    # The open brackets; True marks the "(" of a comprehension macro.
    stack: list[bool] = []
    deepest = deepest_comprehension = comprehensions = 0
    for index, token in enumerate(found):
        text = token.text
        if token.kind == "op" and text in _OPENERS:
            is_macro = (
                text == "(" and index >= 2 and found[index - 1].text in COMPREHENSIONS
                and found[index - 2].text == "."
            )
            stack.append(is_macro)
            comprehensions += is_macro
            deepest = max(deepest, len(stack))
            deepest_comprehension = max(deepest_comprehension, comprehensions)
        elif token.kind == "op" and text in _CLOSERS and stack:
            comprehensions -= stack.pop()
        elif token.kind == "name" and text == "matches":
            problems.extend(_matches_problems(found, index))
    if deepest > MAX_NESTING:
        problems.append(
            f"brackets nested {deepest} deep (limit {MAX_NESTING}) "
            "(hint: write a && b && c rather than nesting parentheses)"
        )
    if deepest_comprehension > MAX_COMPREHENSION_NESTING:
        problems.append(
            f"comprehensions (all, exists, exists_one, map, filter) nested "
            f"{deepest_comprehension} deep (limit {MAX_COMPREHENSION_NESTING}) "
            "(hint: each level multiplies the work per event; compute it as a signal)"
        )
    return problems
