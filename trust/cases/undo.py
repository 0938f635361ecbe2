"""Undoing a bulk resolution within its window: each case goes back to the state it had.

A bulk resolution (``trust.cases.resolution.bulk_resolve``; never a severe, four-eyes action)
records its batch and each case's state before it. For ``Settings.sla.bulk_undo_minutes``
after it, staff who may resolve in bulk can undo it. Undoing a case:

- puts back its status and claim (a claim whose lease ran out meanwhile is not restored, and
  an in-review case without a claim is open);
- clears its resolution and label (labels feed rule precision and model learning, which read
  them when they run, so an undone label is simply gone);
- reverses the enforcement the resolution changed. Non-severe actions do change enforcement:
  ``hold_account`` holds the account, and ending a case lifts the automated hold or block its
  own flags imposed (a dismissal) — the undo puts back what was in force before, with its
  source, so the same rules apply to it afterwards;
- withdraws its QA selection if nobody reviewed it yet;
- is audited (``resolution_undone``) and reported (``case.reopened`` webhook).

A case is left as it is, with the reason, when its window has passed, someone acted on it
since (a QA review, another enforcement on the account, a newer case for the same subject and
kind), or it was not resolved in that batch. Each case is undone whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from trust.cases.case import Case, change_case, load_case
from trust.cases.lifecycle import CaseStatus
from trust.cases.resolution import BulkResult
from trust.cases.sla import as_utc
from trust.enforcement import EnforcementChange, EnforcementSource, EnforcementState
from trust.errors import CaseError
from trust.staff.roles import HasRole, Permission, require
from trust.store.clusters import RING_KIND, members_of
from trust.store.enforcements import apply_changes, current_enforcements
from trust.store.qa import withdraw_selection
from trust.store.tables import cases, enforcement_history
from trust.webhooks import emit_case_reopened


class _Refused(Exception):
    """This case stays resolved; the message says why."""


@dataclass(frozen=True, slots=True)
class UndoableBatch:
    """A bulk resolution that may still be undone."""

    batch: str
    action: str
    reason_code: str
    resolved_by: str
    resolved_at: datetime
    case_ids: tuple[int, ...]

    def until(self, window: timedelta) -> datetime:
        """When the undo window closes."""
        return self.resolved_at + window


def _bulk_of(case: Case) -> dict[str, Any]:
    bulk = (case.resolution or {}).get("bulk")
    return bulk if isinstance(bulk, dict) else {}


def undoable_batches(
    conn: Connection, now: datetime, window: timedelta, *, resolved_by: str | None = None
) -> list[UndoableBatch]:
    """Bulk resolutions still inside their undo window (newest first), by ``resolved_by``."""
    now = as_utc(now)
    query = select(cases).where(
        cases.c.status == CaseStatus.RESOLVED, cases.c.resolved_at >= now - window
    )
    if resolved_by is not None:
        query = query.where(cases.c.resolved_by == resolved_by)
    batches: dict[str, list[Case]] = {}
    for row in conn.execute(query.order_by(cases.c.id)):
        case = Case.from_row(row)
        batch = _bulk_of(case).get("batch")
        if batch:
            batches.setdefault(str(batch), []).append(case)
    found = [
        UndoableBatch(
            batch,
            str((members[0].resolution or {}).get("action", "")),
            str((members[0].resolution or {}).get("reason_code", "")),
            members[0].resolved_by or "",
            as_utc(members[0].resolved_at or now),
            tuple(c.id for c in members),
        )
        for batch, members in batches.items()
    ]
    return sorted(found, key=lambda b: b.resolved_at, reverse=True)


def _prior_values(bulk: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The status and claim to put back; a claim whose lease has run out is not restored."""
    prior = bulk.get("prior") or {}
    status = CaseStatus(prior.get("status", CaseStatus.OPEN))
    lease = prior.get("lease_expires_at")
    lease_at = as_utc(datetime.fromisoformat(lease)) if lease else None
    if prior.get("claimed_by") and lease_at is not None and lease_at > now:
        claimed_at = prior.get("claimed_at")
        return {
            "status": status,
            "claimed_by": prior["claimed_by"],
            "claimed_at": as_utc(datetime.fromisoformat(claimed_at)) if claimed_at else now,
            "lease_expires_at": lease_at,
        }
    if status == CaseStatus.IN_REVIEW:
        status = CaseStatus.OPEN
    return {"status": status, "claimed_by": None, "claimed_at": None, "lease_expires_at": None}


def _reversals(conn: Connection, case: Case, actor: str, now: datetime) -> list[EnforcementChange]:
    """The changes putting back the enforcement in force before the case's resolution."""
    accounts = (
        [m.account_id for m in members_of(conn, case.id)]
        if case.kind == RING_KIND
        else [case.subject_id]
    )
    resolved_at = as_utc(case.resolved_at or now)
    rows = conn.execute(
        select(enforcement_history)
        .where(enforcement_history.c.account_id.in_(accounts))
        .order_by(enforcement_history.c.account_id, enforcement_history.c.id)
    ).all()
    current = current_enforcements(conn, accounts, for_update=True)
    reversals: list[EnforcementChange] = []
    for account_id in sorted(set(accounts)):
        history = [r for r in rows if r.account_id == account_id]
        made = [
            i
            for i, r in enumerate(history)
            if r.source == EnforcementSource.CASE
            and r.source_id == str(case.id)
            and as_utc(r.at) == resolved_at
        ]
        if not made:
            continue
        change = history[made[-1]]
        now_in_force = current.get(account_id)
        if (
            now_in_force is None
            or now_in_force.state != change.state
            or now_in_force.source != EnforcementSource.CASE
            or now_in_force.source_id != str(case.id)
        ):
            raise _Refused(f"the enforcement on {account_id} changed since")
        before = history[made[-1] - 1] if made[-1] > 0 else None
        reason = f"case {case.id}: bulk resolution undone by {actor}"
        reversals.append(
            EnforcementChange(
                account_id,
                EnforcementState(before.state) if before else EnforcementState.NONE,
                EnforcementState(change.state),
                EnforcementSource(before.source) if before else EnforcementSource.CASE,
                before.source_id if before else str(case.id),
                f"{reason}; restores: {before.reason}" if before else reason,
                actor,
                now,
            )
        )
    return reversals


def _undo_case(
    conn: Connection, case_id: int, batch: str, staff: HasRole, now: datetime, window: timedelta
) -> None:
    case = load_case(conn, case_id, for_update=True)
    bulk = _bulk_of(case)
    if case.status != CaseStatus.RESOLVED or bulk.get("batch") != batch:
        raise _Refused(f"not resolved by bulk resolution {batch}")
    if as_utc(case.resolved_at or now) + window < now:
        raise _Refused("its undo window has closed")
    newer = conn.execute(
        select(cases.c.id).where(
            cases.c.subject_id == case.subject_id,
            cases.c.kind == case.kind,
            cases.c.status != CaseStatus.RESOLVED,
        )
    ).scalar()
    if newer is not None:
        raise _Refused(f"case {newer} is open for the same subject since")
    reviewed = withdraw_selection(conn, case.id)
    if reviewed is not None:
        raise _Refused(f"QA already reviewed it ({reviewed})")
    reversals = _reversals(conn, case, staff.username, now)
    undone = dict(case.resolution or {})
    reopened = change_case(
        conn,
        case,
        {
            **_prior_values(bulk, now),
            "resolution": None,
            "resolved_by": None,
            "resolved_at": None,
            "label": None,
        },
        actor=staff.username,
        action="resolution_undone",
        now=now,
        details={"batch": batch, "undone": undone},
        reopen=True,
    )
    apply_changes(conn, reversals)
    emit_case_reopened(conn, reopened, undone, now)


def undo_bulk(
    conn: Connection,
    batch: str,
    staff: HasRole,
    window: timedelta,
    now: datetime | None = None,
) -> BulkResult:
    """Undo bulk resolution ``batch``: every case of it that can be goes back as it was.

    ``resolved`` lists the cases reopened, ``skipped`` the others with the reason.
    """
    now = as_utc(now or datetime.now(UTC))
    require(staff, Permission.BULK_RESOLVE)
    if not batch.strip():
        raise CaseError("batch: name the bulk resolution to undo")
    if window <= timedelta(0):
        raise CaseError("bulk resolutions cannot be undone: the undo window is 0 minutes")
    mine = [b for b in undoable_batches(conn, now, window) if b.batch == batch]
    if not mine:
        raise CaseError(f"batch {batch!r}: no bulk resolution with cases still undoable")
    result = BulkResult(batch=batch)
    for case_id in mine[0].case_ids:
        try:
            with conn.begin_nested():
                _undo_case(conn, case_id, batch, staff, now, window)
        except _Refused as refused:
            result.skipped[case_id] = str(refused)
        else:
            result.resolved.append(case_id)
    return result
