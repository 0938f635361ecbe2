"""Linked accounts grouped by account, with their ties, enforcement and open cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import TEST_SECRET
from tests.factories import make_profile_verification
from trust.cases import load_case
from trust.enforcement import EnforcementState
from trust.enforcement_actions import act_on_linked, approve_linked, lift_on_appeal
from trust.errors import CaseError, PermissionDeniedError
from trust.identifiers import identifiers_of
from trust.linked_accounts import linked_groups, links_as_of, named_in_reason, open_linked_case
from trust.pii import PiiHasher
from trust.settings import Settings
from trust.staff import Role, StaffMember
from trust.store import Store, transaction
from trust.store.accounts import record_accounts, record_identifiers
from trust.store.clusters import members_of
from trust.store.tables import audit_log, case_notes

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ANALYST = StaffMember(1, "ana", Role.ANALYST)
LEAD = StaffMember(3, "lee", Role.LEAD)
LEAD_2 = StaffMember(4, "lou", Role.LEAD)


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


def test_a_linked_reason_names_the_accounts_as_they_stood_when_the_event_was_decided(
    store: Store,
) -> None:
    hasher = PiiHasher(TEST_SECRET.encode())
    before, decided, later = (
        NOW - timedelta(days=30),
        NOW + timedelta(minutes=1),
        NOW + timedelta(days=3),
    )
    shared = {"number": "GB7777777"}
    old = make_profile_verification(account_id="acct-old", document=shared)
    new = make_profile_verification(account_id="acct-new", document=shared)
    after = make_profile_verification(account_id="acct-after", document=shared)
    with transaction(store.engine) as conn:
        record_accounts(conn, [old, new, after])
        for event, seen in ((old, before), (new, NOW), (after, later)):
            record_identifiers(
                conn, identifiers_of(event, hasher), seen_at=seen, event_id=event.event_id
            )
        proposal = act_on_linked(conn, LEAD, ["acct-old"], EnforcementState.BLOCK, "evader", before)
        approve_linked(conn, proposal, LEAD_2, before + timedelta(days=1))
        # A fact after the decision: the block is lifted on appeal; the reason must not see it.
        lift_on_appeal(conn, "acct-old", 99, "overturned", "lou", later)
        links = links_as_of(conn, "acct-new", NOW, decided)
    assert [link.account_id for link in links] == ["acct-old"]
    assert "document" in links[0].kinds and links[0].enforcement == "block"
    assert named_in_reason("duplicate_document", links) == (
        "document also on acct-old, blocked 2026-05-03"
    )
    assert named_in_reason("linked_to_blocked_account", links) is not None
    assert named_in_reason("linked_to_held_account", links) is None
    assert named_in_reason("new_account_high_value", links) is None
    assert "also on acct-old" in (named_in_reason("sibling_signups", links) or "")
    with transaction(store.engine) as conn:
        earlier = links_as_of(conn, "acct-new", NOW, before + timedelta(hours=1))
    assert earlier[0].enforcement == "none"
    assert named_in_reason("duplicate_document", earlier) == (
        "document also on acct-old, no restriction"
    )


def test_a_lead_opens_one_case_on_linked_accounts_citing_the_ties_and_the_source_case(
    store: Store, settings: Settings
) -> None:
    hasher = PiiHasher(TEST_SECRET.encode())
    alice = make_profile_verification(account_id="acct-alice")
    twin = make_profile_verification(account_id="acct-twin")
    with transaction(store.engine) as conn:
        record_accounts(conn, [alice, twin])
        for event in (alice, twin):
            record_identifiers(
                conn, identifiers_of(event, hasher), seen_at=NOW, event_id=event.event_id
            )
        with pytest.raises(PermissionDeniedError):
            open_linked_case(
                conn, ANALYST, "acct-alice", ["acct-twin"], "same person", settings, NOW
            )
        with pytest.raises(CaseError, match="account_ids"):
            open_linked_case(conn, LEAD, "acct-alice", ["acct-stranger"], "why", settings, NOW)
        with pytest.raises(CaseError, match="reason"):
            open_linked_case(conn, LEAD, "acct-alice", ["acct-twin"], " ", settings, NOW)
        case_id = open_linked_case(
            conn, LEAD, "acct-alice", ["acct-twin"], "same person twice", settings, NOW
        )
        again = open_linked_case(
            conn, LEAD, "acct-twin", ["acct-alice"], "seen from the twin", settings, NOW
        )
        case = load_case(conn, case_id)
        members = {m.account_id: m.evidence for m in members_of(conn, case_id)}
        notes = conn.execute(select(case_notes.c.body).where(case_notes.c.case_id == case_id))
        bodies = list(notes.scalars())
        audited = conn.execute(
            select(audit_log.c.actor, audit_log.c.after).where(
                audit_log.c.action == "linked_case_opened"
            )
        ).all()
    assert again == case_id, "the same accounts join the open case instead of a second one"
    assert case.kind == "ring" and case.status == "open" and "shared_identity" in case.reason_codes
    assert set(members) == {"acct-alice", "acct-twin"}
    assert any("document" in line and "acct-alice" in line for line in members["acct-twin"])
    assert "GB1234567" not in str(members)
    assert "also on acct-twin" in bodies[0] and "same person twice" in bodies[0]
    assert [a.actor for a in audited] == ["lee", "lee"]
    assert audited[0].after["linked"] == ["acct-twin"] and audited[1].after["joined"] is True


def test_the_case_a_linked_case_cites_must_exist(store: Store, settings: Settings) -> None:
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="no case 404"):
        open_linked_case(conn, LEAD, "acct-a", ["acct-b"], "why", settings, NOW, source_case_id=404)
