"""Neighbours' risk: how many of the accounts linked to an event's account were reported.

An account that shares a device, phone, card or document with an account several people
complained about is, for a trust and safety analyst, most likely the same person coming back
(ban evasion) or a helper of it -- whether or not staff had time to block the first account
yet. Blocks and holds are read from the enforcement history elsewhere; this reads the
complaints: for the accounts linked to a batch's events, the complaints filed against them in
the ``WINDOW`` before the batch, each with its time and its complainant, so a signal counts
only complaints filed before its event (point in time). Complaints of the batch that are not
stored yet are added in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection

from trust.events import ComplaintEvent, Event
from trust.store.database import naive_utc as utc
from trust.store.graph import complaints_against

WINDOW = timedelta(days=90)
# Complaints by this many different people make an account a reported one.
REPORTED_BY = 2


class NeighbourReports:
    """Complaints against accounts linked to a batch, read point-in-time per event."""

    def __init__(
        self,
        conn: Connection,
        accounts: Collection[str],
        first: datetime,
        until: datetime,
        *,
        unstored: Sequence[Event] = (),
        as_stored: Callable[[datetime], datetime] = utc,
    ) -> None:
        self._against: dict[str, dict[str, tuple[datetime, str]]] = defaultdict(dict)
        if not accounts:
            return
        rows = complaints_against(conn, accounts, first - WINDOW, until)
        wanted = set(accounts)
        rows += [
            (e.event_id, e.respondent_id, e.complainant_id, utc(as_stored(e.occurred_at)))
            for e in unstored
            if isinstance(e, ComplaintEvent) and e.respondent_id in wanted
        ]
        for event_id, respondent, complainant, at in rows:
            self._against[respondent][event_id] = (at, complainant)

    def reported(self, accounts: Collection[str], at: datetime) -> int:
        """How many of ``accounts`` had complaints from ``REPORTED_BY`` people or more in the
        ``WINDOW`` before ``at``."""
        until = utc(at)
        count = 0
        for account in accounts:
            complainants = {
                who
                for when, who in self._against.get(account, {}).values()
                if until - WINDOW <= when <= until
            }
            count += len(complainants) >= REPORTED_BY
        return count


def first_report(complaints: Iterable[tuple[str, str, datetime]]) -> tuple[str, datetime] | None:
    """Of one account's complaints (event id, complainant, time), the one that first made it
    a reported account: complaints from ``REPORTED_BY`` people within a ``WINDOW``."""
    filed = sorted((utc(at), event_id, who) for event_id, who, at in complaints)
    for when, event_id, _ in filed:
        people = {who for at, _, who in filed if when - WINDOW <= at <= when}
        if len(people) >= REPORTED_BY:
            return event_id, when
    return None
