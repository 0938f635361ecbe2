"""A compiled fast path for simple conditions, evaluated a column (one rule, many events) at a time.

Most conditions compare a signal or event field with a literal, test membership in a literal
list and combine such tests with ``&&``, ``||``, ``!`` and ``? :``. Building a CEL context
per event costs more than evaluating them, so such conditions are translated once, at engine
start, into a Python function over a batch of rows. CEL stays the reference for everything
else:

- a condition using anything outside the subset (macros, ``matches``, ``size``, ``has``,
  timestamps, maps, escaped strings, ``%``, ...) is not compiled at all: CEL runs it;
- a row value outside the plain scalars (None, bool, str, an int within ±2^53, a finite
  float), or an event path missing from the view, sends that event to CEL for the rules
  that read it;
- at run time, whatever CEL would refuse or might compute differently (mixed types in an
  ordering or arithmetic, a non-boolean operand of ``&&``, integer division, overflow past
  ±2^53, a non-finite result) stops the compiled code for that event and rule, and CEL
  evaluates it: errors and their messages therefore always come from CEL.

So on every input the compiled path either agrees with CEL or defers to it; the tests run
both over generated conditions and inputs (nulls, wrong types, missing fields) and compare.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Input = ("signal", name) or ("event", "a.b"): a value a condition reads, one per row slot.
Input = tuple[str, str]
Row = tuple[Any, ...]
# (rows, event indexes, hits out, deferred out): appends the index of each event that hits,
# and of each the compiled code cannot decide (CEL decides those).
Column = Callable[[Sequence[Row], Sequence[int], list[int], list[int]], None]

# Integers are exact in a double up to here, so comparing them with doubles is exact too.
EXACT_INT = 2**53
MISSING = object()  # an event path absent from the view


class Unsupported(Exception):
    """The condition uses something the compiled subset does not cover: CEL runs it."""


class Deferred(Exception):
    """At run time: CEL decides this event for this rule."""


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """A condition as a column function, and the row slots it reads."""

    source: str
    inputs: tuple[Input, ...]
    slots: frozenset[int]
    column: Column


def is_plain(value: Any) -> bool:
    """A value the compiled code handles exactly as CEL does."""
    kind = type(value)
    if value is None or kind is str or kind is bool:
        return True
    if kind is int:
        return -EXACT_INT <= value <= EXACT_INT
    if kind is float:
        return math.isfinite(value)
    return False


def irregular_slots(row: Row) -> frozenset[int] | None:
    """The slots of ``row`` holding values that are not plain (None when all are)."""
    # is_plain inlined: this runs on every value of every event.
    for value in row:
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is float:
            if value - value == 0.0:  # finite
                continue
        elif kind is int and -EXACT_INT <= value <= EXACT_INT:
            continue
        return frozenset(i for i, value in enumerate(row) if not is_plain(value))
    return None


def lookup_path(view: Any, path: tuple[str, ...]) -> Any:
    """``view[a][b]...``, or MISSING when a step is not a mapping holding the key."""
    value = view
    for part in path:
        if type(value) is not dict or part not in value:
            return MISSING
        value = value[part]
    return value


# ----------------------------------------------------------------------------- parsing

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<float>\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)
    | (?P<int>\d+)(?![\w.])
    | (?P<str>"[^"\\\n]*"|'[^'\\\n]*')
    | (?P<name>[A-Za-z_]\w*)
    | (?P<op>\|\||&&|==|!=|<=|>=|[<>!?:+\-*/.,()\[\]])
    )""",
    re.X,
)

_RESERVED = frozenset(
    {"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let"}
    | {"loop", "package", "namespace", "return", "var", "void", "while"}
)


def _tokens(source: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    end = len(source.rstrip())
    while pos < end:
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise Unsupported(f"token at {pos}")
        pos = match.end()
        kind = match.lastgroup
        text = match.group(kind or "op")
        if kind == "float":
            out.append(("lit", float(text)))
        elif kind == "int":
            if text.startswith("0") and text != "0":
                raise Unsupported("octal-looking literal")
            out.append(("lit", int(text)))
        elif kind == "str":
            if source.startswith(('"""', "'''"), match.start(kind)):
                raise Unsupported("triple-quoted string")
            out.append(("lit", text[1:-1]))
        elif kind == "name":
            if source[pos : pos + 1] in {'"', "'"}:
                raise Unsupported("string prefix")
            if text in {"true", "false", "null"}:
                out.append(("lit", {"true": True, "false": False, "null": None}[text]))
            elif text == "in":
                out.append(("op", "in"))
            elif text in _RESERVED:
                raise Unsupported(f"reserved word {text}")
            else:
                out.append(("name", text))
        else:
            out.append(("op", text))
    return out


class _Parser:
    """CEL's grammar, restricted to what the compiler translates; AST nodes are tuples."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.pos = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in ops:
            self.pos += 1
            return str(token[1])
        return None

    def expect(self, op: str) -> None:
        if self.take_op(op) is None:
            raise Unsupported(f"expected {op}")

    def parse(self) -> tuple[Any, ...]:
        node = self.expr()
        if self.peek() is not None:
            raise Unsupported("trailing input")
        return node

    def expr(self) -> tuple[Any, ...]:
        cond = self.binary(0)
        if self.take_op("?"):
            yes = self.binary(0)
            self.expect(":")
            return ("?", cond, yes, self.expr())
        return cond

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("<", "<=", ">", ">=", "==", "!=", "in"),
        ("+", "-"),
        ("*", "/"),
    )

    def binary(self, level: int) -> tuple[Any, ...]:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while op := self.take_op(*self._LEVELS[level]):
            node = (op, node, self.binary(level + 1))
        return node

    def unary(self) -> tuple[Any, ...]:
        if self.take_op("!"):
            return ("!", self.unary())
        if self.take_op("-"):
            operand = self.unary()
            if operand[0] == "lit" and type(operand[1]) in (int, float):
                return ("lit", -operand[1])
            return ("neg", operand)
        return self.member()

    def member(self) -> tuple[Any, ...]:
        node = self.primary()
        while True:
            if self.take_op("."):
                token = self.peek()
                if token is None or token[0] != "name":
                    raise Unsupported("member name")
                self.pos += 1
                if self.take_op("("):
                    args = self.arguments()
                    node = ("call", str(token[1]), node, *args)
                else:
                    node = ("select", node, str(token[1]))
            elif self.take_op("["):
                index = self.expr()
                self.expect("]")
                if index[0] != "lit" or type(index[1]) is not str:
                    raise Unsupported("computed index")
                node = ("select", node, index[1])
            else:
                return node

    def arguments(self) -> list[tuple[Any, ...]]:
        args: list[tuple[Any, ...]] = []
        if self.take_op(")"):
            return args
        while True:
            args.append(self.expr())
            if self.take_op(")"):
                return args
            self.expect(",")

    def primary(self) -> tuple[Any, ...]:
        token = self.peek()
        if token is None:
            raise Unsupported("unexpected end")
        self.pos += 1
        kind, value = token
        if kind == "lit":
            return ("lit", value)
        if kind == "name":
            if self.take_op("("):
                raise Unsupported(f"function {value}")
            return ("ident", value)
        if value == "(":
            node = self.expr()
            self.expect(")")
            return node
        if value == "[":
            items = [] if self.take_op("]") else self.arguments_until("]")
            if any(item[0] != "lit" for item in items):
                raise Unsupported("list of non-literals")
            return ("list", tuple(item[1] for item in items))
        raise Unsupported(f"token {value}")

    def arguments_until(self, close: str) -> list[tuple[Any, ...]]:
        items = [self.expr()]
        while not self.take_op(close):
            self.expect(",")
            if self.take_op(close):  # CEL allows a trailing comma
                break
            items.append(self.expr())
        return items


# ------------------------------------------------------------------ run-time helpers

_NUMBER = frozenset({int, float})


def _defer() -> Any:
    raise Deferred


def _truth(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise Deferred


def _order(a: Any, b: Any) -> None:
    ta, tb = type(a), type(b)
    if not ((ta in _NUMBER and tb in _NUMBER) or (ta is str and tb is str)):
        raise Deferred


def _lt(a: Any, b: Any) -> bool:
    _order(a, b)
    return bool(a < b)


def _le(a: Any, b: Any) -> bool:
    _order(a, b)
    return bool(a <= b)


def _gt(a: Any, b: Any) -> bool:
    _order(a, b)
    return bool(a > b)


def _ge(a: Any, b: Any) -> bool:
    _order(a, b)
    return bool(a >= b)


def _eq(a: Any, b: Any) -> bool:
    """CEL's equality of plain scalars: numbers across int and double, other types apart."""
    ta, tb = type(a), type(b)
    if ta is tb or (ta in _NUMBER and tb in _NUMBER):
        return bool(a == b)
    return False


def _in(value: Any, items: tuple[Any, ...]) -> bool:
    return any(_eq(value, item) for item in items)


def _number(result: Any) -> Any:
    kind = type(result)
    if kind is int and -EXACT_INT <= result <= EXACT_INT:
        return result
    if kind is float and math.isfinite(result):
        return result
    raise Deferred


def _same_number(a: Any, b: Any) -> None:
    ta = type(a)
    if ta is not type(b) or ta not in _NUMBER:
        raise Deferred  # CEL has no mixed int/double arithmetic


def _add(a: Any, b: Any) -> Any:
    if type(a) is str and type(b) is str:
        return a + b
    _same_number(a, b)
    return _number(a + b)


def _sub(a: Any, b: Any) -> Any:
    _same_number(a, b)
    return _number(a - b)


def _mul(a: Any, b: Any) -> Any:
    _same_number(a, b)
    return _number(a * b)


def _div(a: Any, b: Any) -> Any:
    if type(a) is not float or type(b) is not float or b == 0.0:
        raise Deferred  # integer division truncates in CEL; leave it (and x/0) to CEL
    return _number(a / b)


def _neg(a: Any) -> Any:
    if type(a) not in _NUMBER:
        raise Deferred
    return -a


def _text_method(name: str) -> Callable[[Any, Any], bool]:
    def method(a: Any, b: Any) -> bool:
        if type(a) is not str or type(b) is not str:
            raise Deferred
        return bool(getattr(a, name)(b))

    return method


_HELPERS: dict[str, Any] = {
    "_defer": _defer,
    "_truth": _truth,
    "_lt": _lt,
    "_le": _le,
    "_gt": _gt,
    "_ge": _ge,
    "_eq": _eq,
    "_in": _in,
    "_add": _add,
    "_sub": _sub,
    "_mul": _mul,
    "_div": _div,
    "_neg": _neg,
    "_NUMBER": _NUMBER,
    "_contains": _text_method("__contains__"),
    "_starts": _text_method("startswith"),
    "_ends": _text_method("endswith"),
}
_METHODS = {"contains": "_contains", "startsWith": "_starts", "endsWith": "_ends"}
_ORDERINGS = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_ARITHMETIC = {"+": "_add", "-": "_sub", "*": "_mul", "/": "_div"}


# ------------------------------------------------------------------- code generation


@dataclass(frozen=True, slots=True)
class _Code:
    """Python source of a node and what it yields when it does not defer.

    kind: "bool", "num" (int or double), "str", "null" or "any" (some plain scalar).
    simple: a local name or a literal, safe to evaluate twice.
    """

    text: str
    kind: str
    simple: bool = False
    # For an int known at compile time to stay within ±bound (literals and what is built
    # from them with ? : + - *): its arithmetic needs no run-time checks.
    bound: int | None = None


class _Generator:
    def __init__(self, slots: dict[Input, int]) -> None:
        self.slots = slots
        self.inputs: list[Input] = []
        self.constants: dict[str, Any] = {}

    def local(self, source: Input) -> _Code:
        if source not in self.inputs:
            self.inputs.append(source)
        return _Code(f"v{self.slots.setdefault(source, len(self.slots))}", "any", simple=True)

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def literal(self, value: Any) -> _Code:
        if value is None:
            return _Code("None", "null", simple=True)
        if type(value) is bool:
            return _Code(repr(value), "bool", simple=True)
        if type(value) is str:
            return _Code(repr(value), "str", simple=True)
        if type(value) is int and -EXACT_INT <= value <= EXACT_INT:
            return _Code(f"({value!r})", "num", simple=True, bound=abs(value))
        if type(value) is float and math.isfinite(value):
            return _Code(f"({value!r})", "num", simple=True)
        raise Unsupported(f"literal {value!r}")

    def truth(self, node: tuple[Any, ...]) -> str:
        """Code yielding exactly True or False (or deferring)."""
        code = self.code(node)
        if code.kind == "bool":
            return code.text
        if code.simple and code.kind == "any":
            name = code.text
            return f"({name} is True or ({name} is not False and _defer()))"
        return f"_truth({code.text})"

    def code(self, node: tuple[Any, ...]) -> _Code:
        op = node[0]
        if op == "lit":
            return self.literal(node[1])
        if op == "select":
            return self.select(node)
        if op == "ident":
            raise Unsupported(f"name {node[1]}")
        if op in ("&&", "||"):
            word = "and" if op == "&&" else "or"
            return _Code(f"({self.truth(node[1])} {word} {self.truth(node[2])})", "bool")
        if op == "!":
            return _Code(f"(not {self.truth(node[1])})", "bool")
        if op == "?":
            yes, no = self.code(node[2]), self.code(node[3])
            kind = yes.kind if yes.kind == no.kind else "any"
            bound = None if yes.bound is None or no.bound is None else max(yes.bound, no.bound)
            text = f"({yes.text} if {self.truth(node[1])} else {no.text})"
            return _Code(text, kind, bound=bound)
        if op in ("==", "!="):
            equal = self.equality(self.code(node[1]), self.code(node[2]))
            return _Code(equal if op == "==" else f"(not {equal})", "bool")
        if op in _ORDERINGS:
            return self.ordering(op, self.code(node[1]), self.code(node[2]))
        if op == "in":
            return self.membership(self.code(node[1]), node[2])
        if op in _ARITHMETIC:
            left, right = self.code(node[1]), self.code(node[2])
            if left.bound is not None and right.bound is not None and op != "/":
                bound = left.bound * right.bound if op == "*" else left.bound + right.bound
                if bound <= EXACT_INT:
                    return _Code(f"({left.text} {op} {right.text})", "num", bound=bound)
            numeric = op != "+" or (left.kind == "num" and right.kind == "num")
            kind = "num" if numeric else "any"
            return _Code(f"{_ARITHMETIC[op]}({left.text}, {right.text})", kind)
        if op == "neg":
            return _Code(f"_neg({self.code(node[1]).text})", "num")
        if op == "call" and node[1] in _METHODS and len(node) == 4:
            receiver, argument = self.code(node[2]), self.code(node[3])
            return _Code(f"{_METHODS[node[1]]}({receiver.text}, {argument.text})", "bool")
        raise Unsupported(f"operation {op}")

    def select(self, node: tuple[Any, ...]) -> _Code:
        path: list[str] = []
        while node[0] == "select":
            path.insert(0, node[2])
            node = node[1]
        if node != ("ident", "event") and node != ("ident", "signals"):
            raise Unsupported("selection outside event and signals")
        if node[1] == "signals":
            if len(path) != 1:
                raise Unsupported("field of a signal")
            return self.local(("signal", path[0]))
        return self.local(("event", ".".join(path)))

    def equality(self, left: _Code, right: _Code) -> str:
        kinds = {left.kind, right.kind}
        # A string or null on either side: Python's == of plain scalars is CEL's.
        if kinds & {"str", "null"} or kinds == {"bool"} or kinds == {"num"}:
            return f"({left.text} == {right.text})"
        for one, other in ((left, right), (right, left)):
            if one.kind == "bool" and one.text in ("True", "False") and other.kind == "any":
                return f"({other.text} is {one.text})"
            if one.kind == "num" and one.simple and other.simple:
                # True == 1 in Python, not in CEL. Both sides are names or literals: the
                # type test may skip evaluating them, CEL would evaluate both (and fail).
                return f"(type({other.text}) is not bool and {one.text} == {other.text})"
        return f"_eq({left.text}, {right.text})"

    def ordering(self, op: str, left: _Code, right: _Code) -> _Code:
        if left.kind == right.kind and left.kind in ("num", "str"):
            return _Code(f"({left.text} {op} {right.text})", "bool")
        for one, other in ((left, right), (right, left)):
            if one.kind in ("num", "str") and one.simple and other.simple:
                test = "in _NUMBER" if one.kind == "num" else "is str"
                return _Code(
                    f"(({left.text} {op} {right.text}) if type({other.text}) {test} else _defer())",
                    "bool",
                )
        return _Code(f"{_ORDERINGS[op]}({left.text}, {right.text})", "bool")

    def membership(self, value: _Code, items_node: tuple[Any, ...]) -> _Code:
        if items_node[0] != "list":
            raise Unsupported("membership in a non-literal list")
        items = tuple(items_node[1])
        for item in items:
            self.literal(item)  # refuses what a plain literal cannot be
        if all(type(item) is str for item in items):
            return _Code(f"({value.text} in {self.constant(frozenset(items))})", "bool")
        if value.simple and all(type(item) in _NUMBER for item in items):
            found = f"{value.text} in {self.constant(frozenset(items))}"
            return _Code(f"(type({value.text}) is not bool and {found})", "bool")
        return _Code(f"_in({value.text}, {self.constant(items)})", "bool")


def compile_condition(source: str, slots: dict[Input, int]) -> CompiledCondition:
    """The column function of ``source`` (raises Unsupported when CEL must run it).

    ``slots`` maps each input to its place in a row; inputs not in it yet are added (the
    rules of one kind share one row per event).
    """
    node = _Parser(source).parse()
    generator = _Generator(dict(slots))
    test = generator.truth(node)
    slots.update(generator.slots)  # only once the whole condition compiled
    places = sorted({slots[source] for source in generator.inputs})
    loads = "".join(f"        v{i} = row[{i}]\n" for i in places)
    text = (
        "def column(rows, indexes, hits, deferred):\n"
        "    for i in indexes:\n"
        "        row = rows[i]\n"
        f"{loads}"
        "        try:\n"
        f"            if {test}:\n"
        "                hits.append(i)\n"
        "        except Exception:\n"
        "            deferred.append(i)\n"
    )
    namespace: dict[str, Any] = {**_HELPERS, **generator.constants}
    exec(compile(text, f"<rule condition {source[:60]!r}>", "exec"), namespace)
    return CompiledCondition(
        source, tuple(generator.inputs), frozenset(places), namespace["column"]
    )


def row_builder(slots: dict[Input, int]) -> Callable[[Mapping[str, Any], Any], Row]:
    """A function (signals, event view) -> the row of ``slots``, in slot order.

    A missing signal reads as null, as in the CEL context; a missing event path as MISSING.
    """
    parts = []
    for source, name in sorted(slots, key=slots.__getitem__):
        if source == "signal":
            parts.append(f"s.get({name!r})")
        else:
            parts.append(f"_path(e, {tuple(name.split('.'))!r})")
    text = f"def row(s, e):\n    return ({''.join(p + ', ' for p in parts)})\n"
    namespace: dict[str, Any] = {"_path": lookup_path}
    exec(compile(text, "<rule inputs>", "exec"), namespace)
    builder: Callable[[Mapping[str, Any], Any], Row] = namespace["row"]
    return builder
