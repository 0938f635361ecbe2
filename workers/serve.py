"""Composition of the HTTP API: the pipeline and the event sink ``trust serve`` runs on.

uvicorn imports ``app`` in each of its processes (``factory=True``), so each builds its own
pipeline once (rule pack loaded, store pooled) and serves every request with it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis
from dramatiq.errors import ConnectionError as BrokerConnectionError
from fastapi import FastAPI

from trust.api import ApiContext, create_app
from trust.api.context import Telemetry
from trust.api.intake import DecideHereSink
from trust.errors import QueueUnavailableError
from trust.settings import Settings, get_settings
from trust.store import Store, snapshot
from trust.store.dialects import checkpoint_in_background
from trust.submission import EventSink
from workers.actors import Actors, declare_actors
from workers.api_metrics import ApiMetrics
from workers.balance import server_connections, share_connections
from workers.broker import build_broker
from workers.health import describe_workers, read_worker_health
from workers.heartbeat import HEARTBEAT_ENV, beat_while_serving
from workers.intake_sinks import queue_in_use
from workers.lifetime import tie_to_parent
from workers.process import tune_gc
from workers.wiring import build_pipeline

API_SOURCE = "api"


def api_context(settings: Settings, telemetry: Telemetry | None = None) -> ApiContext:
    """Store, pipeline, sink (the queue when workers consume one), readiness checks and
    where the metrics go."""
    store = Store.from_settings(settings, migrate=False)  # trust serve migrated once
    checkpoint_in_background(store.engine)  # the app checkpoints every CHECKPOINT_SECONDS
    pipeline = build_pipeline(settings, store, source=API_SOURCE)
    checks = {
        "store": lambda: _store_ready(store),
        "rules": lambda: f"ok: pack {getattr(pipeline.scorer, 'pack_version', '?')}",
    }
    sink: EventSink
    if queue_in_use(settings):
        broker = build_broker(settings)
        sink = BrokerSink(declare_actors(broker, settings, lambda: pipeline))
        checks["redis"] = lambda: _redis_ready(broker)
        checks["workers"] = lambda: describe_workers(
            read_worker_health(broker.client, broker.namespace)
        )
    else:
        sink = DecideHereSink(pipeline)
    return ApiContext(settings, store, pipeline, sink, checks, telemetry)


class BrokerSink:
    """The workers' queue as the API's ``EventSink``: a broker fault is a 503, not a 500."""

    def __init__(self, actors: Actors) -> None:
        self.actors = actors

    def send_batch(self, records: Sequence[dict[str, Any]]) -> None:
        """Enqueue one batch for the workers."""
        try:
            self.actors.send_batch(records)
        except (BrokerConnectionError, redis.RedisError) as exc:
            raise QueueUnavailableError(f"the queue refused a batch: {exc}") from exc


def _store_ready(store: Store) -> str:
    from sqlalchemy import text

    with snapshot(store.engine) as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


def _redis_ready(broker: object) -> str:
    client = getattr(broker, "client", None)
    if client is None or not client.ping():
        raise ConnectionError("no answer from Redis")
    return "ok"


def app() -> FastAPI:
    """The API app for uvicorn, from the environment's settings."""
    tie_to_parent()  # a worker of a multi-process ``trust serve`` dies with its supervisor
    settings = get_settings()
    context = api_context(settings, ApiMetrics())
    built = create_app(context)
    heartbeat = os.environ.get(HEARTBEAT_ENV)
    if heartbeat:  # supervised (trust serve --processes N): beat while deciding goes on
        stall = settings.api.stall_seconds
        beat_while_serving(built, Path(heartbeat), lambda: context.decisions.busy_seconds() < stall)
        held = server_connections()
        if held is not None:  # ... and hold no more than a fair share of the connections
            share_connections(built, Path(heartbeat), held)
    # The pipeline, rule pack and models are a few hundred thousand objects that live as
    # long as the process: every full collection walked them again (up to 0.25 s each, the
    # service standing still: the slowest answers under load, and a quarter of the CPU of
    # POST /v1/events). Tuned as in a worker, they are frozen and collections are rarer.
    tune_gc()
    return built
