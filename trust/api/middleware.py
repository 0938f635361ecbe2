"""ASGI middleware: a request size limit, and the tally of each call (usage per key, metrics)."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trust.api.auth import Usage
from trust.api.context import Telemetry
from trust.api.problems import PROBLEM_JSON, TITLES


def _problem_body(status: int, detail: str) -> bytes:
    return json.dumps(
        {
            "type": "about:blank",
            "title": TITLES[status],
            "status": status,
            "detail": detail,
            "errors": [],
        }
    ).encode()


class BodyLimit:
    """Refuses a body larger than ``limit`` bytes with 413, before reading all of it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = _problem_body(413, f"the request body is larger than {self.limit} bytes")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class UsageTally:
    """Counts each response of an authenticated request by key, route and status, and
    reports every response with its time to ``telemetry``."""

    def __init__(self, app: ASGIApp, usage: Usage, telemetry: Telemetry | None = None) -> None:
        self.app = app
        self.usage = usage
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, capture)
        route = f"{scope['method']} {getattr(scope.get('route'), 'path', None) or '(unmatched)'}"
        if self.telemetry is not None:
            self.telemetry.request(route, status, time.perf_counter() - began)
        state: dict[str, Any] = scope.get("state") or {}
        key = state.get("api_key")
        if key is not None:
            self.usage.count(key, route, status)
