"""Resolving cases: actions with reason codes, four-eyes for severe ones, labels, bulk.

Which actions end a case and which label they leave (the label feeds rule precision and
model learning):

| action              | ends the case | label      | account effect | four-eyes |
|---------------------|---------------|------------|----------------|-----------|
| approve             | yes           | dismissed  |                |           |
| dismiss             | yes           | dismissed  |                |           |
| remove_review       | yes           | confirmed  |                |           |
| reject_verification | yes           | confirmed  |                |           |
| hold_account        | yes           | confirmed  | hold           |           |
| block_account       | yes           | confirmed  | block          | yes       |
| release / refund    | yes           | see below  |                | yes       |
| split               | yes           | confirmed  |                | yes       |
| request_documents   | no: waiting_on_user (SLA paused)                          |
| escalate            | no: escalated, for a lead                                 |

Money outcomes end dispute cases only (one contract's escrow, see ``trust.disputes``), and
a dispute ends only in one: the record names the contract, milestone, currency and the
amounts released and refunded, which add up to the escrow. The dispute's process follows
each step (a proposal is its ``decided`` fact, approval its ``settled`` one).
A dispute outcome *confirms* the complaint when the money goes to the complainant: release
(to the freelancer) when a freelancer or agency complained, refund (to the client) when a
client did; the opposite outcome *dismisses* it; a split partly upholds it (confirmed).
The account effect is an enforcement (``trust.enforcement``); a dismissed case lifts the
enforcement its own case or flagged decisions imposed (an automated block, say), nothing else.
Four-eyes: the first person's resolution only proposes (awaiting_approval); a lead other
than the proposer approves (the case resolves) or rejects (it goes back to the queue).
A bulk resolution (never a severe one) records its batch and each case's state before it, so
it can be undone within a window (``trust.cases.undo``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from trust.audit import jsonable
from trust.cases.case import Case, change_case, load_case
from trust.cases.lifecycle import CaseStatus
from trust.cases.reasons import RESOLUTION_REASONS
from trust.cases.sla import as_utc
from trust.cases.workflow import add_note
from trust.enforcement import EnforcementState
from trust.enforcement_actions import apply_case_outcome
from trust.errors import CaseError, ClaimConflictError, FourEyesError
from trust.qa.sampling import consider_for_qa
from trust.settings import QaSettings
from trust.staff.roles import HasRole, Permission, require
from trust.store.clusters import RING_KIND, members_of
from trust.store.tables import DISPUTE_KIND, case_evidence, events
from trust.webhooks import emit_case_resolved

CENT = Decimal("0.01")


class Action(StrEnum):
    """What a member of staff decides to do with a case."""

    APPROVE = "approve"
    DISMISS = "dismiss"
    REMOVE_REVIEW = "remove_review"
    REJECT_VERIFICATION = "reject_verification"
    REQUEST_DOCUMENTS = "request_documents"
    HOLD_ACCOUNT = "hold_account"
    BLOCK_ACCOUNT = "block_account"
    ESCALATE = "escalate"
    RELEASE = "release"
    REFUND = "refund"
    SPLIT = "split"


DISPUTE_OUTCOMES = frozenset({Action.RELEASE, Action.REFUND, Action.SPLIT})
FOUR_EYES = frozenset({Action.BLOCK_ACCOUNT}) | DISPUTE_OUTCOMES
NOT_FINAL = frozenset({Action.REQUEST_DOCUMENTS, Action.ESCALATE})
# The most cases one bulk resolution may end, per action: dismissing a wave of false positives
# is routine, acting against accounts in bulk is not.
BULK_CAPS: dict[Action, int] = {
    Action.APPROVE: 25,
    Action.DISMISS: 25,
    Action.REMOVE_REVIEW: 15,
    Action.REJECT_VERIFICATION: 10,
    Action.HOLD_ACCOUNT: 10,
}
LABELS: dict[Action, str] = {
    Action.APPROVE: "dismissed",
    Action.DISMISS: "dismissed",
    Action.REMOVE_REVIEW: "confirmed",
    Action.REJECT_VERIFICATION: "confirmed",
    Action.HOLD_ACCOUNT: "confirmed",
    Action.BLOCK_ACCOUNT: "confirmed",
    Action.SPLIT: "confirmed",
}
ACCOUNT_EFFECTS: dict[Action, str] = {
    Action.HOLD_ACCOUNT: "hold",
    Action.BLOCK_ACCOUNT: "block",
}


@dataclass(frozen=True, slots=True)
class Resolution:
    """One decision about a case: the action, a reason code, a note, and dispute amounts."""

    action: Action
    reason_code: str
    note: str = ""
    release_amount: Decimal | None = None
    refund_amount: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe form stored on the case (``resolution`` / ``proposed_action``)."""
        return dict(jsonable(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resolution:
        """Rebuild a stored proposal."""

        def money(key: str) -> Decimal | None:
            return Decimal(data[key]) if data.get(key) is not None else None

        return cls(
            Action(data["action"]),
            data["reason_code"],
            data.get("note", ""),
            money("release_amount"),
            money("refund_amount"),
        )


@dataclass(slots=True)
class BulkResult:
    """What a bulk resolution (or its undo) did: the cases done and, for the rest, why not.

    ``batch`` names the bulk resolution, for undoing it (``trust.cases.undo``).
    """

    resolved: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    batch: str = ""


# What a bulk resolution keeps of each case's state, to put it back on undo.
PRIOR_FIELDS = ("status", "claimed_by", "claimed_at", "lease_expires_at")


def _checked(case: Case, res: Resolution) -> Resolution:
    """Validate the reason code and settle dispute amounts against the money at stake."""
    if res.reason_code not in RESOLUTION_REASONS:
        raise CaseError(f"unknown reason code {res.reason_code!r}")
    if res.action not in DISPUTE_OUTCOMES:
        if res.release_amount is not None or res.refund_amount is not None:
            raise CaseError(f"{res.action.value} takes no amounts")
        if case.kind == DISPUTE_KIND and res.action != Action.ESCALATE:
            raise CaseError(
                "a dispute ends only in release, refund or split of its escrow (or goes to a lead)"
            )
        return res
    if case.kind != DISPUTE_KIND:
        raise CaseError(f"{res.action.value} only ends a dispute case (one contract's escrow)")
    stake = case.money_at_stake
    release = res.release_amount
    refund = res.refund_amount
    if res.action == Action.RELEASE:
        release, refund = (stake if release is None else release), Decimal("0")
    elif res.action == Action.REFUND:
        release, refund = Decimal("0"), (stake if refund is None else refund)
    elif release is None or refund is None:
        raise CaseError("a split needs both the released and the refunded amount")
    release, refund = Decimal(release).quantize(CENT), Decimal(refund).quantize(CENT)
    if release < 0 or refund < 0:
        raise CaseError("amounts cannot be negative")
    if stake > 0 and release + refund != stake:
        raise CaseError(f"released {release} + refunded {refund} must equal the {stake} at stake")
    return Resolution(res.action, res.reason_code, res.note, release, refund)


def _dispute_label(conn: Connection, case: Case, action: Action) -> str:
    if action == Action.SPLIT:
        return "confirmed"
    first = conn.execute(
        select(events.c.payload)
        .join(case_evidence, case_evidence.c.event_id == events.c.event_id)
        .where(case_evidence.c.case_id == case.id)
        .order_by(case_evidence.c.id)
        .limit(1)
    ).scalar()
    role = (first or {}).get("complainant_role", "freelancer")
    to_complainant = Action.REFUND if role == "client" else Action.RELEASE
    return "confirmed" if action == to_complainant else "dismissed"


def _finish(
    conn: Connection,
    case: Case,
    res: Resolution,
    *,
    by: str,
    now: datetime,
    proposed_by: str | None = None,
    bulk: dict[str, Any] | None = None,
) -> Case:
    label = (
        _dispute_label(conn, case, res.action)
        if res.action in DISPUTE_OUTCOMES
        else LABELS[res.action]
    )
    record = {
        **res.as_dict(),
        "proposed_by": proposed_by,
        "approved_by": by if proposed_by else None,
    }
    if bulk is not None:
        record["bulk"] = bulk
    if case.kind == DISPUTE_KIND:
        record.update(_dispute_record(conn, case.id))
    case = change_case(
        conn,
        case,
        {
            "status": CaseStatus.RESOLVED,
            "resolution": record,
            "resolved_by": by,
            "resolved_at": now,
            "label": label,
            "claimed_by": None,
            "claimed_at": None,
            "lease_expires_at": None,
            "proposed_action": None,
            "proposed_by": None,
        },
        actor=by,
        action="resolved" if not proposed_by else "proposal_approved",
        now=now,
    )
    _enforce(conn, case, res, label, by=by, now=now)
    emit_case_resolved(conn, case, now, dispute=res.action in DISPUTE_OUTCOMES)
    return case


def _enforce(
    conn: Connection, case: Case, res: Resolution, label: str, *, by: str, now: datetime
) -> None:
    """Hold or block the account — every member's, for a cluster case — or lift what this
    case's flags imposed (see ``trust.enforcement_actions.apply_case_outcome``)."""
    effect = ACCOUNT_EFFECTS.get(res.action)
    evidence = (
        conn.execute(select(case_evidence.c.event_id).where(case_evidence.c.case_id == case.id))
        .scalars()
        .all()
    )
    accounts = (
        [m.account_id for m in members_of(conn, case.id)]
        if case.kind == RING_KIND
        else [case.subject_id]
    )
    for account_id in accounts:
        apply_case_outcome(
            conn,
            account_id=account_id,
            case_id=case.id,
            effect=EnforcementState(effect) if effect else None,
            dismissed=label == "dismissed",
            evidence_event_ids=evidence,
            reason=f"case {case.id}: {res.action.value} ({res.reason_code})",
            actor=by,
            now=now,
        )


def _dispute_record(conn: Connection, case_id: int) -> dict[str, Any]:
    from trust.store.disputes import load_dispute

    dispute = load_dispute(conn, case_id)
    return {
        "contract_id": dispute.contract_id,
        "milestone_id": dispute.milestone_id,
        "currency": dispute.currency,
        "amount_in_escrow": str(dispute.amount_in_escrow),
    }


def _dispute_step(
    conn: Connection,
    case: Case,
    fact_name: str,
    by: str,
    now: datetime,
    res: Resolution | None = None,
) -> None:
    """Follow a case action on the dispute's process (refused there: the action is too)."""
    if case.kind != DISPUTE_KIND:
        return
    from trust.disputes import machine
    from trust.disputes.process import DEFAULT_REASON, advance

    fact: machine.Fact
    if fact_name == "decided" and res is not None:
        fact = machine.Decided(
            machine.Split(
                res.release_amount or Decimal("0"), res.refund_amount or Decimal("0"), by
            ),
            now,
        )
    elif fact_name == "approved":
        fact = machine.Approved(now)
    else:
        fact = machine.ApprovalRefused(now)
    advance(
        conn,
        case.id,
        fact,
        actor=by,
        now=now,
        reason_code=res.reason_code if res else DEFAULT_REASON,
        note=res.note if res else "",
    )


def _holding(conn: Connection, case_id: int, staff: HasRole, now: datetime) -> Case:
    case = load_case(conn, case_id, for_update=True)
    if case.status == CaseStatus.RESOLVED:
        raise CaseError(f"case {case_id} is already resolved")
    if case.holder(now) != staff.username:
        raise ClaimConflictError(f"claim case {case_id} before acting on it")
    return case


def resolve(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    resolution: Resolution,
    now: datetime | None = None,
    qa: QaSettings | None = None,
) -> Case:
    """Act on a case ``staff`` holds: resolve it, or propose, escalate or ask for documents.

    A resolved case may be picked for a blind QA review (``qa``: the sampling settings).
    """
    now = as_utc(now or datetime.now(UTC))
    require(staff, Permission.RESOLVE)
    case = _holding(conn, case_id, staff, now)
    res = _checked(case, resolution)
    if res.note:
        add_note(conn, case.id, staff, res.note, now)
    released = {"claimed_by": None, "claimed_at": None, "lease_expires_at": None}
    if res.action in FOUR_EYES:
        require(staff, Permission.PROPOSE_SEVERE)
        if case.kind == DISPUTE_KIND:
            # The dispute's process checks the stage first, then proposes on the case.
            _dispute_step(conn, case, "decided", staff.username, now, res)
            return load_case(conn, case_id)
        return change_case(
            conn,
            case,
            {
                "status": CaseStatus.AWAITING_APPROVAL,
                "proposed_action": res.as_dict(),
                "proposed_by": staff.username,
                **released,
            },
            actor=staff.username,
            action="proposed",
            now=now,
        )
    if res.action == Action.ESCALATE:
        if case.status == CaseStatus.ESCALATED:
            raise CaseError(f"case {case_id} is already escalated")
        return change_case(
            conn,
            case,
            {"status": CaseStatus.ESCALATED, **released},
            actor=staff.username,
            action="escalated",
            now=now,
            details={"reason_code": res.reason_code},
        )
    if res.action == Action.REQUEST_DOCUMENTS:
        return change_case(
            conn,
            case,
            {"status": CaseStatus.WAITING_ON_USER, "sla_paused_at": now, **released},
            actor=staff.username,
            action="documents_requested",
            now=now,
            details={"reason_code": res.reason_code},
        )
    done = _finish(conn, case, res, by=staff.username, now=now)
    consider_for_qa(conn, done, staff, qa or QaSettings(), now)
    return done


def _proposal(conn: Connection, case_id: int, staff: HasRole, now: datetime) -> Case:
    require(staff, Permission.APPROVE_FOUR_EYES)
    case = load_case(conn, case_id, for_update=True)
    if case.status != CaseStatus.AWAITING_APPROVAL or not case.proposed_action:
        raise CaseError(f"case {case_id} has no proposal waiting for approval")
    if case.proposed_by == staff.username:
        raise FourEyesError(f"{staff.username} proposed this and cannot also approve it")
    holder = case.holder(now)
    if holder not in (None, staff.username):
        raise ClaimConflictError(f"case {case_id} is held by {holder}")
    return case


def approve_proposal(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    now: datetime | None = None,
    note: str = "",
    qa: QaSettings | None = None,
) -> Case:
    """A second person (a lead, not the proposer) approves a severe action; the case resolves."""
    now = as_utc(now or datetime.now(UTC))
    case = _proposal(conn, case_id, staff, now)
    if note:
        add_note(conn, case.id, staff, note, now)
    res = Resolution.from_dict(case.proposed_action or {})
    done = _finish(conn, case, res, by=staff.username, now=now, proposed_by=case.proposed_by)
    consider_for_qa(conn, done, staff, qa or QaSettings(), now)
    _dispute_step(conn, done, "approved", staff.username, now)
    return done


def reject_proposal(
    conn: Connection, case_id: int, staff: HasRole, now: datetime | None = None, note: str = ""
) -> Case:
    """A lead turns a proposal down; the case goes back to the open queue with a note."""
    now = as_utc(now or datetime.now(UTC))
    case = _proposal(conn, case_id, staff, now)
    if note:
        add_note(conn, case.id, staff, note, now)
    reopened = change_case(
        conn,
        case,
        {
            "status": CaseStatus.OPEN,
            "proposed_action": None,
            "proposed_by": None,
            "claimed_by": None,
            "claimed_at": None,
            "lease_expires_at": None,
        },
        actor=staff.username,
        action="proposal_rejected",
        now=now,
        details={"rejected": case.proposed_action, "proposed_by": case.proposed_by},
    )
    _dispute_step(conn, reopened, "refused", staff.username, now)
    return reopened


def bulk_resolve(
    conn: Connection,
    case_ids: Sequence[int],
    staff: HasRole,
    resolution: Resolution,
    now: datetime | None = None,
    qa: QaSettings | None = None,
) -> BulkResult:
    """Resolve many cases with one reason; cases another person holds or that cannot end so
    are skipped with the reason. Severe (four-eyes) and non-final actions are refused, and so
    is a selection larger than the action's cap (``BULK_CAPS``)."""
    now = as_utc(now or datetime.now(UTC))
    require(staff, Permission.BULK_RESOLVE)
    if resolution.action in FOUR_EYES or resolution.action in NOT_FINAL:
        raise CaseError(f"{resolution.action.value} cannot be applied in bulk")
    wanted = sorted(set(case_ids))
    cap = BULK_CAPS.get(resolution.action, 0)
    if len(wanted) > cap:
        raise CaseError(
            f"{resolution.action.value} applies to at most {cap} cases at once, "
            f"not {len(wanted)}: split the selection"
        )
    result = BulkResult(batch=uuid.uuid4().hex[:12])
    for case_id in wanted:
        case = load_case(conn, case_id, for_update=True)
        holder = case.holder(now)
        if case.status in (
            CaseStatus.RESOLVED,
            CaseStatus.WAITING_ON_USER,
            CaseStatus.AWAITING_APPROVAL,
        ):
            result.skipped[case_id] = f"case is {case.status.value}"
        elif holder not in (None, staff.username):
            result.skipped[case_id] = f"held by {holder}"
        elif case.kind == DISPUTE_KIND:
            result.skipped[case_id] = "a dispute ends only in a money outcome (four-eyes)"
        else:
            res = _checked(case, resolution)
            if res.note:
                add_note(conn, case.id, staff, res.note, now)
            prior = {k: getattr(case, k) for k in PRIOR_FIELDS}
            bulk = {"batch": result.batch, "prior": dict(jsonable(prior))}
            done = _finish(conn, case, res, by=staff.username, now=now, bulk=bulk)
            consider_for_qa(conn, done, staff, qa or QaSettings(), now)
            result.resolved.append(case_id)
    return result
