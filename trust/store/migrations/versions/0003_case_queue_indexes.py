"""case queue indexes: page through unresolved cases by priority without sorting them all

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_UNRESOLVED = "status <> 'resolved'"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_open_priority",
            ["priority"],
            unique=False,
            sqlite_where=sa.text(_UNRESOLVED),
            postgresql_where=sa.text(_UNRESOLVED),
        )
        batch_op.create_index(
            "ix_cases_open_kind_priority",
            ["kind", "priority"],
            unique=False,
            sqlite_where=sa.text(_UNRESOLVED),
            postgresql_where=sa.text(_UNRESOLVED),
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_open_kind_priority")
        batch_op.drop_index("ix_cases_open_priority")
