"""Signals: the facts a reviewer would want about an event, computed per batch.

``compute_signals(conn, events, hasher)`` runs a handful of IN-queries for the whole
batch (see :mod:`trust.signals.context`), then computes each event's flat signal dict
in memory. ``None`` means unknown (an expected miss), never an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection

from trust.events import Event
from trust.pii import PiiHasher
from trust.signals.context import BatchContext
from trust.signals.registry import COMPUTERS, SIGNAL_TYPES, signal_names
from trust.signals.types import Signals, SignalType


def signals_for(event: Event, ctx: BatchContext) -> Signals:
    """The signals of one event, given the batch's look-ups."""
    return COMPUTERS[event.kind](event, ctx)


def compute_signals(
    conn: Connection,
    events: Sequence[Event],
    hasher: PiiHasher,
    *,
    unstored: bool = False,
    as_of: Mapping[str, datetime] | None = None,
) -> list[Signals]:
    """One signal dict per event, in order; the look-ups are done once for the whole batch.

    ``unstored=True``: the events are not in the store yet (and none is stored already);
    they are merged in memory, so the signals equal those computed after storing them.
    ``as_of``: when each event (by id) was decided or arrived -- replays of stored history
    pass it so account statuses are read as they were then, not as they are now.
    """
    ctx = BatchContext(conn, events, hasher, unstored=unstored, as_of=as_of)
    return [signals_for(event, ctx) for event in events]


__all__ = [
    "SIGNAL_TYPES",
    "BatchContext",
    "SignalType",
    "Signals",
    "compute_signals",
    "signal_names",
    "signals_for",
]
