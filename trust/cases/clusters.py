"""Cluster cases: one case per suspicious cluster of accounts, worked and acted on together.

``record_clusters`` turns the clusters of ``trust.graph`` into cases of kind ``ring``: a
cluster some of whose accounts already sit in an unresolved cluster case joins that case
(new members are added, everyone's evidence refreshed); any other cluster opens a case
keyed by its stable cluster id. Every member is listed with the evidence tying it to the
others; the reviews the members wrote about one another (and, for a cluster found for its
reviews, the members' verifications) are the case's evidence events. From the clustering
pass, those events still allowed go to review as members of the case
(``trust.cases.cluster_decisions``).
``act_on_cluster`` holds every member, or proposes blocking them all (four-eyes), through
the linked-accounts path of ``trust.enforcement_actions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, func, select, update

from trust.audit import SYSTEM_ACTOR, record_audit
from trust.cases.case import Case
from trust.cases.cluster_decisions import cluster_hit, revise_scheme_decisions
from trust.cases.filters import UNRESOLVED_SQL
from trust.cases.lifecycle import CaseStatus
from trust.cases.priority import priority_key
from trust.cases.sla import as_utc, due_at
from trust.enforcement import EnforcementState
from trust.enforcement_actions import act_on_linked
from trust.errors import CaseError
from trust.graph.clusters import Cluster, scheme_beneficiaries
from trust.settings import Settings
from trust.staff.roles import HasRole
from trust.store.clusters import (
    RING_KIND,
    members_of,
    open_ring_cases_of,
    record_members,
    reviews_among,
    verification_ids,
)
from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import case_evidence, case_reasons, cases

# Risk of a cluster case by the strongest reason it was found for.
REASON_RISK = {
    "dense_review_block": 85.0,
    "reviews_one_account_together": 80.0,
    "single_purpose_reviewers": 80.0,
    "members_review_one_another": 80.0,
    "shared_identity": 70.0,
}
CLUSTER_SEVERITY = 3


@dataclass
class ClusterCaseReport:
    """What one pass of ``record_clusters`` did."""

    opened: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    members_added: int = 0
    decisions_revised: int = 0
    cluster_cases: dict[str, int] = field(default_factory=dict)


def _risk(cluster: Cluster) -> float:
    return max((REASON_RISK.get(r, 60.0) for r in cluster.reasons), default=60.0)


def _open(conn: Connection, cluster: Cluster, settings: Settings, now: datetime) -> int:
    due = due_at(RING_KIND, now, settings)
    risk = _risk(cluster)
    result = conn.execute(
        cases.insert().values(
            subject_id=cluster.cluster_id,
            kind=RING_KIND,
            status=CaseStatus.OPEN.value,
            priority=priority_key(risk, CLUSTER_SEVERITY, Decimal("0"), due),
            risk_score=risk,
            severity=CLUSTER_SEVERITY,
            money_at_stake=Decimal("0"),
            currency=None,
            reason_codes=list(cluster.reasons),
            evidence_count=0,
            opened_at=now,
            updated_at=now,
            sla_due_at=due,
            version=1,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _existing(conn: Connection, cluster: Cluster) -> int | None:
    by_member = open_ring_cases_of(conn, cluster.members)
    if by_member:
        return min(by_member.values())
    row = conn.execute(
        select(cases.c.id).where(
            UNRESOLVED_SQL, cases.c.kind == RING_KIND, cases.c.subject_id == cluster.cluster_id
        )
    )
    found = row.scalar()
    return None if found is None else int(found)


def _attach(
    conn: Connection, case_id: int, cluster: Cluster, events: list[str], now: datetime
) -> int:
    """Members, reasons and evidence ``events`` onto the case; returns members added."""
    evidence = {
        m: cluster.evidence(m) or ["reviewed by members of the cluster"] for m in cluster.members
    }
    fresh = record_members(conn, case_id, evidence, now)
    insert_ignoring_duplicates(
        conn,
        case_evidence,
        [{"case_id": case_id, "event_id": e, "added_at": now} for e in events],
        ["case_id", "event_id"],
    )
    insert_ignoring_duplicates(
        conn,
        case_reasons,
        [{"case_id": case_id, "reason_code": r} for r in cluster.reasons],
        ["case_id", "reason_code"],
    )
    case = Case.from_row(conn.execute(select(cases).where(cases.c.id == case_id)).one())
    codes = list(dict.fromkeys([*case.reason_codes, *cluster.reasons]))
    risk = max(case.risk_score, _risk(cluster))
    count = conn.execute(
        select(func.count()).select_from(case_evidence).where(case_evidence.c.case_id == case_id)
    ).scalar_one()
    opened = case.version == 1
    if not opened and not fresh and count == case.evidence_count and codes == case.reason_codes:
        # The periodic pass found the cluster as it was: nothing to change or audit.
        return 0
    conn.execute(
        update(cases)
        .where(cases.c.id == case_id)
        .values(
            reason_codes=codes,
            risk_score=risk,
            evidence_count=count,
            updated_at=now,
            priority=priority_key(
                risk, max(case.severity, CLUSTER_SEVERITY), case.money_at_stake, case.sla_due_at
            ),
            version=cases.c.version + 1,
        )
    )
    record_audit(
        conn,
        actor=SYSTEM_ACTOR,
        action="cluster_case_opened" if opened else "cluster_members_added",
        target_type="case",
        target_id=case_id,
        at=now,
        after={
            "cluster_id": cluster.cluster_id,
            "members_added": fresh,
            "reasons": list(cluster.reasons),
            "reviews_inside": len(events),
        },
    )
    return len(fresh)


def record_clusters(
    conn: Connection,
    clusters: Sequence[Cluster],
    settings: Settings,
    now: datetime,
    *,
    revise_decisions: bool = False,
) -> ClusterCaseReport:
    """Open or join one cluster case per cluster, in the caller's transaction; with
    ``revise_decisions`` (the clustering pass), send the still allowed events of a cluster
    found for its reviews to review as members of its case."""
    now = as_utc(now)
    report = ClusterCaseReport()
    for cluster in clusters:
        case_id = _existing(conn, cluster)
        if case_id is None:
            case_id = _open(conn, cluster, settings, now)
            report.opened.append(case_id)
        else:
            report.joined.append(case_id)
        events = scheme_events(conn, cluster.members, verifications=cluster.found_for_reviews)
        report.members_added += _attach(conn, case_id, cluster, events, now)
        if revise_decisions and cluster.found_for_reviews:
            hit = cluster_hit(cluster, case_id, _risk(cluster), CLUSTER_SEVERITY)
            report.decisions_revised += len(
                revise_scheme_decisions(conn, hit, case_id, events, now)
            )
        report.cluster_cases[cluster.cluster_id] = case_id
    return report


def act_on_cluster(
    conn: Connection,
    staff: HasRole,
    case_id: int,
    state: EnforcementState,
    reason: str,
    now: datetime,
) -> int:
    """Hold every member of a cluster case now, or propose blocking them all (four-eyes).

    Returns the number of accounts held, or the id of the block proposal a second lead
    approves with ``trust.enforcement_actions.approve_linked``.
    """
    members = members_of(conn, case_id)
    if not members:
        raise CaseError(f"case {case_id} is not a cluster case with members")
    return act_on_linked(
        conn,
        staff,
        [m.account_id for m in members],
        state,
        f"cluster case {case_id}: {reason}",
        now,
    )


def scheme_events(
    conn: Connection,
    account_ids: Iterable[str],
    *,
    verifications: bool = False,
    until: datetime | None = None,
) -> list[str]:
    """Event ids of the reviews members wrote about one another and, with
    ``verifications``, of the profile verifications of the members that acted in the scheme
    (those that happened by ``until``, when given): every member but its beneficiaries
    (``scheme_beneficiaries``), whose verifications are left to the identity rules."""
    ids = sorted(set(account_ids))
    reviews = reviews_among(conn, ids, until)
    found = {event_id for event_id, _, _ in reviews}
    if verifications:
        leave_out = scheme_beneficiaries(reviews)
        found.update(verification_ids(conn, [a for a in ids if a not in leave_out], until))
    return sorted(found)
