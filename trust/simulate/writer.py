"""Write simulated events and their truth to disk, byte-for-byte reproducibly."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trust.simulate.plan import TruthRow

EVENTS_FILE = "events.jsonl"
TRUTH_FILE = "truth.csv"
TRUTH_COLUMNS = ("event_id", "is_fraud", "pattern")


@dataclass(slots=True)
class WriteCounts:
    """What was written: events per kind, per pattern, and fraud events per kind."""

    by_kind: Counter[str] = field(default_factory=Counter)
    by_pattern: Counter[str] = field(default_factory=Counter)
    fraud_by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def events(self) -> int:
        """Total events written."""
        return sum(self.by_kind.values())


# One encoder for every line: json.dumps would build a new one per call.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dump(record: dict[str, Any]) -> str:
    """One JSON Lines line: sorted keys and fixed separators, so bytes never vary."""
    return _ENCODER.encode(record)


def write(out_dir: Path, rows: Iterable[tuple[dict[str, Any], TruthRow]]) -> WriteCounts:
    """Write ``events.jsonl`` and ``truth.csv`` into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = WriteCounts()
    with (
        (out_dir / EVENTS_FILE).open("w", encoding="utf-8", newline="\n") as events,
        (out_dir / TRUTH_FILE).open("w", encoding="utf-8", newline="") as truth_file,
    ):
        truth = csv.writer(truth_file, lineterminator="\n")
        truth.writerow(TRUTH_COLUMNS)
        lines: list[str] = []
        for record, row in rows:
            lines.append(dump(record))
            if len(lines) >= 5_000:
                events.write("\n".join(lines) + "\n")
                lines.clear()
            truth.writerow((row.event_id, int(row.is_fraud), row.pattern))
            counts.by_kind[record["kind"]] += 1
            counts.by_pattern[row.pattern] += 1
            if row.is_fraud:
                counts.fraud_by_kind[record["kind"]] += 1
        if lines:
            events.write("\n".join(lines) + "\n")
    return counts
