"""Enforcement is state: automated blocks set it, cases set or lift it, leads act on links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import (
    make_complaint,
    make_review,
    profile_verification_payload,
    review_payload,
)
from tests.trust.cases.conftest import ANALYST, LEAD, LEAD_2, decision_for
from trust.cases import Action, Resolution, claim, resolve
from trust.composition import build_pipeline
from trust.enforcement import (
    Enforcement,
    EnforcementSource,
    EnforcementState,
    imposed,
    lifted,
)
from trust.enforcement_actions import act_on_linked, approve_linked, enforce_decisions
from trust.errors import FourEyesError, PermissionDeniedError
from trust.pipeline import Pipeline
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.enforcements import current_enforcement, enforcement_history_of
from trust.store.tables import accounts, audit_log

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday
LEASE = timedelta(minutes=15)
S, Src = EnforcementState, EnforcementSource


def tampered(account_id: str) -> dict[str, Any]:
    """A verification the pack blocks outright (forged document, failed selfie)."""
    return profile_verification_payload(
        account_id=account_id,
        document_check={
            "tamper_score": 0.93,
            "mrz_consistent": False,
            "selfie_match_score": 0.1,
            "liveness_passed": False,
        },
    )


@pytest.fixture
def pipeline(store: Store, settings: Settings) -> Pipeline:
    return build_pipeline(settings, store)


def status_of(store: Store, account_id: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(accounts.c.status).where(accounts.c.account_id == account_id)
            ).scalar_one()
        )


def test_stronger_wins_and_only_the_origin_or_an_appeal_lifts() -> None:
    hold = Enforcement("a", S.HOLD, Src.CASE, "7", "r", "ana", NOW)
    block = Enforcement("a", S.BLOCK, Src.DECISION, "ev-1", "r", "system", NOW)
    assert imposed(None, hold) is not None
    assert imposed(block, hold) is None
    assert imposed(hold, hold) is None
    taken_over = imposed(block, Enforcement("a", S.BLOCK, Src.CASE, "8", "r", "lee", NOW))
    assert taken_over is not None and taken_over.previous_state is taken_over.state is S.BLOCK
    raised = imposed(hold, block)
    assert raised is not None and raised.previous_state is S.HOLD and raised.state is S.BLOCK
    other_case = lifted(
        block,
        source=Src.CASE,
        source_id="9",
        reason="r",
        actor="ana",
        at=NOW,
        origins=[(Src.CASE, "9"), (Src.DECISION, "ev-2")],
    )
    assert other_case is None
    own = lifted(
        block,
        source=Src.CASE,
        source_id="9",
        reason="r",
        actor="ana",
        at=NOW,
        origins=[(Src.DECISION, "ev-1")],
    )
    assert own is not None and own.state is S.NONE
    appeal = lifted(block, source=Src.APPEAL, source_id="12", reason="r", actor="lou", at=NOW)
    assert appeal is not None and appeal.previous_state is S.BLOCK
    assert lifted(None, source=Src.APPEAL, source_id="12", reason="r", actor="lou", at=NOW) is None


def test_an_automated_block_restricts_the_account_as_its_statement_says(
    pipeline: Pipeline, store: Store
) -> None:
    result = pipeline.process([tampered("acct-forger")], NOW)
    decision = result.decisions[0]
    assert decision.outcome == "block"
    assert "the account is restricted" in decision.statement_of_reasons
    with store.engine.connect() as conn:
        enforcement = current_enforcement(conn, "acct-forger")
        history = enforcement_history_of(conn, "acct-forger")
        audited = (
            conn.execute(select(audit_log.c.action).where(audit_log.c.target_id == "acct-forger"))
            .scalars()
            .all()
        )
    assert enforcement is not None and enforcement.state is S.BLOCK
    assert (enforcement.source, enforcement.source_id) == (Src.DECISION, decision.event_id)
    assert [h.state for h in history] == [S.BLOCK]
    assert status_of(store, "acct-forger") == "blocked"
    assert "enforcement_changed" in audited


def test_a_blocked_review_restricts_the_review_not_the_account(store: Store) -> None:
    review = decision_for(make_review(reviewer_id="acct-rev"), outcome="block")
    complaint = decision_for(make_complaint(respondent_id="acct-resp"), outcome="block")
    with transaction(store.engine) as conn:
        assert enforce_decisions(conn, [review, complaint], NOW) == 1
        assert current_enforcement(conn, "acct-rev") is None
        held = current_enforcement(conn, "acct-resp")
    assert held is not None and held.state is S.HOLD


def test_dismissing_the_case_as_a_false_positive_lifts_the_automated_block(
    pipeline: Pipeline, store: Store
) -> None:
    result = pipeline.process([tampered("acct-wrongly")], NOW)
    case_id = result.case_ids[result.decisions[0].event_id]
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        resolve(conn, case_id, ANALYST, Resolution(Action.DISMISS, "false_positive"), NOW)
    with store.engine.connect() as conn:
        enforcement = current_enforcement(conn, "acct-wrongly")
        history = enforcement_history_of(conn, "acct-wrongly")
    assert enforcement is not None and enforcement.state is S.NONE
    assert (enforcement.source, enforcement.source_id) == (Src.CASE, str(case_id))
    assert [(h.previous_state, h.state) for h in history] == [(S.BLOCK, S.NONE), (S.NONE, S.BLOCK)]
    assert status_of(store, "acct-wrongly") == "active"


def test_a_hold_from_one_case_is_not_lifted_by_dismissing_another(
    pipeline: Pipeline, store: Store
) -> None:
    first = pipeline.process([tampered("acct-two-cases")], NOW)
    first_case = first.case_ids[first.decisions[0].event_id]
    with transaction(store.engine) as conn:
        claim(conn, first_case, ANALYST, NOW, LEASE)
        resolve(
            conn,
            first_case,
            ANALYST,
            Resolution(Action.REJECT_VERIFICATION, "document_tampered"),
            NOW,
        )
    later = NOW + timedelta(hours=1)
    second = pipeline.process([tampered("acct-two-cases")], later)
    second_case = second.case_ids[second.decisions[0].event_id]
    assert second_case != first_case
    with transaction(store.engine) as conn:
        claim(conn, second_case, ANALYST, later, LEASE)
        resolve(conn, second_case, ANALYST, Resolution(Action.DISMISS, "false_positive"), later)
        enforcement = current_enforcement(conn, "acct-two-cases")
    assert enforcement is not None and enforcement.state is S.BLOCK
    assert enforcement.source_id == first.decisions[0].event_id


def test_leads_hold_linked_accounts_at_once_and_block_them_with_a_second_lead(
    pipeline: Pipeline, store: Store
) -> None:
    pipeline.process(
        [review_payload(reviewer_id="acct-l1"), review_payload(reviewer_id="acct-l2")], NOW
    )
    with transaction(store.engine) as conn, pytest.raises(PermissionDeniedError):
        act_on_linked(conn, ANALYST, ["acct-l1"], S.HOLD, "ring", NOW)
    with transaction(store.engine) as conn:
        assert act_on_linked(conn, LEAD, ["acct-l1", "acct-l2"], S.HOLD, "one ring", NOW) == 2
        proposal = act_on_linked(conn, LEAD, ["acct-l1", "acct-l2"], S.BLOCK, "one ring", NOW)
    assert status_of(store, "acct-l1") == status_of(store, "acct-l2") == "held"
    with transaction(store.engine) as conn, pytest.raises(FourEyesError):
        approve_linked(conn, proposal, LEAD, NOW)
    with transaction(store.engine) as conn:
        assert approve_linked(conn, proposal, LEAD_2, NOW) == 2
        enforcement = current_enforcement(conn, "acct-l2")
    assert enforcement is not None and enforcement.state is S.BLOCK
    assert enforcement.source is Src.LINKED and "approved by lou" in enforcement.reason
    with store.engine.connect() as conn:
        audited = conn.execute(
            select(audit_log.c.action, audit_log.c.actor).where(
                audit_log.c.target_type == "enforcement_proposal"
            )
        ).all()
    assert [tuple(a) for a in audited] == [
        ("linked_block_proposed", "lee"),
        ("linked_block_approved", "lou"),
    ]


def test_a_first_enforcement_that_loses_a_race_lets_the_stronger_one_stand(store: Store) -> None:
    from trust.enforcement import EnforcementChange
    from trust.store.enforcements import apply_changes

    def first(account: str, state: EnforcementState, source_id: str) -> EnforcementChange:
        """A change computed when the account had no enforcement yet."""
        return EnforcementChange(
            account, state, S.NONE, Src.DECISION, source_id, "r", "system", NOW
        )

    with transaction(store.engine) as conn:
        apply_changes(conn, [first("acct-race", S.BLOCK, "ev-1")])
        # Computed before the block above committed: a hold, then a block, both "first".
        apply_changes(conn, [first("acct-race", S.HOLD, "ev-2")])
        apply_changes(conn, [first("acct-race-2", S.HOLD, "ev-3")])
        apply_changes(conn, [first("acct-race-2", S.BLOCK, "ev-4")])
        blocked = current_enforcement(conn, "acct-race")
        history = enforcement_history_of(conn, "acct-race")
        raised = enforcement_history_of(conn, "acct-race-2")
    assert blocked is not None and blocked.source_id == "ev-1" and len(history) == 1
    assert [(h.previous_state, h.state) for h in raised] == [(S.HOLD, S.BLOCK), (S.NONE, S.HOLD)]


def test_a_complaint_hold_ends_with_its_case_unless_the_case_holds_the_account(
    store: Store,
) -> None:
    from tests.trust.cases.conftest import store_decisions
    from trust.cases import open_or_join

    settings = Settings(environment="test", secret_key="k" * 40)
    outcomes = {}
    # A complaint case that ends without an account action (money outcomes end dispute
    # cases, whose subject is the respondent too) lifts the automated hold.
    for account, action in (("acct-c1", Action.APPROVE), ("acct-c2", Action.HOLD_ACCOUNT)):
        event = make_complaint(respondent_id=account)
        decision = decision_for(event, outcome="block", money="800")
        with transaction(store.engine) as conn:
            store_decisions(conn, [(event, decision)])
            case_id = open_or_join(conn, [decision], settings, NOW)[event.event_id]
            enforce_decisions(conn, [decision], NOW)
            claim(conn, case_id, LEAD, NOW, LEASE)
            if action == Action.APPROVE:
                resolve(conn, case_id, LEAD, Resolution(action, "legitimate_activity"), NOW)
            else:
                resolve(conn, case_id, LEAD, Resolution(action, "off_platform_payment"), NOW)
            outcomes[account] = current_enforcement(conn, account)
    assert outcomes["acct-c1"] is not None and outcomes["acct-c1"].state is S.NONE
    held = outcomes["acct-c2"]
    assert held is not None and held.state is S.HOLD and held.source is Src.CASE
