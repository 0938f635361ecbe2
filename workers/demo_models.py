"""Anomaly models for ``trust up --demo``, trained on a separate simulated history first.

Without a model every demo case would say that no model scored it. So before the workers
start, a history of the same simulated marketplace (another seed: the model never sees
the events it will score) is stored in a scratch SQLite file in the data folder, the
configured detector is trained on it per event kind, and each version is activated in the
data folder's registry. The workers build their pipeline at boot and only look for
``models/active.json`` then (``models.active.active_model``), which is why this runs
before they start. A data folder that already has an active model of a kind keeps it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from trust.encryption import Keyring
from trust.errors import ModelError
from trust.events import EVENT_KINDS, Event, validate_record
from trust.intake.batches import IngestBatch
from trust.intake.sinks import StoreSink
from trust.pii import hasher_for
from trust.settings import Settings
from trust.simulate import generate_events
from trust.store import Store
from trust.store.write_queue import remove_sqlite_files

# About 3,000 reviews, 1,100 verifications, 4,500 sign-ins, 300 each of complaints and
# references, and about 55 credential changes (the rarest kind, over the 50 a model needs),
# enough for a stable forest of every kind in a few seconds of start-up whatever the demo's
# size: fewer accounts left credential and payout changes untrained.
HISTORY_ACCOUNTS = 1_000
HISTORY_DAYS = 60
HISTORY_STORE = "demo-history.db"
HISTORY_BATCH = 500


def kinds_without_model(settings: Settings) -> list[str]:
    """Event kinds that have no active anomaly model in the data folder's registry."""
    from models.registry import ModelRegistry

    registry = ModelRegistry.from_settings(settings)
    return [kind for kind in EVENT_KINDS if registry.active_version(kind) is None]


def _store_history(store: Store, settings: Settings, accounts: int, seed: int) -> int:
    """Store a simulated history (events, accounts, identifiers; no decisions)."""
    sink = StoreSink(store, hasher_for(settings), source="demo history")
    batch: list[Event] = []
    stored = 0
    for record, _truth in generate_events(accounts, HISTORY_DAYS, seed):
        event = validate_record(record).event
        if event is not None:
            batch.append(event)
        if len(batch) >= HISTORY_BATCH:
            stored += sink.write(IngestBatch(events=batch)).accepted
            batch = []
    if batch:
        stored += sink.write(IngestBatch(events=batch)).accepted
    return stored


def train_demo_models(
    settings: Settings,
    seed: int,
    say: Callable[[str], None],
    *,
    accounts: int = HISTORY_ACCOUNTS,
    stopping: threading.Event | None = None,
) -> list[str]:
    """Train and activate a model per kind that lacks one; returns the versions activated.

    ``seed`` must differ from the demo stream's. One line is said per kind; a kind the
    history holds too few events of is left without a model (rules decide it alone).
    Training ends early once ``stopping`` is set (Ctrl-C during start-up).
    """
    from models.training import detector_options, train_anomaly_model

    missing = kinds_without_model(settings)
    if not missing:
        say("model      active models found in the data folder: none trained")
        return []
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir.resolve() / HISTORY_STORE
    remove_sqlite_files(path)  # a scratch store left by an interrupted start
    store = Store.open(f"sqlite:///{path}", keyring=Keyring.from_settings(settings))
    detector, _ = detector_options(settings)
    activated: list[str] = []
    try:
        stored = _store_history(store, settings, accounts, seed)
        say(f"model      {detector} per kind, on a simulated history of {stored:,} events")
        for kind in missing:
            if stopping is not None and stopping.is_set():
                break
            began = time.monotonic()
            try:
                manifest = train_anomaly_model(store, settings, kind, seed=seed)
            except ModelError as exc:
                say(f"model      {kind}: not trained ({exc})")
                continue
            activated.append(manifest["version"])
            # Short enough for one line of an 80-column terminal; `trust model list` has more.
            say(
                f"model      {kind}: trained on {manifest['training']['event_count']:,} events"
                f" in {time.monotonic() - began:.1f}s, active"
            )
    finally:
        store.close()
        remove_sqlite_files(path)
    return activated
