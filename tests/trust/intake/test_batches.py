"""Nothing is dropped: every non-blank line of any file ends up accepted, repeated or held."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import PAYLOAD_BUILDERS
from trust.intake import iter_batches

VALID_LINES = st.sampled_from(sorted(PAYLOAD_BUILDERS)).map(
    lambda kind: json.dumps(PAYLOAD_BUILDERS[kind](event_id=f"{kind}-1")).encode()
)
ANY_LINE = VALID_LINES | st.binary(max_size=120).map(lambda raw: raw.replace(b"\n", b""))


@settings(max_examples=60, deadline=None)
@given(st.lists(ANY_LINE, max_size=30), st.sampled_from([b"\n", b"\r\n"]), st.integers(1, 7))
def test_every_non_blank_line_is_accounted_for_exactly_once(
    lines: list[bytes], ending: bytes, batch_size: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.jsonl"
        path.write_bytes(ending.join(lines))
        batches = list(iter_batches(path, source="fuzz", batch_size=batch_size))
    held = [r.line_number for b in batches for r in b.quarantined]
    accepted = [b.line_numbers[e.event_id] for b in batches for e in b.events]
    duplicates = sum(b.duplicates for b in batches)
    # The reader drops a byte-order mark at the very start of the file.
    as_read = [lines[0].removeprefix(b"\xef\xbb\xbf"), *lines[1:]] if lines else []
    non_blank = [n for n, line in enumerate(as_read, start=1) if line.strip()]
    assert len(held) + len(accepted) + duplicates == len(non_blank)
    assert set(held) | set(accepted) <= set(non_blank)
    assert len(set(held) | set(accepted)) == len(held) + len(accepted)
    assert all(
        r.reason.startswith(f"line {r.line_number}: ") for b in batches for r in b.quarantined
    )


CSV_LINES = st.sampled_from(
    [b"kind,event_id,rating", b"review,rv-1,5", b'review,"rv-2', b'5"', b"a,b", b",,", b'"""']
) | st.binary(max_size=60).map(lambda raw: raw.replace(b"\n", b""))


@settings(max_examples=60, deadline=None)
@given(st.lists(CSV_LINES, max_size=20))
def test_any_csv_file_reads_without_raising_and_names_lines(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.csv"
        path.write_bytes(b"\n".join(lines))
        batches = list(iter_batches(path, source="fuzz", batch_size=3))
    for batch in batches:
        for record in batch.quarantined:
            assert record.line_number is not None and 1 <= record.line_number <= len(lines)
            assert record.reason.startswith(f"line {record.line_number}: ")
