"""An account's verifications are read from their own index, whatever else it did, and only
those that can be in force when asked about."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_event, make_profile_verification
from tests.trust.signals.conftest import HASHER
from tests.trust.store.plans import explain
from trust.store import Store, transaction
from trust.store.events import store_events
from trust.store.lookups import _IDENTITIES, _VERIFICATIONS, identity_rows, verification_rows

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _store_history(store: Store) -> None:
    events = [
        make_profile_verification(account_id="acct-alice", occurred_at="2026-03-01T10:00:00Z"),
        make_profile_verification(account_id="acct-alice", occurred_at="2026-03-25T10:00:00Z"),
        make_profile_verification(account_id="acct-carol", occurred_at="2026-03-02T10:00:00Z"),
        *(
            make_event("sign_in", account_id="acct-alice", occurred_at=f"2026-03-{d:02d}T08:00:00Z")
            for d in range(2, 22)
        ),
    ]
    with transaction(store.engine) as conn:
        store_events(conn, events, HASHER, source="test", received_at=NOW)


def test_verifications_up_to_a_moment_and_nothing_else_of_the_account(store: Store) -> None:
    _store_history(store)
    since, hi = datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC)
    with store.engine.connect() as conn:
        rows = verification_rows(conn, ["acct-alice", "acct-bob"], since, hi)
        identities = identity_rows(conn, ["acct-alice"], since, hi)
    assert [(account, at.day) for account, at, *_ in rows] == [("acct-alice", 1)]
    assert [(account, at.day) for account, at, *_ in identities] == [("acct-alice", 1)]


def test_only_the_verifications_in_force_from_a_moment_on_are_read(store: Store) -> None:
    # An account that verified again every month cost more every month: every one of its
    # verifications was read for each batch. Read are the latest at or before ``since``
    # (in force then) and those after it, up to ``hi``.
    days = (2, 9, 16, 23, 30)
    events = [
        *(
            make_profile_verification(
                account_id="acct-dan", occurred_at=f"2026-01-{d:02d}T10:00:00Z"
            )
            for d in days
        ),
        make_profile_verification(account_id="acct-erin", occurred_at="2026-01-20T10:00:00Z"),
    ]
    with transaction(store.engine) as conn:
        store_events(conn, events, HASHER, source="test", received_at=NOW)

    def read(since: datetime, hi: datetime) -> list[tuple[str, int]]:
        with store.engine.connect() as conn:
            ids = ["acct-dan", "acct-erin", "acct-nobody"]
            found = [(a, at.day) for a, at, *_ in verification_rows(conn, ids, since, hi)]
            assert found == [(a, at.day) for a, at, *_ in identity_rows(conn, ids, since, hi)]
        return sorted(found)

    jan = lambda day, hour=12: datetime(2026, 1, day, hour, tzinfo=UTC)  # noqa: E731
    assert read(jan(17), jan(31)) == [
        ("acct-dan", 16),
        ("acct-dan", 23),
        ("acct-dan", 30),
        ("acct-erin", 20),
    ]
    assert read(jan(16, 10), jan(24)) == [("acct-dan", 16), ("acct-dan", 23), ("acct-erin", 20)]
    assert read(jan(1), jan(5)) == [("acct-dan", 2)]  # none in force yet at ``since``
    assert read(jan(31), jan(31)) == [("acct-dan", 30), ("acct-erin", 20)]


def test_sqlite_reads_verifications_from_their_partial_index(sqlite_store: Store) -> None:
    # Through the account index, every sign-in and review of an account was a table row
    # read to learn its kind: the read grew with everything the account ever did.
    _store_history(sqlite_store)
    plan = explain(sqlite_store, _VERIFICATIONS, {"ids": ["acct-alice"], "since": NOW, "hi": NOW})
    # The account's verifications from the latest in force (found by the index too) on.
    assert "USING INDEX ix_events_verifications_by_account (subject_id=? AND occurred_at>?" in (
        plan
    ), plan
    assert "ix_events_subject_occurred" not in plan, plan
    # The identities read the same rows (the same FROM and WHERE).
    with sqlite_store.engine.connect() as conn:
        sql = str(_IDENTITIES.compile(dialect=conn.dialect))
    assert "INDEXED BY ix_events_verifications_by_account" in sql
