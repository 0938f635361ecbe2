"""The supervisor restarts children that die and stops every child, even stubborn ones."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil

from tests.workers.helpers import wait_until
from workers.supervisor import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)",
]


def test_a_child_that_dies_is_started_again() -> None:
    supervisor = Supervisor()
    child = supervisor.add("sleeper", SLEEPER)
    first = child.pid
    try:
        assert first is not None
        psutil.Process(first).kill()

        def restarted() -> bool:
            supervisor.poll()
            return child.pid not in (None, first)

        wait_until(restarted, 15, "the restart")
        assert child.restarts == 1
    finally:
        supervisor.stop(timeout=5)
    assert child.pid is None


def test_stop_kills_a_child_that_ignores_sigterm() -> None:
    supervisor = Supervisor()
    child = supervisor.add("stubborn", STUBBORN)
    time.sleep(0.5)  # let it install its handler

    supervisor.stop(timeout=1)

    assert child.proc is not None and child.proc.returncode is not None
    assert child.pid is None


def test_a_childs_output_goes_to_its_log_file(tmp_path: Path) -> None:
    supervisor = Supervisor()
    log = tmp_path / "logs" / "echo.log"
    child = supervisor.add("echo", [sys.executable, "-c", "print('hello')"], restart=False, log=log)
    assert child.proc is not None
    child.proc.wait(10)
    supervisor.stop()

    assert log.read_text().strip() == "hello"
