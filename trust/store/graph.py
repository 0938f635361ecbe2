"""The account graph's links as stored: shared identifiers and reviews between accounts.

Read in a few queries over ``account_identifiers`` and review events; each link carries the
event time from which it existed (the later first sighting of the two accounts' shared
identifier, or the review's ``occurred_at``), so callers can build the graph as of a moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy import Connection, bindparam, func, null, or_, select, text, union_all

from trust.graph.links import (
    MAX_ACCOUNTS_PER_IDENTIFIER,
    REVIEW,
    STRONG_KINDS,
    WEAK_KINDS,
    Link,
    pair,
)
from trust.store.database import naive_utc as utc
from trust.store.database import read_all
from trust.store.dialects import TextIn, indexed_by, text_rows
from trust.store.lookups import kind_is
from trust.store.tables import REVIEW_TIES_WHERE, account_identifiers, events

GRAPH_KINDS = tuple(sorted(STRONG_KINDS | WEAK_KINDS))


def identifier_links(conn: Connection, as_of: datetime | None = None) -> list[Link]:
    """Pairs of accounts that showed the same identifier (infrastructure-sized values left out)."""
    stmt = select(
        account_identifiers.c.kind,
        account_identifiers.c.value_hash,
        account_identifiers.c.account_id,
        account_identifiers.c.masked,
        account_identifiers.c.first_seen_at,
    ).where(account_identifiers.c.kind.in_(GRAPH_KINDS))
    if as_of is not None:
        stmt = stmt.where(account_identifiers.c.first_seen_at <= as_of)
    holders: dict[tuple[str, str], list[tuple[str, str, datetime]]] = defaultdict(list)
    for kind, value_hash, account_id, masked, seen in conn.execute(stmt):
        holders[(kind, value_hash)].append((account_id, masked, utc(seen)))
    links = []
    for (kind, _), seen_on in holders.items():
        if not 2 <= len(seen_on) <= MAX_ACCOUNTS_PER_IDENTIFIER:
            continue
        for (a, masked, since_a), (b, _, since_b) in combinations(sorted(seen_on), 2):
            if a != b:
                first, second = pair(a, b)
                links.append(Link(first, second, kind, masked, max(since_a, since_b)))
    return links


def review_links(conn: Connection, as_of: datetime | None = None) -> list[Link]:
    """One link per review, reviewer first, named by the review's event id, with its rating
    (kept clear of the sealed fields, so read in SQL)."""
    stmt = select(
        events.c.subject_id,
        events.c.counterparty_id,
        events.c.event_id,
        events.c.occurred_at,
        events.c.payload["rating"].as_integer(),
    ).where(events.c.kind == "review", events.c.counterparty_id.is_not(None))
    if as_of is not None:
        stmt = stmt.where(events.c.occurred_at <= as_of)
    return [
        Link(reviewer, reviewee, REVIEW, event_id, utc(at), rating)
        for reviewer, reviewee, event_id, at, rating in conn.execute(stmt)
    ]


def graph_links(conn: Connection, as_of: datetime | None = None) -> list[Link]:
    """Every link of the account graph that existed at ``as_of`` (all when None)."""
    return identifier_links(conn, as_of) + review_links(conn, as_of)


# Built once, each account list one bind parameter (``TextIn``), as the per-batch look-ups of
# ``trust.store.lookups`` are: building a select and its cache key per call cost more CPU
# than SQLite spent answering it. One select per side, each on its partial index of review
# ties (read from the index alone; see ``trust.store.tables``); an OR of both lets SQLite
# read every review of the store instead, so a batch's cost grew with it. UNION ALL: a
# tie between two of the accounts comes back from both sides, and callers drop the second
# copy, so SQLite need not sort them unique.
_c = events.c
_BY_REVIEWER = indexed_by(events, "ix_events_review_ties_by_reviewer")
_BY_REVIEWEE = indexed_by(events, "ix_events_review_ties_by_reviewee")
# (reviews read by the account on this side, its column, the other party's column)
_SIDES = (
    (_BY_REVIEWER, _BY_REVIEWER.c.subject_id, _BY_REVIEWER.c.counterparty_id),
    (_BY_REVIEWEE, _BY_REVIEWEE.c.counterparty_id, _BY_REVIEWEE.c.subject_id),
)


# Which of the accounts had more than a number of distinct review partners before a moment,
# on either side of their reviews (a review of oneself is no tie): per account and side, the
# database reads distinct partners from the index until it has one more than the number, so
# a popular freelancer's thousands of reviews are neither read nor returned.
_LISTED = text_rows("accounts", "listed")


def _partners_past_cap(table: Any, side: Any, other: Any) -> Any:
    first_ones = (
        select(other)
        .where(
            side == _LISTED.c.value,
            text(REVIEW_TIES_WHERE),
            other.is_not(None),
            other != side,
            table.c.occurred_at < bindparam("before"),
        )
        .distinct()
        .limit(bindparam("enough"))
        .correlate(_LISTED)
        .subquery()
    )
    return select(func.count()).select_from(first_ones).scalar_subquery() > bindparam("more_than")


_CROWD = (
    select(_LISTED.c.value.label("account"))
    .where(or_(*(_partners_past_cap(*side) for side in _SIDES)))
    .cte("crowd")
)
_IN_CROWD = select(_CROWD.c.account)


def _ties(table: Any, *where: Any, recent_only: bool = False) -> list[Any]:
    """A side's ties: per pair of accounts (in its direction) the first review before
    ``since``, and each review from ``since`` to ``until`` (when one may fall in a reviewee's
    reviewer window). A walk needs to know only from when two accounts traded, and a client
    that hired the same freelancer twenty times is one partner, not twenty rows to read.

    Two selects, each one range of the side's index: only the older reviews are grouped.
    One select grouping every review by (pair, its time when recent) sorted them all to
    return the recent ones as they were: 13-18% of SQLite's time for a batch's ties at 10k,
    100k and 1M prior events, where the reviewer window holds most reviews.
    """
    at = table.c.occurred_at
    first, second = table.c.subject_id, table.c.counterparty_id
    read = (text(REVIEW_TIES_WHERE), second.is_not(None), at <= bindparam("until"), *where)
    recent = select(first, second, at).where(*read, at >= bindparam("since"))
    if recent_only:
        return [recent]
    older = (
        select(first, second, func.min(at))
        .where(*read, at < bindparam("since"))
        .group_by(first, second)
    )
    return [older, recent]


# One round trip: the ties of the accounts outside the crowd, the reviews of a crowded
# reviewee from its reviewer window on, and a row (no moment) naming each crowded account.
_REVIEW_TIES = union_all(
    *(
        select_
        for table, side, _ in _SIDES
        for select_ in _ties(table, TextIn(side, "accounts"), side.not_in(_IN_CROWD))
    ),
    *_ties(
        _BY_REVIEWEE,
        TextIn(_BY_REVIEWEE.c.counterparty_id, "reviewees"),
        _BY_REVIEWEE.c.counterparty_id.in_(_IN_CROWD),
        recent_only=True,
    ),
    select(_CROWD.c.account, null(), null()),
)
_COMPLAINTS_AGAINST = select(_c.event_id, _c.subject_id, _c.counterparty_id, _c.occurred_at).where(
    kind_is("complaint"),
    TextIn(_c.subject_id, "accounts"),
    _c.occurred_at >= bindparam("since"),
    _c.occurred_at <= bindparam("until"),
)


@dataclass(frozen=True, slots=True)
class TiesRead:
    """What ``review_ties`` read: ties as (reviewer, reviewee, occurred_at), the first of
    each pair of accounts and each recent one (see ``_ties``), a tie between two of the
    accounts perhaps twice; and the crowded accounts."""

    ties: list[tuple[str, str, datetime]]
    crowded: set[str]


def review_ties(
    conn: Connection,
    accounts: Collection[str],
    until: datetime,
    *,
    crowded_over: int,
    before: datetime,
    reviewees: Collection[str],
    reviewers_since: datetime,
) -> TiesRead:
    """The ties up to ``until`` of ``accounts`` as reviewers or reviewees, but a crowded
    one's: per pair the first, and every one from ``reviewers_since`` on.

    Crowded: an account that had reviewed more than ``crowded_over`` different accounts
    before ``before``, or been reviewed by more than ``crowded_over`` (so it had more than
    that many partners then; one with fewer on each side may still have more in all, and is
    read). Of a crowded account only the reviews of it from ``reviewers_since`` on are read,
    when it is one of ``reviewees``.
    """
    if not accounts:
        return TiesRead([], set())
    params = {
        "accounts": sorted(accounts),
        "reviewees": sorted(reviewees),
        "until": until,
        "since": reviewers_since,
        "before": before,
        "more_than": crowded_over,
        "enough": crowded_over + 1,
    }
    ties: list[tuple[str, str, datetime]] = []
    crowded: set[str] = set()
    for reviewer, reviewee, at in read_all(conn, _REVIEW_TIES, params):
        if at is None:
            crowded.add(reviewer)
        else:
            ties.append((reviewer, reviewee, utc(at)))
    return TiesRead(ties, crowded)


def complaints_against(
    conn: Connection, accounts: Collection[str], since: datetime, until: datetime
) -> list[tuple[str, str, str, datetime]]:
    """Complaints filed against ``accounts`` between ``since`` and ``until``:
    (event id, respondent, complainant, occurred_at)."""
    if not accounts:
        return []
    rows = read_all(
        conn, _COMPLAINTS_AGAINST, {"accounts": sorted(accounts), "since": since, "until": until}
    )
    return [
        (event_id, respondent, complainant or "", utc(at))
        for event_id, respondent, complainant, at in rows
    ]
