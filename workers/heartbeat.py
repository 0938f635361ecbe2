"""Liveness of a supervised process: it touches a file while it works, and the supervisor
replaces one whose file goes stale.

``Supervisor.poll`` sees a child that exits, not one that stops answering without exiting
(stopped, deadlocked in a C extension, or a decision group that never returns). An API
process like that is worse than a dead one: the kernel keeps handing its ``SO_REUSEPORT``
socket its share of new connections, and every one of them hangs. gunicorn's worker timeout
works the same way: a file the worker touches, and an arbiter that kills a worker whose
file is older than the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

# The environment variable naming the file a supervised process touches.
HEARTBEAT_ENV = "TRUST_HEARTBEAT_FILE"
BEAT_SECONDS = 1.0
# A process must beat for the first time this soon after it starts: building the pipeline
# (rule pack, models, store) takes seconds, tens of them on a loaded machine.
START_SECONDS = 180.0


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Where a child beats, and how long a silence means it hangs."""

    path: Path
    stall_seconds: float
    start_seconds: float = START_SECONDS

    def reset(self) -> None:
        """Forget the last run's beats (call before starting the process)."""
        self.path.unlink(missing_ok=True)

    def stalled(self, running_for: float, now: float | None = None) -> str | None:
        """Why a process running for ``running_for`` seconds counts as hung, or None.

        ``now`` is wall-clock time (the file's modification time is).
        """
        try:
            last = self.path.stat().st_mtime
        except FileNotFoundError:
            if running_for > self.start_seconds:
                return f"no heartbeat {running_for:.0f} s after it started"
            return None
        silent = (time.time() if now is None else now) - last
        if silent > self.stall_seconds:
            return f"no heartbeat for {silent:.0f} s"
        return None


def beat(path: Path) -> None:
    """One beat: the file's modification time is now."""
    path.touch()


async def beat_forever(
    path: Path, healthy: Callable[[], bool], every: float = BEAT_SECONDS
) -> None:
    """Beat every ``every`` seconds while ``healthy()``, from the event loop that serves:
    a loop that stops turning stops the beat."""
    while True:
        if healthy():
            beat(path)
        await asyncio.sleep(every)


def while_serving(app: Starlette, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``run()`` as a task of ``app``'s event loop from its start-up to its shutdown
    (its lifespan)."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(served: Any) -> AsyncIterator[Any]:
        async with inner(served) as state:
            task = asyncio.create_task(run())
            try:
                yield state
            finally:
                task.cancel()

    app.router.lifespan_context = lifespan


def beat_while_serving(app: Starlette, path: Path, healthy: Callable[[], bool]) -> None:
    """Make ``app`` beat into ``path`` from its start-up to its shutdown."""
    while_serving(app, lambda: beat_forever(path, healthy))
