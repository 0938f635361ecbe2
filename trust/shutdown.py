"""Stopping on SIGINT/SIGTERM without deadlocking: a signal handler takes no lock.

Python runs a signal handler in the main thread between two bytecodes, wherever that
thread is. A handler that calls ``threading.Event.set`` takes the event's lock; when a
second signal lands while the first handler holds it (Ctrl-C pressed twice, or a
``timeout`` wrapper forwarding the same signal), the second handler waits forever on a
lock its own thread holds, and the process never stops. Here the handler only writes the
signal number to a pipe (async-signal-safe, no Python lock); a watcher thread reads it,
reports it and sets the event.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterable
from types import FrameType


def stop_on_signals(
    stopping: threading.Event,
    signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
    on_signal: Callable[[signal.Signals], None] | None = None,
) -> None:
    """Set ``stopping`` when one of ``signals`` arrives (call from the main thread);
    ``on_signal`` runs first, in the watcher thread, e.g. to log which signal it was."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)

    def handler(signum: int, _frame: FrameType | None) -> None:
        # A full pipe holds signals enough already: stopping is on its way.
        with contextlib.suppress(BlockingIOError):
            os.write(write_end, bytes([signum]))

    def watch() -> None:
        while data := os.read(read_end, 64):
            for signum in data:
                if on_signal is not None:
                    on_signal(signal.Signals(signum))
            stopping.set()

    threading.Thread(target=watch, name="trust-signals", daemon=True).start()
    for sig in signals:
        signal.signal(sig, handler)
