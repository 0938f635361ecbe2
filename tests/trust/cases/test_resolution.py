"""Resolving cases: labels, account effects, four-eyes, disputes, bulk, and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_complaint, make_profile_verification, make_review
from tests.trust.cases.conftest import ADMIN, ANALYST, ANALYST_2, LEAD, LEAD_2, NOW, OpenCase
from trust.cases import (
    Action,
    CaseStatus,
    Resolution,
    approve_proposal,
    bulk_resolve,
    claim,
    load_case,
    reject_proposal,
    resolve,
)
from trust.errors import CaseError, ClaimConflictError, FourEyesError, PermissionDeniedError
from trust.store import Store, transaction
from trust.store.tables import accounts, audit_log, case_notes

LEASE = timedelta(minutes=15)


def held(
    store: Store,
    open_case: OpenCase,
    event: object = None,
    staff: object = ANALYST,
    **decision: object,
) -> int:
    case_id = open_case(event or make_review(), **decision)
    with transaction(store.engine) as conn:
        claim(conn, case_id, staff, NOW, LEASE)  # type: ignore[arg-type]
    return case_id


def audit_actions(store: Store, target_type: str, target_id: object) -> list[str]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_log.c.action)
                .where(
                    audit_log.c.target_type == target_type, audit_log.c.target_id == str(target_id)
                )
                .order_by(audit_log.c.id)
            ).scalars()
        )


@pytest.mark.parametrize(
    ("action", "reason", "label"),
    [
        (Action.APPROVE, "verified_identity", "dismissed"),
        (Action.DISMISS, "false_positive", "dismissed"),
        (Action.REMOVE_REVIEW, "fake_review", "confirmed"),
        (Action.REJECT_VERIFICATION, "document_tampered", "confirmed"),
        (Action.HOLD_ACCOUNT, "fake_review", "confirmed"),
    ],
)
def test_resolving_sets_the_label(
    store: Store, open_case: OpenCase, action: Action, reason: str, label: str
) -> None:
    case_id = held(store, open_case)
    with transaction(store.engine) as conn:
        case = resolve(conn, case_id, ANALYST, Resolution(action, reason, "looked at it"), NOW)
    assert case.status is CaseStatus.RESOLVED and case.label == label
    assert case.resolved_by == "ana" and case.claimed_by is None
    assert case.resolution is not None and case.resolution["reason_code"] == reason


def test_holding_an_account_changes_its_status_and_is_audited(
    store: Store, open_case: OpenCase
) -> None:
    case_id = held(store, open_case, make_review(reviewer_id="acct-held"))
    with transaction(store.engine) as conn:
        resolve(conn, case_id, ANALYST, Resolution(Action.HOLD_ACCOUNT, "fake_review"), NOW)
        status = conn.execute(
            select(accounts.c.status).where(accounts.c.account_id == "acct-held")
        ).scalar_one()
    assert status == "held"
    assert audit_actions(store, "account", "acct-held") == ["enforcement_changed"]


def test_an_analyst_cannot_complete_a_block_alone(store: Store, open_case: OpenCase) -> None:
    case_id = held(store, open_case, make_review(reviewer_id="acct-b"))
    with transaction(store.engine) as conn:
        case = resolve(
            conn,
            case_id,
            ANALYST,
            Resolution(Action.BLOCK_ACCOUNT, "ban_evasion", "same device"),
            NOW,
        )
        status = conn.execute(
            select(accounts.c.status).where(accounts.c.account_id == "acct-b")
        ).scalar_one()
    assert case.status is CaseStatus.AWAITING_APPROVAL and case.label is None
    assert case.proposed_by == "ana" and case.proposed_action is not None
    assert status == "active"
    with transaction(store.engine) as conn, pytest.raises(PermissionDeniedError):
        approve_proposal(conn, case_id, ANALYST_2, NOW)


def test_the_proposer_cannot_approve_their_own_proposal(store: Store, open_case: OpenCase) -> None:
    case_id = held(store, open_case, staff=LEAD)
    with transaction(store.engine) as conn:
        resolve(conn, case_id, LEAD, Resolution(Action.BLOCK_ACCOUNT, "ban_evasion"), NOW)
    with transaction(store.engine) as conn, pytest.raises(FourEyesError):
        approve_proposal(conn, case_id, LEAD, NOW)


def test_a_second_lead_approves_a_block(store: Store, open_case: OpenCase) -> None:
    case_id = held(store, open_case, make_review(reviewer_id="acct-bad"))
    with transaction(store.engine) as conn:
        resolve(conn, case_id, ANALYST, Resolution(Action.BLOCK_ACCOUNT, "ban_evasion"), NOW)
        case = approve_proposal(conn, case_id, LEAD, NOW + timedelta(hours=1), "agreed")
        status = conn.execute(
            select(accounts.c.status).where(accounts.c.account_id == "acct-bad")
        ).scalar_one()
    assert case.status is CaseStatus.RESOLVED and case.label == "confirmed"
    assert case.resolution is not None
    assert case.resolution["proposed_by"] == "ana" and case.resolution["approved_by"] == "lee"
    assert status == "blocked"
    assert audit_actions(store, "case", case_id)[-3:] == [
        "proposed",
        "note_added",
        "proposal_approved",
    ]


def test_a_rejected_proposal_goes_back_to_the_queue(store: Store, open_case: OpenCase) -> None:
    case_id = held(store, open_case)
    with transaction(store.engine) as conn:
        resolve(conn, case_id, ANALYST, Resolution(Action.BLOCK_ACCOUNT, "ban_evasion"), NOW)
        case = reject_proposal(conn, case_id, LEAD_2, NOW, "not enough evidence")
        notes = conn.execute(select(case_notes.c.body)).scalars().all()
    assert case.status is CaseStatus.OPEN and case.proposed_action is None
    assert notes == ["not enough evidence"]


def test_dispute_outcomes_only_end_dispute_cases(store: Store, open_case: OpenCase) -> None:
    # Money outcomes on dispute cases: tests/trust/disputes/test_settlement.py.
    case_id = held(store, open_case, make_complaint(contract_id=...))
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="dispute case"):
        resolve(conn, case_id, ANALYST, Resolution(Action.REFUND, "non_payment"), NOW)


def test_requesting_documents_pauses_the_sla(
    store: Store, open_case: OpenCase, settings: object
) -> None:
    from trust.cases import resume_from_user

    case_id = held(store, open_case, make_profile_verification())
    with transaction(store.engine) as conn:
        case = resolve(
            conn, case_id, ANALYST, Resolution(Action.REQUEST_DOCUMENTS, "needs_documents"), NOW
        )
        assert case.status is CaseStatus.WAITING_ON_USER and case.sla_paused_at == NOW
        back = resume_from_user(
            conn,
            case_id,
            ANALYST,
            settings,  # type: ignore[arg-type]
            NOW + timedelta(hours=30),
        )
    assert back.status is CaseStatus.OPEN
    assert case.sla_due_at is not None and back.sla_due_at is not None
    assert back.sla_due_at - case.sla_due_at >= timedelta(hours=30)


def test_acting_on_a_case_needs_a_live_claim(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn, pytest.raises(ClaimConflictError):
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), NOW)


def test_unknown_reason_codes_are_refused(store: Store, open_case: OpenCase) -> None:
    case_id = held(store, open_case)
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="reason code"):
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "because"), NOW)


def test_bulk_resolve_skips_cases_someone_else_holds(store: Store, open_case: OpenCase) -> None:
    free = [open_case(make_review(reviewer_id=f"acct-{i}")) for i in range(3)]
    taken = held(store, open_case, make_review(reviewer_id="acct-taken"), staff=ANALYST_2)
    resolution = Resolution(Action.DISMISS, "false_positive", "duplicate alerts")
    with transaction(store.engine) as conn:
        result = bulk_resolve(conn, [*free, taken], LEAD, resolution, NOW)
        states = {i: load_case(conn, i).status for i in [*free, taken]}
    assert result.resolved == sorted(free)
    assert result.skipped == {taken: "held by andy"}
    assert states[taken] is CaseStatus.IN_REVIEW
    assert all(states[i] is CaseStatus.RESOLVED for i in free)


def test_bulk_resolve_is_for_leads_and_refuses_severe_actions(
    store: Store, open_case: OpenCase
) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        with pytest.raises(PermissionDeniedError):
            bulk_resolve(conn, [case_id], ANALYST, Resolution(Action.DISMISS, "false_positive"))
        with pytest.raises(CaseError, match="bulk"):
            bulk_resolve(conn, [case_id], ADMIN, Resolution(Action.BLOCK_ACCOUNT, "ban_evasion"))


def test_bulk_resolve_refuses_more_cases_than_the_action_allows(
    store: Store, open_case: OpenCase
) -> None:
    from trust.cases.resolution import BULK_CAPS

    cap = BULK_CAPS[Action.HOLD_ACCOUNT]
    wanted = list(range(1, cap + 2))
    with transaction(store.engine) as conn, pytest.raises(CaseError, match=f"at most {cap}"):
        bulk_resolve(conn, wanted, LEAD, Resolution(Action.HOLD_ACCOUNT, "ban_evasion"), NOW)


def test_every_change_to_a_case_is_audited_with_before_and_after(
    store: Store, open_case: OpenCase
) -> None:
    case_id = held(store, open_case)
    with transaction(store.engine) as conn:
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive", "ok"), NOW)
        rows = conn.execute(
            select(audit_log).where(audit_log.c.target_type == "case").order_by(audit_log.c.id)
        ).all()
    assert [r.action for r in rows] == ["case_opened", "claimed", "note_added", "resolved"]
    resolved = rows[-1]
    assert resolved.actor == "ana"
    assert resolved.before["status"] == "in_review"
    assert resolved.after["status"] == "resolved" and resolved.after["label"] == "dismissed"
