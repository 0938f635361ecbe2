"""Point in time: a fact the store learns later never changes an event's signals."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import make_profile_verification, make_review
from tests.trust.signals.conftest import HASHER, store_and_compute
from trust.enforcement import EnforcementChange, EnforcementSource, EnforcementState
from trust.events import Event
from trust.signals import compute_signals
from trust.store import Store
from trust.store.enforcements import apply_changes


def _recompute(store: Store, event: Event, as_of: datetime | None = None) -> dict[str, object]:
    with store.engine.connect() as conn:
        moments = None if as_of is None else {event.event_id: as_of}
        (signals,) = compute_signals(conn, [event], HASHER, as_of=moments)
    return dict(signals)


def test_a_verification_that_came_later_changes_nothing_about_an_earlier_review(
    store: Store,
) -> None:
    review = make_review(occurred_at="2026-03-10T12:00:00Z")
    (at_decision,) = store_and_compute(store, [review])
    assert at_decision["reviewer_role"] is None

    # Later facts: the reviewer verifies a week on, declaring a role and a two-year-old account.
    later = make_profile_verification(
        account_id="acct-bob",
        role="client",
        occurred_at="2026-03-17T09:00:00Z",
        account_created_at="2024-03-01T09:00:00Z",
    )
    store_and_compute(store, [later])

    assert _recompute(store, review) == at_decision
    # The same verification a day BEFORE the review is part of its world.
    earlier = make_profile_verification(
        account_id="acct-alice",
        role="freelancer",
        occurred_at="2026-03-09T09:00:00Z",
        account_created_at="2024-03-01T09:00:00Z",
    )
    store_and_compute(store, [earlier])
    replayed = _recompute(store, review)
    assert replayed["reviewee_role"] == "freelancer"
    assert replayed["reviewee_account_age_days"] == 739.12
    assert replayed["reviewer_role"] is None


def test_a_block_applied_after_the_decision_changes_nothing_in_a_replay(
    store: Store,
) -> None:
    store_and_compute(store, [make_profile_verification(account_id="acct-first")])
    again = make_profile_verification(
        account_id="acct-again", occurred_at="2026-03-05T10:00:00Z", payment_fingerprint="pm-x"
    )
    (at_decision,) = store_and_compute(store, [again])
    assert at_decision["linked_accounts"] == 1
    assert at_decision["linked_blocked_accounts"] == 0
    decided = datetime(2026, 3, 5, 10, 0, 5, tzinfo=UTC)

    blocked_at = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
    with store.engine.begin() as conn:
        apply_changes(
            conn,
            [
                EnforcementChange(
                    "acct-first",
                    EnforcementState.BLOCK,
                    EnforcementState.NONE,
                    EnforcementSource.CASE,
                    "case-1",
                    "fraud confirmed",
                    "lead",
                    blocked_at,
                )
            ],
        )

    # Live (now) the block shows; a replay as of the decision does not see it.
    assert _recompute(store, again)["linked_blocked_accounts"] == 1
    assert _recompute(store, again, as_of=decided) == at_decision
    after = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    assert _recompute(store, again, as_of=after)["linked_blocked_accounts"] == 1
