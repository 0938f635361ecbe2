"""A stop signal never deadlocks the process, however many arrive and wherever they land."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from trust.shutdown import stop_on_signals


@pytest.fixture
def usr1() -> Iterator[None]:
    """SIGUSR1 stands in for SIGINT/SIGTERM (pytest keeps those); restored afterwards."""
    before = signal.getsignal(signal.SIGUSR1)
    yield
    signal.signal(signal.SIGUSR1, before)


def test_a_signal_landing_while_the_event_lock_is_held_still_stops(usr1: None) -> None:
    stopping = threading.Event()
    seen: list[signal.Signals] = []
    stop_on_signals(stopping, (signal.SIGUSR1,), seen.append)
    # The main thread inside the event's own lock, as when a first handler is in Event.set
    # and a second signal arrives: a handler that set the event itself would wait here for
    # a lock its own thread holds, for ever.
    with stopping._cond:  # CPython's Event keeps its lock there
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)
        assert not stopping.is_set()
    assert stopping.wait(5)
    assert signal.SIGUSR1 in seen


def test_every_signal_is_reported_and_the_event_stays_set(usr1: None) -> None:
    stopping = threading.Event()
    seen: list[signal.Signals] = []
    done = threading.Event()

    def report(sig: signal.Signals) -> None:
        seen.append(sig)
        if len(seen) == 3:
            done.set()

    stop_on_signals(stopping, (signal.SIGUSR1,), report)
    for _ in range(3):
        os.kill(os.getpid(), signal.SIGUSR1)
    assert done.wait(5) and stopping.is_set()
    assert seen == [signal.SIGUSR1] * 3
