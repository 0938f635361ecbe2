"""Composition of the HTTP API: the pipeline and the event sink ``trust serve`` runs on.

uvicorn imports ``app`` in each of its processes (``factory=True``), so each builds its own
pipeline once (rule pack loaded, store pooled) and serves every request with it.
"""

from __future__ import annotations

from fastapi import FastAPI

from trust.api import ApiContext, create_app
from trust.api.intake import DecideHereSink
from trust.settings import Settings, get_settings
from trust.store import Store
from trust.submit import EventSink
from workers.actors import declare_actors
from workers.broker import build_broker
from workers.intake_sinks import queue_in_use
from workers.wiring import build_pipeline

API_SOURCE = "api"


def api_context(settings: Settings) -> ApiContext:
    """Store, pipeline, sink (the queue when workers consume one) and readiness checks."""
    store = Store.from_settings(settings, migrate=False)
    pipeline = build_pipeline(settings, store, source=API_SOURCE)
    checks = {"store": lambda: _store_ready(store),
              "rules": lambda: f"ok: pack {getattr(pipeline.scorer, 'pack_version', '?')}"}
    sink: EventSink
    if queue_in_use(settings):
        broker = build_broker(settings)
        sink = declare_actors(broker, settings, lambda: pipeline)
        checks["redis"] = lambda: _redis_ready(broker)
    else:
        sink = DecideHereSink(pipeline)
    return ApiContext(settings, store, pipeline, sink, checks)


def _store_ready(store: Store) -> str:
    from sqlalchemy import text

    with store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


def _redis_ready(broker: object) -> str:
    client = getattr(broker, "client", None)
    if client is None or not client.ping():
        raise ConnectionError("no answer from Redis")
    return "ok"


def app() -> FastAPI:
    """The API app for uvicorn, from the environment's settings."""
    return create_app(api_context(get_settings()))
