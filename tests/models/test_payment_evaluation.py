"""evaluate-sim on payments: what the detection flags is measured apart from what the
account's hold refuses, and each held event is counted under the pattern that caused it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models.hold_causes import UNKNOWN
from models.simulation import evaluate_simulation
from tests.conftest import TEST_SECRET
from trust.composition import build_pipeline
from trust.intake import ingest_file
from trust.intake.deciding import PipelineSink
from trust.settings import Settings
from trust.simulate import simulate
from trust.store import Store


@pytest.fixture(scope="module")
def paid_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Settings, Path]]:
    folder = tmp_path_factory.mktemp("payments")
    summary = simulate(2000, 30, 515, folder)
    url = f"sqlite:///{folder / 'trust.db'}"
    settings = Settings(
        environment="test", data_dir=folder, database_url=url, secret_key=TEST_SECRET
    )
    store = Store.open(url)
    # Decided as `trust ingest --direct` does: holds are imposed batch after batch.
    ingest_file(
        store, summary.events_path, settings, sink=PipelineSink(build_pipeline(settings, store))
    )
    yield store, settings, summary.truth_path
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
