"""Slowing down a client that keeps failing to sign in, without locking anyone's account."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta


class SignInThrottle:
    """Failed sign-ins per client (an address) in a sliding window; too many means wait.

    Kept in the memory of one dashboard process: a restart forgets it, and each process
    of a multi-process deployment counts on its own.
    """

    def __init__(self, max_failures: int, window: timedelta) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str, now: datetime) -> deque[datetime]:
        failures = self._failures[client]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def wait(self, client: str, now: datetime) -> timedelta:
        """How long ``client`` must wait before its next attempt (zero: it may try now)."""
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) < self.max_failures:
                return timedelta(0)
            return failures[-self.max_failures] + self.window - now

    def failed(self, client: str, now: datetime) -> None:
        """Count one failed attempt by ``client``."""
        with self._lock:
            self._recent(client, now).append(now)

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures (it proved it knows a password)."""
        with self._lock:
            self._failures.pop(client, None)
