"""``Idempotency-Key``: a retried request gets the answer its first attempt got."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from trust.api.problems import PROBLEM_JSON, FieldProblem, ProblemError
from trust.store import Store, snapshot, transaction
from trust.store.api_keys import ApiKey
from trust.store.api_requests import KeptAnswer, keep_answer, kept_answer

HEADER = "Idempotency-Key"
PATTERN = r"^[!-~]{1,128}$"
_VALID = re.compile(PATTERN)
DESCRIPTION = "Retry with the same key to get the first answer back."
# The header as an OpenAPI parameter, for the routes that read it with ``idempotency_key``.
PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": DESCRIPTION,
    "schema": {
        "anyOf": [{"type": "string", "pattern": PATTERN}, {"type": "null"}],
        "title": HEADER,
        "description": DESCRIPTION,
    },
}


def idempotency_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key``, or None; a malformed one is a 422 naming it."""
    value = request.headers.get(HEADER)
    if value is not None and not _VALID.match(value):
        raise ProblemError(
            422,
            "the request is not valid",
            [FieldProblem(field=HEADER, problem=f"String should match pattern '{PATTERN}'")],
        )
    return value


@dataclass(frozen=True, slots=True)
class Answer:
    """A status and its JSON body, already encoded (a problem when the status is 4xx)."""

    status: int
    body: bytes

    def response(self, headers: dict[str, str] | None = None) -> Response:
        """The HTTP response."""
        media_type = PROBLEM_JSON if self.status >= 400 else "application/json"
        return Response(self.body, self.status, headers, media_type)


async def once(
    store: Store,
    key: ApiKey,
    idempotency_key: str | None,
    route: str,
    answer: Callable[[], Awaitable[Answer]],
) -> Response:
    """The kept answer for ``idempotency_key``, or ``answer()`` kept for next time."""
    if idempotency_key is None:
        return (await answer()).response()

    def recall() -> KeptAnswer | None:
        with snapshot(store.engine) as conn:
            return kept_answer(conn, key.id, idempotency_key, route)

    kept = await run_in_threadpool(recall)
    if kept is not None:
        replayed = Answer(kept.status_code, json.dumps(kept.body).encode())
        return replayed.response({"Idempotent-Replayed": "true"})
    first = await answer()

    def keep() -> None:
        with transaction(store.engine) as conn:
            keep_answer(
                conn,
                key.id,
                idempotency_key,
                route,
                KeptAnswer(first.status, json.loads(first.body)),
                datetime.now(UTC),
            )

    await run_in_threadpool(keep)
    return first.response()
