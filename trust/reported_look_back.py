"""Look-back: once several people report an account, the verification that let it in is
reviewed again.

A scammer's first profile verification is made before any victim complains, so it looks
like anyone's and is allowed. Once the account is reported as a scammer (complaints from
``REPORTED_BY`` different people within the ``WINDOW``, as the sign-up rules count a
"reported" linked account for ``linked_reported_accounts``, here only complaints that the
complaint rules read as scam reports), a trust and safety team goes back to that
verification: its document, phone, card and device are re-examined so they can be marked
and matched against returning sign-ups. This is that step, run in the pipeline's batch
transaction after the complainant look-back (``trust.reopen.LookBacks``), whose findings
it reads: a complaint flagged as abuse of the complaint process is no report.

Blocks and holds do not trigger it: every blocked account's verifications on the four
tuning worlds were flagged already, and the held accounts' allowed verifications were all
honest (32-35 a world: holds protect the victims of takeovers).

The account's profile verifications that are still allowed get a new decision version: a
hit of their own (reason ``account_reported_later``, forced to review, never block) joins
their hits, the statement of reasons says why, the marketplace hears
``decision.created``, and the decision joins the first reporting complaint's case when that
is a plain case (or else its account's own). Nothing is lowered.

Order-proof: each batch looks at every account it touches as respondent of a complaint or
subject of a verification (its own, or one a late-history re-score has just revised), and
reads every stored complaint against it, whichever arrived first. Only allowed decisions
are revised, so a second run finds nothing. Re-scoring (``trust.late_history``) and the
backtest carry the hit (``LATER_FINDINGS``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from trust.decisions import LOOK_BACK_REASON, REPORTED_LOOK_BACK_REASON, RuleHit
from trust.events import ComplaintEvent, Event, ProfileVerificationEvent
from trust.graph.neighbour_risk import REPORTED_BY, first_report
from trust.look_back import ABUSE_REASONS
from trust.pipeline import CaseOpener
from trust.reopen import Reopening, reopen_allowed
from trust.settings import Settings
from trust.store.database import read_all
from trust.store.decision_versions import Revision
from trust.store.dialects import TextIn
from trust.store.lookups import kind_is
from trust.store.tables import decisions as decisions_table
from trust.store.tables import events as events_table

REPORTED_LOOK_BACK_RULE_ID = "reported_account_look_back"
# The weight of ``pv_linked_to_reported_v1``: the same finding, seen from the account itself.
_SCORE, _SEVERITY = 50.0, 4
_POLICY = "Identity verification policy 2.6 - re-verification"
# Reason codes of live complaint rules saying the complainant reports a scam
# (rules/complaint/payments.yaml). Complaints of every kind make an account "reported" for
# the sign-up rules; here only scam reports count: on the tuning world 404, any two
# complaints reopened 29 honest verifications (non-payers, off-platform payers, the
# targets of serial complainers) for 4 planted ones.
SCAM_REASONS = frozenset({"scam_report"})
# A complaint flagged as abuse of the complaint process is no report.
_DISCOUNTED = ABUSE_REASONS | {LOOK_BACK_REASON}
_KINDS = ("complaint", "profile_verification")


@dataclass(frozen=True, slots=True)
class _Report:
    """The complaint that made an account a reported one."""

    event_id: str
    at: datetime


def _reopening(report: _Report, case_id: int | None) -> Reopening:
    hit = RuleHit(
        rule_id=REPORTED_LOOK_BACK_RULE_ID,
        reason_code=REPORTED_LOOK_BACK_REASON,
        reason=(
            f"{REPORTED_BY} or more people reported being scammed by this account (by "
            f"{report.at:%Y-%m-%d}), so the identity verification that let it in is reviewed "
            "again: its document, phone, card and device are checked so that new sign-ups "
            "using them can be recognised. On its own it raised no concern."
        ),
        score=_SCORE,
        severity=_SEVERITY,
        policy=_POLICY,
        forced_outcome="review",
    )
    return Reopening(hit, f"account reported later: complaint {report.event_id}", case_id)


def _touched(fresh: Sequence[Event], revised: Sequence[Revision]) -> set[str]:
    """Accounts a batch may have reported, or whose verification it brought."""
    accounts = {r.decision.subject_id for r in revised if r.decision.kind in _KINDS}
    for event in fresh:
        if isinstance(event, ComplaintEvent):
            accounts.add(event.respondent_id)
        elif isinstance(event, ProfileVerificationEvent):
            accounts.add(event.account_id)
    return accounts


# Built once, the account list one parameter (read_all). Both reach the rows through the
# account index of events (``kind_is`` keeps SQLite off the kind index): by kind, SQLite
# read every complaint, or every verification decision, of the whole store for a batch.
_e, _d = events_table.c, decisions_table.c
_COMPLAINTS_AGAINST = (
    select(_e.event_id, _e.subject_id, _e.counterparty_id, _e.occurred_at, _d.rule_hits)
    .join(decisions_table, _d.event_id == _e.event_id)
    .where(kind_is("complaint"), TextIn(_e.subject_id, "accounts"))
)
# A verification decision's subject is its event's (``Decision.subject_id``).
_ALLOWED_VERIFICATIONS = (
    select(_d.event_id, _e.subject_id)
    .join(decisions_table, _d.event_id == _e.event_id)
    .where(
        kind_is("profile_verification"),
        TextIn(_e.subject_id, "accounts"),
        func.coalesce(_d.outcome, "") == "allow",
    )
)


def _scam_reports(conn: Connection, accounts: Collection[str]) -> dict[str, _Report]:
    """account -> the scam report that first made it a reported one, for those reported.

    Every stored complaint against ``accounts`` is read, whenever filed; one counts when its
    decision holds a live hit saying the complainant reports a scam (``SCAM_REASONS``) and
    none saying the complainant abuses complaints (``ABUSE_REASONS``, or reopened for it).
    """
    filed: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
    rows = read_all(conn, _COMPLAINTS_AGAINST, {"accounts": sorted(accounts)})
    for event_id, respondent, complainant, at, hits in rows:
        codes = {h["reason_code"] for h in hits or ()}
        if codes & SCAM_REASONS and not codes & _DISCOUNTED:
            filed[respondent].append((event_id, complainant or "", at))
    found = {account: first_report(complaints) for account, complaints in filed.items()}
    return {a: _Report(*first) for a, first in found.items() if first is not None}


def _allowed_verifications(conn: Connection, accounts: Collection[str]) -> dict[str, str]:
    """event_id -> account, for the accounts' profile verifications still allowed."""
    rows = read_all(conn, _ALLOWED_VERIFICATIONS, {"accounts": sorted(accounts)})
    return dict(rows)


def _case_ids(conn: Connection, event_ids: Collection[str]) -> Mapping[str, int | None]:
    d = decisions_table.c
    query = select(d.event_id, d.case_id).where(d.event_id.in_(sorted(event_ids)))
    return {event_id: case_id for event_id, case_id in conn.execute(query)}


@dataclass
class ReportedAccountLookBack:
    """The pipeline's hook after a batch is decided: reopen a reported account's allowed
    profile verifications."""

    settings: Settings
    open_cases: CaseOpener

    def __call__(
        self, conn: Connection, fresh: Sequence[Event], revised: Sequence[Revision], now: datetime
    ) -> list[Revision]:
        """New versions, sent to review, of the decisions reopened; in ``conn``'s transaction."""
        touched = _touched(fresh, revised)
        reports = _scam_reports(conn, touched) if touched else {}
        verifications = _allowed_verifications(conn, reports) if reports else {}
        if not verifications:
            return []
        cases = _case_ids(conn, {reports[a].event_id for a in verifications.values()})
        found = {
            event_id: _reopening(reports[account], cases.get(reports[account].event_id))
            for event_id, account in verifications.items()
        }
        return reopen_allowed(conn, found, self.settings, self.open_cases, now)
