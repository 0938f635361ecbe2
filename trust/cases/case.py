"""The case record and the one place that changes it: checked, versioned, audited."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select, update

from trust.audit import record_audit
from trust.cases.lifecycle import REOPENABLE, CaseStatus, check_transition
from trust.cases.sla import SlaState, as_utc, sla_state
from trust.errors import CaseError
from trust.settings import Settings
from trust.store.dialects import locked
from trust.store.tables import cases

_TIMES = (
    "opened_at",
    "updated_at",
    "sla_due_at",
    "sla_paused_at",
    "claimed_at",
    "lease_expires_at",
    "resolved_at",
)


@dataclass(frozen=True, slots=True)
class Case:
    """One row of ``cases``, with timestamps in UTC and money as Decimal."""

    id: int
    subject_id: str
    kind: str
    status: CaseStatus
    priority: float
    risk_score: float
    severity: int
    money_at_stake: Decimal
    currency: str | None
    reason_codes: list[str]
    evidence_count: int
    opened_at: datetime
    updated_at: datetime
    sla_due_at: datetime | None
    sla_paused_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    lease_expires_at: datetime | None
    proposed_action: dict[str, Any] | None
    proposed_by: str | None
    resolution: dict[str, Any] | None
    resolved_by: str | None
    resolved_at: datetime | None
    label: str | None
    version: int

    @classmethod
    def from_row(cls, row: Any) -> Case:
        """Build from a ``cases`` row (mapping or Row)."""
        data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
        for name in _TIMES:
            if data.get(name) is not None:
                data[name] = as_utc(data[name])
        data["status"] = CaseStatus(data["status"])
        data["money_at_stake"] = Decimal(str(data["money_at_stake"] or 0)).quantize(Decimal("0.01"))
        data["reason_codes"] = list(data.get("reason_codes") or [])
        return cls(**{f.name: data[f.name] for f in fields(cls)})

    def holder(self, now: datetime) -> str | None:
        """Who holds a live claim on the case at ``now`` (None when free or the lease ran out)."""
        if self.claimed_by and self.lease_expires_at and self.lease_expires_at > now:
            return self.claimed_by
        return None

    def sla_state(self, now: datetime, settings: Settings) -> SlaState:
        """How the case stands against its SLA at ``now``."""
        return sla_state(self.status, self.sla_due_at, now, settings, self.resolved_at)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for tables and data frames)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def load_case(conn: Connection, case_id: int, *, for_update: bool = False) -> Case:
    """The case ``case_id``; ``for_update`` locks the row on PostgreSQL. Raises CaseError."""
    stmt = select(cases).where(cases.c.id == case_id)
    if for_update:
        stmt = locked(conn, stmt)
    row = conn.execute(stmt).first()
    if row is None:
        raise CaseError(f"no case {case_id}")
    return Case.from_row(row)


def _audit_value(value: Any) -> Any:
    return value.value if isinstance(value, CaseStatus) else value


def change_case(
    conn: Connection,
    case: Case,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    now: datetime,
    details: dict[str, Any] | None = None,
    reopen: bool = False,
) -> Case:
    """Apply ``values`` to ``case`` if nobody changed it since it was read; audit before/after.

    A status change must be an allowed transition, or with ``reopen`` (undoing a bulk
    resolution) one from resolved back to a ``REOPENABLE`` state. Raises CaseError when the
    case moved on meanwhile (the caller reloads and decides again).
    """
    if reopen:
        if case.status != CaseStatus.RESOLVED or values.get("status") not in REOPENABLE:
            raise CaseError(f"case {case.id} cannot be reopened as {values.get('status')}")
    elif "status" in values and values["status"] != case.status:
        check_transition(case.status, values["status"])
    stored = {k: _audit_value(v) for k, v in values.items()}
    result = conn.execute(
        update(cases)
        .where(cases.c.id == case.id, cases.c.version == case.version)
        .values(**stored, updated_at=now, version=case.version + 1)
    )
    if result.rowcount != 1:
        raise CaseError(f"case {case.id} was changed by someone else; reload it and try again")
    before = {k: _audit_value(getattr(case, k)) for k in values}
    after = dict(stored)
    if details:
        after.update(details)
    record_audit(
        conn,
        actor=actor,
        action=action,
        target_type="case",
        target_id=case.id,
        at=now,
        before=before,
        after=after,
    )
    changed: dict[str, Any] = {
        k: (CaseStatus(v) if k == "status" else v) for k, v in values.items()
    }
    return replace(case, **changed, updated_at=now, version=case.version + 1)
