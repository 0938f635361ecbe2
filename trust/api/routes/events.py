"""``POST /v1/events``: batches of events in, per-item status out, valid ones queued."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response

from trust.api.auth import BEARER_SECURITY, authorize
from trust.api.idempotency import PARAMETER, Answer, idempotency_key, once
from trust.api.intake import take_batch
from trust.api.problems import FieldProblem, ProblemError, problems
from trust.api.schemas import BatchAccepted

router = APIRouter(prefix="/v1", tags=["events"])
SOURCE = "api"
# Batches validated at once per process: validation holds the GIL, so more threads only
# interleave batches (every answer late) instead of finishing them in turn.
INTAKE_THREADS = anyio.CapacityLimiter(4)


def parse_json(raw: bytes) -> Any:
    """``raw`` parsed as JSON, or a 400 problem."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProblemError(400, "the body is not valid JSON") from exc


def may_hold_escapes(raw: bytes) -> bool:
    """False when JSON ``raw`` cannot decode to a NUL or a lone surrogate: UTF-8 text with
    no ``\\u`` escape (the only way to write either)."""
    return b"\\u" in raw or not json.detect_encoding(raw).startswith("utf-8")


def _records(body: Any, limit: int) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise ProblemError(
            422,
            "the body must be an object with a list 'events'",
            [FieldProblem(field="events", problem="a list of events is required")],
        )
    records: list[Any] = body["events"]
    if not records or len(records) > limit:
        raise ProblemError(
            422,
            "wrong batch size",
            [FieldProblem(field="events", problem=f"give between 1 and {limit} events")],
        )
    return records


@router.post(
    "/events",
    status_code=202,
    response_model=BatchAccepted,
    summary="Send a batch of events",
    responses=problems(400, 401, 403, 413, 422, 429, 503),
    openapi_extra={
        "parameters": [PARAMETER],
        "security": BEARER_SECURITY,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}
            },
        },
    },
)
async def post_events(request: Request) -> Response:
    """Validate each event; refused ones are quarantined with the field and the problem
    (as by ``trust ingest``), new ones are queued for the workers. Idempotent by
    ``event_id``: an event already stored is reported ``already_stored``, not sent again."""
    # Read here rather than as FastAPI dependencies, as on ``POST /v1/decisions``.
    key = await authorize(request, "events:write")
    retry_key = idempotency_key(request)
    api = request.app.state.api
    raw = await request.body()
    records = _records(parse_json(raw), api.settings.api.max_batch)

    async def answer() -> Answer:
        result = await anyio.to_thread.run_sync(
            partial(
                take_batch,
                api.store,
                api.sink,
                records,
                source=SOURCE,
                chunk=api.settings.worker.batch_size,
                escaped=may_hold_escapes(raw),
            ),
            limiter=INTAKE_THREADS,
        )
        return Answer(202, result.model_dump_json().encode())

    return await once(api.store, key, retry_key, "POST /v1/events", answer)
