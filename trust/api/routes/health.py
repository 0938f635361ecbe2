"""``/healthz`` (the process is up) and ``/readyz`` (store, queue and rule pack are ready)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from trust.api.schemas import Health

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
