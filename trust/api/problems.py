"""Errors in one shape: RFC 9457 problem details, and never a stack trace to the client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from trust.errors import QueueUnavailableError, StoreError, TransientStoreError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class FieldProblem(BaseModel):
    """One invalid field: where it is and what is wrong with it."""

    field: str
    problem: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] = Field(default_factory=list)


class ProblemError(Exception):
    """Raised in a route to answer with a problem (status, detail, field problems)."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers


def problem_response(
    status: int,
    detail: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response."""
    body = Problem(
        title=TITLES.get(status, "Error"), status=status, detail=detail, errors=errors or []
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "path", "query", "header")]
    return ".".join(parts) or "(request)"


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.detail, exc.errors, exc.headers)


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(
        exc.status_code, str(exc.detail), headers=dict(exc.headers) if exc.headers else None
    )


async def _on_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldProblem(field=_field(tuple(e.get("loc", ()))), problem=str(e.get("msg")))
        for e in exc.errors()
    ]
    return problem_response(422, "the request is not valid", errors)


async def _on_store(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("store unavailable", extra={"error": type(exc).__name__})
    return problem_response(
        503, "the store is unavailable; retry shortly", headers={"Retry-After": "1"}
    )


async def _on_queue(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("queue unavailable", extra={"error": type(exc).__name__})
    return problem_response(
        503, "the queue is unavailable; retry shortly", headers={"Retry-After": "1"}
    )


async def _on_anything(_request: Request, exc: Exception) -> JSONResponse:
    # Logged for operators (type only: messages may quote input); the client sees no detail.
    log.error("unhandled error in the API", extra={"error": type(exc).__name__})
    return problem_response(500, "an internal error occurred")


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, expected or not, as problem details."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(TransientStoreError, _on_store)
    app.add_exception_handler(StoreError, _on_store)
    app.add_exception_handler(QueueUnavailableError, _on_queue)
    app.add_exception_handler(OperationalError, _on_store)
    app.add_exception_handler(InterfaceError, _on_store)
    app.add_exception_handler(RedisConnectionError, _on_store)
    app.add_exception_handler(Exception, _on_anything)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: these statuses answer with ``Problem``."""
    return {
        status: {"model": Problem, "description": TITLES.get(status, "Error")}
        for status in statuses
    }
