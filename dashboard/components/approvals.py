"""What waits for a lead's approval: case proposals and linked-account blocks by others."""

from __future__ import annotations

from dashboard import cached, session
from trust.staff import StaffMember


def waiting_for(member: StaffMember) -> int:
    """How many proposals ``member`` may approve (someone else made them)."""
    db = session.database_key()
    blocks = [p for p in cached.enforcement_proposals(db) if p.proposed_by != member.username]
    return len(cached.awaiting_me(db, member.username)) + len(blocks)
