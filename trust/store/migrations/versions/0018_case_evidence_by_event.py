"""case evidence by event: which case holds an event, found without reading them all

An index on ``case_evidence (event_id)``. Case intake asks, for every batch that flags
something, which of its events a case already holds (a redelivered batch must not add them
twice); the only indexes led with ``case_id``, so the database read every evidence row of
every case, a cost that grew with the review history.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 13:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_evidence_event", "case_evidence", ["event_id"])


def downgrade() -> None:
    op.drop_index("ix_case_evidence_event", table_name="case_evidence")
