"""``POST /v1/events``: a batch validated item by item, refused ones quarantined, the rest
sent on through an ``EventSink`` (the workers' queue, or the pipeline in this process)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from trust.api.problems import FieldProblem
from trust.api.schemas import BatchAccepted, ItemResult
from trust.events import Event, EventValidationIssue
from trust.intake.sinks import conflict_record
from trust.intake.validation import refused_record, sort_records
from trust.pipeline import Pipeline
from trust.store import Store, snapshot, transaction
from trust.store.events import sort_against_store
from trust.store.quarantine import QuarantinedRecord, quarantine_records
from trust.submission import EventSink

NOT_AN_OBJECT = "an event must be a JSON object"


class DecideHereSink:
    """An ``EventSink`` that decides each batch at once (no workers consume a queue)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def send_batch(self, records: Sequence[dict[str, Any]]) -> None:
        """Store, decide and open cases for ``records`` in one transaction."""
        self.pipeline.process(records)

    def send_events(self, events: Sequence[Event]) -> None:
        """As ``send_batch``, for events validated already: the pipeline takes them as
        they are, where records dumped for a queue would be validated a second time."""
        self.pipeline.process(events)


def _problems(record: QuarantinedRecord) -> list[FieldProblem]:
    return [
        FieldProblem(field=e.get("field", "(record)"), problem=e.get("message", ""))
        for e in record.errors
    ]


def _refused(source: str, index: int, raw: Any) -> QuarantinedRecord:
    text = json.dumps(raw, ensure_ascii=False)[:100_000]
    return refused_record(
        source, index + 1, text, [EventValidationIssue("(record)", NOT_AN_OBJECT)]
    )


def take_batch(
    store: Store,
    sink: EventSink,
    records: Sequence[Any],
    *,
    source: str,
    chunk: int,
    escaped: bool = True,
) -> BatchAccepted:
    """Validate each record, quarantine the refused (as ``trust ingest`` does), send the new.

    ``escaped=False``: the records were decoded from JSON without a ``\\u`` escape.
    """
    refused: dict[int, QuarantinedRecord] = {}
    objects: list[tuple[int, Any]] = []
    for index, record in enumerate(records):
        if isinstance(record, dict):
            objects.append((index, record))
        else:
            refused[index] = _refused(source, index, record)
    checked = sort_records([r for _, r in objects], source=source, escaped=escaped)
    bad_lines = set()
    for entry in checked.refused:
        position = objects[(entry.line_number or 1) - 1][0]
        bad_lines.add(position)
        refused[position] = QuarantinedRecord(
            entry.source, position + 1, entry.raw, entry.errors, entry.reason, entry.event_id
        )
    valid = [
        (i, e)
        for (i, _), e in zip(
            [o for o in objects if o[0] not in bad_lines], checked.events, strict=True
        )
    ]
    ids = {i: e.event_id for i, e in valid}
    status: dict[int, str] = {}
    first: dict[str, tuple[int, Event]] = {}
    for index, event in valid:
        if event.event_id not in first:
            first[event.event_id] = (index, event)
        elif event == first[event.event_id][1]:
            status[index] = "duplicate"
        else:  # the same id with other content, as ``trust ingest`` refuses it in a file
            refused[index] = conflict_record(source, index + 1, event)
    # A read in a snapshot: it must not queue behind the decide path's write lock.
    with snapshot(store.engine) as conn:
        known = sort_against_store(conn, [e for _, e in first.values()])
    new_ids = {e.event_id for e in known.new}
    for event in known.conflicting:
        index = first[event.event_id][0]
        refused[index] = conflict_record(source, index + 1, event)
    conflicting = {e.event_id for e in known.conflicting}
    for event_id, (index, _) in first.items():
        if event_id in new_ids:
            status[index] = "accepted"
        elif event_id not in conflicting:
            status[index] = "already_stored"
    if refused:
        with transaction(store.engine) as conn:
            quarantine_records(conn, list(refused.values()), received_at=datetime.now(UTC))
    for start in range(0, len(known.new), chunk):
        events = known.new[start : start + chunk]
        if isinstance(sink, DecideHereSink):
            sink.send_events(events)
        else:  # a queue carries the records as sent (valid JSON): workers validate them again
            sink.send_batch([records[first[e.event_id][0]] for e in events])
    items = []
    for index in range(len(records)):
        if index in refused:
            items.append(
                ItemResult(
                    index=index,
                    event_id=refused[index].event_id,
                    status="quarantined",
                    errors=_problems(refused[index]),
                )
            )
        else:
            items.append(ItemResult(index=index, event_id=ids[index], status=status[index]))  # type: ignore[arg-type]
    counts = {
        s: sum(1 for i in items if i.status == s)
        for s in ("accepted", "duplicate", "already_stored", "quarantined")
    }
    return BatchAccepted(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        already_stored=counts["already_stored"],
        quarantined=counts["quarantined"],
        items=items,
    )
