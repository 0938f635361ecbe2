"""Group commit for ``POST /v1/decisions``: concurrent requests decided as one batch.

Each request waits for its own answer; meanwhile the requests that arrive while a batch is
being decided form the next batch. An idle service decides a lone request at once, a busy
one pays one transaction per group instead of one per event. A batch that fails for a
reason other than the store is decided again one event at a time, so one event that
breaks the pipeline fails only its own request.

A group costs a fixed amount besides its events, so groups should stay whole. Without help
they split: the clients a group answers send their next request a moment later, while the
first of them already started a group of one, and from then on a small group and a large
one alternate, the small one paying the fixed cost for a few events. Waiting for as many
requests as the last group held is not enough: once sixteen clients have split into two
groups of eight, each group finds the other's eight waiting and the split lasts for ever,
every request waiting out the other half's group before its own. So a group waits up to
``linger`` seconds for as many requests as were in flight (waiting or being decided) at
once while the last group ran: the clients that will be back. When traffic drops the next
group is smaller and nothing waits any more; a request that comes after a quiet spell (no
request for as long as the last group took, and longer than ``linger``) is decided at once.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence

from starlette.concurrency import run_in_threadpool

from trust.errors import StoreError
from trust.pipeline import SingleDecision

DecideMany = Callable[[Sequence[bytes]], list[SingleDecision]]
# Told of each group once it is answered: its size and the seconds it took (metrics).
GroupObserver = Callable[[int, float], None]


class DecisionBatcher:
    """Collects raw events from concurrent requests and decides them in groups."""

    def __init__(
        self,
        decide: DecideMany,
        max_batch: int,
        linger: float = 0.0,
        observe: GroupObserver | None = None,
    ) -> None:
        self.decide = decide
        self.max_batch = max_batch
        self.linger = linger
        self.observe = observe
        self._pending: list[tuple[bytes, asyncio.Future[SingleDecision]]] = []
        self._draining = False
        # Requests in the group being decided now, and the most requests in flight at once
        # (waiting or being decided) since it started: the clients that will be back.
        self._deciding = 0
        self._peak = 0
        # When the last group was answered (monotonic), and how long it took.
        self._answered_at = -math.inf
        self._took = 0.0
        # Set while a group waits for ``_expected`` requests (see the module docstring).
        self._filled: asyncio.Event | None = None
        self._expected = 0
        # The running drain task (a reference keeps it from being garbage-collected).
        self._task: asyncio.Task[None] | None = None
        # When the group being decided now started (monotonic), if one is.
        self._deciding_since: float | None = None

    def busy_seconds(self) -> float:
        """How long the group being decided now has run; 0 when none is (a process whose
        group never returns is hung: see ``workers.heartbeat``)."""
        since = self._deciding_since
        return 0.0 if since is None else time.monotonic() - since

    async def decide_one(self, raw: bytes) -> SingleDecision:
        """The answer for ``raw``, decided with whatever else is waiting."""
        future: asyncio.Future[SingleDecision] = asyncio.get_running_loop().create_future()
        self._pending.append((raw, future))
        self._peak = max(self._peak, len(self._pending) + self._deciding)
        if self._filled is not None and len(self._pending) >= self._expected:
            self._filled.set()
        if not self._draining:
            self._draining = True
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                await self._fill()
                group = self._pending[: self.max_batch]
                del self._pending[: self.max_batch]
                self._deciding = len(group)
                self._peak = len(self._pending) + len(group)
                began = time.monotonic()
                try:
                    await self._decide(group)
                finally:
                    self._deciding = 0
                    self._answered_at = time.monotonic()
                    self._took = self._answered_at - began
                if self.observe is not None:
                    self.observe(len(group), self._took)
        finally:
            self._draining = False

    async def _fill(self) -> None:
        """Wait up to ``linger`` for as many requests as were in flight while the last group
        ran; not at all after a quiet spell (nothing came for as long as that group took)."""
        expected = min(self._peak, self.max_batch)
        quiet = time.monotonic() - self._answered_at > max(self.linger, self._took)
        if self.linger <= 0 or quiet or len(self._pending) >= expected:
            return
        self._expected = expected
        self._filled = asyncio.Event()
        try:
            await asyncio.wait_for(self._filled.wait(), self.linger)
        except TimeoutError:
            pass
        finally:
            self._filled = None

    async def _decide(self, group: list[tuple[bytes, asyncio.Future[SingleDecision]]]) -> None:
        try:
            answers = await self._run([raw for raw, _ in group])
        except Exception as exc:
            if len(group) == 1 or isinstance(exc, StoreError):
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                return
            for item in group:
                await self._decide([item])
            return
        for (_, future), answer in zip(group, answers, strict=True):
            if not future.done():
                future.set_result(answer)

    async def _run(self, raws: list[bytes]) -> list[SingleDecision]:
        self._deciding_since = time.monotonic()
        try:
            return await run_in_threadpool(self.decide, raws)
        finally:
            self._deciding_since = None
