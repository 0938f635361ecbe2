"""On a fresh simulated marketplace every planted ring and burst is one cluster case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from models.cluster_coverage import (
    GROUP_PATTERNS,
    PatternRecall,
    RecallReport,
    cluster_coverage,
    pattern_recall,
)
from tests.conftest import TEST_SECRET
from tests.models.helpers import decided_world
from trust.intake import ingest_file
from trust.settings import Settings
from trust.simulate import simulate
from trust.store import Store
from trust.store.tables import decisions, events


@pytest.fixture(scope="module")
def ringed_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    folder = tmp_path_factory.mktemp("rings")
    summary = simulate(2500, 30, 913, folder)
    url = f"sqlite:///{folder / 'trust.db'}"
    store = Store.open(url)
    ingest_file(
        store,
        summary.events_path,
        Settings(environment="test", data_dir=folder, database_url=url, secret_key=TEST_SECRET),
    )
    yield store, summary.truth_path
    store.close()


def test_every_planted_ring_and_burst_is_held_by_one_cluster(
    ringed_world: tuple[Store, Path],
) -> None:
    store, truth = ringed_world
    coverage = cluster_coverage(store, truth)
    for pattern in GROUP_PATTERNS:
        caught, planted = coverage.caught(pattern)
        assert planted >= 1 and caught == planted, (pattern, coverage.groups)
    assert coverage.fraud_share >= 0.8


def test_before_the_rings_traded_there_is_nothing_to_hold(ringed_world: tuple[Store, Path]) -> None:
    from datetime import datetime

    store, truth = ringed_world
    coverage = cluster_coverage(store, truth, as_of=datetime(2026, 1, 1))
    assert coverage.clusters == 0
    assert all(g.best_share == 0 for g in coverage.groups)


def _recall_of(world: tuple[Store, Path], pattern: str) -> tuple[PatternRecall, RecallReport]:
    report = pattern_recall(*world)
    return next(p for p in report.patterns if p.pattern == pattern), report


def test_recall_per_pattern_counts_cluster_members_then_and_by_the_end(
    ringed_world: tuple[Store, Path],
) -> None:
    ring, report = _recall_of(ringed_world, "review_ring")
    assert ring.events > 0 and 0 < ring.graph <= ring.graph_by_end
    assert ring.graph_by_end >= 0.8 and ring.either >= ring.decisions
    assert report.precision["graph"] >= 0.8


def test_dispute_submissions_are_counted_apart_instead_of_as_misses(
    ringed_world: tuple[Store, Path],
) -> None:
    store, truth = ringed_world
    non_payment, _ = _recall_of(ringed_world, "non_payment")
    planted = pd.read_csv(truth, index_col="event_id")
    planted = planted[(planted["pattern"] == "non_payment") & (planted["is_fraud"] == 1)]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(events.c.event_id, events.c.kind, decisions.c.outcome).join(
                decisions, decisions.c.event_id == events.c.event_id, isouter=True
            )
        ).all()
    kinds = {event_id: (kind, outcome) for event_id, kind, outcome in rows}
    complaints = [kinds[e] for e in planted.index if kinds[e][0] == "complaint"]
    assert non_payment.requests > 0
    assert non_payment.events == len(complaints)
    assert non_payment.events + non_payment.requests == len(planted)
    flagged = sum(outcome in ("review", "block") for _, outcome in complaints)
    assert non_payment.decisions == pytest.approx(flagged / len(complaints))


@pytest.fixture(scope="module")
def small_decided_world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, Path, Settings]]:
    """A smaller world decided by the production pipeline, batch by batch."""
    store, settings, truth = decided_world(tmp_path_factory.mktemp("decided"), 800, 11)
    yield store, truth, settings
    store.close()


def test_recall_with_cluster_cases_is_what_the_clustering_pass_stores(
    small_decided_world: tuple[Store, Path, Settings],
) -> None:
    from trust.graph.passes import cluster_pass

    store, truth, settings = small_decided_world
    emulated = {p.pattern: p for p in pattern_recall(store, truth).patterns}
    assert cluster_pass(store, settings).decisions_revised > 0
    stored = {p.pattern: p for p in pattern_recall(store, truth).patterns}
    for pattern, before in emulated.items():
        assert stored[pattern].decisions == pytest.approx(before.with_cluster_cases), pattern
        # A revision moves the latest decision, never the first version.
        assert stored[pattern].at_arrival == pytest.approx(before.at_arrival), pattern
        assert before.at_arrival <= before.decisions, pattern
    assert any(p.with_cluster_cases > p.decisions for p in emulated.values())
