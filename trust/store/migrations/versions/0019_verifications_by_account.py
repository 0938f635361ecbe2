"""verifications by account: an account's profile verifications read from their own index

A partial index on ``events (subject_id, occurred_at)``, profile verifications only. The
signals read every verification of the accounts around a batch (identity, stated role, the
account's age); through the account index each event of an account, sign-ins and reviews
included, was a table row read to learn its kind.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_WHERE = "kind = 'profile_verification'"


def upgrade() -> None:
    op.create_index(
        "ix_events_verifications_by_account",
        "events",
        ["subject_id", "occurred_at"],
        sqlite_where=sa.text(_WHERE),
        postgresql_where=sa.text(_WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_events_verifications_by_account", table_name="events")
