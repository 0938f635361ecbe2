"""Where enforcement changes come from: automated blocks, case resolutions, appeals, leads.

Each function reads the state in force (locked on PostgreSQL), asks the pure rules of
``trust.enforcement`` what changes, and records it through ``trust.store.enforcements``
(history and audit included), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Connection

from trust.audit import record_audit
from trust.decisions import Decision
from trust.enforcement import (
    AUTOMATED_BLOCK_EFFECT,
    AUTOMATED_REVIEW_EFFECT,
    Enforcement,
    EnforcementChange,
    EnforcementSource,
    EnforcementState,
    imposed,
    lifted,
)
from trust.errors import EnforcementError, FourEyesError
from trust.staff.roles import HasRole, Permission, require
from trust.store.enforcements import (
    APPROVED,
    PENDING,
    REJECTED,
    EnforcementProposal,
    apply_changes,
    close_proposal,
    current_enforcement,
    current_enforcements,
    insert_proposal,
    proposal_row,
)
from trust.store.events import repaid_chargebacks

SYSTEM = "system"


def _automated_effect(decision: Decision) -> EnforcementState | None:
    if decision.outcome == "block":
        return AUTOMATED_BLOCK_EFFECT.get(decision.kind)
    if decision.outcome == "review":
        return AUTOMATED_REVIEW_EFFECT.get(decision.kind)
    return None


def enforce_decisions(conn: Connection, decisions: Sequence[Decision], now: datetime) -> int:
    """Apply automated outcomes to their subjects' accounts; returns changes made.

    What a block does depends on the kind (``AUTOMATED_BLOCK_EFFECT``): a rejected
    verification blocks, a complaint, a refused withdrawal or a chargeback holds, a removed
    review restricts only the review. A withdrawal sent to review holds withdrawals too
    (``AUTOMATED_REVIEW_EFFECT``). A repaid chargeback lifts the hold it caused.
    """
    wanted = [(d, effect) for d in decisions if (effect := _automated_effect(d)) is not None]
    lifts = repaid_chargebacks(conn, [d.event_id for d in decisions if d.kind == "client_payment"])
    if not wanted and not lifts:
        return 0
    current = current_enforcements(conn, (d.subject_id for d, _ in wanted), for_update=True)
    changes: list[EnforcementChange] = []
    for decision, state in sorted(wanted, key=lambda pair: pair[0].subject_id):
        reason = "automated decision: " + (
            ", ".join(decision.reason_codes) or f"risk score {decision.risk_score:.0f}"
        )
        change = imposed(
            current.get(decision.subject_id),
            Enforcement(
                decision.subject_id,
                state,
                EnforcementSource.DECISION,
                decision.event_id,
                reason,
                SYSTEM,
                now,
            ),
        )
        if change is not None:
            changes.append(change)
            current[decision.subject_id] = Enforcement(
                change.account_id,
                change.state,
                change.source,
                change.source_id,
                change.reason,
                change.actor,
                change.at,
            )
    changes.extend(_lift_repaid(conn, lifts, now))
    apply_changes(conn, changes)
    return len(changes)


def _lift_repaid(
    conn: Connection, lifts: Sequence[tuple[str, str, str]], now: datetime
) -> list[EnforcementChange]:
    """Lift the suspension a chargeback caused, once the client repaid it."""
    current = current_enforcements(conn, (account for account, _, _ in lifts), for_update=True)
    changes = []
    for account, repayment, chargeback in sorted(lifts):
        change = lifted(
            current.get(account),
            source=EnforcementSource.DECISION,
            source_id=repayment,
            reason=f"chargeback {chargeback} repaid",
            actor=SYSTEM,
            at=now,
            origins=[(EnforcementSource.DECISION, chargeback)],
        )
        if change is not None:
            changes.append(change)
    return changes


def apply_case_outcome(
    conn: Connection,
    *,
    account_id: str,
    case_id: int,
    effect: EnforcementState | None,
    dismissed: bool,
    evidence_event_ids: Collection[str],
    reason: str,
    actor: str,
    now: datetime,
) -> EnforcementChange | None:
    """A resolved case holds or blocks the account, or lifts what its own flags imposed.

    Its flags' enforcement is lifted when the case is dismissed, and an automated *hold*
    (a complaint: "restricted while the case is handled") also when the case ends without
    an account action. An automated block confirmed by the case stays.
    """
    current = current_enforcement(conn, account_id, for_update=True)
    change: EnforcementChange | None = None
    origins = [
        (EnforcementSource.CASE, str(case_id)),
        *((EnforcementSource.DECISION, e) for e in evidence_event_ids),
    ]
    if effect is not None and effect != EnforcementState.NONE:
        change = imposed(
            current,
            Enforcement(
                account_id, effect, EnforcementSource.CASE, str(case_id), reason, actor, now
            ),
        )
    elif dismissed or (
        current is not None
        and current.state == EnforcementState.HOLD
        and current.source == EnforcementSource.DECISION
    ):
        change = lifted(
            current,
            source=EnforcementSource.CASE,
            source_id=str(case_id),
            reason=reason,
            actor=actor,
            at=now,
            origins=origins,
        )
    if change is not None:
        apply_changes(conn, [change])
    return change


def lift_on_appeal(
    conn: Connection, account_id: str, appeal_case_id: int, reason: str, actor: str, now: datetime
) -> EnforcementChange | None:
    """An overturned appeal lifts the enforcement in force on the account."""
    current = current_enforcement(conn, account_id, for_update=True)
    change = lifted(
        current,
        source=EnforcementSource.APPEAL,
        source_id=str(appeal_case_id),
        reason=reason,
        actor=actor,
        at=now,
    )
    if change is not None:
        apply_changes(conn, [change])
    return change


def _impose_all(
    conn: Connection,
    account_ids: Collection[str],
    state: EnforcementState,
    source_id: str,
    reason: str,
    actor: str,
    now: datetime,
) -> int:
    current = current_enforcements(conn, account_ids, for_update=True)
    changes = [
        c
        for c in (
            imposed(
                current.get(a),
                Enforcement(a, state, EnforcementSource.LINKED, source_id, reason, actor, now),
            )
            for a in sorted(set(account_ids))
        )
        if c is not None
    ]
    apply_changes(conn, changes)
    return len(changes)


def act_on_linked(
    conn: Connection,
    staff: HasRole,
    account_ids: Collection[str],
    state: EnforcementState,
    reason: str,
    now: datetime,
) -> int:
    """A lead holds linked accounts together (now), or proposes blocking them (four-eyes).

    Returns the number of accounts held, or the id of the block proposal.
    """
    require(staff, Permission.ACT_ON_LINKED)
    ids = sorted(set(account_ids))
    if not ids:
        raise EnforcementError("account_ids: choose at least one account")
    if not reason.strip():
        raise EnforcementError("reason: say why these accounts are acted on together")
    if state == EnforcementState.HOLD:
        return _impose_all(
            conn, ids, state, f"lead:{staff.username}", reason.strip(), staff.username, now
        )
    if state == EnforcementState.BLOCK:
        proposal = insert_proposal(conn, ids, state, reason.strip(), staff.username, now)
        record_audit(
            conn,
            actor=staff.username,
            action="linked_block_proposed",
            target_type="enforcement_proposal",
            target_id=proposal,
            at=now,
            after={"account_ids": ids, "reason": reason.strip()},
        )
        return proposal
    raise EnforcementError("state: linked accounts can be held or blocked, not lifted")


def _pending(conn: Connection, proposal_id: int, staff: HasRole) -> EnforcementProposal:
    require(staff, Permission.APPROVE_FOUR_EYES)
    row = proposal_row(conn, proposal_id)
    if row is None or row.status != PENDING:
        raise EnforcementError(f"proposal {proposal_id} is not waiting for approval")
    if row.proposed_by == staff.username:
        raise FourEyesError(f"{staff.username} proposed this and cannot also approve it")
    return row


def approve_linked(conn: Connection, proposal_id: int, staff: HasRole, now: datetime) -> int:
    """A second lead approves a linked block; returns the number of accounts blocked."""
    row = _pending(conn, proposal_id, staff)
    close_proposal(conn, proposal_id, APPROVED, staff.username, now)
    record_audit(
        conn,
        actor=staff.username,
        action="linked_block_approved",
        target_type="enforcement_proposal",
        target_id=proposal_id,
        at=now,
        before={"status": PENDING},
        after={"status": APPROVED},
    )
    ids = [str(a) for a in row.account_ids]
    return _impose_all(
        conn,
        ids,
        EnforcementState(row.state),
        f"proposal:{proposal_id}",
        f"{row.reason} (proposed by {row.proposed_by}, approved by {staff.username})",
        staff.username,
        now,
    )


def reject_linked(conn: Connection, proposal_id: int, staff: HasRole, now: datetime) -> None:
    """A second lead turns a linked block down; nothing changes on the accounts."""
    _pending(conn, proposal_id, staff)
    close_proposal(conn, proposal_id, REJECTED, staff.username, now)
    record_audit(
        conn,
        actor=staff.username,
        action="linked_block_rejected",
        target_type="enforcement_proposal",
        target_id=proposal_id,
        at=now,
        before={"status": PENDING},
        after={"status": REJECTED},
    )
