"""Evaluating a pack: hits, shadow hits, skipped rules, interpolated reasons, contained errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_reference_check, make_review
from tests.trust.rules.conftest import RULES_DIR, valid_rule, write_pack
from trust.rules.engine import SUSPEND_AFTER_OVERRUNS, RuleEngine, render_reason
from trust.rules.expressions import flatten_signals
from trust.rules.pack import load_pack


def _signals(**values: Any) -> dict[str, Any]:
    import yaml

    baseline = yaml.safe_load((RULES_DIR / "review" / "_baseline.yaml").read_text())
    return {**baseline["signals"], **values}


def _engine(tmp_path: Path, *rules: dict[str, Any], kind: str = "review") -> RuleEngine:
    return RuleEngine(load_pack(write_pack(tmp_path, list(rules), kind=kind)))


def test_a_live_hit_carries_its_reason_score_and_forced_outcome(tmp_path: Path) -> None:
    engine = _engine(tmp_path, valid_rule(outcome="review"))
    result = engine.evaluate(make_review(), _signals(reciprocal_review=True))
    (hit,) = result.hits
    assert (hit.rule_id, hit.score, hit.severity, hit.forced_outcome) == (
        "rv_test_reciprocal_v1",
        50,
        3,
        "review",
    )
    assert hit.reason == "Reciprocal (yes)."
    assert result.shadow_hits == [] and result.errors == []


def test_shadow_hits_are_kept_apart_and_disabled_rules_never_run(tmp_path: Path) -> None:
    engine = _engine(
        tmp_path,
        valid_rule(id="rv_shadowed_v1", state="shadow"),
        valid_rule(id="rv_switched_off_v1", state="disabled"),
    )
    result = engine.evaluate(make_review(), _signals(reciprocal_review=True))
    assert [h.rule_id for h in result.shadow_hits] == ["rv_shadowed_v1"]
    assert result.hits == []
    assert [r.id for r in engine.rules_for("review")] == ["rv_shadowed_v1"]


def test_an_evaluation_error_is_recorded_and_other_rules_still_run(tmp_path: Path) -> None:
    engine = _engine(
        tmp_path,
        valid_rule(
            id="rc_response_confirms_v1",
            kind="reference_check",
            when="event.response.confirms == true",
            examples=[],
            reason={"code": "x", "text": "Confirmed."},
        ),
        valid_rule(
            id="rc_always_v1",
            kind="reference_check",
            when="true",
            examples=[],
            reason={"code": "y", "text": "Always."},
        ),
        kind="reference_check",
    )
    result = engine.evaluate(make_reference_check(response=None), {})
    assert [h.rule_id for h in result.hits] == ["rc_always_v1"]
    assert len(result.errors) == 1 and result.errors[0].startswith("rc_response_confirms_v1:")


def test_an_unknown_signal_value_makes_a_guarded_rule_miss_quietly(tmp_path: Path) -> None:
    engine = _engine(tmp_path, valid_rule(when="signals.shares_device == true"))
    result = engine.evaluate(make_review(), _signals(shares_device=None))
    assert result.hits == [] and result.errors == []


def test_events_of_a_kind_without_rules_get_no_hits(tmp_path: Path) -> None:
    engine = _engine(tmp_path, valid_rule())
    assert engine.evaluate(make_reference_check(), {}).hits == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("{signals.amount} paid", "1.5 paid"),
        ("{signals.whole} items", "3 items"),
        ("flag {signals.flag}", "flag no"),
        ("age {signals.missing}", "age unknown"),
        ("from {event.network.ip_country}", "from US"),
    ],
)
def test_reasons_interpolate_signals_and_event_fields(text: str, expected: str) -> None:
    signals = {"amount": 1.5, "whole": 3.0, "flag": False, "missing": None}
    assert render_reason(text, {"network": {"ip_country": "US"}}, signals) == expected


def test_signals_are_flattened_outside_string_literals_only() -> None:
    source = 'signals.a > 1 && signals["b"] && event.text.contains("signals.c")'
    assert flatten_signals(source) == 's__a > 1 && s__b && event.text.contains("signals.c")'


def test_the_starter_pack_evaluates_a_clean_review_without_hits_or_errors() -> None:
    engine = RuleEngine(load_pack(RULES_DIR))
    result = engine.evaluate(make_review(), _signals())
    assert result.hits == [] and result.errors == []


class CountingWatchdog:
    """Records how often the engine arms and disarms it (the real one ends the process)."""

    def __init__(self) -> None:
        self.armed = 0
        self.disarmed = 0

    def arm(self) -> None:
        self.armed += 1

    def disarm(self) -> None:
        self.disarmed += 1


def test_a_rule_over_its_budget_is_left_out_and_recorded_as_an_error(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, [valid_rule()]))
    signals = _signals(reciprocal_review=True)
    assert RuleEngine(pack, budget_s=10.0).evaluate(make_review(), signals).hits

    # A zero budget: every rule is over it, whatever the machine.
    result = RuleEngine(pack, budget_s=0.0).evaluate(make_review(), signals)

    assert result.hits == [] and result.shadow_hits == []
    (error,) = result.errors
    assert error.startswith("rv_test_reciprocal_v1: over its evaluation budget (")
    assert error.endswith("budget 0 ms); decided without it")


def test_the_watchdog_is_armed_once_per_event_and_disarmed_after(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, [valid_rule(), valid_rule(id="rv_test_other_v1")]))
    watchdog = CountingWatchdog()
    engine = RuleEngine(pack, watchdog=watchdog)

    for _ in range(3):
        engine.evaluate(make_review(), _signals())

    assert (watchdog.armed, watchdog.disarmed) == (3, 3)


def test_a_rule_over_its_budget_again_and_again_is_suspended(tmp_path: Path) -> None:
    pack = load_pack(write_pack(tmp_path, [valid_rule()]))
    engine = RuleEngine(pack, budget_s=0.0)

    errors = [
        engine.evaluate(make_review(), _signals()).errors[0]
        for _ in range(SUSPEND_AFTER_OVERRUNS + 2)
    ]

    assert all("over its evaluation budget" in e for e in errors[:SUSPEND_AFTER_OVERRUNS])
    assert all("suspended after" in e for e in errors[SUSPEND_AFTER_OVERRUNS:])
    assert engine.suspended == {"rv_test_reciprocal_v1"}
    assert RuleEngine(pack, budget_s=10.0).evaluate(make_review(), _signals()).errors == []


def test_a_bidi_override_in_an_event_value_cannot_reverse_the_reason() -> None:
    event = {"referee": {"company": "Acme\u202e Ltd"}}
    reason = render_reason("The referee claims to work at {event.referee.company}.", event, {})
    assert reason == "The referee claims to work at Acme Ltd."
