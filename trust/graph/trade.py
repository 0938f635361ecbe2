"""Who traded with whom, as of each event: the neighbourhood of a review in the trade graph.

A review ties its reviewer and reviewee (they had a contract). For the reviews of a batch this
loads the ties around both parties, further accounts' only as far as the walk needs them (one
query per round for the whole batch), and answers two questions a trust and safety analyst
asks of a review, each as the graph stood at the review's ``occurred_at``:

- *Is this trade an island?* The connected component of the trade graph holding the review,
  when it has at most ``COMMUNITY_CAP`` accounts, with its size and its distinct trading
  pairs. Honest trade joins one large market; a farm that only trades inside itself stays a
  small component, and one holding a cycle (at least as many pairs as accounts) is a circle
  of accounts rating one another, however it splits client and freelancer roles between
  accounts and whatever devices and addresses it uses.
- *Who wrote the reviewee's recent reviews?* How many of its reviewers of the last
  ``REVIEWER_WINDOW`` never traded with anyone else and were not reviewed back by it:
  single-purpose accounts, the material of a bought burst, however aged and however slowly
  dripped.

Point in time: a tie counts for an event only when its review occurred at or before the
event; reviews of the batch not stored yet are added in memory, so a batch's signals do not
depend on whether it was stored before they were computed or on which events share it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from trust.events import Event, ReviewEvent
from trust.store.database import naive_utc as utc
from trust.store.graph import review_ties

# A component larger than this is the market, not a community: the walk stops there.
COMMUNITY_CAP = 30
REVIEWER_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Community:
    """The trade component around a review: accounts and distinct trading pairs in it."""

    accounts: int
    pairs: int

    @property
    def closed_circle(self) -> bool:
        """A cycle among a handful of accounts or more: they rate one another round."""
        return self.accounts >= 4 and self.pairs >= self.accounts


# One account's side of a review: (occurred_at, the other party, whether this account wrote
# it). Plain tuples: a batch reads tens of thousands of ties, each kept twice.
_Tie = tuple[datetime, str, bool]


class TradeGraph:
    """The review ties around a batch's reviews, read point-in-time per event."""

    def __init__(
        self,
        conn: Connection,
        batch: Sequence[Event],
        *,
        unstored: Sequence[Event] = (),
        as_stored: Callable[[datetime], datetime] = utc,
    ) -> None:
        self._ties: dict[str, list[_Tie]] = defaultdict(list)
        # Ties taken in, as (reviewer, reviewee, occurred_at): a tie between two loaded
        # accounts is read for both, and a review of the batch may be stored already.
        self._seen: set[tuple[str, str, datetime]] = set()
        self._loaded: set[str] = set()
        # Accounts that had more than COMMUNITY_CAP partners before the batch's first review:
        # the market at every moment of the batch (see ``_load``).
        self._crowded: set[str] = set()
        self._reviewees: set[str] = set()
        self._communities: dict[str, Community | None] = {}
        self._pending: list[tuple[str, str, datetime]] = []
        reviews = [e for e in batch if isinstance(e, ReviewEvent)]
        if not reviews:
            return
        self._conn = conn
        self._until = max(e.occurred_at for e in reviews)
        self._first = min(e.occurred_at for e in reviews)
        self._pending = [
            (e.reviewer_id, e.reviewee_id, utc(as_stored(e.occurred_at)))
            for e in unstored
            if isinstance(e, ReviewEvent)
        ]
        # The reviewee's reviewers (and their own partners) are read by the burst signal.
        reviewees = self._reviewees = {e.reviewee_id for e in reviews}
        self._load(reviewees | {e.reviewer_id for e in reviews})
        since = utc(as_stored(self._first)) - REVIEWER_WINDOW
        self._load(
            {
                other
                for r in reviewees
                for at, other, wrote in self._ties[r]
                if not wrote and at >= since
            }
        )
        roots = [(e.event_id, e.reviewer_id, utc(as_stored(e.occurred_at))) for e in reviews]
        while roots:
            wanted: set[str] = set()
            waiting = []
            for root in roots:
                missing = self._walk(*root)
                if missing:
                    wanted |= missing
                    waiting.append(root)
            self._load(wanted)
            roots = waiting

    def _load(self, accounts: set[str]) -> None:
        """Fetch the ties of ``accounts`` up to the batch's last review, except a crowded
        account's.

        A crowded account (more than ``COMMUNITY_CAP`` partners before the batch's first
        review) answers the same without its ties: a walk that reaches it has reached the
        market, and it is nobody's single-purpose reviewer. Only a crowded reviewee's ties
        from its first reviewer window on are read, for the reviewers it got there. A
        popular account's whole history, read because a walk passed it, was most of the
        slowest decisions on a store of a million events.
        """
        todo = accounts - self._loaded
        if not todo:
            return
        self._loaded |= todo
        read = review_ties(
            self._conn,
            todo,
            self._until,
            crowded_over=COMMUNITY_CAP,
            before=self._first,
            reviewees=self._reviewees,
            reviewers_since=self._first - REVIEWER_WINDOW,
        )
        self._crowded |= read.crowded
        rows = read.ties
        rows += [t for t in self._pending if t[0] in todo or t[1] in todo]
        seen, ties = self._seen, self._ties
        for tie in rows:
            reviewer, reviewee, at = tie
            if tie in seen or reviewer == reviewee:
                continue
            seen.add(tie)
            ties[reviewer].append((at, reviewee, True))
            ties[reviewee].append((at, reviewer, False))

    def _partners(self, account: str, at: datetime) -> set[str]:
        return {other for when, other, _ in self._ties[account] if when <= at}

    def _walk(self, event_id: str, start: str, at: datetime) -> set[str]:
        """Walk the component of ``start`` as of ``at``; the accounts still to load, if any
        (the component is recorded for ``event_id`` once they are).

        The walk follows the ties known so far, an unloaded account's too (a tie read for
        either party is a tie of both): they reach part of the component, so once they reach
        more than ``COMMUNITY_CAP`` accounts it is the market, whatever is not loaded yet.
        Only a component that stays small needs every account in it loaded, to be whole.
        """
        reached, frontier = {start}, [start]
        pairs: set[tuple[str, str]] = set()
        while frontier:
            step = []
            for account in frontier:
                if account in self._crowded:
                    self._communities[event_id] = None
                    return set()
                for other in self._partners(account, at):
                    pairs.add((account, other) if account < other else (other, account))
                    if other not in reached:
                        reached.add(other)
                        step.append(other)
                        if len(reached) > COMMUNITY_CAP:
                            self._communities[event_id] = None
                            return set()
            frontier = step
        missing = reached - self._loaded
        if missing:
            return missing
        self._communities[event_id] = Community(len(reached), len(pairs))
        return set()

    def community(self, event: ReviewEvent) -> Community | None:
        """The small component holding ``event``'s reviewer then (None: the wider market)."""
        return self._communities.get(event.event_id)

    def _single_purpose(self, reviewer: str, reviewee: str, at: datetime) -> bool:
        """Whether ``reviewer`` had traded with nobody but ``reviewee`` by ``at``, and
        ``reviewee`` had not reviewed it back: a freelancer rating its client is ordinary
        two-sided feedback, which a bought burst's beneficiary does not give its puppets."""
        if reviewer in self._crowded:
            return False
        return all(
            other == reviewee and wrote for when, other, wrote in self._ties[reviewer] if when <= at
        )

    def single_partner(self, event: ReviewEvent) -> bool:
        """Whether ``event``'s reviewer was single-purpose then (see ``_single_purpose``)."""
        return self._single_purpose(event.reviewer_id, event.reviewee_id, utc(event.occurred_at))

    def single_partner_reviewers(self, event: ReviewEvent) -> tuple[int, int]:
        """(reviewers of the reviewee in the window who were single-purpose then, all its
        reviewers in the window), this review's reviewer included."""
        at = utc(event.occurred_at)
        reviewee = event.reviewee_id
        since = at - REVIEWER_WINDOW
        reviewers = {
            other
            for when, other, wrote in self._ties[reviewee]
            if not wrote and since <= when <= at
        } | {event.reviewer_id}
        single = sum(1 for r in reviewers if self._single_purpose(r, reviewee, at))
        return single, len(reviewers)
