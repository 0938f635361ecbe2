"""``Idempotency-Key``: a retried request gets the answer its first attempt got."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from trust.store import Store, transaction
from trust.store.api_keys import ApiKey
from trust.store.api_requests import KeptAnswer, keep_answer, kept_answer

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[!-~]{1,128}$",
        description="Retry with the same key to get the first answer back.",
    ),
]


async def once(
    store: Store,
    key: ApiKey,
    idempotency_key: str | None,
    route: str,
    answer: Callable[[], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    """The kept answer for ``idempotency_key``, or ``answer()`` kept for next time."""
    if idempotency_key is None:
        status, body = await answer()
        return JSONResponse(body, status_code=status)

    def recall() -> KeptAnswer | None:
        with store.engine.connect() as conn:
            return kept_answer(conn, key.id, idempotency_key, route)

    kept = await run_in_threadpool(recall)
    if kept is not None:
        return JSONResponse(
            kept.body, status_code=kept.status_code, headers={"Idempotent-Replayed": "true"}
        )
    status, body = await answer()

    def keep() -> None:
        with transaction(store.engine) as conn:
            keep_answer(
                conn, key.id, idempotency_key, route, KeptAnswer(status, body), datetime.now(UTC)
            )

    await run_in_threadpool(keep)
    return JSONResponse(body, status_code=status)
