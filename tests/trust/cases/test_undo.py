"""Undoing a bulk resolution: cases back as they were, enforcement reversed, audited, bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_review
from tests.trust.cases.conftest import ANALYST, LEAD, LEAD_2, NOW, OpenCase
from tests.trust.test_enforcement import tampered
from trust.cases import Action, CaseStatus, Resolution, bulk_resolve, claim, load_case
from trust.cases.undo import undo_bulk, undoable_batches
from trust.composition import build_pipeline
from trust.enforcement import EnforcementSource, EnforcementState
from trust.enforcement_actions import act_on_linked, approve_linked
from trust.errors import CaseError, PermissionDeniedError
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store import webhooks as outbox
from trust.store.enforcements import current_enforcement, enforcement_history_of
from trust.store.qa import insert_selection, record_review
from trust.store.tables import audit_log, qa_reviews, webhook_deliveries
from trust.webhooks import CASE_REOPENED, CASE_RESOLVED

WINDOW = timedelta(minutes=15)
LEASE = timedelta(minutes=15)


def test_undo_reopens_each_case_as_it_was_and_clears_the_label(
    store: Store, open_case: OpenCase
) -> None:
    free = open_case(make_review(reviewer_id="acct-free"))
    mine = open_case(make_review(reviewer_id="acct-mine"))
    with transaction(store.engine) as conn:
        claim(conn, mine, LEAD, NOW, LEASE)
        done = bulk_resolve(
            conn, [free, mine], LEAD, Resolution(Action.DISMISS, "false_positive"), NOW
        )
    assert done.batch and done.resolved == sorted([free, mine])
    later = NOW + timedelta(minutes=5)
    with transaction(store.engine) as conn:
        [batch] = undoable_batches(conn, later, WINDOW, resolved_by="lee")
        assert batch.batch == done.batch and batch.action == "dismiss"
        assert batch.case_ids == tuple(sorted([free, mine]))
        undone = undo_bulk(conn, done.batch, LEAD_2, WINDOW, later)
        cases = {i: load_case(conn, i) for i in (free, mine)}
        audits = conn.execute(
            select(audit_log.c.actor, audit_log.c.after).where(
                audit_log.c.action == "resolution_undone"
            )
        ).all()
    assert undone.resolved == sorted([free, mine]) and not undone.skipped
    assert cases[free].status is CaseStatus.OPEN and cases[free].claimed_by is None
    assert cases[mine].status is CaseStatus.IN_REVIEW and cases[mine].claimed_by == "lee"
    assert all(
        c.label is None and c.resolution is None and c.resolved_at is None for c in cases.values()
    )
    assert [a.actor for a in audits] == ["lou", "lou"]
    assert {a.after["undone"]["action"] for a in audits} == {"dismiss"}
    assert {a.after["batch"] for a in audits} == {done.batch}


def test_undoing_a_bulk_hold_lifts_the_hold_it_imposed(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review(reviewer_id="acct-held"))
    with transaction(store.engine) as conn:
        done = bulk_resolve(
            conn, [case_id], LEAD, Resolution(Action.HOLD_ACCOUNT, "fake_review"), NOW
        )
        assert current_enforcement(conn, "acct-held").state is EnforcementState.HOLD  # type: ignore[union-attr]
        undo_bulk(conn, done.batch, LEAD, WINDOW, NOW + timedelta(minutes=1))
        after = current_enforcement(conn, "acct-held")
        history = enforcement_history_of(conn, "acct-held")
    assert after is not None and after.state is EnforcementState.NONE
    assert [(h.previous_state, h.state) for h in history] == [
        (EnforcementState.HOLD, EnforcementState.NONE),
        (EnforcementState.NONE, EnforcementState.HOLD),
    ]
    assert "undone by lee" in history[0].reason


def test_undoing_a_dismissal_puts_back_the_automated_block_with_its_source(
    store: Store, settings: Settings
) -> None:
    pipeline = build_pipeline(settings, store)
    result = pipeline.process([tampered("acct-forger")], NOW)
    event_id = result.decisions[0].event_id
    case_id = result.case_ids[event_id]
    with transaction(store.engine) as conn:
        done = bulk_resolve(
            conn, [case_id], LEAD, Resolution(Action.DISMISS, "false_positive"), NOW
        )
        lifted = current_enforcement(conn, "acct-forger")
        undo_bulk(conn, done.batch, LEAD, WINDOW, NOW + timedelta(minutes=2))
        restored = current_enforcement(conn, "acct-forger")
    assert lifted is not None and lifted.state is EnforcementState.NONE
    assert restored is not None and restored.state is EnforcementState.BLOCK
    assert (restored.source, restored.source_id) == (EnforcementSource.DECISION, event_id)


def test_undo_is_refused_after_the_window_and_skips_what_changed_since(
    store: Store, open_case: OpenCase
) -> None:
    cases = [open_case(make_review(reviewer_id=f"acct-{i}")) for i in range(3)]
    with transaction(store.engine) as conn:
        done = bulk_resolve(conn, cases, LEAD, Resolution(Action.HOLD_ACCOUNT, "fake_review"), NOW)
        # QA reviewed the first; the second's account was blocked by someone else meanwhile.
        insert_selection(
            conn,
            case_id=cases[0],
            because="sampled",
            action="hold_account",
            reason="fake_review",
            reviewers=["lee"],
            at=NOW,
        )
        review_id = conn.execute(select(qa_reviews.c.id)).scalar_one()
        record_review(
            conn,
            review_id,
            reviewer="lou",
            action="hold_account",
            reason="fake_review",
            status="agreed",
            at=NOW,
        )
    later = NOW + timedelta(minutes=20)
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="still undoable"):
        undo_bulk(conn, done.batch, LEAD, WINDOW, later)
    with transaction(store.engine) as conn:
        proposal = act_on_linked(conn, LEAD_2, ["acct-1"], EnforcementState.BLOCK, "ring", NOW)
        approve_linked(conn, proposal, LEAD, NOW + timedelta(minutes=1))
        undone = undo_bulk(conn, done.batch, LEAD, WINDOW, NOW + timedelta(minutes=3))
        states = [load_case(conn, i).status for i in cases]
        blocked = current_enforcement(conn, "acct-1")
    assert undone.resolved == [cases[2]]
    assert "QA already reviewed" in undone.skipped[cases[0]]
    assert "enforcement on acct-1 changed since" in undone.skipped[cases[1]]
    assert states == [CaseStatus.RESOLVED, CaseStatus.RESOLVED, CaseStatus.OPEN]
    assert blocked is not None and blocked.state is EnforcementState.BLOCK


def test_undo_needs_bulk_permission_and_a_window(store: Store, open_case: OpenCase) -> None:
    case_id = open_case(make_review())
    with transaction(store.engine) as conn:
        done = bulk_resolve(
            conn, [case_id], LEAD, Resolution(Action.DISMISS, "false_positive"), NOW
        )
        with pytest.raises(PermissionDeniedError):
            undo_bulk(conn, done.batch, ANALYST, WINDOW, NOW)
        with pytest.raises(CaseError, match="0 minutes"):
            undo_bulk(conn, done.batch, LEAD, timedelta(0), NOW)
        with pytest.raises(CaseError, match="batch"):
            undo_bulk(conn, " ", LEAD, WINDOW, NOW)


def test_undo_reports_the_reopened_case_and_a_second_resolution_is_reported_again(
    store: Store, open_case: OpenCase
) -> None:
    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "https://shop.example/h", [CASE_RESOLVED, CASE_REOPENED])
    case_id = open_case(make_review())
    resolution = Resolution(Action.DISMISS, "false_positive")
    with transaction(store.engine) as conn:
        done = bulk_resolve(conn, [case_id], LEAD, resolution, NOW)
        undo_bulk(conn, done.batch, LEAD, WINDOW, NOW + timedelta(minutes=1))
        bulk_resolve(conn, [case_id], LEAD, resolution, NOW + timedelta(minutes=2))
        types = (
            conn.execute(select(webhook_deliveries.c.event_type).order_by(webhook_deliveries.c.id))
            .scalars()
            .all()
        )
    assert types == [CASE_RESOLVED, CASE_REOPENED, CASE_RESOLVED]
