"""``/healthz`` (the process is up), ``/readyz`` (store, queue and rule pack are ready) and
``/metrics`` (Prometheus text, for a scrape with a ``metrics:read`` key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from trust.api.auth import scoped
from trust.api.problems import ProblemError, problems
from trust.api.schemas import Health
from trust.store.api_keys import ApiKey

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    """Answers while the process runs; no dependency is checked."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Ready to take requests",
    responses={503: {"model": Health, "description": "A dependency is not ready"}},
)
def readyz(request: Request) -> JSONResponse:
    """Checks the store, Redis (when a queue is used) and the rule pack."""
    checks: dict[str, str] = {}
    for name, check in request.app.state.api.checks.items():
        try:
            checks[name] = check()
        except Exception as exc:  # a check's failure is the answer, not an error
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(v.startswith("ok") for v in checks.values())
    body = Health(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics of the API",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition: requests by route and status, their "
            "latency, the groups decisions are decided in",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **problems(401, 403, 404, 429),
    },
)
def metrics(request: Request, _key: Annotated[ApiKey, Depends(scoped("metrics:read"))]) -> Response:
    """Every API process's metrics, merged when they share a folder (as ``trust serve`` and
    ``trust up`` run them). Scrape with ``Authorization: Bearer <key>``."""
    telemetry = request.app.state.api.telemetry
    if telemetry is None:
        raise ProblemError(404, "this service keeps no metrics")
    body, content_type = telemetry.exposition()
    return Response(body, media_type=content_type)
