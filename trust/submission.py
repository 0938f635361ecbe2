"""``trust.submit(events)``: the Python client platform code calls to send events for decision.

Records are validated here so that a caller learns at once what was refused; refused ones
are quarantined with their reason, valid ones are queued in batches through an
``EventSink``. The queue itself lives in ``workers/`` (which ``trust`` never imports): the
composition root wires it with ``use_sink`` (``workers.connect()`` does that), or the
caller passes ``sink=`` explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Protocol

from trust.errors import QueueUnavailableError
from trust.events import Event
from trust.intake.validation import RecordInput, sort_records
from trust.settings import Settings, get_settings
from trust.store import Store, transaction
from trust.store.quarantine import quarantine_records


class EventSink(Protocol):
    """Somewhere to send batches of valid event records (the Redis queue, in production)."""

    def send_batch(self, records: Sequence[dict[str, Any]]) -> None:
        """Enqueue one batch; raises if it could not be accepted."""
        ...


@dataclass(slots=True)
class SubmitResult:
    """How many records were queued, how many were refused, and why."""

    queued: int = 0
    quarantined: int = 0
    batches: int = 0
    refused: list[tuple[str | None, str]] = field(default_factory=list)


_default_sink: EventSink | None = None


def use_sink(sink: EventSink | None) -> None:
    """Make ``sink`` the default destination of ``submit`` (None forgets it)."""
    global _default_sink
    _default_sink = sink


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _as_record(event: Event) -> dict[str, Any]:
    return event.model_dump(mode="json")


def submit(
    events: Iterable[RecordInput],
    *,
    sink: EventSink | None = None,
    store: Store | None = None,
    settings: Settings | None = None,
    source: str = "client",
) -> SubmitResult:
    """Validate ``events``, quarantine the invalid ones and queue the rest in batches."""
    sink = sink or _default_sink
    if sink is None:
        raise QueueUnavailableError(
            "no event sink: call workers.connect() once at start-up, or pass sink="
        )
    settings = settings or get_settings()
    result = SubmitResult()
    own_store = store is None
    for chunk in _chunks(events, settings.worker.batch_size):
        sorted_records = sort_records(chunk, source=source)
        if sorted_records.refused:
            store = store or Store.from_settings(settings)
            with transaction(store.engine) as conn:
                result.quarantined += quarantine_records(
                    conn, sorted_records.refused, received_at=datetime.now(UTC)
                )
            result.refused += [(r.event_id, r.reason) for r in sorted_records.refused]
        if sorted_records.events:
            sink.send_batch([_as_record(e) for e in sorted_records.events])
            result.queued += len(sorted_records.events)
            result.batches += 1
    if own_store and store is not None:
        store.close()
    return result
