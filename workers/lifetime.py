"""Tie child processes to their parent so that no server or worker outlives the command."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
from collections.abc import Callable, Sequence
from typing import IO

_PR_SET_PDEATHSIG = 1


def _term_when_parent_dies(parent_pid: int) -> None:
    """Have the kernel send this process SIGTERM the moment ``parent_pid`` dies, even by
    SIGKILL; exit at once if it died before the request was made (we were re-parented)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    def preexec() -> None:
        # Runs in the child between fork and exec, so nothing is left behind.
        _term_when_parent_dies(parent_pid)
        # Own process group: a Ctrl-C on the terminal reaches the parent only, which then
        # stops its children in order (workers first, Redis last).
        os.setpgid(0, 0)

    return preexec


def tie_to_parent() -> None:
    """Make this process, started by ``multiprocessing`` (as uvicorn starts its workers),
    receive SIGTERM when its parent dies, even by SIGKILL; nothing for a process that was
    not started that way.

    ``trust up`` ties ``trust serve`` to itself (``spawn_tied``), but ``trust serve`` with
    several processes is uvicorn's supervisor: its workers outlived a killed supervisor,
    holding the API's port and answering requests.
    """
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    _term_when_parent_dies(parent.pid)


def spawn_tied(
    command: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    stdout: int | IO[bytes] | None = None,
    stderr: int | IO[bytes] | None = None,
    cwd: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` as a child that receives SIGTERM as soon as this process dies."""
    return subprocess.Popen(
        list(command),
        env=env,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        preexec_fn=_die_with_parent(os.getpid()),
    )


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = 10.0) -> int | None:
    """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL; returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode
