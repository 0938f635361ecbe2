"""Appeals (DSA Art. 20): intake to their own queue, review by someone else, overturn lifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import appeal_payload
from tests.trust.cases.conftest import ANALYST, ANALYST_2, LEAD
from tests.trust.test_enforcement import tampered
from trust.appeals import AppealOutcome, appeal_deadline, decide_appeal
from trust.cases import Action, Resolution, claim, load_case, resolve
from trust.composition import build_pipeline
from trust.enforcement import EnforcementSource, EnforcementState
from trust.errors import CaseError, FourEyesError
from trust.pipeline import Pipeline, decide_one
from trust.settings import Settings
from trust.store import Store, transaction
from trust.store.appeals import appeals_of_case, overturned_decision_ids
from trust.store.enforcements import current_enforcement
from trust.store.tables import appeals, quarantine

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday
LEASE = timedelta(minutes=15)


@pytest.fixture
def pipeline(store: Store, settings: Settings) -> Pipeline:
    return build_pipeline(settings, store)


def blocked_by_case(pipeline: Pipeline, account_id: str) -> tuple[str, int]:
    """An account blocked automatically, the block confirmed by ANALYST (case resolved)."""
    result = pipeline.process([tampered(account_id)], NOW)
    decision = result.decisions[0]
    case_id = result.case_ids[decision.event_id]
    with transaction(pipeline.store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, LEASE)
        resolve(
            conn, case_id, ANALYST, Resolution(Action.REJECT_VERIFICATION, "document_tampered"), NOW
        )
    return decision.event_id, case_id


def refusal(store: Store, event_id: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(quarantine.c.reason).where(quarantine.c.event_id == event_id)
            ).scalar_one()
        )


def test_an_appeal_opens_a_case_in_its_own_queue_due_in_two_business_days(
    pipeline: Pipeline, store: Store
) -> None:
    decision_id, original = blocked_by_case(pipeline, "acct-appellant")
    appeal = appeal_payload(account_id="acct-appellant", occurred_at="2026-03-20T13:00:00Z")

    result = pipeline.process([appeal], NOW + timedelta(hours=1))

    case_id = result.appeal_cases[appeal["event_id"]]
    assert result.decisions == []
    with store.engine.connect() as conn:
        case = load_case(conn, case_id)
        [record] = appeals_of_case(conn, case_id)
    assert (case.kind, case.subject_id) == ("appeal", "acct-appellant")
    # Friday 13:00 plus two business days is Tuesday 13:00.
    assert case.sla_due_at == datetime(2026, 3, 24, 13, 0, tzinfo=UTC)
    assert record.decision_event_id == decision_id and record.original_case_id == original
    assert record.original_deciders == ["ana"] and record.has_new_information
    assert record.appealed_state == "block"


def test_an_appeal_with_nothing_to_appeal_or_too_late_is_quarantined_with_the_field(
    pipeline: Pipeline, store: Store
) -> None:
    decision_id, _ = blocked_by_case(pipeline, "acct-late")
    nothing = appeal_payload(account_id="acct-clean")
    late = appeal_payload(
        account_id="acct-late", decision_event_id=decision_id, occurred_at="2026-09-21T12:00:00Z"
    )
    stranger = appeal_payload(account_id="acct-clean", decision_event_id=decision_id)

    result = pipeline.process([nothing, late, stranger], NOW)

    assert (result.stored, result.quarantined, result.appeal_cases) == (0, 3, {})
    assert refusal(store, nothing["event_id"]).startswith("decision_event_id: required")
    assert refusal(store, late["event_id"]) == (
        "occurred_at: the 6-month appeal window for the restriction of 2026-03-20 ended on "
        "2026-09-20"
    )
    assert "about another account" in refusal(store, stranger["event_id"])


def test_a_redelivered_appeal_opens_nothing_twice(pipeline: Pipeline, store: Store) -> None:
    blocked_by_case(pipeline, "acct-twice")
    appeal = appeal_payload(account_id="acct-twice")
    first = pipeline.process([appeal], NOW)
    again = pipeline.process([appeal], NOW)
    assert len(first.appeal_cases) == 1
    assert (again.stored, again.duplicates, again.appeal_cases) == (0, 1, {})
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(appeals)).scalar_one() == 1


def test_decide_answers_an_appeal_with_its_case(pipeline: Pipeline) -> None:
    blocked_by_case(pipeline, "acct-sync")
    answer = decide_one(pipeline, appeal_payload(account_id="acct-sync"), NOW)
    assert answer.status == "appeal_received" and (answer.reason or "").startswith("appeal case")
    refused = decide_one(pipeline, appeal_payload(account_id="acct-nobody"), NOW)
    assert refused.status == "quarantined"
    assert (refused.reason or "").startswith("decision_event_id: required")


def test_whoever_decided_the_original_cannot_review_the_appeal(
    pipeline: Pipeline, store: Store
) -> None:
    blocked_by_case(pipeline, "acct-own")
    case_id = pipeline.process([appeal_payload(account_id="acct-own")], NOW).appeal_cases
    [appeal_case] = case_id.values()
    with transaction(store.engine) as conn:
        claim(conn, appeal_case, ANALYST, NOW, LEASE)
    with transaction(store.engine) as conn, pytest.raises(FourEyesError):
        decide_appeal(conn, appeal_case, ANALYST, AppealOutcome.OVERTURNED, "proven_error", now=NOW)


def test_an_overturned_appeal_lifts_the_block_marks_the_decision_and_says_so(
    pipeline: Pipeline, store: Store
) -> None:
    decision_id, _ = blocked_by_case(pipeline, "acct-innocent")
    [appeal_case] = pipeline.process(
        [appeal_payload(account_id="acct-innocent")], NOW
    ).appeal_cases.values()
    later = NOW + timedelta(hours=3)
    with transaction(store.engine) as conn:
        claim(conn, appeal_case, ANALYST_2, later, LEASE)
        done = decide_appeal(
            conn,
            appeal_case,
            ANALYST_2,
            AppealOutcome.OVERTURNED,
            "new_information",
            "The renewed passport checks out.",
            later,
        )
        enforcement = current_enforcement(conn, "acct-innocent")
        [record] = appeals_of_case(conn, appeal_case)
        assert decision_id in overturned_decision_ids(conn)
    assert done.case.label == "overturned" and done.enforcement_after is EnforcementState.NONE
    assert enforcement is not None and enforcement.state is EnforcementState.NONE
    assert (enforcement.source, enforcement.source_id) == (
        EnforcementSource.APPEAL,
        str(appeal_case),
    )
    assert record.outcome == "overturned" and record.decided_by == "andy"
    assert record.statement_of_reasons == done.statement_of_reasons
    assert "overturned" in done.statement_of_reasons
    assert "Your account now: no restriction." in done.statement_of_reasons


def test_without_new_information_an_appeal_is_overturned_only_for_policy_or_error(
    pipeline: Pipeline, store: Store
) -> None:
    blocked_by_case(pipeline, "acct-bare")
    [appeal_case] = pipeline.process(
        [appeal_payload(account_id="acct-bare", new_information="", evidence_refs=[])], NOW
    ).appeal_cases.values()
    with transaction(store.engine) as conn:
        claim(conn, appeal_case, LEAD, NOW, LEASE)
    with transaction(store.engine) as conn, pytest.raises(CaseError, match="no new information"):
        decide_appeal(conn, appeal_case, LEAD, AppealOutcome.OVERTURNED, "new_information", now=NOW)
    with transaction(store.engine) as conn:
        done = decide_appeal(
            conn, appeal_case, LEAD, AppealOutcome.UPHELD, "no_new_information", now=NOW
        )
        enforcement = current_enforcement(conn, "acct-bare")
    assert done.case.label == "upheld"
    assert "Your account remains: blocked permanently." in done.statement_of_reasons
    assert enforcement is not None and enforcement.state is EnforcementState.BLOCK


def test_the_appeal_window_is_six_calendar_months() -> None:
    assert appeal_deadline(datetime(2026, 8, 31, 9, 0, tzinfo=UTC)) == datetime(
        2027, 2, 28, 9, 0, tzinfo=UTC
    )


def test_overturn_rates_per_rule_and_per_original_reviewer(
    pipeline: Pipeline, store: Store
) -> None:
    from trust.appeal_reports import overturn_rate_per_reviewer, overturn_rate_per_rule

    for account, outcome, ground in (
        ("acct-r1", AppealOutcome.OVERTURNED, "proven_error"),
        ("acct-r2", AppealOutcome.UPHELD, "decision_stands"),
    ):
        blocked_by_case(pipeline, account)
        [case_id] = pipeline.process(
            [appeal_payload(account_id=account)], NOW
        ).appeal_cases.values()
        with transaction(store.engine) as conn:
            claim(conn, case_id, LEAD, NOW, LEASE)
            decide_appeal(conn, case_id, LEAD, outcome, ground, now=NOW)
    with store.engine.connect() as conn:
        rules = {r["rule_id"]: r for r in overturn_rate_per_rule(conn)}
        reviewers = overturn_rate_per_reviewer(conn)
    assert reviewers == [{"reviewer": "ana", "appeals": 2, "overturned": 1, "overturn_rate": 0.5}]
    assert rules["pv_document_tampered_v1"] == {
        "rule_id": "pv_document_tampered_v1",
        "appeals": 2,
        "overturned": 1,
        "overturn_rate": 0.5,
    }


def test_an_appeal_in_the_same_batch_as_the_decision_it_appeals_is_accepted(
    pipeline: Pipeline,
) -> None:
    blocked = tampered("acct-same-batch")
    appeal = appeal_payload(account_id="acct-same-batch", decision_event_id=blocked["event_id"])

    result = pipeline.process([blocked, appeal], NOW)

    assert [d.event_id for d in result.decisions] == [blocked["event_id"]]
    assert set(result.appeal_cases) == {appeal["event_id"]}
    assert (result.stored, result.quarantined) == (2, 0)


def test_an_appeal_decision_reaches_the_webhook_outbox_with_the_enforcement_after_it(
    pipeline: Pipeline, store: Store
) -> None:
    from trust.store import webhooks as outbox
    from trust.webhooks import APPEAL_DECIDED

    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "https://shop.example/h", [APPEAL_DECIDED])
    blocked_by_case(pipeline, "acct-appealing")
    [appeal_case] = pipeline.process(
        [appeal_payload(account_id="acct-appealing")], NOW
    ).appeal_cases.values()
    later = NOW + timedelta(hours=3)
    with transaction(store.engine) as conn:
        claim(conn, appeal_case, ANALYST_2, later, LEASE)
        decide_appeal(
            conn, appeal_case, ANALYST_2, AppealOutcome.OVERTURNED, "proven_error", "", later
        )
        [sent] = outbox.deliveries(conn)
    assert sent.event_type == APPEAL_DECIDED
    assert sent.payload["data"]["case_id"] == appeal_case
    assert sent.payload["data"]["outcome"] == "overturned"
    assert sent.payload["data"]["enforcement"] == "none"
