"""The processes of one ``trust serve`` even out their keep-alive connections."""

from __future__ import annotations

import os
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from workers.balance import ACTIVE_SECONDS, FRESH_SECONDS, ConnectionShare, share_connections


def _clients(first: int, count: int) -> list[tuple[str, int]]:
    return [("127.0.0.1", port) for port in range(first, first + count)]


def _answer(share: ConnectionShare, clients: list[tuple[str, int]], now: float) -> list[bool]:
    return [share.answering(client, now) for client in clients]


def test_a_process_over_its_share_closes_that_many_connections(tmp_path: Path) -> None:
    busy, quiet = ConnectionShare(tmp_path / "api-1.beat"), ConnectionShare(tmp_path / "api-2.beat")
    many, few = _clients(40000, 21), _clients(50000, 11)
    assert not any(_answer(busy, many, 0.0)) and not any(_answer(quiet, few, 0.0))
    wall = time.time()
    quiet.rebalance(1.0, wall)
    busy.rebalance(1.0, wall)
    quiet.rebalance(1.0, wall)  # reads the busy one's count now
    assert (busy.to_close, quiet.to_close) == (5, 0)  # 32 over two: 16 each
    # The next five answers close their connections (whichever clients ask first) ...
    assert _answer(busy, many, 2.0) == [True] * 5 + [False] * 16
    assert busy.held(2.0) == 16  # ... and those no longer count.
    assert not any(_answer(quiet, few, 2.0))


def test_a_split_as_even_as_the_total_allows_stays(tmp_path: Path) -> None:
    a, b = ConnectionShare(tmp_path / "api-1.beat"), ConnectionShare(tmp_path / "api-2.beat")
    _answer(a, _clients(40000, 17), 0.0)
    _answer(b, _clients(50000, 16), 0.0)
    wall = time.time()
    for share in (a, b, a):
        share.rebalance(1.0, wall)
    assert (a.to_close, b.to_close) == (0, 0)  # 33 over two: 17 and 16
    _answer(b, _clients(51000, 3), 0.0)
    for share in (a, b, a):
        share.rebalance(1.0, wall)
    assert (a.to_close, b.to_close) == (0, 1)  # 36: 18 each


def test_idle_connections_and_silent_peers_do_not_count(tmp_path: Path) -> None:
    alone, gone = ConnectionShare(tmp_path / "api-1.beat"), ConnectionShare(tmp_path / "api-2.beat")
    _answer(alone, _clients(40000, 10), 0.0)
    _answer(alone, _clients(41000, 4), ACTIVE_SECONDS)
    assert alone.held(ACTIVE_SECONDS + 1) == 4  # the ten sent nothing for too long
    _answer(gone, _clients(50000, 30), 0.0)
    gone.rebalance(1.0, time.time())
    stale = time.time() - FRESH_SECONDS - 1
    os.utime(gone.path, (stale, stale))  # a hung or stopped peer's count
    alone.rebalance(ACTIVE_SECONDS + 1, time.time())
    assert alone.to_close == 0


def test_answers_on_connections_given_up_say_connection_close(tmp_path: Path) -> None:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    share = share_connections(app, tmp_path / "api-1.beat")
    with TestClient(app) as client:
        assert "close" not in client.get("/").headers.get("connection", "")
        share.to_close = 1
        assert client.get("/").headers["connection"] == "close"
        assert "close" not in client.get("/").headers.get("connection", "")
        assert share.path.exists()  # the count is published while the app serves
