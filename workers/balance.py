"""Even out keep-alive connections between the processes of one ``trust serve``.

The kernel picks the process of each new connection from a hash of its addresses (each
process listens on its own ``SO_REUSEPORT`` socket), and a keep-alive connection stays where
it landed. 32 connections opened at once split 11 and 21 in one run: the busier process
decided groups of 20 at a p50 of 26 ms against the other's 11 at 19 ms, and its clients
waited that much longer for every answer, the service's p99. A process started again after
a crash or a hang starts with no connection at all.

So each process counts the connections it answered in the last ``ACTIVE_SECONDS`` and writes
the count beside its heartbeat every second (the processes' files share one folder); reading
its peers' counts, a process that holds more than its share (the total over the processes,
rounded up) asks that many clients to reconnect: its next answer on each of them carries
``Connection: close``. Every HTTP client opens a new connection for its next request, and
the kernel picks again; a connection that lands back on the busy process is asked again a
second later.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from workers.heartbeat import BEAT_SECONDS, while_serving

# A connection that sent nothing for this long no longer counts as held.
ACTIVE_SECONDS = 5.0
# A peer whose count is older than this is not counted (stopped, hung or gone).
FRESH_SECONDS = 3 * BEAT_SECONDS
SUFFIX = ".connections"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


class ConnectionShare:
    """This process's connections, its peers' counts, and how many it should give up."""

    def __init__(self, beat_path: Path) -> None:
        self.path = beat_path.with_name(beat_path.name + SUFFIX)
        self.folder = beat_path.parent
        # Client address (host, port) of each connection -> when it was last answered.
        self._last: dict[tuple[str, int], float] = {}
        self.to_close = 0

    def answering(self, client: tuple[str, int], now: float) -> bool:
        """Record an answer on ``client``'s connection; True to close it after this one."""
        if self.to_close > 0:
            self.to_close -= 1
            self._last.pop(client, None)
            return True
        self._last[client] = now
        return False

    def held(self, now: float) -> int:
        """Connections answered in the last ``ACTIVE_SECONDS``."""
        idle = [c for c, at in self._last.items() if now - at > ACTIVE_SECONDS]
        for client in idle:
            del self._last[client]
        return len(self._last)

    def rebalance(self, now: float, wall: float) -> None:
        """Publish this process's count and set how many connections to give up."""
        mine = self.held(now)
        self.path.write_text(str(mine))
        counts = []
        for peer in self.folder.glob(f"*{SUFFIX}"):
            try:
                if wall - peer.stat().st_mtime > FRESH_SECONDS:
                    continue
                counts.append(int(peer.read_text() or 0))
            except (OSError, ValueError):  # a peer writing or gone: its next count
                continue
        share = math.ceil(sum(counts) / len(counts)) if counts else mine
        self.to_close = max(0, mine - share)

    async def rebalance_forever(self) -> None:
        """``rebalance`` every ``BEAT_SECONDS`` from the event loop that serves."""
        while True:
            self.rebalance(time.monotonic(), time.time())
            await asyncio.sleep(BEAT_SECONDS)


class CloseWhenAsked:
    """ASGI middleware: answers on the connections ``ConnectionShare`` gives up carry
    ``Connection: close`` (uvicorn then closes the connection after that answer)."""

    def __init__(self, app: Asgi, share: ConnectionShare) -> None:
        self.app = app
        self.share = share

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or not client:
            await self.app(scope, receive, send)
            return
        if not self.share.answering((client[0], client[1]), time.monotonic()):
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


def share_connections(app: Starlette, beat_path: Path) -> ConnectionShare:
    """Make ``app`` keep its share of the connections of the processes beating beside
    ``beat_path`` (see the module docstring)."""
    share = ConnectionShare(beat_path)
    app.add_middleware(CloseWhenAsked, share=share)
    while_serving(app, share.rebalance_forever)
    return share
