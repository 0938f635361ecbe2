"""The member accounts of cluster cases, with the evidence tying each one to the others."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from trust.graph.clusters import MIN_MEMBERS
from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import cases, cluster_members, events

RING_KIND = "ring"


@dataclass(frozen=True, slots=True)
class ClusterMember:
    """One account of a cluster case and what ties it to the others."""

    case_id: int
    account_id: str
    evidence: list[str]
    added_at: datetime


def open_ring_cases_of(conn: Connection, account_ids: Iterable[str]) -> dict[str, int]:
    """For each account already in an unresolved cluster case, that case's id."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(cluster_members.c.account_id, cluster_members.c.case_id)
        .join(cases, cases.c.id == cluster_members.c.case_id)
        .where(
            cases.c.status != "resolved",
            cases.c.kind == RING_KIND,
            cluster_members.c.account_id.in_(ids),
        )
        .order_by(cluster_members.c.case_id)
    )
    out: dict[str, int] = {}
    for account_id, case_id in rows:
        out.setdefault(account_id, int(case_id))
    return out


def record_members(
    conn: Connection, case_id: int, evidence: Mapping[str, list[str]], now: datetime
) -> list[str]:
    """Add the accounts not yet members and refresh everyone's evidence; returns the new ones."""
    known = {
        a
        for (a,) in conn.execute(
            select(cluster_members.c.account_id).where(cluster_members.c.case_id == case_id)
        )
    }
    fresh = sorted(set(evidence) - known)
    insert_ignoring_duplicates(
        conn,
        cluster_members,
        [
            {"case_id": case_id, "account_id": a, "evidence": evidence[a], "added_at": now}
            for a in fresh
        ],
        ["case_id", "account_id"],
    )
    stale = [
        {"case_id_": case_id, "account_id_": a, "new_evidence": evidence[a]}
        for a in sorted(known & set(evidence))
    ]
    if stale:
        conn.execute(
            update(cluster_members)
            .where(
                cluster_members.c.case_id == bindparam("case_id_"),
                cluster_members.c.account_id == bindparam("account_id_"),
            )
            .values(evidence=bindparam("new_evidence", type_=cluster_members.c.evidence.type)),
            stale,
        )
    return fresh


def members_of(conn: Connection, case_id: int) -> list[ClusterMember]:
    """The members of one cluster case, by account id."""
    rows = conn.execute(
        select(cluster_members)
        .where(cluster_members.c.case_id == case_id)
        .order_by(cluster_members.c.account_id)
    )
    return [ClusterMember(int(r.case_id), r.account_id, list(r.evidence), r.added_at) for r in rows]


def scheme_events(
    conn: Connection,
    account_ids: Iterable[str],
    *,
    verifications: bool = False,
    until: datetime | None = None,
) -> list[str]:
    """Event ids of the reviews members wrote about one another and, with
    ``verifications``, of the profile verifications of the members that acted in the scheme
    (those that happened by ``until``, when given).

    A member that ``MIN_MEMBERS`` others or more reviewed and that reviewed none of them is
    the scheme's beneficiary (the freelancer a burst was bought for, the account a group
    reviewed together): the reviews it got are in doubt and are the case's, its identity is
    not, so its verifications are left to the identity rules. Every other member, a reviewer,
    an account tied by an identifier or reviewed once inside, is one of the scheme's accounts.
    """
    ids = sorted(set(account_ids))
    window = [] if until is None else [events.c.occurred_at <= until]
    reviews = conn.execute(
        select(events.c.event_id, events.c.subject_id, events.c.counterparty_id).where(
            events.c.kind == "review",
            events.c.subject_id.in_(ids),
            events.c.counterparty_id.in_(ids),
            *window,
        )
    ).all()
    found = {event_id for event_id, _, _ in reviews}
    if verifications:
        reviewers: dict[str, set[str]] = defaultdict(set)
        for _, reviewer, reviewee in reviews:
            reviewers[reviewee].add(reviewer)
        beneficiaries = {a for a, theirs in reviewers.items() if len(theirs) >= MIN_MEMBERS} - {
            reviewer for _, reviewer, _ in reviews
        }
        acting = [a for a in ids if a not in beneficiaries]
        found.update(
            conn.execute(
                select(events.c.event_id).where(
                    events.c.kind == "profile_verification",
                    events.c.subject_id.in_(acting),
                    *window,
                )
            ).scalars()
        )
    return sorted(found)
