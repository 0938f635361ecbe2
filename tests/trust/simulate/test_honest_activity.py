"""Honest activity looks like a real marketplace, noise included, so precision means something."""

from __future__ import annotations

from collections import Counter

from tests.trust.simulate.conftest import Simulated
from trust.pii import email_domain


def _honest(simulated: Simulated, kind: str) -> list[dict]:
    return [e for e in simulated.of_pattern("honest", kind)]


def test_most_honest_accounts_verify_once_and_some_re_verify(simulated: Simulated) -> None:
    counts = Counter(e["account_id"] for e in _honest(simulated, "profile_verification"))
    once = sum(1 for n in counts.values() if n == 1)
    assert once > 0.85 * len(counts)
    assert any(n > 1 for n in counts.values())


def test_an_account_presents_the_same_identity_every_time_it_verifies(
    simulated: Simulated,
) -> None:
    for events in simulated.verifications().values():
        honest = [e for e in events if simulated.truth[e["event_id"]]["pattern"] == "honest"]
        if len(honest) < 2:
            continue
        first, *later = honest
        for event in later:
            assert event["profile"]["email"] == first["profile"]["email"]
            assert event["profile"].get("phone") == first["profile"].get("phone")
            assert event["document"]["number"] == first["document"]["number"]
            assert event.get("payment_fingerprint") == first.get("payment_fingerprint")
            assert event["account_created_at"] == first["account_created_at"]


def test_honest_verifications_include_borderline_but_genuine_cases(simulated: Simulated) -> None:
    events = _honest(simulated, "profile_verification")
    free_mail = sum(email_domain(e["profile"]["email"]) == "gmail.com" for e in events)
    borderline = sum(0.55 <= e["document_check"]["selfie_match_score"] < 0.8 for e in events)
    travelling = sum(e["network"]["ip_country"] != e["profile"]["country"] for e in events)
    assert free_mail > 0.25 * len(events)
    assert borderline > 0.02 * len(events)
    assert travelling > 0.01 * len(events)


def test_honest_accounts_sometimes_share_a_device_or_connection(simulated: Simulated) -> None:
    owners: dict[str, set[str]] = {}
    for event in _honest(simulated, "profile_verification"):
        owners.setdefault(event["network"]["device_id"], set()).add(event["account_id"])
    assert any(len(accounts) > 1 for accounts in owners.values())


def test_honest_feedback_has_low_ratings_and_honest_complaints_vary(simulated: Simulated) -> None:
    ratings = Counter(e["rating"] for e in _honest(simulated, "review"))
    categories = Counter(e["category"] for e in _honest(simulated, "complaint"))
    assert ratings[5] > ratings[1] + ratings[2] > 0.03 * sum(ratings.values())
    assert len(categories) >= 6
    assert all(
        float(e["amount_paid"]["amount"]) >= 1 and e["amount_paid"]["currency"]
        for e in _honest(simulated, "review")
    )
