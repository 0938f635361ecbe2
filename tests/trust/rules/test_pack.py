"""The starter pack, pack versions, and reloads that keep the running pack on failure."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.trust.rules.conftest import RULES_DIR, valid_rule, write_pack
from trust.errors import RulePackError
from trust.events import EVENT_KINDS
from trust.rules.examples import missing_examples, run_examples
from trust.rules.pack import RulePack, RulePackHolder, load_pack


@pytest.fixture(scope="module")
def starter() -> RulePack:
    """The pack shipped in rules/."""
    return load_pack(RULES_DIR)


def test_the_starter_pack_is_valid_with_at_least_30_live_rules_over_all_kinds(
    starter: RulePack,
) -> None:
    live = Counter(r.spec.kind for r in starter.rules if r.spec.state == "live")
    assert sum(live.values()) >= 30
    assert set(live) == set(EVENT_KINDS)


def test_every_rule_has_a_hit_and_a_miss_example_and_all_examples_pass(starter: RulePack) -> None:
    assert missing_examples(starter) == []
    failures = [r for r in run_examples(starter) if not r.passed]
    assert failures == []


def test_every_rule_states_a_reason_a_policy_and_an_owner(starter: RulePack) -> None:
    for rule in starter.rules:
        assert len(rule.spec.reason.text) > 20, rule.id
        assert rule.spec.policy and rule.spec.owner, rule.id


def test_the_version_is_a_content_hash_that_changes_with_any_file(pack_dir: Path) -> None:
    first = load_pack(pack_dir).version
    assert load_pack(pack_dir).version == first and len(first) == 64
    path = pack_dir / "review" / "test.yaml"
    path.write_text(path.read_text() + "\n# a comment is a change too\n")
    assert load_pack(pack_dir).version != first


def test_a_failed_reload_keeps_the_running_pack(pack_dir: Path) -> None:
    holder = RulePackHolder(pack_dir)
    running = holder.pack
    (pack_dir / "review" / "test.yaml").write_text(
        yaml.safe_dump({"rules": [valid_rule(when="signals.nope")]})
    )
    with pytest.raises(RulePackError):
        holder.reload()
    assert holder.pack is running


def test_a_successful_reload_swaps_the_pack(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, [valid_rule()])
    holder = RulePackHolder(folder)
    before = holder.pack.version
    write_pack(tmp_path, [valid_rule(), valid_rule(id="rv_second_rule_v1")])
    assert len(holder.reload().rules) == 2
    assert holder.pack.version != before


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_refresh_looks_at_most_once_per_interval_and_swaps_a_changed_valid_pack(
    tmp_path: Path,
) -> None:
    folder = write_pack(tmp_path, [valid_rule()])
    clock = _Clock()
    holder = RulePackHolder(folder, interval_s=5, clock=clock)
    running = holder.pack
    write_pack(tmp_path, [valid_rule(), valid_rule(id="rv_second_rule_v1")])

    clock.now = 4.9
    assert holder.refresh() is None and holder.pack is running
    clock.now = 5.0
    fresh = holder.refresh()

    assert fresh is holder.pack and len(fresh.rules) == 2 and fresh.version != running.version
    clock.now = 10.0
    assert holder.refresh() is None  # nothing changed since


def test_refresh_keeps_the_running_pack_when_the_changed_one_is_refused(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, [valid_rule()])
    clock = _Clock()
    holder = RulePackHolder(folder, interval_s=1, clock=clock)
    running = holder.pack
    write_pack(tmp_path, [valid_rule(when="signals.nope")])

    clock.now = 1.0
    assert holder.refresh() is None
    assert holder.pack is running
    assert holder.last_error is not None and "signals.nope" in str(holder.last_error)

    write_pack(tmp_path, [valid_rule(id="rv_fixed_rule_v1")])
    clock.now = 2.0
    fixed = holder.refresh()
    assert fixed is not None and [r.id for r in fixed.rules] == ["rv_fixed_rule_v1"]
    assert holder.last_error is None


def test_a_holder_given_the_loaded_pack_swaps_only_on_another_version(pack_dir: Path) -> None:
    loaded = load_pack(pack_dir)
    holder = RulePackHolder(pack_dir, loaded, interval_s=0)

    assert holder.refresh() is None and holder.pack is loaded
