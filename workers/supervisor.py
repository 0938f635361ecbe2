"""Process management for ``trust up`` and ``trust worker``: start, watch, restart, stop.

Children are tied to the supervisor with PR_SET_PDEATHSIG (``spawn_tied``), so even a
SIGKILLed supervisor leaves nothing running. A child that dies is restarted with backoff; a
child with a heartbeat (``workers.heartbeat``) that stops beating is killed, then restarted
the same way. Stopping sends SIGTERM to every child (newest first) and SIGKILL to any that
lingers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trust import shutdown
from workers.heartbeat import HEARTBEAT_ENV, Heartbeat
from workers.lifetime import spawn_tied, stop_process

log = logging.getLogger(__name__)

MAX_RESTART_DELAY = 30.0


@dataclass
class Child:
    """One supervised process and its restart history."""

    name: str
    command: list[str]
    env: dict[str, str]
    restart: bool = True
    log: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    heartbeat: Heartbeat | None = None
    # Times it was killed for hanging (its restarts count them too).
    hangs: int = 0

    @property
    def pid(self) -> int | None:
        """PID of the running process, if any."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


@dataclass
class Supervisor:
    """A set of named child processes kept alive until ``stop``."""

    children: list[Child] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def add(
        self,
        name: str,
        command: Sequence[str],
        env: dict[str, str] | None = None,
        *,
        restart: bool = True,
        log: Path | None = None,
        heartbeat: Heartbeat | None = None,
    ) -> Child:
        """Register and start a child (call from the main thread: PDEATHSIG is per thread).

        With ``log`` its output is appended to that file, else it shares our stderr. With
        ``heartbeat`` the child finds the file to touch in ``HEARTBEAT_ENV`` and is killed
        when it stays silent.
        """
        environment = dict(env or os.environ)
        if heartbeat is not None:
            environment[HEARTBEAT_ENV] = str(heartbeat.path)
        child = Child(name, list(command), environment, restart, log=log, heartbeat=heartbeat)
        self.children.append(child)
        self._start(child)
        return child

    def _start(self, child: Child) -> None:
        if child.heartbeat is not None:
            child.heartbeat.reset()
        if child.log is None:
            child.proc = spawn_tied(child.command, env=child.env)
        else:
            child.log.parent.mkdir(parents=True, exist_ok=True)
            with child.log.open("ab") as handle:
                child.proc = spawn_tied(
                    child.command, env=child.env, stdout=handle, stderr=subprocess.STDOUT
                )
        child.started_at = time.monotonic()
        log.info("started", extra={"child": child.name, "pid": child.proc.pid})

    def poll(self) -> None:
        """Kill children that hang; restart children that died (backoff doubles while they
        keep dying young)."""
        now = time.monotonic()
        for child in self.children:
            self._kill_if_hung(child, now)
            if child.proc is None or child.proc.poll() is None or self.stopping.is_set():
                continue
            if not child.restart:
                continue
            if child.next_start == 0.0:
                lived = now - child.started_at
                delay = 0.5 if lived > 60 else min(MAX_RESTART_DELAY, 0.5 * 2**child.restarts)
                child.next_start = now + delay
                log.warning(
                    "child exited; restarting",
                    extra={"child": child.name, "code": child.proc.returncode, "in_seconds": delay},
                )
            elif now >= child.next_start:
                child.restarts += 1
                child.next_start = 0.0
                self._start(child)

    def _kill_if_hung(self, child: Child, now: float) -> None:
        if child.heartbeat is None or child.proc is None or child.proc.poll() is not None:
            return
        if self.stopping.is_set():
            return
        reason = child.heartbeat.stalled(now - child.started_at)
        if reason is None:
            return
        log.error(
            "child stopped answering; killing it",
            extra={"child": child.name, "pid": child.proc.pid, "reason": reason},
        )
        child.hangs += 1
        child.proc.kill()  # SIGKILL: a hung process may never run a SIGTERM handler
        with contextlib.suppress(subprocess.TimeoutExpired):
            # One stuck in the kernel exits later; a later poll restarts it then.
            child.proc.wait(timeout=10)

    def run(self, interval: float = 0.5) -> None:
        """Watch the children until ``stopping`` is set (by a signal or another thread)."""
        while not self.stopping.wait(interval):
            self.poll()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every child, newest first; SIGKILL whatever does not exit in ``timeout``."""
        self.stopping.set()
        running = [c for c in reversed(self.children) if c.proc and c.proc.poll() is None]
        for child in running:
            assert child.proc is not None
            child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in running:
            assert child.proc is not None
            stop_process(child.proc, timeout=max(0.1, deadline - time.monotonic()))
            log.info("stopped", extra={"child": child.name, "code": child.proc.returncode})


def stop_on_signals(supervisor: Supervisor) -> None:
    """SIGINT and SIGTERM (and the parent's death, via SIGHUP) stop the supervisor cleanly,
    however many arrive (``trust.shutdown``)."""

    def report(sig: signal.Signals) -> None:
        log.info("signal received; stopping", extra={"signal": sig.name})

    shutdown.stop_on_signals(
        supervisor.stopping, (signal.SIGINT, signal.SIGTERM, signal.SIGHUP), report
    )


def worker_command(threads: int) -> list[str]:
    """The command line of one worker process."""
    return [sys.executable, "-m", "workers.process", "--threads", str(threads)]
