"""The batch path gives what the per-event CEL path gives: same hits, same errors, same order.

Conditions and inputs are generated: nulls, missing signals and event fields, wrong types,
big integers, NaN and infinities, mixed int/double, errors inside ``&&``/``||``.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.factories import make_complaint, make_reference_check, make_review
from tests.trust.rules.conftest import RULES_DIR
from tests.trust.rules.test_engine import CountingWatchdog
from trust.decisions import SignalValue
from trust.events import Event
from trust.rules.engine import SUSPEND_AFTER_OVERRUNS, Evaluation, RuleEngine
from trust.rules.pack import RulePack, load_pack, unchecked_rule
from trust.rules.spec import Baseline, RuleSpec
from trust.signals import SIGNAL_TYPES

SIGNALS = ("a", "b", "c", "d")
EVENT_PATHS = ("x", "y.z", "y.w")
LITERALS = (
    "0",
    "1",
    "3",
    "-2",
    "9007199254740993",
    "1.5",
    "-0.0",
    "2.0",
    "1e308",
    '"a"',
    '"ab"',
    "''",
    "true",
    "false",
    "null",
)
VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    2,
    3,
    -2,
    2**53,
    2**53 + 1,
    2**62,
    -(2**63),
    0.0,
    -0.0,
    1.5,
    2.0,
    3.0,
    1e308,
    float("nan"),
    float("inf"),
    "",
    "a",
    "ab",
    "b",
    "é",
    [1],
    ["a"],
    {"z": 1},
    b"a",
    datetime(2026, 1, 1, tzinfo=UTC),
)


def _operand(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth <= 0 or roll < 0.45:
        pick = rng.random()
        if pick < 0.45:
            name = rng.choice(SIGNALS)
            return f'signals["{name}"]' if rng.random() < 0.1 else f"signals.{name}"
        if pick < 0.6:
            return f"event.{rng.choice(EVENT_PATHS)}"
        return rng.choice(LITERALS)
    if roll < 0.6:
        op = rng.choice(["+", "-", "*", "/", "%"])
        return f"({_operand(rng, depth - 1)} {op} {_operand(rng, depth - 1)})"
    if roll < 0.7:
        return f"-{_operand(rng, depth - 1)}"
    if roll < 0.8:
        return f"({_condition(rng, depth - 1)} ? {_operand(rng, depth - 1)} : {_operand(rng, 0)})"
    if roll < 0.9:
        method = rng.choice(["contains", "startsWith", "endsWith"])
        return f"{_operand(rng, depth - 1)}.{method}({_operand(rng, 0)})"
    return f"size({_operand(rng, depth - 1)})"


def _condition(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth <= 0 or roll < 0.4:
        op = rng.choice(["<", "<=", ">", ">=", "==", "!=", "==", "in"])
        if op == "in":
            items = ", ".join(rng.choice(LITERALS) for _ in range(rng.randint(0, 4)))
            return f"{_operand(rng, depth - 1)} in [{items}]"
        return f"{_operand(rng, depth - 1)} {op} {_operand(rng, depth - 1)}"
    if roll < 0.7:
        op = rng.choice(["&&", "||"])
        return f"({_condition(rng, depth - 1)} {op} {_condition(rng, depth - 1)})"
    if roll < 0.8:
        return f"!{_condition(rng, depth - 1)}"
    if roll < 0.9:
        return _operand(rng, 0)  # a bare value: an error unless it is a boolean
    return f"({_condition(rng, depth - 1)} ? {_condition(rng, 0)} : {_condition(rng, 0)})"


def _spec(index: int, when: str, kind: str = "review", state: str = "live") -> RuleSpec:
    prefix = {"review": "rv", "reference_check": "rc", "complaint": "cp"}[kind]
    return RuleSpec(
        id=f"{prefix}_generated_{index}_v1",
        kind=kind,
        description="Generated.",
        when=when,
        score=10,
        severity=1,
        reason={"code": "generated", "text": f"Rule {index} ({{signals.a}})."},
        policy="test",
        state=state,
        owner="tests",
    )


def _pack(specs: list[RuleSpec]) -> RulePack:
    rules = []
    for spec in specs:
        try:
            rules.append(unchecked_rule(spec, "generated.yaml"))
        except ValueError:  # generated text CEL does not parse (e.g. -"a")
            continue
    kinds = {spec.kind for spec in specs}
    return RulePack(
        RULES_DIR, "generated", tuple(rules), {k: Baseline(event={}) for k in kinds}, {}
    )


def _value(rng: random.Random) -> Any:
    return rng.choice(VALUES)


def _signals(rng: random.Random) -> dict[str, SignalValue]:
    # Some signals missing altogether: they read as null.
    return {name: _value(rng) for name in SIGNALS if rng.random() < 0.9}


def _view(rng: random.Random) -> dict[str, Any]:
    view: dict[str, Any] = {}
    if rng.random() < 0.9:
        view["x"] = _value(rng)
    roll = rng.random()
    if roll < 0.7:
        view["y"] = {k: _value(rng) for k in ("z", "w") if rng.random() < 0.85}
    elif roll < 0.85:
        view["y"] = _value(rng)  # not a map: event.y.z is an error
    return view


def _normal(evaluation: Evaluation) -> tuple[list[Any], list[Any], list[str]]:
    # NaN != NaN would make equal reasons look different; compare their text only.
    return (
        [(h.rule_id, h.reason) for h in evaluation.hits],
        [(h.rule_id, h.reason) for h in evaluation.shadow_hits],
        list(evaluation.errors),
    )


@pytest.mark.parametrize("seed", range(12))
def test_generated_conditions_agree_with_cel_on_generated_inputs(seed: int) -> None:
    rng = random.Random(seed)
    specs = [
        _spec(i, _condition(rng, 3), state=rng.choice(["live", "live", "shadow"]))
        for i in range(25)
    ]
    engine = RuleEngine(_pack(specs))
    views = [_view(rng) for _ in range(300)]
    signals = [_signals(rng) for _ in range(300)]

    batch = engine.evaluate_views("review", views, signals)
    reference = [engine.evaluate_view("review", v, s) for v, s in zip(views, signals, strict=True)]

    assert [_normal(e) for e in batch] == [_normal(e) for e in reference]
    # The generator reaches both paths and both outcomes.
    assert engine.compiled_rules("review")
    assert any(e.hits for e in reference) and any(e.errors for e in reference)


def test_the_compiled_subset_covers_the_common_shapes() -> None:
    rng = random.Random(99)
    specs = [_spec(i, _condition(rng, 3)) for i in range(200)]
    engine = RuleEngine(_pack(specs))
    compiled, total = len(engine.compiled_rules("review")), len(engine.rules_for("review"))
    # size(), %, and what CEL refuses to parse stay with CEL; most generated rules compile.
    assert total > 150 and compiled > total // 2


def _events(rng: random.Random) -> list[Event]:
    events: list[Event] = []
    for _ in range(120):
        roll = rng.random()
        if roll < 0.5:
            events.append(
                make_review(
                    rating=rng.randint(1, 5),
                    text=rng.choice(["great work", "scam, pay outside", "ok"]),
                    network={"ip_country": rng.choice(["US", "NG", "DE"])},
                )
            )
        elif roll < 0.8:
            events.append(make_reference_check(response=None if rng.random() < 0.5 else {}))
        else:
            events.append(make_complaint())
    return events


def _typed_signals(rng: random.Random, kind: str) -> dict[str, SignalValue]:
    samples: dict[str, tuple[SignalValue, ...]] = {
        "bool": (True, False, None),
        "int": (0, 1, 2, 5, None),
        "float": (0.0, 0.4, 0.7, 1500.0, None),
        "string": ("", "US", "x", None),
    }
    return {name: rng.choice(samples[t]) for name, t in SIGNAL_TYPES[kind].items()}


def test_the_starter_pack_decides_batches_of_real_events_as_it_decides_each() -> None:
    rng = random.Random(5)
    engine = RuleEngine(load_pack(RULES_DIR))
    events = _events(rng)
    signals = [_typed_signals(rng, e.kind) for e in events]

    batch = engine.evaluate_batch(events, signals)
    reference = [engine.evaluate(e, s) for e, s in zip(events, signals, strict=True)]

    assert [_normal(e) for e in batch] == [_normal(e) for e in reference]
    assert any(e.hits for e in reference)


def test_event_fields_missing_nested_or_of_other_types_agree_with_cel() -> None:
    rng = random.Random(8)
    conditions = {
        "review": [
            'event.rating >= 4 && event.network.ip_country in ["NG", "US"]',
            'event.text.contains("scam")',
            "event.amount_paid.amount > 1000.0",
            "event.sub_ratings.quality == 5 || event.sub_ratings.missing == 1",
            "event.contract_started_at < event.contract_ended_at",
            "event.rating == 5.0 && signals.reciprocal_review",
        ],
        "reference_check": [
            "event.response.confirms == true",
            "event.response == null || true",
        ],
    }
    specs = [
        _spec(i + 10 * n, when, kind)
        for n, (kind, whens) in enumerate(conditions.items())
        for i, when in enumerate(whens)
    ]
    engine = RuleEngine(_pack(specs))
    events = _events(rng)
    signals = [_typed_signals(rng, e.kind) for e in events]

    batch = engine.evaluate_batch(events, signals)
    reference = [engine.evaluate(e, s) for e, s in zip(events, signals, strict=True)]

    assert [_normal(e) for e in batch] == [_normal(e) for e in reference]
    assert any(e.errors for e in reference) and any(e.hits for e in reference)


def test_over_budget_rules_are_reported_and_suspended_in_the_same_order() -> None:
    specs = [_spec(0, "signals.a == 1"), _spec(1, "signals.b > 2 || signals.c == null")]
    pack = _pack(specs)
    rng = random.Random(3)
    signals = [_signals(rng) for _ in range(2 * SUSPEND_AFTER_OVERRUNS + 3)]
    views: list[dict[str, Any]] = [{} for _ in signals]

    # A zero budget: every rule is over it on every event, whatever the machine.
    batch = RuleEngine(pack, budget_s=0.0).evaluate_views("review", views, signals)
    one_by_one = RuleEngine(pack, budget_s=0.0)
    reference = [
        one_by_one.evaluate_view("review", v, s) for v, s in zip(views, signals, strict=True)
    ]

    def errors(found: list[Evaluation]) -> list[list[str]]:
        return [[re.sub(r"\d+ ms", "N ms", e) for e in f.errors] for f in found]

    assert errors(batch) == errors(reference)
    assert all(not e.hits for e in batch)
    assert "suspended after" in batch[-1].errors[0]


def test_the_watchdog_is_armed_only_around_events_that_run_cel() -> None:
    specs = [_spec(0, "signals.a == 1"), _spec(1, "size(signals.d) > 1")]
    rng = random.Random(4)
    signals = [_signals(rng) for _ in range(40)]
    views: list[dict[str, Any]] = [{} for _ in signals]

    compiled_only = CountingWatchdog()
    RuleEngine(_pack(specs[:1]), watchdog=compiled_only).evaluate_views(
        "review", views, [{"a": 1}] * len(views)
    )
    with_cel = CountingWatchdog()
    RuleEngine(_pack(specs), watchdog=with_cel).evaluate_views("review", views, signals)

    assert (compiled_only.armed, compiled_only.disarmed) == (0, 0)
    assert (with_cel.armed, with_cel.disarmed) == (len(views), len(views))


def test_batches_longer_than_a_chunk_keep_their_order() -> None:
    engine = RuleEngine(_pack([_spec(0, "signals.a > 1"), _spec(1, "signals.a < 3")]))
    values = [i % 5 for i in range(1300)]
    batch = engine.evaluate_views("review", [{}] * len(values), [{"a": v} for v in values])
    expected = [
        [rule for rule, hit in (("rv_generated_0_v1", v > 1), ("rv_generated_1_v1", v < 3)) if hit]
        for v in values
    ]
    assert [[h.rule_id for h in e.hits] for e in batch] == expected


def test_views_signals_and_events_of_different_lengths_are_refused() -> None:
    engine = RuleEngine(_pack([_spec(0, "signals.a > 1")]))
    with pytest.raises(ValueError, match="same length"):
        engine.evaluate_views("review", [{}], [])
