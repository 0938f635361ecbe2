"""decision versions: a decision re-scored after its history arrived late keeps its past

``decisions`` holds the latest version of each event's decision (every reader reads it);
``version``, ``revised_at`` and ``version_reason`` say which one it is and why it was made.
``decision_versions`` keeps each superseded version whole.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch.add_column(sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("version_reason", sa.Text(), nullable=True))
    op.create_table(
        "decision_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("risk_score", sa.Float(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.event_id"], name=op.f("fk_decision_versions_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_versions")),
        sa.UniqueConstraint("event_id", "version", name=op.f("uq_decision_versions_event_id")),
    )


def downgrade() -> None:
    op.drop_table("decision_versions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("version_reason")
        batch.drop_column("revised_at")
        batch.drop_column("version")
