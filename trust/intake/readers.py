"""Read input files record by record, as bytes, so no content can stop the reading.

Formats, chosen by file suffix (``.csv`` is CSV, anything else is JSON Lines):

JSON Lines
    One JSON object per line. Lines holding only whitespace are skipped (their line
    numbers still count). ``\\r\\n`` endings and a UTF-8 byte-order mark are accepted.

CSV (for flat records)
    The first non-blank row is the header. A dotted column name builds nested fields:
    ``profile.email`` becomes ``{"profile": {"email": ...}}``; an integer segment builds a
    list: ``evidence_refs.0``, ``evidence_refs.1``. An empty cell means the field is
    absent. Every cell is text; the validator converts it to the field's type
    (``"5"`` -> 5, ``"true"`` -> True, ISO timestamps and dates). Quoted cells may span
    lines; a record's line number is the line where it starts.

Limits
    A record (a JSON line, or a CSV record) may hold up to ``MAX_RECORD_BYTES`` bytes.
    A longer one is not loaded: its first ``OVERSIZE_KEPT_BYTES`` bytes are kept for the
    quarantine, its true size is reported, and reading goes on with the next line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from trust.events.validation import MAX_RECORD_BYTES, EventValidationIssue

OVERSIZE_KEPT_BYTES = 4096
_BOM = b"\xef\xbb\xbf"
_DRAIN_CHUNK = 1 << 20
_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$")


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read: where it starts, what to validate, or why it cannot be read."""

    line_number: int
    data: bytes | dict[str, Any]
    size: int
    end_offset: int
    problem: EventValidationIssue | None = None
    truncated: bool = False

    @property
    def raw_text(self) -> str:
        """The record as text for people: undecodable bytes shown as ``\\xNN``, never lost."""
        if isinstance(self.data, dict):
            return json.dumps(self.data, ensure_ascii=False)
        return self.data.decode("utf-8", errors="backslashreplace")


def _strip_ending(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    return line[:-1] if line.endswith(b"\n") else line


def _physical_lines(handle: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Each line without its ending, and its size; over-long lines are cut and drained."""
    while True:
        line = handle.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        if len(line) <= MAX_RECORD_BYTES or line.endswith(b"\n"):
            content = _strip_ending(line)
            yield content, len(content)
            continue
        # Over-long: measure the rest of the line without holding it in memory.
        size = len(line)
        while True:
            chunk = handle.readline(_DRAIN_CHUNK)
            size += len(_strip_ending(chunk))
            if not chunk or chunk.endswith(b"\n"):
                break
        yield line, size


def _too_large(line_number: int, data: bytes, size: int, offset: int) -> RawRecord:
    issue = EventValidationIssue(
        "(record)",
        f"record is {size} bytes; limit {MAX_RECORD_BYTES} (first {OVERSIZE_KEPT_BYTES} kept)",
    )
    return RawRecord(line_number, data[:OVERSIZE_KEPT_BYTES], size, offset, issue, truncated=True)


def read_json_lines(handle: BinaryIO) -> Iterator[RawRecord]:
    """Records of a JSON Lines stream, one per non-blank line."""
    for line_number, (line, size) in enumerate(_physical_lines(handle), start=1):
        if line_number == 1 and line.startswith(_BOM):
            line, size = line[len(_BOM) :], size - len(_BOM)
        if size > MAX_RECORD_BYTES:
            yield _too_large(line_number, line, size, handle.tell())
        elif line.strip():
            yield RawRecord(line_number, line, size, handle.tell())


def _logical_csv_records(handle: BinaryIO) -> Iterator[tuple[int, bytes, int]]:
    """(first line number, record bytes, size): physical lines joined while a quote is open."""
    pending: list[bytes] = []
    start = quotes = size_so_far = 0
    for line_number, (line, size) in enumerate(_physical_lines(handle), start=1):
        if not pending:
            start = line_number
        pending.append(line)
        quotes += line.count(b'"')
        size_so_far += size + (1 if len(pending) > 1 else 0)
        if quotes % 2 == 0 or size_so_far > MAX_RECORD_BYTES:
            yield start, b"\n".join(pending), size_so_far
            pending, quotes, size_so_far = [], 0, 0
    if pending:
        yield start, b"\n".join(pending), size_so_far


def _header_problem(columns: list[str]) -> str | None:
    seen: set[str] = set()
    for column in columns:
        if not column:
            return "a column has no name"
        if column in seen:
            return f"column {column!r} appears twice"
        seen.add(column)
        if not all(_SEGMENT.match(part) for part in column.split(".")):
            return f"column {column!r} is not a dotted field path"
    for column in columns:
        if any(other.startswith(column + ".") for other in seen):
            return f"column {column!r} is both a field and the parent of other columns"
    return None


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all integers into lists, in index order."""
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def nest_row(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """A CSV row as a nested record: dotted columns nest, integer segments index lists."""
    record: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=True):
        if cell == "":
            continue
        *parents, leaf = column.split(".")
        node = record
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = cell
    return {key: _listify(value) for key, value in record.items()}


def _parse_cells(text: str) -> list[str]:
    return next(csv.reader([text]), [])


def read_csv(handle: BinaryIO) -> Iterator[RawRecord]:
    """Records of a CSV stream with a header row (see the module docstring)."""
    columns: list[str] | None = None
    header_problem: str | None = None
    for line_number, data, size in _logical_csv_records(handle):
        offset = handle.tell()
        if columns is None and line_number == 1 and data.startswith(_BOM):
            data, size = data[len(_BOM) :], size - len(_BOM)
        if size > MAX_RECORD_BYTES:
            yield _too_large(line_number, data, size, offset)
            continue
        if not data.strip():
            continue
        try:
            cells = _parse_cells(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            issue = EventValidationIssue("(record)", f"not valid UTF-8 at byte {exc.start}")
            yield RawRecord(line_number, data, size, offset, issue)
            continue
        except csv.Error as exc:
            issue = EventValidationIssue("(record)", f"not valid CSV: {exc}")
            yield RawRecord(line_number, data, size, offset, issue)
            continue
        if columns is None:
            columns = [cell.strip() for cell in cells]
            header_problem = _header_problem(columns)
            continue
        if header_problem is not None:
            issue = EventValidationIssue("(header)", header_problem)
            yield RawRecord(line_number, data, size, offset, issue)
        elif len(cells) != len(columns):
            issue = EventValidationIssue(
                "(record)", f"{len(cells)} cells; the header has {len(columns)} columns"
            )
            yield RawRecord(line_number, data, size, offset, issue)
        else:
            yield RawRecord(line_number, nest_row(columns, cells), size, offset)


def read_records(handle: BinaryIO, path: Path) -> Iterator[RawRecord]:
    """Records of ``path`` in the format its suffix names."""
    if path.suffix.lower() == ".csv":
        return read_csv(handle)
    return read_json_lines(handle)
