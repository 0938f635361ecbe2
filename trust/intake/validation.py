"""Validation of incoming records, in one place: each record becomes an event or a
quarantine entry naming the field.

Every way in goes through ``screen``: files (``trust.intake.batches``), the queue, direct
decisions and the API (``sort_records``, used by ``trust.pipeline``), and ``trust.submit``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from trust.events import Event, EventValidationIssue, validate_record
from trust.store.quarantine import QuarantinedRecord

CONFLICTING_CONTENT = "event_id already used with different content"
TOO_LARGE = "too_large"

# What callers hand to the pipeline for one record: a mapping, its JSON text or bytes, or
# an event validated already (passed through). Records read from a file are
# ``trust.intake.readers.RawRecord`` (with line number and offsets) instead.
RecordInput = Mapping[str, Any] | str | bytes | Event


def describe(line_number: int | None, issues: Sequence[EventValidationIssue]) -> str:
    """One line for people: 'line 7: rating: Input should be ...; text: ...'."""
    where = f"line {line_number}: " if line_number is not None else ""
    return where + "; ".join(str(issue) for issue in issues)


def refused_record(
    source: str,
    line_number: int | None,
    raw: str,
    issues: Sequence[EventValidationIssue],
    *,
    event_id: str | None = None,
    truncated: bool = False,
    cite_line: bool = True,
) -> QuarantinedRecord:
    """The quarantine entry for a record refused for ``issues``.

    ``cite_line`` puts the line number in the reason; a record's place in a queue batch or
    an API request is no line anyone can look up, so those reasons leave it out.
    """
    errors = [issue.as_dict() for issue in issues]
    if truncated:
        # Marks records that cannot be replayed: only the start of the line was kept.
        errors = [{**error, "code": TOO_LARGE} for error in errors]
    return QuarantinedRecord(
        source=source,
        line_number=line_number,
        raw=raw,
        errors=errors,
        reason=describe(line_number if cite_line else None, issues),
        event_id=event_id,
    )


def screen(
    data: Any,
    raw_text: Callable[[], str],
    *,
    source: str,
    line_number: int | None,
    cite_line: bool = True,
    escaped: bool = True,
) -> Event | QuarantinedRecord:
    """Validate one record: the event, or its quarantine entry (``raw_text`` only then).

    ``escaped``: as for ``validate_record`` (False: decoded from JSON without a ``\\u``).
    """
    result = validate_record(data, escaped=escaped)
    if result.event is not None:
        return result.event
    return refused_record(
        source,
        line_number,
        raw_text(),
        result.issues,
        event_id=result.event_id,
        cite_line=cite_line,
    )


def raw_text(record: Any) -> str:
    """A record as text for the quarantine: bytes decoded, mappings as JSON."""
    if isinstance(record, bytes):
        return record.decode("utf-8", errors="replace")
    if isinstance(record, str):
        return record
    try:
        return json.dumps(record, default=str, ensure_ascii=False)
    except RecursionError:
        # Nested past the interpreter's recursion limit (only a Python caller can build
        # that; JSON text that deep is refused by the decoder): repr() would fail the same way.
        return json.dumps(_clipped(record, 0), default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(record)


RAW_DEPTH = 64


def _clipped(value: Any, depth: int) -> Any:
    """``value`` with anything nested deeper than ``RAW_DEPTH`` replaced by a marker."""
    if depth >= RAW_DEPTH:
        return f"… (nested deeper than {RAW_DEPTH} levels)"
    if isinstance(value, Mapping):
        return {str(k): _clipped(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clipped(v, depth + 1) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class SortedRecords:
    """A batch split into valid events and refused records (with their reasons)."""

    events: list[Event]
    refused: list[QuarantinedRecord]


def sort_records(
    records: Iterable[RecordInput], *, source: str, escaped: bool = True
) -> SortedRecords:
    """Validate each record of a batch; events validated already pass through.

    ``escaped``: as for ``validate_record`` (False: decoded from JSON without a ``\\u``).
    """
    valid: list[Event] = []
    refused: list[QuarantinedRecord] = []
    for position, record in enumerate(records, start=1):
        if not isinstance(record, Mapping | str | bytes):
            valid.append(record)
            continue
        checked = screen(
            record,
            partial(raw_text, record),
            source=source,
            line_number=position,
            cite_line=False,
            escaped=escaped,
        )
        if isinstance(checked, QuarantinedRecord):
            refused.append(checked)
        else:
            valid.append(checked)
    return SortedRecords(valid, refused)
