"""Reopening: the shared step of every look-back that sends earlier allowed events to review.

A finding made about an actor later (a complainant abusing complaints, an account several
people reported as a scammer) reaches the actor's earlier events that were allowed when
they arrived. Each look-back decides *which* events and *why*; this module stores the new
decision versions, attaches them to a case and tells the marketplace, the same way for all.

``LookBacks`` runs several look-backs in turn as the pipeline's one hook, each seeing the
re-scores and the reopenings of those before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from trust.decisions import Decision, RuleHit, with_hits
from trust.events import Event
from trust.pipeline import ActorLookBack, CaseOpener
from trust.settings import Settings
from trust.store.decision_versions import Revision, supersede_allowed
from trust.store.disputes import add_evidence
from trust.store.tables import cases
from trust.webhooks import emit_revisions


@dataclass(frozen=True, slots=True)
class Reopening:
    """Why one allowed event is reopened: the hit it gets (forced to review), the version
    reason, and the case of the event that flagged its actor (joined when a plain case)."""

    hit: RuleHit
    version_reason: str
    case_id: int | None


def reopen_allowed(
    conn: Connection,
    found: Mapping[str, Reopening],
    settings: Settings,
    open_cases: CaseOpener,
    now: datetime,
) -> list[Revision]:
    """New versions of the still-allowed decisions of ``found`` with their hit, attached to
    a case and sent as ``decision.created``; in ``conn``'s transaction. Decisions no longer
    allowed are left alone, so a second run revises nothing."""
    if not found:
        return []

    def reopen(d: Decision) -> Revision:
        why = found[d.event_id]
        return Revision(with_hits(d, [why.hit]), why.version_reason)

    stored = supersede_allowed(conn, list(found), reopen, now)
    revisions = [s.revision for s in stored]
    _attach(conn, [r.decision for r in revisions], found, settings, open_cases, now)
    emit_revisions(conn, stored, now)
    return revisions


def _attach(
    conn: Connection,
    revised: Sequence[Decision],
    found: Mapping[str, Reopening],
    settings: Settings,
    open_cases: CaseOpener,
    now: datetime,
) -> None:
    """Each revised decision without a case joins the flagging event's plain case, or else
    opens or joins its own subject's (a dispute case is about one contract's money)."""
    homeless = [d for d in revised if d.case_id is None]
    targets = {found[d.event_id].case_id for d in homeless} - {None}
    plain = (
        set(
            conn.execute(
                select(cases.c.id).where(cases.c.id.in_(targets), cases.c.kind != "dispute")
            ).scalars()
        )
        if targets
        else set()
    )
    joining: dict[tuple[int, str], list[Decision]] = defaultdict(list)
    own: list[Decision] = []
    for decision in homeless:
        why = found[decision.event_id]
        if why.case_id is not None and why.case_id in plain:
            joining[(why.case_id, why.hit.reason_code)].append(decision)
        else:
            own.append(decision)
    for (case_id, reason), group in sorted(joining.items()):
        add_evidence(conn, case_id, [d.event_id for d in group], now, reason=reason)
        for decision in group:
            decision.case_id = case_id
    if own:
        opened = open_cases(conn, own, settings, now)
        for decision in own:
            decision.case_id = opened.get(decision.event_id, decision.case_id)


@dataclass(frozen=True, slots=True)
class LookBacks:
    """Several look-backs as the pipeline's one hook, run in order: each sees the batch's
    re-scores and what the look-backs before it reopened."""

    steps: Sequence[ActorLookBack]

    def __call__(
        self, conn: Connection, fresh: Sequence[Event], revised: Sequence[Revision], now: datetime
    ) -> list[Revision]:
        """Every look-back's new versions, in the order they ran."""
        reopened: list[Revision] = []
        for step in self.steps:
            reopened += step(conn, fresh, [*revised, *reopened], now)
        return reopened
