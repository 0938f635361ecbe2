"""Trade-graph signals of a review: closed circles, single-purpose reviewers, point in time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.factories import make_review
from tests.trust.signals.conftest import HASHER, store_and_compute
from trust.events import ReviewEvent
from trust.graph import trade
from trust.graph.trade import COMMUNITY_CAP
from trust.signals import compute_signals
from trust.store import Store
from trust.store.graph import TiesRead


def _review(reviewer: str, reviewee: str, day: int, contract: str = "") -> ReviewEvent:
    return make_review(
        reviewer_id=reviewer,
        reviewee_id=reviewee,
        contract_id=contract or f"ct-{reviewer}-{reviewee}",
        occurred_at=f"2026-03-{day:02d}T12:00:00Z",
    )


def _recompute(store: Store, event: ReviewEvent) -> dict[str, object]:
    with store.engine.connect() as conn:
        (signals,) = compute_signals(conn, [event], HASHER)
    return dict(signals)


def test_four_accounts_rating_one_another_round_are_a_closed_circle(store: Store) -> None:
    # Client accounts c1, c2 hire freelancer accounts f1, f2: no two accounts review each
    # other twice, yet the four trade only among themselves, round.
    first = _review("c1", "f1", 2)
    (opening,) = store_and_compute(store, [first])
    assert opening["trade_community_accounts"] == 2
    assert opening["trade_closed_circle"] is False

    store_and_compute(store, [_review("c1", "f2", 3), _review("c2", "f2", 4)])
    closing = _review("c2", "f1", 5)
    (signals,) = store_and_compute(store, [closing])
    assert signals["trade_community_accounts"] == 4
    assert signals["trade_community_pairs"] == 4
    assert signals["trade_closed_circle"] is True


def test_a_tie_made_later_changes_nothing_about_an_earlier_review(store: Store) -> None:
    early = _review("c1", "f1", 2)
    (at_decision,) = store_and_compute(store, [early])
    # Later the circle closes, and a reviewer of f1 turns out to trade elsewhere too.
    store_and_compute(
        store, [_review("c1", "f2", 9), _review("c2", "f2", 10), _review("c2", "f1", 11)]
    )
    assert _recompute(store, early) == at_decision


def test_several_reviewers_who_trade_with_nobody_else_are_single_purpose(store: Store) -> None:
    puppets = [_review(f"p{i}", "star", 10 + i) for i in range(4)]
    signals = store_and_compute(store, puppets[:3], puppets[3:])
    (last,) = signals
    assert last["reviewer_single_partner"] is True
    assert last["reviewee_reviewers_30d"] == 4
    assert last["reviewee_single_partner_reviewers_30d"] == 4
    assert last["reviewee_single_partner_share_30d"] == 1.0

    # A client who also hired someone else is not single-purpose.
    store_and_compute(store, [_review("p9", "other", 15)])
    (regular,) = store_and_compute(store, [_review("p9", "star", 16)])
    assert regular["reviewer_single_partner"] is False
    assert regular["reviewee_single_partner_reviewers_30d"] == 4
    assert regular["reviewee_single_partner_share_30d"] == 0.8


def test_clients_the_reviewee_reviewed_back_are_not_single_purpose(store: Store) -> None:
    # A new freelancer's one-off clients, each rated back by it before rating it (two-sided
    # feedback): its trade, not a burst; one client it has not answered yet still counts.
    answers = [_review("fresh", f"c{i}", 9 + i, contract=f"ct-{i}") for i in range(4)]
    clients = [_review(f"c{i}", "fresh", 10 + i, contract=f"ct-{i}") for i in range(4)]
    store_and_compute(store, answers + clients[:3])
    (answered,) = store_and_compute(store, clients[3:])
    assert answered["reviewer_single_partner"] is False
    assert answered["reviewee_reviewers_30d"] == 4
    assert answered["reviewee_single_partner_reviewers_30d"] == 0

    (unanswered,) = store_and_compute(store, [_review("c9", "fresh", 15)])
    assert unanswered["reviewer_single_partner"] is True
    assert unanswered["reviewee_single_partner_reviewers_30d"] == 1
    assert unanswered["reviewee_single_partner_share_30d"] == 0.2


def test_a_component_larger_than_the_cap_is_the_market(store: Store) -> None:
    # A chain of accounts longer than the cap: the review at its end joins the market.
    chain = [_review(f"a{i}", f"a{i + 1}", 2) for i in range(COMMUNITY_CAP + 1)]
    store_and_compute(store, chain)
    (signals,) = store_and_compute(store, [_review("a0", f"a{COMMUNITY_CAP + 1}", 3)])
    assert signals["trade_community_accounts"] is None
    assert signals["trade_community_pairs"] is None
    assert signals["trade_closed_circle"] is False


def test_a_circle_of_exactly_the_cap_is_walked_round_to_its_far_side(store: Store) -> None:
    # Each account's ties are read only when the walk reaches it: a chain stored beforehand
    # is read link by link, and every account of a component at the cap is counted.
    chain = [_review(f"a{i}", f"a{i + 1}", 2) for i in range(COMMUNITY_CAP - 1)]
    store_and_compute(store, chain)
    (signals,) = store_and_compute(store, [_review(f"a{COMMUNITY_CAP - 1}", "a0", 3)])
    assert signals["trade_community_accounts"] == COMMUNITY_CAP
    assert signals["trade_community_pairs"] == COMMUNITY_CAP
    assert signals["trade_closed_circle"] is True


def _on(month: int, day: int, reviewer: str, reviewee: str) -> ReviewEvent:
    return make_review(
        reviewer_id=reviewer,
        reviewee_id=reviewee,
        contract_id=f"ct-{reviewer}-{reviewee}-{month}-{day}",
        occurred_at=f"2026-{month:02d}-{day:02d}T12:00:00Z",
    )


def test_crowded_accounts_are_not_read_and_answer_as_their_whole_history(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # January: a popular freelancer hired by more clients than the cap, and a busy client
    # who hired more freelancers than the cap. March: single-purpose puppets rate the star,
    # the busy client rates the star, and a newcomer rates a freelancer the busy client
    # hired (its walk reaches the busy client).
    crowd = COMMUNITY_CAP + 5
    january = [_on(1, 1 + i % 28, f"client{i}", "star") for i in range(crowd)]
    january += [_on(1, 1 + i % 28, "busy", f"freelancer{i}") for i in range(crowd)]
    store_and_compute(store, january, [_on(3, 10 + i, f"p{i}", "star") for i in range(4)])
    batch = [_on(3, 20, "p4", "star"), _on(3, 20, "busy", "star"), _on(3, 20, "new", "freelancer0")]

    read: list[tuple[str, str, datetime]] = []
    real_ties = trade.review_ties

    def spying(*args: Any, **kwargs: Any) -> TiesRead:
        found = real_ties(*args, **kwargs)
        read.extend(found.ties)
        return found

    monkeypatch.setattr(trade, "review_ties", spying)
    skipping = store_and_compute(store, batch)
    # The star is read from 18 February on (its reviewers of the window), the busy client
    # not at all: of January only freelancer0's one review by the busy client was read.
    assert sorted((r, e) for r, e, at in read if at < datetime(2026, 2, 18)) == [
        ("busy", "freelancer0")
    ]
    puppet, busy, newcomer = skipping
    assert puppet["trade_community_accounts"] is None  # the star is the market
    assert puppet["reviewer_single_partner"] is True
    assert puppet["reviewee_reviewers_30d"] == 6
    assert puppet["reviewee_single_partner_reviewers_30d"] == 5
    assert busy["reviewer_single_partner"] is False
    assert newcomer["trade_community_accounts"] is None  # through the busy client

    # The same answers from the whole history, every tie read.
    def no_crowd(*args: Any, **kwargs: Any) -> TiesRead:
        return real_ties(*args, **{**kwargs, "crowded_over": 1_000_000})

    monkeypatch.setattr(trade, "review_ties", no_crowd)
    with store.engine.connect() as conn:
        whole = compute_signals(conn, batch, HASHER)
    assert [dict(s) for s in skipping] == [dict(s) for s in whole]
