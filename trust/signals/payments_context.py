"""Per-batch look-ups of the account and money kinds: each account's recent sign-ins,
credential changes, payout methods, withdrawals and payments, its verified identity, and
recent failed sign-ins by IP address.

Built once per batch by :class:`trust.signals.context.BatchContext` (``ctx.payments``), a
few IN-queries like the rest of it; answers are point in time (nothing after the event).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from trust.events import (
    PAYMENT_EVENT_TYPES,
    ClientPaymentEvent,
    Event,
    PayoutMethodChangeEvent,
    ProfileVerificationEvent,
    SignInEvent,
    WithdrawalRequestEvent,
)
from trust.pii import PiiHasher
from trust.signals.history import utc
from trust.store.lookups import (
    failed_sign_in_rows,
    identity_rows,
    money_rows,
    payout_registration_rows,
)

PAYMENT_KINDS = tuple(PAYMENT_EVENT_TYPES)
# How far back an account's own account and money events are read (takeover chains, new
# devices and countries, chargebacks).
ACCOUNT_WINDOW = timedelta(days=30)
CHARGEBACK_WINDOW = timedelta(days=90)
# A credential change, a new payout method and a withdrawal within it are a takeover chain.
TAKEOVER_WINDOW = timedelta(hours=72)
# Sign-ins, most of an account's events, are read back only this far: the longest look at
# them is the risky sign-ins of the takeover window before an event, each judged against
# the account's window before it. Older ones cost a decoded payload apiece and count nowhere.
SIGN_IN_WINDOW = TAKEOVER_WINDOW + ACCOUNT_WINDOW
# An account's verified identity is asked for as of its sign-ins this far back at most (the
# risky sign-ins of the takeover window before an event): only the verifications in force
# from then on are read.
IDENTITY_WINDOW = TAKEOVER_WINDOW
# Failed sign-ins from one IP address across accounts are counted over this window.
IP_BURST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class MoneyRecord:
    """One stored account or money event, reduced to what the signals compare."""

    event_id: str
    kind: str
    occurred_at: datetime
    account_id: str
    outcome: str | None = None
    device_hash: str | None = None
    ip_country: str | None = None
    credential: str | None = None
    via: str | None = None
    action: str | None = None
    fingerprint_hash: str | None = None
    holder_name: str | None = None
    country: str | None = None
    amount: float | None = None


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """What an account's verification said about who it is, as of that verification."""

    occurred_at: datetime
    legal_name: str
    profile_country: str
    document_country: str
    ip_country: str | None


Hash = Callable[[str, str | None], str | None]


def money_record(payload: dict[str, Any], occurred_at: datetime, hash_of: Hash) -> MoneyRecord:
    """A payment-kind payload (the JSON form, personal fields open) as a ``MoneyRecord``."""
    network = payload.get("network") or {}
    kind = payload["kind"]
    fingerprint = payload.get("fingerprint") or payload.get("payout_fingerprint")
    amount = payload.get("amount")
    return MoneyRecord(
        event_id=payload["event_id"],
        kind=kind,
        occurred_at=occurred_at,
        account_id=payload.get("account_id") or payload["client_id"],
        outcome=payload.get("outcome"),
        device_hash=hash_of("device", network.get("device_id")),
        ip_country=network.get("ip_country"),
        credential=payload.get("credential"),
        via=payload.get("via"),
        action=payload.get("action"),
        fingerprint_hash=hash_of("payment", fingerprint),
        holder_name=payload.get("holder_name"),
        country=payload.get("country"),
        amount=float(amount["amount"]) if amount else None,
    )


def failure_windows(moments: Sequence[datetime]) -> list[tuple[datetime, datetime]]:
    """The hours before each moment, overlapping ones merged, in time order."""
    windows: list[tuple[datetime, datetime]] = []
    for moment in sorted(moments):
        lo = moment - IP_BURST_WINDOW
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], moment)
        else:
            windows.append((lo, moment))
    return windows


def payment_hashes(event: Event, hash_of: Hash) -> set[tuple[str, str]]:
    """The payment fingerprints a money event shows, for the batch's sharing look-up."""
    # By type: probing a pydantic model for a field it lacks raises inside its __getattr__.
    if isinstance(event, PayoutMethodChangeEvent | ClientPaymentEvent):
        value = hash_of("payment", event.fingerprint)
    elif isinstance(event, WithdrawalRequestEvent):
        value = hash_of("payment", event.payout_fingerprint)
    else:
        return set()
    return {("payment", value)} if value else set()


class PaymentLookups:
    """The account and money history a batch's payment-kind events need."""

    def __init__(
        self,
        conn: Connection,
        batch: Sequence[Event],
        hasher: PiiHasher,
        *,
        unstored: Sequence[Event],
        as_stored: Callable[[datetime], datetime],
    ) -> None:
        self._hash: Hash = lambda kind, value: hasher.hash(kind, value) if value else None
        self._as_stored = as_stored
        self._records: dict[str, list[MoneyRecord]] = defaultdict(list)
        self._times: dict[str, list[datetime]] = {}
        self._identities: dict[str, list[VerifiedIdentity]] = defaultdict(list)
        # Identities are read as they stood from here on (``IDENTITY_WINDOW`` before the
        # batch's first money event).
        self._identities_from: datetime | None = None
        self._failed_by_ip: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        # Payout methods added in the batch: every account's registration of each of them.
        self._registrations: dict[str, list[MoneyRecord]] = defaultdict(list)
        money = [e for e in batch if e.kind in PAYMENT_KINDS]
        if not money:
            return
        accounts = sorted({e.subject_id for e in money})
        first = min(e.occurred_at for e in money)
        hi = max(e.occurred_at for e in money)
        self._load_records(conn, accounts, first, hi, unstored)
        self._load_identities(conn, accounts, first - IDENTITY_WINDOW, hi, unstored)
        failing = [e for e in money if isinstance(e, SignInEvent) and e.outcome == "failure"]
        if failing:
            self._load_failed_sign_ins(conn, failing, unstored)
        payouts = [e for e in money if isinstance(e, PayoutMethodChangeEvent) and e.fingerprint]
        if payouts:
            self._load_registrations(conn, payouts, hi, unstored)

    def _load_records(
        self,
        conn: Connection,
        accounts: list[str],
        first: datetime,
        hi: datetime,
        unstored: Sequence[Event],
    ) -> None:
        seen: set[str] = set()
        rows = money_rows(conn, accounts, first - CHARGEBACK_WINDOW, hi, first - SIGN_IN_WINDOW)
        for occurred_at, payload in rows:
            record = money_record(payload, utc(occurred_at), self._hash)
            seen.add(record.event_id)
            self._records[record.account_id].append(record)
        wanted = set(accounts)
        for e in unstored:
            if e.kind in PAYMENT_KINDS and e.subject_id in wanted and e.event_id not in seen:
                at = utc(self._as_stored(e.occurred_at))
                self._records[e.subject_id].append(
                    money_record(e.model_dump(mode="json"), at, self._hash)
                )
        for account, records in self._records.items():
            records.sort(key=lambda r: r.occurred_at)
            self._times[account] = [r.occurred_at for r in records]

    def _load_identities(
        self,
        conn: Connection,
        accounts: list[str],
        since: datetime,
        hi: datetime,
        unstored: Sequence[Event],
    ) -> None:
        self._identities_from = utc(since)
        wanted = set(accounts)
        stored_ids: set[str] = set()
        for (
            account,
            at,
            legal_name,
            country,
            document_country,
            ip_country,
            event_id,
        ) in identity_rows(conn, accounts, since, hi):
            stored_ids.add(event_id)
            self._identities[account].append(
                VerifiedIdentity(utc(at), legal_name, country, document_country, ip_country)
            )
        for e in unstored:
            if (
                isinstance(e, ProfileVerificationEvent)
                and e.account_id in wanted
                and e.event_id not in stored_ids
            ):
                self._identities[e.account_id].append(
                    VerifiedIdentity(
                        utc(self._as_stored(e.occurred_at)),
                        e.profile.legal_name,
                        e.profile.country,
                        e.document.issuing_country,
                        e.network.ip_country if e.network else None,
                    )
                )
        for identities in self._identities.values():
            identities.sort(key=lambda i: i.occurred_at)

    def _load_failed_sign_ins(
        self, conn: Connection, failing: list[SignInEvent], unstored: Sequence[Event]
    ) -> None:
        """Failed sign-ins of any account in the hour before each failing one of the batch.

        The IP address is sealed in the payload, so failures are read by kind and time (an
        index), only in the hours that end at a failing sign-in of the batch, and matched by
        the keyed hash of their opened IP.
        """
        rows = failed_sign_in_rows(conn, failure_windows([e.occurred_at for e in failing]))
        stored_ids = {event_id for _, _, event_id, _ in rows}
        rows.extend(
            (
                self._as_stored(e.occurred_at),
                e.account_id,
                e.event_id,
                str(e.network.ip) if e.network and e.network.ip else None,
            )
            for e in unstored
            if isinstance(e, SignInEvent)
            and e.outcome == "failure"
            and e.event_id not in stored_ids
        )
        for at, account_id, _, address in rows:
            ip = self._hash("ip", address)
            if ip:
                self._failed_by_ip[ip].append((utc(at), account_id))

    def _load_registrations(
        self,
        conn: Connection,
        payouts: list[PayoutMethodChangeEvent],
        hi: datetime,
        unstored: Sequence[Event],
    ) -> None:
        """Payout method changes of every account that holds one of the batch's methods.

        Only batches adding payout methods (a few a day) pay for this query; the
        fingerprint is sealed in the payload, so holders are found by its keyed hash.
        """
        hashes = {h for e in payouts if (h := self._hash("payment", e.fingerprint))}
        rows = [(utc(at), payload) for at, payload in payout_registration_rows(conn, hashes, hi)]
        stored_ids = {payload["event_id"] for _, payload in rows}
        rows.extend(
            (utc(self._as_stored(e.occurred_at)), e.model_dump(mode="json"))
            for e in unstored
            if isinstance(e, PayoutMethodChangeEvent) and e.event_id not in stored_ids
        )
        for at, payload in rows:
            record = money_record(payload, at, self._hash)
            if record.fingerprint_hash in hashes and record.action == "added":
                self._registrations[record.fingerprint_hash].append(record)
        for records in self._registrations.values():
            records.sort(key=lambda r: r.occurred_at)

    # -- answers -----------------------------------------------------------------------------
    def before(self, account_id: str, event: Event, since: timedelta) -> list[MoneyRecord]:
        """The account's money records in [event - since, event], the event itself excluded."""
        times = self._times.get(account_id)
        if not times:
            return []
        until = utc(event.occurred_at)
        records = self._records[account_id]
        start = bisect_right(times, until - since - timedelta(microseconds=1))
        end = bisect_right(times, until)
        return [r for r in records[start:end] if r.event_id != event.event_id]

    def record(self, account_id: str, event_id: str) -> MoneyRecord | None:
        """The account's record of one event (the event being scored included)."""
        return next((r for r in self._records.get(account_id, ()) if r.event_id == event_id), None)

    def identity(self, account_id: str, at: datetime) -> VerifiedIdentity | None:
        """The account's latest verification no later than ``at`` (None before any), for an
        ``at`` at most ``IDENTITY_WINDOW`` before the batch's first money event (earlier
        verifications are not read)."""
        until = utc(at)
        if self._identities_from is None or until < self._identities_from:
            raise ValueError(f"identities are read from {self._identities_from}, not {at}")
        identities = self._identities.get(account_id, [])
        index = bisect_right(identities, until, key=lambda i: i.occurred_at)
        return identities[index - 1] if index else None

    def failed_from_ip(self, ip_hash: str | None, event: Event) -> list[tuple[datetime, str]]:
        """(time, account) of failed sign-ins from one IP in the hour up to ``event``."""
        if not ip_hash:
            return []
        until = utc(event.occurred_at)
        return [
            (at, account)
            for at, account in self._failed_by_ip.get(ip_hash, ())
            if until - IP_BURST_WINDOW <= at <= until
        ]

    def registrations(self, fingerprint_hash: str | None, event: Event) -> list[MoneyRecord]:
        """Other accounts adding this payout method up to ``event`` (batch payout changes)."""
        until = utc(event.occurred_at)
        return [
            r
            for r in self._registrations.get(fingerprint_hash or "", ())
            if r.occurred_at <= until and r.account_id != event.subject_id
        ]
