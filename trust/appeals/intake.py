"""Appeal intake: check what an appeal event appeals, then open or join the account's appeal case.

An appeal event arrives like any other (validated, quarantined when invalid, stored once per
``event_id``). Before it is stored it is checked against the store: the decision it names
must exist, be about the appealing account and have restricted something; without a decision
the account must have an enforcement in force; and it must come within 6 months (Art. 20).
A failing appeal is quarantined with the field and the problem. An accepted one becomes
evidence on the account's open appeal case (kind ``appeal``, its own queue and SLA), with
the people who took the original decision recorded so that they cannot review it.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from trust.cases.intake import open_or_join
from trust.decisions import Decision
from trust.enforcement import Enforcement, EnforcementSource, EnforcementState
from trust.events import AppealEvent, EventValidationIssue
from trust.intake.validation import refused_record
from trust.settings import Settings
from trust.statement import APPEAL_MONTHS
from trust.store.appeals import insert_appeals
from trust.store.enforcements import as_utc, current_enforcements, proposal_row
from trust.store.quarantine import QuarantinedRecord
from trust.store.tables import cases, decisions

APPEAL_KIND = "appeal"
RECEIVED_STATEMENT = (
    "What: your appeal was received; the decision stays in force until it is reviewed.\n"
    "Review: a member of staff who did not take the original decision will review it.\n"
    "Ground: appeals succeed with new information, a policy change or a proven error."
)


def appeal_deadline(restricted_at: datetime) -> datetime:
    """The last moment an appeal against a restriction of ``restricted_at`` is accepted."""
    moment = as_utc(restricted_at)
    month0 = moment.month - 1 + APPEAL_MONTHS
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class AppealTarget:
    """What an accepted appeal is about, resolved against the store."""

    event: AppealEvent
    decision_event_id: str | None
    appealed_state: EnforcementState
    original_case_id: int | None
    deciders: list[str]
    risk_score: float
    severity: int


def _deciders(case_row: Any) -> set[str]:
    if case_row is None:
        return set()
    resolution = case_row.resolution or {}
    return {
        name
        for name in (
            case_row.resolved_by,
            resolution.get("proposed_by"),
            resolution.get("approved_by"),
        )
        if name
    }


class AppealDesk:
    """What the pipeline calls for appeal events: ``screen`` before storing, ``open`` after."""

    def __init__(self, source: str = "queue") -> None:
        self.source = source

    def screen(
        self, conn: Connection, appeals: Sequence[AppealEvent]
    ) -> tuple[list[AppealTarget], list[QuarantinedRecord]]:
        """Split appeals into accepted ones (with their target) and refused records."""
        if not appeals:
            return [], []
        enforced = current_enforcements(conn, (a.account_id for a in appeals))
        wanted = sorted(
            {a.decision_event_id for a in appeals if a.decision_event_id}
            | {e.source_id for e in enforced.values() if e.source == EnforcementSource.DECISION}
        )
        decided = (
            {
                r.event_id: r
                for r in conn.execute(
                    select(
                        decisions.c.event_id,
                        decisions.c.subject_id,
                        decisions.c.outcome,
                        decisions.c.decided_at,
                        decisions.c.case_id,
                        decisions.c.risk_score,
                    ).where(decisions.c.event_id.in_(wanted))
                )
            }
            if wanted
            else {}
        )
        case_ids = {r.case_id for r in decided.values() if r.case_id is not None}
        case_ids |= {
            int(e.source_id) for e in enforced.values() if e.source == EnforcementSource.CASE
        }
        case_rows = (
            {
                r.id: r
                for r in conn.execute(
                    select(
                        cases.c.id,
                        cases.c.resolved_by,
                        cases.c.resolution,
                        cases.c.risk_score,
                        cases.c.severity,
                    ).where(cases.c.id.in_(sorted(case_ids)))
                )
            }
            if case_ids
            else {}
        )
        accepted: list[AppealTarget] = []
        refused: list[QuarantinedRecord] = []
        for appeal in appeals:
            found = self._target(conn, appeal, decided, enforced, case_rows)
            if isinstance(found, EventValidationIssue):
                refused.append(
                    refused_record(
                        self.source,
                        None,
                        appeal.model_dump_json(),
                        [found],
                        event_id=appeal.event_id,
                    )
                )
            else:
                accepted.append(found)
        return accepted, refused

    def _target(
        self,
        conn: Connection,
        appeal: AppealEvent,
        decided: dict[str, Any],
        enforced: dict[str, Enforcement],
        case_rows: dict[int, Any],
    ) -> AppealTarget | EventValidationIssue:
        enforcement = enforced.get(appeal.account_id)
        state = enforcement.state if enforcement is not None else EnforcementState.NONE
        decision_id = appeal.decision_event_id
        deciders: set[str] = set()
        original_case: int | None = None
        if decision_id is None:
            if enforcement is None or state == EnforcementState.NONE:
                return EventValidationIssue(
                    "decision_event_id",
                    f"required: account {appeal.account_id} has no "
                    "enforcement in force to appeal; name the decision appealed",
                )
            restricted_at = enforcement.since
            decision_id, original_case, deciders = self._enforcement_origin(conn, enforcement)
        else:
            row = decided.get(decision_id)
            if row is None:
                return EventValidationIssue(
                    "decision_event_id", f"no decision for event {decision_id}"
                )
            if row.subject_id != appeal.account_id:
                return EventValidationIssue(
                    "decision_event_id",
                    f"decision {decision_id} is about another account, not {appeal.account_id}",
                )
            if row.outcome == "allow":
                return EventValidationIssue(
                    "decision_event_id",
                    f"decision {decision_id} restricted nothing (allow); "
                    "there is nothing to appeal",
                )
            restricted_at = as_utc(row.decided_at)
        row = decided.get(decision_id) if decision_id else None
        if original_case is None and row is not None:
            original_case = row.case_id
        case_row = case_rows.get(original_case) if original_case is not None else None
        deciders |= _deciders(case_row)
        deadline = appeal_deadline(restricted_at)
        if as_utc(appeal.occurred_at) > deadline:
            return EventValidationIssue(
                "occurred_at",
                f"the {APPEAL_MONTHS}-month appeal window for the restriction "
                f"of {restricted_at:%Y-%m-%d} ended on {deadline:%Y-%m-%d}",
            )
        risk = max(
            [
                float(row.risk_score) if row is not None else 0.0,
                float(case_row.risk_score) if case_row is not None else 0.0,
            ]
        )
        return AppealTarget(
            appeal,
            decision_id,
            state,
            original_case,
            sorted(deciders - {"system"}),
            risk,
            int(case_row.severity) if case_row is not None else 0,
        )

    @staticmethod
    def _enforcement_origin(
        conn: Connection, enforcement: Enforcement
    ) -> tuple[str | None, int | None, set[str]]:
        """The decision and case behind an enforcement, and who imposed it."""
        deciders = {enforcement.actor}
        if enforcement.source == EnforcementSource.DECISION:
            return enforcement.source_id, None, deciders
        if enforcement.source == EnforcementSource.CASE:
            return None, int(enforcement.source_id), deciders
        if enforcement.source_id.startswith("proposal:"):
            proposal = proposal_row(conn, int(enforcement.source_id.split(":", 1)[1]))
            if proposal is not None:
                deciders.add(proposal.proposed_by)
        return None, None, deciders

    def open(
        self, conn: Connection, targets: Sequence[AppealTarget], settings: Settings, now: datetime
    ) -> dict[str, int]:
        """Open or join each account's appeal case; returns appeal event_id -> case id."""
        if not targets:
            return {}
        requests = [
            Decision(
                event_id=t.event.event_id,
                kind=APPEAL_KIND,
                subject_id=t.event.account_id,
                outcome="review",
                risk_score=t.risk_score,
                rule_hits=[],
                shadow_hits=[],
                signals={},
                pack_version="",
                statement_of_reasons=RECEIVED_STATEMENT,
                decided_at=now,
                severity=t.severity,
                money_at_stake=Decimal("0"),
                automated=False,
            )
            for t in targets
        ]
        opened = dict(open_or_join(conn, requests, settings, now))
        insert_appeals(
            conn,
            [
                {
                    "event_id": t.event.event_id,
                    "account_id": t.event.account_id,
                    "case_id": opened[t.event.event_id],
                    "decision_event_id": t.decision_event_id,
                    "appealed_state": t.appealed_state.value,
                    "original_case_id": t.original_case_id,
                    "original_deciders": t.deciders,
                    "has_new_information": t.event.has_new_information,
                    "received_at": now,
                }
                for t in targets
            ],
        )
        return opened
