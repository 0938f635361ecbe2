"""Reading JSON Lines and CSV as bytes: every line accounted for, nothing can stop the reader."""

from __future__ import annotations

import io
from typing import Any

import pytest

from trust.events.validation import MAX_RECORD_BYTES
from trust.intake.readers import OVERSIZE_KEPT_BYTES, RawRecord, nest_row, read_csv, read_json_lines


def jsonl(raw: bytes) -> list[RawRecord]:
    return list(read_json_lines(io.BytesIO(raw)))


def csv_records(raw: bytes) -> list[RawRecord]:
    return list(read_csv(io.BytesIO(raw)))


def test_json_lines_skip_blank_lines_but_keep_counting_them() -> None:
    records = jsonl(b'{"a": 1}\n\n   \n{"b": 2}\r\n{"c": 3}')
    assert [(r.line_number, r.data) for r in records] == [
        (1, b'{"a": 1}'),
        (4, b'{"b": 2}'),
        (5, b'{"c": 3}'),
    ]


def test_a_byte_order_mark_on_the_first_line_is_dropped() -> None:
    assert jsonl(b'\xef\xbb\xbf{"a": 1}\n')[0].data == b'{"a": 1}'


def test_an_over_long_line_is_cut_measured_and_reading_goes_on() -> None:
    huge = b'{"text": "' + b"x" * (MAX_RECORD_BYTES + 10) + b'"}'
    records = jsonl(huge + b'\n{"after": true}\n')
    first, second = records
    assert first.truncated and first.problem is not None
    assert first.size == len(huge)
    assert len(first.data) == OVERSIZE_KEPT_BYTES
    assert str(len(huge)) in first.problem.message
    assert (second.line_number, second.data) == (2, b'{"after": true}')


def test_a_line_exactly_at_the_limit_is_read_whole() -> None:
    line = b"x" * MAX_RECORD_BYTES
    (record,) = jsonl(line + b"\n")
    assert record.problem is None and record.data == line


def test_undecodable_bytes_are_kept_and_shown_escaped() -> None:
    (record,) = jsonl(b'{"text": "caf\xe9"}\n')
    assert record.data == b'{"text": "caf\xe9"}'
    assert record.raw_text == '{"text": "caf\\xe9"}'


@pytest.mark.parametrize(
    ("columns", "cells", "expected"),
    [
        (["kind", "rating"], ["review", "5"], {"kind": "review", "rating": "5"}),
        (
            ["profile.email", "profile.country"],
            ["a@b.co", "GB"],
            {"profile": {"email": "a@b.co", "country": "GB"}},
        ),
        (["kind", "network.ip"], ["review", ""], {"kind": "review"}),
        (["evidence_refs.1", "evidence_refs.0"], ["f2", "f1"], {"evidence_refs": ["f1", "f2"]}),
        (["a.b.c"], ["deep"], {"a": {"b": {"c": "deep"}}}),
    ],
    ids=["flat", "dotted", "empty is absent", "indexed list", "deep"],
)
def test_csv_rows_nest_by_dotted_column_names(
    columns: list[str], cells: list[str], expected: dict[str, Any]
) -> None:
    assert nest_row(columns, cells) == expected


def test_csv_records_keep_quoted_newlines_and_the_starting_line_number() -> None:
    records = csv_records(b'kind,text\nreview,"two\nlines"\n\nreview,plain\n')
    assert [(r.line_number, r.data) for r in records] == [
        (2, {"kind": "review", "text": "two\nlines"}),
        (5, {"kind": "review", "text": "plain"}),
    ]


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (b"kind,kind", "appears twice"),
        (b"kind,,text", "no name"),
        (b"kind,profile,profile.email", "parent"),
        (b"kind,bad name", "dotted field path"),
    ],
)
def test_a_bad_csv_header_refuses_every_row_with_the_reason(header: bytes, words: str) -> None:
    records = csv_records(header + b"\nreview,a,b\nreview,c,d\n")
    assert len(records) == 2
    for record in records:
        assert record.problem is not None
        assert record.problem.field == "(header)" and words in record.problem.message


def test_a_csv_row_with_the_wrong_number_of_cells_is_refused() -> None:
    (record,) = csv_records(b"kind,rating\nreview,5,extra\n")
    assert record.problem is not None and "3 cells" in record.problem.message


def test_a_csv_row_that_is_not_utf8_is_refused_with_its_bytes_kept() -> None:
    (record,) = csv_records(b"kind,text\nreview,caf\xe9\n")
    assert record.problem is not None and "UTF-8" in record.problem.message
    assert record.raw_text == "review,caf\\xe9"


def test_csv_raw_text_is_the_nested_record_as_json_so_it_can_be_replayed() -> None:
    (record,) = csv_records(b"kind,profile.country\nreview,GB\n")
    assert record.raw_text == '{"kind": "review", "profile": {"country": "GB"}}'
