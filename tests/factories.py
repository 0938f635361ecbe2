"""One-line builders of valid events for tests: ``make_review(rating=1)``."""

from __future__ import annotations

import itertools
from copy import deepcopy
from typing import Any

from trust.events import (
    ComplaintEvent,
    ProfileVerificationEvent,
    ReferenceCheckEvent,
    ReviewEvent,
    event_adapter,
)

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids):06d}"


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into ``base``; a key set to ``...`` is removed."""
    merged = deepcopy(base)
    for key, value in overrides.items():
        if value is ...:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def profile_verification_payload(**overrides: Any) -> dict[str, Any]:
    """A clean verification: matching names and countries, good vendor scores."""
    base = {
        "kind": "profile_verification",
        "event_id": _next_id("pv"),
        "occurred_at": "2026-03-01T10:00:00Z",
        "network": {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"},
        "account_id": "acct-alice",
        "role": "freelancer",
        "account_created_at": "2025-06-01T09:00:00Z",
        "profile": {
            "display_name": "Alice W.",
            "legal_name": "Alice Walker",
            "country": "GB",
            "email": "alice.walker@example.co.uk",
            "phone": "+447700900123",
            "title": "Data engineer",
            "skills": ["python", "sql"],
            "hourly_rate": {"amount": "55.00", "currency": "GBP"},
            "photo_present": True,
        },
        "document": {
            "type": "passport",
            "issuing_country": "GB",
            "name_on_document": "Alice Walker",
            "date_of_birth": "1990-04-12",
            "number": "GB1234567",
            "expires_on": "2031-04-11",
        },
        "document_check": {
            "tamper_score": 0.02,
            "mrz_consistent": True,
            "selfie_match_score": 0.97,
            "liveness_passed": True,
        },
        "payment_fingerprint": "pm-alice-1",
    }
    return _merge(base, overrides)


def review_payload(**overrides: Any) -> dict[str, Any]:
    """A client's honest 5-star review of a paid contract."""
    base = {
        "kind": "review",
        "event_id": _next_id("rv"),
        "occurred_at": "2026-03-10T12:00:00Z",
        "network": {"ip": "198.51.100.7", "ip_country": "US", "device_id": "dev-client-1"},
        "contract_id": "ct-1",
        "reviewer_id": "acct-bob",
        "reviewee_id": "acct-alice",
        "direction": "client_to_freelancer",
        "rating": 5,
        "sub_ratings": {"quality": 5, "communication": 4},
        "text": "Delivered a clean pipeline on time, great communication.",
        "amount_paid": {"amount": "1200.00", "currency": "USD"},
        "contract_started_at": "2026-02-01T09:00:00Z",
        "contract_ended_at": "2026-03-05T17:00:00Z",
    }
    return _merge(base, overrides)


def reference_check_payload(**overrides: Any) -> dict[str, Any]:
    """A referee at a real company confirming a project a day after the request."""
    base = {
        "kind": "reference_check",
        "event_id": _next_id("rc"),
        "occurred_at": "2026-03-12T15:00:00Z",
        "freelancer_id": "acct-alice",
        "referee": {
            "name": "Carol Jones",
            "email": "carol.jones@acme-corp.com",
            "company": "Acme Corp",
            "role": "CTO",
        },
        "claimed_project": {
            "title": "Data warehouse migration",
            "started_on": "2025-07-01",
            "ended_on": "2025-10-01",
        },
        "request_sent_at": "2026-03-11T15:00:00Z",
        "response": {
            "confirms": True,
            "rating": 5,
            "text": "Alice led the migration and did it well.",
            "responded_at": "2026-03-12T15:00:00Z",
            "ip": "192.0.2.44",
            "device_id": "dev-carol-1",
        },
    }
    return _merge(base, overrides)


def complaint_payload(**overrides: Any) -> dict[str, Any]:
    """A freelancer's non-payment complaint about a funded milestone."""
    base = {
        "kind": "complaint",
        "event_id": _next_id("cp"),
        "occurred_at": "2026-03-15T08:00:00Z",
        "network": {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"},
        "complainant_id": "acct-alice",
        "respondent_id": "acct-bob",
        "complainant_role": "freelancer",
        "respondent_role": "client",
        "category": "non_payment",
        "contract_id": "ct-2",
        "milestone_id": "ms-1",
        "amount_in_dispute": {"amount": "800.00", "currency": "USD"},
        "escrow_state": "funded",
        "description": "Milestone 1 was submitted 20 days ago and has not been released.",
        "evidence_refs": ["file-1"],
    }
    return _merge(base, overrides)


def make_profile_verification(**overrides: Any) -> ProfileVerificationEvent:
    """A validated profile verification event."""
    return ProfileVerificationEvent.model_validate(profile_verification_payload(**overrides))


def make_review(**overrides: Any) -> ReviewEvent:
    """A validated review event."""
    return ReviewEvent.model_validate(review_payload(**overrides))


def make_reference_check(**overrides: Any) -> ReferenceCheckEvent:
    """A validated reference check event."""
    return ReferenceCheckEvent.model_validate(reference_check_payload(**overrides))


def make_complaint(**overrides: Any) -> ComplaintEvent:
    """A validated complaint event."""
    return ComplaintEvent.model_validate(complaint_payload(**overrides))


def dispute_payload(kind: str, **overrides: Any) -> dict[str, Any]:
    """A party's event on the dispute of ``complaint_payload``'s contract (the client answers)."""
    base: dict[str, Any] = {
        "kind": kind,
        "event_id": _next_id("dp"),
        "occurred_at": "2026-03-16T09:00:00Z",
        "contract_id": "ct-2",
        "milestone_id": "ms-1",
        "party_id": "acct-bob",
        "side": "client",
    }
    if kind == "dispute_statement":
        base["text"] = "The milestone was not delivered as agreed."
    elif kind == "dispute_evidence":
        base["attachments"] = [
            {
                "attachment_id": _next_id("att"),
                "filename": "delivery.pdf",
                "media_type": "application/pdf",
                "size_bytes": 20480,
                "sha256": "a" * 64,
                "url": "https://files.example.com/att/delivery.pdf",
            }
        ]
    elif kind == "dispute_offer":
        base.update(released_amount="400.00", refunded_amount="400.00", currency="USD")
    else:
        base.update(answer="accept", proposal_id="1")
    return _merge(base, overrides)


def make_dispute_event(kind: str, **overrides: Any) -> Any:
    """A validated dispute party event of ``kind`` (statement, evidence or answer)."""
    return event_adapter.validate_python(dispute_payload(kind, **overrides))


def sign_in_payload(**overrides: Any) -> dict[str, Any]:
    """Alice signs in with her password from her usual laptop at home."""
    base = {
        "kind": "sign_in",
        "event_id": _next_id("si"),
        "occurred_at": "2026-03-20T08:00:00Z",
        "network": {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"},
        "account_id": "acct-alice",
        "outcome": "success",
        "auth_method": "password_two_factor",
    }
    return _merge(base, overrides)


def credential_change_payload(**overrides: Any) -> dict[str, Any]:
    """Alice changes her password while signed in."""
    base = {
        "kind": "credential_change",
        "event_id": _next_id("cc"),
        "occurred_at": "2026-03-20T08:10:00Z",
        "network": {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"},
        "account_id": "acct-alice",
        "credential": "password",
        "via": "user",
    }
    return _merge(base, overrides)


def payout_method_change_payload(**overrides: Any) -> dict[str, Any]:
    """Alice adds her own UK bank account."""
    base = {
        "kind": "payout_method_change",
        "event_id": _next_id("po"),
        "occurred_at": "2026-03-20T08:20:00Z",
        "network": {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"},
        "account_id": "acct-alice",
        "action": "added",
        "method_type": "bank_account",
        "fingerprint": "bank-alice-1",
        "holder_name": "Alice Walker",
        "country": "GB",
    }
    return _merge(base, overrides)


def withdrawal_request_payload(**overrides: Any) -> dict[str, Any]:
    """Alice withdraws her earnings to her bank account."""
    base = {
        "kind": "withdrawal_request",
        "event_id": _next_id("wd"),
        "occurred_at": "2026-03-25T09:00:00Z",
        "network": {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"},
        "account_id": "acct-alice",
        "amount": {"amount": "1250.00", "currency": "GBP"},
        "payout_fingerprint": "bank-alice-1",
    }
    return _merge(base, overrides)


def client_payment_payload(**overrides: Any) -> dict[str, Any]:
    """Bob funds a milestone with his card."""
    base = {
        "kind": "client_payment",
        "event_id": _next_id("pm"),
        "occurred_at": "2026-03-05T10:00:00Z",
        "network": {"ip": "198.51.100.7", "ip_country": "US", "device_id": "dev-bob-1"},
        "client_id": "acct-bob",
        "contract_id": "ct-2",
        "amount": {"amount": "800.00", "currency": "USD"},
        "instrument": "card",
        "fingerprint": "card-bob-1",
        "country": "US",
        "outcome": "success",
    }
    return _merge(base, overrides)


PAYLOAD_BUILDERS = {
    "profile_verification": profile_verification_payload,
    "review": review_payload,
    "reference_check": reference_check_payload,
    "complaint": complaint_payload,
    "sign_in": sign_in_payload,
    "credential_change": credential_change_payload,
    "payout_method_change": payout_method_change_payload,
    "withdrawal_request": withdrawal_request_payload,
    "client_payment": client_payment_payload,
}


def make_event(kind: str, **overrides: Any) -> Any:
    """A validated event of ``kind``."""
    return event_adapter.validate_python(PAYLOAD_BUILDERS[kind](**overrides))


def appeal_payload(**overrides: Any) -> dict[str, Any]:
    """An appeal against the enforcement on acct-1 bringing new information (a valid record)."""
    base: dict[str, Any] = {
        "kind": "appeal",
        "event_id": _next_id("ap"),
        "occurred_at": "2026-03-21T09:00:00Z",
        "account_id": "acct-1",
        "new_information": "My passport was renewed; here is the new one.",
        "evidence_refs": ["file-9"],
    }
    return _merge(base, overrides)


INTRUDER_NETWORK = {"ip": "198.51.100.66", "ip_country": "VN", "device_id": "dev-intruder"}


def takeover_batches(account_id: str = "acct-alice") -> list[list[dict[str, Any]]]:
    """Alice's account taken over, batch by batch: her verification and own sign-in, then a
    sign-in from a new device abroad, a recovery, a payout method in another name, and
    last the withdrawal to it."""
    who = {"account_id": account_id}
    intruder = {"network": INTRUDER_NETWORK, **who}
    return [
        [profile_verification_payload(occurred_at="2026-03-01T10:00:00Z", **who)],
        [sign_in_payload(occurred_at="2026-03-20T08:00:00Z", **who)],
        [
            sign_in_payload(occurred_at="2026-03-21T02:00:00Z", **intruder),
            credential_change_payload(
                occurred_at="2026-03-21T02:05:00Z", via="recovery", **intruder
            ),
            payout_method_change_payload(
                occurred_at="2026-03-21T02:15:00Z",
                fingerprint="bank-mule-1",
                holder_name="Victor Nguyen",
                country="VN",
                **intruder,
            ),
        ],
        [
            withdrawal_request_payload(
                occurred_at="2026-03-21T03:00:00Z", payout_fingerprint="bank-mule-1", **intruder
            )
        ],
    ]
