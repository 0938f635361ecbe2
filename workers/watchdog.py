"""The hard limit on one event's rules: past it, the worker process is killed by the kernel.

The CEL engine evaluates in native code holding the GIL, so no Python thread, signal
handler or dramatiq time limit can interrupt a rule that runs away: while it runs, the
worker sends no heartbeat and the queue hands its batch to another worker, which meets the
same rule. What can interrupt it is the kernel. Before each event's rules the watchdog arms
a CPU-time timer (``ITIMER_VIRTUAL``: only this process's own work counts, so a busy
machine does not trip it) whose signal, ``SIGVTALRM``, keeps its default action of ending
the process. faulthandler first writes every thread's stack to the log, without the GIL.
The batch is then redelivered, counted as a crash, and ``workers/crashes.py`` isolates
and dead-letters the event.

Only worker processes install it: it owns the process's virtual timer.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
import threading


class CpuTimeWatchdog:
    """Ends the process when one event's rules use more than ``limit_s`` of CPU time.

    The timer is process-wide. With several worker threads, each event re-arms it and it
    is cleared when no event is being evaluated; a runaway rule holds the GIL, so no other
    thread can re-arm it meanwhile.
    """

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self._lock = threading.Lock()
        self._active = 0

    def install(self) -> CpuTimeWatchdog:
        """Give SIGVTALRM its default (fatal) action, after a stack dump; main thread only."""
        signal.signal(signal.SIGVTALRM, signal.SIG_DFL)
        faulthandler.register(signal.SIGVTALRM, file=sys.stderr, all_threads=True, chain=True)
        return self

    def arm(self) -> None:
        """An event's rules start: the limit counts from now."""
        with self._lock:
            self._active += 1
            signal.setitimer(signal.ITIMER_VIRTUAL, self.limit_s)

    def disarm(self) -> None:
        """They finished: stop the timer unless another thread's event is running."""
        with self._lock:
            self._active -= 1
            if self._active == 0:
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
