"""Each planted payment pattern carries what catches it; the honest look-alikes do not."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from tests.trust.simulate.conftest import Simulated
from trust.simulate.payments import flight_hours

Event = dict[str, Any]


def _at(event: Event) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


def _by_account(events: list[Event]) -> dict[str, list[Event]]:
    found: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        found[event.get("account_id") or event["client_id"]].append(event)
    return found


def test_a_takeover_is_a_new_device_a_credential_change_a_payout_and_a_withdrawal_in_order(
    simulated: Simulated,
) -> None:
    takeovers = _by_account(simulated.of_pattern("account_takeover"))
    assert takeovers
    for chain in takeovers.values():
        kinds = [e["kind"] for e in sorted(chain, key=_at)]
        assert kinds == [
            "sign_in",
            "credential_change",
            "payout_method_change",
            "withdrawal_request",
        ]
        assert _at(chain[-1]) - _at(chain[0]) < timedelta(hours=72)
        assert len({e["network"]["device_id"] for e in chain}) == 1
        assert chain[-1]["payout_fingerprint"] == chain[2]["fingerprint"]


def test_payout_name_fraud_pays_someone_the_verification_does_not_name(
    simulated: Simulated,
) -> None:
    legal = {
        v[-1]["account_id"]: v[-1]["profile"]["legal_name"]
        for v in simulated.verifications().values()
    }
    changes = simulated.of_pattern("payout_name_fraud", "payout_method_change")
    assert changes
    assert all(c["holder_name"] != legal.get(c["account_id"]) for c in changes)


def test_a_shared_payout_account_collects_for_three_accounts_or_more(simulated: Simulated) -> None:
    holders: dict[str, set[str]] = defaultdict(set)
    for change in simulated.of_pattern("shared_payout_account", "payout_method_change"):
        holders[change["fingerprint"]].add(change["account_id"])
    assert holders and all(len(accounts) >= 3 for accounts in holders.values())


def test_stolen_cards_are_foreign_and_come_back_as_chargebacks(simulated: Simulated) -> None:
    payments = simulated.of_pattern("stolen_card_chargeback", "client_payment")
    assert any(p["outcome"] == "chargeback" for p in payments)
    assert all(p["country"] != p["network"]["ip_country"] for p in payments)


def test_honest_travellers_sign_in_abroad_only_after_a_real_flight(simulated: Simulated) -> None:
    abroad = simulated.of_pattern("honest_travel", "sign_in")
    assert abroad
    home = _by_account([e for e in simulated.of_pattern("honest") if e["kind"] == "sign_in"])
    for event in abroad:
        before = [e for e in home.get(event["account_id"], []) if _at(e) < _at(event)]
        assert all(e["network"]["ip_country"] != event["network"]["ip_country"] for e in before)
        if before:
            last = max(before, key=_at)
            hours = flight_hours(last["network"]["ip_country"], event["network"]["ip_country"])
            assert _at(event) - _at(last) >= timedelta(hours=hours)
