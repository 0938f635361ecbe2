"""Resolutions reach the webhook outbox only when they are outcomes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_complaint
from tests.trust.cases.conftest import ANALYST, LEAD, NOW, OpenCase
from trust.cases import Action, Resolution, approve_proposal, claim, resolve
from trust.store import Store, transaction
from trust.store import webhooks as outbox
from trust.store.tables import webhook_deliveries
from trust.webhooks import CASE_RESOLVED, DISPUTE_OUTCOME


def _types(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return sorted(conn.execute(select(webhook_deliveries.c.event_type)).scalars())


def test_a_dispute_money_outcome_is_reported_when_approved(store: Store,
                                                           open_case: OpenCase) -> None:
    with transaction(store.engine) as conn:
        outbox.add_subscription(conn, "https://shop.example/h", [DISPUTE_OUTCOME, CASE_RESOLVED])
    case_id = open_case(make_complaint(), money="800")
    with transaction(store.engine) as conn:
        claim(conn, case_id, ANALYST, NOW, timedelta(minutes=15))
        resolve(conn, case_id, ANALYST, Resolution(Action.REFUND, "non_payment"), NOW)
    assert _types(store) == [], "a proposal is not an outcome yet"
    with transaction(store.engine) as conn:
        approve_proposal(conn, case_id, LEAD, NOW)
    assert _types(store) == [CASE_RESOLVED, DISPUTE_OUTCOME]
