"""Finding an account by id prefix or display name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trust.account_search import search_accounts
from trust.store import transaction
from trust.store.tables import accounts

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def people(store):
    rows = [("acct-1", "Alice W."), ("acct-10", "Bob"), ("acct-2", None), ("x_y%", "Odd")]
    with transaction(store.engine) as conn:
        conn.execute(accounts.insert(), [
            {"account_id": i, "display_name": n, "status": "active", "first_seen_at": NOW,
             "last_seen_at": NOW} for i, n in rows])
    return store


@pytest.mark.parametrize(("query", "expected"), [
    ("acct-1", ["acct-1", "acct-10"]),
    ("alice", ["acct-1"]),
    ("ACCT", []),
    ("x_", ["x_y%"]),
    ("%", []),
    ("a", []),
])
def test_accounts_match_by_id_prefix_or_name(people, query, expected) -> None:
    with transaction(people.engine) as conn:
        found = [r["account_id"] for r in search_accounts(conn, query)]
    assert found == expected
