"""What staff do to a dispute besides deciding it: the mediator's settlement proposal."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Connection

from trust.cases.sla import as_utc
from trust.disputes.machine import Proposed, Split
from trust.disputes.process import Advanced, advance, new_proposal
from trust.staff.roles import HasRole, Permission, require
from trust.store.disputes import load_dispute


def propose_settlement(
    conn: Connection,
    case_id: int,
    staff: HasRole,
    released: Decimal,
    refunded: Decimal,
    now: datetime | None = None,
    note: str = "",
) -> Advanced:
    """Put a split of the escrow to both parties; they accept or reject it as events.

    The proposal gets an id (its number in the dispute: 1, 2, ...) the answers must name.
    """
    now = as_utc(now or datetime.now(UTC))
    require(staff, Permission.RESOLVE)
    dispute = load_dispute(conn, case_id, for_update=True)
    split = Split(Decimal(released), Decimal(refunded), staff.username).checked(
        dispute.amount_in_escrow
    )
    stored = new_proposal(dispute, split, now, note)
    return advance(
        conn,
        case_id,
        Proposed(split, now),
        actor=staff.username,
        now=now,
        proposal=stored,
        details={
            "proposal_id": stored["id"],
            "released": str(split.released),
            "refunded": str(split.refunded),
        },
    )
