"""The account and money look-up reads sign-ins back only as far as any signal looks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_event
from trust.signals.account_security import HISTORY_WINDOW, RECENT_WINDOW
from trust.signals.payments_context import (
    CHARGEBACK_WINDOW,
    SIGN_IN_WINDOW,
    TAKEOVER_WINDOW,
)
from trust.store import Store, transaction
from trust.store.events import insert_events
from trust.store.lookups import money_rows

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _at(days: int) -> str:
    return (NOW - timedelta(days=days)).isoformat().replace("+00:00", "Z")


def test_old_sign_ins_are_left_unread_and_old_payments_are_not(store: Store) -> None:
    stored = [
        make_event("sign_in", event_id="si-recent", occurred_at=_at(20)),
        make_event("sign_in", event_id="si-old", occurred_at=_at(40)),
        make_event(
            "client_payment", event_id="cp-old", occurred_at=_at(80), client_id="acct-alice"
        ),
        make_event("withdrawal_request", event_id="wd-old", occurred_at=_at(60)),
    ]
    with transaction(store.engine) as conn:
        insert_events(conn, stored, source="tests", received_at=NOW)
        rows = money_rows(conn, ["acct-alice"], NOW - CHARGEBACK_WINDOW, NOW, NOW - SIGN_IN_WINDOW)
    assert sorted(payload["event_id"] for _, payload in rows) == ["cp-old", "si-recent", "wd-old"]


def test_the_sign_in_window_covers_the_longest_look_at_sign_ins() -> None:
    # risky_sign_ins judges the sign-ins of up to the takeover window before an event, each
    # against the account's history window before it.
    assert max(TAKEOVER_WINDOW, RECENT_WINDOW) + HISTORY_WINDOW <= SIGN_IN_WINDOW
