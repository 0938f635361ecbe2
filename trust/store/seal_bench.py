"""What sealing personal data costs per event, by kind (``trust bench encryption``)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from trust.encryption import Keyring
from trust.simulate import generate_events
from trust.store.sealed import open_payload, seal_payload


@dataclass(frozen=True, slots=True)
class SealCost:
    """Microseconds per event to seal and to open one kind's personal fields."""

    kind: str
    events: int
    seal_us: float
    open_us: float


def _per_event(records: list[dict[str, Any]], keyring: Keyring, repeat: int) -> tuple[float, float]:
    sealed: list[dict[str, Any]] = []
    began = time.perf_counter()
    for _ in range(repeat):
        sealed = [seal_payload(r, keyring) for r in records]
    seal = (time.perf_counter() - began) / (repeat * len(records))
    began = time.perf_counter()
    for _ in range(repeat):
        for r in sealed:
            open_payload(r, keyring)
    opened = (time.perf_counter() - began) / (repeat * len(records))
    return seal * 1e6, opened * 1e6


def bench_sealing(accounts: int, days: int, seed: int, repeat: int = 3) -> list[SealCost]:
    """Seal and open every simulated event ``repeat`` times; the cost per event, by kind."""
    keyring = Keyring([b"bench-only-key-material-" + b"0" * 32])
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record, _truth in generate_events(accounts, days, seed):
        by_kind[record["kind"]].append(record)
    costs = [
        SealCost(kind, len(rows), *_per_event(rows, keyring, repeat))
        for kind, rows in sorted(by_kind.items())
    ]
    every = [r for rows in by_kind.values() for r in rows]
    costs.append(SealCost("all kinds", len(every), *_per_event(every, keyring, repeat)))
    return costs
