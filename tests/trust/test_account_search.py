"""Finding an account by id prefix or display name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from tests.conftest import TEST_SECRET
from trust.account_search import search_accounts
from trust.pii import PiiHasher
from trust.store import transaction
from trust.store.accounts import record_name_words
from trust.store.tables import accounts

NOW = datetime(2026, 6, 1, tzinfo=UTC)


HASHER = PiiHasher(TEST_SECRET.encode())


@pytest.fixture
def people(store):
    rows = [
        ("acct-1", "Alice W."),
        ("acct-10", "Bob"),
        ("acct-2", None),
        ("x_y%", "Odd"),
        ("acct-3", "Anna-Maria Kowalska"),
    ]
    with transaction(store.engine) as conn:
        conn.execute(
            accounts.insert(),
            [
                {
                    "account_id": i,
                    "display_name": n,
                    "status": "active",
                    "first_seen_at": NOW,
                    "last_seen_at": NOW,
                }
                for i, n in rows
            ],
        )
        record_name_words(conn, {i: n for i, n in rows if n}, HASHER)
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("acct-1", ["acct-1", "acct-10"]),
        ("alice", ["acct-1"]),
        ("ALICE w.", ["acct-1"]),
        ("maria kowalska", ["acct-3"]),
        ("ali", []),
        ("ACCT", []),
        ("x_", ["x_y%"]),
        ("%", []),
        ("a", []),
    ],
)
def test_accounts_match_by_id_prefix_or_name(people, query, expected) -> None:
    with transaction(people.engine) as conn:
        found = [r["account_id"] for r in search_accounts(conn, query, HASHER)]
    assert found == expected


def test_display_names_are_sealed_at_rest_and_read_back_clear(people) -> None:
    with people.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT display_name FROM accounts WHERE account_id = 'acct-1'")
        ).scalar_one()
        shown = conn.execute(
            select(accounts.c.display_name).where(accounts.c.account_id == "acct-1")
        ).scalar_one()
    assert "Alice" not in stored and shown == "Alice W."
