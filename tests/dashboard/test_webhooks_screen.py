"""The webhooks screen: subscriptions, the delivery log, and a replay that is audited."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.dashboard.conftest import app_as, open_page, texts
from trust.store import transaction
from trust.store import webhooks as outbox
from trust.store.tables import audit_log
from trust.webhooks import CASE_RESOLVED


def test_an_admin_sees_the_log_and_replays_a_failed_delivery(dashboard_store, staff) -> None:
    now = datetime.now(UTC)
    with transaction(dashboard_store.engine) as conn:
        sub = outbox.add_subscription(conn, "https://shop.example/hooks", [CASE_RESOLVED])
        outbox.enqueue(conn, [outbox.Message("msg_1", CASE_RESOLVED, {"data": {}})], now)
        [delivery] = outbox.deliveries(conn)
        outbox.record_failure(
            conn,
            delivery.id,
            status_code=500,
            error="receiver answered 500",
            retry_at=None,
            disable_after=20,
        )

    app = open_page(app_as(staff("ada", "admin")), "webhooks")
    assert not app.exception, app.exception
    assert app.dataframe[0].value.iloc[0]["URL"] == "https://shop.example/hooks"
    assert sub.secret not in str(app.dataframe[0].value.to_dict())
    log = app.dataframe[1].value
    assert log.iloc[0]["Status"] == outbox.FAILED and log.iloc[0]["Last answer"] == "500"

    app = app.multiselect(key="webhook-replay-pick").select(delivery.id).run()
    app = app.button(key="webhook-replay").click().run()
    assert not app.exception, app.exception
    assert "1 deliveries queued again" in texts(app)
    with dashboard_store.engine.connect() as conn:
        assert outbox.delivery(conn, delivery.id).status == outbox.PENDING  # type: ignore[union-attr]
        actors = (
            conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "webhook_replayed"))
            .scalars()
            .all()
        )
    assert actors == ["ada"]


def test_without_subscriptions_the_screen_says_how_to_add_one(staff) -> None:
    app = open_page(app_as(staff("ada", "admin")), "webhooks")
    assert "No webhook subscription yet." in texts(app)
