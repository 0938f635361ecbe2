"""Finding an account for staff: by id, by name, or by an identifier held in a ticket.

Staff hold what a ticket gives them: an e-mail, a phone number, a document number, an IP
address or a payment fingerprint. The store keeps those only as keyed hashes
(``account_identifiers``), so ``find_accounts`` hashes the query with the same key and looks
the hash up: an exact match, without the clear value ever being stored. Display names are
sealed at rest too: whole words are found through keyed word hashes, near misses by a fuzzy
match over the opened names. Every search is audited with the kinds of identifier tried,
never the query itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Connection, false, func, or_, select

from trust.audit import record_audit
from trust.cases.queries import AccountRow, open_case_counts
from trust.pii import PiiHasher
from trust.store.accounts import name_words
from trust.store.enforcements import current_enforcements
from trust.store.tables import account_identifiers, account_name_words, accounts

MIN_QUERY = 2
# Identifier kinds staff can search by, and the stored kinds each one is looked up in.
SEARCH_KINDS: dict[str, tuple[str, ...]] = {
    "email": ("email", "referee_email"),
    "phone": ("phone",),
    "document": ("document",),
    "ip": ("ip",),
    "payment": ("payment",),
}
NAME_SCORE_CUTOFF = 85
# Display names scanned for a fuzzy match; beyond this the search keeps to substrings.
MAX_FUZZY_NAMES = 200_000
_PHONE_SHAPE = re.compile(r"\+?[\d\s().-]{7,}")


@dataclass(frozen=True, slots=True)
class AccountHit:
    """One account a search found, how it matched, its enforcement state and open cases."""

    account_id: str
    display_name: str | None
    status: str
    role: str | None
    country: str | None
    first_seen_at: datetime
    enforcement: str
    open_cases: int
    matched_by: tuple[str, ...]


def search_accounts(
    conn: Connection, query: str, hasher: PiiHasher, *, limit: int = 50
) -> list[AccountRow]:
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
        .where(
            or_(
                id_prefix,
                accounts.c.account_id.in_(by_name) if words else false(),
            )
        )
        .order_by(exact.desc(), accounts.c.account_id)
        .limit(limit)
    )
    return [cast(AccountRow, {k: v for k, v in r._mapping.items() if k != "exact"}) for r in rows]


def account_row(conn: Connection, account_id: str) -> AccountRow | None:
    """The stored profile of ``account_id`` (None when the store has never seen it)."""
    row = conn.execute(select(accounts).where(accounts.c.account_id == account_id)).first()
    return cast(AccountRow, dict(row._mapping)) if row else None


def identifier_kinds_for(query: str) -> tuple[str, ...]:
    """The identifier kinds ``query`` could be, from its shape alone."""
    text = query.strip()
    if "@" in text:
        return ("email",)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return ("ip",)
    kinds = ["document", "payment"]
    if _PHONE_SHAPE.fullmatch(text):
        kinds.insert(0, "phone")
    return tuple(kinds)


def _by_identifier(
    conn: Connection, text: str, kinds: Sequence[str], hasher: PiiHasher, limit: int
) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for kind in kinds:
        for stored in SEARCH_KINDS[kind]:
            rows = conn.execute(
                select(account_identifiers.c.account_id)
                .where(
                    account_identifiers.c.kind == stored,
                    account_identifiers.c.value_hash == hasher.hash(stored, text),
                )
                .limit(limit)
            ).scalars()
            for account_id in rows:
                found.setdefault(account_id, set()).add(kind)
    return found


def _by_fuzzy_name(conn: Connection, text: str, limit: int) -> list[str]:
    if sum(ch.isalpha() for ch in text) < 3:
        return []
    names = dict(
        conn.execute(
            select(accounts.c.account_id, accounts.c.display_name)
            .where(accounts.c.display_name.is_not(None))
            .limit(MAX_FUZZY_NAMES)
        )
        .tuples()
        .all()
    )
    best = process.extract(
        text,
        names,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=NAME_SCORE_CUTOFF,
        limit=limit,
    )
    return [str(key) for _name, _score, key in best]


def _hits(conn: Connection, matched: dict[str, list[str]]) -> list[AccountHit]:
    ids = list(matched)
    rows = {
        r.account_id: r
        for r in conn.execute(select(accounts).where(accounts.c.account_id.in_(ids)))
    }
    open_counts = open_case_counts(conn, ids)
    states = current_enforcements(conn, ids)
    return [
        AccountHit(
            account_id,
            rows[account_id].display_name,
            rows[account_id].status,
            rows[account_id].role,
            rows[account_id].country,
            rows[account_id].first_seen_at,
            states[account_id].state.value if account_id in states else "none",
            int(open_counts.get(account_id, 0)),
            tuple(how),
        )
        for account_id, how in matched.items()
        if account_id in rows
    ]


def find_accounts(
    conn: Connection,
    query: str,
    hasher: PiiHasher,
    *,
    actor: str,
    at: datetime,
    kind: str | None = None,
    limit: int = 50,
) -> list[AccountHit]:
    """Accounts ``query`` names: by id prefix, display name (fuzzy), or an exact identifier.

    ``kind`` (one of ``SEARCH_KINDS``) searches that identifier only; without it the query's
    shape decides which identifiers are tried, along with ids and names unless it is an
    e-mail address or an IP. The search is
    audited under ``actor`` with the kinds tried and how many accounts matched.
    """
    text = query.strip()
    if kind is not None and kind not in SEARCH_KINDS:
        raise ValueError(
            f"kind: unknown identifier kind {kind!r} (expected one of {', '.join(SEARCH_KINDS)})"
        )
    if len(text) < MIN_QUERY:
        return []
    kinds = (kind,) if kind else identifier_kinds_for(text)
    matched: dict[str, list[str]] = {}
    for account_id, how in _by_identifier(conn, text, kinds, hasher, limit).items():
        matched.setdefault(account_id, []).extend(sorted(how))
    # An e-mail address or an IP is never an id or a name (and fuzzy-matches names badly).
    names_too = kind is None and kinds not in (("email",), ("ip",))
    if names_too:
        for row in search_accounts(conn, text, hasher, limit=limit):
            matched.setdefault(row["account_id"], []).append(
                "id" if row["account_id"].startswith(text) else "name"
            )
        for account_id in _by_fuzzy_name(conn, text, limit):
            how_found = matched.setdefault(account_id, [])
            if "name" not in how_found and "id" not in how_found:
                how_found.append("name")
    hits = _hits(conn, dict(list(matched.items())[:limit]))
    tried = [*kinds, *(("id", "name") if names_too else ())]
    record_audit(
        conn,
        actor=actor,
        action="account_search",
        target_type="accounts",
        target_id="search",
        at=at,
        after={
            "kinds": tried,
            "results": len(hits),
            "matched_by": sorted({how for h in hits for how in h.matched_by}),
        },
    )
    return hits
