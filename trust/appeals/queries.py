"""Read side of an appeal case: the appeals, the decisions they appeal, the enforcement now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from trust.enforcement import Enforcement
from trust.store.appeals import AppealRecord, appeals_of_case
from trust.store.enforcements import current_enforcement
from trust.store.tables import decisions


@dataclass(frozen=True, slots=True)
class AppealView:
    """Everything the appeal reviewer needs next to the appeal events themselves."""

    appeals: list[AppealRecord]
    decisions: dict[str, dict[str, Any]]
    enforcement: Enforcement | None

    @property
    def original_deciders(self) -> list[str]:
        """Everyone who took part in what is appealed (they may not review it)."""
        return sorted({d for a in self.appeals for d in a.original_deciders})

    @property
    def has_new_information(self) -> bool:
        """True when at least one appeal brings new information."""
        return any(a.has_new_information for a in self.appeals)


def appeal_view(conn: Connection, case_id: int) -> AppealView:
    """The appeal case's appeals, the decisions appealed and the account's enforcement."""
    records = appeals_of_case(conn, case_id)
    ids = sorted({a.decision_event_id for a in records if a.decision_event_id})
    appealed: dict[str, dict[str, Any]] = {}
    if ids:
        for row in conn.execute(select(decisions).where(decisions.c.event_id.in_(ids))):
            appealed[row.event_id] = dict(row._mapping)
    account = records[0].account_id if records else None
    return AppealView(records, appealed, current_enforcement(conn, account) if account else None)
