"""A supervised process beats while it works; one that goes silent is killed and restarted."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import psutil
import pytest
from starlette.applications import Starlette

from tests.workers.helpers import wait_until
from workers.heartbeat import HEARTBEAT_ENV, Heartbeat, beat, beat_while_serving
from workers.supervisor import Supervisor

# Beats three times, then goes silent without exiting (as a stopped or deadlocked process).
FALLS_SILENT = [
    sys.executable,
    "-c",
    "import os, pathlib, time\n"
    f"beats = pathlib.Path(os.environ[{HEARTBEAT_ENV!r}])\n"
    "for _ in range(3):\n"
    "    beats.touch()\n"
    "    time.sleep(0.2)\n"
    "time.sleep(120)\n",
]
KEEPS_BEATING = [
    sys.executable,
    "-c",
    "import os, pathlib, time\n"
    f"beats = pathlib.Path(os.environ[{HEARTBEAT_ENV!r}])\n"
    "while True:\n"
    "    beats.touch()\n"
    "    time.sleep(0.2)\n",
]
NEVER_BEATS = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_silence_longer_than_the_stall_time_is_a_hang(tmp_path: Path) -> None:
    heartbeat = Heartbeat(tmp_path / "a.beat", stall_seconds=10, start_seconds=60)
    assert heartbeat.stalled(running_for=59) is None  # still starting
    assert heartbeat.stalled(running_for=61) == "no heartbeat 61 s after it started"
    beat(heartbeat.path)
    now = heartbeat.path.stat().st_mtime
    assert heartbeat.stalled(running_for=600, now=now + 9) is None
    assert heartbeat.stalled(running_for=600, now=now + 11) == "no heartbeat for 11 s"
    heartbeat.reset()
    assert not heartbeat.path.exists()


def test_an_app_beats_while_it_serves_and_healthy_says_so(tmp_path: Path) -> None:
    beats = tmp_path / "app.beat"
    healthy = [True]
    app = Starlette()
    beat_while_serving(app, beats, lambda: healthy[0])

    async def serve_a_while() -> tuple[bool, float, float]:
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0.1)
            started = beats.exists()
            first = beats.stat().st_mtime
            healthy[0] = False  # e.g. a group of decisions that never returns
            await asyncio.sleep(1.5)
            return started, first, beats.stat().st_mtime

    started, first, last = asyncio.run(serve_a_while())
    assert started
    assert last == first  # no beat once unhealthy


def _restarted_after_a_hang(supervisor: Supervisor, first_pid: int) -> bool:
    supervisor.poll()
    child = supervisor.children[0]
    return child.hangs == 1 and child.pid not in (None, first_pid)


@pytest.mark.parametrize(
    ("command", "stall_seconds", "start_seconds"),
    [(FALLS_SILENT, 1, 30), (NEVER_BEATS, 60, 1)],
    ids=["silent after beating", "never beats"],
)
def test_a_child_that_goes_silent_is_killed_and_started_again(
    tmp_path: Path, command: list[str], stall_seconds: float, start_seconds: float
) -> None:
    supervisor = Supervisor()
    heartbeat = Heartbeat(tmp_path / "child.beat", stall_seconds, start_seconds)
    child = supervisor.add("child", command, heartbeat=heartbeat)
    first = child.pid
    assert first is not None
    try:
        wait_until(lambda: _restarted_after_a_hang(supervisor, first), 30, "the restart")
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == "zombie"
        assert child.restarts == 1
        assert child.env[HEARTBEAT_ENV] == str(heartbeat.path)
    finally:
        supervisor.stop(timeout=5)


def test_a_child_that_keeps_beating_is_left_alone(tmp_path: Path) -> None:
    supervisor = Supervisor()
    heartbeat = Heartbeat(tmp_path / "alive.beat", stall_seconds=3, start_seconds=5)
    child = supervisor.add("alive", KEEPS_BEATING, heartbeat=heartbeat)
    first = child.pid
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            supervisor.poll()
            time.sleep(0.2)
        assert child.pid == first
        assert child.hangs == 0
    finally:
        supervisor.stop(timeout=5)
    assert os.environ.get(HEARTBEAT_ENV) is None  # set for the child only
