"""The enforcements table (state in force per account) and its append-only history.

``apply_changes`` is the one writer: it moves the state in force, appends the history row,
mirrors the state into ``accounts.status`` and audits the change, in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from trust.audit import record_audits
from trust.enforcement import (
    ACCOUNT_STATUS,
    RANK,
    Enforcement,
    EnforcementChange,
    EnforcementSource,
    EnforcementState,
)
from trust.errors import EnforcementError
from trust.store.database import as_utc
from trust.store.tables import (
    accounts,
    enforcement_history,
    enforcement_proposals,
    enforcements,
)
from trust.webhooks import emit_enforcement


def _enforcement(row: Any) -> Enforcement:
    return Enforcement(
        row.account_id,
        EnforcementState(row.state),
        EnforcementSource(row.source),
        row.source_id,
        row.reason,
        row.actor,
        as_utc(row.since),
    )


def current_enforcements(
    conn: Connection, account_ids: Iterable[str], *, for_update: bool = False
) -> dict[str, Enforcement]:
    """The enforcement in force on each of ``account_ids`` that has one."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    stmt = (
        select(enforcements)
        .where(enforcements.c.account_id.in_(ids))
        .order_by(enforcements.c.account_id)
    )
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {row.account_id: _enforcement(row) for row in conn.execute(stmt)}


def current_enforcement(
    conn: Connection, account_id: str, *, for_update: bool = False
) -> Enforcement | None:
    """The enforcement in force on ``account_id`` (None when never enforced against)."""
    return current_enforcements(conn, [account_id], for_update=for_update).get(account_id)


def _apply(conn: Connection, change: EnforcementChange) -> EnforcementChange | None:
    """Move the state in force; None when a concurrent, as strong enforcement won the race.

    The row must still hold the state the change was computed from (callers lock it on
    PostgreSQL). A first enforcement inserts; when another transaction inserted first, the
    stronger of the two stands (``trust.enforcement`` rules: stronger wins).
    """
    values = {
        "state": change.state.value,
        "source": change.source.value,
        "source_id": change.source_id,
        "reason": change.reason,
        "actor": change.actor,
        "since": change.at,
    }
    done = conn.execute(
        update(enforcements)
        .where(
            enforcements.c.account_id == change.account_id,
            enforcements.c.state == change.previous_state.value,
        )
        .values(**values)
    )
    if done.rowcount == 1:
        return change
    if change.previous_state != EnforcementState.NONE:
        raise EnforcementError(
            f"the enforcement on {change.account_id} changed meanwhile; reload and try again"
        )
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
        enforcements
    ).values(account_id=change.account_id, **values)
    inserted = conn.execute(
        insert.on_conflict_do_nothing(index_elements=["account_id"]).returning(
            enforcements.c.account_id
        )
    ).first()
    if inserted is not None:
        return change
    winner = current_enforcement(conn, change.account_id, for_update=True)
    if winner is None or RANK[winner.state] >= RANK[change.state]:
        return None
    conn.execute(
        update(enforcements).where(enforcements.c.account_id == change.account_id).values(**values)
    )
    return replace(change, previous_state=winner.state)


def apply_changes(conn: Connection, changes: Sequence[EnforcementChange]) -> None:
    """Record each change: state in force, history row, ``accounts.status`` and the audit."""
    if not changes:
        return
    applied = [c for c in (_apply(conn, change) for change in changes) if c is not None]
    if not applied:
        return
    for change in applied:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == change.account_id)
            .values(status=ACCOUNT_STATUS[change.state])
        )
    changes = applied
    conn.execute(
        insert(enforcement_history),
        [
            {
                "account_id": c.account_id,
                "state": c.state.value,
                "previous_state": c.previous_state.value,
                "source": c.source.value,
                "source_id": c.source_id,
                "reason": c.reason,
                "actor": c.actor,
                "at": c.at,
            }
            for c in changes
        ],
    )
    record_audits(
        conn,
        [
            {
                "actor": c.actor,
                "action": "enforcement_changed",
                "target_type": "account",
                "target_id": c.account_id,
                "at": c.at,
                "before": {"state": c.previous_state.value},
                "after": {
                    "state": c.state.value,
                    "source": c.source.value,
                    "source_id": c.source_id,
                    "reason": c.reason,
                },
            }
            for c in changes
        ],
    )
    emit_enforcement(conn, changes)


def enforcement_history_of(conn: Connection, account_id: str) -> list[EnforcementChange]:
    """Every enforcement change on ``account_id``, newest first."""
    rows = conn.execute(
        select(enforcement_history)
        .where(enforcement_history.c.account_id == account_id)
        .order_by(enforcement_history.c.at.desc(), enforcement_history.c.id.desc())
    )
    return [
        EnforcementChange(
            r.account_id,
            EnforcementState(r.state),
            EnforcementState(r.previous_state),
            EnforcementSource(r.source),
            r.source_id,
            r.reason,
            r.actor,
            as_utc(r.at),
        )
        for r in rows
    ]


# -- proposals to act on linked accounts together ----------------------------------------------

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def insert_proposal(
    conn: Connection,
    account_ids: Sequence[str],
    state: EnforcementState,
    reason: str,
    proposed_by: str,
    at: datetime,
) -> int:
    """Store a pending proposal; returns its id."""
    return int(
        conn.execute(
            insert(enforcement_proposals)
            .values(
                account_ids=sorted(set(account_ids)),
                state=state.value,
                reason=reason,
                proposed_by=proposed_by,
                proposed_at=at,
                status=PENDING,
            )
            .returning(enforcement_proposals.c.id)
        ).scalar_one()
    )


@dataclass(frozen=True, slots=True)
class EnforcementProposal:
    """A linked-account hold or block proposed by one lead, for a second to decide."""

    id: int
    account_ids: tuple[str, ...]
    state: str
    reason: str
    proposed_by: str
    proposed_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None


def _proposal(row: Any) -> EnforcementProposal:
    return EnforcementProposal(
        id=row.id,
        account_ids=tuple(row.account_ids),
        state=row.state,
        reason=row.reason,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def proposal_row(conn: Connection, proposal_id: int) -> EnforcementProposal | None:
    """One proposal, or none with that id."""
    row = conn.execute(
        select(enforcement_proposals).where(enforcement_proposals.c.id == proposal_id)
    ).first()
    return _proposal(row) if row is not None else None


def pending_proposals(conn: Connection) -> list[EnforcementProposal]:
    """Proposals waiting for a second lead, oldest first."""
    rows = conn.execute(
        select(enforcement_proposals)
        .where(enforcement_proposals.c.status == PENDING)
        .order_by(enforcement_proposals.c.id)
    )
    return [_proposal(r) for r in rows]


def close_proposal(
    conn: Connection, proposal_id: int, status: str, decided_by: str, at: datetime
) -> None:
    """Mark a pending proposal approved or rejected (once)."""
    done = conn.execute(
        update(enforcement_proposals)
        .where(enforcement_proposals.c.id == proposal_id, enforcement_proposals.c.status == PENDING)
        .values(status=status, decided_by=decided_by, decided_at=at)
    )
    if done.rowcount != 1:
        raise EnforcementError(f"proposal {proposal_id} is no longer pending")
