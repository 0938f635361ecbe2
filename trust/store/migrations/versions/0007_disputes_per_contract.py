"""disputes per contract: one case per contract's money, its process and deadlines

Creates ``disputes`` and ``dispute_deadlines``, lets several open dispute cases exist per
respondent (``uq_cases_open_subject`` no longer covers kind 'dispute'), and splits every
unresolved complaint case that merged payment disputes: each contract (and milestone) with
money in escrow gets its own dispute case, with its own currency and amount, and its
complaints move there. A migrated dispute starts in arbitration (its parties were never
asked to answer, so no default may run against them). Resolved cases are history and stay.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_Pk = sa.BigInteger()
_OLD = "status <> 'resolved'"
_NEW = "status <> 'resolved' AND kind <> 'dispute'"
_WORKER_SIDE = ("freelancer", "agency")


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _unique_open_subject(where: str) -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("uq_cases_open_subject")
        batch_op.create_index(
            "uq_cases_open_subject",
            ["subject_id", "kind"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("case_id", _Pk, nullable=False),
        sa.Column("contract_id", sa.String(length=128), nullable=False),
        sa.Column("milestone_id", sa.String(length=128), nullable=True),
        sa.Column("scope_key", sa.String(length=260), nullable=False),
        sa.Column("contract_type", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_in_escrow", sa.Numeric(14, 2), nullable=False),
        sa.Column("complainant_id", sa.String(length=128), nullable=False),
        sa.Column("respondent_id", sa.String(length=128), nullable=False),
        sa.Column("complainant_side", sa.String(length=16), nullable=False),
        _ts("filed_at", nullable=False),
        _ts("contract_ended_at"),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("settlement", sa.JSON(), nullable=True),
        sa.Column("released", sa.Numeric(14, 2), nullable=True),
        sa.Column("refunded", sa.Numeric(14, 2), nullable=True),
        _ts("resolved_at"),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_disputes_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_disputes")),
        sa.UniqueConstraint("scope_key", name=op.f("uq_disputes_scope_key")),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index("ix_disputes_respondent_id", ["respondent_id"], unique=False)
        batch_op.create_index("ix_disputes_stage", ["stage"], unique=False)
    op.create_table(
        "dispute_deadlines",
        sa.Column(
            "id", _Pk.with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("case_id", _Pk, nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        _ts("due_at", nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        _ts("settled_at"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_dispute_deadlines_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispute_deadlines")),
    )
    with op.batch_alter_table("dispute_deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_dispute_deadlines_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_dispute_deadlines_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            "uq_dispute_deadlines_pending",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    op.create_table(
        "dispute_inbox",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("scope_key", sa.String(length=260), nullable=False),
        _ts("received_at", nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_dispute_inbox")),
    )
    with op.batch_alter_table("dispute_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_dispute_inbox_scope_key", ["scope_key"], unique=False)
    _unique_open_subject(_NEW)
    _split_merged_disputes(op.get_bind())


def downgrade() -> None:
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT count(*) FROM disputes")).scalar():
        raise RuntimeError("the store holds disputes per contract; restore a backup to go back")
    _unique_open_subject(_OLD)
    op.drop_table("dispute_inbox")
    op.drop_table("dispute_deadlines")
    op.drop_table("disputes")


# The tables as this revision knows them (the data step must not follow later models).
_md = sa.MetaData()
_cases = sa.Table(
    "cases",
    _md,
    sa.Column("id", _Pk, primary_key=True),
    sa.Column("subject_id", sa.String),
    sa.Column("kind", sa.String),
    sa.Column("status", sa.String),
    sa.Column("priority", sa.Float),
    sa.Column("risk_score", sa.Float),
    sa.Column("severity", sa.Integer),
    sa.Column("money_at_stake", sa.Numeric(14, 2)),
    sa.Column("currency", sa.String),
    sa.Column("reason_codes", sa.JSON),
    sa.Column("evidence_count", sa.Integer),
    _ts("opened_at"),
    _ts("updated_at"),
    _ts("sla_due_at"),
    sa.Column("claimed_by", sa.String),
    _ts("claimed_at"),
    _ts("lease_expires_at"),
    sa.Column("proposed_action", sa.JSON),
    sa.Column("proposed_by", sa.String),
    sa.Column("version", sa.Integer),
)
_reasons = sa.Table(
    "case_reasons", _md, sa.Column("case_id", _Pk), sa.Column("reason_code", sa.String)
)
_evidence = sa.Table(
    "case_evidence",
    _md,
    sa.Column("id", _Pk, primary_key=True),
    sa.Column("case_id", _Pk),
    sa.Column("event_id", sa.String),
)
_events = sa.Table("events", _md, sa.Column("event_id", sa.String), sa.Column("payload", sa.JSON))
_decisions = sa.Table("decisions", _md, sa.Column("event_id", sa.String), sa.Column("case_id", _Pk))
_disputes = sa.Table(
    "disputes",
    _md,
    *(
        sa.Column(n, sa.String)
        for n in (
            "contract_id",
            "milestone_id",
            "scope_key",
            "contract_type",
            "currency",
            "complainant_id",
            "respondent_id",
            "complainant_side",
            "stage",
        )
    ),
    sa.Column("case_id", _Pk),
    sa.Column("amount_in_escrow", sa.Numeric(14, 2)),
    _ts("filed_at"),
    _ts("contract_ended_at"),
    sa.Column("version", sa.Integer),
)
_audit = sa.Table(
    "audit_log",
    _md,
    _ts("at"),
    *(sa.Column(n, sa.String) for n in ("actor", "action", "target_type", "target_id")),
    sa.Column("before", sa.JSON),
    sa.Column("after", sa.JSON),
)


def _is_payment_dispute(payload: dict[str, Any]) -> bool:
    """The rule of trust.disputes.intake.is_payment_dispute, as of this revision."""
    amount = payload.get("amount_in_dispute")
    if not payload.get("contract_id") or not amount:
        return False
    if payload.get("contract_type") == "hourly":
        return bool(payload.get("disputed_hours")) and payload.get("complainant_role") == "client"
    return payload.get("escrow_state") == "funded"


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _scope(payload: dict[str, Any]) -> str:
    return f"{payload['contract_id']}/{payload.get('milestone_id') or ''}"


def _split_merged_disputes(conn: sa.Connection) -> None:
    now = datetime.now(UTC)
    taken = {row[0] for row in conn.execute(sa.select(_disputes.c.scope_key))}
    merged = conn.execute(
        sa.select(_cases)
        .where(_cases.c.kind == "complaint", _cases.c.status != "resolved")
        .order_by(_cases.c.id)
    ).all()
    for case in merged:
        rows = conn.execute(
            sa.select(_evidence.c.event_id, _events.c.payload)
            .join(_events, _events.c.event_id == _evidence.c.event_id)
            .where(_evidence.c.case_id == case.id)
            .order_by(_evidence.c.id)
        ).all()
        groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        rest = []
        for event_id, payload in rows:
            if _is_payment_dispute(payload) and _scope(payload) not in taken:
                groups.setdefault(_scope(payload), []).append((event_id, payload))
            else:
                rest.append(event_id)
        if not groups:
            continue
        _split_case(conn, case, groups, rest, now)
        taken.update(groups)


def _split_case(
    conn: sa.Connection,
    case: Any,
    groups: dict[str, list[tuple[str, dict[str, Any]]]],
    rest: list[str],
    now: datetime,
) -> None:
    audits: list[dict[str, Any]] = []
    first = True
    for scope, items in groups.items():
        reuse = first and not rest
        first = False
        payload = items[0][1]
        money = payload["amount_in_dispute"]
        amount, currency = Decimal(str(money["amount"])), money["currency"]
        values = {
            "kind": "dispute",
            "money_at_stake": amount,
            "currency": currency,
            "evidence_count": len(items),
            "updated_at": now,
            "status": "open",
            "claimed_by": None,
            "claimed_at": None,
            "lease_expires_at": None,
            "proposed_action": None,
            "proposed_by": None,
        }
        if reuse:
            conn.execute(
                sa.update(_cases)
                .where(_cases.c.id == case.id)
                .values(**values, version=case.version + 1)
            )
            case_id = case.id
        else:
            copied = {
                c: getattr(case, c)
                for c in (
                    "subject_id",
                    "priority",
                    "risk_score",
                    "severity",
                    "reason_codes",
                    "opened_at",
                    "sla_due_at",
                )
            }
            inserted = conn.execute(sa.insert(_cases).values(**copied, **values, version=1))
            case_id = inserted.inserted_primary_key[0]  # type: ignore[index]
            codes = list(dict.fromkeys(case.reason_codes or []))
            if codes:
                conn.execute(
                    sa.insert(_reasons),
                    [{"case_id": case_id, "reason_code": code} for code in codes],
                )
        ids = [event_id for event_id, _ in items]
        conn.execute(
            sa.update(_evidence)
            .where(_evidence.c.case_id == case.id, _evidence.c.event_id.in_(ids))
            .values(case_id=case_id)
        )
        conn.execute(
            sa.update(_decisions).where(_decisions.c.event_id.in_(ids)).values(case_id=case_id)
        )
        hourly = payload.get("contract_type") == "hourly"
        conn.execute(
            sa.insert(_disputes).values(
                case_id=case_id,
                contract_id=payload["contract_id"],
                milestone_id=payload.get("milestone_id"),
                scope_key=scope,
                contract_type="hourly" if hourly else "fixed_price",
                currency=currency,
                amount_in_escrow=amount,
                complainant_id=payload["complainant_id"],
                respondent_id=payload["respondent_id"],
                complainant_side="client"
                if payload["complainant_role"] == "client"
                else "freelancer",
                stage="arbitration",
                filed_at=_when(payload["occurred_at"]),
                contract_ended_at=_when(payload.get("contract_ended_at")),
                version=1,
            )
        )
        audits.append(
            {
                "actor": "system",
                "action": "dispute_split_from_merged_case",
                "target_type": "case",
                "target_id": str(case_id),
                "at": now,
                "before": {
                    "case_id": case.id,
                    "kind": "complaint",
                    "money_at_stake": str(case.money_at_stake),
                    "currency": case.currency,
                },
                "after": {
                    "contract_id": payload["contract_id"],
                    "milestone_id": payload.get("milestone_id"),
                    "currency": currency,
                    "amount_in_escrow": str(amount),
                    "events": ids,
                },
            }
        )
        for event_id, later in items[1:]:
            claimed = later["amount_in_dispute"]
            if claimed["currency"] != currency or Decimal(str(claimed["amount"])) != amount:
                audits.append(
                    {
                        "actor": "system",
                        "action": "amount_claim_not_applied",
                        "target_type": "case",
                        "target_id": str(case_id),
                        "at": now,
                        "before": {"amount_in_escrow": str(amount), "currency": currency},
                        "after": {"claimed": claimed, "event_id": event_id},
                    }
                )
    if rest:
        conn.execute(
            sa.update(_cases)
            .where(_cases.c.id == case.id)
            .values(
                evidence_count=len(rest),
                money_at_stake=Decimal("0"),
                currency=None,
                proposed_action=None,
                proposed_by=None,
                updated_at=now,
                version=case.version + 1,
                status="open" if case.status == "awaiting_approval" else case.status,
            )
        )
        audits.append(
            {
                "actor": "system",
                "action": "disputes_split_off",
                "target_type": "case",
                "target_id": str(case.id),
                "at": now,
                "before": {
                    "evidence_count": len(rest) + sum(map(len, groups.values())),
                    "money_at_stake": str(case.money_at_stake),
                    "currency": case.currency,
                },
                "after": {"evidence_count": len(rest), "disputes": list(groups)},
            }
        )
    conn.execute(sa.insert(_audit), audits)
