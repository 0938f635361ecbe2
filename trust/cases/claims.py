"""Atomic claiming with a lease: two staff never hold the same case; abandoned claims return.

PostgreSQL picks the next case with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent
claimers pass each other instead of queueing. SQLite transactions already hold the write
lock (the engine issues ``BEGIN IMMEDIATE``); the claim is still a conditional UPDATE
("still free?") whose row count is checked, so correctness never rests on the lock alone.
Every claim, renewal, release and lease expiry is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from trust.audit import SYSTEM_ACTOR, record_audits
from trust.cases.case import Case, change_case, load_case
from trust.cases.filters import QueueFilter, filter_conditions, free
from trust.cases.lifecycle import ANALYST_CLAIMABLE, LEAD_CLAIMABLE, CaseStatus
from trust.cases.priority import priority_sql
from trust.cases.sla import as_utc
from trust.errors import CaseError, ClaimConflictError
from trust.staff.roles import HasRole, Permission, has_permission, require
from trust.store.dialects import locked
from trust.store.tables import cases

DEFAULT_LEASE = timedelta(minutes=15)
_CLAIM_ATTEMPTS = 5


def claimable_statuses(staff: HasRole) -> frozenset[CaseStatus]:
    """The states ``staff`` may claim from: leads also take escalated cases and approvals."""
    return LEAD_CLAIMABLE if has_permission(staff, Permission.WORK_ESCALATED) else ANALYST_CLAIMABLE


def release_expired(conn: Connection, now: datetime) -> list[int]:
    """Return cases whose lease ran out to the queue (in_review -> open); returns their ids."""
    now = as_utc(now)
    stale = (
        select(cases.c.id, cases.c.claimed_by)
        .where(cases.c.status == CaseStatus.IN_REVIEW, cases.c.lease_expires_at <= now)
        .order_by(cases.c.id)
    )
    holders = {int(i): who for i, who in conn.execute(stale)}
    if not holders:
        return []
    released = (
        conn.execute(
            update(cases)
            .where(
                cases.c.id.in_(list(holders)),
                cases.c.status == CaseStatus.IN_REVIEW,
                cases.c.lease_expires_at <= now,
            )
            .values(
                status=CaseStatus.OPEN,
                claimed_by=None,
                claimed_at=None,
                lease_expires_at=None,
                updated_at=now,
                version=cases.c.version + 1,
            )
            .returning(cases.c.id)
        )
        .scalars()
        .all()
    )
    record_audits(
        conn,
        [
            {
                "actor": SYSTEM_ACTOR,
                "action": "lease_expired",
                "target_type": "case",
                "target_id": i,
                "at": now,
                "before": {"status": "in_review", "claimed_by": holders[i]},
                "after": {"status": "open", "claimed_by": None},
            }
            for i in released
        ],
    )
    return [int(i) for i in released]


def _claim_values(
    case_status: CaseStatus, staff: HasRole, now: datetime, lease: timedelta
) -> dict[str, Any]:
    status = CaseStatus.IN_REVIEW if case_status == CaseStatus.OPEN else case_status
    return {
        "status": status,
        "claimed_by": staff.username,
        "claimed_at": now,
        "lease_expires_at": now + lease,
    }


def _claimable(
    status: CaseStatus, staff: HasRole, now: datetime, filters: QueueFilter | None
) -> list[Any]:
    conditions = [cases.c.status == status, free(now), *filter_conditions(filters, now)]
    if status == CaseStatus.AWAITING_APPROVAL:
        # A proposer never picks up their own proposal: someone else must approve it.
        conditions.append(cases.c.proposed_by != staff.username)
    return conditions


def _top_first(
    conn: Connection,
    statuses: list[CaseStatus],
    staff: HasRole,
    now: datetime,
    filters: QueueFilter | None,
) -> list[CaseStatus]:
    """The states that have a free case, best top case first (one indexed probe each)."""
    if len(statuses) == 1:
        return statuses
    tops = []
    for status in statuses:
        top = conn.execute(
            select(priority_sql(now))
            .where(*_claimable(status, staff, now, filters))
            .order_by(priority_sql(now).desc())
            .limit(1)
        ).scalar()
        if top is not None:
            tops.append((top, status))
    return [status for _, status in sorted(tops, key=lambda t: -t[0])]


def _take(
    conn: Connection,
    status: CaseStatus,
    staff: HasRole,
    now: datetime,
    lease: timedelta,
    filters: QueueFilter | None,
) -> tuple[bool, Case | None]:
    """Try to claim the best free case in ``status``: (any candidate left?, case won)."""
    conditions = _claimable(status, staff, now, filters)
    pick = (
        select(cases.c.id)
        .where(*conditions)
        .order_by(priority_sql(now).desc(), cases.c.id)
        .limit(1)
    )
    pick = locked(conn, pick, skip_locked=True)
    case_id = conn.execute(pick).scalar()
    if case_id is None:
        return False, None
    values = _claim_values(status, staff, now, lease)
    row = conn.execute(
        update(cases)
        .where(cases.c.id == case_id, *conditions)
        .values(**values, updated_at=now, version=cases.c.version + 1)
        .returning(*cases.c)
    ).first()
    if row is None:
        return True, None
    record_audits(
        conn,
        [
            {
                "actor": staff.username,
                "action": "claimed",
                "target_type": "case",
                "target_id": case_id,
                "at": now,
                "before": {"status": status.value},
                "after": {
                    "status": values["status"],
                    "lease_expires_at": values["lease_expires_at"],
                },
            }
        ],
    )
    return True, Case.from_row(row)


def claim_next(
    conn: Connection,
    staff: HasRole,
    filters: QueueFilter | None = None,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Case | None:
    """Claim the highest-priority free case matching ``filters``; None when the queue is empty.

    Each claimable state is probed on its own (status index) for its top case by the bounded
    priority (``priority_sql``), then the best state's case is taken.
    """
    require(staff, Permission.CLAIM)
    now = as_utc(now or datetime.now(UTC))
    release_expired(conn, now)
    statuses = sorted(claimable_statuses(staff) - {CaseStatus.IN_REVIEW})
    for status in _top_first(conn, statuses, staff, now, filters):
        for _ in range(_CLAIM_ATTEMPTS):
            left, case = _take(conn, status, staff, now, lease, filters)
            if case is not None:
                return case
            if not left:
                break
    return None


def claim(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Case:
    """Claim one named case; raises ClaimConflictError if someone else holds it."""
    require(staff, Permission.CLAIM)
    now = as_utc(now or datetime.now(UTC))
    case = load_case(conn, case_id, for_update=True)
    holder = case.holder(now)
    if holder == staff.username:
        return renew(conn, case_id, staff, now, lease)
    if holder is not None:
        raise ClaimConflictError(f"case {case_id} is held by {holder}")
    if case.status not in claimable_statuses(staff):
        raise CaseError(f"case {case_id} is {case.status.value}; {staff.role} cannot claim it")
    values = _claim_values(case.status, staff, now, lease)
    return change_case(conn, case, values, actor=staff.username, action="claimed", now=now)


def _held_by(conn: Connection, case_id: int, staff: HasRole, now: datetime) -> Case:
    case = load_case(conn, case_id, for_update=True)
    holder = case.holder(now)
    if holder != staff.username and not (holder is None and case.claimed_by == staff.username):
        raise ClaimConflictError(f"{staff.username} does not hold case {case_id}")
    return case


def renew(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    now: datetime | None = None,
    lease: timedelta = DEFAULT_LEASE,
) -> Case:
    """Extend the lease of a case ``staff`` holds (also after expiry, if nobody took it)."""
    now = as_utc(now or datetime.now(UTC))
    case = _held_by(conn, case_id, staff, now)
    return change_case(
        conn,
        case,
        {"lease_expires_at": now + lease},
        actor=staff.username,
        action="lease_renewed",
        now=now,
    )


def release(conn: Connection, case_id: int, staff: HasRole, now: datetime | None = None) -> Case:
    """Give a held case back to the queue without resolving it."""
    now = as_utc(now or datetime.now(UTC))
    case = _held_by(conn, case_id, staff, now)
    return unclaim(conn, case, actor=staff.username, action="released", now=now)


def unclaim(conn: Connection, case: Case, *, actor: str, action: str, now: datetime) -> Case:
    """Drop whatever claim ``case`` carries (in_review goes back to open)."""
    values: dict[str, object] = {"claimed_by": None, "claimed_at": None, "lease_expires_at": None}
    if case.status == CaseStatus.IN_REVIEW:
        values["status"] = CaseStatus.OPEN
    return change_case(conn, case, values, actor=actor, action=action, now=now)
