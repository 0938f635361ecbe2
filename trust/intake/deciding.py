"""A sink that decides each batch in this process (``trust ingest --direct``, replay).

The queue sink, for when workers decide, is ``workers.intake_sinks.QueueSink``.
"""

from __future__ import annotations

import logging
from dataclasses import astuple, replace

from trust.errors import TransientStoreError
from trust.events import Event, EventValidationIssue
from trust.intake.batches import IngestBatch
from trust.intake.sinks import BatchOutcome
from trust.intake.validation import refused_record
from trust.pipeline import Pipeline
from trust.store.quarantine import QuarantinedRecord

log = logging.getLogger(__name__)

UNDECIDABLE = "could not be decided"


def _plus(a: BatchOutcome, b: BatchOutcome) -> BatchOutcome:
    return BatchOutcome(*(x + y for x, y in zip(astuple(a), astuple(b), strict=True)))


class PipelineSink:
    """Decides each batch in this process, through the same pipeline the workers run.

    A batch that fails for a reason that is not transient is split in halves, as the workers
    split theirs, so one event that breaks the pipeline does not stop the ingest or hold back
    the others; that event alone is quarantined with the error, to replay after the fix.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def write(self, batch: IngestBatch) -> BatchOutcome:
        """Store, decide and open cases for one batch (one transaction unless it is split)."""
        outcome = self._write(batch.events, batch.quarantined, batch.line_numbers)
        return replace(outcome, duplicates=batch.duplicates)

    def _write(
        self, events: list[Event], refused: list[QuarantinedRecord], lines: dict[str, int]
    ) -> BatchOutcome:
        try:
            return self._decide(events, refused)
        except Exception as exc:
            if isinstance(exc, TransientStoreError) or not events:
                raise
            if len(events) == 1:
                return self._decide([], [*refused, self._undecidable(events[0], exc, lines)])
            log.warning(
                "batch failed; split in halves",
                extra={"records": len(events), "error": f"{type(exc).__name__}: {exc}"},
            )
            middle = len(events) // 2
            first = self._write(events[:middle], refused, lines)
            return _plus(first, self._write(events[middle:], [], lines))

    def _decide(self, events: list[Event], refused: list[QuarantinedRecord]) -> BatchOutcome:
        result = self.pipeline.process(events, refused=refused)
        held_back = len(refused) + (len(events) - result.stored - result.duplicates)
        return BatchOutcome(
            accepted=result.stored,
            duplicates=0,
            quarantined=result.quarantined,
            already_held=held_back - result.quarantined,
            already_stored=result.duplicates,
        )

    def _undecidable(
        self, event: Event, exc: Exception, lines: dict[str, int]
    ) -> QuarantinedRecord:
        issue = EventValidationIssue("(record)", f"{UNDECIDABLE}: {type(exc).__name__}: {exc}")
        return refused_record(
            self.pipeline.source,
            lines.get(event.event_id),
            event.model_dump_json(),
            [issue],
            event_id=event.event_id,
        )
