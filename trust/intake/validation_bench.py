"""What validating a record costs per event, by kind (``trust bench validation``).

Records go through ``sort_records`` (``screen()`` for each) in batches, as the pipeline
validates a queue message: once as decoded records (the queue, ``trust.submit``, the
pipeline) and once as JSON text (files, the API). Figures are CPU time, the best of
``repeat`` passes: on a machine shared with other work, wall time says little.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trust.intake.validation import RecordInput, sort_records
from trust.simulate import generate_events

ALL_KINDS = "all kinds"


@dataclass(frozen=True, slots=True)
class ValidationCost:
    """CPU microseconds per event to validate one kind, decoded and as JSON text."""

    kind: str
    events: int
    record_us: float
    text_us: float
    refused: int


def _best_cpu_us(records: Sequence[RecordInput], repeat: int, batch_size: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        for start in range(0, len(records), batch_size):
            sort_records(records[start : start + batch_size], source="bench")
        best = min(best, time.process_time() - began)
    return best / len(records) * 1e6


def _refused(records: Sequence[RecordInput], batch_size: int) -> int:
    return sum(
        len(sort_records(records[start : start + batch_size], source="bench").refused)
        for start in range(0, len(records), batch_size)
    )


def _cost(kind: str, records: list[dict[str, Any]], repeat: int, batch_size: int) -> ValidationCost:
    texts = [json.dumps(r, ensure_ascii=False).encode() for r in records]
    return ValidationCost(
        kind,
        len(records),
        _best_cpu_us(records, repeat, batch_size),
        _best_cpu_us(texts, repeat, batch_size),
        _refused(records, batch_size),
    )


def simulated_records(accounts: int, days: int, seed: int) -> list[dict[str, Any]]:
    """Every kind of simulated event, as the raw records a platform would send."""
    return [record for record, _truth in generate_events(accounts, days, seed)]


def bench_validation(
    records: list[dict[str, Any]], *, repeat: int = 3, batch_size: int = 250
) -> list[ValidationCost]:
    """The cost per event of each kind alone, then of the whole mix in its own order."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_kind[record["kind"]].append(record)
    costs = [_cost(kind, rows, repeat, batch_size) for kind, rows in sorted(by_kind.items())]
    costs.append(_cost(ALL_KINDS, records, repeat, batch_size))
    return costs


def profile_validation(records: list[dict[str, Any]], *, top: int, batch_size: int = 250) -> str:
    """cProfile of validating the decoded records once: the ``top`` functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for start in range(0, len(records), batch_size):
        sort_records(records[start : start + batch_size], source="bench")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()
