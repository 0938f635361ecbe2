"""case reasons and filter indexes: reason, SLA and score filters on a 100,000-case queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_UNRESOLVED = "status <> 'resolved'"
_Pk = sa.BigInteger()


def upgrade() -> None:
    reasons = op.create_table(
        "case_reasons",
        sa.Column("case_id", _Pk, nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_reasons_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", "reason_code", name=op.f("pk_case_reasons")),
    )
    with op.batch_alter_table("case_reasons", schema=None) as batch_op:
        batch_op.create_index("ix_case_reasons_code", ["reason_code", "case_id"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, column in (
            ("ix_cases_open_due", "sla_due_at"),
            ("ix_cases_open_risk", "risk_score"),
        ):
            batch_op.create_index(
                name,
                [column],
                unique=False,
                sqlite_where=sa.text(_UNRESOLVED),
                postgresql_where=sa.text(_UNRESOLVED),
            )
    # Existing cases keep their codes in cases.reason_codes (JSON); copy them over once.
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("id", _Pk), sa.column("reason_codes", sa.JSON))
    rows = [
        {"case_id": case_id, "reason_code": code}
        for case_id, codes in conn.execute(sa.select(cases.c.id, cases.c.reason_codes))
        for code in dict.fromkeys(codes or [])
    ]
    if rows:
        op.bulk_insert(reasons, rows)


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_open_risk")
        batch_op.drop_index("ix_cases_open_due")
    with op.batch_alter_table("case_reasons", schema=None) as batch_op:
        batch_op.drop_index("ix_case_reasons_code")
    op.drop_table("case_reasons")
