"""Flagged decisions open a case or join the subject's open case, once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.factories import make_complaint, make_event, make_profile_verification, make_review
from tests.trust.cases.conftest import NOW, decision_for, store_decisions
from trust.cases import CaseStatus, load_case, open_or_join
from trust.cases.sla import due_at
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.tables import audit_log, case_evidence, cases, decisions


def count(store: Store, table: object, *where: object) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_a_burst_of_flagged_reviews_becomes_one_case(store: Store, settings: Settings) -> None:
    burst = [make_review(reviewer_id="acct-ring-1", reviewee_id=f"acct-t{i}") for i in range(50)]
    pairs = [
        (e, decision_for(e, risk=40 + i % 30, severity=2 + i % 3, money=str(10 + i)))
        for i, e in enumerate(burst)
    ]
    with transaction(store.engine) as conn:
        store_decisions(conn, pairs[:20])
        first = open_or_join(conn, [d for _, d in pairs[:20]], settings, NOW)
    with transaction(store.engine) as conn:
        store_decisions(conn, pairs[20:])
        second = open_or_join(conn, [d for _, d in pairs[20:]], settings, NOW + timedelta(hours=1))
    assert len(set(first.values()) | set(second.values())) == 1
    case_id = first[burst[0].event_id]
    with store.engine.connect() as conn:
        case = load_case(conn, case_id)
        linked = conn.execute(select(func.count()).where(decisions.c.case_id == case_id))
        assert linked.scalar_one() == 50
    assert case.evidence_count == 50
    assert case.risk_score == 69 and case.severity == 4
    assert case.money_at_stake == Decimal("59.00")
    assert case.reason_codes == ["SELF_DEALING"]
    assert case.status is CaseStatus.OPEN
    assert case.sla_due_at == due_at("review", NOW, settings)
    assert count(store, case_evidence) == 50
    assert all(d.case_id == case_id for _, d in pairs)


def test_re_delivering_the_same_decisions_changes_nothing(store: Store, settings: Settings) -> None:
    events = [make_review(reviewer_id="acct-x") for _ in range(3)]
    pairs = [(e, decision_for(e)) for e in events]
    with transaction(store.engine) as conn:
        store_decisions(conn, pairs)
        first = open_or_join(conn, [d for _, d in pairs], settings, NOW)
    with transaction(store.engine) as conn:
        again = open_or_join(conn, [d for _, d in pairs], settings, NOW)
    assert again == first
    assert count(store, cases) == 1
    assert count(store, case_evidence) == 3
    with store.engine.connect() as conn:
        assert load_case(conn, first[events[0].event_id]).evidence_count == 3


def test_allowed_decisions_open_no_case(store: Store, settings: Settings) -> None:
    event = make_review()
    decision = decision_for(event, outcome="allow")
    with transaction(store.engine) as conn:
        store_decisions(conn, [(event, decision)])
        assert open_or_join(conn, [decision], settings, NOW) == {}
    assert count(store, cases) == 0


def test_subjects_and_kinds_get_separate_cases(store: Store, settings: Settings) -> None:
    events = [
        make_review(reviewer_id="acct-a"),
        make_review(reviewer_id="acct-b"),
        make_profile_verification(account_id="acct-a"),
        make_complaint(respondent_id="acct-a", complainant_id="acct-c"),
    ]
    pairs = [(e, decision_for(e)) for e in events]
    with transaction(store.engine) as conn:
        store_decisions(conn, pairs)
        mapping = open_or_join(conn, [d for _, d in pairs], settings, NOW)
    assert len(set(mapping.values())) == 4


def test_a_resolved_case_is_not_joined(store: Store, settings: Settings) -> None:
    first, later = make_review(reviewer_id="acct-r"), make_review(reviewer_id="acct-r")
    with transaction(store.engine) as conn:
        store_decisions(conn, [(first, decision_for(first))])
        old = open_or_join(conn, [decision_for(first)], settings, NOW)[first.event_id]
        conn.execute(cases.update().where(cases.c.id == old).values(status="resolved"))
    with transaction(store.engine) as conn:
        d = decision_for(later)
        store_decisions(conn, [(later, d)])
        new = open_or_join(conn, [d], settings, NOW)[later.event_id]
    assert new != old


def test_new_evidence_brings_a_waiting_case_back_with_its_sla_resumed(
    store: Store, settings: Settings
) -> None:
    first, answer = (make_profile_verification(account_id="acct-w") for _ in range(2))
    with transaction(store.engine) as conn:
        d = decision_for(first)
        store_decisions(conn, [(first, d)])
        case_id = open_or_join(conn, [d], settings, NOW)[first.event_id]
        due = load_case(conn, case_id).sla_due_at
        conn.execute(
            cases.update()
            .where(cases.c.id == case_id)
            .values(status="waiting_on_user", sla_paused_at=NOW + timedelta(hours=2))
        )
    with transaction(store.engine) as conn:
        d = decision_for(answer)
        store_decisions(conn, [(answer, d)])
        open_or_join(conn, [d], settings, NOW + timedelta(hours=5))
        case = load_case(conn, case_id)
    assert case.status is CaseStatus.OPEN and case.sla_paused_at is None
    assert case.sla_due_at == (due or NOW) + timedelta(hours=3)


def test_opening_and_joining_are_audited(store: Store, settings: Settings) -> None:
    a, b = make_review(reviewer_id="acct-q"), make_review(reviewer_id="acct-q")
    for event in (a, b):
        with transaction(store.engine) as conn:
            d = decision_for(event)
            store_decisions(conn, [(event, d)])
            open_or_join(conn, [d], settings, NOW)
    with store.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.id)).scalars()
        assert list(actions) == ["case_opened", "evidence_added"]


def test_an_event_repeated_in_one_batch_counts_once(store: Store, settings: Settings) -> None:
    event = make_review(reviewer_id="acct-twice")
    decision = decision_for(event)
    with transaction(store.engine) as conn:
        store_decisions(conn, [(event, decision)])
        mapping = open_or_join(conn, [decision, decision_for(event)], settings, NOW)
        case = load_case(conn, mapping[event.event_id])
    assert case.evidence_count == 1


def test_the_steps_of_a_takeover_are_one_case_of_the_account(
    store: Store, settings: Settings
) -> None:
    steps = [
        make_event("sign_in"),
        make_event("credential_change", via="recovery"),
        make_event("payout_method_change"),
    ]
    withdrawal = make_event("withdrawal_request")
    other = make_event("sign_in", account_id="acct-bob")
    pairs = [(e, decision_for(e)) for e in [*steps, other]]
    with transaction(store.engine) as conn:
        store_decisions(conn, pairs)
        first = open_or_join(conn, [d for _, d in pairs], settings, NOW)
    later = NOW + timedelta(hours=1)
    with transaction(store.engine) as conn:
        store_decisions(conn, [(withdrawal, decision_for(withdrawal))])
        second = open_or_join(conn, [decision_for(withdrawal)], settings, later)
    [case_id] = {first[e.event_id] for e in steps} | set(second.values())
    assert first[other.event_id] != case_id
    with store.engine.connect() as conn:
        case = load_case(conn, case_id)
    # Opened by three steps at once: the most urgent of their kinds, the payout change;
    # the withdrawal an hour later brings the due time forward to its own.
    assert case.kind == "payout_method_change" and case.evidence_count == 4
    assert case.sla_due_at == due_at("withdrawal_request", later, settings)
    assert count(store, cases) == 2
