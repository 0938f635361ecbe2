"""The ASGI app: routers, auth, limits, problem details and the OpenAPI document.

``create_app`` takes an ``ApiContext`` (store, pipeline, event sink) built by the
composition root, so this package never imports ``workers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from trust.api.context import ApiContext
from trust.api.middleware import BodyLimit, UsageTally
from trust.api.problems import PROBLEM_JSON, install_problem_handlers
from trust.api.routes import decisions, events, health, reads
from trust.api.schemas import EventBatch
from trust.events import Event
from trust.store.dialects import checkpoint_wal, refresh_planner_statistics

log = logging.getLogger(__name__)
USAGE_FLUSH_SECONDS = 10.0
# How often a running API looks whether the store's planner statistics are stale (a query;
# ANALYZE only when the events have grown four times over since the last one).
STATISTICS_SECONDS = 300.0
# How often a running API checkpoints a SQLite store's WAL in the background, so that no
# commit of a request has to (``checkpoint_in_background``): at ~1,000 decisions/s the WAL
# grows ~8,000 pages a second. Every second cost ~10% more CPU per decision than every two
# (measured in process, groups of 32).
CHECKPOINT_SECONDS = 2.0
REF = "#/components/schemas/{model}"


def _flush(api: ApiContext) -> None:
    try:
        api.usage.flush()
    except Exception as exc:  # usage audit must not take the API down; retried next time
        log.warning("usage audit failed", extra={"error": type(exc).__name__})


def _intake_schemas() -> dict[str, Any]:
    """The intake models' JSON Schemas, for the components of the OpenAPI document."""
    batch = EventBatch.model_json_schema(ref_template=REF)
    event = TypeAdapter(Event).json_schema(ref_template=REF)
    defs = {**batch.pop("$defs", {}), **event.pop("$defs", {})}
    return {**defs, "EventBatch": batch, "Event": event}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    components.update(_intake_schemas())
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem = {"$ref": "#/components/schemas/Problem"}
    for path in doc["paths"].values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45" and "Health" not in str(response):
                    response["content"] = {PROBLEM_JSON: {"schema": problem}}
    app.openapi_schema = doc
    return doc


def create_app(api: ApiContext) -> FastAPI:
    """The API over ``api``; one per process."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async def flush_forever() -> None:
            while True:
                await asyncio.sleep(USAGE_FLUSH_SECONDS)
                await asyncio.to_thread(_flush, api)

        async def refresh_statistics_forever() -> None:
            # A store that was empty when the service started has none until now.
            while True:
                await asyncio.sleep(STATISTICS_SECONDS)
                await asyncio.to_thread(refresh_planner_statistics, api.store.engine)

        async def checkpoint_forever() -> None:
            while True:
                await asyncio.sleep(CHECKPOINT_SECONDS)
                await asyncio.to_thread(checkpoint_wal, api.store.engine)

        tasks = [
            asyncio.create_task(flush_forever()),
            asyncio.create_task(refresh_statistics_forever()),
            asyncio.create_task(checkpoint_forever()),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.to_thread(_flush, api)

    app = FastAPI(
        title="Trust pipeline API",
        version="1",
        description="Events in, decisions out; every request needs an API key "
        "(`Authorization: Bearer <key>`, from `trust apikey create`).",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.api = api
    install_problem_handlers(app)
    # Routes are matched in this order: the two busy POST routes first.
    for router in (decisions.router, events.router, reads.router, health.router):
        app.include_router(router)
    app.add_middleware(UsageTally, usage=api.usage, telemetry=api.telemetry)
    app.add_middleware(BodyLimit, limit=api.settings.api.max_body_bytes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
