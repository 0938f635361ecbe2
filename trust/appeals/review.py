"""Deciding an appeal: upheld, or overturned (enforcement lifted, decision marked, new statement).

The reviewer holds the appeal case's claim and took no part in the original decision
(neither its approver, its proposer nor whoever imposed the enforcement). An appeal is
overturned only on one of the grounds the statement of reasons promises: new information
(the appeal must bring some), a policy change, or a proven error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection

from trust.appeals.intake import APPEAL_KIND
from trust.cases.case import Case, change_case, load_case
from trust.cases.lifecycle import CaseStatus
from trust.cases.sla import as_utc
from trust.cases.workflow import add_note
from trust.enforcement import STATE_WORDS, EnforcementState
from trust.enforcement_actions import lift_on_appeal
from trust.errors import CaseError, ClaimConflictError, FourEyesError
from trust.staff.roles import HasRole, Permission, require
from trust.store.appeals import AppealRecord, appeals_of_case, record_outcome
from trust.store.enforcements import current_enforcement
from trust.webhooks import emit_appeal_decided


class AppealOutcome(StrEnum):
    """How an appeal ends."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"


APPEAL_GROUNDS: dict[str, str] = {
    "new_information": "The user brought information the original decision did not have",
    "policy_change": "The policy the decision applied has changed",
    "proven_error": "The original decision was wrong on the facts it had",
}
UPHOLD_REASONS: dict[str, str] = {
    "decision_stands": "The decision was right on the facts and the policy",
    "no_new_information": "The appeal brings nothing the decision did not consider",
    "information_not_convincing": "The new information does not change the facts",
}


@dataclass(frozen=True, slots=True)
class AppealDecision:
    """What deciding an appeal did: the resolved case and the statement sent to the user."""

    case: Case
    outcome: AppealOutcome
    statement_of_reasons: str
    enforcement_after: EnforcementState


def _statement(
    outcome: AppealOutcome,
    ground: str,
    note: str,
    state: EnforcementState,
    appeals: list[AppealRecord],
    now: datetime,
) -> str:
    appealed = ", ".join(
        sorted({a.decision_event_id or f"the {a.appealed_state} on the account" for a in appeals})
    )
    if outcome == AppealOutcome.OVERTURNED:
        what = (
            f"What: your appeal against {appealed} succeeded; the decision is overturned "
            f"as of {now:%Y-%m-%d %H:%M} UTC. Your account now: {STATE_WORDS[state]}."
        )
        why = f"Ground: {APPEAL_GROUNDS[ground]}."
    else:
        what = (
            f"What: your appeal against {appealed} was not successful; the decision "
            f"stands. Your account remains: {STATE_WORDS[state]}."
        )
        why = f"Ground: {UPHOLD_REASONS[ground]}."
    lines = [
        what,
        why,
        "Automation: this appeal was decided by a member of staff who took no part in the "
        "original decision.",
    ]
    if note.strip():
        lines.append(f"Facts: {note.strip()}")
    lines.append(
        "Redress: you may refer the dispute to a certified out-of-court settlement body or a court."
    )
    return "\n".join(lines)


def _appeal_case(
    conn: Connection, case_id: int, staff: HasRole, now: datetime
) -> tuple[Case, list[AppealRecord]]:
    case = load_case(conn, case_id, for_update=True)
    if case.kind != APPEAL_KIND:
        raise CaseError(f"case {case_id} is not an appeal")
    if case.status == CaseStatus.RESOLVED:
        raise CaseError(f"case {case_id} is already resolved")
    if case.holder(now) != staff.username:
        raise ClaimConflictError(f"claim case {case_id} before acting on it")
    appeals = appeals_of_case(conn, case_id)
    if not appeals:
        raise CaseError(f"case {case_id} has no appeal on record")
    took_part = sorted({d for a in appeals for d in a.original_deciders})
    if staff.username in took_part:
        raise FourEyesError(
            f"{staff.username} took part in the original decision and cannot "
            "review the appeal against it"
        )
    return case, appeals


def decide_appeal(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    outcome: AppealOutcome,
    ground: str,
    note: str = "",
    now: datetime | None = None,
) -> AppealDecision:
    """Uphold or overturn the appeals of an appeal case ``staff`` holds."""
    now = as_utc(now or datetime.now(UTC))
    require(staff, Permission.RESOLVE)
    case, appeals = _appeal_case(conn, case_id, staff, now)
    reasons = APPEAL_GROUNDS if outcome == AppealOutcome.OVERTURNED else UPHOLD_REASONS
    if ground not in reasons:
        raise CaseError(
            f"ground: {ground!r} is not a ground to {outcome.value} an appeal "
            f"(one of {', '.join(reasons)})"
        )
    if ground == "new_information" and not any(a.has_new_information for a in appeals):
        raise CaseError(
            "ground: the appeal brought no new information; overturn it only for "
            "a policy change or a proven error"
        )
    if note.strip():
        add_note(conn, case.id, staff, note, now)
    if outcome == AppealOutcome.OVERTURNED:
        lift_on_appeal(
            conn,
            case.subject_id,
            case.id,
            f"appeal case {case.id} overturned: {ground}",
            staff.username,
            now,
        )
    state = current_enforcement(conn, case.subject_id) or None
    state_now = state.state if state is not None else EnforcementState.NONE
    statement = _statement(outcome, ground, note, state_now, appeals, now)
    record_outcome(
        conn,
        case.id,
        outcome=outcome.value,
        ground=ground,
        decided_by=staff.username,
        decided_at=now,
        statement=statement,
    )
    resolved = change_case(
        conn,
        case,
        {
            "status": CaseStatus.RESOLVED,
            "resolution": {
                "action": f"appeal_{outcome.value}",
                "reason_code": ground,
                "note": note,
                "proposed_by": None,
                "approved_by": None,
            },
            "resolved_by": staff.username,
            "resolved_at": now,
            "label": outcome.value,
            "claimed_by": None,
            "claimed_at": None,
            "lease_expires_at": None,
        },
        actor=staff.username,
        action=f"appeal_{outcome.value}",
        now=now,
        details={"ground": ground, "enforcement": state_now.value},
    )
    emit_appeal_decided(conn, resolved, outcome.value, state_now.value, statement, now)
    return AppealDecision(resolved, outcome, statement, state_now)
