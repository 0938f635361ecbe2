"""The member accounts of cluster cases, with the evidence tying each one to the others."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

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


def reviews_among(
    conn: Connection, account_ids: Iterable[str], until: datetime | None = None
) -> list[tuple[str, str, str]]:
    """(event id, reviewer, reviewee) of the reviews the accounts wrote about one another
    (those that happened by ``until``, when given)."""
    ids = sorted(set(account_ids))
    window = [] if until is None else [events.c.occurred_at <= until]
    rows = conn.execute(
        select(events.c.event_id, events.c.subject_id, events.c.counterparty_id).where(
            events.c.kind == "review",
            events.c.subject_id.in_(ids),
            events.c.counterparty_id.in_(ids),
            *window,
        )
    )
    return [(event_id, reviewer, reviewee) for event_id, reviewer, reviewee in rows]


def verification_ids(
    conn: Connection, account_ids: Iterable[str], until: datetime | None = None
) -> list[str]:
    """Event ids of the accounts' profile verifications (by ``until``, when given)."""
    window = [] if until is None else [events.c.occurred_at <= until]
    return list(
        conn.execute(
            select(events.c.event_id).where(
                events.c.kind == "profile_verification",
                events.c.subject_id.in_(sorted(set(account_ids))),
                *window,
            )
        ).scalars()
    )
