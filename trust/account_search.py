"""Finding an account for staff: by id prefix or by words of its display name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, false, func, or_, select

from trust.pii import PiiHasher
from trust.store.accounts import name_words
from trust.store.tables import account_name_words, accounts

MIN_QUERY = 2


def search_accounts(
    conn: Connection, query: str, hasher: PiiHasher, *, limit: int = 50
) -> list[dict[str, Any]]:
    """Accounts whose id starts with ``query`` or whose display name has all its words.

    An exact id comes first. Display names are sealed at rest, so they are matched by keyed
    hashes of whole words ('alice' finds 'Alice W.', 'ali' does not). E-mails and
    documents are never searched here: they are found through the linked-accounts view.
    """
    text = query.strip()
    if len(text) < MIN_QUERY:
        return []
    exact = (accounts.c.account_id == text).label("exact")
    words = name_words(text)
    by_name = (
        select(account_name_words.c.account_id)
        .where(account_name_words.c.word_hash.in_([hasher.hash("name_word", w) for w in words]))
        .group_by(account_name_words.c.account_id)
        .having(func.count() == len(words))
    )
    # A range, not LIKE, for the id: it uses the primary-key index and is case-sensitive on
    # both databases (SQLite's LIKE ignores case, PostgreSQL's does not).
    id_prefix = (accounts.c.account_id >= text) & (accounts.c.account_id < text + "\U0010ffff")
    rows = conn.execute(
        select(accounts, exact)
        .where(or_(
            id_prefix,
            accounts.c.account_id.in_(by_name) if words else false(),
        ))
        .order_by(exact.desc(), accounts.c.account_id)
        .limit(limit)
    )
    return [{k: v for k, v in r._mapping.items() if k != "exact"} for r in rows]
