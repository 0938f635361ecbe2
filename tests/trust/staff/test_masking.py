"""Personal data is masked for display; revealing it needs the permission and is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.factories import (
    complaint_payload,
    make_profile_verification,
    profile_verification_payload,
    reference_check_payload,
)
from trust.errors import CaseError, PermissionDeniedError
from trust.staff import Role, StaffMember, mask_payload, mask_text, reveal
from trust.store import Store, transaction
from trust.store.events import insert_events
from trust.store.tables import audit_log

NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)


def test_a_verification_payload_hides_documents_contacts_and_network() -> None:
    payload = profile_verification_payload()
    masked = mask_payload("profile_verification", payload)
    text = json.dumps(masked)
    for secret in (
        "GB1234567",
        "alice.walker@example.co.uk",
        "+447700900123",
        "203.0.113.10",
        "dev-honest-1",
        "pm-alice-1",
        "1990-04-12",
    ):
        assert secret not in text
    assert masked["document"]["number"].endswith("4567")
    assert masked["profile"]["email"].endswith("@example.co.uk")
    assert masked["document"]["date_of_birth"] == "1990-**-**"
    assert masked["profile"]["legal_name"] == "Alice Walker"  # names are needed to compare
    assert payload["document"]["number"] == "GB1234567"  # the original is untouched


def test_a_reference_hides_the_referee_email_and_their_network() -> None:
    masked = mask_payload("reference_check", reference_check_payload())
    text = json.dumps(masked)
    assert "carol.jones@" not in text and "192.0.2.44" not in text
    assert "dev-carol-1" not in text


def test_contacts_inside_free_text_are_masked() -> None:
    payload = complaint_payload(
        description="He asked me to pay to pay.me@paypal.com or call +44 7700 900123."
    )
    masked = mask_payload("complaint", payload)["description"]
    assert "pay.me@paypal.com" not in masked and "900123" not in masked
    assert "asked me to pay" in masked


def test_reveal_true_returns_the_payload_unchanged() -> None:
    payload = profile_verification_payload()
    assert mask_payload("profile_verification", payload, reveal=True) == payload


def test_masking_text_without_contacts_changes_nothing() -> None:
    assert mask_text("Great work, five stars.") == "Great work, five stars."


def stored_event(store: Store) -> str:
    event = make_profile_verification()
    with transaction(store.engine) as conn:
        insert_events(conn, [event], source="test", received_at=NOW)
    return event.event_id


def test_an_analyst_cannot_reveal(store: Store) -> None:
    event_id = stored_event(store)
    with transaction(store.engine) as conn, pytest.raises(PermissionDeniedError):
        reveal(conn, StaffMember(1, "ana", Role.ANALYST), event_id, NOW)


def test_a_lead_reveals_and_the_reveal_is_audited(store: Store) -> None:
    event_id = stored_event(store)
    with transaction(store.engine) as conn:
        clear = reveal(conn, StaffMember(2, "lee", Role.LEAD), event_id, NOW)
        audit = conn.execute(select(audit_log)).one()
    assert clear["document"]["number"] == "GB1234567"
    assert (audit.actor, audit.action, audit.target_id) == ("lee", "pii_revealed", event_id)


def test_revealing_an_unknown_event_says_so(store: Store) -> None:
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="no stored event"):
        reveal(conn, StaffMember(2, "lee", Role.LEAD), "ev-missing", NOW)
