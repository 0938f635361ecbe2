"""Linked accounts grouped by account, with their ties, enforcement and open cases."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import TEST_SECRET
from tests.factories import make_profile_verification
from trust.enforcement import EnforcementState
from trust.enforcement_actions import act_on_linked
from trust.identifiers import identifiers_of
from trust.linked_accounts import linked_groups
from trust.pii import PiiHasher
from trust.staff import Role, StaffMember
from trust.store import Store, transaction
from trust.store.accounts import record_accounts, record_identifiers

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LEAD = StaffMember(3, "lee", Role.LEAD)


def test_each_linked_account_is_listed_once_with_every_tie(store: Store) -> None:
    hasher = PiiHasher(TEST_SECRET.encode())
    alice = make_profile_verification(account_id="acct-alice")
    twin = make_profile_verification(account_id="acct-twin")  # same document, phone, device…
    cousin = make_profile_verification(
        account_id="acct-cousin",
        payment_fingerprint="pm-alice-1",
        network={"ip": "192.0.2.200", "device_id": "dev-other"},
        profile={"email": "someone@example.org", "phone": "+15550000000"},
        document={"number": "ZZ9999999"},
    )
    with transaction(store.engine) as conn:
        record_accounts(conn, [alice, twin, cousin])
        for event in (alice, twin, cousin):
            record_identifiers(
                conn, identifiers_of(event, hasher), seen_at=NOW, event_id=event.event_id
            )
        act_on_linked(conn, LEAD, ["acct-cousin"], EnforcementState.HOLD, "ring", NOW)
        groups = linked_groups(conn, "acct-alice")
    assert [g.account_id for g in groups] == ["acct-twin", "acct-cousin"]
    twin_group, cousin_group = groups
    assert [t.kind for t in twin_group.ties][:3] == ["device", "payment", "document"]
    assert "GB1234567" not in twin_group.tie_words()
    assert [t.kind for t in cousin_group.ties] == ["payment"]
    assert cousin_group.enforcement == "hold"
    assert cousin_group.reason_words() == (
        "payment method also on acct-cousin, hold since 2026-06-01"
    )
