"""A pipeline over a real store, and helpers to read a dispute back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from trust.composition import build_pipeline
from trust.pipeline import BatchResult, Pipeline
from trust.settings import Settings
from trust.store import Store
from trust.store.disputes import DisputeRow, load_dispute
from trust.store.tables import audit_log

# The complaint of tests.factories is filed Sunday 15 March 2026, 08:00 UTC.
FILED = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
def pipeline(store: Store, settings: Settings) -> Pipeline:
    return build_pipeline(settings, store)


def send(pipeline: Pipeline, *records: Any, now: datetime = FILED) -> BatchResult:
    """Run records through the pipeline as the workers would, at ``now``."""
    return pipeline.process(
        [r if isinstance(r, dict) else r.model_dump(mode="json") for r in records], now
    )


def dispute(store: Store, case_id: int) -> DisputeRow:
    with store.engine.connect() as conn:
        return load_dispute(conn, case_id)


def audit_actions(store: Store, case_id: int) -> list[str]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.target_type == "case", audit_log.c.target_id == str(case_id))
                .order_by(audit_log.c.id)
            ).scalars()
        )
