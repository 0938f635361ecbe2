"""The trade graph's reads: review ties from their partial indexes, and crowded accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.factories import make_review
from tests.trust.signals.conftest import HASHER
from trust.events import ReviewEvent
from trust.store import Store, transaction
from trust.store.events import store_events
from trust.store.graph import _CROWDED, _REVIEW_TIES, crowded_accounts, review_ties

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
        assert crowded_accounts(conn, asked, before, 5) == {"star", "busy"}
        assert crowded_accounts(conn, asked, before, 6) == set()
        assert crowded_accounts(conn, asked, MARCH, 5) == {"star", "busy", "late"}
        assert crowded_accounts(conn, set(), MARCH, 5) == set()


def test_review_ties_come_from_both_sides_within_their_bounds(store: Store) -> None:
    _store(store, [_review("a", "b", 1), _review("b", "c", 10), _review("c", "a", 20)])
    with store.engine.connect() as conn:
        ties = review_ties(conn, {"a"}, MARCH)
        windowed = review_ties(conn, {"b"}, MARCH, since=datetime(2026, 2, 5, tzinfo=UTC))
        until = review_ties(conn, {"a", "c"}, datetime(2026, 2, 15, tzinfo=UTC))
    assert sorted((r, e) for _, r, e, _ in ties) == [("a", "b"), ("c", "a")]
    assert [(r, e) for _, r, e, _ in windowed] == [("b", "c")]
    assert sorted({(r, e) for _, r, e, _ in until}) == [("a", "b"), ("b", "c")]


def _plan(store: Store, statement: Any, params: dict[str, Any]) -> str:
    with store.engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        bound = compiled.construct_params(params)
        values = tuple(bound[name] for name in compiled.positiontup or ())
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
        return " | ".join(str(row[-1]) for row in rows)


def test_sqlite_reads_ties_from_the_review_indexes_alone_without_statistics(
    sqlite_store: Store,
) -> None:
    # A store that grew after it was opened has no planner statistics: SQLite then preferred
    # the (kind, occurred_at) index for a test of the kind, every review of the store.
    _store(sqlite_store, [_review("a", "b", 1)])
    accounts = '["a", "b"]'
    ties = _plan(sqlite_store, _REVIEW_TIES, {"accounts": accounts, "until": "2026-03-01"})
    crowded = _plan(
        sqlite_store,
        _CROWDED,
        {"accounts": accounts, "before": "2026-03-01", "enough": 31, "more_than": 30},
    )
    for plan in (ties, crowded):
        assert "COVERING INDEX ix_events_review_ties_by_reviewer" in plan
        assert "COVERING INDEX ix_events_review_ties_by_reviewee" in plan
        assert "ix_events_kind_occurred" not in plan
