"""One batch of raw records in, decisions and cases out, in a single transaction.

Every path that decides (the queue workers, ``trust decide``, direct ingest, the API) goes
through ``Pipeline.process``, built by ``trust.composition``, so a decision means the same
thing whichever way an event arrived.
Processing is idempotent by ``event_id``: a redelivered batch stores nothing twice, scores
nothing twice and opens no second case.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection, select

from trust.decisions import Decision, DecisionRow
from trust.encryption import Keyring
from trust.events import EVENT_KINDS, AppealEvent, Event, EventValidationIssue
from trust.intake.sinks import conflict_record
from trust.intake.validation import (
    CONFLICTING_CONTENT,
    RecordInput,
    refused_record,
    sort_records,
)
from trust.pii import PiiHasher, hasher_for
from trust.settings import Settings
from trust.store import Store, snapshot, transaction
from trust.store.decision_versions import Revision
from trust.store.decisions import StoredDecisionRow, stored_decision
from trust.store.events import (
    existing_event_ids,
    prepare_batch,
    store_events,
    stored_payloads,
)
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.store.sealed import open_records
from trust.store.tables import quarantine


class BatchScorer(Protocol):
    """What the pipeline needs from scoring: decisions for stored events, in order."""

    def score_batch(
        self, conn: Connection, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        """One decision per event (signals see the batch's own rows, not the future)."""
        ...


@runtime_checkable
class AheadScorer(Protocol):
    """A scorer that can also decide new events before they are stored (``Scorer`` can)."""

    def score_unstored(
        self, conn: Connection, events: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> list[Decision]:
        """One decision per event not stored yet; ``conn`` only reads."""
        ...


@dataclass(frozen=True, slots=True)
class Scored:
    """Decisions made before the write transaction, for the events then new (in order)."""

    event_ids: list[str]
    decisions: list[Decision]

    def new_of(self, events: Sequence[Event]) -> list[Event]:
        """The events of ``events`` that were new when scored (repeats of an id kept)."""
        new = set(self.event_ids)
        return [e for e in events if e.event_id in new]

    def for_events(self, fresh: Sequence[Event]) -> list[Decision] | None:
        """The decisions if exactly these events turned out new; None if the store moved on."""
        if [e.event_id for e in fresh] != self.event_ids:
            return None
        return self.decisions


class DecisionWriter(Protocol):
    """Stores decisions (``trust.store.decisions.insert_decisions``)."""

    def __call__(self, conn: Connection, decisions: Sequence[Decision]) -> object:
        """Write one row per decision."""
        ...


class DecisionEnforcer(Protocol):
    """Applies automated blocks to accounts (``trust.enforcement_actions.enforce_decisions``)."""

    def __call__(self, conn: Connection, decisions: Sequence[Decision], now: datetime) -> object:
        """Record the enforcement the decisions impose."""
        ...


class DecisionNotifier(Protocol):
    """Reports decisions to subscribers (``trust.webhooks.emit_decisions``, the outbox)."""

    def __call__(self, conn: Connection, decisions: Sequence[Decision], now: datetime) -> object:
        """Write the messages in the caller's transaction."""
        ...


class AppealIntake(Protocol):
    """Checks appeal events and opens their cases (``trust.appeals.AppealDesk``)."""

    def screen(
        self, conn: Connection, appeals: Sequence[AppealEvent]
    ) -> tuple[Sequence[Any], Sequence[QuarantinedRecord]]:
        """Accepted appeals (opaque targets for ``open``) and refused records."""
        ...

    def open(
        self, conn: Connection, targets: Sequence[Any], settings: Settings, now: datetime
    ) -> Mapping[str, int]:
        """Open or join appeal cases; appeal event_id -> case id."""
        ...


class CaseOpener(Protocol):
    """Opens or joins cases for flagged decisions (``trust.cases.open_or_join``)."""

    def __call__(
        self, conn: Connection, decisions: Sequence[Decision], settings: Settings, now: datetime
    ) -> Mapping[str, int]:
        """Map of event_id to the case it opened or joined."""
        ...


class PartyEventIntake(Protocol):
    """Stores and applies events that feed a process instead of being scored
    (``trust.disputes.parties.take_party_events``)."""

    def __call__(
        self,
        conn: Connection,
        events: Sequence[Any],
        hasher: PiiHasher,
        *,
        source: str,
        now: datetime,
    ) -> PartyOutcome:
        """What was stored, repeated, refused (to quarantine) and which case each joined."""
        ...


class HistoryReviser(Protocol):
    """Re-scores stored decisions a batch's events were late history for
    (``trust.late_history.LateHistory``)."""

    def __call__(
        self, conn: Connection, fresh: Sequence[Event], hasher: PiiHasher, now: datetime
    ) -> Sequence[Revision]:
        """The new decision versions it stored, in the caller's transaction."""
        ...


class ActorLookBack(Protocol):
    """Reopens the earlier allowed events of an actor a batch's decisions flagged
    (``trust.look_back.ComplainantLookBack``, ``trust.reported_look_back``; several run as
    one through ``trust.reopen.LookBacks``)."""

    def __call__(
        self, conn: Connection, fresh: Sequence[Event], revised: Sequence[Revision], now: datetime
    ) -> Sequence[Revision]:
        """The new decision versions it stored, in the caller's transaction."""
        ...


class PartyOutcome(Protocol):
    """What a ``PartyEventIntake`` did with a batch."""

    stored: int
    repeated: int
    refused: list[QuarantinedRecord]
    case_ids: dict[str, int]


@dataclass(slots=True)
class BatchResult:
    """What one batch did: how many records were new, repeated or refused, and the decisions."""

    received: int
    stored: int
    duplicates: int
    quarantined: int
    decisions: list[Decision] = field(default_factory=list)
    case_ids: dict[str, int] = field(default_factory=dict)
    # Appeal event_id -> the appeal case it opened or joined.
    appeal_cases: dict[str, int] = field(default_factory=dict)
    # Stored decisions re-scored because this batch was history they were decided without.
    revisions: list[Revision] = field(default_factory=list)
    # Stored decisions sent to review because this batch flagged their actor (look-back).
    reopened: list[Revision] = field(default_factory=list)

    @property
    def outcomes(self) -> Counter[tuple[str, str]]:
        """Decisions counted by (kind, outcome)."""
        return Counter((d.kind, d.outcome) for d in self.decisions)


class StageClock:
    """Adds the wall time of named blocks to a counter; does nothing without one.

    Stages may nest (``write`` holds ``store``, ``decisions``, ``cases``); ``commit`` is
    the COMMIT alone, timed from ``mark()`` at the end of the transaction's body.
    """

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into = into
        self._mark = 0.0

    def mark(self) -> None:
        """Remember now, for ``since``."""
        if self.into is not None:
            self._mark = time.perf_counter()

    def since(self, stage: str) -> None:
        """Add the time since the last ``mark()`` to ``stage``."""
        if self.into is not None:
            elapsed = time.perf_counter() - self._mark
            self.into[stage] = self.into.get(stage, 0.0) + elapsed

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.into is None:
            yield
            return
        began = time.perf_counter()
        try:
            yield
        finally:
            self.into[stage] = self.into.get(stage, 0.0) + time.perf_counter() - began


@dataclass(slots=True)
class Pipeline:
    """The decision flow wired to its collaborators; ``process`` is its one verb."""

    store: Store
    settings: Settings
    scorer: BatchScorer
    write_decisions: DecisionWriter
    open_cases: CaseOpener
    source: str = "queue"
    # When set, seconds spent per stage accumulate here (benchmarks read it).
    stage_seconds: dict[str, float] | None = None
    # Automated blocks become account enforcement; appeals open appeal cases.
    enforce: DecisionEnforcer | None = None
    appeals: AppealIntake | None = None
    # Dispute party events (statements, evidence, offers, answers) go here.
    party_events: PartyEventIntake | None = None
    # Reviews and blocks go to the webhook outbox in the decisions' own transaction.
    notify: DecisionNotifier | None = None
    # Decisions made before their history arrived get a new version (trust/late_history.py).
    revise: HistoryReviser | None = None
    # A complainant flagged for abusing complaints has its earlier allowed ones sent to
    # review (trust/look_back.py); runs after ``revise``, whose re-scores may flag one.
    look_back: ActorLookBack | None = None

    def process(
        self,
        records: Iterable[RecordInput],
        now: datetime | None = None,
        *,
        refused: Sequence[QuarantinedRecord] = (),
    ) -> BatchResult:
        """Validate, store, score, decide and open cases for one batch, in one transaction.

        Scoring reads ahead in a snapshot (see ``_score_ahead``); the one write transaction
        then stores events, decisions and cases together.

        ``refused`` are records a caller already refused (intake validates as it reads);
        they are quarantined in the same transaction.
        """
        now = now or datetime.now(UTC)
        clock = StageClock(self.stage_seconds)
        # Queue messages carry personal fields sealed (workers/actors.py seals them).
        records = open_records(records, Keyring.from_settings(self.settings))
        with clock("validate"):
            sorted_records = sort_records(records, source=self.source)
        hasher = hasher_for(self.settings)
        result = BatchResult(
            received=len(records) + len(refused), stored=0, duplicates=0, quarantined=0
        )
        appeals = [e for e in sorted_records.events if isinstance(e, AppealEvent)]
        party = [
            e
            for e in sorted_records.events
            if e.kind not in EVENT_KINDS and not isinstance(e, AppealEvent)
        ]
        scorable = [e for e in sorted_records.events if e.kind in EVENT_KINDS]
        scored = self._score_ahead(scorable, hasher, now, clock)
        # The inserts of what scoring found new, bound before the write lock: the lock is
        # held to run them (a redelivery's stored events are not bound again).
        with clock("prepare"):
            new = scorable if scored is None else scored.new_of(scorable)
            ready = prepare_batch(
                self.store.engine.dialect, new, hasher, source=self.source, received_at=now
            )
        with clock("write"), transaction(self.store.engine) as conn:
            with clock("store"):
                stored = store_events(
                    conn, scorable, hasher, source=self.source, received_at=now, prepared=ready
                )
                conflicts = [conflict_record(self.source, None, e) for e in stored.conflicting]
                # quarantine_records holds each (source, line, raw) once: redelivery adds none.
                result.quarantined = quarantine_records(
                    conn, [*refused, *sorted_records.refused, *conflicts], received_at=now
                )
            result.stored = len(stored.fresh)
            result.duplicates = stored.repeated
            if stored.fresh:
                decisions = scored.for_events(stored.fresh) if scored is not None else None
                if decisions is None:
                    # Another worker stored some of these meanwhile (a redelivery racing
                    # the original): score what is new now, inside the lock, as before.
                    with clock("score_locked"):
                        decisions = self.scorer.score_batch(conn, stored.fresh, hasher, now)
                result.decisions = decisions
                with clock("decisions"):
                    self.write_decisions(conn, result.decisions)
                with clock("cases"):
                    result.case_ids = dict(
                        self.open_cases(conn, result.decisions, self.settings, now)
                    )
                    if self.enforce is not None:
                        self.enforce(conn, result.decisions, now)
                    if self.notify is not None:
                        self.notify(conn, result.decisions, now)
                if self.revise is not None:
                    with clock("late_history"):
                        result.revisions = list(self.revise(conn, stored.fresh, hasher, now))
                if self.look_back is not None:
                    with clock("look_back"):
                        result.reopened = list(
                            self.look_back(conn, stored.fresh, result.revisions, now)
                        )
            if party:
                self._take_party_events(conn, party, hasher, now, result)
            if appeals:
                with clock("appeals"):
                    self._take_appeals(conn, appeals, hasher, now, result)
            clock.mark()
        clock.since("commit")
        return result

    def _take_appeals(
        self,
        conn: Connection,
        appeals: Sequence[AppealEvent],
        hasher: PiiHasher,
        now: datetime,
        result: BatchResult,
    ) -> None:
        """Check new appeals against the store (this batch's decisions included), store the
        accepted ones and open their cases; quarantine the refused ones with the reason."""
        if self.appeals is None:
            raise TypeError("this pipeline has no appeal intake; wire one (trust.composition)")
        known = existing_event_ids(conn, [a.event_id for a in appeals])
        new = list({a.event_id: a for a in appeals if a.event_id not in known}.values())
        targets, refused = self.appeals.screen(conn, new)
        turned_down = {r.event_id for r in refused}
        stored = store_events(
            conn,
            [a for a in appeals if a.event_id not in turned_down],
            hasher,
            source=self.source,
            received_at=now,
        )
        conflicts = [conflict_record(self.source, None, e) for e in stored.conflicting]
        result.quarantined += quarantine_records(conn, [*refused, *conflicts], received_at=now)
        result.stored += len(stored.fresh)
        result.duplicates += stored.repeated
        fresh = {e.event_id for e in stored.fresh}
        if fresh:
            result.appeal_cases = dict(
                self.appeals.open(
                    conn, [t for t in targets if t.event.event_id in fresh], self.settings, now
                )
            )

    def _take_party_events(
        self,
        conn: Connection,
        events: Sequence[Event],
        hasher: PiiHasher,
        now: datetime,
        result: BatchResult,
    ) -> None:
        """After the batch's cases exist (a complaint and its answer may share a batch)."""
        if self.party_events is None:  # a pipeline wired without a dispute process
            refusals = [
                refused_record(
                    self.source,
                    None,
                    e.model_dump_json(),
                    [EventValidationIssue("kind", f"{e.kind} events are not taken here")],
                    event_id=e.event_id,
                )
                for e in events
            ]
            result.quarantined += quarantine_records(conn, refusals, received_at=now)
            return
        taken = self.party_events(conn, events, hasher, source=self.source, now=now)
        result.stored += taken.stored
        result.duplicates += taken.repeated
        result.quarantined += quarantine_records(conn, taken.refused, received_at=now)
        result.case_ids.update(taken.case_ids)

    def _score_ahead(
        self, events: Sequence[Event], hasher: PiiHasher, now: datetime, clock: StageClock
    ) -> Scored | None:
        """Signals, rules and model for the batch's new events, read without the write lock.

        The look-ups run in a read snapshot with the batch merged in memory, so the write
        transaction that follows only inserts: two workers overlap everything but their
        inserts. None when the scorer cannot score ahead.
        """
        if not events or not isinstance(self.scorer, AheadScorer):
            return None
        with clock("score"), snapshot(self.store.engine) as conn:
            seen = existing_event_ids(conn, [e.event_id for e in events])
            # The first of each new event_id, as insert_events keeps it.
            fresh: list[Event] = []
            for event in events:
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    fresh.append(event)
            return (
                Scored([], [])
                if not fresh
                else Scored(
                    [e.event_id for e in fresh],
                    self.scorer.score_unstored(conn, fresh, hasher, now),
                )
            )


@dataclass(frozen=True, slots=True)
class SingleDecision:
    """The synchronous answer for one event: decided now, decided before, or refused."""

    status: str  # 'decided' | 'already_decided' | 'recorded' | 'appeal_received' | 'quarantined'
    event_id: str | None
    decision: DecisionRow | None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form for ``trust decide``."""
        return {
            "status": self.status,
            "event_id": self.event_id,
            "reason": self.reason,
            "decision": self.decision,
        }


def decide_one(
    pipeline: Pipeline, record: RecordInput, now: datetime | None = None
) -> SingleDecision:
    """Decide one event synchronously through the same batch code the workers run."""
    return decide_many(pipeline, [record], now)[0]


def decide_many(
    pipeline: Pipeline, records: Sequence[RecordInput], now: datetime | None = None
) -> list[SingleDecision]:
    """Decide several events synchronously in one batch; one answer per record, in order.

    The API groups concurrent ``POST /v1/decisions`` requests this way: one transaction
    for the group instead of one per event. A record repeated in the group gets the
    answer of its first copy.
    """
    checked = [sort_records([record], source=pipeline.source) for record in records]
    refused = [c.refused[0] for c in checked if c.refused]
    unique: dict[str, Event] = {}
    for c in checked:
        if c.events:
            unique.setdefault(c.events[0].event_id, c.events[0])
    result = pipeline.process(list(unique.values()), now, refused=refused)
    decided = {d.event_id: d for d in result.decisions}
    # Dispute party events are never decided: they join their dispute's case, or are refused.
    party = {
        e.event_id
        for e in unique.values()
        if e.kind not in EVENT_KINDS and not isinstance(e, AppealEvent)
    }
    settled = [
        e
        for e in unique.values()
        if e.event_id not in decided
        and e.event_id not in result.appeal_cases
        and e.event_id not in party
    ]
    earlier: dict[str, StoredDecisionRow | None] = {}
    held: dict[str, str] = {}
    if settled or party:  # else every event was decided now: nothing to look up
        with snapshot(pipeline.store.engine) as conn:
            stored = stored_payloads(conn, (e.event_id for e in settled))
            earlier = {
                e.event_id: stored_decision(conn, e.event_id)
                for e in settled
                if stored.get(e.event_id) == e.model_dump(mode="json")
            }
            held = _quarantine_reasons(
                conn, [*party, *(e.event_id for e in settled if e.event_id not in earlier)]
            )
    answers: list[SingleDecision] = []
    for c in checked:
        if c.refused:
            answers.append(
                SingleDecision("quarantined", c.refused[0].event_id, None, c.refused[0].reason)
            )
            continue
        event_id = c.events[0].event_id
        if event_id in result.appeal_cases:
            answers.append(
                SingleDecision(
                    "appeal_received",
                    event_id,
                    None,
                    f"appeal case {result.appeal_cases[event_id]}",
                )
            )
        elif event_id in party and event_id not in held:
            case_id = result.case_ids.get(event_id)
            answers.append(
                SingleDecision(
                    "recorded",
                    event_id,
                    None,
                    (f"joined case {case_id}" if case_id else "held until its dispute opens"),
                )
            )
        elif event_id in decided:
            row = decided[event_id].to_row()
            row["case_id"] = result.case_ids.get(event_id, decided[event_id].case_id)
            answers.append(SingleDecision("decided", event_id, row))
        elif event_id in earlier:
            answers.append(SingleDecision("already_decided", event_id, earlier[event_id]))
        else:
            answers.append(
                SingleDecision(
                    "quarantined",
                    event_id,
                    None,
                    held.get(event_id, f"event_id: {CONFLICTING_CONTENT}"),
                )
            )
    return answers


def _quarantine_reasons(conn: Connection, event_ids: Sequence[str]) -> dict[str, str]:
    """The latest quarantine reason of each of ``event_ids`` that was held."""
    if not event_ids:
        return {}
    rows = conn.execute(
        select(quarantine.c.event_id, quarantine.c.reason)
        .where(quarantine.c.event_id.in_(list(event_ids)))
        .order_by(quarantine.c.id)
    )
    return {row.event_id: row.reason for row in rows}
