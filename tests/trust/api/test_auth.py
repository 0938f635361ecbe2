"""API keys in memory: one look-up per token however many requests arrive at once."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.trust.api.conftest import Api
from trust.api.auth import KeyRing, bearer_token
from trust.store import transaction
from trust.store.api_keys import ApiKey, create_api_key


def test_concurrent_requests_with_one_token_share_one_look_up(api: Api) -> None:
    with transaction(api.store.engine) as conn:
        token = create_api_key(conn, "t", {"events:write"}, created_by="tests").token
    ring = KeyRing(api.store)
    loads: list[str] = []
    load = ring._load

    def counted(candidate: str) -> ApiKey | None:
        loads.append(candidate)
        time.sleep(0.05)  # long enough for every caller to arrive while it runs
        return load(candidate)

    ring._load = counted  # type: ignore[method-assign]

    async def callers() -> list[ApiKey | None]:
        return await asyncio.gather(*(ring.key(token) for _ in range(20)))

    keys = asyncio.run(callers())

    assert len(loads) == 1
    assert all(k is not None and k.name == "t" for k in keys)
    assert asyncio.run(ring.key(token)) == keys[0] and len(loads) == 1  # then cached
    assert asyncio.run(ring.key("trust_nope_nope")) is None and len(loads) == 2


def test_a_failed_look_up_reaches_every_waiter_and_is_not_cached(api: Api) -> None:
    ring = KeyRing(api.store)
    calls = 0

    def failing(_token: str) -> ApiKey | None:
        nonlocal calls
        calls += 1
        time.sleep(0.05)
        raise ConnectionError("store down")

    ring._load = failing  # type: ignore[method-assign]

    async def callers() -> list[object]:
        return await asyncio.gather(*(ring.key("tok") for _ in range(5)), return_exceptions=True)

    outcomes = asyncio.run(callers())

    assert calls == 1 and all(isinstance(o, ConnectionError) for o in outcomes)
    with pytest.raises(ConnectionError):
        asyncio.run(ring.key("tok"))
    assert calls == 2


def test_the_bearer_token_is_read_as_http_bearer_reads_it() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer abc") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer") is None
    assert bearer_token("") is None
    assert bearer_token(None) is None
