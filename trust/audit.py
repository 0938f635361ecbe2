"""The append-only audit log: who did what to which object, with the state before and after."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, func, insert, select

from trust.store.tables import audit_log

SYSTEM_ACTOR = "system"


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of ``value``: Decimals become strings, datetimes ISO text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record_audit(
    conn: Connection,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int,
    at: datetime,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit record (the table is never updated or deleted from)."""
    record_audits(
        conn,
        [
            {
                "actor": actor,
                "action": action,
                "target_type": target_type,
                "target_id": str(target_id),
                "at": at,
                "before": before,
                "after": after,
            }
        ],
    )


def record_audits(conn: Connection, records: list[dict[str, Any]]) -> None:
    """Append many audit records in one statement (same keys as ``record_audit``)."""
    if not records:
        return
    rows = [
        {
            **r,
            "target_id": str(r["target_id"]),
            "before": jsonable(r.get("before")),
            "after": jsonable(r.get("after")),
        }
        for r in records
    ]
    conn.execute(insert(audit_log), rows)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to look for in the audit log; every field left as None matches everything."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of audit records, newest first, and how many match in total."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


def search_audit(
    conn: Connection, filters: AuditFilter | None = None, *, page: int = 1, page_size: int = 50
) -> AuditPage:
    """Audit records matching ``filters``, newest first, one page at a time."""
    f = filters or AuditFilter()
    conditions = []
    if f.actor:
        conditions.append(audit_log.c.actor == f.actor)
    if f.action:
        conditions.append(audit_log.c.action == f.action)
    if f.target_type:
        conditions.append(audit_log.c.target_type == f.target_type)
    if f.target_id:
        conditions.append(audit_log.c.target_id == str(f.target_id))
    if f.since:
        conditions.append(audit_log.c.at >= f.since)
    if f.until:
        conditions.append(audit_log.c.at < f.until)
    count = select(func.count()).select_from(audit_log).where(*conditions)
    total = conn.execute(count).scalar_one()
    page = max(page, 1)
    rows = conn.execute(
        select(audit_log)
        .where(*conditions)
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).mappings()
    return AuditPage([dict(r) for r in rows], int(total), page, page_size)
