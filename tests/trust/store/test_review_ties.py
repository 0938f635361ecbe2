"""The trade graph's reads: review ties from their partial indexes, and crowded accounts."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import Connection

from tests.factories import make_review
from tests.trust.signals.conftest import HASHER
from tests.trust.store.plans import explain
from trust.events import ReviewEvent
from trust.store import Store, transaction
from trust.store.events import store_events
from trust.store.graph import _REVIEW_TIES, TiesRead, review_ties

MARCH = datetime(2026, 3, 1, tzinfo=UTC)


def _review(reviewer: str, reviewee: str, day: int, n: int = 0) -> ReviewEvent:
    return make_review(
        reviewer_id=reviewer,
        reviewee_id=reviewee,
        contract_id=f"ct-{reviewer}-{reviewee}-{day}-{n}",
        occurred_at=f"2026-02-{day:02d}T12:00:00Z",
    )


def _store(store: Store, reviews: list[ReviewEvent]) -> None:
    with transaction(store.engine) as conn:
        store_events(conn, reviews, HASHER, source="test", received_at=datetime.now(UTC))


def test_accounts_past_the_cap_on_either_side_are_crowded(store: Store) -> None:
    _store(
        store,
        # star: reviewed by 6 different clients; busy: reviewed 6 different freelancers;
        [_review(f"c{i}", "star", 1 + i) for i in range(6)]
        + [_review("busy", f"f{i}", 1 + i) for i in range(6)]
        # loyal: 12 reviews, but of and by the same two partners;
        + [_review("loyal", "partner", 1 + i, i) for i in range(6)]
        + [_review("other", "loyal", 1 + i, i) for i in range(6)]
        # late: its 6 reviewers after the moment asked about; both: 3 on each side.
        + [_review(f"l{i}", "late", 20 + i) for i in range(6)]
        + [_review(f"x{i}", "both", 1 + i) for i in range(3)]
        + [_review("both", f"y{i}", 1 + i) for i in range(3)],
    )
    asked = {"star", "busy", "loyal", "late", "both", "nobody"}
    before = datetime(2026, 2, 15, tzinfo=UTC)
    with store.engine.connect() as conn:
        assert _read(conn, asked, before, 5).crowded == {"star", "busy"}
        assert _read(conn, asked, before, 6).crowded == set()
        assert _read(conn, asked, MARCH, 5).crowded == {"star", "busy", "late"}
        assert _read(conn, set(), MARCH, 5) == TiesRead([], set())
        # Nothing of a crowded account is read, but the reviews of a crowded reviewee from
        # its reviewer window on; the others' ties whole.
        window = _read(conn, {"star", "busy", "both"}, before, 5, {"star"}, datetime(2026, 2, 4))
    assert sorted((r, e) for r, e, _ in window.ties) == sorted(
        [("c3", "star"), ("c4", "star"), ("c5", "star")]
        + [(f"x{i}", "both") for i in range(3)]
        + [("both", f"y{i}") for i in range(3)]
    )


def _read(
    conn: Connection,
    accounts: set[str],
    before: datetime,
    over: int,
    reviewees: Collection[str] = (),
    since: datetime = datetime(2026, 3, 1),
) -> TiesRead:
    return review_ties(
        conn,
        accounts,
        MARCH,
        crowded_over=over,
        before=before,
        reviewees=reviewees,
        reviewers_since=since.replace(tzinfo=UTC),
    )


def test_review_ties_come_from_both_sides_within_their_bounds(store: Store) -> None:
    _store(store, [_review("a", "b", 1), _review("b", "c", 10), _review("c", "a", 20)])
    with store.engine.connect() as conn:
        ties = _read(conn, {"a"}, MARCH, 5).ties
        until = review_ties(
            conn,
            {"a", "c"},
            datetime(2026, 2, 15, tzinfo=UTC),
            crowded_over=5,
            before=MARCH,
            reviewees=(),
            reviewers_since=MARCH,
        ).ties
    assert sorted((r, e) for r, e, _ in ties) == [("a", "b"), ("c", "a")]
    assert sorted({(r, e) for r, e, _ in until}) == [("a", "b"), ("b", "c")]


def test_a_pair_that_traded_again_is_one_tie_from_its_first_review(store: Store) -> None:
    # A client that hired the same freelancer again and again is one partner to a walk:
    # only the pair's first review is read, and each review from the reviewer window on
    # (a reviewee's reviewers there are counted per window).
    _store(
        store,
        [_review("client", "freelancer", day, n) for n, day in enumerate((3, 5, 9, 20, 24))]
        + [_review("freelancer", "client", 7)],
    )
    with store.engine.connect() as conn:
        read = _read(conn, {"client"}, MARCH, 5, since=datetime(2026, 2, 18))
    at = {r: datetime(2026, 2, r, 12) for r in (3, 7, 20, 24)}
    assert sorted(read.ties) == [
        ("client", "freelancer", at[3]),
        ("client", "freelancer", at[20]),
        ("client", "freelancer", at[24]),
        ("freelancer", "client", at[7]),
    ]


def test_sqlite_reads_ties_from_the_review_indexes_alone_without_statistics(
    sqlite_store: Store,
) -> None:
    # A store that grew after it was opened has no planner statistics: SQLite then preferred
    # the (kind, occurred_at) index for a test of the kind, every review of the store.
    _store(sqlite_store, [_review("a", "b", 1)])
    plan = explain(
        sqlite_store,
        _REVIEW_TIES,
        {
            "accounts": ["a", "b"],
            "reviewees": ["b"],
            "until": datetime(2026, 3, 1, tzinfo=UTC),
            "since": datetime(2026, 2, 1, tzinfo=UTC),
            "before": datetime(2026, 3, 1, tzinfo=UTC),
            "enough": 31,
            "more_than": 30,
        },
    )
    assert "COVERING INDEX ix_events_review_ties_by_reviewer" in plan
    assert "COVERING INDEX ix_events_review_ties_by_reviewee" in plan
    assert "ix_events_kind_occurred" not in plan
    # Only the reviews before the reviewer window are grouped per pair; recent ones come
    # straight off the index (sorting them all cost 13-18% of the query).
    assert plan.count("TEMP B-TREE FOR GROUP BY") == 2
