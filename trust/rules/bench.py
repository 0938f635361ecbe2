"""``trust bench rules``: how fast the rule engine and the signals run on this machine."""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from trust.decisions import Signals
from trust.encryption import Keyring
from trust.events import EVENT_KINDS, Event, event_adapter
from trust.pii import PiiHasher
from trust.rules.engine import RuleEngine
from trust.rules.pack import load_pack
from trust.signals import compute_signals
from trust.store import Store, snapshot
from trust.store.accounts import record_accounts, record_batch_identifiers
from trust.store.events import insert_events

T = TypeVar("T")


class Stopwatch:
    """Wall-clock and CPU seconds of a block: on a shared machine CPU time is the fair one."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu


BENCH_KEY = b"bench-only-pii-hashing-key-0123456789"


@dataclass(frozen=True, slots=True)
class RulesBenchReport:
    """The measured figures; ``render()`` is what the command prints."""

    events: int
    live_rules: int
    evaluations_per_event: float
    rules_only: Stopwatch
    rules_with_views: Stopwatch
    signals_and_rules: Stopwatch
    signals_only: Stopwatch
    repeat: int
    batch_size: int

    def _rate(self, watch: Stopwatch, passes: int = 1) -> str:
        cpu = self.events * passes / max(watch.cpu, 1e-9)
        wall = self.events * passes / max(watch.wall, 1e-9)
        return f"{cpu:,.0f} events/s CPU time ({wall:,.0f} wall clock)"

    def render(self) -> str:
        """Human-readable figures, one per line."""
        evaluations = self.events * self.evaluations_per_event * self.repeat
        return "\n".join(
            [
                f"{self.events:,} simulated events, {self.live_rules} live rules, "
                f"{self.evaluations_per_event:.1f} rules (live+shadow) evaluated per event; "
                "single process",
                f"(a) rules alone over precomputed signals and event views, in batches of "
                f"{self.batch_size}: {self._rate(self.rules_only, self.repeat)}; "
                f"{evaluations / max(self.rules_only.cpu, 1e-9):,.0f} rule evaluations/s CPU",
                f"(a') rules alone, one event at a time through CEL, building each event's view: "
                f"{self._rate(self.rules_with_views)}",
                f"(b) signals + rules over a SQLite store, batches of {self.batch_size}: "
                f"{self._rate(self.signals_and_rules)}; signals alone "
                f"{self._rate(self.signals_only)}",
            ]
        )


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _load_store(store: Store, events: Sequence[Event], hasher: PiiHasher) -> None:
    received = datetime.now(UTC)
    with store.engine.begin() as conn:
        for batch in chunks(events, 2000):
            insert_events(conn, batch, source="bench", received_at=received)
            record_accounts(conn, batch)
            record_batch_identifiers(conn, batch, hasher)


def bench_rules(
    rules_dir: Path,
    *,
    accounts: int,
    days: int,
    seed: int,
    repeat: int = 3,
    batch_size: int = 250,
) -> RulesBenchReport:
    """Simulate, store, then time (a) the rules alone and (b) signals plus rules."""
    from trust.simulate import simulate

    pack = load_pack(rules_dir)
    engine = RuleEngine(pack)
    hasher = PiiHasher(BENCH_KEY)
    with tempfile.TemporaryDirectory(prefix="trust-bench-") as tmp:
        summary = simulate(accounts, days, seed, Path(tmp) / "sim")
        with summary.events_path.open(encoding="utf-8") as handle:
            # Rules score the four decided kinds; appeals and dispute party events are never
            # scored.
            events: list[Event] = [
                e for e in map(event_adapter.validate_json, handle) if e.kind in EVENT_KINDS
            ]
        store = Store.open(
            f"sqlite:///{Path(tmp) / 'bench.db'}", keyring=Keyring.from_secret(BENCH_KEY)
        )
        try:
            _load_store(store, events, hasher)
            # A worker holds one batch, not the whole simulation: keep the loaded events out
            # of the garbage collector's scans so they do not tax every batch measured.
            gc.collect()
            gc.freeze()
            all_signals: list[Signals] = []
            together, signals_only = Stopwatch(), Stopwatch()
            with snapshot(store.engine) as conn, together:
                for batch in chunks(events, batch_size):
                    with signals_only:
                        batch_signals = compute_signals(conn, batch, hasher)
                    engine.evaluate_batch(batch, batch_signals)
                    all_signals.extend(batch_signals)
        finally:
            store.close()
            gc.unfreeze()
    prepared: dict[str, tuple[list[dict[str, Any]], list[Signals]]] = {}
    for event, signals in zip(events, all_signals, strict=True):
        views, kind_signals = prepared.setdefault(event.kind, ([], []))
        views.append(engine.view(event))
        kind_signals.append(signals)
    with Stopwatch() as rules_only:
        for _ in range(repeat):
            for kind, (views, kind_signals) in prepared.items():
                for start in range(0, len(views), batch_size):
                    end = start + batch_size
                    engine.evaluate_views(kind, views[start:end], kind_signals[start:end])
    with Stopwatch() as with_views:
        for event, signals in zip(events, all_signals, strict=True):
            engine.evaluate(event, signals)
    return RulesBenchReport(
        events=len(events),
        live_rules=sum(1 for r in pack.rules if r.spec.state == "live"),
        evaluations_per_event=sum(len(engine.rules_for(e.kind)) for e in events) / len(events),
        rules_only=rules_only,
        rules_with_views=with_views,
        signals_and_rules=together,
        signals_only=signals_only,
        repeat=repeat,
        batch_size=batch_size,
    )
