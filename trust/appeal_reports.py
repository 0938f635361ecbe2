"""Appeal figures for the metrics screen and backtests: overturn rates per rule and reviewer.

An appeal counts once it is decided (upheld or overturned). Per rule: the live rules that hit
the decision appealed. Per reviewer: the people who took the original decision (the case's
resolver, proposer and approver, or whoever imposed the enforcement).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from trust.store.tables import appeals, decisions

OVERTURNED = "overturned"


def _rates(counts: dict[str, list[int]], key: str) -> list[dict[str, Any]]:
    return [
        {
            key: name,
            "appeals": decided,
            "overturned": overturned,
            "overturn_rate": overturned / decided,
        }
        for name, (decided, overturned) in sorted(counts.items())
    ]


def overturn_rate_per_rule(conn: Connection, since: datetime | None = None) -> list[dict[str, Any]]:
    """Per live rule: decided appeals against decisions it hit, and the share overturned."""
    stmt = (
        select(appeals.c.outcome, decisions.c.rule_hits)
        .join(decisions, decisions.c.event_id == appeals.c.decision_event_id)
        .where(appeals.c.outcome.is_not(None))
    )
    if since is not None:
        stmt = stmt.where(appeals.c.decided_at >= since)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome, hits in conn.execute(stmt):
        for rule_id in {h["rule_id"] for h in hits or []}:
            counts[rule_id][0] += 1
            counts[rule_id][1] += outcome == OVERTURNED
    return _rates(counts, "rule_id")


def overturn_rate_per_reviewer(
    conn: Connection, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Per original decider: decided appeals against their decisions, and the share overturned."""
    stmt = select(appeals.c.outcome, appeals.c.original_deciders).where(
        appeals.c.outcome.is_not(None)
    )
    if since is not None:
        stmt = stmt.where(appeals.c.decided_at >= since)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome, deciders in conn.execute(stmt):
        for name in set(deciders or []):
            counts[name][0] += 1
            counts[name][1] += outcome == OVERTURNED
    return _rates(counts, "reviewer")
