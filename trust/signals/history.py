"""What a batch's look-ups bring back: past events, reviews and accounts, on timelines."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from trust.events import Event
from trust.store.database import naive_utc as utc


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
    role: str | None


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


_Dated = TypeVar("_Dated", PastEvent, PastReview)


class Timeline(Generic[_Dated]):
    """One account's dated items, sorted once, so a window costs a bisection, not a scan."""

    def __init__(self, items: list[_Dated]) -> None:
        self.items: list[_Dated] = sorted(items, key=lambda item: item.occurred_at)
        self.times: list[datetime] = [item.occurred_at for item in self.items]

    def window(self, event: Event, since: timedelta) -> list[_Dated]:
        """Items dated in [event - since, event], the event itself excluded."""
        until = utc(event.occurred_at)
        found = self.items[bisect_left(self.times, until - since) : bisect_right(self.times, until)]
        return [item for item in found if item.event_id != event.event_id]


def complained_share(
    past: list[PastEvent], account: str, counterparty: str, *, complaint: bool
) -> tuple[int, float]:
    """(how many accounts, what share of them ``account`` complained about) among everyone
    in ``past`` ``account`` reviewed or had a complaint with, plus the ``counterparty`` of the
    event being scored (accused by it when it is a ``complaint``).

    A serial complainer disputes a large share of the people they deal with; a busy honest
    client's few disputes are a small share of many counterparties.
    """
    sides = (p.counterparty_id if p.subject_id == account else p.subject_id for p in past)
    others = {o for o in sides if o is not None and o != account} | {counterparty}
    accused = {p.subject_id for p in past if p.kind == "complaint" and p.counterparty_id == account}
    if complaint:
        accused.add(counterparty)
    return len(others), round(len(accused) / len(others), 3)
