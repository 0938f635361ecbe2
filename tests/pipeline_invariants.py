"""The promises every pipeline run must keep, checked against the store after a test."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from trust.events import EVENT_KINDS
from trust.store import Store
from trust.store.tables import appeals, cases, decisions, events, quarantine


@dataclass(frozen=True)
class StoreCounts:
    """What the store holds after a run."""

    events: int
    decisions: int
    open_cases: int
    quarantined: int


def counts(store: Store) -> StoreCounts:
    """Rows per table that the invariants talk about."""
    with store.engine.connect() as conn:
        return StoreCounts(
            events=conn.execute(select(func.count()).select_from(events)).scalar_one(),
            decisions=conn.execute(select(func.count()).select_from(decisions)).scalar_one(),
            open_cases=conn.execute(
                select(func.count()).select_from(cases).where(cases.c.status != "resolved")
            ).scalar_one(),
            quarantined=conn.execute(select(func.count()).select_from(quarantine)).scalar_one(),
        )


def _appeals_accounted_for(conn: Connection, wanted: set[str]) -> set[str]:
    """Appeals among ``wanted``: stored with an appeal case, or refused at intake (quarantined
    with the reason, like an appeal of a decision that restricted nothing)."""
    stored = set(
        conn.execute(
            select(events.c.event_id).where(
                events.c.kind == "appeal", events.c.event_id.in_(sorted(wanted))
            )
        ).scalars()
    )
    with_case = set(
        conn.execute(
            select(appeals.c.event_id).where(appeals.c.event_id.in_(sorted(stored)))
        ).scalars()
    )
    assert stored == with_case, f"appeals stored without an appeal case: {stored - with_case}"
    refused = {
        event_id
        for event_id, raw in conn.execute(
            select(quarantine.c.event_id, quarantine.c.raw).where(
                quarantine.c.event_id.in_(sorted(wanted))
            )
        )
        if '"appeal"' in raw and json.loads(raw).get("kind") == "appeal"
    }
    return stored | refused


def assert_nothing_lost(store: Store, accepted_ids: Iterable[str]) -> None:
    """Every accepted event has exactly one decision (an appeal: an appeal case, or a refusal
    with its reason); at most one open case per subject+kind."""
    wanted = set(accepted_ids)
    with store.engine.connect() as conn:
        wanted -= _appeals_accounted_for(conn, wanted)
        stored = set(conn.execute(select(events.c.event_id)).scalars())
        # Dispute party events feed their dispute's process; they are not decided.
        undecided = set(
            conn.execute(
                select(events.c.event_id).where(events.c.kind.not_in(EVENT_KINDS))
            ).scalars()
        )
        decided = list(conn.execute(select(decisions.c.event_id)).scalars())
        duplicate_cases = conn.execute(
            select(cases.c.subject_id, cases.c.kind, func.count())
            # Disputes are one case per contract's money (disputes.scope_key is unique).
            .where(cases.c.status != "resolved", cases.c.kind != "dispute")
            .group_by(cases.c.subject_id, cases.c.kind)
            .having(func.count() > 1)
        ).all()
        valid_in_quarantine = set(
            conn.execute(
                # A replayed entry keeps its event_id; only entries still held are a fault.
                select(quarantine.c.event_id).where(
                    quarantine.c.event_id.in_(sorted(wanted)), quarantine.c.status == "held"
                )
            ).scalars()
        )
        flagged_without_case = conn.execute(
            select(func.count())
            .select_from(decisions)
            .where(decisions.c.outcome != "allow", decisions.c.case_id.is_(None))
        ).scalar_one()
    assert wanted - stored == set(), f"{len(wanted - stored)} accepted events were lost"
    assert len(decided) == len(set(decided)), "an event has more than one decision"
    lacking = wanted - undecided - set(decided)
    assert lacking == set(), f"{len(lacking)} events lack a decision"
    assert duplicate_cases == [], f"duplicate open cases: {duplicate_cases[:5]}"
    assert valid_in_quarantine == set(), f"valid events in quarantine: {valid_in_quarantine}"
    assert flagged_without_case == 0, "a flagged decision has no case"
