"""Read and validate a file into batches of valid events and quarantine records.

This half of intake touches no store: a sink (``trust.intake.sinks``) decides where a
batch goes, so the same reading serves direct ingest and enqueueing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from trust.events import Event, EventValidationIssue
from trust.intake.readers import RawRecord, read_records
from trust.intake.validation import CONFLICTING_CONTENT, refused_record, screen
from trust.store.quarantine import QuarantinedRecord

DEFAULT_BATCH_SIZE = 500


@dataclass(slots=True)
class IngestBatch:
    """A slice of a file: its valid events, its refused records and how far reading got."""

    events: list[Event] = field(default_factory=list)
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    # The line each event came from, for quarantine entries a sink may still raise.
    line_numbers: dict[str, int] = field(default_factory=dict)
    # Repeats of an event_id with identical content earlier in the same file.
    duplicates: int = 0
    # Progress through the file so far (not only this batch).
    lines_read: int = 0
    bytes_read: int = 0

    def __len__(self) -> int:
        return len(self.events) + len(self.quarantined) + self.duplicates


def content_digest(event: Event) -> bytes:
    """A fingerprint of an event's normalised content (formatting differences do not count)."""
    return hashlib.blake2b(event.model_dump_json().encode(), digest_size=16).digest()


class _FileDeduplicator:
    """Remembers each event_id of one file with the digest of its first content."""

    def __init__(self) -> None:
        self._seen: dict[str, bytes] = {}

    def check(self, event: Event) -> str:
        """'new', 'duplicate' (same content again) or 'conflict' (same id, other content)."""
        digest = content_digest(event)
        first = self._seen.get(event.event_id)
        if first is None:
            self._seen[event.event_id] = digest
            return "new"
        return "duplicate" if first == digest else "conflict"


def _sort(record: RawRecord, source: str, dedup: _FileDeduplicator, batch: IngestBatch) -> None:
    if record.problem is not None:
        batch.quarantined.append(
            refused_record(
                source,
                record.line_number,
                record.raw_text,
                [record.problem],
                truncated=record.truncated,
            )
        )
        return
    checked = screen(
        record.data, lambda: record.raw_text, source=source, line_number=record.line_number
    )
    if isinstance(checked, QuarantinedRecord):
        batch.quarantined.append(checked)
        return
    verdict = dedup.check(checked)
    if verdict == "new":
        batch.events.append(checked)
        batch.line_numbers[checked.event_id] = record.line_number
    elif verdict == "duplicate":
        batch.duplicates += 1
    else:
        issue = EventValidationIssue("event_id", CONFLICTING_CONTENT)
        batch.quarantined.append(
            refused_record(
                source, record.line_number, record.raw_text, [issue], event_id=checked.event_id
            )
        )


def iter_batches(
    path: Path, *, source: str, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[IngestBatch]:
    """Batches of at most ``batch_size`` records from ``path``; never raises on bad content.

    Each event_id of the file is remembered (about 100 bytes each) so that a repeat is told
    apart from an id reused for other content.
    """
    dedup = _FileDeduplicator()
    batch = IngestBatch()
    with path.open("rb") as handle:
        for record in read_records(handle, path):
            _sort(record, source, dedup, batch)
            batch.lines_read = record.line_number
            batch.bytes_read = record.end_offset
            if len(batch) >= batch_size:
                yield batch
                batch = IngestBatch(lines_read=record.line_number, bytes_read=record.end_offset)
        batch.bytes_read = handle.tell()
    if len(batch) or batch.bytes_read:
        yield batch
