"""failed sign-ins: the failures read by time from an index of their own

A partial index on ``events (occurred_at)``, failed sign-ins only (the outcome is a field of
the JSON payload, so the condition is written per dialect). The failures from one address
across accounts in the hour before a failing sign-in were read through the (kind,
occurred_at) index: every sign-in of the hour a table row read to learn its outcome, most
of them successes, so the look-up grew with the marketplace's sign-ins an hour.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 21:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# As trust/store/tables.py's FAILED_SIGN_INS_WHERE on the day of this migration.
_WHERE = {
    "sqlite": "kind = 'sign_in' AND json_extract(payload, '$.outcome') = 'failure'",
    "postgresql": "kind = 'sign_in' AND (payload ->> 'outcome') = 'failure'",
}


def upgrade() -> None:
    op.create_index(
        "ix_events_failed_sign_ins",
        "events",
        ["occurred_at"],
        sqlite_where=sa.text(_WHERE["sqlite"]),
        postgresql_where=sa.text(_WHERE["postgresql"]),
    )


def downgrade() -> None:
    op.drop_index("ix_events_failed_sign_ins", table_name="events")
