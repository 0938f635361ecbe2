"""Accounts and their identifiers: upserted per batch, looked up by shared identifier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.factories import make_complaint, make_profile_verification, make_review
from trust.identifiers import identifiers_of
from trust.pii import PiiHasher
from trust.store import Store, transaction
from trust.store.accounts import (
    account_statuses,
    accounts_sharing,
    record_accounts,
    record_batch_identifiers,
    record_identifiers,
    set_account_status,
)
from trust.store.tables import account_identifiers, accounts

HASHER = PiiHasher(TEST_SECRET.encode())


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones in the session zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def account(store: Store, account_id: str) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(select(accounts).where(accounts.c.account_id == account_id)).one()


def test_accounts_widen_their_seen_window_and_keep_profile_facts(store: Store) -> None:
    early = make_review(occurred_at="2026-01-01T00:00:00Z")
    late = make_complaint(occurred_at="2026-05-01T00:00:00Z")
    verification = make_profile_verification(
        account_id="acct-bob", occurred_at="2026-03-01T00:00:00Z"
    )
    with transaction(store.engine) as conn:
        record_accounts(conn, [verification])
    with transaction(store.engine) as conn:
        record_accounts(conn, [late, early])
    bob = account(store, "acct-bob")
    assert as_utc(bob.first_seen_at) == datetime(2026, 1, 1, tzinfo=UTC)
    assert as_utc(bob.last_seen_at) == datetime(2026, 5, 1, tzinfo=UTC)
    assert (bob.role, bob.country, bob.status) == ("freelancer", "GB", "active")


def test_accounts_sharing_finds_every_account_behind_an_identifier(store: Store) -> None:
    a = make_profile_verification(account_id="acct-a", payment_fingerprint="pm-1")
    b = make_profile_verification(
        account_id="acct-b", payment_fingerprint="pm-1", document={"number": "X9999999"}
    )
    c = make_profile_verification(account_id="acct-c", payment_fingerprint="pm-2")
    with transaction(store.engine) as conn:
        record_batch_identifiers(conn, [a, b, c], HASHER)
        shared = HASHER.hash("payment", "pm-1")
        alone = HASHER.hash("payment", "pm-2")
        found = accounts_sharing(conn, "payment", [shared, alone, "no-such-hash"])
        assert found == {shared: {"acct-a", "acct-b"}, alone: {"acct-c"}}
        assert accounts_sharing(conn, "payment", []) == {}


def test_identifiers_are_upserted_and_remember_the_first_and_last_sighting(store: Store) -> None:
    later = make_review(occurred_at="2026-04-01T00:00:00Z")
    earlier = make_review(occurred_at="2026-02-01T00:00:00Z")
    with transaction(store.engine) as conn:
        record_batch_identifiers(conn, [later], HASHER)
    with transaction(store.engine) as conn:
        record_batch_identifiers(conn, [earlier, later], HASHER)
        record_identifiers(
            conn,
            identifiers_of(earlier, HASHER),
            seen_at=earlier.occurred_at,
            event_id=earlier.event_id,
        )
    with store.engine.connect() as conn:
        rows = conn.execute(select(account_identifiers)).all()
    assert {(r.account_id, r.kind) for r in rows} == {("acct-bob", "device"), ("acct-bob", "ip")}
    for row in rows:
        # A late, older sighting must not move last_seen_at backwards.
        assert as_utc(row.last_seen_at) == datetime(2026, 4, 1, tzinfo=UTC)
        assert row.value_hash != "198.51.100.7" and row.masked in {"198.51.100.*", "dev-…"}


def test_account_statuses_follow_staff_actions(store: Store) -> None:
    with transaction(store.engine) as conn:
        record_accounts(conn, [make_review()])
        set_account_status(conn, "acct-bob", "blocked")
        assert account_statuses(conn, ["acct-bob", "acct-alice", "nobody"]) == {
            "acct-bob": "blocked",
            "acct-alice": "active",
        }
        assert account_statuses(conn, []) == {}
        with pytest.raises(ValueError, match="unknown account status"):
            set_account_status(conn, "acct-bob", "banished")
