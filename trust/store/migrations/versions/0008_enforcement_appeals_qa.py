"""enforcement state and history, linked-account proposals, appeals, reviewer QA

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_Pk = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "enforcements",
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        _ts("since", nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_enforcements")),
    )
    op.create_index("ix_enforcements_state", "enforcements", ["state"])
    op.create_table(
        "enforcement_history",
        sa.Column("id", _Pk, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("previous_state", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        _ts("at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_history")),
    )
    op.create_index("ix_enforcement_history_account", "enforcement_history", ["account_id", "at"])
    op.create_table(
        "enforcement_proposals",
        sa.Column("id", _Pk, autoincrement=True, nullable=False),
        sa.Column("account_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        _ts("proposed_at", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _ts("decided_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_proposals")),
    )
    op.create_index("ix_enforcement_proposals_status", "enforcement_proposals", ["status"])
    op.create_table(
        "appeals",
        sa.Column("id", _Pk, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("decision_event_id", sa.String(length=128), nullable=True),
        sa.Column("appealed_state", sa.String(length=8), nullable=False),
        sa.Column("original_case_id", sa.BigInteger(), nullable=True),
        sa.Column("original_deciders", sa.JSON(), nullable=False),
        sa.Column("has_new_information", sa.Boolean(), nullable=False),
        _ts("received_at", nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("ground", sa.String(length=32), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _ts("decided_at"),
        sa.Column("statement_of_reasons", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("event_id", name=op.f("uq_appeals_event_id")),
    )
    for column in ("account_id", "case_id", "decision_event_id"):
        op.create_index(op.f(f"ix_appeals_{column}"), "appeals", [column])
    op.create_table(
        "qa_reviews",
        sa.Column("id", _Pk, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("selected_because", sa.String(length=16), nullable=False),
        sa.Column("original_action", sa.String(length=32), nullable=False),
        sa.Column("original_reason", sa.String(length=64), nullable=False),
        sa.Column("original_reviewers", sa.JSON(), nullable=False),
        _ts("selected_at", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("review_action", sa.String(length=32), nullable=True),
        sa.Column("review_reason", sa.String(length=64), nullable=True),
        _ts("reviewed_at"),
        sa.Column("ruling", sa.String(length=16), nullable=True),
        sa.Column("ruled_by", sa.String(length=64), nullable=True),
        _ts("ruled_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
        sa.UniqueConstraint("case_id", name=op.f("uq_qa_reviews_case_id")),
    )
    op.create_index("ix_qa_reviews_status", "qa_reviews", ["status", "selected_at"])


def downgrade() -> None:
    op.drop_index("ix_qa_reviews_status", table_name="qa_reviews")
    op.drop_table("qa_reviews")
    for column in ("account_id", "case_id", "decision_event_id"):
        op.drop_index(op.f(f"ix_appeals_{column}"), table_name="appeals")
    op.drop_table("appeals")
    op.drop_index("ix_enforcement_proposals_status", table_name="enforcement_proposals")
    op.drop_table("enforcement_proposals")
    op.drop_index("ix_enforcement_history_account", table_name="enforcement_history")
    op.drop_table("enforcement_history")
    op.drop_index("ix_enforcements_state", table_name="enforcements")
    op.drop_table("enforcements")
