"""Linked accounts grouped by account: who shares what with an account, and where they stand.

``trust.cases.queries.linked_accounts`` returns one row per (other account, shared
identifier); staff read them per account, with every tie named and the other account's
enforcement and open cases beside it, so they can act on a whole account at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from trust.cases.queries import LINKING_KINDS, linked_accounts, open_case_counts
from trust.store.enforcements import current_enforcements
from trust.store.tables import accounts

TIE_WORDS = {
    "device": "device",
    "payment": "payment method",
    "document": "document",
    "phone": "phone",
    "email": "e-mail",
    "ip": "IP address",
}


@dataclass(frozen=True, slots=True)
class Tie:
    """One identifier two accounts share, in its masked form."""

    kind: str
    masked: str


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """Another account tied to the one being read, with every identifier that ties them."""

    account_id: str
    display_name: str | None
    status: str | None
    enforcement: str
    enforced_since: datetime | None
    open_cases: int
    last_seen_at: datetime | None
    ties: tuple[Tie, ...]

    def tie_words(self) -> str:
        """'document *****4567, payment method pm-a…' — what ties it, strongest first."""
        return ", ".join(f"{TIE_WORDS.get(t.kind, t.kind)} {t.masked}" for t in self.ties)

    def reason_words(self) -> str:
        """'document also on acct-zed, blocked 2026-02-11' — the tie named as a reason."""
        kinds = ", ".join(dict.fromkeys(TIE_WORDS.get(t.kind, t.kind) for t in self.ties))
        state = (
            f", {self.enforcement} since {self.enforced_since:%Y-%m-%d}"
            if self.enforcement != "none" and self.enforced_since
            else ""
        )
        return f"{kinds} also on {self.account_id}{state}"


def linked_groups(conn: Connection, account_id: str, *, limit: int = 200) -> list[LinkedAccount]:
    """Accounts sharing an identifier with ``account_id``: one entry each, most ties first."""
    rows = linked_accounts(conn, account_id, limit=limit)
    ties: dict[str, list[Tie]] = {}
    seen: dict[str, datetime | None] = {}
    for row in rows:
        other = str(row["account_id"])
        ties.setdefault(other, []).append(Tie(row["kind"], row["masked"]))
        last = row["last_seen_at"]
        seen[other] = max(filter(None, [seen.get(other), last]), default=None)
    ids = list(ties)
    if not ids:
        return []
    names = {
        r.account_id: r
        for r in conn.execute(
            select(accounts.c.account_id, accounts.c.display_name, accounts.c.status).where(
                accounts.c.account_id.in_(ids)
            )
        )
    }
    open_counts = open_case_counts(conn, ids)
    states = current_enforcements(conn, ids)
    order = {kind: i for i, kind in enumerate(LINKING_KINDS)}
    groups = [
        LinkedAccount(
            other,
            names[other].display_name if other in names else None,
            names[other].status if other in names else None,
            states[other].state.value if other in states else "none",
            states[other].since if other in states else None,
            int(open_counts.get(other, 0)),
            seen[other],
            tuple(sorted(found, key=lambda t: (order.get(t.kind, 99), t.masked))),
        )
        for other, found in ties.items()
    ]
    return sorted(groups, key=lambda g: (-len(g.ties), g.account_id))
