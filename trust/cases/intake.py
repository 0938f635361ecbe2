"""Turning flagged decisions into cases: open a new one or join the subject's open case.

Called by the pipeline inside its batch transaction, after the decisions are inserted.
A burst of 50 flagged reviews by one account becomes one case with 50 pieces of evidence.
Safe to call again with the same decisions (evidence is unique per event, and an event
already attached to any case maps to that case) and under concurrent workers: the partial
unique index ``uq_cases_open_subject`` allows one unresolved case per (subject, kind); a
worker that loses the race to open it re-reads the winner's case and joins it. The steps of
an account takeover (``TAKEOVER_CHAIN_KINDS``) share one case per account: two workers
opening different steps' cases at the same moment can still leave two, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, literal_column, select, update

from trust.audit import SYSTEM_ACTOR, record_audits
from trust.cases.case import Case
from trust.cases.filters import UNRESOLVED_SQL
from trust.cases.lifecycle import CaseStatus
from trust.cases.priority import priority_key
from trust.cases.sla import as_utc, due_at, resumed_due_at
from trust.decisions import Decision
from trust.settings import Settings
from trust.store.database import insert_ignoring_duplicates, read_all
from trust.store.dialects import TextIn, locked, upsert
from trust.store.tables import case_evidence, case_reasons, cases
from trust.store.tables import decisions as decisions_table

Key = tuple[str, str]
# The steps of an account takeover: a sign-in, a credential change, a new payout method and
# a withdrawal are one story about one account, so a flagged step joins the account's open
# case of any of these kinds instead of opening one per kind. A case opened by several
# steps at once takes the most urgent kind (the shortest SLA); a later, more urgent step
# brings the due time forward.
TAKEOVER_CHAIN_KINDS = frozenset(
    {"sign_in", "credential_change", "payout_method_change", "withdrawal_request"}
)
# The WHERE of uq_cases_open_subject, inline so both databases match the partial index.
OPEN_MERGED_SQL = UNRESOLVED_SQL & (cases.c.kind != literal_column("'dispute'"))


# Built once, the event ids one bind parameter (no statement built per batch).
_ATTACHED = select(case_evidence.c.event_id, case_evidence.c.case_id).where(
    TextIn(case_evidence.c.event_id, "ids")
)


def _attached(conn: Connection, event_ids: list[str]) -> dict[str, int]:
    if not event_ids:
        return {}
    rows = read_all(conn, _ATTACHED, {"ids": event_ids})
    return {event_id: int(case_id) for event_id, case_id in rows}


def _open_cases(conn: Connection, keys: Sequence[Key]) -> dict[Key, Case]:
    subjects = sorted({s for s, _ in keys})
    # Keys are event kinds, never 'dispute': OPEN_MERGED_SQL selects the same cases as
    # UNRESOLVED_SQL, and lets the database find them through the open-case index by
    # subject (uq_cases_open_subject) instead of walking every open case of the kinds.
    stmt = (
        select(cases)
        .where(
            OPEN_MERGED_SQL,
            cases.c.subject_id.in_(subjects),
            cases.c.kind.in_({k for _, k in keys}),
        )
        .order_by(cases.c.id)
    )
    # Locked in id order, so workers touching the same cases queue instead of deadlocking.
    stmt = locked(conn, stmt)
    wanted = set(keys)
    found = (Case.from_row(r) for r in conn.execute(stmt))
    return {(c.subject_id, c.kind): c for c in found if (c.subject_id, c.kind) in wanted}


def _case_keys(
    conn: Connection, pending: list[Decision], settings: Settings, now: datetime
) -> dict[str, Key]:
    """event_id -> the (subject, case kind) each flagged decision goes to."""
    keys = {d.event_id: (d.subject_id, d.kind) for d in pending}
    chained = [d for d in pending if d.kind in TAKEOVER_CHAIN_KINDS]
    if not chained:
        return keys
    subjects = sorted({d.subject_id for d in chained})
    rows = conn.execute(
        select(cases.c.subject_id, cases.c.kind)
        .where(
            OPEN_MERGED_SQL,
            cases.c.subject_id.in_(subjects),
            cases.c.kind.in_(sorted(TAKEOVER_CHAIN_KINDS)),
        )
        .order_by(cases.c.id.desc())
    )
    # The oldest open case of the chain wins (rows come newest first).
    chain_kind = {subject: kind for subject, kind in rows}
    for subject in subjects:
        if subject not in chain_kind:
            kinds = {d.kind for d in chained if d.subject_id == subject}
            chain_kind[subject] = min(sorted(kinds), key=lambda k: due_at(k, now, settings))
    for d in chained:
        keys[d.event_id] = (d.subject_id, chain_kind[d.subject_id])
    return keys


def _open_new(conn: Connection, keys: list[Key], settings: Settings, now: datetime) -> None:
    rows = []
    for subject_id, kind in sorted(keys):
        due = due_at(kind, now, settings)
        rows.append(
            {
                "subject_id": subject_id,
                "kind": kind,
                "status": CaseStatus.OPEN.value,
                "priority": priority_key(0.0, 0, 0, due),
                "risk_score": 0.0,
                "severity": 0,
                "money_at_stake": Decimal("0"),
                "currency": None,
                "reason_codes": [],
                "evidence_count": 0,
                "opened_at": now,
                "updated_at": now,
                "sla_due_at": due,
                "version": 1,
            }
        )
    stmt = upsert(conn, cases).on_conflict_do_nothing(
        index_elements=["subject_id", "kind"], index_where=OPEN_MERGED_SQL
    )
    conn.execute(stmt, rows)


def _merged(case: Case, group: list[Decision], settings: Settings, now: datetime) -> dict[str, Any]:
    risk = max([case.risk_score, *(d.risk_score for d in group)])
    severity = max([case.severity, *(d.severity for d in group)])
    money = max([case.money_at_stake, *(Decimal(d.money_at_stake) for d in group)])
    currency = case.currency or next((d.currency for d in group if d.currency), None)
    codes = list(dict.fromkeys([*case.reason_codes, *(c for d in group for c in d.reason_codes)]))
    values: dict[str, Any] = {
        "risk_score": risk,
        "severity": severity,
        "money_at_stake": money,
        "currency": currency,
        "reason_codes": codes,
        "evidence_count": case.evidence_count + len(group),
    }
    due = case.sla_due_at
    if case.status == CaseStatus.WAITING_ON_USER:
        # New evidence from the user (a fresh verification, say) answers the request.
        paused = case.sla_paused_at or now
        due = resumed_due_at(case.kind, due or now, paused, now, settings) if due else None
        values.update(status=CaseStatus.OPEN.value, sla_due_at=due, sla_paused_at=None)
    # A more urgent step of a takeover chain joining the case brings its due time forward.
    joined = [due_at(d.kind, now, settings) for d in group if d.kind != case.kind]
    if joined and due is not None and min(joined) < as_utc(due):
        due = min(joined)
        values["sla_due_at"] = due
    values["priority"] = priority_key(risk, severity, money, due)
    return values


def open_or_join(
    conn: Connection, decisions: Sequence[Decision], settings: Settings, now: datetime
) -> dict[str, int]:
    """Attach every flagged decision to a case; returns event_id -> case_id for flagged ones.

    Also sets ``decisions.case_id`` (and ``Decision.case_id``) and writes one audit record
    per case opened or joined.
    """
    now = as_utc(now)
    # An event repeated inside one batch is one piece of evidence.
    flagged = list({d.event_id: d for d in decisions if d.flagged}.values())
    if not flagged:
        return {}
    result = _attached(conn, [d.event_id for d in flagged])
    pending = [d for d in flagged if d.event_id not in result]
    keys = _case_keys(conn, pending, settings, now) if pending else {}
    groups: dict[Key, list[Decision]] = {}
    for d in pending:
        groups.setdefault(keys[d.event_id], []).append(d)
    if groups:
        open_cases = _open_cases(conn, list(groups))
        missing = [k for k in groups if k not in open_cases]
        if missing:
            _open_new(conn, missing, settings, now)
            open_cases.update(_open_cases(conn, missing))
        audits = []
        # Each kind of write is one statement for the whole batch (executemany), not one per
        # case: a batch touches dozens of cases and statement overhead held the write lock.
        case_updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        reason_rows: list[dict[str, Any]] = []
        evidence_rows: list[dict[str, Any]] = []
        attached: list[dict[str, Any]] = []
        for key in sorted(groups, key=lambda k: open_cases[k].id):
            case, group = open_cases[key], groups[key]
            values = _merged(case, group, settings, now)
            case_updates.setdefault(tuple(sorted(values)), []).append(
                {"case_id_": case.id, **{f"new_{k}": v for k, v in values.items()}}
            )
            ids = [d.event_id for d in group]
            reason_rows += [
                {"case_id": case.id, "reason_code": code}
                for code in values["reason_codes"]
                if code not in case.reason_codes
            ]
            evidence_rows += [{"case_id": case.id, "event_id": e, "added_at": now} for e in ids]
            attached += [{"event_id_": e, "case_id_": case.id} for e in ids]
            result.update(dict.fromkeys(ids, case.id))
            fresh = case.evidence_count == 0
            audits.append(
                {
                    "actor": SYSTEM_ACTOR,
                    "action": "case_opened" if fresh else "evidence_added",
                    "target_type": "case",
                    "target_id": case.id,
                    "at": now,
                    "before": None
                    if fresh
                    else {
                        "status": case.status.value,
                        "evidence_count": case.evidence_count,
                        "risk_score": case.risk_score,
                        "severity": case.severity,
                    },
                    "after": {
                        "status": values.get("status", case.status.value),
                        "evidence_count": values["evidence_count"],
                        "risk_score": values["risk_score"],
                        "severity": values["severity"],
                        "events": ids,
                    },
                }
            )
        for columns, rows in case_updates.items():
            conn.execute(
                update(cases)
                .where(cases.c.id == bindparam("case_id_"))
                .values(
                    {
                        **{c: bindparam(f"new_{c}", type_=cases.c[c].type) for c in columns},
                        "updated_at": now,
                        "version": cases.c.version + 1,
                    }
                ),
                rows,
            )
        insert_ignoring_duplicates(conn, case_reasons, reason_rows, ["case_id", "reason_code"])
        insert_ignoring_duplicates(conn, case_evidence, evidence_rows, ["case_id", "event_id"])
        conn.execute(
            update(decisions_table)
            .where(decisions_table.c.event_id == bindparam("event_id_"))
            .values(case_id=bindparam("case_id_")),
            attached,
        )
        record_audits(conn, audits)
    for d in decisions:
        if d.flagged:
            d.case_id = result[d.event_id]
    return result
