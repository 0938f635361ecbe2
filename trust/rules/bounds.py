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
- ``matches()`` only as ``text.matches("literal")``, and the patterns of a condition at
  most ``MAX_REGEX_SIZE`` units together as ``trust/rules/regex_size.py`` estimates them
  (the engine compiles a pattern on every call, so its size is paid per event; a pattern
  read from the event would let any sender choose it).

The limits are fixed, not settings: raising one would bring the crash back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trust.rules.regex_size import UNICODE_CLASS_UNITS, regex_size

MAX_CHARS = 2_000
MAX_TOKENS = 500
MAX_NESTING = 16
MAX_COMPREHENSION_NESTING = 2
# About 4 ms per event at most (\w{20} measured); ordinary patterns are 1-400 units.
MAX_REGEX_SIZE = 1_000

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
    """The characters of a string literal without prefix and quotes.

    Only a doubled backslash is unescaped (outside raw literals): that is how a regex
    escape such as ``\\d`` is written in CEL, and all the regex estimate needs.
    """
    prefix = len(token) - len(token.lstrip("rRbB"))
    body = token[prefix:]
    quote = 3 if body[:3] in ("'''", '"""') else 1
    text = body[quote:-quote]
    return text if "r" in token[:prefix].lower() else text.replace("\\\\", "\\")


def _pattern(found: list[Token], index: int) -> str | None:
    """The literal pattern of the ``matches`` at ``index``; None unless ``.matches("…")``."""
    preceded = index > 0 and found[index - 1].text == "."
    shape = [t.kind if t.kind != "op" else t.text for t in found[index + 1 : index + 4]]
    if not preceded or shape != ["(", "string", ")"]:
        return None
    return _literal_text(found[index + 2].text)


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
    deepest = deepest_comprehension = comprehensions = regex_units = 0
    for index, token in enumerate(found):
        text = token.text
        if token.kind == "op" and text in _OPENERS:
            is_macro = (
                text == "("
                and index >= 2
                and found[index - 1].text in COMPREHENSIONS
                and found[index - 2].text == "."
            )
            stack.append(is_macro)
            comprehensions += is_macro
            deepest = max(deepest, len(stack))
            deepest_comprehension = max(deepest_comprehension, comprehensions)
        elif token.kind == "op" and text in _CLOSERS and stack:
            comprehensions -= stack.pop()
        elif (
            token.kind == "name"
            and text == "matches"
            and index + 1 < len(found)
            and found[index + 1].text == "("
        ):
            pattern = _pattern(found, index)
            if pattern is None:
                problems.append(
                    "matches() needs a string literal pattern (hint: write "
                    'event.field.matches("pattern"); a pattern built from event data would '
                    "let a sender choose its cost)"
                )
            else:
                regex_units += regex_size(pattern)
    if regex_units > MAX_REGEX_SIZE:
        problems.append(
            f"regex size {regex_units:,} (limit {MAX_REGEX_SIZE:,}; each \\w \\d \\s or \\p "
            f"class counts {UNICODE_CLASS_UNITS}, and {{n}} repeats multiply) (hint: use ASCII "
            "classes like [0-9] or [A-Za-z], + or * instead of large counted repetitions, or "
            "compute the fact as a signal)"
        )
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
