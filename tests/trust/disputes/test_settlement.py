"""From the parties' evidence to a four-eyes money outcome that names its contract."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import complaint_payload, dispute_payload
from tests.trust.cases.conftest import ANALYST, LEAD, LEAD_2
from tests.trust.disputes.conftest import FILED, audit_actions, dispute, send
from trust.cases import Action, CaseStatus, Resolution, approve_proposal, claim, load_case
from trust.cases import resolve as resolve_case
from trust.cases.filters import QueueFilter
from trust.cases.queries import queue_page
from trust.disputes.actions import propose_settlement
from trust.disputes.machine import Deadline, Stage
from trust.disputes.process import STAGE_SEVERITY
from trust.disputes.timers import apply_due_deadlines
from trust.errors import CaseError, DisputeError, FourEyesError
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.disputes import deadline_history
from trust.store.tables import cases


def _opened(pipeline: Pipeline) -> int:
    return next(iter(send(pipeline, complaint_payload()).case_ids.values()))


def _in_mediation(pipeline: Pipeline) -> int:
    case_id = _opened(pipeline)
    send(
        pipeline,
        dispute_payload("dispute_statement", occurred_at="2026-03-16T09:00:00Z"),
        now=FILED + timedelta(days=1),
    )
    return case_id


def test_both_parties_accept_a_split_and_a_second_person_approves_it(
    pipeline: Pipeline, store: Store
) -> None:
    case_id = _in_mediation(pipeline)
    at = FILED + timedelta(days=1, hours=2)
    with transaction(store.engine) as conn:
        proposal = propose_settlement(
            conn,
            case_id,
            LEAD,
            Decimal("500"),
            Decimal("300"),
            at,
            note="Half the work was delivered",
        )
    proposal_id = dispute(store, case_id).proposal_id
    assert proposal.step.state.stage is Stage.PROPOSAL and proposal_id == "1"
    send(
        pipeline,
        dispute_payload(
            "dispute_answer", proposal_id=proposal_id, occurred_at="2026-03-16T12:00:00Z"
        ),
        dispute_payload(
            "dispute_answer",
            proposal_id=proposal_id,
            party_id="acct-alice",
            side="freelancer",
            occurred_at="2026-03-16T13:00:00Z",
        ),
        now=FILED + timedelta(days=1, hours=6),
    )
    with transaction(store.engine) as conn:
        waiting = load_case(conn, case_id)
        assert waiting.status is CaseStatus.AWAITING_APPROVAL
        assert waiting.proposed_by == "lee"
        with pytest.raises(FourEyesError):
            approve_proposal(conn, case_id, LEAD, at)
        done = approve_proposal(conn, case_id, LEAD_2, FILED + timedelta(days=2))
    assert done.resolution is not None
    assert {
        k: done.resolution[k]
        for k in (
            "action",
            "contract_id",
            "milestone_id",
            "currency",
            "release_amount",
            "refund_amount",
        )
    } == {
        "action": "split",
        "contract_id": "ct-2",
        "milestone_id": "ms-1",
        "currency": "USD",
        "release_amount": "500.00",
        "refund_amount": "300.00",
    }
    row = dispute(store, case_id)
    assert row.stage is Stage.RESOLVED
    assert (row.released, row.refunded) == (Decimal("500.00"), Decimal("300.00"))
    assert row.released + row.refunded == row.amount_in_escrow
    assert "dispute_settled" in audit_actions(store, case_id)


def test_an_answer_to_an_old_proposal_is_refused(pipeline: Pipeline, store: Store) -> None:
    case_id = _in_mediation(pipeline)
    with transaction(store.engine) as conn:
        propose_settlement(
            conn, case_id, ANALYST, Decimal("800"), Decimal("0"), FILED + timedelta(days=1, hours=1)
        )
    send(
        pipeline,
        dispute_payload("dispute_answer", proposal_id="99", occurred_at="2026-03-16T12:00:00Z"),
        now=FILED + timedelta(days=1, hours=6),
    )
    assert dispute(store, case_id).stage is Stage.PROPOSAL
    assert audit_actions(store, case_id)[-1] == "dispute_event_refused"


def test_a_silent_client_defaults_once_to_a_system_proposal_a_lead_approves(
    pipeline: Pipeline, store: Store
) -> None:
    case_id = _opened(pipeline)
    due = dispute(store, case_id).deadline
    assert due is not None
    with transaction(store.engine) as conn:
        assert apply_due_deadlines(conn, due.due_at - timedelta(seconds=1)) == []
        first = apply_due_deadlines(conn, due.due_at)
        second = apply_due_deadlines(conn, due.due_at + timedelta(hours=1))
    assert [(a.case_id, a.deadline) for a in first] == [(case_id, "respond")] and second == []
    with transaction(store.engine) as conn:
        assert [d.status for d in deadline_history(conn, case_id)] == ["defaulted"]
        case = load_case(conn, case_id)
        assert case.status is CaseStatus.AWAITING_APPROVAL and case.proposed_by == "system"
        done = approve_proposal(conn, case_id, LEAD, due.due_at + timedelta(hours=2))
    assert done.resolution is not None and done.resolution["action"] == "release"
    assert done.label == "confirmed"
    assert dispute(store, case_id).released == Decimal("800.00")


def test_staff_decide_only_in_arbitration_and_a_refused_decision_returns_there(
    pipeline: Pipeline, store: Store
) -> None:
    case_id = _in_mediation(pipeline)
    split = Resolution(
        Action.SPLIT,
        "partial_delivery",
        release_amount=Decimal("400"),
        refund_amount=Decimal("400"),
    )
    at = FILED + timedelta(days=1, hours=1)
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, at)
        with pytest.raises(DisputeError, match="mediation"):
            resolve_case(conn, case_id, ANALYST, split, at)
    propose_due = dispute(store, case_id).deadline
    assert propose_due is not None
    with transaction(store.engine) as conn:
        apply_due_deadlines(conn, propose_due.due_at)
        assert load_case(conn, case_id).status is CaseStatus.ESCALATED
        claim(conn, case_id, LEAD, propose_due.due_at)
        proposed = resolve_case(conn, case_id, LEAD, split, propose_due.due_at)
        assert proposed.status is CaseStatus.AWAITING_APPROVAL
        from trust.cases import reject_proposal

        reject_proposal(conn, case_id, LEAD_2, propose_due.due_at)
    assert dispute(store, case_id).stage is Stage.ARBITRATION


def test_a_dispute_ends_only_in_a_money_outcome(pipeline: Pipeline, store: Store) -> None:
    case_id = _opened(pipeline)
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, FILED)
        with pytest.raises(CaseError, match="only in release, refund or split"):
            resolve_case(
                conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), FILED
            )
        kinds = set(conn.execute(select(cases.c.kind)).scalars())
    assert kinds == {"dispute"}


def _in_arbitration(pipeline: Pipeline, store: Store, complainant: str) -> tuple[int, datetime]:
    """A dispute nobody proposed a settlement on, claimed by a lead; and the time."""
    other = "freelancer" if complainant == "client" else "client"
    ids = {"client": "acct-bob", "freelancer": "acct-alice"}
    case_id = next(
        iter(
            send(
                pipeline,
                complaint_payload(
                    complainant_role=complainant,
                    respondent_role=other,
                    complainant_id=ids[complainant],
                    respondent_id=ids[other],
                ),
            ).case_ids.values()
        )
    )
    send(
        pipeline,
        dispute_payload(
            "dispute_statement", party_id=ids[other], side=other, occurred_at="2026-03-16T09:00:00Z"
        ),
        now=FILED + timedelta(days=1),
    )
    due = dispute(store, case_id).deadline
    assert due is not None
    with transaction(store.engine) as conn:
        apply_due_deadlines(conn, due.due_at)
        claim(conn, case_id, LEAD, due.due_at)
    return case_id, due.due_at


@pytest.mark.parametrize(
    ("complainant", "action", "label"),
    [
        ("freelancer", Action.RELEASE, "confirmed"),
        ("freelancer", Action.REFUND, "dismissed"),
        ("client", Action.REFUND, "confirmed"),
        ("client", Action.RELEASE, "dismissed"),
    ],
)
def test_dispute_outcomes_need_approval_and_label_by_who_complained(
    pipeline: Pipeline, store: Store, complainant: str, action: Action, label: str
) -> None:
    case_id, at = _in_arbitration(pipeline, store, complainant)
    with transaction(store.engine) as conn:
        proposed = resolve_case(conn, case_id, LEAD, Resolution(action, "non_payment"), at)
        assert proposed.status is CaseStatus.AWAITING_APPROVAL
        case = approve_proposal(conn, case_id, LEAD_2, at)
    assert case.label == label
    assert case.resolution is not None
    paid = case.resolution["release_amount" if action == Action.RELEASE else "refund_amount"]
    assert Decimal(paid) == Decimal("800.00")


def test_a_split_must_add_up_to_the_escrow(pipeline: Pipeline, store: Store) -> None:
    case_id, at = _in_arbitration(pipeline, store, "freelancer")
    wrong = Resolution(
        Action.SPLIT,
        "partial_delivery",
        release_amount=Decimal("500"),
        refund_amount=Decimal("200"),
    )
    right = Resolution(
        Action.SPLIT,
        "partial_delivery",
        release_amount=Decimal("500"),
        refund_amount=Decimal("300"),
    )
    with transaction(store.engine) as conn:
        with pytest.raises(CaseError, match="must equal"):
            resolve_case(conn, case_id, LEAD, wrong, at)
        resolve_case(conn, case_id, LEAD, right, at)
        case = approve_proposal(conn, case_id, LEAD_2, at)
    assert case.resolution is not None and case.resolution["refund_amount"] == "300.00"


def test_one_sides_offer_accepted_by_the_other_goes_to_four_eyes(
    pipeline: Pipeline, store: Store
) -> None:
    case_id = _in_mediation(pipeline)
    send(
        pipeline,
        dispute_payload(
            "dispute_offer",
            party_id="acct-alice",
            side="freelancer",
            released_amount="600",
            refunded_amount="200",
            occurred_at="2026-03-16T11:00:00Z",
        ),
        dispute_payload(
            "dispute_answer", answer="reject", proposal_id="1", occurred_at="2026-03-16T12:00:00Z"
        ),
        dispute_payload(
            "dispute_offer",
            released_amount="500",
            refunded_amount="300",
            occurred_at="2026-03-16T13:00:00Z",
        ),
        dispute_payload(
            "dispute_answer",
            party_id="acct-alice",
            side="freelancer",
            proposal_id="2",
            occurred_at="2026-03-16T14:00:00Z",
        ),
        now=FILED + timedelta(days=1, hours=8),
    )
    with transaction(store.engine) as conn:
        case = load_case(conn, case_id)
        [*_, last] = deadline_history(conn, case_id)
    assert case.status is CaseStatus.AWAITING_APPROVAL and case.proposed_by == "acct-bob"
    assert case.proposed_action is not None
    assert (case.proposed_action["release_amount"], case.proposed_action["refund_amount"]) == (
        "500.00",
        "300.00",
    )
    assert (last.name, last.status) == ("accept", "met")


def _hourly(**overrides: object) -> dict[str, object]:
    # The client disputes 6 hours billed in the week that ended Sunday 8 March 2026.
    return complaint_payload(
        **{
            "complainant_id": "acct-bob",
            "respondent_id": "acct-alice",
            "complainant_role": "client",
            "respondent_role": "freelancer",
            "category": "scope",
            "contract_type": "hourly",
            "contract_ended_at": "2026-03-08T23:00:00Z",
            "disputed_hours": "6.00",
            "amount_in_dispute": {"amount": "270.00", "currency": "EUR"},
            "occurred_at": "2026-03-10T09:00:00Z",
            **overrides,
        }
    )


def test_an_hourly_dispute_goes_to_a_work_log_review_then_a_four_eyes_refund(
    pipeline: Pipeline, store: Store
) -> None:
    filed = datetime.fromisoformat("2026-03-10T09:00:00+00:00")
    case_id = next(iter(send(pipeline, _hourly(), now=filed).case_ids.values()))
    assert dispute(store, case_id).deadline == Deadline("respond", filed + timedelta(days=3))
    send(
        pipeline,
        dispute_payload(
            "dispute_statement",
            party_id="acct-alice",
            side="freelancer",
            occurred_at="2026-03-11T09:00:00Z",
        ),
        now=filed,
    )
    row = dispute(store, case_id)
    assert row.stage is Stage.WORK_LOG_REVIEW
    assert row.deadline == Deadline("review", filed + timedelta(days=2))
    at = filed + timedelta(days=1, hours=2)
    with transaction(store.engine) as conn:
        claim(conn, case_id, LEAD, at)
        resolve_case(conn, case_id, LEAD, Resolution(Action.REFUND, "work_not_delivered"), at)
        done = approve_proposal(conn, case_id, LEAD_2, at)
    assert done.resolution is not None
    assert (done.resolution["refund_amount"], done.resolution["currency"]) == ("270.00", "EUR")
    assert done.label == "confirmed"


def test_an_hourly_dispute_filed_on_a_utc_saturday_stays_a_complaint(
    pipeline: Pipeline, store: Store
) -> None:
    # Friday 20:00 in New York is Saturday 01:00 UTC: outside the Monday-Friday UTC window.
    send(pipeline, _hourly(occurred_at="2026-03-13T20:00:00-05:00"))
    with store.engine.connect() as conn:
        assert set(conn.execute(select(cases.c.kind)).scalars()) <= {"complaint"}


def test_bulk_resolution_skips_disputes_and_says_why(pipeline: Pipeline, store: Store) -> None:
    from trust.cases import bulk_resolve

    case_id = _opened(pipeline)
    with transaction(store.engine) as conn:
        done = bulk_resolve(
            conn, [case_id], LEAD, Resolution(Action.DISMISS, "false_positive"), FILED
        )
    assert done.resolved == [] and "money outcome" in done.skipped[case_id]


def test_a_dispute_case_carries_its_stage_and_missed_deadlines_as_reasons(
    pipeline: Pipeline, store: Store, settings: Settings
) -> None:
    case_id = _opened(pipeline)
    with store.engine.connect() as conn:
        opened = load_case(conn, case_id)
    assert opened.reason_codes[0] == "dispute_awaiting_response" and opened.severity >= 2
    due = dispute(store, case_id).deadline
    assert due is not None
    with transaction(store.engine) as conn:
        apply_due_deadlines(conn, due.due_at)
        late = load_case(conn, case_id)
        filtered = queue_page(
            conn,
            QueueFilter(statuses=("awaiting_approval",), reason_code="respond_deadline_missed"),
            due.due_at,
            settings,
        )
    assert late.reason_codes[:2] == ["dispute_settling", "respond_deadline_missed"]
    assert "dispute_awaiting_response" not in late.reason_codes
    assert late.severity == STAGE_SEVERITY[Stage.SETTLING] + 1 > opened.severity
    assert late.sla_due_at is not None and late.sla_due_at > due.due_at, "staff get new time"
    assert [i.case.id for i in filtered.items] == [case_id]
