"""Finding accounts by what a ticket holds: identifiers through the keyed hashes, fuzzy names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.factories import make_profile_verification
from trust.account_search import find_accounts, identifier_kinds_for
from trust.identifiers import identifiers_of
from trust.pii import PiiHasher
from trust.store import transaction
from trust.store.accounts import record_accounts, record_identifiers
from trust.store.tables import audit_log

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HASHER = PiiHasher(TEST_SECRET.encode())


@pytest.fixture
def planted(store):
    alice = make_profile_verification()
    other = make_profile_verification(
        account_id="acct-zed",
        profile={"display_name": "Zed Q.", "email": "zed@example.org", "phone": "+15550001111"},
        document={"number": "ZX9988776"},
        payment_fingerprint="pm-zed-7",
        network={"ip": "198.51.100.99", "device_id": "dev-zed"},
    )
    with transaction(store.engine) as conn:
        record_accounts(conn, [alice, other])
        for event in (alice, other):
            record_identifiers(
                conn, identifiers_of(event, HASHER), seen_at=NOW, event_id=event.event_id
            )
    return store


@pytest.mark.parametrize(
    ("query", "kind", "expected", "how"),
    [
        ("Alice.Walker@example.co.uk", None, ["acct-alice"], "email"),
        ("+44 7700 900123", None, ["acct-alice"], "phone"),
        ("GB1234567", None, ["acct-alice"], "document"),
        ("198.51.100.99", None, ["acct-zed"], "ip"),
        ("pm-zed-7", "payment", ["acct-zed"], "payment"),
        ("Alcie W", None, ["acct-alice"], "name"),
        ("acct-ze", None, ["acct-zed"], "id"),
    ],
)
def test_an_account_is_found_by_any_identifier_a_ticket_holds(
    planted, query, kind, expected, how
) -> None:
    with transaction(planted.engine) as conn:
        hits = find_accounts(conn, query, HASHER, actor="ana", at=NOW, kind=kind)
    assert [h.account_id for h in hits] == expected
    assert how in hits[0].matched_by
    assert hits[0].enforcement == "none"
    assert hits[0].open_cases == 0


def test_a_wrong_kind_finds_nothing(planted) -> None:
    with transaction(planted.engine) as conn:
        assert find_accounts(conn, "pm-zed-7", HASHER, actor="ana", at=NOW, kind="email") == []


def test_every_search_is_audited_without_the_identifier(planted) -> None:
    with transaction(planted.engine) as conn:
        find_accounts(conn, "zed@example.org", HASHER, actor="ana", at=NOW)
        row = conn.execute(select(audit_log).where(audit_log.c.action == "account_search")).one()
    assert row.actor == "ana"
    assert row.after == {"kinds": ["email"], "results": 1, "matched_by": ["email"]}
    assert "zed" not in str(row.after) + str(row.before) + row.target_id


def test_the_shape_of_a_query_picks_the_identifiers_tried() -> None:
    assert identifier_kinds_for("a@b.c") == ("email",)
    assert identifier_kinds_for("2001:db8::1") == ("ip",)
    assert identifier_kinds_for("+1 555 000 1111") == ("phone", "document", "payment")
    assert identifier_kinds_for("pm-zed-7") == ("document", "payment")
