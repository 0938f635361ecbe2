"""Per-batch look-ups: a handful of IN-queries whose answers every signal reads in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, func, or_, select

from trust.events import Event, ProfileVerificationEvent, ReferenceCheckEvent, ReviewEvent
from trust.pii import PiiHasher
from trust.store.tables import account_identifiers, accounts, events

# The longest look-back any signal needs (complaint counts over 90 days).
HISTORY_WINDOW = timedelta(days=90)
# Identifier kinds the signals compare between accounts.
LINK_KINDS = ("document", "phone", "payment", "device", "ip", "email_domain", "referee_email")
# When an identifier was first seen *in event time*: the occurred_at of the event that showed
# it, so a backtest over imported history sees links as they were, not as they are now.
_IDENTIFIERS_WITH_EVENT = account_identifiers.outerjoin(
    events, events.c.event_id == account_identifiers.c.event_id
)
_SEEN_FROM = func.coalesce(events.c.occurred_at, account_identifiers.c.first_seen_at)


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (SQLite hands back naive ones, which are UTC by construction)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PastEvent:
    """The envelope of one stored event, enough for counting and pairing."""

    event_id: str
    kind: str
    occurred_at: datetime
    subject_id: str
    counterparty_id: str | None


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the store knows about an account."""

    created_at: datetime | None
    first_seen_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class PastReview:
    """A stored review's contract, direction, rating and text."""

    event_id: str
    occurred_at: datetime
    reviewer_id: str
    reviewee_id: str
    contract_id: str
    direction: str
    rating: int
    text: str


class BatchContext:
    """Everything the signals of one batch need from the store, fetched once."""

    def __init__(self, conn: Connection, batch: Sequence[Event], hasher: PiiHasher) -> None:
        self.hasher = hasher
        self._by_account: dict[str, list[PastEvent]] = defaultdict(list)
        self._reviews_of: dict[str, list[PastReview]] = defaultdict(list)
        self._identifiers: dict[str, dict[str, dict[str, datetime]]] = defaultdict(dict)
        self._sharing: dict[tuple[str, str], dict[str, datetime]] = defaultdict(dict)
        self._accounts: dict[str, AccountFacts] = {}
        self._emails: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        if not batch:
            return
        involved = {a for e in batch for a in e.account_ids}
        lo = min(utc(e.occurred_at) for e in batch) - HISTORY_WINDOW
        hi = max(utc(e.occurred_at) for e in batch)
        self._load_history(conn, involved, lo, hi)
        reviews = [e for e in batch if isinstance(e, ReviewEvent)]
        parties = {e.reviewee_id for e in reviews} | {e.reviewer_id for e in reviews}
        self._load_reviews(conn, parties, lo, hi)
        self._load_emails(conn, parties)
        self._load_identifiers(conn, involved)
        self._load_sharing(conn, self._hashes_to_look_up(batch))
        linked = {a for holders in self._sharing.values() for a in holders}
        self._load_accounts(conn, involved | linked)

    # -- queries -----------------------------------------------------------------------------
    def _load_history(self, conn: Connection, ids: set[str], lo: datetime, hi: datetime) -> None:
        ordered = sorted(ids)
        query = select(
            events.c.event_id,
            events.c.kind,
            events.c.occurred_at,
            events.c.subject_id,
            events.c.counterparty_id,
        ).where(
            or_(events.c.subject_id.in_(ordered), events.c.counterparty_id.in_(ordered)),
            events.c.occurred_at >= lo,
            events.c.occurred_at <= hi,
        )
        for row in conn.execute(query):
            past = PastEvent(row[0], row[1], utc(row[2]), row[3], row[4])
            self._by_account[past.subject_id].append(past)
            if past.counterparty_id and past.counterparty_id != past.subject_id:
                self._by_account[past.counterparty_id].append(past)

    def _load_reviews(
        self, conn: Connection, parties: set[str], lo: datetime, hi: datetime
    ) -> None:
        if not parties:
            return
        query = select(events.c.event_id, events.c.occurred_at, events.c.payload).where(
            events.c.kind == "review",
            events.c.counterparty_id.in_(sorted(parties)),
            events.c.occurred_at >= lo,
            events.c.occurred_at <= hi,
        )
        for event_id, occurred_at, payload in conn.execute(query):
            review = PastReview(
                event_id,
                utc(occurred_at),
                str(payload.get("reviewer_id")),
                str(payload.get("reviewee_id")),
                str(payload.get("contract_id")),
                str(payload.get("direction")),
                int(payload.get("rating", 0)),
                str(payload.get("text") or ""),
            )
            self._reviews_of[review.reviewee_id].append(review)

    def _load_emails(self, conn: Connection, ids: set[str]) -> None:
        # Profile e-mails live only in verification payloads; their stems tie aliases together.
        if not ids:
            return
        query = select(events.c.subject_id, events.c.occurred_at, events.c.payload).where(
            events.c.kind == "profile_verification", events.c.subject_id.in_(sorted(ids))
        )
        for account_id, occurred_at, payload in conn.execute(query):
            email = (payload.get("profile") or {}).get("email")
            if email:
                self._emails[account_id].append((utc(occurred_at), str(email)))

    def _load_identifiers(self, conn: Connection, ids: set[str]) -> None:
        query = (
            select(
                account_identifiers.c.account_id,
                account_identifiers.c.kind,
                account_identifiers.c.value_hash,
                _SEEN_FROM,
            )
            .select_from(_IDENTIFIERS_WITH_EVENT)
            .where(
                account_identifiers.c.account_id.in_(sorted(ids)),
                account_identifiers.c.kind.in_(LINK_KINDS),
            )
        )
        for account_id, kind, value_hash, first_seen in conn.execute(query):
            self._identifiers[account_id].setdefault(kind, {})[value_hash] = utc(first_seen)

    def _hashes_to_look_up(self, batch: Sequence[Event]) -> set[tuple[str, str]]:
        wanted: set[tuple[str, str | None]] = set()
        for event in batch:
            if isinstance(event, ProfileVerificationEvent):
                wanted.update(self.hashes_of_verification(event).items())
            elif isinstance(event, ReferenceCheckEvent):
                wanted.add(("referee_email", self.hash("referee_email", str(event.referee.email))))
        return {(kind, value) for kind, value in wanted if value is not None}

    def _load_sharing(self, conn: Connection, wanted: set[tuple[str, str]]) -> None:
        if not wanted:
            return
        kinds = sorted({k for k, _ in wanted})
        conditions = [
            and_(
                account_identifiers.c.kind == kind,
                account_identifiers.c.value_hash.in_(sorted(v for k, v in wanted if k == kind)),
            )
            for kind in kinds
        ]
        query = (
            select(
                account_identifiers.c.kind,
                account_identifiers.c.value_hash,
                account_identifiers.c.account_id,
                _SEEN_FROM,
            )
            .select_from(_IDENTIFIERS_WITH_EVENT)
            .where(or_(*conditions))
        )
        for kind, value_hash, account_id, first_seen in conn.execute(query):
            self._sharing[(kind, value_hash)][account_id] = utc(first_seen)

    def _load_accounts(self, conn: Connection, ids: Iterable[str]) -> None:
        query = select(
            accounts.c.account_id,
            accounts.c.created_at,
            accounts.c.first_seen_at,
            accounts.c.status,
        ).where(accounts.c.account_id.in_(sorted(ids)))
        for account_id, created_at, first_seen, status in conn.execute(query):
            self._accounts[account_id] = AccountFacts(
                utc(created_at) if created_at else None, utc(first_seen), status
            )

    # -- answers -----------------------------------------------------------------------------
    def hash(self, kind: str, value: str | None) -> str | None:
        """The keyed hash of an identifier (None for no value)."""
        return self.hasher.hash(kind, value) if value else None

    def hashes_of_verification(self, event: ProfileVerificationEvent) -> dict[str, str | None]:
        """The link identifiers a verification presents, hashed."""
        network = event.network
        return {
            "document": self.hash("document", event.document.number),
            "phone": self.hash("phone", event.profile.phone),
            "device": self.hash("device", network.device_id if network else None),
            "ip": self.hash("ip", str(network.ip) if network and network.ip else None),
            "payment": self.hash("payment", event.payment_fingerprint),
        }

    def history(self, account_id: str, event: Event, since: timedelta) -> list[PastEvent]:
        """Stored events involving ``account_id`` in ``since`` before ``event`` (not itself)."""
        until = utc(event.occurred_at)
        start = until - since
        return [
            p
            for p in self._by_account.get(account_id, ())
            if start <= p.occurred_at <= until and p.event_id != event.event_id
        ]

    def reviews_of(self, reviewee_id: str, event: Event, since: timedelta) -> list[PastReview]:
        """Stored reviews of ``reviewee_id`` in ``since`` before ``event`` (not itself)."""
        until = utc(event.occurred_at)
        start = until - since
        return [
            r
            for r in self._reviews_of.get(reviewee_id, ())
            if start <= r.occurred_at <= until and r.event_id != event.event_id
        ]

    def emails(self, account_id: str, at: datetime) -> set[str]:
        """Profile e-mails ``account_id`` verified with, no later than ``at``."""
        until = utc(at)
        return {email for seen, email in self._emails.get(account_id, ()) if seen <= until}

    def account(self, account_id: str) -> AccountFacts | None:
        """What the store knows about an account (None when it was never seen)."""
        return self._accounts.get(account_id)

    def age_days(self, account_id: str, at: datetime) -> float | None:
        """Days from account creation (or first sighting) to ``at``; None when unknown."""
        facts = self._accounts.get(account_id)
        if facts is None:
            return None
        born = facts.created_at or facts.first_seen_at
        return max((utc(at) - born).total_seconds() / 86_400, 0.0)

    def identifiers(self, account_id: str, kind: str, at: datetime) -> set[str]:
        """Hashes of ``kind`` seen on ``account_id`` no later than ``at``."""
        seen = self._identifiers.get(account_id, {}).get(kind, {})
        until = utc(at)
        return {h for h, first in seen.items() if first <= until}

    def holders(self, kind: str, value_hash: str | None, at: datetime) -> set[str]:
        """Accounts on which identifier ``value_hash`` was seen no later than ``at``."""
        if not value_hash:
            return set()
        until = utc(at)
        return {
            a for a, first in self._sharing.get((kind, value_hash), {}).items() if first <= until
        }

    def status(self, account_id: str) -> str | None:
        """'active', 'held' or 'blocked' (None when unknown)."""
        facts = self._accounts.get(account_id)
        return facts.status if facts else None
