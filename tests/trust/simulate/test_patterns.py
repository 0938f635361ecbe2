"""Each planted pattern carries the signals SPEC section 2 says catch it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from tests.trust.simulate.conftest import Simulated
from trust.pii import email_domain, email_stem
from trust.simulate.people import FREE_MAIL

Event = dict[str, Any]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _identity(verification: Event) -> dict[str, str | None]:
    return {
        "device": verification["network"]["device_id"],
        "ip": verification["network"]["ip"],
        "payment": verification.get("payment_fingerprint"),
        "email_stem": email_stem(verification["profile"]["email"]),
        "phone": verification["profile"].get("phone"),
        "document": verification["document"]["number"],
    }


def _shared(a: Event, b: Event, kinds: tuple[str, ...]) -> list[str]:
    left, right = _identity(a), _identity(b)
    return [k for k in kinds if left[k] is not None and left[k] == right[k]]


def test_review_rings_review_each_other_in_both_directions_across_contracts(
    simulated: Simulated,
) -> None:
    reviews = simulated.of_pattern("review_ring", "review")
    edges = {(r["reviewer_id"], r["reviewee_id"]) for r in reviews}
    mutual = [(a, b) for a, b in edges if (b, a) in edges]
    assert reviews and all(r["rating"] == 5 for r in reviews)
    assert len(mutual) >= len(edges) // 3


def test_reciprocal_reviews_come_in_pairs_with_swapped_roles(simulated: Simulated) -> None:
    reviews = simulated.of_pattern("reciprocal_review", "review")
    edges = {(r["reviewer_id"], r["reviewee_id"], r["direction"]) for r in reviews}
    for reviewer, reviewee, _ in edges:
        assert (reviewee, reviewer, "client_to_freelancer") in edges


def test_review_bursts_come_from_accounts_created_days_before(simulated: Simulated) -> None:
    verifications = simulated.verifications()
    by_target: dict[str, list[Event]] = defaultdict(list)
    for review in simulated.of_pattern("review_burst_new_accounts", "review"):
        by_target[review["reviewee_id"]].append(review)
    assert by_target
    for reviews in by_target.values():
        times = sorted(_at(r["occurred_at"]) for r in reviews)
        assert len(reviews) >= 8 and times[-1] - times[0] < timedelta(days=3)
        for review in reviews:
            created = _at(verifications[review["reviewer_id"]][0]["account_created_at"])
            assert timedelta(0) < _at(review["occurred_at"]) - created < timedelta(days=7)
        devices = {r["network"]["device_id"] for r in reviews}
        assert len(devices) < len(reviews)  # a farm runs many accounts from few devices


def test_self_dealing_reviewers_share_an_identifier_with_the_reviewee(
    simulated: Simulated,
) -> None:
    verifications = simulated.verifications()
    reviews = simulated.of_pattern("self_dealing", "review")
    assert reviews
    for review in reviews:
        shared = _shared(
            verifications[review["reviewer_id"]][0],
            verifications[review["reviewee_id"]][0],
            ("device", "ip", "payment", "email_stem"),
        )
        assert shared, review["event_id"]
        assert review["rating"] == 5 and float(review["amount_paid"]["amount"]) < 15


def test_coerced_reviews_use_extortion_language_or_follow_a_complaint(
    simulated: Simulated,
) -> None:
    complaints = {
        (c["complainant_id"], c["respondent_id"]): _at(c["occurred_at"])
        for c in simulated.of_pattern("coerced_review", "complaint")
    }
    words = re.compile(r"refund|bonus|money back|exchange", re.IGNORECASE)
    reviews = simulated.of_pattern("coerced_review", "review")
    assert reviews
    for review in reviews:
        complained = complaints.get((review["reviewee_id"], review["reviewer_id"]))
        after_complaint = complained is not None and (
            timedelta(0) < _at(review["occurred_at"]) - complained < timedelta(hours=12)
        )
        assert after_complaint or words.search(review["text"]), review["text"]


def test_fake_references_carry_red_flags_that_honest_ones_rarely_do(
    simulated: Simulated,
) -> None:
    references = [e for e in simulated.events if e["kind"] == "reference_check"]
    referee_uses = Counter(r["referee"]["email"] for r in references)
    emails = {
        v[0]["account_id"]: v[0]["profile"]["email"] for v in simulated.verifications().values()
    }

    def flags(ref: Event) -> list[str]:
        found = []
        domain = email_domain(ref["referee"]["email"])
        response = ref.get("response") or {}
        if domain in FREE_MAIL and ref["referee"].get("company"):
            found.append("free_mail_company")
        if domain not in FREE_MAIL and domain == email_domain(emails.get(ref["freelancer_id"], "")):
            found.append("same_domain")
        if response.get("device_id") == ref["network"]["device_id"]:
            found.append("same_device")
        if response and _at(response["responded_at"]) - _at(ref["request_sent_at"]) < timedelta(
            seconds=120
        ):
            found.append("instant")
        if ref["claimed_project"].get("ended_on", "") > ref["request_sent_at"][:10]:
            found.append("future_project")
        if referee_uses[ref["referee"]["email"]] > 1:
            found.append("shared_referee")
        return found

    fakes = [r for r in references if simulated.truth[r["event_id"]]["pattern"] != "honest"]
    honest = [r for r in references if simulated.truth[r["event_id"]]["pattern"] == "honest"]
    assert fakes and all(flags(r) for r in fakes)
    assert sum(bool(flags(r)) for r in honest) < 0.15 * len(honest)


def test_tampered_documents_score_high_on_tampering(simulated: Simulated) -> None:
    events = simulated.of_pattern("document_tampering")
    assert events and all(e["document_check"]["tamper_score"] >= 0.6 for e in events)


def test_identity_mismatches_show_at_least_two_inconsistencies(simulated: Simulated) -> None:
    events = simulated.of_pattern("identity_mismatch")
    assert events
    for event in events:
        document, profile = event["document"], event["profile"]
        signs = [
            event["document_check"]["selfie_match_score"] < 0.5,
            document["name_on_document"] != profile["legal_name"],
            document["issuing_country"] != profile["country"],
            document["expires_on"] < event["occurred_at"][:10],
        ]
        assert sum(signs) >= 2, event["event_id"]


def test_duplicates_and_evaders_reuse_an_identifier_of_an_earlier_account(
    simulated: Simulated,
) -> None:
    seen: dict[tuple[str, str], str] = {}
    links = ("document", "phone", "device", "payment")
    for event in simulated.events:
        if event["kind"] != "profile_verification":
            continue
        identity = _identity(event)
        pattern = simulated.truth[event["event_id"]]["pattern"]
        owners = {seen.get((k, str(identity[k]))) for k in links if identity[k] is not None}
        others = owners - {None, event["account_id"]}
        if pattern == "duplicate_account":
            assert others, event["event_id"]
        for kind in links:
            if identity[kind] is not None:
                seen.setdefault((kind, str(identity[kind])), event["account_id"])
    scammers = {c["respondent_id"] for c in simulated.of_pattern("ban_evasion", "complaint")}
    verifications = simulated.verifications()
    evasions = [
        e
        for e in simulated.of_pattern("ban_evasion", "profile_verification")
        if e["account_id"] not in scammers
    ]
    assert scammers and evasions
    for evasion in evasions:
        assert any(_shared(evasion, verifications[scammer][0], links) for scammer in scammers)


def test_serial_complainers_complain_about_many_counterparties(simulated: Simulated) -> None:
    targets: dict[str, set[str]] = defaultdict(set)
    for complaint in simulated.of_pattern("serial_complainer", "complaint"):
        targets[complaint["complainant_id"]].add(complaint["respondent_id"])
    assert targets and all(len(t) >= 5 for t in targets.values())


def test_non_paying_clients_collect_complaints_from_several_freelancers(
    simulated: Simulated,
) -> None:
    complainants: dict[str, set[str]] = defaultdict(set)
    escrow = Counter()
    for complaint in simulated.of_pattern("non_payment", "complaint"):
        complainants[complaint["respondent_id"]].add(complaint["complainant_id"])
        escrow[complaint["escrow_state"]] += 1
    assert complainants and all(len(c) >= 2 for c in complainants.values())
    assert escrow["unfunded"] > escrow["funded"]


def test_off_platform_complaints_mention_a_channel_outside_the_platform(
    simulated: Simulated,
) -> None:
    channel = re.compile(r"paypal|telegram|whatsapp|wallet|bitcoin|bc1q|@|\+\d", re.IGNORECASE)
    complaints = simulated.of_pattern("off_platform_payment", "complaint")
    assert complaints and all(channel.search(c["description"]) for c in complaints)


def test_flagged_verifications_are_appealed_with_and_without_new_information(
    simulated: Simulated,
) -> None:
    appeals = simulated.of_pattern("appeal")
    by_id = {e["event_id"]: e for e in simulated.events}
    assert appeals and all(a["kind"] == "appeal" for a in appeals)
    with_new = [a for a in appeals if a.get("evidence_refs")]
    assert 0 < len(with_new) < len(appeals)
    for appeal in appeals:
        appealed = by_id[appeal["decision_event_id"]]
        assert appealed["kind"] == "profile_verification"
        assert appealed["account_id"] == appeal["account_id"]
        assert appealed["occurred_at"] < appeal["occurred_at"]
    assert len({a["account_id"] for a in appeals}) == len(appeals)
