"""A circuit breaker on the store: while it is unreachable, a worker holds its batch and waits.

Without it, a batch that met a store outage was raised to dramatiq's Retries middleware,
which re-enqueues it *with a delay*: the batch went to the back of the queue while the
worker fetched the next one, failed it too, and so on. After a 15 s PostgreSQL outage
about 45,000 events were decided after later ones, so those later events were scored
without their history.

With the breaker, the actor keeps the message it holds and retries it in place:

- ``closed``: batches go to the store;
- ``open``: a transient store fault was met; every thread of the process waits, the
  back-off doubling from ``min_backoff_ms`` to ``max_backoff_ms``;
- ``half_open``: the back-off elapsed; one thread tries its batch, the others keep
  waiting. Success closes the breaker, a transient fault opens it again for longer.

While threads wait, dramatiq's consumer fetches nothing beyond its prefetch, and the
prefetched messages stay in the worker's queue in their order: batches keep their place.
The state is a Prometheus gauge and a Redis key per worker (``workers/health.py``), which
``/readyz`` reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    """Where the breaker is; the gauge publishes the numeric ``level``."""

    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"

    @property
    def level(self) -> int:
        """0 closed, 1 half-open, 2 open: the worst of several processes is the highest."""
        return _LEVELS[self]


_LEVELS = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


@dataclass(frozen=True, slots=True)
class BreakerView:
    """The breaker at one moment, as health reports and logs show it."""

    state: BreakerState
    # Consecutive transient faults since the breaker last closed.
    failures: int
    # Seconds until the next try (0 unless open).
    retry_in_s: float
    # The last fault, one line (``workers.actors.error_line``); None once closed.
    error: str | None
    # Wall-clock time (epoch seconds) of the last change of state.
    since: float

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "state": self.state.value,
            "failures": self.failures,
            "retry_in_s": round(self.retry_in_s, 3),
            "error": self.error,
            "since": self.since,
        }


class BreakerStopped(Exception):
    """Raised by ``acquire`` when the worker shuts down while the breaker is not closed."""


class StoreBreaker:
    """Thread-safe closed / open / half-open breaker with doubling back-off."""

    def __init__(
        self,
        min_backoff_s: float,
        max_backoff_s: float,
        *,
        on_change: Callable[[BreakerView], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_backoff_s <= 0 or max_backoff_s < min_backoff_s:
            raise ValueError("backoff: need 0 < min_backoff_s <= max_backoff_s")
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self._on_change = on_change
        self._clock = clock
        self._cond = threading.Condition()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._retry_at = 0.0
        self._trial_running = False
        self._error: str | None = None
        self._since = time.time()
        self._stopping = False

    @property
    def state(self) -> BreakerState:
        """The current state."""
        with self._cond:
            return self._state

    def view(self) -> BreakerView:
        """The current state with its details."""
        with self._cond:
            return self._view()

    def _view(self) -> BreakerView:
        retry_in = max(0.0, self._retry_at - self._clock()) if self._state.level == 2 else 0.0
        return BreakerView(self._state, self._failures, retry_in, self._error, self._since)

    def backoff_s(self, failures: int) -> float:
        """Wait after the ``failures``-th consecutive fault: doubling, capped."""
        return min(self.max_backoff_s, self.min_backoff_s * 2 ** max(0, failures - 1))

    def acquire(self) -> None:
        """Block until this thread may use the store; raises ``BreakerStopped`` on shutdown.

        Closed: returns at once. Open: waits out the back-off, then the first thread to
        wake becomes the half-open trial and returns; the others wait for its outcome.
        """
        changed: BreakerView | None = None
        with self._cond:
            while True:
                if self._state is BreakerState.CLOSED:
                    break
                if self._stopping:
                    raise BreakerStopped("worker stopping while the store is unreachable")
                now = self._clock()
                if self._state is BreakerState.OPEN and now >= self._retry_at:
                    changed = self._move(BreakerState.HALF_OPEN)
                    self._trial_running = True
                    break
                if self._state is BreakerState.OPEN:
                    self._cond.wait(self._retry_at - now)
                else:  # half-open: another thread's trial decides
                    self._cond.wait(1.0)
        self._publish(changed)

    def succeeded(self) -> None:
        """The store answered (whatever the batch's fate): close the breaker."""
        changed: BreakerView | None = None
        with self._cond:
            self._trial_running = False
            if self._state is not BreakerState.CLOSED:
                self._failures = 0
                self._error = None
                changed = self._move(BreakerState.CLOSED)
                self._cond.notify_all()
        self._publish(changed)

    def failed(self, error: str) -> BreakerView:
        """A transient store fault: open (again) with a longer back-off; returns the new view."""
        with self._cond:
            self._trial_running = False
            self._failures += 1
            self._error = error
            self._retry_at = self._clock() + self.backoff_s(self._failures)
            view = self._move(BreakerState.OPEN)
            self._cond.notify_all()
        self._publish(view)
        return view

    def abandon(self) -> None:
        """A try ended without an answer (interrupted): the next waiting thread tries now."""
        with self._cond:
            if self._trial_running:
                self._trial_running = False
                self._retry_at = self._clock()
                self._state = BreakerState.OPEN
                self._cond.notify_all()

    def stop(self) -> None:
        """Release every waiting thread with ``BreakerStopped`` (worker shutdown)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def _move(self, state: BreakerState) -> BreakerView:
        if state is not self._state:
            self._since = time.time()
        self._state = state
        return self._view()

    def _publish(self, view: BreakerView | None) -> None:
        if view is not None and self._on_change is not None:
            self._on_change(view)
