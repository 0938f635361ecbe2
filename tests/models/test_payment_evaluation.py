"""evaluate-sim on payments: what the detection flags is measured apart from what the
account's hold refuses, and each held event is counted under the pattern that caused it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.hold_causes import UNKNOWN
from models.simulation import evaluate_simulation
from tests.models.helpers import decided_world
from trust.settings import Settings
from trust.store import Store


@pytest.fixture(scope="module")
def paid_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Settings, Path]]:
    # Decided as `trust ingest --direct` does: holds are imposed batch after batch.
    store, settings, truth = decided_world(tmp_path_factory.mktemp("payments"), 2000, 515)
    yield store, settings, truth
    store.close()


def test_withdrawals_refused_by_a_hold_are_counted_apart_under_its_cause(
    paid_world: tuple[Store, Settings, Path],
) -> None:
    [result] = evaluate_simulation(*paid_world, ("withdrawal_request",))
    assert result.queue_combined is not None and result.detection_combined is not None
    held = sum(h.events for h in result.held)
    assert held > 0
    assert result.detection_combined.flagged == result.queue_combined.flagged - held
    # Each held event is traced to the flagged decision whose hold refused it.
    causes = {h.cause for h in result.held}
    assert causes and UNKNOWN not in causes
    assert result.detection_combined.precision > result.queue_combined.precision
    for pattern in result.patterns:
        assert pattern.combined >= pattern.detected


def test_the_model_s_additions_are_counted_by_truth_under_the_budget_used(
    paid_world: tuple[Store, Settings, Path],
) -> None:
    store, settings, truth = paid_world
    budgeted = settings.model_copy(deep=True)
    budgeted.decision.model_daily_cases = 3.0
    [off] = evaluate_simulation(store, settings, truth, ("client_payment",))
    [on] = evaluate_simulation(store, budgeted, truth, ("client_payment",))
    assert (off.daily_cases, on.daily_cases) == (0.0, 3.0)
    assert off.review_cutoff is None and on.review_cutoff is not None
    for result in (off, on):
        added, rules, both = result.model_added, result.queue_rules, result.queue_combined
        assert added is not None and rules is not None and both is not None
        assert added.frauds + added.honest == both.flagged - rules.flagged
        assert added.honest_per_day == pytest.approx(added.honest / result.days)
    # The budget opens cases of its own: the model changes outcomes when it is turned on.
    assert on.model_added is not None and off.model_added is not None
    assert on.queue_combined is not None and off.queue_combined is not None
    assert on.queue_combined.flagged > off.queue_combined.flagged
    assert on.model_added.honest > off.model_added.honest
