"""Static checks of a CEL condition: which names it reads and which functions it calls."""

from __future__ import annotations

import re
from dataclasses import dataclass

import cel

# Everything CEL's core library offers that is safe and side-effect free. Anything else is
# refused at load: there is no function that reads files, runs code or reaches the network.
ALLOWED_FUNCTIONS = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "has",
        "dyn",
        "type",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "timestamp",
        "duration",
        "getFullYear",
        "getMonth",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "max",
        "min",
    }
)
ROOTS = ("event", "signals")
_STRING = re.compile(r"'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", re.S)
_PATH = re.compile(r"(?<![\w.])(event|signals)((?:\s*\.\s*[A-Za-z_]\w*)+)(\s*\()?")
_INDEXED_SIGNAL = re.compile(r"(?<![\w.])signals\s*\[\s*(['\"])([^'\"]+)\1\s*\]")
_BOUND = re.compile(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


@dataclass(frozen=True, slots=True)
class References:
    """The names an expression reads: event field paths, signal names, other variables."""

    event_paths: frozenset[str]
    signals: frozenset[str]
    unknown_variables: frozenset[str]
    unknown_functions: frozenset[str]

    @property
    def event_roots(self) -> frozenset[str]:
        """Top-level event fields read (what the event view must contain)."""
        return frozenset(p.split(".", 1)[0] for p in self.event_paths)


def analyse(source: str, program: cel.Program) -> References:
    """What ``source`` (compiled to ``program``) reads and calls."""
    # String literals may contain text like "event.x"; blank them before scanning.
    code = _STRING.sub('""', source)
    event_paths: set[str] = set()
    signals: set[str] = set()
    for root, tail, call in _PATH.findall(code):
        parts = [p.strip() for p in tail.split(".") if p.strip()]
        if call:
            parts = parts[:-1]  # the last segment is a method: event.text.contains(...)
        if not parts:
            continue
        if root == "event":
            event_paths.add(".".join(parts))
        else:
            signals.add(parts[0])
    signals.update(name for _, name in _INDEXED_SIGNAL.findall(source))
    bound = set(_BOUND.findall(code))
    variables = set(program.variables()) - set(ROOTS) - bound
    functions = {
        f
        for f in program.functions()
        if not (f.startswith(("_", "@", "!")) or f in ALLOWED_FUNCTIONS)
    }
    return References(
        frozenset(event_paths), frozenset(signals), frozenset(variables), frozenset(functions)
    )


SIGNAL_PREFIX = "s__"
_SIGNAL_REF = re.compile(
    r"(?<![\w.])signals\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*(['\"])([^'\"]+)\2\s*\])"
)


def flatten_signals(source: str) -> str:
    """``signals.x`` and ``signals["x"]`` rewritten as top-level variables ``s__x``.

    The CEL package converts a nested map of 20 values about four times slower than 20
    top-level variables, and the signal map is rebuilt for every event. Text inside string
    literals is left untouched.
    """
    literals = [m.span() for m in _STRING.finditer(source)]

    def replace(match: re.Match[str]) -> str:
        if any(start <= match.start() < end for start, end in literals):
            return match.group(0)
        return SIGNAL_PREFIX + (match.group(1) or match.group(3))

    return _SIGNAL_REF.sub(replace, source)
