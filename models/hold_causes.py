"""Which planted pattern put an account on the hold that later held one of its events.

A withdrawal from a held account is refused by the account's enforcement state, not judged
by the detection: ``trust model evaluate-sim`` counts such events apart, under the pattern
whose flagged event imposed the hold (an honest owner's withdrawals held after a takeover
are the takeover's, a hold from a false alarm is honest).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, select

from trust.enforcement import EnforcementSource, EnforcementState
from trust.signals.history import utc
from trust.store.tables import decisions, enforcement_history

UNKNOWN = "unknown"
_CHUNK = 5000


def hold_causes(
    conn: Connection, event_ids: Collection[str], truth: pd.DataFrame
) -> dict[str, str]:
    """Per event id: the truth pattern of the decision whose hold was in force when the
    event was decided, the source (``case``, ``linked``...) of a hold set by staff, or
    ``unknown``."""
    ids = sorted(set(event_ids))
    decided: dict[str, tuple[str, datetime]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(decisions.c.event_id, decisions.c.subject_id, decisions.c.decided_at).where(
                decisions.c.event_id.in_(ids[start : start + _CHUNK])
            )
        )
        decided.update({e: (subject, utc(at)) for e, subject, at in rows})
    accounts = sorted({subject for subject, _ in decided.values()})
    changes: dict[str, list[tuple[datetime, str, str, str]]] = defaultdict(list)
    h = enforcement_history.c
    for start in range(0, len(accounts), _CHUNK):
        found = conn.execute(
            select(h.account_id, h.at, h.state, h.source, h.source_id)
            .where(h.account_id.in_(accounts[start : start + _CHUNK]))
            .order_by(h.at, h.id)
        )
        for account, at, state, source, source_id in found:
            changes[account].append((utc(at), state, source, source_id))
    causes: dict[str, str] = {}
    for event_id, (account, at) in decided.items():
        history = changes.get(account, [])
        # The change in force when the event was decided: the last one strictly before (a
        # hold its own batch imposed was not seen by its signals).
        index = bisect_left(history, at, key=lambda change: change[0])
        causes[event_id] = _cause(history[index - 1], truth) if index else UNKNOWN
    return causes


def _cause(change: tuple[datetime, str, str, str], truth: pd.DataFrame) -> str:
    _, state, source, source_id = change
    if state == EnforcementState.NONE:
        return UNKNOWN
    if source != EnforcementSource.DECISION:
        return str(source)
    return str(truth.at[source_id, "pattern"]) if source_id in truth.index else UNKNOWN
