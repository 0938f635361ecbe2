"""quarantine raw digest: re-ingesting the same bad line does not hold it twice

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_digest", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_quarantine_raw_digest", ["raw_digest"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_raw_digest")
        batch_op.drop_column("raw_digest")
