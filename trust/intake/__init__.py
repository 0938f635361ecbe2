"""Intake: files in, valid events stored, every refused record quarantined with its reason."""

from trust.intake.batches import DEFAULT_BATCH_SIZE, IngestBatch, iter_batches
from trust.intake.ingest import IngestSummary, ingest_file
from trust.intake.replay import ReplaySummary, replay_quarantine
from trust.intake.sinks import BatchOutcome, BatchSink, StoreSink
from trust.store.events import store_events

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "BatchOutcome",
    "BatchSink",
    "IngestBatch",
    "IngestSummary",
    "ReplaySummary",
    "StoreSink",
    "ingest_file",
    "iter_batches",
    "replay_quarantine",
    "store_events",
]
