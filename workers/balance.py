"""Even out keep-alive connections between the processes of one ``trust serve``.

The kernel picks the process of each new connection from a hash of its addresses (each
process listens on its own ``SO_REUSEPORT`` socket), and a keep-alive connection stays where
it landed. 32 connections opened at once split 11 and 21 in one run: the busier process
decided groups of 20 at a p50 of 26 ms against the other's 11 at 19 ms, and its clients
waited that much longer for every answer, the service's p99. A process started again after
a crash or a hang starts with no connection at all.

So each process writes how many connections its server holds beside its heartbeat every
second (the processes' files share one folder); reading its peers' counts, a process that
holds ``SLACK`` or more above its share (the total over the processes, rounded up) at two
beats running asks that many clients to reconnect: its next answers carry ``Connection:
close``. Every HTTP client opens a new connection for its next request, and the kernel picks
again; a connection that lands back on the busy process is asked again later. A peer's
count is up to a beat old: acting on one beat, or on one connection more than the share,
moved connections back and forth (each move a reconnection, and a group of decisions split
in two), in place of the few a lopsided split needs.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workers.heartbeat import BEAT_SECONDS, while_serving

# A peer whose count is older than this is not counted (stopped, hung or gone).
FRESH_SECONDS = 3 * BEAT_SECONDS
# Holding this many above the share, two beats running, moves connections.
SLACK = 2
SUFFIX = ".connections"

Count = Callable[[], int]

# How many connections this process's server holds, once ``count_connections_of`` is told
# which server runs here (``workers.api_process`` does, before it serves).
_held: Count | None = None


def count_connections_of(server: uvicorn.Server) -> None:
    """Count the connections of ``server``, the one this process serves the API with."""
    global _held
    _held = lambda: len(server.server_state.connections)  # noqa: E731


def server_connections() -> Count | None:
    """The count of this process's server's connections, if it was named."""
    return _held


class ConnectionShare:
    """This process's connections against its peers', and how many it should give up."""

    def __init__(self, beat_path: Path, held: Count) -> None:
        self.path = beat_path.with_name(beat_path.name + SUFFIX)
        self.folder = beat_path.parent
        self.held = held
        self.to_close = 0
        self._over = 0  # above the share by SLACK or more at the last beat: by how many

    def answering(self) -> bool:
        """True when this answer's connection is to be closed after it."""
        if self.to_close > 0:
            self.to_close -= 1
            return True
        return False

    def rebalance(self, wall: float) -> None:
        """Publish this process's count and set how many connections to give up."""
        mine = self.held()
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
        over = mine - share if mine - share >= SLACK else 0
        self.to_close = min(over, self._over)
        self._over = over

    async def rebalance_forever(self) -> None:
        """``rebalance`` every ``BEAT_SECONDS`` from the event loop that serves."""
        while True:
            self.rebalance(time.time())
            await asyncio.sleep(BEAT_SECONDS)


class CloseWhenAsked:
    """ASGI middleware: the answers ``ConnectionShare`` gives up carry ``Connection:
    close`` (uvicorn then closes the connection after that answer)."""

    def __init__(self, app: ASGIApp, share: ConnectionShare) -> None:
        self.app = app
        self.share = share

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.share.answering():
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


def share_connections(app: Starlette, beat_path: Path, held: Count) -> ConnectionShare:
    """Make ``app`` keep its share of the connections of the processes beating beside
    ``beat_path``, ``held()`` being its own (see the module docstring)."""
    share = ConnectionShare(beat_path, held)
    app.add_middleware(CloseWhenAsked, share=share)
    while_serving(app, share.rebalance_forever)
    return share
