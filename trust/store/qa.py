"""The qa_reviews table: resolved cases picked for a blind second review, and the outcome."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from trust.errors import CaseError
from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import qa_reviews

PENDING, AGREED, DISAGREED, RULED = "pending", "agreed", "disagreed", "ruled"


@dataclass(frozen=True, slots=True)
class QaReview:
    """One blind re-review: what the original reviewers decided and what the second one did."""

    id: int
    case_id: int
    selected_because: str
    original_action: str
    original_reason: str
    original_reviewers: list[str]
    selected_at: datetime
    status: str
    reviewer: str | None
    review_action: str | None
    review_reason: str | None
    reviewed_at: datetime | None
    ruling: str | None
    ruled_by: str | None
    ruled_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> QaReview:
        """Build from a ``qa_reviews`` row."""
        data = dict(row._mapping)
        for name in ("selected_at", "reviewed_at", "ruled_at"):
            if data[name] is not None and data[name].tzinfo is None:
                data[name] = data[name].replace(tzinfo=UTC)
        data["original_reviewers"] = list(data["original_reviewers"] or [])
        return cls(**data)


def insert_selection(
    conn: Connection,
    *,
    case_id: int,
    because: str,
    action: str,
    reason: str,
    reviewers: Iterable[str],
    at: datetime,
) -> bool:
    """Pick a resolved case for QA (once per case); True when newly picked."""
    return (
        insert_ignoring_duplicates(
            conn,
            qa_reviews,
            [
                {
                    "case_id": case_id,
                    "selected_because": because,
                    "original_action": action,
                    "original_reason": reason,
                    "original_reviewers": sorted(set(reviewers)),
                    "selected_at": at,
                    "status": PENDING,
                }
            ],
            ["case_id"],
        )
        == 1
    )


def withdraw_selection(conn: Connection, case_id: int) -> str | None:
    """Drop the case's QA selection if nobody reviewed it yet (its resolution was undone).

    Returns the status of a selection that stays (already reviewed), else None.
    """
    status = conn.execute(
        select(qa_reviews.c.status).where(qa_reviews.c.case_id == case_id)
    ).scalar()
    if status == PENDING:
        conn.execute(delete(qa_reviews).where(qa_reviews.c.case_id == case_id))
        return None
    return status


def load_review(conn: Connection, review_id: int) -> QaReview:
    """One QA review; raises CaseError when there is none."""
    row = conn.execute(select(qa_reviews).where(qa_reviews.c.id == review_id)).first()
    if row is None:
        raise CaseError(f"no QA review {review_id}")
    return QaReview.from_row(row)


def reviews_with_status(conn: Connection, status: str, *, limit: int = 50) -> list[QaReview]:
    """QA reviews in ``status``, oldest selection first."""
    rows = conn.execute(
        select(qa_reviews)
        .where(qa_reviews.c.status == status)
        .order_by(qa_reviews.c.selected_at, qa_reviews.c.id)
        .limit(limit)
    )
    return [QaReview.from_row(r) for r in rows]


def reviewed_since(conn: Connection, since: datetime) -> list[QaReview]:
    """QA reviews done since ``since`` (agreed, disagreed or ruled)."""
    rows = conn.execute(
        select(qa_reviews).where(qa_reviews.c.reviewed_at >= since).order_by(qa_reviews.c.id)
    )
    return [QaReview.from_row(r) for r in rows]


def record_review(
    conn: Connection,
    review_id: int,
    *,
    reviewer: str,
    action: str,
    reason: str,
    status: str,
    at: datetime,
) -> None:
    """Write the second reviewer's blind decision on a pending review."""
    done = conn.execute(
        update(qa_reviews)
        .where(qa_reviews.c.id == review_id, qa_reviews.c.status == PENDING)
        .values(
            reviewer=reviewer,
            review_action=action,
            review_reason=reason,
            reviewed_at=at,
            status=status,
        )
    )
    if done.rowcount != 1:
        raise CaseError(f"QA review {review_id} was already done")


def record_ruling(conn: Connection, review_id: int, *, ruling: str, by: str, at: datetime) -> None:
    """Write a lead's ruling on a disagreement."""
    done = conn.execute(
        update(qa_reviews)
        .where(qa_reviews.c.id == review_id, qa_reviews.c.status == DISAGREED)
        .values(ruling=ruling, ruled_by=by, ruled_at=at, status=RULED)
    )
    if done.rowcount != 1:
        raise CaseError(f"QA review {review_id} is not a disagreement waiting for a lead")
