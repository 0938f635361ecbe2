"""Signals of sign-ins, credential changes, payouts, withdrawals and client payments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.factories import make_event, make_profile_verification
from tests.trust.signals.conftest import HASHER, StoreEvents, store_and_compute
from trust.signals import compute_signals
from trust.signals.payments_context import failure_windows
from trust.store import Store
from trust.store.accounts import set_account_status

HOME = {"ip": "203.0.113.10", "ip_country": "GB", "device_id": "dev-honest-1"}
INTRUDER = {"ip": "198.51.100.66", "ip_country": "VN", "device_id": "dev-intruder"}


def _verified() -> list:
    return [make_profile_verification(occurred_at="2026-03-01T10:00:00Z")]


def _sign_in(at: str, network: dict[str, str], **overrides: object) -> object:
    return make_event("sign_in", occurred_at=at, network=network, **overrides)


def test_a_jump_across_the_world_within_an_hour_is_impossible_travel(
    signals_of: StoreEvents,
) -> None:
    home = _sign_in("2026-03-20T08:00:00Z", HOME)
    (signals,) = signals_of(_verified(), [home], [_sign_in("2026-03-20T08:40:00Z", INTRUDER)])
    assert signals["impossible_travel"] is True
    assert signals["new_device_new_country"] is True
    assert signals["travel_speed_kmh"] > 1000


def test_a_flight_home_with_the_own_laptop_is_neither(signals_of: StoreEvents) -> None:
    abroad = {**HOME, "ip_country": "ES", "ip": "192.0.2.50"}
    home = _sign_in("2026-03-20T08:00:00Z", HOME)
    (signals,) = signals_of(_verified(), [home], [_sign_in("2026-03-20T16:00:00Z", abroad)])
    assert signals["impossible_travel"] is False
    assert signals["new_country"] is True
    assert signals["new_device_new_country"] is False


def test_failed_sign_ins_are_counted_per_account_and_per_ip(store: Store) -> None:
    attempts = [
        _sign_in(f"2026-03-20T08:0{i}:00Z", INTRUDER, account_id=f"acct-{i}", outcome="failure")
        for i in range(5)
    ]
    again = _sign_in("2026-03-20T08:09:00Z", INTRUDER, account_id="acct-0", outcome="failure")
    (signals,) = store_and_compute(store, attempts, [again])
    assert signals["failed_sign_ins_1h"] == 2
    assert signals["failed_sign_ins_from_ip_1h"] == 6
    assert signals["accounts_failing_from_ip_1h"] == 5


def test_recovery_payout_and_withdrawal_within_hours_is_the_takeover_chain(
    store: Store,
) -> None:
    # On both databases: the verified identity's legal name is read sealed from SQL.
    history = [
        _sign_in("2026-03-20T08:00:00Z", HOME),
        _sign_in("2026-03-21T02:00:00Z", INTRUDER),
        make_event(
            "credential_change",
            occurred_at="2026-03-21T02:05:00Z",
            network=INTRUDER,
            credential="email",
            via="recovery",
        ),
        make_event(
            "payout_method_change",
            occurred_at="2026-03-21T02:15:00Z",
            network=INTRUDER,
            fingerprint="bank-mule-1",
            holder_name="Victor Nguyen",
            country="VN",
        ),
    ]
    withdrawal = make_event(
        "withdrawal_request",
        occurred_at="2026-03-21T03:00:00Z",
        network=INTRUDER,
        payout_fingerprint="bank-mule-1",
    )
    (signals,) = store_and_compute(store, _verified(), history, [withdrawal])
    assert signals["takeover_chain"] is True
    assert signals["risky_sign_in_72h"] is True
    assert signals["holder_name_mismatch"] is True
    assert signals["payout_country_mismatch"] is True
    assert signals["hours_since_payout_added"] == 0.75


def test_an_old_own_payout_method_is_no_chain(store: Store) -> None:
    payout = make_event("payout_method_change", occurred_at="2026-03-02T10:00:00Z")
    reset = make_event("credential_change", occurred_at="2026-03-20T08:00:00Z", via="recovery")
    withdrawal = make_event("withdrawal_request", occurred_at="2026-03-20T09:00:00Z")
    (signals,) = store_and_compute(store, _verified(), [payout], [reset], [withdrawal])
    assert signals["takeover_chain"] is False
    assert signals["holder_name_mismatch"] is False
    assert signals["payout_unknown"] is False


def test_a_payout_method_of_a_blocked_account_is_counted(sqlite_store: Store) -> None:
    banned = make_event("payout_method_change", account_id="acct-banned", fingerprint="bank-x")
    store_and_compute(sqlite_store, [banned])
    with sqlite_store.engine.begin() as conn:
        set_account_status(conn, "acct-banned", "blocked")
    again = make_event(
        "payout_method_change", occurred_at="2026-03-22T10:00:00Z", fingerprint="bank-x"
    )
    (signals,) = store_and_compute(sqlite_store, [again])
    assert signals["fingerprint_other_accounts"] == 1
    assert signals["fingerprint_restricted_accounts"] == 1


def test_one_card_paying_for_several_new_accounts_is_velocity(signals_of: StoreEvents) -> None:
    payments = [
        make_event(
            "client_payment",
            client_id=f"acct-buyer-{i}",
            occurred_at=f"2026-03-05T1{i}:00:00Z",
            fingerprint="card-stolen",
        )
        for i in range(3)
    ]
    last = make_event(
        "client_payment",
        client_id="acct-buyer-9",
        occurred_at="2026-03-05T18:00:00Z",
        fingerprint="card-stolen",
        outcome="chargeback",
    )
    (signals,) = signals_of(payments, [last])
    assert signals["card_other_accounts"] == 3
    assert signals["card_new_accounts_24h"] == 3
    assert signals["chargeback"] is True


def test_signals_see_no_later_sign_in(signals_of: StoreEvents) -> None:
    later = _sign_in("2026-03-25T08:00:00Z", INTRUDER)
    now = _sign_in("2026-03-20T08:30:00Z", HOME, outcome="failure")
    (signals,) = signals_of(_verified(), [later], [now])
    assert signals["failed_sign_ins_1h"] == 1
    assert signals["travel_speed_kmh"] is None


def _payout(account: str, holder: str, at: str) -> object:
    return make_event(
        "payout_method_change",
        account_id=account,
        holder_name=holder,
        occurred_at=at,
        fingerprint="wallet-collector",
    )


def test_one_payout_method_under_two_holders_names_is_a_conflict(
    signals_of: StoreEvents,
) -> None:
    first = _payout("acct-bob", "Victor Petrov", "2026-03-20T08:00:00Z")
    later = _payout("acct-carol", "Carol Mendes", "2026-03-22T08:00:00Z")
    own_name = _payout("acct-alice", "Alice Walker", "2026-03-21T08:00:00Z")
    # Carol's registration, stored but later than Alice's, is not seen (point in time).
    (signals,) = signals_of([first, later], [own_name])
    assert signals["fingerprint_other_accounts"] == 1
    assert signals["holder_name_conflicts"] == 1


def test_a_joint_account_written_the_same_way_is_no_conflict(signals_of: StoreEvents) -> None:
    spouse = _payout("acct-bob", "Alice and Bob Walker", "2026-03-20T08:00:00Z")
    alice = _payout("acct-alice", "Alice and Bob Walker", "2026-03-21T08:00:00Z")
    (signals,) = signals_of([spouse], [alice])
    assert signals["fingerprint_other_accounts"] == 1
    assert signals["holder_name_conflicts"] == 0


def test_conflicts_are_seen_between_payout_changes_of_one_batch(sqlite_store: Store) -> None:
    batch = [
        _payout("acct-bob", "Victor Petrov", "2026-03-20T08:00:00Z"),
        _payout("acct-alice", "Alice Walker", "2026-03-20T09:00:00Z"),
    ]
    with sqlite_store.engine.begin() as conn:
        first, second = compute_signals(conn, batch, HASHER, unstored=True)
    assert first["holder_name_conflicts"] == 0
    assert second["holder_name_conflicts"] == 1


def test_failed_sign_ins_are_read_only_in_the_hours_before_failing_ones() -> None:
    at = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    windows = failure_windows([at + timedelta(hours=5), at, at + timedelta(minutes=30)])
    assert windows == [
        (at - timedelta(hours=1), at + timedelta(minutes=30)),
        (at + timedelta(hours=4), at + timedelta(hours=5)),
    ]
