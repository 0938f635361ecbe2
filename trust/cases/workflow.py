"""Everyday case handling besides resolving: notes, the user's answer, SLA changes by a lead."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, insert

from trust.audit import record_audit
from trust.cases.case import Case, change_case, load_case
from trust.cases.lifecycle import CaseStatus
from trust.cases.priority import priority_key
from trust.cases.sla import as_utc, resumed_due_at
from trust.errors import CaseError
from trust.settings import Settings
from trust.staff.roles import HasRole, Permission, require
from trust.store.tables import case_notes

MAX_NOTE = 10_000


def add_note(
    conn: Connection, case_id: int, staff: HasRole, body: str, now: datetime | None = None
) -> int:
    """Add a note to a case (notes are never edited); returns the note id."""
    require(staff, Permission.ADD_NOTE)
    text = body.strip()
    if not text:
        raise CaseError("a note cannot be empty")
    if len(text) > MAX_NOTE:
        raise CaseError(f"a note is limited to {MAX_NOTE} characters")
    now = as_utc(now or datetime.now(UTC))
    load_case(conn, case_id)
    note_id = conn.execute(
        insert(case_notes)
        .values(case_id=case_id, author=staff.username, body=text, created_at=now)
        .returning(case_notes.c.id)
    ).scalar_one()
    record_audit(
        conn,
        actor=staff.username,
        action="note_added",
        target_type="case",
        target_id=case_id,
        at=now,
        after={"note_id": note_id, "body": text},
    )
    return int(note_id)


def resume_from_user(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    settings: Settings,
    now: datetime | None = None,
) -> Case:
    """The user answered a document request: back to the queue, the SLA clock runs again.

    (New flagged evidence from the user does the same automatically in ``open_or_join``.)
    """
    require(staff, Permission.RESOLVE)
    now = as_utc(now or datetime.now(UTC))
    case = load_case(conn, case_id, for_update=True)
    if case.status != CaseStatus.WAITING_ON_USER:
        raise CaseError(f"case {case_id} is not waiting on the user")
    due = (
        resumed_due_at(case.kind, case.sla_due_at, case.sla_paused_at or now, now, settings)
        if case.sla_due_at
        else None
    )
    return change_case(
        conn,
        case,
        {
            "status": CaseStatus.OPEN,
            "sla_due_at": due,
            "sla_paused_at": None,
            "priority": priority_key(case.risk_score, case.severity, case.money_at_stake, due),
        },
        actor=staff.username,
        action="user_responded",
        now=now,
    )


def set_sla_due(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    due: datetime,
    reason: str,
    now: datetime | None = None,
) -> Case:
    """A lead moves the SLA due time of one case (with a reason, audited)."""
    require(staff, Permission.EDIT_SLA)
    if not reason.strip():
        raise CaseError("say why the SLA changes")
    now = as_utc(now or datetime.now(UTC))
    case = load_case(conn, case_id, for_update=True)
    if case.status == CaseStatus.RESOLVED:
        raise CaseError(f"case {case_id} is resolved")
    due = as_utc(due)
    return change_case(
        conn,
        case,
        {
            "sla_due_at": due,
            "priority": priority_key(case.risk_score, case.severity, case.money_at_stake, due),
        },
        actor=staff.username,
        action="sla_changed",
        now=now,
        details={"reason": reason.strip()},
    )
