"""review ties indexes: the trade graph reads reviews by either party from an index alone

Two partial indexes on ``events``, reviews only: (subject_id, occurred_at, counterparty_id,
event_id, kind) and (counterparty_id, occurred_at, subject_id, event_id, kind). Through the
account indexes each event of an account was a table row read to learn its kind.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 06:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_WHERE = "kind = 'review'"
_INDEXES = (
    ("ix_events_review_ties_by_reviewer", "subject_id", "counterparty_id"),
    ("ix_events_review_ties_by_reviewee", "counterparty_id", "subject_id"),
)


def upgrade() -> None:
    for name, side, other in _INDEXES:
        op.create_index(
            name,
            "events",
            [side, "occurred_at", other, "event_id", "kind"],
            sqlite_where=sa.text(_WHERE),
            postgresql_where=sa.text(_WHERE),
        )


def downgrade() -> None:
    for name, _, _ in _INDEXES:
        op.drop_index(name, table_name="events")
