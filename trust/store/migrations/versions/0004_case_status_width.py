"""case status width: 'awaiting_approval' (four-eyes) is longer than 16 characters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite does not enforce VARCHAR lengths; only PostgreSQL needs the wider type.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("cases", "status", type_=sa.String(24), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("cases", "status", type_=sa.String(16), existing_nullable=False)
