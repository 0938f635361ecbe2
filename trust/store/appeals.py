"""The appeals table: one row per appeal event, its case and, once decided, its outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from trust.errors import CaseError
from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import appeals


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """One appeal: what it appealed, who decided the original, and the outcome once known."""

    id: int
    event_id: str
    account_id: str
    case_id: int
    decision_event_id: str | None
    appealed_state: str
    original_case_id: int | None
    original_deciders: list[str]
    has_new_information: bool
    received_at: datetime
    outcome: str | None
    ground: str | None
    decided_by: str | None
    decided_at: datetime | None
    statement_of_reasons: str | None

    @classmethod
    def from_row(cls, row: Any) -> AppealRecord:
        """Build from an ``appeals`` row."""
        data = dict(row._mapping)
        for name in ("received_at", "decided_at"):
            if data[name] is not None and data[name].tzinfo is None:
                data[name] = data[name].replace(tzinfo=UTC)
        data["original_deciders"] = list(data["original_deciders"] or [])
        return cls(**data)


def insert_appeals(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Store appeal rows; an appeal event already stored keeps its row. Returns rows written."""
    return insert_ignoring_duplicates(conn, appeals, rows, ["event_id"])


def appeals_of_case(conn: Connection, case_id: int) -> list[AppealRecord]:
    """The appeals an appeal case gathers, oldest first."""
    rows = conn.execute(select(appeals).where(appeals.c.case_id == case_id).order_by(appeals.c.id))
    return [AppealRecord.from_row(r) for r in rows]


def appeals_of_account(conn: Connection, account_id: str) -> list[AppealRecord]:
    """Every appeal an account made, newest first."""
    rows = conn.execute(
        select(appeals).where(appeals.c.account_id == account_id).order_by(appeals.c.id.desc())
    )
    return [AppealRecord.from_row(r) for r in rows]


def appeals_of_decisions(conn: Connection, event_ids: Sequence[str]) -> list[AppealRecord]:
    """Appeals against any of the decisions of ``event_ids``, oldest first."""
    if not event_ids:
        return []
    rows = conn.execute(
        select(appeals)
        .where(appeals.c.decision_event_id.in_(sorted(set(event_ids))))
        .order_by(appeals.c.id)
    )
    return [AppealRecord.from_row(r) for r in rows]


def record_outcome(
    conn: Connection,
    case_id: int,
    *,
    outcome: str,
    ground: str,
    decided_by: str,
    decided_at: datetime,
    statement: str,
) -> None:
    """Write the outcome on every undecided appeal of the case."""
    done = conn.execute(
        update(appeals)
        .where(appeals.c.case_id == case_id, appeals.c.outcome.is_(None))
        .values(
            outcome=outcome,
            ground=ground,
            decided_by=decided_by,
            decided_at=decided_at,
            statement_of_reasons=statement,
        )
    )
    if done.rowcount < 1:
        raise CaseError(f"case {case_id} has no undecided appeal")


def appeal_outcomes(conn: Connection) -> dict[str, bool]:
    """Decided appeals by decision appealed: True when overturned (any appeal overturned)."""
    rows = conn.execute(
        select(appeals.c.decision_event_id, appeals.c.outcome).where(
            appeals.c.outcome.is_not(None), appeals.c.decision_event_id.is_not(None)
        )
    )
    out: dict[str, bool] = {}
    for event_id, outcome in rows:
        out[event_id] = out.get(event_id, False) or outcome == "overturned"
    return out


def overturned_decision_ids(conn: Connection) -> set[str]:
    """Decisions an appeal overturned (a label for backtests: the flag was wrong)."""
    return {e for e, overturned in appeal_outcomes(conn).items() if overturned}
