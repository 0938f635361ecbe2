"""Several processes claiming from one queue never get the same case and lose none."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.trust.cases.claimers import NOW, claim_until_empty
from trust.cases.seed import seed_open_cases
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.tables import audit_log, cases

CASES = 1_000
PROCESSES = 3


def store_url(store: Store, tmp_path: Path, postgres: str | None) -> str:
    return postgres if store.dialect == "postgresql" else f"sqlite:///{tmp_path / 'trust.db'}"


@pytest.mark.slow
def test_concurrent_claimers_get_disjoint_sets_covering_the_queue(
    store: Store, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    postgres = request.getfixturevalue("postgres_url") if store.dialect == "postgresql" else None
    url = store_url(store, tmp_path, postgres)
    with transaction(store.engine) as conn:
        seeded = seed_open_cases(conn, CASES, NOW, settings, max_evidence=1).case_ids
    names = [f"claimer-{i}" for i in range(PROCESSES)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        start_line = manager.Barrier(PROCESSES)
        results = pool.starmap(claim_until_empty, [(url, name, start_line) for name in names])
    claimed = [case_id for got in results for case_id in got]
    assert len(claimed) == len(set(claimed)), "a case was handed out twice"
    assert sorted(claimed) == sorted(seeded), "a case was lost"
    assert sum(1 for got in results if got) >= 2, "the claims did not overlap in time"
    with store.engine.connect() as conn:
        holders = dict(conn.execute(select(cases.c.id, cases.c.claimed_by)).tuples().all())
        claims = conn.execute(select(func.count()).where(audit_log.c.action == "claimed"))
        assert claims.scalar_one() == CASES
    for name, got in zip(names, results, strict=True):
        assert {holders[i] for i in got} == {name}
