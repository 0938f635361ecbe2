"""Signals computed per batch from the store: links, history as of the event, unknowns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import (
    make_complaint,
    make_event,
    make_profile_verification,
    make_reference_check,
    make_review,
)
from tests.trust.signals.conftest import HASHER, StoreEvents, store_and_compute
from trust.events import EVENT_KINDS
from trust.signals import SIGNAL_TYPES, BatchContext, compute_signals, profile_verification
from trust.store import Store
from trust.store.accounts import set_account_status

PYTHON_TYPES = {"bool": bool, "int": int, "float": (int, float), "string": str}


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_kind_yields_exactly_its_registered_signals_with_their_types(
    kind: str, signals_of: StoreEvents
) -> None:
    (signals,) = signals_of([make_event(kind)])
    assert set(signals) == set(SIGNAL_TYPES[kind])
    for name, value in signals.items():
        expected = PYTHON_TYPES[SIGNAL_TYPES[kind][name]]
        assert value is None or isinstance(value, expected), (name, value)


def test_a_document_number_seen_on_another_account_is_a_link(signals_of: StoreEvents) -> None:
    first = make_profile_verification(account_id="acct-one", occurred_at="2026-03-01T10:00:00Z")
    second = make_profile_verification(
        account_id="acct-two",
        occurred_at="2026-03-02T10:00:00Z",
        network={"device_id": "dev-other", "ip": "192.0.2.99"},
        profile={"phone": "+447700900999"},
        payment_fingerprint="pm-other",
    )
    (signals,) = signals_of([first], [second])
    assert signals["accounts_sharing_document"] == 1
    assert signals["accounts_sharing_device"] == 0
    assert signals["linked_accounts"] == 1


def test_a_link_to_a_blocked_account_is_counted(sqlite_store: Store) -> None:
    store_and_compute(sqlite_store, [make_profile_verification(account_id="acct-banned")])
    with sqlite_store.engine.begin() as conn:
        set_account_status(conn, "acct-banned", "blocked")
    evader = make_profile_verification(
        account_id="acct-back", occurred_at="2026-03-05T10:00:00Z", document={"number": "X9999"}
    )
    (signals,) = store_and_compute(sqlite_store, [evader])
    assert signals["linked_blocked_accounts"] == 1
    assert signals["accounts_sharing_document"] == 0


def test_links_seen_only_after_the_event_do_not_count(signals_of: StoreEvents) -> None:
    later = make_profile_verification(account_id="acct-later", occurred_at="2026-03-09T10:00:00Z")
    earlier = make_profile_verification(account_id="acct-early", occurred_at="2026-03-01T10:00:00Z")
    (signals,) = signals_of([later], [earlier])
    assert signals["accounts_sharing_document"] == 0


def test_the_event_itself_is_not_part_of_its_own_history(signals_of: StoreEvents) -> None:
    (signals,) = signals_of([make_profile_verification()])
    assert signals["verification_attempts_30d"] == 0
    assert signals["linked_accounts"] == 0


def test_verification_signals_name_mismatch_countries_and_expiry(signals_of: StoreEvents) -> None:
    event = make_profile_verification(
        document={
            "name_on_document": "Maria Kowalski",
            "issuing_country": "NG",
            "expires_on": "2024-01-01",
        },
        network={"ip_country": "BR"},
        document_check={"selfie_match_score": 0.2, "mrz_consistent": False},
    )
    (signals,) = signals_of([event])
    assert signals["name_mismatch"] is True
    assert signals["document_country_mismatch"] is True
    assert signals["countries_disagreeing"] == 2
    assert signals["document_expired"] is True
    assert signals["mrz_consistent"] is False


def test_a_verification_without_network_or_phone_yields_unknowns_not_errors(
    signals_of: StoreEvents,
) -> None:
    event = make_profile_verification(
        network=..., profile={"phone": None}, payment_fingerprint=None
    )
    (signals,) = signals_of([event])
    assert signals["ip_country_mismatch"] is None
    assert signals["accounts_sharing_phone"] == 0


def _newcomer(account_id: str, opened: str, verified: str, **fields: Any) -> Any:
    """A verification of an account opened at ``opened``, with its own document, phone and
    card unless ``fields`` say otherwise."""
    own: dict[str, Any] = {
        "document": {"number": f"DOC-{account_id}"},
        "profile": {"phone": None},
        "payment_fingerprint": None,
        "network": {"device_id": f"dev-{account_id}", "ip": "198.51.100.7"},
    }
    return make_profile_verification(
        account_id=account_id,
        account_created_at=opened,
        occurred_at=verified,
        **{**own, **fields},
    )


def _mailer(account_id: str, opened: str, verified: str, email: str) -> Any:
    """A newcomer that verified with ``email``."""
    return _newcomer(account_id, opened, verified, profile={"phone": None, "email": email})


def _owner_and_alias(owner: tuple[str, str], alias: tuple[str, str]) -> tuple[Any, Any]:
    """Two accounts of one person whose e-mail names match: (opened, verified) of each."""
    return (
        _mailer("acct-owner", *owner, "j.smith@example.com"),
        _mailer("acct-alias", *alias, "jsmith417@mail.example.org"),
    )


def test_accounts_opened_in_a_row_on_one_connection_are_sibling_signups(
    signals_of: StoreEvents,
) -> None:
    first = _newcomer("acct-farm-1", "2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z")
    second = _newcomer("acct-farm-2", "2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z")
    third = _newcomer("acct-farm-3", "2026-03-09T08:00:00Z", "2026-03-09T09:00:00Z")
    (signals,) = signals_of([first], [second], [third])
    assert signals["accounts_sharing_ip"] == 2
    assert signals["sibling_signups"] == 2
    # An IP address alone still makes no link set.
    assert signals["linked_accounts"] == 0


def test_a_long_standing_account_on_the_same_laptop_is_no_sibling(
    signals_of: StoreEvents,
) -> None:
    parent = _newcomer(
        "acct-parent",
        "2024-05-01T08:00:00Z",
        "2026-03-01T09:00:00Z",
        network={"device_id": "dev-family", "ip": "198.51.100.7"},
    )
    child = _newcomer(
        "acct-child",
        "2026-03-04T08:00:00Z",
        "2026-03-04T09:00:00Z",
        network={"device_id": "dev-family", "ip": "198.51.100.7"},
    )
    (signals,) = signals_of([parent], [child])
    assert signals["accounts_sharing_device"] == 1
    assert signals["sibling_signups"] == 0


def test_a_connection_a_long_standing_account_uses_too_makes_no_siblings(
    signals_of: StoreEvents,
) -> None:
    member = _newcomer("acct-member", "2023-05-01T08:00:00Z", "2026-03-01T09:00:00Z")
    first = _newcomer("acct-cowork-1", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z")
    second = _newcomer("acct-cowork-2", "2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z")
    (signals,) = signals_of([member], [first], [second])
    assert signals["accounts_sharing_ip"] == 2
    assert signals["sibling_signups"] == 0


def test_an_account_opened_before_the_window_is_no_sibling(signals_of: StoreEvents) -> None:
    first = _newcomer("acct-spring", "2026-01-10T08:00:00Z", "2026-01-10T09:00:00Z")
    second = _newcomer("acct-summer", "2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z")
    (signals,) = signals_of([first], [second])
    assert signals["accounts_sharing_ip"] == 1
    assert signals["sibling_signups"] == 0


def test_an_identifier_on_a_crowd_of_accounts_makes_no_siblings(
    signals_of: StoreEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profile_verification, "MAX_ACCOUNTS_PER_IDENTIFIER", 2)
    crowd = [
        _newcomer(f"acct-cafe-{i}", "2026-03-01T08:00:00Z", f"2026-03-0{i + 1}T09:00:00Z")
        for i in range(3)
    ]
    (signals,) = signals_of(*([e] for e in crowd))
    assert signals["accounts_sharing_ip"] == 2
    assert signals["sibling_signups"] == 0


def test_an_account_on_the_same_connection_with_the_same_email_name_is_counted(
    signals_of: StoreEvents,
) -> None:
    owner, alias = _owner_and_alias(
        ("2025-01-10T08:00:00Z", "2026-03-01T09:00:00Z"),
        ("2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z"),
    )
    (signals,) = signals_of([owner], [alias])
    assert signals["accounts_sharing_ip"] == 1
    assert signals["linked_same_email_stem"] == 1


def test_a_flatmate_or_a_short_email_name_is_no_alias(signals_of: StoreEvents) -> None:
    flatmate = _mailer(
        "acct-flatmate",
        "2025-01-10T08:00:00Z",
        "2026-03-01T09:00:00Z",
        "maria.kowalski@example.com",
    )
    max_one = _mailer(
        "acct-max-1", "2025-02-10T08:00:00Z", "2026-03-02T09:00:00Z", "max1990@example.com"
    )
    newcomer = _mailer(
        "acct-new", "2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z", "max77@example.org"
    )
    (signals,) = signals_of([flatmate], [max_one], [newcomer])
    assert signals["accounts_sharing_ip"] == 2
    assert signals["linked_same_email_stem"] == 0


def test_an_email_name_shown_only_after_the_event_does_not_count(
    signals_of: StoreEvents,
) -> None:
    owner, alias = _owner_and_alias(
        ("2025-01-10T08:00:00Z", "2026-03-09T09:00:00Z"),
        ("2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z"),
    )
    (signals,) = signals_of([owner], [alias])
    assert signals["linked_same_email_stem"] == 0


def test_an_alias_in_the_owners_own_batch_is_found_before_the_batch_is_stored(
    sqlite_store: Store,
) -> None:
    owner, alias = _owner_and_alias(
        ("2026-03-01T08:00:00Z", "2026-03-01T09:00:00Z"),
        ("2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"),
    )
    with sqlite_store.engine.connect() as conn:
        before = compute_signals(conn, [owner, alias], HASHER, unstored=True)
    after = store_and_compute(sqlite_store, [owner, alias])
    assert before == after
    assert [s["linked_same_email_stem"] for s in after] == [0, 1]
    assert [s["sibling_signups"] for s in after] == [0, 1]


def test_reviews_traded_on_different_contracts_are_reciprocal(signals_of: StoreEvents) -> None:
    first = make_review(
        contract_id="ct-a",
        reviewer_id="acct-x",
        reviewee_id="acct-y",
        occurred_at="2026-03-01T12:00:00Z",
    )
    back = make_review(
        contract_id="ct-b",
        reviewer_id="acct-y",
        reviewee_id="acct-x",
        occurred_at="2026-03-04T12:00:00Z",
    )
    (signals,) = signals_of([first], [back])
    assert signals["reciprocal_review"] is True


def test_two_way_feedback_on_one_contract_is_not_reciprocal(signals_of: StoreEvents) -> None:
    client = make_review(contract_id="ct-a", reviewer_id="acct-x", reviewee_id="acct-y")
    freelancer = make_review(
        contract_id="ct-a",
        reviewer_id="acct-y",
        reviewee_id="acct-x",
        direction="freelancer_to_client",
        occurred_at="2026-03-11T12:00:00Z",
    )
    (signals,) = signals_of([client], [freelancer])
    assert signals["reciprocal_review"] is False


def test_reviewer_and_reviewee_on_one_device_share_it(signals_of: StoreEvents) -> None:
    owner = make_profile_verification(account_id="acct-owner", network={"device_id": "dev-7"})
    review = make_review(
        reviewer_id="acct-alias",
        reviewee_id="acct-owner",
        network={"device_id": "dev-7", "ip": "198.51.100.200"},
    )
    (signals,) = signals_of([owner], [review])
    assert signals["shares_device"] is True
    assert signals["shares_ip"] is False
    assert signals["shared_identifier_kinds"] >= 1


def test_shared_devices_are_unknown_when_one_side_was_never_seen(signals_of: StoreEvents) -> None:
    (signals,) = signals_of([make_review(reviewer_id="acct-new", reviewee_id="acct-unseen")])
    assert signals["shares_device"] is None


def test_reviews_in_the_last_day_are_counted_per_reviewer(signals_of: StoreEvents) -> None:
    batch = [
        make_review(
            reviewer_id="acct-spree",
            reviewee_id=f"acct-{i}",
            contract_id=f"ct-{i}",
            occurred_at=f"2026-03-10T1{i}:00:00Z",
        )
        for i in range(4)
    ]
    signals = signals_of(batch)
    assert [s["reviewer_reviews_24h"] for s in signals] == [0, 1, 2, 3]


def test_hours_since_the_reviewees_complaint_about_the_reviewer(signals_of: StoreEvents) -> None:
    # The freelancer (alice) complains about the client (bob); bob reviews alice 3 hours later.
    complaint = make_complaint(
        complainant_id="acct-alice", respondent_id="acct-bob", occurred_at="2026-03-10T09:00:00Z"
    )
    review = make_review(rating=1, occurred_at="2026-03-10T12:00:00Z")
    (signals,) = signals_of([complaint], [review])
    assert signals["reviewee_complained_about_reviewer_7d"] is True
    assert signals["hours_since_reviewee_complaint"] == 3.0
    (unrelated,) = signals_of([make_review(reviewer_id="acct-carol", contract_id="ct-9")])
    assert unrelated["hours_since_reviewee_complaint"] is None


def test_a_reviewers_complaint_targets_are_counted_over_a_week(signals_of: StoreEvents) -> None:
    complaints = [
        make_complaint(
            complainant_id="acct-bob",
            respondent_id=respondent,
            complainant_role="client",
            respondent_role="freelancer",
            occurred_at=at,
        )
        for respondent, at in (
            ("acct-alice", "2026-03-09T08:00:00Z"),
            ("acct-alice", "2026-03-09T09:00:00Z"),
            ("acct-carol", "2026-03-08T08:00:00Z"),
            ("acct-dave", "2026-02-20T08:00:00Z"),
        )
    ]
    (signals,) = signals_of(complaints, [make_review(rating=1)])
    assert signals["reviewer_complaint_targets_7d"] == 2
    assert signals["reviewer_complaints_filed_30d"] == 4


def test_the_share_of_counterparties_a_reviewer_complained_about(signals_of: StoreEvents) -> None:
    # Bob complained about alice (the reviewee) and carol, and reviewed dave: 2 of 3.
    past = [
        make_complaint(complainant_id="acct-bob", respondent_id="acct-alice"),
        make_complaint(complainant_id="acct-bob", respondent_id="acct-carol"),
        make_review(
            reviewee_id="acct-dave", contract_id="ct-7", occurred_at="2026-03-01T08:00:00Z"
        ),
    ]
    (signals,) = signals_of(past, [make_review(rating=1, occurred_at="2026-03-16T08:00:00Z")])
    assert signals["reviewer_complained_share_30d"] == round(2 / 3, 3)
    (alone,) = signals_of([make_review(reviewer_id="acct-erin", contract_id="ct-8")])
    assert alone["reviewer_complained_share_30d"] == 0.0


def test_five_stars_on_a_one_dollar_contract_is_flagged(signals_of: StoreEvents) -> None:
    (signals,) = signals_of([make_review(amount_paid={"amount": "1.00", "currency": "USD"})])
    assert signals["five_stars_tiny_contract"] is True
    assert signals["amount_paid"] == 1.0


def test_a_free_mail_referee_claiming_a_company_and_answering_instantly(
    signals_of: StoreEvents,
) -> None:
    event = make_reference_check(
        referee={"email": "carol1987@gmail.com"},
        response={"responded_at": "2026-03-11T15:00:40Z"},
    )
    (signals,) = signals_of([event])
    assert signals["free_mail_referee_claims_company"] is True
    assert signals["response_delay_minutes"] == pytest.approx(0.67, abs=0.01)


def test_a_referee_vouching_for_several_freelancers_is_recycled(signals_of: StoreEvents) -> None:
    first = make_reference_check(freelancer_id="acct-f1", referee={"email": "ref@farm.io"})
    second = make_reference_check(
        freelancer_id="acct-f2",
        referee={"email": "ref@farm.io"},
        occurred_at="2026-03-13T15:00:00Z",
    )
    (signals,) = signals_of([first], [second])
    assert signals["referee_other_freelancers"] == 1


def test_an_unanswered_reference_has_unknown_response_signals(signals_of: StoreEvents) -> None:
    (signals,) = signals_of([make_reference_check(response=None)])
    assert signals["responded"] is False
    assert signals["response_delay_minutes"] is None
    assert signals["referee_shares_device"] is None


def test_serial_complainers_are_counted_across_respondents(signals_of: StoreEvents) -> None:
    batch = [
        make_complaint(
            complainant_id="acct-serial",
            respondent_id=f"acct-r{i}",
            occurred_at=f"2026-03-1{i}T08:00:00Z",
        )
        for i in range(4)
    ]
    signals = signals_of(batch)
    assert signals[-1]["complainant_distinct_respondents_90d"] == 4
    assert signals[0]["complainant_distinct_respondents_90d"] == 1


def test_a_complaint_spree_counts_only_the_last_weeks_respondents(signals_of: StoreEvents) -> None:
    # One complaint a month earlier, then three targets in four days.
    days = ("2026-02-10", "2026-03-10", "2026-03-12", "2026-03-14")
    batch = [
        make_complaint(
            complainant_id="acct-serial", respondent_id=f"acct-r{i}", occurred_at=f"{day}T08:00:00Z"
        )
        for i, day in enumerate(days)
    ]
    signals = signals_of(batch)
    assert [s["complainant_distinct_respondents_7d"] for s in signals] == [1, 1, 2, 3]
    assert signals[-1]["complainant_distinct_respondents_90d"] == 4


def test_the_share_of_counterparties_a_complainant_complained_about(
    signals_of: StoreEvents,
) -> None:
    # Bob reviewed three freelancers and complained about one of them and about carol.
    reviews = [
        make_review(
            reviewee_id=f"acct-f{i}", contract_id=f"ct-{i}", occurred_at="2026-03-01T08:00:00Z"
        )
        for i in range(3)
    ]
    earlier = make_complaint(
        complainant_id="acct-bob", respondent_id="acct-f0", occurred_at="2026-03-02T08:00:00Z"
    )
    (signals,) = signals_of(
        [*reviews, earlier],
        [make_complaint(complainant_id="acct-bob", respondent_id="acct-carol")],
    )
    assert signals["complainant_counterparties_30d"] == 4
    assert signals["complainant_complained_share_30d"] == 0.5


def test_payment_complaints_against_one_client_within_a_week(signals_of: StoreEvents) -> None:
    earlier = make_complaint(complainant_id="acct-f1", occurred_at="2026-03-01T08:00:00Z")
    this_week = make_complaint(complainant_id="acct-f2", occurred_at="2026-03-12T08:00:00Z")
    (signals,) = signals_of([earlier, this_week], [make_complaint(complainant_id="acct-f3")])
    assert signals["respondent_distinct_complainants_7d"] == 2
    assert signals["respondent_distinct_complainants_90d"] == 3


def test_days_since_the_contract_ended_are_known_only_with_its_end(
    signals_of: StoreEvents,
) -> None:
    ended = make_complaint(contract_ended_at="2026-03-12T20:00:00Z")
    running = make_complaint(contract_ended_at="2026-03-16T08:00:00Z")
    (after, before, unknown) = signals_of([ended, running, make_complaint()])
    assert after["days_since_contract_end"] == 2.5
    assert before["days_since_contract_end"] == -1.0
    assert unknown["days_since_contract_end"] is None


def test_off_platform_payment_requests_name_their_channels(signals_of: StoreEvents) -> None:
    event = make_complaint(description="He wants PayPal to bob77@gmail.com, not escrow.")
    (signals,) = signals_of([event])
    assert signals["off_platform_mentions"] == 2
    assert signals["off_platform_channels"] == "email, paypal"


def test_links_are_found_on_sqlite_and_postgresql_alike(store: Store) -> None:
    first = make_profile_verification(account_id="acct-one")
    second = make_profile_verification(account_id="acct-two", occurred_at="2026-03-02T10:00:00Z")
    (signals,) = store_and_compute(store, [first], [second])
    assert signals["accounts_sharing_document"] == 1


def test_review_history_and_email_stems_are_read_on_sqlite_and_postgresql_alike(
    store: Store,
) -> None:
    owner = make_profile_verification(
        account_id="acct-owner", profile={"email": "jsmith@example.com"}
    )
    alias = make_profile_verification(
        account_id="acct-alias",
        document={"number": "ZZ999999"},
        profile={"email": "jsmith77@gmail.com", "phone": "+447700900555"},
        network={"device_id": "dev-alias", "ip": "192.0.2.77"},
        payment_fingerprint="pm-alias",
    )
    first = make_review(
        contract_id="ct-a",
        reviewer_id="acct-owner",
        reviewee_id="acct-alias",
        rating=4,
        occurred_at="2026-03-03T12:00:00Z",
    )
    back = make_review(
        contract_id="ct-b",
        reviewer_id="acct-alias",
        reviewee_id="acct-owner",
        occurred_at="2026-03-06T12:00:00Z",
    )
    (signals,) = store_and_compute(store, [owner, alias], [first], [back])
    assert signals["reciprocal_review"] is True
    assert signals["shares_email_stem"] is True
    assert signals["reviewer_account_age_days"] is not None


def test_identifiers_are_read_only_for_accounts_whose_signals_compare_them(
    sqlite_store: Store,
) -> None:
    complaint = make_complaint(complainant_id="acct-complains", respondent_id="acct-accused")
    review = make_review(reviewer_id="acct-writes", reviewee_id="acct-reviewed")
    with sqlite_store.engine.connect() as conn:
        ctx = BatchContext(conn, [complaint, review], HASHER)
        # A reviewer's devices are compared; a complainant's never are, so none were read.
        assert ctx.identifiers(review.reviewer_id, "device", review.occurred_at) == set()
        with pytest.raises(ValueError, match="were not looked up"):
            ctx.identifiers(complaint.complainant_id, "device", complaint.occurred_at)


@pytest.mark.parametrize(
    ("fields", "share"),
    [
        ({"escrow_amount": {"amount": "100.00", "currency": "USD"}}, 8.0),
        ({"escrow_amount": {"amount": "800.00", "currency": "USD"}}, 1.0),
        ({}, None),  # the marketplace did not say what the milestone holds
        ({"escrow_amount": {"amount": "0.00", "currency": "USD"}}, None),
        (
            {"escrow_state": "released", "escrow_amount": {"amount": "100.00", "currency": "USD"}},
            None,
        ),
    ],
)
def test_a_claim_is_measured_against_what_the_funded_milestone_holds(
    signals_of: StoreEvents, fields: dict[str, Any], share: float | None
) -> None:
    (signals,) = signals_of([], [make_complaint(**fields)])
    assert signals["claim_share_of_escrow"] == share
