"""Decisions whose history arrived after them: found after each batch, re-scored, versioned.

Signals are point-in-time in event time: an event sees the history of its accounts up to
its ``occurred_at`` that the store holds *when it is decided*. When a batch is held back
(a store outage, a crashed worker, two workers racing), later events can be decided
before the earlier events of the same accounts are stored, and would keep a decision made
without that history.

After storing a batch, ``LateHistory`` looks for stored, already decided events that
involve one of the batch's accounts (or an account sharing a device, phone, card or
document with one, whose verification reads their history) and happened after (and within
``LOOKBACK`` of) that account's earliest event in the batch: their history just grew. It
re-scores them as of the moment they were first decided (account enforcement is read as
it stood then, so a decision's own block does not feed back into it) and, where the
outcome, score or rule hits changed, stores a new decision version with the reason, e.g.
``history arrived late: events e1, e2``. A flag that appears opens or joins a case, and
the marketplace hears a version that flags the event or lifts a flag it was told of
(``decision.created`` with the version number, ``trust.webhooks.revision_messages``).

In a stream that arrives in order nothing is found, and cheap queries say so before the
accounts' identifiers are read in Python (``_anything_later``): first whether any event
of a scored kind, not of the batch, is stored from after the batch's earliest moment (one
range of the kind index per kind; in order, none is); only if one is, whether one of them
is a decided event of the batch's accounts or of accounts sharing an identifier with them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import Connection, and_, bindparam, or_, select

from trust.decisions import LATER_FINDINGS, Decision, RuleHit, stored_hits, with_hits
from trust.events import EVENT_KINDS, Event
from trust.graph.links import MAX_ACCOUNTS_PER_IDENTIFIER
from trust.pii import PiiHasher
from trust.pipeline import CaseOpener
from trust.settings import Settings
from trust.signals import Signals, compute_signals
from trust.signals.context import COMPLAINT_WINDOW, HISTORY_WINDOW
from trust.signals.history import utc
from trust.store.database import read_all
from trust.store.decision_versions import Revision, supersede_decisions
from trust.store.dialects import TextIn, indexed_by
from trust.store.events import load_events
from trust.store.lookups import identifier_rows, sharing_rows
from trust.store.tables import account_identifiers
from trust.store.tables import decisions as decisions_table
from trust.store.tables import events as events_table
from trust.webhooks import emit_revisions

# The longest look-back of any signal: an event further ahead cannot see the late one.
LOOKBACK: timedelta = max(HISTORY_WINDOW, COMPLAINT_WINDOW)
# Late events named in a reason; the rest are counted.
NAMED = 10
# Identifiers through which a verification reads other accounts (trust/signals/
# profile_verification.py: an IP address alone makes no link).
LINKED_KINDS = ("document", "phone", "device", "payment")

_mine = account_identifiers.alias("mine")
_theirs = account_identifiers.alias("theirs")
# Accounts sharing a strong identifier with one of ``ids`` (crowds included: a superset),
# read once for the two account columns.
_SHARERS = (
    select(_theirs.c.account_id)
    .join(
        _mine,
        and_(_mine.c.kind == _theirs.c.kind, _mine.c.value_hash == _theirs.c.value_hash),
    )
    .where(
        TextIn(_mine.c.account_id, "ids"),
        TextIn(_mine.c.kind, "linked_kinds", LINKED_KINDS),
        _theirs.c.account_id != _mine.c.account_id,
    )
    .cte("sharers")
)
_e = events_table.c
# One decided event (not of the batch) of ``ids`` or of an account sharing a strong
# identifier with one, in the window later events of the batch could have been history
# for: without one, nothing arrived late. Served by the account-id indexes of events and
# identifiers and the decisions' unique event id. Each id list is bound as one parameter
# (``TextIn``): rendered as one placeholder per id, the statement was rebuilt and planned
# anew every batch, and a batch of 250 events bound some 1,100 values.
_ANY_LATER = (
    select(_e.event_id)
    .join(decisions_table, decisions_table.c.event_id == _e.event_id)
    .where(
        or_(
            TextIn(_e.subject_id, "ids"),
            TextIn(_e.counterparty_id, "ids"),
            _e.subject_id.in_(select(_SHARERS.c.account_id)),
            _e.counterparty_id.in_(select(_SHARERS.c.account_id)),
        ),
        _e.occurred_at > bindparam("since"),
        _e.occurred_at <= bindparam("until"),
        ~TextIn(_e.event_id, "fresh"),
    )
    .limit(1)
)
# Any event of a scored kind (not of the batch) stored from after ``since``: a superset of
# ``_ANY_LATER`` read from the kind index alone. In a stream that arrives in order only
# the batch's own events are there, and it costs a few index ranges where ``_ANY_LATER``
# probes every account's events and identifiers (5-9 ms a batch at 100,000 stored events,
# growing with the store). Events stored undecided (a bench's history) only make it say
# yes where ``_ANY_LATER`` then says no.
_BY_KIND = indexed_by(events_table, "ix_events_kind_occurred")
_ANY_STORED_AFTER = (
    select(_BY_KIND.c.event_id)
    .where(
        TextIn(_BY_KIND.c.kind, "scored_kinds", sorted(EVENT_KINDS)),
        _BY_KIND.c.occurred_at > bindparam("since"),
        ~TextIn(_BY_KIND.c.event_id, "fresh"),
    )
    .limit(1)
)
# The decided events (not of the batch) of ``accounts`` after ``since``.
_DECIDED_LATER = (
    select(_e.event_id, _e.subject_id, _e.counterparty_id, _e.occurred_at)
    .join(decisions_table, decisions_table.c.event_id == _e.event_id)
    .where(
        or_(TextIn(_e.subject_id, "accounts"), TextIn(_e.counterparty_id, "accounts")),
        _e.occurred_at > bindparam("since"),
        ~TextIn(_e.event_id, "fresh"),
    )
)


@runtime_checkable
class Rescorer(Protocol):
    """Rules, model and decision for events whose signals are computed (``Scorer``)."""

    def decide_all(
        self, events: Sequence[Event], signals: Sequence[Signals], now: datetime
    ) -> list[Decision]:
        """One decision per event, in order."""
        ...


@dataclass(frozen=True, slots=True)
class _Stored:
    outcome: str
    risk_score: float
    rule_ids: tuple[str, ...]
    decided_at: datetime
    case_id: int | None
    # Findings made after the decision (a cluster case's, a look-back's): a re-score keeps
    # them.
    later_hits: tuple[RuleHit, ...] = ()


def reason_for(late_ids: Sequence[str]) -> str:
    """``history arrived late: events a, b`` (at most ``NAMED`` ids, then a count)."""
    ordered = sorted(set(late_ids))
    named = ", ".join(ordered[:NAMED])
    more = f" and {len(ordered) - NAMED} more" if len(ordered) > NAMED else ""
    return f"history arrived late: events {named}{more}"


def decided_before_their_history(conn: Connection, fresh: Sequence[Event]) -> dict[str, list[str]]:
    """Stored decided events that ``fresh`` (just stored) would have been history for.

    Returns event_id -> the ids of the events of ``fresh`` that arrived late for it.
    """
    earliest: dict[str, list[Event]] = defaultdict(list)
    for event in fresh:
        for account in event.account_ids:
            earliest[account].append(event)
    if not earliest or not _anything_later(conn, fresh, earliest):
        return {}
    # A verification also reads the accounts sharing its device, phone, card or document,
    # and the complaints against them: those accounts are involved too.
    for linked, via in _linked_accounts(conn, set(earliest)).items():
        earliest[linked].extend(e for account in via for e in earliest[account])
    params = {
        "accounts": sorted(earliest),
        "since": min(utc(e.occurred_at) for e in fresh),
        "fresh": [e.event_id for e in fresh],
    }
    found: dict[str, list[str]] = {}
    for event_id, subject, counterparty, occurred in read_all(conn, _DECIDED_LATER, params):
        at = utc(occurred)
        late = [
            e.event_id
            for account in (subject, counterparty)
            if account in earliest
            for e in earliest[account]
            if utc(e.occurred_at) < at <= utc(e.occurred_at) + LOOKBACK
        ]
        if late:
            found[event_id] = late
    return found


def _anything_later(conn: Connection, fresh: Sequence[Event], accounts: Collection[str]) -> bool:
    """Whether any decided event could have ``fresh`` as late history (a cheap superset)."""
    times = [utc(e.occurred_at) for e in fresh]
    since, fresh_ids = min(times), [e.event_id for e in fresh]
    if not read_all(conn, _ANY_STORED_AFTER, {"since": since, "fresh": fresh_ids}):
        return False
    params = {
        "ids": sorted(accounts),
        "since": since,
        "until": max(times) + LOOKBACK,
        "fresh": fresh_ids,
    }
    return bool(read_all(conn, _ANY_LATER, params))


def _linked_accounts(conn: Connection, accounts: set[str]) -> dict[str, set[str]]:
    """Accounts sharing a strong identifier with one of ``accounts``, each with those it
    shares one with (values on infrastructure-sized crowds of accounts left out)."""
    mine: dict[tuple[str, str], set[str]] = defaultdict(set)
    for account, kind, value_hash, _ in identifier_rows(conn, accounts, LINKED_KINDS):
        mine[(kind, value_hash)].add(account)
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for kind, value_hash, account, _ in sharing_rows(conn, set(mine)):
        holders[(kind, value_hash)].add(account)
    linked: dict[str, set[str]] = defaultdict(set)
    for value, others in holders.items():
        if len(others) > MAX_ACCOUNTS_PER_IDENTIFIER:
            continue
        for other in others - accounts:
            linked[other] |= mine[value]
    return linked


@dataclass
class LateHistory:
    """The pipeline's hook after a batch is stored: re-score what its events were history for."""

    scorer: Rescorer
    settings: Settings
    open_cases: CaseOpener

    def __call__(
        self, conn: Connection, fresh: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Revision]:
        """New versions for decisions the batch changes, stored in ``conn``'s transaction."""
        late = decided_before_their_history(conn, fresh)
        if not late:
            return []
        stored = self._stored(conn, list(late))
        events = load_events(conn, sorted(stored))
        signals = compute_signals(
            conn, events, hasher, as_of={e.event_id: stored[e.event_id].decided_at for e in events}
        )
        rescored = [
            with_hits(d, stored[d.event_id].later_hits)
            for d in self.scorer.decide_all(events, signals, now)
        ]
        revisions = [
            Revision(decision, reason_for(late[decision.event_id]))
            for decision in rescored
            if _changed(stored[decision.event_id], decision)
        ]
        emit_revisions(conn, supersede_decisions(conn, revisions, now), now)
        newly_flagged = [
            r.decision
            for r in revisions
            if r.decision.flagged and stored[r.decision.event_id].case_id is None
        ]
        if newly_flagged:
            self.open_cases(conn, newly_flagged, self.settings, now)
        return revisions

    @staticmethod
    def _stored(conn: Connection, event_ids: list[str]) -> dict[str, _Stored]:
        d = decisions_table.c
        query = select(
            d.event_id, d.outcome, d.risk_score, d.rule_hits, d.decided_at, d.case_id
        ).where(d.event_id.in_(event_ids))
        return {
            row.event_id: _Stored(
                row.outcome,
                float(row.risk_score),
                tuple(sorted(h["rule_id"] for h in row.rule_hits)),
                row.decided_at,
                row.case_id,
                stored_hits(row.rule_hits, *LATER_FINDINGS),
            )
            for row in conn.execute(query)
        }


def _changed(stored: _Stored, decision: Decision) -> bool:
    return (
        stored.outcome != decision.outcome
        or abs(stored.risk_score - decision.risk_score) > 1e-9
        or stored.rule_ids != tuple(sorted(h.rule_id for h in decision.rule_hits))
    )
