"""One simulated marketplace shared by the simulator's tests (the acceptance arguments)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trust.simulate import SimulationSummary, simulate


@dataclass(frozen=True)
class Simulated:
    """A simulation's summary, its parsed events and its truth rows by event id."""

    summary: SimulationSummary
    events: list[dict[str, Any]]
    truth: dict[str, dict[str, str]]

    def of_pattern(self, pattern: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Events planted for ``pattern`` (optionally of one kind)."""
        return [
            e
            for e in self.events
            if self.truth[e["event_id"]]["pattern"] == pattern and kind in (None, e["kind"])
        ]

    def verifications(self) -> dict[str, list[dict[str, Any]]]:
        """Every profile_verification event, grouped by account."""
        found: dict[str, list[dict[str, Any]]] = {}
        for event in self.events:
            if event["kind"] == "profile_verification":
                found.setdefault(event["account_id"], []).append(event)
        return found


def load(summary: SimulationSummary) -> Simulated:
    """Parse a simulation's output files."""
    events = [json.loads(line) for line in summary.events_path.read_text().splitlines()]
    with summary.truth_path.open(newline="") as handle:
        truth = {row["event_id"]: row for row in csv.DictReader(handle)}
    return Simulated(summary, events, truth)


@pytest.fixture(scope="package")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    """``trust simulate --accounts 2000 --days 30 --seed 7``, parsed."""
    out: Path = tmp_path_factory.mktemp("simulated")
    return load(simulate(2000, 30, 7, out))
