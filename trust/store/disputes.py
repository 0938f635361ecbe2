"""Dispute rows and their deadlines: typed reads, guarded writes.

Every write that settles a deadline or saves a dispute's state is guarded in SQL
(``status = 'pending'``, ``version = n``), so two workers, or a timer restarted halfway,
cannot settle one deadline twice or overwrite each other's step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from trust.audit import SYSTEM_ACTOR, record_audit
from trust.cases.sla import as_utc
from trust.disputes.machine import (
    ContractType,
    Deadline,
    DisputeState,
    Side,
    Split,
    Stage,
)
from trust.errors import DisputeError
from trust.store.database import insert_ignoring_duplicates
from trust.store.tables import (
    DISPUTE_KIND,
    case_evidence,
    case_reasons,
    cases,
    decisions,
    dispute_deadlines,
    dispute_inbox,
    disputes,
)

PENDING, MET, DEFAULTED = "pending", "met", "defaulted"

# Opening a dispute writes a handful of rows per complaint: its statements are built once,
# not per call (building and cache-keying one cost more CPU than SQLite spent running it).
_INSERT_CASE = insert(cases)
_INSERT_REASON = insert(case_reasons)
_INSERT_DEADLINE = insert(dispute_deadlines)
_POINT_DECISIONS = (
    update(decisions)
    .where(decisions.c.event_id.in_(bindparam("ids", expanding=True)))
    .values(case_id=bindparam("case"))
)
_COUNT_EVIDENCE = (
    update(cases)
    .where(cases.c.id == bindparam("case"))
    .values(evidence_count=cases.c.evidence_count + bindparam("added"))
)
# Insert-unless-present statements by (dialect, table, conflict keys).
_INSERT_ONE: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def scope_key(contract_id: str, milestone_id: str | None) -> str:
    """The money a dispute is about: one contract, and its milestone when there is one."""
    return f"{contract_id}/{milestone_id or ''}"


def _split_json(split: Split | None) -> dict[str, str] | None:
    if split is None:
        return None
    return {"released": str(split.released), "refunded": str(split.refunded), "by": split.by}


def _split(data: dict[str, Any] | None) -> Split | None:
    if not data:
        return None
    return Split(Decimal(data["released"]), Decimal(data["refunded"]), data["by"])


@dataclass(frozen=True, slots=True)
class DisputeRow:
    """One dispute, with its running deadline (if any)."""

    case_id: int
    contract_id: str
    milestone_id: str | None
    contract_type: ContractType
    currency: str
    amount_in_escrow: Decimal
    complainant_id: str
    respondent_id: str
    complainant_side: Side
    filed_at: datetime
    contract_ended_at: datetime | None
    stage: Stage
    proposal: dict[str, Any] | None
    settlement: Split | None
    released: Decimal | None
    refunded: Decimal | None
    resolved_at: datetime | None
    version: int
    deadline: Deadline | None

    @property
    def proposal_id(self) -> str | None:
        """The id parties name when they answer the open proposal."""
        return str(self.proposal["id"]) if self.proposal and self.proposal.get("id") else None

    def party_side(self, account_id: str) -> Side | None:
        """Which side ``account_id`` is on in this dispute, if it is a party."""
        if account_id == self.complainant_id:
            return self.complainant_side
        if account_id == self.respondent_id:
            return self.complainant_side.other
        return None

    def state(self) -> DisputeState:
        """The machine's view of this dispute."""
        proposal = self.proposal or {}
        return DisputeState(
            contract_type=self.contract_type,
            complainant=self.complainant_side,
            escrow=self.amount_in_escrow,
            filed_at=self.filed_at,
            stage=self.stage,
            deadline=self.deadline,
            proposal=_split(proposal.get("split")),
            accepted=frozenset(Side(s) for s in proposal.get("accepted", [])),
            settlement=self.settlement,
        )


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _row(row: Any, deadline: Deadline | None) -> DisputeRow:
    data = row._mapping
    return DisputeRow(
        case_id=int(data["case_id"]),
        contract_id=data["contract_id"],
        milestone_id=data["milestone_id"],
        contract_type=ContractType(data["contract_type"]),
        currency=data["currency"],
        amount_in_escrow=_money(data["amount_in_escrow"]) or Decimal("0.00"),
        complainant_id=data["complainant_id"],
        respondent_id=data["respondent_id"],
        complainant_side=Side(data["complainant_side"]),
        filed_at=as_utc(data["filed_at"]),
        contract_ended_at=as_utc(data["contract_ended_at"]) if data["contract_ended_at"] else None,
        stage=Stage(data["stage"]),
        proposal=data["proposal"],
        settlement=_split(data["settlement"]),
        released=_money(data["released"]),
        refunded=_money(data["refunded"]),
        resolved_at=as_utc(data["resolved_at"]) if data["resolved_at"] else None,
        version=int(data["version"]),
        deadline=deadline,
    )


def pending_deadline(conn: Connection, case_id: int) -> Deadline | None:
    """The deadline running on a dispute, if any."""
    row = conn.execute(
        select(dispute_deadlines.c.name, dispute_deadlines.c.due_at).where(
            dispute_deadlines.c.case_id == case_id, dispute_deadlines.c.status == PENDING
        )
    ).first()
    return Deadline(row.name, as_utc(row.due_at)) if row else None


def load_dispute(conn: Connection, case_id: int, *, for_update: bool = False) -> DisputeRow:
    """The dispute of case ``case_id``; raises DisputeError when the case is no dispute."""
    stmt = select(disputes).where(disputes.c.case_id == case_id)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise DisputeError(f"case {case_id} is not a dispute")
    return _row(row, pending_deadline(conn, case_id))


def dispute_case_ids(conn: Connection, scopes: list[str]) -> dict[str, int]:
    """scope key -> case id, for the scopes that already have a dispute."""
    if not scopes:
        return {}
    rows = conn.execute(
        select(disputes.c.scope_key, disputes.c.case_id).where(
            disputes.c.scope_key.in_(sorted(set(scopes)))
        )
    )
    return {scope: int(case_id) for scope, case_id in rows}


def load_disputes(conn: Connection, case_ids: list[int]) -> dict[int, DisputeRow]:
    """Disputes by case id (without their deadlines), for listings and exports."""
    if not case_ids:
        return {}
    rows = conn.execute(select(disputes).where(disputes.c.case_id.in_(case_ids)))
    return {int(r.case_id): _row(r, None) for r in rows}


@dataclass(frozen=True, slots=True)
class NewDispute:
    """What opening a dispute stores."""

    case_id: int
    contract_id: str
    milestone_id: str | None
    currency: str
    complainant_id: str
    respondent_id: str
    contract_ended_at: datetime | None
    state: DisputeState


@dataclass(frozen=True, slots=True)
class DisputeCase:
    """The case row a new dispute gets: about the respondent, the escrow as money at stake."""

    respondent_id: str
    risk_score: float
    severity: int
    escrow: Decimal
    currency: str
    reason_codes: list[str]
    priority: float
    due_at: datetime | None


def insert_dispute_case(conn: Connection, new: DisputeCase, now: datetime) -> int:
    """Insert an open dispute case (and its reason codes); returns its id."""
    inserted = conn.execute(
        _INSERT_CASE,
        {
            "subject_id": new.respondent_id,
            "kind": DISPUTE_KIND,
            "status": "open",
            "priority": new.priority,
            "risk_score": new.risk_score,
            "severity": new.severity,
            "money_at_stake": new.escrow,
            "currency": new.currency,
            "reason_codes": new.reason_codes,
            "evidence_count": 0,
            "opened_at": now,
            "updated_at": now,
            "sla_due_at": new.due_at,
            "version": 1,
        },
    )
    case_id = int(inserted.inserted_primary_key[0])  # type: ignore[index]
    codes = list(dict.fromkeys(new.reason_codes))
    if codes:
        conn.execute(_INSERT_REASON, [{"case_id": case_id, "reason_code": c} for c in codes])
    return case_id


def set_case_reasons(conn: Connection, case_id: int, codes: list[str]) -> None:
    """Make the case's ``case_reasons`` rows (the queue's reason filter) exactly ``codes``."""
    wanted = set(codes)
    have = set(
        conn.execute(
            select(case_reasons.c.reason_code).where(case_reasons.c.case_id == case_id)
        ).scalars()
    )
    if have - wanted:
        conn.execute(
            delete(case_reasons).where(
                case_reasons.c.case_id == case_id,
                case_reasons.c.reason_code.in_(sorted(have - wanted)),
            )
        )
    if wanted - have:
        conn.execute(
            insert(case_reasons),
            [{"case_id": case_id, "reason_code": c} for c in sorted(wanted - have)],
        )


def _insert_one(conn: Connection, table: Table, row: dict[str, Any], keys: list[str]) -> bool:
    """Insert one row unless ``keys`` already exist; True when it was written (told by
    RETURNING: the row count of an upsert is -1 with psycopg)."""
    plan = (conn.dialect.name, table.name, tuple(keys))
    stmt = _INSERT_ONE.get(plan)
    if stmt is None:
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        stmt = _INSERT_ONE[plan] = (
            dialect_insert(table)
            .on_conflict_do_nothing(index_elements=keys)
            .returning(table.c[keys[0]])
        )
    return conn.execute(stmt, row).first() is not None


def attach_to_case(conn: Connection, case_id: int, event_ids: list[str], now: datetime) -> None:
    """Attach events to a case's evidence (once each), point their decisions at it, count."""
    added = sum(
        _insert_one(
            conn,
            case_evidence,
            {"case_id": case_id, "event_id": e, "added_at": now},
            ["case_id", "event_id"],
        )
        for e in event_ids
    )
    conn.execute(_POINT_DECISIONS, {"ids": event_ids, "case": case_id})
    if added:
        conn.execute(_COUNT_EVIDENCE, {"case": case_id, "added": added})


def add_evidence(
    conn: Connection,
    case_id: int,
    event_ids: list[str],
    now: datetime,
    **detail: Any,
) -> None:
    """Attach events to a case (``attach_to_case``) and audit it as evidence added by the
    system, with ``detail`` (e.g. why) beside the event ids."""
    attach_to_case(conn, case_id, event_ids, now)
    record_audit(
        conn,
        actor=SYSTEM_ACTOR,
        action="evidence_added",
        target_type="case",
        target_id=case_id,
        at=now,
        after={"events": event_ids, **detail},
    )


def insert_dispute(conn: Connection, new: NewDispute) -> bool:
    """Store a new dispute and start its first deadline; False (nothing stored) when another
    writer opened a dispute on the same money first (``scope_key`` is unique)."""
    state = new.state
    written = _insert_one(
        conn,
        disputes,
        dict(
            case_id=new.case_id,
            contract_id=new.contract_id,
            milestone_id=new.milestone_id,
            scope_key=scope_key(new.contract_id, new.milestone_id),
            contract_type=state.contract_type.value,
            currency=new.currency,
            amount_in_escrow=state.escrow,
            complainant_id=new.complainant_id,
            respondent_id=new.respondent_id,
            complainant_side=state.complainant.value,
            filed_at=state.filed_at,
            contract_ended_at=new.contract_ended_at,
            stage=state.stage.value,
            version=1,
        ),
        ["scope_key"],
    )
    if not written:
        return False
    if state.deadline is not None:
        start_deadline(conn, new.case_id, state.deadline)
    return True


def drop_unused_case(conn: Connection, case_id: int) -> None:
    """Delete a dispute case row inserted in this transaction that lost the race to open."""
    conn.execute(delete(case_reasons).where(case_reasons.c.case_id == case_id))
    conn.execute(delete(cases).where(cases.c.id == case_id, cases.c.evidence_count == 0))


def start_deadline(conn: Connection, case_id: int, deadline: Deadline) -> None:
    """Record a new running deadline (the partial unique index allows one per dispute)."""
    conn.execute(
        _INSERT_DEADLINE,
        {"case_id": case_id, "name": deadline.name, "due_at": deadline.due_at, "status": PENDING},
    )


def settle_deadline(conn: Connection, case_id: int, name: str, status: str, now: datetime) -> bool:
    """Mark the pending ``name`` deadline met or defaulted; False if it was already settled."""
    result = conn.execute(
        update(dispute_deadlines)
        .where(
            dispute_deadlines.c.case_id == case_id,
            dispute_deadlines.c.name == name,
            dispute_deadlines.c.status == PENDING,
        )
        .values(status=status, settled_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class DueDeadline:
    """A pending deadline whose time has come."""

    case_id: int
    name: str
    due_at: datetime


def due_deadlines(conn: Connection, now: datetime, limit: int = 500) -> list[DueDeadline]:
    """Pending deadlines due at or before ``now``, oldest first."""
    rows = conn.execute(
        select(dispute_deadlines.c.case_id, dispute_deadlines.c.name, dispute_deadlines.c.due_at)
        .where(dispute_deadlines.c.status == PENDING, dispute_deadlines.c.due_at <= now)
        .order_by(dispute_deadlines.c.due_at, dispute_deadlines.c.id)
        .limit(limit)
    )
    return [DueDeadline(int(r.case_id), r.name, as_utc(r.due_at)) for r in rows]


@dataclass(frozen=True, slots=True)
class DeadlineRecord:
    """One deadline of a dispute as stored, for the case screen and tests."""

    name: str
    due_at: datetime
    status: str
    settled_at: datetime | None


def deadline_history(conn: Connection, case_id: int) -> list[DeadlineRecord]:
    """Every deadline a dispute has had, in the order they started."""
    rows = conn.execute(
        select(dispute_deadlines)
        .where(dispute_deadlines.c.case_id == case_id)
        .order_by(dispute_deadlines.c.id)
    )
    return [
        DeadlineRecord(
            r.name, as_utc(r.due_at), r.status, as_utc(r.settled_at) if r.settled_at else None
        )
        for r in rows
    ]


def save_state(
    conn: Connection,
    dispute: DisputeRow,
    state: DisputeState,
    now: datetime,
    *,
    proposal: dict[str, Any] | bool | None = False,
) -> None:
    """Write a stepped state; refused when another writer stepped the dispute meanwhile.

    ``proposal`` replaces the stored open proposal when given (None clears it).
    """
    values: dict[str, Any] = {
        "stage": state.stage.value,
        "settlement": _split_json(state.settlement),
        "version": dispute.version + 1,
    }
    if proposal is not False:
        values["proposal"] = proposal
    elif dispute.proposal_id is not None:
        values["proposal"] = {
            **(dispute.proposal or {}),
            "accepted": sorted(s.value for s in state.accepted),
        }
    if state.stage == Stage.RESOLVED and state.settlement is not None:
        values.update(
            released=state.settlement.released, refunded=state.settlement.refunded, resolved_at=now
        )
    result = conn.execute(
        update(disputes)
        .where(disputes.c.case_id == dispute.case_id, disputes.c.version == dispute.version)
        .values(**values)
    )
    if result.rowcount != 1:
        raise DisputeError(f"dispute {dispute.case_id} changed meanwhile; reload and try again")


def change_escrow(conn: Connection, dispute: DisputeRow, amount: Decimal) -> None:
    """Set the amount in escrow (the caller audits the change)."""
    result = conn.execute(
        update(disputes)
        .where(disputes.c.case_id == dispute.case_id, disputes.c.version == dispute.version)
        .values(amount_in_escrow=amount, version=dispute.version + 1)
    )
    if result.rowcount != 1:
        raise DisputeError(f"dispute {dispute.case_id} changed meanwhile; reload and try again")


def hold_for_dispute(conn: Connection, items: list[tuple[str, str]], now: datetime) -> None:
    """Keep (event id, scope key) pairs until their dispute opens."""
    insert_ignoring_duplicates(
        conn,
        dispute_inbox,
        [{"event_id": e, "scope_key": s, "received_at": now} for e, s in items],
        ["event_id"],
    )


def waiting_for(conn: Connection, scopes: list[str] | None = None) -> dict[str, list[str]]:
    """scope key -> event ids held for it; every scope with an open dispute when None."""
    stmt = select(dispute_inbox.c.scope_key, dispute_inbox.c.event_id).order_by(
        dispute_inbox.c.received_at, dispute_inbox.c.event_id
    )
    if scopes is None:
        stmt = stmt.where(dispute_inbox.c.scope_key.in_(select(disputes.c.scope_key)))
    else:
        stmt = stmt.where(dispute_inbox.c.scope_key.in_(sorted(set(scopes))))
    found: dict[str, list[str]] = {}
    for scope, event_id in conn.execute(stmt):
        found.setdefault(scope, []).append(event_id)
    return found


def release_held(conn: Connection, event_ids: list[str]) -> None:
    """Forget held events once their dispute took them."""
    if event_ids:
        conn.execute(delete(dispute_inbox).where(dispute_inbox.c.event_id.in_(event_ids)))
