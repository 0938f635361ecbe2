"""Look-back: once a complainant is flagged for abusing complaints, its earlier ones are too.

A refund spree is told apart only from its third complaint: the first two, filed against
different accounts, look like anyone's disputes when they arrive (and so does a 1-star
review of one of those accounts). Trust and safety teams re-open an actor's earlier items
once the actor is flagged; this is that step, run inside the pipeline's batch transaction
after the batch is decided and its late history re-scored.

When a complaint is in review or block for a live hit saying its *complainant* abuses the
complaint process (``ABUSE_WINDOWS``: the spree and serial-complainer rules' reason codes),
the same complainant's complaints that happened before it, within the window the flagging
rule counts over, and are still allowed get a new decision version: a hit of their own
(reason ``complainant_flagged_later``, forced to review, never block) joins their stored
hits, the statement of reasons says why, and the marketplace hears ``decision.created``.
So do the complainant's reviews of 1 or 2 stars in that window about an account it
complained about. Nothing is lowered; an event in review or block keeps its decision.

Order-proof: each batch looks at every complainant it touches, whichever came first (the
flagging complaint, or an earlier complaint or review arriving after it, or a complaint
that a late-history re-score has just flagged), and reads the complainant's stored
complaints around the batch's times. Only allowed decisions are revised, so a second run
finds nothing. Re-scoring (``trust.late_history``) and the backtest carry the hit
(``LATER_FINDINGS``).

A revised event without a case joins the flagging complaint's case when that is a plain
complaint case; a dispute case is about one contract's money, so there the event opens or
joins the case of its own subject instead, as any flagged decision does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, select

from trust.audit import SYSTEM_ACTOR, record_audit
from trust.decisions import LOOK_BACK_REASON, Decision, RuleHit, RuleHitRow, with_hits
from trust.events import ComplaintEvent, Event, ReviewEvent
from trust.settings import Settings
from trust.signals.context import COMPLAINT_WINDOW
from trust.signals.history import utc
from trust.store.decision_versions import Revision, stored_decisions, supersede_decisions
from trust.store.disputes import attach_to_case
from trust.store.events import load_events
from trust.store.tables import cases
from trust.store.tables import decisions as decisions_table
from trust.store.tables import events as events_table
from trust.webhooks import emit_decisions

# Reason codes of live complaint rules that judge the complainant's use of the process
# (rules/complaint/abuse.yaml), with the window each rule counts complaints over: the
# earlier complaints it counted are the ones reopened.
ABUSE_WINDOWS: Mapping[str, timedelta] = {
    "complaint_spree": timedelta(days=7),
    "serial_complainer": COMPLAINT_WINDOW,
}
LOOK_BACK_RULE_ID = "complainant_look_back"
# A review this low, by the complainant about an account it complained about, belongs to
# the spree (retaliation in stars); a 3 is an honest middling mark.
LOW_RATING = 2
_FLAGGED = ("review", "block")
_WIDEST = max(ABUSE_WINDOWS.values())


class CaseOpener(Protocol):
    """Opens or joins cases for flagged decisions (``trust.cases.open_or_join``)."""

    def __call__(
        self, conn: Connection, decisions: Sequence[Decision], settings: Settings, now: datetime
    ) -> Mapping[str, int]:
        """Map of event_id to the case it opened or joined."""
        ...


@dataclass(frozen=True, slots=True)
class _Item:
    """A stored, decided complaint or review of one complainant."""

    event_id: str
    kind: str
    complainant: str
    other: str  # the respondent of a complaint, the reviewee of a review
    at: datetime
    outcome: str
    hits: tuple[RuleHitRow, ...]
    case_id: int | None


@dataclass(frozen=True, slots=True)
class _Flag:
    """A complaint flagged for its complainant's abuse, and how far back it reaches."""

    item: _Item
    hit: RuleHitRow
    window: timedelta


def abuse_flag(item: _Item) -> _Flag | None:
    """The complaint's abuse finding (the widest-reaching one), if it is in review or block."""
    if item.kind != "complaint" or item.outcome not in _FLAGGED:
        return None
    found = [h for h in item.hits if h["reason_code"] in ABUSE_WINDOWS]
    if not found:
        return None
    hit = max(found, key=lambda h: ABUSE_WINDOWS[h["reason_code"]])
    return _Flag(item, hit, ABUSE_WINDOWS[hit["reason_code"]])


def look_back_hit(kind: str, flag: _Flag) -> RuleHit:
    """The finding on an earlier event, worded for the account holder."""
    when = f"{flag.item.at:%Y-%m-%d}"
    what = (
        "This complaint"
        if kind == "complaint"
        else "This low rating of an account the author also complained about"
    )
    return RuleHit(
        rule_id=LOOK_BACK_RULE_ID,
        reason_code=LOOK_BACK_REASON,
        reason=(
            f"{what} is part of a run of complaints by the same account against several "
            f"people. A later complaint in that run ({when}) was sent to review as possible "
            "abuse of the complaint process, so this one is reviewed with it; on its own it "
            "raised no concern."
        ),
        score=float(flag.hit["score"]),
        severity=int(flag.hit["severity"]),
        policy=str(flag.hit["policy"]),
        forced_outcome="review",
    )


def _items(
    conn: Connection, kind: str, accounts: Sequence[str], since: datetime, until: datetime
) -> list[_Item]:
    """Decided events of ``kind`` by ``accounts`` (complainants, reviewers) in the range."""
    e, d = events_table.c, decisions_table.c
    # A complaint's subject is its respondent, a review's its reviewer.
    author, other = (
        (e.counterparty_id, e.subject_id)
        if kind == "complaint"
        else (
            e.subject_id,
            e.counterparty_id,
        )
    )
    query = (
        select(e.event_id, author, other, e.occurred_at, d.outcome, d.rule_hits, d.case_id)
        .join(decisions_table, d.event_id == e.event_id)
        .where(
            e.kind == kind,
            author.in_(sorted(accounts)),
            e.occurred_at >= since,
            e.occurred_at <= until,
        )
    )
    if kind != "complaint":
        query = query.where(d.outcome == "allow")
    return [
        _Item(event_id, kind, who, whom, utc(at), outcome, tuple(hits or ()), case_id)
        for event_id, who, whom, at, outcome, hits, case_id in conn.execute(query)
    ]


def _low_ratings(conn: Connection, reviews: Sequence[_Item]) -> list[_Item]:
    """The reviews of ``LOW_RATING`` stars or fewer (the rating is in the sealed payload)."""
    if not reviews:
        return []
    low = {
        event.event_id
        for event in load_events(conn, [r.event_id for r in reviews])
        if isinstance(event, ReviewEvent) and event.rating <= LOW_RATING
    }
    return [r for r in reviews if r.event_id in low]


def reopened(complaints: Sequence[_Item], reviews: Sequence[_Item]) -> dict[str, _Flag]:
    """event_id -> the earliest flagging complaint that reaches back to it, for each allowed
    complaint and low review (``reviews``) that one of its complainant's flags covers."""
    flags: dict[str, list[_Flag]] = defaultdict(list)
    mine: dict[str, list[_Item]] = defaultdict(list)
    for item in complaints:
        mine[item.complainant].append(item)
        flag = abuse_flag(item)
        if flag is not None:
            flags[item.complainant].append(flag)
    found: dict[str, _Flag] = {}
    for item in [*complaints, *reviews]:
        if item.outcome != "allow":
            continue
        for flag in sorted(flags.get(item.complainant, ()), key=lambda f: f.item.at):
            if not flag.item.at - flag.window <= item.at <= flag.item.at:
                continue
            if item.kind == "review" and item.other not in {
                c.other
                for c in mine[item.complainant]
                if flag.item.at - flag.window <= c.at <= flag.item.at
            }:
                continue
            found[item.event_id] = flag
            break
    return found


def _touched(conn: Connection, fresh: Sequence[Event], revised: Sequence[Revision]) -> list[Event]:
    """The batch's complaints and low reviews, and the complaints a re-score just revised."""
    again = [r.decision.event_id for r in revised if r.decision.kind == "complaint"]
    events = [*fresh, *load_events(conn, again)] if again else list(fresh)
    return [
        e
        for e in events
        if isinstance(e, ComplaintEvent) or (isinstance(e, ReviewEvent) and e.rating <= LOW_RATING)
    ]


def _author(event: Event) -> str:
    return event.complainant_id if isinstance(event, ComplaintEvent) else event.account_ids[0]


@dataclass
class ComplainantLookBack:
    """The pipeline's hook after a batch is decided: reopen what a flagged complainant filed
    earlier in its spree."""

    settings: Settings
    open_cases: CaseOpener

    def __call__(
        self, conn: Connection, fresh: Sequence[Event], revised: Sequence[Revision], now: datetime
    ) -> list[Revision]:
        """New versions, sent to review, of the decisions reopened; in ``conn``'s transaction."""
        touched = _touched(conn, fresh, revised)
        if not touched:
            return []
        accounts = sorted({_author(e) for e in touched})
        times = [utc(e.occurred_at) for e in touched]
        since, until = min(times) - _WIDEST, max(times) + _WIDEST
        complaints = _items(conn, "complaint", accounts, since, until)
        flagged = sorted({i.complainant for i in complaints if abuse_flag(i) is not None})
        if not flagged:
            return []
        reviews = _low_ratings(conn, _items(conn, "review", flagged, since, until))
        found = reopened(complaints, reviews)
        if not found:
            return []
        allowed = stored_decisions(conn, list(found), outcome="allow")
        revisions = [
            Revision(
                with_hits(d, [look_back_hit(d.kind, found[d.event_id])]),
                f"complainant flagged later: complaint {found[d.event_id].item.event_id}",
            )
            for d in sorted(allowed.values(), key=lambda d: d.event_id)
        ]
        supersede_decisions(conn, revisions, now)
        self._attach(conn, [r.decision for r in revisions], found, now)
        emit_decisions(conn, [r.decision for r in revisions], now)
        return revisions

    def _attach(
        self,
        conn: Connection,
        revised: Sequence[Decision],
        found: Mapping[str, _Flag],
        now: datetime,
    ) -> None:
        """Each revised decision without a case joins the flagging complaint's plain
        complaint case, or else opens or joins its own subject's."""
        homeless = [d for d in revised if d.case_id is None]
        targets = {found[d.event_id].item.case_id for d in homeless} - {None}
        plain = (
            set(
                conn.execute(
                    select(cases.c.id).where(cases.c.id.in_(targets), cases.c.kind != "dispute")
                ).scalars()
            )
            if targets
            else set()
        )
        joining: dict[int, list[Decision]] = defaultdict(list)
        own: list[Decision] = []
        for decision in homeless:
            case_id = found[decision.event_id].item.case_id
            if case_id is not None and case_id in plain:
                joining[case_id].append(decision)
            else:
                own.append(decision)
        for case_id, group in sorted(joining.items()):
            ids = [d.event_id for d in group]
            attach_to_case(conn, case_id, ids, now)
            record_audit(
                conn,
                actor=SYSTEM_ACTOR,
                action="evidence_added",
                target_type="case",
                target_id=case_id,
                at=now,
                after={"events": ids, "reason": LOOK_BACK_REASON},
            )
            for decision in group:
                decision.case_id = case_id
        if own:
            opened = self.open_cases(conn, own, self.settings, now)
            for decision in own:
                decision.case_id = opened.get(decision.event_id, decision.case_id)
