"""A dispute's money outcome reaches the webhook outbox once a second person approves it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.factories import complaint_payload, dispute_payload
from tests.trust.cases.conftest import LEAD, LEAD_2
from tests.trust.disputes.conftest import FILED, dispute, send
from trust.cases import approve_proposal
from trust.disputes.actions import propose_settlement
from trust.pipeline import Pipeline
from trust.store import Store, transaction
from trust.store import webhooks as outbox
from trust.store.tables import webhook_deliveries
from trust.webhooks import CASE_RESOLVED, DISPUTE_OUTCOME


def _types(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(webhook_deliveries.c.event_type)).scalars())


def test_a_dispute_money_outcome_is_reported_when_approved(
    pipeline: Pipeline, store: Store
) -> None:
    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "https://shop.example/h", [DISPUTE_OUTCOME, CASE_RESOLVED])
    case_id = next(iter(send(pipeline, complaint_payload()).case_ids.values()))
    send(
        pipeline,
        dispute_payload("dispute_statement", occurred_at="2026-03-16T09:00:00Z"),
        now=FILED + timedelta(days=1),
    )
    with transaction(store.engine) as conn:
        propose_settlement(
            conn, case_id, LEAD, Decimal("500"), Decimal("300"), FILED + timedelta(days=1, hours=2)
        )
    proposal_id = dispute(store, case_id).proposal_id
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
    assert _types(store) == [], "a settlement both parties accepted is not an outcome yet"

    with transaction(store.engine) as conn:
        approve_proposal(conn, case_id, LEAD_2, FILED + timedelta(days=2))

    assert _types(store) == [CASE_RESOLVED, DISPUTE_OUTCOME]
