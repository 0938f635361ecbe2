"""Fixtures for dashboard tests: a temp store named by TRUST_* variables, staff, seeded cases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import TEST_KEYRING, TEST_SECRET
from trust.cases.seed import seed_open_cases
from trust.settings import Settings
from trust.staff import StaffMember, add_staff, get_staff, set_reveal_grant
from trust.store import Store, transaction

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def dashboard_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """An empty migrated SQLite store that the dashboard under test reads through TRUST_*."""
    url = f"sqlite:///{tmp_path / 'trust.db'}"
    monkeypatch.setenv("TRUST_DATABASE_URL", url)
    monkeypatch.setenv("TRUST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TRUST_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("TRUST_ENVIRONMENT", "test")
    monkeypatch.delenv("TRUST_REDIS_URL", raising=False)
    store = Store.open(url, keyring=TEST_KEYRING)
    yield store
    store.close()
    # The app under test opened its own engine on this file, and counted its sign-ins.
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def staff(dashboard_store: Store) -> Callable[..., StaffMember]:
    """Create a staff member with the test password: ``staff("ana", "analyst")``."""

    def create(username: str, role: str, *, reveal: bool = False) -> StaffMember:
        with transaction(dashboard_store.engine) as conn:
            add_staff(conn, username, role, PASSWORD)
            if reveal:
                set_reveal_grant(conn, username, True)
            member = get_staff(conn, username)
        assert member is not None
        return member

    return create


@pytest.fixture
def seeded(dashboard_store: Store) -> Callable[..., list[int]]:
    """Seed ``n`` open cases (events, decisions, evidence) and return their ids."""

    def seed(n: int, *, seed: int = 7) -> list[int]:
        settings = Settings(environment="test", secret_key=TEST_SECRET)
        with transaction(dashboard_store.engine) as conn:
            return seed_open_cases(conn, n, datetime.now(UTC), settings, seed=seed).case_ids

    return seed


def app_as(member: StaffMember | None) -> AppTest:
    """The dashboard, with ``member`` already signed in (None: nobody), run once."""
    app = AppTest.from_file(str(APP), default_timeout=60)
    if member is not None:
        app.session_state["staff"] = member
    return app.run()


def open_page(app: AppTest, page: str, **query: str) -> AppTest:
    """Switch ``app`` to ``screens/<page>.py`` with query parameters, and run it."""
    app.query_params.update(query)
    return app.switch_page(f"screens/{page}.py").run()


def texts(app: AppTest) -> str:
    """Everything the run wrote as text, one block per element, for 'is it said' checks."""
    parts = [
        e.value
        for kind in (
            "markdown",
            "caption",
            "info",
            "success",
            "warning",
            "error",
            "title",
            "subheader",
        )
        for e in getattr(app, kind)
    ]
    return "\n".join(str(p) for p in parts)


def first_case_of_kind(store: Store, kind: str) -> int:
    """The id of the highest-priority open case of ``kind``."""
    from trust.cases import QueueFilter
    from trust.cases.queries import queue_page

    settings = Settings(environment="test", secret_key=TEST_SECRET)
    with transaction(store.engine) as conn:
        page = queue_page(conn, QueueFilter(kind=kind), datetime.now(UTC), settings, page_size=1)
    assert page.items, f"no open {kind} case was seeded"
    return page.items[0].case.id


@pytest.fixture
def appealed(dashboard_store: Store, staff: Callable[..., StaffMember]) -> Callable[..., int]:
    """An account blocked automatically, the block confirmed by ``first-lead``, then appealed
    through the pipeline's intake; returns the appeal case id."""
    from tests.factories import appeal_payload, profile_verification_payload
    from trust.cases import Action, Resolution, claim, resolve
    from workers.wiring import build_pipeline

    def appeal(
        account_id: str = "acct-appellant",
        *,
        new_information: str = "My passport was renewed; here is the new one.",
    ) -> int:
        first = staff("first-lead", "lead")
        settings = Settings(environment="test", secret_key=TEST_SECRET)
        pipeline = build_pipeline(settings, dashboard_store)
        now = datetime.now(UTC)
        blocked = pipeline.process(
            [
                profile_verification_payload(
                    account_id=account_id,
                    document_check={
                        "tamper_score": 0.93,
                        "mrz_consistent": False,
                        "selfie_match_score": 0.1,
                        "liveness_passed": False,
                    },
                )
            ],
            now,
        )
        case_id = blocked.case_ids[blocked.decisions[0].event_id]
        with transaction(dashboard_store.engine) as conn:
            claim(conn, case_id, first, now)
            resolve(
                conn,
                case_id,
                first,
                Resolution(Action.REJECT_VERIFICATION, "document_tampered"),
                now,
            )
        result = pipeline.process(
            [
                appeal_payload(
                    account_id=account_id,
                    occurred_at=now.isoformat(),
                    new_information=new_information,
                )
            ],
            now,
        )
        [appeal_case] = result.appeal_cases.values()
        return appeal_case

    return appeal


@pytest.fixture
def taken_over(dashboard_store: Store) -> Callable[[], int]:
    """An account taken over through the pipeline (``takeover_batches``); returns the id of
    the case its refused withdrawal opened or joined."""
    from tests.factories import takeover_batches
    from workers.wiring import build_pipeline

    def take_over() -> int:
        settings = Settings(environment="test", secret_key=TEST_SECRET)
        pipeline = build_pipeline(settings, dashboard_store)
        now = datetime.now(UTC)
        result = None
        for batch in takeover_batches():
            result = pipeline.process(batch, now)
        assert result is not None
        return result.case_ids[result.decisions[0].event_id]

    return take_over
