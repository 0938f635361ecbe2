"""The processes of one ``trust serve`` even out their keep-alive connections."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from workers.balance import FRESH_SECONDS, ConnectionShare, share_connections


def _holding(count: int) -> Callable[[], int]:
    return lambda: count


def _shares(folder: Path, *held: int) -> list[ConnectionShare]:
    """Processes beating in ``folder`` holding these many connections, each published."""
    folder.mkdir(exist_ok=True)
    shares = [ConnectionShare(folder / f"api-{i}.beat", _holding(n)) for i, n in enumerate(held)]
    for share in [*shares, *shares, *shares]:  # every peer's count read, at two beats
        share.rebalance(time.time())
    return shares


def test_a_process_over_its_share_gives_up_that_many_connections(tmp_path: Path) -> None:
    busy, quiet = _shares(tmp_path, 21, 11)
    assert (busy.to_close, quiet.to_close) == (5, 0)  # 32 over two: 16 each
    assert [busy.answering() for _ in range(7)] == [True] * 5 + [False] * 2
    assert not quiet.answering()


def test_a_split_as_even_as_the_total_allows_stays(tmp_path: Path) -> None:
    # One above the share is a count a beat old away from even: nothing moves.
    assert [s.to_close for s in _shares(tmp_path / "odd", 17, 16)] == [0, 0]
    assert [s.to_close for s in _shares(tmp_path / "even", 17, 15)] == [0, 0]
    assert [s.to_close for s in _shares(tmp_path / "far", 18, 14)] == [2, 0]
    assert [s.to_close for s in _shares(tmp_path / "three", 14, 9, 10)] == [3, 0, 0]


def test_only_a_split_seen_at_two_beats_running_moves_connections(tmp_path: Path) -> None:
    held = {"busy": 21, "quiet": 11}
    busy = ConnectionShare(tmp_path / "api-0.beat", lambda: held["busy"])
    quiet = ConnectionShare(tmp_path / "api-1.beat", lambda: held["quiet"])
    quiet.rebalance(time.time())
    busy.rebalance(time.time())
    assert busy.to_close == 0  # once: perhaps a peer's count a beat old
    busy.rebalance(time.time())
    assert busy.to_close == 5
    held.update(busy=16, quiet=16)  # five moved
    quiet.rebalance(time.time())
    busy.rebalance(time.time())
    assert busy.to_close == 0


def test_a_silent_peer_does_not_count(tmp_path: Path) -> None:
    alone, gone = _shares(tmp_path, 10, 30)
    stale = time.time() - FRESH_SECONDS - 1
    os.utime(gone.path, (stale, stale))  # a hung or stopped peer's count
    alone.rebalance(time.time())
    assert alone.to_close == 0


def test_answers_given_up_say_connection_close(tmp_path: Path) -> None:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    share = share_connections(app, tmp_path / "api-1.beat", lambda: 1)
    with TestClient(app) as client:
        assert "close" not in client.get("/").headers.get("connection", "")
        share.to_close = 1
        assert client.get("/").headers["connection"] == "close"
        assert "close" not in client.get("/").headers.get("connection", "")
        assert share.path.read_text() == "1"  # the count is published while the app serves
