"""Marketplace simulator: honest activity with planted fraud, and the truth about each event.

``simulate`` writes ``events.jsonl`` and ``truth.csv``; ``generate_events`` yields the same
records in memory (for demo streams and benchmarks). Same arguments, same bytes: the window
ends at ``REFERENCE_END`` (not the wall clock), every draw comes from one seeded
``random.Random``, and lines are JSON with sorted keys.

``truth.csv`` has one row per event: ``event_id``, ``is_fraud`` (1 or 0) and ``pattern``
(``honest``, ``appeal``, ``honest_travel`` -- an honest sign-in from abroad, counted apart so
the share of travellers flagged is measured -- or one of ``PATTERNS``). An event is fraud when
it is part of a planted scheme and a reviewer should act on it: the sock puppet's verification,
the ring's reviews, the complaints against a scammer or by a serial complainer. Honest events
include the noise real marketplaces have (free-mail users, borderline selfies, travellers,
shared household devices, honest 1-star reviews and disputes, micro-gigs, new phones, forgotten
passwords, changes of bank). ``subtle_anomaly`` breaks no rule on purpose: it measures what
only the anomaly model can find.

Some accounts whose verification was flagged appeal it a few days later (``appeal``
events, pattern ``appeal``, not fraud): about half bring new information (a new document),
the others only protest, so the demo shows appeals both ways.

Each pattern is planted at ``PATTERN_RATES[pattern]`` incidents per 1,000 accounts per 30
days (at least one); ``describe(pattern)`` says what an incident is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trust.simulate.plan import (
    PATTERN_RATES,
    PATTERNS,
    TruthRow,
    build_world,
    describe,
    ordered_events,
)
from trust.simulate.world import NOT_FRAUD, REFERENCE_END, iso
from trust.simulate.writer import EVENTS_FILE, TRUTH_FILE, write


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What a simulation produced: where, how much, of which kinds and patterns."""

    events_path: Path
    truth_path: Path
    seed: int
    accounts: int
    window_start: str
    window_end: str
    events: int
    by_kind: dict[str, int]
    by_pattern: dict[str, int]
    fraud_by_kind: dict[str, int]
    incidents: dict[str, int]
    seconds: float

    @property
    def fraud_events(self) -> int:
        """Events that belong to a planted fraud pattern."""
        return sum(n for pattern, n in self.by_pattern.items() if pattern not in NOT_FRAUD)

    @property
    def events_per_second(self) -> float:
        """Generation speed, including writing."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


def generate_events(
    accounts: int, days: int, seed: int, end: datetime = REFERENCE_END
) -> Iterator[tuple[dict[str, Any], TruthRow]]:
    """Yield every simulated event (a raw record) with its truth row, in time order."""
    world, _ = build_world(accounts, days, seed, end)
    yield from ordered_events(world)


def simulate(
    accounts: int,
    days: int,
    seed: int,
    out_dir: Path,
    end: datetime = REFERENCE_END,
    adversarial: bool = False,
) -> SimulationSummary:
    """Simulate the marketplace and write ``events.jsonl`` and ``truth.csv`` into ``out_dir``;
    ``adversarial`` plants the evasive versions of the schemes that have one."""
    began = time.perf_counter()
    world, incidents = build_world(accounts, days, seed, end, adversarial)
    counts = write(out_dir, ordered_events(world))
    return SimulationSummary(
        events_path=out_dir / EVENTS_FILE,
        truth_path=out_dir / TRUTH_FILE,
        seed=seed,
        accounts=len(world.accounts),
        window_start=iso(world.start),
        window_end=iso(world.end),
        events=counts.events,
        by_kind=dict(sorted(counts.by_kind.items())),
        by_pattern=dict(sorted(counts.by_pattern.items())),
        fraud_by_kind=dict(sorted(counts.fraud_by_kind.items())),
        incidents=incidents,
        seconds=time.perf_counter() - began,
    )


__all__ = [
    "EVENTS_FILE",
    "PATTERNS",
    "PATTERN_RATES",
    "REFERENCE_END",
    "TRUTH_FILE",
    "SimulationSummary",
    "TruthRow",
    "describe",
    "generate_events",
    "simulate",
]
