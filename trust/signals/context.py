"""Per-batch look-ups: a handful of IN-queries whose answers every signal reads in memory."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from trust.enforcement import ACCOUNT_STATUS, EnforcementState
from trust.events import (
    ComplaintEvent,
    Event,
    ProfileVerificationEvent,
    ReferenceCheckEvent,
    ReviewEvent,
)
from trust.graph.neighbour_risk import NeighbourReports
from trust.graph.trade import TradeGraph
from trust.pii import PiiHasher
from trust.signals.history import AccountFacts, PastEvent, PastReview, Timeline, utc
from trust.signals.payments_context import PaymentLookups, payment_hashes
from trust.store.accounts import batch_account_rows, batch_identifier_rows
from trust.store.dialects import keeps_wall_clock
from trust.store.lookups import (
    account_rows,
    email_rows,
    history_rows,
    identifier_rows,
    review_rows,
    sharing_rows,
    status_change_rows,
    verification_rows,
)

# Look-backs: complaint counts span 90 days, a reviewee's reviews 7 days, the rest 30 days.
COMPLAINT_WINDOW = timedelta(days=90)
HISTORY_WINDOW = timedelta(days=30)
CO_REVIEW_WINDOW = timedelta(days=7)
# Identifier kinds signals compare between two known accounts (reviewer and reviewee,
# freelancer and referee); documents, phones and referee e-mails are looked up by hash.
PAIR_KINDS = ("payment", "device", "ip", "email_domain")
NETWORK_KINDS = ("device", "ip")
# The kinds whose signals read their accounts' own identifiers (``identifiers``): reviews
# compare reviewer and reviewee, reference checks the referee with the freelancer, and the
# account kinds a device with the account's known ones. Verifications, complaints and client
# payments only ask who else holds an identifier, so their accounts' rows are not read.
IDENTIFIER_READING_KINDS = frozenset(
    {
        "review",
        "reference_check",
        "sign_in",
        "credential_change",
        "payout_method_change",
        "withdrawal_request",
    }
)


def wall_clock(moment: datetime) -> datetime:
    """``moment`` as a store keeping wall clocks hands it back: its offset dropped."""
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


# Identifiers record first_seen_at in event time (the occurred_at of the first event that
# showed them), so a backtest over imported history sees links as they were then.


class BatchContext:
    """Everything the signals of one batch need from the store, fetched once.

    With ``unstored=True`` the batch is not in the store yet: each look-up adds the batch's
    own rows in memory, exactly as the store would hold them once the batch is stored (see
    ``trust.store.accounts``: an identifier keeps its first sighting, an account its earliest
    first_seen_at). This lets the pipeline read without holding the write lock.

    Point in time: every answer is the world as it was when the event was decided, never a
    later fact. Links, histories and e-mails are cut at the event's ``occurred_at``; an
    account's role and creation date come from its verifications up to ``occurred_at``
    (not the account row, which holds the latest); an account's status is read from the
    enforcement history strictly before ``as_of[event_id]`` (the moment the event was
    decided, or arrived) when ``as_of`` is given -- replays pass it -- and is the current
    status otherwise, which is what the live pipeline deciding now sees.
    """

    # Complaints against the accounts linked to the batch (set when the batch is not empty).
    reports: NeighbourReports

    def __init__(
        self,
        conn: Connection,
        batch: Sequence[Event],
        hasher: PiiHasher,
        *,
        unstored: bool = False,
        as_of: Mapping[str, datetime] | None = None,
    ) -> None:
        self.hasher = hasher
        self._as_of = {k: utc(v) for k, v in as_of.items()} if as_of is not None else None
        # Per account, time-ordered: (occurred_at, role, created_at) of each verification,
        # and (at, status before, status after) of each enforcement change.
        self._verified: dict[str, list[tuple[datetime, str | None, datetime | None]]] = {}
        # The earliest moment ``account`` answers for (set once the batch is known).
        self._verified_from = datetime.max
        self._status_changes: dict[str, list[tuple[datetime, str, str]]] = {}
        self._unstored: Sequence[Event] = batch if unstored else ()
        self._batch_identifiers: dict[tuple[str, str, str], dict[str, Any]] = (
            batch_identifier_rows(batch, hasher) if unstored else {}
        )
        # SQLite keeps an aware time's wall clock and drops its offset: batch rows merged
        # in memory must read back the way stored rows do. A plain function, not a bound
        # method: the lookups below keep it, and a reference back to this context would
        # make a batch's whole history a reference cycle, freed only by the garbage
        # collector (40-50 ms pauses every second in a busy API) instead of at once.
        self._as_stored: Callable[[datetime], datetime] = (
            wall_clock if keeps_wall_clock(conn) else utc
        )
        self._by_account: dict[str, list[PastEvent]] = defaultdict(list)
        self._reviews_of: dict[str, list[PastReview]] = defaultdict(list)
        self._identifiers: dict[str, dict[str, dict[str, datetime]]] = defaultdict(dict)
        self._identified: set[str] = set()
        self._sharing: dict[tuple[str, str], dict[str, datetime]] = defaultdict(dict)
        self._accounts: dict[str, AccountFacts] = {}
        self._emails: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        self._verification_hashes: dict[str, dict[str, str | None]] = {}
        self._history_of: dict[str, Timeline[PastEvent]] = {}
        self._review_timeline: dict[str, Timeline[PastReview]] = {}
        # Account and money kinds (sign-ins, payouts, withdrawals, payments): their own module.
        self.payments = PaymentLookups(
            conn, batch, hasher, unstored=self._unstored, as_stored=self._as_stored
        )
        # Review ties around the batch's reviews, for the trade-graph signals.
        self.trade = TradeGraph(conn, batch, unstored=self._unstored, as_stored=self._as_stored)
        if not batch:
            return
        involved = {a for e in batch for a in e.account_ids}
        # Query bounds stay aware (PostgreSQL compares timestamptz); memory works in naive UTC.
        first = min(e.occurred_at for e in batch)
        hi = max(e.occurred_at for e in batch)
        reviews = [e for e in batch if isinstance(e, ReviewEvent)]
        reviewers = {e.reviewer_id for e in reviews}
        reviewees = {e.reviewee_id for e in reviews}
        self._load_history(conn, batch, reviewers, first, hi)
        self._load_reviews(conn, reviewers, reviewees, first, hi)
        self._identified = {
            a for e in batch if e.kind in IDENTIFIER_READING_KINDS for a in e.account_ids
        }
        self._load_identifiers(conn, self._identified, PAIR_KINDS)
        self._load_sharing(conn, self._hashes_to_look_up(batch, reviewers))
        self._history_of = {a: Timeline(items) for a, items in self._by_account.items()}
        self._review_timeline = {a: Timeline(items) for a, items in self._reviews_of.items()}
        linked = {a for holders in self._sharing.values() for a in holders}
        # Profile e-mails, in one query: the review parties', and those of the accounts a
        # verification's identifiers tie it to (an alias shows the same name part on a shared
        # device or connection).
        self._load_emails(conn, reviewers | reviewees | self._tied_to_verifications(batch))
        # Complaints against linked accounts: the neighbours' risk of a verification.
        self.reports = NeighbourReports(
            conn, linked, first, hi, unstored=self._unstored, as_stored=self._as_stored
        )
        # Co-reviewers' ages are read as of their reviews, from a week before the batch on.
        since = first - CO_REVIEW_WINDOW
        recent = utc(since)
        co_reviewers = {
            r.reviewer_id for rs in self._reviews_of.values() for r in rs if r.occurred_at >= recent
        }
        everyone = involved | linked | co_reviewers
        self._load_accounts(conn, everyone)
        self._verified_from = recent
        self._load_verifications(conn, everyone, since, hi)
        if self._as_of is not None:
            self._load_status_changes(conn, everyone)

    # -- queries -----------------------------------------------------------------------------
    def _load_history(
        self,
        conn: Connection,
        batch: Sequence[Event],
        reviewers: set[str],
        first: datetime,
        hi: datetime,
    ) -> None:
        """Only the history signals read: a popular freelancer's received reviews are not.

        Reviewers' and complainants' own recent events are read (a complainant's reviews tell
        who else they dealt with); complaints by or against a complaint's parties over longer.
        """
        complaint_parties = sorted(
            {a for e in batch if e.kind == "complaint" for a in e.account_ids}
        )
        complainants = {e.complainant_id for e in batch if isinstance(e, ComplaintEvent)}
        verifying = sorted({e.subject_id for e in batch if e.kind == "profile_verification"})
        ordered = sorted(reviewers | complainants)
        rows = history_rows(
            conn,
            reviewers=ordered,
            parties=complaint_parties,
            verifying=verifying,
            recent_from=first - HISTORY_WINDOW,
            complaints_from=first - COMPLAINT_WINDOW,
            hi=hi,
        )
        if self._unstored:
            # The batch lies inside every window; the same predicates pick its events.
            ordered_set, parties = set(ordered), set(complaint_parties)
            verifying_set = set(verifying)
            for e in self._unstored:
                ids = e.account_ids
                subject, counterparty = ids[0], ids[1] if len(ids) > 1 else None
                if (
                    subject in ordered_set
                    or (
                        e.kind == "complaint"
                        and (
                            counterparty in ordered_set
                            or subject in parties
                            or counterparty in parties
                        )
                    )
                    or (e.kind == "profile_verification" and subject in verifying_set)
                ):
                    rows.append(
                        (e.event_id, e.kind, self._as_stored(e.occurred_at), subject, counterparty)
                    )
        seen: set[str] = set()
        for row in rows:
            if row[0] in seen:
                continue
            seen.add(row[0])
            past = PastEvent(row[0], row[1], utc(row[2]), row[3], row[4])
            self._by_account[past.subject_id].append(past)
            # Only complaints are looked up from both sides; anything else an account is the
            # counterparty of was fetched for another account of the batch, and counting it
            # would make the signals depend on which events share a batch.
            if (
                past.kind == "complaint"
                and past.counterparty_id
                and past.counterparty_id != past.subject_id
            ):
                self._by_account[past.counterparty_id].append(past)

    def _load_reviews(
        self,
        conn: Connection,
        reviewers: set[str],
        reviewees: set[str],
        first: datetime,
        hi: datetime,
    ) -> None:
        """Each reviewee's reviews of the last week, and reviews by reviewees of reviewers."""
        if not reviewees:
            return
        rows = review_rows(
            conn,
            reviewees=reviewees,
            reviewers=reviewers,
            reviews_from=first - CO_REVIEW_WINDOW,
            replies_from=first - HISTORY_WINDOW,
            hi=hi,
        )
        for e in self._unstored:
            if isinstance(e, ReviewEvent) and (
                e.reviewee_id in reviewees
                or (e.reviewer_id in reviewees and e.reviewee_id in reviewers)
            ):
                rows.append(
                    (
                        e.event_id,
                        self._as_stored(e.occurred_at),
                        e.reviewer_id,
                        e.reviewee_id,
                        e.contract_id,
                        e.direction.value,
                        e.rating,
                        e.text,
                    )
                )
        for row in rows:
            review = PastReview(
                row[0],
                utc(row[1]),
                row[2],
                row[3] or "",
                row[4] or "",
                row[5] or "",
                int(row[6] or 0),
                row[7] or "",
            )
            self._reviews_of[review.reviewee_id].append(review)

    def _load_emails(self, conn: Connection, ids: set[str]) -> None:
        # Profile e-mails live in clear only in verification payloads; their stems tie aliases
        # together.
        if not ids:
            return
        rows = email_rows(conn, ids)
        if self._unstored:
            stored = {(row[0], row[3]) for row in rows}
            by_id = {e.event_id: e for e in self._unstored}
            for (account_id, kind, value_hash), row in self._batch_identifiers.items():
                if kind == "email" and account_id in ids and (account_id, value_hash) not in stored:
                    shown = by_id[str(row["event_id"])]
                    email = (
                        str(shown.profile.email)
                        if isinstance(shown, ProfileVerificationEvent)
                        else None
                    )
                    rows.append(
                        (account_id, self._as_stored(row["first_seen_at"]), email, value_hash)
                    )
        for account_id, occurred_at, email, _hash in rows:
            if email:
                self._emails[account_id].append((utc(occurred_at), str(email)))

    def _load_identifiers(self, conn: Connection, ids: set[str], kinds: Sequence[str]) -> None:
        if not ids:
            return
        for account_id, kind, value_hash, first_seen in identifier_rows(conn, ids, kinds):
            self._identifiers[account_id].setdefault(kind, {})[value_hash] = utc(first_seen)
        for (account_id, kind, value_hash), row in self._batch_identifiers.items():
            if account_id in ids and kind in kinds:
                # A stored sighting keeps its first_seen_at (the upsert never moves it).
                self._identifiers[account_id].setdefault(kind, {}).setdefault(
                    value_hash, self._as_stored(row["first_seen_at"])
                )

    def _hashes_to_look_up(
        self, batch: Sequence[Event], reviewers: set[str]
    ) -> set[tuple[str, str]]:
        wanted: set[tuple[str, str | None]] = set()
        # Who else used a reviewer's devices and IPs: rings and bursts share equipment.
        for reviewer in reviewers:
            for kind in NETWORK_KINDS:
                wanted.update((kind, h) for h in self._identifiers.get(reviewer, {}).get(kind, ()))
        for event in batch:
            if isinstance(event, ProfileVerificationEvent):
                wanted.update(self.hashes_of_verification(event).items())
            elif isinstance(event, ReferenceCheckEvent):
                wanted.add(("referee_email", self.hash("referee_email", str(event.referee.email))))
            else:
                wanted.update(payment_hashes(event, self.hash))
        return {(kind, value) for kind, value in wanted if value is not None}

    def _tied_to_verifications(self, batch: Sequence[Event]) -> set[str]:
        """Every other account that held, by then, an identifier one of the batch's
        verifications shows (a replay's later holders are not read)."""
        tied: set[str] = set()
        for event in batch:
            if isinstance(event, ProfileVerificationEvent):
                for kind, value in self.hashes_of_verification(event).items():
                    tied |= self.holders(kind, value, event.occurred_at) - {event.account_id}
        return tied

    def _load_sharing(self, conn: Connection, wanted: set[tuple[str, str]]) -> None:
        if not wanted:
            return
        for kind, value_hash, account_id, first_seen in sharing_rows(conn, wanted):
            self._sharing[(kind, value_hash)][account_id] = utc(first_seen)
        for (account_id, kind, value_hash), row in self._batch_identifiers.items():
            if (kind, value_hash) in wanted:
                self._sharing[(kind, value_hash)].setdefault(
                    account_id, self._as_stored(row["first_seen_at"])
                )

    def _load_accounts(self, conn: Connection, ids: set[str]) -> None:
        for account_id, created_at, first_seen, status, role in account_rows(conn, ids):
            self._accounts[account_id] = AccountFacts(
                utc(created_at) if created_at else None, utc(first_seen), status, role
            )
        if self._unstored:
            self._merge_unstored_accounts(ids)

    def _merge_unstored_accounts(self, ids: set[str]) -> None:
        """Accounts as ``record_accounts`` would leave them once the batch is stored."""
        for account_id, row in batch_account_rows(self._unstored).items():
            if account_id not in ids:
                continue
            stored = self._accounts.get(account_id)
            created = self._as_stored(row["created_at"]) if row["created_at"] else None
            first_seen = self._as_stored(row["first_seen_at"])
            if stored is None:
                # New accounts start 'active' (the column's server default).
                self._accounts[account_id] = AccountFacts(
                    created, first_seen, "active", row["role"]
                )
                continue
            self._accounts[account_id] = AccountFacts(
                created if created is not None else stored.created_at,
                min(stored.first_seen_at, first_seen),
                stored.status,
                row["role"] if row["role"] is not None else stored.role,
            )

    def _load_verifications(
        self, conn: Connection, ids: set[str], since: datetime, hi: datetime
    ) -> None:
        """Role and creation date each account declared, per verification in force from
        ``since`` to the batch's last event."""
        if not ids:
            return
        found: dict[str, list[tuple[datetime, str | None, datetime | None]]] = defaultdict(list)
        for account_id, occurred_at, role, created in verification_rows(conn, ids, since, hi):
            found[account_id].append(
                (utc(occurred_at), role, utc(datetime.fromisoformat(created)) if created else None)
            )
        for e in self._unstored:
            if isinstance(e, ProfileVerificationEvent) and e.account_id in ids:
                found[e.account_id].append(
                    (utc(e.occurred_at), e.role.value, utc(e.account_created_at))
                )
        self._verified = {a: sorted(rows, key=lambda r: r[0]) for a, rows in found.items()}

    def _load_status_changes(self, conn: Connection, ids: set[str]) -> None:
        """Enforcement changes of the accounts, for statuses as of each event's decision."""
        if not ids or not self._as_of:
            return
        changes: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
        for account_id, at, previous, state in status_change_rows(conn, ids):
            changes[account_id].append(
                (
                    utc(at),
                    ACCOUNT_STATUS[EnforcementState(previous)],
                    ACCOUNT_STATUS[EnforcementState(state)],
                )
            )
        self._status_changes = dict(changes)

    # -- answers -----------------------------------------------------------------------------
    def hash(self, kind: str, value: str | None) -> str | None:
        """The keyed hash of an identifier (None for no value)."""
        return self.hasher.hash(kind, value) if value else None

    def hashes_of_verification(self, event: ProfileVerificationEvent) -> dict[str, str | None]:
        """The link identifiers a verification presents, hashed (once per event)."""
        cached = self._verification_hashes.get(event.event_id)
        if cached is not None:
            return cached
        network = event.network
        hashes = self._verification_hashes[event.event_id] = {
            "document": self.hash("document", event.document.number),
            "phone": self.hash("phone", event.profile.phone),
            "device": self.hash("device", network.device_id if network else None),
            "ip": self.hash("ip", str(network.ip) if network and network.ip else None),
            "payment": self.hash("payment", event.payment_fingerprint),
        }
        return hashes

    def history(self, account_id: str, event: Event, since: timedelta) -> list[PastEvent]:
        """Stored events involving ``account_id`` in ``since`` before ``event`` (not itself)."""
        timeline = self._history_of.get(account_id)
        return timeline.window(event, since) if timeline else []

    def reviews_of(self, reviewee_id: str, event: Event, since: timedelta) -> list[PastReview]:
        """Stored reviews of ``reviewee_id`` in ``since`` before ``event`` (not itself)."""
        timeline = self._review_timeline.get(reviewee_id)
        return timeline.window(event, since) if timeline else []

    def emails(self, account_id: str, at: datetime) -> set[str]:
        """Profile e-mails ``account_id`` verified with, no later than ``at``."""
        until = utc(at)
        return {email for seen, email in self._emails.get(account_id, ()) if seen <= until}

    def account(self, account_id: str, at: datetime) -> AccountFacts | None:
        """What was known about an account at ``at`` (None when it was never seen).

        Role and creation date are those of its latest verification no later than ``at``
        (None before its first one); the status is the current one (see ``status``). Only
        verifications in force from ``CO_REVIEW_WINDOW`` before the batch's first event on
        are read: an earlier ``at`` is a programming error.
        """
        facts = self._accounts.get(account_id)
        if facts is None:
            return None
        until = utc(at)
        if until < self._verified_from:
            raise ValueError(f"verifications are read from {self._verified_from}, not {at}")
        verified = self._verified.get(account_id, ())
        index = bisect_right(verified, until, key=lambda r: r[0])
        role, created = (verified[index - 1][1], verified[index - 1][2]) if index else (None, None)
        return AccountFacts(created, facts.first_seen_at, facts.status, role)

    def age_days(self, account_id: str, at: datetime) -> float | None:
        """Days from account creation (or first sighting) to ``at``; None when unknown."""
        facts = self.account(account_id, at)
        if facts is None:
            return None
        born = facts.created_at or facts.first_seen_at
        return max((utc(at) - born).total_seconds() / 86_400, 0.0)

    def identifiers(self, account_id: str, kind: str, at: datetime) -> set[str]:
        """Hashes of ``kind`` seen on ``account_id`` no later than ``at``.

        Only for accounts of the batch's ``IDENTIFIER_READING_KINDS`` events: asking for
        another account is a programming error, not an account without identifiers.
        """
        if account_id not in self._identified:
            raise ValueError(
                f"identifiers of {account_id!r} were not looked up: only accounts of "
                f"{sorted(IDENTIFIER_READING_KINDS)} events are"
            )
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

    def status(self, account_id: str, event: Event) -> str | None:
        """'active', 'held' or 'blocked' when ``event`` was decided (None when unknown).

        Without ``as_of`` (the live pipeline deciding now) this is the current status; with
        it, the enforcement history strictly before the event's decision: a block that
        came later, or that the event's own batch caused, is not seen.
        """
        facts = self._accounts.get(account_id)
        if facts is None:
            return None
        moment = self._as_of.get(event.event_id) if self._as_of is not None else None
        if moment is None:
            return facts.status
        changes = self._status_changes.get(account_id)
        if not changes:
            # Never enforced through the history (a status set by hand is undated).
            return facts.status
        index = bisect_right(changes, moment, key=lambda r: r[0])
        # Before its first change an account was as that change found it.
        return changes[index - 1][2] if index else changes[0][1]
