"""Rule tests as data: each rule's example events, run against the rule with expected hit/miss."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from trust.events import event_adapter
from trust.rules.engine import RuleEngine
from trust.rules.pack import Rule, RulePack
from trust.rules.spec import Baseline, Example
from trust.rules.views import event_view


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """One example's outcome: passed, or why not."""

    rule_id: str
    file: str
    name: str
    expect: str
    passed: bool
    detail: str = ""


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base``: mappings merge, other values replace."""
    merged = deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _run_example(
    engine: RuleEngine, rule: Rule, baseline: Baseline, example: Example
) -> ExampleResult:
    kind = rule.spec.kind

    def outcome(passed: bool, detail: str = "") -> ExampleResult:
        return ExampleResult(rule.id, rule.file, example.name, example.expect, passed, detail)

    try:
        event = event_adapter.validate_python(
            {**merge(baseline.event, example.event), "kind": kind}
        )
    except ValidationError as exc:
        return outcome(False, f"example event is invalid: {exc.errors()[0]['msg']}")
    signals = merge(baseline.signals, example.signals)
    evaluation = engine.evaluate_rules(kind, (rule,), event_view(event), signals)
    if evaluation.errors:
        return outcome(False, f"evaluation failed: {evaluation.errors[0]}")
    hit = bool(evaluation.hits or evaluation.shadow_hits)
    if hit != (example.expect == "hit"):
        return outcome(False, f"expected {example.expect}, got {'hit' if hit else 'miss'}")
    return outcome(True)


def run_rule_examples(pack: RulePack, rule: Rule) -> list[ExampleResult]:
    """Run every example of ``rule``; a rule evaluates alone, whatever its state."""
    engine = RuleEngine(pack)
    baseline = pack.baselines[rule.spec.kind]
    return [_run_example(engine, rule, baseline, example) for example in rule.spec.examples]


def run_examples(pack: RulePack) -> list[ExampleResult]:
    """Run every example of every rule (disabled rules included: their examples still hold)."""
    results: list[ExampleResult] = []
    for rule in pack.rules:
        results.extend(run_rule_examples(pack, rule))
    return results


def missing_examples(pack: RulePack) -> list[str]:
    """Rules lacking a hit or a miss example, as 'file: rule id: problem' lines."""
    problems = []
    for rule in pack.rules:
        expects = {e.expect for e in rule.spec.examples}
        for wanted in ("hit", "miss"):
            if wanted not in expects:
                problems.append(
                    f"{rule.file}: {rule.id}: no '{wanted}' example (hint: add one under examples:)"
                )
    return problems
