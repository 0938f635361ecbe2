"""Answers kept per ``Idempotency-Key``, so a retried API request gets the first answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import api_idempotency


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """The status and JSON body first returned for a key."""

    status_code: int
    body: Any


def kept_answer(
    conn: Connection, key_id: int, idempotency_key: str, route: str
) -> KeptAnswer | None:
    """The answer already given to (API key, Idempotency-Key, route), if any."""
    row = conn.execute(
        select(api_idempotency.c.status_code, api_idempotency.c.body).where(
            api_idempotency.c.key_id == key_id,
            api_idempotency.c.idempotency_key == idempotency_key,
            api_idempotency.c.route == route,
        )
    ).first()
    return KeptAnswer(row.status_code, row.body) if row is not None else None


def keep_answer(
    conn: Connection,
    key_id: int,
    idempotency_key: str,
    route: str,
    answer: KeptAnswer,
    now: datetime,
) -> None:
    """Keep the first answer for the key (a concurrent twin's answer is not overwritten)."""
    insert_ignoring_duplicates(
        conn,
        api_idempotency,
        [
            {
                "key_id": key_id,
                "idempotency_key": idempotency_key,
                "route": route,
                "status_code": answer.status_code,
                "body": answer.body,
                "created_at": now,
            }
        ],
        ["key_id", "idempotency_key", "route"],
    )
