"""Look-back: once a complainant is flagged for abusing complaints, its earlier ones are too.

A refund spree is told apart only from its third complaint: the first two, filed against
different accounts, look like anyone's disputes when they arrive. Trust and safety teams
re-open an actor's earlier items once the actor is flagged; this is that step, run inside
the pipeline's batch transaction after the batch is decided and its late history re-scored.

When a complaint is in review or block for a live hit saying its *complainant* abuses the
complaint process (``ABUSE_REASONS``: the reason codes of the spree and serial-complainer
rules), the same complainant's complaints filed in the ``SPREE_WINDOW`` before it that are
still allowed get a new decision version: a hit of their own (reason
``complainant_flagged_later``, forced to review, never block) joins their stored hits, the
statement of reasons says why, and the marketplace hears ``decision.created``. Nothing is
lowered; a complaint in review or block keeps its decision.

The window is the spree rule's week, for both reasons: the serial-complainer rule counts 90
days, but reopening months of a complainant's disputes sent honest ones to review on the
tuning worlds and caught no planted one more. The complainant's low ratings of the accounts
it complained about are left to the review rules: on the tuning worlds as many honest ones
as planted ones would have been reopened.

Order-proof: each batch looks at every complainant it touches, whichever came first (the
flagging complaint, an earlier complaint arriving after it, or a complaint a late-history
re-score has just flagged), and reads the complainant's stored complaints a window either
side of the batch's. Only allowed decisions are revised, so a second run finds nothing.
Re-scoring (``trust.late_history``) and the backtest carry the hit (``LATER_FINDINGS``).

A reopened complaint without a case joins the flagging complaint's case when that is a
plain complaint case; a dispute case is about one contract's money, so there the complaint
opens or joins the case of its own subject instead, as any flagged decision does (a payment
dispute has its own dispute case already).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, select

from trust.decisions import LOOK_BACK_REASON, RuleHit, RuleHitRow
from trust.events import ComplaintEvent, Event
from trust.pipeline import CaseOpener
from trust.reopen import Reopening, reopen_allowed
from trust.settings import Settings
from trust.signals.history import utc
from trust.store.database import read_all
from trust.store.decision_versions import Revision
from trust.store.dialects import TextIn
from trust.store.events import load_events
from trust.store.lookups import kind_is
from trust.store.tables import decisions as decisions_table
from trust.store.tables import events as events_table

# Reason codes of live complaint rules that judge the complainant's use of the process
# (rules/complaint/abuse.yaml).
ABUSE_REASONS = frozenset({"complaint_spree", "serial_complainer"})
# How far back a flag reaches: the week over which the spree rule counts targets.
SPREE_WINDOW = timedelta(days=7)
LOOK_BACK_RULE_ID = "complainant_look_back"
_FLAGGED = ("review", "block")


@dataclass(frozen=True, slots=True)
class _Complaint:
    """A stored, decided complaint."""

    event_id: str
    complainant: str
    at: datetime
    outcome: str
    hits: tuple[RuleHitRow, ...]
    case_id: int | None

    def abuse_hit(self) -> RuleHitRow | None:
        """The live hit saying the complainant abuses complaints, if it is in review or block."""
        if self.outcome not in _FLAGGED:
            return None
        return next((h for h in self.hits if h["reason_code"] in ABUSE_REASONS), None)


@dataclass(frozen=True, slots=True)
class _Flag:
    """A complaint flagged for its complainant's abuse, with the hit that says so."""

    complaint: _Complaint
    hit: RuleHitRow


def _look_back_hit(flag: _Flag) -> RuleHit:
    """The finding on an earlier complaint, worded for the account holder."""
    return RuleHit(
        rule_id=LOOK_BACK_RULE_ID,
        reason_code=LOOK_BACK_REASON,
        reason=(
            "This complaint is part of a run of complaints by the same account against "
            f"several people. A later complaint in that run ({flag.complaint.at:%Y-%m-%d}) "
            "was sent to review as possible abuse of the complaint process, so this one is "
            "reviewed with it; on its own it raised no concern."
        ),
        score=float(flag.hit["score"]),
        severity=int(flag.hit["severity"]),
        policy=str(flag.hit["policy"]),
        forced_outcome="review",
    )


# Built once, the complainants one parameter (read_all), read through the counterparty
# index (``kind_is`` keeps SQLite off the kind index, which walked every complaint of the
# whole fortnight for a batch).
_e, _d = events_table.c, decisions_table.c
_COMPLAINTS_BY = (
    select(_e.event_id, _e.counterparty_id, _e.occurred_at, _d.outcome, _d.rule_hits, _d.case_id)
    .join(decisions_table, _d.event_id == _e.event_id)
    .where(
        kind_is("complaint"),
        TextIn(_e.counterparty_id, "complainants"),
        _e.occurred_at >= bindparam("since"),
        _e.occurred_at <= bindparam("until"),
    )
)


def _complaints(
    conn: Connection, complainants: Sequence[str], since: datetime, until: datetime
) -> list[_Complaint]:
    """Decided complaints filed by ``complainants`` in the range (the complainant is a
    complaint's counterparty: its subject is the respondent)."""
    rows = read_all(
        conn,
        _COMPLAINTS_BY,
        {"complainants": sorted(complainants), "since": since, "until": until},
    )
    return [
        _Complaint(event_id, who, utc(at), outcome, tuple(hits or ()), case_id)
        for event_id, who, at, outcome, hits, case_id in rows
    ]


def _reopened(complaints: Sequence[_Complaint]) -> dict[str, _Flag]:
    """event_id -> the earliest flag that reaches back to it, for each allowed complaint
    filed in the ``SPREE_WINDOW`` before one of its complainant's flagged complaints."""
    flags: dict[str, list[_Flag]] = defaultdict(list)
    for complaint in sorted(complaints, key=lambda c: c.at):
        hit = complaint.abuse_hit()
        if hit is not None:
            flags[complaint.complainant].append(_Flag(complaint, hit))
    found: dict[str, _Flag] = {}
    for complaint in complaints:
        if complaint.outcome != "allow":
            continue
        for flag in flags.get(complaint.complainant, ()):
            if flag.complaint.at - SPREE_WINDOW <= complaint.at <= flag.complaint.at:
                found[complaint.event_id] = flag
                break
    return found


def _touched(
    conn: Connection, fresh: Sequence[Event], revised: Sequence[Revision]
) -> list[ComplaintEvent]:
    """The batch's complaints, and those a re-score has just revised."""
    again = [r.decision.event_id for r in revised if r.decision.kind == "complaint"]
    events = [*fresh, *load_events(conn, again)] if again else list(fresh)
    return [e for e in events if isinstance(e, ComplaintEvent)]


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
        times = [utc(e.occurred_at) for e in touched]
        complaints = _complaints(
            conn,
            sorted({e.complainant_id for e in touched}),
            min(times) - SPREE_WINDOW,
            max(times) + SPREE_WINDOW,
        )
        found = {
            event_id: Reopening(
                _look_back_hit(flag),
                f"complainant flagged later: complaint {flag.complaint.event_id}",
                flag.complaint.case_id,
            )
            for event_id, flag in _reopened(complaints).items()
        }
        return reopen_allowed(conn, found, self.settings, self.open_cases, now)
