"""Linked accounts grouped by account: who shares what with an account, and where they stand.

``trust.cases.queries.linked_accounts`` returns one row per (other account, shared
identifier); staff read them per account, with every tie named and the other account's
enforcement and open cases beside it, so they can act on a whole account at once: hold
them, propose blocking them (``trust.enforcement_actions``), or open a case on them
(``open_linked_case``).

``links_as_of`` answers the same question at one past instant, for the reasons of a decision
("document also on acct-zed, blocked 2026-02-11"): only identifiers seen by then, and each
account's enforcement as it stood just before the decision, never a later fact.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from trust.audit import record_audit
from trust.cases.case import load_case
from trust.cases.clusters import record_clusters
from trust.cases.queries import LINKING_KINDS, linked_accounts, open_case_counts
from trust.cases.workflow import add_note
from trust.errors import CaseError
from trust.graph.clusters import Cluster, cluster_id_of
from trust.graph.clusters import Tie as GraphTie
from trust.settings import Settings
from trust.staff.roles import HasRole, Permission, require
from trust.store.database import as_utc
from trust.store.enforcements import current_enforcements
from trust.store.tables import account_identifiers, accounts, enforcement_history

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
        other = row.account_id
        ties.setdefault(other, []).append(Tie(row.kind, row.masked))
        seen[other] = max(filter(None, [seen.get(other), row.last_seen_at]), default=None)
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


# The identifiers each linked-account reason counts (``rules/profile_verification/links.yaml``);
# ``None``: any identifier but an IP, naming only the accounts in that enforcement state.
REASON_TIES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "duplicate_document": (("document",), None),
    "duplicate_phone": (("phone",), None),
    "duplicate_payment": (("payment",), None),
    "shared_device": (("device",), None),
    "crowded_ip": (("ip",), None),
    # Accounts opened lately on the same device, card, phone, document or connection.
    "sibling_signups": (("document", "phone", "device", "payment", "ip"), None),
    "multiple_links": (("document", "phone", "device", "payment"), None),
    "linked_to_blocked_account": (("document", "phone", "device", "payment"), "block"),
    "linked_to_held_account": (("document", "phone", "device", "payment"), "hold"),
}
ENFORCEMENT_WORDS = {"none": "no restriction", "hold": "on hold", "block": "blocked"}


@dataclass(frozen=True, slots=True)
class LinkThen:
    """Another account tied to one at a past instant, and its enforcement just before it."""

    account_id: str
    kinds: tuple[str, ...]
    enforcement: str
    since: datetime | None

    def words(self, kinds: tuple[str, ...] | None = None) -> str:
        """'document also on acct-zed, blocked 2026-02-11' (``kinds``: the ties to name)."""
        named = [k for k in self.kinds if kinds is None or k in kinds]
        ties = ", ".join(TIE_WORDS.get(k, k) for k in named)
        state = ENFORCEMENT_WORDS.get(self.enforcement, self.enforcement)
        when = f" {self.since:%Y-%m-%d}" if self.enforcement != "none" and self.since else ""
        return f"{ties} also on {self.account_id}, {state}{when}"


def links_as_of(
    conn: Connection, account_id: str, seen_at: datetime, decided_at: datetime
) -> list[LinkThen]:
    """Accounts sharing an identifier ``account_id`` presented at ``seen_at`` (an event's
    time), each with the enforcement in force strictly before ``decided_at``.

    Identifiers first seen after ``seen_at`` — on either account — and enforcement changes
    at or after ``decided_at`` (the decision's own batch included) are left out, as the
    signals leave them out.
    """
    seen_at, decided_at = as_utc(seen_at), as_utc(decided_at)
    mine = (
        select(account_identifiers.c.kind, account_identifiers.c.value_hash)
        .where(
            account_identifiers.c.account_id == account_id,
            account_identifiers.c.first_seen_at <= seen_at,
            account_identifiers.c.last_seen_at >= seen_at,
        )
        .subquery()
    )
    other = account_identifiers.alias("other")
    ties: dict[str, list[str]] = {}
    for other_id, kind in conn.execute(
        select(other.c.account_id, other.c.kind)
        .join(mine, (mine.c.kind == other.c.kind) & (mine.c.value_hash == other.c.value_hash))
        .where(other.c.account_id != account_id, other.c.first_seen_at <= seen_at)
        .order_by(other.c.account_id, other.c.kind)
    ):
        ties.setdefault(str(other_id), []).append(str(kind))
    if not ties:
        return []
    then: dict[str, tuple[str, datetime]] = {}
    for row in conn.execute(
        select(
            enforcement_history.c.account_id, enforcement_history.c.state, enforcement_history.c.at
        )
        .where(
            enforcement_history.c.account_id.in_(list(ties)),
            enforcement_history.c.at < decided_at,
        )
        .order_by(enforcement_history.c.at, enforcement_history.c.id)
    ):
        then[row.account_id] = (row.state, as_utc(row.at))
    order = {kind: i for i, kind in enumerate(LINKING_KINDS)}
    return [
        LinkThen(
            other_id,
            tuple(sorted(set(kinds), key=lambda k: order.get(k, 99))),
            then[other_id][0] if other_id in then else "none",
            then[other_id][1] if other_id in then else None,
        )
        for other_id, kinds in sorted(ties.items(), key=lambda t: (-len(t[1]), t[0]))
    ]


def named_in_reason(reason_code: str, links: list[LinkThen], *, most: int = 3) -> str | None:
    """The accounts a linked-account reason counted, named: 'document also on acct-zed,
    blocked 2026-02-11; …' (None for a reason about something else, or nothing found)."""
    if reason_code not in REASON_TIES:
        return None
    kinds, state = REASON_TIES[reason_code]
    counted = [
        link
        for link in links
        if set(link.kinds) & set(kinds) and (state is None or link.enforcement == state)
    ]
    if not counted:
        return None
    named = "; ".join(link.words(kinds) for link in counted[:most])
    return named + (f"; and {len(counted) - most} more" if len(counted) > most else "")


# The reason a case opened on linked accounts carries (a cluster found by shared identity).
LINKED_CASE_REASON = "shared_identity"


def open_linked_case(
    conn: Connection,
    staff: HasRole,
    account_id: str,
    linked_ids: Collection[str],
    reason: str,
    settings: Settings,
    now: datetime,
    *,
    source_case_id: int | None = None,
) -> int:
    """Open a case on ``account_id`` and chosen linked accounts; returns its id.

    The case is a cluster (``ring``) case — accounts worked and acted on together — whose
    members are the account and the chosen ones, each listed with the identifiers tying it
    (masked); accounts already in an unresolved cluster case join that case instead. A note
    cites the ties, the reason and ``source_case_id`` (the case the analyst came from), and
    the action is audited.
    """
    require(staff, Permission.ACT_ON_LINKED)
    chosen = sorted(set(linked_ids) - {account_id})
    if not chosen:
        raise CaseError("account_ids: choose at least one linked account")
    if not reason.strip():
        raise CaseError("reason: say why these accounts need a case")
    if source_case_id is not None:
        load_case(conn, source_case_id)
    groups = {g.account_id: g for g in linked_groups(conn, account_id)}
    unlinked = [a for a in chosen if a not in groups]
    if unlinked:
        raise CaseError(
            f"account_ids: {', '.join(unlinked)} shares no identifier with {account_id}"
        )
    ties: dict[str, tuple[GraphTie, ...]] = {
        a: (
            GraphTie(
                account_id,
                tuple(t.kind for t in groups[a].ties),
                tuple(t.masked for t in groups[a].ties),
            ),
        )
        for a in chosen
    }
    ties[account_id] = tuple(
        GraphTie(a, tuple(t.kind for t in groups[a].ties), tuple(t.masked for t in groups[a].ties))
        for a in chosen
    )
    members = tuple(sorted([account_id, *chosen]))
    cluster = Cluster(cluster_id_of(members), members, ties, 0, 0.0, (LINKED_CASE_REASON,))
    report = record_clusters(conn, [cluster], settings, now)
    case_id = report.cluster_cases[cluster.cluster_id]
    cited = f" Source case #{source_case_id}." if source_case_id is not None else ""
    add_note(
        conn,
        case_id,
        staff,
        f"Opened from the account {account_id} with linked accounts: "
        + "; ".join(groups[a].reason_words() for a in chosen)
        + f". Reason: {reason.strip()}.{cited}",
        now,
    )
    record_audit(
        conn,
        actor=staff.username,
        action="linked_case_opened",
        target_type="case",
        target_id=case_id,
        at=now,
        after={
            "account_id": account_id,
            "linked": chosen,
            "ties": {a: [t.kind for t in groups[a].ties] for a in chosen},
            "source_case_id": source_case_id,
            "joined": case_id in report.joined,
            "reason": reason.strip(),
        },
    )
    return case_id
