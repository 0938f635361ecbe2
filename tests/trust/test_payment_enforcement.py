"""Money waits on staff: a held withdrawal holds the account until its case is cleared, and
a chargeback suspends the client until it is repaid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import PAYLOAD_BUILDERS, takeover_batches
from tests.trust.cases.conftest import ANALYST
from trust.cases import Action, Resolution, claim, resolve
from trust.composition import build_pipeline
from trust.enforcement import EnforcementSource, EnforcementState
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.enforcements import current_enforcement
from trust.store.tables import cases, decisions

NOW = datetime(2026, 3, 21, 4, 0, tzinfo=UTC)
LEASE = timedelta(minutes=15)


@pytest.fixture
def pipeline(store: Store, settings: Settings) -> Pipeline:
    return build_pipeline(settings, store)


def _takeover(pipeline: Pipeline) -> tuple[str, int]:
    """Alice's account taken over: the withdrawal's event id and its case."""
    *before, (withdrawal,) = takeover_batches()
    for batch in before:
        pipeline.process(batch, NOW)
    result = pipeline.process([withdrawal], NOW)
    (decision,) = result.decisions
    assert decision.outcome == "block"
    assert "takeover_chain" in decision.reason_codes
    return str(withdrawal["event_id"]), result.case_ids[decision.event_id]


def test_a_refused_withdrawal_holds_the_account_until_a_reviewer_clears_it(
    pipeline: Pipeline, store: Store
) -> None:
    event_id, case_id = _takeover(pipeline)
    with store.engine.connect() as conn:
        hold = current_enforcement(conn, "acct-alice")
    assert hold is not None and hold.state is EnforcementState.HOLD
    assert (hold.source, hold.source_id) == (EnforcementSource.DECISION, event_id)
    # A second withdrawal while held is refused outright: a hold blocks withdrawals.
    again = pipeline.process(
        [PAYLOAD_BUILDERS["withdrawal_request"](occurred_at="2026-03-21T03:30:00Z")], NOW
    )
    assert "withdrawal_while_restricted" in again.decisions[0].reason_codes
    later = NOW + timedelta(hours=1)
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, later, LEASE)
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), later)
        released = current_enforcement(conn, "acct-alice")
    assert released is not None and released.state is EnforcementState.NONE


def test_the_flagged_steps_of_a_takeover_share_one_case(pipeline: Pipeline, store: Store) -> None:
    _, case_id = _takeover(pipeline)
    with store.engine.connect() as conn:
        steps = conn.execute(
            select(decisions.c.kind, decisions.c.case_id).where(
                decisions.c.subject_id == "acct-alice", decisions.c.outcome != "allow"
            )
        ).all()
        open_cases = conn.execute(
            select(func.count()).select_from(cases).where(cases.c.subject_id == "acct-alice")
        ).scalar_one()
    assert {kind for kind, _ in steps} == {
        "credential_change",
        "payout_method_change",
        "withdrawal_request",
    }
    assert {case for _, case in steps} == {case_id} and open_cases == 1


def test_a_chargeback_suspends_the_client_until_it_is_repaid(
    pipeline: Pipeline, store: Store
) -> None:
    chargeback = PAYLOAD_BUILDERS["client_payment"](outcome="chargeback")
    (decision,) = pipeline.process([chargeback], NOW).decisions
    assert decision.outcome == "block"
    assert "until the reversed payment is repaid" in decision.statement_of_reasons
    with store.engine.connect() as conn:
        held = current_enforcement(conn, "acct-bob")
    assert held is not None and held.state is EnforcementState.HOLD
    repayment = PAYLOAD_BUILDERS["client_payment"](
        occurred_at="2026-03-10T10:00:00Z",
        outcome="repayment",
        repays_event_id=chargeback["event_id"],
    )
    pipeline.process([repayment], NOW)
    with store.engine.connect() as conn:
        lifted = current_enforcement(conn, "acct-bob")
    assert lifted is not None and lifted.state is EnforcementState.NONE
    assert lifted.source_id == repayment["event_id"]


def test_a_repayment_of_another_chargeback_lifts_nothing(pipeline: Pipeline, store: Store) -> None:
    chargeback = PAYLOAD_BUILDERS["client_payment"](outcome="chargeback")
    pipeline.process([chargeback], NOW)
    other = PAYLOAD_BUILDERS["client_payment"](outcome="repayment", repays_event_id="pm-elsewhere")
    pipeline.process([other], NOW)
    with store.engine.connect() as conn:
        held = current_enforcement(conn, "acct-bob")
    assert held is not None and held.state is EnforcementState.HOLD
