"""Load-time checks of one rule: it compiles, names known things and returns a boolean."""

from __future__ import annotations

import difflib
import re
from typing import Any

import cel

from trust.events import EVENT_TYPES, Event
from trust.events.personal import personal_paths
from trust.rules.bounds import bound_problems
from trust.rules.expressions import ROOTS, References, analyse, flatten_signals
from trust.rules.spec import RuleSpec
from trust.rules.views import event_fields, event_view
from trust.signals import SIGNAL_TYPES
from trust.signals.types import SAMPLE_VALUES

PLACEHOLDER = re.compile(r"\{(event|signals)\.([A-Za-z_][\w.]*)\}")
# Non-default samples, so that both branches of && and || are exercised at load time.
_OTHER_SAMPLES: dict[str, Any] = {"bool": True, "int": 1, "float": 1.0, "string": "x"}


def _close(name: str, known: set[str] | frozenset[str]) -> str:
    matches = difflib.get_close_matches(name, sorted(known), n=3)
    return f"did you mean {', '.join(matches)}?" if matches else "see `trust rules signals` output"


def _name_problems(spec: RuleSpec, refs: References, label: str) -> list[str]:
    fields = event_fields(spec.kind)
    signals = set(SIGNAL_TYPES[spec.kind])
    out = []
    for path in sorted(refs.event_paths - fields):
        out.append(
            f"{label}: unknown event field 'event.{path}' for {spec.kind} "
            f"(hint: {_close(path, fields)})"
        )
    for name in sorted(refs.signals - signals):
        out.append(
            f"{label}: unknown signal 'signals.{name}' for {spec.kind} "
            f"(hint: {_close(name, signals)})"
        )
    for name in sorted(refs.unknown_variables):
        out.append(
            f"{label}: unknown name '{name}' (hint: conditions read only {' and '.join(ROOTS)})"
        )
    for name in sorted(refs.unknown_functions):
        out.append(
            f"{label}: unknown function '{name}' (hint: only CEL's standard functions "
            "such as size, contains, matches, startsWith are available)"
        )
    return out


def _placeholder_problems(spec: RuleSpec, label: str) -> list[str]:
    fields = event_fields(spec.kind)
    signals = set(SIGNAL_TYPES[spec.kind])
    personal = {".".join(path) for path in personal_paths(EVENT_TYPES[spec.kind])}
    out = []
    for root, name in PLACEHOLDER.findall(spec.reason.text):
        known = fields if root == "event" else signals
        if name not in known:
            out.append(
                f"{label}: reason text names unknown {root}.{name} (hint: {_close(name, known)})"
            )
        elif root == "event" and any(name == p or name.startswith(f"{p}.") for p in personal):
            out.append(
                f"{label}: reason text shows personal data event.{name} (hint: reasons are "
                "stored and sent to the user in clear; describe it instead of quoting it)"
            )
    return out


def _type_problems(spec: RuleSpec, program: cel.Program, event: Event, label: str) -> list[str]:
    view = event_view(event)
    types = SIGNAL_TYPES[spec.kind]
    for samples in (SAMPLE_VALUES, _OTHER_SAMPLES):
        signals = {name: samples[kind] for name, kind in types.items()}
        try:
            result = program.execute(cel.Context({"event": view, "signals": signals}))
        except Exception as exc:  # any CEL failure on a well-formed input is a rule bug
            return [
                f"{label}: fails on a representative event: {_first_line(exc)} "
                "(hint: CEL does not convert types; compare like with like, guard "
                "optional values with `!= null`)"
            ]
        if not isinstance(result, bool):
            return [
                f"{label}: condition returns {type(result).__name__}, not a boolean "
                "(hint: compare the value, e.g. `signals.x > 3`)"
            ]
    return []


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_rule(
    spec: RuleSpec, label: str, baseline: Event, problems: list[str]
) -> tuple[cel.Program, References, cel.Program] | None:
    """Compile and check ``spec``; append problems and return None when it is refused."""
    label = f"{label}: {spec.id}"
    # Measured before compiling: past these limits the native compiler or engine can
    # overflow its stack and kill the process instead of raising.
    too_big = bound_problems(spec.when)
    if too_big:
        problems.extend(f"{label}: {problem}" for problem in too_big)
        return None
    try:
        program = cel.compile(spec.when)
    except Exception as exc:  # the cel package raises ValueError with the parser's message
        detail = " ".join(str(exc).split())
        problems.append(
            f"{label}: condition does not compile: {detail} "
            "(hint: CEL uses && || ! and double-quoted strings)"
        )
        return None
    refs = analyse(spec.when, program)
    found = _name_problems(spec, refs, label) + _placeholder_problems(spec, label)
    if not found:
        found = _type_problems(spec, program, baseline, label)
    if not found:
        try:
            fast = cel.compile(flatten_signals(spec.when))
        except Exception:  # e.g. has(signals.x): the rewrite needs plain signal reads
            found = [
                f"{label}: signals must be read as signals.name (hint: signals are always "
                "present, so compare with null instead of using has())"
            ]
    problems.extend(found)
    return None if found else (program, refs, fast)
