"""An account's verifications are read from their own index, whatever else it did."""

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
    hi = datetime(2026, 3, 20, tzinfo=UTC)
    with store.engine.connect() as conn:
        rows = verification_rows(conn, ["acct-alice", "acct-bob"], hi)
        identities = identity_rows(conn, ["acct-alice"], hi)
    assert [(account, at.day) for account, at, *_ in rows] == [("acct-alice", 1)]
    assert [(account, at.day) for account, at, *_ in identities] == [("acct-alice", 1)]


def test_sqlite_reads_verifications_from_their_partial_index(sqlite_store: Store) -> None:
    # Through the account index, every sign-in and review of an account was a table row
    # read to learn its kind: the read grew with everything the account ever did.
    _store_history(sqlite_store)
    plan = explain(sqlite_store, _VERIFICATIONS, {"ids": '["acct-alice"]', "hi": NOW})
    assert "USING INDEX ix_events_verifications_by_account (subject_id=?" in plan, plan
    # The identities read the same rows (the same FROM and WHERE).
    with sqlite_store.engine.connect() as conn:
        sql = str(_IDENTITIES.compile(dialect=conn.dialect))
    assert "INDEXED BY ix_events_verifications_by_account" in sql
