"""cluster cases: the member accounts of a cluster case and the evidence tying them

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_members",
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_cluster_members_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", "account_id", name=op.f("pk_cluster_members")),
    )
    op.create_index("ix_cluster_members_account", "cluster_members", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_cluster_members_account", table_name="cluster_members")
    op.drop_table("cluster_members")
