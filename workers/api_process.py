"""One process of a multi-process ``trust serve``: its own listening socket on the shared port.

uvicorn's own multi-process mode hands every process one listening socket, and whichever
process wakes first takes every connection waiting: a client opening 32 keep-alive
connections at once got 27 on one process and 5 on the other, one core deciding groups of
27 requests (40 ms and more each) while the other idled, and the busy one's slowest groups
were the service's p99. Here each process binds its own socket with ``SO_REUSEPORT``, so the
kernel spreads new connections over the processes as they arrive, whichever is busy.

``trust serve`` (``serve_processes``) checks the port once, then runs these under the
supervisor ``trust up`` uses for workers: a process that dies is restarted with back-off, one
that hangs (no heartbeat for ``TRUST_API__STALL_SECONDS``) is killed and restarted, and every
process dies with the supervisor.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

import uvicorn

from workers.api_metrics import share_api_metrics
from workers.balance import count_connections_of
from workers.heartbeat import Heartbeat
from workers.supervisor import Supervisor, stop_on_signals


def bound_socket(host: str, port: int, *, shared: bool) -> socket.socket:
    """A TCP socket bound to ``host:port``; ``shared``: others with ``SO_REUSEPORT`` may
    bind it too (raises ``OSError`` when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def server(host: str, port: int) -> uvicorn.Server:
    """A uvicorn server of the API app (``workers.serve:app``), built in its own process."""
    config = uvicorn.Config(
        "workers.serve:app",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve_one(host: str, port: int) -> None:
    """Serve the API in this process, on a socket of its own (its share of the service's
    connections kept by ``workers.balance``)."""
    served = server(host, port)
    count_connections_of(served)
    served.run(sockets=[bound_socket(host, port, shared=True)])


def serve_command(port: int, processes: int | None = None) -> list[str]:
    """The command line of ``trust serve`` on ``port`` (with ``processes``, else as set)."""
    command = [sys.executable, "-m", "trust.cli.main", "serve", "--port", str(port)]
    return command if processes is None else [*command, "--processes", str(processes)]


def process_command(host: str, port: int) -> list[str]:
    """The command line of one API process."""
    return [sys.executable, "-m", "workers.api_process", "--host", host, "--port", str(port)]


def serve_processes(host: str, port: int, processes: int, stall_seconds: float) -> None:
    """Run ``processes`` API processes on ``host:port`` until SIGINT/SIGTERM.

    The port is checked here first, alone (``SO_REUSEPORT`` would let a second ``trust
    serve`` on the same port share it silently), then held, never listened on so it takes no
    connection, while the processes run. A port in use fails now with its error
    (``OSError``), not in every process over and over. A process silent for
    ``stall_seconds`` (``workers.heartbeat``) is killed and started again.
    """
    bound_socket(host, port, shared=False).close()
    with (
        bound_socket(host, port, shared=True),
        tempfile.TemporaryDirectory(prefix="trust-serve-") as beats,
    ):
        supervisor = Supervisor()
        stop_on_signals(supervisor)
        for index in range(processes):
            name = f"api-{index + 1}"
            supervisor.add(
                name,
                process_command(host, port),
                heartbeat=Heartbeat(Path(beats) / f"{name}.beat", stall_seconds),
            )
        try:
            supervisor.run()
        finally:
            supervisor.stop()


def run_api(
    host: str, port: int, processes: int, stall_seconds: float, metrics_folder: Path
) -> None:
    """``trust serve``: the API in this process, or in ``processes`` of them on their own
    sockets (``serve_processes``), their metrics in ``metrics_folder`` unless one is set
    already (``workers.api_metrics``); raises ``OSError`` when the port is taken."""
    share_api_metrics(metrics_folder)
    if processes > 1:
        serve_processes(host, port, processes, stall_seconds)
    else:
        server(host, port).run()


def main(argv: list[str] | None = None) -> None:
    """``python -m workers.api_process --host H --port P``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_one(args.host, args.port)


if __name__ == "__main__":
    main()
