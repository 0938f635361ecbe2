"""Finding an account for staff: by id prefix or by a piece of the public display name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, or_, select

from trust.store.tables import accounts

MIN_QUERY = 2


def search_accounts(conn: Connection, query: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Accounts whose id starts with ``query`` or whose display name contains it.

    An exact id comes first. Personal data (e-mails, documents) is never searched here:
    those are stored only as keyed hashes and found through the linked-accounts view.
    """
    text = query.strip()
    if len(text) < MIN_QUERY:
        return []
    pattern = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    exact = (accounts.c.account_id == text).label("exact")
    # A range, not LIKE, for the id: it uses the primary-key index and is case-sensitive on
    # both databases (SQLite's LIKE ignores case, PostgreSQL's does not).
    id_prefix = (accounts.c.account_id >= text) & (accounts.c.account_id < text + "\U0010ffff")
    rows = conn.execute(
        select(accounts, exact)
        .where(or_(
            id_prefix,
            func.lower(accounts.c.display_name).like(f"%{pattern}%", escape="\\"),
        ))
        .order_by(exact.desc(), accounts.c.account_id)
        .limit(limit)
    )
    return [{k: v for k, v in r._mapping.items() if k != "exact"} for r in rows]
