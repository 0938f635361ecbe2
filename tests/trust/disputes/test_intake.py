"""Payment complaints become one dispute per contract; the parties' events step it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.factories import complaint_payload, dispute_payload, make_complaint
from tests.trust.disputes.conftest import FILED, audit_actions, dispute, send
from trust.disputes.machine import Stage
from trust.pipeline import Pipeline
from trust.store import Store
from trust.store.tables import cases, quarantine


def _case_ids(store: Store, kind: str) -> list[int]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                select(cases.c.id).where(cases.c.kind == kind).order_by(cases.c.id)
            ).scalars()
        )


def test_complaints_against_one_respondent_open_one_dispute_per_contract(
    pipeline: Pipeline, store: Store
) -> None:
    send(
        pipeline,
        complaint_payload(
            complainant_id="acct-f1",
            contract_id="ct-a",
            milestone_id=None,
            amount_in_dispute={"amount": "161.58", "currency": "USD"},
        ),
        complaint_payload(
            complainant_id="acct-f2",
            contract_id="ct-b",
            milestone_id="m-1",
            amount_in_dispute={"amount": "482.23", "currency": "CAD"},
        ),
        complaint_payload(
            complainant_id="acct-f3",
            contract_id="ct-c",
            milestone_id="m-9",
            amount_in_dispute={"amount": "2808.35", "currency": "EUR"},
        ),
    )
    ids = _case_ids(store, "dispute")
    assert len(ids) == 3
    found = {
        (d.contract_id, d.milestone_id, d.currency, d.amount_in_escrow)
        for d in (dispute(store, i) for i in ids)
    }
    assert found == {
        ("ct-a", None, "USD", Decimal("161.58")),
        ("ct-b", "m-1", "CAD", Decimal("482.23")),
        ("ct-c", "m-9", "EUR", Decimal("2808.35")),
    }
    with store.engine.connect() as conn:
        money = set(
            conn.execute(
                select(cases.c.money_at_stake, cases.c.currency).where(cases.c.kind == "dispute")
            ).all()
        )
    assert money == {
        (Decimal("161.58"), "USD"),
        (Decimal("482.23"), "CAD"),
        (Decimal("2808.35"), "EUR"),
    }


def test_a_second_complaint_on_the_same_money_joins_and_its_amount_change_is_audited(
    pipeline: Pipeline, store: Store
) -> None:
    send(pipeline, complaint_payload(amount_in_dispute={"amount": "161.58", "currency": "USD"}))
    send(pipeline, complaint_payload(amount_in_dispute={"amount": "200.00", "currency": "USD"}))
    send(pipeline, complaint_payload(amount_in_dispute={"amount": "999.00", "currency": "GBP"}))
    [case_id] = _case_ids(store, "dispute")
    assert dispute(store, case_id).amount_in_escrow == Decimal("200.00")
    assert dispute(store, case_id).currency == "USD"
    actions = audit_actions(store, case_id)
    assert actions.count("amount_at_stake_changed") == 1
    assert actions.count("amount_change_refused") == 1


def test_unfunded_late_and_non_money_complaints_open_no_dispute(
    pipeline: Pipeline, store: Store
) -> None:
    send(
        pipeline,
        complaint_payload(escrow_state="unfunded", contract_id="ct-u"),
        complaint_payload(
            contract_id="ct-late",
            occurred_at="2026-03-20T00:00:00Z",
            contract_ended_at="2026-03-10T00:00:00Z",
        ),
        complaint_payload(
            category="harassment",
            contract_id=...,
            milestone_id=...,
            amount_in_dispute=...,
            escrow_state=...,
        ),
    )
    assert _case_ids(store, "dispute") == []


def test_the_clients_answer_starts_mediation_and_events_join_the_timeline(
    pipeline: Pipeline, store: Store
) -> None:
    first = send(pipeline, complaint_payload())
    case_id = next(iter(first.case_ids.values()))
    answer = dispute_payload("dispute_statement", occurred_at="2026-03-16T09:00:00Z")
    evidence = dispute_payload(
        "dispute_evidence",
        party_id="acct-alice",
        side="freelancer",
        occurred_at="2026-03-16T10:00:00Z",
    )
    result = send(pipeline, answer, evidence, now=FILED + timedelta(days=1, hours=3))
    assert result.stored == 2 and result.case_ids == {
        answer["event_id"]: case_id,
        evidence["event_id"]: case_id,
    }
    row = dispute(store, case_id)
    assert row.stage is Stage.MEDIATION
    assert row.deadline is not None and row.deadline.name == "propose"
    assert "dispute_response" in audit_actions(store, case_id)
    assert "dispute_evidence_received" in audit_actions(store, case_id)
    again = send(pipeline, answer, now=FILED + timedelta(days=2))
    assert (again.stored, again.duplicates) == (0, 1)


def test_party_events_from_the_wrong_party_or_side_are_quarantined(
    pipeline: Pipeline, store: Store
) -> None:
    send(pipeline, complaint_payload())
    result = send(
        pipeline,
        dispute_payload("dispute_statement", party_id="acct-mallory"),
        dispute_payload("dispute_statement", side="freelancer"),
    )
    assert (result.stored, result.quarantined) == (0, 2)
    with store.engine.connect() as conn:
        reasons = sorted(conn.execute(select(quarantine.c.reason)).scalars())
    assert reasons == [
        "party_id: acct-mallory is not a party to this dispute",
        "side: acct-bob is on the client side of this dispute",
    ]


def test_an_answer_that_arrives_before_its_complaint_waits_for_the_dispute(
    pipeline: Pipeline, store: Store
) -> None:
    early = send(pipeline, dispute_payload("dispute_statement", contract_id="ct-early"))
    assert (early.stored, early.quarantined, early.case_ids) == (1, 0, {})
    opened = send(pipeline, complaint_payload(contract_id="ct-early"))
    case_id = next(iter(opened.case_ids.values()))
    assert dispute(store, case_id).stage is Stage.MEDIATION


def test_the_timer_hands_a_dispute_the_answers_another_worker_held(
    pipeline: Pipeline, store: Store
) -> None:
    from trust.disputes.parties import take_held_events
    from trust.store import transaction
    from trust.store.disputes import hold_for_dispute

    case_id = next(iter(send(pipeline, complaint_payload()).case_ids.values()))
    answer = dispute_payload("dispute_statement")
    with transaction(store.engine) as conn:  # as if stored while the dispute was opening
        from trust.events import event_adapter
        from trust.pii import hasher_for
        from trust.settings import Settings
        from trust.store.events import store_events

        hasher = hasher_for(Settings(environment="test", secret_key="k" * 48))
        store_events(
            conn, [event_adapter.validate_python(answer)], hasher, source="t", received_at=FILED
        )
        hold_for_dispute(conn, [(answer["event_id"], "ct-2/ms-1")], FILED)
    with transaction(store.engine) as conn:
        assert take_held_events(conn, FILED + timedelta(hours=2)) == {answer["event_id"]: case_id}
        assert take_held_events(conn, FILED + timedelta(hours=3)) == {}
    assert dispute(store, case_id).stage is Stage.MEDIATION


def test_a_complaint_and_its_answer_in_one_batch_are_taken_in_order(
    pipeline: Pipeline, store: Store
) -> None:
    result = send(pipeline, dispute_payload("dispute_statement"), complaint_payload())
    assert result.quarantined == 0
    case_id = next(iter(set(result.case_ids.values())))
    assert dispute(store, case_id).stage is Stage.MEDIATION


def test_a_late_answer_is_kept_on_the_timeline_and_refused(
    pipeline: Pipeline, store: Store
) -> None:
    first = send(pipeline, complaint_payload())
    case_id = next(iter(first.case_ids.values()))
    late = dispute_payload("dispute_statement", occurred_at="2026-03-30T09:00:00Z")
    result = send(pipeline, late, now=FILED + timedelta(days=15))
    assert result.stored == 1
    assert dispute(store, case_id).stage is Stage.AWAITING_RESPONSE
    assert audit_actions(store, case_id)[-1] == "dispute_event_refused"


def test_the_synchronous_path_records_a_party_event_or_refuses_it(
    pipeline: Pipeline, store: Store
) -> None:
    from trust.pipeline import decide_one

    case_id = next(iter(send(pipeline, complaint_payload()).case_ids.values()))
    taken = decide_one(pipeline, dispute_payload("dispute_statement"), FILED)
    early = decide_one(pipeline, dispute_payload("dispute_statement", contract_id="ct-x"), FILED)
    refused = decide_one(pipeline, dispute_payload("dispute_statement", party_id="acct-eve"), FILED)
    assert (taken.status, taken.reason) == ("recorded", f"joined case {case_id}")
    assert (early.status, early.reason) == ("recorded", "held until its dispute opens")
    assert refused.status == "quarantined"


def test_a_pipeline_wired_without_disputes_quarantines_party_events(
    pipeline: Pipeline, store: Store
) -> None:
    from dataclasses import replace

    bare = replace(pipeline, party_events=None)
    result = send(bare, dispute_payload("dispute_statement"))
    assert (result.stored, result.quarantined) == (0, 1)
    with store.engine.connect() as conn:
        assert conn.execute(select(quarantine.c.reason)).scalar_one() == (
            "kind: dispute_statement events are not taken here"
        )


def test_two_workers_opening_a_dispute_on_the_same_money_end_with_one_case(
    pipeline: Pipeline, store: Store, settings: object
) -> None:
    import threading

    from sqlalchemy import func

    from trust.decisions import Decision
    from trust.disputes.intake import open_cases_and_disputes
    from trust.store import transaction
    from trust.store.events import insert_events
    from trust.store.tables import disputes as disputes_table

    first, second = (make_complaint(complainant_id=c) for c in ("acct-alice", "acct-carol"))
    with transaction(store.engine) as conn:
        insert_events(conn, [first, second], source="t", received_at=FILED)

    def decision(event: object) -> Decision:
        return Decision(
            event_id=event.event_id,
            kind="complaint",
            subject_id="acct-bob",  # type: ignore[attr-defined]
            outcome="allow",
            risk_score=0.0,
            rule_hits=[],
            shadow_hits=[],
            signals={},
            pack_version="t",
            statement_of_reasons="t",
            decided_at=FILED,
        )

    opened = threading.Event()
    results: dict[str, dict[str, int]] = {}

    def worker(name: str, event: object, hold: bool) -> None:
        with transaction(store.engine) as conn:
            results[name] = open_cases_and_disputes(conn, [decision(event)], settings, FILED)  # type: ignore[arg-type]
            if hold:  # keep the winner's transaction open while the other one tries
                opened.set()
                threading.Event().wait(0.5)

    winner = threading.Thread(target=worker, args=("winner", first, True))
    winner.start()
    opened.wait(10)
    worker("loser", second, False)
    winner.join()
    assert results["winner"][first.event_id] == results["loser"][second.event_id]
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(disputes_table)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 1
