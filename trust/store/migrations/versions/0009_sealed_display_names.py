"""sealed display names: display names sealed at rest, found by keyed hashes of their words

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 23:59:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_name_words",
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("word_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "word_hash", name=op.f("pk_account_name_words")),
    )
    with op.batch_alter_table("account_name_words", schema=None) as batch_op:
        batch_op.create_index("ix_account_name_words_hash", ["word_hash"], unique=False)
    # A sealed name is longer than the name itself.
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "display_name",
            type_=sa.Text(),
            existing_type=sa.String(length=200),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "display_name",
            type_=sa.String(length=200),
            existing_type=sa.Text(),
            existing_nullable=True,
        )
    with op.batch_alter_table("account_name_words", schema=None) as batch_op:
        batch_op.drop_index("ix_account_name_words_hash")
    op.drop_table("account_name_words")
