"""Missed dispute deadlines: find them and apply each one's default outcome exactly once.

Each tick also hands a newly opened dispute the party events held for it
(``take_held_events``): an answer stored by one worker while another was opening the
dispute is never stranded.

``apply_due_deadlines`` is what the workers' periodic actor calls (``workers.dispute_timer``).
It is idempotent: each default runs inside a savepoint and starts with a guarded UPDATE of
the deadline (``status = 'pending'``), so two timers, a timer killed and restarted halfway,
or a party's answer racing the timer, settle a deadline once; the loser skips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from trust.audit import SYSTEM_ACTOR
from trust.cases.sla import as_utc
from trust.disputes.machine import DeadlinePassed, Stage
from trust.disputes.process import DEFAULT_REASON, advance
from trust.errors import DisputeError
from trust.store.disputes import due_deadlines


@dataclass(frozen=True, slots=True)
class AppliedDefault:
    """One missed deadline whose default outcome was applied."""

    case_id: int
    deadline: str
    due_at: datetime
    stage: Stage


_NOTES = {
    "respond": "The respondent did not answer in time: the escrow goes to the complainant.",
    "propose": "No settlement was proposed in time: handed to arbitration.",
    "accept": "The proposal was not accepted by both sides in time.",
    "review": "The work-log review was not done in time: handed to arbitration.",
}


def apply_due_deadlines(conn: Connection, now: datetime, limit: int = 500) -> list[AppliedDefault]:
    """Apply the default outcome of every pending deadline due at ``now``; returns them."""
    now = as_utc(now)
    applied = []
    for due in due_deadlines(conn, now, limit):
        try:
            with conn.begin_nested():
                done = advance(
                    conn,
                    due.case_id,
                    DeadlinePassed(due.name, now),
                    actor=SYSTEM_ACTOR,
                    now=now,
                    reason_code=DEFAULT_REASON,
                    note=_NOTES.get(due.name, ""),
                    details={"due_at": due.due_at},
                )
        except DisputeError:
            continue  # another timer or a party settled it first
        applied.append(AppliedDefault(due.case_id, due.name, due.due_at, done.step.state.stage))
    return applied
