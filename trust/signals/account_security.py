"""Signals of sign-ins and credential changes: new devices and countries, impossible
travel, failed sign-in bursts per account and per IP address.

Shared with the payout signals (``trust.signals.payouts``): whether a past sign-in was
risky, judged as it would have been then.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trust.events import CredentialChangeEvent, Event, SignInEvent
from trust.events.payments import AuthMethod
from trust.signals.context import BatchContext
from trust.signals.geo import distance_km
from trust.signals.history import utc
from trust.signals.payments_context import ACCOUNT_WINDOW, MoneyRecord
from trust.signals.types import Signals, SignalType

HISTORY_WINDOW = ACCOUNT_WINDOW
BURST_WINDOW = timedelta(hours=1)
RECENT_WINDOW = timedelta(hours=24)
# Faster than an airliner over more than a short hop: not one person travelling.
IMPOSSIBLE_SPEED_KMH = 1000.0
MIN_TRAVEL_KM = 500.0
_JUST_BEFORE = timedelta(microseconds=1)
WEAK_AUTH = frozenset({AuthMethod.PASSWORD, AuthMethod.RECOVERY_LINK})

SIGN_IN_SIGNALS: dict[str, SignalType] = {
    "failed": "bool",
    "weak_auth": "bool",
    "new_device": "bool",
    "new_country": "bool",
    "new_device_new_country": "bool",
    "travel_speed_kmh": "float",
    "impossible_travel": "bool",
    "ip_country_differs_from_profile": "bool",
    "failed_sign_ins_1h": "int",
    "failed_sign_ins_from_ip_1h": "int",
    "accounts_failing_from_ip_1h": "int",
    "success_after_failures": "bool",
}
CREDENTIAL_CHANGE_SIGNALS: dict[str, SignalType] = {
    "via_recovery": "bool",
    "new_device": "bool",
    "risky_sign_in_24h": "bool",
    "failed_sign_ins_24h": "int",
    "credential_changes_24h": "int",
}


def _successful_sign_ins(records: list[MoneyRecord]) -> list[MoneyRecord]:
    return [r for r in records if r.kind == "sign_in" and r.outcome == "success"]


def _known_countries(
    ctx: BatchContext, account_id: str, earlier: list[MoneyRecord], at: datetime
) -> set[str]:
    """Countries the account was seen in before ``at``: sign-ins and its verification."""
    countries = {r.ip_country for r in _successful_sign_ins(earlier) if r.ip_country}
    identity = ctx.payments.identity(account_id, at)
    if identity is not None:
        countries |= {identity.profile_country, identity.document_country}
        if identity.ip_country:
            countries.add(identity.ip_country)
    return countries


def device_is_new(
    ctx: BatchContext, account_id: str, device_hash: str | None, at: datetime
) -> bool | None:
    """Whether a device was never seen on the account before ``at`` (None: no baseline)."""
    if device_hash is None:
        return None
    known = ctx.identifiers(account_id, "device", at - _JUST_BEFORE)
    return None if not known else device_hash not in known


def travel_speed(earlier: list[MoneyRecord], country: str | None, at: datetime) -> float | None:
    """km/h needed to get from the last successful sign-in's country to ``country``."""
    located = [r for r in _successful_sign_ins(earlier) if r.ip_country]
    if country is None or not located:
        return None
    last = located[-1]
    distance = distance_km(last.ip_country or "", country)
    if distance is None:
        return None
    hours = max((at - last.occurred_at).total_seconds() / 3600, 1 / 60)
    return round(distance / hours, 1)


def is_impossible(speed: float | None, earlier: list[MoneyRecord], country: str | None) -> bool:
    """Faster than a plane, over a real distance."""
    located = [r for r in _successful_sign_ins(earlier) if r.ip_country]
    if speed is None or not located or country is None:
        return False
    distance = distance_km(located[-1].ip_country or "", country) or 0.0
    return speed > IMPOSSIBLE_SPEED_KMH and distance > MIN_TRAVEL_KM


def risky_sign_in(ctx: BatchContext, record: MoneyRecord, history: list[MoneyRecord]) -> bool:
    """A successful sign-in from a new device in a new country, or an impossible journey.

    ``history`` is the account's records before ``record``, as they were then.
    """
    if record.kind != "sign_in" or record.outcome != "success":
        return False
    at = record.occurred_at
    speed = travel_speed(history, record.ip_country, at)
    if is_impossible(speed, history, record.ip_country):
        return True
    countries = _known_countries(ctx, record.account_id, history, at)
    new_country = bool(countries) and record.ip_country not in countries
    return bool(
        new_country
        and record.ip_country
        and device_is_new(ctx, record.account_id, record.device_hash, at)
    )


def risky_sign_ins(ctx: BatchContext, event: Event, since: timedelta) -> list[MoneyRecord]:
    """The account's risky successful sign-ins in ``since`` before ``event``."""
    start = utc(event.occurred_at) - since
    records = ctx.payments.before(event.subject_id, event, since + HISTORY_WINDOW)
    return [
        record
        for index, record in enumerate(records)
        if record.occurred_at >= start and risky_sign_in(ctx, record, records[:index])
    ]


def _count(records: list[MoneyRecord], kind: str, outcome: str | None = None) -> int:
    return sum(r.kind == kind and (outcome is None or r.outcome == outcome) for r in records)


def compute_sign_in(event: SignInEvent, ctx: BatchContext) -> Signals:
    """The signals of one sign-in."""
    account, network = event.account_id, event.network
    at = utc(event.occurred_at)
    earlier = ctx.payments.before(account, event, HISTORY_WINDOW)
    failed = event.outcome == "failure"
    countries = _known_countries(ctx, account, earlier, at)
    new_country = (
        None if not countries or not network.ip_country else (network.ip_country not in countries)
    )
    new_device = device_is_new(ctx, account, ctx.hash("device", network.device_id), at)
    speed = travel_speed(earlier, network.ip_country, at)
    identity = ctx.payments.identity(account, at)
    last_hour = [r for r in earlier if r.occurred_at >= at - BURST_WINDOW]
    failures = _count(last_hour, "sign_in", "failure") + failed
    from_ip = ctx.payments.failed_from_ip(
        ctx.hash("ip", str(network.ip) if network.ip else None), event
    )
    return {
        "failed": failed,
        # No second factor: a stolen password or a hijacked recovery e-mail is enough.
        "weak_auth": event.auth_method in WEAK_AUTH,
        "new_device": new_device,
        "new_country": new_country,
        "new_device_new_country": None
        if new_device is None or new_country is None
        else new_device and new_country,
        "travel_speed_kmh": speed,
        "impossible_travel": None if failed else is_impossible(speed, earlier, network.ip_country),
        "ip_country_differs_from_profile": None
        if identity is None or not network.ip_country
        else network.ip_country != identity.profile_country,
        "failed_sign_ins_1h": failures,
        "failed_sign_ins_from_ip_1h": len(from_ip),
        "accounts_failing_from_ip_1h": len({a for _, a in from_ip}),
        "success_after_failures": not failed and failures >= 3,
    }


def compute_credential_change(event: CredentialChangeEvent, ctx: BatchContext) -> Signals:
    """The signals of one credential change."""
    at = utc(event.occurred_at)
    network = event.network
    day = ctx.payments.before(event.account_id, event, RECENT_WINDOW)
    return {
        "via_recovery": event.via == "recovery",
        "new_device": device_is_new(
            ctx, event.account_id, ctx.hash("device", network.device_id if network else None), at
        ),
        "risky_sign_in_24h": bool(risky_sign_ins(ctx, event, RECENT_WINDOW)),
        "failed_sign_ins_24h": _count(day, "sign_in", "failure"),
        "credential_changes_24h": _count(day, "credential_change"),
    }
