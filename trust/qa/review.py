"""Blind second reviews, leads' rulings, and agreement (Cohen's kappa); see ``trust.qa``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sklearn.metrics import cohen_kappa_score
from sqlalchemy import Connection

from trust.audit import record_audit
from trust.cases.case import Case
from trust.cases.queries import EvidenceRow, case_detail
from trust.cases.resolution import LABELS, Action
from trust.errors import CaseError, FourEyesError
from trust.staff.roles import HasRole, Permission, require
from trust.store.qa import (
    AGREED,
    DISAGREED,
    QaReview,
    load_review,
    record_review,
    record_ruling,
    reviewed_since,
)

ORIGINAL, SECOND = "original", "second"


def verdict(action: str) -> str:
    """What a resolution means for agreement: its label, or the dispute outcome itself."""
    try:
        return LABELS.get(Action(action), action)
    except ValueError:
        return action


def blind_case(conn: Connection, review: QaReview) -> tuple[Case, list[EvidenceRow]]:
    """The case under review with its outcome removed, and its evidence (no notes, no audit
    trail: they would tell the second reviewer what the first one decided)."""
    detail = case_detail(conn, review.case_id)
    return replace(
        detail.case,
        resolution=None,
        resolved_by=None,
        resolved_at=None,
        label=None,
        proposed_action=None,
        proposed_by=None,
    ), detail.evidence


def submit_review(
    conn: Connection,
    review_id: int,
    staff: HasRole,
    action: str,
    reason: str,
    now: datetime | None = None,
) -> QaReview:
    """The second reviewer's blind decision; a different verdict goes to a lead."""
    now = now or datetime.now(UTC)
    require(staff, Permission.RESOLVE)
    review = load_review(conn, review_id)
    if staff.username in review.original_reviewers:
        raise FourEyesError(
            f"{staff.username} decided case {review.case_id} and cannot review it for QA"
        )
    if not reason:
        raise CaseError("reason: choose the reason code you would have given")
    status = AGREED if verdict(action) == verdict(review.original_action) else DISAGREED
    record_review(
        conn,
        review_id,
        reviewer=staff.username,
        action=action,
        reason=reason,
        status=status,
        at=now,
    )
    record_audit(
        conn,
        actor=staff.username,
        action="qa_reviewed",
        target_type="case",
        target_id=review.case_id,
        at=now,
        before={"action": review.original_action},
        after={"action": action, "reason_code": reason, "status": status},
    )
    return load_review(conn, review_id)


def rule_on(
    conn: Connection, review_id: int, lead: HasRole, ruling: str, now: datetime | None = None
) -> QaReview:
    """A lead settles a disagreement: the ``original`` or the ``second`` decision stands."""
    now = now or datetime.now(UTC)
    require(lead, Permission.APPROVE_FOUR_EYES)
    if ruling not in (ORIGINAL, SECOND):
        raise CaseError(f"ruling: {ruling!r} is neither {ORIGINAL!r} nor {SECOND!r}")
    review = load_review(conn, review_id)
    if lead.username in review.original_reviewers or lead.username == review.reviewer:
        raise FourEyesError(f"{lead.username} took one of the two decisions and cannot rule")
    record_ruling(conn, review_id, ruling=ruling, by=lead.username, at=now)
    record_audit(
        conn,
        actor=lead.username,
        action="qa_ruled",
        target_type="case",
        target_id=review.case_id,
        at=now,
        before={"status": review.status},
        after={"ruling": ruling},
    )
    return load_review(conn, review_id)


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement of one group of reviewed cases: counts and Cohen's kappa (None if undefined)."""

    group: str
    reviewed: int
    agreed: int
    kappa: float | None

    @property
    def rate(self) -> float:
        """Share of reviews that agreed."""
        return self.agreed / self.reviewed if self.reviewed else 0.0


def kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters; None when it is undefined (one category only)."""
    if not first or len(set(first) | set(second)) < 2:
        return None
    return float(cohen_kappa_score(list(first), list(second)))


def _agreement(group: str, pairs: list[tuple[str, str]]) -> Agreement:
    return Agreement(
        group,
        len(pairs),
        sum(a == b for a, b in pairs),
        kappa([a for a, _ in pairs], [b for _, b in pairs]),
    )


def agreement_per_reviewer(reviews: Sequence[QaReview]) -> list[Agreement]:
    """Per original reviewer (proposer and approver both credited): verdict agreement."""
    pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in reviews:
        if r.review_action is None:
            continue
        for name in r.original_reviewers:
            pairs[name].append((verdict(r.original_action), verdict(r.review_action)))
    return [_agreement(name, p) for name, p in sorted(pairs.items())]


def agreement_per_reason(reviews: Sequence[QaReview]) -> list[Agreement]:
    """Per reason code: did both reviewers give it (yes/no), over every reviewed case."""
    done = [r for r in reviews if r.review_reason is not None]
    codes = sorted({r.original_reason for r in done} | {str(r.review_reason) for r in done})
    out = []
    for code in codes:
        pairs = [(str(r.original_reason == code), str(r.review_reason == code)) for r in done]
        used = [p for p in pairs if "True" in p]
        out.append(
            Agreement(
                code,
                len(used),
                sum(a == b for a, b in used),
                kappa([a for a, _ in pairs], [b for _, b in pairs]),
            )
        )
    return out


def agreement_figures(conn: Connection, since: datetime) -> dict[str, list[Agreement]]:
    """Agreement per reviewer and per reason code over QA reviews done since ``since``."""
    reviews = reviewed_since(conn, since)
    return {"reviewers": agreement_per_reviewer(reviews), "reasons": agreement_per_reason(reviews)}
