"""Rules and the simulator stay apart: no rule vocabulary quotes a simulated sentence.

Detection written together with the simulator measures the simulator. Every regular
expression the signals use and every string literal in a rule's condition is broken into
its literal word runs; none of three words or more may appear in a sentence the simulator
writes (every string literal of ``trust/simulate``).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import trust.signals
import trust.simulate
from trust.rules.pack import load_pack
from trust.settings import Settings
from trust.signals.text import fold

MIN_WORDS = 3
# Regex syntax between literal runs: classes, groups, alternation, quantifiers, escapes.
_SYNTAX = re.compile(r"\\[a-zA-Z]|\[[^\]]*\]|\(\?[:=!<]*|[()|?*+{}^$.\\]|\{\d*,?\d*\}")


def _package_dir(package: object) -> Path:
    return Path(package.__file__).parent  # type: ignore[attr-defined]


def _string_literals(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield " ".join(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )


def simulator_sentences() -> list[str]:
    """Every sentence-like literal the simulator writes, folded (three words or more)."""
    out = []
    for path in sorted(_package_dir(trust.simulate).glob("*.py")):
        for literal in _string_literals(path):
            folded = fold(literal)
            # Identifiers such as 'off_platform_payment' are names, not sentences.
            if len(literal.split()) >= MIN_WORDS:
                out.append(f" {folded} ")
    return out


def _patterns_in(value: object) -> Iterator[str]:
    if isinstance(value, re.Pattern):
        yield str(value.pattern)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item)
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _patterns_in(item)


def signal_patterns() -> list[str]:
    """Every compiled regular expression held at module level by a signals module."""
    sources: list[str] = []
    for info in pkgutil.iter_modules(trust.signals.__path__):
        module = importlib.import_module(f"trust.signals.{info.name}")
        for value in vars(module).values():
            sources.extend(_patterns_in(value))
    return sources


def rule_literals() -> list[str]:
    """String literals inside the conditions of every rule of the shipped pack."""
    pack = load_pack(Settings().rules_dir)
    found = []
    for rule in pack.rules:
        for double, single in re.findall(r'"([^"]*)"|\'([^\']*)\'', rule.spec.when):
            literal = double or single
            # Enum values ('off_platform_payment') are names of categories, not phrases.
            if not re.fullmatch(r"\w+", literal):
                found.append(literal)
    return found


def literal_runs(pattern: str) -> list[str]:
    """The literal word runs of a pattern, folded: ``\\bfive stars? or\\b`` -> five star, or."""
    return [fold(part) for part in _SYNTAX.split(pattern) if fold(part)]


def quotes(vocabulary: list[str], sentences: list[str]) -> list[tuple[str, str]]:
    found = []
    for pattern in vocabulary:
        for run in literal_runs(pattern):
            if len(run.split()) >= MIN_WORDS and any(f" {run} " in s for s in sentences):
                found.append((pattern, run))
    return found


def test_the_check_sees_a_quoted_template() -> None:
    sentences = [" client told me 5 stars or i dispute the whole payment "]
    assert quotes([r"\bi dispute the whole\b"], sentences)
    # The phrasings the coercion signal used to hold, each a template sentence's words.
    assert quotes(
        [r"\botherwise a bad review\b", r"\bgive me my money back\b"],
        [
            " buyer demands extra work for free otherwise a bad review and a chargeback ",
            " 1 star until you give me my money back ",
        ],
    )
    assert not quotes([r"\b(review|stars?)\b", r"\bunless\b"], sentences)


def test_the_simulator_and_the_signals_are_both_found() -> None:
    assert len(simulator_sentences()) > 50
    assert len(signal_patterns()) >= 5


def test_no_signal_pattern_quotes_a_simulator_sentence() -> None:
    assert quotes(signal_patterns(), simulator_sentences()) == []


def test_no_rule_condition_quotes_a_simulator_sentence() -> None:
    assert quotes(rule_literals(), simulator_sentences()) == []
