"""``POST /v1/decisions`` (decide one event now) and ``GET /v1/decisions/{event_id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from trust.api.auth import BEARER_SECURITY, authorize, scoped
from trust.api.idempotency import PARAMETER, Answer, idempotency_key, once
from trust.api.problems import FieldProblem, Problem, ProblemError, problems
from trust.api.schemas import DecisionOut, decision_out
from trust.events import validate_record
from trust.store import snapshot
from trust.store.api_keys import ApiKey
from trust.store.decisions import stored_decision

router = APIRouter(prefix="/v1", tags=["decisions"])
EventId = Annotated[
    str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
]


def _refusal(raw: bytes, event_id: str | None, reason: str | None) -> bytes:
    issues = validate_record(raw).issues
    if issues:
        errors = [FieldProblem(field=i.field, problem=i.message) for i in issues]
    else:
        field, _, problem = (reason or "(record): refused").partition(": ")
        errors = [FieldProblem(field=field, problem=problem or field)]
    return (
        Problem(
            title="Unprocessable content",
            status=422,
            detail=f"event {event_id or '(no id)'} refused and quarantined: {reason}",
            errors=errors,
        )
        .model_dump_json()
        .encode()
    )


@router.post(
    "/decisions",
    response_model=DecisionOut,
    summary="Decide one event now",
    responses=problems(400, 401, 403, 413, 422, 429, 503),
    openapi_extra={
        "parameters": [PARAMETER],
        "security": BEARER_SECURITY,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}},
        },
    },
)
async def post_decision(request: Request) -> Response:
    """The synchronous path ``trust decide`` uses: outcome, score, reasons, statement of
    reasons and ``decision_id``. An event already decided gets its stored decision; an
    invalid one is quarantined and answered with 422 naming each field and problem."""
    # Key, scope and Idempotency-Key are read here, not as FastAPI dependencies: on the
    # busiest route resolving them cost more than checking them (the OpenAPI says the same).
    key = await authorize(request, "decisions:write")
    retry_key = idempotency_key(request)
    api = request.app.state.api
    raw = await request.body()

    async def answer() -> Answer:
        result = await api.decisions.decide_one(raw)
        if result.status == "quarantined":
            return Answer(422, _refusal(raw, result.event_id, result.reason))
        if result.status == "appeal_received":
            out = DecisionOut(
                status="appeal_received", event_id=result.event_id, detail=result.reason
            )
        elif result.decision is None:
            out = DecisionOut(
                status="already_decided",
                event_id=result.event_id,
                detail="the event is stored without a decision",
            )
        else:
            out = decision_out(result.status, result.decision)
        return Answer(200, out.model_dump_json().encode())

    return await once(api.store, key, retry_key, "POST /v1/decisions", answer)


@router.get(
    "/decisions/{event_id}",
    response_model=DecisionOut,
    summary="The decision on an event",
    responses=problems(401, 403, 404, 422, 429, 503),
)
def get_decision(
    request: Request, event_id: EventId, _key: Annotated[ApiKey, Depends(scoped("decisions:read"))]
) -> DecisionOut:
    """The stored decision, or 404 when the event has none (yet)."""
    with snapshot(request.app.state.api.store.engine) as conn:
        row = stored_decision(conn, event_id)
    if row is None:
        raise ProblemError(404, f"no decision on event {event_id}")
    return decision_out("already_decided", row)
