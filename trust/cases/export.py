"""The case queue as machine-readable rows: one JSON object per case (``trust cases export``).

Every case has ``case_id``, ``kind``, ``status``, ``subject``, ``event_ids`` (its evidence,
oldest first), the risk, reasons and times. A dispute adds its money: ``contract_id``,
``milestone_id``, ``currency``, ``amount_in_escrow``, its process ``stage`` and, once
resolved, ``released`` and ``refunded``; amounts are decimal strings. ``linked_case_ids``
lists the other cases about the same subject (a dispute's respondent): linked, not merged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, select

from trust.audit import jsonable
from trust.cases.sla import as_utc
from trust.store.disputes import load_disputes
from trust.store.tables import DISPUTE_KIND, case_evidence, cases

PAGE = 1000


@dataclass(frozen=True, slots=True)
class CaseExport:
    """One exported case; the dispute fields are None for other kinds."""

    case_id: int
    kind: str
    status: str
    subject: str
    event_ids: list[str]
    linked_case_ids: list[int]
    risk_score: float
    severity: int
    reason_codes: list[str]
    opened_at: str
    resolved_at: str | None
    label: str | None
    contract_id: str | None = None
    milestone_id: str | None = None
    currency: str | None = None
    amount_in_escrow: str | None = None
    stage: str | None = None
    released: str | None = None
    refunded: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON object printed for this case (dispute fields only on disputes)."""
        data = asdict(self)
        if self.kind != DISPUTE_KIND:
            for key in (
                "contract_id",
                "milestone_id",
                "currency",
                "amount_in_escrow",
                "stage",
                "released",
                "refunded",
            ):
                data.pop(key)
        return dict(jsonable(data))


def _evidence(conn: Connection, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ids}
    rows = conn.execute(
        select(case_evidence.c.case_id, case_evidence.c.event_id)
        .where(case_evidence.c.case_id.in_(ids))
        .order_by(case_evidence.c.id)
    )
    for case_id, event_id in rows:
        found[int(case_id)].append(event_id)
    return found


def _linked(conn: Connection, subjects: set[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    rows = conn.execute(
        select(cases.c.subject_id, cases.c.id)
        .where(cases.c.subject_id.in_(sorted(subjects)))
        .order_by(cases.c.id)
    )
    for subject, case_id in rows:
        found.setdefault(subject, []).append(int(case_id))
    return found


def export_cases(
    conn: Connection, *, status: str | None = None, kind: str | None = None
) -> Iterator[CaseExport]:
    """Every case matching the filters, by id, read a page at a time."""
    after = 0
    while True:
        stmt = select(cases).where(cases.c.id > after).order_by(cases.c.id).limit(PAGE)
        if status:
            stmt = stmt.where(cases.c.status == status)
        if kind:
            stmt = stmt.where(cases.c.kind == kind)
        rows = conn.execute(stmt).all()
        if not rows:
            return
        ids = [int(r.id) for r in rows]
        evidence = _evidence(conn, ids)
        linked = _linked(conn, {r.subject_id for r in rows})
        disputes = load_disputes(conn, [int(r.id) for r in rows if r.kind == DISPUTE_KIND])
        for row in rows:
            dispute = disputes.get(int(row.id))
            money: dict[str, Any] = {}
            if dispute is not None:
                money = {
                    "contract_id": dispute.contract_id,
                    "milestone_id": dispute.milestone_id,
                    "currency": dispute.currency,
                    "amount_in_escrow": str(dispute.amount_in_escrow),
                    "stage": dispute.stage.value,
                    "released": None if dispute.released is None else str(dispute.released),
                    "refunded": None if dispute.refunded is None else str(dispute.refunded),
                }
            yield CaseExport(
                case_id=int(row.id),
                kind=row.kind,
                status=row.status,
                subject=row.subject_id,
                event_ids=evidence[int(row.id)],
                linked_case_ids=[i for i in linked.get(row.subject_id, []) if i != row.id],
                risk_score=float(row.risk_score),
                severity=int(row.severity),
                reason_codes=list(row.reason_codes or []),
                opened_at=as_utc(row.opened_at).isoformat(),
                resolved_at=as_utc(row.resolved_at).isoformat() if row.resolved_at else None,
                label=row.label,
                **money,
            )
        after = ids[-1]
