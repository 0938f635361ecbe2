"""A small simulated marketplace ingested into a SQLite store, shared by the model tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import insert, select

from tests.conftest import TEST_KEYRING, TEST_SECRET
from trust.intake import ingest_file
from trust.settings import Settings
from trust.simulate import simulate
from trust.store import Store
from trust.store.tables import case_evidence, cases, events


@dataclass(frozen=True)
class Marketplace:
    """Where the simulated store and its truth live."""

    database_url: str
    truth_path: Path

    def truth(self) -> pd.DataFrame:
        """``is_fraud`` and ``pattern`` by event id."""
        return pd.read_csv(self.truth_path, index_col="event_id")

    def label_reviews(self, store: Store) -> None:
        """A resolved case per stored review, confirmed when the truth says fraud."""
        truth = self.truth()
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            rows = conn.execute(
                select(events.c.event_id, events.c.subject_id).where(events.c.kind == "review")
            ).all()
            for event_id, subject in rows:
                label = "confirmed" if truth.loc[event_id, "is_fraud"] else "dismissed"
                case_id = conn.execute(
                    insert(cases).values(
                        subject_id=subject,
                        kind="review",
                        status="resolved",
                        reason_codes=[],
                        opened_at=now,
                        updated_at=now,
                        resolved_at=now,
                        label=label,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    insert(case_evidence).values(case_id=case_id, event_id=event_id, added_at=now)
                )

    def settings(self, data_dir: Path) -> Settings:
        """Settings over this store with their own data folder (their own model registry)."""
        return Settings(
            environment="test",
            data_dir=data_dir,
            database_url=self.database_url,
            secret_key=TEST_SECRET,
        )


@pytest.fixture(scope="session")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Marketplace:
    """300 honest accounts over 30 days plus planted fraud, ingested (no decisions yet)."""
    folder = tmp_path_factory.mktemp("marketplace")
    summary = simulate(300, 30, 5, folder)
    url = f"sqlite:///{folder / 'trust.db'}"
    settings = Settings(
        environment="test", data_dir=folder, database_url=url, secret_key=TEST_SECRET
    )
    store = Store.open(url, keyring=TEST_KEYRING)
    ingest_file(store, summary.events_path, settings)
    store.close()
    return Marketplace(url, summary.truth_path)


@pytest.fixture
def market_store(marketplace: Marketplace):
    store = Store.open(marketplace.database_url, keyring=TEST_KEYRING)
    yield store
    store.close()
