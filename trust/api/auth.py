"""Who is calling: an API key in ``Authorization: Bearer``, its scopes, its rate limit.

Keys are looked up by the SHA-256 of the token and kept in memory for a few seconds (a
revoked key stops working within ``CACHE_SECONDS``). The token itself is never logged or
stored; usage is tallied per key prefix, route and status and audited in batches.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool

from trust.api.problems import ProblemError
from trust.audit import record_audits
from trust.store import Store, snapshot, transaction
from trust.store.api_keys import ApiKey, key_for_token, token_hash, touch_api_keys

CACHE_SECONDS = 5.0
bearer = HTTPBearer(auto_error=False, description="An API key from `trust apikey create`.")
# The OpenAPI ``security`` of a route that calls ``authorize`` itself.
BEARER_SECURITY: list[dict[str, list[str]]] = [{bearer.scheme_name: []}]


class KeyRing:
    """Token to key, cached briefly so a request costs no query."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._cache: dict[str, tuple[ApiKey | None, float]] = {}
        # One query per token at a time: concurrent requests that miss wait for the same one.
        self._loading: dict[str, asyncio.Future[ApiKey | None]] = {}

    def _load(self, token: str) -> ApiKey | None:
        with snapshot(self.store.engine) as conn:
            return key_for_token(conn, token)

    async def key(self, token: str) -> ApiKey | None:
        """The active key for ``token``, or None."""
        digest = token_hash(token)
        cached = self._cache.get(digest)
        now = self.clock()
        if cached is not None and cached[1] > now:
            return cached[0]
        loading = self._loading.get(digest)
        if loading is None:
            loading = asyncio.ensure_future(run_in_threadpool(self._load, token))
            self._loading[digest] = loading
            loading.add_done_callback(partial(self._loaded, digest, now + CACHE_SECONDS))
        # Shielded: a caller that hangs up does not cancel the look-up the others wait for.
        return await asyncio.shield(loading)

    def _loaded(self, digest: str, until: float, done: asyncio.Future[ApiKey | None]) -> None:
        del self._loading[digest]
        if done.cancelled() or done.exception() is not None:
            return
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (done.result(), until)


class RateLimiter:
    """A token bucket per key: ``rate`` requests a second with ``burst`` at once."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key_id] = (tokens - 1, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1 - tokens) / self.rate


@dataclass
class Usage:
    """Requests per (key prefix, route, status) since the last flush."""

    store: Store
    counts: Counter[tuple[int, str, str, int]]

    @classmethod
    def on(cls, store: Store) -> Usage:
        """An empty tally writing to ``store``."""
        return cls(store, Counter())

    def count(self, key: ApiKey, route: str, status: int) -> None:
        """One more request."""
        self.counts[(key.id, key.prefix, route, status)] += 1

    def flush(self) -> int:
        """Audit the tally (no personal data: key prefix, route, status, count)."""
        counts, self.counts = self.counts, Counter()
        if not counts:
            return 0
        now = datetime.now(UTC)
        with transaction(self.store.engine) as conn:
            record_audits(
                conn,
                [
                    {
                        "actor": f"apikey:{prefix}",
                        "action": "api_usage",
                        "target_type": "api_route",
                        "target_id": route,
                        "at": now,
                        "before": None,
                        "after": {"status": status, "requests": n},
                    }
                    for (_id, prefix, route, status), n in counts.items()
                ],
            )
            touch_api_keys(conn, {key_id for key_id, *_ in counts}, now)
        return len(counts)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, read as ``HTTPBearer`` does."""
    scheme, token = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and token) or scheme.lower() != "bearer":
        return None
    return token


async def authorize(request: Request, scope: str) -> ApiKey:
    """The caller's key, which must hold ``scope`` and be within its rate; else a problem.

    The hot routes call it directly (a FastAPI dependency costs more than the check).
    """
    challenge = {"WWW-Authenticate": "Bearer"}
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise ProblemError(
            401, "send an API key as 'Authorization: Bearer <key>'", headers=challenge
        )
    api = request.app.state.api
    key: ApiKey | None = await api.keys.key(token)
    if key is None:
        raise ProblemError(401, "unknown or revoked API key", headers=challenge)
    request.state.api_key = key
    if scope not in key.scopes:
        raise ProblemError(403, f"this key lacks the scope {scope}")
    wait = api.limiter.take(key.id)
    if wait > 0:
        raise ProblemError(
            429,
            "rate limit exceeded for this key",
            headers={"Retry-After": str(max(1, round(wait + 0.5)))},
        )
    return key


def scoped(scope: str) -> Callable[..., object]:
    """A dependency: the caller's key, which must hold ``scope`` and be within its rate."""
    from fastapi import Depends

    async def dependency(
        request: Request, _credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> ApiKey:
        return await authorize(request, scope)

    return dependency
