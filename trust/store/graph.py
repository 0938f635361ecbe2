"""The account graph's links as stored: shared identifiers and reviews between accounts.

Read in a few queries over ``account_identifiers`` and review events; each link carries the
event time from which it existed (the later first sighting of the two accounts' shared
identifier, or the review's ``occurred_at``), so callers can build the graph as of a moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from itertools import combinations

from sqlalchemy import Connection, bindparam, select, union_all

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
from trust.store.dialects import TextIn
from trust.store.lookups import kind_is
from trust.store.tables import account_identifiers, events

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
# than SQLite spent answering it. One select per side, each on its account index; an OR of
# both (or a plain kind test) lets SQLite read every review of the store instead, so a
# batch's cost grew with it. UNION ALL: a review between two of the accounts comes back
# from both sides, and callers key ties by event id, so SQLite need not sort them unique.
_c = events.c
_REVIEW_TIES = union_all(
    *(
        select(_c.event_id, _c.subject_id, _c.counterparty_id, _c.occurred_at).where(
            TextIn(side, "accounts"),
            kind_is("review"),
            _c.counterparty_id.is_not(None),
            _c.occurred_at <= bindparam("until"),
        )
        for side in (_c.subject_id, _c.counterparty_id)
    )
)
_COMPLAINTS_AGAINST = select(_c.event_id, _c.subject_id, _c.counterparty_id, _c.occurred_at).where(
    kind_is("complaint"),
    TextIn(_c.subject_id, "accounts"),
    _c.occurred_at >= bindparam("since"),
    _c.occurred_at <= bindparam("until"),
)


def review_ties(
    conn: Connection, accounts: Collection[str], until: datetime
) -> list[tuple[str, str, str, datetime]]:
    """Every review up to ``until`` written by or about one of ``accounts``:
    (event id, reviewer, reviewee, occurred_at); a review between two of them may come
    twice."""
    if not accounts:
        return []
    # all(): one fetchall; iterating the result fetched row by row.
    rows = read_all(conn, _REVIEW_TIES, {"accounts": sorted(accounts), "until": until})
    return [(e, reviewer, reviewee, utc(at)) for e, reviewer, reviewee, at in rows]


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
