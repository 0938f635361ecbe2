"""Neighbours' risk: a verification linked to an account several people reported."""

from __future__ import annotations

from tests.factories import make_complaint, make_profile_verification
from tests.trust.signals.conftest import HASHER, store_and_compute
from trust.events import ComplaintEvent, ProfileVerificationEvent
from trust.signals import compute_signals
from trust.store import Store


def _verification(account: str, at: str) -> ProfileVerificationEvent:
    return make_profile_verification(
        account_id=account,
        occurred_at=at,
        network={"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-shared-laptop"},
        payment_fingerprint=f"pm-{account}",
        profile={"phone": None},
        document={"number": f"doc-{account}"},
    )


def _report(complainant: str, at: str) -> ComplaintEvent:
    return make_complaint(
        complainant_id=complainant,
        respondent_id="acct-scam",
        category="fraud_scam",
        occurred_at=at,
        network={"ip": "198.51.100.9", "ip_country": "US", "device_id": f"dev-{complainant}"},
    )


def test_a_new_account_on_the_laptop_of_a_reported_scammer_is_linked_to_it(store: Store) -> None:
    store_and_compute(store, [_verification("acct-scam", "2026-03-01T10:00:00Z")])
    early = _verification("acct-early", "2026-03-04T10:00:00Z")
    (before,) = store_and_compute(store, [early])
    assert before["linked_accounts"] == 1
    assert before["linked_reported_accounts"] == 0

    # One complaint is one person's word; a second person makes the account a reported one.
    store_and_compute(store, [_report("acct-v1", "2026-03-05T09:00:00Z")])
    (one,) = store_and_compute(store, [_verification("acct-one", "2026-03-05T12:00:00Z")])
    assert one["linked_reported_accounts"] == 0
    store_and_compute(store, [_report("acct-v2", "2026-03-06T09:00:00Z")])
    (back,) = store_and_compute(store, [_verification("acct-back", "2026-03-10T10:00:00Z")])
    assert back["linked_reported_accounts"] == 1

    # The reports came after the early verification: replayed, it still sees none.
    with store.engine.connect() as conn:
        (replayed,) = compute_signals(conn, [early], HASHER)
    assert replayed["linked_reported_accounts"] == 0
